//! spec §8.4 The state changes of a counterexample, step by step (`--states`): which fields of
//! the model's state a step changed, old value and new. A whole state is about 300 lines of
//! `Debug`; a step changes a few fields, and those are what a reader follows.

use serde_json::Value;
use stateright::Model;

use crate::{OsfModel, Sys};

/// The states a path of action indices goes through, the initial one first (one more than
/// the indices). An error names the step whose index is not enabled.
pub fn states_along(model: &OsfModel, indices: &[usize]) -> Result<Vec<Sys>, String> {
    let mut st = model.init_states().remove(0);
    let mut out = vec![st.clone()];
    let mut enabled = Vec::new();
    for (k, &i) in indices.iter().enumerate() {
        enabled.clear();
        model.enabled(&st, &mut enabled);
        let a = enabled.get(i).ok_or_else(|| {
            format!(
                "step {}: index {i} but only {} actions are enabled",
                k + 1,
                enabled.len()
            )
        })?;
        st = model
            .step(&st, a)
            .ok_or_else(|| format!("step {}: the action has no successor", k + 1))?;
        out.push(st.clone());
    }
    Ok(out)
}

/// The fields `after` changed from `before`, one line each: `path: old -> new`, at the
/// deepest path where they differ (a changed variant shows whole). In the network, and in a
/// list that grew or shrank, the elements gone and come: `path: - old`, `path: + new`. Paths
/// follow the state's field names (spec §2: `nodes[1].pma.procs[0]`, `net`, `reqs[2].status`).
pub fn diff(before: &Sys, after: &Sys) -> Vec<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(before), serde_json::to_value(after)) else {
        return vec!["(the state does not serialize)".into()];
    };
    let mut out = Vec::new();
    walk("", &a, &b, &mut out);
    out
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if same_keys(x, y) => {
            for (k, v) in x {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, v, &y[k], out);
            }
        }
        // The network is a multiset kept sorted, and a list that grew or shrank has its
        // elements shifted: shown as the elements gone and the elements come.
        (Value::Array(x), Value::Array(y)) if path == "net" || x.len() != y.len() => {
            let mut left: Vec<&Value> = y.iter().collect();
            let mut gone = Vec::new();
            for v in x {
                match left.iter().position(|w| *w == v) {
                    Some(i) => {
                        left.remove(i);
                    }
                    None => gone.push(v),
                }
            }
            for v in gone {
                out.push(format!("{path}: - {}", compact(v)));
            }
            for v in left {
                out.push(format!("{path}: + {}", compact(v)));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                walk(&format!("{path}[{i}]"), v, w, out);
            }
        }
        _ => out.push(format!("{path}: {} -> {}", compact(a), compact(b))),
    }
}

fn same_keys(x: &serde_json::Map<String, Value>, y: &serde_json::Map<String, Value>) -> bool {
    x.len() == y.len() && x.keys().all(|k| y.contains_key(k))
}

/// A value on one line, strings without their quotes.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::find_run;

    // Reference: spec §8.4 — an unchanged state has no diff, every first step of a run has
    // one, and each line gives a path, the old value and the new.
    #[test]
    fn every_step_shows_what_it_changed() {
        let run = find_run("null-migration").unwrap();
        let model = OsfModel::new(run.config.clone());
        let init = model.init_states().remove(0);
        let mut acts = Vec::new();
        model.enabled(&init, &mut acts);
        // Every first step changes something, and nothing else is reported for the
        // unchanged state.
        assert!(diff(&init, &init).is_empty());
        for a in &acts {
            let next = model.step(&init, a).unwrap();
            let d = diff(&init, &next);
            assert!(!d.is_empty(), "{a:?} changed nothing");
            assert!(
                d.iter()
                    .all(|l| l.contains(" -> ") || l.contains(": + ") || l.contains(": - ")),
                "{d:?}"
            );
        }
        let states = states_along(&model, &[0, 0]).unwrap();
        assert_eq!(states.len(), 3);
        assert!(states_along(&model, &[99]).is_err());
    }
}

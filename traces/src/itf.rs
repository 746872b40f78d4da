//! spec §12.13 Export to the Informal Trace Format (ITF) of Apalache and Quint.
//!
//! An ITF trace is one JSON object `{"#meta": {...}, "vars": [...], "states": [...]}`. Each
//! state is a record of the trace's variables plus `"#meta": {"index": i}`. Here the
//! variables are the fields of the observed-state projection (spec §12.7: `nodes`, `pm`,
//! `tasks`, ...) plus `action` (the rule label of the step that led to the state; `"init"`
//! for state 0) and `params` (its parameters; `{}` for state 0). State 0 is the initial
//! state of the trace's configuration; state `i + 1` is the state after event `i`.
//!
//! Values: booleans and strings as they are; integers as JSON numbers when they fit in 53
//! bits, otherwise `{"#bigint": "..."}`; arrays as ITF lists; objects as records. ITF has no
//! null: a field that may be absent (`pm[].node`, `tasks[]`, or any path that is null in
//! some state of the trace) is written as a Quint option variant, `{"tag": "Some", "value":
//! v}` or `{"tag": "None", "value": {"#tup": []}}`, in every state, so that each variable has
//! one type; a null inside `params` is written as `None` the same way.

use std::collections::BTreeSet;

use osfmig_model::Sys;
use serde_json::{json, Map, Value};

use crate::parse::Trace;
use crate::projection::of_model;
use crate::shrink::reexecute;
use crate::validate::run_of;

/// Paths (array indices written `[]`) that are optional in the projection's type.
const OPTIONAL_PATHS: &[&str] = &["pm[].node", "tasks[]"];

/// The largest integer written as a plain JSON number.
const SAFE_INT: u64 = (1 << 53) - 1;

fn none() -> Value {
    json!({"tag": "None", "value": {"#tup": []}})
}

fn some(v: Value) -> Value {
    json!({"tag": "Some", "value": v})
}

fn number(n: &serde_json::Number) -> Value {
    if let Some(u) = n.as_u64() {
        if u <= SAFE_INT {
            return Value::Number(n.clone());
        }
        return json!({"#bigint": u.to_string()});
    }
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= SAFE_INT {
            return Value::Number(n.clone());
        }
        return json!({"#bigint": i.to_string()});
    }
    // No float appears in a trace; ITF has none either.
    json!({"#unserializable": n.to_string()})
}

/// Collects the paths at which `v` holds a null.
fn null_paths(v: &Value, path: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Null => {
            out.insert(path.to_string());
        }
        Value::Array(a) => {
            let p = format!("{path}[]");
            for x in a {
                null_paths(x, &p, out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                null_paths(x, &p, out);
            }
        }
        _ => {}
    }
}

/// Converts a JSON value to ITF; values at paths in `optional` become option variants.
fn convert(v: &Value, path: &str, optional: &BTreeSet<String>) -> Value {
    let inner = match v {
        Value::Null => return none(),
        Value::Bool(_) | Value::String(_) => v.clone(),
        Value::Number(n) => number(n),
        Value::Array(a) => {
            let p = format!("{path}[]");
            Value::Array(a.iter().map(|x| convert(x, &p, optional)).collect())
        }
        Value::Object(m) => {
            let mut o = Map::new();
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                o.insert(k.clone(), convert(x, &p, optional));
            }
            Value::Object(o)
        }
    };
    if optional.contains(path) {
        some(inner)
    } else {
        inner
    }
}

/// The observed states of a trace: the initial one, then one after each event. A model
/// trace without `state` fields is re-executed on the model; a refimpl trace must carry them.
pub fn observed_states(trace: &Trace, path: &str) -> Result<Vec<Value>, String> {
    let spec = run_of(trace).map_err(|e| format!("{path}:1: {e}"))?;
    let cfg = &spec.config;
    let init = serde_json::to_value(of_model(&Sys::initial(cfg))).map_err(|e| e.to_string())?;
    let mut out = vec![init];
    if trace.events.iter().all(|e| e.state.is_some()) {
        out.extend(
            trace
                .events
                .iter()
                .map(|e| e.state.clone().unwrap_or(Value::Null)),
        );
        return Ok(out);
    }
    if trace.header.source != "model" {
        let i = trace
            .events
            .iter()
            .position(|e| e.state.is_none())
            .unwrap_or(0);
        return Err(format!(
            "{path}:{}: a {} trace event without a `state` cannot be exported",
            i + 2,
            trace.header.source
        ));
    }
    let steps = reexecute(&trace.events, cfg).map_err(|(i, e)| format!("{path}:{}: {e}", i + 2))?;
    for (_, st) in steps {
        out.push(serde_json::to_value(of_model(&st)).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// The ITF object of a trace read from `path`.
pub fn to_itf(trace: &Trace, path: &str) -> Result<Value, String> {
    let states = observed_states(trace, path)?;
    itf_of_states(trace, &states, path)
}

/// The ITF object of a trace whose observed states are given, the initial one first (a
/// counterexample of `check --itf`, whose configuration may be no catalog run's: a mutant,
/// flags).
pub fn itf_of_states(trace: &Trace, states: &[Value], path: &str) -> Result<Value, String> {
    let mut optional: BTreeSet<String> = OPTIONAL_PATHS.iter().map(|s| s.to_string()).collect();
    for s in states {
        null_paths(s, "", &mut optional);
    }
    let mut vars: Vec<String> = Vec::new();
    for s in states {
        let Some(m) = s.as_object() else {
            return Err(format!("{path}: a state is not a JSON object"));
        };
        for k in m.keys() {
            if !vars.contains(k) {
                vars.push(k.clone());
            }
        }
    }
    if vars.iter().any(|v| v == "action" || v == "params") {
        return Err(format!(
            "{path}: the state projection has a field named `action` or `params`"
        ));
    }
    vars.push("action".into());
    vars.push("params".into());
    let no_opt = BTreeSet::new();
    let mut out_states = Vec::with_capacity(states.len());
    for (i, s) in states.iter().enumerate() {
        let mut rec = Map::new();
        rec.insert("#meta".into(), json!({ "index": i }));
        if let Value::Object(m) = convert(s, "", &optional) {
            rec.extend(m);
        }
        let (action, params) = match i.checked_sub(1).map(|k| &trace.events[k]) {
            None => (Value::String("init".into()), json!({})),
            Some(ev) => (
                Value::String(ev.rule.clone()),
                convert(&ev.params, "", &no_opt),
            ),
        };
        rec.insert("action".into(), action);
        rec.insert("params".into(), params);
        out_states.push(Value::Object(rec));
    }
    let h = &trace.header;
    Ok(json!({
        "#meta": {
            "format": "ITF",
            "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": path,
            "description": format!(
                "osfmig {} trace of run {} (preset {}), index {}: observed states (spec §12.7) \
                 with the rule and parameters of the step that led to each",
                h.source, h.run, h.preset, h.index
            ),
            "osfmig": {
                "source": h.source,
                "preset": h.preset,
                "run": h.run,
                "generator": h.generator,
                "seed": h.seed,
                "index": h.index,
                "format_version": h.format_version,
                "tool_version": h.tool_version,
            },
        },
        "vars": vars,
        "states": out_states,
    }))
}

/// The ITF text of a trace (pretty JSON, ending in a newline).
pub fn to_itf_text(trace: &Trace, path: &str) -> Result<String, String> {
    let v = to_itf(trace, path)?;
    let mut s = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

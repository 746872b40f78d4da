//! `osfmig replay` (spec §8.4): replays a path of action indices, as printed by `check`, step
//! by step with rule IDs, and says which safety properties fail in the state it ends in.

use osfmig_model::check::Step;
use osfmig_model::check::{actions_of, replay};
use osfmig_model::properties::{registry, Expectation, PropDef};
use osfmig_model::{Config, OsfModel, Sys};
use serde::Serialize;

use crate::cli::{Error, ReplayArgs};
use crate::report::{self, emit};
use crate::runs::select;

/// A property named in `replay --json`.
#[derive(Serialize)]
struct PropId {
    id: &'static str,
    name: &'static str,
}

/// The object `replay --json` prints; `state` only with `--state`.
#[derive(Serialize)]
struct JsonReplay<'a> {
    preset: &'a str,
    run: &'a str,
    config: &'a Config,
    steps: &'a [Step],
    /// Safety properties (`always`) false in the final state.
    failing: Vec<PropId>,
    /// Reachability items (`sometimes`) true in the final state.
    reached: Vec<PropId>,
    /// The calls, answers and events along the path, by step (spec §13.6).
    history: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a Sys>,
}

/// Parses `--path`: comma-separated action indices; an empty path is the initial state.
pub fn parse_path(path: &str) -> Result<Vec<usize>, Error> {
    let path = path.trim();
    if path.is_empty() {
        return Ok(Vec::new());
    }
    path.split(',')
        .enumerate()
        .map(|(k, t)| {
            t.trim().parse::<usize>().map_err(|_| {
                Error::Usage(format!(
                    "--path: step {}: '{}' is not an action index (expected e.g. 0,3,1)",
                    k + 1,
                    t.trim()
                ))
            })
        })
        .collect()
}

/// Runs `replay`; exit status 0 once the path applies, whatever the final state violates (a
/// replayed counterexample is meant to end in a violation).
pub fn run(args: &ReplayArgs) -> Result<u8, Error> {
    let sel = select(args.preset.as_deref(), Some(&args.run), &args.config)?;
    let spec = sel
        .runs
        .into_iter()
        .next()
        .ok_or_else(|| Error::Usage(format!("unknown run '{}'", args.run)))?;
    let indices = parse_path(&args.path)?;
    if let Some(dir) = &args.msc {
        crate::msc::prepare(dir)?;
    }
    let model = OsfModel::new(spec.config.clone());
    let (steps, state) =
        replay(&model, &indices).map_err(|e| Error::Usage(format!("--path: {e}")))?;
    let history = osfmig_model::linearizability::history(&model, &actions_of(&model, &indices));
    let chart = match &args.msc {
        Some(dir) => Some(crate::msc::write(
            dir,
            &format!("{}-replay", spec.name),
            &format!("replay of run {}", spec.name),
            &model,
            &steps,
        )?),
        None => None,
    };
    let props = registry(&spec.config);
    let failing: Vec<_> = props
        .iter()
        .filter(|p| p.expectation == Expectation::Always && !(p.check)(&model, &state))
        .collect();
    let reached: Vec<_> = props
        .iter()
        .filter(|p| p.expectation == Expectation::Sometimes && (p.check)(&model, &state))
        .collect();
    if args.json {
        let ids = |v: &[&PropDef]| {
            v.iter()
                .map(|p| PropId {
                    id: p.id,
                    name: p.name,
                })
                .collect()
        };
        let obj = JsonReplay {
            preset: &sel.preset,
            run: &spec.name,
            config: &spec.config,
            steps: &steps,
            failing: ids(&failing),
            reached: ids(&reached),
            history,
            state: args.state.then_some(&state),
        };
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&obj).map_err(|e| Error::Runtime(e.to_string()))?
        ));
        return Ok(0);
    }
    let mut out = format!(
        "replay of run {} (preset {}), {} step(s)\n    {}\n",
        spec.name,
        sel.preset,
        steps.len(),
        report::config_line(&spec.config)
    );
    let changes = if args.states {
        let states = osfmig_model::state_diff::states_along(&model, &indices)
            .map_err(|e| Error::Usage(format!("--path: {e}")))?;
        Some(
            states
                .windows(2)
                .map(|w| osfmig_model::state_diff::diff(&w[0], &w[1]))
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    out.push_str(&report::steps_text_with(&steps, None, changes.as_deref()));
    if let Some(file) = &chart {
        out.push_str(&format!("chart: {}\n", file.display()));
    }
    if args.state {
        out.push_str(&format!("\nfinal state:\n{state:#?}\n"));
    }
    let names = |v: &[&PropDef]| -> String {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(|p| report::prop_label(p.id, p.name))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    out.push_str(&format!(
        "\nsafety properties failing in the final state: {}\n",
        names(&failing)
    ));
    out.push_str(&format!(
        "reachability items holding in the final state: {}\n",
        names(&reached)
    ));
    if failing.iter().any(|p| p.id == "U1") {
        out.push_str("history (calls, answers and events in order, by step):\n");
        for l in &history {
            out.push_str(&format!("    {l}\n"));
        }
    }
    emit(&out);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §8.4 (replay tokens are comma-separated action indices).
    #[test]
    fn paths_parse_and_bad_tokens_name_the_step() {
        assert_eq!(parse_path("").unwrap(), Vec::<usize>::new());
        assert_eq!(parse_path("0, 3,1").unwrap(), vec![0, 3, 1]);
        let err = parse_path("0,x").unwrap_err();
        assert!(err.message().contains("step 2"), "{}", err.message());
    }
}

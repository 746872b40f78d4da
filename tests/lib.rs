//! Shared helpers for the integration tests, which live in `tests/tests/`, one file per spec
//! section (`spec_3_rules.rs` is spec §3, and so on).

use std::collections::{HashSet, VecDeque};

use osfmig_model::check::{check_run, CheckOptions, RunResult};
use osfmig_model::model::rule_of;
use osfmig_model::presets::{find_run, RunSpec};
use osfmig_model::{Action, OsfModel, Sys};
use stateright::Model;

/// A catalog run by name; panics with the name when it is missing.
pub fn run(name: &str) -> RunSpec {
    find_run(name).unwrap_or_else(|| panic!("no catalog run named {name}"))
}

/// Checks a run with the default options (DFS, symmetry, liveness where the run asks for it).
pub fn check(spec: &RunSpec) -> RunResult {
    check_run(spec, &CheckOptions::default())
}

/// The verdict of property `id` in a result, as its serialized name ("holds", "violated"...).
pub fn verdict(res: &RunResult, id: &str) -> String {
    let p = res
        .properties
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("run {} has no property {id}", res.name));
    serde_json::to_value(p.verdict)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// A shortest path (breadth-first, no symmetry) from the initial state to a state satisfying
/// `goal`, as (action, rule) pairs with the final state.
pub fn shortest_path(
    spec: &RunSpec,
    goal: impl Fn(&Sys) -> bool,
    state_limit: usize,
) -> Option<(Vec<(Action, &'static str)>, Sys)> {
    let model = OsfModel::new(spec.config.clone());
    let init = model.init_states().remove(0);
    let mut seen: HashSet<Sys> = HashSet::new();
    let mut queue = VecDeque::new();
    seen.insert(init.clone());
    queue.push_back((init, Vec::new()));
    let mut enabled = Vec::new();
    while let Some((st, path)) = queue.pop_front() {
        if goal(&st) {
            return Some((path, st));
        }
        if seen.len() > state_limit {
            return None;
        }
        enabled.clear();
        model.enabled(&st, &mut enabled);
        for a in enabled.drain(..) {
            let rule = rule_of(&st, &a, &model.cfg);
            let Some(next) = model.step(&st, &a) else {
                continue;
            };
            if !model.within_boundary(&next) || !seen.insert(next.clone()) {
                continue;
            }
            let mut p = path.clone();
            p.push((a, rule));
            queue.push_back((next, p));
        }
    }
    None
}

//! Shared helpers for the integration tests, which live in `tests/tests/`, one file per spec
//! section (`spec_3_rules.rs` is spec §3, and so on).

pub mod fair_cycle_graphs;
pub mod state_walk;
pub mod symmetry;
pub mod u1_histories;
pub mod user_spec_tables;

pub use state_walk::{
    assert_answers_addressed, assert_ghost_consistent, assert_items_at_their_event,
    assert_reductions_sound, assert_step_consistent, fingerprint_words,
};

use std::collections::{HashSet, VecDeque};

use osfmig_model::check::{check_run, replay, CheckOptions, RunResult, Verdict};
use osfmig_model::model::{rule_of, RULES};
use osfmig_model::mutants::MutantInfo;
use osfmig_model::presets::{find_run, preset, RunSpec};
use osfmig_model::Config;
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

/// The first `cap` states of `cfg` in breadth-first order, within the boundary, no symmetry.
pub fn reachable_states(cfg: &Config, cap: usize) -> Vec<Sys> {
    let model = OsfModel::new(cfg.clone());
    let init = model.init_states().remove(0);
    let mut seen: HashSet<Sys> = HashSet::from([init.clone()]);
    let mut out = vec![init];
    let mut actions = Vec::new();
    let mut k = 0;
    while k < out.len() && out.len() < cap {
        actions.clear();
        model.enabled(&out[k], &mut actions);
        for a in &actions {
            if let Some(next) = model.step(&out[k], a) {
                if model.within_boundary(&next) && out.len() < cap && seen.insert(next.clone()) {
                    out.push(next);
                }
            }
        }
        k += 1;
    }
    out
}

/// Impossible configurations, each with the bound its rejection must name (spec §8.1).
pub fn impossible_configs() -> Vec<(Config, &'static str)> {
    vec![
        (
            Config {
                processes_max: 2,
                forks_max: 2,
                ..Config::default()
            },
            "forks_max",
        ),
        (
            Config {
                processes_max: 1,
                forks_max: 3,
                ..Config::default()
            },
            "forks_max",
        ),
        (
            Config {
                requests_max: 8,
                migrations_max: 5,
                ..Config::default()
            },
            "migrations_max",
        ),
        (
            Config {
                nodes_max: 9,
                ..Config::default()
            },
            "nodes_max",
        ),
        (
            Config {
                processes_max: 0,
                ..Config::default()
            },
            "processes_max",
        ),
        (
            Config {
                crashes_max: 3,
                ..Config::default()
            },
            "crashes_max",
        ),
        (
            Config {
                requests_max: 9,
                ..Config::default()
            },
            "requests_max",
        ),
        (
            Config {
                processes_max: 3,
                procs_per_node_max: 2,
                ..Config::default()
            },
            "procs_per_node_max",
        ),
    ]
}

/// Every impossible configuration is rejected naming its bound, and every run of `preset`
/// validates (spec §8.1): the CLI refuses the first with exit 2 and must accept the second.
pub fn assert_validation(preset_name: &str) {
    for (cfg, name) in impossible_configs() {
        let err = cfg.validate().expect_err(name);
        assert!(err.contains(name), "{err:?} should name {name}");
    }
    // The largest configurations within the bounds are accepted, and their initial state
    // holds them: every request slot, every pid slot.
    for cfg in [
        Config {
            requests_max: osfmig_model::config::REQUESTS_LIMIT,
            migrations_max: 4,
            ..Config::default()
        },
        Config {
            processes_max: 1,
            forks_max: osfmig_model::config::PROCESSES_LIMIT - 1,
            ..Config::default()
        },
    ] {
        cfg.validate()
            .unwrap_or_else(|e| panic!("{cfg:?} is within the bounds: {e}"));
        assert_eq!(OsfModel::new(cfg).init_states().len(), 1);
    }
    for spec in preset(preset_name).unwrap() {
        spec.config
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
    }
}

/// A run's result is what the spec expects (spec §6): complete, every property as expected, and
/// every documented finding reproduced (a finding that no longer shows up is stale).
pub fn assert_meets_expectations(spec: &RunSpec, res: &RunResult) {
    assert!(res.complete, "{}: incomplete", res.name);
    for p in &res.properties {
        assert!(
            p.ok(),
            "{}: {} is {:?} (exercised {:?}); replay: {:?}",
            res.name,
            p.id,
            p.verdict,
            p.exercised,
            p.replay
        );
    }
    for id in &spec.expected_violations {
        let p = res.properties.iter().find(|p| p.id == *id);
        assert!(
            p.is_some_and(|p| p.verdict == Verdict::Violated),
            "{}: finding {id} not reproduced",
            res.name
        );
    }
}

/// A catalog mutant (spec §7) is caught by the property the catalog names, in its run, and
/// the counterexample is usable: the replay command names the run and the mutant, its path
/// replays with a rule on every step, and for an `always` property it ends in a state that
/// breaks the property; a fair cycle's path returns to where its loop starts. Returns whether
/// the counterexample was a fair cycle, and every property the mutant violates in its run.
pub fn assert_catalog_mutant_caught(m: &MutantInfo) -> CatalogVerdict {
    if m.catches == "?" {
        // Written, not yet run against the properties (spec §7).
        eprintln!("{}: not yet triaged", m.name);
        return CatalogVerdict {
            cycle: false,
            violated: Vec::new(),
        };
    }
    // The replay command names the mutant, and `--mutant NAME` finds it by that name.
    assert!(
        osfmig_model::mutants::by_name(m.name).is_some_and(|b| b.mutant == m.mutant),
        "{}: --mutant {} finds another mutant",
        m.name,
        m.name
    );
    let mut spec = run(m.run);
    spec.config.mutant = Some(m.mutant);
    let res = check(&spec);
    assert!(!res.ok(), "{}: the run is ok with the mutant in", m.name);
    let p = res
        .properties
        .iter()
        .find(|p| p.id == m.catches)
        .unwrap_or_else(|| panic!("{}: {} not checked in {}", m.name, m.catches, m.run));
    assert!(
        p.verdict == Verdict::Violated,
        "{} escapes {} in {}",
        m.name,
        m.catches,
        m.run
    );
    let command = p
        .replay
        .as_deref()
        .unwrap_or_else(|| panic!("{}: {} has no replay command", m.name, m.catches));
    let head = format!("osfmig replay --run {} --mutant {} --path ", m.run, m.name);
    let path = command
        .strip_prefix(&head)
        .unwrap_or_else(|| panic!("replay command {command:?} is not {head:?}…"));
    let indices: Vec<usize> = path
        .split(',')
        .map(|i| {
            i.parse()
                .unwrap_or_else(|_| panic!("{command}: bad index {i:?}"))
        })
        .collect();
    let model = OsfModel::new(spec.config.clone());
    let (steps, last) =
        replay(&model, &indices).unwrap_or_else(|e| panic!("{command} does not replay: {e}"));
    assert!(
        steps.iter().all(|s| RULES.contains(&s.rule.as_str())),
        "{command}: a step has no rule"
    );
    // L4 is an obligation after a crash (spec §6.2): its counterexample has one.
    assert!(
        m.catches != "L4" || steps.iter().any(|s| s.rule == "C* NodeCrash"),
        "{command}: an L4 counterexample without a crash"
    );
    // Each step, as the Explorer shows it, starts with its rule (spec §8.4).
    let actions = osfmig_model::check::actions_of(&model, &indices);
    let mut st = model.init_states().remove(0);
    for (a, s) in actions.iter().zip(&steps) {
        let text = model.format_step(&st, a.clone()).unwrap_or_default();
        assert!(
            text.starts_with(&s.rule),
            "{command}: step shown as {text:?}"
        );
        st = model.step(&st, a).expect("replays");
    }
    // U1's history (spec §13.6) names each call with its number, its caller and the
    // operation, and says at which step no order explains the answers any more.
    if m.catches == "U1" {
        let h = p.history.as_deref().unwrap_or_default();
        const OPS: &[&str] = &[
            "kill(",
            "getrusage()",
            "wait()",
            "exit()",
            "fork()",
            "pcntl(MIGRATE",
            "a file read",
        ];
        let calls: Vec<&String> = h
            .iter()
            .filter(|l| l.contains(". call #") && l.contains(" by "))
            .collect();
        assert!(
            !calls.is_empty(),
            "{command}: the history names no call: {h:?}"
        );
        for l in calls {
            let op = l.rsplit(": ").next().unwrap_or("");
            assert!(
                OPS.iter().any(|o| op.starts_with(o)),
                "{command}: history line {l:?}"
            );
        }
        assert!(
            h.iter().any(|l| l.ends_with("not linearizable")),
            "{command}: the history does not say where no order explains it: {h:?}"
        );
    }
    // A fair cycle's path returns to the state reached before its loop starts (spec §6.2).
    if let Some(k) = p.loop_start {
        let (_, entry) = replay(&model, &indices[..k]).expect("a prefix replays");
        assert!(
            k < indices.len() && entry == last,
            "{command}: the cycle from step {} does not return to its start",
            k + 1
        );
    }
    // Every liveness verdict of the run describes an obligation of its own property (spec
    // §6.2), not a lasso found for another one.
    const OWN: &[(&str, &[&str])] = &[
        ("L1", &["stays in migration"]),
        ("L2", &["is routed forever", "more AbsentProcess answers"]),
        ("L3", &["is never answered"]),
        ("L4", &["never becomes consistent"]),
        ("L5", &["the group never ends"]),
        ("L6", &["file read is never answered"]),
    ];
    for q in res
        .properties
        .iter()
        .filter(|q| q.verdict == Verdict::Violated)
    {
        if let Some((_, texts)) = OWN.iter().find(|o| o.0 == q.id) {
            let detail = q.detail.as_deref().unwrap_or_default();
            assert!(
                texts.iter().any(|t| detail.contains(t)),
                "{}: {}'s counterexample is about something else: {detail:?}",
                m.name,
                q.id
            );
        }
    }
    let cycle = p.loop_start.is_some();
    let violated = res
        .properties
        .iter()
        .filter(|q| q.verdict == Verdict::Violated)
        .map(|q| q.id.clone())
        .collect();
    if let Some(p) = model.properties().into_iter().find(|p| p.name == m.catches) {
        if p.expectation == stateright::Expectation::Always {
            assert!(
                !(p.condition)(&model, &last),
                "{command} ends where {} holds",
                m.catches
            );
        }
    }
    CatalogVerdict { cycle, violated }
}

/// What a catalog mutant's run says (see [`assert_catalog_mutant_caught`]).
pub struct CatalogVerdict {
    /// The named property's counterexample is a fair cycle.
    pub cycle: bool,
    /// Every property the run reports violated, in the run's order.
    pub violated: Vec<String>,
}

//! Running a check: stateright's DFS with node symmetry, property verdicts, counterexample
//! paths with rule IDs and replay tokens (spec §8.4), then the liveness check of
//! [`crate::liveness`] (spec §6.2) on the same configuration. The command line formats what
//! this returns.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use stateright::{Checker, Model};

use crate::model::{describe, rule_of, Action, OsfModel};
use crate::shortest::{shortest, Shortest};

/// States the breadth-first search for a shortest counterexample may visit when the check
/// has no `state_limit`: about 2 GiB of frontier at the largest `full` runs' state size.
pub const SHORTEST_STATES_MAX: usize = 5_000_000;
use crate::presets::RunSpec;
use crate::properties::{registry, Expectation};
use crate::state::Sys;

/// Verdict of one property in one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Holds,
    Violated,
    Discovered,
    Undiscovered,
}

/// One step of a counterexample or witness.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Index of the action among those enabled (the replay token).
    pub index: usize,
    pub rule: String,
    /// The action as the model names it (`Rule: Debug` form, spec §8.4).
    pub action: String,
    /// The actor that takes the step, by name (`PMA@node1`, `PM Master`, `process 0`).
    pub actor: String,
    /// What the step does, in one line, with messages by name and requests by call.
    pub summary: String,
}

impl Step {
    fn of(model: &OsfModel, st: &Sys, index: usize, a: &Action) -> Step {
        Step {
            index,
            rule: rule_of(st, a, &model.cfg).to_string(),
            action: describe(st, a, &model.cfg),
            actor: crate::narrate::step_actor(st, a),
            summary: crate::narrate::step_summary(st, a),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PropResult {
    pub id: String,
    pub name: String,
    pub expectation: Expectation,
    pub verdict: Verdict,
    pub expected_violation: bool,
    pub path: Option<Vec<Step>>,
    pub replay: Option<String>,
    /// Liveness (spec §6.2): which obligation fails and how (stuck state or fair cycle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Liveness: index in `path` where the loop of a lasso starts (the path returns to the
    /// state reached before that step). `None` for a path ending in a stuck state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_start: Option<usize>,
    /// U1: the history of calls and answers along `path`, numbered by step (spec §13.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<String>>,
    /// Safety: how `path` was found: `dfs` (the depth-first search's path, cut at the first
    /// state where the property is false) or `bfs` (a shortest path, `check --search bfs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Safety: why the property is false at the end of `path`, naming the requests, pids
    /// and nodes at fault (`properties::why`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Safety and liveness: whether some reached state met the property's antecedent or the
    /// obligation's trigger (spec §6.4). `None` for reachability items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exercised: Option<bool>,
}

impl PropResult {
    /// Whether this verdict is what the spec expects. A property never exercised held
    /// vacuously, which is not what the spec expects either (spec §6.4).
    pub fn ok(&self) -> bool {
        if self.exercised == Some(false) {
            return false;
        }
        match (self.expectation, self.verdict) {
            (_, Verdict::Violated) => self.expected_violation,
            (Expectation::Sometimes, Verdict::Undiscovered) => false,
            _ => !self.expected_violation,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub name: String,
    pub config: crate::config::Config,
    pub unique_states: usize,
    pub states_generated: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub complete: bool,
    pub properties: Vec<PropResult>,
    /// Transitions per rule ID in the explicit graph (empty when liveness was not checked).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub rules: std::collections::BTreeMap<String, usize>,
}

impl RunResult {
    pub fn ok(&self) -> bool {
        self.complete && self.properties.iter().all(|p| p.ok())
    }
}

/// Options for one check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub threads: usize,
    pub symmetry: bool,
    /// Stop after this many generated states (stateright counts repeats too); the run is
    /// then incomplete.
    pub state_limit: Option<usize>,
    pub timeout: Option<Duration>,
    /// Replace each safety counterexample by a shortest one (`crate::shortest`).
    pub shortest: bool,
    /// Set from outside (a Ctrl-C handler) to cut the run short as a timeout does: the run
    /// is then incomplete.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Called about once a second with (unique states, max depth, elapsed).
    pub progress: Option<fn(&str, usize, usize, Duration)>,
    /// Called as each phase of a run starts: `safety` (the exhaustive search with the
    /// invariants) and `liveness` (L1-L5 on the explicit state graph).
    pub phase: Option<fn(&str, &'static str)>,
    /// How `replay` commands name the preset and run.
    pub replay_prefix: String,
    /// Also check L1-L5 on the explicit state graph (spec §6.2). Benchmarks turn it off to
    /// time the safety search alone.
    pub liveness: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            threads: 1,
            symmetry: true,
            state_limit: None,
            timeout: None,
            interrupt: None,
            shortest: false,
            progress: None,
            phase: None,
            replay_prefix: "osfmig replay".into(),
            liveness: true,
        }
    }
}

/// Turns a path of actions into steps with replay indices.
pub fn steps_of(model: &OsfModel, actions: &[Action]) -> Vec<Step> {
    let mut st = model.init_states().remove(0);
    let mut out = Vec::new();
    let mut enabled = Vec::new();
    for a in actions {
        enabled.clear();
        model.enabled(&st, &mut enabled);
        let index = enabled
            .iter()
            .position(|e| e == a)
            .expect("path action is enabled");
        out.push(Step::of(model, &st, index, a));
        st = model.step(&st, a).expect("step");
    }
    out
}

/// Replays a path of action indices; errors name the first step that does not apply.
pub fn replay(model: &OsfModel, indices: &[usize]) -> Result<(Vec<Step>, Sys), String> {
    let mut st = model.init_states().remove(0);
    let mut out = Vec::new();
    let mut enabled = Vec::new();
    for (k, &i) in indices.iter().enumerate() {
        enabled.clear();
        model.enabled(&st, &mut enabled);
        let Some(a) = enabled.get(i) else {
            return Err(format!(
                "step {}: index {i} but only {} actions are enabled",
                k + 1,
                enabled.len()
            ));
        };
        out.push(Step::of(model, &st, i, a));
        st = model.step(&st, a).expect("step");
    }
    Ok((out, st))
}

/// The actions a path of indices takes (it must replay: see [`replay`]).
pub fn actions_of(model: &OsfModel, indices: &[usize]) -> Vec<Action> {
    let mut st = model.init_states().remove(0);
    let mut enabled = Vec::new();
    let mut out = Vec::new();
    for &i in indices {
        enabled.clear();
        model.enabled(&st, &mut enabled);
        let Some(a) = enabled.get(i).cloned() else {
            break;
        };
        st = model.step(&st, &a).expect("step");
        out.push(a);
    }
    out
}

pub fn replay_command(prefix: &str, run: &RunSpec, steps: &[Step]) -> String {
    let path = steps
        .iter()
        .map(|s| s.index.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mutant = run
        .config
        .mutant
        .map(|m| format!(" --mutant {}", crate::mutants::info(m).name))
        .unwrap_or_default();
    format!("{prefix} --run {}{mutant} --path {path}", run.name)
}

/// Checks one run exhaustively (DFS, symmetry over the test nodes).
pub fn check_run(run: &RunSpec, opts: &CheckOptions) -> RunResult {
    let model = OsfModel::new(run.config.clone());
    let start = Instant::now();
    let mut builder = model.clone().checker().threads(opts.threads.max(1));
    if opts.symmetry {
        builder = builder.symmetry_fn(crate::symmetry::representative);
    }
    if let Some(n) = opts.state_limit {
        builder = builder.target_state_count(n);
    }
    // The deadline covers the safety search and the liveness graph: a watchdog sets the
    // model's stop flag, which cuts every successor off.
    // An interrupt (Ctrl-C, `CheckOptions::interrupt`) cuts the run the same way.
    let finished = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    if opts.timeout.is_some() || opts.interrupt.is_some() {
        let (stop, finished, timed_out) = (model.stop.clone(), finished.clone(), timed_out.clone());
        let (deadline, interrupt) = (opts.timeout, opts.interrupt.clone());
        std::thread::spawn(move || {
            loop {
                if finished.load(Ordering::Relaxed) {
                    return;
                }
                let late = deadline.is_some_and(|t| start.elapsed() >= t);
                let asked = interrupt
                    .as_ref()
                    .is_some_and(|i| i.load(Ordering::Relaxed));
                if late || asked {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            timed_out.store(true, Ordering::Relaxed);
            stop.store(true, Ordering::Relaxed);
        });
    }
    if let Some(f) = opts.phase {
        f(&run.name, "safety");
    }
    let checker = builder.spawn_dfs();
    let mut last = Instant::now();
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(20));
        if let Some(f) = opts.progress {
            if last.elapsed() >= Duration::from_secs(1) {
                last = Instant::now();
                f(
                    &run.name,
                    checker.unique_state_count(),
                    checker.max_depth(),
                    start.elapsed(),
                );
            }
        }
    }
    let checker = checker.join();
    let unique = checker.unique_state_count();
    // stateright's target counts generated states (with repeats), not unique ones.
    let cut_by_limit = opts.state_limit.is_some_and(|n| checker.state_count() >= n);
    let cut_by_time = timed_out.load(Ordering::Relaxed);
    let mut complete = !cut_by_limit && !cut_by_time && !model.boundary_was_hit();
    let discoveries = checker.discoveries();
    let mut antecedent = 0;
    let mut properties = registry(&run.config)
        .into_iter()
        .map(|p| {
            let exercised = p.antecedent.map(|_| {
                antecedent += 1;
                model.exercised.met(antecedent - 1) || discoveries.contains_key(p.id)
            });
            // stateright knows each property by its ID (`OsfModel::properties`).
            let found = discoveries.get(p.id);
            let verdict = match (p.expectation, found.is_some()) {
                (Expectation::Sometimes, true) => Verdict::Discovered,
                (Expectation::Sometimes, false) => Verdict::Undiscovered,
                (_, true) => Verdict::Violated,
                (_, false) => Verdict::Holds,
            };
            let mut actions = found.map(|path| path.clone().into_actions());
            // A safety counterexample ends where its property first fails: the path
            // stateright rebuilds under symmetry can run on past that state (spec §8.4).
            let mut search = None;
            if let (Expectation::Always, Some(a)) = (p.expectation, actions.as_mut()) {
                let keep = crate::properties::why::first_failure(&model, p.check, a);
                a.truncate(keep);
                search = Some("dfs".to_string());
                if opts.shortest {
                    let limit = opts.state_limit.unwrap_or(SHORTEST_STATES_MAX);
                    if let Shortest::Found(path) = shortest(&model, p.check, opts.symmetry, limit) {
                        *a = path;
                        search = Some("bfs".to_string());
                    }
                }
            }
            let path = actions.as_ref().map(|a| steps_of(&model, a));
            let why = actions
                .as_ref()
                .filter(|_| p.expectation == Expectation::Always && verdict == Verdict::Violated)
                .and_then(|a| crate::properties::why::why_of_path(&model, p.id, a));
            let history = actions
                .filter(|_| p.id == "U1")
                .map(|a| crate::linearizability::history(&model, &a));
            let replay = path
                .as_ref()
                .map(|s| replay_command(&opts.replay_prefix, run, s));
            PropResult {
                id: p.id.to_string(),
                name: p.name.to_string(),
                expectation: p.expectation,
                verdict,
                expected_violation: run.expected_violations.contains(&p.id),
                path,
                replay,
                detail: None,
                loop_start: None,
                why,
                search,
                history,
                exercised,
            }
        })
        .collect::<Vec<_>>();
    // Rule coverage comes from the explicit graph the liveness check builds.
    let mut rules = std::collections::BTreeMap::new();
    if opts.liveness && run.liveness && crate::liveness::applies(&run.config) {
        // Liveness (spec §6.2) on the explicit state graph, without symmetry.
        if let Some(f) = opts.phase {
            f(&run.name, "liveness");
        }
        let limit = opts
            .state_limit
            .unwrap_or(crate::liveness::DEFAULT_STATE_LIMIT);
        let (live, live_complete, hits) =
            crate::liveness::check_liveness_of(&model, run, limit, &opts.replay_prefix);
        properties.extend(live);
        rules = hits.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        complete &= live_complete;
    }
    finished.store(true, Ordering::Relaxed);
    complete &= !timed_out.load(Ordering::Relaxed);
    let seconds = start.elapsed().as_secs_f64();
    RunResult {
        name: run.name.clone(),
        config: run.config.clone(),
        unique_states: unique,
        states_generated: checker.state_count(),
        max_depth: checker.max_depth(),
        seconds,
        complete,
        properties,
        rules,
    }
}

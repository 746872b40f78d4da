//! # Liveness under weak fairness (spec §6.2): L1-L5
//!
//! stateright's `eventually` is not liveness checking (it ignores cycles and has no fairness),
//! so this module builds the explicit reachable state graph of a run itself, without symmetry,
//! and checks every liveness property as a family of obligations `□(trigger → ◇ goal)`, one
//! per pid or per request, so that one obligation's progress never hides another's starvation.
//!
//! ## Exploration
//!
//! Breadth-first from the initial state. States are identified by a 64-bit fingerprint (SipHash
//! with fixed keys, as stateright does: the chance of a collision is about n²/2⁶⁵, 10⁻⁷ at two
//! million states) and only the graph is kept: for each state its outgoing edges (action,
//! fairness key, successor) and, per obligation, whether its trigger and its goal hold. States
//! beyond the model's boundary (`queue_len_max`) or beyond the state limit are not added; the
//! edge that reaches them keeps its fairness key (the step is enabled) but has no successor,
//! and the exploration is reported incomplete. Such a missing edge can only make a cycle look
//! unfair, never fair, so the violations found in an incomplete graph are genuine.
//!
//! ## Fairness (spec §6.2)
//!
//! *Weak fairness* for the protocol's own steps: a step that stays enabled forever is
//! eventually taken. The protocol steps are
//! - every message delivery (`Action::Deliver`), with the fairness key the delivered envelope
//!   (source, destination, message), ignoring the environment's `exhausted` choice: a refusal
//!   (R7) and an acceptance (R9) both count as delivering the MigrateRequest;
//! - the PMA and kernel steps `Suspend` (R3), `AbortRestartable` (R4'), `Freeze` (R5),
//!   `Detach` (R6), `Pull` (R11), `Install` (R12), `InformPmm` (R13), `PreCopy`,
//!   `PreCopyDone`, `Detect` (dead-name notifications, C1-C4) and `Bury`, each keyed by the
//!   action itself.
//!
//! *No fairness* for the environment's choices: `Issue`, `FileRead`, `ConsumeReply`, `Touch`,
//! `Dirty`, `PcntlMigrate`, `Crash` and `Abandon` (R10). The environment may stop acting at
//! any time: in particular a child may never `exit()`, which is what leaves a parent's `wait()`
//! in progress forever (R4).
//!
//! An obligation is violated when a reachable state where it is pending (triggered, goal not
//! yet reached) either
//! - is *stuck*: no weakly fair step is enabled there, so the environment may stop acting and
//!   nothing else will ever happen; or
//! - lies in a *fair* strongly connected component of the pending subgraph: one that is
//!   non-trivial (more than one state, or a self-loop) and in which every weakly fair key
//!   enabled in *all* its states labels some edge inside it. A run that loops through every
//!   state and edge of such a component forever is fair and never reaches the goal; when the
//!   test fails, no infinite path inside the component is fair (the key is enabled throughout
//!   and never taken), and for weak fairness no sub-component can do better.
//!
//! The counterexample is a lasso: a shortest path from the initial state to the stuck state or
//! to the component (breadth-first parent pointers), followed for a component by one fair loop
//! around it back to its entry state (it takes each key enabled throughout the loop).

mod fair_cycle;
mod obligations;

pub use fair_cycle::{find_violation, Edge, Graph, Lasso, NO_KEY, NO_STATE};
pub use obligations::*;

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use stateright::Model;

use crate::check::{replay_command, steps_of, PropResult, Verdict};
use crate::config::Config;
use crate::model::{Action, OsfModel};
use crate::presets::RunSpec;
use crate::properties::Expectation;
use crate::state::*;

/// Unique states explored before the liveness check gives up (the run is then incomplete).
pub const DEFAULT_STATE_LIMIT: usize = 2_000_000;

/// Whether the liveness check applies to a configuration. Always: it is cheap next to the
/// safety run.
pub fn applies(_cfg: &Config) -> bool {
    true
}

/// The explored graph of one configuration.
pub struct Explored {
    pub graph: Graph<Action>,
    pub obligations: Vec<Obligation>,
    /// Breadth-first parent (state, edge) of each state.
    pub parent: Vec<(u32, u32)>,
    /// First state (in breadth-first order) breaking L2's bound on AbsentProcess answers.
    pub l2_bound_broken: Option<u32>,
    pub complete: bool,
    /// Transitions explored per rule ID (spec §3): the run's rule coverage.
    pub rule_hits: std::collections::BTreeMap<&'static str, usize>,
    /// Obligations whose trigger held in some explored state (spec §6.4), bit per obligation.
    pub triggered: u64,
}

fn fingerprint(st: &Sys) -> u64 {
    let mut h = DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

/// Explores every state of `model` reachable from its initial state, up to `state_limit`.
pub fn explore(model: &OsfModel, state_limit: usize) -> Explored {
    let cfg = &model.cfg;
    let obligations = obligations(cfg);
    let mut graph = Graph::default();
    let mut index: HashMap<u64, u32> = HashMap::new();
    let mut keys: HashMap<FairKey, u32> = HashMap::new();
    let mut parent = Vec::new();
    let mut l2_bound_broken = None;
    let mut complete = true;
    let mut queue = VecDeque::new();
    let init = model.init_states().remove(0);
    index.insert(fingerprint(&init), 0);
    parent.push((NO_STATE, NO_STATE));
    queue.push_back(init);
    let mut enabled = Vec::new();
    let mut next_id = 1u32;
    let mut rule_hits = std::collections::BTreeMap::new();
    let mut triggered = 0u64;
    while let Some(st) = queue.pop_front() {
        let me = graph.states() as u32;
        let (mut trig, mut goal) = (0u64, 0u64);
        for (i, ob) in obligations.iter().enumerate() {
            let (t, g) = ob.eval(cfg, &st);
            trig |= (t as u64) << i;
            goal |= (g as u64) << i;
        }
        triggered |= trig;
        if l2_bound_broken.is_none() && !l2_absent_bounded(&st) {
            l2_bound_broken = Some(me);
        }
        enabled.clear();
        model.enabled(&st, &mut enabled);
        let mut edges = Vec::with_capacity(enabled.len());
        for a in enabled.drain(..) {
            *rule_hits
                .entry(crate::model::rule_of(&st, &a, cfg))
                .or_insert(0) += 1;
            let key = match fairness_key(&st, &a) {
                Some(k) => {
                    let n = keys.len() as u32;
                    *keys.entry(k).or_insert(n)
                }
                None => NO_KEY,
            };
            let mut to = NO_STATE;
            if let Some(next) = model.step(&st, &a) {
                if model.within_boundary(&next) {
                    let fp = fingerprint(&next);
                    if let Some(&t) = index.get(&fp) {
                        to = t;
                    } else if (next_id as usize) < state_limit {
                        to = next_id;
                        next_id += 1;
                        index.insert(fp, to);
                        parent.push((me, (graph.edges.len() + edges.len()) as u32));
                        queue.push_back(next);
                    } else {
                        complete = false;
                    }
                } else {
                    complete = false;
                }
            }
            edges.push(Edge { action: a, key, to });
        }
        graph.push_state(trig, goal, edges);
    }
    Explored {
        graph,
        obligations,
        parent,
        l2_bound_broken,
        complete,
        rule_hits,
        triggered,
    }
}

/// Checks L1-L5 on `run`'s configuration: one result per property (spec §6.2), and whether
/// the exploration was complete.
pub fn check_liveness(run: &RunSpec, state_limit: usize) -> (Vec<PropResult>, bool) {
    let (results, complete, _) = check_liveness_with(run, state_limit, "osfmig replay");
    (results, complete)
}

/// Rule IDs with the number of transitions of each in the explored graph.
pub type RuleHits = std::collections::BTreeMap<&'static str, usize>;

/// [`check_liveness`] with the prefix of the replay commands.
pub fn check_liveness_with(
    run: &RunSpec,
    state_limit: usize,
    replay_prefix: &str,
) -> (Vec<PropResult>, bool, RuleHits) {
    check_liveness_of(
        &OsfModel::new(run.config.clone()),
        run,
        state_limit,
        replay_prefix,
    )
}

/// [`check_liveness_with`] on a given model (whose stop flag a caller's deadline may set).
pub fn check_liveness_of(
    model: &OsfModel,
    run: &RunSpec,
    state_limit: usize,
    replay_prefix: &str,
) -> (Vec<PropResult>, bool, RuleHits) {
    let model = model.clone();
    let ex = explore(&model, state_limit);
    let g = &ex.graph;
    let actions_of = |edges: &[u32]| {
        edges
            .iter()
            .map(|&e| g.edges[e as usize].action.clone())
            .collect::<Vec<_>>()
    };
    let mut results = Vec::new();
    for (id, name) in properties(&run.config) {
        // The shortest violation over this property's obligations.
        let mut found: Option<(Lasso, String)> = None;
        for (i, ob) in ex.obligations.iter().enumerate() {
            if ob.prop() != id {
                continue;
            }
            if let Some(l) = find_violation(g, i) {
                if found.as_ref().is_none_or(|(b, _)| l.len() < b.len()) {
                    let how = if l.stuck() {
                        "stuck: no weakly fair step is enabled and the environment may stop"
                            .to_string()
                    } else {
                        format!("fair cycle in a component of {} states", l.component)
                    };
                    found = Some((l, format!("{} ({how})", ob.describe())));
                }
            }
        }
        if id == "L2" && found.is_none() {
            if let Some(s) = ex.l2_bound_broken {
                let mut edges = Vec::new();
                let mut cur = s;
                while ex.parent[cur as usize].0 != NO_STATE {
                    edges.push(ex.parent[cur as usize].1);
                    cur = ex.parent[cur as usize].0;
                }
                edges.reverse();
                let lasso = Lasso {
                    prefix: edges,
                    cycle: Vec::new(),
                    component: 0,
                };
                found = Some((
                    lasso,
                    "more AbsentProcess answers than migrations since the last look-up + 1"
                        .to_string(),
                ));
            }
        }
        let (verdict, path, replay, detail, loop_start) = match found {
            None => (Verdict::Holds, None, None, None, None),
            Some((l, detail)) => {
                let mut actions = actions_of(&l.prefix);
                actions.extend(actions_of(&l.cycle));
                let steps = steps_of(&model, &actions);
                let replay = replay_command(replay_prefix, run, &steps);
                let loop_start = (!l.stuck()).then_some(l.prefix.len());
                (
                    Verdict::Violated,
                    Some(steps),
                    Some(replay),
                    Some(detail),
                    loop_start,
                )
            }
        };
        results.push(PropResult {
            id: id.to_string(),
            name: name.to_string(),
            expectation: Expectation::Eventually,
            verdict,
            expected_violation: run.expected_violations.contains(&id),
            path,
            replay,
            detail,
            loop_start,
            why: None,
            search: None,
            history: None,
            exercised: Some(
                ex.obligations
                    .iter()
                    .enumerate()
                    .any(|(i, ob)| ob.prop() == id && ex.triggered & (1 << i) != 0),
            ),
        });
    }
    (
        results,
        ex.complete && !model.boundary_was_hit(),
        ex.rule_hits,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::replay;
    use crate::presets::find_run;
    use crate::types::Call;

    fn verdict(run: &str, id: &str) -> PropResult {
        let run = find_run(run).expect("catalog run");
        let (res, complete) = check_liveness(&run, DEFAULT_STATE_LIMIT);
        assert!(complete, "{} explored completely", run.name);
        res.into_iter()
            .find(|p| p.id == id)
            .expect("property checked")
    }

    fn indices(p: &PropResult) -> Vec<usize> {
        p.path
            .as_ref()
            .expect("path")
            .iter()
            .map(|s| s.index)
            .collect()
    }

    #[test]
    fn wait_blocks_the_freeze_forever() {
        let p = verdict("wait-freeze", "L1");
        assert_eq!(p.verdict, Verdict::Violated);
        assert!(p.ok(), "wait-freeze expects L1 violated");
        assert_eq!(p.loop_start, None, "a stuck state, not a cycle");
        let model = OsfModel::new(find_run("wait-freeze").unwrap().config);
        let (steps, last) = replay(&model, &indices(&p)).expect("replays");
        // The parent is being frozen while its wait() is in progress, and nothing fair is left.
        let node = last.active_node(0).expect("parent active");
        let Local::Active { proc, out: Some(_) } = &last.pma(node).procs[0] else {
            panic!("parent not freezing: {last:?}")
        };
        let r = proc.in_progress.expect("a call in progress");
        assert_eq!(last.reqs[r as usize].call, Call::Wait);
        let mut en = Vec::new();
        model.enabled(&last, &mut en);
        assert!(
            en.iter().all(|a| fairness_key(&last, a).is_none()),
            "stuck: {en:?}"
        );
        assert!(
            steps.iter().any(|s| s.action.contains("Wait")),
            "the path issues the wait()"
        );
    }

    #[test]
    fn check_run_appends_liveness_verdicts() {
        let run = find_run("wait-freeze").unwrap();
        let res = crate::check::check_run(&run, &crate::check::CheckOptions::default());
        assert!(res.complete);
        let l1 = res
            .properties
            .iter()
            .find(|p| p.id == "L1")
            .expect("L1 reported");
        assert_eq!(
            (l1.expectation, l1.verdict),
            (Expectation::Eventually, Verdict::Violated)
        );
        assert!(l1
            .replay
            .as_deref()
            .is_some_and(|r| r.starts_with("osfmig replay --run wait-freeze --path ")));
        assert!(res.ok(), "every verdict of wait-freeze is the expected one");
    }

    #[test]
    fn r4_prime_ends_every_migration() {
        assert_eq!(verdict("r4-prime", "L1").verdict, Verdict::Holds);
    }

    #[test]
    fn group_atomicity_fails_with_refusals_only() {
        let p = verdict("group", "L5");
        assert_eq!(p.verdict, Verdict::Violated);
        assert!(p.ok());
        let model = OsfModel::new(find_run("group").unwrap().config);
        let (_, last) = replay(&model, &indices(&p)).expect("replays");
        assert!(!l5_goal(&last));
        assert_eq!(verdict("group-norefusal", "L5").verdict, Verdict::Holds);
    }
}

//! spec §12.12 Coverage: hits per action × fault class.
//!
//! Three sources are counted separately: model traces (each event's `rule`), refimpl traces
//! (their stimuli and the rule labels the refimpl's timeline named, `params.labels`), and,
//! when asked, the model's exploration of a preset's runs (every transition of each small
//! run's state graph, as the liveness check explores it).
//!
//! **Fault class.** A trace's class is the strongest fault it shows: `crash` (a `C* NodeCrash`
//! stimulus) over `abandon` (an `R10` step or label) over `refusal` (an `R7` step or label)
//! over `none`; each of its hits counts under that class. A transition of the model's
//! exploration counts under the class of the history that led to its target state (the
//! model's crash counter, then its `ABANDON` and `REFUSAL` ghost bits).
//!
//! **Refimpl labels.** The refimpl's timeline names action IDs (`R6`, `C1`), not rule
//! labels; an ID of exactly one rule counts for that rule; `R13` counts for `R13
//! InformPMMAndRestart` (the refimpl logs it when restarting at D and when the PM Master
//! records the new node; it logs no hold); the crash cases `C1`, `C2`, `C4` count for `C*
//! DetectCrash` (the refimpl's handling of a detected crash), `C5` (the PM Master buries)
//! for `C* PMMBury`, `C3` for `C3 ProcessDied`; a `C*` label (a crash, a request lost with a
//! node) counts for nothing beyond the `C* NodeCrash` stimulus itself.
//!
//! **Reachability items** (the `sometimes` items of `model::properties::registry`). In model
//! traces and the model's exploration they are evaluated exactly, on the model's states. In
//! refimpl traces the observation (spec §12.7), the labels and the refimpl's claims
//! (`reached`, spec §12.16) are there; each item has an evidence rule over them
//! ([`refimpl_evidence`]), and a refimpl trace counts for an item only when its evidence shows
//! it *and* some model explanation of the trace (`validate`) reaches it.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use osfmig_model::model::{rule_of, RULES};
use osfmig_model::presets::RunSpec;
use osfmig_model::properties::{registry, Expectation, PropDef};
use osfmig_model::state::Seen;
use osfmig_model::{Config, OsfModel, Sys};
use serde::Serialize;
use serde_json::Value;

use crate::format::{action_id, TAU};
use crate::parse::Trace;
use crate::shrink::reexecute;
use crate::validate::{run_of, Limits};

/// The fault classes, weakest first.
pub const FAULT_CLASSES: [&str; 4] = ["none", "refusal", "abandon", "crash"];

/// Hits per fault class, in [`FAULT_CLASSES`] order.
pub type Hits = [usize; 4];

/// The fault class of a trace, as an index into [`FAULT_CLASSES`].
pub fn fault_class(trace: &Trace) -> usize {
    let mut class = 0;
    for ev in &trace.events {
        let labels = labels_of(&ev.params);
        let has = |id: &str| action_id(&ev.rule) == id || labels.iter().any(|l| l == id);
        if ev.rule == "C* NodeCrash" && (ev.actor == "env" || trace.header.source == "model") {
            class = class.max(3);
        } else if has("R10") {
            class = class.max(2);
        } else if has("R7") {
            class = class.max(1);
        }
    }
    class
}

/// The refimpl timeline labels an event carries: its own step's, and those of the
/// stuttering steps recorded with it (spec §12.9).
fn labels_of(params: &Value) -> Vec<String> {
    ["labels", "stutter_labels"]
        .iter()
        .filter_map(|k| params.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// The rules a refimpl timeline label counts for (see the module documentation).
pub fn rules_of_label(label: &str) -> Vec<&'static str> {
    let by_id = |id: &str| -> Vec<&'static str> {
        RULES
            .iter()
            .copied()
            .filter(|r| action_id(r) == id)
            .collect()
    };
    match label {
        "R13" => vec!["R13 InformPMMAndRestart"],
        "R13-hold" => vec!["R13 HoldUntilRestart"],
        // The refimpl's G2 label names a pcntl(MIGRATE) rejected (S-disallowed's evidence);
        // pcntl(ALLOW/DISALLOW) served has a label of its own.
        "G2-allow" => vec!["G2 AllowDisallow"],
        "C1" | "C2" | "C4" => vec!["C* DetectCrash"],
        "C5" => vec!["C* PMMBury"],
        "C3" => vec!["C3 ProcessDied"],
        "C*" => Vec::new(),
        other => {
            let r = by_id(other);
            if r.len() == 1 {
                r
            } else {
                Vec::new()
            }
        }
    }
}

/// The rules one refimpl event counts for: a stimulus's own rule, and its labels' rules.
fn refimpl_event_rules(ev: &crate::format::Event) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    let stimulus = matches!(
        crate::bridge::Stimulus::parse(&ev.rule, &ev.actor, &ev.params),
        Ok(Some(_))
    );
    if stimulus {
        if let Some(r) = RULES.iter().find(|r| **r == ev.rule) {
            out.insert(*r);
        }
    }
    for l in labels_of(&ev.params) {
        out.extend(rules_of_label(&l));
    }
    out
}

/// How a reachability item shows in refimpl traces.
#[derive(Clone, Copy, Debug)]
pub enum Evidence {
    /// The evidence rule, described.
    Observable(&'static str),
    /// Why the traces cannot show it.
    NotObservable(&'static str),
}

/// The evidence of an item the refimpl's monitors report (spec §12.16).
const CLAIM: &str = "the refimpl's own monitor reports it (`reached`)";

/// The evidence rule of a reachability item in refimpl traces.
pub fn refimpl_evidence(id: &str) -> Evidence {
    use Evidence::*;
    match id {
        "S-refusal" => Observable("an R7 label"),
        "S-abandon" => Observable("an R10 label"),
        "S-C1" => Observable("a C1 label"),
        "S-C2" => Observable("a C2 label"),
        "S-C3" => Observable("a C3 label"),
        "S-C4-died" => Observable("a C4 label"),
        "S-absent-relookup" => Observable("an R15 label, then an R16 label"),
        "S-disallowed" => Observable("a G2 label (the refimpl logs a rejected pcntl(MIGRATE))"),
        "S-migrated-twice" => Observable(
            "the PM Master's recorded node of one alive pid changes twice without the pid dying",
        ),
        "S-task-only-call" => Observable(
            "an EM1 stimulus by a pid whose task is on another node than its recorded PMA node",
        ),
        "S-r4-prime" => Observable("an R4' label"),
        "S-group-migrated" => Observable(
            "in a group run, every pid alive and recorded on one node other than node 1 \
             (their home in the group runs)",
        ),
        "S-group-split" => Observable(
            "in a group run, every pid alive, no proc migrating or incoming anywhere, two pids \
             recorded on different nodes",
        ),
        "S-fork" => Observable("a PM3 label, or a pid going from unborn to embryo or alive"),
        "S-pid-reused" => Observable(
            "a pid alive or a zombie, then unborn or dead, then an embryo or alive again",
        ),
        // The cases the projection does not show (request queues, page homes, freeze
        // flags, message order: spec §12.7) the refimpl's own monitors report.
        "S-C4-survived"
        | "S-C4-queue-lost"
        | "S-admission-held"
        | "S-queued-forwarded"
        | "S-cor-fault"
        | "S-flush-fault"
        | "S-precopy-dirty"
        | "S-port-queue"
        | "S-wait-delays-freeze"
        | "S-queued-reinstated"
        | "S-second-migrate-rejected"
        | "S-group-remote"
        | "S-sigsuspend-woken"
        | "S-sigsuspend-pending"
        | "S-sigsuspend-aborted"
        | "S-allow-changed"
        | "S-overtaken" => Observable(CLAIM),
        _ => NotObservable("no evidence rule is defined for this item yet"),
    }
}

fn life(s: &Value, pid: usize) -> &str {
    s.get("pm")
        .and_then(|p| p.get(pid))
        .and_then(|e| e.get("life"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn pm_node(s: &Value, pid: usize) -> Option<u64> {
    s.get("pm")?.get(pid)?.get("node")?.as_u64()
}

fn pid_count(s: &Value) -> usize {
    s.get("pm").and_then(Value::as_array).map_or(0, Vec::len)
}

/// Whether a refimpl trace shows the item (by its evidence rule); `None` when not observable.
pub fn refimpl_shows(id: &str, trace: &Trace) -> Option<bool> {
    if let Evidence::NotObservable(_) = refimpl_evidence(id) {
        return None;
    }
    let labels: Vec<String> = trace
        .events
        .iter()
        .flat_map(|e| labels_of(&e.params))
        .collect();
    let has = |l: &str| labels.iter().any(|x| x == l);
    let states: Vec<&Value> = trace
        .events
        .iter()
        .filter_map(|e| e.state.as_ref())
        .collect();
    let pids = states.first().map_or(0, |s| pid_count(s));
    let group = trace.header.config.get("group").and_then(Value::as_bool) == Some(true);
    // Any item the refimpl's monitors report counts (held against the model by `check`).
    if trace
        .events
        .iter()
        .any(|e| e.reached.iter().any(|r| r == id))
    {
        return Some(true);
    }
    Some(match id {
        "S-refusal" => has("R7"),
        "S-abandon" => has("R10"),
        "S-C1" => has("C1"),
        "S-C2" => has("C2"),
        "S-C3" => has("C3"),
        "S-C4-died" => has("C4"),
        "S-r4-prime" => has("R4'"),
        "S-disallowed" => has("G2"),
        "S-absent-relookup" => labels
            .iter()
            .position(|l| l == "R15")
            .is_some_and(|i| labels[i..].iter().any(|l| l == "R16")),
        "S-migrated-twice" => (0..pids).any(|p| {
            let mut moves = 0;
            let mut last: Option<u64> = None;
            for s in &states {
                match (life(s, p), pm_node(s, p)) {
                    ("alive", Some(n)) => {
                        if last.is_some_and(|l| l != n) {
                            moves += 1;
                        }
                        last = Some(n);
                    }
                    ("alive", None) | ("zombie", _) => {}
                    _ => {
                        moves = 0;
                        last = None;
                    }
                }
                if moves >= 2 {
                    return true;
                }
            }
            false
        }),
        "S-task-only-call" => trace.events.iter().any(|e| {
            e.rule == "EM1 Syscall"
                && e.state.as_ref().is_some_and(|s| {
                    let Some(p) = e.params.get("pid").and_then(Value::as_u64) else {
                        return false;
                    };
                    let task = s
                        .get("tasks")
                        .and_then(|t| t.get(p as usize))
                        .and_then(Value::as_u64);
                    task.is_some()
                        && pm_node(s, p as usize).is_some()
                        && task != pm_node(s, p as usize)
                })
        }),
        // Only G1 migrates a group; the model records both items when a group migration
        // ends (spec §6.3).
        "S-group-migrated" if !group => false,
        "S-group-split" if !group => false,
        "S-group-migrated" => states.iter().any(|s| {
            let nodes: Vec<Option<u64>> = (0..pids)
                .map(|p| (life(s, p) == "alive").then(|| pm_node(s, p)).flatten())
                .collect();
            pids > 0
                && nodes.iter().all(|n| n.is_some_and(|n| n != 1))
                && nodes.windows(2).all(|w| w[0] == w[1])
        }),
        "S-group-split" => states.iter().any(|s| {
            let quiet = s.get("nodes").and_then(Value::as_array).is_some_and(|ns| {
                ns.iter().all(|n| {
                    n.get("procs").and_then(Value::as_array).is_some_and(|ps| {
                        ps.iter()
                            .all(|p| matches!(p.as_str(), Some("free") | Some("active")))
                    })
                })
            });
            let nodes: Vec<Option<u64>> = (0..pids)
                .map(|p| (life(s, p) == "alive").then(|| pm_node(s, p)).flatten())
                .collect();
            quiet
                && pids > 1
                && nodes.iter().all(Option::is_some)
                && nodes.windows(2).any(|w| w[0] != w[1])
        }),
        "S-fork" => {
            has("PM3")
                || (0..pids).any(|p| {
                    states.windows(2).any(|w| {
                        life(w[0], p) == "unborn" && matches!(life(w[1], p), "embryo" | "alive")
                    })
                })
        }
        "S-pid-reused" => (0..pids).any(|p| {
            let mut phase = 0;
            for s in &states {
                let l = life(s, p);
                phase = match (phase, l) {
                    (0, "alive" | "zombie") => 1,
                    (1, "unborn" | "dead") => 2,
                    (2, "embryo" | "alive") => 3,
                    (ph, _) => ph,
                };
            }
            phase == 3
        }),
        // Shown only by a claim (above).
        _ => false,
    })
}

/// One reachability item's coverage.
#[derive(Clone, Debug, Serialize)]
pub struct ReachRow {
    pub id: String,
    pub name: String,
    /// Model traces (of a run where the item applies) that reach it.
    pub model_traces: usize,
    /// Refimpl traces that show it (`None`: not observable in refimpl traces).
    pub refimpl_traces: Option<usize>,
    /// Whether the model's exploration discovered it (`None`: no exploration, or no explored
    /// run where it applies).
    pub model_exploration: Option<bool>,
    /// The evidence rule in refimpl traces, or why there is none.
    pub refimpl_evidence: String,
    pub observable: bool,
}

/// One action's coverage: hits per fault class and source.
#[derive(Clone, Debug, Serialize)]
pub struct ActionRow {
    pub rule: String,
    pub model_traces: BTreeMap<&'static str, usize>,
    pub refimpl_traces: BTreeMap<&'static str, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_exploration: Option<BTreeMap<&'static str, usize>>,
}

/// The model's exploration of one run, for coverage.
#[derive(Clone, Debug, Default)]
pub struct Explored {
    pub run: String,
    pub states: usize,
    pub complete: bool,
    pub hits: BTreeMap<&'static str, Hits>,
    /// Sometimes items of the run's registry, and whether discovered.
    pub reach: Vec<(&'static str, &'static str, bool)>,
}

fn class_of_state(st: &Sys) -> usize {
    if st.crashes > 0 {
        3
    } else if st.ghost.seen.has(Seen::ABANDON) {
        2
    } else if st.ghost.seen.has(Seen::REFUSAL) {
        1
    } else {
        0
    }
}

fn sometimes_of(cfg: &Config) -> Vec<PropDef> {
    registry(cfg)
        .into_iter()
        .filter(|p| p.expectation == Expectation::Sometimes)
        .collect()
}

/// Explores every state of a run breadth-first (no symmetry, within the run's network
/// bound), up to `state_limit` states, counting transitions per rule and fault class.
pub fn explore_run(spec: &RunSpec, state_limit: usize) -> Explored {
    let cfg = &spec.config;
    let model = OsfModel::new(cfg.clone());
    let props = sometimes_of(cfg);
    let mut found = vec![false; props.len()];
    let init = Sys::initial(cfg);
    let mut seen: HashSet<Sys> = HashSet::new();
    seen.insert(init.clone());
    let mut queue = VecDeque::from([init]);
    let mut hits: BTreeMap<&'static str, Hits> = BTreeMap::new();
    let mut complete = true;
    let mut acts = Vec::new();
    while let Some(st) = queue.pop_front() {
        for (i, p) in props.iter().enumerate() {
            if !found[i] && (p.check)(&model, &st) {
                found[i] = true;
            }
        }
        acts.clear();
        model.enabled(&st, &mut acts);
        for a in &acts {
            let Some(next) = model.step(&st, a) else {
                continue;
            };
            if next.net.len() > cfg.queue_len_max as usize {
                complete = false;
                continue;
            }
            hits.entry(rule_of(&st, a, cfg)).or_insert([0; 4])[class_of_state(&next)] += 1;
            if !seen.contains(&next) {
                if seen.len() >= state_limit {
                    complete = false;
                    continue;
                }
                seen.insert(next.clone());
                queue.push_back(next);
            }
        }
    }
    Explored {
        run: spec.name.clone(),
        states: seen.len(),
        complete,
        hits,
        reach: props
            .iter()
            .zip(found)
            .map(|(p, f)| (p.id, p.name, f))
            .collect(),
    }
}

/// A trace judged before it is counted: a model trace's states along it, or the model's
/// verdict on a refimpl trace.
enum Judged {
    Model(Vec<(osfmig_model::Action, Sys)>),
    Refimpl(crate::validate::Verdict),
}

/// Coverage gathered so far.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub model_traces: usize,
    pub refimpl_traces: usize,
    pub steps: usize,
    /// Per source (`model`, `refimpl`), per rule (and `τ Internal`), hits per fault class.
    pub model_hits: BTreeMap<String, Hits>,
    pub refimpl_hits: BTreeMap<String, Hits>,
    /// Traces per fault class, per source.
    pub model_classes: Hits,
    pub refimpl_classes: Hits,
    /// Reachability items: id -> (name, model traces reaching it, refimpl traces showing it).
    pub reach: BTreeMap<String, (String, usize, usize)>,
    /// Refimpl traces the model rejects (`traces check`): their items count for nothing.
    pub refimpl_rejected: usize,
    /// Trace files left out as bad input (unreadable, malformed, or not valid for the model).
    pub malformed: usize,
    pub explored: Vec<Explored>,
    /// Runs of the preset not explored, with why.
    pub not_explored: Vec<(String, String)>,
}

impl Coverage {
    /// Adds one trace (read from `path`, named in errors). What can fail is done first: a
    /// trace that is bad input leaves the counts as they were.
    pub fn add(&mut self, trace: &Trace, path: &str) -> Result<(), String> {
        let spec = run_of(trace).map_err(|e| format!("{path}:1: {e}"))?;
        let cfg = &spec.config;
        let judged = match trace.header.source.as_str() {
            "model" => Judged::Model(
                reexecute(&trace.events, cfg).map_err(|(i, e)| format!("{path}:{}: {e}", i + 2))?,
            ),
            // An item counts when the trace's evidence or the refimpl's claim shows it and
            // some model explanation of the trace reaches it too (spec §12.12).
            "refimpl" => {
                Judged::Refimpl(crate::validate::validate(trace, path, &Limits::default())?)
            }
            other => return Err(format!("{path}:1: unknown trace source `{other}`")),
        };
        let class = fault_class(trace);
        self.steps += trace.events.len();
        let props = sometimes_of(cfg);
        for p in &props {
            self.reach
                .entry(p.id.to_string())
                .or_insert_with(|| (p.name.to_string(), 0, 0));
        }
        match judged {
            Judged::Model(states) => {
                self.model_traces += 1;
                self.model_classes[class] += 1;
                for ev in &trace.events {
                    self.model_hits.entry(ev.rule.clone()).or_insert([0; 4])[class] += 1;
                }
                // Reachability, exactly: on the model's states along the trace.
                let model = OsfModel::new(cfg.clone());
                let init = Sys::initial(cfg);
                for p in &props {
                    let reached = std::iter::once(&init)
                        .chain(states.iter().map(|(_, s)| s))
                        .any(|s| (p.check)(&model, s));
                    if reached {
                        if let Some(r) = self.reach.get_mut(p.id) {
                            r.1 += 1;
                        }
                    }
                }
            }
            Judged::Refimpl(verdict) => {
                self.refimpl_traces += 1;
                self.refimpl_classes[class] += 1;
                for ev in &trace.events {
                    let rules = refimpl_event_rules(ev);
                    if rules.is_empty() {
                        self.refimpl_hits.entry(TAU.to_string()).or_insert([0; 4])[class] += 1;
                    }
                    for r in rules {
                        self.refimpl_hits.entry(r.to_string()).or_insert([0; 4])[class] += 1;
                    }
                }
                if !verdict.accepted() {
                    self.refimpl_rejected += 1;
                    return Ok(());
                }
                for p in &props {
                    if refimpl_shows(p.id, trace) == Some(true) && verdict.items.contains(p.id) {
                        if let Some(r) = self.reach.get_mut(p.id) {
                            r.2 += 1;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds the model's exploration of a run.
    pub fn add_explored(&mut self, e: Explored) {
        for (id, name, _) in &e.reach {
            self.reach
                .entry(id.to_string())
                .or_insert_with(|| (name.to_string(), 0, 0));
        }
        self.explored.push(e);
    }

    fn explored_hits(&self) -> Option<BTreeMap<&'static str, Hits>> {
        if self.explored.is_empty() {
            return None;
        }
        let mut out: BTreeMap<&'static str, Hits> = BTreeMap::new();
        for e in &self.explored {
            for (r, h) in &e.hits {
                let o = out.entry(r).or_insert([0; 4]);
                for k in 0..4 {
                    o[k] += h[k];
                }
            }
        }
        Some(out)
    }

    /// Rules of `model::RULES` no refimpl trace exercised.
    pub fn refimpl_missing_actions(&self) -> Vec<&'static str> {
        RULES
            .iter()
            .copied()
            .filter(|r| {
                self.refimpl_hits
                    .get(*r)
                    .is_none_or(|h| h.iter().sum::<usize>() == 0)
            })
            .collect()
    }

    /// The reachability items (of the runs the traces cover) no refimpl trace shows, or that
    /// refimpl traces cannot show (spec §12.16).
    pub fn refimpl_missing_items(&self) -> Vec<String> {
        self.reachability()
            .into_iter()
            .filter(|r| r.refimpl_traces.is_none_or(|n| n == 0))
            .map(|r| r.id)
            .collect()
    }

    /// The per-action rows, in `RULES` order (then `τ Internal`).
    pub fn actions(&self) -> Vec<ActionRow> {
        let expl = self.explored_hits();
        let classes = |h: Option<&Hits>| -> BTreeMap<&'static str, usize> {
            FAULT_CLASSES
                .iter()
                .enumerate()
                .map(|(k, c)| (*c, h.map_or(0, |h| h[k])))
                .collect()
        };
        RULES
            .iter()
            .copied()
            .chain(std::iter::once(TAU))
            .map(|r| ActionRow {
                rule: r.to_string(),
                model_traces: classes(self.model_hits.get(r)),
                refimpl_traces: classes(self.refimpl_hits.get(r)),
                model_exploration: expl.as_ref().map(|e| classes(e.get(r))),
            })
            .collect()
    }

    /// The per-item rows.
    pub fn reachability(&self) -> Vec<ReachRow> {
        self.reach
            .iter()
            .map(|(id, (name, m, r))| {
                let ev = refimpl_evidence(id);
                let applies: Vec<bool> = self
                    .explored
                    .iter()
                    .filter_map(|e| e.reach.iter().find(|x| x.0 == id).map(|x| x.2))
                    .collect();
                ReachRow {
                    id: id.clone(),
                    name: name.clone(),
                    model_traces: *m,
                    refimpl_traces: matches!(ev, Evidence::Observable(_)).then_some(*r),
                    model_exploration: (!applies.is_empty()).then(|| applies.iter().any(|x| *x)),
                    refimpl_evidence: match ev {
                        Evidence::Observable(s) | Evidence::NotObservable(s) => s.to_string(),
                    },
                    observable: matches!(ev, Evidence::Observable(_)),
                }
            })
            .collect()
    }

    /// The report as one JSON object (the fields the text report prints).
    pub fn to_json(&self, seconds: f64) -> Value {
        let reach = self.reachability();
        serde_json::json!({
            "traces": self.model_traces + self.refimpl_traces,
            "model_traces": self.model_traces,
            "refimpl_traces": self.refimpl_traces,
            "steps": self.steps,
            "fault_classes": FAULT_CLASSES,
            "traces_per_fault_class": {
                "model": self.model_classes,
                "refimpl": self.refimpl_classes,
            },
            "actions": self.actions(),
            "reachability": reach,
            "explored_runs": self.explored.iter().map(|e| serde_json::json!({
                "run": e.run, "states": e.states, "complete": e.complete,
            })).collect::<Vec<_>>(),
            "not_explored": self.not_explored.iter().map(|(r, why)| serde_json::json!({
                "run": r, "why": why,
            })).collect::<Vec<_>>(),
            "refimpl_missing_actions": self.refimpl_missing_actions(),
            "refimpl_missing_reachability": self.refimpl_missing_items(),
            "refimpl_rejected": self.refimpl_rejected,
            "malformed": self.malformed,
            "not_observable_in_refimpl_traces": reach.iter()
                .filter(|r| !r.observable)
                .map(|r| serde_json::json!({"id": r.id, "why": r.refimpl_evidence}))
                .collect::<Vec<_>>(),
            "seconds": seconds,
        })
    }

    /// The report as text.
    pub fn to_text(&self, seconds: f64) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "coverage: {} model trace(s), {} refimpl trace(s), {} step(s); explored runs: {}{}",
            self.model_traces,
            self.refimpl_traces,
            self.steps,
            self.explored.len(),
            if self.malformed > 0 {
                format!("; {} file(s) left out as bad input", self.malformed)
            } else {
                String::new()
            }
        );
        let cls = |h: &Hits| {
            FAULT_CLASSES
                .iter()
                .zip(h)
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            s,
            "traces per fault class: model: {}",
            cls(&self.model_classes)
        );
        let _ = writeln!(
            s,
            "                        refimpl: {}",
            cls(&self.refimpl_classes)
        );
        let _ = writeln!(
            s,
            "\nhits per action x fault class (none/refusal/abandon/crash):"
        );
        let expl = !self.explored.is_empty();
        let _ = writeln!(
            s,
            "  {:<28} {:>23} {:>23}{}",
            "rule",
            "model traces",
            "refimpl traces",
            if expl { "       model exploration" } else { "" }
        );
        let row = |m: &BTreeMap<&'static str, usize>| {
            FAULT_CLASSES
                .iter()
                .map(|c| m[c].to_string())
                .collect::<Vec<_>>()
                .join("/")
        };
        for a in self.actions() {
            let _ = writeln!(
                s,
                "  {:<28} {:>23} {:>23}{}",
                a.rule,
                row(&a.model_traces),
                row(&a.refimpl_traces),
                a.model_exploration
                    .as_ref()
                    .map_or(String::new(), |e| format!(" {:>23}", row(e)))
            );
        }
        let _ = writeln!(
            s,
            "\nreachability items (model traces / refimpl traces / exploration; a refimpl trace \
             counts when its evidence shows the item and a model explanation of it reaches it):"
        );
        for r in self.reachability() {
            let _ = writeln!(
                s,
                "  {:<22} {:>5} / {:>5} / {:<5}  {}{}",
                r.id,
                r.model_traces,
                r.refimpl_traces
                    .map_or("n/o".to_string(), |n| n.to_string()),
                r.model_exploration
                    .map_or("-".to_string(), |b| if b { "yes" } else { "no" }
                        .to_string()),
                if r.observable {
                    "evidence: "
                } else {
                    "not observable in traces: "
                },
                r.refimpl_evidence
            );
        }
        for (run, why) in &self.not_explored {
            let _ = writeln!(s, "  (run {run} not explored: {why})");
        }
        for e in &self.explored {
            if !e.complete {
                let _ = writeln!(
                    s,
                    "  (run {}: exploration cut at {} states)",
                    e.run, e.states
                );
            }
        }
        let missing = self.refimpl_missing_actions();
        let _ = writeln!(
            s,
            "\nnever exercised by refimpl traces: {} of {} action(s){}",
            missing.len(),
            RULES.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!(": {}", missing.join(", "))
            }
        );
        if self.refimpl_rejected > 0 {
            let _ = writeln!(
                s,
                "refimpl traces the model rejects (their items are not counted): {}",
                self.refimpl_rejected
            );
        }
        let unreached = self.refimpl_missing_items();
        let _ = writeln!(
            s,
            "reachability items never shown by refimpl traces: {}",
            if unreached.is_empty() {
                "none".to_string()
            } else {
                unreached.join(", ")
            }
        );
        let _ = writeln!(s, "{seconds:.1} s");
        s
    }
}

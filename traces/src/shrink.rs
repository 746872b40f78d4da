//! spec §12.11 Shrinking a failing trace.
//!
//! A failing trace is a refimpl trace that `traces check` rejects (spec §12.9) or a model
//! trace whose replay on the refimpl diverges (spec §12.10). [`shrink`] reduces it to a
//! smaller trace that still fails *the same way*: rejected (or diverging) at the same event
//! of the original, which has the same rule label (and, for replay, for the same kind of
//! reason: a refused stimulus, a state difference, or the same refimpl invariant broken).
//! Every candidate is re-validated with the same code the CLI runs; a candidate whose
//! events are not well formed, or not valid for the model (a model event no longer enabled,
//! say), is simply not failing the same way.
//!
//! The passes, repeated until none makes progress:
//! 1. cut every event after the failing step;
//! 2. drop processes: remove at once every event that names pid `p` (a stimulus by or on
//!    `p`, a model delivery whose message is about `p`), highest pid first. The
//!    configuration itself is kept (trace headers must name a catalog run unchanged, spec
//!    §12.9), so a dropped process still exists but does nothing;
//! 3. weaken faults: drop each crash stimulus (`C* NodeCrash`) with the crash handling that
//!    follows it, then alone; in model traces also turn a refusal for memory exhaustion
//!    (`exhausted: true`) into an ordinary delivery and drop `R10 Abandon` steps;
//! 4. delta debugging (ddmin, complements) over the remaining events.
//!
//! Steps are renumbered; a model trace is re-rendered from its re-executed actions, so its
//! message ids and (if it had them) state projections stay consistent.

use osfmig_model::model::rule_of;
use osfmig_model::{Action, Config, OsfModel, Sys};
use osfmig_refimpl::world::World;
use serde_json::Value;

use crate::format::Event;
use crate::generate::{describe_action, render};
use crate::parse::Trace;
use crate::replay::replay_with;
use crate::validate::{run_of, validate_with, Limits};

/// How a trace fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Index of the failing event (its `step`).
    pub step: usize,
    /// The failing event's rule label.
    pub rule: String,
    /// Replay only: the refimpl could not take the stimulus (rather than a state diff).
    pub refused: bool,
    /// Replay only: the refimpl invariant its own checks found broken (`P6`; spec §12.5),
    /// rather than a state diff.
    pub invariant: Option<String>,
    /// The full report of `traces check` / `traces replay`.
    pub report: String,
}

impl Failure {
    /// Whether `other` fails the same way (same rule, same kind of reason, the same
    /// invariant broken if one is).
    pub fn same_way(&self, other: &Failure) -> bool {
        self.rule == other.rule
            && self.refused == other.refused
            && self.invariant == other.invariant
    }
}

/// Why a trace cannot be shrunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShrinkError {
    /// The trace does not fail: nothing to shrink.
    Passes(String),
    /// The trace is not a valid input (header, configuration, events the model rejects).
    Invalid(String),
}

impl std::fmt::Display for ShrinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShrinkError::Passes(s) | ShrinkError::Invalid(s) => f.write_str(s),
        }
    }
}

/// The result of a shrink.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub trace: Trace,
    pub original_steps: usize,
    /// How the shrunk trace fails (the same way as the original).
    pub failure: Failure,
    /// Candidates validated.
    pub candidates: usize,
    /// One line per pass that made progress.
    pub log: Vec<String>,
}

/// Candidates validated at most (a bound on the time a shrink takes).
pub const CANDIDATES_MAX: usize = 20_000;

/// The failing step of a `replay` divergence report (`{path}:{line}: step ...`, line = step
/// + 2).
fn line_of_report(report: &str, path: &str) -> Option<usize> {
    let rest = report.strip_prefix(path)?.strip_prefix(':')?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// How `trace` fails (`Ok(None)`: it passes). An error is what `traces check` / `traces
/// replay` would report as bad input.
pub fn failure_of(trace: &Trace, path: &str, cfg: &Config) -> Result<Option<Failure>, String> {
    failure_with(trace, path, cfg, &|_| {})
}

/// The rule label of event `step` (empty past the end: a rejection after the last event).
fn rule_at(trace: &Trace, step: usize) -> String {
    trace
        .events
        .get(step)
        .map(|e| e.rule.clone())
        .unwrap_or_default()
}

/// [`failure_of`] with a hook that alters the refimpl after set-up for replay (a refimpl
/// mutant in tests).
pub fn failure_with(
    trace: &Trace,
    path: &str,
    cfg: &Config,
    setup: &dyn Fn(&mut World),
) -> Result<Option<Failure>, String> {
    match trace.header.source.as_str() {
        "refimpl" => {
            let v = validate_with(trace, path, cfg, &Limits::default())?;
            Ok(v.rejection.map(|report| {
                let step = v.accepted_prefix;
                Failure {
                    step,
                    rule: rule_at(trace, step),
                    refused: false,
                    invariant: None,
                    report,
                }
            }))
        }
        "model" => {
            let r = replay_with(trace, path, cfg, setup)?;
            let invariant = r.invariant;
            match r.divergence {
                None => Ok(None),
                Some(report) => {
                    let line = line_of_report(&report, path).ok_or_else(|| {
                        format!("{path}: cannot read the failing step from the replay report")
                    })?;
                    let step = line.saturating_sub(2);
                    Ok(Some(Failure {
                        step,
                        rule: rule_at(trace, step),
                        refused: invariant.is_none() && report.contains("cannot take the stimulus"),
                        invariant,
                        report,
                    }))
                }
            }
        }
        other => Err(format!("{path}:1: unknown trace source `{other}`")),
    }
}

/// The model action of `st` an event names: same rule label and same parameters. With
/// `weaken`, a refusal for memory exhaustion is looked for as the plain delivery of the same
/// message (`exhausted: false`, any rule).
pub fn action_named(model: &OsfModel, st: &Sys, ev: &Event, weaken: bool) -> Option<Action> {
    let mut acts = Vec::new();
    model.enabled(st, &mut acts);
    let mut want = ev.params.clone();
    if weaken {
        if let Some(o) = want.as_object_mut() {
            o.insert("exhausted".into(), Value::Bool(false));
        }
    }
    acts.into_iter().find(|a| {
        (weaken || rule_of(st, a, &model.cfg) == ev.rule) && describe_action(st, a).2 == want
    })
}

/// Re-executes a model trace's events on the model: the actions and the state after each.
/// The error names the first event that is not an enabled model action.
pub fn reexecute(events: &[Event], cfg: &Config) -> Result<Vec<(Action, Sys)>, (usize, String)> {
    let model = OsfModel::new(cfg.clone());
    let mut st = Sys::initial(cfg);
    let mut out = Vec::with_capacity(events.len());
    for (i, ev) in events.iter().enumerate() {
        let a = action_named(&model, &st, ev, false).ok_or_else(|| {
            (
                i,
                format!(
                    "step {}: `{} {}` is not enabled in the model here",
                    ev.step, ev.rule, ev.params
                ),
            )
        })?;
        st = model
            .step(&st, &a)
            .ok_or_else(|| (i, format!("step {} cannot be taken", ev.step)))?;
        out.push((a, st.clone()));
    }
    Ok(out)
}

/// A candidate: which events of the original are kept, and which kept model deliveries are
/// weakened (refusal for memory exhaustion turned into a plain delivery).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cand {
    keep: Vec<usize>,
    weakened: Vec<usize>,
}

struct Shrinker<'a> {
    orig: &'a Trace,
    setup: &'a dyn Fn(&mut World),
    /// The original index of the failing event: a candidate must fail at that same event.
    at: usize,
    path: &'a str,
    cfg: Config,
    want: Failure,
    with_state: bool,
    tested: usize,
    /// Candidates validated at most.
    max: usize,
}

impl Shrinker<'_> {
    /// The trace a candidate stands for; `None` when it is not a valid trace of the model.
    fn build(&self, c: &Cand) -> Option<Trace> {
        let events: Vec<Event> = c
            .keep
            .iter()
            .map(|&i| self.orig.events[i].clone())
            .collect();
        let events = if self.orig.header.source == "model" {
            let model = OsfModel::new(self.cfg.clone());
            let init = Sys::initial(&self.cfg);
            let mut st = init.clone();
            let mut path = Vec::with_capacity(events.len());
            for (k, ev) in events.iter().enumerate() {
                let weaken = c.weakened.contains(&c.keep[k]);
                let a = action_named(&model, &st, ev, weaken)?;
                st = model.step(&st, &a)?;
                path.push(a);
            }
            render(&model, &init, &path, self.with_state).ok()?.0
        } else {
            events
                .into_iter()
                .enumerate()
                .map(|(k, mut e)| {
                    e.step = k as u64;
                    e
                })
                .collect()
        };
        Some(Trace {
            header: self.orig.header.clone(),
            events,
        })
    }

    /// Whether a candidate fails the same way; its trace and failure if it does.
    fn test(&mut self, c: &Cand) -> Option<(Trace, Failure)> {
        if self.tested >= self.max {
            return None;
        }
        self.tested += 1;
        let t = self.build(c)?;
        let f = failure_with(&t, self.path, &self.cfg, self.setup).ok()??;
        (self.want.same_way(&f) && c.keep.get(f.step) == Some(&self.at)).then_some((t, f))
    }

    fn without(c: &Cand, drop: &[usize]) -> Cand {
        Cand {
            keep: c
                .keep
                .iter()
                .copied()
                .filter(|i| !drop.contains(i))
                .collect(),
            weakened: c.weakened.clone(),
        }
    }

    /// Cuts the events after the failing one.
    fn cut(&mut self, c: &mut Cand, f: &Failure) -> bool {
        if f.step + 1 >= c.keep.len() {
            return false;
        }
        let cand = Cand {
            keep: c.keep[..=f.step].to_vec(),
            weakened: c.weakened.clone(),
        };
        if self.test(&cand).is_some() {
            *c = cand;
            return true;
        }
        false
    }

    /// Removes every event naming pid `p`, for each pid from the highest.
    fn drop_processes(&mut self, c: &mut Cand) -> Vec<u8> {
        let pids = self.cfg.pids();
        let mut dropped = Vec::new();
        for p in (0..pids).rev() {
            let touching: Vec<usize> = c
                .keep
                .iter()
                .copied()
                .filter(|&i| names_pid(&self.orig.events[i].params, p))
                .collect();
            if touching.is_empty() || touching.len() == c.keep.len() {
                continue;
            }
            let cand = Self::without(c, &touching);
            if self.test(&cand).is_some() {
                *c = cand;
                dropped.push(p);
            }
        }
        dropped
    }

    /// Drops crash stimuli (with the crash handling after them, then alone), abandons, and
    /// weakens refusals for memory exhaustion.
    fn weaken_faults(&mut self, c: &mut Cand) -> usize {
        let mut n = 0;
        let evs = &self.orig.events;
        let crashes: Vec<usize> = c
            .keep
            .iter()
            .copied()
            .filter(|&i| evs[i].rule == "C* NodeCrash")
            .collect();
        for k in crashes {
            if !c.keep.contains(&k) {
                continue;
            }
            let node = evs[k].params.get("node").cloned();
            let follow: Vec<usize> = c
                .keep
                .iter()
                .copied()
                .filter(|&i| {
                    i == k
                        || (i > k
                            && (evs[i].rule.starts_with("C*") || evs[i].rule.starts_with("C3"))
                            && evs[i].rule != "C* NodeCrash"
                            && (evs[i].params.get("node").is_none()
                                || evs[i].params.get("node") == node.as_ref()))
                })
                .collect();
            for drop in [follow, vec![k]] {
                let cand = Self::without(c, &drop);
                if self.test(&cand).is_some() {
                    *c = cand;
                    n += 1;
                    break;
                }
            }
        }
        let abandons: Vec<usize> = c
            .keep
            .iter()
            .copied()
            .filter(|&i| evs[i].rule == "R10 Abandon" && evs[i].params.get("deliver").is_none())
            .collect();
        for k in abandons {
            let cand = Self::without(c, &[k]);
            if self.test(&cand).is_some() {
                *c = cand;
                n += 1;
            }
        }
        if self.orig.header.source == "model" {
            let refusals: Vec<usize> = c
                .keep
                .iter()
                .copied()
                .filter(|&i| {
                    evs[i].params.get("exhausted") == Some(&Value::Bool(true))
                        && !c.weakened.contains(&i)
                })
                .collect();
            for k in refusals {
                let mut cand = c.clone();
                cand.weakened.push(k);
                if self.test(&cand).is_some() {
                    *c = cand;
                    n += 1;
                }
            }
        }
        n
    }

    /// ddmin over the kept events (complements only): the result is 1-minimal.
    fn ddmin(&mut self, c: &mut Cand) -> bool {
        let start = c.keep.len();
        let mut n = 2usize;
        while c.keep.len() >= 2 && self.tested < self.max {
            let len = c.keep.len();
            let chunk = len.div_ceil(n);
            let mut reduced = false;
            let parts = n;
            for i in 0..parts {
                let lo = i * chunk;
                if lo >= len {
                    break;
                }
                let hi = (lo + chunk).min(len);
                let drop: Vec<usize> = c.keep[lo..hi].to_vec();
                let cand = Self::without(c, &drop);
                if cand.keep.is_empty() {
                    continue;
                }
                if self.test(&cand).is_some() {
                    *c = cand;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
            if !reduced {
                if n >= len {
                    break;
                }
                n = (2 * n).min(len);
            }
        }
        c.keep.len() < start
    }
}

/// Whether an event's parameters name pid `p` (`pid`, `target`, or the message's `pid`).
fn names_pid(params: &Value, p: u8) -> bool {
    let is = |v: Option<&Value>| v.and_then(Value::as_u64) == Some(p as u64);
    is(params.get("pid"))
        || is(params.get("target"))
        || is(params.get("msg").and_then(|m| m.get("pid")))
}

/// Shrinks a failing trace read from `path` (named in reports).
pub fn shrink(trace: &Trace, path: &str) -> Result<Shrunk, ShrinkError> {
    let spec = run_of(trace).map_err(|e| ShrinkError::Invalid(format!("{path}:1: {e}")))?;
    // The refimpl is set up as `traces replay` sets it up (a finding's run without its
    // invariant checks), so that a trace fails here as it fails there.
    shrink_with(trace, path, &spec.config, &|w| {
        crate::bridge::for_findings(w, &spec)
    })
}

/// [`shrink`] against a given configuration.
pub fn shrink_with(
    trace: &Trace,
    path: &str,
    cfg: &Config,
    setup: &dyn Fn(&mut World),
) -> Result<Shrunk, ShrinkError> {
    shrink_bounded(trace, path, cfg, setup, CANDIDATES_MAX)
}

/// [`shrink_with`] validating at most `max` candidates (at least one: the result is always
/// validated once more).
pub fn shrink_bounded(
    trace: &Trace,
    path: &str,
    cfg: &Config,
    setup: &dyn Fn(&mut World),
    max: usize,
) -> Result<Shrunk, ShrinkError> {
    let want = failure_with(trace, path, cfg, setup)
        .map_err(ShrinkError::Invalid)?
        .ok_or_else(|| {
            ShrinkError::Passes(format!(
                "{path}: the trace does not fail ({}): nothing to shrink",
                if trace.header.source == "refimpl" {
                    "`traces check` accepts it"
                } else {
                    "`traces replay` follows it to the end"
                }
            ))
        })?;
    let mut s = Shrinker {
        orig: trace,
        setup,
        at: want.step,
        path,
        cfg: cfg.clone(),
        want: want.clone(),
        with_state: trace.events.iter().any(|e| e.state.is_some()),
        tested: 0,
        max: max.max(1),
    };
    let mut c = Cand {
        keep: (0..trace.events.len()).collect(),
        weakened: Vec::new(),
    };
    let mut log = Vec::new();
    let mut last = want;
    for round in 0..4 {
        let before = c.clone();
        if s.cut(&mut c, &last) {
            log.push(format!(
                "round {round}: cut after the failing step: {} event(s)",
                c.keep.len()
            ));
        }
        let dropped = s.drop_processes(&mut c);
        if !dropped.is_empty() {
            log.push(format!(
                "round {round}: dropped the events of pid(s) {dropped:?}: {} event(s)",
                c.keep.len()
            ));
        }
        let w = s.weaken_faults(&mut c);
        if w > 0 {
            log.push(format!(
                "round {round}: weakened {w} fault(s): {} event(s)",
                c.keep.len()
            ));
        }
        if s.ddmin(&mut c) {
            log.push(format!(
                "round {round}: delta debugging: {} event(s)",
                c.keep.len()
            ));
        }
        if let Some((_, f)) = s.test(&c) {
            last = f;
        }
        if c == before {
            break;
        }
    }
    // The final candidate, validated once more (it always failed the same way when kept).
    s.tested = s.tested.min(s.max.saturating_sub(1));
    let (trace_out, failure) = s
        .test(&c)
        .ok_or_else(|| ShrinkError::Invalid(format!("{path}: the shrunk trace stopped failing")))?;
    Ok(Shrunk {
        trace: trace_out,
        original_steps: trace.events.len(),
        failure,
        candidates: s.tested,
        log,
    })
}

/// A trace as NDJSON text (spec §12.1).
pub fn to_ndjson(trace: &Trace) -> String {
    let mut text = serde_json::to_string(&trace.header).unwrap_or_default();
    text.push('\n');
    for ev in &trace.events {
        text.push_str(&serde_json::to_string(ev).unwrap_or_default());
        text.push('\n');
    }
    text
}

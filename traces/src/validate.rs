//! spec §12.9 Refimpl -> model: validating a recorded trace against the model.
//!
//! A refimpl trace shows the stimuli (spec §12.8) and, after every step that changed the
//! observed state, that state (spec §12.7). The model must explain it: starting from its
//! initial state, each stimulus must be an enabled model action, and each observed change
//! must be reachable by model steps that are not stimuli, each of which either leaves the
//! observation unchanged (a declared stuttering step: a message the refimpl folds into
//! another, a bookkeeping step) or moves it towards the recorded one. The search is bounded
//! (`Limits`); the set of model states consistent with the trace so far is carried along,
//! since the trace does not show every choice.

use std::collections::HashSet;

use osfmig_model::model::rule_of;
use osfmig_model::presets::{find_run, RunSpec};
use osfmig_model::{Action, Config, OsfModel, Sys};
use serde_json::Value;

use crate::bridge::Stimulus;
use crate::format::Event;
use crate::generate::describe_action;
use crate::parse::Trace;
use crate::projection::{of_model, Observed};

/// Bounds of the search for the choices a trace does not show.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Model steps explored between two events, at most.
    pub depth_max: usize,
    /// Model states visited for one event, at most.
    pub visited_max: usize,
    /// Model states kept as consistent with the trace so far, at most.
    pub frontier_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth_max: 24,
            visited_max: 20_000,
            frontier_max: 256,
        }
    }
}

/// The verdict on one trace.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub steps: usize,
    /// Events the model explained, from the first.
    pub accepted_prefix: usize,
    /// `None` when every event was explained; otherwise why not.
    pub rejection: Option<String>,
    /// Model states visited in all.
    pub visited: usize,
}

impl Verdict {
    pub fn accepted(&self) -> bool {
        self.rejection.is_none()
    }
}

/// The model run a trace header names, checked against the configuration it records.
pub fn run_of(trace: &Trace) -> Result<RunSpec, String> {
    let spec = find_run(&trace.header.run)
        .ok_or_else(|| format!("header: unknown run `{}`", trace.header.run))?;
    let recorded = &trace.header.config;
    let ours = serde_json::to_value(&spec.config).map_err(|e| e.to_string())?;
    if *recorded != ours {
        return Err(format!(
            "header: the configuration differs from run `{}` of this osfmig version",
            spec.name
        ));
    }
    Ok(spec)
}

/// The observed state an event records.
pub fn observed_of(ev: &Event) -> Result<Option<Observed>, String> {
    match &ev.state {
        None => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| format!("step {}: state is not an observation: {e}", ev.step)),
    }
}

fn is_stimulus(a: &Action) -> bool {
    Stimulus::of_action(a).is_some()
}

fn successors(model: &OsfModel, st: &Sys) -> Vec<(Action, Sys)> {
    let mut acts = Vec::new();
    model.enabled(st, &mut acts);
    acts.into_iter()
        .filter(|a| !is_stimulus(a))
        .filter_map(|a| model.step(st, &a).map(|n| (a, n)))
        .collect()
}

/// States reachable from `from` by non-stimulus steps that keep the observation (stuttering).
fn stutter_closure(
    model: &OsfModel,
    from: Vec<Sys>,
    lim: &Limits,
    visited: &mut usize,
) -> Vec<Sys> {
    let mut seen: HashSet<Sys> = from.iter().cloned().collect();
    let mut out = from.clone();
    let mut layer = from;
    for _ in 0..lim.depth_max {
        let mut next = Vec::new();
        for st in &layer {
            let obs = of_model(st);
            for (_, n) in successors(model, st) {
                *visited += 1;
                if of_model(&n) == obs && seen.insert(n.clone()) {
                    out.push(n.clone());
                    next.push(n);
                }
            }
            if seen.len() > lim.visited_max {
                return out;
            }
        }
        if next.is_empty() {
            break;
        }
        layer = next;
    }
    out
}

/// States whose observation is `target`, reachable from `from` by non-stimulus steps each
/// of which stutters or moves the observation towards `target`.
fn reach(
    model: &OsfModel,
    from: &[Sys],
    target: &Observed,
    lim: &Limits,
    visited: &mut usize,
) -> Vec<Sys> {
    let mut found = Vec::new();
    let mut found_set: HashSet<Sys> = HashSet::new();
    let mut seen: HashSet<Sys> = from.iter().cloned().collect();
    let mut layer: Vec<Sys> = from.to_vec();
    for st in from {
        if of_model(st) == *target && found_set.insert(st.clone()) {
            found.push(st.clone());
        }
    }
    for _ in 0..lim.depth_max {
        let mut next = Vec::new();
        for st in &layer {
            let obs = of_model(st);
            if obs == *target {
                continue; // the next event's closure takes it on from here
            }
            for (_, n) in successors(model, st) {
                *visited += 1;
                let nobs = of_model(&n);
                if !obs.moves_towards(&nobs, target) || !seen.insert(n.clone()) {
                    continue;
                }
                if nobs == *target {
                    if found_set.insert(n.clone()) {
                        found.push(n.clone());
                    }
                } else {
                    next.push(n);
                }
            }
            if seen.len() > lim.visited_max {
                return found;
            }
        }
        if next.is_empty() {
            break;
        }
        layer = next;
    }
    found
}

/// What the model could do from `states` (for a rejection report): each enabled action
/// with the observation change it makes, at most `max` lines.
fn allowed_there(model: &OsfModel, states: &[Sys], max: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for st in states.iter().take(4) {
        let obs = of_model(st);
        let mut acts = Vec::new();
        model.enabled(st, &mut acts);
        for a in acts {
            let rule = rule_of(st, &a, &model.cfg);
            let (_, _, params) = describe_action(st, &a);
            let change = match model.step(st, &a) {
                Some(n) => {
                    let d = obs.diff(&of_model(&n));
                    if d.is_empty() {
                        "(no observable change)".to_string()
                    } else {
                        d.trim_end().replace('\n', ";")
                    }
                }
                None => "(not enabled)".into(),
            };
            let line = format!("    {rule} {params}: {change}");
            if !lines.contains(&line) {
                lines.push(line);
            }
            if lines.len() >= max {
                return lines.join("\n");
            }
        }
    }
    lines.join("\n")
}

/// Validates `trace` (read from `path`, named in reports) against the model.
pub fn validate(trace: &Trace, path: &str, lim: &Limits) -> Result<Verdict, String> {
    let spec = run_of(trace).map_err(|e| format!("{path}:1: {e}"))?;
    validate_with(trace, path, &spec.config, lim)
}

/// Validates against a given configuration (the trace's own, or a mutant's in tests).
pub fn validate_with(
    trace: &Trace,
    path: &str,
    cfg: &Config,
    lim: &Limits,
) -> Result<Verdict, String> {
    let model = OsfModel::new(cfg.clone());
    let mut frontier = vec![Sys::initial(cfg)];
    let mut visited = 0usize;
    let steps = trace.events.len();
    for (i, ev) in trace.events.iter().enumerate() {
        let line = i + 2;
        let target = observed_of(ev).map_err(|e| format!("{path}:{line}: {e}"))?;
        let stim = Stimulus::parse(&ev.rule, &ev.actor, &ev.params)
            .map_err(|e| format!("{path}:{line}: {e}"))?;
        let closure = stutter_closure(&model, frontier, lim, &mut visited);
        let next: Vec<Sys> = match stim {
            Some(s) => {
                let a = s.action();
                let mut out: Vec<Sys> = Vec::new();
                let mut set = HashSet::new();
                for st in &closure {
                    let mut acts = Vec::new();
                    model.enabled(st, &mut acts);
                    if !acts.contains(&a) {
                        continue;
                    }
                    if let Some(n) = model.step(st, &a) {
                        if target.as_ref().map_or(true, |t| of_model(&n) == *t)
                            && set.insert(n.clone())
                        {
                            out.push(n);
                        }
                    }
                }
                out
            }
            None => match &target {
                Some(t) => reach(&model, &closure, t, lim, &mut visited),
                None => {
                    return Err(format!(
                        "{path}:{line}: a refimpl step event must carry the observed state"
                    ))
                }
            },
        };
        if next.is_empty() {
            let cur = of_model(&closure[0]);
            let diff = match &target {
                Some(t) => cur.diff(t),
                None => String::new(),
            };
            let rejection = format!(
                "{path}:{line}: step {} ({} {}) is not a model transition from any of {} \
                 state(s) consistent with the first {i} event(s)\n  recorded change \
                 (model's current observation != recorded):\n{}  the model allowed there:\n{}",
                ev.step,
                ev.rule,
                params_str(&ev.params),
                closure.len(),
                diff,
                allowed_there(&model, &closure, 24)
            );
            return Ok(Verdict {
                steps,
                accepted_prefix: i,
                rejection: Some(rejection),
                visited,
            });
        }
        frontier = next;
        frontier.truncate(lim.frontier_max);
    }
    Ok(Verdict {
        steps,
        accepted_prefix: steps,
        rejection: None,
        visited,
    })
}

fn params_str(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

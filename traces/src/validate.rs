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
//!
//! A refimpl trace may also say which interesting cases (spec §6.3) the refimpl's own
//! monitors saw reached (`reached`). Each consistent model state carries the items its path
//! reached at the recorded events; a claim no explanation of the trace reaches rejects the
//! trace (spec §12.16). Which items the explanations reach is part of the verdict.

use std::collections::BTreeSet;

use ahash::AHashMap as HashMap;

use osfmig_model::model::rule_of;
use osfmig_model::presets::{find_run, RunSpec};
use osfmig_model::properties::{reachability_items, PropDef};
use osfmig_model::{Action, Config, OsfModel, Sys};
use serde_json::Value;

use crate::bridge::Stimulus;
use crate::fields::{check_against, check_static, Ledger};
use crate::format::{Event, TAU};
use crate::generate::describe_action;
use crate::parse::Trace;
use crate::programs::call_label;
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
    /// The reachability items (spec §6.3) some explanation of the accepted trace reaches
    /// (empty when rejected).
    pub items: BTreeSet<String>,
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

/// The items of a model state's path: bit `i` for `items[i]`; and [`RULE_BIT`].
type Mask = u64;

/// Set when the path since the previous event took a step whose rule is the event's `rule`
/// (spec §12.9): a refimpl event's label must be one its explanation carries.
const RULE_BIT: Mask = 1 << 63;

/// The rule bit a step `a` from `st` adds to a path with mask `m`, when the event looks for
/// rule `want`.
fn rule_bit(model: &OsfModel, st: &Sys, a: &Action, want: Option<&str>, m: Mask) -> Mask {
    match want {
        Some(r) if m & RULE_BIT == 0 && rule_of(st, a, &model.cfg) == r => RULE_BIT,
        _ => 0,
    }
}

/// A model state consistent with the trace so far, with the items its path reached.
type Cand = (Sys, Mask);

/// Every reachability item (spec §6.3), whether or not `cfg` promises it: the refimpl may
/// reach one a run's `check` does not prove reachable.
fn items_of(cfg: &Config) -> Vec<PropDef> {
    let items: Vec<PropDef> = reachability_items(cfg)
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    assert!(
        items.len() < Mask::BITS as usize,
        "a mask holds every item and the rule bit"
    );
    items
}

/// The items the refimpl has claimed so far (spec §12.16), as a mask over `items`.
fn claimed_mask(items: &[PropDef], claims: &[(String, u64, usize)]) -> Mask {
    claims
        .iter()
        .filter_map(|(c, _, _)| items.iter().position(|p| p.id == c))
        .fold(0, |a, i| a | (1 << i))
}

fn mask_of(model: &OsfModel, items: &[PropDef], st: &Sys) -> Mask {
    items
        .iter()
        .enumerate()
        .filter(|(_, p)| (p.check)(model, st))
        .fold(0, |m, (i, _)| m | (1 << i))
}

/// A state's 64-bit fingerprint: the search's visited sets keep these, not the states (as
/// stateright's checkers do). Deterministic (SipHash with fixed keys), so a verdict does not
/// depend on the run.
fn fp(st: &Sys) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

/// Adds `c` to `out` once per state; a state reached twice keeps the items of both paths.
fn push_cand(out: &mut Vec<Cand>, index: &mut HashMap<u64, usize>, c: Cand) {
    match index.entry(fp(&c.0)) {
        std::collections::hash_map::Entry::Occupied(e) => out[*e.get()].1 |= c.1,
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(out.len());
            out.push(c);
        }
    }
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
    from: Vec<Cand>,
    lim: &Limits,
    visited: &mut usize,
    want: Option<&str>,
) -> Vec<Cand> {
    // A state met again by another path takes that path's items too, and is explored again
    // when that adds some (items only grow, so this ends).
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut out: Vec<Cand> = Vec::new();
    for c in from {
        push_cand(&mut out, &mut index, c);
    }
    let mut layer = out.clone();
    for _ in 0..lim.depth_max {
        let mut next = Vec::new();
        for (st, m) in &layer {
            let obs = of_model(st);
            for (a, n) in successors(model, st) {
                *visited += 1;
                if of_model(&n) != obs {
                    continue;
                }
                let m = &(*m | rule_bit(model, st, &a, want, *m));
                match index.entry(fp(&n)) {
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(out.len());
                        out.push((n.clone(), *m));
                        next.push((n, *m));
                    }
                    std::collections::hash_map::Entry::Occupied(e) => {
                        let had = out[*e.get()].1;
                        if had | m != had {
                            out[*e.get()].1 = had | m;
                            next.push((n, had | m));
                        }
                    }
                }
            }
            if index.len() > lim.visited_max {
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
    from: &[Cand],
    target: &Observed,
    lim: &Limits,
    visited: &mut usize,
    want: Option<&str>,
) -> Vec<Cand> {
    let mut found = Vec::new();
    let mut found_index: HashMap<u64, usize> = HashMap::new();
    // Visited states with the items of the paths that met them (as in `stutter_closure`).
    let mut seen: HashMap<u64, Mask> = from.iter().map(|c| (fp(&c.0), c.1)).collect();
    let mut layer: Vec<Cand> = from.to_vec();
    for c in from {
        if of_model(&c.0) == *target {
            push_cand(&mut found, &mut found_index, c.clone());
        }
    }
    for _ in 0..lim.depth_max {
        let mut next = Vec::new();
        for (st, m) in &layer {
            let obs = of_model(st);
            if obs == *target {
                continue; // the next event's closure takes it on from here
            }
            for (a, n) in successors(model, st) {
                *visited += 1;
                let nobs = of_model(&n);
                if !obs.moves_towards_within_event(&nobs, target) {
                    continue;
                }
                let m = &(*m | rule_bit(model, st, &a, want, *m));
                let mask = match seen.entry(fp(&n)) {
                    std::collections::hash_map::Entry::Vacant(e) => *e.insert(*m),
                    std::collections::hash_map::Entry::Occupied(mut e) => {
                        if *e.get() | m == *e.get() {
                            continue;
                        }
                        *e.get_mut() |= m;
                        *e.get()
                    }
                };
                if nobs == *target {
                    push_cand(&mut found, &mut found_index, (n, mask));
                } else {
                    next.push((n, mask));
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
fn allowed_there(model: &OsfModel, states: &[Cand], max: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (st, _) in states.iter().take(4) {
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
    let items = items_of(cfg);
    let init = Sys::initial(cfg);
    let mut frontier: Vec<Cand> = vec![(init.clone(), mask_of(&model, &items, &init))];
    let mut visited = 0usize;
    // The refimpl's claims: item, and the step that first made it.
    let mut claims: Vec<(String, u64, usize)> = Vec::new();
    let steps = trace.events.len();
    let mut ledger = Ledger::new(init.net.len() as u64);
    let mut truncated = false;
    // How many of its program's calls each process has made (spec §12.9.2).
    let mut program_at: std::collections::BTreeMap<u8, usize> = Default::default();
    for (i, ev) in trace.events.iter().enumerate() {
        let line = i + 2;
        // A field that contradicts the state (spec §12.3) rejects the trace at this event.
        let field_rejection = |why: String, visited: usize| Verdict {
            steps,
            accepted_prefix: i,
            rejection: Some(format!("{path}:{line}: step {}: {why}", ev.step)),
            visited,
            items: BTreeSet::new(),
        };
        if let Err(why) = ledger
            .event(ev)
            .and_then(|()| check_static(ev, cfg.nodes_max as usize))
        {
            return Ok(field_rejection(why, visited));
        }
        let target = observed_of(ev).map_err(|e| format!("{path}:{line}: {e}"))?;
        let stim = Stimulus::parse(&ev.rule, &ev.actor, &ev.params)
            .map_err(|e| format!("{path}:{line}: {e}"))?;
        // The rule a refimpl step's explanation must carry; a stimulus is its own
        // explanation, and `τ` claims no rule.
        let want = (stim.is_none() && ev.rule != TAU).then_some(ev.rule.as_str());
        // The observations the step may start from: the stuttering closure keeps them.
        let befores: BTreeSet<Observed> = frontier.iter().map(|(st, _)| of_model(st)).collect();
        let closure = stutter_closure(&model, frontier, lim, &mut visited, want);
        for item in &ev.reached {
            if !claims.iter().any(|(c, _, _)| c == item) {
                claims.push((item.clone(), ev.step, line));
            }
        }
        // spec §12.9.2: a process running a program makes its program's calls in order.
        if let Some((pid, label)) = stim.and_then(call_label) {
            if let Some(calls) = trace.header.programs.get(pid as usize) {
                let at = program_at.entry(pid).or_insert(0);
                match calls.get(*at) {
                    Some(next) if *next == label => *at += 1,
                    next => {
                        let why = format!(
                            "process {pid} made {label}, but its program's next call is {} \
                             (the header's programs, call {} of pid {pid})",
                            next.map_or("none (it has made them all)", String::as_str),
                            *at + 1
                        );
                        return Ok(field_rejection(why, visited));
                    }
                }
            }
        }
        let next: Vec<Cand> = match stim {
            Some(s) => {
                let a = s.action();
                let mut out: Vec<Cand> = Vec::new();
                let mut index = HashMap::new();
                for (st, m) in &closure {
                    let mut acts = Vec::new();
                    model.enabled(st, &mut acts);
                    if !acts.contains(&a) {
                        continue;
                    }
                    if let Some(n) = model.step(st, &a) {
                        if target.as_ref().is_none_or(|t| of_model(&n) == *t) {
                            let bit = rule_bit(&model, st, &a, Some(&ev.rule), 0);
                            push_cand(&mut out, &mut index, (n, *m | bit));
                        }
                    }
                }
                out
            }
            None => match &target {
                Some(t) => reach(&model, &closure, t, lim, &mut visited, want),
                None => {
                    return Err(format!(
                        "{path}:{line}: a refimpl step event must carry the observed state"
                    ))
                }
            },
        };
        if next.is_empty() {
            let cur = of_model(&closure[0].0);
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
                items: BTreeSet::new(),
            });
        }
        // spec §12.9: the explanations of a refimpl step are those whose steps since the
        // previous event carry its rule label (every explanation, for `τ`).
        let next: Vec<Cand> = if ev.rule == TAU {
            next
        } else {
            next.into_iter()
                .filter(|(_, m)| m & RULE_BIT != 0)
                .collect()
        };
        if next.is_empty() {
            let carried = match &target {
                Some(t) => rules_carried(&model, &closure, t, lim),
                None => Vec::new(),
            };
            let why = format!(
                "rule says {:?}, but no model step that explains the event carries it{}",
                ev.rule,
                if carried.is_empty() {
                    String::new()
                } else {
                    format!(" (the explanations carry: {})", carried.join(", "))
                }
            );
            return Ok(field_rejection(why, visited));
        }
        // spec §12.3: the node and actor agree with the state before the step (with one of
        // the observations it may start from).
        if let Some(Err(why)) = befores
            .iter()
            .map(|b| check_against(ev, b))
            .find(|r| r.is_ok())
            .or_else(|| befores.first().map(|b| check_against(ev, b)))
        {
            return Ok(field_rejection(why, visited));
        }
        // The items each explanation reaches at this recorded event.
        frontier = next
            .into_iter()
            .map(|(n, m)| {
                let m = (m & !RULE_BIT) | mask_of(&model, &items, &n);
                (n, m)
            })
            .collect();
        if frontier.len() > lim.frontier_max {
            // The explanations kept first are those reaching most of the items the refimpl
            // claims so far (spec §12.16): dropping the only explanation that reaches a
            // claimed item would reject a trace the model explains. A stable sort keeps the
            // order, and so the verdict, deterministic.
            let claimed = claimed_mask(&items, &claims);
            frontier.sort_by_key(|(_, m)| std::cmp::Reverse((m & claimed).count_ones()));
            frontier.truncate(lim.frontier_max);
            truncated = true;
        }
    }
    let reached: Mask = frontier.iter().fold(0, |a, (_, m)| a | m);
    let explained: BTreeSet<String> = items
        .iter()
        .enumerate()
        .filter(|(i, _)| reached & (1 << i) != 0)
        .map(|(_, p)| p.id.to_string())
        .collect();
    // spec §12.16: what the refimpl says it reached, some explanation must reach, and one
    // explanation must reach it all (the refimpl ran one execution).
    let claimed = claimed_mask(&items, &claims);
    let rejection =
        if let Some((item, step, line)) = claims.iter().find(|(c, _, _)| !explained.contains(c)) {
            let why = if items.iter().any(|p| p.id == item) {
                "no explanation of the trace by the model reaches it"
            } else {
                "the model has no such reachability item"
            };
            Some(format!(
                "{path}:{line}: step {step}: the refimpl reports reaching {item}, but {why} \
             (explanations reach: {})",
                explained.iter().cloned().collect::<Vec<_>>().join(", ")
            ))
        } else if !frontier.iter().any(|(_, m)| m & claimed == claimed) {
            let all: Vec<&str> = claims.iter().map(|(c, _, _)| c.as_str()).collect();
            Some(format!(
                "{path}:{}: the refimpl reports reaching {}; some explanation of the trace by the \
             model reaches each, but none reaches them all",
                claims.last().map_or(1, |c| c.2),
                all.join(", ")
            ))
        } else {
            unreported(trace, path, &items, &frontier, truncated, &claims).or_else(|| {
                let end = Ending {
                    trace,
                    path,
                    truncated,
                    program_at: &program_at,
                };
                unrested(&model, &end, &frontier, lim, &mut visited)
            })
        };
    let items = if rejection.is_none() {
        explained
    } else {
        BTreeSet::new()
    };
    Ok(Verdict {
        steps,
        accepted_prefix: steps,
        rejection,
        visited,
        items,
    })
}

/// spec §12.16, the converse of the claims' rule: an item the recording implementation
/// monitors (the header's `monitors`) that every explanation of the whole trace reaches must
/// have been reported. A monitor that misses its case (moved, dropped, or guarded by a wrong
/// condition) so becomes a rejection, as a monitor that reports a case the model never
/// reaches already is. Not judged when the search dropped explanations (`frontier_max`):
/// an item common to those kept need not be common to all.
fn unreported(
    trace: &Trace,
    path: &str,
    items: &[PropDef],
    frontier: &[Cand],
    truncated: bool,
    claims: &[(String, u64, usize)],
) -> Option<String> {
    if truncated || frontier.is_empty() || trace.header.monitors.is_empty() {
        return None;
    }
    let common: Mask = frontier.iter().fold(!0, |a, (_, m)| a & m);
    let missed = items.iter().enumerate().find(|(i, p)| {
        common & (1 << i) != 0
            && trace.header.monitors.iter().any(|m| m == p.id)
            && !claims.iter().any(|(c, _, _)| c == p.id)
    })?;
    Some(format!(
        "{path}:{}: every explanation of the trace by the model reaches {} ({}), but the \
         refimpl, whose header lists a monitor for it, never reported it",
        trace.events.len() + 1,
        missed.1.id,
        missed.1.name
    ))
}

/// How a trace ended, as the rules on its end read it.
#[derive(Clone, Copy)]
struct Ending<'a> {
    trace: &'a Trace,
    path: &'a str,
    /// Whether the search dropped explanations (`frontier_max`).
    truncated: bool,
    /// How many of its program's calls each process made (spec §12.9.2).
    program_at: &'a std::collections::BTreeMap<u8, usize>,
}

/// spec §12.9: how a recording ended, held to the model. A recording that came to rest
/// (`quiescent: true`) needs an explanation from which the model comes to rest as well by
/// steps that change nothing observable: otherwise the implementation stopped where the
/// model still had work to do (a request forgotten, a handler that drops its message). One
/// that ran its whole event budget without coming to rest (`quiescent: false`) is rejected:
/// every run of the model within its bounds comes to rest (its liveness properties, spec
/// §6.2), so the implementation is going round in circles. At rest is not judged when the
/// search dropped explanations (`frontier_max`), as for [`unreported`].
fn unrested(
    model: &OsfModel,
    end: &Ending,
    frontier: &[Cand],
    lim: &Limits,
    visited: &mut usize,
) -> Option<String> {
    let Ending {
        trace,
        path,
        truncated,
        program_at,
    } = *end;
    let line = trace.events.len() + 1;
    match trace.header.quiescent? {
        false => Some(format!(
            "{path}:{line}: the refimpl ran its whole event budget without coming to rest \
             (the model's runs within the bounds all do)"
        )),
        // An explanation able to rest may be among those the search dropped.
        true if frontier.is_empty() || truncated => None,
        true => {
            let closure = stutter_closure(model, frontier.to_vec(), lim, visited, None);
            let resting: Vec<&Sys> = closure
                .iter()
                .map(|(st, _)| st)
                .filter(|st| successors(model, st).iter().all(|(_, n)| n == *st))
                .collect();
            if !resting.is_empty() {
                return program_unfinished(model, trace, path, &resting, program_at);
            }
            let st = &closure[0].0;
            let mut left: Vec<&str> = successors(model, st)
                .iter()
                .map(|(a, _)| rule_of(st, a, &model.cfg))
                .collect();
            left.sort_unstable();
            left.dedup();
            Some(format!(
                "{path}:{line}: the refimpl came to rest after the last event, but no \
                 explanation of the trace by the model can without an observable step; \
                 the model still has: {}",
                left.join(", ")
            ))
        }
    }
}

/// spec §12.9.2: at rest, a process whose program still has a call to make must have a
/// reason the model's process shares for not making it: some explanation of the trace in
/// which that call is not enabled (the process gone, suspended, or still in a call: a
/// program's process makes one call at a time, so one with a call outstanding waits for
/// its answer). Otherwise the implementation's process stopped where its program, and the
/// model's process, would go on.
fn program_unfinished(
    model: &OsfModel,
    trace: &Trace,
    path: &str,
    resting: &[&Sys],
    program_at: &std::collections::BTreeMap<u8, usize>,
) -> Option<String> {
    let next_calls: Vec<(u8, &String)> = trace
        .header
        .programs
        .iter()
        .enumerate()
        .filter_map(|(pid, calls)| {
            let at = program_at.get(&(pid as u8)).copied().unwrap_or(0);
            calls.get(at).map(|c| (pid as u8, c))
        })
        .collect();
    if next_calls.is_empty() {
        return None;
    }
    let stuck = |st: &Sys| -> Option<(u8, String)> {
        let mut acts = Vec::new();
        model.enabled(st, &mut acts);
        next_calls.iter().find_map(|&(pid, label)| {
            let busy = st.emus.get(pid as usize).is_some_and(|e| e.outstanding > 0);
            let enabled = acts.iter().any(|a| {
                Stimulus::of_action(a)
                    .and_then(call_label)
                    .is_some_and(|(p, l)| p == pid && l == *label)
            });
            (enabled && !busy).then(|| (pid, label.clone()))
        })
    };
    let mut found = None;
    for st in resting {
        match stuck(st) {
            None => return None,
            Some(x) => found = found.or(Some(x)),
        }
    }
    let (pid, label) = found?;
    Some(format!(
        "{path}:{}: the refimpl came to rest with process {pid}'s program still to call \
         {label}, which the model's process can call there in every explanation of the trace \
         (the implementation's process stopped where its program goes on)",
        trace.events.len() + 1
    ))
}

/// The rules of `model::RULES` some explanation of a refimpl step carries, from the states
/// `start` the step may start from (the closure, which holds the states after the previous
/// event) to the recorded observation `target` (for the report of a wrong rule label).
fn rules_carried(model: &OsfModel, start: &[Cand], target: &Observed, lim: &Limits) -> Vec<String> {
    let mut visited = 0usize;
    let from: Vec<Cand> = start.iter().map(|(s, _)| (s.clone(), 0)).collect();
    osfmig_model::model::RULES
        .iter()
        .filter(|r| {
            let closure = stutter_closure(model, from.clone(), lim, &mut visited, Some(r));
            reach(model, &closure, target, lim, &mut visited, Some(r))
                .iter()
                .any(|(_, m)| m & RULE_BIT != 0)
        })
        .map(|r| r.to_string())
        .collect()
}

fn params_str(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

//! spec §12.10 Model -> refimpl: replaying a model trace on the reference implementation.
//!
//! The model trace is re-executed on the model (each event must name an enabled action),
//! its stimuli are given to the refimpl as they come (spec §12.8), and after every event
//! the refimpl must show the model's observation (spec §12.7). To get there the driver runs
//! the refimpl's pending events in an order of its choosing (per-channel FIFO kept): an
//! event that yields the model's observation at once is taken first, then one that moves
//! the observation towards it, then one that leaves it unchanged, earliest first in each
//! class. The environment's hidden choices of the model (a refusal for memory exhaustion,
//! an abandon) are given to the refimpl when the model makes them.

use osfmig_model::model::rule_of;
use osfmig_model::types::Msg;
use osfmig_model::{Action, Config, OsfModel, Sys};
use osfmig_refimpl::world::{Ep, Ev, World};
use serde_json::Value;

use crate::bridge::{apply, broken_invariant, invariant_id, world_for, Stimulus};
use crate::generate::describe_action;
use crate::parse::Trace;
use crate::projection::{of_model, of_refimpl, Observed};
use crate::validate::{observed_of, run_of};

/// Refimpl events the driver may run to match one model event, at most.
pub const DRIVE_MAX: usize = 400;

/// Model steps the refimpl may lag behind (spec §12.10): one refimpl event may do what the
/// model does in several steps (the fork's reply and the PM Master's record of the child,
/// say), so the model's intermediate observations need not all appear; the refimpl must
/// show the model's observation again within this many steps.
pub const LAG_MAX: usize = 6;

/// What replaying one trace found.
#[derive(Clone, Debug)]
pub struct Replayed {
    pub steps: usize,
    /// `None` when the refimpl followed the whole trace.
    pub divergence: Option<String>,
    /// Refimpl events run.
    pub refimpl_events: usize,
    /// The items the refimpl's own monitors reported while it followed the trace (spec
    /// §12.16), each once, in the order first reached: what the refimpl saw happen inside,
    /// beyond what the projection compares.
    pub reached: Vec<String>,
    /// The property ID of the refimpl invariant the divergence is (`P6`), when the refimpl's
    /// own checks found one broken (spec §12.5); `None` for a divergence of the observations.
    pub invariant: Option<String>,
}

/// The items `w`'s monitors reached, each once, in the order first reached.
fn reached_items(w: &World) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for (_, item) in &w.trace.reached {
        if !v.iter().any(|x| x == item) {
            v.push(item.to_string());
        }
    }
    v
}

/// The action of `st` that event `i` of a model trace names (by rule and parameters).
fn action_named(model: &OsfModel, st: &Sys, rule: &str, params: &Value) -> Option<Action> {
    let mut acts = Vec::new();
    model.enabled(st, &mut acts);
    acts.into_iter()
        .find(|a| rule_of(st, a, &model.cfg) == rule && describe_action(st, a).2 == *params)
}

fn enabled_list(model: &OsfModel, st: &Sys) -> String {
    let mut acts = Vec::new();
    model.enabled(st, &mut acts);
    acts.iter()
        .map(|a| {
            format!(
                "    {} {}",
                rule_of(st, a, &model.cfg),
                describe_action(st, a).2
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An endpoint in the trace vocabulary (`pma:1`, `port:0`, ...; spec §12.3).
fn ep_name(e: Ep) -> String {
    match e {
        Ep::Pma(n) => format!("pma:{n}"),
        Ep::Kernel(n) => format!("kernel:{n}"),
        Ep::Pmm => "pm_master".into(),
        Ep::Fs(_) => "file_server".into(),
        Ep::Task(p) => format!("port:{p}"),
        Ep::Monitor => "pcntl".into(),
    }
}

/// Message names both sides use (spec §4; the trace vocabulary).
pub(crate) const SHARED: &[&str] = &[
    "Syscall",
    "Request",
    "Reply",
    "AbsentProcess",
    "Relookup",
    "Located",
    "MigrateRequest",
    "Refused",
    "Done",
    "Forward",
    "PullFailed",
    "TaskMigrate",
    "TaskOffer",
    "TaskMigrated",
    "WaitChild",
    "ChildExited",
    "ChildCreated",
    "Reap",
    "ExitNotify",
    "ProcessDied",
    // G1 across nodes (spec §3.3.4): a member starts freezing when the model delivers its
    // `MemberMigrate`. `GroupMigrate` and `GroupStep` stay out: they only move the PM
    // Master's bookkeeping, and the refimpl reports a member frozen together with R6, which
    // the model may take steps later (its R5 is a step of its own).
    "MemberMigrate",
    // A file server's reply: delivered on both sides together, so that a process's next read
    // never finds the refimpl's previous one still open (run fork-file-io).
    "FileReply",
];

/// The refimpl's pending message that a model delivery names: the oldest deliverable one
/// with the same message name, source and destination.
pub(crate) fn same_message(w: &World, params: &Value) -> Option<u64> {
    let name = params.get("deliver")?.as_str()?;
    let src = params.get("src")?.as_str()?;
    let dst = params.get("dst")?.as_str()?;
    let choices = w.choices();
    let pending = w.q.pending();
    // R17: the model's PageData reaching the faulting kernel is the refimpl's fault
    // completion (its page transfer is priced, not a message).
    if name == "PageData" {
        let pid: u32 = params.get("msg")?.get("pid")?.as_u64()? as u32;
        return choices.iter().find_map(|c| {
            let (_, _, ev) = pending.iter().find(|(_, seq, _)| *seq == c.seq)?;
            matches!(ev, Ev::FaultDone { pid: p, .. } if *p == pid).then_some(c.seq)
        });
    }
    choices.iter().find_map(|c| {
        let (_, _, ev) = pending.iter().find(|(_, seq, _)| *seq == c.seq)?;
        let Ev::Deliver(m) = ev else { return None };
        // The model addresses a task's kernel through the task's port (`port:P`); the refimpl
        // names the kernel holding the task.
        let dst_ok = ep_name(m.dst) == dst
            || matches!(m.dst, Ep::Kernel(n) if dst.strip_prefix("port:")
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|p| w.port_holder(p) == Some(n)));
        (m.body.name() == name && ep_name(m.src) == src && dst_ok).then_some(c.seq)
    })
}

/// Whether pending refimpl event `seq` has a model counterpart the model trace schedules:
/// a message of the shared vocabulary, or a fault completion (the model's PageData).
fn is_shared_event(pending: &[(u64, u64, &Ev)], seq: u64) -> bool {
    pending.iter().any(|(_, s, ev)| {
        *s == seq
            && match ev {
                Ev::Deliver(m) => SHARED.contains(&m.body.name()),
                Ev::FaultDone { .. } => true,
                _ => false,
            }
    })
}

/// Whether a model event delivers a message of the shared vocabulary.
pub(crate) fn is_shared_delivery(params: &Value) -> bool {
    params
        .get("deliver")
        .and_then(Value::as_str)
        .is_some_and(|n| SHARED.contains(&n) || n == "PageData")
}

/// A refimpl invariant the refimpl's own checks found broken (spec §12.5): on the refimpl
/// that follows the trace, or on a schedule the driver tried (every schedule it tries is
/// one the refimpl may take, so a broken invariant there is a bug all the same).
struct Broken(String);

/// `Err` when `w` has recorded a broken invariant.
fn intact(w: &World) -> Result<(), Broken> {
    match broken_invariant(w) {
        Some(b) => Err(Broken(b)),
        None => Ok(()),
    }
}

/// Runs the earliest filler: a pending refimpl event that is not a message of the shared
/// vocabulary and leaves the observation unchanged. False when there is none.
fn run_filler(w: &mut World, cfg: &Config) -> Result<bool, Broken> {
    let cur = of_refimpl(w, cfg);
    let pending = w.q.pending();
    for c in w.choices() {
        if is_shared_event(&pending, c.seq) {
            continue;
        }
        let mut w2 = w.clone();
        w2.run_choice(c.seq);
        intact(&w2)?;
        if of_refimpl(&w2, cfg) == cur {
            *w = w2;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Runs refimpl events until it shows `target`; false if it cannot within `DRIVE_MAX`.
fn drive(w: &mut World, cfg: &Config, target: &Observed, ran: &mut usize) -> Result<bool, Broken> {
    for _ in 0..DRIVE_MAX {
        let cur = of_refimpl(w, cfg);
        if cur == *target {
            return Ok(true);
        }
        let mut towards: Option<World> = None;
        // A move that settles every component but the messages in flight: the last resort
        // (a refimpl event that does in one what the model does in two steps, one of them
        // consuming a message the other sent, passes through a network the model never
        // shows).
        let mut loose: Option<World> = None;
        let mut stutter: Option<World> = None;
        let mut exact: Option<World> = None;
        let pending = w.q.pending();
        for c in w.choices() {
            // A message of the shared vocabulary is delivered when the model delivers it (the
            // hint in `replay_with`) or when it yields progress, never as a mere filler.
            let shared = is_shared_event(&pending, c.seq);
            let mut w2 = w.clone();
            w2.run_choice(c.seq);
            intact(&w2)?;
            let obs = of_refimpl(&w2, cfg);
            if obs == *target {
                exact = Some(w2);
                break;
            }
            if obs == cur {
                if stutter.is_none() && !shared {
                    stutter = Some(w2);
                }
            } else if towards.is_none() && cur.moves_towards(&obs, target) {
                towards = Some(w2);
            } else if loose.is_none() && cur.moves_towards_within_event(&obs, target) {
                loose = Some(w2);
            }
        }
        // No single event shows the target: one that leads to it in two (an event that
        // changes nothing observable and enables the one the model took, say a plan's last
        // step before R4') is preferred to a move that merely changes an unsettled component.
        if exact.is_none() {
            exact = two_steps_to(w, cfg, target)?;
        }
        match exact.or(towards).or(stutter).or(loose) {
            Some(next) => {
                *w = next;
                *ran += 1;
            }
            None => return Ok(false),
        }
    }
    Ok(of_refimpl(w, cfg) == *target)
}

/// The refimpl after the first of two events that show `target` after the second, if any.
fn two_steps_to(w: &World, cfg: &Config, target: &Observed) -> Result<Option<World>, Broken> {
    for c in w.choices() {
        let mut w2 = w.clone();
        w2.run_choice(c.seq);
        intact(&w2)?;
        for d in w2.choices() {
            let mut w3 = w2.clone();
            w3.run_choice(d.seq);
            intact(&w3)?;
            if of_refimpl(&w3, cfg) == *target {
                return Ok(Some(w2));
            }
        }
    }
    Ok(None)
}

/// Replays `trace` (read from `path`) on the refimpl.
pub fn replay(trace: &Trace, path: &str) -> Result<Replayed, String> {
    let spec = run_of(trace).map_err(|e| format!("{path}:1: {e}"))?;
    replay_with(trace, path, &spec.config, |w| {
        crate::bridge::for_findings(w, &spec)
    })
}

/// Replays with a hook that may alter the refimpl after set-up (the refimpl mutants).
pub fn replay_with(
    trace: &Trace,
    path: &str,
    cfg: &Config,
    setup: impl Fn(&mut World),
) -> Result<Replayed, String> {
    let mut w = world_for(cfg, 0).map_err(|e| format!("{path}:1: {e}"))?;
    setup(&mut w);
    let mut ran = 0usize;
    match follow(trace, path, cfg, &mut w, &mut ran) {
        Ok(r) => r,
        // A broken invariant ends the replay there: the refimpl's state after it is past
        // comparing.
        Err((i, Broken(b))) => {
            let ev = &trace.events[i];
            Ok(Replayed {
                steps: trace.events.len(),
                refimpl_events: ran,
                reached: reached_items(&w),
                invariant: Some(invariant_id(&b).to_string()),
                divergence: Some(format!(
                    "{path}:{}: step {} ({} {}): the refimpl broke invariant {}\n  {b}\n  (its \
                     own check after an event it ran to follow this step)\n  replay: osfmig \
                     traces replay {path}",
                    i + 2,
                    ev.step,
                    ev.rule,
                    ev.params,
                    invariant_id(&b),
                )),
            })
        }
    }
}

/// Follows the trace on `w`; `Err` names the event at which the refimpl broke an invariant.
fn follow(
    trace: &Trace,
    path: &str,
    cfg: &Config,
    w: &mut World,
    ran: &mut usize,
) -> Result<Result<Replayed, String>, (usize, Broken)> {
    let model = OsfModel::new(cfg.clone());
    let mut st = Sys::initial(cfg);
    let steps = trace.events.len();
    // The first model step the refimpl has not matched yet, with the diff and the model
    // state there (for the report).
    let mut lag: Option<(usize, String, Sys)> = None;
    // The model's recent observations (the lag window).
    let mut seen: Vec<Observed> = vec![of_model(&st)];
    // The message ids the trace must carry (spec §12.3).
    let mut ids = crate::generate::IdAssigner::new(&st);
    let mut ledger = crate::fields::Ledger::new(st.net.len() as u64);
    for (i, ev) in trace.events.iter().enumerate() {
        let line = i + 2;
        let at = |b: Broken| (i, b);
        let Some(a) = action_named(&model, &st, &ev.rule, &ev.params) else {
            return Ok(Err(format!(
                "{path}:{line}: step {}: `{} {}` is not enabled in the model here",
                ev.step, ev.rule, ev.params
            )));
        };
        let Some(next) = model.step(&st, &a) else {
            return Ok(Err(format!(
                "{path}:{line}: step {} cannot be taken",
                ev.step
            )));
        };
        if let Err(e) = crate::fields::check_model_event(ev, &st, &a, &next, &mut ids, &mut ledger)
        {
            return Ok(Err(format!("{path}:{line}: step {}: {e}", ev.step)));
        }
        let target = of_model(&next);
        match observed_of(ev) {
            Err(e) => return Ok(Err(format!("{path}:{line}: {e}"))),
            Ok(Some(rec)) if rec != target => {
                return Ok(Err(format!(
                    "{path}:{line}: the recorded state is not the model's:\n{}",
                    rec.diff(&target)
                )))
            }
            Ok(_) => {}
        }
        // The environment's part of the step, on the refimpl.
        let mut refused = None;
        if let Some(s) = Stimulus::of_action(&a) {
            // A stimulus acts on the state the model is in: a lagging refimpl catches up first.
            if lag.is_some() && drive(w, cfg, &of_model(&st), ran).map_err(at)? {
                lag = None;
            }
            refused = apply(w, cfg, s).err();
            intact(w).map_err(at)?;
        }
        match a {
            Action::Deliver {
                idx,
                exhausted: true,
            } => {
                if let Some(Msg::MigrateRequest { pid, .. }) =
                    st.net.get(idx as usize).map(|e| &e.msg)
                {
                    w.refuse_next.insert(*pid as u32);
                }
            }
            Action::Abandon { pid, .. } => w.abandon(pid as u32),
            _ => {}
        }
        intact(w).map_err(at)?;
        // A message the model delivers now is delivered now on the refimpl too, when the
        // refimpl has a message of that name on that channel (the shared vocabulary).
        // If the refimpl has not sent it yet, it runs its own fillers (events outside the
        // shared vocabulary that change nothing observable) until it has.
        if refused.is_none() && is_shared_delivery(&ev.params) {
            let mut w2 = w.clone();
            let mut n = 0usize;
            let found = loop {
                if let Some(seq) = same_message(&w2, &ev.params) {
                    break Some(seq);
                }
                if n >= DRIVE_MAX || !run_filler(&mut w2, cfg).map_err(at)? {
                    break None;
                }
                n += 1;
            };
            if let Some(seq) = found {
                let before = of_refimpl(w, cfg);
                w2.run_choice(seq);
                intact(&w2).map_err(at)?;
                if before.moves_towards(&of_refimpl(&w2, cfg), &target) {
                    *w = w2;
                    *ran += n + 1;
                }
            }
        }
        let ok = refused.is_none() && drive(w, cfg, &target, ran).map_err(at)?;
        seen.push(target.clone());
        if seen.len() > LAG_MAX + 2 {
            seen.remove(0);
        }
        // Behind is allowed, elsewhere is not: a lagging refimpl must show an observation the
        // model had in the window.
        let behind = seen.contains(&of_refimpl(w, cfg));
        if ok {
            lag = None;
        } else if refused.is_none() && behind && lag.as_ref().map_or(0, |l| i - l.0) < LAG_MAX {
            // Behind: the refimpl may still catch up at a later model step.
            if lag.is_none() {
                lag = Some((i, target.diff(&of_refimpl(w, cfg)), st.clone()));
            }
        } else {
            let (first, diff, at) = match lag.take() {
                Some((k, d, at)) => (k, d, at),
                None => (i, target.diff(&of_refimpl(w, cfg)), st.clone()),
            };
            let ev0 = &trace.events[first];
            let why = match refused {
                Some(r) => format!("  the refimpl cannot take the stimulus: {r}\n"),
                None => format!(
                    "  model != refimpl after the step (and for {LAG_MAX} steps on):\n{diff}"
                ),
            };
            return Ok(Ok(Replayed {
                steps,
                refimpl_events: *ran,
                reached: reached_items(w),
                invariant: None,
                divergence: Some(format!(
                    "{path}:{}: step {} ({} {}) diverges\n{why}  actions enabled in the \
                     model before the step:\n{}\n  replay: osfmig traces replay {path}",
                    first + 2,
                    ev0.step,
                    ev0.rule,
                    ev0.params,
                    enabled_list(&model, &at)
                )),
            }));
        }
        st = next;
    }
    // At the end the refimpl must have caught up: a lag is only ever a delay.
    if let Some((first, diff, at)) = lag {
        if !drive(w, cfg, &of_model(&st), ran).map_err(|b| (steps - 1, b))? {
            let ev0 = &trace.events[first];
            return Ok(Ok(Replayed {
                steps,
                refimpl_events: *ran,
                reached: reached_items(w),
                invariant: None,
                divergence: Some(format!(
                    "{path}:{}: step {} ({} {}) diverges\n  model != refimpl after the step \
                     (never caught up by the end of the trace):\n{diff}  actions enabled in \
                     the model before the step:\n{}\n  replay: osfmig traces replay {path}",
                    first + 2,
                    ev0.step,
                    ev0.rule,
                    ev0.params,
                    enabled_list(&model, &at)
                )),
            }));
        }
    }
    Ok(Ok(Replayed {
        steps,
        divergence: None,
        refimpl_events: *ran,
        reached: reached_items(w),
        invariant: None,
    }))
}

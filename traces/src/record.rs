//! spec §12.9 Recording refimpl traces: the refimpl runs a model configuration's processes
//! as scripted processes on its own timing model, and a seeded driver plays the environment
//! within the configuration's bounds (system calls, `pcntl` migrations, crashes, refusals
//! for memory exhaustion, abandons). After every refimpl event that changes the observed
//! state (spec §12.7), and after every stimulus, the trace gets an event with that state.
//!
//! The driver only knows the environment's rules (spec §2.6: which calls a process may
//! make, the budgets); it reads the refimpl's state, never the model's.

use osfmig_model::presets::RunSpec;
use osfmig_model::types::Call as MCall;
use osfmig_model::Config;
use osfmig_refimpl::pm_master::Life as RLife;
use osfmig_refimpl::world::{Ev, World};
use serde_json::json;

use crate::bridge::{
    apply, broken_invariant, invariant_id, program_stimulus, world_for, world_for_programs,
    Stimulus,
};
use crate::direct::{Guide, Next};
use crate::format::{action_id, Event, Header, MsgIds, FORMAT_VERSION, TAU, TOOL_VERSION};
use crate::generate::SplitMix64;
use crate::naming::{rule_for, who, Did};
use crate::programs::{calls_of, programs_for};
use crate::projection::{of_refimpl, Observed};

/// The refimpl's timing profile named in refimpl trace headers.
pub const PROFILE: &str = "i386-25mhz-10mbit";

/// Bounds of one recording.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    /// Events written per trace, at most.
    pub events_max: usize,
    /// Refimpl events run per trace, at most (a run that never quiesces stops there).
    pub refimpl_events_max: usize,
    /// The plan a directed recording follows as a guide (spec §12.9.1), if any.
    pub plan: Option<std::sync::Arc<crate::direct::Plan>>,
    /// The processes run programs instead of a script (spec §12.9.2).
    pub programs: bool,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            events_max: 50,
            refimpl_events_max: 4_000,
            plan: None,
            programs: false,
        }
    }
}

/// The environment's budgets as the driver counts them.
#[derive(Default)]
struct Budget {
    calls: u8,
    pcntl: u8,
    crashes: u8,
    waited: bool,
    forked: bool,
    sigsuspended: bool,
    exited: Vec<bool>,
}

/// Stimuli the environment may give now (spec §2.6), judged on the refimpl's state.
fn possible(w: &World, cfg: &Config, b: &Budget) -> Vec<Stimulus> {
    let mut out = Vec::new();
    let pids = cfg.pids();
    let life = |p: u8| w.pmm.entries.get(&(p as u32)).map(|e| e.life);
    for pid in 0..pids {
        if b.exited[pid as usize] || b.calls >= cfg.requests_max {
            continue;
        }
        let Some(n) = w.port_holder(pid as u32) else {
            continue;
        };
        let t = &w.nodes[n].kernel.tasks[&(pid as u32)];
        if !t.running()
            || matches!(t.exec.run, osfmig_refimpl::kernel::Run::Faulting { .. })
            || t.emulator.outstanding >= cfg.outstanding_max as u32
        {
            continue;
        }
        let c = cfg.calls;
        if c.signal {
            let others: Vec<u8> = (0..pids)
                .filter(|&q| q != pid && (life(q).is_some() || w.pmm.is_reserved(q as u32)))
                .collect();
            if others.is_empty() {
                out.push(Stimulus::Issue {
                    pid,
                    call: MCall::Signal,
                    target: pid,
                });
            }
            for q in others {
                out.push(Stimulus::Issue {
                    pid,
                    call: MCall::Signal,
                    target: q,
                });
            }
        }
        if c.getinfo {
            out.push(Stimulus::Issue {
                pid,
                call: MCall::GetInfo,
                target: pid,
            });
        }
        if c.fork && pid == 0 && !b.forked {
            out.push(Stimulus::Issue {
                pid,
                call: MCall::Fork,
                target: pid,
            });
        }
        if c.wait && pid == 0 && pids > 1 && !b.waited {
            out.push(Stimulus::Issue {
                pid,
                call: MCall::Wait,
                target: pid,
            });
        }
        if c.exit && pid > 0 {
            out.push(Stimulus::Issue {
                pid,
                call: MCall::Exit,
                target: pid,
            });
        }
        if c.sigsuspend && pid == 0 && !b.sigsuspended {
            out.push(Stimulus::Issue {
                pid,
                call: MCall::Sigsuspend,
                target: pid,
            });
        }
    }
    // pcntl(ALLOW/DISALLOW) of a live process: a call of the budget, and one of the run's
    // pcntl callers while it is answered.
    if cfg.calls.pcntl_allow
        && b.calls < cfg.requests_max
        && w.pcntl_outstanding < cfg.pcntl_callers_max as u32
    {
        for pid in 0..pids {
            if life(pid) == Some(RLife::Alive) {
                for allow in [false, true] {
                    out.push(Stimulus::PcntlAllow { pid, allow });
                }
            }
        }
    }
    // As many `pcntl` requests under way at once as the run has callers (issue 12).
    if b.pcntl < cfg.migrations_max && w.pcntl_outstanding < cfg.pcntl_callers_max as u32 {
        for pid in 0..pids {
            if life(pid) != Some(RLife::Alive) {
                continue;
            }
            for dst in cfg.test_nodes() {
                if w.nodes[dst as usize].alive {
                    out.push(Stimulus::Pcntl { pid, dst });
                }
            }
        }
    }
    if cfg.calls.file_read {
        for pid in 0..pids {
            if b.exited[pid as usize]
                || b.calls >= cfg.requests_max
                || w.file_reads.contains(&(pid as u32))
            {
                continue;
            }
            let Some(n) = w.port_holder(pid as u32) else {
                continue;
            };
            let t = &w.nodes[n].kernel.tasks[&(pid as u32)];
            if t.running() && !matches!(t.exec.run, osfmig_refimpl::kernel::Run::Faulting { .. }) {
                out.push(Stimulus::FileRead { pid });
            }
        }
    }
    if cfg.calls.touch {
        for pid in 0..pids {
            let Some(n) = w.port_holder(pid as u32) else {
                continue;
            };
            let t = &w.nodes[n].kernel.tasks[&(pid as u32)];
            if !t.running() || matches!(t.exec.run, osfmig_refimpl::kernel::Run::Faulting { .. }) {
                continue;
            }
            for (page, &home) in t.pages.iter().enumerate() {
                if home != n && w.nodes[home].alive {
                    out.push(Stimulus::Touch {
                        pid,
                        page: page as u8,
                    });
                }
            }
        }
    }
    if cfg.strategy == osfmig_model::config::Strategy::Precopy {
        for pid in 0..pids {
            for page in w.dirtiable_pages(pid as u32) {
                out.push(Stimulus::Write {
                    pid,
                    page: page as u8,
                });
            }
        }
    }
    if b.crashes < cfg.crashes_max {
        for node in cfg.test_nodes() {
            if w.nodes[node as usize].alive {
                out.push(Stimulus::Crash { node });
            }
        }
    }
    out
}

/// A node whose PMA holds a process on its migrating list, its task shipped and arrived at
/// the destination's kernel, not yet restarted there, with requests in its pending queue Q:
/// C4's condition's window (spec §5.4). A crash while the task is still in transit is C1
/// instead, and one before the PM Master's location update has the process buried (§5.3).
fn c4_queue_window(w: &World) -> Option<u8> {
    w.nodes.iter().enumerate().find_map(|(n, nd)| {
        let shipped_with_queue = nd.alive
            && nd.pma.migrating.iter().any(|pid| {
                nd.pma.procs.get(pid).is_some_and(|p| {
                    p.out.as_ref().is_some_and(|o| {
                        !o.queue.is_empty()
                            && !nd.kernel.tasks.contains_key(pid)
                            && w.nodes[o.dst].kernel.tasks.contains_key(pid)
                            && w.pmm.location(*pid) == Some(o.dst)
                            && w.nodes[o.dst]
                                .pma
                                .procs
                                .get(pid)
                                .is_some_and(|q| q.list == osfmig_refimpl::pma::List::Incoming)
                    })
                })
            });
        shipped_with_queue.then_some(n as u8)
    })
}

fn count(b: &mut Budget, s: Stimulus) {
    match s {
        Stimulus::Issue { pid, call, .. } => {
            b.calls += 1;
            match call {
                MCall::Wait => b.waited = true,
                MCall::Fork => b.forked = true,
                MCall::Exit => b.exited[pid as usize] = true,
                MCall::Sigsuspend => b.sigsuspended = true,
                _ => {}
            }
        }
        Stimulus::Pcntl { .. } => b.pcntl += 1,
        Stimulus::PcntlAllow { .. } => b.calls += 1,
        Stimulus::Crash { .. } => b.crashes += 1,
        Stimulus::Touch { .. } | Stimulus::Write { .. } => {}
        Stimulus::FileRead { .. } => b.calls += 1,
    }
}

/// A recorded trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The NDJSON text.
    pub text: String,
    /// The refimpl invariant its own checks found broken while recording (spec §12.5), if
    /// any: the trace then ends with the event at which it broke.
    pub broken: Option<BrokenAt>,
    /// For a directed recording, whether the refimpl showed the plan's last observation.
    pub followed: Option<bool>,
}

/// Where a recording broke a refimpl invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenAt {
    /// The `step` of the trace's last event, the one at which it broke.
    pub step: u64,
    /// That event's rule label.
    pub rule: String,
    /// The property and how it broke, with the refimpl's time.
    pub invariant: String,
}

/// Records one trace of `spec`'s configuration. A refimpl invariant broken on the way (its
/// own P1-P10 checks, spec §11.7) is an error naming the step and the invariant.
pub fn record_one(
    preset: &str,
    spec: &RunSpec,
    seed: u64,
    index: u64,
    opts: &RecordOptions,
) -> Result<String, String> {
    record_with(preset, spec, seed, index, opts, |_| {})
}

/// Records with a hook that may alter the refimpl after set-up (the refimpl mutants); a
/// broken invariant is an error, as in [`record_one`].
pub fn record_with(
    preset: &str,
    spec: &RunSpec,
    seed: u64,
    index: u64,
    opts: &RecordOptions,
    setup: impl Fn(&mut World),
) -> Result<String, String> {
    let r = record_checked(preset, spec, seed, index, opts, &setup)?;
    match r.broken {
        None => Ok(r.text),
        Some(b) => Err(format!(
            "step {} ({}): the refimpl broke invariant {}: {}",
            b.step,
            b.rule,
            invariant_id(&b.invariant),
            b.invariant
        )),
    }
}

/// The items the refimpl's monitors reached since `from` (each once, in the order first
/// reached), and `from` moved past them.
fn reached_since(w: &World, from: &mut usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, item) in &w.trace.reached[*from..] {
        if !out.iter().any(|x| x == item) {
            out.push(item.to_string());
        }
    }
    *from = w.trace.reached.len();
    out
}

/// The node a stimulus's event names: the crashed node, the master node for the `pcntl`
/// caller, else the node holding the process's task.
fn stimulus_node(w: &World, s: Stimulus) -> Option<u8> {
    match s {
        Stimulus::Crash { node } => Some(node),
        Stimulus::Pcntl { .. } | Stimulus::PcntlAllow { .. } => Some(0),
        _ => s
            .pid()
            .and_then(|p| w.port_holder(p as u32))
            .map(|n| n as u8),
    }
}

/// Writes the event of a step: its rule, actor, parameters and node, with the state after it
/// and the items the refimpl's monitors reached in it.
fn record_event(
    events: &mut Vec<Event>,
    w: &World,
    cfg: &Config,
    obs: &mut Observed,
    reached_from: &mut usize,
    (rule, actor, params, node): (&str, &str, serde_json::Value, Option<u8>),
) -> Result<(), String> {
    *obs = of_refimpl(w, cfg);
    let reached = reached_since(w, reached_from);
    events.push(Event {
        kind: "event".into(),
        step: events.len() as u64,
        time_ns: Some(w.now()),
        node,
        actor: actor.into(),
        action: action_id(rule).into(),
        rule: rule.into(),
        params,
        msg_ids: MsgIds::default(),
        state: Some(serde_json::to_value(&*obs).map_err(|e| e.to_string())?),
        reached,
    });
    Ok(())
}

/// Records one trace; a broken refimpl invariant is part of the result (the trace up to the
/// event at which it broke), so that the caller can write the trace and report the finding.
pub fn record_checked(
    preset: &str,
    spec: &RunSpec,
    seed: u64,
    index: u64,
    opts: &RecordOptions,
    setup: &dyn Fn(&mut World),
) -> Result<Recorded, String> {
    let cfg = &spec.config;
    let mut rng = SplitMix64::new(seed ^ SplitMix64::new(index).next_u64());
    let mut program_calls: Vec<Vec<String>> = Vec::new();
    let mut w = if opts.programs {
        // The programs come from a stream of their own (spec §12.9.2).
        let mut prng = SplitMix64::new(seed ^ SplitMix64::new(index ^ 0x9_0ca5).next_u64());
        let programs = programs_for(cfg, &mut prng);
        program_calls = calls_of(&programs);
        world_for_programs(cfg, seed, programs)?
    } else {
        world_for(cfg, seed)?
    };
    crate::bridge::for_findings(&mut w, spec);
    setup(&mut w);
    let mut b = Budget {
        exited: vec![false; cfg.pids() as usize],
        ..Budget::default()
    };
    let mut events: Vec<Event> = Vec::new();
    let mut obs: Observed = of_refimpl(&w, cfg);
    let mut ran = 0usize;
    // Rule labels of stuttering refimpl steps since the last event written.
    let mut carried: Vec<String> = Vec::new();
    // Who took the stuttering steps since the last step event written (the final
    // stuttering event names the first of them whose node is still up).
    let mut stutter_who: Vec<(&'static str, Option<u8>)> = Vec::new();
    let mut just_changed = false;
    // The refimpl's monitors (spec §12.16): items reached since the last event written.
    let mut reached_from = w.trace.reached.len();
    let milestones_only = rng.below(2) == 0;
    // The invariant the refimpl broke, if it did: the trace ends with that event.
    let mut broken: Option<String> = None;
    // In one trace in three of a configuration that can reach C4's condition (spec §5.4),
    // the environment holds its crash for that window: the source's crash after it shipped
    // the task while requests wait in the process's queue. Drawn from its own stream, so
    // that the other traces stay as they were.
    let c4_hunt = cfg.crashes_max > 0 && SplitMix64::new(index ^ 0xc4c4).next_u64() % 3 == 0;
    // A directed recording's guide (spec §12.9.1); the ordinary driver once it lets go.
    let mut guide = opts.plan.clone().map(Guide::new);
    let mut followed: Option<bool> = None;
    // Whether the run came to rest (the loop's last exit), not cut short.
    let mut quiescent = None;
    while events.len() < opts.events_max && ran < opts.refimpl_events_max {
        let mut stimuli = possible(&w, cfg, &b);
        if opts.programs {
            // The programs make the processes' calls; the driver plays the rest.
            stimuli.retain(|s| matches!(s, Stimulus::Pcntl { .. } | Stimulus::Crash { .. }));
        }
        if c4_hunt && c4_queue_window(&w).is_none() && guide.is_none() {
            stimuli.retain(|s| !matches!(s, Stimulus::Crash { .. }));
        }
        let guided = match guide.as_mut() {
            Some(g) => g.next(&mut w, cfg, &stimuli),
            None => Next::Free,
        };
        if guided == Next::Free {
            if let Some(g) = guide.take() {
                followed = Some(g.reached());
            }
        }
        let pending = !w.q.is_empty();
        if stimuli.is_empty() && !pending {
            quiescent = broken.is_none().then_some(true);
            break;
        }
        // Stimuli come more often right after a protocol milestone (an observed change),
        // where the interesting races are (a request to D between its restart and the
        // forwarded queue, P11).
        // In a "milestone" trace (half of them) the environment acts only when the system is
        // idle or right after a milestone, which keeps the call budget for the windows
        // between milestones.
        // A program's computation is a run of unobserved events: the environment acts
        // more often among them, or its migrations would find the programs done.
        let odds = if just_changed || opts.programs { 2 } else { 8 };
        let busy_ok = if milestones_only { just_changed } else { true };
        let mut stimulate = !stimuli.is_empty() && (!pending || (busy_ok && rng.below(odds) == 0));
        let guiding = guided != Next::Free;
        // C4's condition (spec §5.4) has a narrow window: a source that shipped a task while
        // requests wait in the process's pending queue. When a crash of such a source is
        // possible, the environment takes it half the time, busy or not.
        let c4_crash = c4_queue_window(&w)
            .map(|node| Stimulus::Crash { node })
            .filter(|c| stimuli.contains(c) && rng.below(2) == 0);
        stimulate |= c4_crash.is_some();
        // Likewise a call on a process while it migrates is queued at its source (R2), which
        // the queue items (S-queued-forwarded, S-C4-queue-lost) need: taken a time in four.
        let migrating: Vec<u32> = w
            .nodes
            .iter()
            .filter(|nd| nd.alive)
            .flat_map(|nd| nd.pma.procs.iter())
            .filter(|(_, p)| p.out.is_some())
            .map(|(&pid, _)| pid)
            .collect();
        let queue_call = if c4_crash.is_none() && !migrating.is_empty() {
            let calls: Vec<Stimulus> = stimuli
                .iter()
                .copied()
                .filter(|s| match s {
                    Stimulus::Issue { target, .. } | Stimulus::PcntlAllow { pid: target, .. } => {
                        migrating.contains(&(*target as u32))
                    }
                    _ => false,
                })
                .collect();
            (!calls.is_empty() && rng.below(4) == 0).then(|| calls[rng.below(calls.len())])
        } else {
            None
        };
        stimulate |= queue_call.is_some();
        // And a migration of a process while a call on it is still on its way to its PMA:
        // the call then reaches a process that is freezing and is queued (R2).
        let routed: Vec<u32> = w
            .reqs
            .iter()
            .filter(|q| q.status == osfmig_refimpl::world::ReqStatus::Routing)
            .map(|q| q.target)
            .collect();
        let queue_pcntl = if c4_crash.is_none() && queue_call.is_none() && !routed.is_empty() {
            let ps: Vec<Stimulus> = stimuli
                .iter()
                .copied()
                .filter(
                    |s| matches!(s, Stimulus::Pcntl { pid, .. } if routed.contains(&(*pid as u32))),
                )
                .collect();
            (!ps.is_empty() && rng.below(2) == 0).then(|| ps[rng.below(ps.len())])
        } else {
            None
        };
        stimulate |= queue_pcntl.is_some();
        // A crash ends most of what a trace could still show: while the system is busy and
        // a crash is all the environment could do, it waits two times in three.
        if stimulate
            && pending
            && c4_crash.is_none()
            && stimuli.iter().all(|s| matches!(s, Stimulus::Crash { .. }))
            && rng.below(3) != 0
        {
            stimulate = false;
        }
        if guiding {
            // The guide decides: its stimulus, or the refimpl event it picked.
            stimulate = matches!(guided, Next::Stimulus(_));
        }
        just_changed = false;
        let log_from = w.trace.entries.len();
        let (rule, actor, params, node) = if stimulate {
            // An idle system starts a migration half the time, so that the call budget is
            // not always spent before anything migrates.
            let migrations: Vec<Stimulus> = stimuli
                .iter()
                .copied()
                .filter(|s| matches!(s, Stimulus::Pcntl { .. }))
                .collect();
            let mut s = if !pending && !migrations.is_empty() && rng.below(2) == 0 {
                migrations[rng.below(migrations.len())]
            } else {
                stimuli[rng.below(stimuli.len())]
            };
            if let Next::Stimulus(g) = guided {
                s = g;
            } else if let Some(c) = c4_crash.or(queue_call).or(queue_pcntl) {
                s = c;
            } else if matches!(s, Stimulus::Crash { .. }) {
                // A crash ends most of what a trace could still show: two times in three the
                // environment does something else first, if it can.
                let others: Vec<Stimulus> = stimuli
                    .iter()
                    .copied()
                    .filter(|s| !matches!(s, Stimulus::Crash { .. }))
                    .collect();
                if !others.is_empty() && rng.below(3) != 0 {
                    s = others[rng.below(others.len())];
                }
            }
            apply(&mut w, cfg, s).map_err(|e| format!("refimpl refused stimulus {s:?}: {e}"))?;
            broken = broken_invariant(&w);
            count(&mut b, s);
            let (rule, actor, params) = s.render();
            (rule, actor, params, stimulus_node(&w, s))
        } else {
            // Memory exhaustion (R7) and abandons (R10) are the environment's choices too.
            if cfg.refusals && rng.below(8) == 0 && !guiding {
                let pid = rng.below(cfg.pids() as usize) as u32;
                w.refuse_next.insert(pid);
            }
            if cfg.abandon && rng.below(8) == 0 && !guiding {
                let pid = rng.below(cfg.pids() as usize) as u32;
                w.abandon(pid);
            }
            // An abandon the environment chose is the source PMA's step (R10), logged at
            // its node; otherwise the step is the next refimpl event's.
            // The event that runs next: the guide's pick, else the next in time.
            let chosen = match guided {
                Next::Event(seq) => Some(seq),
                _ => None,
            };
            let (restart, actor, node) = {
                let pend = w.q.pending();
                let next_ev = match chosen {
                    Some(seq) => pend.iter().find(|p| p.1 == seq),
                    None => pend.first(),
                };
                let restart = matches!(
                    next_ev,
                    Some((_, _, Ev::Restart { .. })) if w.trace.entries.len() == log_from
                );
                let (actor, node) = match w.trace.entries.get(log_from) {
                    Some(e) => ("pma", Some(e.node as u8)),
                    None => next_ev.map_or(("pma", None), |(_, _, e)| who(&w, e)),
                };
                (restart, actor, node)
            };
            if pending {
                match chosen {
                    Some(seq) => {
                        w.run_choice(seq);
                    }
                    None => {
                        w.step();
                    }
                }
                ran += 1;
            }
            broken = broken_invariant(&w);
            // A program's step is the stimulus it is (spec §12.9.2).
            if let Some(s) = program_stimulus(&mut w)? {
                count(&mut b, s);
                just_changed = true;
                let (rule, actor, params) = s.render();
                (rule, actor, params, stimulus_node(&w, s))
            } else {
                let now = of_refimpl(&w, cfg);
                let stuttering = now == obs;
                if stuttering && broken.is_none() {
                    // A stuttering step: not written (spec §12.9); its labels go with the next
                    // event written.
                    carried.extend(
                        w.trace.entries[log_from..]
                            .iter()
                            .map(|e| e.rule.to_string()),
                    );
                    // Who took it, named as a written event would name it.
                    let node = w.trace.entries[log_from..]
                        .first()
                        .map_or(node, |e| Some(e.node as u8));
                    if !stutter_who.contains(&(actor, node)) {
                        stutter_who.push((actor, node));
                    }
                    continue;
                }
                just_changed = true;
                let mut labels: Vec<String> = w.trace.entries[log_from..]
                    .iter()
                    .map(|e| e.rule.to_string())
                    .collect();
                let mut stutter: Vec<String> = std::mem::take(&mut carried);
                stutter_who.clear();
                if stuttering {
                    // The step that broke an invariant is written although it changed nothing
                    // observable: a declared stuttering event (spec §12.9), its labels with the
                    // stuttering ones.
                    stutter.append(&mut labels);
                }
                // The node of the first step the refimpl logged, whose label is the event's rule;
                // without one, the node of the actor.
                let node = w.trace.entries[log_from..]
                    .first()
                    .map_or(node, |e| Some(e.node as u8));
                let rule = rule_for(&labels, Did::of(restart, &obs, &now));
                (
                    rule,
                    actor,
                    json!({ "labels": labels, "stutter_labels": stutter }),
                    node,
                )
            }
        };
        record_event(
            &mut events,
            &w,
            cfg,
            &mut obs,
            &mut reached_from,
            (rule, actor, params, node),
        )?;
        if broken.is_some() {
            break;
        }
    }
    if broken.is_none() && quiescent.is_none() && ran >= opts.refimpl_events_max {
        // The refimpl's whole event budget went without the run coming to rest.
        quiescent = Some(false);
    }
    let reached = reached_since(&w, &mut reached_from);
    if broken.is_none()
        && (!carried.is_empty() || !reached.is_empty())
        && events.len() < opts.events_max
    {
        // The labels of the last stuttering steps, on a final stuttering event (its state is
        // the current one: a declared stuttering step, spec §12.9), by the first of them.
        // A step for a node that is down by now (a message to a crashed node, dropped, or a
        // step before a crash stimulus) is not named: its actor is gone.
        let up = |n: &Option<u8>| n.is_some_and(|n| w.nodes[n as usize].alive);
        let (actor, node) = stutter_who
            .iter()
            .find(|(_, n)| up(n))
            .or(stutter_who.first())
            .copied()
            .unwrap_or(("pma", None));
        events.push(Event {
            kind: "event".into(),
            step: events.len() as u64,
            time_ns: Some(w.now()),
            node,
            actor: actor.into(),
            action: action_id(TAU).into(),
            rule: TAU.into(),
            params: json!({ "labels": Vec::<String>::new(), "stutter_labels": carried }),
            msg_ids: MsgIds::default(),
            state: Some(serde_json::to_value(&obs).map_err(|e| e.to_string())?),
            reached,
        });
    }
    let header = Header {
        kind: "header".into(),
        format_version: FORMAT_VERSION,
        source: "refimpl".into(),
        preset: preset.into(),
        run: spec.name.clone(),
        config: serde_json::to_value(cfg).map_err(|e| e.to_string())?,
        generator: match (&opts.plan, opts.programs) {
            (Some(p), _) => format!("record --target {}", p.goal.name()),
            (None, true) => "record --programs".into(),
            (None, false) => "record".into(),
        },
        seed: Some(seed),
        index,
        timing_profile: Some(PROFILE.into()),
        tool: "osfmig".into(),
        tool_version: TOOL_VERSION.into(),
        monitors: osfmig_refimpl::trace::MONITORED
            .iter()
            .map(|m| m.to_string())
            .collect(),
        quiescent,
        programs: program_calls,
    };
    let mut text = serde_json::to_string(&header).map_err(|e| e.to_string())?;
    text.push('\n');
    for ev in &events {
        text.push_str(&serde_json::to_string(ev).map_err(|e| e.to_string())?);
        text.push('\n');
    }
    let broken = match (broken, events.last()) {
        (Some(invariant), Some(last)) => Some(BrokenAt {
            step: last.step,
            rule: last.rule.clone(),
            invariant,
        }),
        _ => None,
    };
    // A guide still on at the end followed the plan as far as the trace went.
    let followed = match guide {
        Some(g) => Some(g.reached()),
        None => followed,
    };
    Ok(Recorded {
        text,
        broken,
        followed,
    })
}

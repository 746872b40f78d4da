//! Why a safety property is false (spec §6.1, §8.4): one line naming the requests, pids and
//! nodes at fault, for the report under each counterexample. A safety counterexample ends at
//! the first state where its property is false, so what its last step changed is what broke
//! it: the properties kept as ghost flags (P5, P9, P11, P14 and P1's reuse) are explained
//! from the last step and the state before it, the others from the final state alone.

use crate::config::Mode;
use crate::model::{Action, OsfModel};
use crate::narrate::{node_name, req_name, step_actor, step_summary};
use crate::state::*;
use crate::types::*;

/// The state before the last step, the last action and the final state of a path.
pub struct Last<'a> {
    pub prev: &'a Sys,
    pub action: &'a Action,
    pub st: &'a Sys,
}

use super::{live_nodes as live, pids};

/// Every proc slot of every live PMA: the node, the pid and the slot.
fn live_procs(st: &Sys) -> impl Iterator<Item = (NodeId, usize, &Local)> {
    live(st).flat_map(|(i, n)| n.pma.procs.iter().enumerate().map(move |(p, l)| (i, p, l)))
}

fn list(v: &[String]) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].clone(),
        _ => format!("{} and {}", v[..v.len() - 1].join(", "), v[v.len() - 1]),
    }
}

fn pma(n: NodeId) -> String {
    format!("PMA@{}", node_name(n))
}

/// The last step, as the report names it.
fn last_step(m: &OsfModel, l: &Last) -> String {
    format!(
        "the last step ({} by {}: {})",
        crate::model::rule_of(l.prev, l.action, &m.cfg),
        step_actor(l.prev, l.action),
        step_summary(l.prev, l.action)
    )
}

/// The requests the last step served (their `handled` count went up).
fn served_now(l: &Last) -> Vec<ReqId> {
    (0..l.st.reqs.len())
        .filter(|&r| l.st.reqs[r].handled > l.prev.reqs.get(r).map_or(0, |p| p.handled))
        .map(|r| r as ReqId)
        .collect()
}

/// The messages the last step sent, as the narration finds them.
fn sent_now(m: &OsfModel, l: &Last) -> Vec<Envelope> {
    crate::narrate::narrate(m, l.prev, l.action, l.st).sent
}

/// How many steps of `actions` lead to the first state where `check` is false (all of them
/// when it never is).
pub fn first_failure(
    m: &OsfModel,
    check: fn(&OsfModel, &Sys) -> bool,
    actions: &[Action],
) -> usize {
    use stateright::Model;
    let mut st = m.init_states().remove(0);
    for (k, a) in actions.iter().enumerate() {
        match m.step(&st, a) {
            Some(next) => st = next,
            None => return actions.len(),
        }
        if !check(m, &st) {
            return k + 1;
        }
    }
    actions.len()
}

/// [`why`] at the end of a path of actions from the initial state (`None` for an empty path
/// or one that does not apply).
pub fn why_of_path(m: &OsfModel, id: &str, actions: &[Action]) -> Option<String> {
    use stateright::Model;
    let (last, init) = actions.split_last()?;
    let mut prev = m.init_states().remove(0);
    for a in init {
        prev = m.step(&prev, a)?;
    }
    let st = m.step(&prev, last)?;
    why(
        m,
        id,
        &Last {
            prev: &prev,
            action: last,
            st: &st,
        },
    )
}

/// One line saying why property `id` is false at the end of `l`, or `None` when it holds
/// there (or is not a safety property).
pub fn why(m: &OsfModel, id: &str, l: &Last) -> Option<String> {
    let st = l.st;
    let out: Vec<String> = match id {
        "P1" => p1(l),
        "P2" => pids(st)
            .filter_map(|p| {
                let on: Vec<String> = live(st)
                    .filter(|(_, n)| {
                        n.kernel.tasks[p as usize]
                            .as_ref()
                            .is_some_and(|t| t.threads == Threads::Running)
                    })
                    .map(|(i, _)| node_name(i))
                    .collect();
                (on.len() > 1).then(|| format!("process {p}'s threads run on {}", list(&on)))
            })
            .collect(),
        "P3" if m.cfg.mode == Mode::Process => live(st)
            .flat_map(|(i, n)| {
                pids(st)
                    .filter(move |&p| {
                        matches!(n.pma.procs[p as usize], Local::Active { .. })
                            && n.kernel.tasks[p as usize].is_none()
                    })
                    .map(move |p| {
                        format!(
                            "{} holds process {p} active, but its task is not on {}'s kernel \
                             (it was pulled away)",
                            pma(i),
                            node_name(i)
                        )
                    })
            })
            .collect(),
        "P4" => p4(st),
        "P5" => p5(l),
        "P6" => st
            .reqs
            .iter()
            .enumerate()
            .filter_map(|(r, q)| {
                let name = req_name(st, r as ReqId);
                if q.handled > 1 {
                    Some(format!("{name} was served {} times", q.handled))
                } else if q.forwarded > q.queued {
                    Some(format!(
                        "{name} was forwarded {} times but queued {} times",
                        q.forwarded, q.queued
                    ))
                } else {
                    None
                }
            })
            .collect(),
        "P7" if m.cfg.mode == Mode::Process => p7(st),
        "P8" => p8(m, st),
        "P9" => sent_now(m, l)
            .iter()
            .filter_map(|e| match (e.src, e.msg) {
                (Actor::Pma(n), Msg::AbsentProcess { req }) => {
                    let p = st.reqs[req as usize].target;
                    Some(format!(
                        "{} answered AbsentProcess for {}, but the PM Master locates process \
                         {p} at {}",
                        pma(n),
                        req_name(st, req),
                        node_name(n)
                    ))
                }
                _ => None,
            })
            .collect(),
        "P10" => pids(st)
            .filter_map(|p| {
                let e = &st.pmm.pids[p as usize];
                let now = (e.parent, e.pgrp, e.session);
                let was = st.ghost.relationships[p as usize];
                if now != was {
                    return Some(format!(
                        "process {p}'s (parent, process group, session) is {now:?}, was {was:?}"
                    ));
                }
                live(st).find_map(|(i, n)| {
                    let t = n.kernel.tasks[p as usize].as_ref()?;
                    (t.files != m.cfg.files_max).then(|| {
                        format!(
                            "process {p}'s task on {} has {} open files, not {}",
                            node_name(i),
                            t.files,
                            m.cfg.files_max
                        )
                    })
                })
            })
            .collect(),
        "P11" => served_now(l)
            .into_iter()
            .filter_map(|r| {
                let q = st.reqs[r as usize];
                // Unserved before the step: a forwarded queue served in the wrong order serves
                // both in the one step.
                let earlier: Vec<String> = (0..r)
                    .filter(|&e| {
                        let x = l.prev.reqs[e as usize];
                        x.sender == q.sender
                            && x.target == q.target
                            && x.handled == 0
                            && !matches!(x.status, ReqStatus::Completed(_) | ReqStatus::Lost)
                            && !matches!(x.call, Call::Migrate { .. })
                    })
                    .map(|e| req_name(st, e))
                    .collect();
                (!earlier.is_empty()).then(|| {
                    format!(
                        "{} was served while the earlier {} of the same sender on the same \
                         process was not",
                        req_name(st, r),
                        list(&earlier)
                    )
                })
            })
            .collect(),
        "P12" => live_procs(st)
            .filter_map(|(i, p, loc)| match loc {
                Local::Active { proc, out: None } if proc.task_migrating.is_none() => st
                    .task(p as Pid)
                    .filter(|t| t.threads != Threads::Running)
                    .map(|_| {
                        format!(
                            "{} holds process {p} active with no migration under way, but its \
                             threads are suspended",
                            pma(i)
                        )
                    }),
                _ => None,
            })
            .collect(),
        "P13" => p13(m, st),
        "P14" => p14(m, l),
        "A1" => live_procs(st)
            .filter_map(|(i, p, loc)| match loc {
                Local::Active { proc, .. }
                    if proc.usage_total != st.ghost.usage[p]
                        || proc.migrations != st.ghost.migrations[p]
                        || proc.usage_here > proc.usage_total =>
                {
                    Some(format!(
                        "{} reports process {p}'s usage {} (here {}) and {} migrations, but it \
                         used {} over {} migrations",
                        pma(i),
                        proc.usage_total,
                        proc.usage_here,
                        proc.migrations,
                        st.ghost.usage[p],
                        st.ghost.migrations[p]
                    ))
                }
                _ => None,
            })
            .collect(),
        "U1" => vec![format!(
            "no order of the calls explains the answers and events so far: {} made the \
             history non-linearizable (see the history below)",
            last_step(m, l)
        )],
        _ => return None,
    };
    Some(if out.is_empty() {
        format!("it became false at {}", last_step(m, l))
    } else {
        out.join("; ")
    })
}

fn p1(l: &Last) -> Vec<String> {
    let st = l.st;
    let mut out: Vec<String> = pids(st)
        .filter_map(|p| {
            let active: Vec<String> = live(st)
                .filter(|(_, n)| matches!(n.pma.procs[p as usize], Local::Active { .. }))
                .map(|(i, _)| pma(i))
                .collect();
            let installed: Vec<String> = live(st)
                .filter(|(_, n)| {
                    matches!(n.pma.procs[p as usize],
                        Local::Incoming { stage, .. } if stage >= InStage::TaskArrived)
                })
                .map(|(i, _)| pma(i))
                .collect();
            if active.len() > 1 {
                Some(format!("process {p} is active at {}", list(&active)))
            } else if installed.len() > 1 || (installed.len() == 1 && active.len() == 1) {
                Some(format!(
                    "process {p} is active at {} while {} holds it reserved with its task",
                    list(&active),
                    list(&installed)
                ))
            } else {
                None
            }
        })
        .collect();
    if out.is_empty() && st.ghost.p1_reused {
        out.extend(pids(st).filter_map(|p| {
            let (was, now) = (l.prev.pmm.pids[p as usize], st.pmm.pids[p as usize]);
            (was != now && matches!(was.life, Life::Alive | Life::Zombie | Life::Embryo)).then(
                || {
                    format!(
                        "the PM Master gave pid {p} to a new process while its previous holder \
                         was still {:?}",
                        was.life
                    )
                },
            )
        }));
    }
    out
}

fn p4(st: &Sys) -> Vec<String> {
    let bad = |threads_running: bool, in_progress: bool, exiting: bool| -> Option<String> {
        let mut w = Vec::new();
        if threads_running {
            w.push("its threads ran".to_string());
        }
        if in_progress {
            w.push("a call was in progress".to_string());
        }
        if exiting {
            w.push("it was exiting".to_string());
        }
        (!w.is_empty()).then(|| list(&w))
    };
    let mut out: Vec<String> = Vec::new();
    for (i, n) in live(st) {
        for (p, (loc, t)) in n.pma.procs.iter().zip(n.kernel.tasks.iter()).enumerate() {
            if let Local::Migrating { proc, .. } = loc {
                let running = t.as_ref().is_some_and(|t| t.threads == Threads::Running);
                if let Some(w) = bad(running, proc.in_progress.is_some(), proc.exiting) {
                    out.push(format!(
                        "{} extracted the state of process {p} while {w}",
                        pma(i)
                    ));
                }
            }
        }
    }
    for e in &st.net {
        if let Msg::MigrateRequest { pid, image, .. } = &e.msg {
            if let Some(w) = bad(
                !image.threads_suspended,
                image.in_progress.is_some(),
                image.exiting,
            ) {
                out.push(format!(
                    "the MigrateRequest of process {pid} from {} carries a state extracted \
                     while {w}",
                    crate::narrate::actor_name(e.src)
                ));
            }
        }
    }
    out
}

fn p5(l: &Last) -> Vec<String> {
    let st = l.st;
    let mut out = Vec::new();
    if st.ghost.p5_misrouted && !l.prev.ghost.p5_misrouted {
        for r in served_now(l) {
            let p = st.reqs[r as usize].target;
            let at: Vec<String> = live(st)
                .filter(|(_, n)| matches!(n.pma.procs[p as usize], Local::Active { .. }))
                .map(|(i, _)| pma(i))
                .collect();
            out.push(format!(
                "{} was served by {} where process {p} is not active{}",
                req_name(st, r),
                step_actor(l.prev, l.action),
                if at.is_empty() {
                    String::new()
                } else {
                    format!(" (it is active at {})", list(&at))
                }
            ));
        }
    }
    if st.ghost.p5_dropped && !l.prev.ghost.p5_dropped {
        for r in 0..st.reqs.len() {
            let lost = st.reqs[r].status == ReqStatus::Lost
                && l.prev
                    .reqs
                    .get(r)
                    .is_some_and(|q| q.status != ReqStatus::Lost);
            if lost {
                out.push(format!(
                    "{} is held by no PMA and in no message, and no crash took it",
                    req_name(st, r as ReqId)
                ));
            }
        }
    }
    out
}

fn p7(st: &Sys) -> Vec<String> {
    let mut out = Vec::new();
    for p in pids(st) {
        let migrating =
            live(st).any(|(_, n)| matches!(n.pma.procs[p as usize], Local::Migrating { .. }));
        let Some(d) = st.active_node(p) else {
            continue;
        };
        if migrating {
            continue;
        }
        if let Some(t) = st.nodes[d as usize].kernel.tasks[p as usize].as_ref() {
            let others: Vec<String> = t
                .pma_caps
                .iter()
                .filter(|&&c| c != d)
                .map(|&c| pma(c))
                .collect();
            if !others.is_empty() {
                out.push(format!(
                    "process {p} is active at {}, but its emulator's capabilities still name {}",
                    node_name(d),
                    list(&others)
                ));
            }
        }
        for (i, n) in live(st).filter(|&(i, _)| i != d) {
            match n.pma.procs[p as usize] {
                Local::Free | Local::Incoming { .. } => {}
                Local::Active { .. } => out.push(format!(
                    "process {p} is active at {}, and {} still holds it on its active list",
                    node_name(d),
                    pma(i)
                )),
                Local::Migrating { .. } => {}
            }
            if n.pma.vprocs[p as usize] == Vproc::Enqueue {
                out.push(format!(
                    "process {p} is active at {}, but {}'s vproc still enqueues its requests",
                    node_name(d),
                    pma(i)
                ));
            }
        }
    }
    out
}

fn p8(m: &OsfModel, st: &Sys) -> Vec<String> {
    let Some((p, s, d, attempt)) = st.ghost.p8_check else {
        return Vec::new();
    };
    let mut w = Vec::new();
    if !matches!(st.pma(s).procs[p as usize], Local::Active { out: None, .. }) {
        w.push(format!("{} does not hold it active", pma(s)));
    }
    let running = st.nodes[s as usize].kernel.tasks[p as usize]
        .as_ref()
        .is_some_and(|t| t.threads == Threads::Running);
    if !running {
        w.push("its threads do not run".to_string());
    }
    if let Some(r) = (0..st.reqs.len()).find(|&r| {
        let q = st.reqs[r];
        q.target == p
            && matches!(q.call, Call::Migrate { .. })
            && q.status == ReqStatus::InProgress { node: s }
    }) {
        w.push(format!("{} is not answered", req_name(st, r as ReqId)));
    }
    let d_clean = !st.alive(d)
        || match st.pma(d).procs[p as usize] {
            Local::Free => true,
            Local::Incoming { attempt: a, .. } => m.cfg.attempt_tags && a != attempt,
            _ => false,
        };
    if !d_clean {
        w.push(format!("{} still holds a proc for it", pma(d)));
    }
    vec![format!(
        "after {} refused process {p} (attempt {attempt}): {}",
        pma(d),
        list(&w)
    )]
}

fn p13(m: &OsfModel, st: &Sys) -> Vec<String> {
    let mut out = Vec::new();
    for (k, n) in live(st) {
        for (p, t) in n.kernel.tasks.iter().enumerate() {
            let Some(t) = t.as_ref().filter(|t| t.threads == Threads::Running) else {
                continue;
            };
            let caps: Vec<String> = t.pma_caps.iter().map(|&c| pma(c)).collect();
            let first = t.pma_caps[0];
            let one = t.pma_caps.iter().all(|&c| c == first);
            let here = m.cfg.mode == Mode::Task || first == k;
            let holds = !st.alive(first) || matches!(st.pma(first).procs[p], Local::Active { .. });
            if !(one && here && holds) {
                out.push(format!(
                    "process {p}'s threads run on {} with capabilities naming {}{}",
                    node_name(k),
                    list(&caps),
                    if holds {
                        String::new()
                    } else {
                        ", which does not hold it active yet".to_string()
                    }
                ));
            }
        }
    }
    out
}

fn p14(m: &OsfModel, l: &Last) -> Vec<String> {
    let st = l.st;
    sent_now(m, l)
        .iter()
        .filter_map(|e| match e.msg {
            Msg::AbsentProcess { req } => {
                let Actor::Pma(n) = e.src else { return None };
                let p = st.reqs[req as usize].target;
                (!matches!(st.pma(n).procs[p as usize], Local::Free)).then(|| {
                    format!(
                        "{} answered AbsentProcess for {} though it holds process {p}",
                        pma(n),
                        req_name(st, req)
                    )
                })
            }
            Msg::Located { req, node: None }
            | Msg::Reply {
                req,
                outcome: Outcome::NoSuchProcess,
            } => {
                let p = st.reqs[req as usize].target;
                let at: Vec<String> = live(st)
                    .filter(|(_, n)| matches!(n.pma.procs[p as usize], Local::Active { .. }))
                    .map(|(i, _)| pma(i))
                    .collect();
                (!at.is_empty()).then(|| {
                    format!(
                        "{} was told process {p} does not exist, but {} holds it active",
                        req_name(st, req),
                        list(&at)
                    )
                })
            }
            _ => None,
        })
        .collect()
}

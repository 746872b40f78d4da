//! The destination side of a migration (spec §3.2): (c) install the local state and pull the
//! Mach task, R7, R9, R11 and R12; (d) inform the PM Master and restart the process, R13; and
//! the requests the source forwards when it cleans up (R14).

use super::answer::{bump_moves, count_migration, group_outcome};
use super::client::{absent_process, route};
use super::server::accept_here;
use crate::config::Config;
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;

/// R7 Refuse or R9 Accept. `exhausted` is the environment's choice that memory ran out.
// The handler takes the message's three fields, its sender and the environment's choice.
#[allow(clippy::too_many_arguments)]
pub fn on_migrate_request(
    st: &mut Sys,
    cfg: &Config,
    node: NodeId,
    from: NodeId,
    pid: Pid,
    image: ProcImage,
    attempt: u8,
    exhausted: bool,
) {
    let pma = st.pma(node);
    let full = pma.used() >= cfg.procs_per_node_max as usize;
    let busy = !matches!(pma.procs[pid as usize], Local::Free);
    let proc = Proc {
        usage_total: if cfg.mutant_is(Mutant::RusageReset) {
            0
        } else {
            image.usage_total
        },
        usage_here: 0,
        migrations: image.migrations,
        allowed: image.allowed,
        in_progress: image.in_progress,
        exiting: image.exiting,
        awaiting_forward: None,
        held: ReqList::new(),
        task_migrating: None,
        gen: image.gen,
        source_queue_lost: false,
        sig_pending: image.sig_pending,
    };
    if full || busy || exhausted {
        // R7: free what was received (pre-copied pages too) and refuse.
        st.kernel_mut(node).precopied[pid as usize] = 0;
        if cfg.mutant_is(Mutant::RefuseKeepsReservation) && !busy {
            st.pma_mut(node).procs[pid as usize] = Local::Incoming {
                proc,
                src: from,
                stage: InStage::Accepted,
                attempt,
            };
        }
        st.send(
            Actor::Pma(node),
            Actor::Pma(from),
            Msg::Refused { pid, attempt },
        );
        return;
    }
    // Admission: the destination decides at acceptance. It pulls at once when no other pull
    // to it is in progress or waiting (first come, first pulled); otherwise this migration
    // waits its turn (`can_pull`).
    let admitted = cfg.admission && !pulling_at(st, node) && waiting_at(st, node) == 0;
    if cfg.admission && !admitted {
        st.see(Seen::ADMISSION_HELD);
    }
    // R9: a proc and a vproc with the same pid.
    let pma = st.pma_mut(node);
    pma.procs[pid as usize] = Local::Incoming {
        proc,
        src: from,
        stage: InStage::Accepted,
        attempt,
    };
    pma.vprocs[pid as usize] = Vproc::Local;
    if admitted {
        pull(st, cfg, node, pid);
    }
}

/// Migrations accepted at the node whose pull has not started.
fn waiting_at(st: &Sys, node: NodeId) -> usize {
    st.pma(node)
        .procs
        .iter()
        .filter(|l| {
            matches!(
                l,
                Local::Incoming {
                    stage: InStage::Accepted,
                    ..
                }
            )
        })
        .count()
}

/// Whether the node is pulling a task now (R11 sent, the task not yet arrived).
fn pulling_at(st: &Sys, node: NodeId) -> bool {
    st.pma(node).procs.iter().any(|l| {
        matches!(
            l,
            Local::Incoming {
                stage: InStage::Pulling,
                ..
            }
        )
    })
}

/// R11's guard: accepted, and under admission no other pull to the node in progress.
pub fn can_pull(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> bool {
    matches!(
        st.pma(node).procs[pid as usize],
        Local::Incoming {
            stage: InStage::Accepted,
            ..
        }
    ) && !(cfg.admission && pulling_at(st, node))
}

/// R11 TaskPull (receiver pull): the destination kernel asks the source kernel for the task.
pub fn pull(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    // Admission: every other migration accepted here now waits for this pull.
    let others_wait = waiting_at(st, node) > 1;
    if cfg.admission && others_wait {
        st.see(Seen::ADMISSION_HELD);
    }
    if let Local::Incoming {
        stage,
        src,
        attempt,
        ..
    } = &mut st.nodes[node as usize].pma.procs[pid as usize]
    {
        *stage = InStage::Pulling;
        let (src, attempt) = (*src, *attempt);
        st.send(
            Actor::Kernel(node),
            Actor::Kernel(src),
            Msg::PullTask { pid, attempt },
        );
    }
}

/// The kernel reports the pull failed (the source withdrew the offer): free the reservation.
pub fn on_pull_failed(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, failed: u8) {
    if let Local::Incoming { src, attempt, .. } = st.pma(node).procs[pid as usize] {
        if cfg.attempt_tags && attempt != failed {
            // A reservation for a newer attempt: this failure is not its own.
            return;
        }
        release_reservation(st, cfg, node, pid, Vproc::Remote(src));
        group_outcome(st, cfg);
    }
}

/// The destination gives up a reservation (the pull failed, or the source died: C1). Requests
/// held for the process there are routed again, through `vproc`, from this PMA.
pub fn release_reservation(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, vproc: Vproc) {
    let slot = std::mem::replace(
        &mut st.nodes[node as usize].pma.procs[pid as usize],
        Local::Free,
    );
    st.pma_mut(node).vprocs[pid as usize] = vproc;
    if let Local::Incoming { proc, .. } = slot {
        for r in proc.held {
            let caller = st.reqs[r as usize].caller_node;
            if caller == node {
                route(st, cfg, node, r);
            } else {
                absent_process(st, node, caller, r);
            }
        }
    }
}

/// The kernel installed the pulled task: the PMA may now install the process.
pub fn on_task_arrived(st: &mut Sys, node: NodeId, pid: Pid) -> bool {
    if let Local::Incoming { stage, .. } = &mut st.nodes[node as usize].pma.procs[pid as usize] {
        if *stage == InStage::Pulling {
            *stage = InStage::TaskArrived;
            return true;
        }
    }
    false
}

pub fn can_install(st: &Sys, node: NodeId, pid: Pid) -> bool {
    matches!(
        st.pma(node).procs[pid as usize],
        Local::Incoming {
            stage: InStage::TaskArrived,
            ..
        }
    )
}

/// R12 InstallAndReattach: install as in process creation (no scheduling priority) and
/// replace every emulator capability to the source PMA by one to this PMA.
pub fn install_and_reattach(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    let Local::Incoming { stage, src, .. } = &mut st.nodes[node as usize].pma.procs[pid as usize]
    else {
        return;
    };
    *stage = InStage::Installed;
    let src = *src;
    let some_only = cfg.mutant_is(Mutant::ReattachSomeCaps);
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        for (i, cap) in t.pma_caps.iter_mut().enumerate() {
            if *cap == src && (!some_only || i == 0) {
                *cap = node;
            }
        }
    }
}

pub fn can_inform(st: &Sys, node: NodeId, pid: Pid) -> bool {
    matches!(
        st.pma(node).procs[pid as usize],
        Local::Incoming {
            stage: InStage::Installed,
            ..
        }
    )
}

/// R13, first half: tell the PM Master the new location and wait for its answer, so that the
/// source cannot clean up (and answer AbsentProcess) before the PM Master knows (P9).
pub fn inform_pmm(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    if let Local::Incoming { stage, .. } = &mut st.nodes[node as usize].pma.procs[pid as usize] {
        *stage = InStage::Informing;
    }
    let gen = match &st.pma(node).procs[pid as usize] {
        Local::Incoming { proc, .. } => proc.gen,
        _ => 0,
    };
    st.send(
        Actor::Pma(node),
        Actor::PmMaster,
        Msg::LocationUpdate { pid, node, gen },
    );
    if cfg.mutant_is(Mutant::PmmUpdateAfterCleanup) {
        restart(st, cfg, node, pid);
    }
}

/// R13, second half, on the PM Master's acknowledgement.
pub fn on_location_ack(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, dead: bool) {
    if !matches!(
        st.pma(node).procs[pid as usize],
        Local::Incoming {
            stage: InStage::Informing,
            ..
        }
    ) {
        return;
    }
    if dead {
        // The PM Master buried the pid after a crash of the source (spec §5 C4).
        crate::crash::process_dies_here(st, node, pid, false);
        return;
    }
    restart(st, cfg, node, pid);
}

/// R13 InformPMMAndRestart: active list, threads resumed as they were, Done to the source.
fn restart(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    let Local::Incoming { mut proc, src, .. } = st.nodes[node as usize].pma.procs[pid as usize]
    else {
        return;
    };
    proc.migrations = proc.migrations.saturating_add(1);
    count_migration(st, pid);
    bump_moves(st, pid);
    // Nothing of P stays on a dead node: under copy on reference a page still homed on the
    // crashed source kills P at detection (C4), restarted or not.
    let pages_live = st.nodes[node as usize].kernel.tasks[pid as usize]
        .as_ref()
        .is_some_and(|t| t.pages.iter().all(|&h| st.alive(h)));
    if st.ghost.c4_marked & (1 << pid) != 0 && !proc.source_queue_lost && pages_live {
        // S-C4-survived: restarted at D although its source crashed after the pull, with no
        // request lost in its queue (or `c4_queue_condition` off) and no page left homed on
        // a dead node, so that P survives the detection.
        st.see(Seen::C4_SURVIVED);
    }
    st.ghost.committed[pid as usize] = false;
    let held = std::mem::take(&mut proc.held);
    let waiting = cfg.p11_fix && !cfg.mutant_is(Mutant::P11FixSkipped);
    proc.awaiting_forward = waiting.then_some(src);
    st.nodes[node as usize].pma.procs[pid as usize] = Local::Active { proc, out: None };
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        t.threads = Threads::Running;
    }
    st.send(Actor::Pma(node), Actor::Pma(src), Msg::Done { pid });
    if waiting {
        if let Local::Active { proc, .. } = &mut st.nodes[node as usize].pma.procs[pid as usize] {
            proc.held = held;
        }
    } else {
        for r in held {
            accept_here(st, cfg, node, r);
        }
    }
    group_outcome(st, cfg);
}

/// The destination receives the forwarded queue: each request is taken as if it had just
/// arrived, in order, then the requests held under the P11 fix.
pub fn on_forward(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, reqs: ReqList) {
    let mut held = ReqList::new();
    if let Local::Active { proc, .. } = &mut st.nodes[node as usize].pma.procs[pid as usize] {
        if proc.awaiting_forward.is_some() {
            proc.awaiting_forward = None;
            held = std::mem::take(&mut proc.held);
        }
    }
    for r in reqs.into_iter().chain(held) {
        let caller = st.reqs[r as usize].caller_node;
        if matches!(st.pma(node).procs[pid as usize], Local::Free) {
            if caller == node {
                route(st, cfg, node, r);
            } else {
                absent_process(st, node, caller, r);
            }
        } else {
            accept_here(st, cfg, node, r);
        }
    }
}

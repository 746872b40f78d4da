//! The source side of a migration (spec §3.2): (a) freezing, R3, R4, R4' and R5; (b) detach
//! and send the local state, R6, with the answers a source can get back, refusal (R7, R8) and
//! abandon (R10); and (e) "requests received but not handled are forwarded to the destination
//! node" once the destination is done (R14).

use super::answer::{answer_migration, group_outcome, respond};
use super::server::serve;
use crate::config::{Config, GroupOrder};
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;

fn outgoing(st: &Sys, node: NodeId, pid: Pid) -> Option<(&Proc, &Outgoing)> {
    match &st.pma(node).procs[pid as usize] {
        Local::Active { proc, out: Some(o) } => Some((proc, o)),
        _ => None,
    }
}

/// R3 Suspend is enabled: freezing, pre-copy finished, threads still running here.
pub fn can_suspend(st: &Sys, node: NodeId, pid: Pid) -> bool {
    match outgoing(st, node, pid) {
        Some((_, o)) => {
            o.precopy_done
                && !o.frozen
                && st.nodes[node as usize].kernel.tasks[pid as usize]
                    .as_ref()
                    .is_some_and(|t| t.threads == Threads::Running)
        }
        None => false,
    }
}

/// R3 Suspend: all threads of P suspended (a local kernel call).
pub fn suspend(st: &mut Sys, node: NodeId, pid: Pid) {
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        t.threads = Threads::Suspended;
    }
}

/// R4' AbortRestartable is enabled: a `wait()` or `sigsuspend()` in progress may be aborted
/// (paper §3.2.1: "abort the system calls that do not modify the process's state (e.g.
/// `wait()`, `sigsuspend()`), and restart their execution on the destination node PMA").
///
/// The paper orders phase (a)'s steps: requests enqueued, then "the process's execution is
/// suspended", and "finally" the calls in progress are awaited — or, the alternative,
/// aborted. So R4' comes after R3: the threads are suspended first.
pub fn can_abort_restartable(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> bool {
    let suspended = st.nodes[node as usize].kernel.tasks[pid as usize]
        .as_ref()
        .is_some_and(|t| t.threads == Threads::Suspended);
    cfg.r4_prime
        && suspended
        && outgoing(st, node, pid).is_some_and(|(p, o)| {
            !o.frozen
                && p.in_progress.is_some_and(|r| {
                    matches!(st.reqs[r as usize].call, Call::Wait | Call::Sigsuspend)
                })
        })
}

/// R4': abort the `wait()` or `sigsuspend()` and queue it to be restarted where the process ends up.
pub fn abort_restartable(st: &mut Sys, node: NodeId, pid: Pid) {
    if let Local::Active { proc, out: Some(o) } =
        &mut st.nodes[node as usize].pma.procs[pid as usize]
    {
        let r = proc.in_progress.take().expect("guarded");
        o.queue.insert(0, r);
        st.reqs[r as usize].status = ReqStatus::Queued { node };
        st.reqs[r as usize].queued = st.reqs[r as usize].queued.saturating_add(1);
        // The call is restarted from scratch: it has not been served yet, and the unit of
        // usage serving it charged is given back (it is charged again when restarted).
        st.reqs[r as usize].handled -= 1;
        proc.usage_total -= 1;
        proc.usage_here -= 1;
        st.ghost.usage[pid as usize] -= 1;
        st.see(Seen::R4_PRIME_ABORT);
        if st.reqs[r as usize].call == Call::Sigsuspend {
            st.see(Seen::SIGSUSPEND_ABORTED);
        }
    }
}

/// R5 Frozen is enabled: threads suspended, nothing in progress, not exiting.
pub fn can_freeze(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> bool {
    match outgoing(st, node, pid) {
        Some((proc, o)) => {
            let suspended = st.nodes[node as usize].kernel.tasks[pid as usize]
                .as_ref()
                .is_some_and(|t| t.threads == Threads::Suspended);
            let in_progress =
                proc.in_progress.is_some() || (cfg.r4_literal && executing_for(st, node, pid));
            !o.frozen
                && o.precopy_done
                && (suspended || cfg.mutant_is(Mutant::NoSuspend))
                && (!in_progress || cfg.mutant_is(Mutant::IgnoreInProgress))
                && !proc.exiting
        }
        None => false,
    }
}

/// R4's scope (spec §3.2.1): "completion of every system call currently being executed by the
/// PMA is awaited". Besides a call on the process itself (a `wait()`), the PMA executes, as
/// client stub, the calls the process made on other processes: those still unanswered, and
/// those already in the PMA's port queue, count as in progress. Calls on the process itself
/// that sit in its pending queue do not (they wait for the migration).
pub fn executing_for(st: &Sys, node: NodeId, pid: Pid) -> bool {
    st.reqs.iter().any(|r| {
        r.sender == Sender::Proc(pid)
            && r.caller_node == node
            && match r.status {
                ReqStatus::Routing => true,
                ReqStatus::Queued { .. } | ReqStatus::InProgress { .. } => r.target != pid,
                ReqStatus::Completed(_) | ReqStatus::Lost => false,
            }
    })
}

pub fn freeze(st: &mut Sys, node: NodeId, pid: Pid) {
    let mut member = false;
    if let Local::Active { out: Some(o), .. } = &mut st.nodes[node as usize].pma.procs[pid as usize]
    {
        o.frozen = true;
        member = o.caller.is_none();
    }
    if member && st.ghost.group_src.is_some_and(|s| s != node) {
        // S-group-remote: a member the leader's PMA could not reach is frozen for the group.
        st.see(Seen::GROUP_REMOTE);
    }
}

/// G1 one after another (spec §3.3.4): this member's freeze is over, frozen and detached (R5,
/// R6) or given up before R6 (R8 on an abandon or C2): the PM Master may start the next
/// member. The step is sent at R6 rather than R5 because an implementation detaches the
/// state as soon as it is frozen, in one go (the refimpl does): the PM Master cannot tell
/// the two apart, and a member started between them would be an order no implementation
/// shows.
fn group_step(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    if cfg.group_migrates() && cfg.group_order == GroupOrder::OneAfterAnother {
        st.send(Actor::Pma(node), Actor::PmMaster, Msg::GroupStep { pid });
    }
}

pub fn can_detach(st: &Sys, node: NodeId, pid: Pid) -> bool {
    outgoing(st, node, pid).is_some_and(|(_, o)| o.frozen)
        && st.nodes[node as usize].kernel.tasks[pid as usize]
            .as_ref()
            .is_some_and(|t| !t.offered)
}

/// R6 DetachAndSend: active -> migrating, marshal proc + user, credentials, rusage and the
/// capabilities, offer the task to the kernel for a pull, and send the MigrateRequest.
pub fn detach_and_send(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    let threads_suspended = st.nodes[node as usize].kernel.tasks[pid as usize]
        .as_ref()
        .is_some_and(|t| t.threads == Threads::Suspended);
    let slot = &mut st.nodes[node as usize].pma.procs[pid as usize];
    let Local::Active { proc, out: Some(o) } = *slot else {
        return;
    };
    let image = ProcImage {
        usage_total: proc.usage_total,
        migrations: proc.migrations,
        allowed: proc.allowed,
        in_progress: proc.in_progress,
        exiting: proc.exiting,
        threads_suspended,
        gen: proc.gen,
        sig_pending: proc.sig_pending,
    };
    let dst = o.dst;
    let attempt = st.nodes[node as usize].kernel.tasks[pid as usize]
        .as_ref()
        .map_or(0, |t| t.attempt.wrapping_add(1));
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        t.offered = true;
        t.attempt = attempt;
    }
    let slot = &mut st.nodes[node as usize].pma.procs[pid as usize];
    if cfg.mutant_is(Mutant::DetachKeepsActive) {
        if let Local::Active { out: Some(o), .. } = slot {
            o.attempt = attempt;
        }
    } else {
        *slot = Local::Migrating {
            proc,
            out: Outgoing { attempt, ..o },
        };
    }
    st.send(
        Actor::Pma(node),
        Actor::Pma(dst),
        Msg::MigrateRequest {
            pid,
            image,
            attempt,
        },
    );
    group_step(st, cfg, node, pid);
}

/// R8 Reinstate: back on the active list, threads resumed, vproc local, each queued request
/// served once here, the outcome returned to the `pcntl` caller.
pub fn reinstate(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, outcome: Outcome) {
    let slot = st.nodes[node as usize].pma.procs[pid as usize];
    let (proc, out) = match slot {
        Local::Migrating { proc, out, .. } => (proc, out),
        Local::Active {
            proc,
            out: Some(out),
        } => (proc, out),
        _ => return,
    };
    st.nodes[node as usize].pma.procs[pid as usize] = Local::Active { proc, out: None };
    st.pma_mut(node).vprocs[pid as usize] = Vproc::Local;
    if matches!(slot, Local::Active { .. }) {
        // Given up before R6: its step was not sent yet.
        group_step(st, cfg, node, pid);
    }
    let keep_suspended =
        outcome == Outcome::Refused && cfg.mutant_is(Mutant::RefusalLeavesSuspended);
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        t.offered = false;
        if !keep_suspended {
            t.threads = Threads::Running;
        }
    }
    if !out.queue.is_empty() {
        st.see(Seen::QUEUED_REINSTATED);
    }
    for r in out.queue {
        if cfg.mutant_is(Mutant::DropQueueOnRefusal) && outcome == Outcome::Refused {
            continue;
        }
        if cfg.mutant_is(Mutant::ReinstateQueueNoSuchProcess) {
            respond(st, node, r, Outcome::NoSuchProcess);
        } else if matches!(
            st.nodes[node as usize].pma.procs[pid as usize],
            Local::Active { out: None, .. }
        ) {
            serve(st, cfg, node, r);
        } else {
            // An earlier queued call (an exit) made the process leave: answer as absent.
            respond(st, node, r, Outcome::NoSuchProcess);
        }
    }
    if !(cfg.mutant_is(Mutant::RefusedCallerNotTold) && outcome == Outcome::Refused) {
        answer_migration(st, node, pid, out.caller, outcome);
    }
    group_outcome(st, cfg);
}

/// R8 on Refused.
pub fn on_refused(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, attempt: u8) {
    let dst = match &st.pma(node).procs[pid as usize] {
        Local::Migrating { out, .. } | Local::Active { out: Some(out), .. }
            if out.attempt == attempt || !cfg.attempt_tags =>
        {
            out.dst
        }
        // A refusal of an earlier, abandoned attempt: stale.
        _ => return,
    };
    st.see(Seen::REFUSAL);
    reinstate(st, cfg, node, pid, Outcome::Refused);
    st.ghost.p8_check = Some((pid, node, dst, attempt));
}

/// R10 Abandon is enabled: before R6 (nothing sent), or after it while the kernel still holds
/// the task offered, i.e. no pull has taken it (the kernel arbitrates the race, spec §3.2.3).
pub fn can_abandon(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> bool {
    if !cfg.abandon {
        return false;
    }
    let task_offered = st.nodes[node as usize].kernel.tasks[pid as usize]
        .as_ref()
        .is_some_and(|t| t.offered);
    match &st.pma(node).procs[pid as usize] {
        Local::Active { out: Some(_), .. } => {
            !cfg.mutant_is(Mutant::DetachKeepsActive) || !task_offered
        }
        Local::Migrating { .. } => task_offered || cfg.mutant_is(Mutant::AbandonAfterPull),
        _ => false,
    }
}

pub fn abandon(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    st.see(Seen::ABANDON);
    // Reinstating withdraws the kernel's offer (R8), which is what R10 tells the kernel.
    reinstate(st, cfg, node, pid, Outcome::Abandoned);
    if cfg.mutant_is(Mutant::AbandonLeavesSuspended) {
        if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
            t.threads = Threads::Suspended;
        }
    }
    if cfg.mutant_is(Mutant::AbandonAfterPull) {
        // The PMA never told the kernel: a pull still finds the task offered.
        if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
            t.offered = true;
        }
    }
}

/// R14 ForwardAndCleanUp on Done: the queue goes to the destination once, then every trace of
/// the process at this PMA is destroyed (no home node).
pub fn on_done(st: &mut Sys, cfg: &Config, node: NodeId, from: NodeId, pid: Pid) {
    let slot = st.nodes[node as usize].pma.procs[pid as usize];
    let out = match slot {
        Local::Migrating { out, .. } => out,
        Local::Active { out: Some(out), .. } if cfg.mutant_is(Mutant::DetachKeepsActive) => out,
        _ => return,
    };
    let mut out = out;
    if cfg.mutant_is(Mutant::ForwardAnswersOk) {
        // Answered here, never served anywhere.
        for r in std::mem::take(&mut out.queue) {
            respond(st, node, r, Outcome::Ok);
        }
    }
    for &r in &out.queue {
        st.reqs[r as usize].forwarded += 1;
        st.reqs[r as usize].status = ReqStatus::Routing;
        if cfg.mutant_is(Mutant::ForwardTwice) {
            // Served here as well: counted, answered to nobody.
            st.reqs[r as usize].handled += 1;
        }
    }
    st.send(
        Actor::Pma(node),
        Actor::Pma(from),
        Msg::Forward {
            pid,
            reqs: out.queue,
        },
    );
    if !cfg.mutant_is(Mutant::DetachKeepsActive) {
        let pma = st.pma_mut(node);
        pma.procs[pid as usize] = Local::Free;
        pma.vprocs[pid as usize] = Vproc::Unknown;
    }
    st.send(Actor::Pma(node), Actor::PmMaster, Msg::CleanedUp { pid });
    answer_migration(st, node, pid, out.caller, Outcome::Migrated);
    group_outcome(st, cfg);
}

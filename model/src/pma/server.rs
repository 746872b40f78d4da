//! The server side of a PMA (spec §3.1, R1, R2): a request for a process this PMA holds is
//! served, enqueued while the process migrates ("requests received but not handled", R2), or
//! held until a restart; a `MigrateRequest` starts phase (a) of spec §3.2.

use super::answer::respond;
use crate::config::{Config, GroupOrder, Mode, Strategy};
use crate::linearizability as u1;
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;

/// The target's proc is on one of this PMA's lists.
pub fn accept_here(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    let call = st.reqs[req as usize].call;
    let is_migrate = matches!(call, Call::Migrate { .. });
    match &mut st.nodes[node as usize].pma.procs[target as usize] {
        Local::Free => unreachable!("accept_here needs a proc"),
        Local::Active { proc, out: None } => {
            // Under the P11 fix nothing is served before the forwarded queue, not even a
            // new migration: it would carry the held requests away out of order.
            if proc.awaiting_forward.is_some() {
                proc.held.push(req);
                st.reqs[req as usize].status = ReqStatus::Queued { node };
            } else {
                serve(st, cfg, node, req);
            }
        }
        Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. } => {
            if is_migrate {
                // R1: a second request for a migrating pid is rejected, not queued.
                st.see(Seen::MIGRATE_REJECTED_BUSY);
                respond(st, node, req, Outcome::Rejected);
            } else {
                // R2 Enqueue: received but not handled.
                if cfg.mutant_is(Mutant::EnqueueLifo) {
                    o.queue.insert(0, req);
                } else {
                    o.queue.push(req);
                }
                let r = &mut st.reqs[req as usize];
                r.status = ReqStatus::Queued { node };
                r.queued = r.queued.saturating_add(1);
            }
        }
        Local::Incoming { proc, .. } => {
            if is_migrate {
                st.see(Seen::MIGRATE_REJECTED_BUSY);
                respond(st, node, req, Outcome::Rejected);
            } else {
                // Installed but not restarted: held until R13 restarts the process.
                proc.held.push(req);
                st.reqs[req as usize].status = ReqStatus::Queued { node };
            }
        }
    }
}

fn active_proc(st: &mut Sys, node: NodeId, pid: Pid) -> &mut Proc {
    match &mut st.nodes[node as usize].pma.procs[pid as usize] {
        Local::Active { proc, .. } => proc,
        other => panic!("pid {pid} not active at node {node}: {other:?}"),
    }
}

/// Serves a call on a process active here.
pub fn serve(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId) {
    let (sender, target, call) = {
        let r = &st.reqs[req as usize];
        (r.sender, r.target, r.call)
    };
    // P5 monitor: served only where the target is active.
    if !matches!(st.pma(node).procs[target as usize], Local::Active { .. }) {
        st.ghost.p5_misrouted = true;
    }
    // P11 monitor: an earlier request of the same sender to the same target still waits. The
    // `pcntl` callers are independent senders (`pcntl_callers_max`); one alone waits for
    // each answer and cannot overtake itself.
    let overtaken = sender != Sender::Pcntl
        && st.reqs[..req as usize].iter().any(|r| {
            r.sender == sender
                && r.target == target
                && r.handled == 0
                && !matches!(r.status, ReqStatus::Completed(_) | ReqStatus::Lost)
                && !matches!(r.call, Call::Migrate { .. })
        });
    if overtaken && !matches!(call, Call::Migrate { .. }) {
        st.ghost.p11_broken = true;
        st.see(Seen::OVERTAKEN);
    }
    st.reqs[req as usize].handled += 1;
    if st.reqs[req as usize].forwarded > 0 {
        // S-queued-forwarded: a request queued at a source is served where it was forwarded.
        st.see(Seen::QUEUED_FORWARDED);
    }
    if cfg.mode == Mode::Task && st.task_node(target) != Some(node) {
        st.see(Seen::TASK_ONLY_CALL_AT_SOURCE);
    }
    // `pcntl` requests are not calls on the process: they are not charged to it (A1).
    if !matches!(call, Call::Migrate { .. } | Call::Allow { .. }) {
        let proc = active_proc(st, node, target);
        proc.usage_total = proc.usage_total.saturating_add(1);
        proc.usage_here = proc.usage_here.saturating_add(1);
        let g = &mut st.ghost.usage[target as usize];
        *g = g.saturating_add(1);
    }
    match call {
        Call::GetInfo => {
            // The answer carries the accumulated usage and the migration count (A1).
            let p = active_proc(st, node, target);
            let detail = p.usage_total.min(15) | p.migrations.min(15) << 4;
            st.reqs[req as usize].detail = detail;
            respond(st, node, req, Outcome::Ok);
        }
        Call::Signal => {
            signal(st, cfg, node, target);
            respond(st, node, req, Outcome::Ok);
        }
        Call::Sigsuspend => {
            let p = active_proc(st, node, target);
            if p.sig_pending {
                // The signal arrived before the call: it returns at once.
                p.sig_pending = false;
                st.see(Seen::SIGSUSPEND_PENDING);
                respond(st, node, req, Outcome::Ok);
            } else {
                p.in_progress = Some(req);
                st.reqs[req as usize].status = ReqStatus::InProgress { node };
            }
        }
        Call::Allow { allow } => {
            // G2 at run time (paper §4: `pcntl` can "allow/disallow migration for a given
            // process"): the flag is local process state, set where the process is active.
            let p = active_proc(st, node, target);
            if p.allowed != allow {
                st.see(Seen::ALLOW_CHANGED);
            }
            active_proc(st, node, target).allowed = allow;
            respond(st, node, req, Outcome::Ok);
        }
        Call::Wait => {
            active_proc(st, node, target).in_progress = Some(req);
            st.reqs[req as usize].status = ReqStatus::InProgress { node };
            st.send(
                Actor::Pma(node),
                Actor::PmMaster,
                Msg::WaitChild {
                    req,
                    parent: target,
                },
            );
        }
        Call::Exit => {
            // Exiting until the PMA's own step PM2 FinishExit tears the process down.
            active_proc(st, node, target).exiting = true;
            st.reqs[req as usize].status = ReqStatus::InProgress { node };
        }
        Call::Fork => {
            active_proc(st, node, target).in_progress = Some(req);
            st.reqs[req as usize].status = ReqStatus::InProgress { node };
            st.send(
                Actor::Pma(node),
                Actor::PmMaster,
                Msg::AllocPid {
                    req,
                    parent: target,
                },
            );
        }
        Call::Migrate { dst } => start_migration(st, cfg, node, req, target, dst),
    }
}

/// A signal delivered to `pid`, active here: it ends a `sigsuspend()` in progress, or stays
/// pending for the next one (`Calls::sigsuspend`; without that call no process waits for
/// signals, and the pending bit is not kept).
fn signal(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    if !cfg.calls.sigsuspend {
        return;
    }
    let waiting = active_proc(st, node, pid)
        .in_progress
        .filter(|&s| st.reqs[s as usize].call == Call::Sigsuspend);
    let p = active_proc(st, node, pid);
    match waiting {
        Some(s) => {
            p.in_progress = None;
            st.see(Seen::SIGSUSPEND_WOKEN);
            respond(st, node, s, Outcome::Ok);
        }
        _ => p.sig_pending = true,
    }
}

/// R1 StartMigration (process mode) or T1 TaskOnly (task mode).
fn start_migration(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId, pid: Pid, dst: NodeId) {
    // Where the task runs now: this node under process migration; under T1 it may have
    // moved on while the process stays attached here.
    let here = st.task_node(pid).unwrap_or(node);
    let proc = active_proc(st, node, pid);
    let refuse = if !proc.allowed {
        Some(true)
    } else if proc.exiting || proc.task_migrating.is_some() || dst == here || dst == MASTER {
        Some(false)
    } else {
        None
    };
    if refuse.is_some() || !st.alive(dst) {
        if refuse == Some(true) {
            st.see(Seen::DISALLOWED_REJECTED);
        }
        respond(st, node, req, Outcome::Rejected);
        return;
    }
    st.reqs[req as usize].status = ReqStatus::InProgress { node };
    match cfg.mode {
        Mode::Task => {
            active_proc(st, node, pid).task_migrating = Some(req);
            st.send(
                Actor::Pma(node),
                Actor::Port(pid),
                Msg::TaskMigrate { pid, dst },
            );
        }
        Mode::Process => {
            begin_freeze(st, cfg, node, pid, dst, Some(req));
            if cfg.group_migrates() {
                start_group(st, cfg, node, pid, dst);
            }
        }
    }
}

/// G1 (spec §3.3.4): the rest of the group migrates too. All at once, this PMA starts the
/// co-resident members with the leader; one after another, the PM Master starts every member
/// in turn, those here included. Either way the PM Master hears of the group migration, since
/// only it knows where the other members are.
fn start_group(st: &mut Sys, cfg: &Config, node: NodeId, leader: Pid, dst: NodeId) {
    st.ghost.group_src = Some(node);
    if cfg.group_order == GroupOrder::AllAtOnce {
        for q in 0..cfg.pids() {
            if q != leader && member_may_start(st, node, q) {
                begin_freeze(st, cfg, node, q, dst, None);
            }
        }
    }
    st.send(
        Actor::Pma(node),
        Actor::PmMaster,
        Msg::GroupMigrate { leader, dst },
    );
}

/// R1's guard for a group member, which has no caller to reject: active here and not already
/// migrating, allowed (G2), not exiting, not awaiting a forwarded queue (the P11 fix, §3.1).
fn member_may_start(st: &Sys, node: NodeId, q: Pid) -> bool {
    matches!(&st.pma(node).procs[q as usize],
        Local::Active { proc, out: None }
            if proc.allowed && !proc.exiting && proc.awaiting_forward.is_none())
}

/// G1: the PM Master asks this PMA to migrate member `pid` to `dst`. A member that no longer
/// meets R1's guard here is skipped (spec §3.3.4, an assumption: it moved on, is migrating
/// already, is exiting, or its migration is disallowed), as is one whose destination is down
/// (R1 rejects that too). One after another, the PM Master is told when the member is frozen
/// or skipped, so that it can start the next.
pub fn on_member_migrate(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, dst: NodeId) {
    if member_may_start(st, node, pid) && dst != node && st.alive(dst) {
        begin_freeze(st, cfg, node, pid, dst, None);
    } else if cfg.group_order == GroupOrder::OneAfterAnother {
        st.send(Actor::Pma(node), Actor::PmMaster, Msg::GroupStep { pid });
    }
}

/// R1: the vproc switches to "enqueue" and freezing starts.
fn begin_freeze(
    st: &mut Sys,
    cfg: &Config,
    node: NodeId,
    pid: Pid,
    dst: NodeId,
    caller: Option<ReqId>,
) {
    let pma = st.pma_mut(node);
    if let Local::Active { out, .. } = &mut pma.procs[pid as usize] {
        *out = Some(Outgoing {
            dst,
            caller,
            queue: ReqList::new(),
            frozen: false,
            precopy_done: cfg.strategy != Strategy::Precopy,
            attempt: 0,
        });
    }
    pma.vprocs[pid as usize] = Vproc::Enqueue;
    if caller.is_none() {
        u1::invoke_group(st, pid, dst);
    }
}

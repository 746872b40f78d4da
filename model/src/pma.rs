//! The Process Management Agent of each node and its vproc framework (spec §2.4, §3).
//!
//! A PMA plays two parts. As the *client* of the vproc framework it routes a call from a
//! co-resident emulator to the PMA holding the target (local operations or a client stub to a
//! remote PMA). As the *server* it serves, enqueues (R2) or answers AbsentProcess (R15). The
//! migration phases of §3.2 are its handlers and steps, one function per rule.

use crate::config::{Config, Mode, Strategy};
use crate::linearizability as u1;
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;
use crate::user_spec::Ret;

// ---------------------------------------------------------------------------------------------
// Answering the sender (spec §3.1)
// ---------------------------------------------------------------------------------------------

/// Marks a request answered and frees the sender's slot.
pub fn complete(st: &mut Sys, req: ReqId, outcome: Outcome) {
    let r = &mut st.reqs[req as usize];
    debug_assert!(!matches!(
        r.status,
        ReqStatus::Completed(_) | ReqStatus::Lost
    ));
    r.status = ReqStatus::Completed(outcome);
    match r.sender {
        Sender::Proc(p) => st.emus[p as usize].outstanding -= 1,
        Sender::Pcntl => st.pcntl_outstanding -= 1,
    }
    let ret = u1::ret_of(st, req, outcome);
    u1::ret(st, req, ret);
    // The payload has been read by its receiver, and L2's epoch is over; keeping them would
    // tell apart states that differ only in an old answer.
    st.reqs[req as usize].detail = 0;
    st.reqs[req as usize].absent = 0;
}

/// Answers the caller of a migration at its end: the `pcntl` request, or, for a G1 member that
/// the PMA started without a caller of its own, the member's U1 operation (spec §13.4).
pub fn answer_migration(
    st: &mut Sys,
    node: NodeId,
    pid: Pid,
    caller: Option<ReqId>,
    outcome: Outcome,
) {
    match caller {
        Some(c) => respond(st, node, c, outcome),
        None => {
            let ret = match outcome {
                Outcome::Migrated => Ret::Migrated,
                Outcome::Refused => Ret::Refused,
                Outcome::Abandoned => Ret::Abandoned,
                Outcome::Rejected => Ret::Rejected,
                Outcome::Died => Ret::Died,
                Outcome::Ok | Outcome::NoSuchProcess => Ret::NoSuchProcess,
            };
            u1::ret(st, u1::group_op(pid), ret);
        }
    }
}

/// The serving PMA at `node` answers: directly when it is also the caller's PMA, otherwise by
/// a Reply to the client stub.
pub fn respond(st: &mut Sys, node: NodeId, req: ReqId, outcome: Outcome) {
    let caller = st.reqs[req as usize].caller_node;
    if caller == node {
        complete(st, req, outcome);
    } else {
        st.reqs[req as usize].status = ReqStatus::Routing;
        st.send(
            Actor::Pma(node),
            Actor::Pma(caller),
            Msg::Reply { req, outcome },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Client side of the vproc framework (spec §3.1, R15, R16)
// ---------------------------------------------------------------------------------------------

/// An emulator's system call reaches the PMA its capability names.
pub fn on_syscall(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId) {
    route(st, cfg, node, req);
}

/// The vproc operation table: local operations when this PMA holds the target, a client stub
/// to the PMA the vproc names, or a look-up at the PM Master when it names none.
pub fn route(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    st.reqs[req as usize].status = ReqStatus::Routing;
    if !matches!(st.pma(node).procs[target as usize], Local::Free) {
        accept_here(st, cfg, node, req);
        return;
    }
    match st.pma(node).vprocs[target as usize] {
        Vproc::Remote(m) if m != node => {
            st.send(Actor::Pma(node), Actor::Pma(m), Msg::Request { req });
        }
        _ => {
            st.send(Actor::Pma(node), Actor::PmMaster, Msg::Relookup { req });
        }
    }
}

/// Server stub: a request from the client stub at `from`.
pub fn on_request(st: &mut Sys, cfg: &Config, node: NodeId, from: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    let reserved = matches!(st.pma(node).procs[target as usize], Local::Incoming { .. });
    if matches!(st.pma(node).procs[target as usize], Local::Free)
        || (reserved && cfg.mutant_is(Mutant::AbsentWhileReserved))
    {
        absent_process(st, node, from, req);
    } else {
        accept_here(st, cfg, node, req);
    }
}

/// R15 AbsentProcess: no embedded RPC on the caller's behalf, just the error.
fn absent_process(st: &mut Sys, node: NodeId, to: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    if !matches!(st.pma(node).procs[target as usize], Local::Free) {
        // P14: only a PMA that holds nothing for the process may say it is absent.
        st.ghost.p14_broken = true;
    }
    // L2's safety half: a detour after the caller's look-up needs a move of the target since
    // that look-up, unless the PM Master answered it with a report about the target still
    // unread (the lazy update costs one detour per move, never a chain; spec §6.2).
    let r = st.reqs[req as usize];
    let epoch = r.absent & 0x7F;
    if epoch != 0 && r.absent & 0x80 == 0 && st.ghost.moves[target as usize] < epoch {
        st.ghost.l2_broken = true;
    }
    let e = &st.pmm.pids[target as usize];
    // A death or exit this PMA has reported (C3, C4, PM2) but the PM Master has not yet read
    // is no broken promise: the PM Master will answer "dead" once it has.
    let death_reported = st.net.iter().any(|e| {
        e.src == Actor::Pma(node)
            && (matches!(e.msg, Msg::ProcessDied { pid, .. } if pid == target)
                || e.msg == Msg::ExitNotify { pid: target })
    });
    if e.life == Life::Alive && e.node == node && !death_reported {
        // P9: the PM Master would send the caller straight back here.
        st.ghost.p9_broken = true;
    }
    st.send(Actor::Pma(node), Actor::Pma(to), Msg::AbsentProcess { req });
}

/// Whether the PM Master's answer for `pid` may lag behind the truth: it has a report about
/// the process still to read (its death, exit, creation or new location), or a pid it gave a
/// `fork()` is not yet created (spec §6.2, L2).
pub fn pmm_behind(st: &Sys, pid: Pid) -> bool {
    st.pmm.pids[pid as usize].life == Life::Embryo
        || st.net.iter().any(|e| match e.msg {
            Msg::ProcessDied { pid: p, .. }
            | Msg::ExitNotify { pid: p }
            | Msg::ChildCreated { pid: p }
            | Msg::ForkAborted { pid: p }
            | Msg::LocationUpdate { pid: p, .. } => p == pid,
            Msg::PidAllocated { child, .. } => child == Some(pid),
            _ => false,
        })
}

/// R16 Relookup, first half: the caller asks the PM Master.
pub fn on_absent(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId) {
    if cfg.mutant_is(Mutant::AbsentAsNoSuchProcess) {
        complete(st, req, Outcome::NoSuchProcess);
        return;
    }
    // S-absent-relookup: the caller asks the PM Master after an AbsentProcess.
    st.see(Seen::ABSENT_RELOOKUP);
    st.send(Actor::Pma(node), Actor::PmMaster, Msg::Relookup { req });
}

/// R16 Relookup, second half: update the vproc lazily and re-send.
pub fn on_located(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId, loc: Option<NodeId>) {
    let target = st.reqs[req as usize].target;
    match loc {
        None => complete(st, req, Outcome::NoSuchProcess),
        Some(m) if cfg.mutant_is(Mutant::RelookupKeepsVproc) => {
            if m == node && matches!(st.pma(node).procs[target as usize], Local::Free) {
                st.send(Actor::Pma(node), Actor::PmMaster, Msg::Relookup { req });
            } else {
                route(st, cfg, node, req);
            }
        }
        Some(m) => {
            st.pma_mut(node).vprocs[target as usize] = if m == node {
                Vproc::Local
            } else {
                Vproc::Remote(m)
            };
            if m == node && matches!(st.pma(node).procs[target as usize], Local::Free) {
                // The PM Master names this node but the proc is gone: ask again.
                st.send(Actor::Pma(node), Actor::PmMaster, Msg::Relookup { req });
            } else {
                route(st, cfg, node, req);
            }
        }
    }
}

pub fn on_reply(st: &mut Sys, req: ReqId, outcome: Outcome) {
    complete(st, req, outcome);
}

// ---------------------------------------------------------------------------------------------
// Server side: serve, enqueue (R2) or hold
// ---------------------------------------------------------------------------------------------

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
    // P11 monitor: an earlier request of the same sender to the same target still waits.
    let overtaken = st.reqs[..req as usize].iter().any(|r| {
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
    if !matches!(call, Call::Migrate { .. }) {
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
        Call::Signal => respond(st, node, req, Outcome::Ok),
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
            if cfg.group {
                // G1: every co-resident member of the migration group migrates too.
                for q in 0..cfg.pids() {
                    if q == pid {
                        continue;
                    }
                    if let Local::Active { proc, out: None } = &st.pma(node).procs[q as usize] {
                        if proc.allowed && !proc.exiting && proc.awaiting_forward.is_none() {
                            begin_freeze(st, cfg, node, q, dst, None);
                        }
                    }
                }
            }
        }
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

// ---------------------------------------------------------------------------------------------
// (a) Freezing: R3, R4, R4', R5
// ---------------------------------------------------------------------------------------------

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

/// R4' AbortRestartable is enabled: a `wait()` in progress may be aborted.
pub fn can_abort_restartable(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> bool {
    cfg.r4_prime
        && outgoing(st, node, pid).is_some_and(|(p, o)| {
            !o.frozen
                && p.in_progress
                    .is_some_and(|r| st.reqs[r as usize].call == Call::Wait)
        })
}

/// R4': abort the `wait()` and queue it to be restarted where the process ends up.
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
    }
}

/// R5 Frozen is enabled: threads suspended, nothing in progress, not exiting.
pub fn can_freeze(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> bool {
    match outgoing(st, node, pid) {
        Some((proc, o)) => {
            let suspended = st.nodes[node as usize].kernel.tasks[pid as usize]
                .as_ref()
                .is_some_and(|t| t.threads == Threads::Suspended);
            let in_progress = proc.in_progress.is_some() || executing_for(st, node, pid);
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
    if let Local::Active { out: Some(o), .. } = &mut st.nodes[node as usize].pma.procs[pid as usize]
    {
        o.frozen = true;
    }
}

// ---------------------------------------------------------------------------------------------
// (b) Detach and send: R6; refusal R7/R8; abandon R10
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// (c) Install and attach on the destination: R7, R9, R11, R12
// ---------------------------------------------------------------------------------------------

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
    // R9: a proc and a vproc with the same pid.
    let pma = st.pma_mut(node);
    pma.procs[pid as usize] = Local::Incoming {
        proc,
        src: from,
        stage: InStage::Accepted,
        attempt,
    };
    pma.vprocs[pid as usize] = Vproc::Local;
}

pub fn can_pull(st: &Sys, node: NodeId, pid: Pid) -> bool {
    matches!(
        st.pma(node).procs[pid as usize],
        Local::Incoming {
            stage: InStage::Accepted,
            ..
        }
    )
}

/// R11 TaskPull (receiver pull): the destination kernel asks the source kernel for the task.
pub fn pull(st: &mut Sys, node: NodeId, pid: Pid) {
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

// ---------------------------------------------------------------------------------------------
// (d) Inform the PM Master and restart: R13
// ---------------------------------------------------------------------------------------------

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
    if st.ghost.c4_marked & (1 << pid) != 0 {
        // S-C4-survived: restarted at D although its source crashed after the pull.
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

// ---------------------------------------------------------------------------------------------
// (e) Forward and clean up: R14
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Calls that finish later: wait() and exit()
// ---------------------------------------------------------------------------------------------

/// R4 SyscallDone for a `wait()`: a child exited.
pub fn on_child_exited(st: &mut Sys, node: NodeId, req: ReqId, child: Pid) {
    let target = st.reqs[req as usize].target;
    if let Local::Active { proc, out } = &mut st.nodes[node as usize].pma.procs[target as usize] {
        if proc.in_progress == Some(req) {
            proc.in_progress = None;
            let freezing = out.is_some();
            if freezing {
                st.see(Seen::WAIT_DELAYED_FREEZE);
            }
            st.send(Actor::Pma(node), Actor::PmMaster, Msg::Reap { pid: child });
            st.reqs[req as usize].detail = child;
            respond(st, node, req, Outcome::Ok);
        }
    }
    // Otherwise the call was aborted (R4') and will be restarted: the zombie stays.
}

/// PM3 Fork, second half: the PM Master gave a pid; the child is created here, as process
/// creation does, with a copy of the parent's open files and an address space of its own.
pub fn on_pid_allocated(
    st: &mut Sys,
    cfg: &Config,
    node: NodeId,
    req: ReqId,
    child: Option<Pid>,
    gen: u8,
) {
    let parent = st.reqs[req as usize].target;
    let Local::Active { proc, .. } = &mut st.nodes[node as usize].pma.procs[parent as usize] else {
        // A crash killed the parent while its fork() waited for the pid: the call is lost
        // with its caller (spec §5.5, `Ghost::orphaned`), and the pid goes back to the PM
        // Master unused.
        if let Some(c) = child {
            st.send(
                Actor::Pma(node),
                Actor::PmMaster,
                Msg::ForkAborted { pid: c },
            );
        }
        return;
    };
    if proc.in_progress != Some(req) {
        return;
    }
    proc.in_progress = None;
    let Some(c) = child else {
        respond(st, node, req, Outcome::Rejected);
        return;
    };
    let files = st.nodes[node as usize].kernel.tasks[parent as usize]
        .as_ref()
        .map_or(cfg.files_max, |t| t.files);
    let pma = st.pma_mut(node);
    pma.procs[c as usize] = Local::Active {
        proc: Proc {
            gen,
            ..Proc::created(true)
        },
        out: None,
    };
    pma.vprocs[c as usize] = Vproc::Local;
    let mut task = Task::created(cfg, node);
    task.files = files;
    st.kernel_mut(node).tasks[c as usize] = Some(task);
    st.emus[c as usize] = Emulator {
        outstanding: 0,
        waited: false,
        exited: false,
        forked: false,
    };
    st.see(Seen::FORKED);
    st.reqs[req as usize].detail = c;
    if !cfg.mutant_is(Mutant::ForkChildNotReported) {
        st.send(
            Actor::Pma(node),
            Actor::PmMaster,
            Msg::ChildCreated { pid: c },
        );
    }
    respond(st, node, req, Outcome::Ok);
}

/// PM2 FinishExit is enabled: the process is exiting here.
pub fn can_finish_exit(st: &Sys, node: NodeId, pid: Pid) -> bool {
    matches!(&st.pma(node).procs[pid as usize], Local::Active { proc, .. } if proc.exiting)
}

/// PM2 FinishExit: the proc and task are destroyed here first, then the PM Master records the
/// zombie. In this order a parent's `wait()` can never reap (and a `fork()` reuse) a pid whose
/// proc structure still exists on some PMA (P1).
pub fn finish_exit(st: &mut Sys, node: NodeId, pid: Pid) {
    crate::crash::process_dies_here(st, node, pid, true);
    st.send(Actor::Pma(node), Actor::PmMaster, Msg::ExitNotify { pid });
}

/// T1: the kernel reports the task runs on `at` now; the process stays attached here.
pub fn on_task_migrated(st: &mut Sys, node: NodeId, pid: Pid) {
    if let Local::Active { proc, .. } = &mut st.nodes[node as usize].pma.procs[pid as usize] {
        if let Some(r) = proc.task_migrating.take() {
            proc.migrations = proc.migrations.saturating_add(1);
            count_migration(st, pid);
            respond(st, node, r, Outcome::Migrated);
        }
    }
}

/// L2 monitor: `pid` changed PMA or died.
pub fn bump_moves(st: &mut Sys, pid: Pid) {
    let m = &mut st.ghost.moves[pid as usize];
    *m = m.saturating_add(1);
}

/// S-group-migrated and S-group-split (G1), checked when a member's migration ends: every
/// member active on one node and migrated at least once, or, with no migration left in
/// progress, members active on different nodes. Both name no node by number, so the test
/// nodes stay interchangeable (spec §8.3; "a node other than node 1" did not, which the
/// oracle's symmetry check found).
pub fn group_outcome(st: &mut Sys, cfg: &Config) {
    if !cfg.group {
        return;
    }
    let nodes: Vec<_> = (0..cfg.pids()).map(|p| st.active_node(p)).collect();
    if nodes.iter().any(|n| n.is_none()) {
        return;
    }
    let all_moved = (0..cfg.pids() as usize).all(|p| st.ghost.migrations[p] > 0);
    if all_moved && nodes.windows(2).all(|w| w[0] == w[1]) {
        st.see(Seen::GROUP_MIGRATED);
    }
    let quiet = st.nodes.iter().filter(|n| n.alive).all(|n| {
        n.pma
            .procs
            .iter()
            .all(|l| matches!(l, Local::Free | Local::Active { out: None, .. }))
    });
    if quiet && nodes.windows(2).any(|w| w[0] != w[1]) {
        st.see(Seen::GROUP_SPLIT);
    }
}

/// A1 monitor: one more completed migration of `pid` (R13, or T1's arrival).
fn count_migration(st: &mut Sys, pid: Pid) {
    let g = &mut st.ghost.migrations[pid as usize];
    *g = g.saturating_add(1);
    if *g >= 2 {
        st.see(Seen::MIGRATED_TWICE);
    }
}

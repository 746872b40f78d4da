//! Node crashes and their detection (spec §5, cases C1-C5).
//!
//! A crash is fail-stop and takes the node's PMA, kernel and tasks down together; messages
//! from or to the node are lost with it. The paper leaves detection open; the model assumes
//! Mach dead-name notifications: each survivor that depends on the node eventually notices,
//! as one step of its own (the `Detect` action), in any order with the rest of the protocol.

use crate::config::{Config, Mode};
use crate::linearizability as u1;
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;
use crate::user_spec::Op;

/// A test node crashes (the master node never does: assumption C5).
pub fn crash(st: &mut Sys, cfg: &Config, n: NodeId) {
    st.crashes += 1;
    // Processes with calls queued at this node's PMA (R2): the calls die with it, and under
    // C4's condition so may the process (the user-level spec allows it, spec §13.2).
    let queued = (0..st.emus.len() as Pid)
        .filter(|&p| {
            matches!(&st.pma(n).procs[p as usize],
                Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. }
                    if !o.queue.is_empty())
        })
        .fold(0u8, |acc, p| acc | 1 << p);
    u1::event(st, Op::Crash { node: n, queued });
    // G1 member migrations run by this node's PMA end with it, answered to nobody.
    for pid in 0..st.emus.len() as Pid {
        if let Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. } =
            &st.pma(n).procs[pid as usize]
        {
            if o.caller.is_none() {
                u1::lost(st, u1::group_op(pid));
            }
        }
    }
    // C4 bookkeeping: processes whose task this node shipped in a migration still running.
    for pid in 0..st.emus.len() {
        if st.ghost.committed[pid] && matches!(st.pma(n).procs[pid], Local::Migrating { .. }) {
            st.ghost.c4_marked |= 1 << pid;
            if cfg.c4_queue_condition && queued & (1 << pid) != 0 {
                mark_source_queue_lost(st, n, pid as Pid);
            }
        }
    }
    // Calls a task on this node had sent die with it too: task ports have no fixed node.
    let lost_tasks: Vec<Pid> = (0..st.emus.len() as Pid)
        .filter(|&p| st.nodes[n as usize].kernel.tasks[p as usize].is_some())
        .collect();
    st.net
        .retain(|e| !matches!(e.src, Actor::Port(p) if lost_tasks.contains(&p)));
    for &p in &lost_tasks {
        orphan_calls_of(st, p);
    }
    let node = &mut st.nodes[n as usize];
    node.alive = false;
    for l in node.pma.procs.iter_mut() {
        *l = Local::Free;
    }
    for v in node.pma.vprocs.iter_mut() {
        *v = Vproc::Unknown;
    }
    for t in node.kernel.tasks.iter_mut() {
        *t = None;
    }
    for b in node.kernel.precopied.iter_mut() {
        *b = 0;
    }
    st.net
        .retain(|e| e.src.node() != Some(n) && e.dst.node() != Some(n));
}

/// C4 as the paper states it (`c4_queue_condition`): "one might think that the process could
/// be restarted on this node if no system call request was enqueued on the source node"
/// (paper §3.2 (c)). Source `src` crashed after the pull holding requests queued for `pid`:
/// the destination whose kernel already holds the task marks its proc structure, so that it
/// kills the process when it learns of the crash (`QueueLost`). A task still in transit died
/// with the source (C1 instead).
fn mark_source_queue_lost(st: &mut Sys, src: NodeId, pid: Pid) {
    let Local::Migrating { out, .. } = st.pma(src).procs[pid as usize] else {
        return;
    };
    let d = out.dst;
    if !st.alive(d) || st.nodes[d as usize].kernel.tasks[pid as usize].is_none() {
        return;
    }
    if let Local::Incoming { proc, src: s, .. } = &mut st.pma_mut(d).procs[pid as usize] {
        if *s == src {
            proc.source_queue_lost = true;
        }
    }
}

/// Whether any detection step is enabled at `node` for `pid` (see [`detect`]).
pub fn can_detect(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> bool {
    detection(st, cfg, node, pid).is_some()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Detection {
    /// XMM: a page's home died, or (T1) the PMA holding the process died: the task dies.
    LostDependency,
    /// C4 under `c4_queue_condition`: the source died after the pull with requests queued
    /// for the process, so it is not restarted (or, restarted already, not kept): it dies.
    QueueLost,
    /// C1: the source died before the pull: free the reservation.
    SourceDiedBeforePull,
    /// C2: the destination died before the pull: reinstate.
    DestDiedBeforePull,
    /// C3: the destination died after the pull: free the migrating entry, report the death.
    DestDiedAfterPull,
    /// P11 fix: the source died before forwarding its queue: stop waiting for it (the queue
    /// is lost with the source) and serve the held requests.
    ForwardLost,
    /// T1, C2 analogue: the destination of a task-only migration died while the task is still
    /// offered: the offer is withdrawn and the task resumes where it is.
    TaskDestDiedBeforePull,
    /// T1, C3 analogue: the task of a process attached here died with another node (it ran
    /// there, or was in transit to it): the task port is dead, so the process dies.
    TaskLost,
}

fn detection(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> Option<Detection> {
    if st.crashes == 0 || !st.alive(node) {
        return None;
    }
    let nd = &st.nodes[node as usize];
    if let Some(t) = &nd.kernel.tasks[pid as usize] {
        let page_lost = t.pages.iter().any(|&h| !st.alive(h));
        let pma_lost = cfg.mode == Mode::Task && !st.alive(t.pma_caps[0]);
        let assumed_lost =
            cfg.mutant_is(Mutant::CrashKillsSurvivor) && st.ghost.c4_marked & (1 << pid) != 0;
        if page_lost || pma_lost || assumed_lost {
            return Some(Detection::LostDependency);
        }
    }
    if let Local::Incoming { proc, .. } | Local::Active { proc, .. } = &nd.pma.procs[pid as usize] {
        if proc.source_queue_lost {
            return Some(Detection::QueueLost);
        }
    }
    if let Local::Active { proc, .. } = &nd.pma.procs[pid as usize] {
        if proc.awaiting_forward.is_some_and(|s| !st.alive(s)) {
            return Some(Detection::ForwardLost);
        }
    }
    if cfg.mode == Mode::Task {
        if let Local::Active { proc, .. } = &nd.pma.procs[pid as usize] {
            let dst_dead = proc.task_migrating.is_some_and(
                |r| matches!(st.reqs[r as usize].call, Call::Migrate { dst } if !st.alive(dst)),
            );
            let task_node = st.task_node(pid);
            let offered = task_node.is_some_and(|k| {
                st.nodes[k as usize].kernel.tasks[pid as usize]
                    .as_ref()
                    .is_some_and(|t| t.offered)
            });
            if dst_dead && offered {
                return Some(Detection::TaskDestDiedBeforePull);
            }
            let in_transit = st
                .net
                .iter()
                .any(|e| matches!(&e.msg, Msg::TaskState { pid: p, .. } if *p == pid));
            if task_node.is_none() && !in_transit {
                return Some(Detection::TaskLost);
            }
        }
    }
    match &nd.pma.procs[pid as usize] {
        Local::Incoming {
            src,
            stage: InStage::Accepted | InStage::Pulling,
            ..
        } if !st.alive(*src) => Some(Detection::SourceDiedBeforePull),
        Local::Active { out: Some(o), .. } if !st.alive(o.dst) => {
            Some(Detection::DestDiedBeforePull)
        }
        Local::Migrating { out, .. } if !st.alive(out.dst) => {
            let offered = nd.kernel.tasks[pid as usize]
                .as_ref()
                .is_some_and(|t| t.offered);
            Some(if offered {
                Detection::DestDiedBeforePull
            } else {
                Detection::DestDiedAfterPull
            })
        }
        _ => None,
    }
}

/// The dead-name notification for `pid` at `node` is handled.
pub fn detect(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid) {
    match detection(st, cfg, node, pid) {
        Some(Detection::LostDependency) => {
            st.nodes[node as usize].kernel.tasks[pid as usize] = None;
            if st.ghost.c4_marked & (1 << pid) != 0 {
                st.see(Seen::C4_DIED);
            }
            if !matches!(st.pma(node).procs[pid as usize], Local::Free) {
                process_dies_here(st, node, pid, false);
            }
        }
        Some(Detection::QueueLost) => {
            st.see(Seen::C4_QUEUE_LOST);
            process_dies_here(st, node, pid, false);
        }
        Some(Detection::SourceDiedBeforePull) => {
            st.see(Seen::C1);
            crate::pma::release_reservation(st, cfg, node, pid, Vproc::Unknown);
        }
        Some(Detection::DestDiedBeforePull) => {
            st.see(Seen::C2);
            if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
                t.offered = false;
            }
            crate::pma::reinstate(st, cfg, node, pid, Outcome::Abandoned);
        }
        Some(Detection::TaskDestDiedBeforePull) => {
            st.see(Seen::C2);
            if let Some(k) = st.task_node(pid) {
                if let Some(t) = st.kernel_mut(k).tasks[pid as usize].as_mut() {
                    t.offered = false;
                    t.threads = Threads::Running;
                }
            }
            if let Local::Active { proc, .. } = &mut st.nodes[node as usize].pma.procs[pid as usize]
            {
                if let Some(r) = proc.task_migrating.take() {
                    crate::pma::respond(st, node, r, Outcome::Abandoned);
                }
            }
        }
        Some(Detection::ForwardLost) => {
            crate::pma::on_forward(st, cfg, node, pid, ReqList::new());
        }
        Some(Detection::TaskLost) => {
            st.see(Seen::C3);
            process_dies_here(st, node, pid, false);
        }
        Some(Detection::DestDiedAfterPull) => {
            st.see(Seen::C3);
            if cfg.mutant_is(Mutant::C3KeepsMigrating) {
                // The caller is told, the death reported, but the entry stays on the list.
                let mut gen = 0;
                if let Local::Migrating { out, proc, .. } =
                    &mut st.nodes[node as usize].pma.procs[pid as usize]
                {
                    gen = proc.gen;
                    let c = out.caller.take();
                    crate::pma::answer_migration(st, node, pid, c, Outcome::Died);
                }
                st.send(
                    Actor::Pma(node),
                    Actor::PmMaster,
                    Msg::ProcessDied { pid, gen },
                );
                return;
            }
            process_dies_here(st, node, pid, false);
        }
        None => {}
    }
}

/// The process's state at this PMA is destroyed: by `exit()` (`exited`) or by a crash case.
/// Every request the PMA owes for it is answered ESRCH; the PM Master is told of a death.
pub fn process_dies_here(st: &mut Sys, node: NodeId, pid: Pid, exited: bool) {
    if !exited {
        // A crash killed it (U1 checks it depended on a crashed node, spec §13.2).
        u1::event(st, Op::Die { pid });
    }
    crate::pma::bump_moves(st, pid);
    let slot = std::mem::replace(
        &mut st.nodes[node as usize].pma.procs[pid as usize],
        Local::Free,
    );
    st.pma_mut(node).vprocs[pid as usize] = Vproc::Unknown;
    st.nodes[node as usize].kernel.tasks[pid as usize] = None;
    if exited {
        // exit() terminates the task wherever it is: under T1 that may be another node, whose
        // task still names this PMA, or the source of a task-only migration under way, whose
        // offer goes with it (the run task-exit). A task already in transit is discarded when
        // it arrives (`kernel::on_task_state`).
        for nd in st.nodes.iter_mut() {
            if nd.kernel.tasks[pid as usize]
                .as_ref()
                .is_some_and(|t| t.pma_caps[0] == node)
            {
                nd.kernel.tasks[pid as usize] = None;
            }
        }
    }
    let mut owed: Vec<(ReqId, Outcome)> = Vec::new();
    // A G1 member's migration ends with its death, answered to its U1 operation.
    let mut member = false;
    if !exited {
        orphan_calls_of(st, pid);
    }
    if exited {
        // The exit() call itself ends here; its process is gone, so nobody reads the answer.
        owed.extend(
            (0..st.reqs.len())
                .filter(|&r| {
                    let q = &st.reqs[r];
                    q.call == Call::Exit
                        && q.target == pid
                        && q.status == ReqStatus::InProgress { node }
                })
                .map(|r| (r as ReqId, Outcome::Ok)),
        );
    }
    let take_proc = |p: &Proc, owed: &mut Vec<(ReqId, Outcome)>| {
        owed.extend(p.in_progress.map(|r| (r, Outcome::NoSuchProcess)));
        owed.extend(p.held.iter().map(|&r| (r, Outcome::NoSuchProcess)));
        owed.extend(p.task_migrating.map(|r| (r, Outcome::Died)));
    };
    match &slot {
        Local::Free => {}
        Local::Active { proc, out } => {
            take_proc(proc, &mut owed);
            if let Some(o) = out {
                owed.extend(o.queue.iter().map(|&r| (r, Outcome::NoSuchProcess)));
                member = o.caller.is_none();
                owed.extend(o.caller.map(|r| (r, Outcome::Died)));
            }
        }
        Local::Migrating { proc, out, .. } => {
            take_proc(proc, &mut owed);
            owed.extend(out.queue.iter().map(|&r| (r, Outcome::NoSuchProcess)));
            member = out.caller.is_none();
            owed.extend(out.caller.map(|r| (r, Outcome::Died)));
        }
        Local::Incoming { proc, .. } => take_proc(proc, &mut owed),
    }
    for (r, outcome) in owed {
        if !matches!(
            st.reqs[r as usize].status,
            ReqStatus::Completed(_) | ReqStatus::Lost
        ) {
            if exited && st.reqs[r as usize].call == Call::Exit {
                // The exiting process is gone: its own exit() returns to nobody.
                crate::pma::complete(st, r, Outcome::Ok);
            } else {
                crate::pma::respond(st, node, r, outcome);
            }
        }
    }
    if member {
        crate::pma::answer_migration(st, node, pid, None, Outcome::Died);
    }
    if !exited {
        let gen = match &slot {
            Local::Free => 0,
            Local::Active { proc, .. }
            | Local::Migrating { proc, .. }
            | Local::Incoming { proc, .. } => proc.gen,
        };
        st.send(
            Actor::Pma(node),
            Actor::PmMaster,
            Msg::ProcessDied { pid, gen },
        );
    }
}

/// A crash killed `pid`: the calls it made die with it. They never return, whenever their
/// loss comes (spec §5.5; `Ghost::orphaned`).
fn orphan_calls_of(st: &mut Sys, pid: Pid) {
    for r in 0..st.reqs.len() {
        let q = &st.reqs[r];
        if q.sender == Sender::Proc(pid)
            && !matches!(q.status, ReqStatus::Completed(_) | ReqStatus::Lost)
        {
            st.ghost.orphaned |= 1 << r;
        }
    }
}

/// Whether the live PMA at `node` really holds request `r`: in a pending queue, held, in
/// progress (a `wait()`, an `exit()`), or as the caller of a migration it runs.
fn held_at(st: &Sys, node: NodeId, r: ReqId) -> bool {
    if !st.alive(node) {
        return false;
    }
    let req = &st.reqs[r as usize];
    st.pma(node).procs.iter().enumerate().any(|(pid, l)| {
        let in_proc = |p: &Proc| {
            p.in_progress == Some(r)
                || p.held.contains(&r)
                || p.task_migrating == Some(r)
                || (p.exiting && req.call == Call::Exit && req.target as usize == pid)
        };
        match l {
            Local::Free => false,
            Local::Active { proc, out } => {
                in_proc(proc)
                    || out
                        .as_ref()
                        .is_some_and(|o| o.queue.contains(&r) || o.caller == Some(r))
            }
            Local::Migrating { proc, out, .. } => {
                in_proc(proc) || out.queue.contains(&r) || out.caller == Some(r)
            }
            Local::Incoming { proc, .. } => in_proc(proc),
        }
    })
}

/// Requests no live actor holds any more are lost: a crash destroyed the message or the queue
/// they were in. Their senders' calls return an error (the reply right died). A loss is
/// legitimate only in the crash step itself, for a request whose message was just sent to a
/// crashed node, or for a call whose caller a crash killed; any other loss is the protocol
/// dropping a request (P5, spec §5.5).
pub fn reap_unanchored(st: &mut Sys, crash_step: bool) {
    // Requests named by a message in transit, bit r = request r: computed
    // once, on the first request in routing, since the loop changes neither (it runs after
    // every step, spec §8.4).
    let mut routed: Option<u64> = None;
    for r in 0..st.reqs.len() {
        let anchored = match st.reqs[r].status {
            ReqStatus::Completed(_) | ReqStatus::Lost => {
                // An orphan mark matters only while its call is open: dropping it after keeps
                // states that differ in nothing else equal.
                st.ghost.orphaned &= !(1 << r);
                continue;
            }
            ReqStatus::Queued { node } | ReqStatus::InProgress { node } => {
                held_at(st, node, r as ReqId)
            }
            ReqStatus::Routing => (*routed.get_or_insert_with(|| routed_mask(st)) >> r) & 1 != 0,
        };
        if !anchored {
            if !crash_step && (st.ghost.vanished | st.ghost.orphaned) & (1 << r) == 0 {
                st.ghost.p5_dropped = true;
            }
            u1::lost(st, r as ReqId);
            st.reqs[r].status = ReqStatus::Lost;
            st.ghost.orphaned &= !(1 << r);
            match st.reqs[r].sender {
                Sender::Proc(p) => st.emus[p as usize].outstanding -= 1,
                Sender::Pcntl => st.pcntl_outstanding -= 1,
            }
        }
    }
}

/// The requests a message in transit names, as a bit set. A wait() parked at the PM Master
/// needs no bit: its request stays in progress at its PMA (R4 delays a freeze until it is
/// answered), so it is never in routing. A fork()'s `AllocPid` and `PidAllocated` name their
/// request but do not carry it: while they travel the fork is in progress at its PMA, and
/// once that PMA has answered (its process died, §5.2) the answer's own message is what
/// anchors it. Counting them kept a request whose answer had just vanished on the way to a
/// crashed caller's PMA in routing until the pid came back (spec §5.5, §12.9).
fn routed_mask(st: &Sys) -> u64 {
    const _: () = assert!(REQS_CAP <= 16);
    let mut mask = 0u64;
    for e in &st.net {
        if !matches!(e.msg, Msg::AllocPid { .. } | Msg::PidAllocated { .. }) {
            mask |= reqs_in(&e.msg) as u64;
        }
    }
    mask
}

/// The requests a message carries, as a bit set.
pub fn reqs_in(msg: &Msg) -> u16 {
    match msg {
        Msg::Syscall { req }
        | Msg::Request { req }
        | Msg::Reply { req, .. }
        | Msg::AbsentProcess { req }
        | Msg::Relookup { req }
        | Msg::Located { req, .. }
        | Msg::WaitChild { req, .. }
        | Msg::AllocPid { req, .. }
        | Msg::PidAllocated { req, .. }
        | Msg::ChildExited { req, .. } => 1 << req,
        Msg::Forward { reqs, .. } => reqs.iter().fold(0, |m, r| m | 1 << r),
        _ => 0,
    }
}

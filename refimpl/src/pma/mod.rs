//! spec §11.4 The Process Management Agent of one node (paper §2.2): the proc and user
//! structures of the processes on its node, kept on the active, migrating and free lists;
//! the vprocs; the server stubs; and the calls it serves. Sub-modules: `vproc` (the
//! operation table), `calls` (fork/exec, exit, wait), `signals` (kill and sigsuspend),
//! `allow` (pcntl ALLOW/DISALLOW, G2), `migrate_src` (R1–R8, R10, R14, T1 at the source) and
//! `migrate_dst` (R7, R9, R12, R13 and the forward's reception at D).

pub mod allow;
pub mod calls;
pub mod group;
pub mod migrate_dst;
pub mod migrate_src;
pub mod signals;
pub mod vproc;

use std::collections::{BTreeMap, BTreeSet};

use crate::credentials::{Credentials, Rusage};
use crate::sim::Time;
use crate::timing::MsgKind;
use crate::workload::Mode;
use crate::world::{Body, Call, Ep, Outcome, ReqStatus, Sender, World};
use crate::{NodeId, Pid, ReqId, MASTER};
pub use vproc::VprocOps;
use vproc::{dispatch, Dispatch};

/// Which list a proc structure is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    Active,
    /// Detached and kept for recovery (R6) until clean-up (R14) or reinstatement (R8).
    Migrating,
    /// Reserved at D for an incoming migration (R9) until restart (R13).
    Incoming,
}

/// The source side of a migration in progress (R1–R6).
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub dst: NodeId,
    pub attempt: u32,
    /// The pcntl request to answer (None for a G1 member).
    pub caller: Option<ReqId>,
    /// The pending queue Q (R2).
    pub queue: Vec<ReqId>,
    pub suspended: bool,
    /// The kernel has suspended the threads for this attempt (R3's first kernel call took
    /// effect), even if the suspension plan has not finished: a reinstatement must resume.
    pub threads_held: bool,
    pub frozen: bool,
}

/// Stages of an incoming migration at D.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Accepted,
    Pulling,
    Arrived,
    Installed,
    Informing,
}

#[derive(Clone, Debug)]
pub struct Incoming {
    pub src: NodeId,
    pub attempt: u32,
    pub stage: Stage,
}

/// The proc + user structures of a process (the local process state, paper §3.1).
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: Pid,
    pub list: List,
    pub creds: Credentials,
    pub rusage: Rusage,
    /// A call on this process being executed by the PMA (a wait() or a sigsuspend()).
    pub in_progress: Option<ReqId>,
    pub exiting: bool,
    /// G2.
    pub allowed: bool,
    /// A signal delivered while no sigsuspend() was in progress, which the next one returns
    /// for at once (`Config::sigsuspend`). Process state: it moves with the process (R6).
    pub sig_pending: bool,
    /// Node whose kernel holds the task (differs from the PMA's node after T1).
    pub task_node: NodeId,
    /// Set once T1 moved the task: the process is attached to a PMA away from its task.
    pub task_mode: bool,
    pub out: Option<Outgoing>,
    pub inc: Option<Incoming>,
    /// T1 in progress: the pcntl request.
    pub task_moving: Option<(ReqId, NodeId, u32)>,
    /// P11 fix: restarted at D, waiting for S's forward.
    pub awaiting_forward: Option<NodeId>,
    /// Requests held at D until restart or until the forward arrives.
    pub held: Vec<ReqId>,
    /// The PM Master answered the location update with "dead" (spec §5.3).
    pub pmm_dead: bool,
    /// C4's condition (`Config::c4_queue_condition`): the source crashed after the pull
    /// holding requests queued for this process (R2), lost with it. Set at D by the crash;
    /// D kills the process when it learns of the crash, before or after its restart.
    pub source_queue_lost: bool,
}

/// The image sent in a MigrateRequest (R6): proc + user, credentials, rusage and the
/// process's capabilities (sizes from the profile).
#[derive(Clone, Debug)]
pub struct Image {
    pub pid: Pid,
    pub src: NodeId,
    pub attempt: u32,
    pub creds: Credentials,
    pub rusage: Rusage,
    pub allowed: bool,
    /// A signal pending for a later sigsuspend() (`Proc::sig_pending`).
    pub sig_pending: bool,
    /// Facts at extraction, for P4.
    pub threads_suspended: bool,
    pub in_progress: bool,
    pub exiting: bool,
    pub pages: u32,
}

#[derive(Clone, Debug)]
pub struct Pma {
    pub node: NodeId,
    pub procs: BTreeMap<Pid, Proc>,
    pub active: BTreeSet<Pid>,
    pub migrating: BTreeSet<Pid>,
    /// Free proc structures (the free list, by count).
    pub free: u32,
    pub vprocs: BTreeMap<Pid, VprocOps>,
    pub next_attempt: u32,
}

impl Pma {
    pub fn new(node: NodeId, slots: u32) -> Pma {
        Pma {
            node,
            procs: BTreeMap::new(),
            active: BTreeSet::new(),
            migrating: BTreeSet::new(),
            free: slots,
            vprocs: BTreeMap::new(),
            next_attempt: 0,
        }
    }

    /// A new active proc (process creation): taken from the free list.
    pub fn install_proc(&mut self, pid: Pid, task_node: NodeId, now: Time) {
        self.free = self.free.saturating_sub(1);
        self.procs.insert(
            pid,
            Proc {
                pid,
                list: List::Active,
                creds: World::default_creds(),
                rusage: World::new_rusage(now),
                in_progress: None,
                exiting: false,
                allowed: true,
                sig_pending: false,
                task_node,
                task_mode: false,
                out: None,
                inc: None,
                task_moving: None,
                awaiting_forward: None,
                held: Vec::new(),
                pmm_dead: false,
                source_queue_lost: false,
            },
        );
        self.active.insert(pid);
        self.vprocs.insert(pid, VprocOps::Local);
    }

    /// Returns a proc structure to the free list and frees the vproc (R14, deaths).
    pub fn free_proc(&mut self, pid: Pid) -> Option<Proc> {
        let p = self.procs.remove(&pid)?;
        self.active.remove(&pid);
        self.migrating.remove(&pid);
        self.free += 1;
        self.vprocs.remove(&pid);
        Some(p)
    }

    pub fn set_vproc_remote(&mut self, pid: Pid, node: NodeId) {
        self.vprocs.insert(pid, VprocOps::ClientStub(node));
    }

    pub fn set_list(&mut self, pid: Pid, list: List) {
        self.active.remove(&pid);
        self.migrating.remove(&pid);
        match list {
            List::Active => {
                self.active.insert(pid);
            }
            List::Migrating => {
                self.migrating.insert(pid);
            }
            List::Incoming => {}
        }
        if let Some(p) = self.procs.get_mut(&pid) {
            p.list = list;
        }
    }
}

impl World {
    /// EM1 arrives at the caller's PMA.
    pub fn on_syscall(&mut self, r: ReqId) {
        let c = self.reqs[r as usize].caller;
        self.route(c, r);
    }

    /// VP1: route through the target's vproc.
    pub fn route(&mut self, c: NodeId, r: ReqId) {
        let target = self.reqs[r as usize].target;
        let now = self.now();
        self.trace.log(
            now,
            c,
            "VP1",
            format_args!("route req {r} for pid {target}"),
        );
        let pma = &self.nodes[c].pma;
        match dispatch(
            c,
            pma.procs.contains_key(&target),
            pma.vprocs.get(&target).copied(),
        ) {
            Dispatch::Here => self.accept_here(c, r),
            Dispatch::Remote(m) => {
                let b = self.costs.request_bytes;
                self.send(Ep::Pma(c), Ep::Pma(m), MsgKind::Rpc, 0, b, Body::Request(r));
            }
            Dispatch::Lookup => {
                self.send(Ep::Pma(c), Ep::Pmm, MsgKind::Rpc, 0, 0, Body::Relookup(r));
            }
        }
    }

    /// VP2: the server stub.
    pub fn on_request(&mut self, dst: Ep, r: ReqId) {
        let Ep::Pma(n) = dst else { return };
        let target = self.reqs[r as usize].target;
        if self.nodes[n].pma.procs.contains_key(&target) {
            self.accept_here(n, r);
        } else {
            self.absent_process(n, r);
        }
    }

    /// R15: the PMA holds nothing for the target; no embedded RPC on the caller's behalf.
    pub fn absent_process(&mut self, n: NodeId, r: ReqId) {
        let req = &self.reqs[r as usize];
        let (target, caller) = (req.target, req.caller);
        if self.pmm.location(target) == Some(n) && !self.dying_reported(n, target) {
            self.stats.violations.push(format!(
                "P9: node {n} answered AbsentProcess for pid {target} that the PM Master locates there"
            ));
        }
        let now = self.now();
        self.trace.log(
            now,
            n,
            "R15",
            format_args!("AbsentProcess for pid {target} (req {r})"),
        );
        self.send_free(Ep::Pma(n), Ep::Pma(caller), Body::AbsentProcess(r));
    }

    /// A death at `n` already reported to the PM Master (P9's exception): the PM Master
    /// still locates the process at `n` only until it reads the report.
    fn dying_reported(&self, _n: NodeId, pid: Pid) -> bool {
        self.dead_reported.contains(&pid)
    }

    /// R16: the caller asks the PM Master again.
    pub fn on_absent(&mut self, dst: Ep, r: ReqId) {
        let Ep::Pma(c) = dst else { return };
        self.reqs[r as usize].absent += 1;
        let now = self.now();
        self.trace
            .log(now, c, "R16", format_args!("Relookup for req {r}"));
        self.send(Ep::Pma(c), Ep::Pmm, MsgKind::Rpc, 0, 0, Body::Relookup(r));
    }

    pub fn on_located(&mut self, dst: Ep, r: ReqId, loc: Option<NodeId>) {
        let Ep::Pma(c) = dst else { return };
        let target = self.reqs[r as usize].target;
        // R16's end: the caller's PMA reads the PM Master's answer, then routes again (VP1)
        // or answers; the model names the delivery R16.
        let now = self.now();
        self.trace.log(
            now,
            c,
            "R16",
            format_args!("request {r}: the PM Master locates pid {target} at {loc:?}"),
        );
        match loc {
            None => self.respond(c, r, Outcome::NoSuchProcess),
            Some(m) => {
                let ops = if m == c {
                    VprocOps::Local
                } else {
                    VprocOps::ClientStub(m)
                };
                let pma = &mut self.nodes[c].pma;
                if !pma.procs.contains_key(&target) || m != c {
                    pma.vprocs.insert(target, ops);
                }
                if m == c && !self.nodes[c].pma.procs.contains_key(&target) {
                    // The PM Master has not yet read a death here: ask again.
                    self.send(Ep::Pma(c), Ep::Pmm, MsgKind::Rpc, 0, 0, Body::Relookup(r));
                } else {
                    self.route(c, r);
                }
            }
        }
    }

    /// Takes a request at the PMA holding a proc structure for its target (spec §3.1).
    pub fn accept_here(&mut self, n: NodeId, r: ReqId) {
        let req = self.reqs[r as usize].clone();
        let is_migrate = matches!(req.call, Call::Migrate { .. });
        let Some(p) = self.nodes[n].pma.procs.get_mut(&req.target) else {
            return self.absent_process(n, r);
        };
        // R2 applies on the migrating list, and on the active list while freezing (spec §3.1:
        // the process's own calls too, found by trace replay); a P11 hold takes precedence
        // on the active list.
        let enqueue = match p.list {
            List::Migrating => true,
            List::Active => p.awaiting_forward.is_none() && p.out.is_some(),
            List::Incoming => false,
        };
        if enqueue {
            if is_migrate {
                // R1: "a second request for the same pid while it migrates is rejected".
                let now = self.now();
                self.trace.reach(now, "S-second-migrate-rejected");
                return self.respond(n, r, Outcome::Rejected);
            }
            // R2: received but not handled.
            p.out
                .as_mut()
                .expect("an enqueuing proc is migrating out")
                .queue
                .push(r);
            let rq = &mut self.reqs[r as usize];
            rq.status = ReqStatus::Queued;
            rq.queued += 1;
            let now = self.now();
            self.trace.log(
                now,
                n,
                "R2",
                format_args!("enqueue req {r} for pid {}", req.target),
            );
            if req.sender == Sender::Proc(req.target) {
                // An own call queued is no longer one being executed (R4's literal scope):
                // the freeze it held up may proceed (found by trace replay).
                self.q
                    .after(0, crate::world::Ev::FreezeCheck { pid: req.target });
            }
            return;
        }
        match p.list {
            List::Incoming => {
                if is_migrate {
                    let now = self.now();
                    self.trace.reach(now, "S-second-migrate-rejected");
                    return self.respond(n, r, Outcome::Rejected);
                }
                if self.cfg.choices.incoming_requests
                    == crate::choices::IncomingRequests::AbsentProcess
                {
                    return self.absent_process(n, r);
                }
                p.held.push(r);
                self.reqs[r as usize].status = ReqStatus::Queued;
                let now = self.now();
                self.trace.log(
                    now,
                    n,
                    "R13-hold",
                    format_args!("hold req {r} for pid {} until restart", req.target),
                );
            }
            List::Active if p.awaiting_forward.is_some() => {
                p.held.push(r);
                self.reqs[r as usize].status = ReqStatus::Queued;
                let now = self.now();
                self.trace.log(
                    now,
                    n,
                    "P11",
                    format_args!("hold req {r} for pid {} until the forward", req.target),
                );
            }
            List::Active => self.serve(n, r),
            List::Migrating => unreachable!("a migrating proc always enqueues"),
        }
    }

    /// Executes a call on a process active here (the local PMA operations).
    pub fn serve(&mut self, n: NodeId, r: ReqId) {
        let req = self.reqs[r as usize].clone();
        let served = self.q.processed;
        let rq = &mut self.reqs[r as usize];
        rq.handled += 1;
        rq.served = served;
        let forwarded = rq.forwarded > 0;
        if rq.handled > 1 {
            self.stats
                .violations
                .push(format!("P6: req {r} served twice"));
        }
        if let Some(p) = self.nodes[n].pma.procs.get_mut(&req.target) {
            // A pcntl request is not a call of the process: it is not charged to it (A1).
            if !matches!(req.call, Call::Migrate { .. } | Call::Allow { .. }) {
                p.rusage.charge_call();
            }
        }
        let now = self.now();
        // The rule this call fires at the PMA holding the process (spec §3.1), named first
        // so that the event's rule label is the call's, as the model names the step.
        let allowed = !matches!(self.nodes[n].pma.procs.get(&req.target), Some(p) if !p.allowed);
        let rule = match req.call {
            Call::Migrate { .. } if !allowed => "G2",
            Call::Migrate {
                mode: Mode::Task, ..
            } => "T1",
            Call::Migrate { .. } if self.cfg.group => "G1",
            Call::Migrate { .. } => "R1",
            Call::Wait => "PM1",
            Call::Exit => "PM2",
            Call::Fork { .. } => "PM3",
            Call::Info => "A1",
            Call::Allow { .. } => "G2",
            Call::Kill | Call::Sigsuspend => "VP2",
        };
        self.trace.log(
            now,
            n,
            rule,
            format_args!("serve req {r} for pid {}", req.target),
        );
        if forwarded {
            // A request queued at a source is served where it was forwarded.
            self.trace.reach(now, "S-queued-forwarded");
        }
        // P11 monitor: an earlier call of the same sender on the same process not yet served
        // (nor answered or lost) has been overtaken by this one. It scans the requests, so it
        // runs only when something reads it (the invariant checks, a recorded trace). The
        // pcntl callers are independent senders: one alone waits for each answer before its
        // next request, so requests of two of them may be served in either order.
        let call = |c: &Call| !matches!(c, Call::Migrate { .. });
        let overtaken = (self.cfg.check_invariants || self.trace.on)
            && req.sender != Sender::Pcntl
            && call(&req.call)
            && self.reqs[..r as usize].iter().any(|e| {
                e.sender == req.sender
                    && e.target == req.target
                    && e.handled == 0
                    && call(&e.call)
                    && !matches!(e.status, ReqStatus::Completed(_) | ReqStatus::Lost)
            });
        if overtaken {
            self.trace.reach(now, "S-overtaken");
            self.stats.violations.push(format!(
                "P11 per-sender order: req {r} for pid {} served before an earlier call of \
                 its sender",
                req.target
            ));
        }
        match req.call {
            Call::Info => {
                self.trace.log(
                    now,
                    n,
                    "A1",
                    format_args!("getrusage of pid {} (req {r})", req.target),
                );
                self.respond(n, r, Outcome::Ok)
            }
            Call::Kill => {
                self.trace.log(
                    now,
                    n,
                    "VP2",
                    format_args!("kill pid {} (req {r})", req.target),
                );
                self.deliver_signal(n, req.target);
                self.respond(n, r, Outcome::Ok)
            }
            Call::Sigsuspend => self.sigsuspend(n, r),
            Call::Allow { allow } => self.set_allowed(n, r, allow),
            Call::Fork { prog, on } => self.fork(n, r, prog, on),
            Call::Wait => {
                self.trace.log(
                    now,
                    n,
                    "PM1",
                    format_args!("wait() of pid {} (req {r})", req.target),
                );
                self.wait(n, r)
            }
            Call::Exit => self.exit(n, r),
            Call::Migrate { dst, mode } => self.start_migration(n, r, dst, mode),
        }
    }

    /// Answers a request: to the emulator or monitor if this PMA is the caller's, otherwise
    /// to the caller's PMA (the reply leg of the RPC, priced on its request).
    pub fn respond(&mut self, n: NodeId, r: ReqId, o: Outcome) {
        let req = &mut self.reqs[r as usize];
        if matches!(req.status, ReqStatus::Completed(_)) {
            return;
        }
        if req.caller != n {
            req.status = ReqStatus::Routing;
            let caller = req.caller;
            self.send_free(Ep::Pma(n), Ep::Pma(caller), Body::Reply(r, o));
            return;
        }
        self.complete(r, o);
    }

    /// VP3 at the caller's PMA.
    pub fn on_reply(&mut self, r: ReqId, o: Outcome) {
        let now = self.now();
        let c = self.reqs[r as usize].caller;
        self.trace
            .log(now, c, "VP3", format_args!("reply to req {r}: {o:?}"));
        self.complete(r, o);
    }

    fn complete(&mut self, r: ReqId, o: Outcome) {
        let now = self.now();
        let req = &mut self.reqs[r as usize];
        req.status = ReqStatus::Completed(o);
        req.done = now;
        let (sender, target) = (req.sender, req.target);
        match sender {
            Sender::Proc(pid) => {
                self.call_done(pid);
                self.send_free(
                    Ep::Pma(self.reqs[r as usize].caller),
                    Ep::Task(pid),
                    Body::CallReply(r, o),
                );
                // A call of a freezing process completed: R5 may now hold. The freezing
                // thread takes it up as its own event (a chosen order may put others first).
                self.q.after(0, crate::world::Ev::FreezeCheck { pid });
            }
            Sender::Pcntl => {
                let migrate = matches!(self.reqs[r as usize].call, Call::Migrate { .. });
                self.send_free(Ep::Pma(MASTER), Ep::Monitor, Body::CallReply(r, o));
                if migrate {
                    // The statistics follow migrations, not pcntl(ALLOW/DISALLOW).
                    let now = self.now();
                    self.stats.end(target, now, o);
                }
            }
        }
    }

    /// Calls of a process still open (R4's literal scope, spec §3.2.1).
    pub fn call_done(&mut self, pid: Pid) {
        if let Some(c) = self.open_calls.get_mut(pid as usize) {
            *c = c.saturating_sub(1);
        }
    }

    pub fn freeze_check_for(&mut self, pid: Pid) {
        for n in 0..self.nodes.len() {
            if self.nodes[n].alive
                && self.nodes[n]
                    .pma
                    .procs
                    .get(&pid)
                    .is_some_and(|p| p.out.as_ref().is_some_and(|o| !o.frozen))
            {
                self.try_freeze_at(n, pid);
            }
        }
    }
}

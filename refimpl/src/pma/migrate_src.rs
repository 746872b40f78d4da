//! spec §11.4 / §3.2 The source side of process migration: R1 StartMigration (and G2; G1 is
//! in `group`), R3 Suspend, R4/R4' and R5 Frozen, R6 DetachAndSend, R8 Reinstate on refusal,
//! R10 Abandon (kernel-arbitrated, with attempt numbers), R14 ForwardAndCleanUp; and T1 at
//! the PMA.

use crate::kernel::Offer;
use crate::pma::{Image, List, Outgoing};
use crate::timing::{MsgKind, MsgShape};
use crate::workload::{Mode, Strategy};
use crate::world::{Body, Call, Effect, Ep, Outcome, Phase, Plan, ReqStatus, Sender, Then, World};
use crate::{NodeId, Pid, ReqId};

use super::vproc::VprocOps;

impl World {
    /// R1 (process mode) or T1 (task mode), serving pcntl(MIGRATE) at the PMA holding P.
    pub fn start_migration(&mut self, s: NodeId, r: ReqId, dst: NodeId, mode: Mode) {
        let pid = self.reqs[r as usize].target;
        let ok = {
            let p = &self.nodes[s].pma.procs[&pid];
            p.allowed
                && !p.exiting
                && p.out.is_none()
                && p.task_moving.is_none()
                && dst < self.nodes.len()
                && self.nodes[dst].alive
                && match mode {
                    Mode::Process => dst != s && p.task_node == s && !p.task_mode,
                    Mode::Task => dst != p.task_node,
                }
        };
        if !ok {
            let now = self.now();
            self.trace.log(
                now,
                s,
                "G2",
                format_args!("pcntl(MIGRATE) of pid {pid} rejected"),
            );
            return self.respond(s, r, Outcome::Rejected);
        }
        self.reqs[r as usize].status = ReqStatus::InProgress;
        match mode {
            Mode::Task => self.start_task_migration(s, r, pid, dst),
            Mode::Process => {
                self.freeze_one(s, pid, dst, Some(r));
                if self.cfg.group {
                    self.start_group(s, pid, dst);
                }
            }
        }
    }

    /// R1's effect on one process: the vproc enqueues, freezing starts.
    pub(super) fn freeze_one(&mut self, s: NodeId, pid: Pid, dst: NodeId, caller: Option<ReqId>) {
        let pma = &mut self.nodes[s].pma;
        pma.next_attempt += 1;
        let attempt = pma.next_attempt;
        let p = pma.procs.get_mut(&pid).expect("active here");
        p.out = Some(Outgoing {
            dst,
            attempt,
            caller,
            queue: Vec::new(),
            suspended: false,
            threads_held: false,
            frozen: false,
        });
        pma.vprocs.insert(pid, VprocOps::Enqueue);
        let now = self.now();
        if let Some(rec) = self.stats.record(pid) {
            rec.mode = Mode::Process;
            rec.started = Some(now);
        }
        self.trace.log(
            now,
            s,
            "R1",
            format_args!("start migration of pid {pid} to node {dst} (attempt {attempt})"),
        );
        // AS1 pre-copies on every attempt: a destination that refused discarded what it had
        // received, and a new one has nothing.
        if self.cfg.strategy == Strategy::Precopy {
            self.precopy(s, pid, dst);
        } else {
            self.suspend_for_freeze(s, pid);
        }
    }

    /// AS1: copy the resident pages to D while the process runs.
    fn precopy(&mut self, s: NodeId, pid: Pid, dst: NodeId) {
        let c = self.costs.clone();
        let Some(task) = self.nodes[s].kernel.tasks.get_mut(&pid) else {
            return;
        };
        task.dirty.clear();
        task.precopied = false;
        task.precopied_pages.clear();
        task.precopy_todo = (0..task.pages.len() as u32)
            .filter(|&i| task.pages[i as usize] == s)
            .collect();
        let pages = task.pages_on(s);
        let mut plan = Plan::new(s, Some(dst), pid, Then::PreCopied { pid });
        for _ in 0..pages {
            plan.msg_with(
                &c,
                Phase::AddressSpace,
                MsgShape::new(MsgKind::Cpu, false).pages(1),
                Effect::PreCopyPage,
            );
        }
        let now = self.now();
        self.trace.log(
            now,
            s,
            "AS1",
            format_args!("pre-copy {pages} pages of pid {pid} to node {dst}"),
        );
        self.start_plan(plan);
    }

    /// Whether `pid` is migrating out of `s` to a live destination: where its pre-copied
    /// pages are (a crash of the destination loses them, as in the model).
    pub fn migrating_to_live_node(&self, s: NodeId, pid: Pid) -> bool {
        self.nodes[s]
            .pma
            .procs
            .get(&pid)
            .and_then(|p| p.out.as_ref())
            .is_some_and(|o| self.nodes[o.dst].alive)
    }

    /// AS1: the next page's copy reached the destination (unless it died meanwhile).
    pub fn precopy_page(&mut self, s: NodeId, pid: Pid) {
        if !self.migrating_to_live_node(s, pid) {
            return;
        }
        if let Some(t) = self.nodes[s].kernel.tasks.get_mut(&pid) {
            if !t.precopy_todo.is_empty() {
                let page = t.precopy_todo.remove(0);
                t.precopied_pages.push(page);
            }
        }
    }

    pub fn precopy_done(&mut self, pid: Pid) {
        let Some(s) = self.source_of(pid) else { return };
        if let Some(t) = self.nodes[s].kernel.tasks.get_mut(&pid) {
            t.precopied = true;
        }
        self.suspend_for_freeze(s, pid);
    }

    /// The node whose PMA has P freezing or migrating.
    pub fn source_of(&self, pid: Pid) -> Option<NodeId> {
        (0..self.nodes.len()).find(|&n| {
            self.nodes[n].alive
                && self.nodes[n]
                    .pma
                    .procs
                    .get(&pid)
                    .is_some_and(|p| p.out.is_some())
        })
    }

    /// R3: suspend every thread (a local kernel call each).
    fn suspend_for_freeze(&mut self, s: NodeId, pid: Pid) {
        let c = self.costs.clone();
        let threads = self.nodes[s]
            .kernel
            .tasks
            .get(&pid)
            .map(|t| t.threads.len() as u32)
            .unwrap_or(0);
        let attempt = self.nodes[s].pma.procs[&pid]
            .out
            .as_ref()
            .map_or(0, |o| o.attempt);
        let mut plan = Plan::new(s, None, pid, Then::Suspended { pid, attempt });
        plan.suspend_threads(&c, threads);
        self.start_plan(plan);
    }

    pub fn try_freeze(&mut self, pid: Pid) {
        if let Some(s) = self.source_of(pid) {
            if let Some(o) = self.nodes[s].pma.procs[&pid].out.as_ref() {
                if !o.suspended {
                    self.nodes[s]
                        .pma
                        .procs
                        .get_mut(&pid)
                        .unwrap()
                        .out
                        .as_mut()
                        .unwrap()
                        .suspended = true;
                    let now = self.now();
                    self.trace
                        .log(now, s, "R3", format_args!("threads of pid {pid} suspended"));
                }
            }
            if self.nodes[s].pma.procs[&pid].in_progress.is_some() {
                // R4 awaits the call; R4' aborts it as a step of its own, after R3 (the
                // model's order): the freezing thread takes it up as its next event.
                self.q.after(0, crate::world::Ev::FreezeCheck { pid });
                return;
            }
            self.try_freeze_at(s, pid);
        }
    }

    /// R4' and R5: frozen when the threads are suspended, no call is in progress and the
    /// process is not exiting; R6 follows as an event of its own.
    pub fn try_freeze_at(&mut self, s: NodeId, pid: Pid) {
        let r4_prime = self.cfg.r4_prime;
        let Some(p) = self.nodes[s].pma.procs.get_mut(&pid) else {
            return;
        };
        let Some(out) = p.out.as_mut() else { return };
        if out.frozen || !out.suspended || p.exiting {
            return;
        }
        if let Some(w) = p.in_progress {
            if !r4_prime {
                // R4: await the completion of the wait() or sigsuspend(). A sigsuspend()
                // ends only with a signal, and R2 enqueues every signal to the freezing
                // process: the freeze never ends (spec §10 finding 16).
                return;
            }
            // R4' (paper §3.2.1): "abort the system calls that do not modify the process's
            // state (e.g. wait(), sigsuspend()), and restart their execution on the
            // destination node PMA": the call goes first in Q.
            p.in_progress = None;
            out.queue.insert(0, w);
            let rq = &mut self.reqs[w as usize];
            rq.status = ReqStatus::Queued;
            rq.queued += 1;
            rq.handled = rq.handled.saturating_sub(1);
            let sigsuspend = rq.call == Call::Sigsuspend;
            let now = self.now();
            let name = if sigsuspend { "sigsuspend()" } else { "wait()" };
            self.trace.log(
                now,
                s,
                "R4'",
                format_args!("{name} of pid {pid} aborted, restarts at D"),
            );
            if sigsuspend {
                self.trace.reach(now, "S-sigsuspend-aborted");
            }
            // R5 is a step of its own after R4' (as in the model), taken up next.
            self.q.after(0, crate::world::Ev::FreezeCheck { pid });
            return;
        }
        let p = &self.nodes[s].pma.procs[&pid];
        let out = p.out.as_ref().unwrap();
        let own_queued = out
            .queue
            .iter()
            .filter(|&&q| self.reqs[q as usize].sender == Sender::Proc(pid))
            .count() as u32;
        let open = self.open_calls.get(pid as usize).copied().unwrap_or(0);
        if self.cfg.r4_literal && open > own_queued {
            return; // R4 (literal scope): a call of P is still being executed.
        }
        let suspended = self.nodes[s]
            .kernel
            .tasks
            .get(&pid)
            .is_some_and(|t| t.suspended());
        if !suspended {
            return;
        }
        self.freeze(s, pid);
    }

    /// R5: the process is frozen, "stable, coherent and resumable" (paper §3.2.1). R6 is a
    /// step of its own, taken up next (as in the model): until then the process is still on
    /// the active list, where an abandon (R10) or a crash may find it.
    fn freeze(&mut self, s: NodeId, pid: Pid) {
        let now = self.now();
        let Some(out) = self.nodes[s]
            .pma
            .procs
            .get_mut(&pid)
            .and_then(|p| p.out.as_mut())
        else {
            return;
        };
        out.frozen = true;
        let member = out.caller.is_none();
        if let Some(rec) = self.stats.record(pid) {
            rec.frozen = Some(now);
        }
        self.trace
            .log(now, s, "R5", format_args!("pid {pid} frozen"));
        if member && self.group_source.is_some_and(|g| g != s) {
            self.trace.reach(now, "S-group-remote");
        }
        self.q.after(0, crate::world::Ev::Detach { pid });
    }

    /// The `Detach` event: R6 for the process frozen (and not yet detached) at a live PMA.
    pub fn detach_for(&mut self, pid: Pid) {
        let at = (0..self.nodes.len()).find(|&n| {
            self.nodes[n].alive
                && self.nodes[n].pma.procs.get(&pid).is_some_and(|p| {
                    p.list == List::Active && p.out.as_ref().is_some_and(|o| o.frozen)
                })
        });
        if let Some(s) = at {
            self.detach_and_send(s, pid);
        }
    }

    /// R6: off the active list onto the migrating list; the image goes to D; the kernel
    /// offers the task for a pull of this attempt.
    fn detach_and_send(&mut self, s: NodeId, pid: Pid) {
        let now = self.now();
        let (dst, attempt, img) = {
            let task = self.nodes[s].kernel.tasks.get(&pid);
            let suspended = task.is_some_and(|t| t.suspended());
            let pages = task.map(|t| t.pages.len() as u32).unwrap_or(0);
            let p = self.nodes[s].pma.procs.get_mut(&pid).unwrap();
            let out = p.out.as_mut().unwrap();
            let img = Image {
                pid,
                src: s,
                attempt: out.attempt,
                creds: p.creds.clone(),
                rusage: p.rusage.clone(),
                allowed: p.allowed,
                sig_pending: p.sig_pending,
                threads_suspended: suspended,
                in_progress: p.in_progress.is_some(),
                exiting: p.exiting,
                pages,
            };
            (out.dst, out.attempt, img)
        };
        if !img.threads_suspended || img.in_progress || img.exiting {
            self.stats
                .violations
                .push(format!("P4: pid {pid} extracted while not frozen"));
        }
        self.nodes[s].pma.set_list(pid, List::Migrating);
        self.nodes[s]
            .kernel
            .offers
            .insert(pid, Offer { attempt, dst });
        self.group_step(s, pid);
        self.trace.log(
            now,
            s,
            "R6",
            format_args!("detach pid {pid}; MigrateRequest to node {dst} (proc+user, credentials, rusage, caps)"),
        );
        let c = &self.costs;
        let bytes = c.proc_user_bytes + c.credentials_bytes + c.rusage_bytes;
        let caps = c.process_caps;
        let shape = MsgShape::new(MsgKind::Async, false).caps(caps).bytes(bytes);
        let cost = self.costs.price(&shape);
        self.stats.phase(pid, Phase::Process, cost);
        self.send(
            Ep::Pma(s),
            Ep::Pma(dst),
            MsgKind::Async,
            caps,
            bytes,
            Body::MigrateRequest(Box::new(img)),
        );
    }

    /// R8 on Refused (of this attempt only, with attempt tags). A refusal reaching a process
    /// that is freezing again (on the active list, a migration out under way) is taken as
    /// the model takes it: without tags nothing tells an abandoned attempt's refusal from
    /// the current one's (spec §10 finding 8's ABA race; the refimpl had dropped it, found
    /// by recordings directed at `W-stale-attempt`).
    pub fn on_refused(&mut self, dst: Ep, pid: Pid, attempt: u32) {
        let Ep::Pma(s) = dst else { return };
        let ok = self.nodes[s].pma.procs.get(&pid).is_some_and(|p| {
            matches!(p.list, List::Migrating | List::Active)
                && p.out
                    .as_ref()
                    .is_some_and(|o| !self.cfg.attempt_tags || o.attempt == attempt)
        });
        if !ok {
            return; // a stale refusal of another attempt (spec §10 finding 8)
        }
        let d = self.nodes[s].pma.procs[&pid].out.as_ref().unwrap().dst;
        if self.mutant_is(crate::mutants::Mutant::RefusalNotReinstated) {
            return;
        }
        let now = self.now();
        self.trace.log(
            now,
            s,
            "R8",
            format_args!("refused by node {d}: pid {pid} reinstated"),
        );
        self.reinstate(s, pid, Outcome::Refused);
        // P8: active on S, running, and D holds nothing for this attempt.
        let p_ok = self.nodes[s]
            .pma
            .procs
            .get(&pid)
            .is_some_and(|p| p.list == List::Active && p.out.is_none())
            && self.nodes[s]
                .kernel
                .tasks
                .get(&pid)
                .is_some_and(|t| t.running());
        let d_holds = self.nodes[d].alive
            && self.nodes[d].pma.procs.get(&pid).is_some_and(|p| {
                p.inc
                    .as_ref()
                    .is_some_and(|i| i.attempt == attempt && i.src == s)
            });
        if !p_ok || d_holds {
            self.stats
                .violations
                .push(format!("P8: refusal of pid {pid} did not reinstate"));
        }
    }

    /// R8: back on the active list, threads resumed, vproc local, each queued request handled
    /// once here, the pcntl caller told.
    pub fn reinstate(&mut self, s: NodeId, pid: Pid, o: Outcome) {
        self.nodes[s].kernel.offers.remove(&pid);
        let Some(p) = self.nodes[s].pma.procs.get_mut(&pid) else {
            return;
        };
        let detached = p.list == List::Migrating;
        let Some(out) = p.out.take() else { return };
        self.nodes[s].pma.set_list(pid, List::Active);
        self.nodes[s].pma.vprocs.insert(pid, VprocOps::Local);
        if !detached {
            // Given up before R6 (frozen or not): its group step was not sent yet, and a
            // group run one after another goes on to the next member.
            self.group_step(s, pid);
        }
        if out.suspended || out.frozen || out.threads_held {
            if let Some(t) = self.nodes[s].kernel.tasks.get_mut(&pid) {
                t.resume();
            }
        }
        if !out.queue.is_empty() {
            let now = self.now();
            self.trace.reach(now, "S-queued-reinstated");
        }
        for q in out.queue {
            self.accept_here(s, q);
        }
        match out.caller {
            Some(c) => self.respond(s, c, o),
            None => {
                let now = self.now();
                self.stats.end(pid, now, o);
            }
        }
        self.run_task(pid);
    }

    /// R10: the source abandons while the task is still offered (the kernel arbitrates: a
    /// withdrawn offer makes a later pull fail).
    pub fn abandon(&mut self, pid: Pid) {
        let Some(s) = self.source_of(pid) else { return };
        let p = &self.nodes[s].pma.procs[&pid];
        let out = p.out.as_ref().unwrap();
        let can = match p.list {
            List::Active => true, // still freezing: nothing sent yet
            List::Migrating => self.nodes[s]
                .kernel
                .offers
                .get(&pid)
                .is_some_and(|o| o.attempt == out.attempt),
            List::Incoming => false,
        };
        if !can && !self.mutant_is(crate::mutants::Mutant::AbandonAfterCommit) {
            return; // past the commit point (P3)
        }
        let now = self.now();
        self.trace.log(
            now,
            s,
            "R10",
            format_args!("abandon migration of pid {pid}"),
        );
        self.reinstate(s, pid, Outcome::Abandoned);
    }

    /// R14: Done from D ⇒ forward Q (always, even empty), clean up, answer pcntl.
    pub fn on_done(&mut self, dst: Ep, pid: Pid) {
        let Ep::Pma(s) = dst else { return };
        let ok = self.nodes[s]
            .pma
            .procs
            .get(&pid)
            .is_some_and(|p| p.list == List::Migrating);
        if !ok {
            return;
        }
        if self.mutant_is(crate::mutants::Mutant::NoSourceCleanup) {
            return;
        }
        if self.mutant_is(crate::mutants::Mutant::DoubleService) {
            let queued = self.nodes[s].pma.procs[&pid]
                .out
                .as_ref()
                .unwrap()
                .queue
                .clone();
            for q in queued {
                if matches!(self.reqs[q as usize].call, Call::Kill | Call::Info) {
                    self.serve(s, q);
                }
            }
        }
        let p = self.nodes[s].pma.free_proc(pid).unwrap();
        let out = p.out.unwrap();
        // PM3: the clean-up is reported to the PM Master (off the critical path; not
        // priced), by a message: until it arrives the pid is not given again (spec §10
        // finding 10; a directed recording showed the PM Master knowing it at once).
        let sent = self.q.processed;
        self.send_free(Ep::Pma(s), Ep::Pmm, Body::CleanedUp { pid, sent });
        for &q in &out.queue {
            let rq = &mut self.reqs[q as usize];
            rq.forwarded += 1;
            rq.status = ReqStatus::Routing;
        }
        let now = self.now();
        self.trace.log(
            now,
            s,
            "R14",
            format_args!(
                "forward {} queued request(s) of pid {pid} to node {}; clean up",
                out.queue.len(),
                out.dst
            ),
        );
        let bytes = self.costs.request_bytes * out.queue.len() as u32;
        // The model forwards always, an empty queue too (spec §11.11 lists the other choice).
        let forward = !out.queue.is_empty()
            || self.cfg.choices.forward_empty == crate::choices::ForwardEmpty::Always;
        if forward {
            self.send(
                Ep::Pma(s),
                Ep::Pma(out.dst),
                MsgKind::Async,
                0,
                bytes,
                Body::Forward {
                    pid,
                    reqs: out.queue,
                },
            );
        }
        match out.caller {
            Some(c) => self.respond(s, c, Outcome::Migrated),
            None => self.stats.end(pid, now, Outcome::Migrated),
        }
    }

    // ---- T1 ----------------------------------------------------------------------------

    /// T1: the PMA asks the kernel holding the task to migrate it; the process stays here.
    fn start_task_migration(&mut self, s: NodeId, r: ReqId, pid: Pid, dst: NodeId) {
        let pma = &mut self.nodes[s].pma;
        pma.next_attempt += 1;
        let attempt = pma.next_attempt;
        let p = pma.procs.get_mut(&pid).unwrap();
        p.task_moving = Some((r, dst, attempt));
        let holder = p.task_node;
        let now = self.now();
        if let Some(rec) = self.stats.record(pid) {
            rec.mode = Mode::Task;
            rec.started = Some(now);
        }
        self.trace.log(
            now,
            s,
            "T1",
            format_args!("task migration of pid {pid} to node {dst}"),
        );
        self.send(
            Ep::Pma(s),
            Ep::Kernel(holder),
            MsgKind::Async,
            0,
            0,
            Body::TaskMigrate { pid, dst, attempt },
        );
    }

    /// T1 done: the process stays attached here; its task runs on `node`.
    pub fn on_task_migrated(&mut self, dst: Ep, pid: Pid, node: NodeId) {
        let Ep::Pma(s) = dst else { return };
        let Some(p) = self.nodes[s].pma.procs.get_mut(&pid) else {
            return;
        };
        let Some((r, _, _)) = p.task_moving.take() else {
            return;
        };
        p.task_node = node;
        p.task_mode = node != s;
        p.rusage.migrations += 1;
        let now = self.now();
        self.trace.log(
            now,
            s,
            "T1",
            format_args!("pid {pid} now runs on node {node}, still attached here"),
        );
        self.respond(s, r, Outcome::Migrated);
    }

    /// A pull of this attempt failed (the offer was withdrawn, or its source died).
    pub fn on_pull_failed(&mut self, dst: Ep, pid: Pid, attempt: u32) {
        let Ep::Pma(d) = dst else { return };
        let inc = self.nodes[d]
            .pma
            .procs
            .get(&pid)
            .and_then(|p| p.inc.as_ref())
            .filter(|i| !self.cfg.attempt_tags || i.attempt == attempt)
            .map(|i| i.src);
        if let Some(src) = inc {
            let now = self.now();
            self.trace.log(
                now,
                d,
                "R10",
                format_args!("pull of pid {pid} failed: reservation released"),
            );
            self.release_reservation(d, pid, Some(src));
        }
    }
}

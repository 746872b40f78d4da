//! spec §11.4 Process creation and termination at the PMA: fork + exec (the server
//! manipulates the child's task through kernel calls, which become RPCs on the task's kernel
//! port when the task is on another node — Table 1's remote creation), exit (PM2) and wait
//! (PM1, R4).

use crate::kernel::Run;
use crate::timing::{MsgKind, MsgShape};
use crate::world::{Body, Effect, Ep, Outcome, Phase, Plan, ReqStatus, Then, World};
use crate::{NodeId, Pid, ReqId, MASTER};

impl World {
    /// fork(); exec(prog): a plan at the parent's PMA `n`.
    pub fn fork(&mut self, n: NodeId, r: ReqId, prog: usize, on: Option<NodeId>) {
        let parent = self.reqs[r as usize].target;
        let Some(ptask_node) = self.nodes[n].pma.procs.get(&parent).map(|p| p.task_node) else {
            return self.respond(n, r, Outcome::NoSuchProcess);
        };
        let t = on.unwrap_or(ptask_node);
        if t >= self.nodes.len() || !self.nodes[t].alive || prog >= self.programs.len() {
            return self.respond(n, r, Outcome::Rejected);
        }
        let parent_regions = self
            .nodes
            .get(ptask_node)
            .and_then(|nd| nd.kernel.tasks.get(&parent))
            .map(|t| (t.regions, t.emulator.fds.len() as u32))
            .unwrap_or((13, 0));
        // The PM Master allocates the pid when the AllocPid RPC reaches it (the plan's
        // first step); until then the plan names no pid.
        let child = crate::world::NO_PID;
        self.reqs[r as usize].status = ReqStatus::InProgress;
        let c = self.costs.clone();
        let p = &self.programs[prog];
        let mut plan = Plan::new(n, Some(t), child, Then::Forked { req: r, child });
        let ph = Phase::Creation;
        // The PM Master allocates the pid and records the relationships.
        plan.msg_with(
            &c,
            ph,
            MsgShape::new(MsgKind::Rpc, n == MASTER),
            Effect::AllocPid,
        );
        plan.between(n, MASTER);
        plan.cpu(ph, c.creation_cpu, 1);
        let kc = |plan: &mut Plan, caps: u32, bytes: u32, times: u32| {
            for _ in 0..times {
                plan.msg(
                    &c,
                    ph,
                    MsgShape::new(MsgKind::KernelCall, t == n)
                        .caps(caps)
                        .bytes(bytes),
                );
            }
        };
        // fork: the child task, its thread, its special ports and name space.
        kc(&mut plan, 0, 0, 1); // task_create
        kc(&mut plan, 0, 0, p.threads.min(1)); // thread_create (one thread until exec)
        kc(&mut plan, 0, c.thread_state_bytes, 1); // thread_set_state
        kc(&mut plan, 1, 0, 2); // task_set_special_port: bootstrap, exception
        kc(&mut plan, 1, 0, p.send_rights); // mach_port_insert_right
        kc(&mut plan, 0, 0, p.ports); // mach_port_allocate
        kc(&mut plan, 1, 0, 2 * parent_regions.1); // inherited file and token capabilities
                                                   // A child created on another node than its parent's task inherits the parent's
                                                   // regions through XMM: each becomes a mapping of a memory object on the parent's
                                                   // node, set up by a memory_object_init / memory_object_ready pair between the two
                                                   // kernels (as for a migrated task's regions), before exec deallocates them.
        if t != ptask_node {
            for _ in 0..parent_regions.0 {
                let shape = MsgShape::new(MsgKind::Async, false);
                plan.msg_between(&c, ph, shape, t, ptask_node);
                plan.msg_between(&c, ph, shape, t, ptask_node);
            }
        }
        // exec: open and read the image header at the file server (root, master node).
        let header = MsgShape::new(MsgKind::Rpc, n == MASTER);
        plan.msg_between(&c, ph, header.caps(1), n, MASTER);
        plan.msg_between(&c, ph, header.bytes(1024), n, MASTER);
        kc(&mut plan, 0, 0, parent_regions.0); // vm_deallocate the inherited regions
        kc(&mut plan, 1, 0, p.regions); // vm_map the image's regions
        kc(&mut plan, 0, 0, 1); // vm_allocate the stack
        kc(&mut plan, 0, 1024, 1); // vm_write arguments and environment
        kc(&mut plan, 0, c.thread_state_bytes, 1); // thread_set_state at the entry point
                                                   // The image's pages, faulted in from the file server's pager (XMM).
        for _ in 0..p.image_pages {
            let page = MsgShape::new(MsgKind::Cpu, t == MASTER).pages(1);
            plan.msg_between(&c, ph, page, t, MASTER);
        }
        let now = self.now();
        self.trace.log(
            now,
            n,
            "PM3",
            format_args!("fork+exec ({}) task on node {t}", p.name),
        );
        self.start_plan(plan);
    }

    /// The fork plan is done: the child exists and runs.
    pub fn forked(&mut self, r: ReqId, child: Pid, n: NodeId) {
        let parent = self.reqs[r as usize].target;
        let Call { prog, on } = match self.reqs[r as usize].call {
            crate::world::Call::Fork { prog, on } => Call { prog, on },
            _ => return,
        };
        let Some(ptask_node) = self.nodes[n].pma.procs.get(&parent).map(|p| p.task_node) else {
            // The parent died meanwhile; the child is never started and its pid is dead.
            self.pmm.register(child, Some(parent), n);
            self.on_process_died(child);
            return;
        };
        let t = on.unwrap_or(ptask_node);
        if !self.nodes[t].alive {
            self.pmm.register(child, Some(parent), n);
            self.on_process_died(child);
            return self.respond(n, r, Outcome::Rejected);
        }
        let mut task = self.new_task(child, prog, t, n);
        if let Some(pt) = self
            .nodes
            .get(ptask_node)
            .and_then(|nd| nd.kernel.tasks.get(&parent))
        {
            task.emulator.fds = pt.emulator.fds.clone();
        }
        for fd in task.emulator.fds.clone() {
            self.nodes[fd.fs].fs.dup(fd.cap);
        }
        self.nodes[t].kernel.tasks.insert(child, task);
        let now = self.now();
        self.nodes[n].pma.install_proc(child, t, now);
        if t != n {
            if let Some(p) = self.nodes[n].pma.procs.get_mut(&child) {
                p.task_mode = true;
            }
        }
        self.ensure_calls(child);
        // PM3: the PM Master records the child now that it exists (an async notice, off the
        // parent's critical path).
        self.send(
            Ep::Pma(n),
            Ep::Pmm,
            MsgKind::Async,
            0,
            0,
            Body::ChildCreated { pid: child, parent },
        );
        self.respond(n, r, Outcome::Child(child));
        self.q
            .after(0, crate::world::Ev::ComputeDone { pid: child, gen: 0 });
    }

    /// PM1: wait() at the PMA.
    pub fn wait(&mut self, n: NodeId, r: ReqId) {
        let pid = self.reqs[r as usize].target;
        if let Some(p) = self.nodes[n].pma.procs.get_mut(&pid) {
            p.in_progress = Some(r);
        }
        self.reqs[r as usize].status = ReqStatus::InProgress;
        self.send(
            Ep::Pma(n),
            Ep::Pmm,
            MsgKind::Async,
            0,
            0,
            Body::WaitChild(r),
        );
    }

    /// R4: the wait() completes when a child exits.
    pub fn on_child_exited(&mut self, dst: Ep, r: ReqId, child: Pid) {
        let Ep::Pma(n) = dst else { return };
        let pid = self.reqs[r as usize].target;
        let Some(p) = self.nodes[n].pma.procs.get_mut(&pid) else {
            // The waiter died here meanwhile (C4, an exit): its wait() was answered at its
            // death, and if that answer went to a crashed caller's PMA it vanished, this
            // message being what still named the request. With it consumed, nothing does:
            // the request is lost (spec §5.5), as the model reaps it after the step.
            let now = self.now();
            self.trace.log(
                now,
                n,
                "R4",
                format_args!("wait() answer for pid {pid}, gone from here, is dropped"),
            );
            self.lose_dropped(&[r]);
            return;
        };
        if p.in_progress != Some(r) {
            return; // R4' aborted it, or the process left: ignored (spec §3.3.6).
        }
        p.in_progress = None;
        let freezing = p.out.is_some();
        // PM1: the PM Master reaps the zombie (an async notice, off the critical path).
        if child != pid {
            self.send(
                Ep::Pma(n),
                Ep::Pmm,
                MsgKind::Async,
                0,
                0,
                Body::Reap { pid: child },
            );
        }
        let now = self.now();
        if freezing {
            // The freeze waited for this wait() (R4): it may proceed now.
            self.trace.reach(now, "S-wait-delays-freeze");
        }
        self.trace.log(
            now,
            n,
            "R4",
            format_args!("wait() of pid {pid} completes (child {child})"),
        );
        self.respond(n, r, Outcome::Ok);
    }

    /// PM2: exit() at the PMA.
    pub fn exit(&mut self, n: NodeId, r: ReqId) {
        let pid = self.reqs[r as usize].target;
        let Some(p) = self.nodes[n].pma.procs.get_mut(&pid) else {
            return;
        };
        p.exiting = true;
        let t = p.task_node;
        self.reqs[r as usize].status = ReqStatus::InProgress;
        let c = self.costs.clone();
        // PM2 in the spec's order (spec §10 finding 10): the task is terminated and the proc
        // freed before the PM Master hears of the exit, so that a pid it frees is never
        // still held here.
        let mut plan = Plan::new(n, Some(t), pid, Then::Exited { req: r });
        plan.msg_with(
            &c,
            Phase::Creation,
            MsgShape::new(MsgKind::KernelCall, t == n),
            Effect::Terminate,
        ); // task_terminate
        self.start_plan(plan);
    }

    /// PM2 at the PMA: the task is terminated and the proc freed.
    pub fn terminate(&mut self, r: ReqId, n: NodeId) {
        let pid = self.reqs[r as usize].target;
        let now = self.now();
        self.trace
            .log(now, n, "PM2", format_args!("pid {pid} exits"));
        self.reqs[r as usize].status = crate::world::ReqStatus::Completed(Outcome::Ok);
        self.call_done(pid);
        // The exit notice to the PM Master is under way (P9's exception, as for a death).
        self.dead_reported.insert(pid);
        if self.mutant_is(crate::mutants::Mutant::ExitKeepsProc) {
            for k in 0..self.nodes.len() {
                self.nodes[k].kernel.tasks.remove(&pid);
            }
            return;
        }
        self.destroy_process(n, pid, Outcome::NoSuchProcess, false);
    }

    /// PM2 at the PMA done: the exit notice goes to the PM Master, an RPC on the PMA's
    /// channel to it (so it keeps its place among the PMA's other messages, spec §4.1).
    pub fn exited(&mut self, r: ReqId, n: NodeId) {
        let pid = self.reqs[r as usize].target;
        self.send(
            Ep::Pma(n),
            Ep::Pmm,
            MsgKind::Rpc,
            0,
            0,
            Body::ExitNotify { pid, req: r },
        );
    }

    /// PM2 done: the PM Master has recorded the exit (the RPC's reply).
    pub fn on_exit_ack(&mut self, r: ReqId) {
        let pid = self.reqs[r as usize].target;
        let now = self.now();
        if pid == self.root && self.root_exit.is_none() {
            self.root_exit = Some(now);
        }
    }

    /// Destroys P's proc at `n` and its task wherever it is; answers what the PMA owes.
    /// `report`: tell the PM Master (a death it cannot see, C3/C4).
    pub fn destroy_process(&mut self, n: NodeId, pid: Pid, o: Outcome, report: bool) {
        self.c4_shipped.remove(&pid);
        for k in 0..self.nodes.len() {
            if let Some(task) = self.nodes[k].kernel.tasks.remove(&pid) {
                for fd in &task.emulator.fds {
                    self.nodes[fd.fs].fs.close(fd.cap);
                }
            }
            self.nodes[k].kernel.offers.remove(&pid);
        }
        let Some(p) = self.nodes[n].pma.free_proc(pid) else {
            return;
        };
        let mut owed: Vec<ReqId> = p.held.clone();
        if let Some(out) = &p.out {
            owed.extend(out.queue.iter().copied());
            if let Some(c) = out.caller {
                self.respond(n, c, Outcome::Died);
            }
        }
        if let Some((c, _, _)) = p.task_moving {
            self.respond(n, c, Outcome::Died);
        }
        if let Some(w) = p.in_progress {
            owed.push(w);
        }
        // P's own calls this PMA is executing in a plan (a fork awaiting its pid, say) are
        // owed too: the model answers every call of P in progress `NoSuchProcess` (spec
        // §5.2, `process_dies_here`), rather than leave it to be lost.
        for (q, rq) in self.reqs.iter().enumerate() {
            if rq.sender == crate::world::Sender::Proc(pid)
                && rq.status == ReqStatus::InProgress
                && !matches!(rq.call, crate::world::Call::Migrate { .. })
                && !owed.contains(&(q as ReqId))
            {
                owed.push(q as ReqId);
            }
        }
        // Every request owed is answered, P's own calls too (spec §5.2 `process_dies_here`):
        // at its caller's PMA, or by a reply that is lost if that PMA is down.
        for q in owed {
            self.respond(n, q, o);
        }
        if report {
            self.dead_reported.insert(pid);
            self.send(
                Ep::Pma(n),
                Ep::Pmm,
                MsgKind::Async,
                0,
                0,
                Body::ProcessDied { pid },
            );
        }
        if let Some(c) = self.open_calls.get_mut(pid as usize) {
            *c = 0;
        }
        let _ = Run::Exited;
    }
}

struct Call {
    prog: usize,
    on: Option<NodeId>,
}

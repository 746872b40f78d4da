//! spec §11.3 Task migration, SMS form (paper §2.3): the destination's kernel pulls the task
//! from the source's kernel (receiver pull) with one RPC per piece of state — threads,
//! capabilities, ports with their queued messages, memory regions, kernel ports — and
//! installs it. The address space goes by the configured strategy: copy on reference (pages
//! stay homed on the source, served by its pager on fault), eager copy, pre-copy (dirty pages
//! again) or flushing (to the master node's backing store). T1 uses the same pull.

use crate::timing::{MsgKind, MsgShape};
use crate::workload::{Mode, Strategy};
use crate::world::{Body, Effect, Ep, Phase, Plan, Then, World};
use crate::{NodeId, Pid, MASTER};

impl World {
    /// R11 / T1 step 3: D's kernel builds and runs the pull. The plan is priced from the task
    /// as the source's kernel will describe it (it is suspended, so it does not change).
    pub fn start_pull(&mut self, d: NodeId, src: NodeId, pid: Pid, attempt: u32, mode: Mode) {
        let c = self.costs.clone();
        let strategy = self.cfg.strategy;
        let (threads, rights, ports, queued, regions, resident, dirty) =
            match self.nodes[src].kernel.tasks.get(&pid) {
                Some(t) => (
                    t.threads.len() as u32,
                    t.send_rights(),
                    t.space.ports.len() as u32,
                    t.space.ports.iter().map(|p| p.queued).sum::<u32>(),
                    t.regions,
                    t.pages_on(src),
                    t.dirty.len() as u32,
                ),
                None => (0, 0, 0, 0, 0, 0, 0),
            };
        let rr = |k| MsgShape::new(k, false);
        let lk = || MsgShape::new(MsgKind::KernelCall, true);
        let mut p = Plan::new(
            d,
            Some(src),
            pid,
            Then::Pulled {
                pid,
                src,
                attempt,
                mode,
            },
        );
        // The commit point: the source kernel hands over the task of this offer.
        p.msg_with(
            &c,
            Phase::KernelState,
            rr(MsgKind::Rpc).caps(1),
            Effect::Commit,
        );
        p.msg(&c, Phase::KernelState, lk()); // task_create at D
                                             // Threads.
        p.msg(&c, Phase::Threads, rr(MsgKind::Rpc).caps(threads)); // task_threads
        for _ in 0..threads {
            p.msg(
                &c,
                Phase::Threads,
                rr(MsgKind::Rpc).bytes(c.thread_info_bytes),
            );
            p.msg(
                &c,
                Phase::Threads,
                rr(MsgKind::Rpc).bytes(c.thread_state_bytes),
            );
            p.msg(&c, Phase::Threads, lk()); // thread_create
            p.msg(&c, Phase::Threads, lk().bytes(c.thread_state_bytes)); // thread_set_state
            p.cpu_both_ends(Phase::Threads, c.thread_migrate, 1);
        }
        // Capabilities: the name space, each send right, each port with its queue.
        p.msg(
            &c,
            Phase::Caps,
            rr(MsgKind::Rpc).bytes((rights + ports) * c.port_name_bytes),
        );
        for _ in 0..rights {
            p.msg(&c, Phase::Caps, rr(MsgKind::Rpc).caps(1)); // mach_port_extract_right
            p.msg(&c, Phase::Caps, lk().caps(1)); // mach_port_insert_right
            p.cpu_both_ends(Phase::Caps, c.send_right_migrate, 1);
        }
        for _ in 0..ports {
            p.msg(&c, Phase::Caps, rr(MsgKind::Rpc).caps(1)); // extract the receive right
            p.msg(&c, Phase::Caps, rr(MsgKind::Rpc).bytes(c.port_status_bytes));
            p.msg(&c, Phase::Caps, lk().caps(1));
            p.cpu_both_ends(Phase::Caps, c.port_migrate, 1);
        }
        for _ in 0..queued {
            p.msg(&c, Phase::Caps, rr(MsgKind::Async).bytes(c.request_bytes));
        }
        // Address space: each region becomes an XMM mapping of a memory object on S.
        for _ in 0..regions {
            p.msg(
                &c,
                Phase::AddressSpace,
                rr(MsgKind::Rpc).caps(1).bytes(c.region_info_bytes),
            );
            p.msg(&c, Phase::AddressSpace, lk().caps(1)); // vm_map of the proxy object
            p.msg(&c, Phase::AddressSpace, rr(MsgKind::Async)); // memory_object_init
            p.msg(&c, Phase::AddressSpace, rr(MsgKind::Async)); // memory_object_ready
            p.cpu_both_ends(Phase::AddressSpace, c.region_migrate, 1);
        }
        match strategy {
            Strategy::Cor => p.cpu_both_ends(Phase::AddressSpace, c.cor_page, resident),
            Strategy::Eager => {
                for _ in 0..resident {
                    p.msg(
                        &c,
                        Phase::AddressSpace,
                        MsgShape::new(MsgKind::Cpu, false).pages(1),
                    );
                }
            }
            Strategy::Precopy => {
                for _ in 0..dirty {
                    p.msg(
                        &c,
                        Phase::AddressSpace,
                        MsgShape::new(MsgKind::Cpu, false).pages(1),
                    );
                }
            }
            Strategy::Flush => {
                // Flushing: the source's pages go to the master node's pager.
                for _ in 0..resident {
                    p.msg_between(
                        &c,
                        Phase::AddressSpace,
                        MsgShape::new(MsgKind::Cpu, src == MASTER).pages(1),
                        src,
                        MASTER,
                    );
                }
            }
        }
        // Kernel state: task special ports, thread exception ports, the source task's end.
        for _ in 0..3 {
            p.msg(&c, Phase::KernelState, rr(MsgKind::Rpc).caps(1));
            p.msg(&c, Phase::KernelState, lk().caps(1));
        }
        for _ in 0..threads {
            p.msg(&c, Phase::KernelState, rr(MsgKind::Rpc).caps(1));
            p.msg(&c, Phase::KernelState, lk().caps(1));
        }
        p.msg(&c, Phase::KernelState, rr(MsgKind::Rpc)); // task_terminate at S
        if mode == Mode::Task {
            for _ in 0..threads {
                p.msg(&c, Phase::KernelState, lk()); // thread_resume
            }
        }
        let now = self.now();
        if let Some(rec) = self.stats.record(pid) {
            rec.pull_start = Some(now);
        }
        self.trace.log(now, d, "R11", format_args!(
            "pull task of pid {pid} from node {src}: {threads} threads, {rights} send rights, {ports} ports, {regions} regions, {resident} resident pages [{}]",
            strategy.name()
        ));
        self.start_plan(p);
    }

    /// The first RPC of the pull reaches S's kernel: ship the task only to a pull of the
    /// offered attempt (the R10 handshake); otherwise PullFailed.
    pub fn commit_pull(&mut self, plan: &Plan) -> bool {
        let Then::Pulled {
            pid, src, attempt, ..
        } = plan.then
        else {
            return false;
        };
        let d = plan.node;
        let offered = self.nodes[src]
            .kernel
            .offers
            .get(&pid)
            .is_some_and(|o| o.dst == d && (!self.cfg.attempt_tags || o.attempt == attempt));
        let now = self.now();
        if !offered || !self.nodes[src].kernel.tasks.contains_key(&pid) {
            // The model names the pull's arrival at S's kernel R11 whatever it answers; the
            // failed pull is R10's handshake seen from the kernel.
            self.trace.log(
                now,
                src,
                "R11",
                format_args!("no offer of pid {pid} for attempt {attempt}: PullFailed"),
            );
            self.send(
                Ep::Kernel(src),
                Ep::Pma(d),
                MsgKind::Async,
                0,
                0,
                Body::PullFailed { pid, attempt },
            );
            return false;
        }
        self.nodes[src].kernel.offers.remove(&pid);
        let mut task = self.nodes[src].kernel.tasks.remove(&pid).expect("checked");
        let to = match self.cfg.strategy {
            Strategy::Cor => None,
            Strategy::Eager | Strategy::Precopy => Some(d),
            Strategy::Flush => Some(MASTER),
        };
        if let Some(to) = to {
            for h in task.pages.iter_mut() {
                if *h == src {
                    *h = to;
                }
            }
        }
        if self.cfg.strategy == Strategy::Precopy && !task.dirty.is_empty() {
            // AS1: pages written since their pre-copy go again with the task.
            self.trace.reach(now, "S-precopy-dirty");
        }
        task.dirty.clear();
        task.precopied = false;
        task.precopied_pages.clear();
        task.precopy_todo.clear();
        if let crate::kernel::Run::Faulting { .. } = task.exec.run {
            // The fault restarts at D.
            task.exec.run = crate::kernel::Run::Ready;
            task.exec.gen += 1;
        }
        self.trace.log(
            now,
            src,
            "R11",
            format_args!("commit: task of pid {pid} leaves node {src}"),
        );
        self.transit.insert(pid, (task, d, Vec::new()));
        true
    }

    /// The pull is done: the task is installed at D, threads still suspended.
    pub fn pull_done(&mut self, pid: Pid, d: NodeId, src: NodeId, _attempt: u32, mode: Mode) {
        let Some((mut task, _, waiting)) = self.transit.remove(&pid) else {
            return;
        };
        let now = self.now();
        if let Some(rec) = self.stats.record(pid) {
            rec.pull_end = Some(now);
        }
        for m in waiting {
            self.q.after(0, crate::world::Ev::Deliver(m));
        }
        if task.space.ports.iter().any(|p| p.queued > 0) {
            // Messages queued on the task's ports arrive with it (paper §3.1).
            self.trace.reach(now, "S-port-queue");
        }
        match mode {
            Mode::Process => {
                if self.mutant_is(crate::mutants::Mutant::ResumeBeforeInstall) {
                    task.resume();
                }
                self.nodes[d].kernel.tasks.insert(pid, task);
                self.trace.log(
                    now,
                    d,
                    "R11",
                    format_args!("task of pid {pid} installed on node {d}"),
                );
                self.task_arrived(d, pid, src);
            }
            Mode::Task => {
                task.resume();
                let pma = task.emulator.pma;
                self.nodes[d].kernel.tasks.insert(pid, task);
                if let Some(rec) = self.stats.record(pid) {
                    rec.restarted = Some(now);
                }
                self.trace.log(
                    now,
                    d,
                    "T1",
                    format_args!("task of pid {pid} resumed on node {d}"),
                );
                self.send(
                    Ep::Kernel(d),
                    Ep::Pma(pma),
                    MsgKind::Async,
                    0,
                    0,
                    Body::TaskMigrated { pid, node: d },
                );
                self.run_task(pid);
            }
        }
    }

    /// T1 at the kernel holding the task: suspend it and offer it to D's kernel.
    pub fn on_task_migrate(&mut self, pid: Pid, dst: NodeId, attempt: u32) {
        let Some(holder) = self.task_node(pid) else {
            return;
        };
        // The kernel does not know whether the destination is up: it suspends the task and
        // offers it all the same; an offer to a crashed node vanishes (spec §4.1) and the
        // source PMA's crash detection ends the migration (as in the model).
        if self.transit.contains_key(&pid) {
            return;
        }
        let c = self.costs.clone();
        let threads = self.nodes[holder].kernel.tasks[&pid].threads.len() as u32;
        let mut plan = Plan::new(holder, None, pid, Then::Offered { pid, dst, attempt });
        plan.suspend_threads(&c, threads);
        self.start_plan(plan);
    }

    /// The end of T1's suspension plan: the offer recorded when the task was suspended goes
    /// to D's kernel, unless it was withdrawn meanwhile (the task exited, say).
    pub fn task_offered(&mut self, pid: Pid, holder: NodeId, dst: NodeId, attempt: u32) {
        let stands = self.nodes[holder]
            .kernel
            .offers
            .get(&pid)
            .is_some_and(|o| o.attempt == attempt && o.dst == dst);
        if !stands {
            return;
        }
        self.send(
            Ep::Kernel(holder),
            Ep::Kernel(dst),
            MsgKind::Async,
            1,
            0,
            Body::TaskOffer {
                pid,
                src: holder,
                attempt,
            },
        );
    }

    pub fn on_task_offer(&mut self, dst: Ep, pid: Pid, src: NodeId, attempt: u32) {
        let Ep::Kernel(d) = dst else { return };
        self.start_pull(d, src, pid, attempt, Mode::Task);
    }
}

//! spec §11.4 / §3.2 The destination side: R7 Refuse, R9 Accept (same pid, receiver pull),
//! R12 InstallAndReattach, R13 InformPMMAndRestart (the PM Master update acknowledged before
//! Done), and the reception of the forwarded queue (with the P11 fix).

use crate::pma::{Image, Incoming, List, Proc, Stage};
use crate::timing::{MsgKind, MsgShape};
use crate::workload::Mode;
use crate::world::{Body, Effect, Ep, Phase, Plan, ReqStatus, Then, World};
use crate::{NodeId, Pid, ReqId, MASTER};

use super::vproc::VprocOps;

impl World {
    /// R7 or R9 at D.
    pub fn on_migrate_request(&mut self, dst: Ep, img: Image) {
        let Ep::Pma(d) = dst else { return };
        let pid = img.pid;
        let exhausted = self.refuse_next.remove(&pid)
            || (self.cfg.refuse_num > 0
                && self.rng.chance(self.cfg.refuse_num, self.cfg.refuse_den));
        let pma = &self.nodes[d].pma;
        let over_limit = img.pages > img.creds.mem_limit_pages;
        let now = self.now();
        if pma.free == 0 || exhausted || over_limit || pma.procs.contains_key(&pid) {
            self.trace.log(
                now,
                d,
                "R7",
                format_args!("refuse pid {pid} (attempt {})", img.attempt),
            );
            let attempt = img.attempt;
            self.send(
                Ep::Pma(d),
                Ep::Pma(img.src),
                MsgKind::Async,
                0,
                0,
                Body::Refused { pid, attempt },
            );
            return;
        }
        // R9: a new proc and a vproc with the same pid; then the receiver pull (R11), unless
        // under admission another pull to this node is in progress: then it waits its turn.
        let wait =
            self.cfg.admission && (self.pulling_at(d).is_some() || !self.waiting_at(d).is_empty());
        let mut rusage = img.rusage.clone();
        rusage.arrive(now);
        let pma = &mut self.nodes[d].pma;
        pma.free -= 1;
        pma.procs.insert(
            pid,
            Proc {
                pid,
                list: List::Incoming,
                creds: img.creds.clone(),
                rusage,
                in_progress: None,
                exiting: false,
                allowed: img.allowed,
                sig_pending: img.sig_pending,
                task_node: d,
                task_mode: false,
                out: None,
                inc: Some(Incoming {
                    src: img.src,
                    attempt: img.attempt,
                    stage: if wait {
                        Stage::Accepted
                    } else {
                        Stage::Pulling
                    },
                }),
                task_moving: None,
                awaiting_forward: None,
                held: Vec::new(),
                pmm_dead: false,
                source_queue_lost: false,
            },
        );
        pma.vprocs.insert(pid, VprocOps::Local);
        if wait {
            self.trace.log(
                now,
                d,
                "R9",
                format_args!("accept pid {pid}; its pull waits for the one in progress"),
            );
            self.trace.reach(now, "S-admission-held");
            return;
        }
        self.trace.log(
            now,
            d,
            "R9",
            format_args!("accept pid {pid}; pull the task from node {}", img.src),
        );
        self.start_pull(d, img.src, pid, img.attempt, Mode::Process);
    }

    /// The pid whose task node `d` is pulling now, if any.
    fn pulling_at(&self, d: NodeId) -> Option<Pid> {
        self.nodes[d]
            .pma
            .procs
            .values()
            .find(|p| p.inc.as_ref().is_some_and(|i| i.stage == Stage::Pulling))
            .map(|p| p.pid)
    }

    /// The migrations accepted at `d` whose pull waits (admission), lowest pid first: pid,
    /// source, attempt.
    fn waiting_at(&self, d: NodeId) -> Vec<(Pid, NodeId, u32)> {
        self.nodes[d]
            .pma
            .procs
            .values()
            .filter_map(|p| {
                let i = p.inc.as_ref()?;
                (i.stage == Stage::Accepted).then_some((p.pid, i.src, i.attempt))
            })
            .collect()
    }

    /// Admission: once no pull to `d` is in progress, the longest-waiting accepted migration
    /// (the lowest pid) pulls its task (R11).
    fn admit_next(&mut self, d: NodeId) {
        if !self.cfg.admission || !self.nodes[d].alive || self.pulling_at(d).is_some() {
            return;
        }
        let waiting = self.waiting_at(d);
        let Some(&(pid, src, attempt)) = waiting.first() else {
            return;
        };
        if let Some(i) = self.nodes[d]
            .pma
            .procs
            .get_mut(&pid)
            .and_then(|p| p.inc.as_mut())
        {
            i.stage = Stage::Pulling;
        }
        let now = self.now();
        self.trace.log(
            now,
            d,
            "R11",
            format_args!("admitted: pull the task of pid {pid} from node {src}"),
        );
        if waiting.len() > 1 {
            self.trace.reach(now, "S-admission-held");
        }
        self.start_pull(d, src, pid, attempt, Mode::Process);
    }

    /// The task is installed at D (process mode): R12.
    pub fn task_arrived(&mut self, d: NodeId, pid: Pid, src: NodeId) {
        let c = self.costs.clone();
        let Some(p) = self.nodes[d].pma.procs.get_mut(&pid) else {
            return;
        };
        if let Some(i) = p.inc.as_mut() {
            i.stage = Stage::Arrived;
        }
        self.admit_next(d);
        let tokens = self.nodes[d]
            .kernel
            .tasks
            .get(&pid)
            .map(|t| t.emulator.fds.iter().filter(|f| f.token == src).count() as u32)
            .unwrap_or(0);
        let mut plan = Plan::new(d, Some(src), pid, Then::Installed { pid });
        let ph = Phase::Process;
        // "installed as in process creation".
        plan.cpu(ph, c.proc_install, 1);
        // Reattach the emulator's two PMA capabilities: insert the new right, drop the old.
        for _ in 0..2 {
            plan.msg(&c, ph, MsgShape::new(MsgKind::KernelCall, true).caps(1));
            plan.msg(&c, ph, MsgShape::new(MsgKind::KernelCall, true));
        }
        // Each file token is transferred from S's token manager and reattached.
        for _ in 0..tokens {
            plan.msg(&c, ph, MsgShape::new(MsgKind::Rpc, false).caps(1));
            plan.msg(&c, ph, MsgShape::new(MsgKind::KernelCall, true).caps(1));
            plan.msg(&c, ph, MsgShape::new(MsgKind::KernelCall, true));
            plan.cpu(ph, c.token_reattach, 1);
        }
        self.start_plan(plan);
    }

    /// The source died while D installed the task (R12): the capabilities D inserts are its
    /// own, and only the file tokens still to come from S's token manager are lost with S.
    /// The install completes without them, as the model's R12 needs nothing of S; waiting
    /// for the detection left the process incoming for ever (spec §12.9, session 17: a
    /// recording of `flush` that came to rest there). A process the detection already
    /// killed is left alone.
    pub(crate) fn install_without_source(&mut self, pid: Pid) {
        let Some(d) = self.incoming_at(pid, Stage::Arrived) else {
            return;
        };
        let now = self.now();
        self.trace.log(
            now,
            d,
            "R12",
            format_args!("source of pid {pid} died: its file tokens are lost, install ends"),
        );
        self.installed(pid);
    }

    /// R12 done: capabilities replaced; R13 first half: inform the PM Master.
    pub fn installed(&mut self, pid: Pid) {
        let Some(d) = self.incoming_at(pid, Stage::Arrived) else {
            return;
        };
        let src = self.nodes[d].pma.procs[&pid].inc.as_ref().unwrap().src;
        if self.mutant_is(crate::mutants::Mutant::ResumeBeforeReattach) {
            if let Some(t) = self.nodes[d].kernel.tasks.get_mut(&pid) {
                t.resume();
            }
        }
        if self.mutant_is(crate::mutants::Mutant::ForwardBeforePmmKnows) {
            self.send(
                Ep::Pma(d),
                Ep::Pma(src),
                MsgKind::Async,
                2,
                0,
                Body::Done { pid },
            );
        }
        if let Some(t) = self.nodes[d].kernel.tasks.get_mut(&pid) {
            let n = t.emulator.reattach(src, d);
            let now = self.now();
            self.trace.log(
                now,
                d,
                "R12",
                format_args!("pid {pid} installed; PMA capabilities and {n} token(s) reattached"),
            );
        }
        let p = self.nodes[d].pma.procs.get_mut(&pid).unwrap();
        p.inc.as_mut().unwrap().stage = Stage::Informing;
        let c = self.costs.clone();
        let mut plan = Plan::new(d, None, pid, Then::Informed { pid });
        plan.msg_with(
            &c,
            Phase::Process,
            MsgShape::new(MsgKind::Rpc, d == MASTER),
            Effect::LocationUpdate,
        );
        plan.between(d, MASTER);
        self.start_plan(plan);
    }

    fn incoming_at(&self, pid: Pid, stage: Stage) -> Option<NodeId> {
        (0..self.nodes.len()).find(|&n| {
            self.nodes[n].alive
                && self.nodes[n]
                    .pma
                    .procs
                    .get(&pid)
                    .is_some_and(|p| p.inc.as_ref().is_some_and(|i| i.stage == stage))
        })
    }

    /// R13 second half: active at D, restarted; Done to S with the new PMA capabilities.
    pub fn restart(&mut self, pid: Pid) {
        let Some(d) = self.incoming_at(pid, Stage::Informing) else {
            return;
        };
        let now = self.now();
        if self.nodes[d].pma.procs[&pid].pmm_dead {
            // spec §5.3: the PM Master buried it first; D does not run a buried process.
            self.trace.log(
                now,
                d,
                "C4",
                format_args!("PM Master says pid {pid} is dead: it dies at node {d}"),
            );
            return self.destroy_process(d, pid, crate::world::Outcome::NoSuchProcess, true);
        }
        let p11 = self.cfg.p11_fix;
        let p = self.nodes[d].pma.procs.get_mut(&pid).unwrap();
        // Marked by C4's condition: restarted here, killed when D learns of the crash.
        let queue_lost = p.source_queue_lost;
        let inc = p.inc.take().unwrap();
        p.rusage.migrations += 1;
        p.awaiting_forward = if p11 { Some(inc.src) } else { None };
        let held = if p11 {
            Vec::new()
        } else {
            std::mem::take(&mut p.held)
        };
        self.nodes[d].pma.set_list(pid, List::Active);
        if let Some(t) = self.nodes[d].kernel.tasks.get_mut(&pid) {
            t.resume();
        }
        if self.c4_shipped.remove(&pid) {
            // C4: the source died after the pull; P runs on if nothing of it stayed on a
            // dead node (no page homed there) ...
            let dead: Vec<NodeId> = (0..self.nodes.len())
                .filter(|&k| !self.nodes[k].alive)
                .collect();
            let free = self.nodes[d]
                .kernel
                .tasks
                .get(&pid)
                .is_some_and(|t| !t.pages.iter().any(|h| dead.contains(h)));
            // ... and, under C4's condition, if "no system call request was enqueued on the
            // source node" (paper §3.2 (c)): a request lost there has P killed at detection.
            if free && !queue_lost {
                self.trace.reach(now, "S-C4-survived");
            }
        }
        if let Some(rec) = self.stats.record(pid) {
            rec.restarted = Some(now);
        }
        self.trace.log(
            now,
            d,
            "R13",
            format_args!(
                "pid {pid} active on node {d} and restarted; Done to node {}",
                inc.src
            ),
        );
        self.send(
            Ep::Pma(d),
            Ep::Pma(inc.src),
            MsgKind::Async,
            2,
            0,
            Body::Done { pid },
        );
        for r in held {
            self.accept_here(d, r);
        }
        self.run_task(pid);
    }

    /// The forwarded queue arrives at D (R14's message).
    pub fn on_forward(&mut self, dst: Ep, pid: Pid, reqs: Vec<ReqId>) {
        let Ep::Pma(d) = dst else { return };
        let now = self.now();
        self.trace.log(
            now,
            d,
            "R14",
            format_args!("{} forwarded request(s) of pid {pid} arrive", reqs.len()),
        );
        let mut all = reqs;
        if let Some(p) = self.nodes[d].pma.procs.get_mut(&pid) {
            if p.awaiting_forward.is_some() && p.list == List::Active {
                p.awaiting_forward = None;
                all.append(&mut p.held);
            }
        }
        for r in all {
            if self.nodes[d].pma.procs.contains_key(&pid) {
                self.accept_here(d, r);
            } else if self.reqs[r as usize].caller == d {
                self.route(d, r);
            } else {
                self.absent_process(d, r);
            }
        }
    }

    /// D frees a reservation (a failed pull, C1): held requests are routed again.
    pub fn release_reservation(&mut self, d: NodeId, pid: Pid, stays_at: Option<NodeId>) {
        let Some(p) = self.nodes[d].pma.free_proc(pid) else {
            return;
        };
        // A failed pull leaves the process at its source, which D now knows: its vproc
        // becomes client stubs to S (the model's choice, spec §3 R10), and the requests it
        // held go there. After C1 the source is gone and D knows nothing.
        if let Some(s) = stays_at {
            self.nodes[d].pma.set_vproc_remote(pid, s);
        }
        self.nodes[d].kernel.tasks.remove(&pid);
        self.admit_next(d);
        for r in p.held {
            self.reqs[r as usize].status = ReqStatus::Routing;
            if self.reqs[r as usize].caller == d {
                self.route(d, r);
            } else {
                self.absent_process(d, r);
            }
        }
    }

    /// The source died during the pull: the reservation goes; the process died with S.
    pub fn pull_lost(&mut self, pid: Pid, d: NodeId, src: NodeId, attempt: u32) {
        let now = self.now();
        self.trace.log(
            now,
            d,
            "C1",
            format_args!("source node {src} died during the pull of pid {pid} (attempt {attempt})"),
        );
        let mine = self.nodes[d]
            .pma
            .procs
            .get(&pid)
            .and_then(|p| p.inc.as_ref())
            .is_some_and(|i| i.attempt == attempt);
        if mine {
            self.release_reservation(d, pid, None);
        }
    }
}

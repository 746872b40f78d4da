//! spec §11.7 / §5 Crashes: fail-stop node crashes and their detection through dead-name
//! notifications (one async message after the crash, per surviving node, which then handles
//! each of its processes as a step of its own, spec §5.2), cases C1–C5 with the assumptions
//! of spec §5.4. The master node never crashes (C5). Requests the crashed PMA held are
//! marked `Lost` at the crash (spec §5.5: "queued requests are lost", C4).

use std::collections::BTreeSet;

use crate::pma::{List, Stage};
use crate::timing::{MsgKind, MsgShape};
use crate::world::{Body, Call, Ep, Ev, Outcome, ReqStatus, Sender, World};
use crate::{NodeId, Pid, ReqId, MASTER};

impl World {
    /// A test node crashes: its kernel, PMA and tasks are gone.
    pub fn crash(&mut self, node: NodeId) {
        if node == MASTER || node >= self.nodes.len() || !self.nodes[node].alive {
            return; // C5: the master node never crashes
        }
        let now = self.now();
        self.trace
            .log(now, node, "C*", format_args!("node {node} crashes"));
        self.stats.crashes += 1;
        let stranded = self.stranded_at(node);
        // C4 monitor: a process this node shipped (pull committed) that has not restarted
        // at its destination yet; whether it survives shows at its restart.
        // (The model marks C4 only between the pull's commit and the restart, spec §5.4.)
        for &pid in &self.nodes[node].pma.migrating {
            let Some(dst) = self.nodes[node].pma.procs[&pid].out.as_ref().map(|o| o.dst) else {
                continue;
            };
            let not_restarted = self.transit.contains_key(&pid)
                || self.nodes[dst]
                    .pma
                    .procs
                    .get(&pid)
                    .is_some_and(|p| p.list == List::Incoming);
            if !self.nodes[node].kernel.tasks.contains_key(&pid) && not_restarted {
                self.c4_shipped.insert(pid);
            }
        }
        if self.cfg.c4_queue_condition {
            self.mark_source_queue_lost(node);
        }
        // Messages the dead node's servers and tasks sent that have not arrived are lost
        // with it, and so are those on their way to its servers (spec §4.1: from or to a
        // crashed node): nothing will receive them. They go now, as in the model, so that
        // the requests they carry are lost at the crash and not later at their delivery.
        let tasks_here: Vec<crate::Pid> = self.nodes[node].kernel.tasks.keys().copied().collect();
        let on_node = |ep: crate::world::Ep| match ep {
            crate::world::Ep::Pma(k) | crate::world::Ep::Kernel(k) | crate::world::Ep::Fs(k) => {
                k == node
            }
            _ => false,
        };
        let mut carried: Vec<ReqId> = Vec::new();
        let mut answers_lost: Vec<(crate::Pid, ReqId)> = Vec::new();
        self.q.retain(|ev| match ev {
            Ev::Deliver(m) => {
                let from_here = on_node(m.src)
                    || matches!(m.src, crate::world::Ep::Task(p) if tasks_here.contains(&p));
                let gone = from_here || on_node(m.dst);
                if gone {
                    carried.extend(m.body.reqs());
                    if let (crate::world::Ep::Task(p), Body::CallReply(r, _)) = (m.dst, &m.body) {
                        answers_lost.push((p, *r));
                    }
                }
                !gone
            }
            _ => true,
        });
        let n = &mut self.nodes[node];
        n.alive = false;
        n.kernel = Default::default();
        n.pma = crate::pma::Pma::new(node, 0);
        n.fs = Default::default();
        // The PM Master's answers kept behind a fork's creation here go the way of every
        // message to a crashed node: lost at delivery (spec §4.1).
        self.pmm_release(node, true);
        // Tasks in transit to the dead node are lost with it.
        self.transit.retain(|_, (_, d, _)| *d != node);
        for r in stranded {
            self.lose_request(r);
        }
        // The requests those discarded messages were routing are gone with them (§5.5).
        self.lose_dropped(&carried);
        // An answer the dead node's PMA had sent to a task elsewhere is lost on the way: the
        // reply right it used died with the node, so the caller's call returns an error and
        // its emulator stops waiting (as for a lost request, `lose_request`). The request
        // itself stays answered: its PMA served it (spec §5.5, §12.7).
        for (p, r) in answers_lost {
            let live = self.port_holder(p).is_some_and(|n| {
                self.nodes[n].alive && self.nodes[n].kernel.tasks.contains_key(&p)
            });
            if live {
                self.send_free(Ep::Monitor, Ep::Task(p), Body::CallReply(r, Outcome::Died));
            }
        }
        let note = self.costs.price(&MsgShape::new(MsgKind::Async, false));
        for k in 0..self.nodes.len() {
            if self.nodes[k].alive {
                self.q.after(
                    note,
                    Ev::DeadName {
                        node: k,
                        dead: node,
                    },
                );
            }
        }
    }

    /// C4's condition, paper §3.2 (c): "Should the source node crash, one might think that
    /// the process could be restarted on this node if no system call request was enqueued on
    /// the source node." Source `src` is crashing: each process it shipped (on its migrating
    /// list, its task gone from `src`'s kernel: the pull committed) with requests still in
    /// its pending queue Q (R2), which die with `src`, is not to be restarted. A destination
    /// that is alive, whose kernel holds the task already and whose PMA still has the process
    /// incoming from `src` marks its proc structure; it kills the process when it learns of
    /// the crash (`detect`), whether or not it restarted it meanwhile. A task still being
    /// pulled dies with the source (C1 instead).
    fn mark_source_queue_lost(&mut self, src: NodeId) {
        let pma = &self.nodes[src].pma;
        let marks: Vec<(Pid, NodeId)> = pma
            .migrating
            .iter()
            .filter_map(|&pid| {
                let out = pma.procs.get(&pid)?.out.as_ref()?;
                let shipped = !self.nodes[src].kernel.tasks.contains_key(&pid);
                (shipped && !out.queue.is_empty()).then_some((pid, out.dst))
            })
            .collect();
        for (pid, d) in marks {
            if !self.nodes[d].alive || !self.nodes[d].kernel.tasks.contains_key(&pid) {
                continue;
            }
            if let Some(p) = self.nodes[d].pma.procs.get_mut(&pid) {
                if p.list == List::Incoming && p.inc.as_ref().is_some_and(|i| i.src == src) {
                    p.source_queue_lost = true;
                }
            }
        }
    }

    /// spec §5.5: the requests `node`'s PMA holds and that die with it: each pending queue Q
    /// (R2), the requests held at D (R9 until restart, P11 fix), a `wait()` in progress
    /// (R4), the `pcntl` caller of a migration or of a T1 it runs, and a `fork()` or `exit()`
    /// its server is executing for an active process.
    pub fn stranded_at(&self, node: NodeId) -> Vec<ReqId> {
        let mut out = Vec::new();
        let pma = &self.nodes[node].pma;
        for p in pma.procs.values() {
            out.extend(p.held.iter().copied());
            if let Some(o) = &p.out {
                out.extend(o.queue.iter().copied());
                out.extend(o.caller);
            }
            out.extend(p.in_progress);
            if let Some((r, _, _)) = p.task_moving {
                out.push(r);
            }
        }
        for (i, r) in self.reqs.iter().enumerate() {
            let executing = r.status == ReqStatus::InProgress
                && matches!(r.call, Call::Fork { .. } | Call::Exit)
                && pma
                    .procs
                    .get(&r.target)
                    .is_some_and(|p| p.list == List::Active);
            if executing {
                out.push(i as ReqId);
            }
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|&r| {
            !matches!(
                self.reqs[r as usize].status,
                ReqStatus::Completed(_) | ReqStatus::Lost
            )
        });
        out
    }

    /// After a survivor handled a crash (spec §5.2): a request still marked queued or in
    /// progress for a process that no live PMA holds any more (its proc died with a
    /// dependency on the dead node while a plan of its server was running — a `fork()` or
    /// `exit()` whose task was on the dead node) can never be answered: it is `Lost`.
    pub fn reap_stranded(&mut self) {
        let orphans: Vec<ReqId> = (0..self.reqs.len())
            .filter(|&i| {
                let r = &self.reqs[i];
                matches!(r.status, ReqStatus::Queued | ReqStatus::InProgress)
                    && !self
                        .nodes
                        .iter()
                        .any(|n| n.alive && n.pma.procs.contains_key(&r.target))
            })
            .map(|i| i as ReqId)
            .collect();
        for r in orphans {
            self.lose_request(r);
        }
    }

    /// A request no live actor holds any more is `Lost` (spec §5.5). Its caller's reply right
    /// died with it: the monitor stops waiting for a `pcntl`, and a process whose task is on
    /// a live node sees its call return an error on its reply port, whichever PMA its
    /// emulator's capabilities name (a dead one kills it later, at detection: until then it
    /// is not waiting for the answer, as the model's emulator is not, spec §12.7).
    pub fn lose_request(&mut self, r: ReqId) {
        let now = self.now();
        let req = &mut self.reqs[r as usize];
        if matches!(req.status, ReqStatus::Completed(_) | ReqStatus::Lost) {
            return;
        }
        req.status = ReqStatus::Lost;
        req.done = now;
        let (sender, target, call) = (req.sender, req.target, req.call);
        self.trace.log(
            now,
            MASTER,
            "C*",
            format_args!("req {r} ({call:?} on pid {target}) lost with a crashed node"),
        );
        match sender {
            Sender::Pcntl => {
                self.pcntl_outstanding = self.pcntl_outstanding.saturating_sub(1);
                // The statistics follow migrations, not pcntl(ALLOW/DISALLOW).
                if matches!(call, Call::Migrate { .. }) {
                    self.stats.lost(target, now);
                }
            }
            Sender::Proc(pid) => {
                self.call_done(pid);
                let survives = self.port_holder(pid).is_some_and(|n| {
                    self.nodes[n].alive && self.nodes[n].kernel.tasks.contains_key(&pid)
                });
                if survives {
                    self.send_free(
                        Ep::Monitor,
                        Ep::Task(pid),
                        Body::CallReply(r, Outcome::Died),
                    );
                }
            }
        }
    }

    /// spec §5.2: node `n` learns that `dead` crashed.
    pub fn on_dead_name(&mut self, n: NodeId, dead: NodeId) {
        if !self.nodes[n].alive {
            return;
        }
        // The notification is a message like any other to the survivor's processor: its
        // receiving half is system work there (spec §11.10; the sender is gone).
        let shape = MsgShape::new(MsgKind::Async, false);
        let cost = self.costs.price(&shape);
        self.system_work(n, None, &shape, cost);
        if n == MASTER {
            self.pmm_bury(dead);
        }
        // Detection is per (node, pid), each a step of its own in any order with the rest
        // of the protocol (spec §5.2): handling every process here at once would let no
        // other step come between, so a group member (G1) still freezing towards the dead
        // destination could not reach R6 while another member is already reinstated (C2).
        // The notification itself is priced once, above; the per-process steps cost nothing.
        let pids: BTreeSet<Pid> = self.nodes[n]
            .kernel
            .tasks
            .keys()
            .chain(self.nodes[n].pma.procs.keys())
            .copied()
            .collect();
        for pid in pids {
            self.q.after(0, Ev::Detect { node: n, dead, pid });
        }
        self.reap_stranded();
    }

    /// spec §5.2: node `n`, notified that `dead` crashed, handles process `pid`.
    pub fn on_detect(&mut self, n: NodeId, dead: NodeId, pid: Pid) {
        if !self.nodes[n].alive {
            return;
        }
        self.detect(n, dead, pid);
        self.reap_stranded();
    }

    /// The cases of spec §5.2 for `pid` at `n`, in the spec's order; the first that matches
    /// applies.
    fn detect(&mut self, n: NodeId, dead: NodeId, pid: Pid) {
        let now = self.now();
        // A task here that depends on the dead node: a page homed there (C4 under COR), or,
        // for a task-migrated process, its PMA there (T1). A process this node's PMA holds
        // incoming still names its source's PMA until R12 reattaches it; that is no
        // dependency (R12 moves the capability here), as in the model's `LostDependency`.
        let incoming_here = self.nodes[n]
            .pma
            .procs
            .get(&pid)
            .is_some_and(|p| matches!(p.list, List::Incoming));
        let victim =
            self.nodes[n].kernel.tasks.get(&pid).is_some_and(|t| {
                t.pages.contains(&dead) || (t.emulator.pma == dead && !incoming_here)
            });
        if victim {
            self.trace.log(
                now,
                n,
                "C4",
                format_args!("task of pid {pid} lost its dependency on node {dead}"),
            );
            self.nodes[n].kernel.tasks.remove(&pid);
            self.nodes[n].kernel.offers.remove(&pid);
            if self.nodes[n].pma.procs.contains_key(&pid) {
                self.destroy_process(n, pid, Outcome::NoSuchProcess, true);
            }
            return;
        }
        // C4's condition (paper §3.2 (c): restarted only "if no system call request was
        // enqueued on the source node"): the source died after the pull with requests queued
        // for the process, marked at the crash (`mark_source_queue_lost`). Checked right after
        // a lost dependency, before the other cases: the process dies here, incoming or
        // already restarted.
        let queue_lost = self.nodes[n].pma.procs.get(&pid).is_some_and(|p| {
            p.source_queue_lost && matches!(p.list, List::Incoming | List::Active)
        });
        if queue_lost {
            self.trace.log(
                now,
                n,
                "C4",
                format_args!(
                    "requests queued for pid {pid} died with its source: pid {pid} dies at node {n}"
                ),
            );
            self.trace.reach(now, "S-C4-queue-lost");
            self.destroy_process(n, pid, Outcome::NoSuchProcess, true);
            return;
        }
        let Some(p) = self.nodes[n].pma.procs.get(&pid) else {
            return;
        };
        // C1: the source died before the pull committed: release the reservation.
        if let Some(i) = &p.inc {
            if i.src == dead && i.stage <= Stage::Pulling {
                self.trace.log(
                    now,
                    n,
                    "C1",
                    format_args!("source of pid {pid} died: reservation released"),
                );
                self.release_reservation(n, pid, None);
                return;
            }
        }
        if let Some(out) = &p.out {
            if out.dst == dead {
                let offered = self.nodes[n].kernel.offers.contains_key(&pid);
                if p.list == List::Active || offered {
                    // C2: D died before the pull: reinstate.
                    self.trace.log(
                        now,
                        n,
                        "C2",
                        format_args!("destination of pid {pid} died before the pull: reinstated"),
                    );
                    let answer = match self.cfg.choices.c2_answer {
                        crate::choices::C2Answer::Abandoned => Outcome::Abandoned,
                        crate::choices::C2Answer::Refused => Outcome::Refused,
                    };
                    self.reinstate(n, pid, answer);
                } else {
                    // C3: D died after the pull: P died with D.
                    self.trace.log(
                        now,
                        n,
                        "C3",
                        format_args!(
                            "destination of pid {pid} died after the pull: pid {pid} dies"
                        ),
                    );
                    self.destroy_process(n, pid, Outcome::NoSuchProcess, true);
                }
                return;
            }
        }
        let p = &self.nodes[n].pma.procs[&pid];
        if p.awaiting_forward == Some(dead) {
            // The forward died with the source: serve what is held (C4 with the P11 fix,
            // spec §5.2 `ForwardLost`).
            self.trace.log(
                now,
                n,
                "C4",
                format_args!("the forward of pid {pid} died with node {dead}: serve what is held"),
            );
            let p = self.nodes[n].pma.procs.get_mut(&pid).unwrap();
            p.awaiting_forward = None;
            let held = std::mem::take(&mut p.held);
            for r in held {
                self.accept_here(n, r);
            }
            return;
        }
        let p = &self.nodes[n].pma.procs[&pid];
        if let Some((r, d, attempt)) = p.task_moving {
            if d == dead
                && self.nodes.iter().any(|nd| {
                    nd.kernel
                        .offers
                        .get(&pid)
                        .is_some_and(|o| o.attempt == attempt)
                })
            {
                for k in 0..self.nodes.len() {
                    self.nodes[k].kernel.offers.remove(&pid);
                    if let Some(t) = self.nodes[k].kernel.tasks.get_mut(&pid) {
                        t.resume();
                    }
                }
                self.nodes[n].pma.procs.get_mut(&pid).unwrap().task_moving = None;
                self.respond(n, r, Outcome::Abandoned);
                self.run_task(pid);
                return;
            }
        }
        // A process whose task is nowhere any more (it ran on the dead node).
        let p = &self.nodes[n].pma.procs[&pid];
        if p.list == List::Active && self.task_node(pid).is_none() {
            self.trace.log(
                now,
                n,
                "C3",
                format_args!("task of pid {pid} died with node {dead}"),
            );
            self.destroy_process(n, pid, Outcome::NoSuchProcess, true);
        }
    }
}

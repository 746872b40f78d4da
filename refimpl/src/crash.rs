//! spec §11.7 / §5 Crashes: fail-stop node crashes and their detection through dead-name
//! notifications (one async message after the crash, per surviving node), cases C1–C5 with
//! the assumptions of spec §5.4. The master node never crashes (C5).

use crate::pma::{List, Stage};
use crate::timing::{MsgKind, MsgShape};
use crate::world::{Ev, Outcome, World};
use crate::{NodeId, Pid, MASTER};

impl World {
    /// A test node crashes: its kernel, PMA and tasks are gone.
    pub fn crash(&mut self, node: NodeId) {
        if node == MASTER || node >= self.nodes.len() || !self.nodes[node].alive {
            return; // C5: the master node never crashes
        }
        let now = self.now();
        self.trace
            .log(now, node, "C*", format!("node {node} crashes"));
        self.stats.crashes += 1;
        let n = &mut self.nodes[node];
        n.alive = false;
        n.kernel = Default::default();
        n.pma = crate::pma::Pma::new(node, 0);
        n.fs = Default::default();
        // Tasks in transit to the dead node are lost with it.
        self.transit.retain(|_, (_, d, _)| *d != node);
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

    /// spec §5.2: node `n` learns that `dead` crashed.
    pub fn on_dead_name(&mut self, n: NodeId, dead: NodeId) {
        if !self.nodes[n].alive {
            return;
        }
        if n == MASTER {
            self.pmm_bury(dead);
        }
        let now = self.now();
        // Tasks here that depend on the dead node: a page homed there (C4 under COR), or,
        // for a task-migrated process, its PMA there (T1).
        let victims: Vec<Pid> = self.nodes[n]
            .kernel
            .tasks
            .values()
            .filter(|t| t.pages.contains(&dead) || t.emulator.pma == dead)
            .map(|t| t.pid)
            .collect();
        for pid in victims {
            self.trace.log(
                now,
                n,
                "C4",
                format!("task of pid {pid} lost its dependency on node {dead}"),
            );
            self.nodes[n].kernel.tasks.remove(&pid);
            self.nodes[n].kernel.offers.remove(&pid);
            if self.nodes[n].pma.procs.contains_key(&pid) {
                self.destroy_process(n, pid, Outcome::NoSuchProcess, true);
            }
        }
        let pids: Vec<Pid> = self.nodes[n].pma.procs.keys().copied().collect();
        for pid in pids {
            let Some(p) = self.nodes[n].pma.procs.get(&pid) else {
                continue;
            };
            // C1: the source died before the pull committed: release the reservation.
            if let Some(i) = &p.inc {
                if i.src == dead && i.stage <= Stage::Pulling {
                    self.trace.log(
                        now,
                        n,
                        "C1",
                        format!("source of pid {pid} died: reservation released"),
                    );
                    self.release_reservation(n, pid);
                    continue;
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
                            format!("destination of pid {pid} died before the pull: reinstated"),
                        );
                        self.reinstate(n, pid, Outcome::Abandoned);
                    } else {
                        // C3: D died after the pull: P died with D.
                        self.trace.log(
                            now,
                            n,
                            "C3",
                            format!("destination of pid {pid} died after the pull: pid {pid} dies"),
                        );
                        self.destroy_process(n, pid, Outcome::NoSuchProcess, true);
                    }
                    continue;
                }
            }
            let p = &self.nodes[n].pma.procs[&pid];
            if p.awaiting_forward == Some(dead) {
                // The forward died with the source: serve what is held.
                let p = self.nodes[n].pma.procs.get_mut(&pid).unwrap();
                p.awaiting_forward = None;
                let held = std::mem::take(&mut p.held);
                for r in held {
                    self.accept_here(n, r);
                }
                continue;
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
                    continue;
                }
            }
            // A process whose task is nowhere any more (it ran on the dead node).
            let p = &self.nodes[n].pma.procs[&pid];
            if p.list == List::Active && self.task_node(pid).is_none() {
                self.trace.log(
                    now,
                    n,
                    "C3",
                    format!("task of pid {pid} died with node {dead}"),
                );
                self.destroy_process(n, pid, Outcome::NoSuchProcess, true);
            }
        }
    }
}

//! spec §11.10 The node's processor. Each node of the paper's testbed is one i386 PC with
//! one processor, shared by the programs it runs and by the system work done there: the
//! kernel's IPC and DIPC processing, XMM's paging, the servers (PMA, PM Master, file server,
//! the migration's pull). The system work runs at a higher priority than user code, so it is
//! never slowed by a computation; a computation in progress on the node is delayed by the
//! processor time the system work takes there (`Config::cpu_contention`, on by default).
//!
//! How much of a priced message is processor time on which node: a single-node message or
//! kernel call, and a server's processing, are all processor time on their node. An
//! inter-node message is the wire time of its bytes (`wire_byte`, from the 10 Mbit/s
//! Ethernet) plus processor time, split equally between the two nodes (assumed: the paper
//! does not break Table 2 down; NORMA's send and receive paths are taken to cost alike).
//! The SMS pull's calibrated processing is both kernels' work, half on each end
//! (`Config::sms_both_ends`). The processor time is taken when the work starts: the node is
//! busy with system work until `cpu_busy_until`, and a computation makes no progress before
//! then, whether it was in progress, starts meanwhile, or is suspended meanwhile.
//!
//! What the system leaves, the node's user computations share equally (processor sharing,
//! a time-sliced scheduler's limit): with k computing, each progresses at 1/k. A
//! computation's end `until` is always `start + k × work left`, with `start` the end of the
//! busy window and k `World::shares` of its node; whenever a computation starts, ends or is
//! suspended there, `reshare` moves the others' ends to the new k.

use crate::kernel::Run;
use crate::sim::Time;
use crate::timing::{Costs, MsgShape};
use crate::world::{Ev, World};
use crate::{NodeId, Pid, PAGE_BYTES};

impl Costs {
    /// The wire time of a message of this shape (zero for a single-node one).
    pub fn wire(&self, m: &MsgShape) -> Time {
        if m.local {
            return 0;
        }
        (m.bytes as Time + m.pages as Time * PAGE_BYTES as Time) * self.wire_byte
    }
}

impl World {
    /// A computation started on `node` (its end set as if it had the processor to itself):
    /// it is one system work may delay, and it shares the processor with the others there.
    pub fn computing_on(&mut self, node: NodeId, pid: Pid) {
        if !self.cfg.cpu_contention {
            return;
        }
        let tasks = &self.nodes[node].kernel.tasks;
        let other = self.computing[node].iter().any(|&q| {
            q != pid
                && tasks
                    .get(&q)
                    .is_some_and(|t| matches!(t.exec.run, Run::Computing { .. }))
        });
        if other {
            self.stats.computations_overlapping += 1;
        }
        // Started while the node is busy with system work: it waits for the processor.
        let now = self.now();
        let wait = self.cpu_busy_until[node].saturating_sub(now);
        if wait > 0 {
            self.delay_computation(node, pid, wait);
        }
        // One entry per task: an entry left from an earlier computation serves again.
        if !self.computing[node].contains(&pid) {
            self.computing[node].push(pid);
        }
        self.reshare(node, Some(pid));
    }

    /// The user computations on `node` changed (`newcomer` started, or one ended or was
    /// suspended): every other computation's end moves from the old share count to the new
    /// one, and the newcomer's from a processor of its own to its share.
    pub fn reshare(&mut self, node: NodeId, newcomer: Option<Pid>) {
        if !self.cfg.cpu_contention {
            return;
        }
        let now = self.now();
        let start = now.max(self.cpu_busy_until[node]);
        let tasks = &self.nodes[node].kernel.tasks;
        // Computations ending at this very instant are being delivered: they share no more.
        let sharing: Vec<Pid> = self.computing[node]
            .iter()
            .copied()
            .filter(|q| {
                tasks
                    .get(q)
                    .is_some_and(|t| matches!(t.exec.run, Run::Computing { until } if until > now))
            })
            .collect();
        let (old, new) = (self.shares[node].max(1), (sharing.len() as Time).max(1));
        self.shares[node] = sharing.len() as Time;
        for q in sharing {
            let from = if Some(q) == newcomer { 1 } else { old };
            if from == new {
                continue;
            }
            let t = self.nodes[node].kernel.tasks.get_mut(&q).unwrap();
            let Run::Computing { until } = t.exec.run else {
                continue;
            };
            let end = start + until.saturating_sub(start) * new / from;
            t.exec.run = Run::Computing { until: end };
            t.exec.gen += 1;
            let gen = t.exec.gen;
            self.q.at(end, Ev::ComputeDone { pid: q, gen });
        }
    }

    /// Work priced `cost` (a message of this shape, or a server's processing) starts on
    /// `node`, with `far` the other end of an inter-node message. Each node involved lends
    /// its share of processor time to the system (spec §11.10).
    pub fn system_work(&mut self, node: NodeId, far: Option<NodeId>, shape: &MsgShape, cost: Time) {
        if !self.cfg.cpu_contention || cost == 0 {
            return;
        }
        if shape.local {
            self.preempt(node, cost);
            return;
        }
        let cpu = cost.saturating_sub(self.costs.wire(shape));
        self.processor_time(node, far, cpu);
    }

    /// Processor time `cpu` of work done by two nodes alike: half on each.
    pub fn processor_time(&mut self, node: NodeId, far: Option<NodeId>, cpu: Time) {
        if !self.cfg.cpu_contention {
            return;
        }
        let here = cpu / 2;
        self.preempt(node, here);
        if let Some(far) = far.filter(|&f| f != node) {
            self.preempt(far, cpu - here);
        }
    }

    /// Delays every computation in progress on `node` by `amount` of processor time taken
    /// by the system now. A computation that has ended, paused or moved since it started is
    /// dropped from the node's list.
    fn preempt(&mut self, node: NodeId, amount: Time) {
        if amount == 0 {
            return;
        }
        let now = self.now();
        let busy = &mut self.cpu_busy_until[node];
        *busy = (*busy).max(now) + amount;
        let mut list = std::mem::take(&mut self.computing[node]);
        list.retain(|&pid| self.delay_computation(node, pid, amount));
        self.computing[node] = list;
    }

    /// Moves the end of `pid`'s computation on `node` by `amount`; false if it is not
    /// computing there any more (ended, paused or moved), or ends at this very instant.
    fn delay_computation(&mut self, node: NodeId, pid: Pid, amount: Time) -> bool {
        let now = self.now();
        let Some(t) = self.nodes[node].kernel.tasks.get_mut(&pid) else {
            return false;
        };
        let Run::Computing { until } = t.exec.run else {
            return false;
        };
        if until <= now {
            return false; // its completion is being delivered at this instant
        }
        t.exec.run = Run::Computing {
            until: until + amount,
        };
        t.exec.gen += 1;
        let gen = t.exec.gen;
        self.q.at(until + amount, Ev::ComputeDone { pid, gen });
        self.stats.processor_taken += amount;
        true
    }

    /// The work still to do of a computation on `node` ending at `until`, at this instant:
    /// the processor time the system has yet to take from it is not work, nor are the other
    /// computations' shares.
    pub fn work_left(&self, node: NodeId, until: Time) -> Time {
        if !self.cfg.cpu_contention {
            return until.saturating_sub(self.now());
        }
        let start = self.now().max(self.cpu_busy_until[node]);
        until.saturating_sub(start) / self.shares[node].max(1)
    }
}

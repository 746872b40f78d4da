//! spec §11.4 The PM Master (paper §2.2): on the master node, it allocates pids, keeps the
//! process relationships (parent, process group, session) and every process's current node,
//! and is contacted by the vproc framework for fork, exit, wait and location look-ups. It is
//! informed of a migration's new node at R13 (acknowledged before Done, spec §3.2.5). The
//! master node never crashes (C5, spec §5.4).

use std::collections::{BTreeMap, BTreeSet};

use crate::sim::Time;
use crate::timing::MsgKind;
use crate::world::{Body, Ep, Ev, Msg, Plan, World};
use crate::{NodeId, Pid, ReqId, MASTER};

/// An answer of the PM Master that a PMA has not consumed yet, kept in send order on the
/// channel PM Master -> PMA (`World::pmm_backlog`, spec §4.1).
///
/// The model consumes a `PidAllocated` in one step that creates the child (spec §3.3.6 PM3
/// step 3), and the channel is FIFO (spec §4.1: "only the head of each channel may be
/// delivered"); so nothing the PM Master answered that PMA afterwards (R13's `LocationAck`,
/// spec §3.2.5; `Located`; `ChildExited`) may take effect there before the child exists.
/// The refimpl's fork receives the pid as the reply of its first RPC and then spends its
/// creation work (`pma::calls::fork`, a plan of kernel calls) before the child exists:
/// answers sent meanwhile wait behind it. Without this, a migration's restart at the forking
/// PMA (R13) overtook the creation of a child whose pid the PM Master had given first (run
/// `fork-crash-spread`, found by `traces check`, spec §12.9).
#[derive(Clone, Debug)]
pub enum Owed {
    /// A fork's `PidAllocated` for `child`: consumed when the fork plan ends (the child is
    /// created, `World::forked`) or fails.
    Creation { child: Pid },
    /// R13's `LocationAck` for `pid` (the reply of the `LocationUpdate` RPC): consumed by the
    /// restart (`World::restart`).
    LocationAck { pid: Pid },
    /// A message from the PM Master and when it would have arrived.
    Msg { at: Time, msg: Msg },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    Alive,
    Zombie,
    Dead,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PmEntry {
    pub life: Life,
    /// The node whose PMA holds the process (its location).
    pub node: NodeId,
    pub parent: Option<Pid>,
    pub pgrp: Pid,
    pub session: Pid,
}

#[derive(Clone, Debug, Default)]
pub struct PmMaster {
    next_pid: Pid,
    pub entries: BTreeMap<Pid, PmEntry>,
    /// wait() calls parked until a child exits: request, parent, PMA to answer.
    pub waiters: Vec<(ReqId, Pid, NodeId)>,
    /// Crashed nodes whose processes have been declared dead (spec §5.3).
    pub buried: BTreeSet<NodeId>,
    /// Relationships as first recorded (P10).
    pub snapshot: BTreeMap<Pid, (Option<Pid>, Pid, Pid)>,
    /// Pids reserved by a fork in progress, with the node of the forking PMA and the parent.
    reserved: BTreeMap<Pid, (NodeId, Pid)>,
    /// Pids whose last migration's source has not yet cleaned up, with that source: such a
    /// pid is not reused (PM3, spec §10 finding 10).
    pub cleanup_at: BTreeMap<Pid, NodeId>,
    /// The seeded bug `Mutant::PidReuseDuringCleanup`: `cleanup_at` is not consulted.
    pub reuse_during_cleanup: bool,
    /// The node and event ordinal that sent the `CleanedUp` that cleared each pid's
    /// clean-up: an `AllocPid` sent before it on the same channel is served first (FIFO per
    /// pair, spec §4.1), so that report is not yet read for it.
    pub cleaned_sent: BTreeMap<Pid, (NodeId, u64)>,
    /// G1 one after another: the group migration in progress.
    pub group_run: Option<GroupRun>,
}

/// A group migration the PM Master paces one member at a time (spec §3.3.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRun {
    pub dst: NodeId,
    /// The member being frozen and the PMA that will report it: the leader at its source
    /// first. A crash of that node may take the report with it, so its burial ends the wait.
    pub awaiting: (Pid, NodeId),
    /// Members still to start.
    pub todo: BTreeSet<Pid>,
}

impl PmMaster {
    /// Allocates a pid and records it at `node` with its relationships inherited.
    pub fn alloc_pid(&mut self, parent: Option<Pid>, node: NodeId) -> Pid {
        let pid = self.reserve_pid(node, parent.unwrap_or(0));
        self.register(pid, parent, node);
        pid
    }

    /// PM3's pid brokerage: the lowest pid never given or whose holder is dead (reaped or
    /// buried) and whose last migration's source has cleaned up (P1: no two processes
    /// ever hold one pid at once).
    pub fn reserve_pid(&mut self, node: NodeId, parent: Pid) -> Pid {
        self.reserve_pid_asked(node, parent, None)
    }

    /// `reserve_pid` for an `AllocPid` that `node` sent in event `asked` (an ordinal): a
    /// clean-up reported by `node` after that is not yet read (FIFO per pair, spec §4.1).
    pub fn reserve_pid_asked(&mut self, node: NodeId, parent: Pid, asked: Option<u64>) -> Pid {
        let reported_later = |p: &Pid| {
            asked.is_some_and(|t| {
                self.cleaned_sent
                    .get(p)
                    .is_some_and(|&(from, sent)| from == node && sent > t)
            })
        };
        let reusable = self
            .entries
            .iter()
            .filter(|(p, e)| {
                e.life == Life::Dead
                    && !self.reserved.contains_key(p)
                    && ((!self.cleanup_at.contains_key(p) && !reported_later(p))
                        || self.reuse_during_cleanup)
            })
            .map(|(&p, _)| p)
            .next();
        let pid = match reusable {
            Some(p) if p < self.next_pid => p,
            _ => {
                self.next_pid += 1;
                self.next_pid - 1
            }
        };
        self.reserved.insert(pid, (node, parent));
        pid
    }

    pub fn register(&mut self, pid: Pid, parent: Option<Pid>, node: NodeId) {
        self.reserved.remove(&pid);
        let (pgrp, session) = parent
            .and_then(|p| self.entries.get(&p))
            .map(|e| (e.pgrp, e.session))
            .unwrap_or((pid, pid));
        self.entries.insert(
            pid,
            PmEntry {
                life: Life::Alive,
                node,
                parent,
                pgrp,
                session,
            },
        );
        self.snapshot.insert(pid, (parent, pgrp, session));
    }

    /// Whether `pid` is allocated to a fork whose child does not exist yet.
    pub fn is_reserved(&self, pid: Pid) -> bool {
        self.reserved.contains_key(&pid)
    }

    /// Where a look-up finds `pid`. A pid reserved by a fork in progress is found at the
    /// forking PMA, where the child appears: `fork()` may already have returned it, and ESRCH
    /// would deny the child (spec §10 finding 11).
    pub fn location(&self, pid: Pid) -> Option<NodeId> {
        if let Some(&(node, _)) = self.reserved.get(&pid) {
            return Some(node);
        }
        self.entries
            .get(&pid)
            .filter(|e| e.life == Life::Alive)
            .map(|e| e.node)
    }

    pub fn alive(&self, pid: Pid) -> bool {
        self.location(pid).is_some()
    }

    /// PM1: the parent's wait() completed with `child`; the zombie is reaped.
    pub fn reap(&mut self, child: Pid) {
        if let Some(e) = self.entries.get_mut(&child) {
            if e.life == Life::Zombie {
                e.life = Life::Dead;
            }
        }
    }

    /// Children of `parent` in a given life state.
    fn child_in(&self, parent: Pid, life: Life) -> Option<Pid> {
        self.entries
            .iter()
            .find(|(_, e)| e.parent == Some(parent) && e.life == life)
            .map(|(&p, _)| p)
    }
}

impl World {
    /// Whether a PM Master answer to the PMA of `node` waits behind a fork's creation
    /// there (`Owed`).
    pub fn pmm_backlogged(&self, node: NodeId) -> bool {
        self.pmm_backlog.get(&node).is_some_and(|b| !b.is_empty())
    }

    /// PM3: the PM Master's `PidAllocated` for `child` reaches the PMA of `node`, which
    /// consumes it only when the child is created (`Owed`).
    pub fn pmm_owe_creation(&mut self, node: NodeId, child: Pid) {
        self.pmm_backlog
            .entry(node)
            .or_default()
            .push_back(Owed::Creation { child });
    }

    /// R13: the `LocationAck` for `pid` has reached D (`node`); D restarts P now, or after
    /// the creations the PM Master answered before (`Owed`).
    pub fn pmm_location_acked(&mut self, node: NodeId, pid: Pid) {
        if self.pmm_backlogged(node) {
            self.pmm_backlog
                .entry(node)
                .or_default()
                .push_back(Owed::LocationAck { pid });
        } else {
            self.q.after(0, Ev::Restart { pid });
        }
    }

    /// A message from the PM Master to the PMA of `node` arriving at `at`: queued for
    /// delivery, or kept behind a creation the PM Master answered before (`Owed`). Returns
    /// the message when it is not kept.
    pub fn pmm_hold_back(&mut self, node: NodeId, at: Time, msg: Msg) -> Option<Msg> {
        if !self.pmm_backlogged(node) {
            return Some(msg);
        }
        self.pmm_backlog
            .entry(node)
            .or_default()
            .push_back(Owed::Msg { at, msg });
        None
    }

    /// The fork creating `child` at `node` ended (created, or its plan failed): what waited
    /// behind it and behind no earlier creation goes on, in send order.
    pub fn pmm_creation_done(&mut self, node: NodeId, child: Pid) {
        let Some(b) = self.pmm_backlog.get_mut(&node) else {
            return;
        };
        if let Some(i) = b
            .iter()
            .position(|o| matches!(o, Owed::Creation { child: c } if *c == child))
        {
            b.remove(i);
        }
        self.pmm_release(node, false);
    }

    /// Sends on what heads the backlog of `node` up to its first creation under way (all of
    /// it with `all`: the node crashed, and the messages are lost at delivery as any other
    /// message to a crashed node, spec §4.1). The times are kept monotone, so that nothing
    /// overtakes what was sent before it.
    pub fn pmm_release(&mut self, node: NodeId, all: bool) {
        let mut t = self.now();
        while let Some(o) = self.pmm_backlog.get_mut(&node).and_then(|b| {
            if !all && matches!(b.front(), Some(Owed::Creation { .. })) {
                None
            } else {
                b.pop_front()
            }
        }) {
            match o {
                Owed::Creation { .. } => {}
                Owed::LocationAck { pid } => {
                    if !all {
                        self.q.at(t, Ev::Restart { pid });
                    }
                }
                Owed::Msg { at, msg } => {
                    t = t.max(at);
                    self.q.at(t, Ev::Deliver(msg));
                }
            }
        }
        if self.pmm_backlog.get(&node).is_some_and(|b| b.is_empty()) {
            self.pmm_backlog.remove(&node);
        }
    }

    /// Whether a message kept in a backlog names request `r` (it is still in transit).
    pub fn pmm_backlog_names(&self, r: ReqId) -> bool {
        self.pmm_backlog.values().flatten().any(|o| match o {
            Owed::Msg { msg, .. } => msg.body.reqs().contains(&r),
            _ => false,
        })
    }

    /// R13 first half at the PM Master: the new location, recorded and acknowledged.
    pub fn pmm_location_update(&mut self, plan: &Plan) {
        let pid = plan.pid;
        let alive = self.pmm.alive(pid);
        if alive {
            if let Some(e) = self.pmm.entries.get_mut(&pid) {
                // The source must report its clean-up before the pid may be reused.
                if let Some(src) = self.nodes[plan.node]
                    .pma
                    .procs
                    .get(&pid)
                    .and_then(|p| p.inc.as_ref())
                    .map(|i| i.src)
                {
                    self.pmm.cleanup_at.insert(pid, src);
                }
                if self.mutant != Some(crate::mutants::Mutant::SkipPmmUpdate) {
                    e.node = plan.node;
                }
            }
        }
        let now = self.now();
        self.trace.log(
            now,
            MASTER,
            "R13",
            format_args!(
                "PM Master: pid {pid} now on node {} (ack, dead={})",
                plan.node, !alive
            ),
        );
        if let Some(p) = self.nodes[plan.node].pma.procs.get_mut(&pid) {
            p.pmm_dead = !alive;
        }
    }

    /// PM2: the process becomes a zombie; a parked wait() of its parent is answered.
    pub fn pmm_exit(&mut self, pid: Pid) {
        let parent = match self.pmm.entries.get_mut(&pid) {
            Some(e) if e.life == Life::Alive => {
                e.life = Life::Zombie;
                e.parent
            }
            _ => return,
        };
        if let Some(parent) = parent {
            self.answer_waiter(parent);
        }
    }

    /// Answers the first parked wait() of `parent` with a zombie child, if both exist.
    fn answer_waiter(&mut self, parent: Pid) {
        while self.answer_one_waiter(parent) {}
    }

    /// Answers the parent's first parked wait(), if one can be answered now.
    fn answer_one_waiter(&mut self, parent: Pid) -> bool {
        let Some(i) = self.pmm.waiters.iter().position(|w| w.1 == parent) else {
            return false;
        };
        let child = self.pmm.child_in(parent, Life::Zombie).or_else(|| {
            self.pmm
                .child_in(parent, Life::Dead)
                .filter(|_| self.pmm.child_in(parent, Life::Alive).is_none())
        });
        let Some(child) = child else {
            return false;
        };
        // The zombie is reaped when the parent's wait() completes at its PMA (PM1), not
        // here: a wait() aborted meanwhile (R4') must still find it when it restarts.
        let (req, _, node) = self.pmm.waiters.remove(i);
        self.send(
            Ep::Pmm,
            Ep::Pma(node),
            MsgKind::Async,
            0,
            0,
            Body::ChildExited(req, child),
        );
        true
    }

    /// PM1: a wait() registers at the PM Master.
    pub fn on_wait_child(&mut self, src: Ep, r: ReqId) {
        let Ep::Pma(node) = src else { return };
        let parent = self.reqs[r as usize].target;
        // A wait() that R4' aborted and restarted is parked again beside its first parking,
        // which stays (the PM Master is not told of the abort), as the model parks it; both
        // are answered and the PMA ignores the stale answer (found by program recordings of
        // crash-r4-prime: the refimpl had replaced the earlier parking).
        if let Some(child) = self.pmm.child_in(parent, Life::Zombie) {
            // Reaped when the wait() completes at the parent's PMA (PM1, `Reap`).
            self.send(
                Ep::Pmm,
                Ep::Pma(node),
                MsgKind::Async,
                0,
                0,
                Body::ChildExited(r, child),
            );
        } else if self.pmm.child_in(parent, Life::Alive).is_none() {
            // ECHILD: nothing to wait for.
            self.send(
                Ep::Pmm,
                Ep::Pma(node),
                MsgKind::Async,
                0,
                0,
                Body::ChildExited(r, parent),
            );
        } else {
            self.pmm.waiters.push((r, parent, node));
        }
    }

    /// R16 at the PM Master: where is the target now?
    pub fn on_relookup(&mut self, src: Ep, r: ReqId) {
        let target = self.reqs[r as usize].target;
        let loc = self.pmm.location(target);
        // R16's middle: the PM Master answers where the target is (the model names every
        // delivery of the look-up's three messages R16).
        let now = self.now();
        self.trace.log(
            now,
            MASTER,
            "R16",
            format_args!("PM Master: request {r} looks up pid {target}: {loc:?}"),
        );
        self.send_free(Ep::Pmm, src, Body::Located(r, loc));
    }

    /// C3, C4: a PMA's report of a death. From the source of the pid's last migration it is
    /// also that source's clean-up (after C3 it frees its migrating entry and sends nothing
    /// else), so the pid is no longer held back for it; held, it would never be given to a
    /// `fork()` again (spec §3.3.6 PM3).
    pub fn on_death_report(&mut self, from: Ep, pid: Pid) {
        if let Ep::Pma(n) = from {
            if self.pmm.cleanup_at.get(&pid) == Some(&n) {
                self.pmm.cleanup_at.remove(&pid);
            }
        }
        self.on_process_died(pid);
    }

    /// C3, C4: a PMA reports a death the PM Master could not see.
    pub fn on_process_died(&mut self, pid: Pid) {
        let parent = match self.pmm.entries.get_mut(&pid) {
            Some(e) if e.life == Life::Alive => {
                e.life = Life::Dead;
                e.parent
            }
            _ => return,
        };
        if let Some(p) = parent {
            self.answer_waiter(p);
        }
        // A group run waiting for this member to freeze will never hear from it.
        if self
            .pmm
            .group_run
            .as_ref()
            .is_some_and(|g| g.awaiting.0 == pid)
        {
            self.start_next_member();
        }
    }

    /// spec §3.3.4 G1 at the PM Master: the leader's PMA has started the leader (and, all at
    /// once, its co-resident members); the PM Master knows where the other members are.
    /// All at once, each living member on neither the leader's node nor the destination is
    /// asked to migrate now. One after another, the leader is awaited first; a second group
    /// migration while one is paced moves its leader alone.
    pub fn on_group_migrate(&mut self, from: Ep, leader: Pid, dst: NodeId) {
        let Ep::Pma(s) = from else { return };
        let others: Vec<(Pid, NodeId)> = self
            .pmm
            .entries
            .iter()
            .filter(|(&p, e)| p != leader && e.life == Life::Alive)
            .map(|(&p, e)| (p, e.node))
            .collect();
        match self.cfg.group_order {
            crate::workload::GroupOrder::AllAtOnce => {
                for (p, n) in others {
                    if n != s && n != dst {
                        self.ask_member(p, n, dst);
                    }
                }
            }
            crate::workload::GroupOrder::OneAfterAnother => {
                if self.pmm.group_run.is_none() {
                    self.pmm.group_run = Some(GroupRun {
                        dst,
                        awaiting: (leader, s),
                        todo: others.iter().map(|&(p, _)| p).collect(),
                    });
                }
            }
        }
    }

    fn ask_member(&mut self, pid: Pid, node: NodeId, dst: NodeId) {
        let now = self.now();
        self.trace.log(
            now,
            MASTER,
            "G1",
            format_args!("PM Master: group member pid {pid} on node {node} migrates to node {dst}"),
        );
        self.send(
            Ep::Pmm,
            Ep::Pma(node),
            MsgKind::Async,
            0,
            0,
            Body::MemberMigrate { pid, dst },
        );
    }

    /// One after another: the awaited member's PMA reports it frozen, given up or skipped.
    pub fn on_group_step(&mut self, from: Ep, pid: Pid) {
        let Ep::Pma(n) = from else { return };
        if self
            .pmm
            .group_run
            .as_ref()
            .is_some_and(|g| g.awaiting == (pid, n))
        {
            self.start_next_member();
        }
    }

    /// The lowest member still to start that is alive and not at the destination already is
    /// asked at the node the PM Master records it on; with none left, the run is over.
    fn start_next_member(&mut self) {
        let Some(mut g) = self.pmm.group_run.take() else {
            return;
        };
        while let Some(p) = g.todo.pop_first() {
            let Some(n) = self
                .pmm
                .entries
                .get(&p)
                .filter(|e| e.life == Life::Alive && e.node != g.dst)
                .map(|e| e.node)
            else {
                continue;
            };
            g.awaiting = (p, n);
            let dst = g.dst;
            self.pmm.group_run = Some(g);
            self.ask_member(p, n, dst);
            return;
        }
    }

    /// spec §5.3: the PM Master buries the processes it locates on a crashed node.
    pub fn pmm_bury(&mut self, dead: NodeId) {
        if self.mutant_is(crate::mutants::Mutant::NoBurial) {
            return;
        }
        if !self.pmm.buried.insert(dead) {
            return;
        }
        // A child being created on the crashed node dies with it: recorded, then buried.
        let embryos: Vec<(Pid, Pid)> = self
            .pmm
            .reserved
            .iter()
            .filter(|(_, &(n, _))| n == dead)
            .map(|(&p, &(_, parent))| (p, parent))
            .collect();
        for (pid, parent) in embryos {
            self.pmm.register(pid, Some(parent), dead);
        }
        let victims: Vec<Pid> = self
            .pmm
            .entries
            .iter()
            .filter(|(_, e)| e.life == Life::Alive && e.node == dead)
            .map(|(&p, _)| p)
            .collect();
        self.pmm.waiters.retain(|w| w.2 != dead);
        self.pmm.cleanup_at.retain(|_, n| *n != dead);
        for pid in victims {
            let now = self.now();
            self.trace.log(
                now,
                MASTER,
                "C5",
                format_args!("PM Master buries pid {pid} (node {dead} crashed)"),
            );
            self.on_process_died(pid);
        }
        // The report a paced group run waits for from the dead node died with it, even when
        // its member already lives elsewhere.
        if self
            .pmm
            .group_run
            .as_ref()
            .is_some_and(|g| g.awaiting.1 == dead)
        {
            self.start_next_member();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §11.4 / §3 PM3 — a pid is reused only once its holder is dead and its
    // last migration cleaned up; relationships are inherited and recorded for P10.
    #[test]
    fn pids_unique_and_relationships_inherited() {
        let mut m = PmMaster::default();
        let a = m.alloc_pid(None, 1);
        let b = m.alloc_pid(Some(a), 1);
        assert_ne!(a, b);
        assert_eq!(m.entries[&b].pgrp, m.entries[&a].pgrp);
        assert_eq!(m.snapshot[&b].0, Some(a));
        assert_eq!(m.location(b), Some(1));
        let c = m.alloc_pid(Some(a), 1);
        m.entries.get_mut(&b).unwrap().life = Life::Zombie;
        assert_eq!(m.reserve_pid(1, 0), c + 1, "a zombie's pid is not reused");
        m.entries.get_mut(&b).unwrap().life = Life::Dead;
        m.cleanup_at.insert(b, 2);
        assert_eq!(m.reserve_pid(1, 0), c + 2, "not before the clean-up");
        m.cleanup_at.remove(&b);
        assert_eq!(m.reserve_pid(2, a), b, "the lowest dead pid is reused");
        assert!(m.is_reserved(b));
        // A pid being created is found at the forking PMA (spec §10 finding 11).
        assert_eq!(m.location(b), Some(2));
    }
}

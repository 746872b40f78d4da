//! The PM Master on the master node (spec §2.5): process relationships, locations and the
//! `wait()`/`exit()` rendezvous. It never crashes (assumption C5, spec §5).

use crate::config::{Config, GroupOrder};
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;

/// R16: where is the target? `None` when it is not alive.
pub fn on_relookup(st: &mut Sys, cfg: &Config, from: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    let e = &st.pmm.pids[target as usize];
    // A pid being created (`fork()` allocated it, its PMA has not yet reported the child) is
    // located at its parent's PMA, where the child appears: answering ESRCH would deny a
    // process the `fork()` may already have returned (spec §10 finding 11).
    let mut node = matches!(e.life, Life::Alive | Life::Embryo).then_some(e.node);
    let held_active = st
        .nodes
        .iter()
        .any(|n| n.alive && matches!(n.pma.procs[target as usize], Local::Active { .. }));
    if node.is_none() && held_active {
        // P14: ESRCH for a process a live PMA holds active.
        st.ghost.p14_broken = true;
    }
    let e = &st.pmm.pids[target as usize];
    if cfg.mutant_is(Mutant::PmmLocatesPrevious) && node.is_some() {
        node = e.cleanup_at.or(node);
    }
    // L2 monitor: the look-up's epoch (the target's moves so far, plus one) and whether the
    // answer may be stale because a report about the target is still unread (spec §6.2).
    let epoch = st.ghost.moves[target as usize].saturating_add(1).min(0x7F);
    let behind = crate::pma::pmm_behind(st, target);
    st.reqs[req as usize].absent = epoch | if behind { 0x80 } else { 0 };
    st.send(
        Actor::PmMaster,
        Actor::Pma(from),
        Msg::Located { req, node },
    );
}

/// R13: the destination reports the new location. A pid buried after a crash stays dead, and
/// so does a report of an earlier incarnation of the pid (finding 12, `pid_generations`).
pub fn on_location_update(
    st: &mut Sys,
    cfg: &Config,
    from: NodeId,
    pid: Pid,
    node: NodeId,
    gen: u8,
) {
    let e = &mut st.pmm.pids[pid as usize];
    // A forked child may move before its creation report arrives: it exists all the same.
    let dead =
        !matches!(e.life, Life::Alive | Life::Embryo) || (cfg.pid_generations && gen != e.gen);
    if !dead {
        if e.node != node {
            e.cleanup_at = Some(e.node);
        }
        e.node = node;
        if cfg.mutant_is(Mutant::RelationshipsReset) {
            e.parent = None;
        }
    }
    st.send(
        Actor::PmMaster,
        Actor::Pma(from),
        Msg::LocationAck { pid, dead },
    );
}

/// PM3 Fork: allocate the lowest pid that is free (never used, or reaped), record the child's
/// relationships (the parent's group and session) and its node.
pub fn on_alloc_pid(st: &mut Sys, cfg: &Config, from: NodeId, req: ReqId, parent: Pid) {
    let free = |l: Life| {
        matches!(l, Life::Unborn | Life::Dead)
            || (cfg.mutant_is(Mutant::PidReuse) && l == Life::Zombie)
    };
    let child = (0..st.pmm.pids.len() as Pid).find(|&c| {
        let e = &st.pmm.pids[c as usize];
        free(e.life) && e.cleanup_at.is_none()
    });
    if let Some(c) = child {
        let i = c as usize;
        let old = st.pmm.pids[i].life;
        if matches!(old, Life::Alive | Life::Zombie | Life::Embryo) {
            // P1 monitor: the previous holder of this pid still exists.
            st.ghost.p1_reused = true;
        }
        if old == Life::Dead {
            st.see(Seen::PID_REUSED);
        }
        let (pgrp, session) = (
            st.pmm.pids[parent as usize].pgrp,
            st.pmm.pids[parent as usize].session,
        );
        st.pmm.pids[i] = PmEntry {
            life: Life::Embryo,
            node: from,
            parent: Some(parent),
            pgrp,
            session,
            cleanup_at: None,
            // A new incarnation: reports of the previous holder no longer apply to it.
            gen: if cfg.pid_generations {
                st.pmm.pids[i].gen.wrapping_add(1)
            } else {
                0
            },
        };
        st.ghost.relationships[i] = (Some(parent), pgrp, session);
        st.ghost.usage[i] = 0;
        st.ghost.migrations[i] = 0;
        st.ghost.committed[i] = false;
        st.ghost.c4_marked &= !(1 << c);
    }
    st.send(
        Actor::PmMaster,
        Actor::Pma(from),
        Msg::PidAllocated {
            req,
            child,
            gen: child.map_or(0, |c| st.pmm.pids[c as usize].gen),
        },
    );
}

/// PM3: the child exists at the PMA that forked it; it can be looked up from now on.
pub fn on_child_created(st: &mut Sys, pid: Pid) {
    if st.pmm.pids[pid as usize].life == Life::Embryo {
        st.pmm.pids[pid as usize].life = Life::Alive;
    }
}

/// PM3: the forking PMA will never create the child (its parent died first): the pid is free
/// again. No process ever held it, so nobody dies (U1 sees the parent's fork() lost).
pub fn on_fork_aborted(st: &mut Sys, pid: Pid) {
    if st.pmm.pids[pid as usize].life == Life::Embryo {
        st.pmm.pids[pid as usize].life = Life::Dead;
    }
}

/// R14 done at the previous node: the pid may be reused once it is free.
pub fn on_cleaned_up(st: &mut Sys, from: NodeId, pid: Pid) {
    let e = &mut st.pmm.pids[pid as usize];
    if e.cleanup_at == Some(from) {
        e.cleanup_at = None;
    }
}

/// A parent's `wait()`: answered now if a child is a zombie (or none is left), else parked.
pub fn on_wait_child(st: &mut Sys, from: NodeId, req: ReqId, parent: Pid) {
    let children: Vec<Pid> = (0..st.pmm.pids.len() as Pid)
        .filter(|&c| st.pmm.pids[c as usize].parent == Some(parent))
        .collect();
    if let Some(&z) = children
        .iter()
        .find(|&&c| st.pmm.pids[c as usize].life == Life::Zombie)
    {
        st.send(
            Actor::PmMaster,
            Actor::Pma(from),
            Msg::ChildExited { req, child: z },
        );
    } else if children
        .iter()
        .all(|&c| st.pmm.pids[c as usize].life == Life::Dead)
    {
        // ECHILD: nothing to wait for; the call completes at once.
        st.send(
            Actor::PmMaster,
            Actor::Pma(from),
            Msg::ChildExited { req, child: parent },
        );
    } else {
        st.pmm.waiters.push((req, parent, from));
    }
}

/// `exit()`: the process becomes a zombie; a parked `wait()` of its parent is answered.
pub fn on_exit_notify(st: &mut Sys, cfg: &Config, pid: Pid) {
    st.pmm.pids[pid as usize].life = Life::Zombie;
    if !cfg.mutant_is(Mutant::ExitSkipsWaiters) {
        wake_waiters(st, pid);
    }
}

fn wake_waiters(st: &mut Sys, child: Pid) {
    if let Some(parent) = st.pmm.pids[child as usize].parent {
        let wake: Vec<_> = st
            .pmm
            .waiters
            .iter()
            .filter(|w| w.1 == parent)
            .copied()
            .collect();
        st.pmm.waiters.retain(|w| w.1 != parent);
        for (req, _, node) in wake {
            st.send(
                Actor::PmMaster,
                Actor::Pma(node),
                Msg::ChildExited { req, child },
            );
        }
    }
}

/// The parent's `wait()` completed: the zombie is reaped.
pub fn on_reap(st: &mut Sys, pid: Pid) {
    if st.pmm.pids[pid as usize].life == Life::Zombie {
        st.pmm.pids[pid as usize].life = Life::Dead;
    }
}

/// C3/C4: a PMA reports a process died in a crash. A report from the source of the pid's last
/// migration is also its clean-up: it has freed its migrating entry (C3), and no `CleanedUp`
/// will follow, so the pid is no longer held back for it (PM3; a pid held back for a clean-up
/// that never comes is never given to a `fork()` again).
///
/// With `pid_generations`, a report of an earlier incarnation is ignored: that process is
/// already buried, and the pid may belong to a new child now (finding 12).
pub fn on_process_died(st: &mut Sys, cfg: &Config, from: NodeId, pid: Pid, gen: u8) {
    let e = &mut st.pmm.pids[pid as usize];
    if cfg.pid_generations && gen != e.gen {
        return;
    }
    if e.cleanup_at == Some(from) {
        e.cleanup_at = None;
    }
    bury(st, pid);
}

fn bury(st: &mut Sys, pid: Pid) {
    if matches!(st.pmm.pids[pid as usize].life, Life::Alive | Life::Embryo) {
        crate::linearizability::event(st, crate::user_spec::Op::Die { pid });
        // A crash leaves no exit status to wait for: the child is dead, not a zombie. A parked
        // wait() of its parent is answered (ECHILD-like) so it does not hang.
        st.pmm.pids[pid as usize].life = Life::Dead;
        wake_waiters(st, pid);
        // G1 one after another: a dead member will never be frozen; the next one starts.
        if st.pmm.group.is_some_and(|g| g.current == pid) {
            group_advance(st);
        }
    }
}

/// The PM Master's dead-name notification for a crashed node: every process it locates
/// there is dead (spec §5).
pub fn can_bury_node(st: &Sys, n: NodeId) -> bool {
    !st.alive(n) && !st.pmm.buried.contains(&n)
}

pub fn bury_node(st: &mut Sys, n: NodeId) {
    st.pmm.buried.push(n);
    // A clean-up the crashed node owed can no longer collide with anything.
    for e in st.pmm.pids.iter_mut() {
        if e.cleanup_at == Some(n) {
            e.cleanup_at = None;
        }
    }
    st.pmm.buried.sort_unstable();
    for pid in 0..st.pmm.pids.len() as Pid {
        if st.pmm.pids[pid as usize].node == n {
            bury(st, pid);
        }
    }
    // G1 one after another: the step the crashed node owed is lost with it, whether or not
    // its member is still located there (the leader may already be recorded at the
    // destination while its step from the source is in transit).
    if st.pmm.group.is_some_and(|g| g.at == n) {
        group_advance(st);
    }
    // wait() calls parked on behalf of a PMA that died are gone with it.
    st.pmm.waiters.retain(|w| w.2 != n);
}

/// G1 at the PM Master (spec §3.3.4): "adding a process to a migration process group, to force
/// the migration of the whole group of processes when one member is migrated" (paper §4). The
/// leader's source PMA knows only its own members; the PM Master, which "handles ... process
/// group relationships as well as process identifier (pid) resolution" (paper §2), knows
/// where the others are and asks each one's PMA to migrate it to the leader's destination.
///
/// All at once, every living member it locates on neither the source (whose PMA froze the
/// co-resident members itself, R1) nor the destination is started now. One after another,
/// it starts the next member only when the previous one is frozen and detached, skipped or
/// dead (`on_group_step`); the leader is the first, and its source is where its step comes
/// from. It runs one such group migration at a time: a `GroupMigrate` arriving during another
/// moves its leader alone (an assumption; no run has two group migrations under way).
pub fn on_group_migrate(st: &mut Sys, cfg: &Config, from: NodeId, leader: Pid, dst: NodeId) {
    let members = (0..st.pmm.pids.len() as Pid)
        .filter(|&q| q != leader && st.pmm.pids[q as usize].life == Life::Alive);
    match cfg.group_order {
        GroupOrder::AllAtOnce => {
            let remote: Vec<(Pid, NodeId)> = members
                .map(|q| (q, st.pmm.pids[q as usize].node))
                .filter(|&(_, n)| n != from && n != dst)
                .collect();
            for (q, n) in remote {
                st.send(
                    Actor::PmMaster,
                    Actor::Pma(n),
                    Msg::MemberMigrate { pid: q, dst },
                );
            }
        }
        GroupOrder::OneAfterAnother => {
            if st.pmm.group.is_none() {
                let rest = members.fold(0u8, |m, q| m | 1 << q);
                st.pmm.group = Some(GroupChain {
                    dst,
                    current: leader,
                    at: from,
                    rest,
                });
            }
        }
    }
}

/// G1 one after another: the PMA freezing the awaited member reports it frozen, skipped, or
/// back in service (its migration ended before R5): the next member may start. A step of any
/// other member, or from another node, is not the one awaited and changes nothing.
pub fn on_group_step(st: &mut Sys, from: NodeId, pid: Pid) {
    if st
        .pmm
        .group
        .is_some_and(|g| g.current == pid && g.at == from)
    {
        group_advance(st);
    }
}

/// Starts the lowest member not started yet that is alive and not at the group's destination
/// already, at the PMA the PM Master locates it at; the chain ends when none is left.
fn group_advance(st: &mut Sys) {
    let Some(mut g) = st.pmm.group else { return };
    while g.rest != 0 {
        let q = g.rest.trailing_zeros() as Pid;
        g.rest &= !(1 << q);
        let e = st.pmm.pids[q as usize];
        if e.life == Life::Alive && e.node != g.dst {
            g.current = q;
            g.at = e.node;
            st.pmm.group = Some(g);
            st.send(
                Actor::PmMaster,
                Actor::Pma(e.node),
                Msg::MemberMigrate { pid: q, dst: g.dst },
            );
            return;
        }
    }
    st.pmm.group = None;
}

//! The PM Master on the master node (spec §2.5): process relationships, locations and the
//! `wait()`/`exit()` rendezvous. It never crashes (assumption C5, spec §5).

use crate::config::Config;
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;

/// R16: where is the target? `None` when it is not alive.
pub fn on_relookup(st: &mut Sys, from: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    let e = &st.pmm.pids[target as usize];
    let node = (e.life == Life::Alive).then_some(e.node);
    st.send(
        Actor::PmMaster,
        Actor::Pma(from),
        Msg::Located { req, node },
    );
}

/// R13: the destination reports the new location. A pid buried after a crash stays dead.
pub fn on_location_update(st: &mut Sys, cfg: &Config, from: NodeId, pid: Pid, node: NodeId) {
    let e = &mut st.pmm.pids[pid as usize];
    let dead = e.life != Life::Alive;
    if !dead {
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
pub fn on_exit_notify(st: &mut Sys, from: NodeId, pid: Pid) {
    st.pmm.pids[pid as usize].life = Life::Zombie;
    st.send(Actor::PmMaster, Actor::Pma(from), Msg::ExitAck { pid });
    wake_waiters(st, pid);
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

/// C3/C4: a PMA reports a process died in a crash.
pub fn on_process_died(st: &mut Sys, pid: Pid) {
    bury(st, pid);
}

fn bury(st: &mut Sys, pid: Pid) {
    if st.pmm.pids[pid as usize].life == Life::Alive {
        // A crash leaves no exit status to wait for: the child is dead, not a zombie. A parked
        // wait() of its parent is answered (ECHILD-like) so it does not hang.
        st.pmm.pids[pid as usize].life = Life::Dead;
        wake_waiters(st, pid);
    }
}

/// The PM Master's dead-name notification for a crashed node: every process it locates
/// there is dead (spec §5).
pub fn can_bury_node(st: &Sys, n: NodeId) -> bool {
    !st.alive(n) && !st.pmm.buried.contains(&n)
}

pub fn bury_node(st: &mut Sys, n: NodeId) {
    st.pmm.buried.push(n);
    st.pmm.buried.sort_unstable();
    for pid in 0..st.pmm.pids.len() as Pid {
        if st.pmm.pids[pid as usize].node == n {
            bury(st, pid);
        }
    }
    // wait() calls parked on behalf of a PMA that died are gone with it.
    st.pmm.waiters.retain(|w| w.2 != n);
}

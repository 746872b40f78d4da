//! The client side of the vproc framework (spec §3.1, R15, R16): a call from a co-resident
//! emulator goes to local operations when this PMA holds the target, to a client stub towards
//! the PMA its vproc names, or to a look-up at the PM Master; an AbsentProcess answer sends the
//! caller back to the PM Master and the vproc is updated lazily.

use super::answer::complete;
use super::server::accept_here;
use crate::config::Config;
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;

/// An emulator's system call reaches the PMA its capability names.
pub fn on_syscall(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId) {
    route(st, cfg, node, req);
}

/// The vproc operation table: local operations when this PMA holds the target, a client stub
/// to the PMA the vproc names, or a look-up at the PM Master when it names none.
pub fn route(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    st.reqs[req as usize].status = ReqStatus::Routing;
    if !matches!(st.pma(node).procs[target as usize], Local::Free) {
        accept_here(st, cfg, node, req);
        return;
    }
    match st.pma(node).vprocs[target as usize] {
        Vproc::Remote(m) if m != node => {
            st.send(Actor::Pma(node), Actor::Pma(m), Msg::Request { req });
        }
        _ => {
            st.send(Actor::Pma(node), Actor::PmMaster, Msg::Relookup { req });
        }
    }
}

/// Server stub: a request from the client stub at `from`.
pub fn on_request(st: &mut Sys, cfg: &Config, node: NodeId, from: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    let reserved = matches!(st.pma(node).procs[target as usize], Local::Incoming { .. });
    if matches!(st.pma(node).procs[target as usize], Local::Free)
        || (reserved && cfg.mutant_is(Mutant::AbsentWhileReserved))
    {
        absent_process(st, node, from, req);
    } else {
        accept_here(st, cfg, node, req);
    }
}

/// R15 AbsentProcess: no embedded RPC on the caller's behalf, just the error.
pub(super) fn absent_process(st: &mut Sys, node: NodeId, to: NodeId, req: ReqId) {
    let target = st.reqs[req as usize].target;
    if !matches!(st.pma(node).procs[target as usize], Local::Free) {
        // P14: only a PMA that holds nothing for the process may say it is absent.
        st.ghost.p14_broken = true;
    }
    // L2's safety half: a detour after the caller's look-up needs a move of the target since
    // that look-up, unless the PM Master answered it with a report about the target still
    // unread (the lazy update costs one detour per move, never a chain; spec §6.2).
    let r = st.reqs[req as usize];
    let epoch = r.absent & 0x7F;
    if epoch != 0 && r.absent & 0x80 == 0 && st.ghost.moves[target as usize] < epoch {
        st.ghost.l2_broken = true;
    }
    let e = &st.pmm.pids[target as usize];
    // A death or exit this PMA has reported (C3, C4, PM2) but the PM Master has not yet read
    // is no broken promise: the PM Master will answer "dead" once it has.
    let death_reported = st.net.iter().any(|e| {
        e.src == Actor::Pma(node)
            && (matches!(e.msg, Msg::ProcessDied { pid, .. } if pid == target)
                || e.msg == Msg::ExitNotify { pid: target })
    });
    if e.life == Life::Alive && e.node == node && !death_reported {
        // P9: the PM Master would send the caller straight back here.
        st.ghost.p9_broken = true;
    }
    st.send(Actor::Pma(node), Actor::Pma(to), Msg::AbsentProcess { req });
}

/// Whether the PM Master's answer for `pid` may lag behind the truth: it has a report about
/// the process still to read (its death, exit, creation or new location), or a pid it gave a
/// `fork()` is not yet created (spec §6.2, L2).
pub fn pmm_behind(st: &Sys, pid: Pid) -> bool {
    st.pmm.pids[pid as usize].life == Life::Embryo
        || st.net.iter().any(|e| match e.msg {
            Msg::ProcessDied { pid: p, .. }
            | Msg::ExitNotify { pid: p }
            | Msg::ChildCreated { pid: p }
            | Msg::ForkAborted { pid: p }
            | Msg::LocationUpdate { pid: p, .. } => p == pid,
            Msg::PidAllocated { child, .. } => child == Some(pid),
            _ => false,
        })
}

/// R16 Relookup, first half: the caller asks the PM Master.
pub fn on_absent(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId) {
    if cfg.mutant_is(Mutant::AbsentAsNoSuchProcess) {
        complete(st, req, Outcome::NoSuchProcess);
        return;
    }
    // S-absent-relookup: the caller asks the PM Master after an AbsentProcess.
    st.see(Seen::ABSENT_RELOOKUP);
    st.send(Actor::Pma(node), Actor::PmMaster, Msg::Relookup { req });
}

/// R16 Relookup, second half: update the vproc lazily and re-send.
pub fn on_located(st: &mut Sys, cfg: &Config, node: NodeId, req: ReqId, loc: Option<NodeId>) {
    let target = st.reqs[req as usize].target;
    match loc {
        None => complete(st, req, Outcome::NoSuchProcess),
        Some(m) if cfg.mutant_is(Mutant::RelookupKeepsVproc) => {
            if m == node && matches!(st.pma(node).procs[target as usize], Local::Free) {
                st.send(Actor::Pma(node), Actor::PmMaster, Msg::Relookup { req });
            } else {
                route(st, cfg, node, req);
            }
        }
        Some(m) => {
            st.pma_mut(node).vprocs[target as usize] = if m == node {
                Vproc::Local
            } else {
                Vproc::Remote(m)
            };
            if m == node && matches!(st.pma(node).procs[target as usize], Local::Free) {
                // The PM Master names this node but the proc is gone: ask again.
                st.send(Actor::Pma(node), Actor::PmMaster, Msg::Relookup { req });
            } else {
                route(st, cfg, node, req);
            }
        }
    }
}

pub fn on_reply(st: &mut Sys, req: ReqId, outcome: Outcome) {
    complete(st, req, outcome);
}

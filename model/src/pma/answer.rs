//! Answering the sender (spec §3.1), and the accounting done when a migration ends: the
//! moves L2 counts, the migrations A1 counts, and the group outcomes of G1.

use crate::config::Config;
use crate::linearizability as u1;
use crate::state::*;
use crate::types::*;
use crate::user_spec::Ret;

/// Marks a request answered and frees the sender's slot.
pub fn complete(st: &mut Sys, req: ReqId, outcome: Outcome) {
    let r = &mut st.reqs[req as usize];
    debug_assert!(!matches!(
        r.status,
        ReqStatus::Completed(_) | ReqStatus::Lost
    ));
    r.status = ReqStatus::Completed(outcome);
    match r.sender {
        Sender::Proc(p) => st.emus[p as usize].outstanding -= 1,
        Sender::Pcntl => st.pcntl_outstanding -= 1,
    }
    let ret = u1::ret_of(st, req, outcome);
    u1::ret(st, req, ret);
    // The payload has been read by its receiver, and L2's epoch is over; keeping them would
    // tell apart states that differ only in an old answer.
    st.reqs[req as usize].detail = 0;
    st.reqs[req as usize].absent = 0;
}

/// Answers the caller of a migration at its end: the `pcntl` request, or, for a G1 member that
/// the PMA started without a caller of its own, the member's U1 operation (spec §13.4).
pub fn answer_migration(
    st: &mut Sys,
    node: NodeId,
    pid: Pid,
    caller: Option<ReqId>,
    outcome: Outcome,
) {
    match caller {
        Some(c) => respond(st, node, c, outcome),
        None => {
            let ret = match outcome {
                Outcome::Migrated => Ret::Migrated,
                Outcome::Refused => Ret::Refused,
                Outcome::Abandoned => Ret::Abandoned,
                Outcome::Rejected => Ret::Rejected,
                Outcome::Died => Ret::Died,
                Outcome::Ok | Outcome::NoSuchProcess => Ret::NoSuchProcess,
            };
            u1::ret(st, u1::group_op(pid), ret);
        }
    }
}

/// The serving PMA at `node` answers: directly when it is also the caller's PMA, otherwise by
/// a Reply to the client stub.
pub fn respond(st: &mut Sys, node: NodeId, req: ReqId, outcome: Outcome) {
    let caller = st.reqs[req as usize].caller_node;
    if caller == node {
        complete(st, req, outcome);
    } else {
        st.reqs[req as usize].status = ReqStatus::Routing;
        st.send(
            Actor::Pma(node),
            Actor::Pma(caller),
            Msg::Reply { req, outcome },
        );
    }
}

/// L2 monitor: `pid` changed PMA or died.
pub fn bump_moves(st: &mut Sys, pid: Pid) {
    let m = &mut st.ghost.moves[pid as usize];
    *m = m.saturating_add(1);
}

/// S-group-migrated and S-group-split (G1), checked when a member's migration ends: every
/// member active on one node and migrated at least once, or, with no migration left in
/// progress and no member left to start, members active on different nodes. Both name no
/// node by number, so the test nodes stay interchangeable (spec §8.3; "a node other than node
/// 1" did not, which the oracle's symmetry check found).
pub fn group_outcome(st: &mut Sys, cfg: &Config) {
    if !cfg.group {
        return;
    }
    let nodes: Vec<_> = (0..cfg.pids()).map(|p| st.active_node(p)).collect();
    if nodes.iter().any(|n| n.is_none()) {
        return;
    }
    let all_moved = (0..cfg.pids() as usize).all(|p| st.ghost.migrations[p] > 0);
    if all_moved && nodes.windows(2).all(|w| w[0] == w[1]) {
        st.see(Seen::GROUP_MIGRATED);
    }
    // Quiet: no migration in progress, and no member still to be started. Between two
    // members of a group migration one after another, or before a `MemberMigrate` reaches a
    // member elsewhere, the members are apart for a while without any refusal.
    let group_pending = st.pmm.group.is_some()
        || st.net.iter().any(|e| {
            matches!(
                e.msg,
                Msg::GroupMigrate { .. } | Msg::MemberMigrate { .. } | Msg::GroupStep { .. }
            )
        });
    let quiet = !group_pending
        && st.nodes.iter().filter(|n| n.alive).all(|n| {
            n.pma
                .procs
                .iter()
                .all(|l| matches!(l, Local::Free | Local::Active { out: None, .. }))
        });
    if quiet && nodes.windows(2).any(|w| w[0] != w[1]) {
        st.see(Seen::GROUP_SPLIT);
    }
}

/// A1 monitor: one more completed migration of `pid` (R13, or T1's arrival).
pub(super) fn count_migration(st: &mut Sys, pid: Pid) {
    let g = &mut st.ghost.migrations[pid as usize];
    *g = g.saturating_add(1);
    if *g >= 2 {
        st.see(Seen::MIGRATED_TWICE);
    }
}

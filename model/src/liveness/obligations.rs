//! What the liveness check checks (spec §6.2): the weak-fairness key of each step, and L1-L6
//! as families of obligations `□(trigger → ◇ goal)`, one per pid or per request.

use std::hash::Hash;

use crate::config::{Config, Mode};
use crate::model::Action;
use crate::state::*;
use crate::types::*;

/// What weak fairness is about: a delivery of one envelope, or one PMA/kernel step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FairKey {
    Deliver(Envelope),
    Step(Action),
}

/// The weak-fairness key of an action enabled in `st`; `None` for the environment's choices.
pub fn fairness_key(st: &Sys, action: &Action) -> Option<FairKey> {
    match action {
        Action::Deliver { idx, .. } => st.net.get(*idx as usize).map(|e| FairKey::Deliver(*e)),
        Action::Suspend { .. }
        | Action::AbortRestartable { .. }
        | Action::Freeze { .. }
        | Action::Detach { .. }
        | Action::Pull { .. }
        | Action::Install { .. }
        | Action::InformPmm { .. }
        | Action::FinishExit { .. }
        | Action::PreCopy { .. }
        | Action::PreCopyDone { .. }
        | Action::Detect { .. }
        | Action::Bury { .. } => Some(FairKey::Step(action.clone())),
        Action::Issue { .. }
        | Action::FileRead { .. }
        | Action::ConsumeReply { .. }
        | Action::Touch { .. }
        | Action::Dirty { .. }
        | Action::PcntlMigrate { .. }
        | Action::PcntlAllow { .. }
        | Action::Crash { .. }
        | Action::Abandon { .. } => None,
    }
}

fn live_nodes(st: &Sys) -> impl Iterator<Item = (NodeId, &Node)> {
    st.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.alive)
        .map(|(i, n)| (i as NodeId, n))
}

/// L1's trigger: pid `p` is in migration — some live PMA is freezing it (`Active` with an
/// outgoing migration), holds it migrating or reserved, or (T1) has a task migration pending.
pub fn l1_in_migration(st: &Sys, p: Pid) -> bool {
    live_nodes(st).any(|(_, n)| match &n.pma.procs[p as usize] {
        Local::Active { out: Some(_), .. } | Local::Migrating { .. } | Local::Incoming { .. } => {
            true
        }
        Local::Active { proc, out: None } => proc.task_migrating.is_some(),
        Local::Free => false,
    })
}

/// L2's trigger: request `r` is being routed (in transit, being looked up or re-sent).
pub fn l2_routing(st: &Sys, r: ReqId) -> bool {
    st.reqs
        .get(r as usize)
        .is_some_and(|q| q.status == ReqStatus::Routing)
}

/// L2's safety half: at most one AbsentProcess per migration of the target since the caller's
/// last look-up (plus the one that started it).
pub fn l2_absent_bounded(st: &Sys) -> bool {
    !st.ghost.l2_broken
}

/// L3's trigger: request `r` is not answered yet. A `wait()` in progress is an obligation only
/// once its waiter has no living child (alive or being forked, as the PM Master counts them):
/// until then its answer waits for a child's `exit()`, an environment choice (spec §6.2).
/// Likewise a `sigsuspend()` in progress only once a signal to its process has been sent and
/// not answered: until then its answer waits for a `kill()`, another environment choice.
pub fn l3_unanswered(st: &Sys, r: ReqId) -> bool {
    st.reqs.get(r as usize).is_some_and(|q| match q.status {
        ReqStatus::Completed(_) | ReqStatus::Lost => false,
        ReqStatus::InProgress { .. } if q.call == Call::Wait => !st
            .pmm
            .pids
            .iter()
            .any(|e| e.parent == Some(q.target) && matches!(e.life, Life::Alive | Life::Embryo)),
        ReqStatus::InProgress { .. } if q.call == Call::Sigsuspend => st.reqs.iter().any(|s| {
            s.call == Call::Signal
                && s.target == q.target
                && !matches!(s.status, ReqStatus::Completed(_) | ReqStatus::Lost)
        }),
        ReqStatus::InProgress { .. } | ReqStatus::Routing | ReqStatus::Queued { .. } => true,
    })
}

/// L4's goal: pid `p` is consistent — dead (or a zombie) with no PMA entry and no task on any
/// live node, or alive and active on exactly one live PMA, with its task on that node's kernel
/// (process migration) or on some live kernel (task migration), and no migrating or reserved
/// copy anywhere.
pub fn l4_consistent(cfg: &Config, st: &Sys, p: Pid) -> bool {
    let i = p as usize;
    match st.pmm.pids[i].life {
        Life::Embryo => false,
        Life::Dead | Life::Zombie | Life::Unborn => live_nodes(st)
            .all(|(_, n)| matches!(n.pma.procs[i], Local::Free) && n.kernel.tasks[i].is_none()),
        Life::Alive => {
            let active: Vec<NodeId> = live_nodes(st)
                .filter(|(_, n)| matches!(n.pma.procs[i], Local::Active { .. }))
                .map(|(k, _)| k)
                .collect();
            let [a] = active[..] else { return false };
            let task_ok = match cfg.mode {
                Mode::Process => st.nodes[a as usize].kernel.tasks[i].is_some(),
                Mode::Task => st.task_node(p).is_some(),
            };
            task_ok
                && live_nodes(st).all(|(_, n)| {
                    !matches!(
                        n.pma.procs[i],
                        Local::Migrating { .. } | Local::Incoming { .. }
                    )
                })
        }
    }
}

/// L4's trigger: a crash happened and `p` is not consistent.
pub fn l4_pending(cfg: &Config, st: &Sys, p: Pid) -> bool {
    st.crashes > 0 && !l4_consistent(cfg, st, p)
}

/// L5's trigger: some member of the migration group is in migration.
pub fn l5_trigger(st: &Sys) -> bool {
    (0..st.emus.len() as Pid).any(|p| l1_in_migration(st, p))
}

/// L5's goal: no member is in migration and every living member is active on one node. A
/// member that died with a crashed node is active nowhere and no longer counts (with no member
/// in migration, a member active nowhere is dead): otherwise a crash that kills the whole group
/// would leave L5 pending for ever (found by the run `crash-group`).
pub fn l5_goal(st: &Sys) -> bool {
    let mut nodes = (0..st.emus.len() as Pid).filter_map(|p| st.active_node(p));
    let first = nodes.next();
    !l5_trigger(st) && nodes.all(|n| Some(n) == first)
}

/// L6's trigger: pid `p` has a file read whose reply has not reached its port. A read blocks
/// the process until the reply is there (spec §6.2), so some copy of its task — on a live
/// kernel, or in transit to one — is reading with no reply queued. The reply goes to the task
/// port wherever the task is (the paper: "messages ... are forwarded to the new location"); a
/// crash of the task's node destroys the task and with it the obligation.
pub fn l6_read_unanswered(st: &Sys, p: Pid) -> bool {
    let waiting = |t: &crate::state::Task| t.reading && t.port_queue == 0;
    live_nodes(st).any(|(_, n)| n.kernel.tasks[p as usize].as_ref().is_some_and(waiting))
        || st.net.iter().any(|e| {
            e.dst.node().is_some_and(|n| st.alive(n))
                && matches!(&e.msg, Msg::TaskState { pid, task } if *pid == p && waiting(task))
        })
}

/// One obligation: a liveness property instantiated for one pid or one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Obligation {
    L1(Pid),
    L2(ReqId),
    L3(ReqId),
    L4(Pid),
    L5,
    L6(Pid),
}

impl Obligation {
    pub fn prop(self) -> &'static str {
        match self {
            Obligation::L1(_) => "L1",
            Obligation::L2(_) => "L2",
            Obligation::L3(_) => "L3",
            Obligation::L4(_) => "L4",
            Obligation::L5 => "L5",
            Obligation::L6(_) => "L6",
        }
    }

    /// (trigger, goal) in `st`. Every obligation but L5 is a state predicate: the trigger is
    /// the negation of the goal. L5's trigger is a migration starting; it stays pending until
    /// the goal holds.
    pub fn eval(self, cfg: &Config, st: &Sys) -> (bool, bool) {
        let state = |pending: bool| (pending, !pending);
        match self {
            Obligation::L1(p) => state(l1_in_migration(st, p)),
            Obligation::L2(r) => state(l2_routing(st, r)),
            Obligation::L3(r) => state(l3_unanswered(st, r)),
            Obligation::L4(p) => state(l4_pending(cfg, st, p)),
            Obligation::L5 => (l5_trigger(st), l5_goal(st)),
            Obligation::L6(p) => state(l6_read_unanswered(st, p)),
        }
    }

    pub(super) fn describe(self) -> String {
        match self {
            Obligation::L1(p) => format!("pid {p} stays in migration"),
            Obligation::L2(r) => format!("request {r} is routed forever"),
            Obligation::L3(r) => format!("request {r} is never answered"),
            Obligation::L4(p) => format!("pid {p} never becomes consistent after the crash"),
            Obligation::L5 => "the group never ends active on one node".to_string(),
            Obligation::L6(p) => format!("pid {p}'s file read is never answered"),
        }
    }
}

/// The liveness properties that apply to `cfg`: (ID, name).
pub fn properties(cfg: &Config) -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    if cfg.migrates() {
        v.push(("L1", "L1 each migration ends"));
    }
    v.push(("L2", "L2 lazy vproc update terminates"));
    v.push(("L3", "L3 every request eventually answered"));
    if cfg.crashes_max > 0 {
        v.push(("L4", "L4 consistent after a crash"));
    }
    if cfg.group {
        v.push(("L5", "L5 group ends on one node"));
    }
    if cfg.reads_files() {
        v.push(("L6", "L6 every file read answered"));
    }
    v
}

/// The obligations of `cfg`, in bit order.
pub fn obligations(cfg: &Config) -> Vec<Obligation> {
    let pids = 0..cfg.pids();
    let reqs = 0..cfg.requests_max.saturating_add(cfg.migrations_max);
    let mut v: Vec<Obligation> = pids.clone().map(Obligation::L1).collect();
    v.extend(reqs.clone().map(Obligation::L2));
    v.extend(reqs.map(Obligation::L3));
    if cfg.crashes_max > 0 {
        v.extend(pids.map(Obligation::L4));
    }
    if cfg.group {
        v.push(Obligation::L5);
    }
    if cfg.reads_files() {
        v.extend((0..cfg.pids()).map(Obligation::L6));
    }
    assert!(
        v.len() <= 64,
        "{} liveness obligations do not fit a 64-bit mask",
        v.len()
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OsfModel;
    use crate::presets::find_run;
    use stateright::Model;

    #[test]
    fn refusal_and_acceptance_share_a_fairness_key() {
        let run = find_run("group").unwrap();
        let model = OsfModel::new(run.config);
        let mut en = Vec::new();
        let mut seen = false;
        // Find a state with a MigrateRequest deliverable and compare both choices' keys.
        let mut st = model.init_states().remove(0);
        for _ in 0..64 {
            en.clear();
            model.enabled(&st, &mut en);
            let acc = en.iter().find(|a| {
                matches!(
                    a,
                    Action::Deliver {
                        exhausted: true,
                        ..
                    }
                )
            });
            if let Some(Action::Deliver { idx, .. }) = acc {
                let refuse = fairness_key(
                    &st,
                    &Action::Deliver {
                        idx: *idx,
                        exhausted: true,
                    },
                );
                let accept = fairness_key(
                    &st,
                    &Action::Deliver {
                        idx: *idx,
                        exhausted: false,
                    },
                );
                assert_eq!(refuse, accept);
                assert!(refuse.is_some());
                seen = true;
                break;
            }
            // Protocol steps first; else the last environment choice (a migration to node 2).
            let Some(a) = en
                .iter()
                .find(|a| fairness_key(&st, a).is_some())
                .or(en.last())
            else {
                break;
            };
            st = model.step(&st, a).unwrap();
        }
        assert!(seen, "a MigrateRequest was delivered");
    }
}

//! spec §11.4 / §3.3.4 G1 at the PMAs: "adding a process to a migration process group, to
//! force the migration of the whole group of processes when one member is migrated" (paper
//! §4). The leader's PMA knows only the processes on its own lists; the PM Master, which
//! keeps the process group relationships and every process's node (paper §2), finds the
//! others (`pm_master`). Each member then migrates on its own, by R1–R14, answered to nobody.

use crate::pma::List;
use crate::timing::MsgKind;
use crate::workload::GroupOrder;
use crate::world::{Body, Ep, World};
use crate::{NodeId, Pid};

impl World {
    /// G1 after R1 started the leader: under all-at-once the co-resident members start
    /// freezing now; in either order the PM Master is told, for the members elsewhere (and,
    /// one after another, for every member in turn).
    pub fn start_group(&mut self, s: NodeId, leader: Pid, dst: NodeId) {
        // A group of one has nobody else to move (the PM Master has one process).
        if self.pmm.entries.len() < 2 {
            return;
        }
        self.group_source = Some(s);
        if self.cfg.group_order == GroupOrder::AllAtOnce {
            let here: Vec<Pid> = self.nodes[s]
                .pma
                .procs
                .keys()
                .copied()
                .filter(|&m| m != leader && self.may_move_member(s, m))
                .collect();
            for m in here {
                self.move_member(s, m, dst);
            }
        }
        self.send(
            Ep::Pma(s),
            Ep::Pmm,
            MsgKind::Async,
            0,
            0,
            Body::GroupMigrate { leader, dst },
        );
    }

    /// R1's conditions for a member, which has no caller to refuse: on the active list here
    /// with its task here, not migrating (nor its task), allowed (G2), not exiting, and not
    /// waiting for a forwarded queue (the P11 fix).
    fn may_move_member(&self, s: NodeId, m: Pid) -> bool {
        self.nodes[s].pma.procs.get(&m).is_some_and(|p| {
            p.list == List::Active
                && p.out.is_none()
                && p.allowed
                && !p.exiting
                && !p.task_mode
                && p.task_moving.is_none()
                && p.awaiting_forward.is_none()
                && p.task_node == s
        })
    }

    fn move_member(&mut self, s: NodeId, m: Pid, dst: NodeId) {
        let now = self.now();
        self.trace.log(
            now,
            s,
            "G1",
            format_args!("group member pid {m} migrates too"),
        );
        self.stats.ensure(m, now);
        self.freeze_one(s, m, dst, None);
    }

    /// The PM Master's `MemberMigrate` at the member's PMA. A member that no longer meets
    /// R1's conditions here (it left, is migrating, exiting or disallowed), or whose
    /// destination is down, is skipped (spec §3.3.4); one after another, the PM Master hears
    /// of the skip at once, and of a started member once it is frozen.
    pub fn on_member_migrate(&mut self, at: Ep, pid: Pid, dst: NodeId) {
        let Ep::Pma(s) = at else { return };
        if dst != s && self.nodes[dst].alive && self.may_move_member(s, pid) {
            self.move_member(s, pid, dst);
        } else {
            let now = self.now();
            self.trace.log(
                now,
                s,
                "G1",
                format_args!("group member pid {pid} stays (not movable here)"),
            );
            self.group_step(s, pid);
        }
    }

    /// One after another: tells the PM Master that this member's freeze is over, frozen and
    /// detached (R6) or given up before R6 (an abandon, C2), or never started.
    pub fn group_step(&mut self, s: NodeId, pid: Pid) {
        if self.cfg.group
            && self.cfg.group_order == GroupOrder::OneAfterAnother
            && self.pmm.entries.len() >= 2
        {
            self.send(
                Ep::Pma(s),
                Ep::Pmm,
                MsgKind::Async,
                0,
                0,
                Body::GroupStep { pid },
            );
        }
    }
}

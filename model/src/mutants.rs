//! Seeded protocol bugs (spec §7). Each one names the property that must catch it and the
//! preset run in which it is caught; `tests/tests/spec_7_mutants.rs` checks every entry.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mutant {
    /// R13: the destination replies Done before the PM Master acknowledges the new location.
    PmmUpdateAfterCleanup,
    /// R8: the pending queue is dropped when the destination refuses.
    DropQueueOnRefusal,
    /// R10: the source abandons without the kernel handshake, so a pull in flight still wins.
    AbandonAfterPull,
    /// R11: the source kernel leaves a runnable copy of the threads after shipping the task.
    ResumeSourceAfterCommit,
    /// R12: only the first emulator capability to the source PMA is replaced.
    ReattachSomeCaps,
    /// R14: the queue is forwarded to the destination and also served locally.
    ForwardTwice,
    /// R3/R5: the state is extracted without suspending the threads.
    NoSuspend,
    /// R4/R5: the state is extracted while a system call is still in progress.
    IgnoreInProgress,
    /// R7: the destination refuses but keeps its reservation.
    RefuseKeepsReservation,
    /// R13/A1: the destination restarts the usage counters from zero.
    RusageReset,
    /// R13/P10: the destination re-registers the process with default relationships.
    RelationshipsReset,
    /// R6: the proc stays on the source's active list instead of moving to migrating.
    DetachKeepsActive,
    /// P11 fix: the destination serves direct requests before the forwarded queue.
    P11FixSkipped,
    /// PM3: the PM Master hands out the pid of a zombie not yet reaped.
    PidReuse,
}

/// One catalog entry: the mutant, the property that catches it, the preset run that shows it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct MutantInfo {
    pub mutant: Mutant,
    pub name: &'static str,
    pub catches: &'static str,
    /// A run name of the `mutants` preset (spec §8).
    pub run: &'static str,
    pub summary: &'static str,
}

pub const CATALOG: &[MutantInfo] = &[
    MutantInfo {
        mutant: Mutant::PmmUpdateAfterCleanup,
        name: "pmm_update_after_cleanup",
        catches: "P9",
        run: "self-calls",
        summary: "Done sent before the PM Master acknowledges the location update",
    },
    MutantInfo {
        mutant: Mutant::DropQueueOnRefusal,
        name: "drop_queue_on_refusal",
        catches: "P5",
        run: "refusal-queue",
        summary: "queued requests dropped when the destination refuses",
    },
    MutantInfo {
        mutant: Mutant::AbandonAfterPull,
        name: "abandon_after_pull",
        catches: "P3",
        run: "abandon",
        summary: "abandon without the kernel handshake: a pull in flight still takes the task",
    },
    MutantInfo {
        mutant: Mutant::ResumeSourceAfterCommit,
        name: "resume_source_after_commit",
        catches: "P2",
        run: "null-migration",
        summary: "threads left runnable on the source after the task is shipped",
    },
    MutantInfo {
        mutant: Mutant::ReattachSomeCaps,
        name: "reattach_some_caps",
        catches: "P7",
        run: "null-migration",
        summary: "only some emulator capabilities reattached to the destination PMA",
    },
    MutantInfo {
        mutant: Mutant::ForwardTwice,
        name: "forward_twice",
        catches: "P6",
        run: "self-calls",
        summary: "pending queue forwarded to the destination and also served at the source",
    },
    MutantInfo {
        mutant: Mutant::NoSuspend,
        name: "no_suspend",
        catches: "P4",
        run: "null-migration",
        summary: "state extracted while the threads still run",
    },
    MutantInfo {
        mutant: Mutant::IgnoreInProgress,
        name: "ignore_in_progress",
        catches: "P4",
        run: "wait-freeze",
        summary: "state extracted while a wait() is in progress",
    },
    MutantInfo {
        mutant: Mutant::RefuseKeepsReservation,
        name: "refuse_keeps_reservation",
        catches: "P8",
        run: "refusal-queue",
        summary: "the destination refuses but keeps the reserved proc",
    },
    MutantInfo {
        mutant: Mutant::RusageReset,
        name: "rusage_reset",
        catches: "A1",
        run: "self-calls",
        summary: "usage accumulated on previous nodes lost at the destination",
    },
    MutantInfo {
        mutant: Mutant::RelationshipsReset,
        name: "relationships_reset",
        catches: "P10",
        run: "two-procs-signal",
        summary: "the PM Master re-registers the migrated process without its parent",
    },
    MutantInfo {
        mutant: Mutant::DetachKeepsActive,
        name: "detach_keeps_active",
        catches: "P1",
        run: "null-migration",
        summary: "R6 leaves the proc on the source's active list",
    },
    MutantInfo {
        mutant: Mutant::P11FixSkipped,
        name: "p11_fix_skipped",
        catches: "P11",
        run: "p11-fixed",
        summary: "with the P11 fix on, the destination still serves direct requests first",
    },
    MutantInfo {
        mutant: Mutant::PidReuse,
        name: "pid_reuse",
        catches: "P1",
        run: "fork-reuse",
        summary: "the PM Master gives a new process the pid of an unreaped zombie",
    },
];

pub fn by_name(name: &str) -> Option<&'static MutantInfo> {
    CATALOG.iter().find(|m| m.name == name)
}

pub fn info(m: Mutant) -> &'static MutantInfo {
    CATALOG
        .iter()
        .find(|i| i.mutant == m)
        .expect("every mutant has a catalog entry")
}

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
    // The mutants below were written before any property was run against them (spec §7):
    // each is a plausible slip in the handler it names, not a bug made to fit a property.
    /// R10: the source abandons and reinstates the process but forgets to resume its threads.
    AbandonLeavesSuspended,
    /// R8: the source reinstates the process on Refused but never answers the `pcntl` caller.
    RefusedCallerNotTold,
    /// R11/R12: the destination kernel resumes the threads as soon as the task arrives, before
    /// the PMA has installed the process and reattached its capabilities.
    TaskRunsOnArrival,
    /// R15: a request reaching the destination while the process is reserved there (before
    /// R13) is answered AbsentProcess instead of being held.
    AbsentWhileReserved,
    /// R16: the caller takes AbsentProcess for "no such process" and answers ESRCH instead of
    /// asking the PM Master.
    AbsentAsNoSuchProcess,
    /// R14: the source answers every queued request Ok itself instead of forwarding it.
    ForwardAnswersOk,
    /// R16: on Located the caller re-sends through its old vproc without updating it.
    RelookupKeepsVproc,
    /// R16: the PM Master answers a look-up with the previous location while that node has
    /// not reported its clean-up (a stale cached location).
    PmmLocatesPrevious,
    /// PM3: the forking PMA never reports the child created, so the pid stays an embryo.
    ForkChildNotReported,
    /// PM2: the PM Master records the zombie but does not wake a parked `wait()`.
    ExitSkipsWaiters,
    /// R8: after a refusal or abandon the queued requests are answered ESRCH instead of
    /// being served.
    ReinstateQueueNoSuchProcess,
    /// C4: the destination kills a migrated process when its source dies, although no page
    /// of it is left there (eager copy, pre-copy, flushing).
    CrashKillsSurvivor,
    /// R2: a request is put at the head of the pending queue instead of the tail.
    EnqueueLifo,
    /// C3: on the destination's death after the pull, the source answers the `pcntl` caller
    /// but keeps the migrating entry.
    C3KeepsMigrating,
    /// R8: after a refusal the proc structure goes back on the active list but the task's
    /// threads stay suspended (R3's suspension is not undone).
    RefusalLeavesSuspended,
    /// FS1: DIPC drops a message to a task port while the task is in transit, instead of
    /// holding it until the task is installed.
    PortDropsInTransit,
}

/// One catalog entry: the mutant, the property that catches it, the preset run that shows it.
/// `catches` is `"?"` for a mutant written but not yet run against the properties (spec §7:
/// mutants are written before looking at what catches them).
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
    MutantInfo {
        mutant: Mutant::AbandonLeavesSuspended,
        name: "abandon_leaves_suspended",
        catches: "P12",
        run: "abandon",
        summary: "R10 reinstates the process without resuming its threads",
    },
    MutantInfo {
        mutant: Mutant::RefusedCallerNotTold,
        name: "refused_caller_not_told",
        catches: "P5",
        run: "refusal-queue",
        summary: "R8 never answers the pcntl caller after a refusal",
    },
    MutantInfo {
        mutant: Mutant::TaskRunsOnArrival,
        name: "task_runs_on_arrival",
        catches: "P13",
        run: "null-migration",
        summary: "the task's threads run at D before R12 installs and reattaches",
    },
    MutantInfo {
        mutant: Mutant::AbsentWhileReserved,
        name: "absent_while_reserved",
        catches: "P14",
        run: "four-nodes",
        summary: "a request reaching a reservation is answered AbsentProcess",
    },
    MutantInfo {
        mutant: Mutant::AbsentAsNoSuchProcess,
        name: "absent_as_no_such_process",
        catches: "U1",
        run: "self-calls",
        summary: "AbsentProcess taken for ESRCH instead of a look-up",
    },
    MutantInfo {
        mutant: Mutant::ForwardAnswersOk,
        name: "forward_answers_ok",
        catches: "U1",
        run: "self-calls",
        summary: "queued requests answered Ok at S instead of forwarded",
    },
    MutantInfo {
        mutant: Mutant::RelookupKeepsVproc,
        name: "relookup_keeps_vproc",
        catches: "L2",
        run: "self-calls",
        summary: "the caller re-sends through its stale vproc after a look-up",
    },
    MutantInfo {
        mutant: Mutant::PmmLocatesPrevious,
        name: "pmm_locates_previous",
        catches: "L2",
        run: "self-calls",
        summary: "the PM Master answers a look-up with a stale location",
    },
    MutantInfo {
        mutant: Mutant::ForkChildNotReported,
        name: "fork_child_not_reported",
        catches: "L4",
        run: "fork-crash",
        summary: "the forked child is never reported created to the PM Master",
    },
    MutantInfo {
        mutant: Mutant::ExitSkipsWaiters,
        name: "exit_skips_waiters",
        catches: "L3",
        run: "r4-prime",
        summary: "exit() does not wake the parent's parked wait()",
    },
    MutantInfo {
        mutant: Mutant::ReinstateQueueNoSuchProcess,
        name: "reinstate_queue_no_such_process",
        catches: "U1",
        run: "refusal-queue",
        summary: "queued requests answered ESRCH after reinstatement",
    },
    MutantInfo {
        mutant: Mutant::CrashKillsSurvivor,
        name: "crash_kills_survivor",
        catches: "U1",
        run: "crash-eager",
        summary: "a migrated process killed by its source's crash without depending on it",
    },
    MutantInfo {
        mutant: Mutant::EnqueueLifo,
        name: "enqueue_lifo",
        catches: "P11",
        run: "p11-fixed",
        summary: "R2 puts a request at the head of the pending queue",
    },
    MutantInfo {
        mutant: Mutant::C3KeepsMigrating,
        name: "c3_keeps_migrating",
        catches: "L4",
        run: "crash-cor",
        summary: "C3 answers the caller but keeps the migrating entry",
    },
    MutantInfo {
        mutant: Mutant::RefusalLeavesSuspended,
        name: "refusal_leaves_suspended",
        catches: "P8",
        run: "refusal-queue",
        summary: "R8 after a refusal leaves the task's threads suspended",
    },
    MutantInfo {
        mutant: Mutant::PortDropsInTransit,
        name: "port_drops_in_transit",
        catches: "L6",
        run: "file-io",
        summary: "a file reply to a task in transit is dropped",
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

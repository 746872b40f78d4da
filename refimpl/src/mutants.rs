//! spec §12.14 Refimpl mutants: seeded protocol bugs in the reference implementation, each
//! of which trace conformance (replay of model traces, or validation of recorded traces)
//! must catch. Off by default; a conformance test switches one on through `World::mutant`.

/// A seeded bug in the refimpl.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mutant {
    /// R13: the PM Master is not told the new location.
    SkipPmmUpdate,
    /// R11/R12: D resumes the threads as soon as the task arrives, before installing it.
    ResumeBeforeInstall,
    /// R14: S answers Done but keeps the migrating proc structure (no clean-up).
    NoSourceCleanup,
    /// R8: a refusal leaves the process on the migrating list.
    RefusalNotReinstated,
    /// R10: the source abandons even after the pull took the task (past the commit point).
    AbandonAfterCommit,
    /// C*: the PM Master never buries the processes of a crashed node.
    NoBurial,
    /// PM2: exit terminates the task but keeps the proc structure.
    ExitKeepsProc,
    /// R14: S serves the queued `kill()` and `getrusage()` calls itself and forwards them
    /// all the same, so D serves them again (spec §6.1 P6).
    DoubleService,
    /// PM3: the pid broker hands out a dead pid whose last migration's source has not yet
    /// cleaned up (spec §10 finding 10's window).
    PidReuseDuringCleanup,
    /// R12/R13: D resumes the threads when it installs the task, before the capabilities
    /// are reattached and the PM Master is told.
    ResumeBeforeReattach,
    /// R13/R14: D sends `Done` to S as soon as it installs the task, so S forwards its queue
    /// and cleans up before the PM Master knows the new location.
    ForwardBeforePmmKnows,
}

impl Mutant {
    pub const ALL: [Mutant; 11] = [
        Mutant::SkipPmmUpdate,
        Mutant::ResumeBeforeInstall,
        Mutant::NoSourceCleanup,
        Mutant::RefusalNotReinstated,
        Mutant::AbandonAfterCommit,
        Mutant::NoBurial,
        Mutant::ExitKeepsProc,
        Mutant::DoubleService,
        Mutant::PidReuseDuringCleanup,
        Mutant::ResumeBeforeReattach,
        Mutant::ForwardBeforePmmKnows,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mutant::SkipPmmUpdate => "skip_pmm_update",
            Mutant::ResumeBeforeInstall => "resume_before_install",
            Mutant::NoSourceCleanup => "no_source_cleanup",
            Mutant::RefusalNotReinstated => "refusal_not_reinstated",
            Mutant::AbandonAfterCommit => "abandon_after_commit",
            Mutant::NoBurial => "no_burial",
            Mutant::ExitKeepsProc => "exit_keeps_proc",
            Mutant::DoubleService => "double_service",
            Mutant::PidReuseDuringCleanup => "pid_reuse_during_cleanup",
            Mutant::ResumeBeforeReattach => "resume_before_reattach",
            Mutant::ForwardBeforePmmKnows => "forward_before_pmm_knows",
        }
    }
}

//! Reachability (spec §6.3): the `sometimes` items, each the witness that a run reaches an
//! event of the paper's protocol, and the configurations in which each must be reached.

use super::{sometimes, PropDef};
use crate::config::{Config, Mode, Strategy};
use crate::model::OsfModel;
use crate::state::*;

macro_rules! seen_fn {
    ($name:ident, $bit:ident) => {
        pub fn $name(_: &OsfModel, st: &Sys) -> bool {
            st.ghost.seen.has(Seen::$bit)
        }
    };
}
seen_fn!(reach_refusal, REFUSAL);
seen_fn!(reach_abandon, ABANDON);
seen_fn!(reach_c1, C1);
seen_fn!(reach_c2, C2);
seen_fn!(reach_c3, C3);
seen_fn!(reach_c4_died, C4_DIED);
seen_fn!(reach_queued_forwarded, QUEUED_FORWARDED);
seen_fn!(reach_absent_relookup, ABSENT_RELOOKUP);
seen_fn!(reach_cor_fault, COR_FAULT_AFTER_MIGRATION);
seen_fn!(reach_migrated_twice, MIGRATED_TWICE);
seen_fn!(reach_task_only_call, TASK_ONLY_CALL_AT_SOURCE);
seen_fn!(reach_wait_delayed_freeze, WAIT_DELAYED_FREEZE);
seen_fn!(reach_r4_prime_abort, R4_PRIME_ABORT);
seen_fn!(reach_queued_reinstated, QUEUED_REINSTATED);
seen_fn!(reach_disallowed, DISALLOWED_REJECTED);
seen_fn!(reach_port_queue_moved, PORT_QUEUE_MOVED);
seen_fn!(reach_precopy_dirty, PRECOPY_DIRTY_RECOPIED);
seen_fn!(reach_flush_fault, FLUSH_FAULT_FROM_MASTER);
seen_fn!(reach_forked, FORKED);
seen_fn!(reach_c4_survived, C4_SURVIVED);
seen_fn!(reach_c4_queue_lost, C4_QUEUE_LOST);
seen_fn!(reach_admission_held, ADMISSION_HELD);
seen_fn!(reach_migrate_rejected_busy, MIGRATE_REJECTED_BUSY);
seen_fn!(reach_group_migrated, GROUP_MIGRATED);
seen_fn!(reach_group_split, GROUP_SPLIT);
seen_fn!(reach_group_remote, GROUP_REMOTE);
seen_fn!(reach_pid_reused, PID_REUSED);
seen_fn!(reach_sigsuspend_woken, SIGSUSPEND_WOKEN);
seen_fn!(reach_sigsuspend_pending, SIGSUSPEND_PENDING);
seen_fn!(reach_sigsuspend_aborted, SIGSUSPEND_ABORTED);
seen_fn!(reach_allow_changed, ALLOW_CHANGED);
// P11 overtaking reached (the finding's interesting case).
seen_fn!(reach_overtaken, OVERTAKEN);

/// Every reachability item (spec §6.3), each with whether it applies to `cfg` (whether the
/// configuration makes it reachable, so that `check` must prove it is). Trace validation
/// evaluates all of them: a refimpl may reach an item a run does not promise (spec §12.16).
pub fn reachability_items(cfg: &Config) -> Vec<(bool, PropDef)> {
    let process = cfg.mode == Mode::Process;
    let c = cfg.calls;
    // A `pcntl` call reaches a migrating process only from a second caller: one alone waits
    // for the migration's answer first.
    let reqs = cfg.requests_max > 0
        && (c.signal
            || c.getinfo
            || c.wait
            || c.exit
            || c.sigsuspend
            || (c.pcntl_allow && cfg.pcntl_callers_max > 1));
    let crash = cfg.crashes_max > 0;
    // Every item but the fork ones needs a migration (`Config::migrates`); the page items
    // need a page.
    let migrates = cfg.migrates();
    let mut v = Vec::new();
    let mut s = |cond: bool, p: PropDef| {
        let needs = match p.id {
            "S-fork" | "S-pid-reused" => true,
            "S-cor-fault" | "S-flush-fault" | "S-precopy-dirty" => migrates && cfg.pages_max > 0,
            _ => migrates,
        };
        v.push((cond && needs, p))
    };
    s(
        cfg.refusals,
        sometimes("S-refusal", "a refusal", reach_refusal),
    );
    s(
        cfg.abandon,
        sometimes("S-abandon", "an abandon", reach_abandon),
    );
    s(
        crash && process,
        sometimes("S-C1", "C1 source crash before the pull", reach_c1),
    );
    s(
        crash && process,
        sometimes("S-C2", "C2 destination crash before the pull", reach_c2),
    );
    s(
        crash && process,
        sometimes("S-C3", "C3 destination crash after the pull", reach_c3),
    );
    s(
        crash && process && matches!(cfg.strategy, Strategy::Cor),
        sometimes(
            "S-C4-died",
            "C4 source crash after the pull kills P (COR)",
            reach_c4_died,
        ),
    );
    s(
        crash && process && !matches!(cfg.strategy, Strategy::Cor),
        sometimes(
            "S-C4-survived",
            "C4 source crash after the pull, P survives",
            reach_c4_survived,
        ),
    );
    s(
        // Paper §3.2 (c): restarted only "if no system call request was enqueued on the
        // source node"; a request queued there and lost kills P at D instead. Under
        // copy-on-reference a page at the source kills it first (S-C4-died), unless a first
        // migration left the pages where the second one goes.
        crash
            && process
            && reqs
            && cfg.c4_queue_condition
            && (cfg.strategy != Strategy::Cor || cfg.pages_max == 0 || cfg.migrations_max >= 2),
        sometimes(
            "S-C4-queue-lost",
            "C4 source crash after the pull with requests queued there: P dies at D",
            reach_c4_queue_lost,
        ),
    );
    s(
        // Admission needs two migrations to one destination under way together: two
        // `pcntl` callers, or a group.
        cfg.admission
            && process
            && cfg.processes_max >= 2
            && (cfg.pcntl_callers_max >= 2 || cfg.group),
        sometimes(
            "S-admission-held",
            "a pull held back while another pull to the node is in progress (admission)",
            reach_admission_held,
        ),
    );
    s(
        process && reqs,
        sometimes(
            "S-queued-forwarded",
            "a request queued then forwarded",
            reach_queued_forwarded,
        ),
    );
    s(
        // The pcntl caller's vproc goes stale after a first migration; a second one reaches
        // the old node and is answered AbsentProcess.
        process && cfg.migrations_max >= 2,
        sometimes(
            "S-absent-relookup",
            "an AbsentProcess then relookup",
            reach_absent_relookup,
        ),
    );
    s(
        cfg.calls.touch && cfg.strategy == Strategy::Cor,
        sometimes(
            "S-cor-fault",
            "a COR fault after migration",
            reach_cor_fault,
        ),
    );
    s(
        cfg.calls.touch && cfg.strategy == Strategy::Flush,
        sometimes(
            "S-flush-fault",
            "a fault served by the backing store",
            reach_flush_fault,
        ),
    );
    s(
        cfg.migrations_max >= 2,
        sometimes(
            "S-migrated-twice",
            "a process migrated twice",
            reach_migrated_twice,
        ),
    );
    s(
        !process && reqs,
        sometimes(
            "S-task-only-call",
            "task-only migration serving a call from S",
            reach_task_only_call,
        ),
    );
    // wait() is pid 0's, and only with a child to wait for (`process::issuable`).
    let waits = cfg.calls.wait && cfg.pids() > 1;
    s(
        process && waits && !cfg.r4_prime,
        sometimes(
            "S-wait-delays-freeze",
            "a wait() delaying the freeze",
            reach_wait_delayed_freeze,
        ),
    );
    s(
        process && waits && cfg.r4_prime,
        sometimes(
            "S-r4-prime",
            "R4' aborts a wait() for restart",
            reach_r4_prime_abort,
        ),
    );
    // sigsuspend() is pid 0's, once; a signal reaches it from another process (or from
    // itself when alone, before the call), so both need two calls.
    let sigsuspends = c.sigsuspend && cfg.requests_max > 0;
    let signalled = sigsuspends && c.signal && cfg.requests_max >= 2;
    s(
        signalled && cfg.pids() > 1,
        sometimes(
            "S-sigsuspend-woken",
            "a signal ends a sigsuspend() in progress",
            reach_sigsuspend_woken,
        ),
    );
    s(
        signalled && cfg.pids() > 1,
        sometimes(
            "S-sigsuspend-pending",
            "a sigsuspend() returns at once for a signal delivered before it",
            reach_sigsuspend_pending,
        ),
    );
    s(
        process && sigsuspends && cfg.r4_prime,
        sometimes(
            "S-sigsuspend-aborted",
            "R4' aborts a sigsuspend() for restart",
            reach_sigsuspend_aborted,
        ),
    );
    s(
        c.pcntl_allow && cfg.requests_max > 0,
        sometimes(
            "S-allow-changed",
            "pcntl allows or disallows a migration at run time (G2)",
            reach_allow_changed,
        ),
    );
    s(
        process && reqs && (cfg.refusals || cfg.abandon),
        sometimes(
            "S-queued-reinstated",
            "a queued request served after reinstatement",
            reach_queued_reinstated,
        ),
    );
    s(
        // A member whose migration is disallowed (G2) never moves (finding 14). Spread over
        // two test nodes, a member is always at the leader's source or its destination, and
        // one at the destination does not move.
        cfg.group && cfg.disallowed.is_empty() && (!cfg.spread || cfg.nodes_max >= 4),
        sometimes(
            "S-group-migrated",
            "a whole group migrated",
            reach_group_migrated,
        ),
    );
    s(
        cfg.group && cfg.refusals,
        sometimes(
            "S-group-split",
            "a group split by a refusal",
            reach_group_split,
        ),
    );
    s(
        // A member on another node than the leader's: processes spread over the test nodes,
        // with a third test node for the group to go to (on two test nodes every member is
        // at the leader's source or at its destination).
        cfg.group_migrates() && cfg.disallowed.is_empty() && cfg.spread && cfg.nodes_max >= 4,
        sometimes(
            "S-group-remote",
            "a group member on another node than the leader's frozen for the group",
            reach_group_remote,
        ),
    );
    s(
        !cfg.disallowed.is_empty() || (c.pcntl_allow && cfg.requests_max > 0),
        sometimes(
            "S-disallowed",
            "a migration disallowed by pcntl (G2)",
            reach_disallowed,
        ),
    );
    s(
        cfg.calls.file_read,
        sometimes(
            "S-port-queue",
            "a file reply moved in the port queue",
            reach_port_queue_moved,
        ),
    );
    s(
        cfg.strategy == Strategy::Precopy && process,
        sometimes(
            "S-precopy-dirty",
            "a dirty page re-copied (pre-copy)",
            reach_precopy_dirty,
        ),
    );
    s(
        cfg.calls.fork && cfg.forks_max > 0,
        sometimes("S-fork", "a process created by fork() (PM3)", reach_forked),
    );
    s(
        process && cfg.pcntl_callers_max >= 2 && cfg.migrations_max >= 2,
        sometimes(
            "S-second-migrate-rejected",
            "a second migration of a migrating pid rejected (R1)",
            reach_migrate_rejected_busy,
        ),
    );
    s(
        cfg.calls.fork && cfg.calls.exit && cfg.calls.wait && cfg.processes_max > 1,
        sometimes(
            "S-pid-reused",
            "a pid given again (its holder reaped, or dead in a crash)",
            reach_pid_reused,
        ),
    );
    s(
        // Spread: with the sender and its target on one node, no run overtakes (checked on
        // three and four nodes with two requests, `two-procs-signal --outstanding-max 2`).
        cfg.outstanding_max >= 2 && process && !cfg.p11_fix && cfg.spread,
        sometimes("S-overtaken", "a request overtaken (P11)", reach_overtaken),
    );
    v
}

//! spec §12.15 The corpus's named scenarios of the paper: each with the runs that can show it
//! and its goal (a reachability item of spec §6.3, or `rule:LABEL` for a rule that must fire).
//! `traces/corpus/NAME.ndjson` is the shortest seeded model walk reaching the goal (replayed
//! on the refimpl in tests), `traces/corpus/refimpl/NAME.ndjson` the shortest seeded refimpl
//! recording showing it (validated against the model in tests); the example `corpus`
//! regenerates both.

use crate::coverage::refimpl_shows;
use crate::format::action_id;
use crate::parse::Trace;
use crate::validate::Verdict;

/// (file name, runs separated by `|`, goal).
pub const SCENARIOS: &[(&str, &str, &str)] = &[
    (
        "null-migration",
        "null-migration",
        "rule:R14 ForwardAndCleanUp",
    ),
    ("refusal", "refusal-queue", "S-refusal"),
    ("abandon", "abandon", "S-abandon"),
    (
        "crash-c1-source-before-pull",
        "crash-rich|crash-eager|crash-cor",
        "S-C1",
    ),
    (
        "crash-c2-destination-before-pull",
        "crash-rich|crash-eager|crash-cor",
        "S-C2",
    ),
    (
        "crash-c3-destination-after-pull",
        "crash-rich|crash-eager|crash-cor|task-crash",
        "S-C3",
    ),
    ("crash-c4-residual-dependency", "crash-cor", "S-C4-died"),
    (
        "absent-process-relookup",
        "two-procs-rich|four-nodes|group-calls",
        "S-absent-relookup",
    ),
    ("group-migration", "group", "S-group-migrated"),
    ("task-only-migration", "task-only", "S-task-only-call"),
    ("wait-delays-freeze", "wait-freeze", "S-wait-delays-freeze"),
    ("p11-overtaking", "p11-unfixed", "S-overtaken"),
];

/// Whether an accepted refimpl trace shows `goal`: its evidence (spec §12.12, §12.16) shows
/// the item and some model explanation of the trace reaches it too; or the rule fired.
pub fn refimpl_shows_goal(goal: &str, trace: &Trace, verdict: &Verdict) -> bool {
    if !verdict.accepted() {
        return false;
    }
    match goal.strip_prefix("rule:") {
        Some(rule) => trace.events.iter().any(|e| {
            e.rule == rule
                || e.params["labels"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|x| x == action_id(rule)))
        }),
        None => refimpl_shows(goal, trace) == Some(true) && verdict.items.contains(goal),
    }
}

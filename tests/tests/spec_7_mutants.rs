//! Mutants (spec §7): each seeded protocol bug is caught by the property the catalog names,
//! and the printed counterexample replays to a state that violates it.

use osfmig_model::mutants::{by_name, CATALOG};
use osfmig_tests::assert_catalog_mutant_caught;

fn caught(name: &str) {
    let info = by_name(name).expect("catalog entry");
    assert_catalog_mutant_caught(info);
}

macro_rules! mutant_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            // Reference: spec §7
            #[test]
            fn $test() {
                caught($name);
            }
        )*
        // Reference: spec §7. The list above covers the whole catalog.
        #[test]
        fn catalog_is_covered() {
            let tested = [$($name),*];
            for m in CATALOG {
                assert!(tested.contains(&m.name), "mutant {} has no test", m.name);
            }
            assert!(CATALOG.len() >= 10);
        }
    };
}

mutant_tests! {
    pmm_update_after_cleanup => "pmm_update_after_cleanup",
    drop_queue_on_refusal => "drop_queue_on_refusal",
    abandon_after_pull => "abandon_after_pull",
    resume_source_after_commit => "resume_source_after_commit",
    reattach_some_caps => "reattach_some_caps",
    forward_twice => "forward_twice",
    no_suspend => "no_suspend",
    ignore_in_progress => "ignore_in_progress",
    refuse_keeps_reservation => "refuse_keeps_reservation",
    rusage_reset => "rusage_reset",
    relationships_reset => "relationships_reset",
    detach_keeps_active => "detach_keeps_active",
    p11_fix_skipped => "p11_fix_skipped",
    pid_reuse => "pid_reuse",
    abandon_leaves_suspended => "abandon_leaves_suspended",
    refused_caller_not_told => "refused_caller_not_told",
    task_runs_on_arrival => "task_runs_on_arrival",
    absent_while_reserved => "absent_while_reserved",
    absent_as_no_such_process => "absent_as_no_such_process",
    forward_answers_ok => "forward_answers_ok",
    relookup_keeps_vproc => "relookup_keeps_vproc",
    pmm_locates_previous => "pmm_locates_previous",
    fork_child_not_reported => "fork_child_not_reported",
    exit_skips_waiters => "exit_skips_waiters",
    reinstate_queue_no_such_process => "reinstate_queue_no_such_process",
    crash_kills_survivor => "crash_kills_survivor",
    enqueue_lifo => "enqueue_lifo",
    c3_keeps_migrating => "c3_keeps_migrating",
    refusal_leaves_suspended => "refusal_leaves_suspended",
    port_drops_in_transit => "port_drops_in_transit",
}

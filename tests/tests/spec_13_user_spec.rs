//! The user-level specification and U1 (spec §13): the incremental linearizability check of
//! `linearizability.rs` gives the same verdict as stateright's `LinearizabilityTester` on
//! random concurrent histories against the same `ProcTable`.

use osfmig_model::user_spec::{Op, Ret};
use osfmig_tests::u1_histories::{
    compare_with_tester, history, tester_verdict, u1_verdict, uses_busy_context, Ev,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    // Reference: spec §13.4. Histories made by taking effect inside each interval are
    // linearizable for both checkers.
    #[test]
    fn consistent_histories_pass_both(choices in proptest::collection::vec(any::<u8>(), 8..40)) {
        let evs = history(&choices, None);
        prop_assert!(tester_verdict(&evs), "generator made an invalid history: {evs:?}");
        prop_assert!(u1_verdict(&evs), "U1 rejects a linearizable history: {evs:?}");
    }

    // Reference: spec §13.4. With one answer changed, U1 and stateright's tester agree.
    #[test]
    fn corrupted_histories_get_the_same_verdict(
        choices in proptest::collection::vec(any::<u8>(), 8..40),
        at in any::<usize>(),
        ans in any::<u8>(),
    ) {
        let evs = history(&choices, Some((at, ans)));
        prop_assume!(!uses_busy_context(&evs));
        prop_assert_eq!(u1_verdict(&evs), tester_verdict(&evs), "history: {:?}", evs);
    }
}

// Reference: spec §13.4. The comparison is not vacuous: corrupted histories are sometimes
// linearizable and sometimes not, and the histories are long enough to overlap calls.
#[test]
fn corrupted_histories_cover_both_verdicts() {
    let t = compare_with_tester(3000);
    assert!(
        t.linearizable > 300 && t.not > 300,
        "linearizable {}, not {}",
        t.linearizable,
        t.not
    );
    assert!(
        t.overlapping > 1000,
        "only {} histories overlap calls",
        t.overlapping
    );
    assert!(t.lost > 300, "only {} histories lose a call", t.lost);
}

// Reference: spec §13.3. A migration that took effect and whose process then died in a crash
// is answered Died, even when a `fork()` has given the pid to a new process before the
// answer arrives (found by the `fork-crash` run: U1 first required the pid dead at the answer).
// Without the death, Died is not a valid answer.
#[test]
fn died_after_migration_survives_pid_reuse() {
    let mig = Op::Migrate { pid: 1, dst: 2 };
    let env = |op| [Ev::Invoke(3, op), Ev::Return(3, Ret::Ok)];
    let mut evs = vec![Ev::Invoke(2, mig)];
    evs.extend(env(Op::Crash { node: 2, queued: 0 }));
    evs.extend(env(Op::Die { pid: 1 }));
    evs.extend([
        Ev::Invoke(0, Op::Fork { parent: 0 }),
        Ev::Return(0, Ret::Forked(1)),
        Ev::Return(2, Ret::Died),
    ]);
    assert!(u1_verdict(&evs), "{evs:?}");
    let alive = [Ev::Invoke(2, mig), Ev::Return(2, Ret::Died)];
    assert!(!u1_verdict(&alive));
}

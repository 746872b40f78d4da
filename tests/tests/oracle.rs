//! The oracle of mutation testing (docs/mutation.md): verdicts only. A `cargo-mutants` mutant
//! of `model/src` counts as caught when some property, U1, liveness obligation, reachability
//! item or expected finding of a run comes out other than the spec says, or a catalog mutant
//! (spec §7) escapes its property. Pinned state counts and snapshots are not part of it: a
//! mutant that only changes how many states a run has is not caught here.
//!
//! `OSFMIG_ORACLE` names the preset: `mutants` (the default, a few seconds) for the whole run,
//! `ci` to re-examine the mutants the fast one missed (scripts/mutants.sh does both).

use std::collections::BTreeSet;

use osfmig_model::model::RULES;
use osfmig_model::mutants::CATALOG;
use osfmig_model::presets::preset;
use osfmig_tests::u1_histories::compare_with_tester;
use osfmig_tests::{
    assert_catalog_mutant_caught, assert_meets_expectations, assert_reductions_sound,
    assert_validation, check,
};

fn oracle_preset() -> String {
    std::env::var("OSFMIG_ORACLE").unwrap_or_else(|_| "mutants".to_string())
}

// Reference: spec §6, §8.2. Every run of the oracle preset is complete, and every verdict is
// the one the spec expects: no unexpected violation, every finding reproduced, every
// reachability item discovered, every registered property exercised, every rule fired.
#[test]
fn verdicts_are_as_the_spec_says() {
    let name = oracle_preset();
    let runs = preset(&name).expect("oracle preset");
    let mut fired = BTreeSet::new();
    for spec in &runs {
        let res = check(spec);
        assert_meets_expectations(spec, &res);
        fired.extend(res.rules.keys().cloned());
    }
    let missing: Vec<_> = RULES.iter().filter(|r| !fired.contains(**r)).collect();
    assert!(missing.is_empty(), "{name}: rules never fired: {missing:?}");
}

// Reference: spec §7. Every catalog mutant is caught by the property the catalog names, and
// its counterexample replays.
#[test]
fn catalog_mutants_are_caught() {
    for m in CATALOG {
        assert_catalog_mutant_caught(m);
    }
}

// Reference: spec §8.1. Impossible configurations are rejected naming their bound, and every
// run of the oracle preset is a configuration the CLI accepts.
#[test]
fn configurations_validate() {
    assert_validation(&oracle_preset());
}

// Reference: spec §8.3, §8.4. The search's reductions are sound on the first states of every
// run of the oracle preset: fingerprints are injective and the test nodes interchangeable. A
// reduction that merged states a property tells apart would change verdicts elsewhere.
#[test]
fn reductions_are_sound() {
    for spec in preset(&oracle_preset()).unwrap() {
        assert!(assert_reductions_sound(&spec, 20_000) > 0);
    }
}

// Reference: spec §13.4. U1's incremental check gives stateright's LinearizabilityTester
// verdict on random concurrent histories, both linearizable and not, some with lost calls.
#[test]
fn u1_agrees_with_linearizability_tester() {
    let t = compare_with_tester(1500);
    assert!(t.linearizable > 100 && t.not > 100 && t.lost > 100, "{t:?}");
}

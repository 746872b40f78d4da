//! The oracle of mutation testing (docs/mutation.md): verdicts only. A `cargo-mutants` mutant
//! of `model/src` counts as caught when some property, U1, liveness obligation, reachability
//! item or expected finding of a run comes out other than the spec says, or a catalog mutant
//! (spec §7) escapes its property. Pinned state counts and snapshots are not part of it: a
//! mutant that only changes how many states a run has is not caught here.
//!
//! `OSFMIG_ORACLE` names the preset: `mutants` (the default, a few seconds) for the whole run,
//! `ci` to re-examine the mutants the fast one missed (scripts/mutants.sh does both).

use std::collections::BTreeSet;

use osfmig_model::check::Verdict;
use osfmig_model::model::RULES;
use osfmig_model::mutants::CATALOG;
use osfmig_model::presets::preset;
use osfmig_tests::{check, run};

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
        assert!(res.complete, "{}: incomplete", res.name);
        for p in &res.properties {
            assert!(
                p.ok(),
                "{}: {} is {:?} (exercised {:?}); replay: {:?}",
                res.name,
                p.id,
                p.verdict,
                p.exercised,
                p.replay
            );
        }
        for id in &spec.expected_violations {
            let p = res.properties.iter().find(|p| p.id == *id);
            assert!(
                p.is_some_and(|p| p.verdict == Verdict::Violated),
                "{}: finding {id} not reproduced",
                res.name
            );
        }
        fired.extend(res.rules.keys().cloned());
    }
    let missing: Vec<_> = RULES.iter().filter(|r| !fired.contains(**r)).collect();
    assert!(missing.is_empty(), "{name}: rules never fired: {missing:?}");
}

// Reference: spec §7. Every catalog mutant is caught by the property the catalog names.
#[test]
fn catalog_mutants_are_caught() {
    for m in CATALOG {
        let mut spec = run(m.run);
        spec.config.mutant = Some(m.mutant);
        let res = check(&spec);
        let p = res.properties.iter().find(|p| p.id == m.catches);
        assert!(
            p.is_some_and(|p| p.verdict == Verdict::Violated),
            "{} escapes {} in {}",
            m.name,
            m.catches,
            m.run
        );
    }
}

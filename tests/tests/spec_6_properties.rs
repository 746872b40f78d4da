//! Properties (spec §6): every run of `ci` ends as the spec expects, no reachability item is
//! left undiscovered, and no `always` property is vacuous.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use osfmig_model::check::RunResult;

use osfmig_model::check::Verdict;
use osfmig_model::mutants::CATALOG;
use osfmig_model::presets::preset;
use osfmig_model::properties::{registry, Expectation};
use osfmig_tests::{assert_meets_expectations, check};

/// The ci preset is checked once per test binary; both tests read the same results.
fn ci_results() -> &'static [(osfmig_model::presets::RunSpec, RunResult)] {
    static RESULTS: OnceLock<Vec<(osfmig_model::presets::RunSpec, RunResult)>> = OnceLock::new();
    RESULTS.get_or_init(|| {
        preset("ci")
            .unwrap()
            .into_iter()
            .map(|spec| {
                let res = check(&spec);
                (spec, res)
            })
            .collect()
    })
}

// Reference: spec §6.1, §6.2, §6.3. Each run of the ci preset is complete and every verdict
// is the expected one (findings are expected violations).
#[test]
fn every_ci_run_meets_its_expectations() {
    for (spec, res) in ci_results() {
        assert_meets_expectations(spec, res);
    }
}

// Reference: spec §8.2. Pinned unique state counts (DFS with test-node symmetry) of every ci
// run: a change here is a change of the model's semantics and must be explained in the commit.
#[test]
fn ci_unique_state_counts_are_pinned() {
    let pinned: &[(&str, usize)] = &[
        ("null-migration", 163),
        ("two-procs-signal", 4113),
        ("self-calls", 5729),
        ("refusal-queue", 767),
        ("abandon", 245),
        ("wait-freeze", 6033),
        ("r4-prime", 7765),
        ("crash-cor", 1783),
        ("crash-precopy", 1774),
        ("crash-four-nodes", 2611),
        ("crash-eager", 973),
        ("task-only", 2661),
        ("task-crash", 1023),
        ("group", 1693),
        ("group-norefusal", 1155),
        ("p11-fixed", 6627),
        ("crash-p11", 41249),
        ("exit-concurrent", 8282),
        ("precopy", 76),
        ("flush", 216),
        ("disallowed", 35),
        ("file-io", 157),
        ("two-procs-rich", 14398283),
        ("three-procs-wait", 4149881),
        ("crash-rich", 1858521),
        ("four-nodes", 660251),
        ("fork-exit-wait", 112729),
        ("fork-reuse", 61),
        ("fork-crash", 3753),
        ("group-calls", 54153),
        ("abandon-aba", 566),
        ("abandon-tagged", 494),
        ("crash-exit", 4507),
        ("task-exit", 4897),
        ("abandon-exit", 755),
        ("fork-file-io", 8314),
        ("fork-crash-spread", 4891),
        ("fork-crash-generations", 4861),
        ("wait-crash", 141526),
        ("p11-unfixed", 6651),
        ("crash-refusal", 4670),
        ("crash-abandon", 1487),
        ("crash-r4-prime", 54264),
        ("crash-group", 8485),
        ("group-disallowed", 59),
        ("group-exit", 6709),
        ("crash-twice", 3270),
        ("task-two-procs", 11797),
        ("c4-queue-ignored", 933),
        ("group-spread", 805),
        ("group-sequential", 1021),
        ("group-refusal-sequential", 1489),
        ("group-refusal-spread", 1101),
        ("group-calls-sequential", 50309),
        ("group-calls-spread", 78093),
        ("crash-group-sequential", 9977),
        ("crash-group-spread", 9059),
        ("same-pid-twice", 4336),
        ("concurrent-migrations", 34111),
        ("concurrent-calls", 326277),
        ("p11-r4-narrow", 11751),
        ("group-calls-narrow", 192437),
        ("concurrent-calls-narrow", 681585),
        ("p11-fixed-ports", 10047),
        ("p11-fixed-ports-done", 7287),
        ("p11-ports-done-twice", 108017),
        ("crash-p11-ports", 53559),
        ("self-calls-ports", 5839),
        ("two-procs-ports", 4489),
        ("concurrent-admission", 40303),
        ("group-admission", 1631),
        ("sigsuspend", 6969),
        ("sigsuspend-r4-prime", 7472),
        ("crash-sigsuspend-r4-prime", 56632),
        ("pcntl-allow", 2437),
        ("pcntl-allow-callers", 31281),
        ("group-pcntl-allow", 8463),
    ];
    let got: Vec<(&str, usize)> = ci_results()
        .iter()
        .map(|(s, r)| (s.name.as_str(), r.unique_states))
        .collect();
    assert_eq!(got, pinned);
}

// Reference: spec §6.3. Every reachability item registered in a ci run is discovered there.
#[test]
fn every_sometimes_item_is_reached() {
    let mut items = BTreeSet::new();
    for (_, res) in ci_results() {
        for p in res
            .properties
            .iter()
            .filter(|p| p.expectation == Expectation::Sometimes)
        {
            assert_eq!(
                p.verdict,
                Verdict::Discovered,
                "{}: {} undiscovered",
                res.name,
                p.name
            );
            items.insert(p.id.clone());
        }
    }
    for must in [
        "S-refusal",
        "S-abandon",
        "S-C1",
        "S-C2",
        "S-C3",
        "S-C4-died",
        "S-C4-survived",
        "S-queued-forwarded",
        "S-absent-relookup",
        "S-cor-fault",
        "S-migrated-twice",
        "S-task-only-call",
    ] {
        assert!(
            items.contains(must),
            "reachability item {must} is in no ci run"
        );
    }
}

// Reference: spec §6.1, §7. Every `always` property can fail: a mutant, or a documented
// finding, violates it.
#[test]
fn every_always_property_has_teeth() {
    let mut always = BTreeSet::new();
    let mut caught = BTreeSet::new();
    for spec in preset("ci").unwrap() {
        for p in registry(&spec.config) {
            if p.expectation == Expectation::Always {
                always.insert(p.id);
            }
        }
    }
    for m in CATALOG {
        caught.insert(m.catches);
    }
    let toothless: Vec<_> = always.difference(&caught).collect();
    assert!(toothless.is_empty(), "no mutant catches {toothless:?}");
}

// Reference: spec §6.2, §7. Every liveness property can fail too: a catalog mutant names it,
// or a ci run shows it violated as a documented finding.
#[test]
fn every_liveness_property_has_teeth() {
    let mut caught: BTreeSet<String> = CATALOG.iter().map(|m| m.catches.to_string()).collect();
    for (spec, _) in ci_results() {
        caught.extend(spec.expected_violations.iter().map(|s| s.to_string()));
    }
    for id in ["L1", "L2", "L3", "L4", "L5", "L6"] {
        assert!(
            caught.contains(id),
            "neither a mutant nor a finding violates {id}"
        );
    }
}

// Reference: spec §13.4, §6.4. U1 is checked in every ci run, and every `always` property
// registered in a run was exercised there (its antecedent met in some reached state).
#[test]
fn u1_in_every_run_and_every_property_exercised() {
    for (_, res) in ci_results() {
        assert!(
            res.properties.iter().any(|p| p.id == "U1"),
            "{}: U1 not registered",
            res.name
        );
        for p in res
            .properties
            .iter()
            .filter(|p| p.expectation == Expectation::Always)
        {
            assert_eq!(
                p.exercised,
                Some(true),
                "{}: {} never exercised",
                res.name,
                p.id
            );
        }
    }
}

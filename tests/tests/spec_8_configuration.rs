//! Configuration, presets, symmetry and checking (spec §8).

use osfmig_model::config::Config;
use osfmig_model::presets::preset;
use osfmig_model::symmetry::representative;
use osfmig_model::OsfModel;
use osfmig_tests::{assert_reductions_sound, assert_validation, check, run};
use stateright::{Checker, Model};

fn unique_states(cfg: &Config, symmetry: bool) -> usize {
    let mut b = OsfModel::new(cfg.clone()).checker();
    if symmetry {
        b = b.symmetry_fn(representative);
    }
    b.spawn_dfs().join().unique_state_count()
}

// Reference: spec §8.2. The tiny preset's state count is pinned (DFS, test-node symmetry).
#[test]
fn tiny_unique_state_count_is_pinned() {
    let runs = preset("tiny").unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(unique_states(&runs[0].config, true), 163);
}

// Reference: spec §8.3. Symmetry over the test nodes merges states and changes no verdict.
#[test]
fn symmetry_reduces_states_and_keeps_verdicts() {
    // Two empty test nodes are interchangeable destinations for processes on node 1.
    let mut spec = run("two-procs-signal");
    spec.config.nodes_max = 4;
    let with = unique_states(&spec.config, true);
    let without = unique_states(&spec.config, false);
    assert!(
        with < without,
        "symmetry: {with} states, without: {without}"
    );
    let res = osfmig_model::check::check_run(
        &spec,
        &osfmig_model::check::CheckOptions {
            symmetry: false,
            ..Default::default()
        },
    );
    assert!(res.ok());
}

// Reference: spec §8.3, §8.4. On the first 20 000 states of every catalog run, fingerprints
// are injective and the test nodes interchangeable (properties, boundary and successors
// commute with renaming; the representative is a renaming).
#[test]
fn reductions_are_sound_on_every_catalog_run() {
    for spec in osfmig_model::presets::catalog() {
        assert!(assert_reductions_sound(&spec, 20_000) > 0, "{}", spec.name);
    }
}

// Reference: spec §8.4. The same configuration gives the same counts and the same
// counterexamples (deterministic action order).
#[test]
fn checking_is_deterministic() {
    let spec = run("p11-unfixed");
    let a = check(&spec);
    let b = check(&spec);
    assert_eq!(a.unique_states, b.unique_states);
    let path = |r: &osfmig_model::check::RunResult| {
        r.properties
            .iter()
            .find(|p| p.id == "P11")
            .unwrap()
            .replay
            .clone()
    };
    assert_eq!(path(&a), path(&b));
}

// Reference: spec §8.1. Impossible configurations are rejected with the bound's name.
#[test]
fn impossible_bounds_are_named() {
    assert_validation("ci");
}

// Reference: spec §8.4. A state limit cuts the search and the run says it is incomplete.
#[test]
fn cut_search_is_incomplete() {
    let spec = run("two-procs-signal");
    let res = osfmig_model::check::check_run(
        &spec,
        &osfmig_model::check::CheckOptions {
            state_limit: Some(500),
            ..Default::default()
        },
    );
    assert!(!res.complete);
    assert!(!res.ok());
}

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

/// The runs of the `full` preset (four nodes for most), computed once.
fn full_runs() -> &'static [osfmig_model::presets::RunSpec] {
    static RUNS: std::sync::OnceLock<Vec<osfmig_model::presets::RunSpec>> =
        std::sync::OnceLock::new();
    RUNS.get_or_init(|| preset("full").unwrap())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 300,
        ..proptest::prelude::ProptestConfig::default()
    })]

    // Reference: spec §8.3. On random walks into every run of the `full` preset (most on four
    // nodes, where a breadth-first search of the first states never gets deep), renaming the
    // test nodes commutes with every enabled action, every property (U1 included) and the
    // boundary, and the representative is a renaming.
    #[test]
    fn symmetry_commutes_on_random_walks(
        run in 0..full_runs().len(),
        choices in proptest::collection::vec(proptest::prelude::any::<u8>(), 10..80),
    ) {
        osfmig_tests::symmetry::walk_symmetric(&full_runs()[run], &choices);
    }
}

// Reference: spec §8.3. The walks reach what the node symmetry must rename with care: on four
// nodes, after a crash, a process whose destination awaits its source's forwarded queue (the
// P11 fix's `awaiting_forward`, a node reference). Deterministic choices (a fixed LCG), so the
// count is the same in every run.
#[test]
fn symmetry_walks_reach_awaiting_forward_after_a_crash_on_four_nodes() {
    let mut spec = run("crash-p11");
    spec.config.nodes_max = 4;
    spec.config.queue_len_max = 12;
    let model = OsfModel::new(spec.config.clone());
    let mut seed: u64 = 12345;
    let mut reached = 0;
    for _ in 0..400 {
        let choices: Vec<u8> = (0..60)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) as u8
            })
            .collect();
        // The walk itself asserts the symmetry at every state; then replay it to look.
        osfmig_tests::symmetry::walk_symmetric(&spec, &choices);
        let mut st = model.init_states().remove(0);
        for &c in &choices {
            let crashed = st.nodes.iter().any(|n| !n.alive);
            let awaiting = st.nodes.iter().any(|n| {
                n.pma.procs.iter().any(|l| {
                    matches!(l, osfmig_model::state::Local::Active { proc, .. }
                        if proc.awaiting_forward.is_some())
                })
            });
            if crashed && awaiting {
                reached += 1;
                break;
            }
            let mut acts = Vec::new();
            model.enabled(&st, &mut acts);
            let Some(a) = acts.get(c as usize % acts.len().max(1)) else {
                break;
            };
            let s = model.step(&st, a).unwrap();
            if !model.within_boundary(&s) {
                break;
            }
            st = s;
        }
    }
    assert!(
        reached > 0,
        "no walk reached awaiting_forward after a crash"
    );
}

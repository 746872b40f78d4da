//! Why lines and short counterexamples (spec §8.4): every safety property a catalog mutant
//! breaks is explained by a line naming the requests, pids or nodes at fault, its
//! counterexample ends at the first state where the property is false, and the breadth-first
//! search finds one of fewest steps.

use osfmig_model::check::{actions_of, check_run, CheckOptions, Verdict};
use osfmig_model::mutants::CATALOG;
use osfmig_model::presets::find_run;
use osfmig_model::properties::{registry, Expectation};
use osfmig_model::shortest::{shortest, Shortest};
use osfmig_model::OsfModel;
use stateright::Model;

// Reference: spec §8.4 (a "why" line for every safety violation), §7 (the catalog).
#[test]
fn every_safety_violation_of_the_catalog_says_why_and_ends_where_it_fails() {
    let mut explained = std::collections::BTreeSet::new();
    for m in CATALOG {
        let mut spec = find_run(m.run).expect("catalog run");
        spec.config.mutant = Some(m.mutant);
        let model = OsfModel::new(spec.config.clone());
        let props = registry(&spec.config);
        let opts = CheckOptions {
            liveness: false,
            ..CheckOptions::default()
        };
        let res = check_run(&spec, &opts);
        for p in res
            .properties
            .iter()
            .filter(|p| p.verdict == Verdict::Violated && p.expectation == Expectation::Always)
        {
            let why = p
                .why
                .as_deref()
                .unwrap_or_else(|| panic!("{}: {} has no why line", m.name, p.id));
            // U1 points at the history printed under it; every other property names what
            // is at fault, never only the step.
            if p.id != "U1" {
                assert!(
                    !why.starts_with("it became false"),
                    "{}: {}'s why names no culprit: {why}",
                    m.name,
                    p.id
                );
            }
            assert!(
                why.contains("process") || why.contains("req ") || why.contains("pid "),
                "{}: {}: {why}",
                m.name,
                p.id
            );
            explained.insert(p.id.clone());
            // The breadth-first search with symmetry finds a path no longer than the DFS's,
            // as short as the breadth-first search without symmetry finds.
            let check_fn = props.iter().find(|d| d.id == p.id).unwrap().check;
            let Shortest::Found(bfs) = shortest(&model, check_fn, true, 5_000_000) else {
                panic!(
                    "{}: {}: the shortest search found no violation",
                    m.name, p.id
                );
            };
            let dfs_len = p.path.as_ref().unwrap().len();
            assert!(
                bfs.len() <= dfs_len,
                "{}: {}: bfs {} > dfs {dfs_len}",
                m.name,
                p.id,
                bfs.len()
            );
            let (plain, _) =
                osfmig_tests::shortest_path(&spec, |s| !check_fn(&model, s), 5_000_000)
                    .unwrap_or_else(|| panic!("{}: {}: no path without symmetry", m.name, p.id));
            assert_eq!(
                bfs.len(),
                plain.len(),
                "{}: {}: symmetry changed the distance",
                m.name,
                p.id
            );
            let mut st = model.init_states().remove(0);
            for a in &bfs {
                st = model.step(&st, a).expect("the shortest path replays");
            }
            assert!(
                !check_fn(&model, &st),
                "{}: {}: the shortest path ends where it holds",
                m.name,
                p.id
            );
            // The path ends at the first failing state: false there, true one step before.
            let indices: Vec<usize> = p.path.as_ref().unwrap().iter().map(|s| s.index).collect();
            let actions = actions_of(&model, &indices);
            assert_eq!(actions.len(), indices.len(), "{}: the path replays", m.name);
            let check = props.iter().find(|d| d.id == p.id).unwrap().check;
            let mut st = model.init_states().remove(0);
            for (k, a) in actions.iter().enumerate() {
                st = model.step(&st, a).unwrap();
                let last = k + 1 == actions.len();
                assert_eq!(
                    check(&model, &st),
                    !last,
                    "{}: {} at step {} of {}",
                    m.name,
                    p.id,
                    k + 1,
                    actions.len()
                );
            }
        }
    }
    // The catalog breaks every safety property, and each one is explained.
    for id in [
        "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11", "P12", "P13", "P14",
        "A1", "U1",
    ] {
        assert!(
            explained.contains(id),
            "no catalog mutant's violation of {id} was explained"
        );
    }
}

//! The node symmetry of spec §8.3 checked state by state: renaming the test nodes keeps every
//! property's verdict (U1's included) and the boundary, maps the successors onto the renamed
//! successors, and the representative is a renaming of the state and its own representative.
//! Used on the first states of every run in breadth-first order (`assert_reductions_sound`)
//! and on random walks deep into the larger runs (`walk_symmetric`).

use osfmig_model::presets::RunSpec;
use osfmig_model::symmetry::{rename_nodes, representative};
use osfmig_model::{OsfModel, Sys};
use stateright::Model;

/// Every permutation of the test nodes `1..n`, as node maps (node 0, the master, stays).
pub fn test_node_maps(n: usize) -> Vec<Vec<u8>> {
    let mut maps = vec![vec![0u8]];
    for node in 1..n as u8 {
        let mut next = Vec::new();
        for m in &maps {
            for at in 1..=m.len() {
                let mut v = m.clone();
                v.insert(at, node);
                next.push(v);
            }
        }
        maps = next;
    }
    maps
}

/// The successors of `st`, sorted.
fn successors(model: &OsfModel, st: &Sys) -> Vec<Sys> {
    let mut acts = Vec::new();
    model.enabled(st, &mut acts);
    let mut out: Vec<Sys> = acts.iter().filter_map(|a| model.step(st, a)).collect();
    out.sort();
    out
}

/// Asserts spec §8.3 at `st`, whose sorted successors are `next`: for every renaming of the
/// test nodes, the same verdict of every property, the same boundary, and the renamed
/// successors as the renaming's successors; the representative is a renaming and idempotent.
/// A failure names the run and prints the state.
pub fn assert_symmetric_at(run: &str, model: &OsfModel, st: &Sys, next: &[Sys]) {
    let rep = representative(st);
    assert_eq!(
        representative(&rep),
        rep,
        "{run}: representative not idempotent"
    );
    let mut rep_is_renaming = false;
    for map in &test_node_maps(st.nodes.len()) {
        let t = rename_nodes(st, map);
        rep_is_renaming |= t == rep;
        for p in &model.properties() {
            assert_eq!(
                (p.condition)(model, st),
                (p.condition)(model, &t),
                "{run}: {} differs on a renaming {map:?} (spec §8.3) of\n{st:?}",
                p.name
            );
        }
        assert_eq!(
            model.within_boundary(st),
            model.within_boundary(&t),
            "{run}: boundary differs on a renaming {map:?}"
        );
        let mut renamed: Vec<Sys> = next.iter().map(|s| rename_nodes(s, map)).collect();
        renamed.sort();
        assert!(
            successors(model, &t) == renamed,
            "{run}: successors of a renaming {map:?} are not the renamed successors (spec §8.3) of\n{st:?}"
        );
    }
    assert!(
        rep_is_renaming,
        "{run}: the representative is no renaming of the state (spec §8.3):\n{st:?}"
    );
}

/// Walks `spec` from its initial state, taking at each step the enabled action that the next
/// choice picks (modulo their number), until the choices run out, no action is enabled or the
/// boundary is left, and asserts spec §8.3 at every state on the way. Returns the number of
/// steps taken.
pub fn walk_symmetric(spec: &RunSpec, choices: &[u8]) -> usize {
    let model = OsfModel::new(spec.config.clone());
    let mut st = model.init_states().remove(0);
    let mut steps = 0;
    for &c in choices {
        let next = successors(&model, &st);
        assert_symmetric_at(&spec.name, &model, &st, &next);
        let mut acts = Vec::new();
        model.enabled(&st, &mut acts);
        let Some(a) = acts.get(c as usize % acts.len().max(1)) else {
            break;
        };
        let s = model.step(&st, a).expect("an enabled action steps");
        if !model.within_boundary(&s) {
            break;
        }
        st = s;
        steps += 1;
    }
    steps
}

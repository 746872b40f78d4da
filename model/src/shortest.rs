//! Shortest safety counterexamples (spec §8.4): a breadth-first search, with the node symmetry
//! of §8.3, for the fewest steps from the initial state to a state where a property is false.
//! stateright 0.31's own BFS rebuilds paths without regard to symmetry and does not promise
//! the shortest one, so `check --search bfs` runs this after its DFS found a violation.

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use stateright::Model;

use crate::model::{Action, OsfModel};
use crate::state::Sys;

/// What the search found.
pub enum Shortest {
    /// A path of fewest steps to a state where the property is false.
    Found(Vec<Action>),
    /// No reachable state within the boundary breaks the property.
    Holds,
    /// The state limit cut the search before either.
    Cut,
}

/// The fingerprint a state is deduplicated by: its symmetry class's representative's (64 bits,
/// as stateright's own; `DefaultHasher::new` has fixed keys, so runs agree).
fn fingerprint(st: &Sys, symmetry: bool) -> u64 {
    let mut hasher = DefaultHasher::new();
    if symmetry {
        crate::symmetry::representative(st).hash(&mut hasher);
    } else {
        st.hash(&mut hasher);
    }
    hasher.finish()
}

/// Breadth-first from the initial state to the nearest state where `check` is false, at most
/// `state_limit` distinct states (by symmetry class when `symmetry`). Symmetric states have
/// symmetric futures at equal distances, so deduplicating by class keeps the search shortest;
/// the path returned is of the model's own actions, replayable as it is.
pub fn shortest(
    model: &OsfModel,
    check: fn(&OsfModel, &Sys) -> bool,
    symmetry: bool,
    state_limit: usize,
) -> Shortest {
    let init = model.init_states().remove(0);
    if !check(model, &init) {
        return Shortest::Found(Vec::new());
    }
    // Each visited state's parent (index into `parents`) and the action that reached it.
    let mut parents: Vec<(u32, Action)> = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    seen.insert(fingerprint(&init, symmetry));
    let mut queue: VecDeque<(Sys, u32)> = VecDeque::new();
    queue.push_back((init, u32::MAX));
    let mut enabled = Vec::new();
    while let Some((st, at)) = queue.pop_front() {
        enabled.clear();
        model.enabled(&st, &mut enabled);
        for a in enabled.drain(..) {
            let Some(next) = model.step(&st, &a) else {
                continue;
            };
            if next.net.len() > model.cfg.queue_len_max as usize {
                continue;
            }
            if !seen.insert(fingerprint(&next, symmetry)) {
                continue;
            }
            parents.push((at, a));
            let me = (parents.len() - 1) as u32;
            if !check(model, &next) {
                let mut path = Vec::new();
                let mut k = me;
                while k != u32::MAX {
                    let (p, a) = &parents[k as usize];
                    path.push(a.clone());
                    k = *p;
                }
                path.reverse();
                return Shortest::Found(path);
            }
            if seen.len() > state_limit {
                return Shortest::Cut;
            }
            queue.push_back((next, me));
        }
    }
    Shortest::Holds
}

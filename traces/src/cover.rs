//! Coverage-directed generation (spec §12.6, `traces generate --mode cover`): a few traces per
//! run that together fire every rule of `model::RULES` the run can fire and reach every
//! reachability item (`sometimes` property, spec §6.3) the run registers.
//!
//! Three phases, each deterministic:
//! 1. a breadth-first search of the run's state space (no symmetry, within the boundary of
//!    §8.4, at most [`CoverBudget::bfs_states`] states) records the shortest path to each
//!    target: for a rule, the path to the first transition labelled with it; for an item, the
//!    path to the first state where it holds. A complete search also proves that the targets
//!    it did not meet cannot be reached in the run;
//! 2. when the search was cut, seeded random walks biased towards what is still uncovered
//!    (a successor that satisfies an uncovered item, else, three times out of four, an action
//!    with an uncovered rule label, else uniform); a walk is kept, cut right after its last
//!    step that covered something new, when it covers at least one new target;
//!    then, for items still uncovered, breadth-first searches re-rooted at the end of the
//!    witnesses found so far, longest first (a second migration lies beyond a first);
//! 3. items still uncovered are looked up in the exhaustive safety check (DFS with symmetry,
//!    `check::check_run`), whose discovery paths are witnesses.
//!
//! The witnesses are then chosen greedily, longest first, each only when it still covers
//! something the chosen ones do not; `count` caps the traces per run.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use osfmig_model::check::{check_run, CheckOptions};
use osfmig_model::model::{rule_of, RULES};
use osfmig_model::presets::RunSpec;
use osfmig_model::properties::{registry, Expectation, PropDef};
use osfmig_model::{Action, OsfModel, Sys};

use crate::generate::SplitMix64;

/// How hard to search for each run.
#[derive(Clone, Debug)]
pub struct CoverBudget {
    /// States the breadth-first search may visit.
    pub bfs_states: usize,
    /// Random walks after a cut search.
    pub walks: u64,
    /// Breadth-first searches re-rooted at the end of a witness, for items still uncovered
    /// after the walks, and the states each may visit.
    pub rebases: usize,
    pub rebase_states: usize,
    /// Fall back on the exhaustive safety check for items still uncovered.
    pub check_fallback: bool,
}

impl Default for CoverBudget {
    fn default() -> Self {
        CoverBudget {
            bfs_states: 300_000,
            walks: 3_000,
            rebases: 16,
            rebase_states: 50_000,
            check_fallback: true,
        }
    }
}

/// A coverage target: a rule label or a reachability item's ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Rule(&'static str),
    Item(&'static str),
}

impl Target {
    pub fn id(self) -> &'static str {
        match self {
            Target::Rule(r) | Target::Item(r) => r,
        }
    }
}

/// What the cover search of one run found.
#[derive(Clone, Debug)]
pub struct CoverReport {
    pub run: String,
    /// The reachability items the run registers.
    pub items: Vec<&'static str>,
    /// Targets the kept traces cover, in `RULES` order then registry order.
    pub covered: Vec<Target>,
    /// Targets not covered, with the reason.
    pub uncovered: Vec<(Target, String)>,
    /// States the breadth-first search visited, and whether it saw every reachable state.
    pub bfs_states: usize,
    pub bfs_complete: bool,
    /// Random walks taken (phase 2).
    pub walks: u64,
    /// Re-rooted searches run (phase 2b).
    pub rebased: usize,
    /// Items found by the exhaustive check (phase 3).
    pub from_check: Vec<&'static str>,
}

impl CoverReport {
    pub fn rules_covered(&self) -> usize {
        self.covered
            .iter()
            .filter(|t| matches!(t, Target::Rule(_)))
            .count()
    }

    pub fn items_covered(&self) -> usize {
        self.covered
            .iter()
            .filter(|t| matches!(t, Target::Item(_)))
            .count()
    }

    /// Uncovered targets the run might still reach (the search that missed them was cut), and
    /// those it cannot (complete search, or cut by `--count`).
    pub fn summary(&self) -> String {
        let mut s = format!(
            "cover: {}/{} rule(s), {}/{} item(s)",
            self.rules_covered(),
            RULES.len(),
            self.items_covered(),
            self.items.len()
        );
        if self.bfs_complete {
            s.push_str(&format!(" [complete search, {} states", self.bfs_states));
        } else {
            s.push_str(&format!(
                " [search cut at {} states, {} walk(s)",
                self.bfs_states, self.walks
            ));
            if self.rebased > 0 {
                s.push_str(&format!(", {} re-rooted search(es)", self.rebased));
            }
        }
        if !self.from_check.is_empty() {
            s.push_str(&format!(
                ", from the exhaustive check: {}",
                self.from_check.join(", ")
            ));
        }
        s.push(']');
        let unreachable = self
            .uncovered
            .iter()
            .filter(|(t, why)| matches!(t, Target::Rule(_)) && why == UNREACHABLE)
            .count();
        if unreachable > 0 {
            s.push_str(&format!("; {unreachable} rule(s) the run cannot fire"));
        }
        // The rest, grouped by reason.
        let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
        for (t, why) in &self.uncovered {
            if matches!(t, Target::Rule(_)) && why == UNREACHABLE {
                continue;
            }
            let name = match t {
                Target::Rule(r) => r.to_string(),
                Target::Item(i) => format!("item {i}"),
            };
            match groups.iter_mut().find(|(w, _)| w == why) {
                Some((_, v)) => v.push(name),
                None => groups.push((why, vec![name])),
            }
        }
        for (why, names) in groups {
            s.push_str(&format!("; not covered ({why}): {}", names.join(", ")));
        }
        s
    }
}

/// The reason given for a target a complete search never met.
pub const UNREACHABLE: &str = "unreachable in this run";

/// Paths (from the initial state) and what they cover.
#[derive(Clone, Debug)]
pub struct Covered {
    pub paths: Vec<Vec<Action>>,
    pub report: CoverReport,
}

/// The reachability items `spec` registers.
pub fn items_of(spec: &RunSpec) -> Vec<PropDef> {
    registry(&spec.config)
        .into_iter()
        .filter(|p| p.expectation == Expectation::Sometimes)
        .collect()
}

/// Actions enabled in `st` and their successors within the boundary (as `generate`).
fn successors(model: &OsfModel, st: &Sys) -> Vec<(Action, &'static str, Sys)> {
    let mut acts = Vec::new();
    model.enabled(st, &mut acts);
    acts.into_iter()
        .filter_map(|a| {
            let rule = rule_of(st, &a, &model.cfg);
            let next = model.step(st, &a)?;
            (rule != "?" && next.net.len() <= model.cfg.queue_len_max as usize)
                .then_some((a, rule, next))
        })
        .collect()
}

fn fingerprint(st: &Sys) -> u64 {
    let mut h = DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

/// Everything a path covers: the rule of each step, the items holding in each state
/// (the initial one included).
pub fn covered_by(
    model: &OsfModel,
    init: &Sys,
    items: &[PropDef],
    path: &[Action],
) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    let mut st = init.clone();
    let note = |st: &Sys, out: &mut Vec<Target>| {
        for p in items {
            if (p.check)(model, st) && !out.contains(&Target::Item(p.id)) {
                out.push(Target::Item(p.id));
            }
        }
    };
    note(&st, &mut out);
    for (k, a) in path.iter().enumerate() {
        let rule = rule_of(&st, a, &model.cfg);
        st = model
            .step(&st, a)
            .ok_or_else(|| format!("step {k}: {a:?} is not enabled"))?;
        if !out.contains(&Target::Rule(rule)) {
            out.push(Target::Rule(rule));
        }
        note(&st, &mut out);
    }
    Ok(out)
}

/// Finds paths covering every target `spec` can reach (within `budget`), at most `count`.
pub fn cover_paths(
    spec: &RunSpec,
    count: u64,
    seed: u64,
    max_depth: usize,
    budget: &CoverBudget,
) -> Result<Covered, String> {
    let model = OsfModel::new(spec.config.clone());
    let init = Sys::initial(&spec.config);
    let items = items_of(spec);
    let all: Vec<Target> = RULES
        .iter()
        .map(|r| Target::Rule(r))
        .chain(items.iter().map(|p| Target::Item(p.id)))
        .collect();
    // Witness paths found, in the order found.
    let mut witnesses: Vec<Vec<Action>> = Vec::new();
    let mut found: HashSet<Target> = HashSet::new();

    // Phase 1: breadth-first search.
    let (bfs_states, bfs_complete) = bfs(
        &model,
        &init,
        &items,
        &all,
        max_depth,
        budget.bfs_states,
        &mut found,
        &mut witnesses,
    );

    // Phase 2: biased random walks, only when the search could not settle everything.
    let mut walks = 0;
    let mut last_new = 0;
    if !bfs_complete {
        // Stop early once a third of the budget in a row found nothing new.
        while walks < budget.walks
            && walks - last_new <= budget.walks / 3
            && all.iter().any(|t| !found.contains(t))
        {
            let mut rng = SplitMix64::new(seed ^ SplitMix64::new(walks).next_u64());
            walks += 1;
            let mut st = init.clone();
            let mut path = Vec::new();
            let mut keep = 0;
            while path.len() < max_depth {
                let mut succ = successors(&model, &st);
                if succ.is_empty() {
                    break;
                }
                let to_item: Vec<usize> = (0..succ.len())
                    .filter(|&i| {
                        items.iter().any(|p| {
                            !found.contains(&Target::Item(p.id)) && (p.check)(&model, &succ[i].2)
                        })
                    })
                    .collect();
                let to_rule: Vec<usize> = (0..succ.len())
                    .filter(|&i| !found.contains(&Target::Rule(succ[i].1)))
                    .collect();
                let pick = if !to_item.is_empty() {
                    to_item[rng.below(to_item.len())]
                } else if !to_rule.is_empty() && rng.below(4) != 0 {
                    to_rule[rng.below(to_rule.len())]
                } else {
                    rng.below(succ.len())
                };
                let (a, rule, next) = succ.swap_remove(pick);
                path.push(a);
                let mut new = found.insert(Target::Rule(rule));
                for p in &items {
                    if !found.contains(&Target::Item(p.id)) && (p.check)(&model, &next) {
                        found.insert(Target::Item(p.id));
                        new = true;
                    }
                }
                if new {
                    keep = path.len();
                }
                st = next;
            }
            if keep > 0 {
                last_new = walks;
                path.truncate(keep);
                witnesses.push(path);
            }
        }
    }

    // Phase 2b: items still missing, searched breadth-first again from the end of the
    // witnesses found so far, longest first (a deep item, such as a second migration, lies
    // beyond a first one).
    let mut rebased = 0;
    if !bfs_complete {
        let mut roots: Vec<Vec<Action>> = witnesses.clone();
        roots.sort_by_key(|w| std::cmp::Reverse(w.len()));
        for prefix in roots {
            let missing: Vec<Target> = items
                .iter()
                .map(|p| Target::Item(p.id))
                .filter(|t| !found.contains(t))
                .collect();
            if missing.is_empty() || rebased >= budget.rebases {
                break;
            }
            if prefix.len() >= max_depth {
                continue;
            }
            let mut root = init.clone();
            for a in &prefix {
                root = model
                    .step(&root, a)
                    .ok_or_else(|| format!("witness step {a:?} not enabled"))?;
            }
            rebased += 1;
            let mut sub = Vec::new();
            bfs(
                &model,
                &root,
                &items,
                &missing,
                max_depth - prefix.len(),
                budget.rebase_states,
                &mut found,
                &mut sub,
            );
            for w in sub {
                let mut p = prefix.clone();
                p.extend(w);
                witnesses.push(p);
            }
        }
    }

    // Phase 3: the exhaustive safety check's discovery paths for items still missing.
    let mut from_check = Vec::new();
    if !bfs_complete
        && budget.check_fallback
        && items.iter().any(|p| !found.contains(&Target::Item(p.id)))
    {
        let res = check_run(
            spec,
            &CheckOptions {
                liveness: false,
                ..CheckOptions::default()
            },
        );
        for p in &items {
            if found.contains(&Target::Item(p.id)) {
                continue;
            }
            let Some(steps) = res
                .properties
                .iter()
                .find(|r| r.id == p.id)
                .and_then(|r| r.path.as_ref())
            else {
                continue;
            };
            // The steps are replay tokens: indices among the enabled actions.
            let mut st = init.clone();
            let mut path = Vec::new();
            let mut acts = Vec::new();
            for s in steps {
                acts.clear();
                model.enabled(&st, &mut acts);
                let a = acts
                    .get(s.index)
                    .cloned()
                    .ok_or_else(|| format!("{}: witness step {} not enabled", p.id, s.index))?;
                st = model
                    .step(&st, &a)
                    .ok_or_else(|| format!("{}: witness step {a:?} not enabled", p.id))?;
                path.push(a);
            }
            for t in covered_by(&model, &init, &items, &path)? {
                found.insert(t);
            }
            from_check.push(p.id);
            witnesses.push(path);
        }
    }

    // Choose witnesses greedily, longest first (ties: in the order found).
    let mut cover: Vec<(Vec<Action>, Vec<Target>)> = Vec::new();
    for w in witnesses {
        let c = covered_by(&model, &init, &items, &w)?;
        cover.push((w, c));
    }
    let mut order: Vec<usize> = (0..cover.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cover[i].0.len()));
    let mut kept: Vec<usize> = Vec::new();
    let mut have: HashSet<Target> = HashSet::new();
    for i in order {
        if cover[i].1.iter().any(|t| !have.contains(t)) {
            have.extend(cover[i].1.iter().copied());
            kept.push(i);
        }
    }
    // Kept in the order found (short, early targets first), then capped.
    kept.sort_unstable();
    kept.truncate(count as usize);
    let mut covered_now: HashSet<Target> = HashSet::new();
    let mut paths = Vec::new();
    for i in kept {
        covered_now.extend(cover[i].1.iter().copied());
        paths.push(cover[i].0.clone());
    }
    let covered: Vec<Target> = all
        .iter()
        .copied()
        .filter(|t| covered_now.contains(t))
        .collect();
    let uncovered = all
        .iter()
        .copied()
        .filter(|t| !covered_now.contains(t))
        .map(|t| {
            let why = if found.contains(&t) {
                "cut by --count".to_string()
            } else if bfs_complete {
                UNREACHABLE.to_string()
            } else {
                format!(
                    "not found in {bfs_states} states and {walks} walk(s){}",
                    if matches!(t, Target::Item(_)) && budget.check_fallback {
                        " nor by the exhaustive check"
                    } else {
                        ""
                    }
                )
            };
            (t, why)
        })
        .collect();
    Ok(Covered {
        paths,
        report: CoverReport {
            run: spec.name.clone(),
            items: items.iter().map(|p| p.id).collect(),
            covered,
            uncovered,
            bfs_states,
            bfs_complete,
            walks,
            rebased,
            from_check,
        },
    })
}

/// Breadth-first search from `root` recording the shortest path (from `root`) to each target; returns the states
/// visited and whether the search was complete (not cut by the state or depth budget).
#[allow(clippy::too_many_arguments)]
fn bfs(
    model: &OsfModel,
    root: &Sys,
    items: &[PropDef],
    all: &[Target],
    max_depth: usize,
    state_budget: usize,
    found: &mut HashSet<Target>,
    witnesses: &mut Vec<Vec<Action>>,
) -> (usize, bool) {
    // Parent pointers: (parent index, action from it); the root has none.
    let mut tree: Vec<Option<(u32, Action)>> = vec![None];
    let mut seen: HashSet<u64> = HashSet::new();
    let mut queue: VecDeque<(u32, usize, Sys)> = VecDeque::new();
    let path_to = |tree: &Vec<Option<(u32, Action)>>, mut at: u32| {
        let mut p = Vec::new();
        while let Some((up, a)) = &tree[at as usize] {
            p.push(a.clone());
            at = *up;
        }
        p.reverse();
        p
    };
    let note_items = |st: &Sys,
                      at: Option<u32>,
                      tree: &Vec<Option<(u32, Action)>>,
                      found: &mut HashSet<Target>,
                      witnesses: &mut Vec<Vec<Action>>| {
        for p in items {
            let t = Target::Item(p.id);
            if !found.contains(&t) && (p.check)(model, st) {
                found.insert(t);
                if let Some(at) = at {
                    witnesses.push(path_to(tree, at));
                }
            }
        }
    };
    seen.insert(fingerprint(root));
    note_items(root, None, &tree, found, witnesses);
    queue.push_back((0, 0, root.clone()));
    let mut complete = true;
    while let Some((me, depth, st)) = queue.pop_front() {
        if all.iter().all(|t| found.contains(t)) {
            // Everything found: nothing left the search could prove unreachable either.
            return (tree.len(), true);
        }
        if depth >= max_depth {
            complete = false;
            continue;
        }
        for (a, rule, next) in successors(model, &st) {
            let fp = fingerprint(&next);
            let new_state = !seen.contains(&fp);
            let new_rule = !found.contains(&Target::Rule(rule));
            if new_state && tree.len() >= state_budget {
                complete = false;
                if new_rule {
                    found.insert(Target::Rule(rule));
                    let mut p = path_to(&tree, me);
                    p.push(a);
                    witnesses.push(p);
                }
                continue;
            }
            if new_state {
                seen.insert(fp);
                tree.push(Some((me, a.clone())));
                let id = (tree.len() - 1) as u32;
                if new_rule {
                    found.insert(Target::Rule(rule));
                    witnesses.push(path_to(&tree, id));
                }
                note_items(&next, Some(id), &tree, found, witnesses);
                queue.push_back((id, depth + 1, next));
            } else if new_rule {
                found.insert(Target::Rule(rule));
                let mut p = path_to(&tree, me);
                p.push(a);
                witnesses.push(p);
            }
        }
    }
    (tree.len(), complete)
}

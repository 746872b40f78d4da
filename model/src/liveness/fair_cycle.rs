//! The explicit state graph and the fair-cycle search (spec §6.2). Generic in the action type,
//! so that tests can build small graphs by hand; it knows nothing of the protocol, only states,
//! edges with their fairness keys, and per obligation whether its trigger and goal hold.

use std::collections::{HashMap, VecDeque};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// No fairness key (an environment choice).
pub const NO_KEY: u32 = u32::MAX;
/// No successor (beyond the boundary or the state limit).
pub const NO_STATE: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct Edge<A> {
    pub action: A,
    /// Interned fairness key, or [`NO_KEY`].
    pub key: u32,
    /// Successor state, or [`NO_STATE`].
    pub to: u32,
}

/// A reachable state graph with, per state, one trigger bit and one goal bit per obligation.
/// State 0 is the initial state; the edges of state `s` are `edges[start[s]..start[s + 1]]`.
#[derive(Clone, Debug)]
pub struct Graph<A> {
    pub start: Vec<u32>,
    pub edges: Vec<Edge<A>>,
    pub trigger: Vec<u64>,
    pub goal: Vec<u64>,
}

impl<A> Default for Graph<A> {
    fn default() -> Self {
        Graph {
            start: Vec::new(),
            edges: Vec::new(),
            trigger: Vec::new(),
            goal: Vec::new(),
        }
    }
}

impl<A> Graph<A> {
    pub fn states(&self) -> usize {
        self.trigger.len()
    }

    fn out(&self, s: u32) -> std::ops::Range<usize> {
        self.start[s as usize] as usize..self.start[s as usize + 1] as usize
    }

    /// Appends a state with its edges (states must be added in index order).
    pub fn push_state(
        &mut self,
        trigger: u64,
        goal: u64,
        edges: impl IntoIterator<Item = Edge<A>>,
    ) {
        if self.start.is_empty() {
            self.start.push(0);
        }
        self.edges.extend(edges);
        self.start.push(self.edges.len() as u32);
        self.trigger.push(trigger);
        self.goal.push(goal);
    }
}

/// A counterexample as edge indices into [`Graph::edges`]: the prefix from the initial state,
/// then (for a fair cycle) one loop back to the prefix's last state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lasso {
    pub prefix: Vec<u32>,
    pub cycle: Vec<u32>,
    /// States in the fair component (0 when stuck).
    pub component: usize,
}

impl Lasso {
    pub fn stuck(&self) -> bool {
        self.cycle.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.prefix.len() + self.cycle.len()
    }
}

/// The product of the graph with obligation `ob`'s monitor: node `2s + b`, where `b` says the
/// obligation is pending (triggered now or earlier, goal not reached since).
struct Product<'g, A> {
    g: &'g Graph<A>,
    bit: u64,
}

impl<A> Product<'_, A> {
    fn pending_after(&self, prev: bool, s: u32) -> bool {
        let (t, goal) = (
            self.g.trigger[s as usize] & self.bit != 0,
            self.g.goal[s as usize] & self.bit != 0,
        );
        !goal && (t || prev)
    }

    fn node(&self, prev: bool, s: u32) -> u32 {
        2 * s + self.pending_after(prev, s) as u32
    }

    /// Product successors of node `p`: (edge index, successor node).
    fn succ(&self, p: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (s, b) = (p / 2, p % 2 == 1);
        self.g.out(s).filter_map(move |i| {
            let to = self.g.edges[i].to;
            (to != NO_STATE).then(|| (i as u32, self.node(b, to)))
        })
    }

    /// Sorted fairness keys enabled at node `p`.
    fn keys(&self, p: u32) -> Vec<u32> {
        let mut k: Vec<u32> = self
            .g
            .out(p / 2)
            .map(|i| self.g.edges[i].key)
            .filter(|&k| k != NO_KEY)
            .collect();
        k.sort_unstable();
        k.dedup();
        k
    }
}

/// Checks obligation `ob` (bit index) of `g` under weak fairness: a shortest lasso to a stuck
/// pending state or to a fair pending component, whichever is reached first.
pub fn find_violation<A>(g: &Graph<A>, ob: usize) -> Option<Lasso> {
    let bit = 1u64 << ob;
    if g.states() == 0 || g.trigger.iter().all(|t| t & bit == 0) {
        return None;
    }
    let pr = Product { g, bit };
    let n = 2 * g.states();
    // Breadth-first search of the product: parent pointers and discovery order.
    let mut parent = vec![(NO_STATE, NO_STATE); n];
    let mut order_pos = vec![u32::MAX; n];
    let mut order: Vec<u32> = Vec::new();
    let init = pr.node(false, 0);
    order_pos[init as usize] = 0;
    order.push(init);
    let mut head = 0;
    while head < order.len() {
        let p = order[head];
        head += 1;
        for (e, q) in pr.succ(p) {
            if order_pos[q as usize] == u32::MAX {
                order_pos[q as usize] = order.len() as u32;
                parent[q as usize] = (p, e);
                order.push(q);
            }
        }
    }
    let path_to = |mut p: u32| {
        let mut edges = Vec::new();
        while parent[p as usize].0 != NO_STATE {
            edges.push(parent[p as usize].1);
            p = parent[p as usize].0;
        }
        edges.reverse();
        edges
    };
    let pending: Vec<u32> = order.iter().copied().filter(|p| p % 2 == 1).collect();
    if pending.is_empty() {
        return None;
    }
    // Stuck: pending and no weakly fair step enabled (first in BFS order = shortest).
    let stuck = pending.iter().copied().find(|&p| pr.keys(p).is_empty());

    // Fair components of the pending subgraph.
    let mut local = vec![u32::MAX; n];
    let mut sub: DiGraph<u32, u32> = DiGraph::with_capacity(pending.len(), 0);
    for &p in &pending {
        local[p as usize] = sub.add_node(p).index() as u32;
    }
    for &p in &pending {
        for (e, q) in pr.succ(p) {
            if local[q as usize] != u32::MAX {
                sub.add_edge(
                    NodeIndex::new(local[p as usize] as usize),
                    NodeIndex::new(local[q as usize] as usize),
                    e,
                );
            }
        }
    }
    let mut comp_of = vec![u32::MAX; sub.node_count()];
    let sccs = kosaraju_scc(&sub);
    for (c, scc) in sccs.iter().enumerate() {
        for v in scc {
            comp_of[v.index()] = c as u32;
        }
    }
    let mut best_cycle: Option<(u32, usize)> = None; // (entry product node, component)
    for (c, scc) in sccs.iter().enumerate() {
        let inside = |q: u32| {
            local[q as usize] != u32::MAX && comp_of[local[q as usize] as usize] == c as u32
        };
        let nodes: Vec<u32> = scc.iter().map(|v| sub[*v]).collect();
        let nontrivial = nodes.len() > 1 || pr.succ(nodes[0]).any(|(_, q)| q == nodes[0]);
        if !nontrivial {
            continue;
        }
        let mut always = pr.keys(nodes[0]);
        for &p in &nodes[1..] {
            let k = pr.keys(p);
            always.retain(|x| k.binary_search(x).is_ok());
        }
        let taken: std::collections::HashSet<u32> = nodes
            .iter()
            .flat_map(|&p| {
                pr.succ(p)
                    .filter(|&(_, q)| inside(q))
                    .map(|(e, _)| g.edges[e as usize].key)
            })
            .collect();
        if always.iter().all(|k| taken.contains(k)) {
            let entry = *nodes
                .iter()
                .min_by_key(|&&p| order_pos[p as usize])
                .expect("non-empty");
            if best_cycle.is_none_or(|(b, _)| order_pos[entry as usize] < order_pos[b as usize]) {
                best_cycle = Some((entry, c));
            }
        }
    }
    let stuck_lasso = stuck.map(|p| Lasso {
        prefix: path_to(p),
        cycle: Vec::new(),
        component: 0,
    });
    let cycle_lasso = best_cycle.map(|(entry, c)| {
        let inside = |q: u32| {
            local[q as usize] != u32::MAX && comp_of[local[q as usize] as usize] == c as u32
        };
        Lasso {
            prefix: path_to(entry),
            cycle: fair_loop(&pr, entry, &inside),
            component: sccs[c].len(),
        }
    });
    match (stuck_lasso, cycle_lasso) {
        (Some(a), Some(b)) => Some(if b.prefix.len() < a.prefix.len() {
            b
        } else {
            a
        }),
        (a, b) => a.or(b),
    }
}

/// Shortest path inside a component from `from` to a node satisfying `target` (edge indices
/// with the node each reaches), or `None`.
fn path_within<A>(
    pr: &Product<'_, A>,
    inside: &dyn Fn(u32) -> bool,
    from: u32,
    target: &dyn Fn(u32) -> bool,
    nonempty: bool,
) -> Option<Vec<(u32, u32)>> {
    if !nonempty && target(from) {
        return Some(Vec::new());
    }
    let mut prev: HashMap<u32, (u32, u32)> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = std::collections::HashSet::from([from]);
    while let Some(p) = queue.pop_front() {
        for (e, q) in pr.succ(p) {
            if !inside(q) {
                continue;
            }
            if target(q) {
                let mut path = vec![(e, q)];
                let mut cur = p;
                while cur != from {
                    let (pp, pe) = prev[&cur];
                    path.push((pe, cur));
                    cur = pp;
                }
                path.reverse();
                return Some(path);
            }
            if seen.insert(q) {
                prev.insert(q, (p, e));
                queue.push_back(q);
            }
        }
    }
    None
}

/// A loop from `entry` back to itself inside the component that is weakly fair: every key
/// enabled in all the states it visits is taken on it.
fn fair_loop<A>(pr: &Product<'_, A>, entry: u32, inside: &dyn Fn(u32) -> bool) -> Vec<u32> {
    let mut walk: Vec<(u32, u32)> = Vec::new();
    let mut cur = entry;
    let limit = pr.g.edges.len() + 2;
    for _ in 0..limit {
        // Back to the entry (a non-empty loop when nothing was walked yet).
        let close = path_within(pr, inside, cur, &|q| q == entry, walk.is_empty())
            .expect("strongly connected");
        let full: Vec<(u32, u32)> = walk.iter().chain(close.iter()).copied().collect();
        let taken: Vec<u32> = full
            .iter()
            .map(|&(e, _)| pr.g.edges[e as usize].key)
            .collect();
        let mut always = pr.keys(entry);
        for &(_, q) in &full {
            let k = pr.keys(q);
            always.retain(|x| k.binary_search(x).is_ok());
        }
        let Some(&bad) = always.iter().find(|k| !taken.contains(k)) else {
            return full.into_iter().map(|(e, _)| e).collect();
        };
        // Take a `bad` edge inside the component, or visit a state where it is disabled.
        let has_edge = |q: u32| {
            pr.succ(q)
                .any(|(e, r)| inside(r) && pr.g.edges[e as usize].key == bad)
        };
        let disabled = |q: u32| pr.keys(q).binary_search(&bad).is_err();
        if let Some(seg) = path_within(pr, inside, cur, &has_edge, false) {
            walk.extend(seg);
            cur = walk.last().map_or(cur, |&(_, q)| q);
            let (e, r) = pr
                .succ(cur)
                .find(|&(e, r)| inside(r) && pr.g.edges[e as usize].key == bad)
                .expect("found");
            walk.push((e, r));
            cur = r;
        } else {
            let seg =
                path_within(pr, inside, cur, &disabled, false).expect("the component is fair");
            walk.extend(seg);
            cur = walk.last().map_or(cur, |&(_, q)| q);
        }
    }
    unreachable!("a fair loop is found after at most one fix per key")
}

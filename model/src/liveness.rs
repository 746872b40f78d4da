//! # Liveness under weak fairness (spec §6.2): L1-L5
//!
//! stateright's `eventually` is not liveness checking (it ignores cycles and has no fairness),
//! so this module builds the explicit reachable state graph of a run itself, without symmetry,
//! and checks every liveness property as a family of obligations `□(trigger → ◇ goal)`, one
//! per pid or per request, so that one obligation's progress never hides another's starvation.
//!
//! ## Exploration
//!
//! Breadth-first from the initial state. States are identified by a 64-bit fingerprint (SipHash
//! with fixed keys, as stateright does: the chance of a collision is about n²/2⁶⁵, 10⁻⁷ at two
//! million states) and only the graph is kept: for each state its outgoing edges (action,
//! fairness key, successor) and, per obligation, whether its trigger and its goal hold. States
//! beyond the model's boundary (`queue_len_max`) or beyond the state limit are not added; the
//! edge that reaches them keeps its fairness key (the step is enabled) but has no successor,
//! and the exploration is reported incomplete. Such a missing edge can only make a cycle look
//! unfair, never fair, so the violations found in an incomplete graph are genuine.
//!
//! ## Fairness (spec §6.2)
//!
//! *Weak fairness* for the protocol's own steps: a step that stays enabled forever is
//! eventually taken. The protocol steps are
//! - every message delivery (`Action::Deliver`), with the fairness key the delivered envelope
//!   (source, destination, message), ignoring the environment's `exhausted` choice: a refusal
//!   (R7) and an acceptance (R9) both count as delivering the MigrateRequest;
//! - the PMA and kernel steps `Suspend` (R3), `AbortRestartable` (R4'), `Freeze` (R5),
//!   `Detach` (R6), `Pull` (R11), `Install` (R12), `InformPmm` (R13), `PreCopy`,
//!   `PreCopyDone`, `Detect` (dead-name notifications, C1-C4) and `Bury`, each keyed by the
//!   action itself.
//!
//! *No fairness* for the environment's choices: `Issue`, `FileRead`, `ConsumeReply`, `Touch`,
//! `Dirty`, `PcntlMigrate`, `Crash` and `Abandon` (R10). The environment may stop acting at
//! any time: in particular a child may never `exit()`, which is what leaves a parent's `wait()`
//! in progress forever (R4).
//!
//! An obligation is violated when a reachable state where it is pending (triggered, goal not
//! yet reached) either
//! - is *stuck*: no weakly fair step is enabled there, so the environment may stop acting and
//!   nothing else will ever happen; or
//! - lies in a *fair* strongly connected component of the pending subgraph: one that is
//!   non-trivial (more than one state, or a self-loop) and in which every weakly fair key
//!   enabled in *all* its states labels some edge inside it. A run that loops through every
//!   state and edge of such a component forever is fair and never reaches the goal; when the
//!   test fails, no infinite path inside the component is fair (the key is enabled throughout
//!   and never taken), and for weak fairness no sub-component can do better.
//!
//! The counterexample is a lasso: a shortest path from the initial state to the stuck state or
//! to the component (breadth-first parent pointers), followed for a component by one fair loop
//! around it back to its entry state (it takes each key enabled throughout the loop).

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use stateright::Model;

use crate::check::{replay_command, steps_of, PropResult, Verdict};
use crate::config::{Config, Mode};
use crate::model::{Action, OsfModel};
use crate::presets::RunSpec;
use crate::properties::Expectation;
use crate::state::*;
use crate::types::*;

/// Unique states explored before the liveness check gives up (the run is then incomplete).
pub const DEFAULT_STATE_LIMIT: usize = 2_000_000;

/// Whether the liveness check applies to a configuration. Always: it is cheap next to the
/// safety run.
pub fn applies(_cfg: &Config) -> bool {
    true
}

// ---------------------------------------------------------------------------------------------
// Fairness keys
// ---------------------------------------------------------------------------------------------

/// What weak fairness is about: a delivery of one envelope, or one PMA/kernel step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FairKey {
    Deliver(Envelope),
    Step(Action),
}

/// The weak-fairness key of an action enabled in `st`; `None` for the environment's choices.
pub fn fairness_key(st: &Sys, action: &Action) -> Option<FairKey> {
    match action {
        Action::Deliver { idx, .. } => st.net.get(*idx as usize).map(|e| FairKey::Deliver(*e)),
        Action::Suspend { .. }
        | Action::AbortRestartable { .. }
        | Action::Freeze { .. }
        | Action::Detach { .. }
        | Action::Pull { .. }
        | Action::Install { .. }
        | Action::InformPmm { .. }
        | Action::FinishExit { .. }
        | Action::PreCopy { .. }
        | Action::PreCopyDone { .. }
        | Action::Detect { .. }
        | Action::Bury { .. } => Some(FairKey::Step(action.clone())),
        Action::Issue { .. }
        | Action::FileRead { .. }
        | Action::ConsumeReply { .. }
        | Action::Touch { .. }
        | Action::Dirty { .. }
        | Action::PcntlMigrate { .. }
        | Action::Crash { .. }
        | Action::Abandon { .. } => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The explicit graph and the fair-cycle check (generic in the action type, for tests)
// ---------------------------------------------------------------------------------------------

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

    fn len(&self) -> usize {
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

// ---------------------------------------------------------------------------------------------
// The properties (spec §6.2)
// ---------------------------------------------------------------------------------------------

fn live_nodes(st: &Sys) -> impl Iterator<Item = (NodeId, &Node)> {
    st.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.alive)
        .map(|(i, n)| (i as NodeId, n))
}

/// L1's trigger: pid `p` is in migration — some live PMA is freezing it (`Active` with an
/// outgoing migration), holds it migrating or reserved, or (T1) has a task migration pending.
pub fn l1_in_migration(st: &Sys, p: Pid) -> bool {
    live_nodes(st).any(|(_, n)| match &n.pma.procs[p as usize] {
        Local::Active { out: Some(_), .. } | Local::Migrating { .. } | Local::Incoming { .. } => {
            true
        }
        Local::Active { proc, out: None } => proc.task_migrating.is_some(),
        Local::Free => false,
    })
}

/// L2's trigger: request `r` is being routed (in transit, being looked up or re-sent).
pub fn l2_routing(st: &Sys, r: ReqId) -> bool {
    st.reqs
        .get(r as usize)
        .is_some_and(|q| q.status == ReqStatus::Routing)
}

/// L2's safety half: at most one AbsentProcess per migration of the target since the caller's
/// last look-up (plus the one that started it).
pub fn l2_absent_bounded(st: &Sys) -> bool {
    !st.ghost.l2_broken
}

/// L3's trigger: request `r` is not answered yet. A `wait()` in progress is an obligation only
/// once its waiter has no living child (alive or being forked, as the PM Master counts them):
/// until then its answer waits for a child's `exit()`, an environment choice (spec §6.2).
pub fn l3_unanswered(st: &Sys, r: ReqId) -> bool {
    st.reqs.get(r as usize).is_some_and(|q| match q.status {
        ReqStatus::Completed(_) | ReqStatus::Lost => false,
        ReqStatus::InProgress { .. } if q.call == Call::Wait => !st
            .pmm
            .pids
            .iter()
            .any(|e| e.parent == Some(q.target) && matches!(e.life, Life::Alive | Life::Embryo)),
        ReqStatus::InProgress { .. } | ReqStatus::Routing | ReqStatus::Queued { .. } => true,
    })
}

/// L4's goal: pid `p` is consistent — dead (or a zombie) with no PMA entry and no task on any
/// live node, or alive and active on exactly one live PMA, with its task on that node's kernel
/// (process migration) or on some live kernel (task migration), and no migrating or reserved
/// copy anywhere.
pub fn l4_consistent(cfg: &Config, st: &Sys, p: Pid) -> bool {
    let i = p as usize;
    match st.pmm.pids[i].life {
        Life::Embryo => false,
        Life::Dead | Life::Zombie | Life::Unborn => live_nodes(st)
            .all(|(_, n)| matches!(n.pma.procs[i], Local::Free) && n.kernel.tasks[i].is_none()),
        Life::Alive => {
            let active: Vec<NodeId> = live_nodes(st)
                .filter(|(_, n)| matches!(n.pma.procs[i], Local::Active { .. }))
                .map(|(k, _)| k)
                .collect();
            let [a] = active[..] else { return false };
            let task_ok = match cfg.mode {
                Mode::Process => st.nodes[a as usize].kernel.tasks[i].is_some(),
                Mode::Task => st.task_node(p).is_some(),
            };
            task_ok
                && live_nodes(st).all(|(_, n)| {
                    !matches!(
                        n.pma.procs[i],
                        Local::Migrating { .. } | Local::Incoming { .. }
                    )
                })
        }
    }
}

/// L4's trigger: a crash happened and `p` is not consistent.
pub fn l4_pending(cfg: &Config, st: &Sys, p: Pid) -> bool {
    st.crashes > 0 && !l4_consistent(cfg, st, p)
}

/// L5's trigger: some member of the migration group is in migration.
pub fn l5_trigger(st: &Sys) -> bool {
    (0..st.emus.len() as Pid).any(|p| l1_in_migration(st, p))
}

/// L5's goal: every member is active on one node and none is in migration.
pub fn l5_goal(st: &Sys) -> bool {
    let nodes: Vec<Option<NodeId>> = (0..st.emus.len() as Pid)
        .map(|p| st.active_node(p))
        .collect();
    !l5_trigger(st) && nodes[0].is_some() && nodes.iter().all(|n| *n == nodes[0])
}

/// L6's trigger: pid `p` has a file read whose reply has not reached its port. A read blocks
/// the process until the reply is there (spec §6.2), so some copy of its task — on a live
/// kernel, or in transit to one — is reading with no reply queued. The reply goes to the task
/// port wherever the task is (the paper: "messages ... are forwarded to the new location"); a
/// crash of the task's node destroys the task and with it the obligation.
pub fn l6_read_unanswered(st: &Sys, p: Pid) -> bool {
    let waiting = |t: &crate::state::Task| t.reading && t.port_queue == 0;
    live_nodes(st).any(|(_, n)| n.kernel.tasks[p as usize].as_ref().is_some_and(waiting))
        || st.net.iter().any(|e| {
            e.dst.node().is_some_and(|n| st.alive(n))
                && matches!(&e.msg, Msg::TaskState { pid, task } if *pid == p && waiting(task))
        })
}

/// One obligation: a liveness property instantiated for one pid or one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Obligation {
    L1(Pid),
    L2(ReqId),
    L3(ReqId),
    L4(Pid),
    L5,
    L6(Pid),
}

impl Obligation {
    pub fn prop(self) -> &'static str {
        match self {
            Obligation::L1(_) => "L1",
            Obligation::L2(_) => "L2",
            Obligation::L3(_) => "L3",
            Obligation::L4(_) => "L4",
            Obligation::L5 => "L5",
            Obligation::L6(_) => "L6",
        }
    }

    /// (trigger, goal) in `st`. Every obligation but L5 is a state predicate: the trigger is
    /// the negation of the goal. L5's trigger is a migration starting; it stays pending until
    /// the goal holds.
    pub fn eval(self, cfg: &Config, st: &Sys) -> (bool, bool) {
        let state = |pending: bool| (pending, !pending);
        match self {
            Obligation::L1(p) => state(l1_in_migration(st, p)),
            Obligation::L2(r) => state(l2_routing(st, r)),
            Obligation::L3(r) => state(l3_unanswered(st, r)),
            Obligation::L4(p) => state(l4_pending(cfg, st, p)),
            Obligation::L5 => (l5_trigger(st), l5_goal(st)),
            Obligation::L6(p) => state(l6_read_unanswered(st, p)),
        }
    }

    fn describe(self) -> String {
        match self {
            Obligation::L1(p) => format!("pid {p} stays in migration"),
            Obligation::L2(r) => format!("request {r} is routed forever"),
            Obligation::L3(r) => format!("request {r} is never answered"),
            Obligation::L4(p) => format!("pid {p} never becomes consistent after the crash"),
            Obligation::L5 => "the group never ends active on one node".to_string(),
            Obligation::L6(p) => format!("pid {p}'s file read is never answered"),
        }
    }
}

/// The liveness properties that apply to `cfg`: (ID, name).
pub fn properties(cfg: &Config) -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    if cfg.migrates() {
        v.push(("L1", "L1 each migration ends"));
    }
    v.push(("L2", "L2 lazy vproc update terminates"));
    v.push(("L3", "L3 every request eventually answered"));
    if cfg.crashes_max > 0 {
        v.push(("L4", "L4 consistent after a crash"));
    }
    if cfg.group {
        v.push(("L5", "L5 group ends on one node"));
    }
    if cfg.reads_files() {
        v.push(("L6", "L6 every file read answered"));
    }
    v
}

/// The obligations of `cfg`, in bit order.
pub fn obligations(cfg: &Config) -> Vec<Obligation> {
    let pids = 0..cfg.pids();
    let reqs = 0..cfg.requests_max.saturating_add(cfg.migrations_max);
    let mut v: Vec<Obligation> = pids.clone().map(Obligation::L1).collect();
    v.extend(reqs.clone().map(Obligation::L2));
    v.extend(reqs.map(Obligation::L3));
    if cfg.crashes_max > 0 {
        v.extend(pids.map(Obligation::L4));
    }
    if cfg.group {
        v.push(Obligation::L5);
    }
    if cfg.reads_files() {
        v.extend((0..cfg.pids()).map(Obligation::L6));
    }
    assert!(
        v.len() <= 64,
        "{} liveness obligations do not fit a 64-bit mask",
        v.len()
    );
    v
}

// ---------------------------------------------------------------------------------------------
// Exploring a run
// ---------------------------------------------------------------------------------------------

/// The explored graph of one configuration.
pub struct Explored {
    pub graph: Graph<Action>,
    pub obligations: Vec<Obligation>,
    /// Breadth-first parent (state, edge) of each state.
    pub parent: Vec<(u32, u32)>,
    /// First state (in breadth-first order) breaking L2's bound on AbsentProcess answers.
    pub l2_bound_broken: Option<u32>,
    pub complete: bool,
    /// Transitions explored per rule ID (spec §3): the run's rule coverage.
    pub rule_hits: std::collections::BTreeMap<&'static str, usize>,
    /// Obligations whose trigger held in some explored state (spec §6.4), bit per obligation.
    pub triggered: u64,
}

fn fingerprint(st: &Sys) -> u64 {
    let mut h = DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

/// Explores every state of `model` reachable from its initial state, up to `state_limit`.
pub fn explore(model: &OsfModel, state_limit: usize) -> Explored {
    let cfg = &model.cfg;
    let obligations = obligations(cfg);
    let mut graph = Graph::default();
    let mut index: HashMap<u64, u32> = HashMap::new();
    let mut keys: HashMap<FairKey, u32> = HashMap::new();
    let mut parent = Vec::new();
    let mut l2_bound_broken = None;
    let mut complete = true;
    let mut queue = VecDeque::new();
    let init = model.init_states().remove(0);
    index.insert(fingerprint(&init), 0);
    parent.push((NO_STATE, NO_STATE));
    queue.push_back(init);
    let mut enabled = Vec::new();
    let mut next_id = 1u32;
    let mut rule_hits = std::collections::BTreeMap::new();
    let mut triggered = 0u64;
    while let Some(st) = queue.pop_front() {
        let me = graph.states() as u32;
        let (mut trig, mut goal) = (0u64, 0u64);
        for (i, ob) in obligations.iter().enumerate() {
            let (t, g) = ob.eval(cfg, &st);
            trig |= (t as u64) << i;
            goal |= (g as u64) << i;
        }
        triggered |= trig;
        if l2_bound_broken.is_none() && !l2_absent_bounded(&st) {
            l2_bound_broken = Some(me);
        }
        enabled.clear();
        model.enabled(&st, &mut enabled);
        let mut edges = Vec::with_capacity(enabled.len());
        for a in enabled.drain(..) {
            *rule_hits
                .entry(crate::model::rule_of(&st, &a, cfg))
                .or_insert(0) += 1;
            let key = match fairness_key(&st, &a) {
                Some(k) => {
                    let n = keys.len() as u32;
                    *keys.entry(k).or_insert(n)
                }
                None => NO_KEY,
            };
            let mut to = NO_STATE;
            if let Some(next) = model.step(&st, &a) {
                if model.within_boundary(&next) {
                    let fp = fingerprint(&next);
                    if let Some(&t) = index.get(&fp) {
                        to = t;
                    } else if (next_id as usize) < state_limit {
                        to = next_id;
                        next_id += 1;
                        index.insert(fp, to);
                        parent.push((me, (graph.edges.len() + edges.len()) as u32));
                        queue.push_back(next);
                    } else {
                        complete = false;
                    }
                } else {
                    complete = false;
                }
            }
            edges.push(Edge { action: a, key, to });
        }
        graph.push_state(trig, goal, edges);
    }
    Explored {
        graph,
        obligations,
        parent,
        l2_bound_broken,
        complete,
        rule_hits,
        triggered,
    }
}

/// Checks L1-L5 on `run`'s configuration: one result per property (spec §6.2), and whether
/// the exploration was complete.
pub fn check_liveness(run: &RunSpec, state_limit: usize) -> (Vec<PropResult>, bool) {
    let (results, complete, _) = check_liveness_with(run, state_limit, "osfmig replay");
    (results, complete)
}

/// Rule IDs with the number of transitions of each in the explored graph.
pub type RuleHits = std::collections::BTreeMap<&'static str, usize>;

/// [`check_liveness`] with the prefix of the replay commands.
pub fn check_liveness_with(
    run: &RunSpec,
    state_limit: usize,
    replay_prefix: &str,
) -> (Vec<PropResult>, bool, RuleHits) {
    check_liveness_of(
        &OsfModel::new(run.config.clone()),
        run,
        state_limit,
        replay_prefix,
    )
}

/// [`check_liveness_with`] on a given model (whose stop flag a caller's deadline may set).
pub fn check_liveness_of(
    model: &OsfModel,
    run: &RunSpec,
    state_limit: usize,
    replay_prefix: &str,
) -> (Vec<PropResult>, bool, RuleHits) {
    let model = model.clone();
    let ex = explore(&model, state_limit);
    let g = &ex.graph;
    let actions_of = |edges: &[u32]| {
        edges
            .iter()
            .map(|&e| g.edges[e as usize].action.clone())
            .collect::<Vec<_>>()
    };
    let mut results = Vec::new();
    for (id, name) in properties(&run.config) {
        // The shortest violation over this property's obligations.
        let mut found: Option<(Lasso, String)> = None;
        for (i, ob) in ex.obligations.iter().enumerate() {
            if ob.prop() != id {
                continue;
            }
            if let Some(l) = find_violation(g, i) {
                if found.as_ref().is_none_or(|(b, _)| l.len() < b.len()) {
                    let how = if l.stuck() {
                        "stuck: no weakly fair step is enabled and the environment may stop"
                            .to_string()
                    } else {
                        format!("fair cycle in a component of {} states", l.component)
                    };
                    found = Some((l, format!("{} ({how})", ob.describe())));
                }
            }
        }
        if id == "L2" && found.is_none() {
            if let Some(s) = ex.l2_bound_broken {
                let mut edges = Vec::new();
                let mut cur = s;
                while ex.parent[cur as usize].0 != NO_STATE {
                    edges.push(ex.parent[cur as usize].1);
                    cur = ex.parent[cur as usize].0;
                }
                edges.reverse();
                let lasso = Lasso {
                    prefix: edges,
                    cycle: Vec::new(),
                    component: 0,
                };
                found = Some((
                    lasso,
                    "more AbsentProcess answers than migrations since the last look-up + 1"
                        .to_string(),
                ));
            }
        }
        let (verdict, path, replay, detail, loop_start) = match found {
            None => (Verdict::Holds, None, None, None, None),
            Some((l, detail)) => {
                let mut actions = actions_of(&l.prefix);
                actions.extend(actions_of(&l.cycle));
                let steps = steps_of(&model, &actions);
                let replay = replay_command(replay_prefix, run, &steps);
                let loop_start = (!l.stuck()).then_some(l.prefix.len());
                (
                    Verdict::Violated,
                    Some(steps),
                    Some(replay),
                    Some(detail),
                    loop_start,
                )
            }
        };
        results.push(PropResult {
            id: id.to_string(),
            name: name.to_string(),
            expectation: Expectation::Eventually,
            verdict,
            expected_violation: run.expected_violations.contains(&id),
            path,
            replay,
            detail,
            loop_start,
            history: None,
            exercised: Some(
                ex.obligations
                    .iter()
                    .enumerate()
                    .any(|(i, ob)| ob.prop() == id && ex.triggered & (1 << i) != 0),
            ),
        });
    }
    (
        results,
        ex.complete && !model.boundary_was_hit(),
        ex.rule_hits,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::replay;
    use crate::presets::find_run;

    fn verdict(run: &str, id: &str) -> PropResult {
        let run = find_run(run).expect("catalog run");
        let (res, complete) = check_liveness(&run, DEFAULT_STATE_LIMIT);
        assert!(complete, "{} explored completely", run.name);
        res.into_iter()
            .find(|p| p.id == id)
            .expect("property checked")
    }

    fn indices(p: &PropResult) -> Vec<usize> {
        p.path
            .as_ref()
            .expect("path")
            .iter()
            .map(|s| s.index)
            .collect()
    }

    #[test]
    fn wait_blocks_the_freeze_forever() {
        let p = verdict("wait-freeze", "L1");
        assert_eq!(p.verdict, Verdict::Violated);
        assert!(p.ok(), "wait-freeze expects L1 violated");
        assert_eq!(p.loop_start, None, "a stuck state, not a cycle");
        let model = OsfModel::new(find_run("wait-freeze").unwrap().config);
        let (steps, last) = replay(&model, &indices(&p)).expect("replays");
        // The parent is being frozen while its wait() is in progress, and nothing fair is left.
        let node = last.active_node(0).expect("parent active");
        let Local::Active { proc, out: Some(_) } = &last.pma(node).procs[0] else {
            panic!("parent not freezing: {last:?}")
        };
        let r = proc.in_progress.expect("a call in progress");
        assert_eq!(last.reqs[r as usize].call, Call::Wait);
        let mut en = Vec::new();
        model.enabled(&last, &mut en);
        assert!(
            en.iter().all(|a| fairness_key(&last, a).is_none()),
            "stuck: {en:?}"
        );
        assert!(
            steps.iter().any(|s| s.action.contains("Wait")),
            "the path issues the wait()"
        );
    }

    #[test]
    fn check_run_appends_liveness_verdicts() {
        let run = find_run("wait-freeze").unwrap();
        let res = crate::check::check_run(&run, &crate::check::CheckOptions::default());
        assert!(res.complete);
        let l1 = res
            .properties
            .iter()
            .find(|p| p.id == "L1")
            .expect("L1 reported");
        assert_eq!(
            (l1.expectation, l1.verdict),
            (Expectation::Eventually, Verdict::Violated)
        );
        assert!(l1
            .replay
            .as_deref()
            .is_some_and(|r| r.starts_with("osfmig replay --run wait-freeze --path ")));
        assert!(res.ok(), "every verdict of wait-freeze is the expected one");
    }

    #[test]
    fn r4_prime_ends_every_migration() {
        assert_eq!(verdict("r4-prime", "L1").verdict, Verdict::Holds);
    }

    #[test]
    fn group_atomicity_fails_with_refusals_only() {
        let p = verdict("group", "L5");
        assert_eq!(p.verdict, Verdict::Violated);
        assert!(p.ok());
        let model = OsfModel::new(find_run("group").unwrap().config);
        let (_, last) = replay(&model, &indices(&p)).expect("replays");
        assert!(!l5_goal(&last));
        assert_eq!(verdict("group-norefusal", "L5").verdict, Verdict::Holds);
    }

    /// State 0 and 1 alternate by environment steps `a`/`b`; a delivery `d` (key 0) leads to
    /// the goal state 2. Obligation 0 is pending in states 0 and 1.
    fn two_cycle(d_in_1: bool) -> Graph<&'static str> {
        let mut g = Graph::default();
        let e = |action, key, to| Edge { action, key, to };
        g.push_state(1, 0, [e("a", NO_KEY, 1), e("d", 0, 2)]);
        let mut s1 = vec![e("b", NO_KEY, 0)];
        if d_in_1 {
            s1.push(e("d", 0, 2));
        } else {
            // Some other protocol step keeps state 1 from being stuck.
            s1.push(e("x", 1, 0));
        }
        g.push_state(1, 0, s1);
        g.push_state(0, 1, []);
        g
    }

    #[test]
    fn a_cycle_ignoring_an_enabled_delivery_is_unfair() {
        // d is enabled in every state of the cycle and never taken in it: not a violation.
        assert_eq!(find_violation(&two_cycle(true), 0), None);
    }

    #[test]
    fn a_cycle_where_the_delivery_is_intermittent_is_fair() {
        // d is disabled in state 1 and x in state 0: weak fairness forces neither, so looping
        // on the environment's a and b forever is fair.
        let g = two_cycle(false);
        let l = find_violation(&g, 0).expect("fair cycle");
        assert!(l.prefix.is_empty());
        assert_eq!(l.component, 2);
        let names: Vec<&str> = l
            .cycle
            .iter()
            .map(|&e| g.edges[e as usize].action)
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn the_loop_takes_every_step_enabled_throughout() {
        // x (key 1) is enabled in both states of the cycle; taken in state 0 it reaches the
        // goal, taken in state 1 it loops. The environment's a/b loop alone ignores x and is
        // unfair: the fair loop must add x at state 1.
        let mut g = Graph::default();
        let e = |action, key, to| Edge { action, key, to };
        g.push_state(1, 0, [e("a", NO_KEY, 1), e("x", 1, 2)]);
        g.push_state(1, 0, [e("b", NO_KEY, 0), e("x", 1, 1)]);
        g.push_state(0, 1, []);
        let l = find_violation(&g, 0).expect("fair cycle");
        let names: Vec<&str> = l
            .cycle
            .iter()
            .map(|&e| g.edges[e as usize].action)
            .collect();
        assert_eq!(names, ["a", "x", "b"]);
    }

    #[test]
    fn a_state_with_only_environment_steps_is_stuck() {
        let mut g = Graph::default();
        g.push_state(
            1,
            0,
            [Edge {
                action: "deliver",
                key: 0,
                to: 1,
            }],
        );
        g.push_state(
            1,
            0,
            [Edge {
                action: "issue",
                key: NO_KEY,
                to: 2,
            }],
        );
        g.push_state(0, 1, []);
        let l = find_violation(&g, 0).expect("stuck");
        assert!(l.stuck());
        assert_eq!(l.prefix, vec![0]);
    }

    #[test]
    fn a_trigger_stays_pending_until_the_goal() {
        // L5-like monitor: state 0 triggers, state 1 neither triggers nor reaches the goal and
        // is stuck there: the obligation is still pending in 1.
        let mut g = Graph::default();
        g.push_state(
            1,
            0,
            [Edge {
                action: "deliver",
                key: 0,
                to: 1,
            }],
        );
        g.push_state(0, 0, []);
        let l = find_violation(&g, 0).expect("pending in state 1");
        assert_eq!(l.prefix, vec![0]);
        // Without the trigger, nothing is owed.
        g.trigger[0] = 0;
        assert_eq!(find_violation(&g, 0), None);
    }

    #[test]
    fn a_self_loop_of_an_environment_step_next_to_a_delivery_is_unfair() {
        let mut g = Graph::default();
        g.push_state(
            1,
            0,
            [
                Edge {
                    action: "touch",
                    key: NO_KEY,
                    to: 0,
                },
                Edge {
                    action: "d",
                    key: 0,
                    to: 1,
                },
            ],
        );
        g.push_state(0, 1, []);
        assert_eq!(find_violation(&g, 0), None);
    }

    #[test]
    fn refusal_and_acceptance_share_a_fairness_key() {
        let run = find_run("group").unwrap();
        let model = OsfModel::new(run.config);
        let mut en = Vec::new();
        let mut seen = false;
        // Find a state with a MigrateRequest deliverable and compare both choices' keys.
        let mut st = model.init_states().remove(0);
        for _ in 0..64 {
            en.clear();
            model.enabled(&st, &mut en);
            let acc = en.iter().find(|a| {
                matches!(
                    a,
                    Action::Deliver {
                        exhausted: true,
                        ..
                    }
                )
            });
            if let Some(Action::Deliver { idx, .. }) = acc {
                let refuse = fairness_key(
                    &st,
                    &Action::Deliver {
                        idx: *idx,
                        exhausted: true,
                    },
                );
                let accept = fairness_key(
                    &st,
                    &Action::Deliver {
                        idx: *idx,
                        exhausted: false,
                    },
                );
                assert_eq!(refuse, accept);
                assert!(refuse.is_some());
                seen = true;
                break;
            }
            // Protocol steps first; else the last environment choice (a migration to node 2).
            let Some(a) = en
                .iter()
                .find(|a| fairness_key(&st, a).is_some())
                .or(en.last())
            else {
                break;
            };
            st = model.step(&st, a).unwrap();
        }
        assert!(seen, "a MigrateRequest was delivered");
    }
}

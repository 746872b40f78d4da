//! # U1: every run's history is linearizable against the user-level spec (spec §13.4)
//!
//! A history is linearizable when its operations can be put in one sequence that keeps the
//! real-time order (an operation that returned before another was invoked comes first) and in
//! which every answer is the one [`ProcTable`] gives. stateright's `LinearizabilityTester`
//! decides that by searching the whole history at the end; kept in a state it would make every
//! path's history part of the state and search it again at every step. This module decides
//! the same question incrementally, in the style of just-in-time linearization (Lowe, "Testing
//! for linearizability", 2017): the state holds only the *frontier*, every configuration the
//! history so far can have left the object in:
//!
//! - a configuration is a [`ProcTable`], the pending operations already linearized (each with
//!   the answer guessed for it), and, per pending operation, the non-effectful answers that
//!   were valid at some point since it was invoked;
//! - an invocation adds a pending operation;
//! - a return (or an instantaneous environment event) keeps, from each configuration, every
//!   way to linearize some pending operations and then the returning one with its answer;
//! - a lost call (spec §5.5, it never returns) keeps the configurations where it took effect
//!   and those where it did not.
//!
//! Operations are linearized only when a return needs them ("just in time"), so the frontier
//! stays small. An answer that changes nothing (ESRCH, a refusal, …) may be placed at any
//! point of its interval where it was valid, which the per-operation bits record. The history
//! is linearizable exactly when the frontier is not empty (U1); the tests compare this with
//! stateright's `LinearizabilityTester` on random histories.

use std::sync::Arc;

use serde::Serialize;

use crate::fixed_vec::FixedVec;
use crate::state::{Sys, PIDS_CAP, REQS_CAP};
use crate::types::{Call, NodeId, Outcome, Pid, ReqId, Sender};
use crate::user_spec::{Op, ProcTable, Ret};

/// Operations that can be pending at once: the run's requests, then one G1 member migration
/// per pid (started by the PMA, not by a caller).
pub const OPS: usize = REQS_CAP + PIDS_CAP;
const _: () = assert!(OPS <= 16, "pending operations are a 16-bit set");

/// An operation's index: a request id, or `REQS_CAP + pid` for a group member's migration.
pub type OpId = u8;

pub fn group_op(pid: Pid) -> OpId {
    (REQS_CAP + pid as usize) as OpId
}

// Kinds of non-effectful answers, one bit each per pending operation in `Cfg::seen`.
const NOT_ALIVE: u64 = 1;
const REFUSABLE: u64 = 2;
const ABANDONABLE: u64 = 4;
const REJECTABLE: u64 = 8;

fn kind_of(ret: &Ret) -> u64 {
    match ret {
        Ret::NoSuchProcess | Ret::Died => NOT_ALIVE,
        Ret::Refused => REFUSABLE,
        Ret::Abandoned => ABANDONABLE,
        Ret::Rejected => REJECTABLE,
        _ => 0,
    }
}

/// One configuration of the frontier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cfg {
    pub spec: ProcTable,
    /// Pending operations linearized already, with their guessed answers, by operation id.
    pub early: FixedVec<(OpId, Ret), OPS>,
    /// Per pending operation `o`, bits `4o..4o+4`: which non-effectful answers were valid at
    /// some point since `o` was invoked, or, once `o` is linearized early, since then.
    pub seen: u64,
}

impl Cfg {
    fn guessed(&self, id: OpId) -> Option<Ret> {
        self.early.iter().find(|e| e.0 == id).map(|e| e.1)
    }

    /// Forgets operation `id` (it returned, or was lost).
    fn drop_op(&mut self, id: OpId) {
        self.early.retain(|e| e.0 != id);
        self.seen &= !(0xF << (4 * id as u32));
    }
}

/// A `Hasher` that collects what it is given and hashes it in one piece when finished.
struct Bytes(Vec<u8>);

impl std::hash::Hasher for Bytes {
    fn write(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn finish(&self) -> u64 {
        // Fixed keys, so that the digest (and the state's fingerprint) is the same in every
        // run and on every machine.
        let mut h = std::hash::DefaultHasher::new();
        h.write(&self.0);
        h.finish()
    }
}

/// The U1 monitor kept in the state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct U1 {
    /// Sorted and without repeats; empty once the history is not linearizable.
    pub frontier: Arc<[Cfg]>,
    /// Operations invoked and not yet returned (nor lost), bit per [`OpId`].
    pub pending: u16,
    /// The destination of each pid's pending G1 member migration.
    pub group_dst: [NodeId; PIDS_CAP],
    /// A 64-bit digest of `frontier`, computed when it changes, which the state's hash reads
    /// instead of the configurations (spec §8.4): the frontier changes only when a call is
    /// invoked or answered, while every generated state is hashed.
    pub digest: u64,
}

impl U1 {
    pub fn new(spec: ProcTable) -> U1 {
        let mut u = U1 {
            frontier: Arc::from(Vec::new()),
            pending: 0,
            group_dst: [0; PIDS_CAP],
            digest: 0,
        };
        u.set(vec![Cfg {
            spec,
            early: FixedVec::new(),
            seen: 0,
        }]);
        u
    }

    /// Replaces the frontier: sorted, without repeats, digested.
    pub fn set(&mut self, mut v: Vec<Cfg>) {
        use std::hash::{Hash, Hasher};
        v.sort_unstable();
        v.dedup();
        // The configurations' fields are gathered into one buffer first: SipHash over one
        // slice costs a fraction of one call per small field.
        let mut bytes = Bytes(Vec::with_capacity(64 * v.len()));
        v.hash(&mut bytes);
        self.digest = bytes.finish();
        self.frontier = Arc::from(v);
    }

    pub fn linearizable(&self) -> bool {
        !self.frontier.is_empty()
    }
}

/// The operation a request or group migration stands for.
pub fn op_of(st: &Sys, id: OpId) -> Op {
    if (id as usize) >= REQS_CAP {
        let pid = id - REQS_CAP as u8;
        return Op::Migrate {
            pid,
            dst: st.u1.group_dst[pid as usize],
        };
    }
    let r = &st.reqs[id as usize];
    match r.call {
        Call::Signal => Op::Signal { target: r.target },
        Call::GetInfo => Op::GetInfo { pid: r.target },
        Call::Wait => Op::Wait { parent: r.target },
        Call::Exit => Op::Exit { pid: r.target },
        Call::Fork => Op::Fork { parent: r.target },
        Call::Migrate { dst } => Op::Migrate { pid: r.target, dst },
        Call::Sigsuspend => Op::Sigsuspend { pid: r.target },
        Call::Allow { allow } => Op::Allow {
            pid: r.target,
            allow,
        },
    }
}

/// The answer a request's sender received, read from its outcome and the answer's payload
/// (`Req::detail`: the usage and migration count of `getrusage()`, the child of `wait()` and
/// `fork()`).
pub fn ret_of(st: &Sys, req: ReqId, outcome: Outcome) -> Ret {
    let r = &st.reqs[req as usize];
    match (r.call, outcome) {
        (Call::GetInfo, Outcome::Ok) => Ret::Info {
            usage: r.detail & 0xF,
            migrations: r.detail >> 4,
        },
        (Call::Wait, Outcome::Ok) => Ret::Waited((r.detail != r.target).then_some(r.detail)),
        (Call::Fork, Outcome::Ok) => Ret::Forked(r.detail),
        (Call::Fork, Outcome::Rejected) => Ret::NoPid,
        (_, Outcome::Ok) => Ret::Ok,
        (_, Outcome::NoSuchProcess) => Ret::NoSuchProcess,
        (_, Outcome::Migrated) => Ret::Migrated,
        (_, Outcome::Refused) => Ret::Refused,
        (_, Outcome::Abandoned) => Ret::Abandoned,
        (_, Outcome::Rejected) => Ret::Rejected,
        (_, Outcome::Died) => Ret::Died,
    }
}

/// The pid an operation is about (for R1's "busy" context).
fn subject(op: &Op) -> Option<Pid> {
    match *op {
        Op::Migrate { pid, .. } | Op::Exit { pid } => Some(pid),
        _ => None,
    }
}

/// The pending operations as (id, op), in id order.
fn pending_ops(st: &Sys, pending: u16) -> Pending {
    (0..OPS as OpId)
        .filter(|&i| pending & (1 << i) != 0)
        .map(|i| (i, op_of(st, i)))
        .collect()
}

/// Whether another migration or an `exit()` of `pid` is in progress besides `me`: R1 then
/// rejects a migration ("a second request for the same pid while it migrates is rejected";
/// R5's "not exiting", spec §13.3).
fn busy(ops: &[(OpId, Op)], me: OpId, pid: Pid) -> bool {
    ops.iter().any(|(i, o)| *i != me && subject(o) == Some(pid))
}

/// The non-effectful answers valid for `op` in `spec` now.
fn valid_kinds(spec: &ProcTable, ops: &[(OpId, Op)], id: OpId, op: &Op) -> u64 {
    let b = match *op {
        Op::Migrate { pid, .. } => busy(ops, id, pid),
        _ => false,
    };
    let mut bits = 0;
    for (ret, kind) in [
        (Ret::NoSuchProcess, NOT_ALIVE),
        (Ret::Refused, REFUSABLE),
        (Ret::Abandoned, ABANDONABLE),
        (Ret::Rejected, REJECTABLE),
    ] {
        if spec.valid_unchanged(op, &ret, b) {
            bits |= kind;
        }
    }
    bits
}

/// Records, for every pending operation, which non-effectful answers are valid in `c` now.
fn refresh(c: &mut Cfg, ops: &[(OpId, Op)]) {
    for (i, op) in ops {
        c.seen |= valid_kinds(&c.spec, ops, *i, op) << (4 * *i as u32);
    }
}

/// The effectful answers `op` could have now (the candidates a pending operation is guessed
/// with when it is linearized early).
fn candidates(spec: &ProcTable, op: &Op) -> FixedVec<Ret, { PIDS_CAP + 2 }> {
    let mut v = FixedVec::new();
    match *op {
        Op::Signal { .. } | Op::Exit { .. } | Op::Sigsuspend { .. } | Op::Allow { .. } => {
            v.push(Ret::Ok)
        }
        Op::GetInfo { pid } => {
            let e = &spec.procs[pid as usize];
            v.push(Ret::Info {
                usage: e.usage.saturating_add(1),
                migrations: e.migrations,
            });
        }
        Op::Wait { .. } => {
            v.push(Ret::Waited(None));
            for c in 0..PIDS_CAP as Pid {
                v.push(Ret::Waited(Some(c)));
            }
        }
        Op::Fork { .. } => {
            v.push(Ret::NoPid);
            for c in 0..PIDS_CAP as Pid {
                v.push(Ret::Forked(c));
            }
        }
        Op::Migrate { .. } => v.push(Ret::Migrated),
        Op::FileRead { .. } | Op::Crash { .. } | Op::Die { .. } | Op::Touch { .. } => {}
    }
    v
}

/// What the returning operation must answer.
#[derive(Clone, Copy)]
enum Want {
    Exactly(Ret),
    /// A lost call: any effectful answer (the "no effect" case is kept separately).
    AnyEffect,
}

/// Every configuration reachable from `c` by linearizing some pending operations (other than
/// `id`) and then operation `op` (`id`, or `None` for an instantaneous event) as `want` says.
fn settle(c: &Cfg, ops: &[(OpId, Op)], id: Option<OpId>, op: &Op, want: Want, out: &mut Vec<Cfg>) {
    if let Some(i) = id {
        if let Some(g) = c.guessed(i) {
            // A migration that took effect may still be answered Died when the process died
            // before its caller was told (C3 after R13, spec §13.3): dead at some point since
            // the guess (the nibble of a guessed operation restarts at the guess), even if a
            // `fork()` has since given its pid to a new process.
            let died_since = (c.seen >> (4 * i as u32)) & NOT_ALIVE != 0;
            let died_after = matches!((g, want, op), (Ret::Migrated, Want::Exactly(Ret::Died), Op::Migrate { pid, .. }) if died_since || !c.spec.procs[*pid as usize].alive());
            if died_after
                || matches!(want, Want::AnyEffect)
                || matches!(want, Want::Exactly(r) if r == g)
            {
                let mut d = *c;
                d.drop_op(i);
                out.push(d);
            }
            return;
        }
    }
    let mut seen_cfgs: Vec<Cfg> = Vec::new();
    let mut stack = vec![*c];
    while let Some(cur) = stack.pop() {
        if seen_cfgs.contains(&cur) {
            continue;
        }
        seen_cfgs.push(cur);
        // Finish with the returning operation here.
        let rest: FixedVec<(OpId, Op), OPS> = ops
            .iter()
            .copied()
            .filter(|(i, _)| Some(*i) != id)
            .collect();
        let finish = |mut d: Cfg, out: &mut Vec<Cfg>| {
            if let Some(i) = id {
                d.drop_op(i);
            }
            refresh(&mut d, &rest);
            out.push(d);
        };
        match want {
            Want::Exactly(r) if !Ret::effectful(op, &r) => {
                let seen_ok = id.is_some_and(|i| (cur.seen >> (4 * i as u32)) & kind_of(&r) != 0);
                let b = match (*op, id) {
                    (Op::Migrate { pid, .. }, Some(i)) => busy(ops, i, pid),
                    _ => false,
                };
                if seen_ok || cur.spec.valid_unchanged(op, &r, b) {
                    finish(cur, out);
                }
            }
            Want::Exactly(r) => {
                let mut d = cur;
                if d.spec.apply(op, &r) {
                    finish(d, out);
                }
            }
            Want::AnyEffect => {
                for r in candidates(&cur.spec, op).iter() {
                    let mut d = cur;
                    if d.spec.apply(op, r) {
                        finish(d, out);
                    }
                }
            }
        }
        // Or linearize one more pending operation first, with a guessed effectful answer.
        for (i, o) in ops {
            if Some(*i) == id || cur.guessed(*i).is_some() {
                continue;
            }
            for g in candidates(&cur.spec, o).iter() {
                let mut d = cur;
                if d.spec.apply(o, g) {
                    let at = d
                        .early
                        .iter()
                        .position(|e| e.0 > *i)
                        .unwrap_or(d.early.len());
                    d.early.insert(at, (*i, *g));
                    d.seen &= !(0xF << (4 * *i as u32));
                    refresh(&mut d, ops);
                    stack.push(d);
                }
            }
        }
    }
}

/// Whether `big` adds nothing to `small`: `big` is `small` with some more pending operations
/// linearized early (with the same guesses), and linearizing them from `small` in some order
/// gives `big`'s object and at least its per-operation bits. `small` can still take that step
/// at the next return, which sees the same objects in the same order, so every future `big`
/// accepts `small` accepts too (spec §13.4). Without this, the configurations a return left
/// behind would depend on which unrelated calls happened to return first, and tell apart
/// states that differ in nothing else.
fn dominated(big: &Cfg, small: &Cfg, ops: &[(OpId, Op)]) -> bool {
    if big == small || big.seen & !small.seen != 0 && big.early.len() == small.early.len() {
        return false;
    }
    let mut extra: FixedVec<(OpId, Ret), OPS> = FixedVec::new();
    for e in small.early.iter() {
        if big.guessed(e.0) != Some(e.1) {
            return false;
        }
    }
    for e in big.early.iter() {
        if small.guessed(e.0).is_none() {
            extra.push(*e);
        }
    }
    if extra.len() > 3 {
        return false;
    }
    let op = |i: OpId| ops.iter().find(|o| o.0 == i).map(|o| o.1);
    let n = extra.len();
    let mut order: [usize; 3] = [0, 1, 2];
    loop {
        let mut c = *small;
        let ok = order[..n].iter().all(|&k| {
            let (i, g) = extra[k];
            op(i).is_some_and(|o| c.spec.apply(&o, &g)) && {
                // As the guess itself does (`settle`).
                c.seen &= !(0xF << (4 * i as u32));
                refresh(&mut c, ops);
                true
            }
        });
        if ok && c.spec == big.spec && big.seen & !c.seen == 0 {
            return true;
        }
        if !next_permutation(&mut order[..n]) {
            return false;
        }
    }
}

/// The next permutation in lexicographic order; `false` after the last.
fn next_permutation(a: &mut [usize]) -> bool {
    let Some(i) = (1..a.len()).rev().find(|&i| a[i - 1] < a[i]) else {
        return false;
    };
    let j = (i..a.len())
        .rev()
        .find(|&j| a[j] > a[i - 1])
        .expect("exists");
    a.swap(i - 1, j);
    a[i..].reverse();
    true
}

/// The pending operations with their descriptions, in id order: what the frontier's updates
/// need to know of the history besides the answers.
pub type Pending = FixedVec<(OpId, Op), OPS>;

impl U1 {
    /// The frontier `v` once dominated configurations are dropped; `ops` are the operations
    /// still pending.
    fn settle_frontier(&mut self, mut v: Vec<Cfg>, ops: &[(OpId, Op)]) {
        v.sort_unstable();
        v.dedup();
        let keep: Vec<bool> = v
            .iter()
            .map(|big| !v.iter().any(|small| dominated(big, small, ops)))
            .collect();
        let v = v
            .into_iter()
            .zip(keep)
            .filter_map(|(c, k)| k.then_some(c))
            .collect();
        self.set(v);
    }

    /// Operation `id` is invoked; `ops` are the pending operations including it.
    pub fn on_invoke(&mut self, id: OpId, ops: &[(OpId, Op)]) {
        if !self.linearizable() {
            return;
        }
        self.pending |= 1 << id;
        self.memo(Step::Invoke(id), ops, |u| {
            let v = u
                .frontier
                .iter()
                .map(|c| {
                    let mut d = *c;
                    refresh(&mut d, ops);
                    d
                })
                .collect();
            u.settle_frontier(v, ops);
        });
    }

    /// Operation `id` (`op`) returns `ret`; `ops` are the pending operations including it.
    pub fn on_return(&mut self, id: OpId, op: &Op, ret: Ret, ops: &[(OpId, Op)]) {
        if !self.linearizable() || self.pending & (1 << id) == 0 {
            return;
        }
        self.pending &= !(1 << id);
        self.memo(Step::Return(id, *op, ret), ops, |u| {
            let mut v = Vec::new();
            for c in u.frontier.iter() {
                settle(c, ops, Some(id), op, Want::Exactly(ret), &mut v);
            }
            let rest: Pending = ops.iter().copied().filter(|o| o.0 != id).collect();
            u.settle_frontier(v, &rest);
        });
    }

    /// Operation `id` (`op`) will never return: it took effect at some point of its
    /// interval, or never did.
    pub fn on_lost(&mut self, id: OpId, op: &Op, ops: &[(OpId, Op)]) {
        if !self.linearizable() || self.pending & (1 << id) == 0 {
            return;
        }
        self.pending &= !(1 << id);
        self.memo(Step::Lost(id, *op), ops, |u| {
            let mut v = Vec::new();
            for c in u.frontier.iter() {
                if c.guessed(id).is_none() {
                    let mut d = *c;
                    d.drop_op(id);
                    v.push(d);
                }
                settle(c, ops, Some(id), op, Want::AnyEffect, &mut v);
            }
            let rest: Pending = ops.iter().copied().filter(|o| o.0 != id).collect();
            u.settle_frontier(v, &rest);
        });
    }

    /// An instantaneous operation: an environment event (a crash, a death, a page fault), or
    /// a file read, whose answer changes nothing and is valid at the moment it is consumed,
    /// possibly after some pending calls took effect.
    pub fn on_event(&mut self, op: &Op, ops: &[(OpId, Op)]) {
        if !self.linearizable() {
            return;
        }
        self.memo(Step::Event(*op), ops, |u| {
            let mut v = Vec::new();
            // Pending calls may take effect first: a forked child can read a file before
            // its parent's fork() has returned (the run fork-file-io).
            for c in u.frontier.iter() {
                settle(c, ops, None, op, Want::Exactly(Ret::Ok), &mut v);
            }
            u.settle_frontier(v, ops);
        });
    }

    /// Applies `step` to the frontier with `update`, or takes the result from the per-thread
    /// memo: many states share one frontier and meet the same step, and the new frontier is a
    /// function of the old one (known by its digest, as the state's hash knows it), the step
    /// and the pending operations.
    fn memo(&mut self, step: Step, ops: &[(OpId, Op)], update: impl FnOnce(&mut U1)) {
        thread_local! {
            static MEMO: Memo<MemoKey> = Memo::default();
        }
        let key = MemoKey {
            digest: self.digest,
            len: self.frontier.len(),
            step,
            ops: ops.iter().copied().collect(),
        };
        memoised(&MEMO, key, self, update);
    }
}

/// A per-thread memo of frontier changes, by a key that determines the change's result.
pub(crate) type Memo<K> = std::cell::RefCell<std::collections::HashMap<K, Digested>>;

/// Sets `u`'s frontier to the memo's entry for `key`, or computes it with `update` and keeps
/// it. A memo can only make U1 faster: an entry is the result `update` gives for its key.
pub(crate) fn memoised<K: std::hash::Hash + Eq>(
    memo: &'static std::thread::LocalKey<Memo<K>>,
    key: K,
    u: &mut U1,
    update: impl FnOnce(&mut U1),
) {
    if let Some((f, d)) = memo.with(|m| m.borrow().get(&key).cloned()) {
        u.frontier = f;
        u.digest = d;
        return;
    }
    update(u);
    memo.with(|m| {
        let mut m = m.borrow_mut();
        // Bounded: a long run meets more frontiers than are worth keeping.
        if m.len() >= 1 << 12 {
            m.clear();
        }
        m.insert(key, (u.frontier.clone(), u.digest));
    });
}

/// A frontier with its digest, as memos keep it.
pub type Digested = (Arc<[Cfg]>, u64);

/// A change of the frontier, for [`U1::memo`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Step {
    Invoke(OpId),
    Return(OpId, Op, Ret),
    Lost(OpId, Op),
    Event(Op),
}

#[derive(PartialEq, Eq, Hash)]
struct MemoKey {
    digest: u64,
    len: usize,
    step: Step,
    ops: Pending,
}

// ---------------------------------------------------------------------------------------------
// The history, for reports (spec §13.6)
// ---------------------------------------------------------------------------------------------

thread_local! {
    /// The history being recorded by [`history`], if any: (step, line).
    static RECORDING: std::cell::RefCell<Option<(usize, Vec<String>)>> =
        const { std::cell::RefCell::new(None) };
}

fn record(line: impl FnOnce() -> String) {
    RECORDING.with(|r| {
        if let Some((step, lines)) = r.borrow_mut().as_mut() {
            lines.push(format!("{:>4}. {}", *step, line()));
        }
    });
}

/// The history of calls and answers along a path (U1's counterexample, spec §13.6): every
/// invocation, answer, lost call and environment event, numbered by the step that made it,
/// and whether the frontier was still non-empty after it.
pub fn history(model: &crate::OsfModel, actions: &[crate::Action]) -> Vec<String> {
    use stateright::Model;
    RECORDING.with(|r| *r.borrow_mut() = Some((0, Vec::new())));
    let mut st = model.init_states().remove(0);
    for (k, a) in actions.iter().enumerate() {
        RECORDING.with(|r| {
            if let Some(rec) = r.borrow_mut().as_mut() {
                rec.0 = k + 1;
            }
        });
        let was = st.u1.linearizable();
        match model.step(&st, a) {
            Some(next) => st = next,
            None => break,
        }
        if was && !st.u1.linearizable() {
            record(|| {
                "no order of the calls above explains this answer: not linearizable".to_string()
            });
        }
    }
    RECORDING
        .with(|r| r.borrow_mut().take())
        .map(|(_, v)| v)
        .unwrap_or_default()
}

fn op_text(op: &Op) -> String {
    match *op {
        Op::Signal { target } => format!("kill({target})"),
        Op::GetInfo { pid } => format!("getrusage() of {pid}"),
        Op::Wait { parent } => format!("wait() of {parent}"),
        Op::Exit { pid } => format!("exit() of {pid}"),
        Op::Fork { parent } => format!("fork() of {parent}"),
        Op::Migrate { pid, dst } => format!("pcntl(MIGRATE, {pid}, node{dst})"),
        Op::FileRead { pid } => format!("a file read of {pid}"),
        Op::Sigsuspend { pid } => format!("sigsuspend() of {pid}"),
        Op::Allow { pid, allow: true } => format!("pcntl(ALLOW, {pid})"),
        Op::Allow { pid, allow: false } => format!("pcntl(DISALLOW, {pid})"),
        Op::Crash { node, queued: 0 } => format!("node{node} crashes"),
        Op::Crash { node, queued } => {
            format!("node{node} crashes, losing calls queued for pids {queued:#b}")
        }
        Op::Die { pid } => format!("{pid} dies of the crash"),
        Op::Touch { pid, page, node } => format!("{pid} faults page {page} in on node{node}"),
    }
}

/// A call (or a G1 member migration) is invoked.
pub fn invoke(st: &mut Sys, id: OpId) {
    record(|| {
        format!(
            "call #{id} by {}: {}",
            sender_name(st, id),
            op_text(&op_of(st, id))
        )
    });
    let ops = pending_ops(st, st.u1.pending | 1 << id);
    st.u1.on_invoke(id, &ops);
}

/// Operation `id` returns `ret` to its caller.
pub fn ret(st: &mut Sys, id: OpId, ret: Ret) {
    record(|| format!("call #{id} answered {ret:?}"));
    let ops = pending_ops(st, st.u1.pending);
    let op = op_of(st, id);
    st.u1.on_return(id, &op, ret, &ops);
}

/// Operation `id` will never return (its caller's or its server's node crashed, spec §5.5).
pub fn lost(st: &mut Sys, id: OpId) {
    record(|| format!("call #{id} lost (it never returns)"));
    let ops = pending_ops(st, st.u1.pending);
    let op = op_of(st, id);
    st.u1.on_lost(id, &op, &ops);
}

/// An instantaneous operation (see [`U1::on_event`]).
pub fn event(st: &mut Sys, op: Op) {
    record(|| format!("event: {}", op_text(&op)));
    let ops = pending_ops(st, st.u1.pending);
    st.u1.on_event(&op, &ops);
}

/// A G1 member starts migrating to `dst` without a caller of its own.
pub fn invoke_group(st: &mut Sys, pid: Pid, dst: NodeId) {
    st.u1.group_dst[pid as usize] = dst;
    invoke(st, group_op(pid));
}

/// The operation of a request's sender (for reports of the history).
pub fn sender_name(st: &Sys, id: OpId) -> String {
    if (id as usize) >= REQS_CAP {
        return format!("G1 member {}", id as usize - REQS_CAP);
    }
    match st.reqs[id as usize].sender {
        Sender::Proc(p) => format!("process {p}"),
        Sender::Pcntl => "pcntl".to_string(),
    }
}

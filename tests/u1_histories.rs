//! Random concurrent histories against the user-level specification (spec §13.4), shared by
//! `tests/tests/spec_13_user_spec.rs` and the mutation oracle: the incremental check of
//! `linearizability.rs` must give stateright's `LinearizabilityTester` verdict on each.

use std::collections::BTreeMap;

use osfmig_model::linearizability::{OpId, Pending, U1};
use osfmig_model::user_spec::{Op, ProcTable, Ret};
use osfmig_model::Config;
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};

/// One event of a generated history.
#[derive(Clone, Debug)]
pub enum Ev {
    Invoke(u8, Op),
    Return(u8, Ret),
    /// The call is never answered (a crash lost it): it may have taken effect or not.
    Lost(u8),
}

pub fn cfg() -> Config {
    Config {
        processes_max: 2,
        forks_max: 1,
        procs_per_node_max: 3,
        ..Config::default()
    }
}

/// The operations a thread may invoke: threads 0 and 1 are processes, 2 is `pcntl`, 3 the
/// environment (instantaneous crashes and deaths).
pub fn ops_of(thread: u8) -> Vec<Op> {
    match thread {
        0 => vec![
            Op::Signal { target: 1 },
            Op::Signal { target: 2 },
            Op::GetInfo { pid: 0 },
            Op::Wait { parent: 0 },
            Op::Fork { parent: 0 },
        ],
        1 => vec![
            Op::Signal { target: 0 },
            Op::GetInfo { pid: 1 },
            Op::Exit { pid: 1 },
        ],
        2 => vec![
            Op::Migrate { pid: 0, dst: 2 },
            Op::Migrate { pid: 1, dst: 2 },
            Op::Migrate { pid: 1, dst: 1 },
        ],
        _ => vec![
            Op::Crash { node: 2 },
            Op::Die { pid: 0 },
            Op::Die { pid: 1 },
        ],
    }
}

/// Every answer worth trying for `op` (valid or not).
pub fn answers(op: &Op) -> Vec<Ret> {
    let mut v = vec![Ret::Ok, Ret::NoSuchProcess];
    match op {
        Op::GetInfo { .. } => {
            for u in 1..4 {
                for m in 0..2 {
                    v.push(Ret::Info {
                        usage: u,
                        migrations: m,
                    });
                }
            }
        }
        Op::Wait { .. } => v.extend([
            Ret::Waited(None),
            Ret::Waited(Some(1)),
            Ret::Waited(Some(2)),
        ]),
        Op::Fork { .. } => v.extend([Ret::Forked(1), Ret::Forked(2), Ret::NoPid]),
        // Died is left out: U1 accepts it for a migration that took effect before the death
        // (spec §13.3), which a plain sequential spec does not.
        Op::Migrate { .. } => v.extend([Ret::Migrated, Ret::Refused, Ret::Rejected]),
        _ => {}
    }
    v
}

/// A random history, mostly consistent: operations take effect on a reference table at a
/// random point of their interval, and with `corrupt` one answer is then changed.
pub fn history(choices: &[u8], corrupt: Option<(usize, u8)>) -> Vec<Ev> {
    let mut spec = ProcTable::initial(&cfg());
    let mut inflight: BTreeMap<u8, (Op, Option<Ret>)> = BTreeMap::new();
    let mut evs = Vec::new();
    let mut k = 0;
    let mut pick = |n: usize| {
        let c = choices[k % choices.len()] as usize;
        k += 1;
        c % n.max(1)
    };
    for _ in 0..choices.len() {
        match pick(4) {
            0 => {
                let t = pick(4) as u8;
                if inflight.contains_key(&t) {
                    continue;
                }
                let ops = ops_of(t);
                let op = ops[pick(ops.len())];
                if t == 3 {
                    if spec.is_valid_step(&op, &Ret::Ok) {
                        evs.push(Ev::Invoke(t, op));
                        evs.push(Ev::Return(t, Ret::Ok));
                    }
                } else {
                    evs.push(Ev::Invoke(t, op));
                    inflight.insert(t, (op, None));
                }
            }
            1 | 2 => {
                // Some in-flight operation takes effect now, with a valid answer.
                let ts: Vec<u8> = inflight
                    .iter()
                    .filter(|(_, (_, r))| r.is_none())
                    .map(|(t, _)| *t)
                    .collect();
                if ts.is_empty() {
                    continue;
                }
                let t = ts[pick(ts.len())];
                let op = inflight[&t].0;
                let valid: Vec<Ret> = answers(&op)
                    .into_iter()
                    .filter(|r| spec.clone().is_valid_step(&op, r))
                    .collect();
                if valid.is_empty() {
                    continue;
                }
                let r = valid[pick(valid.len())];
                spec.is_valid_step(&op, &r);
                inflight.get_mut(&t).unwrap().1 = Some(r);
            }
            _ if pick(8) == 0 => {
                // Some in-flight call is lost, whether it took effect or not.
                let ts: Vec<u8> = inflight.keys().copied().collect();
                if ts.is_empty() {
                    continue;
                }
                let t = ts[pick(ts.len())];
                inflight.remove(&t);
                evs.push(Ev::Lost(t));
            }
            _ => {
                let ts: Vec<u8> = inflight
                    .iter()
                    .filter(|(_, (_, r))| r.is_some())
                    .map(|(t, _)| *t)
                    .collect();
                if ts.is_empty() {
                    continue;
                }
                let t = ts[pick(ts.len())];
                let (_, r) = inflight.remove(&t).unwrap();
                evs.push(Ev::Return(t, r.unwrap()));
            }
        }
    }
    // Finish what is in flight: take effect (if some answer is valid) and return.
    for (t, (op, r)) in std::mem::take(&mut inflight) {
        let r = r.or_else(|| {
            let r = answers(&op)
                .into_iter()
                .find(|r| spec.clone().is_valid_step(&op, r))?;
            spec.is_valid_step(&op, &r);
            Some(r)
        });
        match r {
            Some(r) => evs.push(Ev::Return(t, r)),
            // Nothing valid: drop the invocation so that every operation returns.
            None => {
                let at = evs
                    .iter()
                    .rposition(|e| matches!(e, Ev::Invoke(x, _) if *x == t))
                    .unwrap();
                evs.remove(at);
            }
        }
    }
    if let Some((i, a)) = corrupt {
        // Environment events are facts, not answers: only calls' answers are changed.
        let rets: Vec<usize> = (0..evs.len())
            .filter(|&j| matches!(evs[j], Ev::Return(t, _) if t != 3))
            .collect();
        if !rets.is_empty() {
            let j = rets[i % rets.len()];
            let t = match evs[j] {
                Ev::Return(t, _) => t,
                _ => unreachable!(),
            };
            let op = evs[..j]
                .iter()
                .rev()
                .find_map(|e| match e {
                    Ev::Invoke(x, op) if *x == t => Some(*op),
                    _ => None,
                })
                .unwrap();
            let all = answers(&op);
            evs[j] = Ev::Return(t, all[a as usize % all.len()]);
        }
    }
    evs
}

/// U1's verdict: each thread's current operation has the thread's id as its operation id.
pub fn u1_verdict(evs: &[Ev]) -> bool {
    let mut u = U1::new(ProcTable::initial(&cfg()));
    let mut pending: BTreeMap<OpId, Op> = BTreeMap::new();
    let as_pending =
        |p: &BTreeMap<OpId, Op>| -> Pending { p.iter().map(|(i, o)| (*i, *o)).collect() };
    for e in evs {
        match *e {
            Ev::Invoke(t, op) => {
                pending.insert(t, op);
                u.on_invoke(t, &as_pending(&pending));
            }
            Ev::Return(t, r) => {
                let op = pending[&t];
                if t == 3 {
                    pending.remove(&t);
                    u.pending &= !(1 << t);
                    u.on_event(&op, &as_pending(&pending));
                } else {
                    u.on_return(t, &op, r, &as_pending(&pending));
                    pending.remove(&t);
                }
            }
            Ev::Lost(t) => {
                let op = pending[&t];
                u.on_lost(t, &op, &as_pending(&pending));
                pending.remove(&t);
            }
        }
    }
    u.linearizable()
}

/// stateright's verdict on the same history. A lost call took effect before it was lost or
/// never (spec §13.4): the tester has no such event, so each lost call is tried both ways, as
/// answered at the moment of its loss with each answer worth trying, and as never invoked. The
/// history is linearizable when some choice is.
pub fn tester_verdict(evs: &[Ev]) -> bool {
    let Some(at) = evs.iter().position(|e| matches!(e, Ev::Lost(_))) else {
        let mut t = LinearizabilityTester::new(ProcTable::initial(&cfg()));
        for e in evs {
            let ok = match *e {
                Ev::Invoke(th, op) => t.on_invoke(th, op).is_ok(),
                Ev::Return(th, r) => t.on_return(th, r).is_ok(),
                Ev::Lost(_) => unreachable!("expanded"),
            };
            assert!(ok, "well-formed history");
        }
        return t.is_consistent();
    };
    let Ev::Lost(th) = evs[at] else {
        unreachable!()
    };
    let inv = evs[..at]
        .iter()
        .rposition(|e| matches!(e, Ev::Invoke(x, _) if *x == th))
        .expect("a lost call was invoked");
    let Ev::Invoke(_, op) = evs[inv] else {
        unreachable!()
    };
    let mut never = evs.to_vec();
    never.remove(at);
    never.remove(inv);
    tester_verdict(&never)
        || answers(&op).into_iter().any(|r| {
            let mut answered = evs.to_vec();
            answered[at] = Ev::Return(th, r);
            tester_verdict(&answered)
        })
}

/// A migration answered Rejected while another migration or an exit of the same process is
/// in progress: U1 accepts it by R1's guard (spec §13.3), the plain sequential spec may not.
pub fn uses_busy_context(evs: &[Ev]) -> bool {
    let mut inflight: BTreeMap<u8, Op> = BTreeMap::new();
    // Per in-flight migration: an exit of its process overlapped it.
    let mut overlapped: BTreeMap<u8, bool> = BTreeMap::new();
    let overlaps = |a: &Op, b: &Op| matches!((a, b), (Op::Migrate { pid, .. }, Op::Exit { pid: q }) if pid == q);
    for e in evs {
        match *e {
            Ev::Invoke(t, op) => {
                let hit = inflight.values().any(|o| overlaps(&op, o));
                overlapped.insert(t, hit);
                for (u, o) in &inflight {
                    if overlaps(o, &op) {
                        overlapped.insert(*u, true);
                    }
                }
                inflight.insert(t, op);
            }
            Ev::Return(t, r) => {
                let op = inflight.remove(&t).unwrap();
                if matches!((op, r), (Op::Migrate { .. }, Ret::Rejected)) && overlapped[&t] {
                    return true;
                }
            }
            Ev::Lost(t) => {
                inflight.remove(&t);
            }
        }
    }
    false
}

/// How a batch of corrupted histories came out: linearizable, not, and overlapping calls.
#[derive(Debug, Default)]
pub struct Tally {
    pub linearizable: usize,
    pub not: usize,
    pub overlapping: usize,
    /// Histories with a lost call.
    pub lost: usize,
}

/// Compares U1 with stateright's tester on `seeds` corrupted histories (deterministic: the
/// same seeds give the same histories); panics with the first history they disagree on.
pub fn compare_with_tester(seeds: u32) -> Tally {
    let mut t = Tally::default();
    for seed in 0..seeds {
        let choices: Vec<u8> = (0..32)
            .map(|i| {
                (seed.wrapping_mul(2654435761).rotate_left(i) >> 7) as u8
                    ^ (i as u8).wrapping_mul(37)
            })
            .collect();
        let evs = history(&choices, Some((seed as usize, (seed >> 3) as u8)));
        if uses_busy_context(&evs) {
            continue;
        }
        let v = u1_verdict(&evs);
        assert_eq!(
            v,
            tester_verdict(&evs),
            "U1 says {v}, LinearizabilityTester not, on {evs:?}"
        );
        t.lost += evs.iter().any(|e| matches!(e, Ev::Lost(_))) as usize;
        if v {
            t.linearizable += 1
        } else {
            t.not += 1
        }
        let mut open = 0;
        for e in &evs {
            match e {
                Ev::Invoke(..) => open += 1,
                Ev::Return(..) | Ev::Lost(_) => open -= 1,
            }
            if open >= 2 {
                t.overlapping += 1;
                break;
            }
        }
    }
    t
}

/// Checks spec §13.1's single-node answer on random walks of the process table under several
/// configurations: for every call, the answer `invoke` gives is one `is_valid_step` accepts,
/// with the same effect. Environment events (crashes, deaths, page moves) and file reads are
/// applied when valid, so that the walks reach crashed nodes, dead and collectable processes.
/// Returns how many calls were checked.
pub fn assert_single_node_answers_valid(steps: u32) -> usize {
    use osfmig_model::config::{Mode, Strategy};
    let configs = [
        cfg(),
        Config {
            mode: Mode::Task,
            ..cfg()
        },
        Config {
            strategy: Strategy::Flush,
            pages_max: 2,
            crashes_max: 1,
            ..cfg()
        },
        Config {
            strategy: Strategy::Eager,
            abandon: true,
            refusals: true,
            nodes_max: 4,
            ..cfg()
        },
    ];
    let mut checked = 0;
    let mut seed = 0x9E37_79B9u32;
    for c in &configs {
        let mut t = ProcTable::initial(c);
        let n = c.nodes_max;
        let mut ops = Vec::new();
        for p in 0..c.pids() {
            ops.extend([
                Op::Signal { target: p },
                Op::GetInfo { pid: p },
                Op::Wait { parent: p },
                Op::Exit { pid: p },
                Op::Fork { parent: p },
                Op::FileRead { pid: p },
                Op::Die { pid: p },
            ]);
            for node in 0..n {
                ops.push(Op::Migrate { pid: p, dst: node });
                for page in 0..c.pages_max {
                    ops.push(Op::Touch { pid: p, page, node });
                }
            }
        }
        ops.extend((1..n).map(|node| Op::Crash { node }));
        for step in 0..steps {
            // Walks start afresh every few steps: crashes, deaths and exits soon leave nothing
            // alive, and the answers worth checking are those of a table with live processes,
            // children and zombies side by side.
            if step % 24 == 0 {
                t = ProcTable::initial(c);
            }
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let op = ops[(seed >> 8) as usize % ops.len()];
            let call = !matches!(
                op,
                Op::Crash { .. } | Op::Die { .. } | Op::Touch { .. } | Op::FileRead { .. }
            );
            if call {
                let mut after = t;
                let ret = after.invoke(&op);
                let mut check = t;
                if !check.is_valid_step(&op, &ret) {
                    // Only a wait() with live children and no zombie may have no valid
                    // answer: it blocks (spec §13.1).
                    let blocks = matches!(op, Op::Wait { parent } if (0..c.pids()).any(|k| {
                        t.procs[k as usize].parent == Some(parent)
                            && t.procs[k as usize].life == osfmig_model::user_spec::Life::Alive
                    })) && (0..c.pids()).map(Some).chain([None]).all(|z| {
                        let mut u = t;
                        !u.is_valid_step(&op, &Ret::Waited(z))
                    });
                    assert!(
                        blocks,
                        "{op:?} answered {ret:?}, which the table rejects, in {t:?}"
                    );
                    continue;
                }
                assert!(
                    check == after,
                    "{op:?}: invoke and is_valid_step differ in effect"
                );
                t = after;
                checked += 1;
            } else {
                let mut next = t;
                if next.is_valid_step(&op, &Ret::Ok) {
                    t = next;
                }
            }
        }
    }
    checked
}

/// Spec §13.2's and §13.3's tables as examples: from the table of a configuration, after some
/// answers, whether an answer to an operation is valid. Each example names the table row it
/// comes from. Returns how many answers were judged.
pub fn assert_user_spec_examples() -> usize {
    use osfmig_model::config::{Mode, Strategy};
    use Op::*;
    use Ret::*;
    // Two processes on node 1 (pid 1 a child of pid 0), one fork() slot, nodes 0-2.
    let base = cfg();
    let with = |f: &dyn Fn(&mut Config)| {
        let mut c = cfg();
        f(&mut c);
        c
    };
    let after = |c: &Config, steps: &[(Op, Ret)]| {
        let mut t = ProcTable::initial(c);
        for (op, ret) in steps {
            assert!(
                t.is_valid_step(op, ret),
                "set-up step {op:?} -> {ret:?} rejected"
            );
        }
        t
    };
    // (row, configuration, set-up answers, operation, answer, busy, valid)
    type Example<'a> = (&'a str, Config, Vec<(Op, Ret)>, Op, Ret, bool, bool);
    let info = |usage, migrations| Info { usage, migrations };
    let exited = vec![(Exit { pid: 1 }, Ok)];
    let moved = vec![(Migrate { pid: 1, dst: 2 }, Migrated)];
    let eager = with(&|c| c.strategy = Strategy::Eager);
    let flush = with(&|c| c.strategy = Strategy::Flush);
    let task = with(&|c| c.mode = Mode::Task);
    let abandon = with(&|c| c.abandon = true);
    let disallowed = with(&|c| c.disallowed = vec![1]);
    let examples: Vec<Example> = vec![
        (
            "fork: not by an exited process",
            base.clone(),
            exited.clone(),
            Fork { parent: 1 },
            Forked(2),
            false,
            false,
        ),
        (
            "fork: ESRCH for an exited process",
            base.clone(),
            exited.clone(),
            Fork { parent: 1 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "getrusage: not of an exited process",
            base.clone(),
            exited.clone(),
            GetInfo { pid: 1 },
            info(1, 0),
            false,
            false,
        ),
        (
            "getrusage: not of an exited process, whatever the usage",
            base.clone(),
            exited.clone(),
            GetInfo { pid: 1 },
            info(2, 0),
            false,
            false,
        ),
        (
            "fork: no EAGAIN for an exited parent",
            base.clone(),
            vec![(Fork { parent: 0 }, Forked(2)), (Exit { pid: 1 }, Ok)],
            Fork { parent: 1 },
            NoPid,
            false,
            false,
        ),
        (
            "wait: not by an exited process",
            base.clone(),
            exited.clone(),
            Wait { parent: 1 },
            Waited(None),
            false,
            false,
        ),
        (
            "kill: Ok if alive",
            base.clone(),
            vec![],
            Signal { target: 1 },
            Ok,
            false,
            true,
        ),
        (
            "kill: ESRCH only if not alive",
            base.clone(),
            vec![],
            Signal { target: 1 },
            NoSuchProcess,
            false,
            false,
        ),
        (
            "kill: unborn is ESRCH",
            base.clone(),
            vec![],
            Signal { target: 2 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "kill: unborn is not Ok",
            base.clone(),
            vec![],
            Signal { target: 2 },
            Ok,
            false,
            false,
        ),
        (
            "kill: a zombie is ESRCH (R16)",
            base.clone(),
            exited.clone(),
            Signal { target: 1 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "kill: a zombie is not Ok",
            base.clone(),
            exited.clone(),
            Signal { target: 1 },
            Ok,
            false,
            false,
        ),
        (
            "getrusage counts this call",
            base.clone(),
            vec![],
            GetInfo { pid: 1 },
            info(1, 0),
            false,
            true,
        ),
        (
            "getrusage: not usage 0",
            base.clone(),
            vec![],
            GetInfo { pid: 1 },
            info(0, 0),
            false,
            false,
        ),
        (
            "getrusage: kill counted",
            base.clone(),
            vec![(Signal { target: 1 }, Ok)],
            GetInfo { pid: 1 },
            info(2, 0),
            false,
            true,
        ),
        (
            "getrusage: migrations counted",
            base.clone(),
            moved.clone(),
            GetInfo { pid: 1 },
            info(1, 1),
            false,
            true,
        ),
        (
            "getrusage: not before migrating",
            base.clone(),
            vec![],
            GetInfo { pid: 1 },
            info(1, 1),
            false,
            false,
        ),
        (
            "wait: a zombie child",
            base.clone(),
            exited.clone(),
            Wait { parent: 0 },
            Waited(Some(1)),
            false,
            true,
        ),
        (
            "wait: no ECHILD with a zombie",
            base.clone(),
            exited.clone(),
            Wait { parent: 0 },
            Waited(None),
            false,
            false,
        ),
        (
            "wait: a live child is not reaped",
            base.clone(),
            vec![],
            Wait { parent: 0 },
            Waited(Some(1)),
            false,
            false,
        ),
        (
            "wait: no ECHILD with a live child",
            base.clone(),
            vec![],
            Wait { parent: 0 },
            Waited(None),
            false,
            false,
        ),
        (
            "wait: ECHILD once reaped",
            base.clone(),
            vec![(Exit { pid: 1 }, Ok), (Wait { parent: 0 }, Waited(Some(1)))],
            Wait { parent: 0 },
            Waited(None),
            false,
            true,
        ),
        (
            "wait: reaped once",
            base.clone(),
            vec![(Exit { pid: 1 }, Ok), (Wait { parent: 0 }, Waited(Some(1)))],
            Wait { parent: 0 },
            Waited(Some(1)),
            false,
            false,
        ),
        (
            "wait: ECHILD without children",
            base.clone(),
            vec![],
            Wait { parent: 1 },
            Waited(None),
            false,
            true,
        ),
        (
            "exit: alive",
            base.clone(),
            vec![],
            Exit { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "exit: not twice",
            base.clone(),
            exited.clone(),
            Exit { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "fork: a free slot",
            base.clone(),
            vec![],
            Fork { parent: 0 },
            Forked(2),
            false,
            true,
        ),
        (
            "fork: not a live pid",
            base.clone(),
            vec![],
            Fork { parent: 0 },
            Forked(1),
            false,
            false,
        ),
        (
            "fork: no EAGAIN with an unborn slot",
            base.clone(),
            vec![],
            Fork { parent: 0 },
            NoPid,
            false,
            false,
        ),
        (
            "fork: EAGAIN once no slot is unborn (PM3)",
            base.clone(),
            vec![
                (Fork { parent: 0 }, Forked(2)),
                (Exit { pid: 1 }, Ok),
                (Wait { parent: 0 }, Waited(Some(1))),
            ],
            Fork { parent: 0 },
            NoPid,
            false,
            true,
        ),
        (
            "fork: a reaped slot",
            base.clone(),
            vec![
                (Fork { parent: 0 }, Forked(2)),
                (Exit { pid: 1 }, Ok),
                (Wait { parent: 0 }, Waited(Some(1))),
            ],
            Fork { parent: 0 },
            Forked(1),
            false,
            true,
        ),
        (
            "fork: the child's parent waits for it",
            base.clone(),
            vec![(Fork { parent: 1 }, Forked(2)), (Exit { pid: 2 }, Ok)],
            Wait { parent: 1 },
            Waited(Some(2)),
            false,
            true,
        ),
        (
            "migrate: alive, allowed, elsewhere",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Migrated,
            false,
            true,
        ),
        (
            "migrate: refused while alive (R7)",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Refused,
            false,
            true,
        ),
        (
            "migrate: not refused when dead",
            base.clone(),
            exited.clone(),
            Migrate { pid: 1, dst: 2 },
            Refused,
            false,
            false,
        ),
        (
            "migrate: not abandoned without R10",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Abandoned,
            false,
            false,
        ),
        (
            "migrate: abandoned with R10",
            abandon.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Abandoned,
            false,
            true,
        ),
        (
            "migrate: abandoned when dst crashed (C2)",
            base.clone(),
            vec![(Crash { node: 2 }, Ok)],
            Migrate { pid: 1, dst: 2 },
            Abandoned,
            false,
            true,
        ),
        (
            "migrate: not rejected without cause",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Rejected,
            false,
            false,
        ),
        (
            "migrate: rejected when busy (R1, R5)",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Rejected,
            true,
            true,
        ),
        (
            "migrate: rejected to where it runs",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 1 },
            Rejected,
            false,
            true,
        ),
        (
            "migrate: not migrated to where it runs",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 1 },
            Migrated,
            false,
            false,
        ),
        (
            "migrate: rejected to the master",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 0 },
            Rejected,
            false,
            true,
        ),
        (
            "migrate: not migrated to the master",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 0 },
            Migrated,
            false,
            false,
        ),
        (
            "migrate: rejected when disallowed (G2)",
            disallowed.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Rejected,
            false,
            true,
        ),
        (
            "migrate: not migrated when disallowed",
            disallowed.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Migrated,
            false,
            false,
        ),
        (
            "migrate: rejected to a crashed node",
            base.clone(),
            vec![(Crash { node: 2 }, Ok)],
            Migrate { pid: 1, dst: 2 },
            Rejected,
            false,
            true,
        ),
        (
            "migrate: not migrated to a crashed node",
            base.clone(),
            vec![(Crash { node: 2 }, Ok)],
            Migrate { pid: 1, dst: 2 },
            Migrated,
            false,
            false,
        ),
        (
            "migrate: not Died while alive",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Died,
            false,
            false,
        ),
        (
            "migrate: Died once dead",
            base.clone(),
            vec![(Crash { node: 1 }, Ok)],
            Migrate { pid: 1, dst: 2 },
            Died,
            false,
            true,
        ),
        (
            "migrate: unborn is ESRCH",
            base.clone(),
            vec![],
            Migrate { pid: 2, dst: 2 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "migrate: alive is not ESRCH",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            NoSuchProcess,
            false,
            false,
        ),
        (
            "file read: alive",
            base.clone(),
            vec![],
            FileRead { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "file read: not dead",
            base.clone(),
            exited.clone(),
            FileRead { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "crash: kills what runs there",
            base.clone(),
            vec![(Crash { node: 1 }, Ok)],
            Signal { target: 1 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "crash: spares what runs elsewhere",
            base.clone(),
            vec![(Crash { node: 2 }, Ok)],
            Signal { target: 1 },
            Ok,
            false,
            true,
        ),
        (
            "crash: the master never crashes (C5)",
            base.clone(),
            vec![],
            Crash { node: 0 },
            Ok,
            false,
            false,
        ),
        (
            "die: a copy-on-reference page at the crashed source",
            base.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 1 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: eager copy leaves no dependency",
            eager.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 1 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "die: a zombie whose PMA's node crashed (its exit report is lost)",
            base.clone(),
            vec![(Exit { pid: 1 }, Ok), (Crash { node: 1 }, Ok)],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: not a zombie whose PMA's node lives on",
            base.clone(),
            vec![(Exit { pid: 1 }, Ok), (Crash { node: 2 }, Ok)],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "die: with the node it runs on, though flushing homed its pages on the master",
            flush.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 2 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: flushing leaves no dependency on the source",
            flush.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 1 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "die: not without a crash",
            base.clone(),
            moved.clone(),
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "die: task-only keeps the PMA at the source (T1)",
            task.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (
                    Touch {
                        pid: 1,
                        page: 0,
                        node: 2,
                    },
                    Ok,
                ),
                (Crash { node: 1 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: a touched page moved home",
            base.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (
                    Touch {
                        pid: 1,
                        page: 0,
                        node: 2,
                    },
                    Ok,
                ),
                (Crash { node: 1 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "wait: a crash-killed child is collectable",
            base.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 2 }, Ok),
            ],
            Wait { parent: 0 },
            Waited(Some(1)),
            false,
            true,
        ),
        (
            "touch: where it runs",
            base.clone(),
            moved.clone(),
            Touch {
                pid: 1,
                page: 0,
                node: 2,
            },
            Ok,
            false,
            true,
        ),
        (
            "touch: not elsewhere",
            base.clone(),
            moved.clone(),
            Touch {
                pid: 1,
                page: 0,
                node: 1,
            },
            Ok,
            false,
            false,
        ),
    ];
    for (row, c, steps, op, ret, busy, valid) in &examples {
        let t = after(c, steps);
        let got = if Ret::effectful(op, ret) {
            let mut u = t;
            u.is_valid_step(op, ret)
        } else {
            t.valid_unchanged(op, ret, *busy)
        };
        assert_eq!(
            got, *valid,
            "spec §13.2/§13.3 {row}: {op:?} -> {ret:?} in {t:?}"
        );
    }
    examples.len()
}

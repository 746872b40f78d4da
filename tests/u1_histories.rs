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
            Op::Crash { node: 2, queued: 0 },
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

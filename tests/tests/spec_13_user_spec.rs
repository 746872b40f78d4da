//! The user-level specification and U1 (spec §13): the incremental linearizability check of
//! `linearizability.rs` gives the same verdict as stateright's `LinearizabilityTester` on
//! random concurrent histories against the same `ProcTable`.

use std::collections::BTreeMap;

use osfmig_model::linearizability::{OpId, Pending, U1};
use osfmig_model::user_spec::{Op, ProcTable, Ret};
use osfmig_model::Config;
use proptest::prelude::*;
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};

/// One event of a generated history.
#[derive(Clone, Debug)]
enum Ev {
    Invoke(u8, Op),
    Return(u8, Ret),
}

fn cfg() -> Config {
    Config {
        processes_max: 2,
        forks_max: 1,
        procs_per_node_max: 3,
        ..Config::default()
    }
}

/// The operations a thread may invoke: threads 0 and 1 are processes, 2 is `pcntl`, 3 the
/// environment (instantaneous crashes and deaths).
fn ops_of(thread: u8) -> Vec<Op> {
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
fn answers(op: &Op) -> Vec<Ret> {
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
        Op::Fork { .. } => v.extend([Ret::Forked(2), Ret::NoPid]),
        // Died is left out: U1 accepts it for a migration that took effect before the death
        // (spec §13.3), which a plain sequential spec does not.
        Op::Migrate { .. } => v.extend([Ret::Migrated, Ret::Refused, Ret::Rejected]),
        _ => {}
    }
    v
}

/// A random history, mostly consistent: operations take effect on a reference table at a
/// random point of their interval, and with `corrupt` one answer is then changed.
fn history(choices: &[u8], corrupt: Option<(usize, u8)>) -> Vec<Ev> {
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
fn u1_verdict(evs: &[Ev]) -> bool {
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
        }
    }
    u.linearizable()
}

/// stateright's verdict on the same history.
fn tester_verdict(evs: &[Ev]) -> bool {
    let mut t = LinearizabilityTester::new(ProcTable::initial(&cfg()));
    for e in evs {
        let ok = match *e {
            Ev::Invoke(th, op) => t.on_invoke(th, op).is_ok(),
            Ev::Return(th, r) => t.on_return(th, r).is_ok(),
        };
        assert!(ok, "well-formed history");
    }
    t.is_consistent()
}

/// A migration answered Rejected while another migration or an exit of the same process is
/// in progress: U1 accepts it by R1's guard (spec §13.3), the plain sequential spec may not.
fn uses_busy_context(evs: &[Ev]) -> bool {
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
        }
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    // Reference: spec §13.4. Histories made by taking effect inside each interval are
    // linearizable for both checkers.
    #[test]
    fn consistent_histories_pass_both(choices in proptest::collection::vec(any::<u8>(), 8..40)) {
        let evs = history(&choices, None);
        prop_assert!(tester_verdict(&evs), "generator made an invalid history: {evs:?}");
        prop_assert!(u1_verdict(&evs), "U1 rejects a linearizable history: {evs:?}");
    }

    // Reference: spec §13.4. With one answer changed, U1 and stateright's tester agree.
    #[test]
    fn corrupted_histories_get_the_same_verdict(
        choices in proptest::collection::vec(any::<u8>(), 8..40),
        at in any::<usize>(),
        ans in any::<u8>(),
    ) {
        let evs = history(&choices, Some((at, ans)));
        prop_assume!(!uses_busy_context(&evs));
        prop_assert_eq!(u1_verdict(&evs), tester_verdict(&evs), "history: {:?}", evs);
    }
}

// Reference: spec §13.4. The comparison is not vacuous: corrupted histories are sometimes
// linearizable and sometimes not, and the histories are long enough to overlap calls.
#[test]
fn corrupted_histories_cover_both_verdicts() {
    let (mut yes, mut no, mut overlapping) = (0, 0, 0);
    for seed in 0u32..3000 {
        let choices: Vec<u8> = (0..32)
            .map(|i| (seed.wrapping_mul(2654435761).rotate_left(i) >> 7) as u8 ^ (i as u8 * 37))
            .collect();
        let evs = history(&choices, Some((seed as usize, (seed >> 3) as u8)));
        if uses_busy_context(&evs) {
            continue;
        }
        let v = u1_verdict(&evs);
        assert_eq!(v, tester_verdict(&evs), "{evs:?}");
        if v {
            yes += 1
        } else {
            no += 1
        }
        let mut open = 0;
        for e in &evs {
            match e {
                Ev::Invoke(..) => open += 1,
                Ev::Return(..) => open -= 1,
            }
            if open >= 2 {
                overlapping += 1;
                break;
            }
        }
    }
    assert!(yes > 300 && no > 300, "linearizable {yes}, not {no}");
    assert!(
        overlapping > 1000,
        "only {overlapping} histories overlap calls"
    );
}

// Reference: spec §13.3. A migration that took effect and whose process then died in a crash
// is answered Died, even when a `fork()` has given the pid to a new process before the
// answer arrives (found by the `fork-crash` run: U1 first required the pid dead at the answer).
// Without the death, Died is not a valid answer.
#[test]
fn died_after_migration_survives_pid_reuse() {
    let mig = Op::Migrate { pid: 1, dst: 2 };
    let env = |op| [Ev::Invoke(3, op), Ev::Return(3, Ret::Ok)];
    let mut evs = vec![Ev::Invoke(2, mig)];
    evs.extend(env(Op::Crash { node: 2 }));
    evs.extend(env(Op::Die { pid: 1 }));
    evs.extend([
        Ev::Invoke(0, Op::Fork { parent: 0 }),
        Ev::Return(0, Ret::Forked(1)),
        Ev::Return(2, Ret::Died),
    ]);
    assert!(u1_verdict(&evs), "{evs:?}");
    let alive = [Ev::Invoke(2, mig), Ev::Return(2, Ret::Died)];
    assert!(!u1_verdict(&alive));
}

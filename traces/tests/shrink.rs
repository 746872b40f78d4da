//! Shrinking failing traces (spec §12.11): a corrupted refimpl trace that `traces check`
//! rejects, and a model trace whose replay diverges on a broken refimpl, each shrink to a
//! shorter trace that fails the same way; a passing trace is refused.

use std::path::Path;

use osfmig_model::presets::find_run;
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::parse::{parse_bytes, Trace};
use osfmig_traces::record::{record_one, RecordOptions};
use osfmig_traces::shrink::{
    failure_of, failure_with, shrink, shrink_with, to_ndjson, ShrinkError,
};

fn recorded(run: &str, seed: u64, index: u64) -> Trace {
    let spec = find_run(run).unwrap();
    let text = record_one("ci", &spec, seed, index, &RecordOptions::default()).unwrap();
    parse_bytes(Path::new("rec.ndjson"), text.as_bytes()).unwrap()
}

/// A recorded trace with at least `min` events.
fn long_recorded(run: &str, min: usize) -> Trace {
    (0..200)
        .map(|i| recorded(run, 1, i))
        .find(|t| t.events.len() >= min)
        .expect("some recording is long enough")
}

/// Corrupts the recorded state of event `k`: pid 0's slot on the last node flips.
fn corrupt(t: &mut Trace, k: usize) {
    let st = t.events[k].state.as_mut().unwrap();
    let nodes = st["nodes"].as_array_mut().unwrap();
    let last = nodes.len() - 1;
    let slot = &mut nodes[last]["procs"][0];
    *slot = if slot == "incoming" {
        "active".into()
    } else {
        "incoming".into()
    };
}

// Reference: spec §12.11 — a refimpl trace with one corrupted state shrinks to a shorter
// trace that is still rejected at the same event (same rule), with steps renumbered.
#[test]
fn corrupted_refimpl_trace_shrinks_and_still_fails() {
    let mut t = long_recorded("self-calls", 12);
    let k = t.events.len() / 2;
    corrupt(&mut t, k);
    let f0 = failure_of(&t, "bad.ndjson", &find_run("self-calls").unwrap().config)
        .unwrap()
        .expect("the corrupted trace is rejected");
    let s = shrink(&t, "bad.ndjson").unwrap();
    assert!(s.trace.events.len() < t.events.len(), "{:?}", s.log);
    assert_eq!(s.failure.rule, f0.rule);
    // The shrunk trace is a well-formed file that `traces check` still rejects the same way.
    let text = to_ndjson(&s.trace);
    let back = parse_bytes(Path::new("small.ndjson"), text.as_bytes()).unwrap();
    for (i, e) in back.events.iter().enumerate() {
        assert_eq!(e.step, i as u64);
    }
    let f1 = failure_of(
        &back,
        "small.ndjson",
        &find_run("self-calls").unwrap().config,
    )
    .unwrap()
    .expect("still rejected");
    assert!(f0.same_way(&f1), "{f0:?} vs {f1:?}");
    assert_eq!(
        f1.step,
        back.events.len() - 1,
        "nothing after the failing step"
    );
}

// Reference: spec §12.11 — a trace that passes is refused.
#[test]
fn passing_trace_is_refused() {
    let t = recorded("self-calls", 1, 2);
    match shrink(&t, "ok.ndjson") {
        Err(ShrinkError::Passes(m)) => assert!(m.contains("does not fail"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

// Reference: spec §12.11 — a model trace that diverges on a broken refimpl (it refuses pid
// 0's first migration for memory exhaustion, unasked) shrinks to a shorter model trace that
// diverges the same way; its events are re-rendered (steps, message ids, states).
#[test]
fn diverging_model_trace_shrinks() {
    let spec = find_run("two-procs-signal").unwrap();
    let broken = |w: &mut osfmig_refimpl::world::World| {
        w.refuse_next.insert(0);
    };
    let opts = GenOptions {
        mode: GenMode::Walk,
        count: 60,
        seed: 5,
        max_depth: 60,
        with_state: true,
    };
    let res = generate("ci", &spec, &opts).unwrap();
    let (t, f0) = res
        .traces
        .iter()
        .map(|g| parse_bytes(Path::new(&g.file_name), g.text.as_bytes()).unwrap())
        .filter(|t| t.events.len() >= 8)
        .find_map(|t| {
            let f = failure_with(&t, "m.ndjson", &spec.config, &broken).ok()??;
            (f.step >= 3).then_some((t, f))
        })
        .expect("some walk diverges on the broken refimpl");
    // It replays on the sound refimpl.
    assert!(failure_of(&t, "m.ndjson", &spec.config).unwrap().is_none());
    let s = shrink_with(&t, "m.ndjson", &spec.config, &broken).unwrap();
    assert!(s.trace.events.len() < t.events.len(), "{:?}", s.log);
    // (Events after the divergent step may stay: the refimpl may lag the model by up to
    // LAG_MAX steps before a divergence is declared, spec §12.10.)
    eprintln!(
        "{:?}: {} -> {} events",
        s.log,
        t.events.len(),
        s.trace.events.len()
    );
    let back = parse_bytes(Path::new("m2.ndjson"), to_ndjson(&s.trace).as_bytes()).unwrap();
    let f1 = failure_with(&back, "m2.ndjson", &spec.config, &broken)
        .unwrap()
        .expect("still diverges");
    assert!(f0.same_way(&f1), "{f0:?} vs {f1:?}");
    // Message ids stay consistent: each received id was sent before.
    let initial = osfmig_model::Sys::initial(&spec.config).net.len() as u64;
    let mut sent: std::collections::BTreeSet<u64> = (0..initial).collect();
    for e in &back.events {
        for r in &e.msg_ids.recv {
            assert!(sent.contains(r), "id {r} received before it was sent");
        }
        sent.extend(e.msg_ids.sent.iter().copied());
    }
}

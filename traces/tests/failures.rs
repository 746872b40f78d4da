//! A refimpl invariant broken while replaying, recording or shrinking is a finding the trace
//! tools report (the trace, the line, the step, the invariant), never a panic (spec §12.5).
//! The seeded bug: `exit_keeps_proc` (spec §12.14), whose exit leaves an active proc
//! structure without its task, which the refimpl's own P3 check sees.

use std::path::Path;

use osfmig_model::presets::find_run;
use osfmig_refimpl::mutants::Mutant;
use osfmig_traces::bridge::for_findings;
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::parse::{parse_bytes, Trace};
use osfmig_traces::record::{record_checked, record_with, RecordOptions};
use osfmig_traces::replay::replay_with;
use osfmig_traces::shrink::{failure_with, shrink_with};

fn walks(run: &str, count: u64) -> Vec<(String, Trace)> {
    let spec = find_run(run).unwrap();
    let opts = GenOptions {
        mode: GenMode::Walk,
        count,
        seed: 1,
        max_depth: 60,
        with_state: false,
    };
    generate("ci", &spec, &opts)
        .unwrap()
        .traces
        .into_iter()
        .map(|g| {
            let t = parse_bytes(Path::new(&g.file_name), g.text.as_bytes()).unwrap();
            (format!("dir/{}", g.file_name), t)
        })
        .collect()
}

fn mutant(w: &mut osfmig_refimpl::world::World) {
    w.mutant = Some(Mutant::ExitKeepsProc);
}

// Reference: spec §12.5 — replay: the broken invariant is the divergence, at the line of
// the step the refimpl was following, naming the invariant; the same traces replay without
// the mutant.
#[test]
fn replay_reports_a_broken_invariant_as_a_divergence() {
    let spec = find_run("abandon-exit").unwrap();
    let mut caught = 0;
    for (name, t) in walks("abandon-exit", 20) {
        let honest = replay_with(&t, &name, &spec.config, |w| for_findings(w, &spec)).unwrap();
        assert!(
            honest.divergence.is_none(),
            "{}",
            honest.divergence.unwrap()
        );
        let r = replay_with(&t, &name, &spec.config, |w| {
            for_findings(w, &spec);
            mutant(w);
        })
        .unwrap();
        let Some(inv) = r.invariant else { continue };
        caught += 1;
        assert_eq!(inv, "P3");
        let d = r.divergence.expect("a broken invariant is a divergence");
        let line: usize = d
            .strip_prefix(&format!("{name}:"))
            .and_then(|rest| rest.split(':').next())
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("no file:line: {d}"));
        let ev = &t.events[line - 2];
        assert!(d.contains(&format!("step {} ({}", ev.step, ev.rule)), "{d}");
        assert!(d.contains("the refimpl broke invariant P3"), "{d}");
        assert!(d.contains("P3 commit discipline"), "{d}");
    }
    assert!(caught > 0, "the mutant breaks P3 on some walk");
}

// Reference: spec §12.5 — record: the trace ends with the event at which the invariant
// broke, and the result says which step and which invariant; `record_with` makes it an
// error naming both. The honest refimpl records the same seeds without one.
#[test]
fn record_reports_a_broken_invariant_with_its_step() {
    let spec = find_run("fork-exit-wait").unwrap();
    let opts = RecordOptions::default();
    let mut caught = 0;
    for i in 0..12 {
        let honest = record_checked("ci", &spec, 1, i, &opts, &|_| {}).unwrap();
        assert!(honest.broken.is_none());
        let r = record_checked("ci", &spec, 1, i, &opts, &mutant).unwrap();
        let Some(b) = r.broken else { continue };
        caught += 1;
        let t = parse_bytes(Path::new("rec.ndjson"), r.text.as_bytes()).unwrap();
        let last = t.events.last().unwrap();
        assert_eq!((last.step, &last.rule), (b.step, &b.rule));
        assert!(b.invariant.starts_with("P3 commit discipline"), "{b:?}");
        let e = record_with("ci", &spec, 1, i, &opts, mutant).unwrap_err();
        assert!(
            e.contains(&format!("step {}", b.step)) && e.contains("invariant P3"),
            "{e}"
        );
    }
    assert!(caught > 0, "the mutant breaks P3 on some recording");
}

// Reference: spec §12.5, §12.11 — shrink: a trace whose replay breaks an invariant shrinks
// to one that breaks the same invariant at the same event.
#[test]
fn shrink_keeps_the_broken_invariant() {
    let spec = find_run("abandon-exit").unwrap();
    let setup = |w: &mut osfmig_refimpl::world::World| {
        for_findings(w, &spec);
        mutant(w);
    };
    let (name, t) = walks("abandon-exit", 20)
        .into_iter()
        .find(|(name, t)| {
            failure_with(t, name, &spec.config, &setup)
                .unwrap()
                .is_some_and(|f| f.invariant.is_some())
        })
        .expect("a walk breaking P3");
    let s = shrink_with(&t, &name, &spec.config, &setup).unwrap();
    assert_eq!(s.failure.invariant.as_deref(), Some("P3"));
    assert!(s.trace.events.len() <= t.events.len());
    let again = failure_with(&s.trace, "small.ndjson", &spec.config, &setup)
        .unwrap()
        .unwrap();
    assert!(
        again.report.starts_with("small.ndjson:"),
        "{}",
        again.report
    );
    assert_eq!(again.invariant.as_deref(), Some("P3"));
}

//! The conformance oracle for mutation testing of the refimpl (docs/mutation.md, issue 13
//! item 5): a sample of the CI conformance commands, with the refimpl's own invariant checks
//! off, so that only a conformance verdict (a replay divergence, or a recording the model
//! rejects) fails it. `scripts/mutants-refimpl.sh` runs cargo-mutants over the refimpl's
//! protocol files with this test alone as the oracle (`.cargo/mutants-refimpl.toml`).

use std::sync::Arc;

use osfmig_model::presets::find_run;
use osfmig_traces::direct::{plans, Goal, PlanBudget};
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::record::{record_with, RecordOptions};
use osfmig_traces::replay::replay_with;
use osfmig_traces::validate::{validate, Limits};

/// Every run of the CI preset, each with the walks and recordings below: 77 runs in about
/// 24 s (release). Session 16's oracle took 31 runs chosen by hand; survivors then showed
/// windows only the others open (a G1 member disallowed, admission, ports, the narrow R4
/// cases), and the whole preset still runs well under the minute a mutant may take.
fn runs() -> Vec<String> {
    osfmig_model::presets::preset("ci")
        .expect("the ci preset")
        .into_iter()
        .map(|s| s.name)
        .collect()
}

/// Walks replayed and recordings checked per run.
const PER_RUN: u64 = 40;

/// Recordings of programs (spec §12.9.2) checked per run.
const PROGRAMS_PER_RUN: usize = 8;

fn no_checks(w: &mut osfmig_refimpl::world::World) {
    w.cfg.check_invariants = false;
}

// Reference: spec §12.9, §12.10, §12.9.1 — the refimpl conforms on the oracle's sample:
// model walks replay, and its recordings (ordinary and directed at each item and window of
// the run) are accepted. The test stops at the first conformance failure: a mutant caught
// early costs seconds instead of the whole sample (most mutants are caught), which is what
// makes a whole mutation run fit in a session.
#[test]
fn refimpl_conforms_on_the_sample() {
    for run in &runs() {
        if let Err(failure) = conforms(run) {
            panic!("conformance failure in run {run} (the oracle stops at the first): {failure}");
        }
    }
}

/// The first conformance failure of `run`'s walks and recordings, if any.
fn conforms(run: &str) -> Result<(), String> {
    let spec = find_run(run).unwrap_or_else(|| panic!("no run {run}"));
    let opts = GenOptions {
        mode: GenMode::Walk,
        count: PER_RUN,
        seed: 7,
        max_depth: 60,
        with_state: true,
    };
    for (n, g) in generate("ci", &spec, &opts)
        .unwrap()
        .traces
        .iter()
        .enumerate()
    {
        let name = format!("{run}-walk-{n}");
        let t = parse_bytes(std::path::Path::new(&name), g.text.as_bytes()).unwrap();
        let r = replay_with(&t, &name, &spec.config, no_checks)?;
        if let Some(d) = r.divergence {
            return Err(d);
        }
    }
    let mut record_opts: Vec<RecordOptions> = vec![RecordOptions::default(); PER_RUN as usize];
    let goals = Goal::all_of(&spec);
    for p in plans(&spec, &goals, PlanBudget::default()) {
        record_opts.push(RecordOptions {
            plan: Some(Arc::new(p)),
            ..RecordOptions::default()
        });
    }
    // Recordings whose processes run programs (spec §12.9.2): the workload interpreter
    // under conformance.
    for _ in 0..PROGRAMS_PER_RUN {
        record_opts.push(RecordOptions {
            programs: true,
            ..RecordOptions::default()
        });
    }
    for (i, o) in record_opts.iter().enumerate() {
        let name = format!("{run}-record-{i}");
        let text = record_with("ci", &spec, 7, i as u64, o, no_checks)
            .map_err(|e| format!("{name}: {e}"))?;
        let t = parse_bytes(std::path::Path::new(&name), text.as_bytes()).unwrap();
        let v = validate(&t, &name, &Limits::default()).unwrap();
        if let Some(r) = v.rejection {
            return Err(r);
        }
    }
    Ok(())
}

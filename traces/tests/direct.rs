//! Scenario-directed recording (spec §12.9.1).

use std::sync::Arc;

use osfmig_model::presets::find_run;
use osfmig_traces::direct::{plans, Goal, PlanBudget, WINDOWS};
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::record::{record_checked, RecordOptions};
use osfmig_traces::validate::{validate, Limits};

fn directed(run: &str, target: &str, count: u64) -> Vec<(String, bool, bool)> {
    let spec = find_run(run).unwrap();
    let goal = Goal::parse(target, &spec).unwrap();
    let plan = plans(&spec, &[goal], PlanBudget::default())
        .pop()
        .expect("the model reaches the target");
    let opts = RecordOptions {
        plan: Some(Arc::new(plan)),
        ..RecordOptions::default()
    };
    (0..count)
        .map(|i| {
            let r = record_checked("ci", &spec, 1, i, &opts, &|_| {}).unwrap();
            let name = format!("{run}-{i}");
            let t = parse_bytes(std::path::Path::new(&name), r.text.as_bytes()).unwrap();
            let ok = validate(&t, &name, &Limits::default()).unwrap().accepted();
            (r.text, r.followed == Some(true), ok)
        })
        .collect()
}

// Reference: spec §12.9.1 — recordings directed at the pid-reuse window follow the model's
// plan to it, and the model accepts every one; undirected recordings of the run never get
// there (the window is why direction exists).
#[test]
fn the_pid_reuse_window_is_reached_by_direction_only() {
    let spec = find_run("fork-exit-wait").unwrap();
    let w = WINDOWS
        .iter()
        .find(|w| w.id == "W-pid-reuse-deferred")
        .unwrap();
    let plan = plans(&spec, &[Goal::Window(w.id)], PlanBudget::default())
        .pop()
        .unwrap();
    assert!((w.holds)(plan.states.last().unwrap()));
    assert!(!plan.states[..plan.states.len() - 1]
        .iter()
        .any(|s| (w.holds)(s)));
    let traces = directed("fork-exit-wait", "W-pid-reuse-deferred", 20);
    assert!(traces.iter().all(|(_, followed, _)| *followed));
    assert!(traces.iter().all(|(_, _, ok)| *ok));
    // The header names the target, so that the trace says how it was made.
    assert!(traces[0].0.contains("record --target W-pid-reuse-deferred"));
}

// Reference: spec §12.9.1 — a target is parsed as an item of the run, a window or a rule;
// anything else is an error naming it.
#[test]
fn targets_are_parsed_or_named_in_the_error() {
    let spec = find_run("null-migration").unwrap();
    assert_eq!(
        Goal::parse("R11", &spec).unwrap(),
        Goal::Rule("R11 TaskPull")
    );
    assert!(matches!(
        Goal::parse("W-pid-reuse-deferred", &spec).unwrap(),
        Goal::Window(_)
    ));
    let e = Goal::parse("S-nonsense", &spec).unwrap_err();
    assert!(
        e.contains("S-nonsense") && e.contains("null-migration"),
        "{e}"
    );
}

// Reference: spec §12.9.1 — the same seed gives the same bytes, directed or not.
#[test]
fn directed_recording_is_deterministic() {
    let a = directed("fork-exit-wait", "W-pid-reuse-deferred", 3);
    let b = directed("fork-exit-wait", "W-pid-reuse-deferred", 3);
    assert_eq!(a, b);
}

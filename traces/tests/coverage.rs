//! Coverage (spec §12.12): hits per action x fault class for model and refimpl traces and
//! the model's exploration; the fault class of a trace; reachability evidence.

use std::path::Path;

use osfmig_model::model::RULES;
use osfmig_model::presets::find_run;
use osfmig_traces::coverage::{explore_run, fault_class, rules_of_label, Coverage, FAULT_CLASSES};
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::parse::{parse_bytes, Trace};
use osfmig_traces::record::{record_one, RecordOptions};

fn model_traces(run: &str, n: u64) -> Vec<Trace> {
    let spec = find_run(run).unwrap();
    let opts = GenOptions {
        mode: GenMode::Walk,
        count: n,
        seed: 9,
        max_depth: 60,
        with_state: false,
    };
    generate("ci", &spec, &opts)
        .unwrap()
        .traces
        .iter()
        .map(|g| parse_bytes(Path::new(&g.file_name), g.text.as_bytes()).unwrap())
        .collect()
}

fn refimpl_traces(run: &str, n: u64) -> Vec<Trace> {
    let spec = find_run(run).unwrap();
    (0..n)
        .map(|i| {
            let text = record_one("ci", &spec, 1, i, &RecordOptions::default()).unwrap();
            parse_bytes(Path::new("r.ndjson"), text.as_bytes()).unwrap()
        })
        .collect()
}

// Reference: spec §12.12 — a trace's fault class is its strongest fault: a crash stimulus
// makes it `crash`.
#[test]
fn fault_class_of_traces() {
    let ts = model_traces("crash-eager", 30);
    let classes: Vec<usize> = ts.iter().map(fault_class).collect();
    for (t, c) in ts.iter().zip(&classes) {
        let crashed = t.events.iter().any(|e| e.rule == "C* NodeCrash");
        assert_eq!(crashed, FAULT_CLASSES[*c] == "crash");
    }
    assert!(classes.contains(&3), "some walk crashes a node");
    let none = model_traces("null-migration", 1);
    assert_eq!(FAULT_CLASSES[fault_class(&none[0])], "none");
}

// Reference: spec §12.12 — refimpl labels count for rules; ambiguous ones honestly.
#[test]
fn labels_map_to_rules() {
    assert_eq!(rules_of_label("R6"), vec!["R6 DetachAndSend"]);
    assert_eq!(rules_of_label("R13"), vec!["R13 InformPMMAndRestart"]);
    assert_eq!(rules_of_label("C5"), vec!["C* PMMBury"]);
    assert!(rules_of_label("C*").is_empty());
    assert!(rules_of_label("nonsense").is_empty());
    for r in RULES {
        for l in rules_of_label(osfmig_traces::format::action_id(r)) {
            assert!(RULES.contains(&l));
        }
    }
}

// Reference: spec §12.12 — hits are counted per source and class; the model's stimuli in
// model traces, the refimpl's labels in refimpl traces; the rules no refimpl trace
// exercised are listed, and the JSON carries the same fields.
#[test]
fn coverage_counts_both_sources() {
    let mut cov = Coverage::default();
    for t in model_traces("two-procs-signal", 10) {
        cov.add(&t, "m.ndjson").unwrap();
    }
    for t in refimpl_traces("two-procs-signal", 10) {
        cov.add(&t, "r.ndjson").unwrap();
    }
    assert_eq!((cov.model_traces, cov.refimpl_traces), (10, 10));
    let rows = cov.actions();
    let em1 = rows.iter().find(|r| r.rule == "EM1 Syscall").unwrap();
    assert!(em1.model_traces["none"] > 0);
    assert!(em1.refimpl_traces["none"] > 0);
    let missing = cov.refimpl_missing_actions();
    assert!(
        missing.contains(&"AS1 PreCopy"),
        "pre-copy is not recordable"
    );
    assert!(!missing.contains(&"EM1 Syscall"));
    let j = cov.to_json(0.0);
    for k in [
        "traces",
        "steps",
        "actions",
        "reachability",
        "refimpl_missing_actions",
        "refimpl_missing_reachability",
        "not_observable_in_refimpl_traces",
        "seconds",
    ] {
        assert!(j.get(k).is_some(), "{k}");
    }
    assert_eq!(j["actions"].as_array().unwrap().len(), RULES.len() + 1);
    // Every reachability item is either observable with a count or says why not.
    for r in j["reachability"].as_array().unwrap() {
        assert!(r["refimpl_evidence"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        assert_eq!(
            r["observable"].as_bool().unwrap(),
            r["refimpl_traces"].is_number()
        );
    }
}

// Reference: spec §12.12 — the model's exploration of a small run is complete, fires its
// rules, and discovers its reachability items (the refusal run reaches S-refusal).
#[test]
fn exploration_of_a_small_run() {
    let spec = find_run("null-migration").unwrap();
    let e = explore_run(&spec, 100_000);
    assert!(e.complete);
    assert!(e.states > 10);
    assert!(e.hits.contains_key("R6 DetachAndSend"));
    assert!(e.reach.iter().all(|(_, _, found)| *found), "{:?}", e.reach);
    let mut cov = Coverage::default();
    cov.add_explored(e);
    let rows = cov.actions();
    let r6 = rows.iter().find(|r| r.rule == "R6 DetachAndSend").unwrap();
    assert!(r6.model_exploration.as_ref().unwrap()["none"] > 0);
}

// Reference: spec §12.12 — a refimpl trace counts for an item only when its evidence shows it
// and a model explanation reaches it: a G2 label for a migration to the process's own node is
// evidence the model's S-disallowed does not share, so that trace does not count.
#[test]
fn refimpl_items_need_the_models_confirmation() {
    use osfmig_traces::coverage::refimpl_shows;
    use osfmig_traces::validate::{validate, Limits};
    let traces = refimpl_traces("disallowed", 300);
    let (mut confirmed, mut unconfirmed) = (None, None);
    for t in &traces {
        if refimpl_shows("S-disallowed", t) != Some(true) {
            continue;
        }
        let v = validate(t, "r.ndjson", &Limits::default()).unwrap();
        assert!(v.accepted(), "{}", v.rejection.unwrap());
        if v.items.contains("S-disallowed") {
            confirmed.get_or_insert(t.clone());
        } else {
            unconfirmed.get_or_insert(t.clone());
        }
    }
    let count = |t: &Trace| {
        let mut cov = Coverage::default();
        cov.add(t, "r.ndjson").unwrap();
        cov.reach["S-disallowed"].2
    };
    assert_eq!(count(&confirmed.expect("a confirmed G2 rejection")), 1);
    assert_eq!(
        count(&unconfirmed.expect("a G2 label the model does not count")),
        0
    );
}

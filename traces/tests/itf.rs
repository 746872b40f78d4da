//! ITF export (spec §12.13): the output is one JSON object with `#meta`, `vars` and one state
//! per event plus the initial state, each a record of every variable.

use std::path::Path;

use osfmig_model::presets::find_run;
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::itf::{to_itf, to_itf_text};
use osfmig_traces::parse::{parse_bytes, Trace};
use osfmig_traces::record::{record_one, RecordOptions};
use serde_json::Value;

fn model_trace(run: &str, with_state: bool) -> Trace {
    let spec = find_run(run).unwrap();
    let opts = GenOptions {
        mode: GenMode::Walk,
        count: 1,
        seed: 3,
        max_depth: 40,
        with_state,
    };
    let g = &generate("ci", &spec, &opts).unwrap().traces[0];
    parse_bytes(Path::new(&g.file_name), g.text.as_bytes()).unwrap()
}

/// Checks the ITF shape; returns the states.
fn check_shape(v: &Value, events: usize) -> Vec<Value> {
    let o = v.as_object().expect("an object");
    assert!(o["#meta"].is_object());
    let vars: Vec<&str> = o["vars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    for want in ["nodes", "pm", "tasks", "action", "params"] {
        assert!(vars.contains(&want), "vars {vars:?} lack {want}");
    }
    let states = o["states"].as_array().unwrap().clone();
    assert_eq!(
        states.len(),
        events + 1,
        "one state per event plus the initial one"
    );
    for (i, s) in states.iter().enumerate() {
        let s = s.as_object().unwrap();
        assert_eq!(s["#meta"]["index"], i);
        for v in &vars {
            assert!(s.contains_key(*v), "state {i} lacks {v}");
        }
        assert_eq!(
            s.len(),
            vars.len() + 1,
            "state {i}: only the vars and #meta"
        );
        // ITF has no null anywhere.
        assert!(!s.values().any(has_null), "state {i} holds a null");
    }
    assert_eq!(states[0]["action"], "init");
    states
}

fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(has_null),
        Value::Object(m) => m.values().any(has_null),
        _ => false,
    }
}

// Reference: spec §12.13 — a model trace exports with its rules as actions; the same states
// come out whether the trace carries them or they are re-executed on the model.
#[test]
fn model_trace_exports_to_itf() {
    let with = model_trace("two-procs-signal", true);
    let without = model_trace("two-procs-signal", false);
    assert!(with.events.len() > 3);
    let text = to_itf_text(&with, "m.ndjson").unwrap();
    let v: Value = serde_json::from_str(&text).expect("the output parses as JSON");
    let states = check_shape(&v, with.events.len());
    for (i, ev) in with.events.iter().enumerate() {
        assert_eq!(states[i + 1]["action"], ev.rule.as_str());
    }
    assert_eq!(v, to_itf(&without, "m.ndjson").unwrap());
    // Optional fields are Quint option variants, in every state.
    let t0 = &states[0]["tasks"][0];
    assert_eq!(t0["tag"], "Some", "{t0}");
    assert_eq!(states[0]["pm"][0]["node"]["tag"], "Some");
}

// Reference: spec §12.13 — a refimpl trace exports from its recorded states.
#[test]
fn refimpl_trace_exports_to_itf() {
    let spec = find_run("two-procs-signal").unwrap();
    let text = record_one("ci", &spec, 1, 0, &RecordOptions::default()).unwrap();
    let t = parse_bytes(Path::new("r.ndjson"), text.as_bytes()).unwrap();
    let v = to_itf(&t, "r.ndjson").unwrap();
    let states = check_shape(&v, t.events.len());
    assert_eq!(states[1]["params"], t.events[0].params);
    assert_eq!(states[1]["action"], t.events[0].rule.as_str());
}

// Reference: spec §12.13 — an event without its state cannot be exported from a refimpl
// trace; the error names the file and line.
#[test]
fn refimpl_trace_without_states_is_an_error() {
    let spec = find_run("null-migration").unwrap();
    let text = record_one("ci", &spec, 1, 0, &RecordOptions::default()).unwrap();
    let mut t = parse_bytes(Path::new("r.ndjson"), text.as_bytes()).unwrap();
    t.events[0].state = None;
    let e = to_itf(&t, "r.ndjson").unwrap_err();
    assert!(e.starts_with("r.ndjson:2:"), "{e}");
}

//! Programs under conformance (spec §12.9.2): recordings whose processes run programs of the
//! refimpl's workload interpreter are explained by the model, and the two rules that hold a
//! process to its program (its calls in order; at rest, a reason not to make the next one)
//! reject a trace that breaks them.

use std::collections::BTreeMap;

use osfmig_model::presets::{preset, RunSpec};
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::record::{record_one, RecordOptions};
use osfmig_traces::validate::{validate, Limits, Verdict};

fn programs() -> RecordOptions {
    RecordOptions {
        programs: true,
        ..RecordOptions::default()
    }
}

fn check(name: &str, text: &str) -> Verdict {
    let t = parse_bytes(std::path::Path::new(name), text.as_bytes()).unwrap();
    validate(&t, name, &Limits::default()).unwrap()
}

/// The header with its `programs` list changed by `f`, and the events as they were.
fn with_programs(text: &str, f: impl FnOnce(&mut Vec<Vec<String>>)) -> String {
    let (header, events) = text.split_once('\n').unwrap();
    let mut h: serde_json::Value = serde_json::from_str(header).unwrap();
    let mut progs: Vec<Vec<String>> = serde_json::from_value(h["programs"].clone()).unwrap();
    f(&mut progs);
    h["programs"] = serde_json::to_value(progs).unwrap();
    format!("{h}\n{events}")
}

/// The kind of each program step a trace writes: the call's name, or the stimulus's rule.
fn program_steps(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let ev: serde_json::Value = serde_json::from_str(l).unwrap();
            (ev["actor"] == "process").then_some(())?;
            let p = &ev["params"];
            match ev["rule"].as_str()? {
                "EM1 Syscall" => p["call"].as_str().map(str::to_string),
                "FS1 FileIO" if p["read"] == true => Some("FileRead".into()),
                "R17 CORFault" => Some("Touch".into()),
                "AS1 PreCopy" if p["write"] == true => Some("Write".into()),
                _ => None,
            }
        })
        .collect()
}

fn ci() -> Vec<RunSpec> {
    preset("ci").unwrap()
}

// Reference: spec §12.9.2 — in every run of the `ci` preset, recordings whose processes run
// programs are explained by the model, and together they make every kind of program step
// (each call, a read, a copy-on-reference fault, a write of a pre-copied page).
#[test]
fn program_recordings_conform_in_every_ci_run() {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for spec in ci() {
        // A write of a pre-copied page needs a touch between the page's pre-copy and the
        // freeze, a window of tens of milliseconds: the pre-copy run gets more recordings.
        let count = if spec.name == "precopy" { 100 } else { 6 };
        for i in 0..count {
            let name = format!("{}-programs-{i}", spec.name);
            let text = record_one("ci", &spec, 3, i, &programs()).unwrap();
            let v = check(&name, &text);
            assert!(v.rejection.is_none(), "{name}: {:?}", v.rejection);
            for k in program_steps(&text) {
                *kinds.entry(k).or_default() += 1;
            }
        }
    }
    for k in [
        "GetInfo", "Signal", "Fork", "Wait", "Exit", "FileRead", "Touch", "Write",
    ] {
        assert!(
            kinds.get(k).is_some_and(|&n| n > 0),
            "no program made a {k} step: {kinds:?}"
        );
    }
}

/// A recording of `run` with a program's call in it and fewer calls than the run's budget
/// (so that the model's process could make one more), with its name.
fn recording_with_a_call(run: &str) -> (String, String) {
    let spec = ci().into_iter().find(|s| s.name == run).unwrap();
    let budget = spec.config.requests_max as usize;
    (0..200)
        .map(|i| (i, record_one("ci", &spec, 5, i, &programs()).unwrap()))
        .find(|(_, t)| (1..budget).contains(&program_steps(t).len()))
        .map(|(i, t)| (format!("{run}-programs-{i}"), t))
        .unwrap_or_else(|| panic!("no recording of {run} with a program's call under budget"))
}

// Reference: spec §12.9.2 — a process's calls follow its program: a header whose program
// names another call first rejects the trace at the call's line.
#[test]
fn a_call_out_of_program_order_is_rejected() {
    let (name, text) = recording_with_a_call("self-calls");
    assert!(check(&name, &text).rejection.is_none());
    let tampered = with_programs(&text, |p| {
        let calls = p.iter_mut().find(|c| !c.is_empty()).unwrap();
        calls[0] = if calls[0].starts_with("GetInfo") {
            "FileRead".into()
        } else {
            "GetInfo(0)".into()
        };
    });
    let why = check(&name, &tampered).rejection.expect("rejected");
    assert!(why.contains("but its program's next call is"), "{why}");
}

// Reference: spec §12.9.2 — at rest, a process whose program still has a call the model's
// process could make there is a process that stopped short: rejected.
#[test]
fn a_process_that_stops_short_of_its_program_is_rejected() {
    let (name, text) = recording_with_a_call("self-calls");
    assert!(check(&name, &text).rejection.is_none());
    let tampered = with_programs(&text, |p| p[0].push("GetInfo(0)".into()));
    let why = check(&name, &tampered).rejection.expect("rejected");
    assert!(why.contains("still to call GetInfo(0)"), "{why}");
}

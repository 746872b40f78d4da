//! The interesting cases the refimpl reports in `reached`, held against the model
//! (spec §12.16).

use osfmig_model::presets::find_run;
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::record::{record_one, RecordOptions};
use osfmig_traces::validate::{validate, Limits};
use osfmig_traces::Trace;

fn recording(run: &str, index: u64) -> Trace {
    let spec = find_run(run).expect("run");
    let text = record_one("ci", &spec, 1, index, &RecordOptions::default()).expect("record");
    parse_bytes(std::path::Path::new(run), text.as_bytes()).expect("parse")
}

/// The first recording of `run` (seed 1, index below `max`) whose refimpl claims `item`.
fn first_claiming(run: &str, item: &str, max: u64) -> Option<(u64, Trace)> {
    (0..max)
        .map(|i| (i, recording(run, i)))
        .find(|(_, t)| t.events.iter().any(|e| e.reached.iter().any(|r| r == item)))
}

// Reference: spec §12.16 — every monitor of the refimpl fires in the runs where the model
// promises its item, and each claim is one some explanation of the trace by the model
// reaches (the trace is accepted and the verdict lists the item).
#[test]
fn every_refimpl_monitor_fires_and_the_model_confirms_it() {
    for (run, item) in [
        ("refusal-queue", "S-queued-forwarded"),
        ("refusal-queue", "S-queued-reinstated"),
        ("wait-freeze", "S-wait-delays-freeze"),
        ("p11-unfixed", "S-overtaken"),
        ("file-io", "S-port-queue"),
        ("precopy", "S-precopy-dirty"),
        ("crash-cor", "S-cor-fault"),
        ("flush", "S-flush-fault"),
        ("crash-eager", "S-C4-survived"),
    ] {
        let (i, t) = first_claiming(run, item, 20_000)
            .unwrap_or_else(|| panic!("no recording of {run} claims {item}"));
        let v = validate(&t, &format!("{run}-{i}"), &Limits::default()).expect("validate");
        assert!(v.accepted(), "{run}-{i}: {}", v.rejection.unwrap());
        assert!(v.items.contains(item), "{run}-{i}: {:?}", v.items);
    }
}

// Reference: spec §12.16 — a claim no explanation reaches rejects the trace, naming the item
// and the line: the claim check has teeth.
#[test]
fn a_claim_the_model_cannot_explain_is_rejected() {
    // P11 holds with the fix: no explanation of a p11-fixed trace overtakes a call.
    let mut t = (0..200)
        .map(|i| recording("p11-fixed", i))
        .find(|t| t.events.len() > 4)
        .expect("a long enough trace");
    let v = validate(&t, "p11-fixed", &Limits::default()).expect("validate");
    assert!(v.accepted(), "{}", v.rejection.unwrap());
    assert!(!v.items.contains("S-overtaken"));
    t.events[3].reached.push("S-overtaken".into());
    let v = validate(&t, "p11-fixed", &Limits::default()).expect("validate");
    let why = v.rejection.expect("rejected");
    assert!(why.contains("p11-fixed:5: step 3"), "{why}");
    assert!(
        why.contains("reports reaching S-overtaken, but no explanation"),
        "{why}"
    );
    // An item the model does not know is rejected as such.
    t.events[3].reached = vec!["S-no-such-item".into()];
    let why = validate(&t, "p11-fixed", &Limits::default())
        .expect("validate")
        .rejection
        .expect("rejected");
    assert!(why.contains("has no such reachability item"), "{why}");
}

// Reference: spec §12.16 — the verdict's items come from the model's explanations, not from
// the claims: the same trace with its claims removed, and with no monitors declared (so that
// nothing holds it to reporting them), still lists the item.
#[test]
fn the_verdict_lists_the_items_explanations_reach() {
    let (i, t) = first_claiming("refusal-queue", "S-queued-forwarded", 20_000).expect("claim");
    let mut bare = t.clone();
    for e in &mut bare.events {
        e.reached.clear();
    }
    bare.header.monitors.clear();
    let v = validate(&bare, &format!("refusal-queue-{i}"), &Limits::default()).unwrap();
    assert!(v.accepted(), "{}", v.rejection.unwrap());
    assert!(v.items.contains("S-queued-forwarded"), "{:?}", v.items);
}

// Reference: spec §12.16 — the converse: a monitored item every explanation reaches and the
// refimpl never reported rejects the trace, naming the item; an item it does not monitor is
// not held against it.
#[test]
fn a_monitored_case_left_unreported_is_rejected() {
    for (run, item) in [
        ("refusal-queue", "S-queued-forwarded"),
        ("wait-freeze", "S-wait-delays-freeze"),
        ("crash-eager", "S-C4-survived"),
    ] {
        let (i, t) = first_claiming(run, item, 20_000).expect("claim");
        assert!(t.header.monitors.iter().any(|m| m == item));
        let mut silent = t.clone();
        for e in &mut silent.events {
            e.reached.retain(|r| r != item);
        }
        let name = format!("{run}-{i}");
        let why = validate(&silent, &name, &Limits::default())
            .unwrap()
            .rejection
            .unwrap_or_else(|| panic!("{name}: accepted without its {item} report"));
        assert!(
            why.contains(&format!(
                "every explanation of the trace by the model reaches {item}"
            )),
            "{why}"
        );
        assert!(
            why.starts_with(&format!("{name}:{}:", t.events.len() + 1)),
            "{why}"
        );
        silent.header.monitors.retain(|m| m != item);
        let v = validate(&silent, &name, &Limits::default()).unwrap();
        assert!(v.accepted(), "{name}: {}", v.rejection.unwrap());
    }
}

// Reference: spec §12.9 — how a recording ended is held to the model: a recording at rest
// whose model explanations all still have an observable step to take (here: its last event
// cut off, so the process's migration is left half done) is rejected, naming what the model
// still has; and a recording that never came to rest is rejected.
#[test]
fn a_recording_must_end_where_the_model_can_rest() {
    let t = (0..50)
        .map(|i| recording("null-migration", i))
        .find(|t| t.events.len() > 6)
        .expect("a recording of a migration");
    assert_eq!(t.header.quiescent, Some(true));
    let v = validate(&t, "null-migration", &Limits::default()).unwrap();
    assert!(v.accepted(), "{}", v.rejection.unwrap());
    let mut cut = t.clone();
    cut.events.truncate(t.events.len() / 2);
    let why = validate(&cut, "null-migration", &Limits::default())
        .unwrap()
        .rejection
        .expect("a recording at rest half-way through a migration is rejected");
    assert!(
        why.contains("came to rest after the last event, but no explanation"),
        "{why}"
    );
    assert!(why.contains("the model still has: "), "{why}");
    // The same prefix not said to be at rest (cut at its length bound) is accepted.
    cut.header.quiescent = None;
    let v = validate(&cut, "null-migration", &Limits::default()).unwrap();
    assert!(v.accepted(), "{}", v.rejection.unwrap());
    let mut restless = t.clone();
    restless.header.quiescent = Some(false);
    let why = validate(&restless, "null-migration", &Limits::default())
        .unwrap()
        .rejection
        .expect("rejected");
    assert!(why.contains("without coming to rest"), "{why}");
}

//! Every event field checked (spec §12.3, §12.9, §12.10): message ids, node, actor and a
//! refimpl event's rule label. Each check is shown to reject a trace mutated by hand at the
//! line of the mutated event, and to accept the traces as they were written.

use osfmig_model::presets::{find_run, preset};
use osfmig_traces::fields::check_trace;
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::record::{record_one, RecordOptions};
use osfmig_traces::replay::replay;
use osfmig_traces::validate::{validate, Limits};
use osfmig_traces::{Event, Trace};

const PATH: &str = "dir/t.ndjson";

fn recording(run: &str, index: u64) -> Trace {
    let spec = find_run(run).expect("run");
    let text = record_one("ci", &spec, 1, index, &RecordOptions::default()).expect("record");
    parse_bytes(std::path::Path::new(PATH), text.as_bytes()).expect("parse")
}

/// The first recording of `run` with an event `pick` accepts, and that event's index.
fn recording_with(run: &str, pick: impl Fn(&Event) -> bool) -> (Trace, usize) {
    (0..200)
        .find_map(|i| {
            let t = recording(run, i);
            let at = t.events.iter().position(&pick)?;
            Some((t, at))
        })
        .unwrap_or_else(|| panic!("no recording of {run} has the event wanted"))
}

fn model_trace(run: &str, seed: u64) -> Trace {
    let spec = find_run(run).expect("run");
    let opts = GenOptions {
        mode: GenMode::Walk,
        count: 1,
        seed,
        max_depth: 40,
        with_state: true,
    };
    let text = generate("ci", &spec, &opts)
        .expect("generate")
        .traces
        .remove(0)
        .text;
    parse_bytes(std::path::Path::new(PATH), text.as_bytes()).expect("parse")
}

/// A model trace of `run` with an event `pick` accepts, and that event's index.
fn model_trace_with(run: &str, pick: impl Fn(&Event) -> bool) -> (Trace, usize) {
    (1..200)
        .find_map(|seed| {
            let t = model_trace(run, seed);
            let at = t.events.iter().position(&pick)?;
            Some((t, at))
        })
        .unwrap_or_else(|| panic!("no walk of {run} has the event wanted"))
}

fn is_stimulus(e: &Event) -> bool {
    e.params.get("labels").is_none()
}

/// `traces check`'s verdict on a mutated refimpl trace: rejected at event `at`, the message
/// naming its line and step.
fn check_rejects(t: &Trace, at: usize) -> String {
    let v = validate(t, PATH, &Limits::default()).expect("validate");
    let r = v.rejection.expect("rejected");
    let head = format!("{PATH}:{}: step {}: ", at + 2, t.events[at].step);
    assert!(r.starts_with(&head), "{r}");
    assert_eq!(v.accepted_prefix, at, "{r}");
    r
}

/// `traces replay`'s error on a mutated model trace, naming the event's line and step.
fn replay_rejects(t: &Trace, at: usize) -> String {
    let e = replay(t, PATH).expect_err("a model trace with a wrong field is bad input");
    let head = format!("{PATH}:{}: step {}: ", at + 2, t.events[at].step);
    assert!(e.starts_with(&head), "{e}");
    e
}

/// `traces check-format`'s error, naming the event's line and step.
fn format_rejects(t: &Trace, at: usize) -> String {
    let e = check_trace(t, PATH).expect_err("rejected");
    let head = format!("{PATH}:{}: step {}: ", at + 2, t.events[at].step);
    assert!(e.starts_with(&head), "{e}");
    e
}

// Reference: spec §12.3, §12.9, §12.10 — the traces as written are accepted: recorded ones
// by `traces check` and `check-format`, generated ones (every run of the `ci` preset, walks
// and coverage-directed) by `traces replay` and `check-format`, whose node and actor rules
// are thereby shown to be the model's own.
#[test]
fn unmodified_traces_are_accepted() {
    for run in [
        "null-migration",
        "crash-rich",
        "task-only",
        "fork-exit-wait",
    ] {
        for i in 0..15 {
            let t = recording(run, i);
            let v = validate(&t, PATH, &Limits::default()).expect("validate");
            assert!(v.accepted(), "{run} #{i}: {}", v.rejection.unwrap());
            check_trace(&t, PATH).unwrap_or_else(|e| panic!("{run} #{i}: {e}"));
        }
    }
    for spec in preset("ci").expect("ci") {
        for mode in [GenMode::Walk, GenMode::Cover] {
            let opts = GenOptions {
                mode,
                count: 4,
                seed: 3,
                max_depth: 60,
                with_state: true,
            };
            for g in generate("ci", &spec, &opts).expect("generate").traces {
                let t = parse_bytes(std::path::Path::new(PATH), g.text.as_bytes()).unwrap();
                check_trace(&t, PATH).unwrap_or_else(|e| panic!("{}: {e}", g.file_name));
                let r = replay(&t, PATH).unwrap_or_else(|e| panic!("{}: {e}", g.file_name));
                assert!(r.divergence.is_none(), "{}", g.file_name);
            }
        }
    }
}

// Reference: spec §12.3 — a received id that no earlier step sent is rejected, in a refimpl
// trace (which may leave its ids empty, but not make them up) and in a model trace.
#[test]
fn a_received_id_never_sent_is_rejected() {
    let (mut t, at) = recording_with("null-migration", |e| e.step == 3);
    t.events[at].msg_ids.recv = vec![0];
    let r = check_rejects(&t, at);
    assert!(
        r.contains("msg_ids.recv says 0, but no earlier step sent message 0"),
        "{r}"
    );
    format_rejects(&t, at);

    let (mut t, at) = model_trace_with("null-migration", |e| !e.msg_ids.recv.is_empty());
    t.events[at].msg_ids.recv = vec![999];
    let e = replay_rejects(&t, at);
    assert!(
        e.contains("msg_ids.recv says 999, but no earlier step sent"),
        "{e}"
    );
    let e = format_rejects(&t, at);
    assert!(e.contains("no earlier step sent message 999"), "{e}");
}

// Reference: spec §12.3 — an id received twice, or sent twice, is rejected.
#[test]
fn an_id_sent_or_received_twice_is_rejected() {
    let (mut t, at) = recording_with("null-migration", |e| e.step == 4);
    t.events[at - 2].msg_ids.sent = vec![0];
    t.events[at].msg_ids.sent = vec![0];
    let r = check_rejects(&t, at);
    assert!(
        r.contains("msg_ids.sent says 0, but message 0 was already sent at step"),
        "{r}"
    );

    let (mut t, at) = model_trace_with("null-migration", |e| {
        e.msg_ids.sent.first().is_some_and(|&i| i > 0)
    });
    t.events[at].msg_ids.sent[0] = 0;
    let e = replay_rejects(&t, at);
    assert!(
        e.contains("msg_ids.sent says 0, but message 0 was already sent"),
        "{e}"
    );
    assert!(format_rejects(&t, at).contains("no id is sent twice"));

    // Ids are given in send order: skipping one is a wrong id too.
    let (mut t, at) = model_trace_with("null-migration", |e| !e.msg_ids.sent.is_empty());
    t.events[at].msg_ids.sent[0] += 1;
    let e = format_rejects(&t, at);
    assert!(e.contains("ids are given in send order from 0"), "{e}");

    // A message received, then received again by a later step that received nothing.
    let (mut t, id, later) = (1..200)
        .find_map(|seed| {
            let t = model_trace("null-migration", seed);
            let at = t.events.iter().position(|e| !e.msg_ids.recv.is_empty())?;
            let later = t.events[at + 1..]
                .iter()
                .position(|e| e.msg_ids.recv.is_empty())?;
            let id = t.events[at].msg_ids.recv[0];
            Some((t, id, at + 1 + later))
        })
        .expect("a walk with a step receiving nothing after a delivery");
    t.events[later].msg_ids.recv = vec![id];
    let e = format_rejects(&t, later);
    assert!(
        e.contains(&format!("message {id} was already received at step")),
        "{e}"
    );
}

// Reference: spec §12.3 — a node that does not agree with the state is rejected: a process's
// call on another node than its task's, a PMA step on a crashed node, the PM Master off the
// master node; in a model trace, any other node than the model's step's.
#[test]
fn a_wrong_node_is_rejected() {
    let (mut t, at) = recording_with("null-migration", |e| e.rule == "EM1 Syscall");
    let was = t.events[at].node.expect("a process runs somewhere");
    t.events[at].node = Some(if was == 1 { 2 } else { 1 });
    let r = check_rejects(&t, at);
    assert!(
        r.contains(&format!("but the task of process 0 is on node {was}")),
        "{r}"
    );
    format_rejects(&t, at);

    // A PMA's step after the crash of node N, said to be on N.
    let (mut t, dead, next) = (0..200)
        .find_map(|i| {
            let t = recording("crash-rich", i);
            let at = t
                .events
                .iter()
                .position(|e| e.rule == "C* NodeCrash" && is_stimulus(e))?;
            let next = t.events[at + 1..]
                .iter()
                .position(|e| !is_stimulus(e) && e.actor == "pma")?;
            let dead = t.events[at].node;
            Some((t, dead, at + 1 + next))
        })
        .expect("a recording with a PMA's step after a crash");
    t.events[next].node = dead;
    let r = check_rejects(&t, next);
    assert!(r.contains("but actor pma acts on a node that is up"), "{r}");

    let (mut t, at) = recording_with("fork-exit-wait", |e| e.actor == "pm_master");
    t.events[at].node = Some(1);
    let r = check_rejects(&t, at);
    assert!(
        r.contains("node says 1, but actor pm_master runs on node 0"),
        "{r}"
    );

    let (mut t, at) = model_trace_with("null-migration", |e| e.actor == "pma");
    let n = t.events[at].node.expect("a PMA's node");
    t.events[at].node = Some(if n == 0 { 1 } else { 0 });
    let e = replay_rejects(&t, at);
    assert!(
        e.contains(&format!(
            "but the model's step ({}) is by pma on node {n}",
            t.events[at].rule
        )),
        "{e}"
    );
    let e = format_rejects(&t, at);
    assert!(e.contains("but a delivery to pma:"), "{e}");
}

// Reference: spec §12.3, §12.8 — an actor that does not agree with the event is rejected:
// a stimulus written with another actor than its own, an actor that is none of spec
// §12.3's, and in a model trace another actor than the model's step's.
#[test]
fn a_wrong_actor_is_rejected() {
    let (mut t, at) = recording_with("null-migration", |e| e.rule == "EM1 Syscall");
    t.events[at].actor = "pma".into();
    let r = check_rejects(&t, at);
    assert!(
        r.contains("actor says pma, but EM1 Syscall is a stimulus of actor process"),
        "{r}"
    );
    format_rejects(&t, at);

    let (mut t, at) = recording_with("null-migration", |e| !is_stimulus(e));
    t.events[at].actor = "scheduler".into();
    let r = check_rejects(&t, at);
    assert!(
        r.contains("actor says \"scheduler\", but the actors are pma, kernel"),
        "{r}"
    );

    // A PMA's step said to be a process's, on the master node, where no task of this run is.
    let (mut t, at) = recording_with("null-migration", |e| !is_stimulus(e) && e.actor == "pma");
    t.events[at].actor = "process".into();
    t.events[at].node = Some(0);
    let r = check_rejects(&t, at);
    assert!(r.contains("but a process runs where its task is"), "{r}");

    let (mut t, at) = model_trace_with("null-migration", |e| e.actor == "kernel");
    t.events[at].actor = "pma".into();
    let e = replay_rejects(&t, at);
    assert!(e.contains("actor and node say pma on node"), "{e}");
    assert!(e.contains("is by kernel on node"), "{e}");
}

// Reference: spec §12.9 — a refimpl event's rule label must be one the model steps that
// explain it carry: a label the explanation does not carry is rejected, naming what it does
// carry; `τ` claims no rule and is accepted.
#[test]
fn a_wrong_rule_label_is_rejected() {
    let (mut t, at) = recording_with("null-migration", |e| e.rule == "R11 TaskPull");
    t.events[at].rule = "R7 Refuse".into();
    t.events[at].action = "R7".into();
    let r = check_rejects(&t, at);
    assert!(
        r.contains("rule says \"R7 Refuse\", but no model step that explains the event carries it"),
        "{r}"
    );
    assert!(
        r.contains("R11 TaskPull"),
        "the report names what the model carries: {r}"
    );

    // The same event without a label is accepted: τ claims nothing.
    t.events[at].rule = "τ Internal".into();
    t.events[at].action = "τ".into();
    let v = validate(&t, PATH, &Limits::default()).expect("validate");
    assert!(v.accepted(), "{}", v.rejection.unwrap());
}

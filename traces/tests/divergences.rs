//! Divergences found between the refimpl and the model, kept as traces (spec §12.9). A
//! resolved one must stay accepted by `traces check`; an open one (none today) is pinned by
//! its rejection, and its test fails once the model accepts the trace, so that the session
//! resolving it says on which side in spec §12.9 and moves it to the resolved ones.

use std::path::Path;

use osfmig_traces::parse::parse_bytes;
use osfmig_traces::validate::{validate, Limits};

/// The rejection `traces check` gives for the trace at `path` (relative to the crate).
fn rejection(path: &str) -> Option<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let t = parse_bytes(Path::new(path), &bytes).unwrap_or_else(|e| panic!("{e}"));
    validate(&t, path, &Limits::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .rejection
}

// Reference: spec §5.2, §5.4 (C4), §5.5, §12.9 — found by a directed recording of
// `wait-crash` (session 16), resolved in the model (session 17): the source of a finished
// migration crashes while the process's queued `fork()`, forwarded to D, waits there for its
// pid; D detects the crash (C4) and the process dies. D's answer goes to the caller's PMA on
// the crashed source and vanishes, so the request is lost in that event. The model kept it
// `routing` while the fork's `AllocPid` was in flight, counting that message as one carrying
// the request, which §5.5 does not. Re-recorded in session 18, when the projection gained the
// messages in flight (a trace keeps the projection of its day): `traces record --run
// wait-crash --target S-queued-forwarded --seed 1 --count 2`, the trace of index 1, which
// shows the same window.
#[test]
fn c4_death_with_a_forwarded_fork_loses_the_request_at_once() {
    let path = "tests/divergences/c4-death-with-forwarded-fork.ndjson";
    assert_eq!(rejection(path), None);
    // The trace still shows the window: the detection's event has the request lost while
    // the fork's pid request is still on its way to the PM Master.
    let text = std::fs::read_to_string(path).unwrap();
    let detect = text
        .lines()
        .find(|l| l.contains("\"rule\":\"C* DetectCrash\""))
        .expect("the trace has a C4 detection");
    let ev: serde_json::Value = serde_json::from_str(detect).unwrap();
    assert_eq!(ev["state"]["reqs"][0]["status"], "lost", "{detect}");
    let after = text.split_once(detect).unwrap().1;
    assert!(
        after.contains("\"rule\":\"PM3 Fork\""),
        "the pid request arrives after"
    );
}

//! Open divergences: refimpl recordings the model rejects, found and not yet resolved, kept
//! as traces so that the next session starts from the failing run (spec §12.9). Each test
//! pins the rejection; when it passes no more, the divergence was resolved: say on which
//! side in spec §12.9 and move the trace to the corpus.

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

// Reference: spec §5.2, §5.4 (C4), §12.9 — found by a directed recording of `wait-crash`
// (session 16): the source of a finished migration crashes while the process's queued
// `fork()`, forwarded to D, is in progress there; D detects the crash (C4) and the process
// dies. The refimpl marks the fork's request `lost` in that event, where the model has it
// `routing` (its answer on its way to the caller's PMA on the crashed node).
#[test]
fn c4_death_with_a_forwarded_fork_is_still_rejected() {
    let r = rejection("tests/open/c4-death-with-forwarded-fork.ndjson").expect(
        "the model accepts the trace now: the divergence is resolved; record on which side in \
         spec §12.9 and move the trace to the corpus",
    );
    assert!(r.contains(":23: step 21 (C* DetectCrash"), "{r}");
    assert!(r.contains("reqs[0]: InProgress"), "{r}");
    assert!(r.contains("!= Lost"), "{r}");
}

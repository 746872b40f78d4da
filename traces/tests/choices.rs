//! Independent choices (spec §11.11, issue 13 item 6): the refimpl's alternative to a
//! choice the model makes where the paper is silent, and what trace conformance says of it.

use osfmig_model::presets::find_run;
use osfmig_refimpl::choices::{C2Answer, Choices, ForwardEmpty, IncomingRequests};
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::record::{record_with, RecordOptions};
use osfmig_traces::replay::replay_with;
use osfmig_traces::validate::{validate, Limits};

/// Model walks of `run` that diverge on a refimpl making `choices`, and refimpl recordings
/// with `choices` the model rejects (`n` of each, the refimpl's own checks off).
fn verdicts(run: &str, n: u64, choices: Choices) -> (usize, usize) {
    let spec = find_run(run).unwrap();
    let set = |w: &mut osfmig_refimpl::world::World| {
        w.cfg.check_invariants = false;
        w.cfg.choices = choices;
    };
    let opts = GenOptions {
        mode: GenMode::Walk,
        count: n,
        seed: 3,
        max_depth: 60,
        with_state: false,
    };
    let diverged = generate("ci", &spec, &opts)
        .unwrap()
        .traces
        .iter()
        .enumerate()
        .filter(|(i, g)| {
            let name = format!("{run}-{i}");
            let t = parse_bytes(std::path::Path::new(&name), g.text.as_bytes()).unwrap();
            replay_with(&t, &name, &spec.config, set)
                .unwrap()
                .divergence
                .is_some()
        })
        .count();
    let rejected = (0..n)
        .filter(|&i| {
            let name = format!("{run}-{i}");
            let text = record_with("ci", &spec, 3, i, &RecordOptions::default(), set).unwrap();
            let t = parse_bytes(std::path::Path::new(&name), text.as_bytes()).unwrap();
            !validate(&t, &name, &Limits::default()).unwrap().accepted()
        })
        .count();
    (diverged, rejected)
}

/// What conformance says of an alternative on a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Says {
    /// Some walk diverges or some recording is rejected: the model's choice is observable.
    Rejects,
    /// Every walk replays and every recording is accepted in the sample.
    Accepts,
}

// Reference: spec §11.11 — each alternative is judged on runs where it can matter; the
// model's own choice conforms on the same traces (the verdict is the alternative's doing).
// The verdicts are the ones spec §11.11 reports.
#[test]
fn what_conformance_says_of_each_alternative() {
    use Says::*;
    let model = Choices::default();
    let absent = Choices {
        incoming_requests: IncomingRequests::AbsentProcess,
        ..model
    };
    let no_empty_forward = Choices {
        forward_empty: ForwardEmpty::OnlyNonEmpty,
        ..model
    };
    let c2_refused = Choices {
        c2_answer: C2Answer::Refused,
        ..model
    };
    let cases: [(Choices, &str, Says); 6] = [
        (absent, "p11-fixed", Rejects),
        (absent, "two-procs-signal", Accepts),
        (no_empty_forward, "p11-fixed", Rejects),
        // Observable since the messages in flight are compared (session 18): the empty
        // forward itself is a message the model sends.
        (no_empty_forward, "p11-unfixed", Rejects),
        (no_empty_forward, "null-migration", Rejects),
        (c2_refused, "crash-rich", Rejects),
    ];
    for (choices, run, says) in cases {
        assert_eq!(
            verdicts(run, 200, model),
            (0, 0),
            "{run} with the model's choices"
        );
        let (d, r) = verdicts(run, 200, choices);
        let got = if d + r > 0 { Rejects } else { Accepts };
        assert_eq!(
            got, says,
            "{choices:?} on {run}: {d} of 200 walks diverge, {r} of 200 recordings rejected"
        );
    }
}

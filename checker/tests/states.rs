//! `--states` (spec §8.4): under each step of a counterexample, the fields of the state it
//! changed.

mod common;

use common::{osfmig, stderr, stdout};

/// The replay of the tutorial's counterexample (P4 with `no_suspend`).
const REPLAY: [&str; 9] = [
    "replay",
    "--preset",
    "ci",
    "--run",
    "null-migration",
    "--mutant",
    "no_suspend",
    "--path",
    "0,2,1,0,0,1,0",
];

/// The `~` lines under the step numbered `n` of a report.
fn changes_of(report: &str, n: usize) -> Vec<String> {
    let head = format!("{n:>6}. [");
    let mut lines = report.lines().skip_while(|l| !l.starts_with(&head)).skip(1);
    let mut out = Vec::new();
    while let Some(l) = lines.next().filter(|l| l.trim_start().starts_with("~ ")) {
        out.push(l.trim_start().trim_start_matches("~ ").to_string());
    }
    out
}

// Reference: spec §8.4, §3.2 (R5 sets `frozen`, R2 queues the call) — replay shows what each
// step changed, and only that.
#[test]
fn replay_shows_each_steps_changes() {
    let o = osfmig(&[REPLAY.as_slice(), &["--states"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        changes_of(&out, 6),
        vec!["nodes[1].pma.procs[0].Active.out.frozen: false -> true"],
        "{out}"
    );
    let r2 = changes_of(&out, 5);
    assert!(
        r2.iter()
            .any(|l| l == "nodes[1].pma.procs[0].Active.out.queue: + 0"),
        "{out}"
    );
    assert!(r2.iter().any(|l| l.starts_with("net: - ")), "{out}");
    assert!(out.contains("(~ under a step:"), "{out}");
    // Without the flag, no changes are shown.
    let plain = osfmig(&REPLAY);
    assert!(!stdout(&plain).contains("~ "), "{}", stdout(&plain));
}

// Reference: spec §8.4 — check prints the same changes under a counterexample's steps.
#[test]
fn check_shows_the_changes_under_a_counterexample() {
    let o = osfmig(&[
        "check",
        "--run",
        "null-migration",
        "--mutant",
        "no_suspend",
        "--quiet",
        "--states",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("~ nodes[1].pma.procs[0].Active.out.frozen: false -> true"),
        "{out}"
    );
}

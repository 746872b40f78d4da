//! `--junit FILE` (spec §8.4): verdicts as JUnit XML, one test case per run × property.
// Reference: spec §8.4 (reports for CI), §6 (verdicts).

mod common;

use common::{osfmig, s, scratch, stderr, stdout};

// Reference: spec §8.4 (a wrong verdict is a failing test case with its why and replay).
#[test]
fn a_violation_is_a_failing_case_with_its_why_and_replay() {
    let file = scratch("junit", "mutant.xml");
    let o = osfmig(&[
        "check",
        "--preset",
        "refusal-queue",
        "--mutant",
        "drop_queue_on_refusal",
        "--quiet",
        "--junit",
        s(&file),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}\n{}", stdout(&o), stderr(&o));
    let x = std::fs::read_to_string(&file).expect("the XML");
    assert!(x.starts_with("<?xml"), "{x}");
    assert!(x.contains(r#"<testsuite name="refusal-queue""#), "{x}");
    // The one failure is P5's.
    assert!(x.contains(r#"failures="1""#), "{x}");
    let p5 = x
        .split("<testcase ")
        .find(|c| c.contains(r#"name="P5 no lost requests""#))
        .expect("a P5 case");
    assert!(p5.contains(r#"<failure message="violated""#), "{p5}");
    assert!(p5.contains("why: req 1"), "{p5}");
    assert!(p5.contains("replay: osfmig replay"), "{p5}");
    // Every property of the run is a case, and the search's completeness one more.
    let cases = x.matches("<testcase ").count();
    let rows = stdout(&o)
        .lines()
        .filter(|l| l.starts_with("refusal-queue  "))
        .count();
    assert_eq!(cases, rows + 1, "{x}");
    assert!(x.contains(r#"name="search complete""#));
    let _ = std::fs::remove_file(&file);
}

// Reference: spec §8.4 (a run as the spec expects is all passing cases; expected findings
// pass and say so).
#[test]
fn expected_findings_pass_and_say_so() {
    let file = scratch("junit", "finding.xml");
    let o = osfmig(&[
        "check",
        "--preset",
        "p11-unfixed",
        "--quiet",
        "--junit",
        s(&file),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let x = std::fs::read_to_string(&file).expect("the XML");
    assert!(x.contains(r#"failures="0""#), "{x}");
    assert!(
        x.contains("expected violation (a finding of the paper)"),
        "{x}"
    );
    let _ = std::fs::remove_file(&file);
}

// Reference: spec §8.4 (bad input is exit 2 naming the flag, before any work).
#[test]
fn a_junit_file_that_cannot_be_written_is_exit_2() {
    let o = osfmig(&[
        "check",
        "--preset",
        "tiny",
        "--quiet",
        "--junit",
        "/nonexistent-dir/osfmig.xml",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--junit /nonexistent-dir/osfmig.xml"),
        "{}",
        stderr(&o)
    );
}

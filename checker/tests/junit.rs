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

// Reference: spec §8.4, §12.5 (`traces check --junit`: a case per trace file; a rejection and
// bad input are failing cases naming the place, the others pass).
#[test]
fn traces_check_writes_a_case_per_trace_file() {
    let dir = scratch("junit", "traces");
    std::fs::create_dir_all(&dir).unwrap();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus/refimpl");
    let good = std::fs::read_to_string(corpus.join("abandon.ndjson")).unwrap();
    std::fs::write(dir.join("a-good.ndjson"), &good).unwrap();
    // The same trace with its second event's recorded state replaced by the first's: no
    // change where the model's step makes one: rejected.
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    let first: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    let mut second: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    second["state"] = first["state"].clone();
    lines[2] = second.to_string();
    std::fs::write(dir.join("b-bad.ndjson"), lines.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("c-malformed.ndjson"), "{not json\n").unwrap();
    let file = dir.join("out.xml");
    let o = osfmig(&["traces", "check", s(&dir), "--junit", s(&file)]);
    assert_eq!(o.status.code(), Some(2), "{}\n{}", stdout(&o), stderr(&o));
    let x = std::fs::read_to_string(&file).expect("the XML");
    assert!(
        x.contains(r#"<testsuite name="traces check" tests="3" failures="2""#),
        "{x}"
    );
    let case = |n: &str| {
        x.split("<testcase ")
            .find(|c| c.contains(n))
            .unwrap_or_else(|| panic!("no case {n}: {x}"))
            .to_string()
    };
    assert!(!case("a-good.ndjson").contains("<failure"), "{x}");
    assert!(
        case("b-bad.ndjson").contains("b-bad.ndjson:3: step 1"),
        "{x}"
    );
    assert!(
        case("c-malformed.ndjson").contains(r#"<failure message="bad input""#),
        "{x}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

//! `osfmig traces shrink`, `traces coverage`, `traces export` and `traces generate --format
//! itf` on the command line (spec §12.11-§12.13).

mod common;

use std::path::{Path, PathBuf};

use common::{osfmig, s, stderr, stdout};
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let d = common::scratch("traces-more", name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `traces generate --preset ci --run RUN --count N --out DIR` and the flags in `extra`.
fn generate(run: &str, count: &str, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "traces",
        "generate",
        "--preset",
        "ci",
        "--run",
        run,
        "--count",
        count,
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    let o = osfmig(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn record(dir: &Path, count: &str) {
    let o = osfmig(&[
        "traces",
        "record",
        "--run",
        "self-calls",
        "--count",
        count,
        "--seed",
        "1",
        "--out",
        s(dir),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The longest recorded trace of a directory.
fn longest(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort_by_key(|p| std::fs::read_to_string(p).unwrap().lines().count());
    files.pop().unwrap()
}

// Reference: spec §12.11 — a corrupted refimpl trace shrinks to a shorter one that
// `traces check` still rejects; a passing trace is refused with exit 2.
#[test]
fn shrink_on_the_command_line() {
    let d = scratch("shrink");
    record(&d.join("rec"), "6");
    let good = longest(&d.join("rec"));
    let text = std::fs::read_to_string(&good).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines.len() > 6, "a long enough recording");
    let k = lines.len() / 2;
    let mut ev: Value = serde_json::from_str(&lines[k]).unwrap();
    let nodes = ev["state"]["nodes"].as_array_mut().unwrap();
    let last = nodes.len() - 1;
    let slot = &mut nodes[last]["procs"][0];
    *slot = if slot == "incoming" {
        "active".into()
    } else {
        "incoming".into()
    };
    lines[k] = serde_json::to_string(&ev).unwrap();
    let bad = d.join("bad.ndjson");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let o = osfmig(&["traces", "check", s(&bad)]);
    assert_eq!(o.status.code(), Some(1), "the corrupted trace is rejected");

    let small = d.join("small.ndjson");
    let o = osfmig(&["traces", "shrink", s(&bad), "--out", s(&small)]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(out.contains("still rejected by `traces check`"), "{out}");
    let n = std::fs::read_to_string(&small).unwrap().lines().count();
    assert!(n < lines.len(), "{n} lines, was {}", lines.len());
    let o = osfmig(&["traces", "check", s(&small)]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the shrunk trace is still rejected"
    );

    // Without --out: next to the input.
    let o = osfmig(&["traces", "shrink", s(&bad)]);
    assert!(o.status.success());
    assert!(d.join("bad.shrunk.ndjson").exists());

    let o = osfmig(&["traces", "shrink", s(&good)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("does not fail") && err.contains(s(&good)),
        "{err}"
    );

    // Bad input: exit 2 naming file and line.
    let trunc = d.join("trunc.ndjson");
    std::fs::write(&trunc, &text[..text.len() - 1]).unwrap();
    let o = osfmig(&["traces", "shrink", s(&trunc)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}:{}:", s(&trunc), lines.len())),
        "{err}"
    );
}

// Reference: spec §12.12 — coverage prints one JSON object; `--require-refimpl` exits 1
// when some rule is never exercised (four recordings leave many out); a missing directory
// is exit 2.
#[test]
fn coverage_on_the_command_line() {
    let d = scratch("coverage");
    record(&d.join("rec"), "4");
    generate("two-procs-signal", "3", &d.join("gen"), &[]);
    let o = osfmig(&[
        "traces",
        "coverage",
        s(&d.join("rec")),
        s(&d.join("gen")),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["traces"], 7);
    assert_eq!(v["model_traces"], 3);
    assert!(!v["refimpl_missing_actions"].as_array().unwrap().is_empty());
    let o = osfmig(&["traces", "coverage", s(&d.join("rec")), "--require-refimpl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("never exercised by refimpl traces"));
    assert!(stdout(&o).contains("hits per action x fault class"));
    let o = osfmig(&["traces", "coverage", s(&d.join("nope"))]);
    assert_eq!(o.status.code(), Some(2));
}

// Reference: spec §12.13 — `generate --format itf` writes one ITF file per trace, and
// `export` converts an NDJSON trace; both parse as JSON with one state per event plus one.
#[test]
fn itf_on_the_command_line() {
    let d = scratch("itf");
    generate("null-migration", "2", &d.join("itf"), &["--format", "itf"]);
    let f = d.join("itf").join("null-migration-0000.itf.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    assert!(v["states"].as_array().unwrap().len() > 1);

    generate("null-migration", "2", &d.join("nd"), &[]);
    let nd = d.join("nd").join("null-migration-0000.ndjson");
    let events = std::fs::read_to_string(&nd).unwrap().lines().count() - 1;
    let o = osfmig(&["traces", "export", s(&nd), "--format", "itf"]);
    assert!(o.status.success());
    let w: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(w["states"].as_array().unwrap().len(), events + 1);
    assert_eq!(w["states"], v["states"], "the same walk, the same states");
    let o = osfmig(&[
        "traces",
        "export",
        s(&d.join("none.ndjson")),
        "--format",
        "itf",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

// Reference: spec §12.2 — `traces generate --json` prints one object that agrees with the
// files written (NDJSON and ITF alike).
#[test]
fn generate_json_reports_what_it_wrote() {
    let d = scratch("generate-json");
    for (format, dir) in [("ndjson", d.join("nd")), ("itf", d.join("itf"))] {
        let o = osfmig(&[
            "traces",
            "generate",
            "--preset",
            "ci",
            "--run",
            "null-migration",
            "--count",
            "3",
            "--format",
            format,
            "--out",
            s(&dir),
            "--json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
        let written = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(v["files"], written, "{format}");
        assert_eq!(v["runs"][0]["run"], "null-migration");
        assert_eq!(v["runs"][0]["traces"], 3);
    }
}

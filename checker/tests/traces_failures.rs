//! Failures of the `traces` commands are findings, never crashes (spec §12.5): a broken
//! refimpl invariant is a divergence naming file, line, step and invariant (exit 1); one bad
//! file in a directory never hides the others' results; no traces, an `--out` that exists or
//! cannot be created, and sizes beyond their bounds are exit 2 before any work; mutated
//! files are exit 1 or 2 naming the file and line, never a panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{osfmig, s, stderr, stdout};

fn scratch(name: &str) -> PathBuf {
    let d = common::scratch("traces-failures", name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Exit status and both streams, for assertion messages.
fn shown(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// Never a panic: exit 0, 1 or 2 and no panic message.
fn no_panic(o: &Output) {
    assert!(matches!(o.status.code(), Some(0..=2)), "{}", shown(o));
    assert!(!stderr(o).contains("panicked"), "{}", shown(o));
}

fn generate(run: &str, count: &str, out: &Path) {
    let o = osfmig(&[
        "traces",
        "generate",
        "--preset",
        "ci",
        "--run",
        run,
        "--count",
        count,
        "--seed",
        "1",
        "--out",
        s(out),
    ]);
    assert!(o.status.success(), "{}", shown(&o));
}

fn record(run: &str, count: &str, out: &Path) {
    let o = osfmig(&[
        "traces",
        "record",
        "--run",
        run,
        "--count",
        count,
        "--seed",
        "1",
        "--out",
        s(out),
    ]);
    assert!(o.status.success(), "{}", shown(&o));
}

fn sorted(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

// Reference: spec §12.5 — with a refimpl mutant that breaks P3 (exit keeps the proc
// structure), `traces replay` reports the broken invariant as a divergence naming the file,
// the line, the step and the invariant (exit 1), and so does `traces shrink` for the shrunk
// file; without the mutant the same traces replay.
#[test]
fn a_broken_invariant_on_replay_and_shrink_is_a_divergence() {
    let d = scratch("replay-invariant");
    generate("abandon-exit", "4", &d.join("gen"));
    let o = osfmig(&["traces", "replay", s(&d.join("gen"))]);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    let o = osfmig(&[
        "traces",
        "replay",
        s(&d.join("gen")),
        "--refimpl-mutant",
        "exit_keeps_proc",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    let out = stdout(&o);
    let first = sorted(&d.join("gen")).remove(0);
    let want = format!("{}:", s(&first));
    let line = out
        .lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no report for {want}\n{}", shown(&o)));
    assert!(line.contains(": step "), "{line}");
    assert!(line.contains("broke invariant P3"), "{line}");
    assert!(out.contains("P3 commit discipline"), "{out}");
    assert!(out.contains("diverged"), "{out}");

    let small = d.join("small.ndjson");
    let o = osfmig(&[
        "traces",
        "shrink",
        s(&first),
        "--out",
        s(&small),
        "--refimpl-mutant",
        "exit_keeps_proc",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!("{}:", s(&small))) && out.contains("broke invariant P3"),
        "{out}"
    );
    assert!(small.exists());

    // With --json, one object says the same: the kind of failure, its invariant, the sizes.
    let small_json = d.join("small-json.ndjson");
    let o = osfmig(&[
        "traces",
        "shrink",
        s(&first),
        "--out",
        s(&small_json),
        "--refimpl-mutant",
        "exit_keeps_proc",
        "--json",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["failure"]["kind"], "invariant");
    assert_eq!(v["failure"]["invariant"], "P3");
    assert!(v["steps_after"].as_u64() <= v["steps_before"].as_u64());
    assert_eq!(v["out"], s(&small_json));
    assert!(small_json.exists());
}

// Reference: spec §12.5 — `traces record` with the same mutant writes every trace, each
// ending with the event at which P3 broke, names the file, line, run, trace index and step
// of each, and exits 1 at the end.
#[test]
fn a_broken_invariant_on_record_names_the_output_file() {
    let d = scratch("record-invariant");
    let out_dir = d.join("rec");
    let o = osfmig(&[
        "traces",
        "record",
        "--run",
        "fork-exit-wait",
        "--count",
        "6",
        "--seed",
        "1",
        "--out",
        s(&out_dir),
        "--refimpl-mutant",
        "exit_keeps_proc",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    let out = stdout(&o);
    let files = sorted(&out_dir);
    assert_eq!(files.len(), 6, "every trace is written");
    let mut reported = 0;
    for (n, f) in files.iter().enumerate() {
        let lines = std::fs::read_to_string(f).unwrap().lines().count();
        let want = format!("{}:{lines}: run fork-exit-wait trace {n}: step ", s(f));
        if out.contains(&want) {
            reported += 1;
        }
    }
    assert!(reported > 0, "{out}");
    assert!(out.contains("the refimpl broke invariant P3"), "{out}");
    assert!(out.contains("broke a refimpl invariant"), "{out}");

    // With --json, stdout is one object naming the same findings, file and line included.
    let json_dir = d.join("rec-json");
    let o = osfmig(&[
        "traces",
        "record",
        "--run",
        "fork-exit-wait",
        "--count",
        "6",
        "--seed",
        "1",
        "--out",
        s(&json_dir),
        "--refimpl-mutant",
        "exit_keeps_proc",
        "--json",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["traces"], 6);
    let broken = v["broken"].as_array().expect("broken");
    assert_eq!(broken.len(), reported, "the same findings as the text");
    for b in broken {
        assert_eq!(b["invariant"], "P3");
        assert_eq!(b["run"], "fork-exit-wait");
        let f = std::path::PathBuf::from(b["file"].as_str().unwrap());
        let lines = std::fs::read_to_string(&f).unwrap().lines().count();
        assert_eq!(b["line"], lines, "the line of the event at which it broke");
    }
}

// Reference: spec §12.5 — in a directory, a malformed file, a rejected one and good ones:
// every file is counted, the bad one is named with its line, and the exit status is the
// worst seen (2); without the malformed file it is 1.
#[test]
fn one_bad_file_never_hides_the_others() {
    let d = scratch("mixed");
    let rec = d.join("rec");
    record("null-migration", "4", &rec);
    let files = sorted(&rec);
    // A rejected trace: a recorded state the model cannot reach.
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let k = lines.len() - 1;
    let mut ev: serde_json::Value = serde_json::from_str(&lines[k]).unwrap();
    ev["state"]["pm"][0]["life"] = "zombie".into();
    lines[k] = ev.to_string();
    std::fs::write(&files[0], lines.join("\n") + "\n").unwrap();
    let o = osfmig(&["traces", "check", s(&rec)]);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    assert!(
        stdout(&o).contains("4 trace(s)") && stdout(&o).contains("3 ok, 1 rejected"),
        "{}",
        shown(&o)
    );
    // A malformed one, sorted first: the others are still checked.
    let bad = rec.join("a-bad.ndjson");
    std::fs::write(&bad, &text[..text.len() - 2]).unwrap();
    for cmd in ["check", "check-format", "coverage"] {
        let o = osfmig(&["traces", cmd, s(&rec)]);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", shown(&o));
        let err = stderr(&o);
        assert!(err.contains(&format!("{}:", s(&bad))), "{cmd}: {err}");
        assert_eq!(err.matches("osfmig: error:").count(), 1, "{cmd}: {err}");
    }
    let o = osfmig(&["traces", "check", s(&rec), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (
            &v["traces"],
            &v["accepted"],
            &v["rejected"],
            &v["malformed"]
        ),
        (&5.into(), &3.into(), &1.into(), &1.into()),
        "{v}"
    );
    let o = osfmig(&["traces", "check-format", s(&rec)]);
    assert!(
        stdout(&o).contains("5 trace file(s): 4 ok"),
        "{}",
        shown(&o)
    );
    let o = osfmig(&["traces", "coverage", s(&rec), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["refimpl_traces"], 4, "{v}");
    assert_eq!(v["malformed"], 1, "{v}");

    // Replay: a truncated model trace among good ones.
    let gen = d.join("gen");
    generate("null-migration", "3", &gen);
    let g = sorted(&gen);
    let t = std::fs::read_to_string(&g[1]).unwrap();
    std::fs::write(&g[1], &t[..t.len() - 1]).unwrap();
    let o = osfmig(&["traces", "replay", s(&gen)]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", shown(&o));
    assert!(stdout(&o).contains("3 trace(s)"), "{}", shown(&o));
    assert!(stdout(&o).contains("2 ok, 0 diverged, 1 unreadable or malformed"));
    let lines = t.lines().count();
    assert!(stderr(&o).contains(&format!("{}:{lines}: truncated line", s(&g[1]))));
}

// Reference: spec §12.5 — no traces is exit 2 naming the path: an empty directory, or one
// without `*.ndjson` files, for every command that reads directories.
#[test]
fn no_traces_is_exit_2_naming_the_path() {
    let d = scratch("empty");
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let other = d.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "not a trace\n").unwrap();
    for dir in [&empty, &other] {
        for cmd in ["check", "replay", "check-format", "coverage"] {
            let o = osfmig(&["traces", cmd, s(dir)]);
            assert_eq!(o.status.code(), Some(2), "{cmd}: {}", shown(&o));
            let err = stderr(&o);
            assert!(err.contains(&format!("{}: no traces", s(dir))), "{err}");
        }
    }
}

// Reference: spec §12.5 — `--out` that exists (a file, a directory with files) or cannot
// be created is exit 2 naming the flag, before any work: nothing is written.
#[test]
fn out_that_exists_or_cannot_be_created_is_exit_2() {
    let d = scratch("out");
    let gen = d.join("gen");
    generate("null-migration", "1", &gen);
    let trace = sorted(&gen).remove(0);
    let file = d.join("file.txt");
    std::fs::write(&file, "mine\n").unwrap();
    let under_file = file.join("sub");
    let full = gen.clone();
    let base = [
        "--preset",
        "ci",
        "--run",
        "null-migration",
        "--count",
        "1",
        "--out",
    ];
    for out in [&file, &full, &under_file] {
        let mut g = vec!["traces", "generate"];
        g.extend_from_slice(&base);
        g.push(s(out));
        let mut r = vec!["traces", "record"];
        r.extend_from_slice(&base[2..]);
        r.push(s(out));
        let sh = vec!["traces", "shrink", s(&trace), "--out", s(out)];
        let ex = vec![
            "traces",
            "export",
            s(&trace),
            "--format",
            "itf",
            "--out",
            s(out),
        ];
        for args in [g, r, sh, ex] {
            let o = osfmig(&args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", shown(&o));
            let err = stderr(&o);
            assert!(
                err.contains(&format!("--out {}:", s(out))),
                "{args:?}: {err}"
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
    assert_eq!(sorted(&gen).len(), 1);
    // An empty directory is taken (as `mktemp -d` makes one).
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    generate("null-migration", "1", &empty);
}

// Reference: spec §12.5 — sizes beyond their documented bounds are exit 2 at parse time,
// naming the flag and the bound.
#[test]
fn sizes_have_upper_bounds() {
    let d = scratch("bounds");
    let out = d.join("never");
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["generate", "--preset", "ci", "--count", "1000001"],
            "--count",
            "1000000",
        ),
        (&["record", "--count", "1000001"], "--count", "1000000"),
        (
            &[
                "generate", "--preset", "ci", "--count", "1", "--depth", "10001",
            ],
            "--depth",
            "10000",
        ),
        (
            &["record", "--count", "1", "--events", "10001"],
            "--events",
            "10000",
        ),
        (
            &["coverage", "--preset", "ci", "--state-limit", "50000001"],
            "--state-limit",
            "50000000",
        ),
    ];
    for (args, flag, bound) in cases {
        let mut a = vec!["traces"];
        a.extend_from_slice(args);
        if a[1] != "coverage" {
            a.extend_from_slice(&["--out", s(&out)]);
        }
        let o = osfmig(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {}", shown(&o));
        let err = stderr(&o);
        assert!(err.contains(flag) && err.contains(bound), "{a:?}: {err}");
    }
    assert!(!out.exists(), "nothing is written");
}

// Reference: spec §12.5 — a few mutated files on the command line: each command reading
// them exits 1 or 2, never panics, and names the file and line when it exits 2.
#[test]
fn mutated_files_on_the_command_line() {
    let d = scratch("mutated");
    let gen = d.join("gen");
    generate("crash-cor", "2", &gen);
    let rec = d.join("rec");
    record("crash-cor", "2", &rec);
    let sources = [sorted(&gen).remove(0), sorted(&rec).remove(0)];
    let mut inputs = Vec::new();
    for (k, src) in sources.iter().enumerate() {
        let text = std::fs::read_to_string(src).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let muts: Vec<String> = vec![
            text.replacen("\"step\":1,", "\"step\":-1,", 1),
            text.replacen("\"pid\":0", "\"pid\":18446744073709551615", 1),
            text.replacen("\"pid\":0", "\"pid\":7", 1),
            text.replacen("\"run\":\"crash-cor\"", "\"run\":\"no-such-run\"", 1),
            format!("{}\n{}\n", lines.join("\n"), lines[lines.len() - 1]),
            format!("{}\n", lines[..lines.len() - 1].join("\n")).replacen(
                "\"rule\":\"",
                "\"rule\":\"X",
                1,
            ),
            text.replace("\"alive\":true", "\"alive\":1"),
        ];
        for (i, m) in muts.into_iter().enumerate() {
            let p = d.join(format!("m{k}-{i}.ndjson"));
            std::fs::write(&p, m).unwrap();
            inputs.push(p);
        }
    }
    for p in &inputs {
        let out = d.join(format!("{}.out", p.file_name().unwrap().to_string_lossy()));
        for args in [
            vec!["traces", "check", s(p)],
            vec!["traces", "replay", s(p)],
            vec!["traces", "check-format", s(p)],
            vec!["traces", "coverage", s(p)],
            vec![
                "traces",
                "export",
                s(p),
                "--format",
                "itf",
                "--out",
                s(&out),
            ],
        ] {
            let o = osfmig(&args);
            no_panic(&o);
            match o.status.code() {
                Some(2) => assert!(
                    stderr(&o).contains(&format!("{}:", s(p))),
                    "{args:?}: {}",
                    shown(&o)
                ),
                Some(1) => assert!(stdout(&o).contains(&format!("{}:", s(p))), "{}", shown(&o)),
                _ => {}
            }
            let _ = std::fs::remove_file(&out);
        }
    }
}

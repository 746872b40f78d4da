//! `osfmig paper` and `osfmig simulate` as a user runs them (spec §11.9, §11.8, §11.10).

mod common;

use common::{osfmig, s, scratch, stderr, stdout};
use serde_json::Value;

fn json(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// The simulated value of row `id` in `paper --json` output.
fn row(v: &Value, id: &str) -> f64 {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}"))["simulated"]
        .as_f64()
        .unwrap()
}

// Reference: spec §11.9 — every row carries the fields, and the exit status says
// whether every target holds (0) or not (1), agreeing with the rows.
#[test]
fn paper_json_rows_and_exit_status_agree() {
    let o = osfmig(&["paper", "--json"]);
    let v = json(&o);
    let rows = v["rows"].as_array().unwrap();
    assert!(rows.len() >= 38);
    for r in rows {
        for k in ["id", "claim", "paper", "simulated", "rel_error", "role"] {
            assert!(r.get(k).is_some(), "row {} lacks {k}", r["id"]);
        }
        let role = r["role"].as_str().unwrap();
        assert!(role == "calibrated" || role == "predicted", "{role}");
    }
    let all_ok = rows.iter().all(|r| r["ok"] == Value::Bool(true));
    assert_eq!(v["ok"], Value::Bool(all_ok));
    assert_eq!(o.status.code(), Some(if all_ok { 0 } else { 1 }));
    // The text table says the same.
    let t = osfmig(&["paper"]);
    assert_eq!(t.status.code(), o.status.code());
    let missed = rows.iter().filter(|r| r["ok"] != Value::Bool(true)).count();
    assert!(
        stdout(&t).contains(&format!("{} within target", rows.len() - missed)),
        "{}",
        stdout(&t)
    );
}

// Reference: spec §11.10 — the processor switches reach the reproduction: without processor
// sharing fig9-gcc-task falls back to the residual dependency alone.
#[test]
fn paper_processor_switch_changes_the_gcc_task_row() {
    let task = |args: &[&str]| row(&json(&osfmig(args)), "fig9-gcc-task");
    let on = task(&["paper", "--json"]);
    let off = task(&["paper", "--json", "--cpu-contention=false"]);
    let at_d = task(&["paper", "--json", "--sms-both-ends=false"]);
    assert!(off < at_d && at_d < on, "{off} {at_d} {on}");
}

// Reference: spec §11.9 — `--plots DIR` writes an SVG per figure.
#[test]
fn paper_plots_are_svg_files() {
    let d = scratch("refimpl", "plots");
    let o = osfmig(&["paper", "--plots", s(&d)]);
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1));
    for f in [
        "fig7-files.svg",
        "fig7-pages.svg",
        "fig8.svg",
        "fig9.svg",
        "fig10.svg",
        "fig10-make-jobs.svg",
    ] {
        let text = std::fs::read_to_string(d.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(text.starts_with("<svg"), "{f}");
    }
    let jobs = std::fs::read_to_string(d.join("fig10-make-jobs.svg")).unwrap();
    assert!(
        jobs.contains("3 % not reachable") && jobs.contains("nearly 50 %"),
        "{jobs}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

// Reference: spec §11.8 — simulate prints the phases' timeline and the monitor's statistics;
// the same seed gives the same bytes.
#[test]
fn simulate_prints_timeline_and_statistics_deterministically() {
    let args = [
        "simulate",
        "--workload",
        "gcc",
        "--mode",
        "task",
        "--seed",
        "3",
    ];
    let a = osfmig(&args);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    let text = stdout(&a);
    for needle in [
        "T1   task migration of pid 0",
        "R11  pull task",
        "total migration time (freeze time)",
        "task migration time",
        "freezing latency",
        "processor time system work took from computations",
    ] {
        assert!(text.contains(needle), "missing {needle:?}:\n{text}");
    }
    assert_eq!(osfmig(&args).stdout, a.stdout);
    let p = stdout(&osfmig(&[
        "simulate",
        "--workload",
        "gcc",
        "--mode",
        "process",
    ]));
    for rule in [
        "R1 ", "R3 ", "R4 ", "R6 ", "R9 ", "R11", "R12", "R13", "R14",
    ] {
        assert!(p.contains(rule), "process timeline lacks {rule}:\n{p}");
    }
}

// Reference: spec §11.8, §11.10 — the JSON form, unmigrated runs, and the processor switch.
#[test]
fn simulate_json_and_switches() {
    let run = |extra: &[&str]| {
        let mut args = vec!["simulate", "--workload", "gcc", "--mode", "task", "--json"];
        args.extend_from_slice(extra);
        json(&osfmig(&args))
    };
    let on = run(&[]);
    assert_eq!(on["migrations"].as_array().unwrap().len(), 1);
    assert_eq!(on["migrations"][0]["outcome"], "Migrated");
    assert!(on["processor_taken_ms"].as_f64().unwrap() > 100.0);
    let off = run(&["--cpu-contention=false"]);
    assert_eq!(off["processor_taken_ms"].as_f64().unwrap(), 0.0);
    assert!(off["execution_ms"].as_f64().unwrap() < on["execution_ms"].as_f64().unwrap());
    let none = run(&["--migrate-at", "none"]);
    assert!(none["migrations"].as_array().unwrap().is_empty());
    // The timeline is structured: one object per step, in time order, naming the rule.
    let steps = on["timeline"].as_array().unwrap();
    assert!(
        steps.iter().any(|e| e["rule"] == "T1"),
        "a task migration's T1"
    );
    let times: Vec<u64> = steps
        .iter()
        .map(|e| e["time_ns"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    for e in steps {
        assert!(e["node"].is_u64() && e["what"].is_string() && e["time_ms"].is_f64());
    }
}

// Reference: spec §11.8 — bad input is a usage error naming it (exit 2), never a panic.
#[test]
fn simulate_and_paper_reject_bad_input() {
    for (args, needle) in [
        (
            vec!["simulate", "--workload", "nope"],
            "unknown workload 'nope'",
        ),
        (
            vec!["simulate", "--workload", "gcc", "--dst", "1"],
            "--dst 1",
        ),
        (
            vec!["simulate", "--workload", "gcc", "--migrate-at", "abc"],
            "--migrate-at",
        ),
        (
            vec!["simulate", "--workload", "gcc", "--cpu-contention=maybe"],
            "--cpu-contention",
        ),
        (
            vec!["paper", "--profile", "/nonexistent/p.toml"],
            "/nonexistent/p.toml",
        ),
        (vec!["paper", "--set", "make.jobs=0"], "--set make.jobs=0"),
        (vec!["paper", "--set", "make.jobs"], "expected W.K=V"),
        (vec!["paper", "--set", "make.jobs=x"], "'x' is not a number"),
        (
            vec!["paper", "--set", "make.jobs=32"],
            "no make.cc1_compute_ms keeps fig10-make-process",
        ),
        (
            vec![
                "simulate",
                "--workload",
                "gcc",
                "--set",
                "gcc.cc1_compute_ms=1",
            ],
            "is calibrated",
        ),
    ] {
        let o = osfmig(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
}

// Reference: spec §11.6, §11.9 — an assumption is a switch: `--set make.jobs=4` re-fits
// cc1 to the 3 % process row and moves the task row; the table and JSON say what was set;
// `paper` and `simulate` run the same make; the JSON carries the job-count sweep.
#[test]
fn set_reaches_paper_and_simulate() {
    let six = json(&osfmig(&["paper", "--json"]));
    assert_eq!(six["overrides"].as_array().unwrap().len(), 0);
    let four = json(&osfmig(&["paper", "--json", "--set", "make.jobs=4"]));
    assert_eq!(four["overrides"][0], "set make.jobs = 4");
    assert!((row(&four, "fig10-make-process") - 3.0).abs() < 0.06);
    assert!(row(&four, "fig10-make-task") < row(&six, "fig10-make-task"));
    let sizes = six["make_sizes"].as_array().unwrap();
    let at4 = sizes.iter().find(|m| m["jobs"] == 4).unwrap();
    assert!((at4["task_pct"].as_f64().unwrap() - row(&four, "fig10-make-task")).abs() < 0.05);
    let sim = |set: Option<&str>, mode: &str| {
        let mut a = vec!["simulate", "--workload", "make", "--mode", mode, "--json"];
        a.extend(set.map(|j| ["--set", j]).into_iter().flatten());
        json(&osfmig(&a))["execution_ms"].as_f64().unwrap()
    };
    let (process, task) = (
        sim(Some("make.jobs=4"), "process"),
        sim(Some("make.jobs=4"), "task"),
    );
    assert!(task > process, "{task} {process}");
    assert_ne!(task, sim(None, "task"));
    let t = stdout(&osfmig(&["paper", "--set", "make.jobs=4"]));
    assert!(
        t.contains("workload overrides") && t.contains("re-fitted"),
        "{t}"
    );
    assert!(t.contains("by make's job count"), "{t}");
}

//! The `osfmig` command line, run as a user runs it: exit statuses, reports, the JSON schema,
//! the mutant catalog and replay commands that reproduce what `check` printed.
// Reference: spec §8.4 (command line), §7 (mutants), §8.2 (presets).

mod common;

use std::process::Output;

use common::{osfmig, stderr, stdout};
use osfmig_model::mutants::CATALOG;
use osfmig_model::presets::{find_run, preset};
use osfmig_model::properties::registry;
use serde_json::Value;

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{}", stdout(o)))
}

/// The property objects of the first run of a `check --json` report.
fn properties(report: &Value) -> &Vec<Value> {
    report["runs"][0]["properties"]
        .as_array()
        .expect("properties array")
}

fn property<'a>(report: &'a Value, id: &str) -> &'a Value {
    properties(report)
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("property {id} in report"))
}

// Reference: spec §8.4 (exit 0 when every property is as expected; every verdict printed).
#[test]
fn tiny_preset_exits_0_and_prints_every_verdict() {
    let o = osfmig(&["check", "--preset", "tiny"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    let runs = preset("tiny").expect("tiny preset");
    for run in &runs {
        for p in registry(&run.config) {
            let line = out
                .lines()
                .find(|l| l.starts_with(&run.name) && l.contains(p.id) && l.contains(p.name))
                .unwrap_or_else(|| panic!("no summary line for {} in:\n{out}", p.id));
            assert!(
                ["holds", "violated", "discovered", "undiscovered"]
                    .iter()
                    .any(|v| line.contains(v)),
                "no verdict on: {line}"
            );
        }
    }
    assert!(out.contains("ok: every property"), "{out}");
}

// Reference: spec §8.4 (the JSON schema of `check --json`).
#[test]
fn json_report_has_every_required_field() {
    let o = osfmig(&["check", "--preset", "tiny", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["preset"], "tiny");
    assert_eq!(v["ok"], true);
    let runs = v["runs"].as_array().expect("runs");
    assert!(!runs.is_empty());
    for run in runs {
        for key in [
            "name",
            "unique_states",
            "states_generated",
            "max_depth",
            "seconds",
        ] {
            assert!(!run[key].is_null(), "run lacks {key}: {run}");
        }
        assert!(run["complete"].is_boolean());
        assert!(run["unique_states"].as_u64().unwrap() > 0);
        let cfg = &run["config"];
        for key in [
            "nodes_max",
            "processes_max",
            "requests_max",
            "migrations_max",
            "crashes_max",
            "outstanding_max",
            "pages_max",
            "procs_per_node_max",
            "queue_len_max",
            "files_max",
        ] {
            assert!(cfg[key].is_u64(), "config lacks bound {key}: {cfg}");
        }
        for key in [
            "r4_prime", "group", "p11_fix", "refusals", "abandon", "spread",
        ] {
            assert!(cfg[key].is_boolean(), "config lacks switch {key}: {cfg}");
        }
        for key in ["mode", "strategy"] {
            assert!(cfg[key].is_string(), "config lacks {key}: {cfg}");
        }
        assert!(cfg["disallowed"].is_array());
        let props = run["properties"].as_array().expect("properties");
        assert!(!props.is_empty());
        for p in props {
            assert!(p["id"].is_string() && p["name"].is_string(), "{p}");
            assert!(
                ["always", "sometimes", "eventually"].contains(&p["expectation"].as_str().unwrap()),
                "{p}"
            );
            assert!(
                ["holds", "violated", "discovered", "undiscovered"]
                    .contains(&p["verdict"].as_str().unwrap()),
                "{p}"
            );
            assert!(p["expected_violation"].is_boolean(), "{p}");
            assert!(p["path"].is_null() || p["path"].is_array(), "{p}");
            assert!(
                p["replay"].is_null() || p["replay"].as_str().unwrap().starts_with("osfmig replay"),
                "{p}"
            );
            assert!(
                p.get("path").is_some() && p.get("replay").is_some(),
                "path and replay are present even when null: {p}"
            );
        }
    }
}

/// Asserts a bad-usage exit: status 2, a message naming `needle`, and no panic.
fn assert_usage_error(args: &[&str], needle: &str) {
    let o = osfmig(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: message does not name {needle}: {err}"
    );
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
}

// Reference: spec §8.4 (exit 2 on bad usage, with a message naming the bad input).
#[test]
fn bad_usage_exits_2_naming_the_input() {
    assert_usage_error(&["check", "--preset", "no-such-preset"], "no-such-preset");
    assert_usage_error(&["check", "--no-such-flag"], "--no-such-flag");
    assert_usage_error(
        &["check", "--preset", "tiny", "--mutant", "no_such_mutant"],
        "no_such_mutant",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--nodes-max", "9"],
        "nodes_max",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--nodes_max", "9"],
        "nodes_max",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--nodes-max", "many"],
        "many",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--run", "no-such-run"],
        "no-such-run",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--strategy", "teleport"],
        "teleport",
    );
    assert_usage_error(
        &["replay", "--run", "no-such-run", "--path", "0"],
        "no-such-run",
    );
    assert_usage_error(&["bench", "--run", "no-such-run"], "no-such-run");
    assert_usage_error(
        &["check", "--preset", "tiny", "--timeout", "-1"],
        "--timeout",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--timeout", "1e300"],
        "--timeout",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--threads", "0"],
        "--threads",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--disallowed", "x"],
        "--disallowed",
    );
    assert_usage_error(
        &["check", "--preset", "tiny", "--calls", "signal,spawn"],
        "--calls",
    );
    // More processes than the model's tables hold: Config::validate names the bound.
    assert_usage_error(
        &["check", "--preset", "tiny", "--forks-max", "9"],
        "forks_max",
    );
    assert_usage_error(&["no-such-command"], "no-such-command");
}

// Reference: spec §8.4 (bound flags are spelled with dashes or underscores; switches take
// `=false` to turn a preset's switch off).
#[test]
fn bound_and_switch_flags_override_the_preset() {
    let o = osfmig(&[
        "check",
        "--preset",
        "tiny",
        "--nodes_max",
        "4",
        "--queue-len-max",
        "9",
        "--refusals",
        "--spread=false",
        "--attempt-tags=false",
        "--c4-queue-condition=false",
        "--r4-literal=false",
        "--channels-per-port",
        "--done-on-vproc-port",
        "--admission",
        "--group-order",
        "one-after-another",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let cfg = &v["runs"][0]["config"];
    assert_eq!(cfg["nodes_max"], 4);
    assert_eq!(cfg["queue_len_max"], 9);
    assert_eq!(cfg["refusals"], true);
    assert_eq!(cfg["spread"], false);
    assert_eq!(cfg["attempt_tags"], false);
    assert_eq!(cfg["c4_queue_condition"], false);
    assert_eq!(cfg["r4_literal"], false);
    assert_eq!(cfg["channels_per_port"], true);
    assert_eq!(cfg["done_on_vproc_port"], true);
    assert_eq!(cfg["admission"], true);
    assert_eq!(cfg["group_order"], "one-after-another");
}

// Reference: spec §8.1 (`fork` and `forks_max` are set from the command line like every other
// call and bound, and the replay command a run prints carries them).
#[test]
fn calls_and_forks_max_override_the_preset() {
    let o = osfmig(&[
        "check",
        "--preset",
        "tiny",
        "--calls",
        "fork, signal",
        "--forks_max",
        "1",
        "--procs-per-node-max",
        "3",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let cfg = &v["runs"][0]["config"];
    assert_eq!(cfg["forks_max"], 1);
    assert_eq!(cfg["calls"]["fork"], true);
    assert_eq!(cfg["calls"]["signal"], true);
    assert_eq!(cfg["calls"]["getinfo"], false);
    let o = osfmig(&["check", "--preset", "tiny", "--calls", "none", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["runs"][0]["config"]["calls"]["signal"], false);
}

// Reference: spec §8.4 (a run cut short by a limit is incomplete and fails, with its own
// exit status 3: nothing was found wrong in what it searched).
#[test]
fn state_limit_makes_the_run_incomplete() {
    let o = osfmig(&["check", "--preset", "tiny", "--state-limit", "5", "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["ok"], false);
    assert_eq!(v["runs"][0]["complete"], false);
}

// Reference: spec §7 (the mutant catalog, each entry naming a valid preset).
#[test]
fn list_mutants_json_names_catalog_and_presets() {
    let o = osfmig(&["check", "--list-mutants", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let list = v.as_array().expect("array");
    assert_eq!(list.len(), CATALOG.len());
    for (entry, m) in list.iter().zip(CATALOG) {
        assert_eq!(entry["name"], m.name);
        assert_eq!(entry["catches"], m.catches);
        assert_eq!(entry["preset"], m.run);
        assert!(
            preset(m.run).is_ok(),
            "preset {} of {} is valid",
            m.run,
            m.name
        );
    }
}

// Reference: spec §8.4 — a violation found before the search was cut is still a wrong
// verdict (exit 1, not the incomplete run's 3).
#[test]
fn a_violation_in_an_incomplete_run_exits_1() {
    let m = CATALOG
        .iter()
        .find(|m| m.name == "no_suspend")
        .expect("no_suspend in catalog");
    let args = [
        "check",
        "--preset",
        m.run,
        "--mutant",
        m.name,
        "--state-limit",
        "100",
        "--json",
    ];
    let o = osfmig(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["runs"][0]["complete"], false, "the search is cut");
    assert_eq!(property(&v, m.catches)["verdict"], "violated");
}

// Reference: spec §7 (a mutant run exits 1 with the property that catches it violated).
#[test]
fn mutant_run_exits_1_with_its_property_violated() {
    let m = CATALOG
        .iter()
        .find(|m| m.name == "no_suspend")
        .expect("no_suspend in catalog");
    let o = osfmig(&["check", "--preset", m.run, "--mutant", m.name, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["ok"], false);
    assert_eq!(v["runs"][0]["config"]["mutant"], m.name);
    let p = property(&v, m.catches);
    assert_eq!(p["verdict"], "violated");
    assert_eq!(p["expected_violation"], false);
    assert!(!p["path"]
        .as_array()
        .expect("counterexample path")
        .is_empty());

    // The text report prints the counterexample with rule IDs and its replay command.
    let o = osfmig(&["check", "--preset", m.run, "--mutant", m.name]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("replay: osfmig replay"), "{out}");
    assert!(
        out.contains("R6 DetachAndSend") || out.contains("R1 StartMigration"),
        "{out}"
    );
    assert!(out.contains("FAILED"), "{out}");
}

/// Runs a printed replay command (with `--json` added) through the binary under test.
fn run_printed(cmd: &str) -> Output {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    assert_eq!(words[0], "osfmig", "{cmd}");
    let mut args = words[1..].to_vec();
    args.push("--json");
    osfmig(&args)
}

// Reference: spec §8.4 (every printed replay command reproduces its path, flags included).
#[test]
fn printed_replay_command_reproduces_the_counterexample() {
    let m = CATALOG
        .iter()
        .find(|m| m.name == "no_suspend")
        .expect("no_suspend in catalog");
    let base = find_run(m.run).expect("catalog run");
    // A bound that differs from the preset's, so the replay only matches if it carries it.
    let requests = (base.config.requests_max + 1).to_string();
    let o = osfmig(&[
        "check",
        "--preset",
        m.run,
        "--mutant",
        m.name,
        "--requests-max",
        &requests,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let p = property(&v, m.catches);
    let cmd = p["replay"].as_str().expect("replay command");
    assert!(cmd.contains(&format!("--requests-max {requests}")), "{cmd}");
    assert!(cmd.contains(&format!("--mutant {}", m.name)), "{cmd}");

    let r = run_printed(cmd);
    assert_eq!(r.status.code(), Some(0), "{cmd}: {}", stderr(&r));
    let replayed = json(&r);
    assert_eq!(replayed["steps"], p["path"], "{cmd} replays other steps");
    assert_eq!(replayed["config"], v["runs"][0]["config"]);
    let failing: Vec<&str> = replayed["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        failing.contains(&m.catches),
        "{cmd}: {} should fail in the final state, failing: {failing:?}",
        m.catches
    );

    // The command printed in the text report is the same one.
    let o = osfmig(&[
        "check",
        "--preset",
        m.run,
        "--mutant",
        m.name,
        "--requests-max",
        &requests,
    ]);
    assert!(
        stdout(&o).contains(&format!("replay: {cmd}")),
        "{}",
        stdout(&o)
    );
}

// Reference: spec §8.4 (a path step that does not apply is a usage error naming the step).
#[test]
fn replay_with_a_bad_index_names_the_step() {
    let o = osfmig(&["replay", "--run", "null-migration", "--path", "0,999"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("step 2"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let o = osfmig(&["replay", "--run", "null-migration", "--path", "0,x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("step 2"), "{}", stderr(&o));
}

// Reference: spec §8.4 (replay prints the final state on request).
#[test]
fn replay_prints_steps_and_final_state() {
    let o = osfmig(&[
        "replay",
        "--run",
        "null-migration",
        "--path",
        "0",
        "--state",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("1. ["), "{out}");
    assert!(out.contains("final state:"), "{out}");
    assert!(
        out.contains("safety properties failing in the final state: none"),
        "{out}"
    );

    let o = osfmig(&[
        "replay",
        "--run",
        "null-migration",
        "--path",
        "",
        "--state",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["steps"].as_array().unwrap().len(), 0);
    assert!(v["state"].is_object(), "{v}");
}

// Reference: spec §8.4 (bench measures each run in a child process and reports, not fails).
#[test]
fn bench_reports_rate_and_memory() {
    let o = osfmig(&["bench", "--run", "null-migration", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let run = &v["runs"][0];
    assert_eq!(run["name"], "null-migration");
    assert!(run["unique_states"].as_u64().unwrap() > 0);
    assert!(run["states_per_second"].as_f64().unwrap() > 0.0);
    assert!(run.get("peak_bytes").is_some() && run.get("bytes_per_state").is_some());
    assert!(run.get("meets_rate_target").is_some() && run.get("meets_memory_target").is_some());
}

// Reference: spec §8.4 and §6.2 (every violation and witness of a run, liveness lassos
// included, replays to the steps printed).
#[test]
fn every_printed_replay_command_of_a_run_reproduces_its_path() {
    let o = osfmig(&["check", "--preset", "wait-freeze", "--json"]);
    let v = json(&o);
    let mut replayed = 0;
    for p in properties(&v) {
        let Some(cmd) = p["replay"].as_str() else {
            continue;
        };
        let r = run_printed(cmd);
        assert_eq!(r.status.code(), Some(0), "{cmd}: {}", stderr(&r));
        assert_eq!(
            json(&r)["steps"],
            p["path"],
            "{cmd} replays other steps than {}",
            p["id"]
        );
        replayed += 1;
    }
    assert!(
        replayed > 0,
        "wait-freeze prints at least one replay command"
    );
}

// Reference: issue 14 (the CLI of a cargo-era tool) — shell completions are generated from
// the command definition itself: the script names the subcommands and their flags, and an
// unknown shell is bad usage.
#[test]
fn completions_name_the_commands_and_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let o = osfmig(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        for word in ["check", "traces", "record", "state-limit", "preset"] {
            assert!(out.contains(word), "{shell} completions lack {word}");
        }
    }
    let o = osfmig(&["completions", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
}

// Reference: spec §8.4 — progress on stderr names the run (k of N) and its phase, one plain
// line each when stderr is not a terminal; `--quiet` shows none; stdout is the same either
// way.
#[test]
fn progress_names_run_and_phase_and_quiet_silences_it() {
    let o = osfmig(&["check", "--preset", "tiny"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("[1/1] null-migration safety"), "{err}");
    assert!(err.contains("[1/1] null-migration liveness"), "{err}");
    let q = osfmig(&["check", "--preset", "tiny", "--quiet"]);
    assert_eq!(q.status.code(), Some(0));
    assert_eq!(stderr(&q), "", "--quiet leaves stderr empty");
    assert_eq!(
        stdout(&q).lines().filter(|l| !l.contains(" s, ")).count(),
        stdout(&o).lines().filter(|l| !l.contains(" s, ")).count(),
        "the report is the same"
    );
}

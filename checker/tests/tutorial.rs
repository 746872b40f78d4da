//! docs/tutorial.md runs as written: every `cargo run --release -- …` command of its shell
//! blocks is run here as `osfmig …` (issue 14: docs that cannot rot), and what the text says
//! of its result holds.

mod common;

use common::{osfmig, s, scratch, stderr, stdout};

/// The `osfmig` arguments of every command in the tutorial's `sh` blocks, in order.
fn commands() -> Vec<Vec<String>> {
    let text = include_str!("../../docs/tutorial.md");
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if let Some(rest) = line
            .strip_prefix("cargo run --release --")
            .filter(|_| in_sh)
        {
            out.push(rest.split_whitespace().map(str::to_string).collect());
        }
    }
    out
}

// Reference: spec §8.4 (the command line), docs/tutorial.md — each command of the tutorial
// runs with the status the text gives it, writes the charts it names, and prints the lines
// it quotes. The whole `ci` check (section 1) is `.ci/run`'s, `explore` serves until
// stopped, and a template's placeholders are no values: those are not run.
#[test]
fn the_tutorials_commands_run_as_written() {
    let cmds = commands();
    assert!(cmds.len() >= 6, "{cmds:?}");
    let dir = scratch("tutorial", "charts");
    let mut ran = 0;
    for args in &cmds {
        // A template (`--run RUN --mutant NAME`) has placeholders, not values.
        let template = args
            .iter()
            .any(|a| a.len() > 1 && a.chars().all(|c| c.is_ascii_uppercase()));
        if template
            || args.len() == 1 && args[0] == "check"
            || args.first().map(String::as_str) == Some("explore")
        {
            continue;
        }
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("target/tutorial", s(&dir)))
            .collect();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = osfmig(&argv);
        let code = o.status.code();
        // A seeded bug's check fails (exit 1); every other command succeeds.
        let want = if args.iter().any(|a| a == "--mutant") && args[0] == "check" {
            1
        } else {
            0
        };
        assert_eq!(
            code,
            Some(want),
            "osfmig {}:\n{}\n{}",
            args.join(" "),
            stdout(&o),
            stderr(&o)
        );
        ran += 1;
        let out = stdout(&o);
        if args.contains(&"no_suspend".to_string()) && args[0] == "check" {
            // Section 2's quoted lines.
            for quoted in [
                "P4 freeze consistency in run null-migration: VIOLATED, 7 steps",
                "7. [ 0] R6 DetachAndSend   PMA@node1",
                "replay: osfmig replay --preset ci --run null-migration --mutant no_suspend --path 0,2,1,0,0,1,0",
            ] {
                assert!(out.contains(quoted), "{quoted:?} not in:\n{out}");
            }
            assert!(dir.join("null-migration-P4.svg").exists());
            assert!(dir.join("null-migration-P4.mmd").exists());
        }
        if args.iter().any(|a| a == "--states") {
            assert!(
                out.contains("~ nodes[1].pma.procs[0].Active.out.frozen: false -> true"),
                "{out}"
            );
        }
        if args.contains(&"p11-unfixed".to_string()) {
            assert!(out.contains("expected (finding)"), "{out}");
        }
    }
    assert!(ran >= 4, "only {ran} commands ran");
    let _ = std::fs::remove_dir_all(&dir);
}

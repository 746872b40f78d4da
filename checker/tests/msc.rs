//! Message sequence charts and readable counterexamples (spec §8.4): `check --msc DIR` and
//! `replay --msc DIR` draw a path as SVG and Mermaid, and the text report names each step's
//! rule, actor and message, under a header and with a legend.
// Reference: spec §8.4 (counterexamples, charts), §3.2 (the phases bracketed).

mod common;

use common::{osfmig, s, scratch, stderr, stdout};

const MUTANT_RUN: [&str; 6] = [
    "--preset",
    "refusal-queue",
    "--mutant",
    "drop_queue_on_refusal",
    "--quiet",
    "--msc",
];

// Reference: spec §8.4 (one chart per counterexample, beside its replay and Explorer lines).
#[test]
fn check_draws_each_counterexample_and_says_where() {
    let dir = scratch("msc", "check");
    let mut args = vec!["check"];
    args.extend(MUTANT_RUN);
    args.push(s(&dir));
    let o = osfmig(&args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    let svg_path = dir.join("refusal-queue-P5.svg");
    assert!(
        out.contains(&format!("chart: {}", svg_path.display())),
        "{out}"
    );
    let replay = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .expect("a replay line");
    let path = replay.split("--path ").nth(1).expect("a path").trim();
    // The Explorer's URL names the initial state (0), then the replay's action indices.
    let url = format!("#/steps/0/{}", path.replace(',', "/"));
    assert!(out.contains(&url), "no Explorer URL {url} in:\n{out}");
    assert!(
        out.contains("explore: osfmig explore --preset refusal-queue"),
        "{out}"
    );

    // The steps: a header, the actor by name, the message by name, the legend.
    for needle in [
        "step  [i] rule",
        "PMA@node2  receives MigrateRequest(pid 0, attempt 1) from PMA@node1, memory exhausted",
        "pcntl      pcntl asks to migrate process 0 to node2",
        "[i]: which of the actions enabled",
    ] {
        assert!(out.contains(needle), "no '{needle}' in:\n{out}");
    }
    assert!(!out.contains("ProcImage"), "a raw Debug dump in:\n{out}");

    let svg = std::fs::read_to_string(&svg_path).expect("the SVG");
    let mmd = std::fs::read_to_string(dir.join("refusal-queue-P5.mmd")).expect("the Mermaid");
    insta::assert_snapshot!("refusal_queue_p5_mermaid", mmd);
    insta::assert_snapshot!("refusal_queue_p5_svg", svg);
    let _ = std::fs::remove_dir_all(&dir);
}

// Reference: spec §8.4 (`replay` draws the path it replays, the same chart as `check`'s).
#[test]
fn replay_draws_the_same_chart() {
    let dir = scratch("msc", "replay");
    let path = "0,0,0,2,1,0,1,0,0,0,1,0,0";
    let o = osfmig(&[
        "replay",
        "--preset",
        "refusal-queue",
        "--run",
        "refusal-queue",
        "--mutant",
        "drop_queue_on_refusal",
        "--path",
        path,
        "--msc",
        s(&dir),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mmd = std::fs::read_to_string(dir.join("refusal-queue-replay.mmd")).expect("Mermaid");
    // Every arrow of the path, received where the report says, inside its phase.
    for needle in [
        "participant L0 as process 0",
        "phase (a) freezing",
        "L0->>L1: 8. R2 Syscall(req 1)",
        "phase (b) detach and initiate",
        "11. R7 MigrateRequest(pid 0, attempt 1)",
        "13. VP3 Reply(req 2: refused)",
    ] {
        assert!(mmd.contains(needle), "no '{needle}' in:\n{mmd}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// Reference: spec §5 (a crash ends its node's lanes; what it destroys is drawn as lost).
#[test]
fn a_crash_is_marked_and_its_losses_drawn() {
    let dir = scratch("msc", "crash");
    let o = osfmig(&[
        "check",
        "--preset",
        "crash-eager",
        "--mutant",
        "crash_kills_survivor",
        "--quiet",
        "--no-liveness",
        "--msc",
        s(&dir),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}\n{}", stdout(&o), stderr(&o));
    let svgs: Vec<_> = std::fs::read_dir(&dir)
        .expect("the directory")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "svg"))
        .collect();
    assert!(!svgs.is_empty(), "no chart written");
    let any_crash = svgs.iter().any(|e| {
        let t = std::fs::read_to_string(e.path()).unwrap_or_default();
        t.contains("crash of node")
    });
    assert!(any_crash, "no chart marks the crash");
    let _ = std::fs::remove_dir_all(&dir);
}

// Reference: spec §8.4 (bad input is exit 2 naming the flag, before any work).
#[test]
fn an_msc_dir_that_cannot_be_made_is_exit_2() {
    let file = scratch("msc", "file");
    std::fs::write(&file, "not a directory").unwrap();
    let o = osfmig(&["check", "--preset", "tiny", "--quiet", "--msc", s(&file)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--msc"), "{}", stderr(&o));
    let _ = std::fs::remove_file(&file);
}

// Reference: spec §8.4, §12 (a counterexample exports as ITF: a state per step, and one
// before the first).
#[test]
fn check_exports_each_counterexample_as_itf() {
    let dir = scratch("msc", "itf");
    let o = osfmig(&[
        "check",
        "--preset",
        "refusal-queue",
        "--mutant",
        "drop_queue_on_refusal",
        "--quiet",
        "--itf",
        s(&dir),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    let file = dir.join("refusal-queue-P5.itf.json");
    assert!(out.contains(&format!("itf: {}", file.display())), "{out}");
    let itf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("the ITF file")).unwrap();
    let steps = out
        .lines()
        .find_map(|l| l.strip_prefix("P5 no lost requests in run refusal-queue: VIOLATED, "))
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("the counterexample's length");
    let states = itf["states"].as_array().expect("ITF states");
    assert_eq!(states.len(), steps + 1, "{itf}");
    assert!(
        itf["vars"].as_array().is_some_and(|v| !v.is_empty()),
        "{itf}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// Reference: spec §8.4 (`--search bfs` gives a shortest counterexample and says so).
#[test]
fn search_bfs_gives_a_shortest_counterexample_and_says_so() {
    let len = |args: &[&str]| -> (usize, String) {
        let o = osfmig(args);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
        let n = out
            .lines()
            .find_map(|l| {
                l.strip_prefix("P9 AbsentProcess implies relocation in run self-calls: VIOLATED, ")
            })
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("no P9 counterexample in:\n{out}"));
        (n, out)
    };
    let base = [
        "check",
        "--preset",
        "self-calls",
        "--mutant",
        "pmm_update_after_cleanup",
        "--quiet",
        "--no-liveness",
    ];
    let (dfs, out) = len(&base);
    assert!(out.contains("(depth-first search's path"), "{out}");
    let mut args = base.to_vec();
    args.extend(["--search", "bfs"]);
    let (bfs, out) = len(&args);
    assert!(
        out.contains("(a shortest counterexample: breadth-first search)"),
        "{out}"
    );
    assert!(bfs <= dfs, "bfs {bfs} > dfs {dfs}");
    // The printed replay command reproduces the shorter path.
    let replay = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("replay: "))
        .find(|c| c.contains("pmm_update_after_cleanup"))
        .expect("a replay line");
    let words: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let o = osfmig(&words);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("safety properties failing in the final state: P9"),
        "{}",
        stdout(&o)
    );
}

//! The oracle of mutation testing (docs/mutation.md): verdicts only. A `cargo-mutants` mutant
//! of `model/src` counts as caught when some property, U1, liveness obligation, reachability
//! item or expected finding of a run comes out other than the spec says, or a catalog mutant
//! (spec §7) escapes its property. Pinned state counts and snapshots are not part of it: a
//! mutant that only changes how many states a run has is not caught here.
//!
//! `OSFMIG_ORACLE` names the preset: `mutants` (the default, a few seconds) for the whole run,
//! `ci` to re-examine the mutants the fast one missed (scripts/mutants.sh does both).

use std::collections::BTreeSet;

use osfmig_model::check::Verdict;
use osfmig_model::config::Config;
use osfmig_model::exercised::antecedent;
use osfmig_model::model::RULES;
use osfmig_model::mutants::CATALOG;
use osfmig_model::presets::{catalog, preset, RunSpec, PRESETS};
use osfmig_model::properties::{registry, Expectation};
use osfmig_model::OsfModel;
use osfmig_tests::u1_histories::compare_with_tester;
use osfmig_tests::user_spec_tables::{assert_single_node_answers_valid, assert_user_spec_examples};
use osfmig_tests::{
    assert_catalog_mutant_caught, assert_meets_expectations, assert_reductions_sound,
    assert_validation, check, reachable_states, run,
};
use stateright::Model;

fn oracle_preset() -> String {
    std::env::var("OSFMIG_ORACLE").unwrap_or_else(|_| "mutants".to_string())
}

// Reference: spec §6, §8.2. Every run of the oracle preset is complete, and every verdict is
// the one the spec expects: no unexpected violation, every finding reproduced, every
// reachability item discovered, every registered property exercised, every rule fired.
#[test]
fn verdicts_are_as_the_spec_says() {
    let name = oracle_preset();
    let runs = preset(&name).expect("oracle preset");
    let mut fired = BTreeSet::new();
    for spec in &runs {
        let res = check(spec);
        assert_meets_expectations(spec, &res);
        fired.extend(res.rules.keys().cloned());
        assert_witnesses(spec, &res);
        // What the run checked is what its configuration says it must (pinned below).
        // A run without liveness checks only the safety part of its obligations.
        let ids: Vec<&str> = res.properties.iter().map(|p| p.id.as_str()).collect();
        let mut want = obligations(&spec.config);
        if !spec.liveness {
            let live: Vec<&str> = osfmig_model::liveness::properties(&spec.config)
                .iter()
                .map(|p| p.0)
                .collect();
            want.retain(|id| !live.contains(id));
        }
        assert_eq!(ids, want, "{}", spec.name);
    }
    let missing: Vec<_> = RULES.iter().filter(|r| !fired.contains(**r)).collect();
    assert!(missing.is_empty(), "{name}: rules never fired: {missing:?}");
}

/// Each reachability item's discovery path contains the steps its event needs (spec §6.3):
/// (item, [(rules, how many steps of them at least)]), alternatives separated by `|`. Written from the paper's steps, not from where
/// the model records the item, so that an item recorded too eagerly (before its event, or
/// under a weaker condition) is caught although it is still discovered.
const WITNESSES: &[(&str, &[(&str, usize)])] = &[
    ("S-refusal", &[("R7 Refuse", 1), ("R8 Reinstate", 1)]),
    ("S-abandon", &[("R10 Abandon", 1)]),
    ("S-C1", &[("C* NodeCrash", 1), ("R6 DetachAndSend", 1)]),
    // Spec §5.2: C2 covers a destination that died while P was still freezing (before R6)
    // as well as one that died with the task offered, so the path needs a migration started,
    // a crash and its detection, not R6.
    (
        "S-C2",
        &[
            ("R1 StartMigration", 1),
            ("C* NodeCrash", 1),
            ("C* DetectCrash", 1),
        ],
    ),
    ("S-C3", &[("C* NodeCrash", 1), ("R11 TaskPull", 1)]),
    ("S-C4-died", &[("C* NodeCrash", 1), ("R11 TaskPull", 1)]),
    ("S-C4-survived", &[("C* NodeCrash", 1), ("R11 TaskPull", 1)]),
    (
        "S-queued-forwarded",
        &[("R2 Enqueue", 1), ("R14 ForwardAndCleanUp", 1)],
    ),
    (
        "S-absent-relookup",
        &[("R15 AbsentProcess", 1), ("R16 Relookup", 1)],
    ),
    ("S-cor-fault", &[("R17 CORFault", 1)]),
    ("S-migrated-twice", &[("R11 TaskPull", 2)]),
    ("S-task-only-call", &[("T1 TaskOnly", 1)]),
    ("S-r4-prime", &[("R4' AbortRestartable", 1)]),
    (
        "S-queued-reinstated",
        &[("R2 Enqueue", 1), ("R8 Reinstate|R10 Abandon", 1)],
    ),
    (
        "S-group-migrated",
        &[("G1 GroupMigration", 1), ("R11 TaskPull", 2)],
    ),
    (
        "S-group-split",
        &[("G1 GroupMigration", 1), ("R7 Refuse", 1)],
    ),
    // The leader's PMA tells the PM Master (GroupMigrate), which starts the member elsewhere
    // (MemberMigrate): two G1 deliveries, then the member's R5 besides the leader's.
    (
        "S-group-remote",
        &[("G1 GroupMigration", 2), ("R5 Frozen", 1)],
    ),
    ("S-port-queue", &[("FS1 FileIO", 1), ("R11 TaskPull", 1)]),
    (
        "S-precopy-dirty",
        &[("AS1 PreCopy", 1), ("R11 TaskPull", 1)],
    ),
    ("S-fork", &[("PM3 Fork", 1)]),
    // The previous holder ended and its pid was freed: exited and reaped, or dead in a crash
    // and buried (run wait-crash reuses a pid freed by a crash).
    (
        "S-pid-reused",
        &[
            ("PM3 Fork", 1),
            ("PM2 Exit|C* NodeCrash", 1),
            ("PM1 Wait|C* PMMBury|C3 ProcessDied", 1),
        ],
    ),
];

/// Each reachability item's event puts some properties to the test (spec §6.4): on its
/// discovery path, some state meets the antecedent of each property listed, when the run
/// checks it. Written from the paper's steps (a refusal is handled by R8 and ends a migration;
/// a second migration ships a task, an image and a restart), so that an antecedent narrowed
/// until it misses its own event is caught, although some other event still exercises it.
const ANTECEDENT_WITNESSES: &[(&str, &[&str])] = &[
    ("S-refusal", &["P4", "P8", "P12"]),
    ("S-abandon", &["P12"]),
    ("S-C2", &["P12"]),
    ("S-C3", &["P2", "P3"]),
    ("S-C4-died", &["P2", "P3"]),
    ("S-C4-survived", &["P2", "P3"]),
    ("S-queued-forwarded", &["P5", "P6"]),
    ("S-queued-reinstated", &["P5", "P6", "P12"]),
    ("S-absent-relookup", &["P9", "P14"]),
    (
        "S-migrated-twice",
        &["P2", "P3", "P4", "P7", "P10", "A1", "P12", "P13"],
    ),
    ("S-group-migrated", &["P7", "P12"]),
    ("S-cor-fault", &["P2", "P13"]),
    ("S-fork", &["P1"]),
    ("S-pid-reused", &["P1"]),
];

fn assert_witnesses(spec: &RunSpec, res: &osfmig_model::check::RunResult) {
    let model = OsfModel::new(spec.config.clone());
    for p in res
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Discovered)
    {
        let Some((_, ids)) = ANTECEDENT_WITNESSES.iter().find(|w| w.0 == p.id) else {
            continue;
        };
        let path = p.path.as_deref().unwrap_or_default();
        let indices: Vec<usize> = path.iter().map(|s| s.index).collect();
        let mut states = vec![model.init_states().remove(0)];
        for a in osfmig_model::check::actions_of(&model, &indices) {
            let next = model.step(states.last().unwrap(), &a).expect("replays");
            states.push(next);
        }
        for id in ids
            .iter()
            .filter(|id| res.properties.iter().any(|q| q.id == **id))
        {
            let holds = antecedent(id).expect("an always property");
            assert!(
                states.iter().any(|st| holds(&model, st)),
                "{}: {}'s antecedent holds nowhere on {}'s discovery path: {}",
                res.name,
                id,
                p.id,
                p.replay.as_deref().unwrap_or("")
            );
        }
    }
    assert_rule_witnesses(res);
    assert_action_witnesses(spec, res);
}

/// Items whose event is one environment action inside a rule that has several (AS1 covers
/// pre-copying, dirtying and ending pre-copy): the discovery path contains that action.
type ActionWitness = (
    &'static str,
    &'static str,
    fn(&osfmig_model::Action) -> bool,
);
const ACTION_WITNESSES: &[ActionWitness] = &[(
    "S-precopy-dirty",
    "a page dirtied after its pre-copy",
    |a| matches!(a, osfmig_model::Action::Dirty { .. }),
)];

fn assert_action_witnesses(spec: &RunSpec, res: &osfmig_model::check::RunResult) {
    let model = OsfModel::new(spec.config.clone());
    for p in res
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Discovered)
    {
        for (_, what, is) in ACTION_WITNESSES.iter().filter(|w| w.0 == p.id) {
            let indices: Vec<usize> = p.path.iter().flatten().map(|s| s.index).collect();
            let actions = osfmig_model::check::actions_of(&model, &indices);
            assert!(
                actions.iter().any(is),
                "{}: {} discovered without {what}: {}",
                res.name,
                p.id,
                p.replay.as_deref().unwrap_or("")
            );
        }
    }
}

fn assert_rule_witnesses(res: &osfmig_model::check::RunResult) {
    for p in res
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Discovered)
    {
        let Some((_, needs)) = WITNESSES.iter().find(|w| w.0 == p.id) else {
            continue;
        };
        let path = p.path.as_deref().unwrap_or_default();
        for (rule, times) in needs.iter() {
            let n = path
                .iter()
                .filter(|s| rule.split('|').any(|r| s.rule == r))
                .count();
            assert!(
                n >= *times,
                "{}: {} discovered with {n} {rule} step(s), it needs {times}: {}",
                res.name,
                p.id,
                p.replay.as_deref().unwrap_or("")
            );
        }
    }
}

/// The IDs of what a run with `cfg` must prove: its properties and reachability items (spec
/// §6.1, §6.3, in registry order) and its liveness obligations (§6.2).
fn obligations(cfg: &Config) -> Vec<&'static str> {
    let mut ids: Vec<&str> = registry(cfg).iter().map(|d| d.id).collect();
    ids.extend(osfmig_model::liveness::properties(cfg).iter().map(|p| p.0));
    ids
}

// Reference: spec §6.1, §8.2. What every run of every preset and of the catalog checks, and
// within which bounds, is pinned in `tests/obligations.txt`: its configuration, its documented
// findings and the IDs it must prove (spec §6.1's applicability table, expanded). A run that
// silently checks less (a bound or switch lost, an applicability condition wrong) is caught
// here, although a correct model passes it. `OSFMIG_BLESS=1` rewrites the file; a change to it
// is a change to what `check` means and is reviewed as one.
#[test]
fn obligations_are_pinned() {
    let mut got = String::new();
    // Where each process starts, read off the initial state: a run whose processes all start
    // on one node, or on the master, checks other interleavings than its configuration says.
    let homes = |cfg: &Config| -> Vec<Option<u8>> {
        let init = OsfModel::new(cfg.clone()).init_states().remove(0);
        (0..cfg.pids()).map(|p| init.task_node(p)).collect()
    };
    let mut line = |group: &str, spec: &RunSpec| {
        got += &format!(
            "{group}/{}: {} | findings {:?} | liveness {} | homes {:?} | {}\n",
            spec.name,
            serde_json::to_string(&spec.config).unwrap(),
            spec.expected_violations,
            spec.liveness,
            homes(&spec.config),
            obligations(&spec.config).join(" ")
        );
    };
    for p in PRESETS {
        for spec in preset(p).unwrap() {
            line(p, &spec);
        }
    }
    for spec in catalog() {
        line("catalog", &spec);
    }
    // Each applicability condition's terms, one at a time: from a configuration where every
    // switch is on, each turned off, and from the default, each turned on.
    for (name, config) in one_change_configs() {
        let spec = RunSpec {
            name,
            config,
            expected_violations: Vec::new(),
            liveness: true,
            large: false,
        };
        line("variant", &spec);
    }
    assert_pinned(
        concat!(env!("CARGO_MANIFEST_DIR"), "/obligations.txt"),
        &got,
        "what a run checks changed (spec §6.1)",
    );
}

// Reference: spec §7. Every catalog mutant is caught by the property the catalog names, and
// its counterexample replays. Every other property it violates in its run is pinned too
// (`tests/catalog_verdicts.txt`): a property weakened so that it no longer sees a catalog bug
// it used to see is a weaker verdict, although the named property still catches the bug.
// `OSFMIG_BLESS=1 cargo test -p osfmig-tests --test oracle catalog` rewrites the file after a
// reviewed change.
#[test]
fn catalog_mutants_are_caught() {
    let mut cycles = 0;
    let mut got = String::new();
    for m in CATALOG {
        let v = assert_catalog_mutant_caught(m);
        cycles += usize::from(v.cycle);
        got += &format!("{} in {}: {}\n", m.name, m.run, v.violated.join(" "));
    }
    assert!(cycles > 0, "no catalog counterexample is a fair cycle");
    assert_pinned(
        concat!(env!("CARGO_MANIFEST_DIR"), "/catalog_verdicts.txt"),
        &got,
        "what a catalog mutant violates changed (spec §7)",
    );
}

/// Compares `got` with the pinned file at `path`, line by line, naming the first line that
/// differs; with `OSFMIG_BLESS=1` it rewrites the file instead (after a reviewed change).
fn assert_pinned(path: &str, got: &str, what: &str) {
    if std::env::var_os("OSFMIG_BLESS").is_some() {
        std::fs::write(path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (OSFMIG_BLESS=1 writes it)"));
    for (w, g) in want.lines().zip(got.lines()) {
        assert_eq!(w, g, "{path}: {what}");
    }
    assert_eq!(
        want.lines().count(),
        got.lines().count(),
        "{path}: {what} (line count)"
    );
}

/// Configurations one change away from a rich one (every switch on) and from the default.
fn one_change_configs() -> Vec<(String, Config)> {
    use osfmig_model::config::{Calls, Mode, Strategy};
    let rich = Config {
        processes_max: 2,
        requests_max: 2,
        migrations_max: 2,
        crashes_max: 1,
        outstanding_max: 2,
        pages_max: 2,
        procs_per_node_max: 3,
        forks_max: 1,
        r4_prime: true,
        group: true,
        p11_fix: true,
        refusals: true,
        abandon: true,
        spread: true,
        disallowed: vec![1],
        calls: Calls {
            signal: true,
            getinfo: true,
            wait: true,
            exit: true,
            fork: true,
            file_read: true,
            touch: true,
            sigsuspend: true,
            pcntl_allow: true,
        },
        ..Config::default()
    };
    type Change = (&'static str, fn(&mut Config));
    let off: &[Change] = &[
        ("processes_max=1", |c| c.processes_max = 1),
        ("requests_max=0", |c| c.requests_max = 0),
        ("migrations_max=0", |c| c.migrations_max = 0),
        ("crashes_max=0", |c| c.crashes_max = 0),
        ("outstanding_max=1", |c| c.outstanding_max = 1),
        ("pages_max=0", |c| c.pages_max = 0),
        ("forks_max=0", |c| c.forks_max = 0),
        ("files_max=0", |c| c.files_max = 0),
        ("nodes_max=2", |c| c.nodes_max = 2),
        ("r4_prime=false", |c| c.r4_prime = false),
        ("group=false", |c| c.group = false),
        ("p11_fix=false", |c| c.p11_fix = false),
        ("refusals=false", |c| c.refusals = false),
        ("abandon=false", |c| c.abandon = false),
        ("spread=false", |c| c.spread = false),
        ("attempt_tags=false", |c| c.attempt_tags = false),
        ("pid_generations=false", |c| c.pid_generations = false),
        ("disallowed=[]", |c| c.disallowed.clear()),
        ("calls.signal=false", |c| c.calls.signal = false),
        ("calls.getinfo=false", |c| c.calls.getinfo = false),
        ("calls.wait=false", |c| c.calls.wait = false),
        ("calls.exit=false", |c| c.calls.exit = false),
        ("calls.fork=false", |c| c.calls.fork = false),
        ("calls.file_read=false", |c| c.calls.file_read = false),
        ("calls.touch=false", |c| c.calls.touch = false),
        ("calls.sigsuspend=false", |c| c.calls.sigsuspend = false),
        ("calls.pcntl_allow=false", |c| c.calls.pcntl_allow = false),
        ("mode=task,group=false", |c| {
            c.mode = Mode::Task;
            c.group = false
        }),
        ("strategy=eager", |c| c.strategy = Strategy::Eager),
        ("strategy=precopy", |c| c.strategy = Strategy::Precopy),
        ("strategy=flush", |c| c.strategy = Strategy::Flush),
    ];
    let mut v = vec![("rich".to_string(), rich.clone())];
    for (name, f) in off {
        let mut c = rich.clone();
        f(&mut c);
        v.push((format!("rich,{name}"), c));
    }
    // More processes than test nodes: `spread` wraps round the test nodes (its homes pinned).
    v.push((
        "rich,processes_max=3".to_string(),
        Config {
            processes_max: 3,
            forks_max: 0,
            ..rich.clone()
        },
    ));
    let on: &[Change] = &[
        ("processes_max=2", |c| c.processes_max = 2),
        ("requests_max=0", |c| c.requests_max = 0),
        ("migrations_max=0", |c| c.migrations_max = 0),
        ("crashes_max=1", |c| c.crashes_max = 1),
        ("outstanding_max=2", |c| c.outstanding_max = 2),
        ("pages_max=0", |c| c.pages_max = 0),
        ("forks_max=1", |c| c.forks_max = 1),
        ("calls.fork=true", |c| c.calls.fork = true),
        ("calls.wait=true", |c| c.calls.wait = true),
        ("calls.exit=true", |c| c.calls.exit = true),
        ("calls.getinfo=true", |c| c.calls.getinfo = true),
        ("calls.file_read=true", |c| c.calls.file_read = true),
        ("calls.touch=true", |c| c.calls.touch = true),
        ("calls.sigsuspend=true", |c| c.calls.sigsuspend = true),
        ("calls.pcntl_allow=true", |c| c.calls.pcntl_allow = true),
        ("calls.signal=false", |c| c.calls.signal = false),
        ("r4_prime=true", |c| c.r4_prime = true),
        ("group=true", |c| c.group = true),
        ("p11_fix=true", |c| c.p11_fix = true),
        ("refusals=true", |c| c.refusals = true),
        ("abandon=true", |c| c.abandon = true),
        ("mode=task", |c| c.mode = Mode::Task),
        ("strategy=eager", |c| c.strategy = Strategy::Eager),
        ("strategy=precopy", |c| c.strategy = Strategy::Precopy),
        ("strategy=flush", |c| c.strategy = Strategy::Flush),
        ("disallowed=[0]", |c| c.disallowed = vec![0]),
    ];
    for (name, f) in on {
        let mut c = Config::default();
        f(&mut c);
        v.push((format!("default,{name}"), c));
    }
    v
}

// Reference: spec §6.4. Every antecedent names an event, so none holds before anything has
// happened: an antecedent true in the initial state would count its property exercised in
// every run, whether or not the run ever put it to the test.
#[test]
fn antecedents_are_false_initially() {
    for spec in preset(&oracle_preset()).unwrap() {
        let model = OsfModel::new(spec.config.clone());
        let init = model.init_states().remove(0);
        for d in registry(&spec.config) {
            if d.expectation != Expectation::Always {
                continue;
            }
            let pred = antecedent(d.id).unwrap_or_else(|| panic!("{} has no antecedent", d.id));
            assert!(
                !pred(&model, &init),
                "{}: {}'s antecedent holds initially",
                spec.name,
                d.id
            );
        }
    }
}

// Reference: spec §6.4. An antecedent holds only where its event can happen: in runs where it
// cannot, it is false in every reachable state, whether or not the property is registered
// there. (Without this an antecedent weakened to hold after other events would still count its
// property exercised.)
#[test]
fn antecedents_are_false_where_their_event_cannot_happen() {
    use osfmig_model::config::Calls;
    let calls = Calls {
        signal: true,
        getinfo: true,
        ..Calls::NONE
    };
    // No migration, one call at a time per process, no crash, no exit.
    let still = Config {
        processes_max: 2,
        requests_max: 2,
        migrations_max: 0,
        calls,
        ..Config::default()
    };
    // Migrations with calls, without refusals.
    let unrefused = Config {
        processes_max: 2,
        requests_max: 2,
        calls,
        ..Config::default()
    };
    // Migrations that are always refused: one process per test node, and room for one, so
    // every destination is full (R7) and no task is ever pulled.
    let full = Config {
        processes_max: 2,
        spread: true,
        procs_per_node_max: 1,
        migrations_max: 2,
        requests_max: 0,
        calls: Calls::NONE,
        ..Config::default()
    };
    let cases: [(Config, &[&str]); 3] = [
        (
            still,
            &[
                "P1", "P2", "P3", "P4", "P5", "P7", "P8", "P9", "P11", "P12", "P13",
            ],
        ),
        (unrefused, &["P8", "P11"]),
        (full, &["P2", "P3", "P7", "P10", "A1", "P13"]),
    ];
    for (cfg, ids) in cases {
        let model = OsfModel::new(cfg.clone());
        let states = reachable_states(&cfg, 20_000);
        for id in ids {
            let pred = antecedent(id).unwrap();
            for st in &states {
                assert!(
                    !pred(&model, st),
                    "{id}'s antecedent holds in {cfg:?}:\n{st:?}"
                );
            }
        }
        assert!(states.len() > 30, "{cfg:?}: only {} states", states.len());
    }
}

// Reference: spec §8.1. Impossible configurations are rejected naming their bound, and every
// run of the oracle preset is a configuration the CLI accepts.
#[test]
fn configurations_validate() {
    assert_validation(&oracle_preset());
}

// Reference: spec §8.4. A time limit cuts only a search that needs longer: with a generous
// one, a small run completes (`check --timeout`).
#[test]
fn a_generous_timeout_cuts_nothing() {
    let res = osfmig_model::check::check_run(
        &run("null-migration"),
        &osfmig_model::check::CheckOptions {
            timeout: Some(std::time::Duration::from_secs(600)),
            ..Default::default()
        },
    );
    assert!(res.complete && res.ok(), "{res:?}");
}

// Reference: spec §6.2, §8.2. `--no-liveness` checks no liveness obligation, even in a run
// whose configuration asks for it, and a run with `liveness: false` is checked without it
// whatever the options say; the other runs owe every obligation of their configuration.
#[test]
fn liveness_is_checked_where_asked() {
    use osfmig_model::check::{check_run, CheckOptions};
    let live: Vec<&str> = ["L1", "L2", "L3", "L4", "L5", "L6"].to_vec();
    let checked = |res: &osfmig_model::check::RunResult| -> Vec<String> {
        res.properties
            .iter()
            .filter(|p| live.contains(&p.id.as_str()))
            .map(|p| p.id.clone())
            .collect()
    };
    let spec = preset("mutants").unwrap().remove(0);
    assert!(spec.liveness);
    let off = CheckOptions {
        liveness: false,
        ..Default::default()
    };
    let res = check_run(&spec, &off);
    assert!(
        checked(&res).is_empty(),
        "{}: {:?}",
        spec.name,
        checked(&res)
    );
    assert!(!checked(&check(&spec)).is_empty(), "{}", spec.name);
    let mut safety_only = spec.clone();
    safety_only.liveness = false;
    let res = check_run(&safety_only, &CheckOptions::default());
    assert!(
        checked(&res).is_empty(),
        "{}: {:?}",
        spec.name,
        checked(&res)
    );
}

// Reference: spec §6.2, §6.4. A liveness property whose obligations never trigger is reported
// unexercised, and the run not ok, although the run's other liveness properties trigger: G1
// with no pcntl migration registers L5, which only a migration can trigger.
#[test]
fn an_untriggered_liveness_property_is_unexercised() {
    let mut spec = catalog()
        .into_iter()
        .find(|r| r.name == "group-calls")
        .expect("catalog run");
    spec.config.migrations_max = 0;
    spec.expected_violations.clear();
    let res = check(&spec);
    let exercised = |id: &str| {
        res.properties
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{id} not checked"))
            .exercised
    };
    assert_eq!(exercised("L5"), Some(false), "L5 never triggers here");
    assert_eq!(exercised("L3"), Some(true), "the calls trigger L3");
    assert!(!res.ok(), "a run with an unexercised property is not ok");
}

// Reference: spec §6.4. `exercised` records which antecedents held in the states observed,
// and only those: an antecedent that never holds stays unmet, whatever the others do (also
// with a full mask of 64).
#[test]
fn unexercised_antecedents_stay_unmet() {
    use osfmig_model::exercised::{Exercised, Pred};
    let spec = preset("mutants").unwrap().remove(0);
    let model = OsfModel::new(spec.config.clone());
    let st = model.init_states().remove(0);
    let no: Pred = |_, _| false;
    let yes: Pred = |_, _| true;
    for n in [3, 64] {
        let preds: Vec<Pred> = (0..n).map(|i| if i % 3 == 1 { yes } else { no }).collect();
        let ex = Exercised::new(preds);
        for i in 0..n {
            assert!(!ex.met(i), "antecedent {i} of {n} met before any state");
        }
        ex.observe(&model, &st);
        ex.observe(&model, &st);
        for i in 0..n {
            assert_eq!(ex.met(i), i % 3 == 1, "antecedent {i} of {n}");
        }
    }
}

// Reference: spec §8.4. A search that is cut proves nothing beyond the states it reached, so
// it is incomplete and never ok, whatever its properties say: cut by the state limit in the
// safety search (with and without liveness), by the liveness graph's own limit, and by the
// network bound `queue_len_max`. The uncut run and the uncut graph are complete.
#[test]
fn cut_runs_are_incomplete() {
    use osfmig_model::check::{check_run, CheckOptions};
    use osfmig_model::liveness::{check_liveness, explore, DEFAULT_STATE_LIMIT};
    let cut = |spec: &RunSpec, limit: usize, liveness: bool| {
        let opts = CheckOptions {
            state_limit: Some(limit),
            liveness,
            ..Default::default()
        };
        check_run(spec, &opts)
    };
    for spec in preset("mutants")
        .unwrap()
        .into_iter()
        .filter(|s| s.liveness)
        .take(4)
    {
        let whole = check(&spec);
        assert!(whole.complete, "{}: {whole:?}", spec.name);
        for liveness in [false, true] {
            let res = cut(&spec, whole.states_generated / 2, liveness);
            assert!(
                !res.complete && !res.ok(),
                "{}: cut safety search (liveness {liveness}) is complete or ok",
                spec.name
            );
        }
        // The liveness graph (no symmetry) under its own limit: whole, then cut.
        let states = explore(&OsfModel::new(spec.config.clone()), DEFAULT_STATE_LIMIT)
            .graph
            .states();
        // The limit is the number of states kept: exactly enough is complete, one fewer not.
        assert!(check_liveness(&spec, states).1, "{}", spec.name);
        assert!(
            !check_liveness(&spec, states - 1).1,
            "{}: a liveness graph of {states} states is complete under a limit of {}",
            spec.name,
            states - 1
        );
        assert!(
            !check_liveness(&spec, states / 2).1,
            "{}: a liveness graph cut at {} of {states} states is complete",
            spec.name,
            states / 2
        );
        // The boundary cuts the safety search itself, not only the liveness graph: without
        // liveness nothing else would call the run incomplete.
        let mut narrow = spec.clone();
        narrow.config.queue_len_max = 1;
        for liveness in [false, true] {
            let opts = CheckOptions {
                liveness,
                ..Default::default()
            };
            let res = check_run(&narrow, &opts);
            assert!(
                !res.complete && !res.ok(),
                "{}: queue_len_max = 1 is complete or ok (liveness {liveness})",
                spec.name
            );
        }
    }
}

// Reference: spec §6.4. A property's verdict is ok only when it is what the spec expects: an
// undiscovered reachability item, an unexpected violation and a property never exercised are
// not.
#[test]
fn verdicts_that_are_not_ok() {
    use osfmig_model::check::PropResult;
    let base = PropResult {
        id: "S-refusal".into(),
        name: String::new(),
        expectation: Expectation::Sometimes,
        verdict: Verdict::Discovered,
        expected_violation: false,
        path: None,
        replay: None,
        detail: None,
        loop_start: None,
        why: None,
        search: None,
        history: None,
        exercised: None,
    };
    assert!(base.ok());
    let undiscovered = PropResult {
        verdict: Verdict::Undiscovered,
        ..base.clone()
    };
    assert!(!undiscovered.ok());
    let always = PropResult {
        id: "P2".into(),
        expectation: Expectation::Always,
        verdict: Verdict::Holds,
        exercised: Some(true),
        ..base.clone()
    };
    assert!(always.ok());
    for bad in [
        PropResult {
            verdict: Verdict::Violated,
            ..always.clone()
        },
        PropResult {
            exercised: Some(false),
            ..always.clone()
        },
        PropResult {
            expected_violation: true,
            ..always.clone()
        },
    ] {
        assert!(!bad.ok(), "{bad:?}");
    }
}

// Reference: spec §8.3, §8.4. The search's reductions are sound on the first states of every
// run of the oracle preset and of the catalog: fingerprints are injective and the test nodes
// interchangeable. A reduction that merged states a property tells apart would change
// verdicts elsewhere.
#[test]
fn reductions_are_sound() {
    for spec in preset(&oracle_preset()).unwrap() {
        assert!(assert_reductions_sound(&spec, 20_000) > 0);
    }
    // The catalog's other runs too, four-node ones among them, on fewer states each.
    for spec in catalog() {
        assert!(assert_reductions_sound(&spec, 2_000) > 0);
    }
    // And the first states of configurations no run has, one change from a rich one, plus a
    // single process with no `fork()` slot (where `wait()` has no child to wait for): the
    // environment's choices must be spec §2.6's there too.
    let mut lone = one_change_configs()[0].1.clone();
    lone.processes_max = 1;
    lone.forks_max = 0;
    lone.disallowed.clear();
    lone.group = false;
    let extra = one_change_configs()
        .into_iter()
        .chain([("rich,one process,no fork".to_string(), lone)]);
    for (name, config) in extra {
        let spec = RunSpec {
            name,
            config,
            expected_violations: Vec::new(),
            liveness: false,
            large: false,
        };
        assert!(assert_reductions_sound(&spec, 300) > 0);
    }
}

// Reference: spec §13.4. U1's incremental check gives stateright's LinearizabilityTester
// verdict on random concurrent histories, both linearizable and not, some with lost calls.
#[test]
fn u1_agrees_with_linearizability_tester() {
    let t = compare_with_tester(1500);
    assert!(t.linearizable > 100 && t.not > 100 && t.lost > 100, "{t:?}");
}

// Reference: spec §13.4, §13.5. Hand-written histories for what the random ones do not reach:
// a `Died` answer to a migration guessed early (accepted only if the process died since the
// guess), two commuting calls linearized early in either order, a guess that must keep the
// other calls' earlier answers, and two lost migrations of different processes. U1 gives the
// verdict written here, and so does stateright's tester where R1's busy context is not used.
#[test]
fn u1_fixed_histories() {
    use osfmig_model::user_spec::{Op, Ret};
    use osfmig_tests::u1_histories::{tester_verdict, u1_verdict, uses_busy_context, Ev};
    use Ev::{Invoke as I, Lost as L, Return as R};
    let info = |usage, migrations| Ret::Info { usage, migrations };
    let cases: Vec<(&str, Vec<Ev>, bool)> = vec![
        (
            "Died for a process alive since its migration was guessed",
            vec![
                I(2, Op::Migrate { pid: 1, dst: 2 }),
                I(1, Op::GetInfo { pid: 1 }),
                R(1, info(1, 1)),
                R(2, Ret::Died),
            ],
            false,
        ),
        (
            "two commuting calls linearized early, in either order",
            vec![
                I(1, Op::Signal { target: 0 }),
                I(2, Op::Migrate { pid: 0, dst: 2 }),
                I(0, Op::GetInfo { pid: 0 }),
                R(0, info(2, 1)),
                R(1, Ret::Ok),
                R(2, Ret::Migrated),
            ],
            true,
        ),
        (
            "Died for a pid that was dead only before the migration took effect",
            vec![
                I(1, Op::Exit { pid: 1 }),
                R(1, Ret::Ok),
                I(0, Op::Wait { parent: 0 }),
                R(0, Ret::Waited(Some(1))),
                I(2, Op::Migrate { pid: 1, dst: 2 }),
                I(0, Op::Fork { parent: 0 }),
                R(0, Ret::Forked(1)),
                I(1, Op::GetInfo { pid: 1 }),
                R(1, info(1, 1)),
                R(2, Ret::Died),
            ],
            false,
        ),
        (
            "a guess keeps the other calls' earlier answers",
            vec![
                I(2, Op::Migrate { pid: 1, dst: 2 }),
                R(2, Ret::Migrated),
                I(1, Op::GetInfo { pid: 1 }),
                I(3, Op::Crash { node: 2, queued: 0 }),
                R(3, Ret::Ok),
                I(0, Op::Fork { parent: 0 }),
                I(2, Op::Migrate { pid: 1, dst: 2 }),
                R(2, Ret::Rejected),
                R(1, Ret::NoSuchProcess),
                R(0, Ret::Forked(1)),
            ],
            true,
        ),
        (
            "two lost migrations of different processes",
            vec![
                I(4, Op::Migrate { pid: 0, dst: 2 }),
                I(5, Op::Migrate { pid: 1, dst: 2 }),
                L(4),
                L(5),
                I(0, Op::Migrate { pid: 0, dst: 2 }),
                I(1, Op::Migrate { pid: 1, dst: 2 }),
                I(2, Op::GetInfo { pid: 1 }),
                R(2, info(1, 1)),
                R(1, Ret::Migrated),
                R(0, Ret::Rejected),
            ],
            true,
        ),
    ];
    for (name, evs, want) in cases {
        assert_eq!(u1_verdict(&evs), want, "U1 on {name}: {evs:?}");
        if !uses_busy_context(&evs) {
            assert_eq!(tester_verdict(&evs), want, "tester on {name}: {evs:?}");
        }
    }
}

// Reference: spec §13.2, §13.3. The process table answers as the spec's tables say, on
// examples of every row, valid and not.
#[test]
fn user_spec_answers_as_tabled() {
    assert!(assert_user_spec_examples() >= 50);
}

// Reference: spec §13.1. The answer one node would give (`SequentialSpec::invoke`) is one the
// process table accepts, with the same effect, on random walks under several configurations.
#[test]
fn single_node_answers_are_valid() {
    assert!(assert_single_node_answers_valid(3000) > 5000);
}

// Reference: spec §6.2. The fair-cycle search gives the known verdict and lasso on small
// graphs built by hand: a stuck state, a fair cycle, an unfair one, and fair loops that must
// take a step enabled throughout or visit a state where an ignored step is disabled. The
// runs' own liveness violations are mostly stuck states, so without these a mutant of the
// loop construction would show in no verdict.
#[test]
fn fair_cycle_search_on_hand_built_graphs() {
    assert_eq!(
        osfmig_tests::fair_cycle_graphs::assert_fair_cycle_search(),
        7
    );
}

// Reference: spec §3.2.3 (R10). The paper: "Up until the task migration, the source node PMA
// can abandon migration and restart the process". Abandon is offered both while the process
// is still freezing (before R6: nothing sent yet) and after R6 while the task is still
// offered; a run that reached S-abandon by one path only would hide the loss of the other
// (found by cargo-mutants: `can_abandon` without its freezing arm).
#[test]
fn abandon_is_offered_before_and_after_detach() {
    use osfmig_model::model::Action;
    use osfmig_model::OsfModel;
    use stateright::Model;
    let cfg = run("abandon").config;
    let model = OsfModel::new(cfg.clone());
    let (mut freezing, mut detached) = (false, false);
    for st in osfmig_tests::reachable_states(&cfg, 100_000) {
        let mut acts = Vec::new();
        model.actions(&st, &mut acts);
        for a in acts {
            let Action::Abandon { node, pid } = a else {
                continue;
            };
            match st.nodes[node as usize].pma.procs[pid as usize] {
                osfmig_model::state::Local::Active { out: Some(_), .. } => freezing = true,
                osfmig_model::state::Local::Migrating { .. } => detached = true,
                _ => {}
            }
        }
    }
    assert!(freezing, "R10 never offered while freezing (before R6)");
    assert!(detached, "R10 never offered after R6 with the task offered");
}

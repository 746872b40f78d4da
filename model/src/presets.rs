//! Named configurations (spec §8.2). A preset is a list of runs; together the runs of `ci`
//! reach every rule, crash case, refusal, abandon, two processes and each switch.

use serde::Serialize;

use crate::config::{Calls, Config, Mode, Strategy};

mod crossed;

/// One run of a preset: a configuration plus the properties it is expected to violate (the
/// paper's findings, spec §10).
#[derive(Clone, Debug, Serialize)]
pub struct RunSpec {
    pub name: String,
    pub config: Config,
    /// Property IDs whose violation here is a documented finding, not a failure.
    pub expected_violations: Vec<&'static str>,
    /// Check L1-L6 on the explicit graph (no symmetry); off for runs too large for it (over
    /// the liveness check's 2 M-state limit).
    pub liveness: bool,
    /// A large run: left out of the `mutants` preset (the oracle must stay fast), and in
    /// `full` repeated on four nodes without an extra request and without liveness.
    pub large: bool,
}

fn run(name: &str, config: Config) -> RunSpec {
    RunSpec {
        name: name.to_string(),
        config,
        expected_violations: Vec::new(),
        liveness: true,
        large: false,
    }
}

fn calls(f: impl FnOnce(&mut Calls)) -> Calls {
    let mut c = Calls::NONE;
    f(&mut c);
    c
}

/// Every run the presets draw from, by name.
pub fn catalog() -> Vec<RunSpec> {
    let base = Config::default();
    let crash_cor = Config {
        crashes_max: 1,
        requests_max: 1,
        calls: calls(|c| {
            c.touch = true;
            c.getinfo = true
        }),
        ..base.clone()
    };
    // The P11 fix: two processes on different nodes, two threads each (spec §10 finding 1).
    let p11_fixed = Config {
        processes_max: 2,
        requests_max: 2,
        outstanding_max: 2,
        p11_fix: true,
        spread: true,
        calls: calls(|c| c.signal = true),
        ..base.clone()
    };
    let mut v = vec![
        run(
            "null-migration",
            Config {
                calls: calls(|c| c.signal = true),
                ..base.clone()
            },
        ),
        run(
            "two-procs-signal",
            Config {
                processes_max: 2,
                requests_max: 2,
                calls: calls(|c| c.signal = true),
                ..base.clone()
            },
        ),
        run(
            "self-calls",
            Config {
                requests_max: 2,
                migrations_max: 2,
                calls: calls(|c| c.getinfo = true),
                ..base.clone()
            },
        ),
        run(
            "refusal-queue",
            Config {
                refusals: true,
                abandon: true,
                requests_max: 2,
                calls: calls(|c| c.getinfo = true),
                ..base.clone()
            },
        ),
        run(
            "abandon",
            Config {
                abandon: true,
                calls: calls(|c| c.signal = true),
                ..base.clone()
            },
        ),
        run(
            "wait-freeze",
            Config {
                processes_max: 2,
                requests_max: 2,
                migrations_max: 1,
                calls: calls(|c| {
                    c.wait = true;
                    c.exit = true
                }),
                ..base.clone()
            },
        ),
        run(
            "r4-prime",
            Config {
                processes_max: 2,
                requests_max: 2,
                r4_prime: true,
                calls: calls(|c| {
                    c.wait = true;
                    c.exit = true
                }),
                ..base.clone()
            },
        ),
        run("crash-cor", crash_cor.clone()),
        // Pre-copy under a crash: a destination dying while the source is still pre-copying
        // (before R5) ends the migration there (C2), since pre-copy needs the destination.
        run(
            "crash-precopy",
            Config {
                strategy: Strategy::Precopy,
                ..crash_cor.clone()
            },
        ),
        // C1-C4 on four nodes: a crash of a node that is neither the source nor the
        // destination of a migration in progress must not disturb it.
        run(
            "crash-four-nodes",
            Config {
                nodes_max: 4,
                queue_len_max: 12,
                ..crash_cor.clone()
            },
        ),
        run(
            "crash-eager",
            Config {
                crashes_max: 1,
                requests_max: 1,
                strategy: Strategy::Eager,
                calls: calls(|c| {
                    c.touch = true;
                    c.getinfo = true
                }),
                ..base.clone()
            },
        ),
        run(
            "task-only",
            Config {
                mode: Mode::Task,
                requests_max: 2,
                migrations_max: 2,
                calls: calls(|c| {
                    c.getinfo = true;
                    c.touch = true
                }),
                ..base.clone()
            },
        ),
        run(
            "task-crash",
            Config {
                mode: Mode::Task,
                crashes_max: 1,
                calls: calls(|c| {
                    c.getinfo = true;
                    c.touch = true
                }),
                ..base.clone()
            },
        ),
        run(
            "group",
            Config {
                processes_max: 2,
                group: true,
                refusals: true,
                requests_max: 0,
                procs_per_node_max: 2,
                calls: Calls::NONE,
                ..base.clone()
            },
        ),
        run(
            "group-norefusal",
            Config {
                processes_max: 2,
                group: true,
                refusals: false,
                requests_max: 0,
                procs_per_node_max: 2,
                calls: Calls::NONE,
                ..base.clone()
            },
        ),
        run("p11-fixed", p11_fixed.clone()),
        // The P11 fix under a crash: a destination holding direct requests until the source's
        // forwarded queue arrives must serve them when the source dies instead (ForwardLost,
        // spec §5). Eager copy, so that the source's crash does not kill the process first.
        run(
            "crash-p11",
            Config {
                crashes_max: 1,
                strategy: Strategy::Eager,
                ..p11_fixed.clone()
            },
        ),
        // exit() races the process's other calls (two threads, outstanding_max 2): once a
        // process has called exit() it makes no further call (EM1), and a call it made before
        // is answered or dies with it.
        run(
            "exit-concurrent",
            Config {
                processes_max: 2,
                requests_max: 2,
                outstanding_max: 2,
                p11_fix: true,
                calls: calls(|c| {
                    c.exit = true;
                    c.getinfo = true
                }),
                ..base.clone()
            },
        ),
        run(
            "precopy",
            Config {
                strategy: Strategy::Precopy,
                pages_max: 2,
                requests_max: 0,
                calls: calls(|c| c.touch = true),
                ..base.clone()
            },
        ),
        run(
            "flush",
            Config {
                strategy: Strategy::Flush,
                crashes_max: 1,
                requests_max: 0,
                calls: calls(|c| c.touch = true),
                ..base.clone()
            },
        ),
        run(
            "disallowed",
            Config {
                processes_max: 2,
                disallowed: vec![1],
                requests_max: 0,
                calls: Calls::NONE,
                ..base.clone()
            },
        ),
        run(
            "file-io",
            Config {
                requests_max: 1,
                calls: calls(|c| c.file_read = true),
                ..base.clone()
            },
        ),
    ];
    // R4: a wait() whose child never exits keeps the freeze waiting forever (L1), so the
    // pcntl(MIGRATE) call that started the migration is never answered either (L3).
    expect(&mut v, "wait-freeze", &["L1", "L3"]);
    // G1: the paper defines no group atomicity; a refusal of one member splits the group (L5).
    expect(&mut v, "group", &["L5"]);
    // Larger runs: the same protocol with more going on at once. `two-procs-rich` (14.4 M
    // states) and `three-procs-wait` (4.2 M) are safety only: their explicit graphs exceed
    // the liveness check's 2 M-state limit, with or without symmetry (spec §8.3). The others
    // fit and are checked for liveness too.
    let big = |mut r: RunSpec| {
        r.large = true;
        r
    };
    let safety_only = |mut r: RunSpec| {
        r.large = true;
        r.liveness = false;
        r
    };
    v.push(safety_only(run(
        "two-procs-rich",
        Config {
            processes_max: 2,
            requests_max: 3,
            migrations_max: 2,
            refusals: true,
            abandon: true,
            calls: calls(|c| {
                c.signal = true;
                c.getinfo = true
            }),
            ..base.clone()
        },
    )));
    v.push(safety_only(run(
        "three-procs-wait",
        Config {
            processes_max: 3,
            procs_per_node_max: 3,
            requests_max: 3,
            migrations_max: 1,
            r4_prime: true,
            calls: calls(|c| {
                c.signal = true;
                c.wait = true;
                c.exit = true
            }),
            ..base.clone()
        },
    )));
    v.push(big(run(
        "crash-rich",
        Config {
            processes_max: 2,
            crashes_max: 1,
            requests_max: 2,
            migrations_max: 2,
            calls: calls(|c| {
                c.signal = true;
                c.touch = true
            }),
            ..base.clone()
        },
    )));
    // Finding (spec §10): with a third test node the P11 fix is not enough. A request still
    // in transit to a node the target has left is bounced (AbsentProcess) and re-sent after
    // a later request of the same sender found the target directly.
    let mut four = big(run(
        "four-nodes",
        Config {
            nodes_max: 4,
            processes_max: 2,
            spread: true,
            requests_max: 2,
            migrations_max: 2,
            p11_fix: true,
            outstanding_max: 2,
            calls: calls(|c| c.signal = true),
            ..base.clone()
        },
    ));
    four.expected_violations.push("P11");
    v.push(four);
    // PM3: fork() with pid allocation by the PM Master, exit, wait and a migration in between;
    // a reaped pid is given to the new child.
    v.push(run(
        "fork-exit-wait",
        Config {
            processes_max: 2,
            forks_max: 1,
            procs_per_node_max: 3,
            requests_max: 3,
            calls: calls(|c| {
                c.fork = true;
                c.exit = true;
                c.wait = true
            }),
            r4_prime: true,
            ..base.clone()
        },
    ));
    // PM3 with an unreaped zombie: the mutant `pid_reuse` hands its pid out again.
    v.push(run(
        "fork-reuse",
        Config {
            processes_max: 2,
            forks_max: 1,
            procs_per_node_max: 3,
            requests_max: 2,
            migrations_max: 0,
            calls: calls(|c| {
                c.fork = true;
                c.exit = true
            }),
            ..base.clone()
        },
    ));
    // PM3 crossed with a crash: a child the PM Master was never told about would stay half
    // created (an `Embryo`) after its node crashed, which L4 sees (spec §6.2).
    v.push(run(
        "fork-crash",
        Config {
            processes_max: 2,
            forks_max: 1,
            procs_per_node_max: 3,
            requests_max: 1,
            crashes_max: 1,
            strategy: Strategy::Eager,
            calls: calls(|c| c.fork = true),
            ..base.clone()
        },
    ));
    // Finding (spec §10): G1 with R4's literal scope deadlocks when two co-resident members
    // each have a call waiting in the other's pending queue: neither can ever freeze.
    let mut group_calls = run(
        "group-calls",
        Config {
            processes_max: 2,
            group: true,
            requests_max: 2,
            calls: calls(|c| c.signal = true),
            ..base.clone()
        },
    );
    group_calls.expected_violations.extend(["L1", "L3", "L5"]);
    v.push(group_calls);
    // Finding (spec §10): without attempt numbers, a pull or a Refused left over from an
    // abandoned attempt is taken for the next one (an ABA race in the R10 handshake).
    let mut aba = run(
        "abandon-aba",
        Config {
            migrations_max: 2,
            requests_max: 0,
            abandon: true,
            refusals: true,
            attempt_tags: false,
            calls: Calls::NONE,
            ..base.clone()
        },
    );
    aba.expected_violations
        .extend(["P1", "P3", "P7", "P8", "P12", "A1"]);
    // The same race with attempt numbers (the fix of §10 finding 8): every property holds.
    let mut tagged = aba.clone();
    tagged.name = "abandon-tagged".into();
    tagged.config.attempt_tags = true;
    tagged.expected_violations.clear();
    v.push(aba);
    v.push(tagged);
    // Crossed configurations: switches that no other run combines, each of which found a
    // modelling error the runs above could not see (spec §10.3).
    // exit() crossed with a crash: a process a crash kills while it exits, and a zombie whose
    // exit report is lost with its node.
    v.push(run(
        "crash-exit",
        Config {
            processes_max: 2,
            calls: calls(|c| {
                c.exit = true;
                c.touch = true
            }),
            ..crash_cor.clone()
        },
    ));
    // exit() crossed with T1: the task may run on another node than its PMA when it exits.
    v.push(run(
        "task-exit",
        Config {
            mode: Mode::Task,
            processes_max: 2,
            requests_max: 2,
            calls: calls(|c| {
                c.exit = true;
                c.getinfo = true
            }),
            ..base.clone()
        },
    ));
    // abandon crossed with exit(): the process may exit once its migration is abandoned.
    v.push(run(
        "abandon-exit",
        Config {
            processes_max: 2,
            abandon: true,
            calls: calls(|c| c.exit = true),
            ..base.clone()
        },
    ));
    // fork() and file reads together: a child may read before its parent's fork() returns.
    v.push(run(
        "fork-file-io",
        Config {
            processes_max: 2,
            forks_max: 1,
            procs_per_node_max: 3,
            requests_max: 2,
            calls: calls(|c| {
                c.fork = true;
                c.file_read = true
            }),
            ..base.clone()
        },
    ));
    // fork() crossed with a crash under copy-on-reference, processes spread: a parent killed
    // while its fork() is under way, and a pid given to a child while reports about its
    // crashed previous holder are still on their way. Without incarnation numbers, the late
    // reports are applied to the new child (finding 12, spec §10: U1 and L4).
    let mut fork_spread = run(
        "fork-crash-spread",
        Config {
            processes_max: 2,
            forks_max: 1,
            procs_per_node_max: 3,
            crashes_max: 1,
            spread: true,
            pid_generations: false,
            calls: calls(|c| c.fork = true),
            ..base.clone()
        },
    );
    fork_spread.expected_violations.extend(["U1", "L4"]);
    // The same race with incarnation numbers (the fix of finding 12): every property holds.
    let mut fork_generations = fork_spread.clone();
    fork_generations.name = "fork-crash-generations".into();
    fork_generations.config.pid_generations = true;
    fork_generations.expected_violations.clear();
    v.push(fork_spread);
    v.push(fork_generations);
    // fork(), wait() and R4' crossed with a crash: a wait() the PM Master parks after its
    // caller died. A large run (142 k states), left out of the `mutants` preset.
    v.push(big(run(
        "wait-crash",
        Config {
            processes_max: 2,
            forks_max: 1,
            procs_per_node_max: 3,
            requests_max: 2,
            crashes_max: 1,
            r4_prime: true,
            calls: calls(|c| {
                c.fork = true;
                c.exit = true;
                c.wait = true
            }),
            ..base.clone()
        },
    )));
    let mut p11 = run(
        "p11-unfixed",
        Config {
            p11_fix: false,
            ..p11_fixed
        },
    );
    p11.expected_violations.push("P11");
    v.push(p11);
    crossed::add_crossed(&mut v);
    v
}

fn expect(runs: &mut [RunSpec], name: &str, ids: &[&'static str]) {
    let r = runs
        .iter_mut()
        .find(|r| r.name == name)
        .expect("catalog run");
    r.expected_violations.extend_from_slice(ids);
}

pub fn find_run(name: &str) -> Option<RunSpec> {
    catalog().into_iter().find(|r| r.name == name)
}

pub const PRESETS: &[&str] = &["tiny", "mutants", "ci", "full"];

/// The `mutants` preset (spec §8.2): the oracle of mutation testing (docs/mutation.md). Every
/// `ci` run but the large ones (`RunSpec::large`): a few seconds, and still
/// every rule, crash case, switch and finding (`tests/tests/oracle.rs` checks it fires every
/// rule `ci` fires).
fn mutants() -> Vec<RunSpec> {
    catalog()
        .into_iter()
        .filter(|r| r.liveness && !r.large)
        .collect()
}

/// Small runs whose scaled graph (`name+`) exceeds the liveness check's state limit
/// (`liveness::DEFAULT_STATE_LIMIT`), measured: `p11-ports-done-twice+` has 7.2 M states
/// (session 14). They are checked for safety only in `full`; their `ci` run keeps liveness.
const SAFETY_ONLY_WHEN_SCALED: &[&str] = &["p11-ports-done-twice"];

/// The `full` preset (spec §8.2): every `ci` run, each small run again with one more test
/// node and one more request (`name+`), and each large run again on four nodes (`name+`).
/// Size and time are recorded in `docs/presets.md`.
fn full() -> Vec<RunSpec> {
    let mut runs = catalog();
    let scaled: Vec<RunSpec> = runs
        .iter()
        .filter(|r| r.config.nodes_max < crate::config::NODES_LIMIT)
        .cloned()
        .map(|mut r| {
            r.config.nodes_max += 1;
            // A fourth node puts more messages in flight at once (a crash adds detections
            // and re-sends): give the network room so the search is not cut.
            r.config.queue_len_max = r.config.queue_len_max.max(12);
            if r.large || SAFETY_ONLY_WHEN_SCALED.contains(&r.name.as_str()) {
                // On four nodes a large run's graph without symmetry is too large for
                // the liveness check.
                r.liveness = false;
            }
            if !r.large {
                r.config.requests_max =
                    (r.config.requests_max + 1).min(crate::config::REQUESTS_LIMIT);
            }
            r.name = format!("{}+", r.name);
            // Finding 1b (spec §10): on four nodes the P11 fix no longer suffices.
            if r.config.nodes_max >= 4
                && r.config.outstanding_max >= 2
                && !r.expected_violations.contains(&"P11")
            {
                r.expected_violations.push("P11");
            }
            r
        })
        .collect();
    runs.extend(scaled);
    runs
}

/// The runs of a preset, or an error naming the unknown preset. Every run of the catalog is
/// also a preset of its own (the mutant catalog names them).
pub fn preset(name: &str) -> Result<Vec<RunSpec>, String> {
    match name {
        "tiny" => Ok(vec![find_run("null-migration").expect("catalog")]),
        "mutants" => Ok(mutants()),
        "ci" => Ok(catalog()),
        "full" => Ok(full()),
        other => find_run(other).map(|r| vec![r]).ok_or_else(|| {
            let runs: Vec<String> = catalog().into_iter().map(|r| r.name).collect();
            format!(
                "unknown preset '{other}' (presets: {}; single runs: {})",
                PRESETS.join(", "),
                runs.join(", ")
            )
        }),
    }
}

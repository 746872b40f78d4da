//! Integration tests of the reference implementation, by spec section.

use osfmig_refimpl::invariants;
use osfmig_refimpl::paper::{least_squares, reproduce};
use osfmig_refimpl::run::{run, Migration};
use osfmig_refimpl::sim::{ms, NS_PER_MS};
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{workload, Mode, Shapes, Strategy, Synthetic};
use osfmig_refimpl::world::{Config, World};
use proptest::prelude::*;

fn null_run(mode: Mode, cfg: Config, seed: u64) -> osfmig_refimpl::run::Outcome {
    let w = workload("synthetic", Synthetic::default(), &Shapes::builtin()).unwrap();
    run(
        &w,
        Some(Migration {
            at: w.migrate_at,
            dst: 2,
            mode,
        }),
        cfg,
        &Costs::i386(),
        seed,
    )
    .unwrap()
}

// Reference: spec §11.1 — the same seed gives the same run byte for byte.
#[test]
fn determinism_same_seed_same_bytes() {
    let cfg = || Config {
        trace: true,
        refuse_num: 1,
        refuse_den: 3,
        ..Config::default()
    };
    let w = workload("make", Synthetic::default(), &Shapes::builtin()).unwrap();
    let a = run(
        &w,
        Some(Migration {
            at: w.migrate_at,
            dst: 2,
            mode: Mode::Process,
        }),
        cfg(),
        &Costs::i386(),
        42,
    )
    .unwrap();
    let b = run(
        &w,
        Some(Migration {
            at: w.migrate_at,
            dst: 2,
            mode: Mode::Process,
        }),
        cfg(),
        &Costs::i386(),
        42,
    )
    .unwrap();
    assert_eq!(a.timeline, b.timeline);
    assert_eq!(a.exec_time, b.exec_time);
    assert_eq!(a.events, b.events);
}

// Reference: spec §3.2 — the phases (a)–(e) in order, and the monitor's statistics.
#[test]
fn golden_null_process_timeline() {
    let o = null_run(
        Mode::Process,
        Config {
            trace: true,
            ..Config::default()
        },
        1,
    );
    insta::assert_snapshot!("null_process_migration", o.timeline);
}

// Reference: spec §3.3.3 T1 — task migration leaves the process attached to S's PMA.
#[test]
fn t1_task_only_keeps_the_pma() {
    let o = null_run(
        Mode::Task,
        Config {
            trace: true,
            ..Config::default()
        },
        1,
    );
    assert!(o.timeline.contains("still attached here"));
    let r = &o.migrations[0];
    assert_eq!(r.outcome.as_deref(), Some("Migrated"));
    assert!(
        r.total().unwrap()
            < null_run(Mode::Process, Config::default(), 1).migrations[0]
                .total()
                .unwrap()
    );
}

// Reference: spec §3.2.3 R7/R8 — a refusal reinstates the process, which then finishes.
#[test]
fn r8_refusal_reinstates() {
    let o = null_run(
        Mode::Process,
        Config {
            refuse_num: 1,
            refuse_den: 1,
            trace: true,
            ..Config::default()
        },
        1,
    );
    assert_eq!(o.migrations[0].outcome.as_deref(), Some("Refused"));
    assert!(o.timeline.contains("R8"));
}

// Reference: spec §3.2.1 R4 / R4' — a gcc in wait() delays the freeze; R4' does not.
#[test]
fn r4_wait_delays_freeze_and_r4_prime_repairs() {
    let s = Shapes::builtin();
    let w = workload("gcc", Synthetic::default(), &s).unwrap();
    let m = Some(Migration {
        at: w.migrate_at,
        dst: 2,
        mode: Mode::Process,
    });
    let plain = run(&w, m, Config::default(), &Costs::i386(), 1).unwrap();
    let prime = run(
        &w,
        m,
        Config {
            r4_prime: true,
            ..Config::default()
        },
        &Costs::i386(),
        1,
    )
    .unwrap();
    let lat = |o: &osfmig_refimpl::run::Outcome| o.migrations[0].freezing_latency().unwrap();
    assert!(
        lat(&plain) > 500 * NS_PER_MS,
        "R4 waits for cc1: {} ms",
        ms(lat(&plain))
    );
    assert!(
        lat(&prime) < 100 * NS_PER_MS,
        "R4' aborts the wait: {} ms",
        ms(lat(&prime))
    );
}

// Reference: spec §3.3.1 R17 and §3.3.2 — COR faults after migration; eager copy has none.
#[test]
fn r17_cor_faults_and_strategies() {
    let s = Shapes::builtin();
    let w = workload(
        "synthetic",
        Synthetic {
            pages: 64,
            touch_after: 64,
            files: 0,
        },
        &s,
    )
    .unwrap();
    let m = Some(Migration {
        at: w.migrate_at,
        dst: 2,
        mode: Mode::Process,
    });
    let cor = run(&w, m, Config::default(), &Costs::i386(), 1).unwrap();
    let eager = run(
        &w,
        m,
        Config {
            strategy: Strategy::Eager,
            ..Config::default()
        },
        &Costs::i386(),
        1,
    )
    .unwrap();
    let pre = run(
        &w,
        m,
        Config {
            strategy: Strategy::Precopy,
            ..Config::default()
        },
        &Costs::i386(),
        1,
    )
    .unwrap();
    let flush = run(
        &w,
        m,
        Config {
            strategy: Strategy::Flush,
            ..Config::default()
        },
        &Costs::i386(),
        1,
    )
    .unwrap();
    assert_eq!(cor.cor_faults, 64);
    assert_eq!(eager.cor_faults, 0);
    assert_eq!(pre.cor_faults, 0);
    assert!(
        flush.cor_faults >= 64,
        "flushed pages are faulted from the master's backing store"
    );
    assert!(eager.migrations[0].total() > cor.migrations[0].total());
}

// Reference: spec §5.4 C4 — a source crash after the pull kills the process under COR.
#[test]
fn c4_source_crash_after_pull_kills_under_cor() {
    let s = Shapes::builtin();
    let w = workload(
        "synthetic",
        Synthetic {
            pages: 8,
            touch_after: 8,
            files: 0,
        },
        &s,
    )
    .unwrap();
    let mut world = World::new(
        Config {
            trace: true,
            check_invariants: true,
            ..Config::default()
        },
        Costs::i386(),
        1,
    );
    let pid = world.load(&w);
    world.schedule_migration(w.migrate_at, pid, 2, Mode::Process);
    world.schedule_crash(w.migrate_at + 3000 * NS_PER_MS, 1);
    world.run_until(osfmig_refimpl::run::LIMIT);
    assert!(!world.pmm.alive(pid), "{}", world.trace.render());
    invariants::check(&world).unwrap();
}

// Reference: spec §11.9 — the least-squares fit recovers a plane exactly.
#[test]
fn least_squares_recovers_a_plane() {
    let pts: Vec<_> = (0..5)
        .flat_map(|s| {
            (0..5).map(move |f| {
                (
                    s as f64 * 100.0,
                    f as f64,
                    10.0 + 0.5 * s as f64 * 100.0 + 3.0 * f as f64,
                )
            })
        })
        .collect();
    let fit = least_squares(&pts).unwrap();
    assert!(
        (fit.intercept - 10.0).abs() < 1e-6
            && (fit.per_page - 0.5).abs() < 1e-9
            && (fit.per_file - 3.0).abs() < 1e-6
    );
}

// Reference: spec §11.9 — the calibrated rows hold (a regression guard on the profile).
#[test]
fn calibrated_rows_within_two_percent() {
    let r = reproduce(&Costs::i386(), &Shapes::builtin(), 1).unwrap();
    for row in r.rows.iter().filter(|r| r.role == "calibrated") {
        assert!(
            row.ok,
            "{} missed: paper {:?} simulated {}",
            row.id, row.paper, row.simulated
        );
    }
}

// Reference: spec §6.1 — random workloads with random migrations and faults never break
// P1–P10 (the refimpl checks them after every event with check_invariants on).
proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    #[test]
    fn random_runs_keep_p1_to_p10(
        seed in 0u64..1_000_000,
        name in prop::sample::select(vec!["synthetic", "gcc", "make", "small-make", "troff"]),
        migs in prop::collection::vec((0u64..20_000, 0usize..3, any::<bool>()), 1..4),
        crash in prop::option::of((0u64..30_000, 1usize..3)),
        abandon in prop::option::of(0u64..20_000),
        refuse in 0u64..3,
        r4p in any::<bool>(),
        group in any::<bool>(),
        strat in prop::sample::select(vec![Strategy::Cor, Strategy::Eager, Strategy::Precopy, Strategy::Flush]),
    ) {
        let s = Shapes::builtin();
        let w = workload(name, Synthetic { pages: 16, files: 2, touch_after: 16 }, &s).unwrap();
        let cfg = Config { check_invariants: true, r4_prime: r4p, group, strategy: strat, refuse_num: refuse, refuse_den: 4, ..Config::default() };
        let mut world = World::new(cfg, Costs::i386(), seed);
        let pid = world.load(&w);
        for (at, dst, task) in &migs {
            let mode = if *task { Mode::Task } else { Mode::Process };
            world.schedule_migration(at * NS_PER_MS, pid, *dst, mode);
        }
        if let Some((at, node)) = crash {
            world.schedule_crash(at * NS_PER_MS, node);
        }
        if let Some(at) = abandon {
            world.schedule_abandon(at * NS_PER_MS, pid);
        }
        world.run_until(osfmig_refimpl::run::LIMIT);
        prop_assert!(invariants::check(&world).is_ok());
        if crash.is_none() {
            prop_assert!(invariants::check_p5(&world).is_ok(), "{:?}", invariants::check_p5(&world));
        }
    }
}

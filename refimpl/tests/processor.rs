//! spec §11.10 The node's processor: system work delays the computation in progress on its
//! node, by the processor time it takes there.

use osfmig_refimpl::kernel::Run;
use osfmig_refimpl::paper::{reproduce_with, Paper};
use osfmig_refimpl::run::{run, Migration, LIMIT};
use osfmig_refimpl::sim::{Time, NS_PER_MS};
use osfmig_refimpl::timing::{Costs, MsgKind, MsgShape};
use osfmig_refimpl::workload::{workload, Mode, Shapes, Synthetic, NAMES};
use osfmig_refimpl::world::{Config, Ev, World};
use osfmig_refimpl::Pid;

/// The synthetic process computing on node 1, with `work` applied 1 s into its run; returns
/// when it exited.
fn exit_after(cfg: Config, work: impl FnOnce(&mut World)) -> Time {
    let w = workload("synthetic", Synthetic::default(), &Shapes::builtin()).unwrap();
    assert_eq!(w.start_node, 1);
    let mut world = World::new(cfg, Costs::i386(), 1);
    world.load(&w);
    world.run_until(1000 * NS_PER_MS);
    work(&mut world);
    world.run_until(LIMIT);
    world.root_exit.expect("the synthetic process exits")
}

fn on() -> Config {
    Config::default()
}

// Reference: spec §11.10 — single-node work takes all of its price from its node's
// computation; work on another node takes nothing from it.
#[test]
fn local_work_delays_the_computation_on_its_node_only() {
    let base = exit_after(on(), |_| {});
    let rpc = MsgShape::new(MsgKind::Rpc, true);
    let cost = Costs::i386().price(&rpc);
    let here = exit_after(on(), |w| w.system_work(1, None, &rpc, cost));
    assert_eq!(here - base, cost);
    let elsewhere = exit_after(on(), |w| w.system_work(2, None, &rpc, cost));
    assert_eq!(elsewhere, base);
}

// Reference: spec §11.10 — an inter-node message lends half of its price less the wire time
// of its bytes to each end.
#[test]
fn inter_node_work_is_shared_less_the_wire_time() {
    let c = Costs::i386();
    let base = exit_after(on(), |_| {});
    let page = MsgShape::new(MsgKind::Rpc, false).pages(1);
    let cost = c.price(&page);
    let wire = 4096 * c.wire_byte;
    assert_eq!(c.wire(&page), wire);
    assert_eq!(wire, 3_276_800, "4 KB at 10 Mbit/s");
    let cpu = cost - wire;
    let sender = exit_after(on(), |w| w.system_work(1, Some(2), &page, cost));
    assert_eq!(sender - base, cpu / 2);
    let receiver = exit_after(on(), |w| w.system_work(2, Some(1), &page, cost));
    assert_eq!(receiver - base, cpu - cpu / 2);
}

// Reference: spec §11.10 — two pieces of work delay once each: a computation is listed once
// on its node, however often it was seen.
#[test]
fn each_piece_of_work_delays_once() {
    let base = exit_after(on(), |_| {});
    let rpc = MsgShape::new(MsgKind::Rpc, true);
    let cost = Costs::i386().price(&rpc);
    let twice = exit_after(on(), |w| {
        w.computing_on(1, w.root);
        w.system_work(1, None, &rpc, cost);
        w.system_work(1, None, &rpc, cost);
    });
    assert_eq!(twice - base, 2 * cost);
}

// Reference: spec §11.10 — with the switch off every computation has a processor of its own.
#[test]
fn switched_off_nothing_is_delayed() {
    let off = Config {
        cpu_contention: false,
        ..Config::default()
    };
    let base = exit_after(off.clone(), |_| {});
    let rpc = MsgShape::new(MsgKind::Rpc, true);
    let cost = Costs::i386().price(&rpc);
    assert_eq!(
        exit_after(off, |w| w.system_work(1, None, &rpc, cost)),
        base
    );
}

fn gcc_task_penalty(cfg: Config) -> (Time, Time) {
    let w = workload("gcc", Synthetic::default(), &Shapes::builtin()).unwrap();
    let base = run(&w, None, cfg.clone(), &Costs::i386(), 1).unwrap();
    let mig = |mode| {
        Some(Migration {
            at: w.migrate_at,
            dst: w.dst,
            mode,
        })
    };
    let p = run(&w, mig(Mode::Process), cfg.clone(), &Costs::i386(), 1).unwrap();
    let t = run(&w, mig(Mode::Task), cfg, &Costs::i386(), 1).unwrap();
    (p.exec_time - base.exec_time, t.exec_time - base.exec_time)
}

// Reference: spec §11.10 — gcc's task migration overlaps cc1 on S (R4 holds back only the
// process migration), so S's share of the pull is taken from cc1; the process migration,
// frozen until cc1 exits, overlaps nothing but the pcntl's own messages.
#[test]
fn the_overlapping_task_migration_slows_cc1() {
    let off = Config {
        cpu_contention: false,
        ..Paper::cfg()
    };
    let at_d = Config {
        sms_both_ends: false,
        ..Paper::cfg()
    };
    let (p_on, t_on) = gcc_task_penalty(Paper::cfg());
    let (p_off, t_off) = gcc_task_penalty(off);
    let (_, t_at_d) = gcc_task_penalty(at_d);
    // The process penalty moves by the pcntl's messages only (a few ms).
    assert!(
        p_on >= p_off && p_on - p_off < 10 * NS_PER_MS,
        "{p_on} vs {p_off}"
    );
    // S's processor time lost to the pull: more with the pull's processing at both ends,
    // and less than the whole task migration (about 1.27 s).
    assert!(t_off < t_at_d && t_at_d < t_on, "{t_off} {t_at_d} {t_on}");
    assert!(t_on - t_off < 1270 * NS_PER_MS);
}

// Reference: spec §11.9, §11.10 — the fig9-gcc-task row depends on the processor assumption:
// without it the row misses (so the target can fail), with it the row holds.
#[test]
fn fig9_task_row_holds_only_with_processor_sharing() {
    let s = Shapes::builtin();
    let row = |cfg: Config| {
        let r = reproduce_with(&Costs::i386(), &s, 1, cfg).unwrap();
        r.rows
            .into_iter()
            .find(|r| r.id == "fig9-gcc-task")
            .unwrap()
    };
    let with = row(Paper::cfg());
    let without = row(Config {
        cpu_contention: false,
        ..Paper::cfg()
    });
    assert!(with.ok, "{} {}", with.simulated, with.note);
    assert!(!without.ok, "{}", without.simulated);
    assert!(with.simulated > without.simulated + 5.0);
}

// Reference: spec §11.10 — none of the paper's experiments runs two user computations at once
// on a node, so processor sharing between them changes none of the paper's figures.
// Every millisecond taken from a computation is one the run is late by: the computations of
// these workloads are all on the critical path.
#[test]
fn paper_workloads_never_compute_two_at_once_on_a_node() {
    let s = Shapes::builtin();
    // Every workload `osfmig simulate` and `osfmig paper` know.
    for &name in NAMES {
        let w = workload(name, Synthetic::default(), &s).unwrap();
        let off = run(
            &w,
            None,
            Config {
                cpu_contention: false,
                ..Paper::cfg()
            },
            &Costs::i386(),
            1,
        )
        .unwrap();
        for mode in [None, Some(Mode::Process), Some(Mode::Task)] {
            let mig = mode.map(|mode| Migration {
                at: w.migrate_at,
                dst: w.dst,
                mode,
            });
            let on = run(&w, mig, Paper::cfg(), &Costs::i386(), 1).unwrap();
            assert_eq!(on.computations_overlapping, 0, "{name} {mode:?}");
            if mode.is_none() {
                assert_eq!(
                    on.exec_time,
                    off.exec_time + on.processor_taken,
                    "{name} unmigrated"
                );
            }
        }
    }
}

// Reference: spec §11.10 — two computations on one node are counted (the counter the test
// above relies on can see one).
#[test]
fn two_computations_on_one_node_are_counted() {
    let w = workload("synthetic", Synthetic::default(), &Shapes::builtin()).unwrap();
    let mut world = World::new(Paper::cfg(), Costs::i386(), 1);
    world.load(&w);
    world.spawn_root(0, w.start_node);
    world.run_until(LIMIT);
    assert_eq!(world.stats.computations_overlapping, 1);
}

// Reference: spec §11.10 — the node is busy with system work until `cpu_busy_until`: a
// computation started meanwhile waits for the processor, and one suspended meanwhile keeps
// only its own work to do (the processor time still ahead is not taken from it).
#[test]
fn a_busy_processor_holds_new_computations_and_releases_suspended_ones() {
    let w = workload("synthetic", Synthetic::default(), &Shapes::builtin()).unwrap();
    let rpc = MsgShape::new(MsgKind::Rpc, true);
    let cost = Costs::i386().price(&rpc);
    let mut world = World::new(Paper::cfg(), Costs::i386(), 1);
    let pid = world.load(&w);
    world.run_until(1000 * NS_PER_MS);
    let until = |world: &World| match world.nodes[1].kernel.tasks[&pid].exec.run {
        Run::Computing { until } => until,
        ref r => panic!("not computing: {r:?}"),
    };
    let before = until(&world);
    world.system_work(1, None, &rpc, cost);
    assert_eq!(until(&world), before + cost);
    assert_eq!(world.cpu_busy_until[1], world.now() + cost);
    // A second process starting now waits for the processor too.
    world.spawn_root(0, 1);
    world.step();
    assert_eq!(world.stats.processor_taken, 2 * cost);
    // Suspended before the system work is done, the first keeps its own work only.
    world.nodes[1].kernel.tasks.get_mut(&pid).unwrap().suspend();
    world.task_suspended(pid);
    assert_eq!(
        world.nodes[1].kernel.tasks[&pid].exec.run,
        Run::Paused {
            left: before - world.now()
        }
    );
    assert_eq!(world.stats.processor_taken, cost);
}

/// A world on node 1 running programs that each compute for the given ms and exit; each is
/// started at its own ms. Returns the world and the pids, after starting them all.
fn computing(cfg: Config, jobs: &[(u64, u64)]) -> (World, Vec<Pid>) {
    use osfmig_refimpl::workload::{Op, Program, Workload};
    let programs = jobs
        .iter()
        .map(|&(_, ms)| Program::null("c", vec![Op::Compute(ms * NS_PER_MS), Op::Exit]))
        .collect();
    let w = Workload {
        name: "computations".into(),
        programs,
        start_node: 1,
        dst: 2,
        migrate_at: 0,
    };
    let mut world = World::new(cfg, Costs::i386(), 1);
    world.load(&w);
    let mut pids = vec![world.root];
    for (prog, &(at, _)) in jobs.iter().enumerate().skip(1) {
        advance_to(&mut world, at);
        pids.push(world.spawn_root(prog, 1));
    }
    (world, pids)
}

/// Runs `world` until `ms`, with its clock at `ms`: the clock moves only with events, and a
/// completion for no process is one that does nothing.
fn advance_to(world: &mut World, ms: u64) {
    world.q.at(
        ms * NS_PER_MS,
        Ev::ComputeDone {
            pid: Pid::MAX,
            gen: 0,
        },
    );
    world.run_until(ms * NS_PER_MS);
    assert_eq!(world.now(), ms * NS_PER_MS);
}

/// When `pid`'s computation ends as things stand (in ms), or `None` if it is not computing.
fn ends(world: &World, pid: Pid) -> Option<f64> {
    match world.nodes[1].kernel.tasks.get(&pid)?.exec.run {
        Run::Computing { until } => Some(until as f64 / NS_PER_MS as f64),
        _ => None,
    }
}

// Reference: spec §11.10 — two user computations on one node share its processor equally:
// started together they end together, at twice their work; with a processor each (switch
// off) each ends after its own work.
#[test]
fn computations_on_one_node_share_its_processor() {
    let (mut world, pids) = computing(on(), &[(0, 1000), (0, 1000)]);
    world.run_until(NS_PER_MS);
    let (a, b) = (
        ends(&world, pids[0]).unwrap(),
        ends(&world, pids[1]).unwrap(),
    );
    assert!((a - b).abs() < 1.0, "{a} {b}");
    assert!((a - 2000.0).abs() < 5.0, "{a}");
    let off = Config {
        cpu_contention: false,
        ..on()
    };
    let (mut world, pids) = computing(off, &[(0, 1000), (0, 1000)]);
    world.run_until(NS_PER_MS);
    let a = ends(&world, pids[0]).unwrap();
    assert!((a - 1000.0).abs() < 5.0, "{a}");
}

// Reference: spec §11.10 — sharing is work-conserving: a computation joining halfway slows
// the first to half speed, and speeds up again when the first ends; the two end when their
// total work is done.
#[test]
fn a_joining_computation_halves_the_rate_until_one_ends() {
    let (mut world, pids) = computing(on(), &[(0, 1000), (500, 1000)]);
    world.run_until(501 * NS_PER_MS);
    let a = ends(&world, pids[0]).unwrap();
    let b = ends(&world, pids[1]).unwrap();
    // 500 ms of work left to the first at half rate; the second's 1000 ms at half rate.
    assert!((a - 1500.0).abs() < 5.0, "{a}");
    assert!((b - 2500.0).abs() < 5.0, "{b}");
    world.run_until(1600 * NS_PER_MS);
    assert_eq!(ends(&world, pids[0]), None);
    let b = ends(&world, pids[1]).unwrap();
    // At 1500 ms the second has done 500 ms and has the processor alone for the rest, less
    // what the first's exit() takes of it.
    assert!((2000.0..2010.0).contains(&b), "{b}");
}

// Reference: spec §11.10 — a computation suspended while sharing keeps its own work left
// (not the others' shares), and the other computation has the processor to itself.
#[test]
fn a_suspended_sharer_keeps_its_work_and_frees_its_share() {
    let (mut world, pids) = computing(on(), &[(0, 1000), (0, 1000)]);
    advance_to(&mut world, 400);
    let a = pids[0];
    world.nodes[1].kernel.tasks.get_mut(&a).unwrap().suspend();
    world.task_suspended(a);
    // 400 ms at half rate: 200 ms of work done, 800 ms left, in whole nanoseconds.
    let Run::Paused { left } = world.nodes[1].kernel.tasks[&a].exec.run else {
        panic!("not paused");
    };
    assert!(
        (left as f64 / NS_PER_MS as f64 - 800.0).abs() < 5.0,
        "{left}"
    );
    let b = ends(&world, pids[1]).unwrap();
    assert!((b - 1200.0).abs() < 5.0, "{b}");
}

// Reference: spec §11.10, §5.2 — a dead-name notification is system work on the survivor
// that receives it: its receiving half of the message's processor time.
#[test]
fn a_dead_name_notification_takes_the_survivors_processor() {
    let c = Costs::i386();
    let base = exit_after(on(), |_| {});
    let note = MsgShape::new(MsgKind::Async, false);
    let half = (c.price(&note) - c.wire(&note)) / 2;
    assert!(half > 0);
    let notified = exit_after(on(), |w| w.on_dead_name(1, 2));
    assert_eq!(notified - base, half);
    let elsewhere = exit_after(on(), |w| w.on_dead_name(2, 0));
    assert_eq!(elsewhere, base);
}

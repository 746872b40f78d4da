//! spec §5.5 Requests lost with a node: what the crashed PMA held (a pending queue, a wait()
//! in progress, the pcntl caller of a migration) is marked `Lost` at the crash, and the
//! invariants P1–P10 still hold.

use osfmig_refimpl::invariants;
use osfmig_refimpl::run::LIMIT;
use osfmig_refimpl::sim::NS_PER_MS;
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{workload, Mode, Shapes, Synthetic};
use osfmig_refimpl::world::{Call, Config, ReqStatus, World};

fn world() -> World {
    World::new(
        Config {
            trace: true,
            check_invariants: true,
            ..Config::default()
        },
        Costs::i386(),
        1,
    )
}

/// No request still claims to be queued or executing at a PMA when no live PMA holds its
/// target: everything the dead node held is `Lost`.
fn nothing_stranded(w: &World) -> Result<(), String> {
    for (i, r) in w.reqs.iter().enumerate() {
        if matches!(r.status, ReqStatus::Queued | ReqStatus::InProgress)
            && !w
                .nodes
                .iter()
                .any(|n| n.alive && n.pma.procs.contains_key(&r.target))
        {
            return Err(format!(
                "req {i} ({:?} on pid {}) left {:?}",
                r.call, r.target, r.status
            ));
        }
    }
    Ok(())
}

// Reference: spec §5.5 / §3.2.1 R4 — gcc is migrated while its driver waits for cc1, so the
// source PMA holds the wait() in progress and the monitor's pcntl; the source crashes
// before the freeze completes: both requests are lost with it.
#[test]
fn source_crash_while_freezing_loses_the_wait_and_the_pcntl() {
    let s = Shapes::builtin();
    let w = workload("gcc", Synthetic::default(), &s).unwrap();
    let mut world = world();
    let pid = world.load(&w);
    world.schedule_migration(w.migrate_at, pid, 2, Mode::Process);
    world.schedule_crash(w.migrate_at + 100 * NS_PER_MS, 1);
    world.run_until(LIMIT);
    let status = |call: fn(&Call) -> bool| {
        world
            .reqs
            .iter()
            .filter(|r| r.target == pid && call(&r.call))
            .map(|r| r.status)
            .collect::<Vec<_>>()
    };
    let waits = status(|c| *c == Call::Wait);
    assert_eq!(
        waits.last(),
        Some(&ReqStatus::Lost),
        "{waits:?}\n{}",
        world.trace.render()
    );
    let pcntl = status(|c| matches!(c, Call::Migrate { .. }));
    assert_eq!(pcntl, vec![ReqStatus::Lost], "{}", world.trace.render());
    assert_eq!(world.pcntl_outstanding, 0);
    let rec = &world.stats.migrations[0];
    assert_eq!(rec.outcome.as_deref(), Some("Lost"));
    invariants::check(&world).unwrap();
    nothing_stranded(&world).unwrap();
}

// Reference: spec §5.5 — the same with task migration (T1 holds the pcntl at S) and with
// the source crashing at several points of a process migration of the null process: no
// request is left queued or in progress at a dead PMA, and P1–P10 hold.
#[test]
fn no_request_left_at_a_dead_pma() {
    let s = Shapes::builtin();
    for (name, mode) in [
        ("gcc", Mode::Task),
        ("make", Mode::Process),
        ("make", Mode::Task),
        ("synthetic", Mode::Process),
    ] {
        let w = workload(
            name,
            Synthetic {
                pages: 8,
                files: 2,
                touch_after: 8,
            },
            &s,
        )
        .unwrap();
        for delay in [0u64, 5, 50, 300, 800, 1400, 2500] {
            for crashed in [1usize, 2] {
                let mut world = world();
                let pid = world.load(&w);
                world.schedule_migration(w.migrate_at, pid, 2, mode);
                world.schedule_crash(w.migrate_at + delay * NS_PER_MS, crashed);
                world.run_until(LIMIT);
                invariants::check(&world).unwrap();
                nothing_stranded(&world).unwrap_or_else(|e| {
                    panic!(
                        "{name} {mode:?} node {crashed} crashes +{delay} ms: {e}\n{}",
                        world.trace.render()
                    )
                });
            }
        }
    }
}

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

/// A world of two scripted processes (spec §12.8): pid 0 on node 1, pid 1 on node 2; every
/// PMA's vproc for each names the node it lives on.
fn scripted() -> World {
    let mut w = world();
    w.load_scripted(&[1, 2]);
    w.run_until(0);
    w
}

/// Runs until quiet. Nothing is in transit then, so a request still `Routing` has no message
/// carrying it any more: it was dropped without being marked `Lost`.
fn quiesce(w: &mut World) {
    w.run_until(LIMIT);
    assert!(w.q.is_empty());
    invariants::check(w).unwrap();
    nothing_stranded(w).unwrap();
    for (i, r) in w.reqs.iter().enumerate() {
        assert_ne!(
            r.status,
            ReqStatus::Routing,
            "req {i} ({:?} on pid {}) routed by no message\n{}",
            r.call,
            r.target,
            w.trace.render()
        );
    }
}

/// The request a message dropped to a dead node carried is `Lost`, and its caller, who
/// survives, is answered: it has nothing outstanding any more.
fn assert_lost_and_answered(w: &World, r: usize, caller: u32) {
    assert_eq!(
        w.reqs[r].status,
        ReqStatus::Lost,
        "req {r} {:?}\n{}",
        w.reqs[r],
        w.trace.render()
    );
    assert_eq!(w.open_calls[caller as usize], 0, "{}", w.trace.render());
    let n = w.port_holder(caller).expect("the caller survives");
    assert_eq!(w.nodes[n].kernel.tasks[&caller].emulator.outstanding, 0);
}

// Reference: spec §5.5 / §4.1 — node 2 has crashed and no survivor has handled it yet; pid 0
// calls kill() on pid 1, whose vproc at node 1 still names node 2: the Request vanishes at
// send, and with it the request (it is held by no PMA). It is `Lost`, and the caller's call
// returns an error instead of hanging.
#[test]
fn request_sent_to_a_dead_node_is_lost() {
    let mut w = scripted();
    w.crash(2);
    let r = w.reqs.len();
    w.inject_call(0, 1, Call::Kill).unwrap();
    quiesce(&mut w);
    assert_lost_and_answered(&w, r, 0);
}

// Reference: spec §5.5 / §4.1 — the same with the Request already in transit when node 2
// crashes: it is dropped at delivery, and the request is `Lost`.
#[test]
fn request_in_transit_to_a_node_that_crashes_is_lost() {
    let mut w = scripted();
    let r = w.reqs.len();
    w.inject_call(0, 1, Call::Kill).unwrap();
    // The Syscall reaches node 1's PMA (local) and the Request leaves for node 2.
    w.run_until(w.now() + 2 * NS_PER_MS);
    assert!(
        w.q.pending().iter().any(|(_, _, ev)| matches!(
            ev,
            osfmig_refimpl::world::Ev::Deliver(m)
                if matches!(m.body, osfmig_refimpl::world::Body::Request(q) if q as usize == r)
        )),
        "{}",
        w.trace.render()
    );
    w.crash(2);
    quiesce(&mut w);
    assert_lost_and_answered(&w, r, 0);
}

// Reference: spec §5.5 — a pcntl(MIGRATE) of pid 1 right after pid 1's node crashed: the
// master's PMA routes it to node 2 before the PM Master has buried pid 1, the Request
// vanishes, and the monitor stops waiting (its migration record says `Lost`).
#[test]
fn pcntl_routed_to_a_dead_node_is_lost() {
    let mut w = scripted();
    w.crash(2);
    let r = w.reqs.len();
    w.pcntl(1, 1, Mode::Process);
    quiesce(&mut w);
    assert_eq!(w.reqs[r].status, ReqStatus::Lost, "{}", w.trace.render());
    assert_eq!(w.pcntl_outstanding, 0);
    assert_eq!(w.stats.migrations[0].outcome.as_deref(), Some("Lost"));
}

// Reference: spec §5.5 / §4.1 — node 2 serves pid 0's kill() on pid 1 and crashes with the
// Reply in transit: the crash discards what node 2 sent (`crash::crash`), and the request
// with it; pid 0, on node 1, survives and must not wait for ever.
#[test]
fn reply_sent_by_a_node_that_crashes_is_lost() {
    let mut w = scripted();
    let r = w.reqs.len();
    w.inject_call(0, 1, Call::Kill).unwrap();
    let reply_pending = |w: &World| {
        w.q.pending().iter().any(|(_, _, ev)| {
            matches!(
                ev,
                osfmig_refimpl::world::Ev::Deliver(m)
                    if matches!(m.body, osfmig_refimpl::world::Body::Reply(q, _) if q as usize == r)
            )
        })
    };
    while !reply_pending(&w) {
        assert!(w.step(), "{}", w.trace.render());
    }
    w.crash(2);
    quiesce(&mut w);
    assert_lost_and_answered(&w, r, 0);
}

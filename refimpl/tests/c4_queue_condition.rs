//! C4's condition (paper §3.2 (c)): "Should the source node crash, one might think that the
//! process could be restarted on this node if no system call request was enqueued on the
//! source node." With `Config::c4_queue_condition` on, a source that crashes after the pull
//! holding requests queued for the process (R2) has the destination kill it when it learns
//! of the crash; off, the process survives at the destination and only the requests die.

use osfmig_refimpl::pm_master::Life;
use osfmig_refimpl::pma::List;
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{Mode, Strategy};
use osfmig_refimpl::world::{Call, Config, Ev, ReqStatus, World};

fn reached(w: &World, item: &str) -> bool {
    w.trace.reached.iter().any(|(_, i)| *i == item)
}

/// Runs the earliest pending event (per-channel FIFO kept) that `pick` accepts; false if none.
fn run_first(w: &mut World, pick: impl Fn(&Ev) -> bool) -> bool {
    let pending = w.q.pending();
    let found = w
        .choices()
        .into_iter()
        .find(|c| pending.iter().any(|(_, seq, ev)| *seq == c.seq && pick(ev)));
    found.is_some_and(|c| w.run_choice(c.seq))
}

/// Whether node 2 restarted pid 0 (R13) at some point.
fn restarted_at_d(w: &World) -> bool {
    w.trace
        .entries
        .iter()
        .any(|e| e.node == 2 && e.rule == "R13" && e.what.contains("restarted"))
}

fn incoming_at_d(w: &World) -> bool {
    w.nodes[2]
        .pma
        .procs
        .get(&0)
        .is_some_and(|p| p.list == List::Incoming)
}

/// Pid 0 migrates from node 1 to node 2 under eager copy (nothing of it stays on node 1);
/// pid 1, on the master node, signals it while it freezes, so the request waits in node 1's
/// pending queue Q (R2). Node 1 crashes after the pull and after the PM Master's location
/// update (so P is not buried, spec §5.3), before P restarts at node 2. Node 2 then learns
/// of the crash before it restarts P, or (`restart_first`) restarts P first.
fn run(queue_condition: bool, restart_first: bool) -> World {
    let cfg = Config {
        strategy: Strategy::Eager,
        c4_queue_condition: queue_condition,
        trace: true,
        check_invariants: true,
        ..Config::default()
    };
    let mut w = World::new(cfg, Costs::i386(), 1);
    w.load_scripted(&[1, 0]);
    w.pcntl(0, 2, Mode::Process);
    let mut signalled = false;
    loop {
        let freezing = w.nodes[1]
            .pma
            .procs
            .get(&0)
            .is_some_and(|p| p.out.is_some());
        if !signalled && freezing {
            w.inject_call(1, 0, Call::Kill).unwrap();
            signalled = true;
        }
        let queued = w.nodes[1]
            .pma
            .procs
            .get(&0)
            .and_then(|p| p.out.as_ref())
            .is_some_and(|o| !o.queue.is_empty());
        let shipped = w.nodes[1].pma.migrating.contains(&0)
            && !w.nodes[1].kernel.tasks.contains_key(&0)
            && w.nodes[2].kernel.tasks.contains_key(&0);
        if queued && shipped && w.pmm.location(0) == Some(2) && incoming_at_d(&w) {
            break;
        }
        assert!(w.step(), "the window was never met\n{}", w.trace.render());
    }
    w.crash(1);
    let notice = |ev: &Ev| {
        matches!(
            ev,
            Ev::DeadName { node: 2, .. }
                | Ev::Detect {
                    node: 2,
                    pid: 0,
                    ..
                }
        )
    };
    if restart_first {
        while incoming_at_d(&w) {
            assert!(run_first(&mut w, |ev| !notice(ev)), "{}", w.trace.render());
        }
        assert!(w.nodes[2].kernel.tasks.contains_key(&0), "restarted at D");
    } else {
        while w.nodes[2]
            .pma
            .procs
            .get(&0)
            .is_some_and(|p| p.list == List::Incoming)
        {
            if !run_first(&mut w, notice) {
                break;
            }
        }
    }
    while w.step() {}
    assert!(w.stats.violations.is_empty(), "{:?}", w.stats.violations);
    // The signal died with node 1's queue either way (spec §5.5).
    assert!(w
        .reqs
        .iter()
        .all(|r| !matches!(r.status, ReqStatus::Queued | ReqStatus::InProgress)));
    w
}

// Reference: spec §5.4 — C4 under C4's condition: S crashes after the pull with a request
// queued for P; D kills P when it learns of the crash (QueueLost), whether it restarted P
// already or not, and the PM Master records the death. S-C4-queue-lost, not S-C4-survived.
#[test]
fn a_request_lost_in_the_source_queue_kills_the_process_at_d() {
    for restart_first in [false, true] {
        let w = run(true, restart_first);
        let ctx = format!("restarted first {restart_first}\n{}", w.trace.render());
        assert!(reached(&w, "S-C4-queue-lost"), "{ctx}");
        assert_eq!(restarted_at_d(&w), restart_first, "{ctx}");
        assert!(!reached(&w, "S-C4-survived"), "{ctx}");
        assert_eq!(w.task_node(0), None, "{ctx}");
        assert!(!w.nodes[2].pma.procs.contains_key(&0), "{ctx}");
        assert_eq!(
            w.pmm.entries.get(&0).map(|e| e.life),
            Some(Life::Dead),
            "{ctx}"
        );
        assert!(w.c4_shipped.is_empty());
    }
}

// Reference: spec §5.4 — the same runs with C4's condition off (the run c4-queue-ignored):
// P survives at D, whether D restarted it before or after it learnt of the crash; only the
// queued request died with S.
#[test]
fn with_the_condition_off_the_process_survives_at_d() {
    for restart_first in [false, true] {
        let w = run(false, restart_first);
        let ctx = format!("restarted first {restart_first}\n{}", w.trace.render());
        assert!(!reached(&w, "S-C4-queue-lost"), "{ctx}");
        assert!(reached(&w, "S-C4-survived"), "{ctx}");
        assert_eq!(w.task_node(0), Some(2), "{ctx}");
        assert_eq!(
            w.nodes[2].pma.procs.get(&0).map(|p| p.list),
            Some(List::Active),
            "{ctx}"
        );
        assert_eq!(
            w.pmm.entries.get(&0).map(|e| e.life),
            Some(Life::Alive),
            "{ctx}"
        );
    }
}

// Reference: spec §5.4 — with an empty queue at S the condition holds: P is restarted and
// survives even with the switch on (S-C4-survived).
#[test]
fn an_empty_source_queue_keeps_the_process() {
    let cfg = Config {
        strategy: Strategy::Eager,
        trace: true,
        check_invariants: true,
        ..Config::default()
    };
    let mut w = World::new(cfg, Costs::i386(), 1);
    w.load_scripted(&[1]);
    w.pcntl(0, 2, Mode::Process);
    let mut crashed = false;
    while w.step() {
        let incoming = w.nodes[2]
            .pma
            .procs
            .get(&0)
            .is_some_and(|p| p.list == List::Incoming);
        if !crashed
            && w.pmm.location(0) == Some(2)
            && w.nodes[1].pma.migrating.contains(&0)
            && incoming
        {
            w.crash(1);
            crashed = true;
        }
    }
    assert!(crashed, "{}", w.trace.render());
    assert!(reached(&w, "S-C4-survived"), "{}", w.trace.render());
    assert!(!reached(&w, "S-C4-queue-lost"));
    assert_eq!(w.task_node(0), Some(2));
}

//! The refimpl's port queues, page-by-page pre-copy and the monitors of the interesting cases
//! it reports to trace recording (spec §11.3, §12.16).

use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{Mode, Strategy};
use osfmig_refimpl::world::{Call, Config, World};

fn scripted(strategy: Strategy, p11_fix: bool, homes: &[usize]) -> World {
    let cfg = Config {
        strategy,
        p11_fix,
        trace: true,
        check_invariants: true,
        ..Config::default()
    };
    let mut w = World::new(cfg, Costs::i386(), 1);
    w.load_scripted(homes);
    w
}

/// Process 0 on node 1 reads a file while its threads are suspended; the run goes on until
/// nothing is left to do, so the reply waits in its port.
fn reply_queued_while_suspended() -> World {
    let mut w = scripted(Strategy::Cor, true, &[1]);
    w.inject_file_read(0).unwrap();
    w.nodes[1].kernel.tasks.get_mut(&0).unwrap().suspend();
    while w.step() {}
    w
}

fn reached(w: &World, item: &str) -> bool {
    w.trace.reached.iter().any(|(_, i)| *i == item)
}

// Reference: spec §12.8 — a file reply that reaches a task whose threads are suspended waits
// in its reply port (it is not received), and is received when the threads run again, in an
// event of its own after the one that resumed them (the model's ConsumeReply is a step).
#[test]
fn a_reply_to_a_suspended_task_waits_in_its_port() {
    let mut w = reply_queued_while_suspended();
    let t = &w.nodes[1].kernel.tasks[&0];
    assert_eq!(t.space.ports.first().map(|p| p.queued), Some(1));
    assert!(w.file_reads.contains(&0), "not received while suspended");
    w.nodes[1].kernel.tasks.get_mut(&0).unwrap().resume();
    w.run_task(0);
    assert_eq!(w.nodes[1].kernel.tasks[&0].space.ports[0].queued, 1);
    assert!(w.file_reads.contains(&0), "not yet received as it resumes");
    assert!(w.step(), "the receipt is an event");
    assert_eq!(w.nodes[1].kernel.tasks[&0].space.ports[0].queued, 0);
    assert!(!w.file_reads.contains(&0), "received once running");
}

// Reference: spec §12.16 — the queued reply moves with the task: the pull of a task with a
// reply in its port reaches S-port-queue, and the reply is received at the destination.
#[test]
fn a_queued_reply_moves_with_the_task() {
    // Held suspended (as by a debugger) until the freeze has suspended it too, so the
    // reply is still queued when the task is pulled.
    let mut w = reply_queued_while_suspended();
    w.pcntl(0, 2, Mode::Process);
    let mut released = false;
    while w.step() {
        if !released && w.nodes[1].pma.migrating.contains(&0) {
            w.nodes[1].kernel.tasks.get_mut(&0).unwrap().resume();
            released = true;
        }
    }
    assert!(released);
    assert!(reached(&w, "S-port-queue"), "{:?}", w.trace.reached);
    assert_eq!(w.task_node(0), Some(2));
    assert!(!w.file_reads.contains(&0), "received at the destination");
}

// Reference: spec §12.8 — pre-copy goes page by page: a write to a page already pre-copied
// makes it dirty (S-precopy-dirty at the pull), a write to one not yet copied does not.
#[test]
fn precopy_dirties_only_pages_already_copied() {
    let mut w = scripted(Strategy::Precopy, true, &[1]);
    w.pcntl(0, 2, Mode::Process);
    let mut wrote = false;
    while w.step() {
        let t = &w.nodes[1].kernel.tasks.get(&0);
        let Some(t) = t else { continue };
        if !wrote && !t.precopied_pages.is_empty() && !t.precopy_todo.is_empty() {
            let (done, todo) = (t.precopied_pages[0], t.precopy_todo[0]);
            w.inject_write(0, todo).unwrap();
            w.inject_write(0, done).unwrap();
            let t = &w.nodes[1].kernel.tasks[&0];
            assert_eq!(t.dirty, vec![done]);
            wrote = true;
        }
    }
    assert!(wrote, "the pre-copy had a window with pages on both sides");
    assert!(reached(&w, "S-precopy-dirty"));
    assert_eq!(w.task_node(0), Some(2));
}

// Reference: spec §12.16 — without the P11 fix the refimpl serves a direct call at D before
// the forwarded queue holds an earlier call of the same sender: its P11 check and the
// S-overtaken monitor see it; with the fix neither fires on the same schedule.
#[test]
fn p11_overtaking_is_seen_without_the_fix() {
    for fix in [false, true] {
        // pid 1 runs on D: once pid 0 is restarted there, its calls on pid 0 are local.
        let mut w = scripted(Strategy::Cor, fix, &[1, 2]);
        w.cfg.check_invariants = false;
        w.pcntl(0, 2, Mode::Process);
        // pid 1 signals pid 0 while it is frozen (queued at S), and again once it runs at D
        // while S still holds the queue.
        let mut first = false;
        let mut second = false;
        while w.step() {
            let frozen = w.nodes[1].pma.migrating.contains(&0);
            if !first && frozen {
                w.inject_call(1, 0, Call::Kill).unwrap();
                first = true;
            }
            let at_d = w.nodes[2]
                .pma
                .procs
                .get(&0)
                .is_some_and(|p| p.list == osfmig_refimpl::pma::List::Active);
            if first && !second && at_d && w.nodes[1].pma.procs.contains_key(&0) {
                w.inject_call(1, 0, Call::Kill).unwrap();
                second = true;
            }
        }
        assert!(first && second, "fix {fix}: the schedule happened");
        assert_eq!(reached(&w, "S-overtaken"), !fix, "fix {fix}");
        assert_eq!(
            w.stats.violations.iter().any(|v| v.starts_with("P11")),
            !fix,
            "fix {fix}: {:?}",
            w.stats.violations
        );
    }
}

// Reference: spec §5.4, §12.16 — C4 as the model marks it: S crashes after the pull and before
// P restarted at D (here: after the PM Master's location update, so P is not buried). Under eager copy nothing of P stays on S, so P restarts and the
// monitor reports S-C4-survived; a crash of S after the restart is not C4 and reports nothing.
#[test]
fn c4_survival_is_seen_only_between_commit_and_restart() {
    for before_restart in [true, false] {
        let mut w = scripted(Strategy::Eager, true, &[1]);
        w.pcntl(0, 2, Mode::Process);
        let mut crashed = false;
        while w.step() {
            // The pull is over and the PM Master already locates P at D (R13's first half):
            // a crash during the pull's page traffic is C1 in the refimpl (the pull fails),
            // and one before the location update has the PM Master bury P (spec §5.3).
            let committed = w.pmm.location(0) == Some(2) && w.nodes[1].pma.migrating.contains(&0);
            let restarted = w.nodes[2]
                .pma
                .procs
                .get(&0)
                .is_some_and(|p| p.list == osfmig_refimpl::pma::List::Active);
            if !crashed && committed && restarted != before_restart {
                w.crash(1);
                crashed = true;
            }
        }
        assert!(
            crashed,
            "before restart {before_restart}: the window was met"
        );
        assert_eq!(
            reached(&w, "S-C4-survived"),
            before_restart,
            "before restart {before_restart}: {:?}\n{}",
            w.trace.reached,
            w.trace.render()
        );
        assert!(w.c4_shipped.is_empty());
        assert_eq!(w.task_node(0), Some(2), "P runs on at D");
    }
}

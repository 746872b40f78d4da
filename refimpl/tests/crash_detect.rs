//! spec §5.2 Detection is per (node, pid): a survivor handles each of its processes that
//! depends on a crashed node as a step of its own, in any order with the rest of the
//! protocol, so that one process's detection can come before another's next step.

use osfmig_refimpl::invariants;
use osfmig_refimpl::pma::List;
use osfmig_refimpl::run::LIMIT;
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::Mode;
use osfmig_refimpl::world::{Config, Ev, World};

/// The pending event that `pick` accepts; the test fails if there is none.
fn seq_of(w: &World, pick: impl Fn(&Ev) -> bool) -> u64 {
    w.q.pending()
        .into_iter()
        .find(|(_, _, ev)| pick(ev))
        .map(|(_, seq, _)| seq)
        .unwrap_or_else(|| panic!("no such event pending\n{}", w.trace.render()))
}

fn suspended(w: &World, pid: u32) -> bool {
    w.nodes[1].kernel.tasks[&pid].suspended()
}

// Reference: spec §5.2, §5.4 C2, G1 (the ci preset's run crash-group) — pcntl migrates pid 1
// from node 1 to node 2 and G1 takes pid 0, on node 1 too, along; node 2 crashes while both
// freeze. Node 1 reinstates pid 1 (C2) while pid 0 is still freezing; pid 0 then reaches R6
// and sends its image to the dead node, and its own detection reinstates it: both run
// again, and no process is left frozen (P12).
#[test]
fn group_members_towards_a_dead_destination_are_detected_one_by_one() {
    let mut w = World::new(
        Config {
            trace: true,
            check_invariants: true,
            group: true,
            ..Config::default()
        },
        Costs::i386(),
        1,
    );
    w.load_scripted(&[1, 1]);
    w.run_until(0);
    w.pcntl(1, 2, Mode::Process);
    while !(suspended(&w, 0) && suspended(&w, 1)) {
        assert!(w.step(), "{}", w.trace.render());
    }
    w.crash(2);
    let note = seq_of(&w, |ev| matches!(ev, Ev::DeadName { node: 1, dead: 2 }));
    w.run_choice(note);
    let detect = |pid: u32| move |ev: &Ev| matches!(ev, Ev::Detect { node: 1, dead: 2, pid: p } if *p == pid);
    let one = seq_of(&w, detect(1));
    w.run_choice(one);
    assert!(!suspended(&w, 1), "{}", w.trace.render());
    assert!(suspended(&w, 0), "{}", w.trace.render());
    // Pid 0 goes on freezing: R5 and R6, its MigrateRequest vanishing at send.
    while w.nodes[1].pma.procs[&0].list != List::Migrating {
        let next = w
            .choices()
            .into_iter()
            .find(|c| {
                !w.q.pending()
                    .iter()
                    .any(|(_, seq, ev)| *seq == c.seq && detect(0)(ev))
            })
            .unwrap_or_else(|| panic!("pid 0 never reached R6\n{}", w.trace.render()));
        w.run_choice(next.seq);
    }
    let zero = seq_of(&w, detect(0));
    w.run_choice(zero);
    w.run_until(LIMIT);
    for pid in [0, 1] {
        let p = &w.nodes[1].pma.procs[&pid];
        assert!(
            p.list == List::Active && p.out.is_none(),
            "{}",
            w.trace.render()
        );
        assert!(
            w.nodes[1].kernel.tasks[&pid].running(),
            "pid {pid} left frozen\n{}",
            w.trace.render()
        );
    }
    invariants::check(&w).unwrap();
}

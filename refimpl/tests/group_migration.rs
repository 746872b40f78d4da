//! G1 (paper §4): `pcntl` offers "adding a process to a migration process group, to force the
//! migration of the whole group of processes when one member is migrated". The leader's PMA
//! knows only its own processes; the PM Master, which keeps the process group relationships
//! and every process's node (paper §2), has the PMAs of the other members migrate them too
//! (spec §3.3.4). In which order the members freeze the paper does not say:
//! `Config::group_order` chooses all at once or one after another.

use osfmig_refimpl::pm_master::{GroupRun, Life};
use osfmig_refimpl::pma::List;
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{GroupOrder, Mode};
use osfmig_refimpl::world::{Body, Config, Ep, Ev, World};

fn reached(w: &World, item: &str) -> bool {
    w.trace.reached.iter().any(|(_, i)| *i == item)
}

fn world(nodes: usize, order: GroupOrder, homes: &[usize]) -> World {
    let cfg = Config {
        nodes,
        group: true,
        group_order: order,
        trace: true,
        check_invariants: true,
        ..Config::default()
    };
    let mut w = World::new(cfg, Costs::i386(), 1);
    w.load_scripted(homes);
    w
}

/// Whether `pid` is being frozen or migrated out of `node` (R1 started it there).
fn leaving(w: &World, node: usize, pid: u32) -> bool {
    w.nodes[node]
        .pma
        .procs
        .get(&pid)
        .is_some_and(|p| p.out.is_some())
}

fn settled_at(w: &World, pid: u32, node: usize) -> bool {
    w.task_node(pid) == Some(node)
        && w.pmm.location(pid) == Some(node)
        && w.nodes[node]
            .pma
            .procs
            .get(&pid)
            .is_some_and(|p| p.list == List::Active && p.out.is_none())
}

// Reference: spec §3.3.4 — a member on neither the leader's node nor the destination: the
// leader's PMA cannot see it, the PM Master asks its PMA, and the whole group ends on the
// destination (S-group-remote), in either order.
#[test]
fn a_member_on_another_node_migrates_with_its_leader() {
    for order in [GroupOrder::AllAtOnce, GroupOrder::OneAfterAnother] {
        let mut w = world(4, order, &[1, 2]);
        w.pcntl(0, 3, Mode::Process);
        while w.step() {}
        let ctx = format!("{order:?}\n{}", w.trace.render());
        assert!(w.stats.violations.is_empty(), "{:?}", w.stats.violations);
        assert!(settled_at(&w, 0, 3), "{ctx}");
        assert!(settled_at(&w, 1, 3), "{ctx}");
        assert!(reached(&w, "S-group-remote"), "{ctx}");
        assert!(w.pmm.group_run.is_none(), "{ctx}");
    }
}

// Reference: spec §3.3.4 — a member already at the destination stays there: it is where the
// group goes, and nobody asks it to move.
#[test]
fn a_member_at_the_destination_stays() {
    let mut w = world(3, GroupOrder::AllAtOnce, &[1, 2]);
    w.pcntl(0, 2, Mode::Process);
    while w.step() {}
    assert!(settled_at(&w, 0, 2), "{}", w.trace.render());
    assert!(settled_at(&w, 1, 2), "{}", w.trace.render());
    assert_eq!(w.stats.record(1).map(|r| r.started.is_some()), None);
    assert!(!reached(&w, "S-group-remote"));
}

// Reference: spec §3.3.4 — the order. All at once, the co-resident member starts freezing in
// the leader's R1; one after another, it starts only once the leader is frozen and detached
// (on the migrating list), and both still end on the destination.
#[test]
fn one_after_another_waits_for_the_leader_to_be_detached() {
    let mut w = world(3, GroupOrder::AllAtOnce, &[1, 1]);
    w.pcntl(0, 2, Mode::Process);
    while !leaving(&w, 1, 0) {
        assert!(w.step());
    }
    assert!(leaving(&w, 1, 1), "all at once: started with its leader");

    let mut w = world(3, GroupOrder::OneAfterAnother, &[1, 1]);
    w.pcntl(0, 2, Mode::Process);
    let mut member_started = false;
    while w.step() {
        if !member_started && leaving(&w, 1, 1) {
            member_started = true;
            let leader_detached = !w.nodes[1]
                .pma
                .procs
                .get(&0)
                .is_some_and(|p| p.list == List::Active);
            assert!(leader_detached, "started early\n{}", w.trace.render());
        }
    }
    assert!(member_started, "{}", w.trace.render());
    assert!(settled_at(&w, 0, 2), "{}", w.trace.render());
    assert!(settled_at(&w, 1, 2), "{}", w.trace.render());
    assert!(w.pmm.group_run.is_none());
}

// Reference: spec §3.3.4, §5.3 — one after another, the report the PM Master waits for may
// die with the node that owes it, even after the member it is about restarted elsewhere:
// burying that node starts the next member.
#[test]
fn the_burial_of_the_node_owing_the_report_starts_the_next_member() {
    let mut w = world(4, GroupOrder::OneAfterAnother, &[3, 2]);
    // The PM Master waits for pid 0's report from node 1, where pid 0 no longer is.
    w.pmm.group_run = Some(GroupRun {
        dst: 3,
        awaiting: (0, 1),
        todo: [1].into_iter().collect(),
    });
    w.crash(1);
    w.pmm_bury(1);
    assert_eq!(w.pmm.entries.get(&0).map(|e| e.life), Some(Life::Alive));
    let asked = w.q.pending().iter().any(|(_, _, ev)| {
        matches!(ev, Ev::Deliver(m) if m.src == Ep::Pmm && m.dst == Ep::Pma(2)
            && matches!(m.body, Body::MemberMigrate { pid: 1, dst: 3 }))
    });
    assert!(asked, "pid 1 is asked to migrate");
    while w.step() {}
    assert!(settled_at(&w, 1, 3), "{}", w.trace.render());
    assert!(w.pmm.group_run.is_none());
}

//! spec §4.1 / §3.3.6 PM3 / §3.2.5 R13: the PM Master's answers to one PMA take effect there
//! in the order it sent them, and a fork's `PidAllocated` takes effect when the child is
//! created. So a migration's restart at the forking PMA (R13, on the PM Master's
//! `LocationAck`) never comes before the creation of a child whose pid the PM Master gave
//! first (run `fork-crash-spread`, rejected by `traces check` before the fix,
//! `pm_master::Owed`).

use osfmig_refimpl::pma::List;
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::Mode;
use osfmig_refimpl::world::{Call, Config, World};

fn world() -> World {
    let mut w = World::new(
        Config {
            nodes: 3,
            procs_per_node: 3,
            trace: true,
            check_invariants: true,
            ..Config::default()
        },
        Costs::i386(),
        1,
    );
    // As the conformance bridge sets up `fork-crash-spread`: pid 0 on node 1, pid 1 on node 2.
    w.load_scripted(&[1, 2]);
    w
}

// Reference: spec §4.1 ("messages between two actors arrive in the order they were sent"),
// §3.3.6 PM3 step 3 (at N, `PidAllocated`: the child is created), §3.2.5 R13 (restart on
// `LocationAck`). Pid 1 migrates from node 2 to node 1; when its task has arrived, pid 0
// forks at node 1. The PM Master allocates the child's pid before it records pid 1 at node
// 1, so node 1 creates the child before it restarts pid 1.
#[test]
fn restart_waits_for_a_creation_answered_before() {
    let mut w = world();
    w.pcntl(1, 1, Mode::Process);
    // Until the task of pid 1 is installed at node 1 (R11 done at D).
    let mut guard = 0;
    while !(w.nodes[1].kernel.tasks.contains_key(&1) && w.port_holder(1) == Some(1)) {
        assert!(w.step(), "the migration stopped\n{}", w.trace.render());
        guard += 1;
        assert!(guard < 10_000);
    }
    assert_eq!(w.nodes[1].pma.procs[&1].list, List::Incoming);
    w.inject_call(0, 0, Call::Fork { prog: 0, on: None })
        .unwrap();
    // Order of the PM Master's actions, and of their effects at node 1.
    let (mut allocated, mut located, mut created, mut restarted) = (None, None, None, None);
    let mut i = 0usize;
    while w.step() {
        i += 1;
        allocated =
            allocated.or((w.pmm.is_reserved(2) || w.pmm.entries.contains_key(&2)).then_some(i));
        located = located.or((w.pmm.entries[&1].node == 1).then_some(i));
        created = created.or(w.nodes[1].pma.procs.contains_key(&2).then_some(i));
        restarted = restarted
            .or((w.nodes[1].pma.procs.get(&1).map(|p| p.list) == Some(List::Active)).then_some(i));
    }
    let log = w.trace.render();
    let (allocated, located, created, restarted) = (
        allocated.expect("no pid allocated"),
        located.expect("pid 1 not located at node 1"),
        created.expect("no child created"),
        restarted.expect("pid 1 not restarted"),
    );
    // The scenario: the PM Master answered the fork first, and the creation outlasts the
    // R13 round trip.
    assert!(allocated < located, "{log}");
    assert!(
        located < created,
        "the scenario needs the creation under way at R13\n{log}"
    );
    // The fix: the restart waits for the creation.
    assert!(
        created < restarted,
        "R13 overtook the child's creation\n{log}"
    );
    assert!(w.pmm_backlog.is_empty(), "{:?}", w.pmm_backlog);
    osfmig_refimpl::invariants::check(&w).unwrap();
}

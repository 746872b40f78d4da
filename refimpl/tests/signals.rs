//! sigsuspend() and pcntl(ALLOW/DISALLOW) in the refimpl (spec §10 finding 16, paper §3.2.1
//! and §4): what R4 and R4' do with a sigsuspend() in progress, the pending signal carried in
//! the image, and G2 changed at run time.

use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::Mode;
use osfmig_refimpl::world::{Call, Config, Outcome, ReqStatus, World};
use osfmig_refimpl::ReqId;

/// Two scripted processes on node 1, with sigsuspend() in the run.
fn scripted(r4_prime: bool) -> World {
    let cfg = Config {
        r4_prime,
        sigsuspend: true,
        trace: true,
        check_invariants: true,
        ..Config::default()
    };
    let mut w = World::new(cfg, Costs::i386(), 1);
    w.load_scripted(&[1, 1]);
    w
}

fn reached(w: &World, item: &str) -> bool {
    w.trace.reached.iter().any(|(_, i)| *i == item)
}

/// Process `pid` calls `call` on `target`; the request's id.
fn call(w: &mut World, pid: u32, target: u32, call: Call) -> ReqId {
    w.inject_call(pid, target, call).unwrap();
    (w.reqs.len() - 1) as ReqId
}

fn run(w: &mut World) {
    while w.step() {}
}

// Reference: spec §10 finding 16 — under R4 the freeze awaits the sigsuspend() in progress,
// and R2 enqueues the signal that would end it: the migration never ends. Under R4' the
// sigsuspend() is aborted, restarted at the destination, and the forwarded signal ends it
// there.
#[test]
fn r4_awaits_a_sigsuspend_for_ever_and_r4_prime_restarts_it() {
    for r4_prime in [false, true] {
        let mut w = scripted(r4_prime);
        let s = call(&mut w, 0, 0, Call::Sigsuspend);
        run(&mut w);
        assert_eq!(w.reqs[s as usize].status, ReqStatus::InProgress);
        w.pcntl(0, 2, Mode::Process);
        // The signal goes out while the process freezes: it is queued at its source (R2).
        let mut kill = None;
        while w.step() {
            if kill.is_none() && w.nodes[1].pma.procs[&0].out.is_some() {
                kill = Some(call(&mut w, 1, 0, Call::Kill));
            }
        }
        let k = kill.expect("the freeze started") as usize;
        if r4_prime {
            assert!(reached(&w, "S-sigsuspend-aborted"));
            assert!(reached(&w, "S-sigsuspend-woken"));
            assert_eq!(w.task_node(0), Some(2));
            assert_eq!(w.reqs[s as usize].status, ReqStatus::Completed(Outcome::Ok));
            assert_eq!(w.reqs[k].status, ReqStatus::Completed(Outcome::Ok));
        } else {
            assert!(!reached(&w, "S-sigsuspend-aborted"));
            assert_eq!(w.task_node(0), Some(1), "never frozen");
            assert_eq!(w.reqs[s as usize].status, ReqStatus::InProgress);
            assert_eq!(w.reqs[k].status, ReqStatus::Queued);
        }
    }
}

// Reference: paper §3.2.1 — a signal delivered while no sigsuspend() waits stays pending; the
// bit is process state and moves with the process (R6), so a sigsuspend() at the destination
// returns at once, and consumes it.
#[test]
fn a_pending_signal_moves_with_the_process() {
    let mut w = scripted(false);
    call(&mut w, 1, 0, Call::Kill);
    run(&mut w);
    assert!(w.nodes[1].pma.procs[&0].sig_pending);
    w.pcntl(0, 2, Mode::Process);
    run(&mut w);
    assert_eq!(w.task_node(0), Some(2));
    assert!(w.nodes[2].pma.procs[&0].sig_pending);
    let s = call(&mut w, 0, 0, Call::Sigsuspend);
    run(&mut w);
    assert_eq!(w.reqs[s as usize].status, ReqStatus::Completed(Outcome::Ok));
    assert!(reached(&w, "S-sigsuspend-pending"));
    assert!(!w.nodes[2].pma.procs[&0].sig_pending);
}

// Reference: the model's `Calls::sigsuspend` — without sigsuspend() in the run no signal is
// kept pending.
#[test]
fn without_sigsuspend_no_signal_is_kept() {
    let mut w = scripted(false);
    w.cfg.sigsuspend = false;
    call(&mut w, 1, 0, Call::Kill);
    run(&mut w);
    assert!(!w.nodes[1].pma.procs[&0].sig_pending);
}

// Reference: paper §4 — pcntl can "allow/disallow migration for a given process": a
// DISALLOW makes G2 reject the next MIGRATE, an ALLOW lets the one after it through; neither
// is charged to the process.
#[test]
fn pcntl_disallow_then_allow() {
    let mut w = scripted(false);
    w.pcntl_allow(0, false);
    run(&mut w);
    assert!(reached(&w, "S-allow-changed"));
    assert!(!w.nodes[1].pma.procs[&0].allowed);
    assert_eq!(w.nodes[1].pma.procs[&0].rusage.calls_total, 0);
    w.pcntl(0, 2, Mode::Process);
    run(&mut w);
    let last = w.reqs.last().unwrap();
    assert_eq!(last.status, ReqStatus::Completed(Outcome::Rejected));
    assert_eq!(w.task_node(0), Some(1));
    w.pcntl_allow(0, true);
    w.pcntl(0, 2, Mode::Process);
    run(&mut w);
    assert_eq!(w.task_node(0), Some(2));
    assert!(w.nodes[2].pma.procs[&0].allowed);
    assert_eq!(w.pcntl_outstanding, 0);
}

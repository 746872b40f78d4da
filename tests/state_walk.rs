//! Checks on every explored state and step of a run, independent of its verdicts: what the
//! bookkeeping, the ghost and the reachability items must satisfy (spec §5.4, §6.3, §8.1), and
//! the soundness of the search's reductions (fingerprints injective, test nodes
//! interchangeable, spec §8.3, §8.4). The oracle of mutation testing runs them on the first
//! states of every run (`assert_reductions_sound`).

use std::collections::{HashSet, VecDeque};

use osfmig_model::presets::RunSpec;
use osfmig_model::types::{Actor, Msg};
use osfmig_model::{Action, OsfModel, Sys};

use crate::symmetry::assert_symmetric_at;
use stateright::Model;

/// The bytes a state's `Hash` feeds the fingerprint hasher: the packed words of spec §8.4.
pub fn fingerprint_words(st: &Sys) -> Vec<u8> {
    struct Words(Vec<u8>);
    impl std::hash::Hasher for Words {
        fn write(&mut self, b: &[u8]) {
            self.0.extend_from_slice(b);
        }
        fn finish(&self) -> u64 {
            0
        }
    }
    let mut w = Words(Vec::new());
    std::hash::Hash::hash(st, &mut w);
    w.0
}

/// States one field away from `st`: each proc structure under every other list (spec §2.4)
/// with the same contents, each field of a proc changed alone, each task present or absent,
/// each vproc in every form. Distinct
/// ones must hash different words: the encoding tells apart what equality does (spec §8.4),
/// on pairs that reachable states alone may never put side by side.
fn neighbours(st: &Sys) -> Vec<Sys> {
    use osfmig_model::state::{InStage, Local, Outgoing, Task, Vproc};
    let mut out = Vec::new();
    for n in 0..st.nodes.len() {
        for p in 0..st.nodes[n].pma.procs.len() {
            for v in [
                Vproc::Unknown,
                Vproc::Local,
                Vproc::Remote(1),
                Vproc::Enqueue,
            ] {
                let mut t = st.clone();
                t.nodes[n].pma.vprocs[p] = v;
                out.push(t);
            }
            let (proc, o) = match st.nodes[n].pma.procs[p] {
                Local::Free => continue,
                Local::Active { proc, out } => (proc, out),
                Local::Migrating { proc, out } => (proc, Some(out)),
                Local::Incoming { proc, .. } => (proc, None),
            };
            let o = o.unwrap_or(Outgoing {
                dst: 0,
                caller: None,
                queue: Default::default(),
                frozen: false,
                precopy_done: false,
                attempt: 0,
            });
            for l in [
                Local::Free,
                Local::Active { proc, out: None },
                Local::Active { proc, out: Some(o) },
                Local::Migrating { proc, out: o },
                Local::Incoming {
                    proc,
                    src: o.dst,
                    stage: InStage::Accepted,
                    attempt: o.attempt,
                },
            ] {
                let mut t = st.clone();
                t.nodes[n].pma.procs[p] = l;
                out.push(t);
            }
        }
        // A request list in another order, or with one entry naming another request: the
        // lists' contents and order are hashed, not only their lengths.
        for p in 0..st.nodes[n].pma.procs.len() {
            let (held, queue) = match &st.nodes[n].pma.procs[p] {
                Local::Free => continue,
                Local::Active { proc, out: o } => (proc.held, o.map(|o| o.queue)),
                Local::Migrating { proc, out: o } => (proc.held, Some(o.queue)),
                Local::Incoming { proc, .. } => (proc.held, None),
            };
            for l in list_variants(&held, st.reqs.len()) {
                let mut t = st.clone();
                match &mut t.nodes[n].pma.procs[p] {
                    Local::Active { proc, .. }
                    | Local::Migrating { proc, .. }
                    | Local::Incoming { proc, .. } => proc.held = l,
                    Local::Free => {}
                }
                out.push(t);
            }
            for l in queue.iter().flat_map(|q| list_variants(q, st.reqs.len())) {
                let mut t = st.clone();
                match &mut t.nodes[n].pma.procs[p] {
                    Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. } => {
                        o.queue = l
                    }
                    _ => {}
                }
                out.push(t);
            }
        }
        // Each field of a proc structure changed alone: the packed word keeps them apart.
        for p in 0..st.nodes[n].pma.procs.len() {
            for k in 0..10 {
                let mut t = st.clone();
                let proc = match &mut t.nodes[n].pma.procs[p] {
                    Local::Free => break,
                    Local::Active { proc, .. }
                    | Local::Migrating { proc, .. }
                    | Local::Incoming { proc, .. } => proc,
                };
                let toggle = |x: Option<u8>, v: u8| if x.is_some() { None } else { Some(v) };
                match k {
                    0 => proc.usage_total = proc.usage_total.wrapping_add(1),
                    1 => proc.usage_here = proc.usage_here.wrapping_add(1),
                    2 => proc.migrations = proc.migrations.wrapping_add(1),
                    3 => proc.allowed = !proc.allowed,
                    4 => proc.in_progress = toggle(proc.in_progress, 0),
                    5 => proc.exiting = !proc.exiting,
                    6 => proc.awaiting_forward = toggle(proc.awaiting_forward, 1),
                    7 => proc.task_migrating = toggle(proc.task_migrating, 0),
                    8 => proc.source_queue_lost = !proc.source_queue_lost,
                    _ => proc.gen = proc.gen.wrapping_add(1),
                }
                out.push(t);
            }
        }
        // A task removed, or one from elsewhere in the state put in an empty slot.
        let any_task: Option<Task> = st
            .nodes
            .iter()
            .flat_map(|m| m.kernel.tasks.iter().flatten())
            .next()
            .copied();
        for p in 0..st.nodes[n].kernel.tasks.len() {
            let mut t = st.clone();
            let task = &mut t.nodes[n].kernel.tasks[p];
            *task = match task {
                Some(_) => None,
                None => any_task,
            };
            out.push(t);
        }
    }
    // A message re-addressed (another node, or sender and receiver swapped), and a forwarded
    // queue in another order or naming another request.
    let other = |n: u8| 1 + n % (st.nodes.len() as u8 - 1);
    for i in 0..st.net.len() {
        let e = st.net[i];
        let moved = |a: Actor| match a {
            Actor::Pma(n) => Actor::Pma(other(n)),
            Actor::Kernel(n) => Actor::Kernel(other(n)),
            a => a,
        };
        for (src, dst) in [(moved(e.src), e.dst), (e.src, moved(e.dst)), (e.dst, e.src)] {
            let mut t = st.clone();
            t.net[i].src = src;
            t.net[i].dst = dst;
            out.push(t);
        }
        if let Msg::Forward { reqs, .. } = &e.msg {
            for l in list_variants(reqs, st.reqs.len()) {
                let mut t = st.clone();
                if let Msg::Forward { reqs, .. } = &mut t.net[i].msg {
                    *reqs = l;
                }
                out.push(t);
            }
        }
    }
    out
}

/// `l` reversed (two entries or more), and `l` with its first entry naming another request.
fn list_variants(
    l: &osfmig_model::state::ReqList,
    reqs: usize,
) -> Vec<osfmig_model::state::ReqList> {
    let mut v = Vec::new();
    if l.len() >= 2 {
        let mut r = *l;
        r.reverse();
        v.push(r);
    }
    if !l.is_empty() && reqs > 1 {
        let mut r = *l;
        r[0] = ((r[0] as usize + 1) % reqs) as osfmig_model::types::ReqId;
        v.push(r);
    }
    v
}

/// Necessary conditions on the ghost's bookkeeping (spec §6), independent of where it is
/// kept: the crash cases' marks and reachability facts only after a crash (spec §5), and a C4
/// mark only on a process that was shipped or has migrated (a new process's slot is clean).
pub fn assert_ghost_consistent(run: &str, st: &Sys) {
    use osfmig_model::types::{ReqStatus, Sender};
    // A sender's count of calls outstanding is its requests neither answered nor lost (spec
    // §2.6): a count that drifts lets a process issue more than `outstanding_max` calls at once,
    // or none after a loss.
    let pending = |s: Sender| {
        st.reqs
            .iter()
            .filter(|q| {
                q.sender == s && !matches!(q.status, ReqStatus::Completed(_) | ReqStatus::Lost)
            })
            .count()
    };
    for (p, e) in st.emus.iter().enumerate() {
        assert_eq!(
            e.outstanding as usize,
            pending(Sender::Proc(p as u8)),
            "{run}: pid {p}'s calls outstanding miscounted:\n{st:?}"
        );
    }
    assert_eq!(
        st.pcntl_outstanding as usize,
        pending(Sender::Pcntl),
        "{run}: pcntl calls outstanding miscounted:\n{st:?}"
    );
    // U1 holds a call pending exactly while its request is open (spec §13.4): a call answered
    // or lost and still pending could take effect again later.
    for (r, q) in st.reqs.iter().enumerate() {
        let open = !matches!(q.status, ReqStatus::Completed(_) | ReqStatus::Lost);
        assert_eq!(
            st.u1.pending & (1 << r) != 0,
            open,
            "{run}: request {r} is {:?} but U1 has it pending {}:\n{st:?}",
            q.status,
            !open
        );
    }
    use osfmig_model::state::Seen;
    let crash_facts =
        Seen::C1 | Seen::C2 | Seen::C3 | Seen::C4_DIED | Seen::C4_SURVIVED | Seen::C4_QUEUE_LOST;
    assert!(
        st.crashes > 0 || (st.ghost.c4_marked == 0 && st.ghost.seen.0 & crash_facts == 0),
        "{run}: a crash case's mark or item without a crash:\n{st:?}"
    );
    for p in 0..st.emus.len() {
        if st.ghost.c4_marked & (1 << p) != 0 {
            assert!(
                st.ghost.committed[p] || st.ghost.migrations[p] > 0,
                "{run}: pid {p} is marked for C4 but was never shipped:\n{st:?}"
            );
        }
    }
}

/// The PM Master holds a pid back for the clean-up of its last migration's source (PM3,
/// spec §10 finding 10) only while that source still holds the process or its report is on the
/// way (`CleanedUp`, or `ProcessDied` after C3): a pid held back for nothing is never given to a
/// `fork()` again. Checked where the protocol is meant to be right: not under a catalog mutant,
/// nor in a run whose findings break it (finding 8's race leaves two copies of a process).
pub fn assert_pids_released(run: &str, st: &Sys) {
    for (p, e) in st.pmm.pids.iter().enumerate() {
        let Some(n) = e.cleanup_at else { continue };
        if !st.alive(n) {
            continue;
        }
        let held = matches!(
            st.pma(n).procs[p],
            osfmig_model::state::Local::Migrating { .. }
        );
        let reported = st.net.iter().any(|m| {
            use osfmig_model::types::Msg;
            m.src == osfmig_model::types::Actor::Pma(n)
                && matches!(m.msg, Msg::CleanedUp { pid } | Msg::ProcessDied { pid, .. }
                if pid as usize == p)
        });
        assert!(
            held || reported,
            "{run}: pid {p} is held back for a clean-up at node {n} that will never come:\n{st:?}"
        );
    }
}

/// The environment's choices that are enabled are exactly those spec §2.6 allows, stated here
/// from its table rather than from `process.rs`: which calls a process may issue (who, on whom,
/// how often: "once" is read off the requests issued so far, not off the emulator's flags),
/// when a queued file reply can be consumed, which pages a running process may dirty under
/// pre-copy, and which `pcntl(ALLOW/DISALLOW)` requests the `pcntl` caller may make.
pub fn assert_environment_as_specified(
    run: &str,
    cfg: &osfmig_model::Config,
    st: &Sys,
    acts: &[Action],
) {
    use osfmig_model::config::Strategy;
    use osfmig_model::state::{Life, Local, Threads};
    use osfmig_model::types::{Call, Sender};
    use std::collections::BTreeSet;
    // A process acts when its task is on a live kernel, its threads run and no fault is on.
    let running = |p: usize| -> Option<usize> {
        st.nodes.iter().position(|nd| {
            nd.alive
                && nd.kernel.tasks[p]
                    .as_ref()
                    .is_some_and(|t| t.threads == Threads::Running && t.faulting.is_none())
        })
    };
    let issued = |p: usize, call: Call| {
        st.reqs
            .iter()
            .any(|q| q.sender == Sender::Proc(p as u8) && q.call == call)
    };
    let pids = st.emus.len();
    let mut want: BTreeSet<String> = BTreeSet::new();
    for p in 0..pids {
        let Some(n) = running(p) else { continue };
        let open = st
            .reqs
            .iter()
            .filter(|q| {
                q.sender == Sender::Proc(p as u8)
                    && !matches!(
                        q.status,
                        osfmig_model::types::ReqStatus::Completed(_)
                            | osfmig_model::types::ReqStatus::Lost
                    )
            })
            .count();
        let may_call = st.calls_issued < cfg.requests_max
            && open < cfg.outstanding_max as usize
            && !issued(p, Call::Exit);
        if may_call {
            let mut calls: Vec<(Call, usize)> = Vec::new();
            if cfg.calls.signal {
                let others: Vec<usize> = (0..pids)
                    .filter(|&q| q != p && st.pmm.pids[q].life != Life::Unborn)
                    .collect();
                if others.is_empty() {
                    calls.push((Call::Signal, p));
                }
                calls.extend(others.into_iter().map(|q| (Call::Signal, q)));
            }
            if cfg.calls.getinfo {
                calls.push((Call::GetInfo, p));
            }
            if cfg.calls.wait && p == 0 && pids > 1 && !issued(0, Call::Wait) {
                calls.push((Call::Wait, 0));
            }
            if cfg.calls.exit && p > 0 {
                calls.push((Call::Exit, p));
            }
            if cfg.calls.fork && cfg.forks_max > 0 && p == 0 && !issued(0, Call::Fork) {
                calls.push((Call::Fork, 0));
            }
            // sigsuspend(): process 0 only, on itself, once (issue 12, item 7).
            if cfg.calls.sigsuspend && p == 0 && !issued(0, Call::Sigsuspend) {
                calls.push((Call::Sigsuspend, 0));
            }
            for (call, target) in calls {
                want.insert(format!("issue {p} {call:?} {target}"));
            }
        }
        let task = st.nodes[n].kernel.tasks[p].as_ref().expect("running");
        if task.port_queue > 0 {
            want.insert(format!("consume {p}"));
        }
        if cfg.strategy == Strategy::Precopy {
            if let Local::Active { out: Some(o), .. } = &st.nodes[n].pma.procs[p] {
                for page in 0..cfg.pages_max {
                    let copied = st.nodes[o.dst as usize].kernel.precopied[p] & (1 << page) != 0;
                    if copied && task.dirty & (1 << page) == 0 {
                        want.insert(format!("dirty {p} {page}"));
                    }
                }
            }
        }
    }
    // pcntl(ALLOW/DISALLOW): on a pid the PM Master knows alive, either way, while a call of
    // `requests_max` is left and a `pcntl` caller is free (each caller waits for its answer).
    let pcntl_open = st
        .reqs
        .iter()
        .filter(|q| {
            q.sender == Sender::Pcntl
                && !matches!(
                    q.status,
                    osfmig_model::types::ReqStatus::Completed(_)
                        | osfmig_model::types::ReqStatus::Lost
                )
        })
        .count();
    if cfg.calls.pcntl_allow
        && st.calls_issued < cfg.requests_max
        && pcntl_open < cfg.pcntl_callers_max as usize
    {
        for p in (0..pids).filter(|&p| st.pmm.pids[p].life == Life::Alive) {
            for allow in [false, true] {
                want.insert(format!("allow {p} {allow}"));
            }
        }
    }
    let got: BTreeSet<String> = acts
        .iter()
        .filter_map(|a| match *a {
            Action::Issue { pid, call, target } => Some(format!("issue {pid} {call:?} {target}")),
            Action::PcntlAllow { pid, allow } => Some(format!("allow {pid} {allow}")),
            Action::ConsumeReply { pid } => Some(format!("consume {pid}")),
            Action::Dirty { pid, page } => Some(format!("dirty {pid} {page}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        got, want,
        "{run}: the environment's enabled choices are not spec §2.6's:\n{st:?}"
    );
}

/// What one step may do to the bookkeeping, independent of where it is kept: a C4 mark
/// appears only at a crash and goes only when its pid is given to a new process (spec §5.4,
/// PM3); each call, file read and `pcntl(ALLOW/DISALLOW)` uses one of `requests_max` (spec
/// §8.1).
pub fn assert_step_consistent(run: &str, st: &Sys, action: &Action, next: &Sys) {
    use osfmig_model::state::Life;
    let gained = next.ghost.c4_marked & !st.ghost.c4_marked;
    assert!(
        gained == 0 || next.crashes > st.crashes,
        "{run}: {action:?} marks pids {gained:#b} for C4 without a crash:\n{st:?}"
    );
    // Spec §5.4: a crash marks for C4 every process whose task the crashed node shipped while
    // it still holds the process migrating (R14's clean-up not done): each now depends on
    // whether a page or a queued request was left there.
    if let Action::Crash { node } = action {
        use osfmig_model::state::Local;
        for p in 0..st.emus.len() {
            if st.ghost.committed[p]
                && matches!(
                    st.nodes[*node as usize].pma.procs[p],
                    Local::Migrating { .. }
                )
            {
                assert!(
                    next.ghost.c4_marked & (1 << p) != 0,
                    "{run}: the crash of node {node} does not mark pid {p} for C4:\n{st:?}"
                );
            }
        }
    }
    assert_items_at_their_event(run, st, action, next);
    // R1 rejects the migration of a process whose `exit()` was served, and a process freezing
    // has its calls enqueued, not served (R2): no process is ever both exiting and migrating
    // out, so R5's "not exiting" never leaves a freeze waiting for ever.
    for nd in next.nodes.iter().filter(|nd| nd.alive) {
        use osfmig_model::state::Local;
        for (p, l) in nd.pma.procs.iter().enumerate() {
            if let Local::Active { proc, out: Some(_) } | Local::Migrating { proc, .. } = l {
                assert!(
                    !proc.exiting,
                    "{run}: {action:?} leaves pid {p} exiting and migrating out:\n{next:?}"
                );
            }
        }
    }
    // Orphan marks (spec §5.5) name only open calls of processes: a mark anywhere else would
    // excuse, in P5's monitor, a request dropped without a crash.
    let open_calls: u16 = next
        .reqs
        .iter()
        .enumerate()
        .filter(|(_, q)| {
            matches!(q.sender, osfmig_model::types::Sender::Proc(_))
                && !matches!(
                    q.status,
                    osfmig_model::types::ReqStatus::Completed(_)
                        | osfmig_model::types::ReqStatus::Lost
                )
        })
        .fold(0, |m, (r, _)| m | 1 << r);
    assert!(
        next.ghost.orphaned & !open_calls == 0,
        "{run}: {action:?} marks requests {:#b} orphaned that are no open call of a process:\n{next:?}",
        next.ghost.orphaned & !open_calls
    );
    let lost = st.ghost.c4_marked & !next.ghost.c4_marked;
    for p in (0..st.emus.len()).filter(|p| lost & (1 << p) != 0) {
        assert!(
            next.pmm.pids[p].life == Life::Embryo && st.pmm.pids[p].life != Life::Embryo,
            "{run}: {action:?} clears pid {p}'s C4 mark, but the pid was not given anew:\n{st:?}"
        );
    }
    // The C4 items are facts about a process that depended on the crashed node (spec §5.4):
    // one is recorded only while some pid carries the mark.
    let facts = next.ghost.seen.0 & !st.ghost.seen.0;
    let c4 = osfmig_model::state::Seen::C4_DIED
        | osfmig_model::state::Seen::C4_SURVIVED
        | osfmig_model::state::Seen::C4_QUEUE_LOST;
    assert!(
        facts & c4 == 0 || st.ghost.c4_marked != 0,
        "{run}: {action:?} records a C4 case with no pid marked for C4:\n{st:?}"
    );
    if matches!(
        action,
        Action::Issue { .. } | Action::FileRead { .. } | Action::PcntlAllow { .. }
    ) {
        assert_eq!(
            next.calls_issued,
            st.calls_issued + 1,
            "{run}: {action:?} does not use one of requests_max"
        );
    }
}

/// A reachability item is recorded by the step in which its event happens (spec §6.3), so
/// the step that records it shows the event, described here from the spec's table rather than
/// from the code that records it: the pull of a task with a page dirtied after its pre-copy
/// (S-precopy-dirty), a task arriving with replies in its port queue (S-port-queue), every
/// group member moved and active on one node (S-group-migrated), a second completed migration
/// of one process (S-migrated-twice), a reinstatement with requests queued
/// (S-queued-reinstated). Where the event is the item's whole condition, it also records it.
pub fn assert_items_at_their_event(run: &str, st: &Sys, action: &Action, next: &Sys) {
    use osfmig_model::state::Seen;
    let new = next.ghost.seen.0 & !st.ghost.seen.0;
    let delivered = match action {
        Action::Deliver { idx, .. } => st.net.get(*idx as usize).copied(),
        _ => None,
    };
    let check = |bit: u32, name: &str, event: bool| {
        assert!(
            new & bit == 0 || event,
            "{run}: {action:?} records {name} without its event:\n{st:?}"
        );
    };
    // For these the event is the whole condition, so it also records the item.
    let check_iff = |bit: u32, name: &str, event: bool| {
        check(bit, name, event);
        assert!(
            !event || next.ghost.seen.0 & bit != 0,
            "{run}: {action:?} is {name}'s event but does not record it:\n{st:?}"
        );
    };
    let dirty_pulled = delivered.is_some_and(|e| match (e.src, e.dst, e.msg) {
        (Actor::Kernel(d), Actor::Kernel(n), Msg::PullTask { pid, .. }) => {
            let ships = |s: &Sys| {
                s.net
                    .iter()
                    .any(|e| matches!(e.msg, Msg::TaskState { pid: q, .. } if q == pid))
            };
            ships(next)
                && !ships(st)
                && st.nodes[n as usize].kernel.tasks[pid as usize].is_some_and(|t| {
                    t.dirty & st.nodes[d as usize].kernel.precopied[pid as usize] != 0
                })
        }
        _ => false,
    });
    check_iff(
        Seen::PRECOPY_DIRTY_RECOPIED,
        "S-precopy-dirty",
        dirty_pulled,
    );
    let queue_moved = delivered
        .is_some_and(|e| matches!(e.msg, Msg::TaskState { task, .. } if task.port_queue > 0));
    check_iff(Seen::PORT_QUEUE_MOVED, "S-port-queue", queue_moved);
    // R8/R10: a process taken off migration and put back on its node's active list while
    // requests were queued for it (counted, not read through the list's own emptiness test).
    let reinstated_with_queue = (0..st.emus.len()).any(|p| {
        st.nodes.iter().zip(&next.nodes).any(|(a, b)| {
            use osfmig_model::state::Local;
            let queued = match &a.pma.procs[p] {
                Local::Migrating { out, .. } | Local::Active { out: Some(out), .. } => {
                    out.queue.iter().count() > 0
                }
                _ => false,
            };
            queued && matches!(b.pma.procs[p], Local::Active { out: None, .. })
        })
    });
    check_iff(
        Seen::QUEUED_REINSTATED,
        "S-queued-reinstated",
        reinstated_with_queue,
    );
    let pids = 0..next.emus.len() as u8;
    let nodes: Vec<_> = pids.clone().map(|p| next.active_node(p)).collect();
    let group_together = nodes.iter().all(|n| n.is_some() && *n == nodes[0])
        && pids.clone().all(|p| next.ghost.migrations[p as usize] > 0);
    check(Seen::GROUP_MIGRATED, "S-group-migrated", group_together);
    let twice = pids.clone().any(|p| {
        next.ghost.migrations[p as usize] >= 2
            && next.ghost.migrations[p as usize] > st.ghost.migrations[p as usize]
    });
    check(Seen::MIGRATED_TWICE, "S-migrated-twice", twice);
    // G1: the members end active on different nodes with no migration left in progress.
    let quiet = next.nodes.iter().filter(|n| n.alive).all(|n| {
        n.pma.procs.iter().all(|l| {
            matches!(
                l,
                osfmig_model::state::Local::Free
                    | osfmig_model::state::Local::Active { out: None, .. }
            )
        })
    });
    let split = nodes.iter().all(|n| n.is_some()) && nodes.windows(2).any(|w| w[0] != w[1]);
    check(Seen::GROUP_SPLIT, "S-group-split", quiet && split);
    // G1 across nodes: R5 of a member no pcntl request started (no caller), on another node
    // than the one its leader started from.
    let remote_member_frozen = match action {
        Action::Freeze { node, pid } => {
            let member = matches!(&st.nodes[*node as usize].pma.procs[*pid as usize],
                osfmig_model::state::Local::Active { out: Some(o), .. } if o.caller.is_none());
            member && st.ghost.group_src.is_some_and(|s| s != *node)
        }
        _ => false,
    };
    check_iff(Seen::GROUP_REMOTE, "S-group-remote", remote_member_frozen);
    // G2: a pcntl request for a disallowed pid is answered Rejected in this step.
    let rejected_disallowed = (0..st.reqs.len()).any(|r| {
        use osfmig_model::types::{Call, Outcome, ReqStatus, Sender};
        let q = &st.reqs[r];
        let disallowed = st.nodes.iter().any(|n| {
            matches!(&n.pma.procs[q.target as usize],
                osfmig_model::state::Local::Active { proc, .. } if !proc.allowed)
        });
        let reply = |s: &Sys| {
            s.net.iter().any(|e| {
                matches!(e.msg, Msg::Reply { req, outcome: Outcome::Rejected } if req as usize == r)
            })
        };
        q.sender == Sender::Pcntl
            && matches!(q.call, Call::Migrate { .. })
            && disallowed
            && ((next.reqs[r].status == ReqStatus::Completed(Outcome::Rejected)
                && q.status != next.reqs[r].status)
                || (reply(next) && !reply(st)))
    });
    check(
        Seen::DISALLOWED_REJECTED,
        "S-disallowed",
        rejected_disallowed,
    );
    // C4 survived: a pid marked when its source crashed after the pull restarts (R13), with
    // no request lost in the source's queue (its proc not marked `source_queue_lost`) and no
    // page homed on a dead node (session 17: under copy on reference such a page kills it at
    // detection, spec §12.16).
    let marked_restarts = (0..st.emus.len()).any(|p| {
        use osfmig_model::state::Local;
        st.ghost.c4_marked & (1 << p) != 0
            && st.nodes.iter().zip(&next.nodes).any(|(a, b)| {
                matches!(a.pma.procs[p], Local::Incoming { proc, .. } if !proc.source_queue_lost)
                    && matches!(b.pma.procs[p], Local::Active { .. })
                    && b.kernel.tasks[p]
                        .as_ref()
                        .is_some_and(|t| t.pages.iter().all(|&h| next.alive(h)))
            })
    });
    check_iff(Seen::C4_SURVIVED, "S-C4-survived", marked_restarts);
    // C4's condition: a process whose requests queued at its crashed source were lost dies
    // at its destination (spec §5.4, `QueueLost`).
    let queue_lost_dies = (0..st.emus.len()).any(|p| {
        use osfmig_model::state::Local;
        st.nodes.iter().zip(&next.nodes).any(|(a, b)| {
            matches!(a.pma.procs[p],
                Local::Incoming { proc, .. } | Local::Active { proc, .. } if proc.source_queue_lost)
                && matches!(b.pma.procs[p], Local::Free)
        })
    });
    check(Seen::C4_QUEUE_LOST, "S-C4-queue-lost", queue_lost_dies);
    // Admission (spec §3.2.4 R11): a migration accepted at a node while another pull to it is
    // in progress or waiting, or a pull that starts while another accepted migration waits
    // there.
    let admission_holds = st.nodes.iter().zip(&next.nodes).any(|(a, b)| {
        use osfmig_model::state::{InStage, Local};
        let stage = |l: &Local| match l {
            Local::Incoming { stage, .. } => Some(*stage),
            _ => None,
        };
        let before: Vec<Option<InStage>> = a.pma.procs.iter().map(stage).collect();
        let after: Vec<Option<InStage>> = b.pma.procs.iter().map(stage).collect();
        (0..before.len()).any(|p| {
            let others = |s: InStage| (0..before.len()).any(|q| q != p && before[q] == Some(s));
            (before[p].is_none()
                && after[p] == Some(InStage::Accepted)
                && (others(InStage::Pulling) || others(InStage::Accepted)))
                || (before[p] == Some(InStage::Accepted)
                    && after[p] == Some(InStage::Pulling)
                    && others(InStage::Accepted))
        })
    });
    check(Seen::ADMISSION_HELD, "S-admission-held", admission_holds);
    // sigsuspend() (issue 12, item 7). Returning at once for a pending signal: the call is
    // served in this step and not left in progress. A forwarded queue served in one step may
    // also hold a signal served after the call, which wakes it instead (below).
    use osfmig_model::types::{Call, ReqStatus};
    let served = |r: usize| r < next.reqs.len() && next.reqs[r].handled > st.reqs[r].handled;
    let sigsuspends = || (0..st.reqs.len()).filter(|&r| st.reqs[r].call == Call::Sigsuspend);
    let returned_at_once = sigsuspends()
        .any(|r| served(r) && !matches!(next.reqs[r].status, ReqStatus::InProgress { .. }));
    check(
        Seen::SIGSUSPEND_PENDING,
        "S-sigsuspend-pending",
        returned_at_once,
    );
    // Woken: a sigsuspend() in progress, or served in this step, ends in a step that serves a
    // signal to its process (not R4' aborting it).
    let woken = sigsuspends().any(|r| {
        let target = st.reqs[r].target;
        let signalled = (0..st.reqs.len())
            .any(|s| st.reqs[s].call == Call::Signal && st.reqs[s].target == target && served(s));
        (matches!(st.reqs[r].status, ReqStatus::InProgress { .. }) || served(r))
            && !matches!(next.reqs[r].status, ReqStatus::InProgress { .. })
            && signalled
    });
    check(Seen::SIGSUSPEND_WOKEN, "S-sigsuspend-woken", woken);
    // R4' aborting a sigsuspend() in progress.
    let aborted = match action {
        Action::AbortRestartable { node, pid } => {
            matches!(&st.nodes[*node as usize].pma.procs[*pid as usize],
                osfmig_model::state::Local::Active { proc, .. }
                    if proc.in_progress.is_some_and(|r| st.reqs[r as usize].call == Call::Sigsuspend))
        }
        _ => false,
    };
    check_iff(Seen::SIGSUSPEND_ABORTED, "S-sigsuspend-aborted", aborted);
    // G2 at run time: a process active on a node before and after the step changes `allowed`.
    let allow_changed = st.nodes.iter().zip(&next.nodes).any(|(a, b)| {
        use osfmig_model::state::Local;
        a.pma
            .procs
            .iter()
            .zip(&b.pma.procs)
            .any(|(x, y)| match (x, y) {
                (Local::Active { proc: p, .. }, Local::Active { proc: q, .. }) => {
                    p.allowed != q.allowed
                }
                _ => false,
            })
    });
    check_iff(Seen::ALLOW_CHANGED, "S-allow-changed", allow_changed);
}

/// Where answers about a request go (spec §3.2.6, R15, R16, VP3): the PM Master's `Located`, a
/// PMA's `AbsentProcess` and a serving PMA's `Reply` go to the caller's node, and no PMA sends
/// either to itself (a caller on the node that finds the process gone routes the request again;
/// one served where it was issued is answered at once).
pub fn assert_answers_addressed(run: &str, st: &Sys) {
    for e in &st.net {
        let req = match e.msg {
            Msg::AbsentProcess { req } => {
                assert!(
                    e.src != e.dst,
                    "{run}: a PMA sends AbsentProcess to itself:\n{st:?}"
                );
                req
            }
            Msg::Located { req, .. } => req,
            // VP3: a PMA answers a caller on its own node at once; a Reply crosses nodes.
            Msg::Reply { req, .. } => {
                assert!(
                    e.src != e.dst,
                    "{run}: a PMA sends a Reply to itself:\n{st:?}"
                );
                req
            }
            _ => continue,
        };
        assert_eq!(
            e.dst,
            Actor::Pma(st.reqs[req as usize].caller_node),
            "{run}: {:?} does not go to the caller's node:\n{st:?}",
            e.msg
        );
    }
}

/// Checks the two reductions the search relies on (spec §8.3, §8.4) on the first `cap` states
/// of `spec` in breadth-first order, without symmetry, and returns how many it examined:
/// - fingerprints are injective: two distinct states never hash the same words, nor does one
///   of the first 150 states and a state a field away from it;
/// - the ghost is consistent with what happened ([`assert_ghost_consistent`]), and so is each
///   step ([`assert_step_consistent`]); answers go where R15 and R16 say
///   ([`assert_answers_addressed`]);
/// - the test nodes are interchangeable: renaming them keeps every property's verdict and the
///   boundary, maps the successors onto the renamed successors, and the representative is a
///   renaming of the state and its own representative.
///
/// A failure names the run and prints both states.
pub fn assert_reductions_sound(spec: &RunSpec, cap: usize) -> usize {
    use std::collections::HashMap;
    let model = OsfModel::new(spec.config.clone());
    let init = model.init_states().remove(0);
    let mut words: HashMap<Vec<u8>, Sys> = HashMap::new();
    let mut queue = VecDeque::from([init.clone()]);
    let mut seen: HashSet<Sys> = HashSet::from([init]);
    let mut examined = 0;
    while let Some(st) = queue.pop_front() {
        if examined == cap {
            break;
        }
        examined += 1;
        if let Some(other) = words.insert(fingerprint_words(&st), st.clone()) {
            assert!(
                other == st,
                "{}: two states hash the same words (spec §8.4):\n{other:?}\n{st:?}",
                spec.name
            );
        }
        assert_ghost_consistent(&spec.name, &st);
        if spec.config.mutant.is_none() && spec.expected_violations.is_empty() {
            assert_pids_released(&spec.name, &st);
        }
        assert_answers_addressed(&spec.name, &st);
        assert!(
            st.calls_issued <= spec.config.requests_max,
            "{}: more calls and file reads than requests_max (spec §8.1):\n{st:?}",
            spec.name
        );
        let mut acts = Vec::new();
        model.enabled(&st, &mut acts);
        assert_environment_as_specified(&spec.name, &spec.config, &st, &acts);
        let mut next = Vec::with_capacity(acts.len());
        for a in &acts {
            // An enabled step changes the state: a step that is offered and does nothing is
            // a guard and an effect that disagree (a reply consumed that stays queued, a
            // cleanup that cleans nothing), and it would hide in a self-loop.
            let s = model.step(&st, a).unwrap_or_else(|| {
                panic!("{}: enabled {a:?} has no next state:\n{st:?}", spec.name)
            });
            assert!(
                s != st,
                "{}: enabled {a:?} changes nothing:\n{st:?}",
                spec.name
            );
            assert_step_consistent(&spec.name, &st, a, &s);
            next.push(s);
        }
        next.sort();
        let own = fingerprint_words(&st);
        // One field away: on the first states only, which reach every list and form.
        let near = if examined <= 150 {
            neighbours(&st)
        } else {
            Vec::new()
        };
        for t in near {
            assert!(
                t == st || fingerprint_words(&t) != own,
                "{}: two states one field apart hash the same words (spec §8.4):\n{st:?}\n{t:?}",
                spec.name
            );
        }
        assert_symmetric_at(&spec.name, &model, &st, &next);
        for s in next {
            if model.within_boundary(&s) && seen.insert(s.clone()) {
                queue.push_back(s);
            }
        }
    }
    examined
}

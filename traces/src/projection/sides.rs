//! spec §12.7 The two sides of the projection: the model's state and the refimpl's, each
//! observed. Reviewed with `projection`.

use osfmig_model::state::{Life, Local, Pma as MPma, Task as MTask, Threads, Vproc};
use osfmig_model::{Config, Sys};
use osfmig_refimpl::kernel::{Run, Task as RTask};
use osfmig_refimpl::pma::{List, Pma as RPma, VprocOps};
use osfmig_refimpl::world::{Body, Ep, Ev, World};

use super::{
    Freeze, ObsFamily, ObsGroup, ObsNode, ObsPm, ObsReq, ObsStatus, ObsVproc, Observed, PmLife,
    Slot,
};

/// Per node and pid of the model, `f` of the node's PMA and the pid at a live node; the
/// default (nothing held) at a crashed one.
fn model_grid<T: Default>(st: &Sys, f: impl Fn(&MPma, usize) -> T) -> Vec<Vec<T>> {
    grid(
        st.nodes.iter().map(|nd| (nd.alive, &nd.pma)),
        st.pmm.pids.len(),
        |pma, pid| f(pma, pid),
    )
}

/// Per node (`(alive, PMA)` of each) and pid below `pids`, `f` of the node's PMA and the pid
/// at a live node; the default at a crashed one. Both sides' grids are this.
fn grid<'a, P: 'a, T: Default>(
    nodes: impl Iterator<Item = (bool, &'a P)>,
    pids: usize,
    f: impl Fn(&P, usize) -> T,
) -> Vec<Vec<T>> {
    nodes
        .map(|(alive, pma)| {
            (0..pids)
                .map(|pid| if alive { f(pma, pid) } else { T::default() })
                .collect()
        })
        .collect()
}

/// Per pid, `f` of its task on the live node holding it (`tasks`); the default without one.
fn model_per_task<T: Default>(st: &Sys, tasks: &[Option<u8>], f: impl Fn(&MTask) -> T) -> Vec<T> {
    tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            n.and_then(|n| st.nodes[n as usize].kernel.tasks[pid])
                .map_or_else(T::default, |t| f(&t))
        })
        .collect()
}

/// Per node (of the configuration's) and pid of the refimpl, `f` of the node's PMA and the
/// pid at a live node; the default (nothing held) at a crashed one.
fn refimpl_grid<T: Default>(w: &World, cfg: &Config, f: impl Fn(&RPma, u32) -> T) -> Vec<Vec<T>> {
    grid(
        w.nodes
            .iter()
            .take(cfg.nodes_max as usize)
            .map(|nd| (nd.alive, &nd.pma)),
        cfg.pids() as usize,
        |pma, pid| f(pma, pid as u32),
    )
}

/// Per pid, `f` of its task on the live node holding it (`tasks`); the default without one.
fn refimpl_per_task<T: Default>(
    w: &World,
    tasks: &[Option<u8>],
    f: impl Fn(&RTask) -> T,
) -> Vec<T> {
    tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            n.and_then(|n| w.nodes[n as usize].kernel.tasks.get(&(pid as u32)))
                .map_or_else(T::default, &f)
        })
        .collect()
}

fn slot_of(l: &Local) -> Slot {
    match l {
        Local::Free => Slot::Free,
        Local::Active { .. } => Slot::Active,
        Local::Migrating { .. } => Slot::Migrating,
        Local::Incoming { .. } => Slot::Incoming,
    }
}

/// The model's state, observed.
pub fn of_model(st: &Sys) -> Observed {
    let pids = st.pmm.pids.len();
    let nodes = st
        .nodes
        .iter()
        .map(|nd| ObsNode {
            alive: nd.alive,
            procs: nd.pma.procs.iter().take(pids).map(slot_of).collect(),
        })
        .collect();
    let pm = st
        .pmm
        .pids
        .iter()
        .map(|e| {
            let life = match e.life {
                Life::Unborn => PmLife::Unborn,
                Life::Embryo => PmLife::Embryo,
                Life::Alive => PmLife::Alive,
                Life::Zombie => PmLife::Zombie,
                Life::Dead => PmLife::Dead,
            };
            let node = matches!(life, PmLife::Alive | PmLife::Zombie).then_some(e.node);
            ObsPm { life, node }
        })
        .collect();
    let tasks: Vec<Option<u8>> = (0..pids)
        .map(|pid| {
            st.nodes
                .iter()
                .position(|nd| nd.alive && nd.kernel.tasks[pid].is_some())
                .map(|n| n as u8)
        })
        .collect();
    let suspended = model_per_task(st, &tasks, |t| t.threads == Threads::Suspended);
    let caps = model_per_task(st, &tasks, |t| {
        let [a, b] = t.pma_caps;
        (a == b).then_some(a)
    });
    let pages = model_per_task(st, &tasks, |t| t.pages.iter().copied().collect());
    use osfmig_model::types::{Outcome, ReqStatus};
    let reqs = st
        .reqs
        .iter()
        .map(|r| ObsReq {
            status: match r.status {
                ReqStatus::Routing => ObsStatus::Routing,
                ReqStatus::Queued { .. } => ObsStatus::Queued,
                ReqStatus::InProgress { .. } => ObsStatus::InProgress,
                ReqStatus::Lost => ObsStatus::Lost,
                ReqStatus::Completed(o) => match o {
                    Outcome::Ok => ObsStatus::Ok,
                    Outcome::NoSuchProcess => ObsStatus::NoSuchProcess,
                    Outcome::Migrated => ObsStatus::Migrated,
                    Outcome::Refused => ObsStatus::Refused,
                    Outcome::Abandoned => ObsStatus::Abandoned,
                    Outcome::Rejected => ObsStatus::Rejected,
                    Outcome::Died => ObsStatus::Died,
                },
            },
            handled: r.handled,
            queued: r.queued,
            forwarded: r.forwarded,
            caller: r.caller_node,
        })
        .collect();
    let queues = model_grid(st, |pma, pid| match &pma.procs[pid] {
        Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. } => {
            o.queue.iter().map(|&r| r as u16).collect()
        }
        _ => Vec::new(),
    });
    let held = model_grid(st, |pma, pid| match &pma.procs[pid] {
        Local::Active { proc, .. }
        | Local::Migrating { proc, .. }
        | Local::Incoming { proc, .. } => proc.held.iter().map(|&r| r as u16).collect(),
        Local::Free => Vec::new(),
    });
    let freeze = model_grid(st, |pma, pid| match &pma.procs[pid] {
        Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. } => {
            if o.frozen {
                Freeze::Frozen
            } else {
                Freeze::Freezing
            }
        }
        _ => Freeze::None,
    });
    let vprocs = model_grid(st, |pma, pid| match pma.vprocs[pid] {
        Vproc::Unknown => ObsVproc::Unknown,
        Vproc::Local => ObsVproc::Local,
        Vproc::Remote(m) => ObsVproc::Remote(m),
        Vproc::Enqueue => ObsVproc::Enqueue,
    });
    let offered = model_per_task(st, &tasks, |t| t.offered);
    let faulting = model_per_task(st, &tasks, |t| t.faulting);
    let reading = model_per_task(st, &tasks, |t| t.reading);
    let family = st
        .pmm
        .pids
        .iter()
        .map(|e| {
            matches!(e.life, Life::Alive | Life::Zombie).then_some(ObsFamily {
                parent: e.parent,
                pgrp: e.pgrp,
                session: e.session,
            })
        })
        .collect();
    // A set: a wait() aborted by R4' and restarted at D registers again, and the model keeps
    // the stale entry beside the new one (its answer is ignored at S) where the refimpl
    // replaces it.
    let mut waiters: Vec<u16> = st.pmm.waiters.iter().map(|w| w.0 as u16).collect();
    waiters.sort_unstable();
    waiters.dedup();
    let mut buried: Vec<u8> = st.pmm.buried.iter().copied().collect();
    buried.sort_unstable();
    let exiting = model_grid(st, |pma, pid| match &pma.procs[pid] {
        Local::Active { proc, .. }
        | Local::Migrating { proc, .. }
        | Local::Incoming { proc, .. } => proc.exiting,
        Local::Free => false,
    });
    // The emulator's calls outstanding, shown while its task is on a live node (the
    // refimpl's emulator lives in the task).
    let outstanding = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| n.map(|_| st.emus[pid].outstanding))
        .collect();
    Observed {
        nodes,
        pm,
        tasks,
        suspended,
        caps,
        pages,
        reqs,
        queues,
        held,
        freeze,
        vprocs,
        offered,
        faulting,
        reading,
        family,
        waiters,
        buried,
        exiting,
        outstanding,
        pcntl_outstanding: st.pcntl_outstanding,
        group: st.pmm.group.map(|g| ObsGroup {
            dst: g.dst,
            awaiting: (g.current, g.at),
            rest: (0..8u8).filter(|&q| g.rest & 1 << q != 0).collect(),
        }),
        net: super::net::of_model(st),
    }
}

/// The refimpl's state, observed with the model configuration's shape (its node count and
/// pid slots). Pids the refimpl allocated beyond the model's slots are not representable:
/// the caller must keep the refimpl within the configuration.
pub fn of_refimpl(w: &World, cfg: &Config) -> Observed {
    let pids = cfg.pids() as usize;
    let nodes = w
        .nodes
        .iter()
        .take(cfg.nodes_max as usize)
        .map(|nd| ObsNode {
            alive: nd.alive,
            procs: (0..pids as u32)
                .map(|pid| match nd.pma.procs.get(&pid) {
                    // A crashed node's PMA holds nothing.
                    Some(p) if nd.alive => match p.list {
                        List::Active => Slot::Active,
                        List::Migrating => Slot::Migrating,
                        List::Incoming => Slot::Incoming,
                    },
                    _ => Slot::Free,
                })
                .collect(),
        })
        .collect();
    let pm = (0..pids as u32)
        .map(|pid| match w.pmm.entries.get(&pid) {
            _ if w.pmm.is_reserved(pid) => ObsPm {
                life: PmLife::Embryo,
                node: None,
            },
            None => ObsPm {
                life: PmLife::Unborn,
                node: None,
            },
            Some(e) => {
                let life = match e.life {
                    osfmig_refimpl::pm_master::Life::Alive => PmLife::Alive,
                    osfmig_refimpl::pm_master::Life::Zombie => PmLife::Zombie,
                    osfmig_refimpl::pm_master::Life::Dead => PmLife::Dead,
                };
                let node = matches!(life, PmLife::Alive | PmLife::Zombie).then_some(e.node as u8);
                ObsPm { life, node }
            }
        })
        .collect();
    let tasks: Vec<Option<u8>> = (0..pids as u32)
        .map(|pid| {
            (0..w.nodes.len().min(cfg.nodes_max as usize))
                .find(|&n| w.nodes[n].alive && w.nodes[n].kernel.tasks.contains_key(&pid))
                .map(|n| n as u8)
        })
        .collect();
    let suspended = refimpl_per_task(w, &tasks, |t| t.suspended());
    let caps = refimpl_per_task(w, &tasks, |t| Some(t.emulator.pma as u8));
    let pages = refimpl_per_task(w, &tasks, |t| {
        t.pages
            .iter()
            .take(cfg.pages_max as usize)
            .map(|&h| h as u8)
            .collect()
    });
    use osfmig_refimpl::world::{Outcome, ReqStatus};
    let reqs = w
        .reqs
        .iter()
        .map(|r| ObsReq {
            status: match r.status {
                ReqStatus::Routing => ObsStatus::Routing,
                ReqStatus::Queued => ObsStatus::Queued,
                ReqStatus::InProgress => ObsStatus::InProgress,
                ReqStatus::Lost => ObsStatus::Lost,
                ReqStatus::Completed(o) => match o {
                    Outcome::Ok | Outcome::Child(_) => ObsStatus::Ok,
                    Outcome::NoSuchProcess => ObsStatus::NoSuchProcess,
                    Outcome::Migrated => ObsStatus::Migrated,
                    Outcome::Refused => ObsStatus::Refused,
                    Outcome::Abandoned => ObsStatus::Abandoned,
                    Outcome::Rejected => ObsStatus::Rejected,
                    Outcome::Died => ObsStatus::Died,
                },
            },
            handled: r.handled,
            queued: r.queued,
            forwarded: r.forwarded,
            caller: r.caller as u8,
        })
        .collect();
    let queues = refimpl_grid(w, cfg, |pma, pid| {
        pma.procs
            .get(&pid)
            .and_then(|p| p.out.as_ref())
            .map(|o| o.queue.iter().map(|&r| r as u16).collect())
            .unwrap_or_default()
    });
    let held = refimpl_grid(w, cfg, |pma, pid| {
        pma.procs
            .get(&pid)
            .map(|p| p.held.iter().map(|&r| r as u16).collect())
            .unwrap_or_default()
    });
    let freeze = refimpl_grid(w, cfg, |pma, pid| {
        match pma.procs.get(&pid).and_then(|p| p.out.as_ref()) {
            Some(o) if o.frozen => Freeze::Frozen,
            Some(_) => Freeze::Freezing,
            None => Freeze::None,
        }
    });
    let vprocs = refimpl_grid(w, cfg, |pma, pid| match pma.vprocs.get(&pid) {
        None => ObsVproc::Unknown,
        Some(VprocOps::Local) => ObsVproc::Local,
        Some(VprocOps::ClientStub(m)) => ObsVproc::Remote(*m as u8),
        Some(VprocOps::Enqueue) => ObsVproc::Enqueue,
    });
    let offered = refimpl_per_task(w, &tasks, |t| {
        tasks[t.pid as usize]
            .is_some_and(|n| w.nodes[n as usize].kernel.offers.contains_key(&t.pid))
    });
    let faulting = refimpl_per_task(w, &tasks, |t| match t.exec.run {
        Run::Faulting { page } => Some(page as u8),
        _ => None,
    });
    let reading = refimpl_per_task(w, &tasks, |t| w.file_reads.contains(&t.pid));
    let family = (0..pids as u32)
        .map(|pid| match w.pmm.entries.get(&pid) {
            Some(e)
                if matches!(
                    e.life,
                    osfmig_refimpl::pm_master::Life::Alive
                        | osfmig_refimpl::pm_master::Life::Zombie
                ) =>
            {
                Some(ObsFamily {
                    parent: e.parent.map(|p| p as u8),
                    pgrp: e.pgrp as u8,
                    session: e.session as u8,
                })
            }
            _ => None,
        })
        .collect();
    let mut waiters: Vec<u16> = w.pmm.waiters.iter().map(|x| x.0 as u16).collect();
    waiters.sort_unstable();
    waiters.dedup();
    let buried: Vec<u8> = w.pmm.buried.iter().map(|&n| n as u8).collect();
    let exiting = refimpl_grid(w, cfg, |pma, pid| {
        pma.procs.get(&pid).is_some_and(|p| p.exiting)
    });
    // The emulator learns of an answer when the reply reaches its port, the model's at the
    // step that answers: a reply on its way counts as received, so that the two agree
    // between events (session 17; without it 9 601 of 10 000 recordings diverged).
    // Counted per destination in one pass over the queue: this runs after every recorded
    // event.
    let mut in_flight: std::collections::BTreeMap<Ep, usize> = std::collections::BTreeMap::new();
    for ev in w.q.iter_unordered() {
        if let Ev::Deliver(m) = ev {
            if matches!(m.body, Body::CallReply(..)) {
                *in_flight.entry(m.dst).or_default() += 1;
            }
        }
    }
    let replies_in_flight = |to: Ep| in_flight.get(&to).copied().unwrap_or(0);
    let outstanding = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            let n = (*n)?;
            let t = w.nodes[n as usize].kernel.tasks.get(&(pid as u32))?;
            let left = t.emulator.outstanding as usize;
            Some(left.saturating_sub(replies_in_flight(Ep::Task(pid as u32))) as u8)
        })
        .collect();
    let pcntl_outstanding =
        (w.pcntl_outstanding as usize).saturating_sub(replies_in_flight(Ep::Monitor)) as u8;
    Observed {
        nodes,
        pm,
        tasks,
        suspended,
        caps,
        pages,
        reqs,
        queues,
        held,
        freeze,
        vprocs,
        offered,
        faulting,
        reading,
        family,
        waiters,
        buried,
        exiting,
        outstanding,
        pcntl_outstanding,
        group: w.pmm.group_run.as_ref().map(|g| ObsGroup {
            dst: g.dst as u8,
            awaiting: (g.awaiting.0 as u8, g.awaiting.1 as u8),
            rest: g.todo.iter().map(|&p| p as u8).collect(),
        }),
        net: super::net::of_refimpl(w),
    }
}

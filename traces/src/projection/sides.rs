//! spec §12.7 The two sides of the projection: the model's state and the refimpl's, each
//! observed. Reviewed with `projection`.

use osfmig_model::state::{Life, Local, Threads};
use osfmig_model::{Config, Sys};
use osfmig_refimpl::pma::List;
use osfmig_refimpl::world::World;

use super::{
    Freeze, ObsFamily, ObsNode, ObsPm, ObsReq, ObsStatus, ObsVproc, Observed, PmLife, Slot,
};

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
    let suspended = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            n.and_then(|n| st.nodes[n as usize].kernel.tasks[pid])
                .is_some_and(|t| t.threads == Threads::Suspended)
        })
        .collect();
    let caps = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            let t = n.and_then(|n| st.nodes[n as usize].kernel.tasks[pid])?;
            let [a, b] = t.pma_caps;
            (a == b).then_some(a)
        })
        .collect();
    let pages = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            n.and_then(|n| st.nodes[n as usize].kernel.tasks[pid])
                .map(|t| t.pages.iter().copied().collect())
                .unwrap_or_default()
        })
        .collect();
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
        })
        .collect();
    let per = |f: &dyn Fn(&Local) -> Vec<u16>| -> Vec<Vec<Vec<u16>>> {
        st.nodes
            .iter()
            .map(|nd| {
                nd.pma
                    .procs
                    .iter()
                    .take(pids)
                    .map(|l| if nd.alive { f(l) } else { Vec::new() })
                    .collect()
            })
            .collect()
    };
    let queues = per(&|l| match l {
        Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. } => {
            o.queue.iter().map(|&r| r as u16).collect()
        }
        _ => Vec::new(),
    });
    let held = per(&|l| match l {
        Local::Active { proc, .. }
        | Local::Migrating { proc, .. }
        | Local::Incoming { proc, .. } => proc.held.iter().map(|&r| r as u16).collect(),
        Local::Free => Vec::new(),
    });
    let freeze = st
        .nodes
        .iter()
        .map(|nd| {
            nd.pma
                .procs
                .iter()
                .take(pids)
                .map(|l| match l {
                    Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. }
                        if nd.alive =>
                    {
                        if o.frozen {
                            Freeze::Frozen
                        } else {
                            Freeze::Freezing
                        }
                    }
                    _ => Freeze::None,
                })
                .collect()
        })
        .collect();
    use osfmig_model::state::Vproc;
    let vprocs = st
        .nodes
        .iter()
        .map(|nd| {
            nd.pma
                .vprocs
                .iter()
                .take(pids)
                .map(|v| match v {
                    _ if !nd.alive => ObsVproc::Unknown,
                    Vproc::Unknown => ObsVproc::Unknown,
                    Vproc::Local => ObsVproc::Local,
                    Vproc::Remote(m) => ObsVproc::Remote(*m),
                    Vproc::Enqueue => ObsVproc::Enqueue,
                })
                .collect()
        })
        .collect();
    let offered = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            n.and_then(|n| st.nodes[n as usize].kernel.tasks[pid])
                .is_some_and(|t| t.offered)
        })
        .collect();
    let task_of =
        |pid: usize, n: &Option<u8>| n.and_then(|n| st.nodes[n as usize].kernel.tasks[pid]);
    let faulting = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| task_of(pid, n).and_then(|t| t.faulting))
        .collect();
    let reading = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| task_of(pid, n).is_some_and(|t| t.reading))
        .collect();
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
    let exiting = st
        .nodes
        .iter()
        .map(|nd| {
            nd.pma
                .procs
                .iter()
                .take(pids)
                .map(|l| match l {
                    Local::Active { proc, .. }
                    | Local::Migrating { proc, .. }
                    | Local::Incoming { proc, .. } => nd.alive && proc.exiting,
                    Local::Free => false,
                })
                .collect()
        })
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
    let suspended = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            n.and_then(|n| w.nodes[n as usize].kernel.tasks.get(&(pid as u32)))
                .is_some_and(|t| t.suspended())
        })
        .collect();
    let task = |pid: usize, n: &Option<u8>| {
        n.and_then(|n| w.nodes[n as usize].kernel.tasks.get(&(pid as u32)))
    };
    let caps = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| task(pid, n).map(|t| t.emulator.pma as u8))
        .collect();
    let pages = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            task(pid, n)
                .map(|t| {
                    t.pages
                        .iter()
                        .take(cfg.pages_max as usize)
                        .map(|&h| h as u8)
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
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
        })
        .collect();
    let per = |f: &dyn Fn(&osfmig_refimpl::pma::Proc) -> Vec<u16>| -> Vec<Vec<Vec<u16>>> {
        w.nodes
            .iter()
            .take(cfg.nodes_max as usize)
            .map(|nd| {
                (0..pids as u32)
                    .map(|pid| match nd.pma.procs.get(&pid) {
                        Some(p) if nd.alive => f(p),
                        _ => Vec::new(),
                    })
                    .collect()
            })
            .collect()
    };
    let queues = per(&|p| {
        p.out
            .as_ref()
            .map(|o| o.queue.iter().map(|&r| r as u16).collect())
            .unwrap_or_default()
    });
    let held = per(&|p| p.held.iter().map(|&r| r as u16).collect());
    let freeze = w
        .nodes
        .iter()
        .take(cfg.nodes_max as usize)
        .map(|nd| {
            (0..pids as u32)
                .map(
                    |pid| match nd.pma.procs.get(&pid).and_then(|p| p.out.as_ref()) {
                        Some(o) if nd.alive && o.frozen => Freeze::Frozen,
                        Some(_) if nd.alive => Freeze::Freezing,
                        _ => Freeze::None,
                    },
                )
                .collect()
        })
        .collect();
    use osfmig_refimpl::pma::VprocOps;
    let vprocs = w
        .nodes
        .iter()
        .take(cfg.nodes_max as usize)
        .map(|nd| {
            (0..pids as u32)
                .map(|pid| match nd.pma.vprocs.get(&pid) {
                    _ if !nd.alive => ObsVproc::Unknown,
                    None => ObsVproc::Unknown,
                    Some(VprocOps::Local) => ObsVproc::Local,
                    Some(VprocOps::ClientStub(m)) => ObsVproc::Remote(*m as u8),
                    Some(VprocOps::Enqueue) => ObsVproc::Enqueue,
                })
                .collect()
        })
        .collect();
    let offered = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| {
            n.is_some_and(|n| {
                w.nodes[n as usize]
                    .kernel
                    .offers
                    .contains_key(&(pid as u32))
            })
        })
        .collect();
    let faulting = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| match task(pid, n).map(|t| &t.exec.run) {
            Some(osfmig_refimpl::kernel::Run::Faulting { page }) => Some(*page as u8),
            _ => None,
        })
        .collect();
    let reading = tasks
        .iter()
        .enumerate()
        .map(|(pid, n)| n.is_some() && w.file_reads.contains(&(pid as u32)))
        .collect();
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
    let exiting = w
        .nodes
        .iter()
        .take(cfg.nodes_max as usize)
        .map(|nd| {
            (0..pids as u32)
                .map(|pid| nd.alive && nd.pma.procs.get(&pid).is_some_and(|p| p.exiting))
                .collect()
        })
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
    }
}

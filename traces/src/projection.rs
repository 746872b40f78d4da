//! spec §12.7 The one projection: refimpl state -> model state.
//!
//! The model and the reference implementation share no protocol logic; they meet here. Both
//! states are projected onto [`Observed`], the part of the model's state an implementation
//! of the OSF/1 AD server can be held to: which nodes are up, which list each pid's proc
//! structure is on at each PMA and the requests it queues or holds for it, what the PM
//! Master records for each pid, which kernel holds each task (its threads' suspension, the
//! PMA its capabilities name, its pages' homes), and each request's status and service
//! count. [`MODEL_VARIABLES`] declares every variable of the model's `Sys` either
//! mapped (and to what) or unobservable (and why). This module is reviewed as a unit: a
//! change to either side's state must come with a change here and to spec §12.7.

use std::fmt::Write;

use osfmig_model::state::{Life, Local, Threads};
use osfmig_model::{Config, Sys};
use osfmig_refimpl::pma::List;
use osfmig_refimpl::world::World;
use serde::{Deserialize, Serialize};

/// Where a pid's proc structure is at one PMA (spec §2.3 lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Slot {
    Free,
    Active,
    Migrating,
    Incoming,
}

/// A pid's life at the PM Master (spec §2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PmLife {
    Unborn,
    Embryo,
    Alive,
    Zombie,
    Dead,
}

/// Where a request stands (spec §2.6), without the node that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObsStatus {
    Routing,
    Queued,
    InProgress,
    Ok,
    NoSuchProcess,
    Migrated,
    Refused,
    Abandoned,
    Rejected,
    Died,
    Lost,
}

/// One request as observed: where it stands and how many times a PMA served it (P6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObsReq {
    pub status: ObsStatus,
    pub handled: u8,
}

/// One node as observed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObsNode {
    pub alive: bool,
    /// Per pid; all `free` on a crashed node (its PMA is gone).
    pub procs: Vec<Slot>,
}

/// The PM Master's entry for one pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObsPm {
    pub life: PmLife,
    /// The recorded location while the pid is alive or a zombie; `None` otherwise (an
    /// unborn or dead pid's slot keeps a stale node that nobody reads).
    pub node: Option<u8>,
}

/// The observable state (spec §12.7), the `state` field of a trace event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Observed {
    pub nodes: Vec<ObsNode>,
    pub pm: Vec<ObsPm>,
    /// The live node whose kernel holds each pid's task; `None` in transit or gone.
    pub tasks: Vec<Option<u8>>,
    /// Whether that task's threads are suspended (R3, T1); `false` when it has no task.
    pub suspended: Vec<bool>,
    /// The PMA node the task's emulator capabilities name (R12 replaces them; T1 leaves
    /// them): `None` when the pid has no task on a live node, or while the model has
    /// replaced one capability and not the other (the refimpl replaces both in one step).
    #[serde(default)]
    pub caps: Vec<Option<u8>>,
    /// The home node of each page of the task's address space (XMM: R11 under eager copy,
    /// pre-copy and flushing, R17 under copy-on-reference); empty when the pid has no task
    /// on a live node.
    #[serde(default)]
    pub pages: Vec<Vec<u8>>,
    /// Every request issued so far, in issue order (both sides number the stimuli's calls
    /// alike): its status and how many times a PMA served it.
    #[serde(default)]
    pub reqs: Vec<ObsReq>,
    /// Per node and pid, the pending queue Q of a process migrating out of that PMA (R2,
    /// R4' puts an aborted call first), in order: request numbers. Empty otherwise, and on
    /// a crashed node.
    #[serde(default)]
    pub queues: Vec<Vec<Vec<u16>>>,
    /// Per node and pid, the requests the PMA holds for the process: until R13 restarts it
    /// (R13 HoldUntilRestart) or until S's forward arrives (the P11 fix), in order.
    #[serde(default)]
    pub held: Vec<Vec<Vec<u16>>>,
}

/// How a variable of the model's state is treated by the projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// Compared after every step; the text names the refimpl state it is read from.
    Mapped(&'static str),
    /// Not compared; the text says why.
    Unobservable(&'static str),
}

/// Every variable of `osfmig_model::Sys` (spec §2–§6), mapped or declared unobservable.
/// A test checks that this list names every field the model's state serializes.
pub const MODEL_VARIABLES: &[(&str, Mapping)] = &[
    ("nodes[n].alive", Mapping::Mapped("World.nodes[n].alive")),
    (
        "nodes[n].pma.procs[pid]",
        Mapping::Mapped("Pma.procs[pid].list (absent: free)"),
    ),
    (
        "nodes[n].pma.procs[pid].out.queue",
        Mapping::Mapped("Proc.out.queue, in order (the pending queue Q, R2 and R4')"),
    ),
    (
        "nodes[n].pma.procs[pid].proc.held",
        Mapping::Mapped("Proc.held, in order (R13 HoldUntilRestart, the P11 fix's hold)"),
    ),
    (
        "nodes[n].pma.procs[pid].(out.frozen, out.dst, out.caller, out.precopy_done, stage, \
         attempt, proc.in_progress, proc.awaiting_forward, proc.usage, ...)",
        Mapping::Unobservable(
            "steps inside one list state or one refimpl event: R5 (frozen) and R6 are one \
             event of the refimpl (projecting `frozen` made 706 of 10 000 walks diverge at \
             R5, session 15); attempt numbers and reservation stages advance inside its \
             timed plans; a call in progress and the P11 hold show through the requests' \
             statuses and `held`",
        ),
    ),
    (
        "nodes[n].pma.vprocs[pid]",
        Mapping::Unobservable(
            "the refimpl keeps client stubs as caches refreshed by relookup (R16); the model \
             keeps them exact",
        ),
    ),
    (
        "nodes[n].kernel.tasks[pid]",
        Mapping::Mapped("Kernel.tasks (the node holding the task; none in transit)"),
    ),
    (
        "nodes[n].kernel.tasks[pid].threads",
        Mapping::Mapped("Task.suspended() (every thread's suspend count above zero)"),
    ),
    (
        "nodes[n].kernel.tasks[pid].pma_caps",
        Mapping::Mapped(
            "Task.emulator.pma (the PMA node both capabilities name; the model's two \
             capabilities project to a node only when they agree)",
        ),
    ),
    (
        "nodes[n].kernel.tasks[pid].pages",
        Mapping::Mapped("Task.pages, the first pages_max (each page's home node, XMM)"),
    ),
    (
        "nodes[n].kernel.tasks[pid].(files, port_queue, offered, attempt, faulting, dirty, \
         reading)",
        Mapping::Unobservable(
            "the refimpl prices threads, capabilities and file tokens in its timing model \
             (their counts differ by design: the null process has 2 threads, 8 \
             capabilities); offers, faults, dirty pages and reads are steps inside its timed \
             plans",
        ),
    ),
    (
        "nodes[n].kernel.precopied",
        Mapping::Unobservable("pre-copy progress is a timed plan in the refimpl"),
    ),
    (
        "pmm.pids[pid].life",
        Mapping::Mapped("PmMaster.entries[pid].life (absent: unborn, reserved: embryo)"),
    ),
    (
        "pmm.pids[pid].node",
        Mapping::Mapped("PmMaster.entries[pid].node while alive or a zombie"),
    ),
    (
        "pmm.pids[pid].(parent, pgrp, session)",
        Mapping::Unobservable("checked by P10 inside each side; fixed at creation"),
    ),
    (
        "pmm.pids[pid].cleanup_at, pmm.waiters, pmm.buried",
        Mapping::Unobservable("PM Master bookkeeping between messages"),
    ),
    (
        "pmm.group",
        Mapping::Unobservable(
            "G1 one after another (spec §3.3.4): the member the PM Master waits for and those \
             still to start (the refimpl's `PmMaster.group_run`); bookkeeping between \
             messages, whose effects show as members leaving the active list one at a time",
        ),
    ),
    (
        "emus[pid]",
        Mapping::Unobservable("the emulator's call counters; calls are stimuli in traces"),
    ),
    (
        "net",
        Mapping::Unobservable(
            "the two sides exchange different message sets (the refimpl's RPCs carry what \
             the model splits into several messages); messages are matched by their effects",
        ),
    ),
    (
        "reqs[r].status, reqs[r].handled",
        Mapping::Mapped(
            "World.reqs[r].status (routing, queued, in progress, lost, or the outcome \
             without its data) and .handled (times a PMA served it, P6); both sides number \
             requests in issue order",
        ),
    ),
    (
        "reqs[r].(sender, target, call, caller_node)",
        Mapping::Unobservable("fixed by the stimulus that issued the request"),
    ),
    (
        "reqs[r].(forwarded, queued, absent)",
        Mapping::Unobservable(
            "history counters of the P6 and L2 monitors, checked inside each side; their \
             effects show as status changes",
        ),
    ),
    (
        "reqs[r].detail",
        Mapping::Unobservable(
            "the answer's payload (usage, a child's pid): the refimpl's usage accounting is \
             its timing model's (it does not refund an R4' abort as the model does)",
        ),
    ),
    (
        "pcntl_issued, pcntl_outstanding, calls_issued, crashes",
        Mapping::Unobservable("bound counters of the model"),
    ),
    (
        "ghost",
        Mapping::Unobservable("the properties' history variables"),
    ),
    (
        "u1",
        Mapping::Unobservable(
            "U1's frontier (spec §13.4): derived by the model from its own history of calls \
             and answers, which the refimpl does not keep",
        ),
    ),
    (
        "channels_per_port, done_on_vproc_port",
        Mapping::Unobservable(
            "constants of the run (the `Config` switches of the same names), given to the \
             refimpl's `Config` by the bridge",
        ),
    ),
];

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
    }
}

impl Observed {
    /// The components, flattened with their names, for diffs and for the monotone search
    /// of spec §12.9.
    pub fn components(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (n, nd) in self.nodes.iter().enumerate() {
            out.push((format!("nodes[{n}].alive"), nd.alive.to_string()));
            for (pid, s) in nd.procs.iter().enumerate() {
                out.push((format!("nodes[{n}].procs[{pid}]"), format!("{s:?}")));
            }
        }
        for (pid, e) in self.pm.iter().enumerate() {
            out.push((format!("pm[{pid}]"), format!("{:?}@{:?}", e.life, e.node)));
        }
        for (pid, t) in self.tasks.iter().enumerate() {
            out.push((format!("tasks[{pid}]"), format!("{t:?}")));
        }
        for (pid, s) in self.suspended.iter().enumerate() {
            out.push((format!("suspended[{pid}]"), s.to_string()));
        }
        for (pid, c) in self.caps.iter().enumerate() {
            out.push((format!("caps[{pid}]"), format!("{c:?}")));
        }
        for (pid, p) in self.pages.iter().enumerate() {
            out.push((format!("pages[{pid}]"), format!("{p:?}")));
        }
        for (r, q) in self.reqs.iter().enumerate() {
            out.push((
                format!("reqs[{r}]"),
                format!("{:?} served {}", q.status, q.handled),
            ));
        }
        for (n, per) in self.queues.iter().enumerate() {
            for (pid, q) in per.iter().enumerate() {
                out.push((format!("nodes[{n}].queue[{pid}]"), format!("{q:?}")));
            }
        }
        for (n, per) in self.held.iter().enumerate() {
            for (pid, q) in per.iter().enumerate() {
                out.push((format!("nodes[{n}].held[{pid}]"), format!("{q:?}")));
            }
        }
        out
    }

    /// Whether going from `self` to `next` leaves alone every component that already has
    /// `target`'s value (a step of a macro-step towards `target`: the components it still
    /// has to change may pass through other values, the others are settled).
    pub fn moves_towards(&self, next: &Observed, target: &Observed) -> bool {
        // The same components as `components()`, compared in place: this runs for every
        // successor the validation search visits (spec §12.9), so it must not allocate.
        fn settled<T: PartialEq>(a: &[T], b: &[T], t: &[T]) -> bool {
            a.len() == b.len()
                && b.len() == t.len()
                && a.iter().zip(b).zip(t).all(|((x, y), z)| x != z || x == y)
        }
        fn nested<T: PartialEq>(a: &[Vec<T>], b: &[Vec<T>], t: &[Vec<T>]) -> bool {
            a.len() == b.len()
                && b.len() == t.len()
                && a.iter().zip(b).zip(t).all(|((x, y), z)| settled(x, y, z))
        }
        self.nodes.len() == next.nodes.len()
            && next.nodes.len() == target.nodes.len()
            && self
                .nodes
                .iter()
                .zip(&next.nodes)
                .zip(&target.nodes)
                .all(|((x, y), z)| {
                    (x.alive != z.alive || x.alive == y.alive)
                        && settled(&x.procs, &y.procs, &z.procs)
                })
            && settled(&self.pm, &next.pm, &target.pm)
            && settled(&self.tasks, &next.tasks, &target.tasks)
            && settled(&self.suspended, &next.suspended, &target.suspended)
            && settled(&self.caps, &next.caps, &target.caps)
            && settled(&self.pages, &next.pages, &target.pages)
            && settled(&self.reqs, &next.reqs, &target.reqs)
            && nested(&self.queues, &next.queues, &target.queues)
            && nested(&self.held, &next.held, &target.held)
    }

    /// A field-by-field diff, one line per differing component (`name: left != right`).
    pub fn diff(&self, other: &Observed) -> String {
        let a = self.components();
        let b = other.components();
        let mut s = String::new();
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            if x != y {
                let _ = writeln!(s, "  {name}: {x} != {y}");
            }
        }
        if a.len() != b.len() {
            let _ = writeln!(s, "  shape: {} != {} components", a.len(), b.len());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use osfmig_refimpl::timing::Costs;
    use osfmig_refimpl::world::Config as RConfig;

    fn model_cfg() -> Config {
        Config {
            processes_max: 2,
            ..Config::default()
        }
    }

    // Reference: spec §12.7 — the initial states project equal: processes active on their
    // home node, alive at the PM Master, their tasks there.
    #[test]
    fn initial_states_project_equal() {
        let cfg = model_cfg();
        let m = of_model(&Sys::initial(&cfg));
        let mut w = World::new(
            RConfig {
                nodes: cfg.nodes_max as usize,
                ..RConfig::default()
            },
            Costs::i386(),
            0,
        );
        let homes: Vec<usize> = (0..cfg.processes_max)
            .map(|p| cfg.home_of(p) as usize)
            .collect();
        w.load_scripted(&homes);
        let r = of_refimpl(&w, &cfg);
        assert_eq!(m, r, "diff:\n{}", m.diff(&r));
        assert_eq!(m.nodes[1].procs, vec![Slot::Active, Slot::Active]);
        assert_eq!(m.tasks, vec![Some(1), Some(1)]);
    }

    // Reference: spec §12.7 — a crash is observed: the node is down and its lists are empty.
    #[test]
    fn crash_is_observed_on_both_sides() {
        let cfg = model_cfg();
        let mut st = Sys::initial(&cfg);
        osfmig_model::crash::crash(&mut st, &cfg, 1);
        let m = of_model(&st);
        assert!(!m.nodes[1].alive);
        assert_eq!(m.nodes[1].procs, vec![Slot::Free, Slot::Free]);
        assert_eq!(m.tasks, vec![None, None]);
        let mut w = World::new(RConfig::default(), Costs::i386(), 0);
        w.load_scripted(&[1, 1]);
        w.crash(1);
        let r = of_refimpl(&w, &cfg);
        assert_eq!(r.nodes, m.nodes);
        assert_eq!(r.tasks, m.tasks);
    }

    // Reference: spec §12.7 — the diff names the differing component.
    #[test]
    fn diff_names_the_component() {
        let cfg = model_cfg();
        let a = of_model(&Sys::initial(&cfg));
        let mut b = a.clone();
        b.nodes[2].procs[1] = Slot::Incoming;
        let d = a.diff(&b);
        assert_eq!(d.trim(), "nodes[2].procs[1]: Free != Incoming");
        assert!(a.moves_towards(&b, &b));
        // From b, the settled component may not change back.
        assert!(!b.moves_towards(&a, &b));
    }

    // Reference: spec §12.9 — the in-place `moves_towards` is the component-wise rule over
    // `components()` (settled components stay), on observations of states along walks.
    #[test]
    fn moves_towards_is_the_component_rule() {
        let spec = osfmig_model::presets::find_run("crash-rich").unwrap();
        let model = osfmig_model::OsfModel::new(spec.config.clone());
        let mut obs: Vec<Observed> = Vec::new();
        for seed in 0..20u64 {
            let mut st = Sys::initial(&spec.config);
            let mut x = seed;
            for _ in 0..40 {
                obs.push(of_model(&st));
                let mut acts = Vec::new();
                model.enabled(&st, &mut acts);
                if acts.is_empty() {
                    break;
                }
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                st = model
                    .step(&st, &acts[(x >> 33) as usize % acts.len()])
                    .unwrap();
            }
        }
        let by_strings = |a: &Observed, b: &Observed, t: &Observed| {
            let (a, b, t) = (a.components(), b.components(), t.components());
            // A request issued in between (a stimulus) changes the set of components: no
            // macro-step of non-stimulus steps does that.
            a.len() == b.len()
                && b.len() == t.len()
                && a.iter()
                    .zip(&b)
                    .zip(&t)
                    .all(|((x, y), z)| x.1 != z.1 || x.1 == y.1)
        };
        let (mut yes, mut no) = (0, 0);
        for w in obs.windows(3) {
            for (a, b, t) in [
                (&w[0], &w[1], &w[2]),
                (&w[1], &w[0], &w[2]),
                (&w[0], &w[2], &w[1]),
            ] {
                let m = a.moves_towards(b, t);
                assert_eq!(m, by_strings(a, b, t));
                if m {
                    yes += 1;
                } else {
                    no += 1;
                }
            }
        }
        assert!(yes > 0 && no > 0, "both outcomes occur: {yes} / {no}");
    }

    // Reference: spec §12.7 — every top-level variable of the model's state is declared.
    #[test]
    fn every_model_variable_is_declared() {
        let st = serde_json::to_value(Sys::initial(&model_cfg())).unwrap();
        let declared: Vec<&str> = MODEL_VARIABLES.iter().map(|(n, _)| *n).collect();
        for key in st.as_object().unwrap().keys() {
            assert!(
                declared
                    .iter()
                    .any(|d| d.split([',', '.', '[', ' ']).any(|w| w == key)),
                "model variable `{key}` is neither mapped nor declared unobservable"
            );
        }
    }
}

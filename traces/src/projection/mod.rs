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

mod net;
mod sides;
mod variables;

pub use sides::{of_model, of_refimpl};
pub use variables::{Mapping, MODEL_VARIABLES};

use std::fmt::Write;

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

/// How far a process migrating out of a PMA is frozen (spec §3.2.1 phase (a)): not
/// migrating out, freezing (R1 to R4'), or frozen (R5 reached; R6 detaches it).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Freeze {
    #[default]
    None,
    Freezing,
    Frozen,
}

/// A PMA's vproc for a pid (spec §2.4, paper §2.2): none, the local operations, client
/// stubs to another node's PMA, or enqueueing while the process migrates out (R1, R2).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ObsVproc {
    #[default]
    Unknown,
    Local,
    Remote(u8),
    Enqueue,
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
    /// Times it entered a pending queue Q (R2, R4').
    #[serde(default)]
    pub queued: u8,
    /// Times a PMA forwarded it from a pending queue (R14).
    #[serde(default)]
    pub forwarded: u8,
    /// The node whose PMA is the caller's vproc client: where the emulator's capability
    /// pointed when it called (VP1); its answer goes there.
    #[serde(default)]
    pub caller: u8,
}

/// One node as observed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObsNode {
    pub alive: bool,
    /// Per pid; all `free` on a crashed node (its PMA is gone).
    pub procs: Vec<Slot>,
}

/// A process's relationships as the PM Master records them (spec §2.5, P10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObsFamily {
    pub parent: Option<u8>,
    pub pgrp: u8,
    pub session: u8,
}

/// The PM Master's entry for one pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObsPm {
    pub life: PmLife,
    /// The recorded location while the pid is alive or a zombie; `None` otherwise (an
    /// unborn or dead pid's slot keeps a stale node that nobody reads).
    pub node: Option<u8>,
}

/// G1 one after another at the PM Master (spec §3.3.4): the group migration it paces.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObsGroup {
    /// Where the group goes.
    pub dst: u8,
    /// The member whose freeze the PM Master awaits, and the node whose PMA reports it.
    pub awaiting: (u8, u8),
    /// The members not started yet, in pid order.
    pub rest: Vec<u8>,
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
    /// Per node and pid, how far the process migrating out of that PMA is frozen (R1
    /// starts the freeze, R5 ends it); `none` otherwise, and on a crashed node.
    #[serde(default)]
    pub freeze: Vec<Vec<Freeze>>,
    /// Per node and pid, the PMA's vproc (VP1 routes through it, R16 refreshes it); all
    /// `unknown` on a crashed node.
    #[serde(default)]
    pub vprocs: Vec<Vec<ObsVproc>>,
    /// Per pid, whether the kernel holding its task offers it for a pull (R6 and T1 offer
    /// it; a pull, R8 and R10 end the offer); `false` when it has no task on a live node.
    #[serde(default)]
    pub offered: Vec<bool>,
    /// Per pid, the page of a copy-on-reference or flush fault in progress (R17) on the
    /// task; `None` when none is, or the pid has no task on a live node.
    #[serde(default)]
    pub faulting: Vec<Option<u8>>,
    /// Per pid, whether a file read of the task is in progress (its reply not yet
    /// consumed); `false` when it has no task on a live node.
    #[serde(default)]
    pub reading: Vec<bool>,
    /// Per pid, the PM Master's record of its relationships (parent, process group,
    /// session) while the pid is alive or a zombie.
    #[serde(default)]
    pub family: Vec<Option<ObsFamily>>,
    /// The `wait()` requests the PM Master has parked until a child exits, as a set in
    /// request order.
    #[serde(default)]
    pub waiters: Vec<u16>,
    /// The crashed nodes whose processes the PM Master has buried, in node order.
    #[serde(default)]
    pub buried: Vec<u8>,
    /// Per node and pid, whether the process is exiting there (an `exit()` served, until
    /// the PM Master's acknowledgement: R5's guard); `false` on a crashed node.
    #[serde(default)]
    pub exiting: Vec<Vec<bool>>,
    /// Per pid, the emulator's process-management calls neither answered nor lost, while its
    /// task is on a live node (`null` otherwise); an answer on its way to the task counts as
    /// received (spec §12.7).
    #[serde(default)]
    pub outstanding: Vec<Option<u8>>,
    /// The `pcntl` requests neither answered nor lost.
    #[serde(default)]
    pub pcntl_outstanding: u8,
    /// The group migration the PM Master paces one member after another (G1), if any.
    #[serde(default)]
    pub group: Option<ObsGroup>,
    /// The protocol messages in flight that both sides send as messages, sorted
    /// (`projection::net`).
    #[serde(default)]
    pub net: Vec<String>,
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
        fn per_pid<T: std::fmt::Debug>(out: &mut Vec<(String, String)>, name: &str, v: &[T]) {
            for (pid, x) in v.iter().enumerate() {
                out.push((format!("{name}[{pid}]"), format!("{x:?}")));
            }
        }
        fn per_node<T: std::fmt::Debug>(out: &mut Vec<(String, String)>, name: &str, g: &[Vec<T>]) {
            for (n, per) in g.iter().enumerate() {
                for (pid, x) in per.iter().enumerate() {
                    out.push((format!("nodes[{n}].{name}[{pid}]"), format!("{x:?}")));
                }
            }
        }
        per_pid(&mut out, "tasks", &self.tasks);
        per_pid(&mut out, "suspended", &self.suspended);
        per_pid(&mut out, "caps", &self.caps);
        per_pid(&mut out, "pages", &self.pages);
        for (r, q) in self.reqs.iter().enumerate() {
            out.push((
                format!("reqs[{r}]"),
                format!(
                    "{:?} served {} queued {} forwarded {} caller {}",
                    q.status, q.handled, q.queued, q.forwarded, q.caller
                ),
            ));
        }
        per_node(&mut out, "queue", &self.queues);
        per_node(&mut out, "held", &self.held);
        per_node(&mut out, "freeze", &self.freeze);
        per_node(&mut out, "vproc", &self.vprocs);
        per_pid(&mut out, "offered", &self.offered);
        per_pid(&mut out, "faulting", &self.faulting);
        per_pid(&mut out, "reading", &self.reading);
        per_pid(&mut out, "family", &self.family);
        out.push(("waiters".into(), format!("{:?}", self.waiters)));
        out.push(("buried".into(), format!("{:?}", self.buried)));
        per_node(&mut out, "exiting", &self.exiting);
        per_pid(&mut out, "outstanding", &self.outstanding);
        out.push((
            "pcntl_outstanding".into(),
            self.pcntl_outstanding.to_string(),
        ));
        out.push(("group".into(), format!("{:?}", self.group)));
        out.push(("net".into(), format!("{:?}", self.net)));
        out
    }

    /// Whether going from `self` to `next` leaves alone every component that already has
    /// `target`'s value (a step of a macro-step towards `target`: the components it still
    /// has to change may pass through other values, the others are settled). The drivers
    /// that choose the refimpl's events one at a time (replay, directed recording) hold the
    /// messages in flight to the same rule; the model's macro-steps do not
    /// ([`Observed::moves_towards_within_event`]).
    pub fn moves_towards(&self, next: &Observed, target: &Observed) -> bool {
        self.moves_towards_within_event(next, target)
            && (self.net != target.net || self.net == next.net)
    }

    /// [`Observed::moves_towards`] without the messages in flight: the rule for the model's
    /// steps that explain one refimpl event (spec §12.9). One refimpl event may send a
    /// message and consume it (an answer given and read in the same event), so the
    /// model's network passes through other values and comes back; it is compared at the
    /// macro-step's end.
    pub fn moves_towards_within_event(&self, next: &Observed, target: &Observed) -> bool {
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
            && nested(&self.freeze, &next.freeze, &target.freeze)
            && nested(&self.vprocs, &next.vprocs, &target.vprocs)
            && settled(&self.offered, &next.offered, &target.offered)
            && settled(&self.faulting, &next.faulting, &target.faulting)
            && settled(&self.reading, &next.reading, &target.reading)
            && settled(&self.family, &next.family, &target.family)
            && (self.waiters != target.waiters || self.waiters == next.waiters)
            && (self.buried != target.buried || self.buried == next.buried)
            && nested(&self.exiting, &next.exiting, &target.exiting)
            && settled(&self.outstanding, &next.outstanding, &target.outstanding)
            && (self.pcntl_outstanding != target.pcntl_outstanding
                || self.pcntl_outstanding == next.pcntl_outstanding)
            && (self.group != target.group || self.group == next.group)
    }

    /// A field-by-field diff, one line per differing component (`name: left != right`).
    pub fn diff(&self, other: &Observed) -> String {
        // Matched by name, not by position: a component one side has and the other lacks
        // (a request issued on one side only) must not shift the names of those after it.
        let a = self.components();
        let b = other.components();
        let of_b: std::collections::HashMap<&str, &str> =
            b.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let of_a: std::collections::HashSet<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
        let mut s = String::new();
        for (name, x) in &a {
            match of_b.get(name.as_str()) {
                Some(y) if *y == x.as_str() => {}
                Some(y) => {
                    let _ = writeln!(s, "  {name}: {x} != {y}");
                }
                None => {
                    let _ = writeln!(s, "  {name}: {x} != (absent)");
                }
            }
        }
        for (name, y) in &b {
            if !of_a.contains(name.as_str()) {
                let _ = writeln!(s, "  {name}: (absent) != {y}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use osfmig_model::{Config, Sys};
    use osfmig_refimpl::timing::Costs;
    use osfmig_refimpl::world::Config as RConfig;
    use osfmig_refimpl::world::World;

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
        let within_by_strings = |a: &Observed, b: &Observed, t: &Observed| {
            let strip = |o: &Observed| Observed {
                net: Vec::new(),
                ..o.clone()
            };
            by_strings(&strip(a), &strip(b), &strip(t))
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
                assert_eq!(
                    a.moves_towards_within_event(b, t),
                    within_by_strings(a, b, t)
                );
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

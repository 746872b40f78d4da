//! The stateright model: actions, transitions and symmetry (spec §3, §4).
//!
//! Every actor's handler lives in its own module; this file only enumerates what may happen
//! next (message deliveries and the actors' own steps) and applies it. `actions()` lists
//! actions in a fixed order, so a path of action indices replays exactly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;
use stateright::{Model, Property};

use crate::config::{Config, Mode};
use crate::state::*;
use crate::types::*;
use crate::{crash, file_server, kernel, pm_master, pma, process, properties};

/// What may happen next. Rule IDs are given by [`rule_of`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    /// Deliver the head of a network channel. `exhausted` is the environment's choice for a
    /// MigrateRequest when refusals are on (R7 for lack of memory).
    Deliver {
        idx: u8,
        exhausted: bool,
    },
    /// A process's emulator issues a system call.
    Issue {
        pid: Pid,
        call: Call,
        target: Pid,
    },
    FileRead {
        pid: Pid,
    },
    ConsumeReply {
        pid: Pid,
    },
    /// R17: a page homed elsewhere is touched.
    Touch {
        pid: Pid,
        page: u8,
    },
    /// Pre-copy: a pre-copied page is written again.
    Dirty {
        pid: Pid,
        page: u8,
    },
    /// `pcntl(MIGRATE)`.
    PcntlMigrate {
        pid: Pid,
        dst: NodeId,
    },
    /// `pcntl(ALLOW/DISALLOW, pid)` (G2 at run time, `Calls::pcntl_allow`).
    PcntlAllow {
        pid: Pid,
        allow: bool,
    },
    /// Pre-copy round (strategy `precopy`).
    PreCopy {
        node: NodeId,
        pid: Pid,
        page: u8,
    },
    PreCopyDone {
        node: NodeId,
        pid: Pid,
    },
    /// R3.
    Suspend {
        node: NodeId,
        pid: Pid,
    },
    /// R4'.
    AbortRestartable {
        node: NodeId,
        pid: Pid,
    },
    /// R5.
    Freeze {
        node: NodeId,
        pid: Pid,
    },
    /// R6.
    Detach {
        node: NodeId,
        pid: Pid,
    },
    /// R10.
    Abandon {
        node: NodeId,
        pid: Pid,
    },
    /// R11 (the pull request).
    Pull {
        node: NodeId,
        pid: Pid,
    },
    /// R12.
    Install {
        node: NodeId,
        pid: Pid,
    },
    /// R13 (first half).
    InformPmm {
        node: NodeId,
        pid: Pid,
    },
    /// PM2: an exiting process is torn down at its PMA.
    FinishExit {
        node: NodeId,
        pid: Pid,
    },
    /// A test node crashes (C1-C4).
    Crash {
        node: NodeId,
    },
    /// A dead-name notification handled at `node` for `pid` (C1-C4).
    Detect {
        node: NodeId,
        pid: Pid,
    },
    /// The PM Master buries the processes of a crashed node.
    Bury {
        node: NodeId,
    },
}

/// The model of one configuration.
#[derive(Clone)]
pub struct OsfModel {
    pub cfg: Config,
    /// Set when a state beyond `queue_len_max` was cut off: the run is then incomplete.
    pub boundary_hit: Arc<AtomicBool>,
    /// Set to end a search early (a timeout): every successor is then outside the boundary,
    /// so the search drains at once. stateright's own timeout never fires with one thread.
    pub stop: Arc<AtomicBool>,
    /// The antecedents of the registered `always` properties that reached states met, in
    /// registry order (spec §6.4).
    pub exercised: crate::exercised::Exercised,
}

impl OsfModel {
    pub fn new(cfg: Config) -> Self {
        let preds = properties::registry(&cfg)
            .iter()
            .filter_map(|p| p.antecedent)
            .collect();
        OsfModel {
            cfg,
            boundary_hit: Arc::new(AtomicBool::new(false)),
            stop: Arc::new(AtomicBool::new(false)),
            exercised: crate::exercised::Exercised::new(preds),
        }
    }

    pub fn boundary_was_hit(&self) -> bool {
        self.boundary_hit.load(Ordering::Relaxed)
    }

    /// Applies an action (the transition function, shared with replay and liveness).
    pub fn step(&self, last: &Sys, action: &Action) -> Option<Sys> {
        let cfg = &self.cfg;
        let mut st = last.clone();
        st.ghost.p8_check = None;
        match *action {
            Action::Deliver { idx, exhausted } => {
                let env = st.net.remove(idx as usize);
                deliver(&mut st, cfg, env, exhausted);
            }
            Action::Issue { pid, call, target } => process::issue(&mut st, pid, call, target),
            Action::FileRead { pid } => process::file_read(&mut st, pid),
            Action::ConsumeReply { pid } => process::consume_reply(&mut st, pid),
            Action::Touch { pid, page } => process::touch(&mut st, pid, page),
            Action::Dirty { pid, page } => process::dirty(&mut st, pid, page),
            Action::PcntlMigrate { pid, dst } => process::pcntl_migrate(&mut st, pid, dst),
            Action::PcntlAllow { pid, allow } => process::pcntl_allow(&mut st, pid, allow),
            Action::PreCopy { node, pid, page } => process::precopy(&mut st, node, pid, page),
            Action::PreCopyDone { node, pid } => process::end_precopy(&mut st, node, pid),
            Action::Suspend { node, pid } => pma::suspend(&mut st, node, pid),
            Action::AbortRestartable { node, pid } => pma::abort_restartable(&mut st, node, pid),
            Action::Freeze { node, pid } => pma::freeze(&mut st, node, pid),
            Action::Detach { node, pid } => pma::detach_and_send(&mut st, cfg, node, pid),
            Action::Abandon { node, pid } => pma::abandon(&mut st, cfg, node, pid),
            Action::Pull { node, pid } => pma::pull(&mut st, cfg, node, pid),
            Action::Install { node, pid } => pma::install_and_reattach(&mut st, cfg, node, pid),
            Action::InformPmm { node, pid } => pma::inform_pmm(&mut st, cfg, node, pid),
            Action::FinishExit { node, pid } => pma::finish_exit(&mut st, node, pid),
            Action::Crash { node } => crash::crash(&mut st, cfg, node),
            Action::Detect { node, pid } => crash::detect(&mut st, cfg, node, pid),
            Action::Bury { node } => pm_master::bury_node(&mut st, node),
        }
        crash::reap_unanchored(&mut st, matches!(action, Action::Crash { .. }));
        st.ghost.vanished = 0;
        self.exercised.observe(self, &st);
        Some(st)
    }

    /// Enabled actions, in a fixed order.
    pub fn enabled(&self, st: &Sys, out: &mut Vec<Action>) {
        let cfg = &self.cfg;
        for idx in st.deliverable() {
            let e = &st.net[idx];
            if let Actor::Port(pid) = e.dst {
                if kernel::port_holder(st, pid).is_none() && !port_message_droppable(cfg, st, pid) {
                    continue;
                }
            }
            out.push(Action::Deliver {
                idx: idx as u8,
                exhausted: false,
            });
            if cfg.refusals && matches!(e.msg, Msg::MigrateRequest { .. }) {
                out.push(Action::Deliver {
                    idx: idx as u8,
                    exhausted: true,
                });
            }
        }
        let pids = 0..cfg.pids();
        // At most: a signal to each other pid, getinfo, fork, wait, exit, sigsuspend.
        let mut calls = arrayvec::ArrayVec::<(Call, Pid), { PIDS_CAP + 5 }>::new();
        for pid in pids.clone() {
            calls.clear();
            process::issuable(st, cfg, pid, &mut calls);
            for &(call, target) in &calls {
                out.push(Action::Issue { pid, call, target });
            }
            if process::can_file_read(st, cfg, pid) {
                out.push(Action::FileRead { pid });
            }
            if process::can_consume_reply(st, pid) {
                out.push(Action::ConsumeReply { pid });
            }
            for page in 0..cfg.pages_max {
                if process::can_touch(st, cfg, pid, page) {
                    out.push(Action::Touch { pid, page });
                }
                if process::can_dirty(st, cfg, pid, page) {
                    out.push(Action::Dirty { pid, page });
                }
            }
            for dst in cfg.test_nodes() {
                if process::can_pcntl_migrate(st, cfg, pid, dst) {
                    out.push(Action::PcntlMigrate { pid, dst });
                }
            }
            for allow in [false, true] {
                if process::can_pcntl_allow(st, cfg, pid) {
                    out.push(Action::PcntlAllow { pid, allow });
                }
            }
        }
        for node in 0..cfg.nodes_max {
            if !st.alive(node) {
                continue;
            }
            for pid in pids.clone() {
                for page in 0..cfg.pages_max {
                    if process::can_precopy(st, node, pid, page) {
                        out.push(Action::PreCopy { node, pid, page });
                    }
                }
                if process::can_end_precopy(st, cfg, node, pid) {
                    out.push(Action::PreCopyDone { node, pid });
                }
                if pma::can_suspend(st, node, pid) {
                    out.push(Action::Suspend { node, pid });
                }
                if pma::can_abort_restartable(st, cfg, node, pid) {
                    out.push(Action::AbortRestartable { node, pid });
                }
                if pma::can_freeze(st, cfg, node, pid) {
                    out.push(Action::Freeze { node, pid });
                }
                if pma::can_detach(st, node, pid) {
                    out.push(Action::Detach { node, pid });
                }
                if pma::can_abandon(st, cfg, node, pid) {
                    out.push(Action::Abandon { node, pid });
                }
                if pma::can_pull(st, cfg, node, pid) {
                    out.push(Action::Pull { node, pid });
                }
                if pma::can_install(st, node, pid) {
                    out.push(Action::Install { node, pid });
                }
                if pma::can_inform(st, node, pid) {
                    out.push(Action::InformPmm { node, pid });
                }
                if pma::can_finish_exit(st, node, pid) {
                    out.push(Action::FinishExit { node, pid });
                }
                if crash::can_detect(st, cfg, node, pid) {
                    out.push(Action::Detect { node, pid });
                }
            }
        }
        if st.crashes < cfg.crashes_max {
            for node in cfg.test_nodes() {
                if st.alive(node) {
                    out.push(Action::Crash { node });
                }
            }
        }
        for node in cfg.test_nodes() {
            if pm_master::can_bury_node(st, node) {
                out.push(Action::Bury { node });
            }
        }
    }
}

/// A message to a task port whose task is gone for good (not in transit) is dropped on
/// delivery. FS1: a reply for a task in transit waits for it ("queued in the task port space
/// and migrated or forwarded in a uniform fashion", paper §3.1).
fn port_message_droppable(cfg: &Config, st: &Sys, pid: Pid) -> bool {
    if cfg.mutant_is(crate::mutants::Mutant::PortDropsInTransit) {
        return true;
    }
    let in_transit = st
        .net
        .iter()
        .any(|e| matches!(&e.msg, Msg::TaskState { pid: p, .. } if *p == pid));
    !in_transit
}

/// Hands a message to its receiver's handler.
fn deliver(st: &mut Sys, cfg: &Config, env: Envelope, exhausted: bool) {
    let src_node = env.src.node();
    let from = || src_node.expect("node-bound sender");
    match env.dst {
        Actor::Pma(node) => match env.msg {
            Msg::Syscall { req } => pma::on_syscall(st, cfg, node, req),
            Msg::Request { req } => pma::on_request(st, cfg, node, from(), req),
            Msg::Reply { req, outcome } => pma::on_reply(st, req, outcome),
            Msg::AbsentProcess { req } => pma::on_absent(st, cfg, node, req),
            Msg::Located { req, node: loc } => pma::on_located(st, cfg, node, req, loc),
            Msg::MigrateRequest {
                pid,
                image,
                attempt,
            } => pma::on_migrate_request(st, cfg, node, from(), pid, image, attempt, exhausted),
            Msg::Refused { pid, attempt } => pma::on_refused(st, cfg, node, pid, attempt),
            Msg::Done { pid } => pma::on_done(st, cfg, node, from(), pid),
            Msg::Forward { pid, reqs } => pma::on_forward(st, cfg, node, pid, reqs),
            Msg::LocationAck { pid, dead } => pma::on_location_ack(st, cfg, node, pid, dead),
            Msg::ChildExited { req, child } => pma::on_child_exited(st, node, req, child),
            Msg::PidAllocated { req, child, gen } => {
                pma::on_pid_allocated(st, cfg, node, req, child, gen)
            }
            Msg::TaskMigrated { pid, .. } => pma::on_task_migrated(st, node, pid),
            Msg::MemberMigrate { pid, dst } => pma::on_member_migrate(st, cfg, node, pid, dst),
            m => unreachable!("PMA does not take {m:?}"),
        },
        Actor::Kernel(node) => match env.msg {
            Msg::PullTask { pid, attempt } => {
                kernel::on_pull_task(st, cfg, node, from(), pid, attempt)
            }
            Msg::TaskState { pid, task } => kernel::on_task_state(st, cfg, node, pid, task),
            Msg::PullFailed { pid, attempt } => kernel::on_pull_failed(st, cfg, node, pid, attempt),
            Msg::TaskOffer { pid, src, attempt } => {
                kernel::on_task_offer(st, node, pid, src, attempt)
            }
            Msg::PageRequest { pid, page } => kernel::on_page_request(st, node, from(), pid, page),
            Msg::PageData { pid, page } => kernel::on_page_data(st, node, from(), pid, page),
            Msg::PreCopyPage { pid, page } => kernel::on_precopy_page(st, node, pid, page),
            m => unreachable!("kernel does not take {m:?}"),
        },
        Actor::Port(pid) => {
            if let Some(node) = kernel::port_holder(st, pid) {
                match env.msg {
                    Msg::FileReply { pid } => kernel::on_file_reply(st, node, pid),
                    Msg::TaskMigrate { pid, dst } => kernel::on_task_migrate(st, node, pid, dst),
                    m => unreachable!("task port does not take {m:?}"),
                }
            }
        }
        Actor::PmMaster => match env.msg {
            Msg::Relookup { req } => pm_master::on_relookup(st, cfg, from(), req),
            Msg::LocationUpdate { pid, node, gen } => {
                pm_master::on_location_update(st, cfg, from(), pid, node, gen)
            }
            Msg::WaitChild { req, parent } => pm_master::on_wait_child(st, from(), req, parent),
            Msg::ExitNotify { pid } => pm_master::on_exit_notify(st, cfg, pid),
            Msg::AllocPid { req, parent } => pm_master::on_alloc_pid(st, cfg, from(), req, parent),
            Msg::ChildCreated { pid } => pm_master::on_child_created(st, pid),
            Msg::ForkAborted { pid } => pm_master::on_fork_aborted(st, pid),
            Msg::CleanedUp { pid } => pm_master::on_cleaned_up(st, from(), pid),
            Msg::Reap { pid } => pm_master::on_reap(st, pid),
            Msg::ProcessDied { pid, gen } => pm_master::on_process_died(st, cfg, from(), pid, gen),
            Msg::GroupMigrate { leader, dst } => {
                pm_master::on_group_migrate(st, cfg, from(), leader, dst)
            }
            Msg::GroupStep { pid } => pm_master::on_group_step(st, from(), pid),
            m => unreachable!("PM Master does not take {m:?}"),
        },
        Actor::FileServer => match env.msg {
            Msg::FileRead { pid } => file_server::on_file_read(st, pid),
            m => unreachable!("file server does not take {m:?}"),
        },
        Actor::Pcntl => unreachable!("nothing is sent to the pcntl caller"),
    }
}

/// The rule an action fires, for reports and traces (spec §3 IDs).
pub fn rule_of(st: &Sys, action: &Action, cfg: &Config) -> &'static str {
    match action {
        Action::Deliver { idx, exhausted } => {
            let Some(e) = st.net.get(*idx as usize) else {
                return "?";
            };
            match &e.msg {
                Msg::Syscall { req } | Msg::Request { req } => {
                    let Actor::Pma(n) = e.dst else { return "?" };
                    let syscall = matches!(e.msg, Msg::Syscall { .. });
                    arrival_rule(st, cfg, n, *req, syscall)
                }
                Msg::Reply { .. } => "VP3 Reply",
                Msg::AbsentProcess { .. } | Msg::Relookup { .. } | Msg::Located { .. } => {
                    "R16 Relookup"
                }
                Msg::MigrateRequest { pid, attempt, .. } => {
                    // The label is read off the step's own outcome, not recomputed from R7's
                    // guard, so that a label never says "refused" of a step that accepted
                    // (issue 12): the delivery refuses exactly when it sends a `Refused`.
                    let refusals = |s: &Sys| {
                        s.net
                            .iter()
                            .filter(|r| {
                                matches!(r.msg, Msg::Refused { pid: p, attempt: a }
                                    if p == *pid && a == *attempt)
                            })
                            .count()
                    };
                    let mut next = st.clone();
                    let env = next.net.remove(*idx as usize);
                    deliver(&mut next, cfg, env, *exhausted);
                    if refusals(&next) > refusals(st) {
                        "R7 Refuse"
                    } else {
                        "R9 Accept"
                    }
                }
                Msg::Refused { .. } => "R8 Reinstate",
                Msg::Done { .. } | Msg::Forward { .. } | Msg::CleanedUp { .. } => {
                    "R14 ForwardAndCleanUp"
                }
                Msg::PullTask { .. } | Msg::TaskState { .. } => "R11 TaskPull",
                Msg::PullFailed { .. } => "R10 Abandon",
                Msg::TaskMigrate { .. } | Msg::TaskOffer { .. } | Msg::TaskMigrated { .. } => {
                    "T1 TaskOnly"
                }
                Msg::LocationUpdate { .. } | Msg::LocationAck { .. } => "R13 InformPMMAndRestart",
                Msg::WaitChild { .. } | Msg::Reap { .. } => "PM1 Wait",
                Msg::ChildExited { .. } => "R4 SyscallDone",
                Msg::ExitNotify { .. } => "PM2 Exit",
                Msg::AllocPid { .. }
                | Msg::PidAllocated { .. }
                | Msg::ChildCreated { .. }
                | Msg::ForkAborted { .. } => "PM3 Fork",
                Msg::ProcessDied { .. } => "C3 ProcessDied",
                Msg::GroupMigrate { .. } | Msg::MemberMigrate { .. } | Msg::GroupStep { .. } => {
                    "G1 GroupMigration"
                }
                Msg::PageRequest { .. } | Msg::PageData { .. } => "R17 CORFault",
                Msg::PreCopyPage { .. } => "AS1 PreCopy",
                Msg::FileRead { .. } | Msg::FileReply { .. } => "FS1 FileIO",
            }
        }
        Action::Issue { .. } => "EM1 Syscall",
        Action::FileRead { .. } | Action::ConsumeReply { .. } => "FS1 FileIO",
        Action::Touch { .. } => "R17 CORFault",
        Action::Dirty { .. } | Action::PreCopy { .. } | Action::PreCopyDone { .. } => "AS1 PreCopy",
        Action::PcntlMigrate { .. } => "R1 StartMigration",
        Action::PcntlAllow { .. } => "G2 AllowDisallow",
        Action::Suspend { .. } => "R3 Suspend",
        Action::AbortRestartable { .. } => "R4' AbortRestartable",
        Action::Freeze { .. } => "R5 Frozen",
        Action::Detach { .. } => "R6 DetachAndSend",
        Action::Abandon { .. } => "R10 Abandon",
        Action::Pull { .. } => "R11 TaskPull",
        Action::Install { .. } => "R12 InstallAndReattach",
        Action::InformPmm { .. } => "R13 InformPMMAndRestart",
        Action::FinishExit { .. } => "PM2 Exit",
        Action::Crash { .. } => "C* NodeCrash",
        Action::Detect { .. } => "C* DetectCrash",
        Action::Bury { .. } => "C* PMMBury",
    }
}

/// The rule a request fires when it reaches the PMA at `n` (spec §3.1): routed on, served
/// (by the call's own rule), enqueued (R2), held, or answered AbsentProcess (R15).
fn arrival_rule(st: &Sys, cfg: &Config, n: NodeId, req: ReqId, syscall: bool) -> &'static str {
    let r = &st.reqs[req as usize];
    let migrate = matches!(r.call, Call::Migrate { .. });
    match &st.pma(n).procs[r.target as usize] {
        Local::Free if syscall => "VP1 Route",
        Local::Free => "R15 AbsentProcess",
        Local::Active { proc, out: None } => {
            if proc.awaiting_forward.is_some() {
                return "P11 HoldUntilForward";
            }
            match r.call {
                Call::Migrate { .. } if !proc.allowed => "G2 AllowDisallow",
                Call::Migrate { .. } if cfg.mode == Mode::Task => "T1 TaskOnly",
                Call::Migrate { .. } if cfg.group && cfg.processes_max > 1 => "G1 GroupMigration",
                Call::Migrate { .. } => "R1 StartMigration",
                Call::Wait => "PM1 Wait",
                Call::Exit => "PM2 Exit",
                Call::Fork => "PM3 Fork",
                Call::GetInfo => "A1 Accounting",
                Call::Allow { .. } => "G2 AllowDisallow",
                Call::Signal | Call::Sigsuspend => "VP2 Serve",
            }
        }
        Local::Active { out: Some(_), .. } | Local::Migrating { .. } if migrate => {
            "R1 StartMigration"
        }
        Local::Active { out: Some(_), .. } | Local::Migrating { .. } => "R2 Enqueue",
        Local::Incoming { .. } => "R13 HoldUntilRestart",
    }
}

/// Every rule ID `rule_of` can name; the `ci` preset must fire each (spec §3).
pub const RULES: &[&str] = &[
    "EM1 Syscall",
    "VP1 Route",
    "VP2 Serve",
    "VP3 Reply",
    "R1 StartMigration",
    "R2 Enqueue",
    "R3 Suspend",
    "R4 SyscallDone",
    "R4' AbortRestartable",
    "R5 Frozen",
    "R6 DetachAndSend",
    "R7 Refuse",
    "R8 Reinstate",
    "R9 Accept",
    "R10 Abandon",
    "R11 TaskPull",
    "R12 InstallAndReattach",
    "R13 InformPMMAndRestart",
    "R13 HoldUntilRestart",
    "R14 ForwardAndCleanUp",
    "R15 AbsentProcess",
    "R16 Relookup",
    "R17 CORFault",
    "G1 GroupMigration",
    "G2 AllowDisallow",
    "A1 Accounting",
    "T1 TaskOnly",
    "P11 HoldUntilForward",
    "PM1 Wait",
    "PM2 Exit",
    "PM3 Fork",
    "AS1 PreCopy",
    "FS1 FileIO",
    "C* NodeCrash",
    "C* DetectCrash",
    "C* PMMBury",
    "C3 ProcessDied",
];

/// One line describing an action in the state it is taken from.
pub fn describe(st: &Sys, action: &Action, cfg: &Config) -> String {
    let rule = rule_of(st, action, cfg);
    match action {
        Action::Deliver { idx, exhausted } => match st.net.get(*idx as usize) {
            Some(e) => format!(
                "{rule}: {:?} -> {:?}: {:?}{}",
                e.src,
                e.dst,
                e.msg,
                if *exhausted {
                    " (memory exhausted)"
                } else {
                    ""
                }
            ),
            None => format!("{rule}: deliver #{idx}"),
        },
        other => format!("{rule}: {other:?}"),
    }
}

impl Model for OsfModel {
    type State = Sys;
    type Action = Action;

    fn init_states(&self) -> Vec<Sys> {
        vec![Sys::initial(&self.cfg)]
    }

    fn actions(&self, st: &Sys, actions: &mut Vec<Action>) {
        self.enabled(st, actions);
    }

    fn next_state(&self, last: &Sys, action: Action) -> Option<Sys> {
        self.step(last, &action)
    }

    fn format_action(&self, action: &Action) -> String {
        format!("{action:?}")
    }

    fn format_step(&self, last: &Sys, action: Action) -> Option<String> {
        Some(describe(last, &action, &self.cfg))
    }

    /// The Explorer draws the path to the selected state as the same sequence chart
    /// `check --msc` writes (spec §8.4).
    fn as_svg(&self, path: stateright::Path<Sys, Action>) -> Option<String> {
        let actions = path.into_actions();
        Some(crate::narrate::chart(self, "the path to this state", &actions).svg())
    }

    /// The registry's properties, named by their IDs ("P1", "S-refusal"): stateright looks
    /// every property up by name in its discovery map (a SipHash of the name) on every state
    /// it visits, so short names are measurably cheaper than the long ones (spec §8.4).
    fn properties(&self) -> Vec<Property<Self>> {
        properties::registry(&self.cfg)
            .into_iter()
            .map(|p| match p.expectation {
                properties::Expectation::Always => Property::always(p.id, p.check),
                properties::Expectation::Sometimes => Property::sometimes(p.id, p.check),
                properties::Expectation::Eventually => Property::eventually(p.id, p.check),
            })
            .collect()
    }

    fn within_boundary(&self, st: &Sys) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        let ok = st.net.len() <= self.cfg.queue_len_max as usize;
        if !ok {
            self.boundary_hit.store(true, Ordering::Relaxed);
        }
        ok
    }
}

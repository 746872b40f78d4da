//! spec §12.3, §12.9 How a recorded refimpl event is named in the trace vocabulary: who
//! took it and on which node, and the model's rule label its timeline labels stand for.
//! `record.rs` writes these; `traces check` holds them to the model (`validate.rs`,
//! `fields.rs`), so the translation from the refimpl's labels to the model's rules lives
//! here, in one place.

use osfmig_refimpl::world::{Ep, Ev, World};

use crate::format::{action_id, is_known_action, TAU};
use crate::projection::Observed;

/// Who handles a refimpl event, and on which node (spec §12.3): the actor the event is for
/// and the node it runs on (`None` only for a task in transit), read before the event runs.
pub fn who(w: &World, ev: &Ev) -> (&'static str, Option<u8>) {
    let task = |pid: u32| w.port_holder(pid).map(|n| n as u8);
    let at = |n: usize| Some(n as u8);
    match ev {
        Ev::Deliver(m) => match m.dst {
            Ep::Pma(n) => ("pma", at(n)),
            Ep::Kernel(n) => ("kernel", at(n)),
            // The PM Master, the file server and the `pcntl` caller are on the master node.
            Ep::Pmm => ("pm_master", Some(0)),
            Ep::Fs(_) => ("file_server", Some(0)),
            Ep::Task(p) => ("process", task(p)),
            Ep::Monitor => ("pcntl", Some(0)),
        },
        Ev::Step(id) => ("pma", w.plan_node(*id).map(|n| n as u8)),
        Ev::DeadName { node, .. } => ("kernel", at(*node)),
        Ev::Detect { node, .. } => ("pma", at(*node)),
        Ev::Crash { node } => ("env", at(*node)),
        Ev::Pcntl { .. } => ("pcntl", Some(0)),
        Ev::FaultDone { pid, .. } => ("kernel", task(*pid)),
        Ev::ComputeDone { pid, .. } | Ev::PortReceive { pid } | Ev::ProgramStep { pid } => {
            ("process", task(*pid))
        }
        // R5's check, R6, R10 and R13's restart are the PMA's where the task is (the source
        // while it freezes, the destination once installed).
        Ev::FreezeCheck { pid }
        | Ev::Detach { pid }
        | Ev::Abandon { pid }
        | Ev::Restart { pid } => ("pma", task(*pid)),
    }
}

/// What a refimpl event did, as far as the choice of its rule label needs it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Did {
    /// It was R13's restart at the destination (`Ev::Restart`).
    pub restart: bool,
    /// A task's threads became suspended in it.
    pub suspended: bool,
    /// A task arrived at a node in it.
    pub arrived: bool,
}

impl Did {
    /// What an event did that turned the observation `before` into `after`; `restart` says
    /// whether it was R13's restart.
    pub fn of(restart: bool, before: &Observed, after: &Observed) -> Did {
        let became = |now: bool, was: Option<bool>| now && was == Some(false);
        Did {
            restart,
            suspended: (0..after.suspended.len())
                .any(|p| became(after.suspended[p], before.suspended.get(p).copied())),
            arrived: (0..after.tasks.len()).any(|p| {
                became(
                    after.tasks[p].is_some(),
                    before.tasks.get(p).map(Option::is_some),
                )
            }),
        }
    }
}

/// The model's rule label for the refimpl's timeline labels of one event (the first that
/// names a model step), or `"τ Internal"` when none does (spec §12.9).
///
/// The refimpl's labels are translated where they name another step than the model's rule
/// of the same ID: C1-C4 are logged by a survivor's detection (the model's `C* DetectCrash`;
/// in the C3 case the PM Master's `ProcessDied` is a later message), except the C4 of a
/// restart the PM Master refused because it buried the process (spec §5.3: the model's R13
/// acknowledgement); C5 by the PM Master's burial; R3 when the suspension plan completes,
/// which is the event that suspended the threads only when the plan had one step; T1 also
/// when the task arrives at the destination in a task-only migration, the model's R11 (the
/// task's state delivered).
pub fn rule_for(labels: &[String], did: Did) -> &'static str {
    for (i, l) in labels.iter().enumerate() {
        let rule = match l.as_str() {
            // VP1 routes; when the request reached the PMA holding the process in the same
            // event, the model names the step by what that PMA did (its arrival rule).
            "VP1" if labels[i + 1..].iter().any(|m| names_a_step(m)) => None,
            "R13-hold" => Some("R13 HoldUntilRestart"),
            "C4" if did.restart => Some("R13 InformPMMAndRestart"),
            "C1" | "C2" | "C3" | "C4" => Some("C* DetectCrash"),
            "C5" => Some("C* PMMBury"),
            "R3" if !did.suspended => None,
            "T1" if did.arrived => Some("R11 TaskPull"),
            id if is_known_action(id) => osfmig_model::model::RULES
                .iter()
                .copied()
                .find(|r| action_id(r) == id),
            _ => None,
        };
        if let Some(r) = rule {
            return r;
        }
    }
    TAU
}

/// Whether a refimpl label names the step of a PMA a routed request reached (a rule ID, or
/// one `rule_for` translates). `C*` does not: the refimpl logs it for a request lost on its
/// way to a crashed node, which the model counts as VP1's send.
fn names_a_step(l: &str) -> bool {
    l != "C*" && (matches!(l, "R13-hold" | "C1" | "C2" | "C3" | "C4" | "C5") || is_known_action(l))
}

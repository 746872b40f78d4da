//! Safety properties (P1-P11, A1) and reachability items (spec §6). Each invariant is a free
//! function over the state; `registry` decides which apply to a configuration.

use crate::config::{Config, Mode, Strategy};
use crate::model::OsfModel;
use crate::state::*;
use crate::types::*;

mod reachability;
pub use reachability::*;
pub mod why;

pub(crate) fn live_nodes(st: &Sys) -> impl Iterator<Item = (NodeId, &Node)> {
    st.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.alive)
        .map(|(i, n)| (i as NodeId, n))
}

pub(crate) fn pids(st: &Sys) -> std::ops::Range<Pid> {
    0..st.emus.len() as Pid
}

/// spec §6.1 P1 pid uniqueness: "At most one active proc structure per pid in the whole
/// system; a reserved or migrating copy exists only between R9 and R14." A reservation that
/// has received the task (R11 done) never coexists with an active copy elsewhere.
pub fn p1_pid_uniqueness(_: &OsfModel, st: &Sys) -> bool {
    pids(st).all(|p| {
        let active = live_nodes(st).filter(|(_, n)| matches!(n.pma.procs[p as usize], Local::Active { .. })).count();
        let installed = live_nodes(st)
            .filter(|(_, n)| matches!(n.pma.procs[p as usize], Local::Incoming { stage, .. } if stage >= InStage::TaskArrived))
            .count();
        active <= 1 && installed <= 1 && !(installed == 1 && active == 1)
    }) && !st.ghost.p1_reused
}

/// spec §6.1 P2 single runnable copy: "P's threads are runnable on at most one node at a time."
pub fn p2_single_runnable_copy(_: &OsfModel, st: &Sys) -> bool {
    pids(st).all(|p| {
        live_nodes(st)
            .filter(|(_, n)| {
                n.kernel.tasks[p as usize]
                    .as_ref()
                    .is_some_and(|t| t.threads == Threads::Running)
            })
            .count()
            <= 1
    })
}

/// spec §6.1 P3 commit discipline: "Abandon is never taken after the pull; after the pull S
/// never reinstates P." Under process migration a proc on a PMA's active list always has its
/// task on that node's kernel: a reinstated proc whose task was pulled away breaks it.
pub fn p3_commit_discipline(m: &OsfModel, st: &Sys) -> bool {
    if m.cfg.mode != Mode::Process {
        return true;
    }
    pids(st).all(|p| {
        live_nodes(st).all(|(_, n)| {
            !matches!(n.pma.procs[p as usize], Local::Active { .. })
                || n.kernel.tasks[p as usize].is_some()
        })
    })
}

/// spec §6.1 P4 freeze consistency: "State is extracted only when threads are suspended, no
/// call is in progress, and P is not exiting." Checked on every extracted image.
pub fn p4_freeze_consistency(_: &OsfModel, st: &Sys) -> bool {
    let ok = |i: &ProcImage| i.threads_suspended && i.in_progress.is_none() && !i.exiting;
    // The source keeps the copy it extracted on its migrating list: it must still read as a
    // frozen process, with the task (while still there) suspended.
    live_nodes(st).all(|(_, n)| {
        n.pma
            .procs
            .iter()
            .zip(n.kernel.tasks.iter())
            .all(|(l, t)| match l {
                Local::Migrating { proc, .. } => {
                    proc.in_progress.is_none()
                        && !proc.exiting
                        && t.as_ref().is_none_or(|t| t.threads == Threads::Suspended)
                }
                _ => true,
            })
    }) && st.net.iter().all(|e| match &e.msg {
        Msg::MigrateRequest { image, .. } => ok(image),
        _ => true,
    })
}

/// spec §6.1 P5 no lost requests: "Every request for P is handled by the PMA where P is
/// active, or answered AbsentProcess and re-sent." A request is lost only with its caller's
/// node or the node serving it (spec §5.5).
pub fn p5_no_lost_requests(_: &OsfModel, st: &Sys) -> bool {
    !st.ghost.p5_misrouted && !st.ghost.p5_dropped
}

/// spec §6.1 P6 exactly once: "Each queued request is forwarded once on success, or handled
/// once locally on refusal or abandon." Served at most once; forwarded at most once per time
/// it was queued (a process that moves on before the forward arrives queues it again).
pub fn p6_exactly_once(_: &OsfModel, st: &Sys) -> bool {
    st.reqs
        .iter()
        .all(|r| r.handled <= 1 && r.forwarded <= r.queued)
}

/// spec §6.1 P7 no residual PMA dependency: "After R14, S's PMA holds no proc, capability or
/// queue for P and no emulator capability of P points at S."
pub fn p7_no_residual_dependency(m: &OsfModel, st: &Sys) -> bool {
    if m.cfg.mode != Mode::Process {
        return true;
    }
    pids(st).all(|p| {
        let migrating_somewhere =
            live_nodes(st).any(|(_, n)| matches!(n.pma.procs[p as usize], Local::Migrating { .. }));
        let Some(d) = st.active_node(p) else {
            return true;
        };
        if migrating_somewhere {
            return true;
        }
        let caps_ok = st.nodes[d as usize].kernel.tasks[p as usize]
            .as_ref()
            .is_none_or(|t| t.pma_caps.iter().all(|&c| c == d));
        let others_ok = live_nodes(st).filter(|&(i, _)| i != d).all(|(_, n)| {
            let slot_ok = match &n.pma.procs[p as usize] {
                Local::Free => true,
                // A reservation is destination-side state (P1 and L4 watch it): one left by an
                // abandoned attempt waits for its failed pull, whoever its source was.
                Local::Incoming { .. } => true,
                _ => false,
            };
            slot_ok && n.pma.vprocs[p as usize] != Vproc::Enqueue
        });
        caps_ok && others_ok
    })
}

/// spec §6.1 P8 refusal reinstates: "After Refused, P is active on S with threads running, the
/// caller is told, and D holds nothing for P." Checked on the state R8 produces. "Nothing"
/// is read per attempt: a reservation D still holds for an earlier, abandoned attempt is
/// released by that attempt's failed pull, and is no part of this refusal (spec §10).
pub fn p8_refusal_reinstates(m: &OsfModel, st: &Sys) -> bool {
    let Some((p, s, d, attempt)) = st.ghost.p8_check else {
        return true;
    };
    let active = matches!(st.pma(s).procs[p as usize], Local::Active { out: None, .. });
    let running = st.nodes[s as usize].kernel.tasks[p as usize]
        .as_ref()
        .is_some_and(|t| t.threads == Threads::Running);
    let told = !st.reqs.iter().any(|r| {
        r.target == p
            && matches!(r.call, Call::Migrate { .. })
            && r.status == ReqStatus::InProgress { node: s }
    });
    let d_clean = !st.alive(d)
        || match st.pma(d).procs[p as usize] {
            Local::Free => true,
            Local::Incoming { attempt: a, .. } => m.cfg.attempt_tags && a != attempt,
            _ => false,
        };
    active && running && told && d_clean
}

/// spec §6.1 P9 AbsentProcess implies relocation: "When S answers AbsentProcess, the PM
/// Master does not locate P on S."
pub fn p9_absent_implies_relocation(_: &OsfModel, st: &Sys) -> bool {
    !st.ghost.p9_broken
}

/// spec §6.1 P10 relationships unchanged: "Parent, process group and session are the same
/// after migration"; open files (file-server capabilities) travel unchanged too.
pub fn p10_relationships_unchanged(m: &OsfModel, st: &Sys) -> bool {
    pids(st).all(|p| {
        let e = &st.pmm.pids[p as usize];
        (e.parent, e.pgrp, e.session) == st.ghost.relationships[p as usize]
            && live_nodes(st).all(|(_, n)| {
                n.kernel.tasks[p as usize]
                    .as_ref()
                    .is_none_or(|t| t.files == m.cfg.files_max)
            })
    })
}

/// spec §6.1 P11 per-sender order: a request is never served while an earlier request from
/// the same sender to the same target is still unserved.
pub fn p11_per_sender_order(_: &OsfModel, st: &Sys) -> bool {
    !st.ghost.p11_broken
}

/// spec §6.1 P12 no process left frozen: "Every process whose migration was refused,
/// abandoned or failed (C2) runs again." A process on a PMA's active list with no migration
/// of it in progress has its threads running.
pub fn p12_not_left_frozen(_: &OsfModel, st: &Sys) -> bool {
    live_nodes(st).all(|(_, n)| {
        n.pma.procs.iter().enumerate().all(|(p, l)| match l {
            Local::Active { proc, out: None } if proc.task_migrating.is_none() => st
                .task(p as Pid)
                .is_none_or(|t| t.threads == Threads::Running),
            _ => true,
        })
    })
}

/// spec §6.1 P13 installed before running: "A task's threads never run on a node before its
/// PMA state and capabilities are installed there" (R12, R13). A running task's emulator
/// capabilities all name one PMA, which, if its node is up, holds the process active; under
/// process migration that PMA is on the task's own node.
pub fn p13_installed_before_running(m: &OsfModel, st: &Sys) -> bool {
    live_nodes(st).all(|(k, n)| {
        n.kernel.tasks.iter().enumerate().all(|(p, t)| {
            let Some(t) = t.as_ref().filter(|t| t.threads == Threads::Running) else {
                return true;
            };
            let pma = t.pma_caps[0];
            let one = t.pma_caps.iter().all(|&c| c == pma);
            let here = m.cfg.mode == Mode::Task || pma == k;
            let holds = !st.alive(pma) || matches!(st.pma(pma).procs[p], Local::Active { .. });
            one && here && holds
        })
    })
}

/// spec §6.1 P14 truthful answers: "NoSuchProcess only for a pid that no live process holds;
/// AbsentProcess only from a PMA that does not hold the process." Checked where each answer
/// is decided (the PM Master's look-up, R15).
pub fn p14_truthful_answers(_: &OsfModel, st: &Sys) -> bool {
    !st.ghost.p14_broken
}

/// spec §13.4 U1 linearizability: "the history of calls and answers is linearizable against
/// the user-level specification": some order of the calls, keeping their real-time order,
/// gives every answer the one-node process table of spec §13 gives.
pub fn u1_linearizable(_: &OsfModel, st: &Sys) -> bool {
    st.u1.linearizable()
}

/// spec §6.1 A1 accounting: "Resource usage is returned accumulated over all previous nodes;
/// usage since arrival on the current node is also available. Migration count ... exported."
pub fn a1_accounting(_: &OsfModel, st: &Sys) -> bool {
    live_nodes(st).all(|(_, n)| {
        n.pma.procs.iter().enumerate().all(|(p, l)| match l {
            Local::Active { proc, .. } => {
                proc.usage_total == st.ghost.usage[p]
                    && proc.migrations == st.ghost.migrations[p]
                    && proc.usage_here <= proc.usage_total
            }
            _ => true,
        })
    })
}

/// How a property is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expectation {
    Always,
    Sometimes,
    Eventually,
}

/// One registered property: ID (the name stateright knows it by, unique), name as reports
/// print it ("P1 pid uniqueness"), the check, and for an `always` property its antecedent:
/// the situation in which it could fail. A run must reach a state where the antecedent
/// holds, or the property held vacuously there and the run fails (spec §6.4).
#[derive(Clone, Copy)]
pub struct PropDef {
    pub id: &'static str,
    pub name: &'static str,
    pub expectation: Expectation,
    pub check: fn(&OsfModel, &Sys) -> bool,
    pub antecedent: Option<fn(&OsfModel, &Sys) -> bool>,
}

fn always(id: &'static str, name: &'static str, check: fn(&OsfModel, &Sys) -> bool) -> PropDef {
    // An `always` property with no antecedent is never exercised, so its runs fail (spec §6.4):
    // forgetting one cannot make a property count as tested.
    fn never(_: &OsfModel, _: &Sys) -> bool {
        false
    }
    let antecedent = Some(crate::exercised::antecedent(id).unwrap_or(never));
    PropDef {
        id,
        name,
        expectation: Expectation::Always,
        check,
        antecedent,
    }
}

const fn sometimes(
    id: &'static str,
    name: &'static str,
    check: fn(&OsfModel, &Sys) -> bool,
) -> PropDef {
    PropDef {
        id,
        name,
        expectation: Expectation::Sometimes,
        check,
        antecedent: None,
    }
}

/// The safety and reachability properties that apply to `cfg` (spec §6).
pub fn registry(cfg: &Config) -> Vec<PropDef> {
    let mut v: Vec<PropDef> = safety_properties()
        .into_iter()
        .filter_map(|(p, applies)| applies(cfg).then_some(p))
        .collect();
    v.extend(
        reachability_items(cfg)
            .into_iter()
            .filter_map(|(applies, p)| applies.then_some(p)),
    );
    v
}

/// Whether the processes may make calls on the PMAs (not only file reads and page faults).
fn pma_calls(cfg: &Config) -> bool {
    let c = cfg.calls;
    cfg.requests_max > 0 && (c.signal || c.getinfo || c.wait || c.exit || c.fork)
}

/// Whether a process may exit while another caller (a process's `kill()` or `pcntl`) still
/// names it, so that it is answered AbsentProcess or ESRCH.
fn exit_seen_by_others(c: &Config) -> bool {
    pma_calls(c) && c.calls.exit && (c.calls.signal || c.migrations_max > 0)
}

/// Whether a property applies to a configuration.
pub type Applies = fn(&Config) -> bool;

/// Every `always` property with the condition under which it applies to a configuration:
/// where its antecedent can be met (spec §6.4). A property that applies must be exercised.
pub fn safety_properties() -> Vec<(PropDef, Applies)> {
    fn process(c: &Config) -> bool {
        c.mode == Mode::Process
    }
    fn migrates(c: &Config) -> bool {
        c.migrates()
    }
    vec![
        // Two proc structures for one pid exist between R9 and R14; fork() hands pids out.
        (always("P1", "P1 pid uniqueness", p1_pid_uniqueness), |c| {
            (process(c) && migrates(c)) || (c.calls.fork && c.forks_max > 0)
        }),
        (
            always("P2", "P2 single runnable copy", p2_single_runnable_copy),
            migrates,
        ),
        (
            always("P3", "P3 commit discipline", p3_commit_discipline),
            |c| process(c) && migrates(c),
        ),
        (
            always("P4", "P4 freeze consistency", p4_freeze_consistency),
            |c| process(c) && migrates(c),
        ),
        // A request is queued at a migrating process (R2), or lost with a crashed node.
        (
            always("P5", "P5 no lost requests", p5_no_lost_requests),
            |c| (process(c) && pma_calls(c) && migrates(c)) || c.crashes_max > 0,
        ),
        (always("P6", "P6 exactly once", p6_exactly_once), |c| {
            (process(c) && pma_calls(c) && migrates(c)) || c.crashes_max > 0
        }),
        (
            always(
                "P7",
                "P7 no residual PMA dependency",
                p7_no_residual_dependency,
            ),
            |c| process(c) && migrates(c),
        ),
        (
            always("P8", "P8 refusal reinstates", p8_refusal_reinstates),
            |c| process(c) && migrates(c) && c.refusals,
        ),
        // AbsentProcess needs a process gone from a PMA a caller still names: a second
        // migration, an exit, or a crash that kills (copy-on-reference).
        (
            always(
                "P9",
                "P9 AbsentProcess implies relocation",
                p9_absent_implies_relocation,
            ),
            |c| {
                process(c)
                    && (c.migrations_max >= 2
                        || exit_seen_by_others(c)
                        || (c.crashes_max > 0 && c.strategy == Strategy::Cor && pma_calls(c)))
            },
        ),
        (
            always(
                "P10",
                "P10 relationships unchanged",
                p10_relationships_unchanged,
            ),
            migrates,
        ),
        // Two calls of one sender on one target in flight at once need two threads.
        (
            always("P11", "P11 per-sender order", p11_per_sender_order),
            |c| c.outstanding_max >= 2 && pma_calls(c),
        ),
        (always("A1", "A1 accounting", a1_accounting), migrates),
        (
            always("P12", "P12 no process left frozen", p12_not_left_frozen),
            migrates,
        ),
        (
            always(
                "P13",
                "P13 installed before running",
                p13_installed_before_running,
            ),
            migrates,
        ),
        // ESRCH or AbsentProcess needs a process gone: as P9, or a crash under T1.
        (
            always("P14", "P14 truthful answers", p14_truthful_answers),
            |c| {
                (process(c) && c.migrations_max >= 2)
                    || exit_seen_by_others(c)
                    || (c.crashes_max > 0
                        && (c.strategy == Strategy::Cor || c.mode == Mode::Task)
                        && pma_calls(c))
            },
        ),
        (
            always(
                "U1",
                "U1 linearizable against the user-level spec",
                u1_linearizable,
            ),
            |_| true,
        ),
    ]
}

#[cfg(test)]
mod tests {
    // Reference: spec §8.4. stateright knows each property by its ID, so IDs must be unique.
    #[test]
    fn ids_are_unique_in_every_catalog_run() {
        for run in crate::presets::catalog() {
            let reg = super::registry(&run.config);
            let mut ids: Vec<_> = reg.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), reg.len(), "{}", run.name);
        }
    }
}

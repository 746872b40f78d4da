//! # Exercised: no property holds vacuously (spec §6.4)
//!
//! An invariant that is never put to the test says nothing. Each `always` property has an
//! *antecedent* here: a state predicate that holds in the situations where the property could
//! fail (a refusal just handled for P8, an image in transit for P4, …). The safety search and
//! the liveness exploration record which antecedents some reached state satisfied
//! ([`Exercised`]); a run in which a registered property was never exercised fails, as an
//! undiscovered reachability item does. Liveness obligations are exercised when their trigger
//! holds in some reached state (`liveness/`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::model::OsfModel;
use crate::state::*;
use crate::types::*;

/// An antecedent (spec §6.4): a predicate over one state.
pub type Pred = fn(&OsfModel, &Sys) -> bool;

fn live(st: &Sys) -> impl Iterator<Item = &Node> {
    st.nodes.iter().filter(|n| n.alive)
}

/// P1: some pid has two proc structures on live PMAs (a migration between R9 and R14), or a
/// pid was given to a new process (PM3).
fn two_procs(_: &OsfModel, st: &Sys) -> bool {
    st.ghost.seen.0 & (Seen::PID_REUSED | Seen::FORKED) != 0
        || (0..st.emus.len()).any(|p| {
            live(st)
                .filter(|n| !matches!(n.pma.procs[p], Local::Free))
                .count()
                >= 2
        })
}

/// P2: a task is on its way between two kernels (R11, T1).
fn task_in_transit(_: &OsfModel, st: &Sys) -> bool {
    st.net
        .iter()
        .any(|e| matches!(e.msg, Msg::TaskState { .. }))
}

/// P3: a source still holds a process whose task it has shipped (after the commit point).
fn shipped_while_migrating(_: &OsfModel, st: &Sys) -> bool {
    (0..st.emus.len()).any(|p| {
        st.ghost.committed[p] && live(st).any(|n| matches!(n.pma.procs[p], Local::Migrating { .. }))
    })
}

/// P4: an image is in transit (R6 extracted it).
fn image_in_transit(_: &OsfModel, st: &Sys) -> bool {
    st.net
        .iter()
        .any(|e| matches!(e.msg, Msg::MigrateRequest { .. }))
}

/// P5, P6: a request was queued at a migrating process (R2), or lost.
fn queued_or_lost(_: &OsfModel, st: &Sys) -> bool {
    st.reqs
        .iter()
        .any(|r| r.queued > 0 || r.status == ReqStatus::Lost)
}

/// P7, P10, A1: a migration completed (R13, T1).
fn migrated(_: &OsfModel, st: &Sys) -> bool {
    st.ghost.migrations.iter().any(|&m| m > 0)
}

/// P8: R8 just handled a refusal.
fn refusal_handled(_: &OsfModel, st: &Sys) -> bool {
    st.ghost.p8_check.is_some()
}

/// P9, P14: an AbsentProcess or an ESRCH look-up answer is on its way.
fn absent_or_esrch(_: &OsfModel, st: &Sys) -> bool {
    st.net.iter().any(|e| {
        matches!(
            e.msg,
            Msg::AbsentProcess { .. } | Msg::Located { node: None, .. }
        )
    })
}

/// P11: two requests of one sender to one target are both unanswered.
fn two_from_one_sender(_: &OsfModel, st: &Sys) -> bool {
    let open = |r: &Req| !matches!(r.status, ReqStatus::Completed(_) | ReqStatus::Lost);
    st.reqs.iter().enumerate().any(|(i, a)| {
        open(a)
            && st.reqs[i + 1..]
                .iter()
                .any(|b| open(b) && b.sender == a.sender && b.target == a.target)
    })
}

/// P12: a migration ended, by a restart at the destination or a reinstatement at the source.
fn migration_ended(_: &OsfModel, st: &Sys) -> bool {
    st.ghost.migrations.iter().any(|&m| m > 0)
        || st.ghost.seen.0 & (Seen::REFUSAL | Seen::ABANDON | Seen::C2) != 0
}

/// P13: a pulled task sits at its destination before R13 restarts it.
fn task_arrived(_: &OsfModel, st: &Sys) -> bool {
    live(st).any(|n| {
        n.pma.procs.iter().any(|l| {
            matches!(
                l,
                Local::Incoming {
                    stage: InStage::TaskArrived | InStage::Installed | InStage::Informing,
                    ..
                }
            )
        })
    }) || st
        .net
        .iter()
        .any(|e| matches!(e.msg, Msg::TaskMigrated { .. }))
}

/// U1: some call has been answered.
fn answered(_: &OsfModel, st: &Sys) -> bool {
    st.reqs
        .iter()
        .any(|r| matches!(r.status, ReqStatus::Completed(_)))
}

/// The antecedent of the `always` property `id`.
pub fn antecedent(id: &str) -> Option<Pred> {
    Some(match id {
        "P1" => two_procs,
        "P2" => task_in_transit,
        "P3" => shipped_while_migrating,
        "P4" => image_in_transit,
        "P5" | "P6" => queued_or_lost,
        "P7" | "P10" | "A1" => migrated,
        "P8" => refusal_handled,
        "P9" | "P14" => absent_or_esrch,
        "P11" => two_from_one_sender,
        "P12" => migration_ended,
        "P13" => task_arrived,
        "U1" => answered,
        _ => return None,
    })
}

/// Which antecedents some reached state satisfied, shared by every clone of a model (the
/// search threads, the liveness exploration).
#[derive(Clone, Default)]
pub struct Exercised {
    preds: Arc<Vec<Pred>>,
    mask: Arc<AtomicU64>,
}

impl Exercised {
    pub fn new(preds: Vec<Pred>) -> Exercised {
        assert!(
            preds.len() <= 64,
            "{} antecedents exceed the mask",
            preds.len()
        );
        Exercised {
            preds: Arc::new(preds),
            mask: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Records the antecedents `st` satisfies. Once every one has been met this is one load.
    pub fn observe(&self, m: &OsfModel, st: &Sys) {
        let all = if self.preds.len() == 64 {
            u64::MAX
        } else {
            (1u64 << self.preds.len()) - 1
        };
        let have = self.mask.load(Ordering::Relaxed);
        if have == all {
            return;
        }
        let mut new = 0;
        for (i, p) in self.preds.iter().enumerate() {
            if have & (1 << i) == 0 && p(m, st) {
                new |= 1 << i;
            }
        }
        if new != 0 {
            self.mask.fetch_or(new, Ordering::Relaxed);
        }
    }

    /// Whether antecedent `i` was met.
    pub fn met(&self, i: usize) -> bool {
        self.mask.load(Ordering::Relaxed) & (1 << i) != 0
    }
}

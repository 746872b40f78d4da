//! spec §11.8 What the paper's monitor collected (§4): per migration, the total migration
//! time (freeze time), the task migration time, the freezing latency; and for the whole run
//! the messages, capabilities, bytes and pages exchanged and what they cost.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sim::Time;
use crate::timing::{MsgKind, MsgShape};
use crate::workload::Mode;
use crate::world::{Outcome, Phase};
use crate::Pid;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counter {
    pub messages: u64,
    pub caps: u64,
    pub bytes: u64,
    pub pages: u64,
    pub time_ns: u64,
}

/// One migration as the monitor saw it.
#[derive(Clone, Debug, Serialize)]
pub struct MigRecord {
    pub pid: Pid,
    pub mode: Mode,
    /// pcntl issued by the monitor (the decision to migrate).
    pub requested: Time,
    /// R1 at the source PMA (process) or TaskMigrate at the kernel (task).
    pub started: Option<Time>,
    /// R5: frozen (process mode).
    pub frozen: Option<Time>,
    /// R11: the pull starts / the task is installed at D.
    pub pull_start: Option<Time>,
    pub pull_end: Option<Time>,
    /// The process runs again at D (R13 / task resume).
    pub restarted: Option<Time>,
    /// The pcntl caller is answered.
    pub answered: Option<Time>,
    pub outcome: Option<String>,
    /// Priced time by phase, in ns.
    pub phases: BTreeMap<String, Time>,
}

impl MigRecord {
    /// Total migration time: from the start at the source until the process runs again.
    pub fn total(&self) -> Option<Time> {
        Some(self.restarted? - self.started?)
    }
    /// Task migration time: the pull.
    pub fn task_time(&self) -> Option<Time> {
        Some(self.pull_end? - self.pull_start?)
    }
    /// Freezing latency: from the decision to the process frozen (process mode) or to the
    /// start of the pull (task mode).
    pub fn freezing_latency(&self) -> Option<Time> {
        match self.mode {
            Mode::Process => Some(self.frozen? - self.requested),
            Mode::Task => Some(self.pull_start? - self.requested),
        }
    }
    pub fn phase(&self, p: Phase) -> Time {
        self.phases.get(&format!("{p:?}")).copied().unwrap_or(0)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub by_kind: BTreeMap<(MsgKind, bool), Counter>,
    pub migrations: Vec<MigRecord>,
    current: BTreeMap<Pid, usize>,
    pub creation_time: Time,
    /// Copy-on-reference faults served (R17).
    pub cor_faults: u64,
    /// Invariant violations detected at the moment they happen (P4, P6, P8, P9, P11).
    pub violations: Vec<String>,
    /// The first invariant the checks found broken (`Config::check_invariants`), with the
    /// time, when `Config::record_broken` lets the run go on.
    pub broken: Option<(Time, String)>,
    pub crashes: u32,
    /// Processor time system work took from computations in progress (spec §11.10).
    pub processor_taken: Time,
    /// Computations started on a node where another was in progress, and so sharing its
    /// processor (spec §11.10); the paper's experiments have none.
    pub computations_overlapping: u64,
}

impl Stats {
    pub fn count(&mut self, s: &MsgShape, cost: Time) {
        let c = self.by_kind.entry((s.kind, s.local)).or_default();
        c.messages += 1;
        c.caps += s.caps as u64;
        c.bytes += s.bytes as u64;
        c.pages += s.pages as u64;
        c.time_ns += cost;
    }

    pub fn phase(&mut self, pid: Pid, p: Phase, cost: Time) {
        if p == Phase::Creation {
            self.creation_time += cost;
            return;
        }
        if let Some(&i) = self.current.get(&pid) {
            *self.migrations[i]
                .phases
                .entry(format!("{p:?}"))
                .or_insert(0) += cost;
        }
    }

    pub fn pcntl_issued(&mut self, pid: Pid, now: Time) {
        self.migrations.push(MigRecord {
            pid,
            mode: Mode::Process,
            requested: now,
            started: None,
            frozen: None,
            pull_start: None,
            pull_end: None,
            restarted: None,
            answered: None,
            outcome: None,
            phases: BTreeMap::new(),
        });
        self.current.insert(pid, self.migrations.len() - 1);
    }

    pub fn record(&mut self, pid: Pid) -> Option<&mut MigRecord> {
        let i = *self.current.get(&pid)?;
        Some(&mut self.migrations[i])
    }

    /// A migration started at the source without a pcntl of the monitor (G1 members).
    pub fn ensure(&mut self, pid: Pid, now: Time) {
        if !self.current.contains_key(&pid) {
            self.pcntl_issued(pid, now);
        }
    }

    pub fn end(&mut self, pid: Pid, now: Time, o: Outcome) {
        if let Some(r) = self.record(pid) {
            r.answered = Some(now);
            r.outcome = Some(format!("{o:?}"));
        }
        self.current.remove(&pid);
    }

    /// The pcntl request of `pid`'s migration was lost with a crashed node (spec §5.5): the
    /// monitor records the migration as lost and stops following it.
    pub fn lost(&mut self, pid: Pid, now: Time) {
        if let Some(r) = self.record(pid) {
            r.answered = Some(now);
            r.outcome = Some("Lost".into());
        }
        self.current.remove(&pid);
    }

    pub fn total(&self) -> Counter {
        let mut t = Counter::default();
        for c in self.by_kind.values() {
            t.messages += c.messages;
            t.caps += c.caps;
            t.bytes += c.bytes;
            t.pages += c.pages;
            t.time_ns += c.time_ns;
        }
        t
    }
}

//! spec §11.8 The timeline: one line per protocol step, with the virtual time, the node and
//! the rule ID (R1…R17, T1, G1, C1…C5, …) it implements.

use std::fmt::Write;

use crate::sim::{Time, NS_PER_US};
use crate::NodeId;

/// The reachability items (spec §6.3) the refimpl has a monitor for: the only ones it can
/// report reaching, and so the only ones `traces check` can hold it to reporting when every
/// explanation of a trace by the model reaches them (spec §12.16).
pub const MONITORED: &[&str] = &[
    "S-admission-held",
    "S-allow-changed",
    "S-C4-queue-lost",
    "S-C4-survived",
    "S-cor-fault",
    "S-flush-fault",
    "S-group-remote",
    "S-overtaken",
    "S-port-queue",
    "S-precopy-dirty",
    "S-queued-forwarded",
    "S-queued-reinstated",
    "S-second-migrate-rejected",
    "S-sigsuspend-aborted",
    "S-sigsuspend-pending",
    "S-sigsuspend-woken",
    "S-wait-delays-freeze",
];

#[derive(Clone, Debug)]
pub struct Entry {
    pub at: Time,
    pub node: NodeId,
    pub rule: &'static str,
    pub what: String,
}

#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub on: bool,
    pub entries: Vec<Entry>,
    /// The interesting cases of spec §6.3 this run reached, by their IDs ("S-overtaken"), in
    /// the order reached: the refimpl's own monitors, which trace recording reports and
    /// `traces check` holds against the model (spec §12.16).
    pub reached: Vec<(Time, &'static str)>,
}

impl Trace {
    pub fn new(on: bool) -> Trace {
        Trace {
            on,
            entries: Vec::new(),
            reached: Vec::new(),
        }
    }

    /// Notes that the run reached the interesting case `item` (a spec §6.3 ID), one of
    /// [`MONITORED`].
    pub fn reach(&mut self, at: Time, item: &'static str) {
        debug_assert!(MONITORED.contains(&item), "{item} is not in MONITORED");
        if self.on {
            self.reached.push((at, item));
        }
    }

    /// Logs one step; `what` is formatted only when the timeline is on (the timed runs of
    /// `osfmig paper` and the benchmark run with it off).
    pub fn log(&mut self, at: Time, node: NodeId, rule: &'static str, what: std::fmt::Arguments) {
        if self.on {
            self.entries.push(Entry {
                at,
                node,
                rule,
                what: what.to_string(),
            });
        }
    }

    /// The timeline as text: `   1234.567 ms  node 1  R6   what`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            let us = e.at / NS_PER_US;
            let _ = writeln!(
                s,
                "{:>7}.{:03} ms  node {}  {:<4} {}",
                us / 1000,
                us % 1000,
                e.node,
                e.rule,
                e.what
            );
        }
        s
    }
}

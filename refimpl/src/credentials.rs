//! spec §11.4 Credentials and resource usage. The credentials server shares per-process
//! information (user limits, resource usage) between the PMA and other servers (paper §2.2);
//! a migrating process carries its credentials entry (100 B) and its rusage (76 B) in the
//! image (R6). A1: usage is returned accumulated over every node the process ran on, and the
//! usage since arrival on the current node is available too.

use crate::sim::Time;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// RLIMIT-style memory limit in pages; R7 refuses a process that exceeds it at D.
    pub mem_limit_pages: u32,
}

/// Resource usage (A1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rusage {
    /// System calls served for the process on every node, accumulated (A1).
    pub calls_total: u64,
    /// System calls served since the process arrived on its current node.
    pub calls_here: u64,
    /// Compute time used, accumulated over every node.
    pub utime_total: Time,
    /// Compute time used on the current node.
    pub utime_here: Time,
    /// Completed migrations (exported, paper §4).
    pub migrations: u32,
    /// When the process last arrived on a node (creation or migration).
    pub arrived_at: Time,
}

impl Rusage {
    /// Called on arrival at a new node (R9 installs the image with `here` usage reset).
    pub fn arrive(&mut self, now: Time) {
        self.calls_here = 0;
        self.utime_here = 0;
        self.arrived_at = now;
    }

    pub fn charge_call(&mut self) {
        self.calls_total += 1;
        self.calls_here += 1;
    }

    pub fn charge_compute(&mut self, t: Time) {
        self.utime_total += t;
        self.utime_here += t;
    }

    /// A1 as an invariant: what is used here is part of what is used in total.
    pub fn consistent(&self) -> bool {
        self.calls_here <= self.calls_total && self.utime_here <= self.utime_total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §11.4 A1 — usage accumulates across arrivals; `here` restarts.
    #[test]
    fn a1_accumulates_across_migrations() {
        let mut r = Rusage::default();
        r.charge_call();
        r.charge_compute(10);
        r.arrive(100);
        r.charge_call();
        assert_eq!(r.calls_total, 2);
        assert_eq!(r.calls_here, 1);
        assert_eq!(r.utime_total, 10);
        assert_eq!(r.utime_here, 0);
        assert!(r.consistent());
    }
}

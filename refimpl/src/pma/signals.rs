//! spec §11.4 Signals at the PMA holding the process: a kill() delivered, and sigsuspend(),
//! which paper §3.2.1 names among "the system calls that do not modify the process's state
//! (e.g. wait(), sigsuspend())" that R4' aborts and restarts at the destination.
//!
//! The process keeps the signal blocked outside sigsuspend() (the usual idiom), so a signal
//! delivered while no sigsuspend() is in progress stays pending, and the next sigsuspend()
//! returns at once. The pending bit is local process state: it goes in the image (R6).

use crate::world::{Call, Outcome, ReqStatus, World};
use crate::{NodeId, Pid, ReqId};

impl World {
    /// A signal delivered to `pid`, active at `n`: it ends a sigsuspend() in progress, or
    /// stays pending for the next one. Without sigsuspend() in the run no process waits for
    /// signals, and nothing is kept.
    pub(crate) fn deliver_signal(&mut self, n: NodeId, pid: Pid) {
        if !self.cfg.sigsuspend {
            return;
        }
        let Some(p) = self.nodes[n].pma.procs.get_mut(&pid) else {
            return;
        };
        let waiting = p
            .in_progress
            .filter(|&s| self.reqs[s as usize].call == Call::Sigsuspend);
        let Some(s) = waiting else {
            p.sig_pending = true;
            return;
        };
        p.in_progress = None;
        let now = self.now();
        self.trace.log(
            now,
            n,
            "VP2",
            format_args!("sigsuspend() of pid {pid} returns for the signal (req {s})"),
        );
        self.trace.reach(now, "S-sigsuspend-woken");
        self.respond(n, s, Outcome::Ok);
    }

    /// sigsuspend() at the PMA holding the process: at once for a pending signal, else in
    /// progress until one is delivered (R4 awaits it, R4' aborts it).
    pub(crate) fn sigsuspend(&mut self, n: NodeId, r: ReqId) {
        let pid = self.reqs[r as usize].target;
        let now = self.now();
        let Some(p) = self.nodes[n].pma.procs.get_mut(&pid) else {
            return self.respond(n, r, Outcome::NoSuchProcess);
        };
        if p.sig_pending {
            p.sig_pending = false;
            self.trace.log(
                now,
                n,
                "VP2",
                format_args!("sigsuspend() of pid {pid} returns for a pending signal (req {r})"),
            );
            self.trace.reach(now, "S-sigsuspend-pending");
            return self.respond(n, r, Outcome::Ok);
        }
        p.in_progress = Some(r);
        self.reqs[r as usize].status = ReqStatus::InProgress;
        self.trace.log(
            now,
            n,
            "VP2",
            format_args!("sigsuspend() of pid {pid} waits for a signal (req {r})"),
        );
    }
}

//! spec §11.4 G2 at run time: paper §4 lists among pcntl's operations to "allow/disallow
//! migration for a given process". The monitor's request goes to the master node's PMA like
//! a pcntl(MIGRATE) and is routed to the PMA holding the process, where the flag lives (local
//! process state, carried in the image, R6). While the process migrates it is enqueued (R2)
//! and forwarded like any call but MIGRATE.

use crate::timing::MsgKind;
use crate::world::{Body, Call, Ep, Outcome, Sender, World};
use crate::{NodeId, Pid, ReqId, MASTER};

impl World {
    /// The monitor's pcntl(ALLOW, pid) (`allow`) or pcntl(DISALLOW, pid): a request from
    /// the master node's PMA.
    pub fn pcntl_allow(&mut self, pid: Pid, allow: bool) {
        let r = self.new_req(Sender::Pcntl, MASTER, pid, Call::Allow { allow });
        self.pcntl_outstanding += 1;
        let now = self.now();
        self.trace.log(
            now,
            MASTER,
            "G2-allow",
            format_args!("pcntl({}, pid {pid})", op_name(allow)),
        );
        let bytes = self.costs.syscall_bytes;
        self.send(
            Ep::Monitor,
            Ep::Pma(MASTER),
            MsgKind::Rpc,
            0,
            bytes,
            Body::Syscall(r),
        );
    }

    /// Serves pcntl(ALLOW/DISALLOW) at the PMA where the process is active: a later
    /// pcntl(MIGRATE) checks the flag (R1's G2 guard).
    pub(crate) fn set_allowed(&mut self, n: NodeId, r: ReqId, allow: bool) {
        let pid = self.reqs[r as usize].target;
        let Some(p) = self.nodes[n].pma.procs.get_mut(&pid) else {
            return self.respond(n, r, Outcome::NoSuchProcess);
        };
        let changed = p.allowed != allow;
        p.allowed = allow;
        let now = self.now();
        // Not a G2 label: the refimpl's G2 label names a pcntl(MIGRATE) rejected.
        self.trace.log(
            now,
            n,
            "G2-allow",
            format_args!("pcntl({}, pid {pid}) (req {r})", op_name(allow)),
        );
        if changed {
            self.trace.reach(now, "S-allow-changed");
        }
        self.respond(n, r, Outcome::Ok);
    }
}

/// The pcntl operation's name.
pub(crate) fn op_name(allow: bool) -> &'static str {
    if allow {
        "ALLOW"
    } else {
        "DISALLOW"
    }
}

//! spec §11.4 The virtual process interface (paper §2.2): a vproc per known pid, whose
//! operation table is either the local PMA operations or client stubs to a remote PMA's
//! server stubs. While the process migrates away, its vproc at the source enqueues (R1, R2).

use crate::NodeId;

/// The operation table of a vproc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VprocOps {
    /// Local PMA operations: the process is held by this PMA.
    Local,
    /// Client stubs calling the server stubs of the PMA on this node.
    ClientStub(NodeId),
    /// The process is migrating away from here: requests are enqueued (R2).
    Enqueue,
}

/// What the vproc framework does with a call, given the PMA's own state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// This PMA holds a proc structure for the target: handle it here.
    Here,
    /// Send it to the server stub of that PMA.
    Remote(NodeId),
    /// No usable vproc: ask the PM Master where the process is (R16's look-up).
    Lookup,
}

/// VP1: the caller's PMA routes a call through the target's vproc.
pub fn dispatch(me: NodeId, holds_proc: bool, ops: Option<VprocOps>) -> Dispatch {
    if holds_proc {
        return Dispatch::Here;
    }
    match ops {
        Some(VprocOps::ClientStub(m)) if m != me => Dispatch::Remote(m),
        _ => Dispatch::Lookup,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §3.1 VP1 — a held proc wins; a client stub names a remote PMA; a stale
    // or missing vproc leads to the PM Master.
    #[test]
    fn vp1_route() {
        assert_eq!(
            dispatch(1, true, Some(VprocOps::ClientStub(2))),
            Dispatch::Here
        );
        assert_eq!(
            dispatch(1, false, Some(VprocOps::ClientStub(2))),
            Dispatch::Remote(2)
        );
        assert_eq!(dispatch(1, false, Some(VprocOps::Local)), Dispatch::Lookup);
        assert_eq!(
            dispatch(1, false, Some(VprocOps::ClientStub(1))),
            Dispatch::Lookup
        );
        assert_eq!(dispatch(1, false, None), Dispatch::Lookup);
    }
}

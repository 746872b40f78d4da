//! spec §11.3 Mach IPC as the timing model sees it: every message is priced by
//! `timing::Costs::price` from its kind (kernel call, one-way, RPC), whether it crosses
//! nodes, its extra capabilities, inline bytes and out-of-line pages; `Stats::count` tallies
//! what was exchanged. `primitive` measures one Table 2 row inside the simulation.

use crate::sim::Time;
use crate::timing::{Costs, MsgKind, MsgShape};

/// One of Table 2's rows, as the refimpl prices it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Primitive {
    KernelCall,
    Async { remote: bool },
    Rpc { remote: bool },
    ExtraCap { remote: bool },
    Inline1k { remote: bool },
    Page { remote: bool },
}

/// The simulated cost of a primitive, measured as the paper did: the elapsed time of the
/// operation, and for a capability the difference between an RPC with one capability and
/// a null RPC.
pub fn primitive(c: &Costs, p: Primitive) -> Time {
    match p {
        Primitive::KernelCall => c.price(&MsgShape::new(MsgKind::KernelCall, true)),
        Primitive::Async { remote } => c.price(&MsgShape::new(MsgKind::Async, !remote)),
        Primitive::Rpc { remote } => c.price(&MsgShape::new(MsgKind::Rpc, !remote)),
        Primitive::ExtraCap { remote } => {
            c.price(&MsgShape::new(MsgKind::Rpc, !remote).caps(1))
                - c.price(&MsgShape::new(MsgKind::Rpc, !remote))
        }
        Primitive::Inline1k { remote } => {
            c.price(&MsgShape::new(MsgKind::Rpc, !remote).bytes(1024))
        }
        Primitive::Page { remote } => c.price(&MsgShape::new(MsgKind::Cpu, !remote).pages(1)),
    }
}

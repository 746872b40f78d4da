//! spec §11.3 The simulated Mach kernel of one node: tasks with their threads
//! (running/suspended), their port name space (send rights, receive rights with queued
//! messages), their address space (regions; each page has a home node under XMM), and the
//! emulator mapped in each task. Sub-modules: `ipc` (message pricing and counting),
//! `dipc` (delivery between nodes, task ports), `xmm` (page homes, copy-on-reference
//! faults served by the home node's pager), `task_migration` (the SMS receiver pull and the
//! other address-space strategies).

pub mod dipc;
pub mod ipc;
pub mod task_migration;
pub mod xmm;

use std::collections::BTreeMap;

use crate::emulator::Emulator;
use crate::sim::Time;
use crate::{NodeId, Pid};

/// A thread: the kernel keeps a suspend count; it runs when the count is zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Thread {
    pub suspend_count: u32,
}

/// A receive right with its queue of messages (moved with the task, paper §3.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Port {
    pub queued: u32,
}

/// The port name space of a task: the send rights besides those the emulator holds for
/// open files (counted in `Emulator::fds`), and the receive rights.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortSpace {
    pub send_rights: u32,
    pub ports: Vec<Port>,
}

/// Where the program of a task is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Run {
    /// Ready to execute its next operation.
    Ready,
    /// Computing until `until` (`gen` invalidates a completion scheduled before a suspend).
    Computing { until: Time },
    /// Computation interrupted by a suspend, `left` still to do.
    Paused { left: Time },
    /// Blocked in a system call (PMA or file server) until its reply.
    InCall,
    /// Blocked in a page fault until the page arrives (R17).
    Faulting { page: u32 },
    /// The program has ended.
    Exited,
}

/// The execution state of the program in the task's main thread.
#[derive(Clone, Debug)]
pub struct Exec {
    pub prog: usize,
    pub pc: usize,
    /// Remaining repetitions of the current operation (0: not started).
    pub rep: u32,
    pub run: Run,
    pub gen: u32,
    /// Page of the heap the current Touch has reached.
    pub touch_next: u32,
}

/// A Mach task mapping a UNIX process.
#[derive(Clone, Debug)]
pub struct Task {
    pub pid: Pid,
    pub threads: Vec<Thread>,
    pub space: PortSpace,
    pub regions: u32,
    /// Home node of each page of the address space (XMM): 0.. resident pages of the image,
    /// then the heap.
    pub pages: Vec<NodeId>,
    /// First page of the heap (pages allocated by the program).
    pub heap_base: u32,
    /// Pages written since they were pre-copied (AS1).
    pub dirty: Vec<u32>,
    /// AS1: every page of this attempt has been pre-copied (the freeze may start).
    pub precopied: bool,
    /// AS1: pages still to pre-copy in this attempt, in copy order.
    pub precopy_todo: Vec<u32>,
    /// AS1: pages whose pre-copy reached the destination in this attempt; a write to one
    /// makes it dirty (copied again at the pull).
    pub precopied_pages: Vec<u32>,
    pub emulator: Emulator,
    pub exec: Exec,
}

impl Task {
    pub fn running(&self) -> bool {
        self.threads.iter().all(|t| t.suspend_count == 0)
    }

    pub fn suspended(&self) -> bool {
        self.threads.iter().all(|t| t.suspend_count > 0)
    }

    pub fn suspend(&mut self) {
        for t in &mut self.threads {
            t.suspend_count += 1;
        }
    }

    pub fn resume(&mut self) {
        for t in &mut self.threads {
            t.suspend_count = t.suspend_count.saturating_sub(1);
        }
    }

    /// Send rights in the name space, the emulator's file and token capabilities included.
    pub fn send_rights(&self) -> u32 {
        self.space.send_rights + 2 * self.emulator.fds.len() as u32
    }

    /// Pages whose home is `node`.
    pub fn pages_on(&self, node: NodeId) -> u32 {
        self.pages.iter().filter(|&&h| h == node).count() as u32
    }
}

/// A task offered for a pull (R6 in process mode, T1 in task mode): only a pull of this
/// attempt may take it (the R10 handshake with attempt numbers, spec §10 finding 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub attempt: u32,
    pub dst: NodeId,
}

/// The kernel of one node.
#[derive(Clone, Debug, Default)]
pub struct Kernel {
    pub tasks: BTreeMap<Pid, Task>,
    pub offers: BTreeMap<Pid, Offer>,
}

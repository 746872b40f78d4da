//! Identifiers, calls and messages shared by every actor (spec §2, §4).
//!
//! Message names are the paper's: a `MigrateRequest` carries the local process state from the
//! source PMA to the destination PMA, `Refused` and `Done` answer it, `AbsentProcess` is what a
//! source PMA says after clean-up, and so on. The glossary in spec §9 maps each to its paper term.

use serde::Serialize;

/// A node of the cluster. Node 0 is the master node (PM Master, root file server); the others
/// are symmetric test nodes (spec §2.1).
pub type NodeId = u8;
/// A UNIX process identifier. Pids are fixed at start-up (spec §2.5: no fork in the model).
pub type Pid = u8;
/// Index of a process-management request in [`crate::state::Sys::reqs`].
pub type ReqId = u8;

/// The master node: PM Master, file server and `pcntl` caller live here (spec §2.1).
pub const MASTER: NodeId = 0;

/// Who issued a request (spec §2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub enum Sender {
    /// A process's emulator, on behalf of one of its threads.
    Proc(Pid),
    /// The `pcntl` caller on the master node (an administrator or load-leveling policy).
    #[default]
    Pcntl,
}

/// A process-management system call (spec §2.6). Every call except `Migrate` operates on the
/// local process state of its target and is therefore enqueued while the target migrates (R2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub enum Call {
    /// `kill(target, sig)`: handled at once by the target's PMA.
    #[default]
    Signal,
    /// `getrusage()` on the caller itself (A1): reads the accumulated usage.
    GetInfo,
    /// `wait()` by a parent: stays in progress at the parent's PMA until a child exits (R4).
    Wait,
    /// `exit()`: the process is exiting until the PM Master acknowledges (R5 guard).
    Exit,
    /// `pcntl(MIGRATE, pid, dst)` (R1, T1).
    Migrate { dst: NodeId },
    /// `fork()`: in progress at the caller's PMA until the PM Master allocates a pid (PM3).
    Fork,
    /// `sigsuspend()` by a process on itself, in the usual idiom (the signal blocked outside
    /// the call, so one that arrives meanwhile stays pending): returns at once when a signal
    /// is pending, else stays in progress at the process's PMA until a signal is served on it
    /// (R4; the paper names it among the calls R4' aborts, §3.2.1).
    Sigsuspend,
    /// `pcntl(ALLOW/DISALLOW, pid)` by the `pcntl` caller (G2): sets whether the process may
    /// migrate. It operates on the process's local state, so it is enqueued while the process
    /// migrates (R2) like any call but `Migrate`.
    Allow { allow: bool },
}

/// Where a request stands; the caller's PMA owes the sender an answer until `Completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub enum ReqStatus {
    /// In transit or being routed by the vproc framework.
    #[default]
    Routing,
    /// In the pending queue Q of the target at `node` (R2), or held at a destination (P11 fix).
    Queued { node: NodeId },
    /// A system call in progress at `node` (R4), e.g. a `wait()`.
    InProgress { node: NodeId },
    /// Answered to the sender.
    Completed(Outcome),
    /// Dropped by a crash of the node that held it (spec §5).
    Lost,
}

/// What the sender was told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Outcome {
    Ok,
    /// ESRCH: the target process does not exist (exited or died in a crash).
    NoSuchProcess,
    /// `pcntl` migrate: the migration completed.
    Migrated,
    /// `pcntl` migrate: the destination refused (R7, R8).
    Refused,
    /// `pcntl` migrate: the source abandoned (R10) or the destination crashed first (C2).
    Abandoned,
    /// `pcntl` migrate: rejected at once by R1's guard or G2.
    Rejected,
    /// `pcntl` migrate: the process died during migration (C1, C3, C4).
    Died,
}

/// One process-management request with its ghost bookkeeping (spec §6 uses the counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Req {
    pub sender: Sender,
    pub target: Pid,
    pub call: Call,
    /// The PMA acting as the caller's vproc client (where the emulator's capability points).
    pub caller_node: NodeId,
    pub status: ReqStatus,
    /// Times a PMA served it (P6: at most once).
    pub handled: u8,
    /// Times it was forwarded from a pending queue (P6: once per queueing).
    pub forwarded: u8,
    /// L2 monitor: the epoch of the caller's last look-up for this request, 0 before any: the
    /// target's moves at that time plus one, with bit 7 set when the PM Master's answer may
    /// have been stale (a report about the target still unread).
    pub absent: u8,
    /// Times it entered a pending queue Q (R2, R4'). A request queued during one migration
    /// may be queued again if the process moves on before the forward arrives.
    pub queued: u8,
    /// The answer's payload, set where the answer is decided and carried with it: for
    /// `getrusage()` the usage (low nibble) and migration count (high nibble) of the target,
    /// for `wait()` the child reaped (the waiter itself for ECHILD), for `fork()` the child.
    pub detail: u8,
}

/// A process image as marshalled in R6: proc + user (1120 B), credentials (100 B),
/// rusage (76 B) and the capabilities (spec §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ProcImage {
    pub usage_total: u8,
    pub migrations: u8,
    pub allowed: bool,
    pub in_progress: Option<ReqId>,
    pub exiting: bool,
    /// Whether the task's threads were suspended when the state was extracted (P4 records it).
    pub threads_suspended: bool,
    /// The pid's incarnation (PM3, `Config::pid_generations`).
    pub gen: u8,
    /// A signal pending for a later `sigsuspend()` (`Calls::sigsuspend`).
    pub sig_pending: bool,
}

/// Addressable actors: one PMA and one kernel per node, the PM Master and file server on the
/// master node, the `pcntl` caller, and task ports, which DIPC delivers wherever the task is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Actor {
    Pma(NodeId),
    Kernel(NodeId),
    PmMaster,
    FileServer,
    /// A port in a task's name space: delivered to the kernel that holds the task (DIPC).
    Port(Pid),
    /// The `pcntl` caller on the master node.
    Pcntl,
}

impl Actor {
    /// The node the actor runs on, when it is fixed.
    pub fn node(self) -> Option<NodeId> {
        match self {
            Actor::Pma(n) | Actor::Kernel(n) => Some(n),
            Actor::PmMaster | Actor::FileServer | Actor::Pcntl => Some(MASTER),
            Actor::Port(_) => None,
        }
    }
}

/// Protocol messages, named as in the paper (spec §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Msg {
    /// Emulator -> its PMA: a process-management system call.
    Syscall { req: ReqId },
    /// Client stub -> server stub of the target's PMA.
    Request { req: ReqId },
    /// Server stub -> client stub.
    Reply { req: ReqId, outcome: Outcome },
    /// R15: the source PMA no longer holds the process.
    AbsentProcess { req: ReqId },
    /// R16: the caller asks the PM Master where the target is.
    Relookup { req: ReqId },
    /// R16: the PM Master's answer (`None`: the process is dead).
    Located { req: ReqId, node: Option<NodeId> },
    /// R6: source PMA -> destination PMA; `attempt` names the task's offer.
    MigrateRequest {
        pid: Pid,
        image: ProcImage,
        attempt: u8,
    },
    /// R7.
    Refused { pid: Pid, attempt: u8 },
    /// R13: destination PMA -> source PMA, with the new PMA capabilities.
    Done { pid: Pid },
    /// R14: the pending queue, forwarded once, in order.
    Forward {
        pid: Pid,
        reqs: crate::state::ReqList,
    },
    /// R11: receiver pull, destination kernel -> source kernel.
    PullTask { pid: Pid, attempt: u8 },
    /// R11: the Mach task (threads, capabilities, ports and their queues, kernel ports).
    TaskState { pid: Pid, task: crate::state::Task },
    /// R10 handshake: the source withdrew the offer before the pull arrived.
    PullFailed { pid: Pid, attempt: u8 },
    /// T1: the PMA asks the kernel holding the task to migrate it to `dst`.
    TaskMigrate { pid: Pid, dst: NodeId },
    /// T1: the holding kernel offers the suspended task to the destination kernel.
    TaskOffer { pid: Pid, src: NodeId, attempt: u8 },
    /// T1: the destination kernel tells the PMA the task runs there now.
    TaskMigrated { pid: Pid, node: NodeId },
    /// R13: destination PMA -> PM Master.
    LocationUpdate { pid: Pid, node: NodeId, gen: u8 },
    /// R13: PM Master -> destination PMA (`dead`: the PM Master already buried the pid, §5).
    LocationAck { pid: Pid, dead: bool },
    /// A parent's `wait()`: PMA -> PM Master, answered when a child has exited.
    WaitChild { req: ReqId, parent: Pid },
    /// PM Master -> PMA: a child of the waiting parent has exited (a zombie is there to reap).
    ChildExited { req: ReqId, child: Pid },
    /// PMA -> PM Master: the `wait()` completed; the zombie is reaped.
    Reap { pid: Pid },
    /// `fork()`: PMA -> PM Master, asking for a pid.
    AllocPid { req: ReqId, parent: Pid },
    /// PM Master -> PMA: the child's pid (`None`: no pid left, EAGAIN).
    PidAllocated {
        req: ReqId,
        child: Option<Pid>,
        gen: u8,
    },
    /// R14: the source PMA has cleaned up after a migration (lets the PM Master reuse the pid).
    CleanedUp { pid: Pid },
    /// PMA -> PM Master: the forked child exists now (PM3).
    ChildCreated { pid: Pid },
    /// PMA -> PM Master: the pid given to a `fork()` will never be used, because a crash
    /// killed the parent before the pid arrived (PM3; the run fork-crash-spread).
    ForkAborted { pid: Pid },
    /// `exit()`: PMA -> PM Master.
    ExitNotify { pid: Pid },
    /// Crash clean-up: a PMA tells the PM Master a process died (C3, C4).
    ProcessDied { pid: Pid, gen: u8 },
    /// R17: copy-on-reference fault, faulting kernel -> the page's home kernel.
    PageRequest { pid: Pid, page: u8 },
    /// R17: the page, home kernel -> faulting kernel.
    PageData { pid: Pid, page: u8 },
    /// Pre-copy: one page copied to the destination while the process still runs.
    PreCopyPage { pid: Pid, page: u8 },
    /// G1: the leader's source PMA asks the PM Master to migrate the rest of the group to
    /// `dst` (the PM Master knows where the members are, spec §3.3.4).
    GroupMigrate { leader: Pid, dst: NodeId },
    /// G1: PM Master -> the PMA it locates member `pid` at: start migrating it to `dst`.
    MemberMigrate { pid: Pid, dst: NodeId },
    /// G1, one member after another: PMA -> PM Master: member `pid` is frozen (R5), or its
    /// migration ended before R5, or the PMA did not start it.
    GroupStep { pid: Pid },
    /// A read on an open file: task -> file server.
    FileRead { pid: Pid },
    /// The file server's reply, queued in the task's port space (moves with the task).
    FileReply { pid: Pid },
}

impl Msg {
    /// The PMA port a message to a PMA is received on, under `channels_per_port` (spec §4.1):
    /// 0 the system call port (from the emulator), 1 the vproc server stub's port (calls from
    /// other PMAs), 2 the client stub's reply port (answers to the PMA's own calls, from
    /// other PMAs and from the PM Master), 3 the migration port (the source and destination
    /// PMAs' protocol). The paper names no ports; this is the split its services suggest.
    /// `done_on_vproc_port` puts `Done` on the vproc port (spec §10 finding 15).
    pub fn pma_port(&self, done_on_vproc_port: bool) -> u8 {
        match self {
            Msg::Syscall { .. } => 0,
            Msg::Request { .. } => 1,
            Msg::Done { .. } if done_on_vproc_port => 1,
            Msg::MigrateRequest { .. }
            | Msg::Refused { .. }
            | Msg::Done { .. }
            | Msg::Forward { .. } => 3,
            _ => 2,
        }
    }
}

impl Msg {
    /// The receive right of a kernel a message goes to (spec §4.1): 1 XMM's pager port
    /// (copy-on-reference faults and pre-copy pages, served by the memory object's pager),
    /// 0 the kernel's own port (task migration by receiver pull, R11, T1). They are
    /// different receivers, so nothing orders a page request after a task offer sent later,
    /// or before one sent earlier.
    pub fn kernel_port(&self) -> u8 {
        match self {
            Msg::PageRequest { .. } | Msg::PageData { .. } | Msg::PreCopyPage { .. } => 1,
            _ => 0,
        }
    }
}

/// A message in transit. The network is FIFO per (src, dst) pair, as Mach IPC is between two
/// ports, or with `channels_per_port` per (src, dst, port) (spec §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Envelope {
    pub src: Actor,
    pub dst: Actor,
    pub msg: Msg,
}

impl Req {
    /// Every field packed into bytes, injectively: the request's identity for hashing
    /// (spec §8.4). The first word holds who, on whom, what, where and how far; the second
    /// the ghost counters.
    pub fn packed(&self) -> ([u8; 8], [u8; 4]) {
        let sender = match self.sender {
            Sender::Proc(p) => p,
            Sender::Pcntl => u8::MAX,
        };
        let (call, dst) = match self.call {
            Call::Signal => (0, 0),
            Call::GetInfo => (1, 0),
            Call::Wait => (2, 0),
            Call::Exit => (3, 0),
            Call::Fork => (4, 0),
            Call::Migrate { dst } => (5, dst),
            Call::Sigsuspend => (6, 0),
            Call::Allow { allow } => (7, allow as u8),
        };
        let (status, at) = match self.status {
            ReqStatus::Routing => (0, 0),
            ReqStatus::Queued { node } => (1, node),
            ReqStatus::InProgress { node } => (2, node),
            ReqStatus::Completed(o) => (3, o as u8),
            ReqStatus::Lost => (4, 0),
        };
        (
            [
                sender,
                self.target,
                call,
                dst,
                self.caller_node,
                status,
                at,
                self.handled,
            ],
            [self.forwarded, self.absent, self.queued, self.detail],
        )
    }
}

//! spec §11.5 The simulated system: nodes (each with a Mach kernel, a PMA and possibly a file
//! server), the PM Master on the master node, the messages in transit, the event queue on
//! the virtual clock, and the run loop. Handlers for each actor live in the actor's module
//! (`pma`, `kernel`, `pm_master`, …) as `impl World` blocks, named `on_<message>`.

use std::collections::BTreeMap;

use crate::credentials::{Credentials, Rusage};
use crate::file_server::FileServer;
use crate::kernel::{Exec, Kernel, Port, PortSpace, Run, Task, Thread};
use crate::pm_master::PmMaster;
use crate::pma::Pma;
use crate::sim::{EventQueue, Rng, Time};
use crate::stats::Stats;
use crate::timing::{Costs, MsgKind, MsgShape};
use crate::trace::Trace;
use crate::workload::{Mode, Program, Strategy, Workload};
use crate::{NodeId, Pid, ReqId, MASTER};

/// An actor that sends or receives messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ep {
    Pma(NodeId),
    Kernel(NodeId),
    Pmm,
    Fs(NodeId),
    /// A task's port: delivered wherever the task is (DIPC), queued while it is in transit.
    Task(Pid),
    /// The statistics monitor and `pcntl` caller on the master node.
    Monitor,
}

/// The answer to a process-management call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Child(Pid),
    NoSuchProcess,
    Migrated,
    Refused,
    Abandoned,
    Rejected,
    Died,
}

/// A process-management call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// A call on the process's own state (getpid, sigprocmask, getrusage…).
    Info,
    /// kill(target, 0).
    Kill,
    Fork {
        prog: usize,
        on: Option<NodeId>,
    },
    Wait,
    Exit,
    /// pcntl(MIGRATE).
    Migrate {
        dst: NodeId,
        mode: Mode,
    },
    /// sigsuspend() of a process on itself, the signal blocked outside the call (the usual
    /// idiom): it returns at once for a signal already pending, else once one is delivered.
    Sigsuspend,
    /// pcntl(ALLOW/DISALLOW, pid): paper §4, pcntl can "allow/disallow migration for a given
    /// process" (G2 at run time).
    Allow {
        allow: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    Proc(Pid),
    Pcntl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReqStatus {
    Routing,
    Queued,
    InProgress,
    Completed(Outcome),
    Lost,
}

/// A request and its ghost counters (P5, P6).
#[derive(Clone, Debug)]
pub struct Req {
    pub sender: Sender,
    /// The PMA acting as the caller's vproc client.
    pub caller: NodeId,
    pub target: Pid,
    pub call: Call,
    pub status: ReqStatus,
    pub handled: u8,
    pub queued: u8,
    pub forwarded: u8,
    pub absent: u8,
    pub issued: Time,
    /// The ordinal of the event in which a PMA last began serving it
    /// (`EventQueue::processed`; a fork's `AllocPid` RPC is sent then).
    pub served: u64,
    /// When it was answered.
    pub done: Time,
}

/// Message bodies, named after the paper's operations (spec §4 for the shared names).
#[derive(Clone, Debug)]
pub enum Body {
    Syscall(ReqId),
    CallReply(ReqId, Outcome),
    Request(ReqId),
    Reply(ReqId, Outcome),
    AbsentProcess(ReqId),
    Relookup(ReqId),
    Located(ReqId, Option<NodeId>),
    MigrateRequest(Box<crate::pma::Image>),
    Refused {
        pid: Pid,
        attempt: u32,
    },
    Done {
        pid: Pid,
    },
    Forward {
        pid: Pid,
        reqs: Vec<ReqId>,
    },
    PullFailed {
        pid: Pid,
        attempt: u32,
    },
    TaskMigrate {
        pid: Pid,
        dst: NodeId,
        attempt: u32,
    },
    TaskOffer {
        pid: Pid,
        src: NodeId,
        attempt: u32,
    },
    TaskMigrated {
        pid: Pid,
        node: NodeId,
    },
    WaitChild(ReqId),
    ChildExited(ReqId, Pid),
    FileIo {
        pid: Pid,
        bytes: u32,
    },
    FileReply {
        pid: Pid,
    },
    ProcessDied {
        pid: Pid,
    },
    /// PM3: the parent's PMA created the child; the PM Master records it (until then the
    /// pid is an embryo that no look-up finds).
    ChildCreated {
        pid: Pid,
        parent: Pid,
    },
    /// PM1: the parent's wait() completed with this zombie; the PM Master reaps it.
    Reap {
        pid: Pid,
    },
    /// PM3: R14 done at the source: the pid may be given again once it is free.
    CleanedUp {
        pid: Pid,
        /// The ordinal of the event that sent it (`EventQueue::processed`): FIFO behind an
        /// `AllocPid` RPC in a plan (`PmMaster::cleaned_sent`).
        sent: u64,
    },
    /// PM2: the PMA tells the PM Master that `pid` exited (an RPC; `req` is the exit call).
    ExitNotify {
        pid: Pid,
        req: ReqId,
    },
    /// The reply to ExitNotify.
    ExitAck {
        req: ReqId,
    },
    /// G1: the leader's PMA hands the rest of its migration group to the PM Master.
    GroupMigrate {
        leader: Pid,
        dst: NodeId,
    },
    /// G1: the PM Master asks a member's PMA to migrate it with its group.
    MemberMigrate {
        pid: Pid,
        dst: NodeId,
    },
    /// G1, one after another: a member's freeze is over (or was never started).
    GroupStep {
        pid: Pid,
    },
}

impl Body {
    /// The port of a PMA the message is received on (spec §4.1, `channels_per_port`): the
    /// system call port, the vproc server port (calls from other PMAs), the reply port of the
    /// PMA's own calls (to other PMAs and to the PM Master), or the migration port.
    pub fn pma_port(&self, done_on_vproc_port: bool) -> u8 {
        match self {
            Body::Syscall(_) => 0,
            Body::Request(_) => 1,
            Body::Done { .. } if done_on_vproc_port => 1,
            Body::MigrateRequest(_)
            | Body::Refused { .. }
            | Body::Done { .. }
            | Body::Forward { .. } => 3,
            _ => 2,
        }
    }

    /// The requests the message carries: while a request is routed (`Routing`), the message
    /// carrying it is all that anchors it (spec §5.5).
    pub fn reqs(&self) -> Vec<ReqId> {
        match self {
            Body::Syscall(r)
            | Body::CallReply(r, _)
            | Body::Request(r)
            | Body::Reply(r, _)
            | Body::AbsentProcess(r)
            | Body::Relookup(r)
            | Body::Located(r, _)
            | Body::WaitChild(r)
            | Body::ChildExited(r, _)
            | Body::ExitNotify { req: r, .. }
            | Body::ExitAck { req: r } => vec![*r],
            Body::Forward { reqs, .. } => reqs.clone(),
            Body::MigrateRequest(_)
            | Body::Refused { .. }
            | Body::Done { .. }
            | Body::PullFailed { .. }
            | Body::TaskMigrate { .. }
            | Body::TaskOffer { .. }
            | Body::TaskMigrated { .. }
            | Body::FileIo { .. }
            | Body::FileReply { .. }
            | Body::ProcessDied { .. }
            | Body::ChildCreated { .. }
            | Body::Reap { .. }
            | Body::CleanedUp { .. }
            | Body::GroupMigrate { .. }
            | Body::MemberMigrate { .. }
            | Body::GroupStep { .. } => Vec::new(),
        }
    }

    /// The message's name, as the trace vocabulary writes it (spec §4, §12.3).
    pub fn name(&self) -> &'static str {
        match self {
            Body::Syscall { .. } => "Syscall",
            Body::CallReply { .. } => "CallReply",
            Body::Request { .. } => "Request",
            Body::Reply { .. } => "Reply",
            Body::AbsentProcess { .. } => "AbsentProcess",
            Body::Relookup { .. } => "Relookup",
            Body::Located { .. } => "Located",
            Body::MigrateRequest { .. } => "MigrateRequest",
            Body::Refused { .. } => "Refused",
            Body::Done { .. } => "Done",
            Body::Forward { .. } => "Forward",
            Body::PullFailed { .. } => "PullFailed",
            Body::TaskMigrate { .. } => "TaskMigrate",
            Body::TaskOffer { .. } => "TaskOffer",
            Body::TaskMigrated { .. } => "TaskMigrated",
            Body::WaitChild { .. } => "WaitChild",
            Body::ChildExited { .. } => "ChildExited",
            Body::FileIo { .. } => "FileIo",
            Body::FileReply { .. } => "FileReply",
            Body::ProcessDied { .. } => "ProcessDied",
            Body::ChildCreated { .. } => "ChildCreated",
            Body::Reap { .. } => "Reap",
            Body::CleanedUp { .. } => "CleanedUp",
            Body::ExitNotify { .. } => "ExitNotify",
            Body::ExitAck { .. } => "ExitAck",
            Body::GroupMigrate { .. } => "GroupMigrate",
            Body::MemberMigrate { .. } => "MemberMigrate",
            Body::GroupStep { .. } => "GroupStep",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Msg {
    pub src: Ep,
    pub dst: Ep,
    pub body: Body,
}

/// Which part of a migration a priced step belongs to (the paper's split, §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Freeze,
    Process,
    Threads,
    Caps,
    AddressSpace,
    KernelState,
    Creation,
}

/// The pid of a plan that has none yet (a fork before the PM Master allocated the child's).
pub const NO_PID: Pid = Pid::MAX;

pub const PHASES: [Phase; 7] = [
    Phase::Freeze,
    Phase::Process,
    Phase::Threads,
    Phase::Caps,
    Phase::AddressSpace,
    Phase::KernelState,
    Phase::Creation,
];

/// What happens when a plan step completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    /// R11: the first RPC of the pull reaches the source kernel, which checks the offer and
    /// takes the task off (the commit point).
    Commit,
    /// R3: the threads are suspended.
    Suspend,
    /// Fork: the PM Master allocates the child's pid.
    AllocPid,
    /// Exit: the task is terminated and the proc freed at the PMA (PM2).
    Terminate,
    /// R13 first half: the PM Master records the new location (acknowledged).
    LocationUpdate,
    /// AS1: one page pre-copied to the destination.
    PreCopyPage,
}

/// What a finished plan leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// R3 done: try R5. `attempt`: the migration attempt the suspension is for.
    Suspended { pid: Pid, attempt: u32 },
    /// AS1 done: suspend now.
    PreCopied { pid: Pid },
    /// R11 done at D: the task is installed (process mode: R12 next; task mode: resume).
    Pulled {
        pid: Pid,
        src: NodeId,
        attempt: u32,
        mode: Mode,
    },
    /// R12 done.
    Installed { pid: Pid },
    /// R13 first half done.
    Informed { pid: Pid },
    /// fork + exec done at the parent's PMA.
    Forked { req: ReqId, child: Pid },
    /// exit processing done.
    Exited { req: ReqId },
    /// T1: the source kernel suspended the task and offers it.
    Offered { pid: Pid, dst: NodeId, attempt: u32 },
}

#[derive(Clone, Debug)]
pub struct Step {
    pub cost: Time,
    pub phase: Phase,
    pub shape: MsgShape,
    pub effect: Effect,
    /// The two nodes a message step is exchanged between when they are not the plan's node
    /// and peer (the PM Master, a file server, the child's and the parent's kernels); each
    /// lends its share of processor time (spec §11.10).
    pub ends: Option<(NodeId, NodeId)>,
    /// Processing shared by both ends of the plan (the SMS pull's calibrated work, spec
    /// §11.10), not the plan's node's alone.
    pub both_ends: bool,
}

/// A sequence of priced operations one actor performs in order (a server thread working
/// through a request: each RPC or kernel call completes before the next starts).
#[derive(Clone, Debug)]
pub struct Plan {
    pub node: NodeId,
    pub peer: Option<NodeId>,
    pub pid: Pid,
    pub steps: Vec<Step>,
    pub pc: usize,
    pub then: Then,
}

impl Plan {
    pub fn new(node: NodeId, peer: Option<NodeId>, pid: Pid, then: Then) -> Plan {
        Plan {
            node,
            peer,
            pid,
            steps: Vec::new(),
            pc: 0,
            then,
        }
    }

    /// Appends a message priced by the profile.
    pub fn msg(&mut self, c: &Costs, phase: Phase, shape: MsgShape) {
        self.msg_with(c, phase, shape, Effect::None);
    }

    pub fn msg_with(&mut self, c: &Costs, phase: Phase, shape: MsgShape, effect: Effect) {
        self.steps.push(Step {
            cost: c.price(&shape),
            phase,
            shape,
            effect,
            ends: None,
            both_ends: false,
        });
    }

    /// Appends a message exchanged between nodes `a` and `b` rather than between the
    /// plan's node and its peer.
    pub fn msg_between(&mut self, c: &Costs, phase: Phase, shape: MsgShape, a: NodeId, b: NodeId) {
        self.msg(c, phase, shape);
        self.between(a, b);
    }

    /// The step just appended is exchanged between nodes `a` and `b`.
    pub fn between(&mut self, a: NodeId, b: NodeId) {
        if let Some(s) = self.steps.last_mut() {
            s.ends = Some((a, b));
        }
    }

    /// Appends server processing time (a calibrated parameter), `n` times.
    pub fn cpu(&mut self, phase: Phase, cost: Time, n: u32) {
        self.processing(phase, cost, n, false);
    }

    /// Appends processing time of the SMS pull (a calibrated parameter), `n` times: work of
    /// both kernels, the source's and the destination's (spec §11.10).
    pub fn cpu_both_ends(&mut self, phase: Phase, cost: Time, n: u32) {
        self.processing(phase, cost, n, true);
    }

    fn processing(&mut self, phase: Phase, cost: Time, n: u32, both_ends: bool) {
        if n == 0 || cost == 0 {
            return;
        }
        self.steps.push(Step {
            cost: cost * n as Time,
            phase,
            shape: MsgShape::new(MsgKind::Cpu, true),
            effect: Effect::None,
            ends: None,
            both_ends,
        });
    }

    /// R3/T1: one local kernel call per thread (at least one) to suspend the task; the
    /// suspension takes effect with the first.
    pub fn suspend_threads(&mut self, c: &Costs, threads: u32) {
        for i in 0..threads.max(1) {
            let e = if i == 0 {
                Effect::Suspend
            } else {
                Effect::None
            };
            self.msg_with(
                c,
                Phase::Freeze,
                MsgShape::new(MsgKind::KernelCall, true),
                e,
            );
        }
    }

    pub fn total(&self) -> Time {
        self.steps.iter().map(|s| s.cost).sum()
    }
}

#[derive(Clone, Debug)]
pub enum Ev {
    Deliver(Msg),
    Step(u32),
    ComputeDone {
        pid: Pid,
        gen: u32,
    },
    /// A scripted process, running again, receives the replies its port kept while its
    /// threads were suspended (the model's ConsumeReply, a step of its own).
    PortReceive {
        pid: Pid,
    },
    /// A program's next visible operation (spec §12.9.2), in an event of its own.
    ProgramStep {
        pid: Pid,
    },
    FaultDone {
        pid: Pid,
        gen: u32,
        home: NodeId,
    },
    /// The monitor issues pcntl(MIGRATE).
    Pcntl {
        pid: Pid,
        dst: NodeId,
        mode: Mode,
    },
    /// R10: the source PMA abandons the migration of `pid` if it still can.
    Abandon {
        pid: Pid,
    },
    Crash {
        node: NodeId,
    },
    /// R13 second half: the PM Master's acknowledgement is in; D restarts `pid`.
    Restart {
        pid: Pid,
    },
    /// R5 may hold now for `pid` (a call of the freezing process completed).
    FreezeCheck {
        pid: Pid,
    },
    /// R6 for `pid`, frozen at its source (R5 took the step before).
    Detach {
        pid: Pid,
    },
    /// A survivor learns of a crash through a dead-name notification (spec §5.2).
    DeadName {
        node: NodeId,
        dead: NodeId,
    },
    /// The survivor `node` handles the crash of `dead` for process `pid`: detection is per
    /// (node, pid), a step of its own in any order with the rest of the protocol (spec §5.2).
    Detect {
        node: NodeId,
        dead: NodeId,
        pid: Pid,
    },
}

/// Switches of a run (the spec's silent points, spec §3).
#[derive(Clone, Debug)]
pub struct Config {
    pub nodes: usize,
    pub strategy: Strategy,
    /// R4': abort and restart wait() and sigsuspend() at the destination.
    pub r4_prime: bool,
    /// Processes may call sigsuspend(): a signal delivered while none is in progress stays
    /// pending for the next one. Off, no process waits for signals and none is kept pending
    /// (the model's `calls.sigsuspend`).
    pub sigsuspend: bool,
    /// The P11 fix (spec §10 finding 1): D holds direct requests until S's forward arrives.
    pub p11_fix: bool,
    /// G1: all processes form one migration group.
    pub group: bool,
    /// G1: the members freeze all at once, or one after another (spec §3.3.4).
    pub group_order: crate::workload::GroupOrder,
    /// R10 handshake: pulls and refusals carry the migration attempt they belong to (the
    /// assumption spec §10 finding 8 chose). Off, a stale one is taken for the current
    /// attempt, as in the model's `attempt_tags = false` (the ABA finding).
    pub attempt_tags: bool,
    /// C4's condition (paper §3.2 (c)): "one might think that the process could be restarted
    /// on this node if no system call request was enqueued on the source node". On, a source
    /// crashing after the pull with requests queued for P (R2) has D kill P when it learns of
    /// the crash (spec §5.4); off, P survives at D and only the queued requests are lost, as
    /// in the model's `c4_queue_condition = false` (run c4-queue-ignored).
    pub c4_queue_condition: bool,
    /// R4's scope (spec §3.2.1): "completion of every system call currently being executed
    /// by the PMA is awaited". On (the literal reading), the calls P made on others that are
    /// still open hold its freeze; off (the narrow reading), only a `wait()` on P does, as in
    /// the model's `r4_literal = false` (spec §10 findings 2, 9, 13).
    pub r4_literal: bool,
    /// Channel order (spec §4.1): off, FIFO per pair of endpoints; on, FIFO per pair and PMA
    /// port (`Body::pma_port`), so a PMA's messages to different ports of another PMA may
    /// overtake one another, as Mach IPC allows. The model's `channels_per_port`.
    pub channels_per_port: bool,
    /// With `channels_per_port`: `Done` goes to the source's vproc server port, behind the
    /// calls the destination routed there (the model's `done_on_vproc_port`, spec §10
    /// finding 15).
    pub done_on_vproc_port: bool,
    /// Admission (paper §3.2 (c): "The receiver-pull approach ... by controlling the incoming
    /// task migrations, prevents the destination node from being flooded"): a destination
    /// pulls one task at a time; a migration accepted meanwhile waits for its turn. The
    /// model's `admission`.
    pub admission: bool,
    /// Proc structures per PMA (R7 refuses when none is free).
    pub procs_per_node: u32,
    /// R7: the destination refuses `refuse_num` in `refuse_den` migrate requests (memory
    /// exhaustion, chosen by the seeded RNG).
    pub refuse_num: u64,
    pub refuse_den: u64,
    /// Check the invariants P1–P10 after every event (always on in debug builds).
    pub check_invariants: bool,
    /// With `check_invariants`: the first invariant broken is recorded (`Stats::broken`) and
    /// the run goes on, instead of a panic. The trace tools set it, so that a broken
    /// invariant is a finding they report with the trace, the line and the step (spec
    /// §12.5); a test or a paper run stops at the panic, where the bug is.
    pub record_broken: bool,
    /// Record a timeline (spec §11.8).
    pub trace: bool,
    /// spec §11.10: system work on a node delays the computation in progress there (one
    /// processor per node). Off, computations run as if on a processor of their own.
    pub cpu_contention: bool,
    /// spec §11.10: the SMS pull's calibrated processing is work of both kernels, half on
    /// each end; off, all of it is the destination's (the node running the pull).
    pub sms_both_ends: bool,
    /// Choices where the paper is silent that the refimpl can make otherwise than the model
    /// (spec §11.11); the default is the model's.
    pub choices: crate::choices::Choices,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            nodes: 3,
            strategy: Strategy::Cor,
            r4_prime: false,
            sigsuspend: false,
            p11_fix: true,
            group: false,
            group_order: crate::workload::GroupOrder::AllAtOnce,
            attempt_tags: true,
            c4_queue_condition: true,
            r4_literal: true,
            channels_per_port: false,
            done_on_vproc_port: false,
            admission: false,
            procs_per_node: 64,
            refuse_num: 0,
            refuse_den: 1,
            check_invariants: cfg!(debug_assertions),
            record_broken: false,
            trace: false,
            cpu_contention: true,
            sms_both_ends: true,
            choices: crate::choices::Choices::default(),
        }
    }
}

#[derive(Clone)]
pub struct Node {
    pub alive: bool,
    pub kernel: Kernel,
    pub pma: Pma,
    pub fs: FileServer,
}

/// The whole simulated system.
#[derive(Clone)]
pub struct World {
    pub cfg: Config,
    pub costs: Costs,
    pub q: EventQueue<Ev>,
    pub rng: Rng,
    pub nodes: Vec<Node>,
    pub pmm: PmMaster,
    pub programs: Vec<Program>,
    pub reqs: Vec<Req>,
    plans: Vec<Option<Plan>>,
    free_plans: Vec<u32>,
    /// Tasks between the commit point and their installation at D (R11), with the messages
    /// for their port that arrived meanwhile.
    pub transit: BTreeMap<Pid, (Task, NodeId, Vec<Msg>)>,
    pub stats: Stats,
    pub trace: Trace,
    /// When the root process exited (the workload's execution time).
    pub root_exit: Option<Time>,
    pub root: Pid,
    /// pcntl requests the monitor has outstanding.
    pub pcntl_outstanding: u32,
    /// Calls of each process not yet answered (R4's literal scope, spec §3.2.1).
    pub open_calls: Vec<u32>,
    /// Deaths a PMA has reported to the PM Master (P9's exception).
    pub dead_reported: std::collections::BTreeSet<Pid>,
    /// C4 monitor: processes whose source crashed after the pull committed and before they
    /// restarted at the destination (spec §5.4).
    pub c4_shipped: std::collections::BTreeSet<Pid>,
    /// G1 monitor: the node the last group migration's leader left from, to tell a member
    /// frozen elsewhere (S-group-remote).
    pub group_source: Option<NodeId>,
    /// When the last message sent on each channel arrives (per-channel FIFO, spec §4.1).
    pub channel_last: BTreeMap<(Ep, Ep, u8), Time>,
    /// Per PMA node, the PM Master's answers it has not consumed yet, behind a fork's
    /// creation (`pm_master::Owed`, spec §4.1 and §3.3.6 PM3).
    pub pmm_backlog: BTreeMap<NodeId, std::collections::VecDeque<crate::pm_master::Owed>>,
    /// Scripted processes (spec §12.8): they run no program and issue only the calls a
    /// conformance driver injects.
    pub scripted: bool,
    /// Scripted processes with a file read outstanding (FS1).
    pub file_reads: std::collections::BTreeSet<Pid>,
    /// Programs under conformance (spec §12.9.2): each operation of a program that the
    /// model sees as a step of the process runs in an event of its own.
    pub program_steps: bool,
    /// The process whose `ProgramStep` event is running (its one visible operation).
    pub program_turn: Option<Pid>,
    /// What the programs did in their steps, for the recorder to write as stimuli.
    pub program_did: Vec<crate::script::ProgramDid>,
    /// Pids whose next MigrateRequest the destination refuses for memory exhaustion (R7, the
    /// environment's choice in a replayed trace, spec §12.8).
    pub refuse_next: std::collections::BTreeSet<Pid>,
    /// A seeded bug switched on (spec §12.14); `None` in every real run.
    pub mutant: Option<crate::mutants::Mutant>,
    /// Per node, the tasks whose computation system work may delay (spec §11.10).
    pub computing: Vec<Vec<Pid>>,
    /// Per node, until when its processor is busy with system work (spec §11.10).
    pub cpu_busy_until: Vec<Time>,
    /// Per node, how many user computations share its processor (spec §11.10): the
    /// count every computation's end there was last set for.
    pub shares: Vec<Time>,
}

impl World {
    pub fn new(cfg: Config, costs: Costs, seed: u64) -> World {
        let cfg_nodes = cfg.nodes;
        let nodes = (0..cfg.nodes)
            .map(|n| Node {
                alive: true,
                kernel: Kernel::default(),
                pma: Pma::new(n, cfg.procs_per_node),
                fs: FileServer::default(),
            })
            .collect();
        World {
            trace: Trace::new(cfg.trace),
            cfg,
            costs,
            q: EventQueue::default(),
            rng: Rng::new(seed),
            nodes,
            pmm: PmMaster::default(),
            programs: Vec::new(),
            reqs: Vec::new(),
            plans: Vec::new(),
            free_plans: Vec::new(),
            transit: BTreeMap::new(),
            stats: Stats::default(),
            root_exit: None,
            root: 0,
            pcntl_outstanding: 0,
            open_calls: Vec::new(),
            dead_reported: Default::default(),
            c4_shipped: Default::default(),
            group_source: None,
            channel_last: BTreeMap::new(),
            pmm_backlog: BTreeMap::new(),
            scripted: false,
            file_reads: Default::default(),
            program_steps: false,
            program_turn: None,
            program_did: Vec::new(),
            refuse_next: Default::default(),
            mutant: None,
            computing: vec![Vec::new(); cfg_nodes],
            cpu_busy_until: vec![0; cfg_nodes],
            shares: vec![0; cfg_nodes],
        }
    }

    /// Whether the seeded bug `m` is on.
    pub fn mutant_is(&self, m: crate::mutants::Mutant) -> bool {
        self.mutant == Some(m)
    }

    /// Whether a message of attempt `got` belongs to attempt `want` (always, untagged).
    pub fn same_attempt(&self, got: u32, want: u32) -> bool {
        !self.cfg.attempt_tags || got == want
    }

    pub fn now(&self) -> Time {
        self.q.now()
    }

    /// Loads a workload: its programs, and its root process on its start node.
    pub fn load(&mut self, w: &Workload) -> Pid {
        self.programs = w.programs.clone();
        let pid = self.spawn_root(0, w.start_node);
        self.root = pid;
        pid
    }

    /// Creates a process directly (as if forked and exec'ed before the run): the PM Master
    /// entry, the proc at `node`'s PMA, the task on `node`'s kernel, vprocs everywhere.
    pub fn spawn_root(&mut self, prog: usize, node: NodeId) -> Pid {
        let pid = self.pmm.alloc_pid(None, node);
        let task = self.new_task(pid, prog, node, node);
        self.nodes[node].kernel.tasks.insert(pid, task);
        let now = self.now();
        self.nodes[node].pma.install_proc(pid, node, now);
        for n in 0..self.nodes.len() {
            if n != node {
                self.nodes[n].pma.set_vproc_remote(pid, node);
            }
        }
        self.trace.log(
            now,
            node,
            "EM1",
            format_args!("pid {pid} starts {}", self.programs[prog].name),
        );
        self.q.after(0, Ev::ComputeDone { pid, gen: 0 });
        pid
    }

    /// A fresh task running `prog` on `node`, attached to `pma`'s PMA.
    pub fn new_task(&self, pid: Pid, prog: usize, node: NodeId, pma: NodeId) -> Task {
        let p = &self.programs[prog];
        Task {
            pid,
            threads: vec![Thread::default(); p.threads as usize],
            space: PortSpace {
                send_rights: p.send_rights,
                ports: vec![Port::default(); p.ports as usize],
            },
            regions: p.regions,
            pages: vec![node; p.resident_pages as usize],
            heap_base: p.resident_pages,
            dirty: Vec::new(),
            precopied: false,
            precopy_todo: Vec::new(),
            precopied_pages: Vec::new(),
            emulator: crate::emulator::Emulator::new(pma),
            exec: Exec {
                prog,
                pc: 0,
                rep: 0,
                run: Run::Ready,
                gen: 0,
                touch_next: 0,
            },
        }
    }

    pub fn default_creds() -> Credentials {
        Credentials {
            uid: 100,
            gid: 10,
            mem_limit_pages: 1 << 20,
        }
    }

    pub fn new_rusage(now: Time) -> Rusage {
        Rusage {
            arrived_at: now,
            ..Rusage::default()
        }
    }

    // ---- requests ----------------------------------------------------------------------

    pub fn new_req(&mut self, sender: Sender, caller: NodeId, target: Pid, call: Call) -> ReqId {
        let id = self.reqs.len() as ReqId;
        self.reqs.push(Req {
            sender,
            caller,
            target,
            call,
            status: ReqStatus::Routing,
            handled: 0,
            queued: 0,
            forwarded: 0,
            absent: 0,
            issued: self.now(),
            served: 0,
            done: 0,
        });
        id
    }

    // ---- messages ----------------------------------------------------------------------

    /// The node an endpoint is on now (a task port: the node holding the task, or the
    /// destination of its transit).
    pub fn node_of(&self, ep: Ep) -> Option<NodeId> {
        match ep {
            Ep::Pma(n) | Ep::Kernel(n) | Ep::Fs(n) => Some(n),
            Ep::Pmm | Ep::Monitor => Some(MASTER),
            Ep::Task(pid) => self.task_node(pid),
        }
    }

    /// Where a task is: on a live kernel, or in transit towards its destination.
    pub fn task_node(&self, pid: Pid) -> Option<NodeId> {
        if let Some((_, dst, _)) = self.transit.get(&pid) {
            return Some(*dst);
        }
        (0..self.nodes.len())
            .find(|&n| self.nodes[n].alive && self.nodes[n].kernel.tasks.contains_key(&pid))
    }

    /// Sends a message priced by its shape (`kind`, caps, bytes, pages) between the two
    /// endpoints' nodes; counted in the statistics (spec §11.3).
    pub fn send(&mut self, src: Ep, dst: Ep, kind: MsgKind, caps: u32, bytes: u32, body: Body) {
        // Both ends are looked up once: they price the message (local or inter-node) and
        // say whose processor it takes (spec §11.10).
        let (from, to) = (self.node_of(src), self.node_of(dst));
        let local = matches!((from, to), (Some(x), Some(y)) if x == y);
        let shape = MsgShape {
            kind,
            local,
            caps,
            bytes,
            pages: 0,
        };
        let cost = self.costs.price(&shape);
        self.stats.count(&shape, cost);
        if let Some(n) = from {
            self.system_work(n, to, &shape, cost);
        }
        self.send_after(cost, src, dst, body);
    }

    /// Sends a message that costs nothing more (the reply leg of an RPC priced on its
    /// request).
    pub fn send_free(&mut self, src: Ep, dst: Ep, body: Body) {
        self.send_after(0, src, dst, body);
    }

    /// The channel a message travels on (spec §4.1): its endpoints and, with
    /// `channels_per_port`, the port of the receiving PMA.
    pub fn channel(&self, src: Ep, dst: Ep, body: &Body) -> (Ep, Ep, u8) {
        let port = match dst {
            Ep::Pma(_) if self.cfg.channels_per_port => body.pma_port(self.cfg.done_on_vproc_port),
            _ => 0,
        };
        (src, dst, port)
    }

    fn send_after(&mut self, cost: Time, src: Ep, dst: Ep, body: Body) {
        // A message to a crashed node vanishes at send (spec §4.1), and the requests it
        // carried with it (spec §5.5).
        if let Some(n) = self.node_of(dst) {
            if !self.nodes[n].alive {
                self.lose_carried(&body);
                return;
            }
        }
        // Mach IPC between two endpoints is FIFO (spec §4.1): a cheaper message never
        // overtakes an earlier one on the same channel; it arrives right after it.
        let chan = self.channel(src, dst, &body);
        let at = (self.now() + cost).max(self.channel_last.get(&chan).copied().unwrap_or(0));
        self.channel_last.insert(chan, at);
        let mut msg = Msg { src, dst, body };
        if let (Ep::Pmm, Ep::Pma(n)) = (src, dst) {
            // Behind a fork's creation at that PMA, answered before (spec §4.1, PM3).
            match self.pmm_hold_back(n, at, msg) {
                Some(m) => msg = m,
                None => return,
            }
        }
        self.q.at(at, Ev::Deliver(msg));
    }

    /// spec §5.5: a message carrying requests is dropped (its destination node is dead).
    /// A request it carried that was being routed (`Routing`: between two actors, held by
    /// no PMA) and that no other message in transit or parked `wait()` still names is gone
    /// with it: it is `Lost`, exactly like a request stranded at a crashed PMA
    /// (`crash::lose_request`: the `pcntl` caller stops waiting, a surviving caller's call
    /// returns an error). A request queued or in progress at a PMA is not the message's to
    /// lose: that PMA holds it (and loses it if it crashed, `crash::stranded_at`).
    pub fn lose_carried(&mut self, body: &Body) {
        self.lose_dropped(&body.reqs());
    }

    /// `lose_carried` for the requests of messages already taken out of the network (a
    /// crash discarding what the dead node sent, `crash::crash`).
    pub fn lose_dropped(&mut self, reqs: &[ReqId]) {
        for &r in reqs {
            if self.reqs[r as usize].status == ReqStatus::Routing && !self.anchored_in_transit(r) {
                self.lose_request(r);
            }
        }
    }

    /// Whether a message in transit (queued for delivery, or waiting for a task in
    /// transit) or a `wait()` parked at the PM Master still names request `r`.
    fn anchored_in_transit(&self, r: ReqId) -> bool {
        let names = |m: &Msg| m.body.reqs().contains(&r);
        self.q.pending().iter().any(|(_, _, ev)| match ev {
            Ev::Deliver(m) => names(m),
            _ => false,
        }) || self
            .transit
            .values()
            .any(|(_, _, waiting)| waiting.iter().any(names))
            || self.pmm.waiters.iter().any(|w| w.0 == r)
            || self.pmm_backlog_names(r)
    }

    // ---- plans -------------------------------------------------------------------------

    /// The node whose actor runs plan `id`, while it runs: a recorded trace names the node
    /// of the actor that takes each step (spec §12.3), and a plan's step is its node's.
    pub fn plan_node(&self, id: u32) -> Option<NodeId> {
        self.plans.get(id as usize)?.as_ref().map(|p| p.node)
    }

    pub fn start_plan(&mut self, plan: Plan) {
        if plan.steps.is_empty() {
            self.finish_plan(plan);
            return;
        }
        let first = plan.steps[0].cost;
        self.step_started(&plan);
        let id = match self.free_plans.pop() {
            Some(id) => {
                self.plans[id as usize] = Some(plan);
                id
            }
            None => {
                self.plans.push(Some(plan));
                (self.plans.len() - 1) as u32
            }
        };
        self.q.after(first, Ev::Step(id));
    }

    /// The plan's current step starts: its processor time is taken (spec §11.10).
    fn step_started(&mut self, plan: &Plan) {
        let s = &plan.steps[plan.pc];
        let (node, far) = match s.ends {
            Some((a, b)) => (a, Some(b)),
            None => (plan.node, plan.peer),
        };
        let (shape, cost) = (s.shape, s.cost);
        if s.both_ends && self.cfg.sms_both_ends {
            self.processor_time(node, far, cost);
        } else {
            self.system_work(node, far, &shape, cost);
        }
    }

    fn on_step(&mut self, id: u32) {
        let Some(mut plan) = self.plans[id as usize].take() else {
            return;
        };
        let alive =
            self.nodes[plan.node].alive && plan.peer.map(|p| self.nodes[p].alive).unwrap_or(true);
        if !alive {
            self.free_plans.push(id);
            self.plan_failed(plan);
            return;
        }
        let step = plan.steps[plan.pc].clone();
        self.stats.count(&step.shape, step.cost);
        self.stats.phase(plan.pid, step.phase, step.cost);
        if !self.apply_effect(&mut plan, step.effect) {
            self.free_plans.push(id);
            return;
        }
        plan.pc += 1;
        if plan.pc < plan.steps.len() {
            let next = plan.steps[plan.pc].cost;
            self.step_started(&plan);
            self.plans[id as usize] = Some(plan);
            self.q.after(next, Ev::Step(id));
        } else {
            self.free_plans.push(id);
            self.finish_plan(plan);
        }
    }

    /// Applies a step's effect; false ends the plan there (the effect handled it).
    fn apply_effect(&mut self, plan: &mut Plan, e: Effect) -> bool {
        match e {
            Effect::None => true,
            Effect::Commit => self.commit_pull(plan),
            Effect::Suspend => {
                let node = plan.node;
                // R3 for a migration abandoned meanwhile (R10) must not suspend: nobody would
                // resume the threads (found by trace recording, spec §12.9).
                if let Then::Suspended { pid, attempt } = plan.then {
                    let on = self.nodes[node]
                        .pma
                        .procs
                        .get(&pid)
                        .and_then(|p| p.out.as_ref())
                        .is_some_and(|o| o.attempt == attempt);
                    if !on {
                        return false;
                    }
                    if let Some(o) = self.nodes[node]
                        .pma
                        .procs
                        .get_mut(&pid)
                        .and_then(|p| p.out.as_mut())
                    {
                        o.threads_held = true;
                    }
                }
                if let Some(t) = self.nodes[node].kernel.tasks.get_mut(&plan.pid) {
                    t.suspend();
                    self.task_suspended(plan.pid);
                    // T1: the kernel suspends the task for the migration and records it
                    // offered in the same operation (the model's T1 is one step); the
                    // plan's remaining steps price the other threads, and the offer goes to
                    // D's kernel at its end.
                    if let Then::Offered { pid, dst, attempt } = plan.then {
                        self.nodes[node]
                            .kernel
                            .offers
                            .insert(pid, crate::kernel::Offer { attempt, dst });
                    }
                }
                true
            }
            Effect::Terminate => {
                if let Then::Exited { req } = plan.then {
                    self.terminate(req, plan.node);
                }
                true
            }
            Effect::AllocPid => {
                // PM3: the PM Master allocates the child's pid (an embryo until created).
                let parent = match plan.then {
                    Then::Forked { req, .. } => self.reqs[req as usize].target,
                    _ => 0,
                };
                self.pmm.reuse_during_cleanup =
                    self.mutant_is(crate::mutants::Mutant::PidReuseDuringCleanup);
                let asked = match plan.then {
                    Then::Forked { req, .. } => Some(self.reqs[req as usize].served),
                    _ => None,
                };
                let child = self.pmm.reserve_pid_asked(plan.node, parent, asked);
                // Its `PidAllocated` is consumed at the PMA when the child is created
                // (`pm_master::Owed`).
                self.pmm_owe_creation(plan.node, child);
                plan.pid = child;
                if let Then::Forked { child: c, .. } = &mut plan.then {
                    *c = child;
                }
                let now = self.now();
                self.trace.log(
                    now,
                    MASTER,
                    "PM3",
                    format_args!("PM Master allocates pid {child}"),
                );
                true
            }
            Effect::LocationUpdate => {
                self.pmm_location_update(plan);
                true
            }
            Effect::PreCopyPage => {
                self.precopy_page(plan.node, plan.pid);
                true
            }
        }
    }

    fn finish_plan(&mut self, plan: Plan) {
        match plan.then {
            Then::Suspended { pid, .. } => self.try_freeze(pid),
            Then::PreCopied { pid } => self.precopy_done(pid),
            Then::Pulled {
                pid,
                src,
                attempt,
                mode,
            } => self.pull_done(pid, plan.node, src, attempt, mode),
            Then::Installed { pid } => self.installed(pid),
            // The PM Master's acknowledgement reaches D; D restarts P as its own event, after
            // the creations the PM Master answered before (`pm_master::Owed`).
            Then::Informed { pid } => self.pmm_location_acked(plan.node, pid),
            Then::Forked { req, child } => {
                self.forked(req, child, plan.node);
                self.pmm_creation_done(plan.node, child);
            }
            Then::Exited { req } => self.exited(req, plan.node),
            Then::Offered { pid, dst, attempt } => self.task_offered(pid, plan.node, dst, attempt),
        }
    }

    /// A plan whose node or peer died.
    fn plan_failed(&mut self, plan: Plan) {
        if let Then::Forked { child, .. } = plan.then {
            if child != NO_PID {
                // No child will be created: what waited behind its pid goes on.
                self.pmm_creation_done(plan.node, child);
            }
        }
        if !self.nodes[plan.node].alive {
            return; // the actor died with its node; the crash handling cleans up.
        }
        if let Then::Pulled {
            pid, src, attempt, ..
        } = plan.then
        {
            // The source died during the pull: what was in transit is lost (C1 / C4).
            self.transit.remove(&pid);
            self.pull_lost(pid, plan.node, src, attempt);
        }
        if let Then::Installed { pid } = plan.then {
            self.install_without_source(pid);
        }
        // Other plans wait for the dead-name notification of the peer.
    }

    // ---- run loop ----------------------------------------------------------------------

    pub fn step(&mut self) -> bool {
        let Some(ev) = self.q.pop() else {
            return false;
        };
        self.dispatch(ev);
        true
    }

    /// Runs one event (taken from the queue in time order, or chosen by a driver).
    pub fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver(m) => self.deliver(m),
            Ev::Step(id) => self.on_step(id),
            Ev::ComputeDone { pid, gen } => self.on_compute_done(pid, gen),
            Ev::PortReceive { pid } => self.receive_queued_replies(pid),
            Ev::ProgramStep { pid } => self.program_step(pid),
            Ev::FaultDone { pid, gen, home } => self.on_fault_done(pid, gen, home),
            Ev::Pcntl { pid, dst, mode } => self.pcntl(pid, dst, mode),
            Ev::Abandon { pid } => self.abandon(pid),
            Ev::Crash { node } => self.crash(node),
            Ev::DeadName { node, dead } => self.on_dead_name(node, dead),
            Ev::Detect { node, dead, pid } => self.on_detect(node, dead, pid),
            Ev::FreezeCheck { pid } => self.freeze_check_for(pid),
            Ev::Detach { pid } => self.detach_for(pid),
            Ev::Restart { pid } => self.restart(pid),
        }
        // Once an invariant is recorded broken, the state after it is past judging: the
        // first one is what the trace tools report.
        if self.cfg.check_invariants && self.stats.broken.is_none() {
            if let Err(e) = crate::invariants::check(self) {
                if self.cfg.record_broken {
                    self.stats.broken = Some((self.now(), e));
                } else {
                    panic!("invariant broken at t={} ns: {e}", self.now());
                }
            }
        }
    }

    /// Runs until no event is left or the clock passes `limit`.
    pub fn run_until(&mut self, limit: Time) {
        while let Some(t) = self.q.peek_time() {
            if t > limit {
                break;
            }
            self.step();
        }
    }

    fn deliver(&mut self, m: Msg) {
        // A message from or to a crashed node is lost with it (spec §4.1), and the requests
        // it carried with it (spec §5.5).
        if let Some(n) = self.node_of(m.dst) {
            if !self.nodes[n].alive {
                self.lose_carried(&m.body);
                return;
            }
        }
        if let Ep::Task(pid) = m.dst {
            if let Some((_, _, waiting)) = self.transit.get_mut(&pid) {
                waiting.push(m);
                return;
            }
        }
        match m.body {
            Body::Syscall(r) => self.on_syscall(r),
            Body::CallReply(r, o) => self.on_call_reply(m.dst, r, o),
            Body::Request(r) => self.on_request(m.dst, r),
            Body::Reply(r, o) => self.on_reply(r, o),
            Body::AbsentProcess(r) => self.on_absent(m.dst, r),
            Body::Relookup(r) => self.on_relookup(m.src, r),
            Body::Located(r, n) => self.on_located(m.dst, r, n),
            Body::MigrateRequest(img) => self.on_migrate_request(m.dst, *img),
            Body::Refused { pid, attempt } => self.on_refused(m.dst, pid, attempt),
            Body::Done { pid } => self.on_done(m.dst, pid),
            Body::Forward { pid, reqs } => self.on_forward(m.dst, pid, reqs),
            Body::PullFailed { pid, attempt } => self.on_pull_failed(m.dst, pid, attempt),
            Body::TaskMigrate { pid, dst, attempt } => self.on_task_migrate(pid, dst, attempt),
            Body::TaskOffer { pid, src, attempt } => self.on_task_offer(m.dst, pid, src, attempt),
            Body::TaskMigrated { pid, node } => self.on_task_migrated(m.dst, pid, node),
            Body::WaitChild(r) => self.on_wait_child(m.src, r),
            Body::ChildExited(r, c) => self.on_child_exited(m.dst, r, c),
            Body::FileIo { pid, bytes } => self.on_file_io(m.dst, pid, bytes),
            Body::FileReply { pid } => self.on_file_reply(pid),
            Body::ProcessDied { pid } => self.on_death_report(m.src, pid),
            Body::Reap { pid } => self.pmm.reap(pid),
            Body::CleanedUp { pid, sent } => {
                if let Ep::Pma(n) = m.src {
                    if self.pmm.cleanup_at.get(&pid) == Some(&n) {
                        self.pmm.cleanup_at.remove(&pid);
                        self.pmm.cleaned_sent.insert(pid, (n, sent));
                    }
                }
            }
            Body::ExitNotify { pid, req } => {
                self.pmm_exit(pid);
                if let Ep::Pma(n) = m.src {
                    self.send_free(Ep::Pmm, Ep::Pma(n), Body::ExitAck { req });
                }
            }
            Body::ExitAck { req } => self.on_exit_ack(req),
            Body::GroupMigrate { leader, dst } => self.on_group_migrate(m.src, leader, dst),
            Body::MemberMigrate { pid, dst } => self.on_member_migrate(m.dst, pid, dst),
            Body::GroupStep { pid } => self.on_group_step(m.src, pid),
            Body::ChildCreated { pid, parent } => {
                // A child whose node crashed first was buried with it (spec §5.3).
                if let (Ep::Pma(n), true) = (m.src, self.pmm.is_reserved(pid)) {
                    self.pmm.register(pid, Some(parent), n);
                }
            }
        }
    }

    // ---- pcntl (the monitor) -----------------------------------------------------------

    /// The monitor's pcntl(MIGRATE, pid, dst): a request from the master node's PMA.
    pub fn pcntl(&mut self, pid: Pid, dst: NodeId, mode: Mode) {
        let r = self.new_req(Sender::Pcntl, MASTER, pid, Call::Migrate { dst, mode });
        self.pcntl_outstanding += 1;
        self.stats.pcntl_issued(pid, self.now());
        let now = self.now();
        self.trace.log(
            now,
            MASTER,
            "R1",
            format_args!("pcntl(MIGRATE, pid {pid}, node {dst}) [{}]", mode.name()),
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

    /// Schedules a pcntl at an absolute time.
    pub fn schedule_migration(&mut self, at: Time, pid: Pid, dst: NodeId, mode: Mode) {
        self.q.at(at, Ev::Pcntl { pid, dst, mode });
    }

    pub fn schedule_crash(&mut self, at: Time, node: NodeId) {
        self.q.at(at, Ev::Crash { node });
    }

    pub fn schedule_abandon(&mut self, at: Time, pid: Pid) {
        self.q.at(at, Ev::Abandon { pid });
    }
}

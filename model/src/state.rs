//! The global state, grouped by actor role (spec §2), and the network (spec §4.1).

use std::hash::{Hash, Hasher};

use crate::fixed_vec::FixedVec;
use serde::Serialize;

use crate::config::{Config, NODES_LIMIT, PAGES_LIMIT, PROCESSES_LIMIT};
use crate::types::*;

// Fixed-capacity vectors keep a state in one allocation-free block (only the network is on
// the heap), which is what makes cloning and hashing states cheap (spec §8.4).
pub const PIDS_CAP: usize = PROCESSES_LIMIT as usize;
pub const NODES_CAP: usize = NODES_LIMIT as usize;
pub const PAGES_CAP: usize = PAGES_LIMIT as usize;
/// Requests in one run: `requests_max + migrations_max` (validated).
pub const REQS_CAP: usize = crate::config::REQUESTS_LIMIT as usize + 4;
/// Per-pid lists outside the nodes (PM Master entries, emulators, ghost counters).
pub type PidVec<T> = FixedVec<T, PIDS_CAP>;
/// Per-pid tables inside a node: `Copy`, so a node clones as one memory copy.
pub type PidArr<T> = FixedVec<T, PIDS_CAP>;
pub type NodeVec<T> = FixedVec<T, NODES_CAP>;
pub type PageVec<T> = FixedVec<T, PAGES_CAP>;
/// A pending queue, a held list or a forwarded batch: only processes' calls go there (a second
/// `pcntl` migration is rejected, never queued), so `requests_max` bounds it.
pub type ReqList = FixedVec<ReqId, { crate::config::REQUESTS_LIMIT as usize }>;

/// `n` copies of `x`.
pub fn rep<T: Clone, C: FromIterator<T>>(x: T, n: usize) -> C {
    std::iter::repeat_n(x, n).collect()
}

/// Execution state of a task's threads (spec §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Threads {
    Running,
    Suspended,
}

/// A Mach task as its kernel holds it (spec §2.2): threads, the emulator's capabilities,
/// its port space and the home node of each page (XMM).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Task {
    pub threads: Threads,
    /// Capabilities the emulator holds to its PMA (the paper's 9 include two kinds; two suffice
    /// to tell "all reattached" from "some reattached", R12).
    pub pma_caps: [NodeId; 2],
    /// Open file descriptors: capabilities to the file server, unchanged by migration (R12).
    pub files: u8,
    /// File-server replies queued in the task's port space, not yet consumed (R2).
    pub port_queue: u8,
    /// Home node of each page under XMM.
    pub pages: PageVec<NodeId>,
    /// The task is offered for a pull (set at R6 or by T1): the kernel's half of the R10
    /// handshake. A pull succeeds only while it is set.
    pub offered: bool,
    /// Attempt number of the current offer: a pull names the attempt it was accepted for,
    /// so a pull left over from an abandoned attempt cannot take a later offer (R10).
    pub attempt: u8,
    /// A copy-on-reference fault in progress (R17) on this page.
    pub faulting: Option<u8>,
    /// Pre-copy: pages dirtied since they were pre-copied (bit i = page i).
    pub dirty: u8,
    /// A file read in progress.
    pub reading: bool,
}

/// One node's Mach kernel with its XMM part (spec §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub struct Kernel {
    /// Tasks held by this kernel, indexed by pid.
    pub tasks: PidArr<Option<Task>>,
    /// Pre-copy buffer at a destination: pages received while the process still ran.
    pub precopied: PidArr<u8>,
}

/// The local process state kept by a PMA: proc and user structures (spec §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Proc {
    /// rusage accumulated over all previous nodes (A1).
    pub usage_total: u8,
    /// Usage since arrival on this node (A1).
    pub usage_here: u8,
    /// Migration count exported by `pcntl` (A1).
    pub migrations: u8,
    /// G2: migration allowed.
    pub allowed: bool,
    /// A system call in progress for this process (R4), e.g. a `wait()`.
    pub in_progress: Option<ReqId>,
    /// `exit()` handled, PM Master not yet acknowledged.
    pub exiting: bool,
    /// P11 fix: direct requests held at the destination until the forwarded queue arrives.
    pub awaiting_forward: Option<NodeId>,
    /// Requests held at this PMA while the proc is installed but not restarted, or under the
    /// P11 fix until the forwarded queue arrives.
    pub held: ReqList,
    /// Task-only migration (T1) in progress for this process.
    pub task_migrating: Option<ReqId>,
    /// The pid's incarnation this proc structure belongs to (PM3): quoted in its reports.
    pub gen: u8,
    /// C4 under `c4_queue_condition`: the source crashed after the pull holding requests
    /// queued for this process (R2), which died with it. Set at the destination by the crash;
    /// the destination kills the process when it learns of the crash (`QueueLost`, spec §5.4).
    pub source_queue_lost: bool,
    /// A signal served while no `sigsuspend()` was in progress, pending for the next one
    /// (`Calls::sigsuspend`; the process keeps the signal blocked outside the call, the
    /// usual idiom). Process state: it travels in the image (R6).
    pub sig_pending: bool,
}

/// The source side of a migration (spec §3.2 (a), (b), (e)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Outgoing {
    pub dst: NodeId,
    /// The `pcntl` request that started it (answered at the end).
    pub caller: Option<ReqId>,
    /// The pending queue Q (R2), in arrival order.
    pub queue: ReqList,
    /// R5 reached: stable, coherent, resumable.
    pub frozen: bool,
    /// Pre-copy rounds finished (strategy `precopy`).
    pub precopy_done: bool,
    /// The attempt number given at R6 (0 before): replies for other attempts are stale.
    pub attempt: u8,
}

/// The destination side (spec §3.2 (c), (d)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum InStage {
    /// R9 done: proc and vproc reserved with the same pid, pull not yet sent.
    Accepted,
    /// R11: pull sent to the source kernel.
    Pulling,
    /// Task received and installed by the kernel (threads still suspended).
    TaskArrived,
    /// R12 done: capabilities reattached.
    Installed,
    /// R13: the PM Master has been told; waiting for its acknowledgement.
    Informing,
}

/// A PMA's entry for one pid: which list the proc structure is on (spec §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub enum Local {
    /// On the free list (or never allocated here).
    #[default]
    Free,
    /// On the active list; `out` is set while it is being frozen (R1..R5).
    Active { proc: Proc, out: Option<Outgoing> },
    /// On the migrating list (R6..R14), kept for recovery.
    Migrating { proc: Proc, out: Outgoing },
    /// Reserved at a destination (R9..R13).
    Incoming {
        proc: Proc,
        src: NodeId,
        stage: InStage,
        /// The offer attempt this reservation was accepted for (R10 handshake).
        attempt: u8,
    },
}

/// A vproc's operation table (spec §2.4): local PMA operations, client stubs to a remote PMA,
/// or "enqueue" while the process migrates from this node (R1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub enum Vproc {
    #[default]
    Unknown,
    Local,
    Remote(NodeId),
    Enqueue,
}

/// One node's Process Management Agent (spec §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub struct Pma {
    pub procs: PidArr<Local>,
    pub vprocs: PidArr<Vproc>,
}

impl Pma {
    /// Proc structures in use (active, migrating, reserved): R7's resource limit.
    pub fn used(&self) -> usize {
        self.procs
            .iter()
            .filter(|l| !matches!(l, Local::Free))
            .count()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub struct Node {
    pub alive: bool,
    pub pma: Pma,
    pub kernel: Kernel,
}

/// What the PM Master knows of a pid (spec §2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub enum Life {
    /// A pid slot never allocated yet (`forks_max` slots start so).
    #[default]
    Unborn,
    /// Allocated to a `fork()` whose child the parent's PMA has not created yet: nobody can
    /// look it up (a relookup answers "no such process") until the PMA reports it created.
    Embryo,
    Alive,
    /// Exited, not yet reaped by the parent's `wait()`.
    Zombie,
    /// Reaped, or died in a crash.
    Dead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct PmEntry {
    pub life: Life,
    /// Current node (the node whose PMA holds the process).
    pub node: NodeId,
    pub parent: Option<Pid>,
    pub pgrp: Pid,
    pub session: Pid,
    /// The previous node of the last migration until its PMA reports R14's clean-up done: the
    /// pid is not reused before, or it would collide there with the old migrating entry (PM3).
    pub cleanup_at: Option<NodeId>,
    /// The incarnation of the pid's present holder (PM3, `Config::pid_generations`).
    pub gen: u8,
}

/// A group migration the PM Master runs one member after another (G1 with
/// `GroupOrder::OneAfterAnother`, spec §3.3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GroupChain {
    /// Where the group goes.
    pub dst: NodeId,
    /// The member whose freeze the PM Master waits for: the leader first.
    pub current: Pid,
    /// The PMA freezing `current`, which owes the `GroupStep`. The step dies with that node if
    /// it crashes, so the PM Master's burial of the node ends the wait too.
    pub at: NodeId,
    /// Members not started yet, bit i = pid i.
    pub rest: u8,
}

/// The PM Master (spec §2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct PmMaster {
    pub pids: PidVec<PmEntry>,
    /// `wait()` calls parked until a child exits: (request, parent, PMA to answer).
    pub waiters: FixedVec<(ReqId, Pid, NodeId), REQS_CAP>,
    /// Crashed nodes whose processes the PM Master has already buried.
    pub buried: NodeVec<NodeId>,
    /// G1 one member after another: the group migration under way (spec §3.3.4).
    pub group: Option<GroupChain>,
}

/// Emulator-side state of each process: calls outstanding (spec §2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Emulator {
    pub outstanding: u8,
    /// A `wait()` or `exit()` was issued (each at most once).
    pub waited: bool,
    pub exited: bool,
    /// A `fork()` was issued (at most once: the slots are bounded by `forks_max`).
    pub forked: bool,
    /// A `sigsuspend()` was issued (at most once).
    pub sigsuspended: bool,
}

/// Monitor variables: written by the transitions, read only by properties (spec §6). They
/// record facts a state alone cannot show, e.g. the order in which requests were served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Ghost {
    /// Usage units each pid accrued anywhere (A1).
    pub usage: PidVec<u8>,
    /// Completed migrations per pid (A1).
    pub migrations: PidVec<u8>,
    /// Per pid: the task has been shipped by the source kernel in the current migration.
    pub committed: PidVec<bool>,
    /// Pids whose source node crashed after the pull (C4), bit i = pid i.
    pub c4_marked: u8,
    /// P5: a request was served at a PMA where its target was not active.
    pub p5_misrouted: bool,
    /// P8: checked on the state right after R8 on refusal: (pid, source, destination).
    pub p8_check: Option<(Pid, NodeId, NodeId, u8)>,
    /// P9: AbsentProcess sent while the PM Master located the process on the sender.
    pub p9_broken: bool,
    /// P1: the PM Master handed out a pid whose previous holder was alive or a zombie.
    pub p1_reused: bool,
    /// P11: a request served while an earlier one from the same sender to the same target
    /// was still pending.
    pub p11_broken: bool,
    /// P5: a request was lost although neither its caller's node nor the node serving it
    /// crashed (spec §5.5).
    pub p5_dropped: bool,
    /// Requests carried by a message that vanished in this step because its receiver's node
    /// is down (bit per request). Cleared at the end of every step.
    pub vanished: u16,
    /// Requests whose caller a crash killed (bit per request): its calls never return, and
    /// their loss at any later step is legitimate (spec §5.5), e.g. a `wait()` the PM Master
    /// parks after its caller died, an `exit()` or a `fork()` under way (runs crash-exit,
    /// wait-crash, fork-crash-spread).
    pub orphaned: u16,
    /// Per pid: how often it changed PMA (R13 restarts) or died; L2's bound counts these.
    pub moves: PidVec<u8>,
    /// L2: a request was answered AbsentProcess twice with no move of its target between.
    pub l2_broken: bool,
    /// P14: an answer that contradicts the state it was given in: ESRCH for a process a live
    /// PMA holds active, or AbsentProcess from a PMA that holds the process.
    pub p14_broken: bool,
    /// Reachability facts (spec §6.3), set once reached.
    pub seen: Seen,
    /// Relationships at start-up (P10 compares the PM Master against them).
    pub relationships: PidVec<(Option<Pid>, Pid, Pid)>,
    /// G1: the node the last group migration's leader started from (S-group-remote tells a
    /// member elsewhere from one co-resident with the leader).
    pub group_src: Option<NodeId>,
}

/// Reachability facts, one bit each (spec §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Seen(pub u32);

impl Seen {
    pub const REFUSAL: u32 = 1 << 0;
    pub const ABANDON: u32 = 1 << 1;
    pub const C1: u32 = 1 << 2;
    pub const C2: u32 = 1 << 3;
    pub const C3: u32 = 1 << 4;
    pub const C4_DIED: u32 = 1 << 5;
    pub const C4_SURVIVED: u32 = 1 << 6;
    pub const QUEUED_FORWARDED: u32 = 1 << 7;
    pub const ABSENT_RELOOKUP: u32 = 1 << 8;
    pub const COR_FAULT_AFTER_MIGRATION: u32 = 1 << 9;
    pub const MIGRATED_TWICE: u32 = 1 << 10;
    pub const TASK_ONLY_CALL_AT_SOURCE: u32 = 1 << 11;
    pub const WAIT_DELAYED_FREEZE: u32 = 1 << 12;
    pub const R4_PRIME_ABORT: u32 = 1 << 13;
    pub const QUEUED_REINSTATED: u32 = 1 << 14;
    pub const GROUP_MIGRATED: u32 = 1 << 15;
    pub const GROUP_SPLIT: u32 = 1 << 16;
    pub const DISALLOWED_REJECTED: u32 = 1 << 17;
    pub const PORT_QUEUE_MOVED: u32 = 1 << 18;
    pub const PRECOPY_DIRTY_RECOPIED: u32 = 1 << 19;
    pub const FLUSH_FAULT_FROM_MASTER: u32 = 1 << 20;
    pub const OVERTAKEN: u32 = 1 << 21;
    pub const FORKED: u32 = 1 << 22;
    pub const PID_REUSED: u32 = 1 << 23;
    pub const MIGRATE_REJECTED_BUSY: u32 = 1 << 24;
    pub const C4_QUEUE_LOST: u32 = 1 << 25;
    /// Admission (`Config::admission`): a pull held back while another pull to the same
    /// node is in progress.
    pub const ADMISSION_HELD: u32 = 1 << 26;
    pub const GROUP_REMOTE: u32 = 1 << 27;
    pub const SIGSUSPEND_WOKEN: u32 = 1 << 28;
    pub const SIGSUSPEND_ABORTED: u32 = 1 << 29;
    pub const ALLOW_CHANGED: u32 = 1 << 30;
    pub const SIGSUSPEND_PENDING: u32 = 1 << 31;

    pub fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }
}

/// The whole system (spec §2). Hashed as the packed words of `encode.rs`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Sys {
    pub nodes: NodeVec<Node>,
    pub pmm: PmMaster,
    /// Emulators, by pid.
    pub emus: PidVec<Emulator>,
    /// Requests issued so far (processes' calls, then `pcntl` migrations).
    pub reqs: FixedVec<Req, REQS_CAP>,
    /// `pcntl` migrate requests issued.
    pub pcntl_issued: u8,
    /// `pcntl` requests outstanding.
    pub pcntl_outstanding: u8,
    /// Calls issued by processes.
    pub calls_issued: u8,
    pub crashes: u8,
    /// Messages in transit, kept sorted by (src, dst) with each channel in send order.
    pub net: Vec<Envelope>,
    pub ghost: Ghost,
    /// U1's monitor: what the history of calls and answers so far may have left the
    /// user-level process table as (spec §13.4).
    pub u1: crate::linearizability::U1,
    /// `Config::channels_per_port` and `done_on_vproc_port`, constants of the run: whether a
    /// channel is a pair of actors or a pair and a PMA port, and `Done`'s port (spec §4.1).
    pub channels_per_port: bool,
    pub done_on_vproc_port: bool,
}

impl Hash for Sys {
    fn hash<H: Hasher>(&self, h: &mut H) {
        crate::encode::sys(h, self);
    }
}

impl Proc {
    /// A proc structure as process creation leaves it (fork, or a migration's R9/R12).
    pub fn created(allowed: bool) -> Proc {
        Proc {
            usage_total: 0,
            usage_here: 0,
            migrations: 0,
            allowed,
            in_progress: None,
            exiting: false,
            awaiting_forward: None,
            held: ReqList::new(),
            task_migrating: None,
            gen: 0,
            source_queue_lost: false,
            sig_pending: false,
        }
    }
}

impl Task {
    /// A new task on `home`: running, its emulator attached to `home`'s PMA, every page homed
    /// there, the configured open files.
    pub fn created(cfg: &Config, home: NodeId) -> Task {
        Task {
            threads: Threads::Running,
            pma_caps: [home; 2],
            files: cfg.files_max,
            port_queue: 0,
            pages: rep(home, cfg.pages_max as usize),
            offered: false,
            attempt: 0,
            faulting: None,
            dirty: 0,
            reading: false,
        }
    }
}

impl Sys {
    /// The initial state: every process active on node 1 with its task there, pages homed
    /// there, the emulator's PMA capabilities pointing at node 1 (spec §2.7).
    pub fn initial(cfg: &Config) -> Sys {
        let n = cfg.nodes_max as usize;
        let p = cfg.pids() as usize;
        let mut nodes: NodeVec<Node> = (0..n)
            .map(|_| Node {
                alive: true,
                pma: Pma {
                    procs: rep(Local::Free, p),
                    vprocs: rep(Vproc::Unknown, p),
                },
                kernel: Kernel {
                    tasks: rep(None, p),
                    precopied: rep(0, p),
                },
            })
            .collect();
        for pid in 0..cfg.processes_max as usize {
            let home = cfg.home_of(pid as Pid);
            let proc = Proc::created(!cfg.disallowed.contains(&(pid as Pid)));
            nodes[home as usize].pma.procs[pid] = Local::Active { proc, out: None };
            nodes[home as usize].kernel.tasks[pid] = Some(Task::created(cfg, home));
            // The vproc framework on every node knows where each process starts, as a fork
            // would have left it; the master node's client stubs point at node 1.
            for (i, node) in nodes.iter_mut().enumerate() {
                node.pma.vprocs[pid] = if i == home as usize {
                    Vproc::Local
                } else {
                    Vproc::Remote(home)
                };
            }
        }
        let pids = (0..p)
            .map(|pid| PmEntry {
                life: if pid < cfg.processes_max as usize {
                    Life::Alive
                } else {
                    Life::Unborn
                },
                node: cfg.home_of(pid as Pid),
                // A slot kept for `fork()` is nobody's child until PM3 gives it out.
                parent: if pid == 0 || pid >= cfg.processes_max as usize {
                    None
                } else {
                    Some(0)
                },
                pgrp: 0,
                session: 0,
                cleanup_at: None,
                gen: 0,
            })
            .collect::<PidVec<_>>();
        let relationships = pids.iter().map(|e| (e.parent, e.pgrp, e.session)).collect();
        Sys {
            nodes,
            pmm: PmMaster {
                pids,
                waiters: FixedVec::new(),
                buried: FixedVec::new(),
                group: None,
            },
            emus: rep(
                Emulator {
                    outstanding: 0,
                    waited: false,
                    exited: false,
                    forked: false,
                    sigsuspended: false,
                },
                p,
            ),
            reqs: FixedVec::new(),
            pcntl_issued: 0,
            pcntl_outstanding: 0,
            calls_issued: 0,
            crashes: 0,
            net: Vec::new(),
            ghost: Ghost {
                usage: rep(0, p),
                migrations: rep(0, p),
                moves: rep(0, p),
                committed: rep(false, p),
                relationships,
                ..Ghost::default()
            },
            u1: crate::linearizability::U1::new(crate::user_spec::ProcTable::initial(cfg)),
            channels_per_port: cfg.channels_per_port,
            done_on_vproc_port: cfg.done_on_vproc_port,
        }
    }

    pub fn alive(&self, n: NodeId) -> bool {
        self.nodes[n as usize].alive
    }

    pub fn pma(&self, n: NodeId) -> &Pma {
        &self.nodes[n as usize].pma
    }

    pub fn pma_mut(&mut self, n: NodeId) -> &mut Pma {
        &mut self.nodes[n as usize].pma
    }

    pub fn kernel_mut(&mut self, n: NodeId) -> &mut Kernel {
        &mut self.nodes[n as usize].kernel
    }

    /// The node whose kernel holds `pid`'s task, if any.
    pub fn task_node(&self, pid: Pid) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|nd| nd.alive && nd.kernel.tasks[pid as usize].is_some())
            .map(|i| i as NodeId)
    }

    pub fn task(&self, pid: Pid) -> Option<&Task> {
        self.task_node(pid)
            .and_then(|n| self.nodes[n as usize].kernel.tasks[pid as usize].as_ref())
    }

    /// The node where `pid` is on a PMA's active list.
    pub fn active_node(&self, pid: Pid) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|nd| nd.alive && matches!(nd.pma.procs[pid as usize], Local::Active { .. }))
            .map(|i| i as NodeId)
    }

    /// The channel a message travels on (spec §4.1): its sender and receiver and, with
    /// `channels_per_port`, the PMA port it is received on.
    pub fn channel(&self, e: &Envelope) -> (Actor, Actor, u8) {
        let port = match e.dst {
            Actor::Pma(_) if self.channels_per_port => e.msg.pma_port(self.done_on_vproc_port),
            Actor::Kernel(_) => e.msg.kernel_port(),
            _ => 0,
        };
        (e.src, e.dst, port)
    }

    /// Sends a message: inserted after the last message of its channel so that the network
    /// stays sorted by channel and FIFO within one. Messages to a crashed node vanish
    /// (fail-stop, spec §5).
    pub fn send(&mut self, src: Actor, dst: Actor, msg: Msg) {
        if let Some(n) = dst.node() {
            if !self.alive(n) {
                // Fail-stop: the message vanishes, and so do the requests it carries (their
                // loss is then legitimate, spec §5.5).
                self.ghost.vanished |= crate::crash::reqs_in(&msg);
                return;
            }
        }
        let env = Envelope { src, dst, msg };
        let key = self.channel(&env);
        let pos = self.net.partition_point(|e| self.channel(e) <= key);
        self.net.insert(pos, env);
    }

    /// Indices of the messages that may be delivered now: the head of each channel.
    pub fn deliverable(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.net.len()).filter(move |&i| {
            i == 0 || self.channel(&self.net[i - 1]) != self.channel(&self.net[i])
        })
    }

    pub fn see(&mut self, bit: u32) {
        self.ghost.seen.0 |= bit;
    }
}

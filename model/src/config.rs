//! Bounds, switches and presets (spec §8).
//!
//! Every bound is a field named with `_max` last. Switches select the paper's variants
//! (process vs task migration, address-space strategy, R4', group migration, the P11 fix) and
//! the behaviour allowed to the environment (refusals, abandons, calls the processes may make).

use serde::Serialize;

use crate::mutants::Mutant;
use crate::types::{NodeId, Pid};

/// Largest values the model's fixed-size tables accept; `Config::validate` rejects more.
pub const NODES_LIMIT: u8 = 4;
pub const PROCESSES_LIMIT: u8 = 3;
pub const PAGES_LIMIT: u8 = 3;
pub const REQUESTS_LIMIT: u8 = 8;

/// Process migration (§3) or task-only migration (T1, §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Process,
    Task,
}

/// Address-space transfer strategy (§2.3, §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Copy-on-reference (SMS default): untouched pages stay homed on the source.
    Cor,
    /// Eager copy (MOS): every page moves with the task.
    Eager,
    /// Pre-copy (V kernel): pages copied while the process runs, dirty ones again at the pull.
    Precopy,
    /// Flushing (Sprite): pages flushed to the backing store on the master node at the pull.
    Flush,
}

/// G1's freezing order (spec §3.3.4): the paper has `pcntl` "force the migration of the whole
/// group of processes when one member is migrated" (§4) and says nothing of the order in which
/// the members are frozen. Both readings are switchable assumptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupOrder {
    /// Every member starts freezing as soon as its PMA hears of the group migration: the
    /// leader's co-resident members with the leader (R1), the others when the PM Master's
    /// `MemberMigrate` reaches their PMA.
    AllAtOnce,
    /// The PM Master starts one member at a time, the next only once the previous one is
    /// frozen (R5), was skipped, or died.
    OneAfterAnother,
}

/// Which calls the processes may issue (spec §2.6). The `pcntl` caller issues migrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Calls {
    /// `kill()` on the other process (or on itself when alone).
    pub signal: bool,
    /// `getrusage()` on itself.
    pub getinfo: bool,
    /// `wait()` by process 0, the parent of every other process.
    pub wait: bool,
    /// `exit()` by a child process (pid > 0).
    pub exit: bool,
    /// `fork()` by process 0 (needs `forks_max` > 0).
    pub fork: bool,
    /// A read on an open file (the file server's reply queues in the task's port space).
    pub file_read: bool,
    /// Touching a page after migration (R17 copy-on-reference fault).
    pub touch: bool,
    /// `sigsuspend()` by process 0 (at most once), woken by a signal (issue 12, item 7).
    pub sigsuspend: bool,
    /// `pcntl(ALLOW/DISALLOW, pid)` by the `pcntl` caller: G2 changed at run time (issue 12,
    /// item 7). Each counts against `requests_max` and takes one of `pcntl_callers_max`.
    pub pcntl_allow: bool,
}

impl Calls {
    pub const NONE: Calls = Calls {
        signal: false,
        getinfo: false,
        wait: false,
        exit: false,
        fork: false,
        file_read: false,
        touch: false,
        sigsuspend: false,
        pcntl_allow: false,
    };
}

/// One checking configuration. Printed in every report.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Config {
    /// Nodes including the master node (node 0).
    pub nodes_max: u8,
    /// UNIX processes, started on node 1 (or spread, see `spread`); process 0 is the parent
    /// of the others.
    pub processes_max: u8,
    /// Process-management calls the processes may issue in a run (migrations not counted).
    pub requests_max: u8,
    /// `pcntl` migrate requests the caller may issue in a run.
    pub migrations_max: u8,
    /// Node crashes in a run (never the master node, spec §5 C5).
    pub crashes_max: u8,
    /// Calls one sender may have outstanding (2 lets a process overtake itself, P11).
    pub outstanding_max: u8,
    /// `pcntl(MIGRATE)` requests that may be under way at once, as from that many independent
    /// callers on the master node (issue 12: two migrations started independently overlap).
    /// With 1 the caller waits for each answer, so independent migrations never overlap.
    pub pcntl_callers_max: u8,
    /// Pages in each process's address space.
    pub pages_max: u8,
    /// Proc structures a PMA can allocate; more is a refusal (R7).
    pub procs_per_node_max: u8,
    /// Extra pid slots for `fork()`: the PM Master allocates them (spec §2.5).
    pub forks_max: u8,
    /// Messages in transit; a state beyond it is outside the boundary (run marked incomplete).
    pub queue_len_max: u8,
    /// Open files per process (capabilities to the file server that must travel unchanged).
    pub files_max: u8,
    pub mode: Mode,
    pub strategy: Strategy,
    /// R4': abort and restart `wait()` at the destination instead of awaiting it.
    pub r4_prime: bool,
    /// G1: all processes form one migration process group.
    pub group: bool,
    /// G1: whether the members freeze all at once or one after another (spec §3.3.4).
    pub group_order: GroupOrder,
    /// The P11 fix: the destination holds direct requests until the forwarded queue arrives.
    pub p11_fix: bool,
    /// R7: the destination may refuse for memory exhaustion at any time.
    pub refusals: bool,
    /// R10: the source may abandon before the pull.
    pub abandon: bool,
    /// Start process i on test node 1 + i mod (nodes_max - 1) instead of all on node 1.
    pub spread: bool,
    /// R10 handshake: every migration attempt has a number that its pull and its refusal
    /// carry (the assumption chosen). Off, a pull or a Refused left over from an abandoned
    /// attempt is taken for the current one (finding, spec §10).
    pub attempt_tags: bool,
    /// PM3: every pid the PM Master gives has an incarnation number, which the process carries
    /// (in its image at R6) and reports of it (`LocationUpdate`, `ProcessDied`) quote; the PM
    /// Master ignores a report of an earlier incarnation (the assumption chosen). Off, a late
    /// report of a crashed holder is applied to the pid's new holder (finding 12, spec §10).
    pub pid_generations: bool,
    /// C4 as the paper states it: a process whose source crashed after the pull "could be
    /// restarted on this node if no system call request was enqueued on the source node"
    /// (paper §3.2 (c)). On (the paper), a request queued at the source and lost with it makes the
    /// destination kill the process when it learns of the crash (`QueueLost`, spec §5.4). Off,
    /// the process survives at its destination and only the queued requests are lost.
    pub c4_queue_condition: bool,
    /// R4's scope (spec §3.2.1, §10 findings 2 and 13): "completion of every system call
    /// currently being executed by the PMA is awaited". On (the literal reading), the calls
    /// the process made on other processes that its PMA still executes as client stub, or
    /// that wait in its port queue, hold the freeze too. Off (the narrow reading), only a call
    /// on the process itself (a `wait()`) does.
    pub r4_literal: bool,
    /// Channel order (spec §4.1, issue 12 item 5). Off (the model's reading), messages between
    /// two actors arrive in the order sent, whatever service they are for. On, order holds
    /// only per port, as Mach IPC promises (same sender, same receive right): a PMA receives
    /// system calls, vproc requests, replies to its own calls and the migration protocol on
    /// four ports (`Msg::pma_port`), and two messages to different ports may overtake.
    pub channels_per_port: bool,
    /// With `channels_per_port`: D sends `Done` to S's vproc server port, behind the calls
    /// it routed to S before, instead of to S's migration port (spec §10 finding 15's fix;
    /// the paper names no ports).
    pub done_on_vproc_port: bool,
    /// Admission at the destination (spec §3.2.4 R11, issue 12 item 7): "The receiver-pull
    /// approach (as opposed to sender-push), by controlling the incoming task migrations,
    /// prevents the destination node from being flooded" (paper §3.2 (c)). On, a destination
    /// pulls one task at a time: an accepted migration waits while another pull to the node
    /// is in progress. Off, every accepted migration pulls at once. The paper says the
    /// receiver controls the pulls, not how many it lets in at once.
    pub admission: bool,
    /// G2: pids whose migration is disallowed by `pcntl`.
    pub disallowed: Vec<Pid>,
    pub calls: Calls,
    pub mutant: Option<Mutant>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            nodes_max: 3,
            processes_max: 1,
            requests_max: 1,
            migrations_max: 1,
            crashes_max: 0,
            outstanding_max: 1,
            pcntl_callers_max: 1,
            pages_max: 1,
            procs_per_node_max: 2,
            forks_max: 0,
            queue_len_max: 8,
            files_max: 1,
            mode: Mode::Process,
            strategy: Strategy::Cor,
            r4_prime: false,
            group: false,
            group_order: GroupOrder::AllAtOnce,
            p11_fix: false,
            refusals: false,
            abandon: false,
            spread: false,
            attempt_tags: true,
            pid_generations: true,
            c4_queue_condition: true,
            r4_literal: true,
            channels_per_port: false,
            done_on_vproc_port: false,
            admission: false,
            disallowed: Vec::new(),
            calls: Calls {
                signal: true,
                ..Calls::NONE
            },
            mutant: None,
        }
    }
}

impl Config {
    /// Rejects impossible configurations with a message naming the bound (exit 2 in the CLI).
    pub fn validate(&self) -> Result<(), String> {
        let range = |name: &str, v: u8, lo: u8, hi: u8| -> Result<(), String> {
            if v < lo || v > hi {
                Err(format!("{name} = {v} is out of range {lo}..={hi}"))
            } else {
                Ok(())
            }
        };
        range("nodes_max", self.nodes_max, 2, NODES_LIMIT)?;
        range("processes_max", self.processes_max, 1, PROCESSES_LIMIT)?;
        range("requests_max", self.requests_max, 0, REQUESTS_LIMIT)?;
        range("migrations_max", self.migrations_max, 0, 4)?;
        range("crashes_max", self.crashes_max, 0, self.nodes_max - 1)?;
        range("outstanding_max", self.outstanding_max, 1, 3)?;
        range("pcntl_callers_max", self.pcntl_callers_max, 1, 2)?;
        range("pages_max", self.pages_max, 0, PAGES_LIMIT)?;
        range(
            "forks_max",
            self.forks_max,
            0,
            PROCESSES_LIMIT - self.processes_max.min(PROCESSES_LIMIT),
        )?;
        range("procs_per_node_max", self.procs_per_node_max, 1, 8)?;
        range("queue_len_max", self.queue_len_max, 1, 64)?;
        range("files_max", self.files_max, 0, 8)?;
        if self.requests_max as usize + self.migrations_max as usize > crate::state::REQS_CAP {
            return Err(format!(
                "requests_max + migrations_max = {} exceeds the model's {} request slots",
                self.requests_max as usize + self.migrations_max as usize,
                crate::state::REQS_CAP
            ));
        }
        if self.procs_per_node_max < self.processes_max && !self.spread {
            return Err(format!(
                "procs_per_node_max = {} cannot hold the {} processes started on node 1",
                self.procs_per_node_max, self.processes_max
            ));
        }
        for &p in &self.disallowed {
            if p >= self.processes_max {
                return Err(format!(
                    "disallowed pid {p} is not below processes_max = {}",
                    self.processes_max
                ));
            }
        }
        if self.mode == Mode::Task && self.group {
            return Err(
                "group migration (G1) is a process-migration feature: use --mode process".into(),
            );
        }
        Ok(())
    }

    /// Whether a migration can happen: a budget for one, and a test node to go to besides the
    /// one the process runs on (the master is never a destination, spec §1.3).
    pub fn migrates(&self) -> bool {
        self.migrations_max > 0 && self.nodes_max >= 3
    }

    /// Whether a process can read a file: the call is on and the budget allows one.
    pub fn reads_files(&self) -> bool {
        self.calls.file_read && self.requests_max > 0
    }

    /// Pid slots: the processes started at once plus those `fork()` may create.
    pub fn pids(&self) -> u8 {
        self.processes_max + self.forks_max
    }

    /// Test nodes (every node but the master).
    pub fn test_nodes(&self) -> impl Iterator<Item = NodeId> {
        1..self.nodes_max
    }

    /// The node where process `pid` starts.
    pub fn home_of(&self, pid: Pid) -> NodeId {
        if self.spread {
            1 + pid % (self.nodes_max - 1)
        } else {
            1
        }
    }

    /// G1 applies: group migration is on and there is another pid besides the one migrated
    /// (a forked child joins its parent's group).
    pub fn group_migrates(&self) -> bool {
        self.group && self.pids() >= 2
    }

    pub fn mutant_is(&self, m: Mutant) -> bool {
        self.mutant == Some(m)
    }
}

//! # The user-level specification (spec §13): process management as one UNIX sees it
//!
//! A UNIX program and the `pcntl` caller see OSF/1 AD's process management as one sequential
//! object: a process table with `fork()`, `exit()`, `wait()`, `kill()`, `getrusage()`, a file
//! read and `pcntl(MIGRATE)`. The paper promises exactly that: "Single system image is
//! preserved by retaining the process identifier after migration …, its process relationships
//! and all UNIX states as if it had never migrated" (paper §3). [`ProcTable`] is that object,
//! written as a stateright [`SequentialSpec`]; U1 checks that every run's history of calls and
//! answers is linearizable against it ([`crate::linearizability`]).
//!
//! What the object knows of a process is what a single-node UNIX would, plus where it runs and
//! its accounting, the two things migration may change (spec §13.2):
//! - `life`: unborn, alive, a zombie (exited, not reaped), dead, or *collectable* (killed by a
//!   crash and not yet collected by its parent's `wait()`);
//! - `parent`, for `wait()`;
//! - `node`, where it runs, and `home`, the PMA it is attached to (they differ only under
//!   task-only migration, T1);
//! - `pages`, the node each page of its address space is homed on (copy-on-reference leaves
//!   untouched pages where they were, spec §3.3.2), so that a crash kills exactly the
//!   processes that depend on the node (spec §5); a user sees a page move home when it
//!   touches it (the `Touch` event);
//! - `usage` (one unit per call served on it, the model's rusage, A1) and `migrations`;
//! - `allowed` (G2, set by `pcntl(ALLOW/DISALLOW)`) and `sig_pending`: a signal delivered
//!   while no `sigsuspend()` waited, which the next one returns for at once (the process
//!   keeps the signal blocked outside the call, the usual idiom; kept only when the
//!   configuration has `sigsuspend()`).
//!
//! Every answer is deterministic given the state and the answer itself
//! ([`ProcTable::is_valid_step`] applies the effect the answer names), so the linearizability
//! search branches only on the order of operations, never inside the object. Where the
//! protocol may answer otherwise than one node would (a refusal, an abandon, a crash), the
//! rule that allows it is named next to the check and listed in spec §13.3.

use serde::Serialize;
use stateright::semantics::SequentialSpec;

use crate::config::{Config, Mode, Strategy};
use crate::types::{NodeId, Pid, MASTER};

/// A process's life as the user-level object sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub enum Life {
    #[default]
    Unborn,
    Alive,
    /// Exited, not yet reaped by its parent's `wait()`.
    Zombie,
    /// Reaped, or killed by a crash and collected (or never waited for).
    Dead,
    /// Killed by a crash (spec §5) and not yet collected: a `wait()` of its parent may return
    /// it (the PM Master answers a parked `wait()` with a buried child, §5.3).
    Collectable,
}

/// One entry of the process table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Entry {
    pub life: Life,
    pub parent: Option<Pid>,
    /// Where the process runs (the node whose kernel holds its task).
    pub node: NodeId,
    /// The PMA it is attached to: `node` under process migration, its first node under T1.
    pub home: NodeId,
    /// The home node of each page (XMM); slots beyond the configured pages stay at the master
    /// node, which never crashes.
    pub pages: [NodeId; PAGES],
    pub usage: u8,
    pub migrations: u8,
    pub allowed: bool,
    /// A crash lost calls queued for the process at its source (R2): C4's condition ("if no
    /// system call request was enqueued on the source node", paper §3.2 (c)) fails, and the
    /// process may die of that crash wherever it runs (spec §13.2).
    pub queue_lost: bool,
    /// A signal delivered and not yet consumed by a `sigsuspend()` (`Rules::sigsuspend`).
    pub sig_pending: bool,
}

impl Entry {
    pub fn alive(&self) -> bool {
        self.life == Life::Alive
    }
}

/// The rules of one configuration the object needs (spec §13.2): which strategy leaves a
/// residual memory dependency, whether the process stays attached to its PMA (T1), whether
/// the source may abandon (R10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Rules {
    /// Copy-on-reference: a migrated process's untouched pages stay where they were.
    pub cor: bool,
    /// Flushing: a migrated process's pages go to the backing store on the master node.
    pub flush: bool,
    /// Pages per address space.
    pub pages: u8,
    /// Task-only migration: the process stays attached to its first PMA.
    pub task: bool,
    /// R10 abandons are enabled.
    pub abandon: bool,
    /// Processes may call `sigsuspend()`: a signal is kept pending until one consumes it.
    pub sigsuspend: bool,
}

impl Rules {
    pub fn of(cfg: &Config) -> Rules {
        Rules {
            cor: cfg.strategy == Strategy::Cor,
            flush: cfg.strategy == Strategy::Flush,
            pages: cfg.pages_max,
            task: cfg.mode == Mode::Task,
            abandon: cfg.abandon,
            sigsuspend: cfg.calls.sigsuspend,
        }
    }
}

pub const PIDS: usize = crate::state::PIDS_CAP;
pub const PAGES: usize = crate::state::PAGES_CAP;

/// The sequential object: a process table and the set of crashed nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct ProcTable {
    pub procs: [Entry; PIDS],
    /// Crashed nodes, bit n = node n.
    pub crashed: u8,
    pub rules: Rules,
}

/// An operation: a call a process or `pcntl` makes, or an event of the environment that the
/// user can see the consequences of (a node crash, a death it causes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Op {
    /// `kill(target)`.
    Signal { target: Pid },
    /// `getrusage()` of a process on itself: its usage and migration count (A1).
    GetInfo { pid: Pid },
    /// `wait()` of a parent.
    Wait { parent: Pid },
    /// `exit()`.
    Exit { pid: Pid },
    /// `fork()`.
    Fork { parent: Pid },
    /// `pcntl(MIGRATE, pid, dst)`; also a group member's migration (G1), started by the PMA.
    Migrate { pid: Pid, dst: NodeId },
    /// `sigsuspend()` of a process: returns once a signal is delivered (at once if one is
    /// pending).
    Sigsuspend { pid: Pid },
    /// `pcntl(ALLOW/DISALLOW, pid)` (G2).
    Allow { pid: Pid, allow: bool },
    /// A read on an open file, returned when the process consumes the file server's reply.
    FileRead { pid: Pid },
    /// Node `node` crashes (fail-stop, never the master node, spec §5). `queued`: the
    /// processes with calls queued at the node (bit per pid), lost with it; each may die of
    /// the crash (C4's condition, spec §13.2).
    Crash { node: NodeId, queued: u8 },
    /// A crash killed `pid` (noticed by a survivor or buried by the PM Master, spec §5).
    Die { pid: Pid },
    /// A page fault of `pid` completed on `node` (R17): the page is homed there now.
    Touch { pid: Pid, page: u8, node: NodeId },
}

impl Default for Op {
    /// Any operation: only fills the unused slots of fixed-size lists.
    fn default() -> Self {
        Op::Crash { node: 0, queued: 0 }
    }
}

/// An answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub enum Ret {
    #[default]
    Ok,
    /// ESRCH.
    NoSuchProcess,
    /// `getrusage()`: accumulated usage and migration count.
    Info {
        usage: u8,
        migrations: u8,
    },
    /// `wait()`: the child reaped, or `None` for ECHILD (no child left to wait for).
    Waited(Option<Pid>),
    /// `fork()`: the child's pid.
    Forked(Pid),
    /// `fork()`: EAGAIN, no pid free.
    NoPid,
    Migrated,
    Refused,
    Abandoned,
    Rejected,
    Died,
}

impl Ret {
    /// Whether giving this answer changes the object (an answer that does not can be placed
    /// anywhere it is valid; spec §13.4).
    pub fn effectful(op: &Op, ret: &Ret) -> bool {
        !matches!(
            (op, ret),
            (_, Ret::NoSuchProcess)
                | (_, Ret::Refused)
                | (_, Ret::Abandoned)
                | (_, Ret::Rejected)
                | (_, Ret::Died)
                | (Op::FileRead { .. }, Ret::Ok)
        )
    }
}

fn bit(n: NodeId) -> u8 {
    1 << n
}

/// A new address space on `node`: the configured pages homed there, the rest at the master.
fn homed(pages: u8, node: NodeId) -> [NodeId; PAGES] {
    std::array::from_fn(|i| if i < pages as usize { node } else { MASTER })
}

impl Entry {
    /// The nodes the process needs alive: where it runs, its PMA, its pages' homes.
    pub fn deps(&self) -> u8 {
        self.pages
            .iter()
            .fold(bit(self.node) | bit(self.home), |acc, &n| acc | bit(n))
    }
}

impl ProcTable {
    /// The table at start-up (spec §2.7): the configured processes alive on their home nodes,
    /// children of process 0; the `fork()` slots unborn.
    pub fn initial(cfg: &Config) -> ProcTable {
        let mut procs = [Entry::default(); PIDS];
        for p in 0..cfg.processes_max {
            let home = cfg.home_of(p);
            procs[p as usize] = Entry {
                life: Life::Alive,
                parent: (p > 0).then_some(0),
                node: home,
                home,
                pages: homed(cfg.pages_max, home),
                usage: 0,
                migrations: 0,
                allowed: !cfg.disallowed.contains(&p),
                queue_lost: false,
                sig_pending: false,
            };
        }
        ProcTable {
            procs,
            crashed: 0,
            rules: Rules::of(cfg),
        }
    }

    fn entry(&self, p: Pid) -> &Entry {
        &self.procs[p as usize]
    }

    fn charge(&mut self, p: Pid) {
        let e = &mut self.procs[p as usize];
        e.usage = e.usage.saturating_add(1);
    }

    /// Whether a migration of `pid` to `dst` may be rejected by R1's guard (spec §3.2.1):
    /// migration disallowed (G2), the destination is where it runs, the master node, or
    /// crashed. `busy` (another migration or an `exit()` of the process in progress) is
    /// context the object cannot hold; the checker supplies it (spec §13.3).
    pub fn may_reject(&self, pid: Pid, dst: NodeId, busy: bool) -> bool {
        let e = self.entry(pid);
        busy || (e.alive()
            && (!e.allowed || dst == e.node || dst == MASTER || self.crashed & bit(dst) != 0))
    }

    /// Whether the non-effectful answer `ret` to `op` is valid in this state, with `busy` as
    /// in [`ProcTable::may_reject`]. Such answers leave the object unchanged.
    pub fn valid_unchanged(&self, op: &Op, ret: &Ret, busy: bool) -> bool {
        match (*op, *ret) {
            (
                Op::Signal { target: p }
                | Op::GetInfo { pid: p }
                | Op::Wait { parent: p }
                | Op::Exit { pid: p }
                | Op::Fork { parent: p }
                | Op::Sigsuspend { pid: p }
                | Op::Allow { pid: p, .. }
                | Op::Migrate { pid: p, .. },
                Ret::NoSuchProcess,
            ) => !self.entry(p).alive(),
            (Op::FileRead { pid }, Ret::Ok) => self.entry(pid).alive(),
            // The process died during its migration (C1, C3, C4) or exited (PM2).
            (Op::Migrate { pid, .. }, Ret::Died) => !self.entry(pid).alive(),
            // R7: the destination may refuse for lack of resources, which the user-level
            // state does not hold.
            (Op::Migrate { pid, .. }, Ret::Refused) => self.entry(pid).alive(),
            // R10 (when abandons are on), or C2: the destination crashed before the pull.
            (Op::Migrate { pid, dst }, Ret::Abandoned) => {
                self.entry(pid).alive() && (self.rules.abandon || self.crashed & bit(dst) != 0)
            }
            (Op::Migrate { pid, dst }, Ret::Rejected) => self.may_reject(pid, dst, busy),
            _ => false,
        }
    }

    /// Applies an effectful answer if it is valid here; `false` (and no change) otherwise.
    pub fn apply(&mut self, op: &Op, ret: &Ret) -> bool {
        match (*op, *ret) {
            (Op::Signal { target }, Ret::Ok) if self.entry(target).alive() => {
                self.charge(target);
                if self.rules.sigsuspend {
                    self.procs[target as usize].sig_pending = true;
                }
                true
            }
            // A `sigsuspend()` returns for a signal delivered since the last one returned:
            // linearized right after the signal that woke it, or at once for a pending one.
            (Op::Sigsuspend { pid }, Ret::Ok) if self.entry(pid).alive() => {
                let pending = self.entry(pid).sig_pending;
                if pending {
                    self.charge(pid);
                    self.procs[pid as usize].sig_pending = false;
                }
                pending
            }
            // G2: `pcntl` is not a call on the process; nothing is charged to it.
            (Op::Allow { pid, allow }, Ret::Ok) if self.entry(pid).alive() => {
                self.procs[pid as usize].allowed = allow;
                true
            }
            (Op::GetInfo { pid }, Ret::Info { usage, migrations }) if self.entry(pid).alive() => {
                // The answer counts the call itself.
                let e = self.entry(pid);
                let valid = e.usage.saturating_add(1) == usage && e.migrations == migrations;
                if valid {
                    self.charge(pid);
                }
                valid
            }
            (Op::Exit { pid }, Ret::Ok) if self.entry(pid).alive() => {
                self.charge(pid);
                self.procs[pid as usize].life = Life::Zombie;
                true
            }
            (Op::Wait { parent }, Ret::Waited(child)) if self.entry(parent).alive() => {
                let valid = match child {
                    Some(c) => {
                        let e = self.entry(c);
                        e.parent == Some(parent)
                            && matches!(e.life, Life::Zombie | Life::Collectable)
                    }
                    // ECHILD: no child that is alive or a zombie (a collectable one need not
                    // be collected).
                    None => !self.procs.iter().any(|e| {
                        e.parent == Some(parent) && matches!(e.life, Life::Alive | Life::Zombie)
                    }),
                };
                if valid {
                    self.charge(parent);
                    if let Some(c) = child {
                        self.procs[c as usize].life = Life::Dead;
                    }
                }
                valid
            }
            (Op::Fork { parent }, Ret::Forked(c)) if self.entry(parent).alive() => {
                let free = matches!(
                    self.entry(c).life,
                    Life::Unborn | Life::Dead | Life::Collectable
                );
                if free {
                    self.charge(parent);
                    let at = self.entry(parent).home;
                    self.procs[c as usize] = Entry {
                        life: Life::Alive,
                        parent: Some(parent),
                        node: at,
                        home: at,
                        pages: homed(self.rules.pages, at),
                        usage: 0,
                        migrations: 0,
                        allowed: true,
                        queue_lost: false,
                        sig_pending: false,
                    };
                }
                free
            }
            // PM3: EAGAIN only when no slot was never used; a reaped pid may be held back until
            // the source of its last migration has cleaned up (spec §10 finding 10).
            (Op::Fork { parent }, Ret::NoPid) if self.entry(parent).alive() => {
                let none_unborn = !self.procs.iter().any(|e| e.life == Life::Unborn);
                if none_unborn {
                    self.charge(parent);
                }
                none_unborn
            }
            (Op::Migrate { pid, dst }, Ret::Migrated) => {
                let e = *self.entry(pid);
                let ok = e.alive()
                    && e.allowed
                    && dst != e.node
                    && dst != MASTER
                    && self.crashed & bit(dst) == 0;
                if ok {
                    let home = if self.rules.task { e.home } else { dst };
                    // Copy-on-reference leaves the pages where they are; eager copy and
                    // pre-copy bring them along; flushing writes them to the master's store.
                    let pages = if self.rules.cor {
                        e.pages
                    } else if self.rules.flush {
                        homed(self.rules.pages, MASTER)
                    } else {
                        homed(self.rules.pages, dst)
                    };
                    self.procs[pid as usize] = Entry {
                        node: dst,
                        home,
                        pages,
                        migrations: e.migrations.saturating_add(1),
                        ..e
                    };
                }
                ok
            }
            (Op::Crash { node, queued }, Ret::Ok) if node != MASTER => {
                self.crashed |= bit(node);
                for (p, e) in self.procs.iter_mut().enumerate() {
                    if e.alive() && queued & (1 << p) != 0 {
                        e.queue_lost = true;
                    }
                }
                // Processes running on the node die with it (paper §3.2 (c): "P dies with S").
                for e in self.procs.iter_mut() {
                    if e.alive() && e.node == node {
                        e.life = Life::Collectable;
                    }
                }
                true
            }
            // A crash may kill a process that depends on a crashed node (spec §5); one already
            // dead is killed again by a second notification, which changes nothing.
            (Op::Die { pid }, Ret::Ok) => {
                let e = *self.entry(pid);
                match e.life {
                    Life::Alive if e.deps() & self.crashed != 0 || e.queue_lost => {
                        self.procs[pid as usize].life = Life::Collectable;
                        true
                    }
                    // An exited process whose PMA's node crashed before the PM Master learnt
                    // of the exit: the exit status was lost with the node (spec §5), so the
                    // zombie is dead of the crash instead (the run crash-exit).
                    Life::Zombie if self.crashed & bit(e.home) != 0 => {
                        self.procs[pid as usize].life = Life::Collectable;
                        true
                    }
                    Life::Dead | Life::Collectable => true,
                    _ => false,
                }
            }
            // The process runs on `node` when it touches the page, which is homed there now.
            // Under T1 the task runs at the destination before its PMA records the migration
            // (`TaskMigrated`), so a fault there may come before the migration's effect
            // (spec §13.3).
            (Op::Touch { pid, page, node }, Ret::Ok)
                if self.entry(pid).alive() && (self.entry(pid).node == node || self.rules.task) =>
            {
                self.procs[pid as usize].pages[page as usize] = node;
                true
            }
            _ => false,
        }
    }

    /// The answer a single node would give, for [`SequentialSpec::invoke`]: the first valid
    /// one in a fixed order of preference. A `wait()` with live children and no zombie has
    /// none (it blocks); it gets `Waited(None)`, which the table rejects.
    fn canonical(&self, op: &Op) -> Ret {
        let e = |p: Pid| self.entry(p);
        match *op {
            Op::Signal { target } if e(target).alive() => Ret::Ok,
            Op::GetInfo { pid } if e(pid).alive() => Ret::Info {
                usage: e(pid).usage.saturating_add(1),
                migrations: e(pid).migrations,
            },
            Op::Exit { pid } if e(pid).alive() => Ret::Ok,
            Op::Sigsuspend { pid } if e(pid).alive() => Ret::Ok,
            Op::Allow { pid, .. } if e(pid).alive() => Ret::Ok,
            Op::Wait { parent } if e(parent).alive() => {
                let z = (0..PIDS as Pid).find(|&c| {
                    e(c).parent == Some(parent)
                        && matches!(e(c).life, Life::Zombie | Life::Collectable)
                });
                Ret::Waited(z)
            }
            Op::Fork { parent } if e(parent).alive() => (0..PIDS as Pid)
                .find(|&c| matches!(e(c).life, Life::Unborn | Life::Dead | Life::Collectable))
                .map_or(Ret::NoPid, Ret::Forked),
            Op::Migrate { pid, dst } if e(pid).alive() => {
                if self.may_reject(pid, dst, false) {
                    Ret::Rejected
                } else {
                    Ret::Migrated
                }
            }
            Op::Migrate { .. } => Ret::Died,
            Op::FileRead { .. } | Op::Crash { .. } | Op::Die { .. } | Op::Touch { .. } => Ret::Ok,
            _ => Ret::NoSuchProcess,
        }
    }
}

impl SequentialSpec for ProcTable {
    type Op = Op;
    type Ret = Ret;

    fn invoke(&mut self, op: &Op) -> Ret {
        let ret = self.canonical(op);
        self.is_valid_step(op, &ret);
        ret
    }

    /// The answer is valid in this state; effectful answers are applied. `busy` context
    /// (spec §13.3) is taken as absent here: a sequential history has no operation in progress.
    fn is_valid_step(&mut self, op: &Op, ret: &Ret) -> bool {
        if Ret::effectful(op, ret) {
            self.apply(op, ret)
        } else {
            self.valid_unchanged(op, ret, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ProcTable {
        ProcTable::initial(&Config {
            processes_max: 2,
            forks_max: 1,
            ..Config::default()
        })
    }

    // Reference: spec §13.2. A single node's answers: a live process is signalled, a zombie is
    // reaped once, and then no child is left.
    #[test]
    fn exit_then_wait_reaps_once() {
        let mut t = table();
        assert!(t.is_valid_history([
            (Op::Signal { target: 1 }, Ret::Ok),
            (Op::Exit { pid: 1 }, Ret::Ok),
            (Op::Signal { target: 1 }, Ret::NoSuchProcess),
            (Op::Wait { parent: 0 }, Ret::Waited(Some(1))),
            (Op::Wait { parent: 0 }, Ret::Waited(None)),
        ]));
        let mut t = table();
        assert!(!t.is_valid_history([(Op::Wait { parent: 0 }, Ret::Waited(None))]));
    }

    // Reference: spec §13.2. Migration changes only location and accounting.
    #[test]
    fn migration_moves_and_counts() {
        let mut t = table();
        assert!(t.is_valid_history([
            (Op::Migrate { pid: 1, dst: 2 }, Ret::Migrated),
            (
                Op::GetInfo { pid: 1 },
                Ret::Info {
                    usage: 1,
                    migrations: 1
                }
            ),
            (Op::Migrate { pid: 1, dst: 2 }, Ret::Rejected),
            (Op::Migrate { pid: 1, dst: 1 }, Ret::Refused),
        ]));
        let mut t = table();
        assert!(!t.is_valid_history([(Op::Migrate { pid: 1, dst: 1 }, Ret::Migrated)]));
        // No abandon without R10 or a crashed destination.
        assert!(!table().is_valid_step(&Op::Migrate { pid: 1, dst: 2 }, &Ret::Abandoned));
    }

    // Reference: spec §13.2, §5. A crash kills what runs on the node; under copy-on-reference a
    // process that left the node may die of it too, one that never lived there may not.
    #[test]
    fn a_crash_kills_exactly_its_dependents() {
        let mut t = table();
        assert!(t.is_valid_history([
            (Op::Migrate { pid: 1, dst: 2 }, Ret::Migrated),
            (Op::Crash { node: 1, queued: 0 }, Ret::Ok),
            (Op::Signal { target: 0 }, Ret::NoSuchProcess),
            (Op::Die { pid: 1 }, Ret::Ok),
            (Op::Signal { target: 1 }, Ret::NoSuchProcess),
        ]));
        let mut t = table();
        assert!(!t.is_valid_history([
            (Op::Crash { node: 2, queued: 0 }, Ret::Ok),
            (Op::Die { pid: 1 }, Ret::Ok),
        ]));
    }
}

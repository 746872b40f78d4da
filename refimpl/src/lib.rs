//! # osfmig-refimpl
//!
//! An executable reference implementation of OSF/1 AD distributed process management and
//! migration (Paindaveine & Milojičić, "Process vs. Task Migration", 1996), written the way
//! the OS server is built, on a deterministic discrete-event simulation of a cluster of
//! i386 PCs (spec §11).
//!
//! - `kernel`: a simulated Mach kernel per node — tasks, threads, port name spaces, DIPC,
//!   XMM with page homes and copy-on-reference faults, task migration (SMS receiver pull).
//! - `emulator`: the library in each task that turns system calls into messages.
//! - `pma`: the Process Management Agent per node — proc structures on active / migrating /
//!   free lists, the vproc operation tables (local operations or client stubs), the
//!   migration source and destination sides.
//! - `pm_master`, `file_server`, `credentials`: the other servers.
//! - `world`, `sim`: the system and its event loop on a virtual clock; `timing`: the
//!   profile that prices every message; `stats`, `trace`: what the monitor collects.
//! - `workload`, `paper`: the paper's experiments and their reproduction.
//!
//! It shares no code with the stateright model in `model/`; the protocol choices where the
//! paper is silent are the ones `spec/` records (attempt numbers, R4's literal scope, the
//! R13 update acknowledged before Done, kernel-arbitrated abandon, the P11 fix).

pub mod choices;
pub mod cpu;
pub mod crash;
pub mod credentials;
pub mod emulator;
pub mod file_server;
pub mod invariants;
pub mod kernel;
pub mod mutants;
pub mod paper;
pub mod pm_master;
pub mod pma;
pub mod process;
pub mod run;
pub mod script;
pub mod sim;
pub mod stats;
pub mod timing;
pub mod trace;
pub mod workload;
pub mod world;

pub type NodeId = usize;
pub type Pid = u32;
pub type ReqId = u32;

/// The i386 page, in bytes (the paper's s counts "pages of 4KB"): the unit of XMM
/// transfers, of out-of-line message data, and of the workloads' file reads and writes.
pub const PAGE_BYTES: u32 = 4096;

/// The master node: PM Master, root file server, statistics monitor (Fig. 6).
pub const MASTER: NodeId = 0;

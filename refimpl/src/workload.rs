//! spec §11.6 Workloads: programs the simulated processes run, and the paper's experiments
//! built from them. A program is a list of operations the process's thread executes in
//! order; system calls are intercepted by the emulator (spec §11.4) and sent to the PMA or
//! to a file server. The shapes of the paper's programs (how much they compute, how many
//! calls and files) are not in the paper; they live in `data/workloads.toml`, each with its
//! kind (`assumed`, or `calibrated` to one paper figure) and source.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::{Time, NS_PER_MS};
use crate::NodeId;

pub const WORKLOADS: &str = include_str!("../data/workloads.toml");

/// One operation of a program.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Compute for this long (virtual time on the node's CPU).
    Compute(Time),
    /// A process-management call on the process itself (getpid, sigprocmask, getrusage…),
    /// `times` times in a row: an RPC to the PMA its emulator's capability names.
    Call { times: u32 },
    /// kill(parent, 0): a call on another process, through the vproc of the target.
    KillParent,
    /// open() on the file server of `fs`: one file capability plus one token capability.
    Open { fs: NodeId },
    /// close() of the most recently opened file.
    Close,
    /// read() of `bytes`, `times` times, on the first open file (every workload's files
    /// are on one file server, so which one is read does not change the price); skipped
    /// when no file is open.
    Read { bytes: u32, times: u32 },
    /// write() likewise.
    Write { bytes: u32, times: u32 },
    /// vm_allocate + first touch of `pages` zero-filled pages (homed where the task runs).
    Alloc { pages: u32 },
    /// Touch the first `pages` pages of the allocated heap (a COR fault for each page homed
    /// on another node, R17).
    Touch { pages: u32 },
    /// fork(); exec(prog) — the child runs `prog`; `on` creates its task on another node
    /// (remote creation, Table 1).
    Spawn { prog: usize, on: Option<NodeId> },
    /// wait() for a child.
    Wait,
    /// exit().
    Exit,
}

/// A program: its image and its operations.
#[derive(Clone, Debug)]
pub struct Program {
    pub name: String,
    pub threads: u32,
    pub send_rights: u32,
    pub ports: u32,
    pub regions: u32,
    /// Pages resident right after exec (the 46 KB of the null process are 12 pages).
    pub resident_pages: u32,
    /// Pages of the executable faulted in from the file server at exec.
    pub image_pages: u32,
    pub ops: Vec<Op>,
}

impl Program {
    /// The null process of paper §4: 46 KB address space, 2 threads, 8 capabilities,
    /// 4 ports, 13 memory regions.
    pub fn null(name: &str, ops: Vec<Op>) -> Program {
        Program {
            name: name.to_string(),
            threads: 2,
            send_rights: 8,
            ports: 4,
            regions: 13,
            resident_pages: 12,
            image_pages: 3,
            ops,
        }
    }
}

/// Where and how a run migrates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Process,
    Task,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Process => "process",
            Mode::Task => "task",
        }
    }
}

/// In which order G1 freezes the members of a migration group (spec §3.3.4): the paper forces
/// "the migration of the whole group of processes when one member is migrated" (§4) and
/// leaves the order open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum GroupOrder {
    /// The leader's PMA freezes its co-resident members with the leader; the PM Master asks
    /// the PMAs of the others to start theirs at once.
    #[default]
    AllAtOnce,
    /// The PM Master starts one member at a time, each once the previous one is frozen.
    OneAfterAnother,
}

/// Address-space transfer strategy (paper §2.3, §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Copy on reference (SMS default).
    #[default]
    Cor,
    /// Eager copy: every resident page travels with the task.
    Eager,
    /// Pre-copy: pages are copied while the process runs, dirty ones again at the freeze.
    Precopy,
    /// Flushing: pages go to the backing store on the master node; faults are served there.
    Flush,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Cor => "cor",
            Strategy::Eager => "eager",
            Strategy::Precopy => "precopy",
            Strategy::Flush => "flush",
        }
    }
}

/// A workload: programs (index 0 is the root process) and where the root starts.
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: String,
    pub programs: Vec<Program>,
    pub start_node: NodeId,
    /// The paper's migration destination for this workload.
    pub dst: NodeId,
    /// When the paper's experiment migrates (virtual time after start).
    pub migrate_at: Time,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeParam {
    pub value: f64,
    pub kind: String,
    pub source: String,
}

/// The workload shapes file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shapes {
    pub workloads: BTreeMap<String, BTreeMap<String, ShapeParam>>,
}

impl Shapes {
    pub fn builtin() -> Shapes {
        Shapes::parse(WORKLOADS).expect("built-in workloads parse")
    }

    pub fn parse(text: &str) -> Result<Shapes, String> {
        toml::from_str(text).map_err(|e| format!("workloads: {e}"))
    }

    /// spec §11.6 Overrides one *assumed* parameter (`--set W.K=V`). A calibrated one is
    /// refused: it is fitted to a paper figure (`paper::refit_workloads` re-fits it after
    /// the assumptions around it change), not chosen.
    pub fn set(&mut self, w: &str, k: &str, v: f64) -> Result<(), String> {
        let names = self
            .workloads
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let params = self
            .workloads
            .get_mut(w)
            .ok_or_else(|| format!("no workload '{w}' in the shapes (workloads: {names})"))?;
        let keys = params.keys().cloned().collect::<Vec<_>>().join(", ");
        let p = params
            .get_mut(k)
            .ok_or_else(|| format!("workload '{w}' has no parameter '{k}' (parameters: {keys})"))?;
        if p.kind != "assumed" {
            return Err(format!(
                "{w}.{k} is {}: it is fitted to the paper, not set",
                p.kind
            ));
        }
        let (min, max) = if k == "jobs" {
            (1.0, JOBS_MAX as f64)
        } else {
            (0.0, SET_VALUE_MAX)
        };
        if !(min..=max).contains(&v) {
            return Err(format!("{w}.{k} = {v} is out of range {min}..={max}"));
        }
        p.value = v;
        Ok(())
    }

    fn get(&self, w: &str, k: &str) -> Result<f64, String> {
        self.workloads
            .get(w)
            .and_then(|m| m.get(k))
            .map(|p| p.value)
            .ok_or_else(|| format!("workloads: missing {w}.{k}"))
    }

    fn n(&self, w: &str, k: &str) -> Result<u32, String> {
        Ok(self.get(w, k)?.round().max(0.0) as u32)
    }

    fn t(&self, w: &str, k: &str) -> Result<Time, String> {
        Ok((self.get(w, k)? * NS_PER_MS as f64).round().max(0.0) as Time)
    }
}

/// The largest value `Shapes::set` takes for a parameter (a bound on the run's length).
pub const SET_VALUE_MAX: f64 = 100_000.0;

/// The largest job count `Shapes::set` takes for a make.
pub const JOBS_MAX: u32 = 64;

/// Names accepted by `workload()`.
pub const NAMES: &[&str] = &[
    "null",
    "synthetic",
    "gcc",
    "gcc-cc1",
    "gcc-as",
    "make",
    "troff",
    "small-make",
];

/// Parameters of the synthetic process (Fig. 7, Fig. 8).
#[derive(Clone, Copy, Debug, Default)]
pub struct Synthetic {
    /// Pages allocated (and touched) before migration.
    pub pages: u32,
    /// Files opened before migration.
    pub files: u32,
    /// Pages touched after migration.
    pub touch_after: u32,
}

/// A compute phase interleaved with I/O and calls, as `chunks` slices.
fn work(ops: &mut Vec<Op>, compute: Time, reads: u32, writes: u32, calls: u32, chunks: u32) {
    let chunks = chunks.max(1);
    for i in 0..chunks {
        let share = |n: u32| n / chunks + u32::from(i < n % chunks);
        ops.push(Op::Compute(compute / chunks as Time));
        let r = share(reads);
        if r > 0 {
            ops.push(Op::Read {
                bytes: crate::PAGE_BYTES,
                times: r,
            });
        }
        let c = share(calls);
        if c > 0 {
            ops.push(Op::Call { times: c });
        }
        let w = share(writes);
        if w > 0 {
            ops.push(Op::Write {
                bytes: crate::PAGE_BYTES,
                times: w,
            });
        }
    }
}

/// One tool of the compiler chain (cpp, cc1, as, ld) as a child program.
fn tool(s: &Shapes, w: &str, name: &str, fs: NodeId) -> Result<Program, String> {
    let mut ops = vec![Op::Open { fs }, Op::Open { fs }];
    work(
        &mut ops,
        s.t(w, &format!("{name}_compute_ms"))?,
        s.n(w, &format!("{name}_reads"))?,
        s.n(w, &format!("{name}_writes"))?,
        s.n(w, &format!("{name}_calls"))?,
        8,
    );
    ops.extend([Op::Close, Op::Close, Op::Exit]);
    let mut p = Program::null(name, ops);
    p.image_pages = s.n(w, &format!("{name}_image_pages"))?;
    p.resident_pages = s.n(w, &format!("{name}_resident_pages"))?;
    Ok(p)
}

/// A gcc driver that forks each tool of the chain in turn and waits for it; program index
/// of the tools follow `base`.
fn gcc_driver(s: &Shapes, w: &str, base: usize, tools: &[&str], fs: NodeId) -> Program {
    let mut ops = vec![Op::Open { fs }, Op::Call { times: 4 }];
    for i in 0..tools.len() {
        ops.push(Op::Spawn {
            prog: base + i,
            on: None,
        });
        ops.push(Op::Wait);
        ops.push(Op::Call { times: 2 });
    }
    ops.extend([Op::Close, Op::Exit]);
    let mut p = Program::null("gcc", ops);
    p.image_pages = s.n(w, "driver_image_pages").unwrap_or(4);
    p
}

/// Builds a workload by name.
pub fn workload(name: &str, syn: Synthetic, s: &Shapes) -> Result<Workload, String> {
    const FS: NodeId = 0;
    let tools = ["cpp", "cc1", "as", "ld"];
    let w = match name {
        "null" | "synthetic" => {
            let mut ops = Vec::new();
            for _ in 0..syn.files {
                ops.push(Op::Open { fs: FS });
            }
            if syn.pages > 0 {
                ops.push(Op::Alloc { pages: syn.pages });
            }
            // Wait to be migrated, then touch, then exit.
            ops.push(Op::Compute(s.t("synthetic", "idle_ms")?));
            if syn.touch_after > 0 {
                ops.push(Op::Touch {
                    pages: syn.touch_after,
                });
            }
            ops.push(Op::Exit);
            Workload {
                name: name.into(),
                programs: vec![Program::null(name, ops)],
                start_node: 1,
                dst: 2,
                migrate_at: s.t("synthetic", "migrate_at_ms")?,
            }
        }
        "gcc" => {
            let mut programs = vec![gcc_driver(s, "gcc", 1, &tools, FS)];
            for t in tools {
                programs.push(tool(s, "gcc", t, FS)?);
            }
            Workload {
                name: name.into(),
                programs,
                start_node: 1,
                dst: 2,
                migrate_at: s.t("gcc", "migrate_at_ms")?,
            }
        }
        "gcc-cc1" | "gcc-as" => {
            let t = if name == "gcc-cc1" { "cc1" } else { "as" };
            let p = tool(s, "gcc", t, FS)?;
            Workload {
                name: name.into(),
                programs: vec![p],
                start_node: 1,
                dst: 2,
                migrate_at: s.t("gcc", "single_migrate_at_ms")?,
            }
        }
        "make" | "small-make" => {
            let (w, dst) = if name == "make" {
                ("make", 2)
            } else {
                ("small-make", 0)
            };
            let jobs = s.n(w, "jobs")?;
            // Program 0 make, 1 the gcc driver, 2.. its tools.
            let mut ops = vec![Op::Open { fs: FS }];
            for _ in 0..jobs {
                ops.push(Op::Read {
                    bytes: 1024,
                    times: s.n(w, "make_stats_per_job")?,
                });
                ops.push(Op::Compute(s.t(w, "make_compute_ms")?));
                ops.push(Op::Spawn { prog: 1, on: None });
                ops.push(Op::Wait);
            }
            ops.extend([Op::Close, Op::Exit]);
            let mut make = Program::null("make", ops);
            make.image_pages = 6;
            let mut programs = vec![make, gcc_driver(s, w, 2, &tools, FS)];
            for t in tools {
                programs.push(tool(s, w, t, FS)?);
            }
            Workload {
                name: name.into(),
                programs,
                start_node: 1,
                dst,
                migrate_at: s.t(w, "migrate_at_ms")?,
            }
        }
        "troff" => {
            let w = "troff";
            let mut ops = vec![Op::Open { fs: FS }, Op::Open { fs: FS }];
            ops.push(Op::Alloc {
                pages: s.n(w, "heap_pages")?,
            });
            work(
                &mut ops,
                s.t(w, "compute_ms")?,
                s.n(w, "reads")?,
                s.n(w, "writes")?,
                s.n(w, "calls")?,
                40,
            );
            ops.push(Op::Touch {
                pages: s.n(w, "heap_pages")?,
            });
            ops.extend([Op::Close, Op::Close, Op::Exit]);
            let mut p = Program::null("troff", ops);
            p.image_pages = s.n(w, "image_pages")?;
            Workload {
                name: name.into(),
                programs: vec![p],
                start_node: 1,
                dst: 2,
                migrate_at: s.t(w, "migrate_at_ms")?,
            }
        }
        other => {
            return Err(format!(
                "unknown workload '{other}' (workloads: {})",
                NAMES.join(", ")
            ))
        }
    };
    Ok(w)
}

/// Table 1's experiment: a parent that forks, execs and waits for a null child, whose task is
/// created on `child_on` (None: on the parent's node).
pub fn creation(parent_on: NodeId, child_on: Option<NodeId>) -> Workload {
    let parent = Program::null(
        "sh",
        vec![
            Op::Spawn {
                prog: 1,
                on: child_on,
            },
            Op::Wait,
            Op::Exit,
        ],
    );
    let child = Program::null("null", vec![Op::Exit]);
    Workload {
        name: "creation".into(),
        programs: vec![parent, child],
        start_node: parent_on,
        dst: parent_on,
        migrate_at: 0,
    }
}

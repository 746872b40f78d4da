//! Command-line arguments (spec §8.4). Every bound and switch of `Config` has a flag, so a
//! configuration printed in a report can be typed back in; `ConfigArgs::to_flags` renders the
//! flags given in a canonical form that the printed replay commands carry.

use clap::{Args, Parser, Subcommand, ValueEnum};
use osfmig_model::config::{Calls, Config, GroupOrder, Mode, Strategy};
use osfmig_model::mutants;

/// Why a command could not do its work. A mistake in the command line is `Usage` (exit
/// status 2, never a panic); anything else that stops a command is `Runtime` (exit status 1).
#[derive(Debug)]
pub enum Error {
    Usage(String),
    Runtime(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Runtime(_) => 1,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Error::Usage(m) | Error::Runtime(m) => m,
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "osfmig",
    version,
    about = "Model checker for the OSF/1 AD process-migration protocol",
    long_about = "Model checker for the OSF/1 AD process-migration protocol (spec/).\n\
                  Exit status: 0 when every property is as the spec expects, 1 on a wrong \
                  verdict, 2 on bad usage, 3 on an incomplete run with nothing found wrong."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check every run of a preset and report each property's verdict.
    Check(CheckArgs),
    /// Replay a path of action indices (as printed by `check`) step by step.
    Replay(ReplayArgs),
    /// Measure unique states per second and peak bytes per unique state.
    Bench(BenchArgs),
    /// Serve stateright's Explorer for one run on 127.0.0.1.
    Explore(ExploreArgs),
    /// Reproduce the paper's tables and figures with the reference implementation.
    Paper(PaperArgs),
    /// Run one workload in the reference implementation and print the migration timeline.
    Simulate(SimulateArgs),
    /// Trace conformance (spec §12): generate NDJSON traces from the model, check their format.
    #[command(subcommand)]
    Traces(TracesCommand),
    /// Print a completion script for a shell (`osfmig completions bash > osfmig.bash`).
    Completions(CompletionsArgs),
}

/// `osfmig completions SHELL`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell the script is for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Subcommand, Debug)]
pub enum TracesCommand {
    /// Generate traces from the model: seeded random walks or bounded exhaustive enumeration.
    Generate(TracesGenerateArgs),
    /// Validate trace files (format only): exit 2 with `file:line: reason` on bad input.
    CheckFormat(TracesCheckFormatArgs),
    /// Record traces on the refimpl: seeded scripted runs of a preset's configurations.
    Record(TracesRecordArgs),
    /// Validate refimpl traces against the model (refinement check, spec §12.9).
    Check(TracesRunArgs),
    /// Replay model traces on the refimpl and compare after every step (spec §12.10).
    Replay(TracesRunArgs),
    /// Shrink a failing trace (rejected by `check`, diverging on `replay`) to a minimal one
    /// that still fails the same way (spec §12.11).
    Shrink(TracesShrinkArgs),
    /// Hits per action x fault class of model and refimpl traces (and of the model's
    /// exploration with `--preset`), and what refimpl traces never exercise (spec §12.12).
    Coverage(TracesCoverageArgs),
    /// Export an NDJSON trace in another format (`--format itf`, spec §12.13).
    Export(TracesExportArgs),
}

/// The file format traces are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormatArg {
    /// NDJSON (spec §12.1).
    Ndjson,
    /// The Informal Trace Format of Apalache and Quint (spec §12.13).
    Itf,
}

#[derive(Args, Debug)]
pub struct TracesShrinkArgs {
    /// The failing trace.
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// Where the shrunk trace goes (default: FILE with `.shrunk.ndjson` for `.ndjson`); it
    /// must not exist.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// Seed a bug of the refimpl's mutant catalog (spec §12.14) into the refimpl, its own
    /// invariant checks left on: what conformance and those checks report about it.
    #[arg(long = "refimpl-mutant", value_name = "NAME")]
    pub refimpl_mutant: Option<String>,
    /// Print one JSON object: {"file", "out", "steps_before", "steps_after", "candidates",
    /// "seconds", "failure": {"kind", "step", "rule", "invariant", "report"}, "log"}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TracesCoverageArgs {
    /// Trace files, or directories whose `*.ndjson` files are taken (model and refimpl
    /// traces alike).
    #[arg(value_name = "FILE|DIR")]
    pub paths: Vec<std::path::PathBuf>,
    /// Also count the model's exploration of this preset's runs (the small runs the
    /// liveness check explores; the large runs are skipped, and said).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// States explored per run at most (with `--preset`; at most 50 000 000).
    #[arg(long, value_name = "N", default_value_t = 2_000_000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
              .range(0..=crate::traces_io::STATE_LIMIT_MAX))]
    pub state_limit: usize,
    /// Exit 1 when some rule of model::RULES, or some reachability item of the runs covered,
    /// is never exercised by the refimpl traces given.
    #[arg(long)]
    pub require_refimpl: bool,
    /// A rule label or reachability item ID `--require-refimpl` tolerates as missing
    /// (repeatable); each is printed as tolerated, and one that is exercised after all is an
    /// error (the list must shrink).
    #[arg(long, value_name = "RULE|ITEM")]
    pub allow_missing: Vec<String>,
    /// Print one JSON object with the fields of the text report.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TracesExportArgs {
    /// The NDJSON trace.
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// The format to write.
    #[arg(long, value_enum)]
    pub format: TraceFormatArg,
    /// Where it goes (default: standard output); it must not exist.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct TracesRecordArgs {
    /// Preset whose runs are recorded (runs the refimpl cannot take are skipped, and said).
    #[arg(long, value_name = "NAME", default_value = "ci")]
    pub preset: String,
    /// Record only this run of the preset.
    #[arg(long, value_name = "NAME")]
    pub run: Option<String>,
    /// Traces in all, spread over the runs in turn (1 to 1 000 000).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=crate::traces_io::COUNT_MAX))]
    pub count: u64,
    /// Seed of the driver.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Directory the `<run>-<n>.ndjson` files are written to: a new one, or an empty one.
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Events per trace at most (at most 10 000).
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
              .range(0..=crate::traces_io::EVENTS_MAX))]
    pub events: usize,
    /// Seed a bug of the refimpl's mutant catalog (spec §12.14) into the refimpl, its own
    /// invariant checks left on: what conformance and those checks report about it.
    #[arg(long = "refimpl-mutant", value_name = "NAME")]
    pub refimpl_mutant: Option<String>,
    /// Direct every trace at this target (spec §12.9.1): a reachability item (S-…), a
    /// window (W-…) or a rule; the model's shortest path to it guides the driver. Runs
    /// that cannot reach it are skipped, and said.
    #[arg(long, value_name = "TARGET", conflicts_with = "directed")]
    pub target: Option<String>,
    /// Direct the traces at every reachability item and window of each run in turn
    /// (spec §12.9.1), `--count` in all.
    #[arg(long)]
    pub directed: bool,
    /// The processes run programs of the refimpl's workload interpreter, drawn within the
    /// run's environment rules and budgets, instead of a driver's script (spec §12.9.2);
    /// each trace's header lists its programs' calls, which `traces check` holds the
    /// processes to.
    #[arg(long)]
    pub programs: bool,
    /// Print one JSON object: {"preset", "runs", "traces", "out", "skipped": [{"run",
    /// "why"}], "directed", "followed", "targets_not_followed", "broken": [{"file", "line",
    /// "run", "trace", "step", "rule", "invariant"}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TracesRunArgs {
    /// Trace files, or directories whose `*.ndjson` files are taken.
    #[arg(value_name = "FILE|DIR", required = true)]
    pub paths: Vec<std::path::PathBuf>,
    /// Print one JSON object: {"traces", "steps", "malformed", "seconds"}, with "accepted"
    /// and "rejected" from `traces check`, "divergences" and "skipped" from `traces replay`.
    #[arg(long)]
    pub json: bool,
    /// `traces replay` only: seed a bug of the refimpl's mutant catalog (spec §12.14) into
    /// the refimpl, its own invariant checks left on.
    #[arg(long = "refimpl-mutant", value_name = "NAME")]
    pub refimpl_mutant: Option<String>,
    /// Also write the results as JUnit XML to FILE: one test case per trace file, failed
    /// for a rejection, a divergence or bad input, skipped for a run the refimpl cannot
    /// take (spec §8.4).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
}

/// How `traces generate` chooses paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceModeArg {
    Walk,
    Exhaustive,
    /// Coverage-directed: per run, traces that together fire every rule and reach every
    /// reachability item the run can (`--count` caps the traces per run).
    Cover,
}

#[derive(Args, Debug)]
pub struct TracesGenerateArgs {
    /// Preset whose runs are traced.
    #[arg(long, value_name = "NAME")]
    pub preset: String,
    /// Trace only this run of the preset.
    #[arg(long, value_name = "NAME")]
    pub run: Option<String>,
    /// Traces in all, spread over the preset's runs in turn (exhaustive mode: at most this
    /// many per run); 1 to 1 000 000.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=crate::traces_io::COUNT_MAX))]
    pub count: u64,
    /// Seed of the random walks.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Directory the `<run>-<n>.ndjson` files are written to: a new one, or an empty one.
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Random walks or depth-first enumeration of every maximal path (the preset's own
    /// configuration is used unchanged: `--mode` here is not the migration mode).
    #[arg(long = "mode", value_enum, default_value_t = TraceModeArg::Walk)]
    pub gen_mode: TraceModeArg,
    /// Steps per trace at most (at most 10 000).
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
              .range(0..=crate::traces_io::DEPTH_MAX))]
    pub depth: usize,
    /// Add the state projection to every event.
    #[arg(long)]
    pub state: bool,
    /// `itf` writes `<run>-<n>.itf.json` files in the Informal Trace Format instead of
    /// NDJSON (spec §12.13).
    #[arg(long, value_enum, default_value_t = TraceFormatArg::Ndjson)]
    pub format: TraceFormatArg,
    /// Print one JSON object: {"preset", "out", "files", "runs": [{"run", "traces", "steps",
    /// "cut", "cover"}], "rules_fired", "rules", "rules_not_fired"} (with `--format itf`:
    /// {"preset", "out", "format", "files", "runs": [{"run", "traces"}]}).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TracesCheckFormatArgs {
    /// Trace files, or directories whose `*.ndjson` files are checked.
    #[arg(value_name = "FILE|DIR", required = true)]
    pub paths: Vec<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct PaperArgs {
    /// Print {"rows": [...]} as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write SVG plots of Fig. 7-10 (simulated beside the paper's values) into this directory.
    #[arg(long, value_name = "DIR")]
    pub plots: Option<std::path::PathBuf>,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A timing profile file (TOML, spec §11.2) instead of the built-in i386 profile.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub processor: ProcessorArgs,
    #[command(flatten)]
    pub shapes: ShapeArgs,
}

/// Overrides of the workloads' assumed parameters (spec §11.6), shared by `paper` and
/// `simulate`.
#[derive(Args, Debug)]
pub struct ShapeArgs {
    /// spec §11.6: set an assumed workload parameter of `data/workloads.toml`, e.g.
    /// `--set make.jobs=8` (repeatable). The workload's calibrated cc1 time is then re-fitted
    /// to its paper figure (an error when no compute time can reproduce it).
    #[arg(long = "set", value_name = "W.K=V")]
    pub set: Vec<String>,
}

impl ShapeArgs {
    /// The built-in workload shapes with these overrides, re-fitted under `cfg`, and a line
    /// per override and re-fit for the output.
    pub fn shapes(
        &self,
        costs: &osfmig_refimpl::timing::Costs,
        seed: u64,
        cfg: &osfmig_refimpl::world::Config,
    ) -> Result<(osfmig_refimpl::workload::Shapes, Vec<String>), Error> {
        let mut shapes = osfmig_refimpl::workload::Shapes::builtin();
        let mut changed = std::collections::BTreeSet::new();
        let mut lines = Vec::new();
        for text in &self.set {
            let bad = |why: String| Error::Usage(format!("--set {text}: {why}"));
            let (key, value) = text
                .split_once('=')
                .ok_or_else(|| bad("expected W.K=V, e.g. make.jobs=8".into()))?;
            let (w, k) = key
                .split_once('.')
                .ok_or_else(|| bad("expected W.K=V, e.g. make.jobs=8".into()))?;
            let v: f64 = value
                .parse()
                .map_err(|_| bad(format!("'{value}' is not a number")))?;
            shapes.set(w, k, v).map_err(bad)?;
            changed.insert(w.to_string());
            lines.push(format!("set {w}.{k} = {v}"));
        }
        let mut px =
            osfmig_refimpl::paper::Paper::with_cfg(costs.clone(), shapes, seed, cfg.clone());
        let refits = px
            .refit_workloads(&changed)
            .map_err(|e| Error::Usage(format!("--set {}: {e}", self.set.join(" --set "))))?;
        lines.extend(refits);
        Ok((px.shapes, lines))
    }
}

/// The lines `ShapeArgs::shapes` returned, as `paper` and `simulate` print them ahead of
/// their output (nothing when no assumption was overridden).
pub fn overrides_text(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut s = String::from("workload overrides (spec §11.6):\n");
    for line in lines {
        s.push_str(&format!("  {line}\n"));
    }
    s.push('\n');
    s
}

/// The node's processor assumptions (spec §11.10), shared by `paper` and `simulate`.
#[derive(Args, Debug)]
pub struct ProcessorArgs {
    /// spec §11.10: system work on a node delays the computation in progress there
    /// (`--cpu-contention=false`: every computation has a processor of its own).
    #[arg(long = "cpu-contention", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub cpu_contention: bool,
    /// spec §11.10: the SMS pull's calibrated processing is shared by both kernels
    /// (`--sms-both-ends=false`: all of it at the destination).
    #[arg(long = "sms-both-ends", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub sms_both_ends: bool,
}

impl ProcessorArgs {
    /// `cfg` with these switches.
    pub fn apply(&self, cfg: osfmig_refimpl::world::Config) -> osfmig_refimpl::world::Config {
        osfmig_refimpl::world::Config {
            cpu_contention: self.cpu_contention,
            sms_both_ends: self.sms_both_ends,
            ..cfg
        }
    }
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Workload: null, synthetic, gcc, gcc-cc1, gcc-as, make, troff, small-make.
    #[arg(long, value_name = "NAME")]
    pub workload: String,
    /// When the monitor requests the migration, in ms of virtual time (default: the
    /// workload's own; `none` runs it unmigrated).
    #[arg(long = "migrate-at", value_name = "MS")]
    pub migrate_at: Option<String>,
    /// Process or task migration.
    #[arg(long, value_enum, default_value_t = ModeArg::Process)]
    pub mode: ModeArg,
    /// Destination node (default: the workload's).
    #[arg(long, value_name = "N")]
    pub dst: Option<usize>,
    /// Address-space strategy.
    #[arg(long, value_enum, default_value_t = StrategyArg::Cor)]
    pub strategy: StrategyArg,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Synthetic workload: open files.
    #[arg(long, default_value_t = 0)]
    pub files: u32,
    /// Synthetic workload: pages allocated before migration.
    #[arg(long, default_value_t = 0)]
    pub pages: u32,
    /// Synthetic workload: pages touched after migration.
    #[arg(long, default_value_t = 0)]
    pub touch: u32,
    /// R4': abort a wait() in progress and restart it at the destination.
    #[arg(long = "r4-prime")]
    pub r4_prime: bool,
    #[command(flatten)]
    pub processor: ProcessorArgs,
    #[command(flatten)]
    pub shapes: ShapeArgs,
    /// Print one JSON object instead of text: the statistics, and the timeline as one object
    /// per step (`time_ns`, `time_ms`, `node`, `rule`, `what`).
    #[arg(long)]
    pub json: bool,
}

/// Address-space transfer strategy, as typed on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    Cor,
    Eager,
    Precopy,
    Flush,
}

impl StrategyArg {
    pub fn refimpl(self) -> osfmig_refimpl::workload::Strategy {
        use osfmig_refimpl::workload::Strategy as S;
        match self {
            StrategyArg::Cor => S::Cor,
            StrategyArg::Eager => S::Eager,
            StrategyArg::Precopy => S::Precopy,
            StrategyArg::Flush => S::Flush,
        }
    }

    fn model(self) -> Strategy {
        match self {
            StrategyArg::Cor => Strategy::Cor,
            StrategyArg::Eager => Strategy::Eager,
            StrategyArg::Precopy => Strategy::Precopy,
            StrategyArg::Flush => Strategy::Flush,
        }
    }

    fn name(self) -> &'static str {
        match self {
            StrategyArg::Cor => "cor",
            StrategyArg::Eager => "eager",
            StrategyArg::Precopy => "precopy",
            StrategyArg::Flush => "flush",
        }
    }
}

/// G1's freezing order, as typed on the command line (spec §3.3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GroupOrderArg {
    AllAtOnce,
    OneAfterAnother,
}

impl GroupOrderArg {
    fn model(self) -> GroupOrder {
        match self {
            GroupOrderArg::AllAtOnce => GroupOrder::AllAtOnce,
            GroupOrderArg::OneAfterAnother => GroupOrder::OneAfterAnother,
        }
    }

    fn name(self) -> &'static str {
        match self {
            GroupOrderArg::AllAtOnce => "all-at-once",
            GroupOrderArg::OneAfterAnother => "one-after-another",
        }
    }
}

/// Process or task-only migration, as typed on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Process,
    Task,
}

impl ModeArg {
    pub fn refimpl(self) -> osfmig_refimpl::workload::Mode {
        match self {
            ModeArg::Process => osfmig_refimpl::workload::Mode::Process,
            ModeArg::Task => osfmig_refimpl::workload::Mode::Task,
        }
    }

    fn model(self) -> Mode {
        match self {
            ModeArg::Process => Mode::Process,
            ModeArg::Task => Mode::Task,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ModeArg::Process => "process",
            ModeArg::Task => "task",
        }
    }
}

/// Overrides applied to every run of the selected preset. A flag that is absent leaves the
/// preset's value alone, so the presets stay the single source of the defaults.
#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// Nodes including the master node (node 0).
    #[arg(long = "nodes-max", alias = "nodes_max", value_name = "N")]
    pub nodes_max: Option<u8>,
    /// UNIX processes.
    #[arg(long = "processes-max", alias = "processes_max", value_name = "N")]
    pub processes_max: Option<u8>,
    /// Process-management calls the processes may issue in a run.
    #[arg(long = "requests-max", alias = "requests_max", value_name = "N")]
    pub requests_max: Option<u8>,
    /// pcntl migrate requests in a run.
    #[arg(long = "migrations-max", alias = "migrations_max", value_name = "N")]
    pub migrations_max: Option<u8>,
    /// Node crashes in a run.
    #[arg(long = "crashes-max", alias = "crashes_max", value_name = "N")]
    pub crashes_max: Option<u8>,
    /// Calls one sender may have outstanding.
    #[arg(long = "outstanding-max", alias = "outstanding_max", value_name = "N")]
    pub outstanding_max: Option<u8>,
    /// pcntl migrate requests under way at once, as from that many independent callers (1 or 2)
    #[arg(
        long = "pcntl-callers-max",
        alias = "pcntl_callers_max",
        value_name = "N"
    )]
    pub pcntl_callers_max: Option<u8>,
    /// Pages in each process's address space.
    #[arg(long = "pages-max", alias = "pages_max", value_name = "N")]
    pub pages_max: Option<u8>,
    /// Proc structures a PMA can allocate.
    #[arg(
        long = "procs-per-node-max",
        alias = "procs_per_node_max",
        value_name = "N"
    )]
    pub procs_per_node_max: Option<u8>,
    /// Messages in transit before a state is outside the boundary.
    #[arg(long = "queue-len-max", alias = "queue_len_max", value_name = "N")]
    pub queue_len_max: Option<u8>,
    /// Open files per process.
    #[arg(long = "files-max", alias = "files_max", value_name = "N")]
    pub files_max: Option<u8>,
    /// Processes `fork()` may create in a run (needs `fork` in `--calls`).
    #[arg(long = "forks-max", alias = "forks_max", value_name = "N")]
    pub forks_max: Option<u8>,
    /// The calls the processes may issue, comma-separated, replacing the preset's set:
    /// signal, getinfo, wait, exit, fork, file_read, touch, sigsuspend,
    /// pcntl_allow (`none` for none; spec §2.6).
    #[arg(long, value_name = "CALLS")]
    pub calls: Option<String>,
    /// Process migration or task-only migration (T1).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Address-space transfer strategy.
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,
    /// R4': abort and restart wait() at the destination (`--r4-prime=false` turns it off).
    #[arg(long = "r4-prime", alias = "r4_prime", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub r4_prime: Option<bool>,
    /// G1: all processes form one migration group.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub group: Option<bool>,
    /// G1's freezing order: every member at once, or one after another, each once the
    /// previous one is frozen (spec §3.3.4)
    #[arg(
        long = "group-order",
        alias = "group_order",
        value_enum,
        value_name = "ORDER"
    )]
    pub group_order: Option<GroupOrderArg>,
    /// The P11 fix: hold direct requests until the forwarded queue arrives.
    #[arg(long = "p11-fix", alias = "p11_fix", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub p11_fix: Option<bool>,
    /// R7: the destination may refuse for lack of memory.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub refusals: Option<bool>,
    /// R10: the source may abandon before the pull.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub abandon: Option<bool>,
    /// Start the processes spread over the test nodes.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub spread: Option<bool>,
    /// R10 handshake: number each migration attempt (`--attempt-tags=false` for the finding).
    #[arg(long = "attempt-tags", alias = "attempt_tags", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub attempt_tags: Option<bool>,
    /// PM3: number each incarnation of a pid (`--pid-generations=false` for finding 12).
    #[arg(long = "pid-generations", alias = "pid_generations", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub pid_generations: Option<bool>,
    /// C4 as the paper states it: a request lost in the source's queue kills the migrated
    /// process (`--c4-queue-condition=false`: it survives at its destination).
    #[arg(long = "c4-queue-condition", alias = "c4_queue_condition", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub c4_queue_condition: Option<bool>,
    /// R4's literal scope: a process's own calls on others hold its freeze
    /// (`--r4-literal=false`: only a call on the process itself does).
    #[arg(long = "r4-literal", alias = "r4_literal", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub r4_literal: Option<bool>,
    /// Channel order per PMA port instead of per pair of actors (spec §4.1).
    #[arg(long = "channels-per-port", alias = "channels_per_port", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub channels_per_port: Option<bool>,
    /// With --channels-per-port: Done goes to the source's vproc port (spec §10 finding 15).
    #[arg(long = "done-on-vproc-port", alias = "done_on_vproc_port", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub done_on_vproc_port: Option<bool>,
    /// Admission at the destination: one pull at a time (spec §3.2.3 R11).
    #[arg(long = "admission", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub admission: Option<bool>,
    /// G2: comma-separated pids whose migration pcntl disallows (`none` for none).
    #[arg(long, value_name = "PIDS")]
    pub disallowed: Option<String>,
    /// Seed one protocol bug from the mutant catalog (see `check --list-mutants`).
    #[arg(long, value_name = "NAME")]
    pub mutant: Option<String>,
}

impl ConfigArgs {
    /// Applies the flags to one run's configuration and validates the result.
    pub fn apply(&self, cfg: &mut Config) -> Result<(), Error> {
        let bounds = [
            (&mut cfg.nodes_max, self.nodes_max),
            (&mut cfg.processes_max, self.processes_max),
            (&mut cfg.requests_max, self.requests_max),
            (&mut cfg.migrations_max, self.migrations_max),
            (&mut cfg.crashes_max, self.crashes_max),
            (&mut cfg.outstanding_max, self.outstanding_max),
            (&mut cfg.pcntl_callers_max, self.pcntl_callers_max),
            (&mut cfg.pages_max, self.pages_max),
            (&mut cfg.procs_per_node_max, self.procs_per_node_max),
            (&mut cfg.queue_len_max, self.queue_len_max),
            (&mut cfg.files_max, self.files_max),
            (&mut cfg.forks_max, self.forks_max),
        ];
        for (field, flag) in bounds {
            if let Some(v) = flag {
                *field = v;
            }
        }
        if let Some(m) = self.mode {
            cfg.mode = m.model();
        }
        if let Some(s) = self.strategy {
            cfg.strategy = s.model();
        }
        if let Some(o) = self.group_order {
            cfg.group_order = o.model();
        }
        let switches = [
            (&mut cfg.r4_prime, self.r4_prime),
            (&mut cfg.group, self.group),
            (&mut cfg.p11_fix, self.p11_fix),
            (&mut cfg.refusals, self.refusals),
            (&mut cfg.abandon, self.abandon),
            (&mut cfg.spread, self.spread),
            (&mut cfg.attempt_tags, self.attempt_tags),
            (&mut cfg.pid_generations, self.pid_generations),
            (&mut cfg.c4_queue_condition, self.c4_queue_condition),
            (&mut cfg.r4_literal, self.r4_literal),
            (&mut cfg.channels_per_port, self.channels_per_port),
            (&mut cfg.done_on_vproc_port, self.done_on_vproc_port),
            (&mut cfg.admission, self.admission),
        ];
        for (field, flag) in switches {
            if let Some(v) = flag {
                *field = v;
            }
        }
        if let Some(list) = &self.disallowed {
            cfg.disallowed = parse_pids(list)?;
        }
        if let Some(list) = &self.calls {
            cfg.calls = parse_calls(list)?;
        }
        if let Some(name) = &self.mutant {
            cfg.mutant = Some(mutant_by_name(name)?.mutant);
        }
        cfg.validate().map_err(Error::Usage)
    }

    /// The flags given, in canonical spelling, without `--mutant` (the model's replay command
    /// adds the mutant of the run itself).
    pub fn to_flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        let bounds = [
            ("--nodes-max", self.nodes_max),
            ("--processes-max", self.processes_max),
            ("--requests-max", self.requests_max),
            ("--migrations-max", self.migrations_max),
            ("--crashes-max", self.crashes_max),
            ("--outstanding-max", self.outstanding_max),
            ("--pcntl-callers-max", self.pcntl_callers_max),
            ("--pages-max", self.pages_max),
            ("--procs-per-node-max", self.procs_per_node_max),
            ("--queue-len-max", self.queue_len_max),
            ("--files-max", self.files_max),
            ("--forks-max", self.forks_max),
        ];
        for (flag, v) in bounds {
            if let Some(v) = v {
                out.push(flag.to_string());
                out.push(v.to_string());
            }
        }
        if let Some(m) = self.mode {
            out.push("--mode".into());
            out.push(m.name().into());
        }
        if let Some(s) = self.strategy {
            out.push("--strategy".into());
            out.push(s.name().into());
        }
        if let Some(o) = self.group_order {
            out.push("--group-order".into());
            out.push(o.name().into());
        }
        let switches = [
            ("--r4-prime", self.r4_prime),
            ("--group", self.group),
            ("--p11-fix", self.p11_fix),
            ("--refusals", self.refusals),
            ("--abandon", self.abandon),
            ("--spread", self.spread),
            ("--attempt-tags", self.attempt_tags),
            ("--pid-generations", self.pid_generations),
            ("--c4-queue-condition", self.c4_queue_condition),
            ("--r4-literal", self.r4_literal),
            ("--channels-per-port", self.channels_per_port),
            ("--done-on-vproc-port", self.done_on_vproc_port),
            ("--admission", self.admission),
        ];
        for (flag, v) in switches {
            match v {
                Some(true) => out.push(flag.to_string()),
                Some(false) => out.push(format!("{flag}=false")),
                None => {}
            }
        }
        if let Some(list) = &self.disallowed {
            // Canonical form: the parsed pids, or `none`, so the token never needs quoting.
            let pids = parse_pids(list).unwrap_or_default();
            out.push("--disallowed".into());
            out.push(if pids.is_empty() {
                "none".into()
            } else {
                pids.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            });
        }
        if let Some(list) = &self.calls {
            out.push("--calls".into());
            out.push(calls_flag(&parse_calls(list).unwrap_or(Calls::NONE)));
        }
        out
    }

    /// The same flags including `--mutant`, for a child process that must see everything.
    pub fn to_flags_with_mutant(&self) -> Vec<String> {
        let mut out = self.to_flags();
        if let Some(m) = &self.mutant {
            out.push("--mutant".into());
            out.push(m.clone());
        }
        out
    }
}

/// Parses `--disallowed`: a comma-separated list of pids, or `none` / empty for none.
fn parse_pids(list: &str) -> Result<Vec<u8>, Error> {
    let list = list.trim();
    if list.is_empty() || list == "none" {
        return Ok(Vec::new());
    }
    list.split(',')
        .map(|t| {
            t.trim().parse::<u8>().map_err(|_| {
                Error::Usage(format!(
                    "--disallowed: '{t}' is not a pid (expected e.g. 0,1 or none)"
                ))
            })
        })
        .collect()
}

/// The names `--calls` accepts, in canonical order, with the field each sets.
const CALL_NAMES: [&str; 9] = [
    "signal",
    "getinfo",
    "wait",
    "exit",
    "fork",
    "file_read",
    "touch",
    "sigsuspend",
    "pcntl_allow",
];

/// The field of `calls` a name of `--calls` stands for.
fn call_field<'a>(calls: &'a mut Calls, name: &str) -> Option<&'a mut bool> {
    Some(match name {
        "signal" => &mut calls.signal,
        "getinfo" => &mut calls.getinfo,
        "wait" => &mut calls.wait,
        "exit" => &mut calls.exit,
        "fork" => &mut calls.fork,
        "file_read" => &mut calls.file_read,
        "touch" => &mut calls.touch,
        "sigsuspend" => &mut calls.sigsuspend,
        "pcntl_allow" => &mut calls.pcntl_allow,
        _ => return None,
    })
}

/// The canonical `--calls` value of a set of calls.
fn calls_flag(calls: &Calls) -> String {
    let mut c = *calls;
    let on: Vec<&str> = CALL_NAMES
        .into_iter()
        .filter(|n| call_field(&mut c, n).is_some_and(|f| *f))
        .collect();
    if on.is_empty() {
        "none".into()
    } else {
        on.join(",")
    }
}

/// Parses `--calls`: a comma-separated list of call names, or `none` / empty for none.
fn parse_calls(list: &str) -> Result<Calls, Error> {
    let mut calls = Calls::NONE;
    let list = list.trim();
    if list.is_empty() || list == "none" {
        return Ok(calls);
    }
    for t in list.split(',') {
        let name = t.trim().replace('-', "_");
        match call_field(&mut calls, &name) {
            Some(f) => *f = true,
            None => {
                return Err(Error::Usage(format!(
                    "--calls: '{t}' is not a call (calls: {}, or none)",
                    CALL_NAMES.join(", ")
                )))
            }
        }
    }
    Ok(calls)
}

/// Looks a mutant up in the catalog; the error lists the names that exist.
pub fn mutant_by_name(name: &str) -> Result<&'static mutants::MutantInfo, Error> {
    mutants::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = mutants::CATALOG.iter().map(|m| m.name).collect();
        Error::Usage(format!(
            "unknown mutant '{name}' (mutants: {})",
            names.join(", ")
        ))
    })
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Preset to check (tiny, ci, full, or any single catalog run).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Check only this run of the preset.
    #[arg(long, value_name = "NAME")]
    pub run: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Checker threads.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: u16,
    /// No progress on stderr (run k of N, its phase, states and states/s; rewritten in
    /// place on a terminal, one line a second otherwise).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Stop each run after this many seconds (the run is then incomplete).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub timeout: Option<f64>,
    /// Stop each run after this many unique states (the run is then incomplete).
    #[arg(long = "state-limit", alias = "state_limit", value_name = "N")]
    pub state_limit: Option<usize>,
    /// Skip the liveness check (L1-L6), whose graph is built without symmetry and so grows
    /// much faster than the safety search when the bounds are raised.
    #[arg(long = "no-liveness", alias = "no_liveness")]
    pub no_liveness: bool,
    /// Print one JSON object on stdout instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// List the mutant catalog (name, property that catches it, preset) and exit.
    #[arg(long = "list-mutants", alias = "list_mutants")]
    pub list_mutants: bool,
    /// Draw every counterexample as a message sequence chart into DIR: RUN-PROPERTY.svg and
    /// RUN-PROPERTY.mmd (Mermaid), created or replaced.
    #[arg(long, value_name = "DIR")]
    pub msc: Option<std::path::PathBuf>,
    /// How safety counterexamples are found: `dfs`, the depth-first search's path cut at the
    /// first state where the property fails; `bfs`, a shortest path, by a breadth-first search
    /// run after the check for each violated property.
    #[arg(long, value_name = "SEARCH", default_value = "dfs", value_parser = ["dfs", "bfs"])]
    pub search: String,
    /// Write every counterexample as an ITF trace (the Informal Trace Format of Apalache and
    /// Quint, states projected as in `traces export`) into DIR: RUN-PROPERTY.itf.json.
    #[arg(long, value_name = "DIR")]
    pub itf: Option<std::path::PathBuf>,
    /// Also write the verdicts as JUnit XML to FILE (created or replaced): a test suite per
    /// run, a test case per property, failing where the verdict is not what the spec expects.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// Under each step of a counterexample, the fields of the state it changed, old value
    /// and new (`~ path: old -> new`).
    #[arg(long)]
    pub states: bool,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Preset the run belongs to (optional: run names are unique across presets).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// The run whose configuration the path belongs to.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Comma-separated action indices, as printed by `check` (empty for the initial state).
    #[arg(long, value_name = "I,J,K", allow_hyphen_values = true)]
    pub path: String,
    /// Also print the final state.
    #[arg(long)]
    pub state: bool,
    /// Under each step, the fields of the state it changed, old value and new
    /// (`~ path: old -> new`).
    #[arg(long)]
    pub states: bool,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Draw the path as a message sequence chart into DIR: RUN-replay.svg and RUN-replay.mmd
    /// (Mermaid), created or replaced.
    #[arg(long, value_name = "DIR")]
    pub msc: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Preset whose runs are measured.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Measure only this run.
    #[arg(long, value_name = "NAME")]
    pub run: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Stop each run after this many unique states.
    #[arg(long = "state-limit", alias = "state_limit", value_name = "N")]
    pub state_limit: Option<usize>,
    /// Time the whole check (safety DFS, then the liveness graph) instead of the DFS alone.
    #[arg(long = "with-liveness", alias = "with_liveness")]
    pub with_liveness: bool,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Benchmark the reference implementation instead (simulated events/s, migrations/s).
    #[arg(long)]
    pub refimpl: bool,
    /// Internal: measure one run in this process and print one JSON line (the parent starts
    /// one child per run so that each peak-memory reading is its own).
    #[arg(long, value_name = "RUN", hide = true)]
    pub one: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// Preset the run belongs to (optional).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// The run to explore.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// TCP port on 127.0.0.1.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
}

//! `osfmig bench` (spec §8.4): unique states per second and peak bytes per unique state, on one
//! thread with DFS, against the targets set by stateright's own examples (Paxos: 296k states/s,
//! about 21 B per state).
//!
//! Peak memory is a process-wide high-water mark, so each run is measured in a child process
//! of its own (`osfmig bench --one RUN`): the child reads `VmHWM` before checking and again at
//! the end, and reports the difference. The parent only collects and prints.

use std::process::{Command, Stdio};
use std::time::Instant;

use osfmig_model::check::{check_run, CheckOptions};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cli::{BenchArgs, Error};
use crate::report::{self, emit, thousands};
use crate::runs::select;

/// Target throughput: unique states per second on one thread.
pub const STATES_PER_SECOND_MIN: f64 = 300_000.0;
/// Target memory: peak bytes per unique state.
pub const BYTES_PER_STATE_MAX: f64 = 32.0;
/// Below this many unique states, start-up costs dominate both figures; the targets are then
/// reported as not applicable rather than met or missed.
pub const MEANINGFUL_STATES_MIN: usize = 100_000;

/// What one child measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurement {
    pub name: String,
    /// What was timed: `safety-dfs` (the DFS search alone) or `check` (all of `check_run`).
    pub scope: String,
    pub unique_states: usize,
    pub states_generated: usize,
    pub seconds: f64,
    pub states_per_second: f64,
    /// Growth of the resident-set high-water mark during the check; None off Linux.
    pub peak_bytes: Option<u64>,
    pub bytes_per_state: Option<f64>,
    pub complete: bool,
    pub config: serde_json::Value,
}

impl Measurement {
    fn meaningful(&self) -> bool {
        self.unique_states >= MEANINGFUL_STATES_MIN
    }

    /// Whether the throughput target is met; None when the run is too small to tell.
    pub fn meets_rate(&self) -> Option<bool> {
        self.meaningful()
            .then_some(self.states_per_second >= STATES_PER_SECOND_MIN)
    }

    /// Whether the memory target is met; None when the run is too small or memory unknown.
    pub fn meets_memory(&self) -> Option<bool> {
        if !self.meaningful() {
            return None;
        }
        self.bytes_per_state.map(|b| b <= BYTES_PER_STATE_MAX)
    }
}

/// The resident-set high-water mark of this process in bytes (Linux `/proc/self/status`).
fn vm_hwm_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs `bench`: as the parent, one child per run; as a child (`--one`), one measurement.
pub fn run(args: &BenchArgs) -> Result<u8, Error> {
    if args.state_limit == Some(0) {
        return Err(Error::Usage(
            "--state-limit 0: expected at least one state".into(),
        ));
    }
    if args.refimpl {
        return crate::simulate::bench(args.json);
    }
    if let Some(one) = &args.one {
        return measure_one(args, one);
    }
    let sel = select(args.preset.as_deref(), args.run.as_deref(), &args.config)?;
    let exe = std::env::current_exe()
        .map_err(|e| Error::Runtime(format!("cannot locate the osfmig executable: {e}")))?;
    let mut results = Vec::new();
    for spec in &sel.runs {
        let mut cmd = Command::new(&exe);
        cmd.args(["bench", "--one", &spec.name, "--preset", &sel.preset]);
        cmd.args(args.config.to_flags_with_mutant());
        if let Some(n) = args.state_limit {
            cmd.args(["--state-limit", &n.to_string()]);
        }
        if args.with_liveness {
            cmd.arg("--with-liveness");
        }
        let out = cmd
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| {
                Error::Runtime(format!(
                    "cannot start the bench child for run {}: {e}",
                    spec.name
                ))
            })?;
        if !out.status.success() {
            return Err(Error::Runtime(format!(
                "bench child for run {} failed ({})",
                spec.name, out.status
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or("");
        let m: Measurement = serde_json::from_str(line).map_err(|e| {
            Error::Runtime(format!(
                "bench child for run {} printed no measurement: {e}",
                spec.name
            ))
        })?;
        if !args.json {
            eprintln!(
                "{}: {} states in {:.2} s",
                m.name,
                thousands(m.unique_states),
                m.seconds
            );
        }
        results.push(m);
    }
    if args.json {
        let runs: Vec<_> = results
            .iter()
            .map(|m| {
                let mut v = serde_json::to_value(m).unwrap_or_default();
                v["meets_rate_target"] = json!(m.meets_rate());
                v["meets_memory_target"] = json!(m.meets_memory());
                v
            })
            .collect();
        let obj = json!({
            "preset": sel.preset,
            "threads": 1,
            "checker": "dfs",
            "scope": if args.with_liveness { "check" } else { "safety-dfs" },
            "targets": {
                "states_per_second_min": STATES_PER_SECOND_MIN,
                "bytes_per_state_max": BYTES_PER_STATE_MAX,
                "meaningful_states_min": MEANINGFUL_STATES_MIN,
            },
            "runs": runs,
        });
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&obj).map_err(|e| Error::Runtime(e.to_string()))?
        ));
    } else {
        emit(&table(&sel.preset, args.with_liveness, &results));
    }
    Ok(0)
}

/// One measurement in this process, printed as one JSON line for the parent.
fn measure_one(args: &BenchArgs, one: &str) -> Result<u8, Error> {
    let sel = select(args.preset.as_deref(), Some(one), &args.config)?;
    let spec = sel
        .runs
        .first()
        .ok_or_else(|| Error::Usage(format!("unknown run '{one}'")))?;
    report::init_progress();
    let baseline = vm_hwm_bytes();
    let start = Instant::now();
    // Without --with-liveness only the safety DFS is timed: the search the targets compare
    // with stateright's examples (spec §8.4: liveness is off for benchmarks).
    let opts = CheckOptions {
        threads: 1,
        state_limit: args.state_limit,
        progress: Some(report::progress),
        liveness: args.with_liveness,
        ..CheckOptions::default()
    };
    let res = check_run(spec, &opts);
    let (unique_states, states_generated, complete) =
        (res.unique_states, res.states_generated, res.complete);
    let seconds = start.elapsed().as_secs_f64();
    let peak = vm_hwm_bytes();
    report::clear_progress();
    let peak_bytes = match (baseline, peak) {
        (Some(b), Some(p)) => Some(p.saturating_sub(b)),
        _ => None,
    };
    let m = Measurement {
        name: spec.name.clone(),
        scope: if args.with_liveness {
            "check"
        } else {
            "safety-dfs"
        }
        .to_string(),
        unique_states,
        states_generated,
        seconds,
        states_per_second: if seconds > 0.0 {
            unique_states as f64 / seconds
        } else {
            0.0
        },
        peak_bytes,
        bytes_per_state: peak_bytes.map(|p| p as f64 / unique_states.max(1) as f64),
        complete,
        config: serde_json::to_value(&spec.config).unwrap_or_default(),
    };
    emit(&format!(
        "{}\n",
        serde_json::to_string(&m).map_err(|e| Error::Runtime(e.to_string()))?
    ));
    Ok(0)
}

fn verdict(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "n/a",
    }
}

/// The bench table, with a closing line that states the targets.
fn table(preset: &str, with_liveness: bool, results: &[Measurement]) -> String {
    let header = [
        "run",
        "unique states",
        "seconds",
        "states/s",
        "peak bytes",
        "B/state",
        ">=300k/s",
        "<=32 B",
    ];
    let rows: Vec<[String; 8]> = results
        .iter()
        .map(|m| {
            [
                m.name.clone(),
                thousands(m.unique_states),
                format!("{:.2}", m.seconds),
                thousands(m.states_per_second as usize),
                m.peak_bytes.map_or("?".into(), |b| thousands(b as usize)),
                m.bytes_per_state.map_or("?".into(), |b| format!("{b:.1}")),
                verdict(m.meets_rate()).to_string(),
                verdict(m.meets_memory()).to_string(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: [&str; 8]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            if i == 0 {
                s.push_str(&format!("{cell:<w$}"));
            } else {
                s.push_str(&format!("  {cell:>w$}"));
            }
        }
        s.push('\n');
        s
    };
    let scope = if with_liveness {
        "the whole check (safety DFS, then the liveness graph)"
    } else {
        "the safety DFS with symmetry (--with-liveness times the whole check)"
    };
    let mut out = format!(
        "osfmig bench: preset {preset}, 1 thread, one child process per run, timing {scope}\n\n"
    );
    out.push_str(&line(header));
    for r in &rows {
        out.push_str(&line([
            &r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6], &r[7],
        ]));
    }
    let states: usize = results.iter().map(|m| m.unique_states).sum();
    let seconds: f64 = results.iter().map(|m| m.seconds).sum();
    if seconds > 0.0 {
        out.push_str(&format!(
            "\nall runs: {} states in {:.2} s, {} states/s\n",
            thousands(states),
            seconds,
            thousands((states as f64 / seconds) as usize)
        ));
    }
    out.push_str(&format!(
        "targets: >= {} unique states/s and <= {} B per unique state (stateright's Paxos: 296k/s, ~21 B);\n\
         n/a: fewer than {} unique states, too few to measure (raise the bounds, e.g. --nodes-max 4)\n",
        thousands(STATES_PER_SECOND_MIN as usize),
        BYTES_PER_STATE_MAX,
        thousands(MEANINGFUL_STATES_MIN)
    ));
    out
}

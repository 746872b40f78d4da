//! `osfmig traces` (spec §12): `generate` writes NDJSON traces from the model, `check-format`
//! validates trace files and names the file and line of the first fault (exit 2).

use osfmig_traces::generate::{generate, write_traces, GenMode, GenOptions};
use osfmig_traces::parse::{parse_file, trace_files};

use std::time::Instant;

use osfmig_traces::bridge::supported;
use osfmig_traces::record::{record_one, RecordOptions};
use osfmig_traces::replay::replay;
use osfmig_traces::validate::{run_of, validate, Limits};

use crate::cli::{ConfigArgs, Error, TraceModeArg, TracesCheckFormatArgs, TracesCommand};
use crate::cli::{TracesGenerateArgs, TracesRecordArgs, TracesRunArgs};
use crate::report::emit;
use crate::runs::select;

pub fn run(cmd: &TracesCommand) -> Result<u8, Error> {
    match cmd {
        TracesCommand::Generate(a) if a.format == crate::cli::TraceFormatArg::Itf => {
            crate::traces_more::generate_itf(a)
        }
        TracesCommand::Generate(a) => run_generate(a),
        TracesCommand::CheckFormat(a) => run_check_format(a),
        TracesCommand::Record(a) => run_record(a),
        TracesCommand::Check(a) => run_conform(a, Direction::Check),
        TracesCommand::Replay(a) => run_conform(a, Direction::Replay),
        TracesCommand::Shrink(a) => crate::traces_more::shrink(a),
        TracesCommand::Coverage(a) => crate::traces_more::coverage(a),
        TracesCommand::Export(a) => crate::traces_more::export(a),
    }
}

fn run_record(args: &TracesRecordArgs) -> Result<u8, Error> {
    let sel = select(
        Some(&args.preset),
        args.run.as_deref(),
        &ConfigArgs::default(),
    )?;
    let mut runs = Vec::new();
    let mut out = String::new();
    for spec in &sel.runs {
        match supported(&spec.config) {
            Ok(()) => runs.push(spec),
            Err(e) => out.push_str(&format!("{}: skipped ({e})\n", spec.name)),
        }
    }
    if runs.is_empty() {
        return Err(Error::Usage(format!(
            "preset {}: no run the refimpl can take",
            sel.preset
        )));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Error::Runtime(format!("{}: {e}", args.out.display())))?;
    let opts = RecordOptions {
        events_max: args.events,
        ..RecordOptions::default()
    };
    for n in 0..args.count {
        let spec = runs[(n % runs.len() as u64) as usize];
        let text = record_one(&sel.preset, spec, args.seed, n, &opts)
            .map_err(|e| Error::Runtime(format!("run {} trace {n}: {e}", spec.name)))?;
        let p = args.out.join(format!("{}-{n:05}.ndjson", spec.name));
        std::fs::write(&p, text).map_err(|e| Error::Runtime(format!("{}: {e}", p.display())))?;
    }
    out.push_str(&format!(
        "recorded {} trace(s) of {} run(s) to {}\n",
        args.count,
        runs.len(),
        args.out.display()
    ));
    emit(&out);
    Ok(0)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Check,
    Replay,
}

fn run_conform(args: &TracesRunArgs, dir: Direction) -> Result<u8, Error> {
    let start = Instant::now();
    let mut files = Vec::new();
    for p in &args.paths {
        if !p.exists() {
            return Err(Error::Usage(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
        files.extend(trace_files(p).map_err(|e| Error::Usage(e.to_string()))?);
    }
    let (mut steps, mut accepted, mut rejected, mut skipped) = (0usize, 0usize, 0usize, 0usize);
    let mut reports = String::new();
    for f in &files {
        let t = parse_file(f).map_err(|e| Error::Usage(e.to_string()))?;
        let name = f.display().to_string();
        steps += t.events.len();
        let failure = match dir {
            Direction::Check => {
                if t.header.source != "refimpl" {
                    return Err(Error::Usage(format!(
                        "{name}:1: `traces check` validates refimpl traces; this one is from the {}",
                        t.header.source
                    )));
                }
                validate(&t, &name, &Limits::default())
                    .map_err(Error::Usage)?
                    .rejection
            }
            Direction::Replay => {
                if t.header.source != "model" {
                    return Err(Error::Usage(format!(
                        "{name}:1: `traces replay` replays model traces; this one is from the {}",
                        t.header.source
                    )));
                }
                let spec = run_of(&t).map_err(|e| Error::Usage(format!("{name}:1: {e}")))?;
                if supported(&spec.config).is_err() {
                    skipped += 1;
                    continue;
                }
                replay(&t, &name).map_err(Error::Usage)?.divergence
            }
        };
        match failure {
            None => accepted += 1,
            Some(r) => {
                rejected += 1;
                if rejected <= 3 {
                    reports.push_str(&r);
                    reports.push('\n');
                }
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let traces = files.len() - skipped;
    if args.json {
        let mut o = serde_json::json!({
            "traces": traces,
            "steps": steps,
            "seconds": seconds,
        });
        match dir {
            Direction::Check => {
                o["accepted"] = accepted.into();
                o["rejected"] = rejected.into();
            }
            Direction::Replay => {
                o["divergences"] = rejected.into();
                o["skipped"] = skipped.into();
            }
        }
        emit(&format!("{o}\n"));
        if !reports.is_empty() {
            eprint!("{reports}");
        }
    } else {
        let verb = match dir {
            Direction::Check => "rejected",
            Direction::Replay => "diverged",
        };
        let rate = traces as f64 / seconds.max(1e-9) * 60.0;
        // The scale target is stated for traces of 50 steps; ours are as long as the
        // run's budgets allow, so the rate per step is given in those units too.
        let rate50 = steps as f64 / 50.0 / seconds.max(1e-9) * 60.0;
        let skip = if skipped > 0 {
            format!(" ({skipped} skipped: their runs need what the refimpl cannot be set up for)")
        } else {
            String::new()
        };
        emit(&format!(
            "{reports}{traces} trace(s), {steps} step(s): {accepted} ok, {rejected} {verb}; {seconds:.1} s ({rate:.0} traces/min, {rate50:.0} traces of 50 steps/min){skip}\n"
        ));
    }
    Ok(if rejected == 0 { 0 } else { 1 })
}

/// The generation options `traces generate`'s flags ask for (NDJSON and ITF alike).
pub(crate) fn gen_options(args: &TracesGenerateArgs) -> GenOptions {
    GenOptions {
        mode: match args.gen_mode {
            TraceModeArg::Walk => GenMode::Walk,
            TraceModeArg::Exhaustive => GenMode::Exhaustive,
            TraceModeArg::Cover => GenMode::Cover,
        },
        count: args.count,
        seed: args.seed,
        max_depth: args.depth,
        with_state: args.state,
    }
}

/// The options for run `i` of `runs`: random walks are `count` traces in all, spread over the
/// runs in turn (the first runs get one more when it does not divide); `None` when this run
/// gets none. Exhaustive and cover modes keep `count` per run.
pub(crate) fn run_options(base: &GenOptions, i: u64, runs: u64) -> Option<GenOptions> {
    let mut opts = base.clone();
    if opts.mode == GenMode::Walk {
        opts.count = base.count / runs + u64::from(i < base.count % runs);
        if opts.count == 0 {
            return None;
        }
    }
    Some(opts)
}

fn run_generate(args: &TracesGenerateArgs) -> Result<u8, Error> {
    let sel = select(
        Some(&args.preset),
        args.run.as_deref(),
        &ConfigArgs::default(),
    )?;
    let opts = gen_options(args);
    let mut out = String::new();
    let mut covered: Vec<&'static str> = Vec::new();
    let mut files = 0usize;
    let runs = sel.runs.len() as u64;
    for (i, spec) in sel.runs.iter().enumerate() {
        let Some(opts) = run_options(&opts, i as u64, runs) else {
            continue;
        };
        let res = generate(&sel.preset, spec, &opts)
            .map_err(|e| Error::Runtime(format!("run {}: {e}", spec.name)))?;
        write_traces(&args.out, &res.traces).map_err(Error::Runtime)?;
        let steps: usize = res.traces.iter().map(|t| t.rules.len()).sum();
        for t in &res.traces {
            for r in &t.rules {
                if !covered.contains(r) {
                    covered.push(r);
                }
            }
        }
        files += res.traces.len();
        out.push_str(&format!(
            "{}: {} trace(s), {} step(s){}\n",
            spec.name,
            res.traces.len(),
            steps,
            if opts.mode == GenMode::Exhaustive && !res.complete {
                " (enumeration cut at --count)"
            } else {
                ""
            }
        ));
        if let Some(c) = &res.cover {
            out.push_str(&format!("  {}\n", c.summary()));
        }
    }
    let rules = osfmig_model::model::RULES;
    let missed: Vec<&str> = rules
        .iter()
        .copied()
        .filter(|r| !covered.contains(r))
        .collect();
    out.push_str(&format!(
        "wrote {files} file(s) to {}; rules fired: {}/{}{}\n",
        args.out.display(),
        rules.len() - missed.len(),
        rules.len(),
        if missed.is_empty() {
            String::new()
        } else {
            format!(" (not fired: {})", missed.join(", "))
        }
    ));
    emit(&out);
    Ok(0)
}

fn run_check_format(args: &TracesCheckFormatArgs) -> Result<u8, Error> {
    let mut files = 0usize;
    let mut events = 0usize;
    for p in &args.paths {
        if !p.exists() {
            return Err(Error::Usage(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
        for f in trace_files(p).map_err(|e| Error::Usage(e.to_string()))? {
            let t = parse_file(&f).map_err(|e| Error::Usage(e.to_string()))?;
            osfmig_traces::fields::check_trace(&t, &f.display().to_string())
                .map_err(Error::Usage)?;
            files += 1;
            events += t.events.len();
        }
    }
    emit(&format!("ok: {files} trace file(s), {events} event(s)\n"));
    Ok(0)
}

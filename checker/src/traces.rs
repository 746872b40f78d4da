//! `osfmig traces` (spec §12): `generate` writes NDJSON traces from the model, `check-format`
//! validates trace files and names the file and line of the first fault (exit 2).

use osfmig_traces::generate::{generate, write_traces, GenMode, GenOptions};
use osfmig_traces::parse::parse_file;

use std::time::Instant;

use osfmig_model::presets::RunSpec;
use osfmig_traces::bridge::for_findings;
use osfmig_traces::bridge::supported;
use osfmig_traces::direct::{Goal, Plan, PlanBudget};
use osfmig_traces::record::{record_checked, RecordOptions};
use osfmig_traces::replay::replay_with;
use osfmig_traces::validate::{run_of, validate, Limits};

use crate::cli::{ConfigArgs, Error, TraceModeArg, TracesCheckFormatArgs, TracesCommand};
use crate::cli::{TracesGenerateArgs, TracesRecordArgs, TracesRunArgs};
use crate::report::emit;
use crate::runs::select;
use crate::traces_io::{fresh_dir, inputs, refimpl_mutant, Tally};

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
    // For `--json`: each run skipped, and why.
    let mut skipped: Vec<serde_json::Value> = Vec::new();
    for spec in &sel.runs {
        match supported(&spec.config) {
            Ok(()) => runs.push(spec),
            Err(e) => {
                out.push_str(&format!("{}: skipped ({e})\n", spec.name));
                skipped.push(serde_json::json!({"run": spec.name, "why": e.to_string()}));
            }
        }
    }
    if runs.is_empty() {
        return Err(Error::Usage(format!(
            "preset {}: no run the refimpl can take",
            sel.preset
        )));
    }
    let mutant = refimpl_mutant(args.refimpl_mutant.as_deref())?;
    fresh_dir("--out", &args.out)?;
    let opts = RecordOptions {
        events_max: args.events,
        programs: args.programs,
        ..RecordOptions::default()
    };
    // What each trace records: a run, and for a directed recording the plan it follows.
    let mut slots: Vec<(&RunSpec, Option<std::sync::Arc<Plan>>)> = Vec::new();
    // For `--json`: each broken invariant.
    let mut broken_json: Vec<serde_json::Value> = Vec::new();
    if args.target.is_some() || args.directed {
        for &spec in &runs {
            let goals = match &args.target {
                Some(t) => match Goal::parse(t, spec) {
                    Ok(g) => vec![g],
                    Err(e) if sel.runs.len() == 1 => {
                        return Err(Error::Usage(format!("--target: {e}")))
                    }
                    Err(_) => Vec::new(),
                },
                None => Goal::all_of(spec),
            };
            let plans = osfmig_traces::direct::plans(spec, &goals, PlanBudget::default());
            if plans.is_empty() {
                out.push_str(&format!("{}: skipped (no target reachable)\n", spec.name));
                skipped.push(serde_json::json!({"run": spec.name, "why": "no target reachable"}));
            }
            for p in plans {
                slots.push((spec, Some(std::sync::Arc::new(p))));
            }
        }
        if slots.is_empty() {
            return Err(Error::Usage(format!(
                "--target {}: no run of preset {} reaches it",
                args.target.as_deref().unwrap_or("(every item and window)"),
                sel.preset
            )));
        }
    } else {
        slots = runs.iter().map(|&s| (s, None)).collect();
    }
    let mut broken = 0u64;
    let (mut directed, mut followed) = (0u64, 0u64);
    let mut followed_slot = vec![false; slots.len()];
    for n in 0..args.count {
        let (spec, plan) = &slots[(n % slots.len() as u64) as usize];
        let spec = *spec;
        let opts = RecordOptions {
            plan: plan.clone(),
            ..opts.clone()
        };
        let r = record_checked(&sel.preset, spec, args.seed, n, &opts, &|w| {
            w.mutant = mutant;
        })
        .map_err(|e| Error::Runtime(format!("run {} trace {n}: {e}", spec.name)))?;
        if let Some(f) = r.followed {
            directed += 1;
            followed += u64::from(f);
            followed_slot[(n % slots.len() as u64) as usize] |= f;
        }
        let p = args.out.join(format!("{}-{n:05}.ndjson", spec.name));
        std::fs::write(&p, &r.text).map_err(|e| Error::Runtime(format!("{}: {e}", p.display())))?;
        // A broken invariant is a finding: the trace that shows it is written (it ends with
        // the event at which it broke) and the recording goes on.
        if let Some(b) = r.broken {
            broken += 1;
            broken_json.push(serde_json::json!({
                "file": p.display().to_string(),
                "line": b.step + 2,
                "run": spec.name,
                "trace": n,
                "step": b.step,
                "rule": b.rule,
                "invariant": osfmig_traces::bridge::invariant_id(&b.invariant),
            }));
            out.push_str(&format!(
                "{}:{}: run {} trace {n}: step {} ({}): the refimpl broke invariant {}\n  {}\n",
                p.display(),
                b.step + 2,
                spec.name,
                b.step,
                b.rule,
                osfmig_traces::bridge::invariant_id(&b.invariant),
                b.invariant
            ));
        }
    }
    let mut not_followed: Vec<String> = Vec::new();
    if directed > 0 {
        out.push_str(&format!(
            "directed {directed} trace(s) at {} target(s): {followed} followed the model's plan \
             to its end\n",
            slots.len()
        ));
        // The targets no trace reached, so that a window the refimpl cannot be steered to
        // is said (only over targets every one of which had a trace).
        if args.count >= slots.len() as u64 {
            let missed: Vec<String> = slots
                .iter()
                .zip(&followed_slot)
                .filter(|(_, f)| !**f)
                .map(|((spec, p), _)| {
                    format!("{}/{}", spec.name, p.as_ref().map_or("", |p| p.goal.name()))
                })
                .collect();
            if !missed.is_empty() {
                out.push_str(&format!(
                    "targets no trace followed to the end: {}\n",
                    missed.join(", ")
                ));
            }
            not_followed = missed;
        }
    }
    if args.json {
        let o = serde_json::json!({
            "preset": sel.preset,
            "runs": runs.len(),
            "traces": args.count,
            "out": args.out.display().to_string(),
            "skipped": skipped,
            "directed": directed,
            "followed": followed,
            "targets_not_followed": not_followed,
            "broken": broken_json,
        });
        emit(&format!("{o}\n"));
        return Ok(if broken > 0 { 1 } else { 0 });
    }
    out.push_str(&format!(
        "recorded {} trace(s) of {} run(s) to {}{}\n",
        args.count,
        runs.len(),
        args.out.display(),
        if broken > 0 {
            format!("; {broken} broke a refimpl invariant")
        } else {
            String::new()
        }
    ));
    emit(&out);
    Ok(if broken > 0 { 1 } else { 0 })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Check,
    Replay,
}

/// What became of one trace file under `traces check` or `traces replay`.
enum Conformed {
    /// Unreadable, malformed, or the wrong kind of trace: the message names the place.
    BadInput(String),
    /// Its run needs what the refimpl cannot be set up for.
    Skipped,
    /// Conforms; its step count.
    Ok(usize),
    /// A rejection or divergence: its step count and the report.
    Failed(usize, String),
}

fn conform_one(
    f: &std::path::Path,
    name: &str,
    dir: Direction,
    mutant: Option<osfmig_refimpl::mutants::Mutant>,
) -> Conformed {
    let t = match parse_file(f) {
        Ok(t) => t,
        Err(e) => return Conformed::BadInput(e.to_string()),
    };
    let failure = match dir {
        Direction::Check => {
            if t.header.source != "refimpl" {
                return Conformed::BadInput(format!(
                    "{name}:1: `traces check` validates refimpl traces; this one is from the {}",
                    t.header.source
                ));
            }
            validate(&t, name, &Limits::default()).map(|v| v.rejection)
        }
        Direction::Replay => {
            if t.header.source != "model" {
                return Conformed::BadInput(format!(
                    "{name}:1: `traces replay` replays model traces; this one is from the {}",
                    t.header.source
                ));
            }
            match run_of(&t) {
                Err(e) => Err(format!("{name}:1: {e}")),
                Ok(spec) if supported(&spec.config).is_err() => return Conformed::Skipped,
                Ok(spec) => replay_with(&t, name, &spec.config, |w| {
                    for_findings(w, &spec);
                    w.mutant = mutant;
                })
                .map(|r| r.divergence),
            }
        }
    };
    match failure {
        Err(e) => Conformed::BadInput(e),
        Ok(None) => Conformed::Ok(t.events.len()),
        Ok(Some(r)) => Conformed::Failed(t.events.len(), r),
    }
}

fn run_conform(args: &TracesRunArgs, dir: Direction) -> Result<u8, Error> {
    let start = Instant::now();
    let mutant = refimpl_mutant(args.refimpl_mutant.as_deref())?;
    if mutant.is_some() && dir == Direction::Check {
        return Err(Error::Usage(
            "--refimpl-mutant: `traces check` runs no refimpl (give it to `traces record`)".into(),
        ));
    }
    let files = inputs(&args.paths)?;
    let mut tally = Tally::default();
    let mut steps = 0usize;
    let mut reports = String::new();
    // One JUnit test case per trace file (`--junit`).
    let mut cases: Vec<crate::junit::Case> = Vec::new();
    if let Some(file) = &args.junit {
        crate::junit::prepare(file)?;
    }
    // Every file is taken, whatever the others gave: bad input is named on stderr and
    // counted, a finding reported, and the exit status is the worst seen.
    for f in &files {
        let case_start = Instant::now();
        let name = f.display().to_string();
        let outcome = conform_one(f, &name, dir, mutant);
        let mut case = crate::junit::Case {
            name: name.clone(),
            ..Default::default()
        };
        match outcome {
            Conformed::BadInput(e) => {
                case.failure = Some(("bad input".into(), e.clone()));
                tally.bad_input(&e);
            }
            Conformed::Skipped => {
                case.skipped = Some("its run needs what the refimpl cannot be set up for".into());
                tally.skipped += 1;
            }
            Conformed::Ok(n) => {
                steps += n;
                tally.ok += 1;
            }
            Conformed::Failed(n, r) => {
                steps += n;
                tally.failed += 1;
                let first = r.lines().next().unwrap_or_default().to_string();
                // The first three in full, the others by their first line (file, line, step).
                if tally.failed <= 3 {
                    reports.push_str(&r);
                } else {
                    reports.push_str(&first);
                }
                reports.push('\n');
                case.failure = Some((first, r));
            }
        }
        case.seconds = case_start.elapsed().as_secs_f64();
        cases.push(case);
    }
    if let Some(file) = &args.junit {
        let what = match dir {
            Direction::Check => "traces check",
            Direction::Replay => "traces replay",
        };
        let suite = crate::junit::Suite {
            name: what.into(),
            seconds: start.elapsed().as_secs_f64(),
            cases,
        };
        crate::junit::write(file, &format!("osfmig {what}"), &[suite])?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let traces = tally.ok + tally.failed + tally.malformed;
    let (accepted, rejected, malformed, skipped) =
        (tally.ok, tally.failed, tally.malformed, tally.skipped);
    if args.json {
        let mut o = serde_json::json!({
            "traces": traces,
            "steps": steps,
            "malformed": malformed,
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
        let bad = if malformed > 0 {
            format!(", {malformed} unreadable or malformed")
        } else {
            String::new()
        };
        emit(&format!(
            "{reports}{traces} trace(s), {steps} step(s): {accepted} ok, {rejected} {verb}{bad}; {seconds:.1} s ({rate:.0} traces/min, {rate50:.0} traces of 50 steps/min){skip}\n"
        ));
    }
    Ok(tally.exit_code())
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
    fresh_dir("--out", &args.out)?;
    let opts = gen_options(args);
    let mut out = String::new();
    let mut covered: Vec<&'static str> = Vec::new();
    let mut files = 0usize;
    // For `--json`: one entry per run generated.
    let mut per_run: Vec<serde_json::Value> = Vec::new();
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
        let cut = opts.mode == GenMode::Exhaustive && !res.complete;
        per_run.push(serde_json::json!({
            "run": spec.name,
            "traces": res.traces.len(),
            "steps": steps,
            "cut": cut,
            "cover": res.cover.as_ref().map(|c| c.summary()),
        }));
        out.push_str(&format!(
            "{}: {} trace(s), {} step(s){}\n",
            spec.name,
            res.traces.len(),
            steps,
            if cut {
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
    if args.json {
        let o = serde_json::json!({
            "preset": sel.preset,
            "out": args.out.display().to_string(),
            "files": files,
            "runs": per_run,
            "rules_fired": rules.len() - missed.len(),
            "rules": rules.len(),
            "rules_not_fired": missed,
        });
        emit(&format!("{o}\n"));
        return Ok(0);
    }
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
    let files = inputs(&args.paths)?;
    let mut tally = Tally::default();
    let mut events = 0usize;
    for f in &files {
        match parse_file(f) {
            Ok(t) => match osfmig_traces::fields::check_trace(&t, &f.display().to_string()) {
                Ok(()) => {
                    tally.ok += 1;
                    events += t.events.len();
                }
                Err(e) => tally.bad_input(&e),
            },
            Err(e) => tally.bad_input(&e.to_string()),
        }
    }
    if tally.malformed == 0 {
        emit(&format!(
            "ok: {} trace file(s), {events} event(s)\n",
            tally.ok
        ));
    } else {
        emit(&format!(
            "{} trace file(s): {} ok ({events} event(s)), {} unreadable or malformed\n",
            files.len(),
            tally.ok,
            tally.malformed
        ));
    }
    Ok(tally.exit_code())
}

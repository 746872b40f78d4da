//! `osfmig traces shrink`, `traces coverage`, `traces export` and `traces generate --format
//! itf` (spec §12.11-§12.13). Bad input is a usage error (exit 2) naming file and line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use osfmig_traces::bridge::for_findings;
use osfmig_traces::coverage::{explore_run, Coverage};
use osfmig_traces::generate::generate;
use osfmig_traces::itf::to_itf_text;
use osfmig_traces::parse::{parse_bytes, parse_file};
use osfmig_traces::shrink::{failure_with, shrink_with, to_ndjson, ShrinkError};
use osfmig_traces::validate::run_of;

use crate::cli::{ConfigArgs, Error, TraceFormatArg};
use crate::cli::{TracesCoverageArgs, TracesExportArgs, TracesGenerateArgs, TracesShrinkArgs};
use crate::report::emit;
use crate::runs::select;
use crate::traces_io::{fresh_dir, inputs, refimpl_mutant, OutFile, Tally};

fn existing(p: &Path) -> Result<(), Error> {
    if p.exists() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{}: no such file or directory",
            p.display()
        )))
    }
}

fn write(p: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(p, text).map_err(|e| Error::Runtime(format!("{}: {e}", p.display())))
}

/// `traces shrink FILE [--out FILE2]`.
pub fn shrink(args: &TracesShrinkArgs) -> Result<u8, Error> {
    existing(&args.file)?;
    if args.file.is_dir() {
        return Err(Error::Usage(format!(
            "{}: shrink takes one trace file, not a directory",
            args.file.display()
        )));
    }
    let mutant = refimpl_mutant(args.refimpl_mutant.as_deref())?;
    // The default output, next to the input, is checked as --out is: never overwritten.
    let out = OutFile::create(
        "--out",
        &args.out.clone().unwrap_or_else(|| default_out(&args.file)),
    )?;
    let t = parse_file(&args.file).map_err(|e| Error::Usage(e.to_string()))?;
    let name = args.file.display().to_string();
    let start = Instant::now();
    let spec = run_of(&t).map_err(|e| Error::Usage(format!("{name}:1: {e}")))?;
    let setup = |w: &mut osfmig_refimpl::world::World| {
        for_findings(w, &spec);
        w.mutant = mutant;
    };
    let s = shrink_with(&t, &name, &spec.config, &setup).map_err(|e| match e {
        ShrinkError::Passes(m) | ShrinkError::Invalid(m) => Error::Usage(m),
    })?;
    let out_name = out.path().display().to_string();
    out.write(&to_ndjson(&s.trace))?;
    // The report is that of the shrunk file itself, so that its line numbers are that file's.
    let report = failure_with(&s.trace, &out_name, &spec.config, &setup)
        .ok()
        .flatten()
        .map_or(s.failure.report.clone(), |f| f.report);
    let verb = if t.header.source == "refimpl" {
        "rejected by `traces check`".to_string()
    } else if let Some(inv) = &s.failure.invariant {
        format!("breaking refimpl invariant {inv} on `traces replay`")
    } else {
        "diverging on `traces replay`".to_string()
    };
    if args.json {
        let kind = if t.header.source == "refimpl" {
            "rejection"
        } else if s.failure.invariant.is_some() {
            "invariant"
        } else {
            "divergence"
        };
        let o = serde_json::json!({
            "file": name,
            "out": out_name,
            "steps_before": s.original_steps,
            "steps_after": s.trace.events.len(),
            "candidates": s.candidates,
            "seconds": start.elapsed().as_secs_f64(),
            "failure": {
                "kind": kind,
                "step": s.failure.step,
                "rule": s.failure.rule,
                "invariant": s.failure.invariant,
                "report": report.trim_end(),
            },
            "log": s.log,
        });
        emit(&format!("{o}\n"));
        return Ok(if s.failure.invariant.is_some() { 1 } else { 0 });
    }
    let mut text = String::new();
    for l in &s.log {
        text.push_str(&format!("  {l}\n"));
    }
    text.push_str(&format!(
        "shrunk {name}: {} -> {} step(s) ({} candidate(s) validated, {:.1} s); still {verb} at step {} ({}):\n{}\nwrote {out_name}\n",
        s.original_steps,
        s.trace.events.len(),
        s.candidates,
        start.elapsed().as_secs_f64(),
        s.failure.step,
        s.failure.rule,
        report.trim_end(),
    ));
    emit(&text);
    // A broken refimpl invariant is a finding of the refimpl's own checks, reported as
    // `traces replay` reports it (spec §12.5); a divergence or rejection shrunk is the
    // command's work done.
    Ok(if s.failure.invariant.is_some() { 1 } else { 0 })
}

fn default_out(file: &Path) -> PathBuf {
    let s = file.display().to_string();
    match s.strip_suffix(".ndjson") {
        Some(stem) => PathBuf::from(format!("{stem}.shrunk.ndjson")),
        None => PathBuf::from(format!("{s}.shrunk.ndjson")),
    }
}

/// `traces coverage DIR... [--preset NAME] [--require-refimpl] [--json]`.
pub fn coverage(args: &TracesCoverageArgs) -> Result<u8, Error> {
    if args.paths.is_empty() && args.preset.is_none() {
        return Err(Error::Usage(
            "traces coverage: give trace files or directories, or --preset".into(),
        ));
    }
    let start = Instant::now();
    let mut cov = Coverage::default();
    let files = inputs(&args.paths)?;
    // Every file is taken: one that is bad input is named, counted and left out of the
    // coverage, and the exit status is 2 at the end.
    let mut tally = Tally::default();
    for f in &files {
        let added = parse_file(f)
            .map_err(|e| e.to_string())
            .and_then(|t| cov.add(&t, &f.display().to_string()));
        match added {
            Ok(()) => tally.ok += 1,
            Err(e) => {
                tally.bad_input(&e);
                cov.malformed += 1;
            }
        }
    }
    if let Some(preset) = &args.preset {
        let sel = select(Some(preset), None, &ConfigArgs::default())?;
        for spec in &sel.runs {
            if spec.large {
                cov.not_explored.push((
                    spec.name.clone(),
                    "a large run (its graph without symmetry is not explored here)".into(),
                ));
                continue;
            }
            cov.add_explored(explore_run(spec, args.state_limit));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    if args.json {
        emit(&format!("{}\n", cov.to_json(seconds)));
    } else {
        emit(&cov.to_text(seconds));
    }
    if args.require_refimpl {
        let mut missing: Vec<String> = cov
            .refimpl_missing_actions()
            .into_iter()
            .map(String::from)
            .chain(cov.refimpl_missing_items())
            .collect();
        let items: Vec<&str> =
            osfmig_model::properties::reachability_items(&osfmig_model::Config::default())
                .into_iter()
                .map(|(_, p)| p.id)
                .collect();
        for a in &args.allow_missing {
            if !osfmig_model::model::RULES.contains(&a.as_str()) && !items.contains(&a.as_str()) {
                return Err(Error::Usage(format!(
                    "--allow-missing: unknown rule or reachability item `{a}`"
                )));
            }
            if !missing.iter().any(|m| m == a) {
                return Err(Error::Usage(format!(
                    "--allow-missing: `{a}` is exercised by the refimpl traces: drop it from the list"
                )));
            }
            eprintln!("osfmig: --require-refimpl: `{a}` tolerated as missing (--allow-missing)");
        }
        missing.retain(|m| !args.allow_missing.iter().any(|a| a == m));
        if tally.malformed > 0 {
            return Ok(2);
        }
        if cov.refimpl_rejected > 0 {
            eprintln!(
                "osfmig: --require-refimpl: {} refimpl trace(s) rejected by the model \
                 (`traces check` names why)",
                cov.refimpl_rejected
            );
            return Ok(1);
        }
        if !missing.is_empty() {
            eprintln!(
                "osfmig: --require-refimpl: {} action(s) or reachability item(s) never \
                 exercised by refimpl traces: {}",
                missing.len(),
                missing.join(", ")
            );
            return Ok(1);
        }
    }
    Ok(tally.exit_code())
}

/// `traces export FILE --format itf [--out FILE2]`.
pub fn export(args: &TracesExportArgs) -> Result<u8, Error> {
    existing(&args.file)?;
    if args.file.is_dir() {
        return Err(Error::Usage(format!(
            "{}: export takes one trace file, not a directory",
            args.file.display()
        )));
    }
    let out = args
        .out
        .as_deref()
        .map(|p| OutFile::create("--out", p))
        .transpose()?;
    let t = parse_file(&args.file).map_err(|e| Error::Usage(e.to_string()))?;
    let name = args.file.display().to_string();
    let text = match args.format {
        TraceFormatArg::Itf => to_itf_text(&t, &name).map_err(Error::Usage)?,
        TraceFormatArg::Ndjson => to_ndjson(&t),
    };
    match out {
        Some(f) => {
            let p = f.path().display().to_string();
            f.write(&text)?;
            emit(&format!("wrote {p}\n"));
        }
        None => emit(&text),
    }
    Ok(0)
}

/// `traces generate ... --format itf`: the same traces as NDJSON generation, written as
/// `<run>-<n>.itf.json`.
pub fn generate_itf(args: &TracesGenerateArgs) -> Result<u8, Error> {
    let sel = select(
        Some(&args.preset),
        args.run.as_deref(),
        &ConfigArgs::default(),
    )?;
    let base = crate::traces::gen_options(args);
    fresh_dir("--out", &args.out)?;
    let runs = sel.runs.len() as u64;
    let mut files = 0usize;
    let mut out = String::new();
    let mut per_run: Vec<serde_json::Value> = Vec::new();
    for (i, spec) in sel.runs.iter().enumerate() {
        // As NDJSON generation: walks spread over the runs, exhaustive at most N per run.
        let Some(opts) = crate::traces::run_options(&base, i as u64, runs) else {
            continue;
        };
        let res = generate(&sel.preset, spec, &opts)
            .map_err(|e| Error::Runtime(format!("run {}: {e}", spec.name)))?;
        for g in &res.traces {
            let stem = g.file_name.trim_end_matches(".ndjson");
            let p = args.out.join(format!("{stem}.itf.json"));
            let t = parse_bytes(Path::new(&g.file_name), g.text.as_bytes())
                .map_err(|e| Error::Runtime(e.to_string()))?;
            let text = to_itf_text(&t, &g.file_name).map_err(Error::Runtime)?;
            write(&p, &text)?;
            files += 1;
        }
        out.push_str(&format!("{}: {} trace(s)\n", spec.name, res.traces.len()));
        per_run.push(serde_json::json!({"run": spec.name, "traces": res.traces.len()}));
    }
    if args.json {
        let o = serde_json::json!({
            "preset": sel.preset,
            "out": args.out.display().to_string(),
            "format": "itf",
            "files": files,
            "runs": per_run,
        });
        emit(&format!("{o}\n"));
        return Ok(0);
    }
    out.push_str(&format!(
        "wrote {files} ITF file(s) to {}\n",
        args.out.display()
    ));
    emit(&out);
    Ok(0)
}

//! `osfmig traces shrink`, `traces coverage`, `traces export` and `traces generate --format
//! itf` (spec §12.11-§12.13). Bad input is a usage error (exit 2) naming file and line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use osfmig_traces::coverage::{explore_run, Coverage};
use osfmig_traces::generate::generate;
use osfmig_traces::itf::to_itf_text;
use osfmig_traces::parse::{parse_bytes, parse_file, trace_files};
use osfmig_traces::shrink::{shrink as shrink_trace, to_ndjson, ShrinkError};

use crate::cli::{ConfigArgs, Error, TraceFormatArg};
use crate::cli::{TracesCoverageArgs, TracesExportArgs, TracesGenerateArgs, TracesShrinkArgs};
use crate::report::emit;
use crate::runs::select;

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
    let t = parse_file(&args.file).map_err(|e| Error::Usage(e.to_string()))?;
    let name = args.file.display().to_string();
    let start = Instant::now();
    let s = shrink_trace(&t, &name).map_err(|e| match e {
        ShrinkError::Passes(m) | ShrinkError::Invalid(m) => Error::Usage(m),
    })?;
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.file));
    write(&out, &to_ndjson(&s.trace))?;
    let verb = if t.header.source == "refimpl" {
        "rejected by `traces check`"
    } else {
        "diverging on `traces replay`"
    };
    let mut text = String::new();
    for l in &s.log {
        text.push_str(&format!("  {l}\n"));
    }
    text.push_str(&format!(
        "shrunk {name}: {} -> {} step(s) ({} candidate(s) validated, {:.1} s); still {verb} at step {} ({}):\n{}\nwrote {}\n",
        s.original_steps,
        s.trace.events.len(),
        s.candidates,
        start.elapsed().as_secs_f64(),
        s.failure.step,
        s.failure.rule,
        s.failure.report.trim_end(),
        out.display()
    ));
    emit(&text);
    Ok(0)
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
    for p in &args.paths {
        existing(p)?;
        for f in trace_files(p).map_err(|e| Error::Usage(e.to_string()))? {
            let t = parse_file(&f).map_err(|e| Error::Usage(e.to_string()))?;
            cov.add(&t, &f.display().to_string())
                .map_err(Error::Usage)?;
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
    Ok(0)
}

/// `traces export FILE --format itf [--out FILE2]`.
pub fn export(args: &TracesExportArgs) -> Result<u8, Error> {
    existing(&args.file)?;
    let t = parse_file(&args.file).map_err(|e| Error::Usage(e.to_string()))?;
    let name = args.file.display().to_string();
    let text = match args.format {
        TraceFormatArg::Itf => to_itf_text(&t, &name).map_err(Error::Usage)?,
        TraceFormatArg::Ndjson => to_ndjson(&t),
    };
    match &args.out {
        Some(p) => {
            write(p, &text)?;
            emit(&format!("wrote {}\n", p.display()));
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
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Error::Runtime(format!("{}: {e}", args.out.display())))?;
    let runs = sel.runs.len() as u64;
    let mut files = 0usize;
    let mut out = String::new();
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
    }
    out.push_str(&format!(
        "wrote {files} ITF file(s) to {}\n",
        args.out.display()
    ));
    emit(&out);
    Ok(0)
}

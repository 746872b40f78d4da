//! `osfmig traces` (spec §12): `generate` writes NDJSON traces from the model, `check-format`
//! validates trace files and names the file and line of the first fault (exit 2).

use osfmig_traces::generate::{generate, write_traces, GenMode, GenOptions};
use osfmig_traces::parse::{parse_file, trace_files};

use crate::cli::TracesGenerateArgs;
use crate::cli::{ConfigArgs, Error, TraceModeArg, TracesCheckFormatArgs, TracesCommand};
use crate::report::emit;
use crate::runs::select;

pub fn run(cmd: &TracesCommand) -> Result<u8, Error> {
    match cmd {
        TracesCommand::Generate(a) => run_generate(a),
        TracesCommand::CheckFormat(a) => run_check_format(a),
    }
}

fn run_generate(args: &TracesGenerateArgs) -> Result<u8, Error> {
    let sel = select(
        Some(&args.preset),
        args.run.as_deref(),
        &ConfigArgs::default(),
    )?;
    let opts = GenOptions {
        mode: match args.gen_mode {
            TraceModeArg::Walk => GenMode::Walk,
            TraceModeArg::Exhaustive => GenMode::Exhaustive,
        },
        count: args.count,
        seed: args.seed,
        max_depth: args.depth,
        with_state: args.state,
    };
    let mut out = String::new();
    let mut covered: Vec<&'static str> = Vec::new();
    let mut files = 0usize;
    for spec in &sel.runs {
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
            files += 1;
            events += t.events.len();
        }
    }
    emit(&format!("ok: {files} trace file(s), {events} event(s)\n"));
    Ok(0)
}

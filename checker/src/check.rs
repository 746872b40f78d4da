//! `osfmig check` (spec §8.4): checks every run of a preset and reports each property's
//! verdict, every counterexample with the command that replays it, and an exit status CI can
//! act on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use osfmig_model::check::{check_run, CheckOptions, RunResult, Verdict};
use osfmig_model::mutants::CATALOG;
use serde::Serialize;

use crate::cli::{CheckArgs, ConfigArgs, Error};
use crate::report::{self, emit};
use crate::runs::select;

/// Runs `check`; the returned value is the exit status (0 as expected, 1 a wrong verdict, 3
/// an incomplete run).
pub fn run(args: &CheckArgs) -> Result<u8, Error> {
    if args.list_mutants {
        list_mutants(args.json);
        return Ok(0);
    }
    // try_from also rejects a finite value too large for a Duration, which would panic.
    let timeout = match args.timeout {
        Some(t) => match Duration::try_from_secs_f64(t) {
            Ok(d) if !d.is_zero() => Some(d),
            _ => {
                return Err(Error::Usage(format!(
                    "--timeout {t:?}: expected a positive number of seconds"
                )))
            }
        },
        None => None,
    };
    if args.state_limit == Some(0) {
        return Err(Error::Usage(
            "--state-limit 0: expected at least one state".into(),
        ));
    }
    let sel = select(args.preset.as_deref(), args.run.as_deref(), &args.config)?;
    if let Some(dir) = &args.msc {
        crate::msc::prepare(dir)?;
    }
    if let Some(file) = &args.junit {
        crate::junit::prepare(file)?;
    }
    if let Some(dir) = &args.itf {
        crate::msc::prepare_dir("--itf", dir)?;
    }
    // Ctrl-C cuts the run under way (it ends incomplete) and skips the rest; the partial
    // report is printed and the status is 130, the shell's for SIGINT. A second Ctrl-C ends
    // the process at once.
    let interrupt = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupt.clone();
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    }
    let opts = CheckOptions {
        interrupt: Some(interrupt.clone()),
        shortest: args.search == "bfs",
        threads: args.threads as usize,
        state_limit: args.state_limit,
        timeout,
        progress: Some(report::progress),
        phase: Some(report::phase),
        liveness: !args.no_liveness,
        replay_prefix: replay_prefix(&sel.preset, &args.config),
        ..CheckOptions::default()
    };
    report::init_progress();
    report::quiet_progress(args.quiet);
    if !args.json {
        emit(&format!(
            "osfmig check: preset {}, {} run(s), {} thread(s)\n",
            sel.preset,
            sel.runs.len(),
            args.threads
        ));
    }
    let mut results: Vec<RunResult> = Vec::with_capacity(sel.runs.len());
    for (k, spec) in sel.runs.iter().enumerate() {
        if interrupt.load(Ordering::SeqCst) {
            break;
        }
        report::set_run(k + 1, sel.runs.len());
        let res = check_run(spec, &opts);
        report::clear_progress();
        let line = format!(
            "{}\n    {}\n",
            report::run_line(&res),
            report::config_line(&res.config)
        );
        // With --json stdout carries the one object only, so the per-run lines go to stderr.
        if args.json {
            eprint!("{line}");
        } else {
            emit(&line);
        }
        results.push(res);
    }
    let interrupted = interrupt.load(Ordering::SeqCst);
    let ok = results.iter().all(RunResult::ok) && !interrupted;
    let extras = extras(&sel.preset, args, &results)?;
    if let Some(file) = &args.junit {
        crate::junit::write(
            file,
            &format!("osfmig check --preset {}", sel.preset),
            &junit_suites(&results),
        )?;
    }
    if args.json {
        let value = report::JsonReport {
            preset: &sel.preset,
            ok,
            interrupted,
            runs: &results,
        };
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&value).map_err(|e| Error::Runtime(e.to_string()))?
        ));
    } else {
        emit(&format!("\n{}", report::summary(&results)));
        emit(&report::counterexamples(&results, &extras));
        emit(&format!("\n{}\n", report::verdict_line(&results)));
    }
    if interrupted {
        let line = format!(
            "interrupted: {} of {} run(s) checked, the last one cut short (incomplete)\n",
            results.len(),
            sel.runs.len()
        );
        if args.json {
            eprint!("{line}");
        } else {
            emit(&line);
        }
        return Ok(130);
    }
    Ok(status(&results))
}

/// Under each counterexample: the Explorer command and the URL that opens the path in it
/// (stateright's `#/steps/INIT/I/J/...`, action indices as in the replay command), and with
/// `--msc` and `--itf` the files written.
fn extras(preset: &str, args: &CheckArgs, results: &[RunResult]) -> Result<report::Extras, Error> {
    let mut out = report::Extras::new();
    for r in results {
        for p in &r.properties {
            let (Verdict::Violated, Some(steps)) = (p.verdict, &p.path) else {
                continue;
            };
            let mut lines = vec![explore_line(preset, &args.config, r, steps)];
            if let Some(dir) = &args.msc {
                let model = osfmig_model::OsfModel::new(r.config.clone());
                let title = format!("{} in run {}", report::prop_label(&p.id, &p.name), r.name);
                let file =
                    crate::msc::write(dir, &format!("{}-{}", r.name, p.id), &title, &model, steps)?;
                lines.push(format!("chart: {}", file.display()));
            }
            if let Some(dir) = &args.itf {
                let model = osfmig_model::OsfModel::new(r.config.clone());
                let file = crate::cex_itf::write(
                    dir,
                    &format!("{}-{}", r.name, p.id),
                    preset,
                    &r.name,
                    &model,
                    steps,
                )?;
                lines.push(format!("itf: {}", file.display()));
            }
            let changes = if args.states {
                let model = osfmig_model::OsfModel::new(r.config.clone());
                let indices: Vec<usize> = steps.iter().map(|s| s.index).collect();
                let states = osfmig_model::state_diff::states_along(&model, &indices)
                    .map_err(|e| Error::Runtime(format!("--states: run {}: {e}", r.name)))?;
                Some(
                    states
                        .windows(2)
                        .map(|w| osfmig_model::state_diff::diff(&w[0], &w[1]))
                        .collect(),
                )
            } else {
                None
            };
            out.insert(
                (r.name.clone(), p.id.clone()),
                report::Extra { lines, changes },
            );
        }
    }
    Ok(out)
}

/// The JUnit form of the results: per run, a case per property, failing where the verdict
/// is not what the spec expects (the text report's "FAIL"), and a case for the search's
/// completeness; an expected violation passes, saying so in its output.
fn junit_suites(results: &[RunResult]) -> Vec<crate::junit::Suite> {
    use crate::junit::{Case, Suite};
    results
        .iter()
        .map(|r| {
            let mut cases: Vec<Case> = r
                .properties
                .iter()
                .map(|p| {
                    let mut details = String::new();
                    if let Some(w) = &p.why {
                        details.push_str(&format!("why: {w}\n"));
                    }
                    if let Some(d) = &p.detail {
                        details.push_str(&format!("{d}\n"));
                    }
                    if let Some(steps) = &p.path {
                        details.push_str(&report::steps_text(steps, p.loop_start));
                    }
                    if let Some(cmd) = &p.replay {
                        details.push_str(&format!("replay: {cmd}\n"));
                    }
                    let verdict = format!("{:?}", p.verdict).to_lowercase();
                    let (failure, out) = if !p.ok()
                        || (!r.complete && p.verdict == Verdict::Violated && !p.expected_violation)
                    {
                        let msg = match (p.exercised, p.verdict) {
                            (Some(false), _) => "never exercised: it held vacuously".to_string(),
                            (_, Verdict::Violated) => "violated".to_string(),
                            _ if p.expected_violation => {
                                format!("{verdict}, but the spec expects a violation")
                            }
                            _ => verdict.clone(),
                        };
                        (Some((msg, details)), None)
                    } else if p.verdict == Verdict::Violated {
                        (
                            None,
                            Some(format!(
                                "expected violation (a finding of the paper)\n{details}"
                            )),
                        )
                    } else {
                        (None, None)
                    };
                    Case {
                        name: report::prop_label(&p.id, &p.name),
                        failure,
                        out,
                        ..Case::default()
                    }
                })
                .collect();
            cases.push(Case {
                name: "search complete".into(),
                seconds: r.seconds,
                failure: (!r.complete).then(|| {
                    (
                        "incomplete".to_string(),
                        "a limit, the timeout or a bound of the model cut the search".to_string(),
                    )
                }),
                ..Case::default()
            });
            Suite {
                name: r.name.clone(),
                seconds: r.seconds,
                cases,
            }
        })
        .collect()
}

/// `explore: osfmig explore --preset P [flags] --run R [--mutant M], then open URL`.
pub fn explore_line(
    preset: &str,
    flags: &ConfigArgs,
    r: &RunResult,
    steps: &[osfmig_model::check::Step],
) -> String {
    let mut words = vec![
        "osfmig".to_string(),
        "explore".to_string(),
        "--preset".to_string(),
        preset.to_string(),
    ];
    words.extend(flags.to_flags());
    words.push("--run".into());
    words.push(r.name.clone());
    if let Some(m) = r.config.mutant {
        if !words.iter().any(|w| w == "--mutant") {
            words.push("--mutant".into());
            words.push(osfmig_model::mutants::info(m).name.to_string());
        }
    }
    let path: String = steps.iter().map(|s| format!("/{}", s.index)).collect();
    format!(
        "explore: {}, then open http://127.0.0.1:3000/#/steps/0{path}",
        words.join(" ")
    )
}

/// The exit status (README, "Exit status"): 1 when a verdict is wrong where the search can
/// tell (an unexpected violation in any run; in a complete run, any verdict the spec does
/// not expect), 3 when a run was cut short (a limit, the timeout or a bound of the model)
/// and nothing else is wrong, since what it did not search may hold anything; 0 otherwise.
fn status(results: &[RunResult]) -> u8 {
    let wrong = results.iter().any(|r| {
        r.properties.iter().any(|p| {
            if r.complete {
                !p.ok()
            } else {
                p.verdict == Verdict::Violated && !p.expected_violation
            }
        })
    });
    if wrong {
        1
    } else if results.iter().any(|r| !r.complete) {
        3
    } else {
        0
    }
}

/// The start of every printed replay command: the preset and every flag given, so that the
/// command rebuilds the very configuration checked. `check::replay_command` appends
/// ` --run NAME [--mutant M] --path ...`, which is why `--mutant` is left out here.
pub fn replay_prefix(preset: &str, flags: &ConfigArgs) -> String {
    let mut words = vec![
        "osfmig".to_string(),
        "replay".to_string(),
        "--preset".to_string(),
        preset.to_string(),
    ];
    words.extend(flags.to_flags());
    words.join(" ")
}

/// One entry of `check --list-mutants --json`: `preset` is the catalog run that catches the
/// mutant, a valid `--preset` value.
#[derive(Serialize)]
struct MutantEntry {
    name: &'static str,
    catches: &'static str,
    preset: &'static str,
}

/// `check --list-mutants`: the catalog, with the preset (a catalog run) that catches each one.
fn list_mutants(as_json: bool) {
    if as_json {
        let list: Vec<_> = CATALOG
            .iter()
            .map(|m| MutantEntry {
                name: m.name,
                catches: m.catches,
                preset: m.run,
            })
            .collect();
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        ));
        return;
    }
    let w = CATALOG.iter().map(|m| m.name.len()).max().unwrap_or(4);
    let p = CATALOG.iter().map(|m| m.run.len()).max().unwrap_or(6);
    let mut out = format!(
        "{:<w$}  {:<7}  {:<p$}  summary\n",
        "mutant", "catches", "preset"
    );
    for m in CATALOG {
        out.push_str(&format!(
            "{:<w$}  {:<7}  {:<p$}  {}\n",
            m.name, m.catches, m.run, m.summary
        ));
    }
    out.push_str("\nrun one with: osfmig check --preset <preset> --mutant <mutant>\n");
    emit(&out);
}

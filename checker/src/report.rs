//! Reports of `check` (spec §8.4): progress on stderr, a line per finished run, the summary
//! table, every counterexample step by step with the command that replays it, and the JSON
//! object of `--json`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use osfmig_model::check::{PropResult, RunResult, Step, Verdict};
use serde::Serialize;
use serde_json::Value;

/// Whether stderr is a terminal: progress then rewrites one line instead of adding lines.
/// `CheckOptions::progress` is a plain `fn` pointer, so what it needs lives in statics.
static PROGRESS_TTY: AtomicBool = AtomicBool::new(false);
/// Whether a progress line is on the terminal and must be cleared before other output.
static PROGRESS_SHOWN: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no progress at all.
static PROGRESS_QUIET: AtomicBool = AtomicBool::new(false);
/// Which run of how many is being checked (1-based; 0 of 0 when not set).
static RUN_K: AtomicUsize = AtomicUsize::new(0);
static RUN_N: AtomicUsize = AtomicUsize::new(0);
/// The phase of the run being checked (`safety`, `liveness`).
static PHASE: Mutex<&'static str> = Mutex::new("safety");

/// Reads once whether stderr is a terminal; call before the first check.
pub fn init_progress() {
    PROGRESS_TTY.store(std::io::stderr().is_terminal(), Ordering::Relaxed);
}

/// `--quiet`: progress is not shown.
pub fn quiet_progress(quiet: bool) {
    PROGRESS_QUIET.store(quiet, Ordering::Relaxed);
}

/// The run about to be checked is the `k`-th of `n`.
pub fn set_run(k: usize, n: usize) {
    RUN_K.store(k, Ordering::Relaxed);
    RUN_N.store(n, Ordering::Relaxed);
}

/// `[k/N] run phase`: what is being checked now.
fn where_now(run: &str) -> String {
    let phase = *PHASE.lock().unwrap_or_else(|e| e.into_inner());
    match RUN_N.load(Ordering::Relaxed) {
        0 => format!("{run} {phase}"),
        n => format!("[{}/{n}] {run} {phase}", RUN_K.load(Ordering::Relaxed)),
    }
}

/// The phase callback handed to `check_run`: a phase starts (a line of its own, so that a
/// long liveness phase, which has no progress of its own, is seen to be under way).
pub fn phase(run: &str, phase: &'static str) {
    *PHASE.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    show(&format!("{}...", where_now(run)));
}

/// The progress callback handed to `check_run`: called about once a second.
pub fn progress(run: &str, states: usize, depth: usize, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        states as f64 / secs
    } else {
        0.0
    };
    show(&format!(
        "{}: {} states, {} states/s, depth {depth}, {:.0} s",
        where_now(run),
        thousands(states),
        thousands(rate as usize),
        secs
    ));
}

/// One progress line on stderr: rewritten in place on a terminal, a plain line otherwise
/// (a CI log keeps them all).
fn show(line: &str) {
    if PROGRESS_QUIET.load(Ordering::Relaxed) {
        return;
    }
    let mut err = std::io::stderr().lock();
    if PROGRESS_TTY.load(Ordering::Relaxed) {
        let _ = write!(err, "\r\x1b[K{line}");
        PROGRESS_SHOWN.store(true, Ordering::Relaxed);
    } else {
        let _ = writeln!(err, "{line}");
    }
    let _ = err.flush();
}

/// Clears a progress line left on the terminal.
pub fn clear_progress() {
    if PROGRESS_SHOWN.swap(false, Ordering::Relaxed) {
        eprint!("\r\x1b[K");
    }
}

/// 1234567 as "1,234,567": state counts are read at a glance.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or("?"))
        .collect();
    groups.join(",")
}

/// The lowercase name serde gives a value ("holds", "sometimes"), so text and JSON agree.
fn serde_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => "?".to_string(),
    }
}

/// Writes text to stdout, ignoring a closed pipe (`osfmig check | head` must not panic).
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// A configuration on one line: every bound as `name=value`, then the switches that are on.
/// Built from the serialized `Config`, so a field added to the model shows up unasked.
pub fn config_line(cfg: &osfmig_model::Config) -> String {
    let Ok(Value::Object(fields)) = serde_json::to_value(cfg) else {
        return format!("{cfg:?}");
    };
    let mut bounds = Vec::new();
    let mut switches = Vec::new();
    for (name, v) in &fields {
        match v {
            Value::Bool(true) => switches.push(name.clone()),
            Value::Bool(false) | Value::Null => {}
            Value::Number(n) => bounds.push(format!("{name}={n}")),
            Value::String(s) => bounds.push(format!("{name}={s}")),
            Value::Array(a) if a.is_empty() => {}
            Value::Array(a) => bounds.push(format!(
                "{name}={}",
                a.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )),
            Value::Object(o) => {
                // Sets of flags such as `calls` print as the list of those that are on.
                let on: Vec<&str> = o
                    .iter()
                    .filter(|(_, x)| **x == Value::Bool(true))
                    .map(|(k, _)| k.as_str())
                    .collect();
                bounds.push(format!(
                    "{name}={}",
                    if on.is_empty() {
                        "none".to_string()
                    } else {
                        on.join(",")
                    }
                ));
            }
        }
    }
    if switches.is_empty() {
        bounds.join(" ")
    } else {
        format!("{} +{}", bounds.join(" "), switches.join(" +"))
    }
}

/// "P1 pid uniqueness" or "S-refusal a refusal": the ID always leads, once.
pub fn prop_label(id: &str, name: &str) -> String {
    if name.starts_with(id) {
        name.to_string()
    } else {
        format!("{id} {name}")
    }
}

/// One line for a finished run.
pub fn run_line(res: &RunResult) -> String {
    format!(
        "{}: {} states ({} generated), depth {}, {:.2} s, {}",
        res.name,
        thousands(res.unique_states),
        thousands(res.states_generated),
        res.max_depth,
        res.seconds,
        if res.complete {
            "complete"
        } else {
            "INCOMPLETE (a bound, the timeout or the state limit cut the search short)"
        }
    )
}

/// What the summary says of one property: as expected, a documented finding, or a failure.
fn status(p: &PropResult) -> &'static str {
    if p.exercised == Some(false) {
        return "FAIL (never exercised: vacuous)";
    }
    match (p.ok(), p.verdict == Verdict::Violated) {
        (true, true) => "expected (finding)",
        (true, false) => "ok",
        (false, _) if p.expected_violation => "FAIL (expected violation not found)",
        (false, _) => "FAIL",
    }
}

/// The summary table: run, property, verdict, counterexample (or witness) length, status.
pub fn summary(results: &[RunResult]) -> String {
    let header = ["run", "property", "verdict", "length", "status"];
    let mut rows: Vec<[String; 5]> = Vec::new();
    for r in results {
        for p in &r.properties {
            let name = prop_label(&p.id, &p.name);
            rows.push([
                r.name.clone(),
                name,
                serde_name(&p.verdict),
                p.path
                    .as_ref()
                    .map_or("-".to_string(), |s| s.len().to_string()),
                status(p).to_string(),
            ]);
        }
        if !r.complete {
            rows.push([
                r.name.clone(),
                "(whole run)".into(),
                "incomplete".into(),
                "-".into(),
                "FAIL".into(),
            ]);
        }
    }
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 5]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            if i == 3 {
                s.push_str(&format!("{cell:>w$}  "));
            } else if i == 4 {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.push('\n');
        s
    };
    out.push_str(&line(header));
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out
}

/// A path step by step under a header: number, replay index, rule ID, actor, then what happened,
/// and a legend. `loop_start` marks where the loop of a liveness lasso begins (the path then
/// returns to the state before it).
pub fn steps_text(steps: &[Step], loop_start: Option<usize>) -> String {
    steps_text_with(steps, loop_start, None)
}

/// [`steps_text`], with under each step the fields of the state it changed (`--states`):
/// `changes[k]` for step `k + 1`, as `model::state_diff::diff` gives them.
pub fn steps_text_with(
    steps: &[Step],
    loop_start: Option<usize>,
    changes: Option<&[Vec<String>]>,
) -> String {
    let rule_w = steps.iter().map(|s| s.rule.len()).max().unwrap_or(0).max(4);
    let actor_w = steps
        .iter()
        .map(|s| s.actor.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let mut out = format!(
        "  {:>5} {:>4} {:<rule_w$}  {:<actor_w$}  what happens\n",
        "step", "[i]", "rule", "actor"
    );
    for (k, s) in steps.iter().enumerate() {
        if loop_start == Some(k) {
            out.push_str("        -- loop: the steps below return here and repeat forever --\n");
        }
        out.push_str(&format!(
            "  {:>4}. [{:>2}] {:<rule_w$}  {:<actor_w$}  {}\n",
            k + 1,
            s.index,
            s.rule,
            s.actor,
            s.summary
        ));
        for line in changes.and_then(|c| c.get(k)).into_iter().flatten() {
            out.push_str(&format!("          ~ {line}\n"));
        }
    }
    out.push_str(
        "  (step: its number; [i]: which of the actions enabled in that state it is, the token \
         --path replays; rule: its ID in spec §3; actor: who takes it)\n",
    );
    if changes.is_some() {
        out.push_str(
            "  (~ under a step: a field of the state it changed, `path: old -> new`; paths \
             name the state's fields, spec §2)\n",
        );
    }
    out
}

/// Optional fields a property result may carry besides the core schema (liveness results
/// explain the failed obligation in `detail` and give a lasso's `loop_start`). Read through
/// serde so that reports show them whenever the model provides them.
fn extra(p: &PropResult, key: &str) -> Option<Value> {
    match serde_json::to_value(p).ok()?.get(key)? {
        Value::Null => None,
        v => Some(v.clone()),
    }
}

/// What a counterexample's report carries besides its steps, by (run, property ID).
pub type Extras = std::collections::BTreeMap<(String, String), Extra>;

/// Lines printed after a counterexample's replay command (where to explore it, where its
/// chart was written), and with `--states` the fields each step changed.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    pub lines: Vec<String>,
    pub changes: Option<Vec<Vec<String>>>,
}

/// Every counterexample of the results (unexpected and expected violations alike).
pub fn counterexamples(results: &[RunResult], extras: &Extras) -> String {
    let mut out = String::new();
    for r in results {
        for p in r
            .properties
            .iter()
            .filter(|p| p.verdict == Verdict::Violated)
        {
            let kind = if p.expected_violation {
                "expected violation (a finding of the paper)"
            } else {
                "VIOLATED"
            };
            let name = prop_label(&p.id, &p.name);
            match &p.path {
                Some(steps) => out.push_str(&format!(
                    "\n{name} in run {}: {kind}, {} steps\n",
                    r.name,
                    steps.len()
                )),
                None => out.push_str(&format!(
                    "\n{name} in run {}: {kind}, no path recorded\n",
                    r.name
                )),
            }
            if let Some(Value::String(detail)) = extra(p, "detail") {
                out.push_str(&format!("  {detail}\n"));
            }
            match extra(p, "search").as_ref().and_then(|v| v.as_str()) {
                Some("bfs") => {
                    out.push_str("  (a shortest counterexample: breadth-first search)\n")
                }
                Some(_) => out.push_str(
                    "  (depth-first search's path, cut where the property first fails; \
                     --search bfs finds a shortest one)\n",
                ),
                None => {}
            }
            if let Some(Value::String(why)) = extra(p, "why") {
                out.push_str(&format!("  why: {why}\n"));
            }
            if let Some(steps) = &p.path {
                let loop_start = extra(p, "loop_start")
                    .and_then(|v| v.as_u64())
                    .map(|k| k as usize);
                let changes = extras
                    .get(&(r.name.clone(), p.id.clone()))
                    .and_then(|e| e.changes.as_deref());
                out.push_str(&steps_text_with(steps, loop_start, changes));
            }
            if let Some(Value::Array(lines)) = extra(p, "history") {
                out.push_str("  history (calls, answers and events in order, by step):\n");
                for l in lines.iter().filter_map(|l| l.as_str()) {
                    out.push_str(&format!("    {l}\n"));
                }
            }
            if let Some(cmd) = &p.replay {
                out.push_str(&format!("  replay: {cmd}\n"));
            }
            for line in extras
                .get(&(r.name.clone(), p.id.clone()))
                .into_iter()
                .flat_map(|e| &e.lines)
            {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    out
}

/// The closing verdict line of the text report.
pub fn verdict_line(results: &[RunResult]) -> String {
    let failed: Vec<String> = results
        .iter()
        .flat_map(|r| {
            let props = r
                .properties
                .iter()
                .filter(|p| !p.ok())
                .map(move |p| format!("{} in {}", p.id, r.name));
            let whole = (!r.complete).then(|| format!("{} incomplete", r.name));
            props.chain(whole)
        })
        .collect();
    let states: usize = results.iter().map(|r| r.unique_states).sum();
    if failed.is_empty() {
        format!(
            "ok: every property of {} run(s) is as the spec expects ({} states)",
            results.len(),
            thousands(states)
        )
    } else {
        format!(
            "FAILED: {} unexpected result(s): {}",
            failed.len(),
            failed.join(", ")
        )
    }
}

/// The object `check --json` prints: `{"preset", "ok", "runs": [...]}`. A struct rather than
/// `json!` so that the keys keep this order in the output.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub preset: &'a str,
    pub ok: bool,
    /// Ctrl-C cut the check short: the runs are those checked so far, the last incomplete.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    pub runs: &'a [RunResult],
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §8.4 (reports print state counts readably).
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}

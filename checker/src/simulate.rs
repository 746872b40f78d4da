//! `osfmig simulate` (spec §11.8): one workload in the reference implementation, with the
//! timeline of the migration phases and the statistics the paper's monitor collected; and
//! `osfmig bench --refimpl`: simulated events and migrations per second on one core.

use std::fmt::Write as _;
use std::time::Instant;

use osfmig_refimpl::paper::Paper;
use osfmig_refimpl::run::{run as run_workload, Migration};
use osfmig_refimpl::sim::{ms, NS_PER_MS};
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{workload, Mode, Shapes, Synthetic, NAMES};
use osfmig_refimpl::world::Config;
use serde_json::json;

use crate::cli::{overrides_text, Error, SimulateArgs};
use crate::report::emit;

pub fn run(a: &SimulateArgs) -> Result<u8, Error> {
    if !NAMES.contains(&a.workload.as_str()) {
        return Err(Error::Usage(format!(
            "unknown workload '{}' (workloads: {})",
            a.workload,
            NAMES.join(", ")
        )));
    }
    let costs = Costs::i386();
    let cfg = a.processor.apply(Config {
        trace: true,
        strategy: a.strategy.refimpl(),
        r4_prime: a.r4_prime,
        ..Config::default()
    });
    // The re-fit runs with the paper's switches and this run's processor assumptions, so
    // that `simulate --set ...` and `paper --set ...` run the same workload.
    let (shapes, overrides) = a
        .shapes
        .shapes(&costs, a.seed, &a.processor.apply(Paper::cfg()))?;
    let syn = Synthetic {
        pages: a.pages,
        files: a.files,
        touch_after: a.touch,
    };
    if syn.files > 1000 || syn.pages > 1 << 20 || syn.touch_after > 1 << 20 {
        return Err(Error::Usage(
            "--files at most 1000, --pages and --touch at most 1048576".into(),
        ));
    }
    let w = workload(&a.workload, syn, &shapes).map_err(Error::Usage)?;
    let at = match a.migrate_at.as_deref() {
        None => Some(w.migrate_at),
        Some("none") => None,
        Some(t) => {
            let v: f64 = t.parse().map_err(|_| {
                Error::Usage(format!(
                    "--migrate-at: '{t}' is not a number of ms (or none)"
                ))
            })?;
            if !(0.0..1e9).contains(&v) {
                return Err(Error::Usage(format!("--migrate-at: {t} is out of range")));
            }
            Some((v * NS_PER_MS as f64) as u64)
        }
    };
    let dst = a.dst.unwrap_or(w.dst);
    if dst >= 3 || dst == w.start_node {
        return Err(Error::Usage(format!(
            "--dst {dst}: expected a node 0..2 other than the start node {}",
            w.start_node
        )));
    }
    let mode = a.mode.refimpl();
    let mig = at.map(|at| Migration { at, dst, mode });
    let o = run_workload(&w, mig, cfg, &costs, a.seed).map_err(Error::Runtime)?;
    let recs: Vec<_> = o.migrations.iter().map(|r| json!({
        "pid": r.pid, "mode": r.mode.name(), "outcome": r.outcome,
        "total_migration_ms": r.total().map(ms), "task_migration_ms": r.task_time().map(ms),
        "freezing_latency_ms": r.freezing_latency().map(ms),
        "phases_ms": r.phases.iter().map(|(k, v)| (k.clone(), ms(*v))).collect::<std::collections::BTreeMap<_, _>>(),
    })).collect();
    if a.json {
        let obj = json!({"workload": w.name, "mode": mode.name(), "seed": a.seed, "execution_ms": ms(o.exec_time),
            "events": o.events, "messages": o.messages, "cor_faults": o.cor_faults,
            "processor_taken_ms": ms(o.processor_taken), "migrations": recs,
            "overrides": overrides, "timeline": timeline_json(&o.steps)});
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&obj).unwrap_or_default()
        ));
        return Ok(0);
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "osfmig simulate: workload {} ({} migration{}), seed {}\n",
        w.name,
        mode.name(),
        mig.map(|m| format!(" at {:.0} ms to node {}", ms(m.at), m.dst))
            .unwrap_or_else(|| " none".into()),
        a.seed
    );
    s.push_str(&overrides_text(&overrides));
    s.push_str(&o.timeline);
    let _ = writeln!(
        s,
        "\nexecution time: {:.3} ms; {} events, {} messages, {} COR faults",
        ms(o.exec_time),
        o.events,
        o.messages,
        o.cor_faults
    );
    let _ = writeln!(
        s,
        "processor time system work took from computations (spec §11.10): {:.3} ms",
        ms(o.processor_taken)
    );
    for r in &o.migrations {
        let f = |t: Option<u64>| {
            t.map(|t| format!("{:.3} ms", ms(t)))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            s,
            "migration of pid {} [{}]: outcome {}",
            r.pid,
            r.mode.name(),
            r.outcome.as_deref().unwrap_or("-")
        );
        let _ = writeln!(s, "  total migration time (freeze time): {}", f(r.total()));
        let _ = writeln!(
            s,
            "  task migration time:                {}",
            f(r.task_time())
        );
        let _ = writeln!(
            s,
            "  freezing latency:                   {}",
            f(r.freezing_latency())
        );
        for (k, v) in &r.phases {
            let _ = writeln!(s, "    {k:<13} {:>10.3} ms", ms(*v));
        }
    }
    emit(&s);
    Ok(0)
}

/// Events per second of the target: 5 million.
pub const EVENTS_PER_SECOND_MIN: f64 = 5_000_000.0;

pub fn bench(as_json: bool) -> Result<u8, Error> {
    let shapes = Shapes::builtin();
    let costs = Costs::i386();
    let cfg = || Config {
        check_invariants: false,
        ..Config::default()
    };
    let mut events = 0u64;
    let mut migrations = 0u64;
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed().as_secs_f64() < 2.0 {
        for name in ["make", "synthetic"] {
            let w = workload(
                name,
                Synthetic {
                    files: 4,
                    pages: 64,
                    touch_after: 16,
                },
                &shapes,
            )
            .map_err(Error::Runtime)?;
            for mode in [Mode::Process, Mode::Task] {
                let o = run_workload(
                    &w,
                    Some(Migration {
                        at: w.migrate_at,
                        dst: w.dst,
                        mode,
                    }),
                    cfg(),
                    &costs,
                    rounds,
                )
                .map_err(Error::Runtime)?;
                events += o.events;
                migrations += o
                    .migrations
                    .iter()
                    .filter(|m| m.restarted.is_some())
                    .count() as u64;
            }
        }
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let eps = events as f64 / secs;
    let mps = migrations as f64 / secs;
    let ok = eps >= EVENTS_PER_SECOND_MIN;
    if as_json {
        emit(&format!(
            "{}\n",
            json!({"scope": "refimpl", "events": events, "migrations": migrations, "seconds": secs,
            "events_per_second": eps, "migrations_per_second": mps, "events_per_second_min": EVENTS_PER_SECOND_MIN,
            "meets_rate_target": ok})
        ));
    } else {
        emit(&format!(
            "osfmig bench --refimpl: {events} simulated events and {migrations} migrations in {secs:.2} s on one core\n\
             {eps:.0} events/s (target {EVENTS_PER_SECOND_MIN:.0}: {}), {mps:.0} migrations/s\n",
            if ok { "met" } else { "MISSED" }
        ));
    }
    Ok(if ok { 0 } else { 1 })
}

/// The timeline as structured events (`simulate --json`): the virtual time, in nanoseconds
/// and in milliseconds, the node, the rule ID and what happened, one object per step.
fn timeline_json(steps: &[osfmig_refimpl::trace::Entry]) -> Vec<serde_json::Value> {
    steps
        .iter()
        .map(|e| {
            json!({
                "time_ns": e.at,
                "time_ms": ms(e.at),
                "node": e.node,
                "rule": e.rule,
                "what": e.what,
            })
        })
        .collect()
}

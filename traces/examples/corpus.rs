//! Regenerates `traces/corpus/`: for each named scenario of the paper (spec §12.15), the
//! shortest of the first seeded model walks of its run that reaches the scenario's
//! reachability item (spec §6.3), cut at the first state where it holds; and in
//! `traces/corpus/refimpl/` the shortest of the first seeded refimpl recordings of its run that
//! shows it and that the model accepts. Run: `cargo run -p osfmig-traces --example corpus`.

use osfmig_model::presets::find_run;
use osfmig_model::{Action, OsfModel, Sys};
use osfmig_traces::corpus::{refimpl_shows_goal, SCENARIOS};
use osfmig_traces::format::Header;
use osfmig_traces::generate::{render, SplitMix64};
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::record::{record_one, RecordOptions};
use osfmig_traces::validate::{validate, Limits};
use stateright::Model;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    std::fs::create_dir_all(&dir).unwrap();
    'scenario: for &(name, runs, goal) in SCENARIOS {
        for run in runs.split('|') {
            let spec = find_run(run).unwrap_or_else(|| panic!("run {run}"));
            let model = OsfModel::new(spec.config.clone());
            let props = model.properties();
            let holds = |st: &Sys, rules: &[&str]| -> bool {
                match goal.strip_prefix("rule:") {
                    Some(r) => rules.contains(&r),
                    None => props
                        .iter()
                        .find(|p| p.name == goal)
                        .is_some_and(|p| (p.condition)(&model, st)),
                }
            };
            let init = Sys::initial(&spec.config);
            let mut best: Option<(Vec<Action>, u64)> = None;
            for n in 0..200_000u64 {
                let mut rng = SplitMix64::new(1 ^ SplitMix64::new(n).next_u64());
                let mut st = init.clone();
                let mut path = Vec::new();
                let mut rules: Vec<&str> = Vec::new();
                let mut hit = false;
                while path.len() < 60 {
                    let mut acts = Vec::new();
                    model.enabled(&st, &mut acts);
                    if acts.is_empty() {
                        break;
                    }
                    let a = acts[rng.below(acts.len())].clone();
                    rules.push(osfmig_model::model::rule_of(&st, &a, &model.cfg));
                    st = model.step(&st, &a).unwrap();
                    path.push(a);
                    if holds(&st, &rules) {
                        hit = true;
                        break;
                    }
                }
                if hit && best.as_ref().is_none_or(|b| path.len() < b.0.len()) {
                    best = Some((path, n));
                }
            }
            let Some((path, index)) = best else {
                eprintln!("{name}: not reached in {run}");
                continue;
            };
            let (events, _) = render(&model, &init, &path, true).unwrap();
            let header = Header::model("ci", run, &spec.config, "walk", Some(1), index).unwrap();
            let mut text = serde_json::to_string(&header).unwrap();
            text.push('\n');
            for ev in &events {
                text.push_str(&serde_json::to_string(ev).unwrap());
                text.push('\n');
            }
            std::fs::write(dir.join(format!("{name}.ndjson")), text).unwrap();
            println!("{name}: {} steps ({run}, {goal})", path.len());
            continue 'scenario;
        }
        panic!("{name}: not reached");
    }
    let rdir = dir.join("refimpl");
    std::fs::create_dir_all(&rdir).unwrap();
    'recorded: for &(name, runs, goal) in SCENARIOS {
        for run in runs.split('|') {
            let spec = find_run(run).unwrap_or_else(|| panic!("run {run}"));
            let mut best: Option<(usize, String, u64)> = None;
            for index in 0..5_000u64 {
                let text = record_one("ci", &spec, 1, index, &RecordOptions::default()).unwrap();
                let trace = parse_bytes(std::path::Path::new(name), text.as_bytes()).unwrap();
                if best.as_ref().is_some_and(|b| b.0 <= trace.events.len()) {
                    continue;
                }
                let v = validate(&trace, name, &Limits::default()).unwrap();
                if refimpl_shows_goal(goal, &trace, &v) {
                    best = Some((trace.events.len(), text, index));
                }
            }
            let Some((len, text, index)) = best else {
                eprintln!("{name}: no refimpl recording of {run} shows {goal}");
                continue;
            };
            std::fs::write(rdir.join(format!("{name}.ndjson")), text).unwrap();
            println!("refimpl/{name}: {len} events ({run} #{index}, {goal})");
            continue 'recorded;
        }
        panic!("{name}: no refimpl recording shows it");
    }
}

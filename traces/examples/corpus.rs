//! Regenerates `traces/corpus/`: for each named scenario of the paper, the shortest of the
//! first seeded model walks of its run that reaches the scenario's reachability item (spec §6.2),
//! cut at the first state where it holds. Run: `cargo run -p osfmig-traces --example corpus`.

use osfmig_model::presets::find_run;
use osfmig_model::{Action, OsfModel, Sys};
use osfmig_traces::format::{Header, FORMAT_VERSION, TOOL_VERSION};
use osfmig_traces::generate::{render, SplitMix64};
use stateright::Model;

/// (file name, run, reachability item ID or a rule that must fire).
const SCENARIOS: &[(&str, &str, &str)] = &[
    (
        "null-migration",
        "null-migration",
        "rule:R14 ForwardAndCleanUp",
    ),
    ("refusal", "refusal-queue", "S-refusal"),
    ("abandon", "abandon", "S-abandon"),
    (
        "crash-c1-source-before-pull",
        "crash-rich|crash-eager|crash-cor",
        "S-C1",
    ),
    (
        "crash-c2-destination-before-pull",
        "crash-rich|crash-eager|crash-cor",
        "S-C2",
    ),
    (
        "crash-c3-destination-after-pull",
        "crash-rich|crash-eager|crash-cor|task-crash",
        "S-C3",
    ),
    ("crash-c4-residual-dependency", "crash-cor", "S-C4-died"),
    (
        "absent-process-relookup",
        "two-procs-rich|four-nodes|group-calls",
        "S-absent-relookup",
    ),
    ("group-migration", "group", "S-group-migrated"),
    ("task-only-migration", "task-only", "S-task-only-call"),
    ("wait-delays-freeze", "wait-freeze", "S-wait-delays-freeze"),
    ("p11-overtaking", "p11-unfixed", "S-overtaken"),
];

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
                if hit && best.as_ref().map_or(true, |b| path.len() < b.0.len()) {
                    best = Some((path, n));
                }
            }
            let Some((path, index)) = best else {
                eprintln!("{name}: not reached in {run}");
                continue;
            };
            let (events, _) = render(&model, &init, &path, true).unwrap();
            let header = Header {
                kind: "header".into(),
                format_version: FORMAT_VERSION,
                source: "model".into(),
                preset: "ci".into(),
                run: run.into(),
                config: serde_json::to_value(&spec.config).unwrap(),
                generator: "walk".into(),
                seed: Some(1),
                index,
                timing_profile: None,
                tool: "osfmig".into(),
                tool_version: TOOL_VERSION.into(),
            };
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
}

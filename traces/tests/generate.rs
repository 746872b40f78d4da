//! Trace generation: determinism, round trip through the parser, and the JSON Schema.
// Reference: spec §12 (trace format), §12.6 (generation).

use std::path::Path;

use osfmig_model::presets::preset;
use osfmig_traces::generate::{generate, GenMode, GenOptions, GenResult};
use osfmig_traces::parse::parse_bytes;
use serde_json::Value;

fn opts(mode: GenMode, count: u64, seed: u64) -> GenOptions {
    GenOptions {
        mode,
        count,
        seed,
        max_depth: 60,
        with_state: true,
    }
}

fn gen_all(p: &str, o: &GenOptions) -> Vec<GenResult> {
    preset(p)
        .unwrap()
        .iter()
        .map(|spec| generate(p, spec, o).unwrap())
        .collect()
}

fn texts(rs: &[GenResult]) -> Vec<(String, String)> {
    rs.iter()
        .flat_map(|r| {
            r.traces
                .iter()
                .map(|t| (t.file_name.clone(), t.text.clone()))
        })
        .collect()
}

#[test]
fn same_seed_gives_byte_identical_walks() {
    let a = texts(&gen_all("ci", &opts(GenMode::Walk, 3, 42)));
    let b = texts(&gen_all("ci", &opts(GenMode::Walk, 3, 42)));
    assert_eq!(a, b);
    let c = texts(&gen_all("ci", &opts(GenMode::Walk, 3, 43)));
    assert_ne!(a, c, "another seed should give other walks");
    assert!(a.iter().all(|(name, _)| name.ends_with(".ndjson")));
}

#[test]
fn exhaustive_enumeration_is_deterministic_and_complete_on_tiny() {
    let o = GenOptions {
        max_depth: 200,
        ..opts(GenMode::Exhaustive, 100_000, 0)
    };
    let a = gen_all("tiny", &o);
    let b = gen_all("tiny", &o);
    assert_eq!(texts(&a), texts(&b));
    assert!(a[0].complete, "tiny's paths should all fit");
    // Distinct paths give distinct traces.
    let mut bodies: Vec<&String> = a[0].traces.iter().map(|t| &t.text).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), a[0].traces.len());
    let cut = gen_all("tiny", &GenOptions { count: 2, ..o });
    assert_eq!(cut[0].traces.len(), 2);
    assert!(!cut[0].complete || a[0].traces.len() <= 2);
}

#[test]
fn generated_traces_parse_back() {
    for r in gen_all("ci", &opts(GenMode::Walk, 2, 7)) {
        for t in &r.traces {
            let parsed = parse_bytes(Path::new(&t.file_name), t.text.as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.events.len(), t.rules.len());
            assert_eq!(parsed.header.source, "model");
            assert_eq!(parsed.header.seed, Some(7));
            for (ev, rule) in parsed.events.iter().zip(&t.rules) {
                assert_eq!(&ev.rule, rule);
                assert!(ev.time_ns.is_none());
            }
        }
    }
}

#[test]
fn message_ids_are_received_only_after_being_sent() {
    for r in gen_all("ci", &opts(GenMode::Walk, 2, 11)) {
        for t in &r.traces {
            let parsed = parse_bytes(Path::new(&t.file_name), t.text.as_bytes()).unwrap();
            let mut sent: Vec<u64> = Vec::new();
            let mut gone: Vec<u64> = Vec::new();
            for ev in &parsed.events {
                for id in ev.msg_ids.recv.iter().chain(&ev.msg_ids.dropped) {
                    assert!(
                        sent.contains(id),
                        "{}: step {}: id {id}",
                        t.file_name,
                        ev.step
                    );
                    assert!(
                        !gone.contains(id),
                        "{}: id {id} consumed twice",
                        t.file_name
                    );
                    gone.push(*id);
                }
                for id in &ev.msg_ids.sent {
                    assert!(!sent.contains(id));
                    sent.push(*id);
                }
            }
        }
    }
}

#[test]
fn generated_lines_validate_against_the_schema() {
    let schema: Value = serde_json::from_str(include_str!("../schema/trace.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut lines = 0;
    let mut runs = gen_all("ci", &opts(GenMode::Walk, 2, 3));
    runs.extend(gen_all("tiny", &opts(GenMode::Exhaustive, 5, 0)));
    for r in &runs {
        for t in &r.traces {
            for (i, line) in t.text.lines().enumerate() {
                let v: Value = serde_json::from_str(line).unwrap();
                let errors: Vec<String> =
                    validator.iter_errors(&v).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{}:{}: {errors:?}", t.file_name, i + 1);
                lines += 1;
            }
        }
    }
    assert!(lines > 100);
    // The schema is not vacuous: it rejects an event with an unknown action.
    let bad: Value = serde_json::json!({
        "kind": "event", "step": 0, "time_ns": null, "node": 1, "actor": "pma",
        "action": "R99", "rule": "R99 Nothing", "params": {},
        "msg_ids": {"recv": [], "sent": [], "dropped": []}
    });
    assert!(!validator.is_valid(&bad));
}

#[test]
fn schema_action_ids_match_the_model() {
    let schema: Value = serde_json::from_str(include_str!("../schema/trace.schema.json")).unwrap();
    let ids: Vec<&str> = schema["$defs"]["event"]["properties"]["action"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids, osfmig_traces::format::action_ids());
    let rules: Vec<&str> = schema["$defs"]["event"]["properties"]["rule"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(rules, osfmig_model::model::RULES);
}

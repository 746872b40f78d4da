//! No trace file makes a trace tool panic (spec §12.5): real traces (the committed corpus,
//! traces generated from the model and recorded on the refimpl here) are mutated by byte
//! flips, truncation, line deletion, duplication and swaps, and changes of JSON field values
//! (numbers out of range, wrong types, huge values, unknown or other rule labels), and each
//! mutated input goes through every code path that reads a trace file: the parser (and so
//! `traces check-format`), `validate` (`traces check`), `replay` (`traces replay`), shrinking,
//! coverage and the ITF export.
//!
//! `OSFMIG_FUZZ_CASES` sets the number of mutated inputs (default 100 000 in release, some
//! 31 s of processor time over two threads; 5 000 in a debug build) and `OSFMIG_FUZZ_SEED` the seed
//! (default 1: CI tries the same inputs every time). The long run (spec §12.5):
//!
//! ```sh
//! OSFMIG_FUZZ_CASES=10000000 OSFMIG_FUZZ_SEED=2 cargo test --release -p osfmig-traces --test fuzz -- --nocapture
//! ```
// Reference: spec §12.5

use std::path::Path;
use std::sync::OnceLock;

use osfmig_model::model::RULES;
use osfmig_model::presets::find_run;
use osfmig_traces::bridge::for_findings;
use osfmig_traces::coverage::Coverage;
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::itf::to_itf_text;
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::record::{record_one, RecordOptions};
use osfmig_traces::replay::replay;
use osfmig_traces::shrink::shrink_bounded;
use osfmig_traces::validate::{run_of, validate_with, Limits};
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

/// The traces mutated: short ones, so that a case is cheap, of model and refimpl alike.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out = Vec::new();
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        for dir in [corpus.clone(), corpus.join("refimpl")] {
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
                .collect();
            files.sort();
            out.extend(files.iter().map(|f| std::fs::read(f).unwrap()));
        }
        for (run, state) in [
            ("null-migration", true),
            ("two-procs-signal", false),
            ("crash-cor", true),
            ("fork-exit-wait", false),
            ("refusal-queue", true),
        ] {
            let opts = GenOptions {
                mode: GenMode::Walk,
                count: 2,
                seed: 3,
                max_depth: 24,
                with_state: state,
            };
            let spec = find_run(run).unwrap();
            for t in generate("ci", &spec, &opts).unwrap().traces {
                out.push(t.text.into_bytes());
            }
        }
        for run in ["null-migration", "self-calls", "crash-cor", "abandon"] {
            let spec = find_run(run).unwrap();
            let opts = RecordOptions {
                events_max: 16,
                ..RecordOptions::default()
            };
            for i in 0..2 {
                out.push(record_one("ci", &spec, 1, i, &opts).unwrap().into_bytes());
            }
        }
        out
    })
}

/// Values a mutated JSON field takes: out of range, of the wrong type, huge, unknown.
fn odd_value(k: usize) -> Value {
    match k % 23 {
        0 => json!(u64::MAX),
        1 => json!(i64::MIN),
        2 => json!(-1),
        3 => json!(9_007_199_254_740_993u64),
        4 => json!(1e308),
        5 => json!(0.5),
        6 => json!(255),
        7 => json!(256),
        8 => json!(65_536),
        9 => json!(4_294_967_296u64),
        10 => json!(""),
        11 => json!("R99 Nope"),
        12 => json!("τ Internal"),
        13 => json!("pma:99"),
        14 => json!("port:18446744073709551616"),
        15 => json!("x".repeat(10_000)),
        16 => json!(true),
        17 => Value::Null,
        18 => json!([]),
        19 => json!({}),
        20 => json!([1, 2, 3]),
        21 => json!({"deliver": "Reply", "src": "pma:0", "dst": "pma:7", "msg": {"req": 99}}),
        // Deeper than the parser's nesting limit once inside a line.
        _ => (0..200).fold(json!(0), |v, _| json!([v])),
    }
}

/// One mutation of a trace's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    /// Byte `at` (modulo the length) becomes `byte`.
    Flip {
        at: usize,
        byte: u8,
    },
    /// The text is cut after `at` bytes.
    Truncate {
        at: usize,
    },
    DeleteLine {
        line: usize,
    },
    DuplicateLine {
        line: usize,
    },
    SwapLines {
        a: usize,
        b: usize,
    },
    /// The `field`-th value (depth first) of line `line` becomes `odd_value(value)`, or a
    /// small number `small` when `value` is even and `small` is given (pids, nodes and
    /// steps just out of range).
    Field {
        line: usize,
        field: usize,
        value: usize,
        small: Option<u8>,
    },
    /// The `field`-th object member of line `line` is removed.
    RemoveField {
        line: usize,
        field: usize,
    },
    /// Event line `line` takes another rule of the spec (label and action ID together), so
    /// that validation and replay go past the parser.
    Relabel {
        line: usize,
        rule: usize,
    },
    /// Event `line`'s `step` becomes another (negative, huge, repeated).
    Step {
        line: usize,
        step: i64,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = 0usize..100_000;
    prop_oneof![
        2 => (n.clone(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        1 => n.clone().prop_map(|at| Mutation::Truncate { at }),
        1 => n.clone().prop_map(|line| Mutation::DeleteLine { line }),
        1 => n.clone().prop_map(|line| Mutation::DuplicateLine { line }),
        1 => (n.clone(), n.clone()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        4 => (n.clone(), n.clone(), n.clone(), proptest::option::of(0u8..12)).prop_map(
            |(line, field, value, small)| Mutation::Field { line, field, value, small }
        ),
        1 => (n.clone(), n.clone()).prop_map(|(line, field)| Mutation::RemoveField { line, field }),
        3 => (n.clone(), n.clone()).prop_map(|(line, rule)| Mutation::Relabel { line, rule }),
        1 => (n, prop_oneof![Just(-1i64), Just(i64::MIN), Just(i64::MAX), 0i64..40])
            .prop_map(|(line, step)| Mutation::Step { line, step }),
    ]
}

/// The paths (JSON pointers) of every value in `v`, depth first.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        _ => {}
    }
}

/// Applies `f` to line `line` (modulo the line count) parsed as JSON; lines that are not
/// JSON stay as they are.
fn edit_line(lines: &mut [Vec<u8>], line: usize, f: impl FnOnce(&mut Value)) {
    if lines.is_empty() {
        return;
    }
    let k = line % lines.len();
    if let Ok(mut v) = serde_json::from_slice::<Value>(&lines[k]) {
        f(&mut v);
        lines[k] = serde_json::to_vec(&v).unwrap();
    }
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    match *m {
        Mutation::Flip { at, byte } => {
            let mut b = bytes.to_vec();
            if !b.is_empty() {
                let k = at % b.len();
                b[k] = byte;
            }
            return b;
        }
        Mutation::Truncate { at } => return bytes[..at % (bytes.len() + 1)].to_vec(),
        _ => {}
    }
    let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    // The piece after the final newline is empty: edits keep it last.
    let tail = lines.pop().unwrap_or_default();
    let n = lines.len().max(1);
    match *m {
        Mutation::Flip { .. } | Mutation::Truncate { .. } => {}
        Mutation::DeleteLine { line } => {
            if !lines.is_empty() {
                lines.remove(line % n);
            }
        }
        Mutation::DuplicateLine { line } => {
            if !lines.is_empty() {
                let l = lines[line % n].clone();
                lines.insert(line % n, l);
            }
        }
        Mutation::SwapLines { a, b } => {
            if !lines.is_empty() {
                lines.swap(a % n, b % n);
            }
        }
        Mutation::Field {
            line,
            field,
            value,
            small,
        } => edit_line(&mut lines, line, |v| {
            let mut ps = Vec::new();
            pointers(v, String::new(), &mut ps);
            if ps.is_empty() {
                return;
            }
            let new = match small {
                Some(s) if value % 2 == 0 => json!(s),
                _ => odd_value(value),
            };
            if let Some(x) = v.pointer_mut(&ps[field % ps.len()]) {
                *x = new;
            }
        }),
        Mutation::RemoveField { line, field } => edit_line(&mut lines, line, |v| {
            let mut ps = Vec::new();
            pointers(v, String::new(), &mut ps);
            let Some(p) = (!ps.is_empty()).then(|| ps[field % ps.len()].clone()) else {
                return;
            };
            let (parent, key) = p.rsplit_once('/').unwrap();
            match v.pointer_mut(parent) {
                Some(Value::Object(o)) => {
                    o.remove(&key.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(a)) => {
                    if let Ok(i) = key.parse::<usize>() {
                        a.remove(i);
                    }
                }
                _ => {}
            }
        }),
        Mutation::Relabel { line, rule } => edit_line(&mut lines, line, |v| {
            let r = RULES[rule % RULES.len()];
            if v.get("kind") == Some(&json!("event")) {
                v["rule"] = json!(r);
                v["action"] = json!(r.split_whitespace().next().unwrap());
            }
        }),
        Mutation::Step { line, step } => edit_line(&mut lines, line, |v| {
            if v.get("kind") == Some(&json!("event")) {
                v["step"] = json!(step);
            }
        }),
    }
    lines.push(tail);
    lines.join(&b'\n')
}

/// Every code path that reads a trace file, on `bytes`; a panic fails the test. Whether
/// the bytes parse.
fn exercise(bytes: &[u8], shrink_too: bool) -> bool {
    let name = "fuzz/t.ndjson";
    let t = match parse_bytes(Path::new(name), bytes) {
        Ok(t) => t,
        Err(e) => {
            let _ = e.to_string();
            return false;
        }
    };
    let _ = to_itf_text(&t, name);
    let mut cov = Coverage::default();
    let _ = cov.add(&t, name);
    let _ = cov.to_text(0.0);
    let _ = cov.to_json(0.0);
    let Ok(spec) = run_of(&t) else {
        return true;
    };
    // Smaller search bounds than `traces check`'s: the code paths are the same, the cases
    // many more.
    let lim = Limits {
        depth_max: 12,
        visited_max: 2_000,
        frontier_max: 32,
    };
    match t.header.source.as_str() {
        "refimpl" => {
            let _ = validate_with(&t, name, &spec.config, &lim);
        }
        "model" => {
            let _ = replay(&t, name);
        }
        _ => {}
    }
    if shrink_too {
        let _ = shrink_bounded(&t, name, &spec.config, &|w| for_findings(w, &spec), 6);
    }
    true
}

fn env_or(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Worker threads, each with its own seeded runner and share of the cases: fixed, so that
/// the inputs tried are the same on every machine.
const WORKERS: u64 = 2;

/// Runs `cases` mutated inputs drawn from `seed`; the number that parsed.
fn fuzz(seed: u64, cases: u32) -> usize {
    let seeds = seeds();
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
    let mut runner = TestRunner::new_with_rng(
        PropConfig {
            cases,
            failure_persistence: None,
            ..PropConfig::default()
        },
        rng,
    );
    let strategy = (
        0..seeds.len(),
        proptest::collection::vec(mutation(), 1..4),
        0u8..16,
    );
    let parsed = std::cell::Cell::new(0usize);
    let r = runner.run(&strategy, |(k, muts, roll)| {
        let mut b = seeds[k].clone();
        for m in &muts {
            b = apply(&b, m);
        }
        // Shrinking validates candidates over and over: one case in sixteen shrinks.
        if exercise(&b, roll == 0) {
            parsed.set(parsed.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = r {
        panic!("seed {seed}: {e}");
    }
    parsed.get()
}

// Reference: spec §12.5 — no mutated trace makes any trace tool panic.
#[test]
fn mutated_traces_never_panic_any_tool() {
    // A debug build is some twenty times slower: it tries fewer by default.
    let default = if cfg!(debug_assertions) {
        5_000
    } else {
        100_000
    };
    let cases = env_or("OSFMIG_FUZZ_CASES", default);
    let seed = env_or("OSFMIG_FUZZ_SEED", 1);
    seeds();
    let start = std::time::Instant::now();
    let parsed: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let share = cases / WORKERS + u64::from(w < cases % WORKERS);
                let share = u32::try_from(share).expect("OSFMIG_FUZZ_CASES fits in 32 bits");
                s.spawn(move || fuzz(seed.wrapping_mul(WORKERS).wrapping_add(w), share))
            })
            .collect();
        workers.into_iter().map(|h| h.join().unwrap()).sum()
    });
    eprintln!(
        "{cases} mutated inputs (seed {seed}), {parsed} of them well formed, {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

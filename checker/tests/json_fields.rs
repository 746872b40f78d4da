//! `--json` (spec §8.4): the fields a report prints are the ones its `--help` lists.

mod common;

use common::{osfmig, s, stderr, stdout};

// Reference: spec §8.4 (help texts that match the output) — the fields `traces check --json`
// and `traces replay --json` print are the ones their help lists for them.
#[test]
fn traces_json_fields_are_the_ones_help_lists() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus");
    for (cmd, dir, own, other) in [
        (
            "check",
            corpus.join("refimpl"),
            ["accepted", "rejected"],
            ["divergences", "skipped"],
        ),
        (
            "replay",
            corpus.clone(),
            ["divergences", "skipped"],
            ["accepted", "rejected"],
        ),
    ] {
        let o = osfmig(&["traces", cmd, s(&dir), "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        let help = stdout(&osfmig(&["traces", cmd, "--help"]));
        for k in &keys {
            assert!(
                help.contains(&format!("\"{k}\"")),
                "{cmd}: {k} printed, not in --help"
            );
        }
        for k in own {
            assert!(
                keys.iter().any(|x| *x == k),
                "{cmd}: {k} not printed: {keys:?}"
            );
        }
        for k in other {
            assert!(
                !keys.iter().any(|x| *x == k),
                "{cmd}: {k} printed: {keys:?}"
            );
        }
    }
}

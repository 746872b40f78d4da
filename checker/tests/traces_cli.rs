//! `osfmig traces`: generation is deterministic, and `check-format` exits 2 naming file and line.
// Reference: spec §12.5, §12.6.

mod common;

use std::path::PathBuf;

use common::osfmig;

fn scratch(name: &str) -> PathBuf {
    common::scratch("traces", name)
}

fn files(dir: &PathBuf) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn generate_twice_gives_the_same_bytes_and_check_format_accepts_them() {
    let (a, b) = (scratch("a"), scratch("b"));
    for d in [&a, &b] {
        let o = osfmig(&[
            "traces",
            "generate",
            "--preset",
            "ci",
            "--run",
            "null-migration",
            "--count",
            "3",
            "--seed",
            "17",
            "--out",
            d.to_str().unwrap(),
            "--state",
        ]);
        assert!(o.status.success(), "{}", common::stderr(&o));
    }
    let fa = files(&a);
    assert_eq!(fa.len(), 3);
    assert_eq!(fa[0].0, "null-migration-0000.ndjson");
    assert_eq!(fa, files(&b));
    let o = osfmig(&["traces", "check-format", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let c = scratch("c");
    let o = osfmig(&[
        "traces",
        "generate",
        "--preset",
        "tiny",
        "--count",
        "4",
        "--mode",
        "exhaustive",
        "--out",
        c.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    for d in [&a, &b, &c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn check_format_exits_2_naming_file_and_line() {
    let d = scratch("bad");
    std::fs::create_dir_all(&d).unwrap();
    let o = osfmig(&[
        "traces",
        "generate",
        "--preset",
        "tiny",
        "--count",
        "1",
        "--out",
        d.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let good = d.join("null-migration-0000.ndjson");
    let text = std::fs::read_to_string(&good).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cases: Vec<(String, usize, &str)> = vec![
        (
            text[..text.len() - 5].to_string(),
            lines.len(),
            "truncated line",
        ),
        (
            format!("{}\nnot json\n", lines[..2].join("\n")),
            3,
            "invalid JSON",
        ),
        (
            format!(
                "{}\n",
                lines
                    .join("\n")
                    .replacen("\"action\":\"", "\"action\":\"R99", 1)
            ),
            2,
            "unknown action ID",
        ),
        (
            format!(
                "{}\n",
                lines
                    .join("\n")
                    .replacen("\"format_version\":1", "\"format_version\":9", 1)
            ),
            1,
            "wrong format version",
        ),
        (
            format!("{}\n{}\n{}\n", lines[0], lines[2], lines[1]),
            2,
            "event out of order",
        ),
    ];
    for (i, (body, line, reason)) in cases.iter().enumerate() {
        let f = d.join(format!("bad-{i}.ndjson"));
        std::fs::write(&f, body).unwrap();
        let o = osfmig(&["traces", "check-format", f.to_str().unwrap()]);
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{reason}: {err}");
        let want = format!("{}:{line}: {reason}", f.display());
        assert!(err.contains(&want), "want '{want}' in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = osfmig(&[
        "traces",
        "check-format",
        d.join("missing.ndjson").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}

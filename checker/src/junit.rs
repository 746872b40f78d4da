//! `--junit FILE` (spec §8.4): results as JUnit XML, the format CI systems display: one test
//! suite per run (or per trace file), one test case per property (or per trace).

use std::fmt::Write;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::cli::Error;

/// One test case; `failure` is (message, details).
#[derive(Clone, Debug, Default)]
pub struct Case {
    pub name: String,
    pub seconds: f64,
    pub failure: Option<(String, String)>,
    pub skipped: Option<String>,
    pub out: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Suite {
    pub name: String,
    pub seconds: f64,
    pub cases: Vec<Case>,
}

/// The file `--junit` names, created (emptied) before any work starts, so that a path that
/// cannot be written is bad input (exit 2), not a failure after a long check.
pub fn prepare(path: &Path) -> Result<PathBuf, Error> {
    File::create(path)
        .map_err(|e| Error::Usage(format!("--junit {}: cannot write it: {e}", path.display())))?;
    Ok(path.to_path_buf())
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\t' || c == '\n' || c == '\r' || c >= ' ')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The document: `<testsuites>` with the totals, then each suite.
pub fn render(name: &str, suites: &[Suite]) -> String {
    let count = |f: &dyn Fn(&Case) -> bool| -> usize {
        suites
            .iter()
            .map(|s| s.cases.iter().filter(|c| f(c)).count())
            .sum()
    };
    let tests = count(&|_| true);
    let failures = count(&|c| c.failure.is_some());
    let skipped = count(&|c| c.skipped.is_some());
    let seconds: f64 = suites.iter().map(|s| s.seconds).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        r#"<testsuites name="{}" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}" time="{seconds:.3}">"#,
        xml(name)
    );
    for s in suites {
        let f = s.cases.iter().filter(|c| c.failure.is_some()).count();
        let k = s.cases.iter().filter(|c| c.skipped.is_some()).count();
        let _ = writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{f}" errors="0" skipped="{k}" time="{:.3}">"#,
            xml(&s.name),
            s.cases.len(),
            s.seconds
        );
        for c in &s.cases {
            let _ = write!(
                out,
                r#"    <testcase classname="{}" name="{}" time="{:.3}""#,
                xml(&s.name),
                xml(&c.name),
                c.seconds
            );
            if c.failure.is_none() && c.skipped.is_none() && c.out.is_none() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            if let Some((msg, body)) = &c.failure {
                let _ = writeln!(
                    out,
                    r#"      <failure message="{}" type="failure">{}</failure>"#,
                    xml(msg),
                    xml(body)
                );
            }
            if let Some(why) = &c.skipped {
                let _ = writeln!(out, r#"      <skipped message="{}"/>"#, xml(why));
            }
            if let Some(text) = &c.out {
                let _ = writeln!(out, "      <system-out>{}</system-out>", xml(text));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Writes the document to the file [`prepare`] made.
pub fn write(path: &Path, name: &str, suites: &[Suite]) -> Result<(), Error> {
    std::fs::write(path, render(name, suites))
        .map_err(|e| Error::Runtime(format!("--junit {}: cannot write it: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §8.4 (JUnit XML: totals, a failure with its message, text escaped).
    #[test]
    fn a_failure_is_counted_and_escaped() {
        let suites = vec![Suite {
            name: "run <a>".into(),
            seconds: 1.5,
            cases: vec![
                Case {
                    name: "P1".into(),
                    ..Case::default()
                },
                Case {
                    name: "P5".into(),
                    failure: Some(("violated".into(), "req 1 & \"2\"".into())),
                    ..Case::default()
                },
            ],
        }];
        let x = render("osfmig check", &suites);
        assert!(x.contains(r#"tests="2" failures="1""#), "{x}");
        assert!(x.contains(r#"<testsuite name="run &lt;a&gt;""#), "{x}");
        assert!(x.contains("req 1 &amp; &quot;2&quot;"), "{x}");
        assert!(x.contains(r#"<testcase classname="run &lt;a&gt;" name="P1" time="0.000"/>"#));
    }
}

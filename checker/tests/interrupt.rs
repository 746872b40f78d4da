//! Ctrl-C during `check` (spec §8.4): the run under way is cut, the rest skipped, the partial
//! report printed and marked, and the status is 130.
// Reference: spec §8.4 (exit statuses), docs/cli.md.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// Reference: spec §8.4 (an interrupted check reports what it did and exits 130).
#[cfg(unix)]
#[test]
fn ctrl_c_prints_the_partial_report_and_exits_130() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_osfmig"))
        .args(["check", "--preset", "ci", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("osfmig starts");
    // The handler is installed before the first run starts; the ci preset takes far longer
    // than this to check.
    std::thread::sleep(Duration::from_millis(1500));
    // The report can be larger than a pipe holds: read it while the child runs.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "osfmig did not stop within a minute of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().unwrap();
    assert_eq!(status.code(), Some(130), "{out}");
    assert!(out.contains("interrupted: "), "{out}");
    assert!(out.contains("incomplete"), "{out}");
    // The summary table of what was checked is there.
    assert!(out.contains("property"), "{out}");
}

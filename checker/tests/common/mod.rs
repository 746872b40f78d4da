//! What the command-line tests share: running `osfmig` as a user does, a scratch directory,
//! and the output as text. Each test file uses only some of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn osfmig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_osfmig"))
        .args(args)
        .output()
        .expect("osfmig runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An empty directory of this test process, `<tmp>/osfmig-<suite>-<pid>-<name>` (not
/// created: the commands under test create their output directories).
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("osfmig-{suite}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

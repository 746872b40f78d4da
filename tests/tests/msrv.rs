//! The minimum Rust version, derived rather than declared (issue 14): only one toolchain can
//! be had on the machines this project is built on, so the oldest toolchain that builds it
//! cannot be found by trying. It is the highest `rust-version` among the dependencies the
//! lock file resolves (the language features the code itself uses are held to the declared
//! version by clippy's `incompatible_msrv` lint, which `.ci/run` runs with `-D warnings`).
//! This test recomputes it from `Cargo.lock` and fails when `Cargo.toml` or the README
//! disagree, so that the two cannot drift apart again.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn version_key(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// `major.minor` of a version (`1.85.0` and `1.85` name the same toolchain line).
fn minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The host triple the workspace is built for (dependencies for other platforms are left
/// out: they are never built here).
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host")
}

/// The resolved dependency graph of the locked workspace, for the host, without network.
fn metadata(root: &Path) -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--offline",
            "--filter-platform",
        ])
        .arg(host())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The highest `rust-version` among the packages `roots` depend on: their normal and build
/// dependencies, transitively, and with `dev` the workspace members' own dev-dependencies
/// too (what `cargo test` builds). Returns the version and who needs it.
fn needed(m: &Value, roots: &[&str], dev: bool) -> (String, String) {
    let members: BTreeSet<&str> = members(m).into_iter().collect();
    let packages: HashMap<&str, &Value> = m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let nodes: HashMap<&str, &Value> = m["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = roots.to_vec();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        for d in nodes[id]["deps"].as_array().unwrap() {
            let follows =
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| match k["kind"].as_str() {
                        None | Some("build") => true,
                        Some("dev") => dev && members.contains(id),
                        Some(_) => false,
                    });
            if follows {
                stack.push(d["pkg"].as_str().unwrap());
            }
        }
    }
    seen.iter()
        .filter(|id| !members.contains(*id))
        .filter_map(|id| {
            let p = packages[id];
            let v = p["rust_version"].as_str()?;
            Some((
                minor(v),
                format!("{} {}", p["name"].as_str()?, p["version"].as_str()?),
            ))
        })
        .max_by(|a, b| {
            version_key(&a.0)
                .cmp(&version_key(&b.0))
                .then(b.1.cmp(&a.1))
        })
        .unwrap_or(("1.0".into(), "nothing".into()))
}

/// The package ids of the workspace's members.
fn members(m: &Value) -> Vec<&str> {
    m["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// The package id of the workspace member `name`.
fn member<'a>(m: &'a Value, name: &str) -> &'a str {
    m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["id"].as_str())
        .unwrap_or_else(|| panic!("no package {name}"))
}

// Reference: issue 14 (docs that cannot rot) — `Cargo.toml`'s `rust-version` is the one the
// locked dependencies need to build osfmig (the `osfmig` binary and the crates it is made
// of), `osfmig-tests`' is the one the tests need (every member with its dev-dependencies),
// and the README states both.
#[test]
fn rust_version_is_the_one_the_lock_file_needs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let m = metadata(root);
    let (build, build_by) = needed(&m, &[member(&m, "osfmig")], false);
    let all = members(&m);
    let (test, test_by) = needed(&m, &all, true);
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let declared = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_string())
        .expect("Cargo.toml declares the workspace's rust-version");
    assert_eq!(
        declared, build,
        "Cargo.toml says rust-version {declared}, but the locked dependencies need {build} \
         ({build_by}); set it to {build}"
    );
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let says = format!("Rust {build} or later (the tests need {test})");
    assert!(
        readme.contains(&says),
        "README.md must say \"{says}\": building needs {build} ({build_by}), the tests \
         {test} ({test_by})"
    );
    // Every member the binary is made of inherits the workspace's version, and the tests'
    // crate says what the tests need, so that none claims less than it needs.
    for p in m["packages"].as_array().unwrap() {
        if !all.contains(&p["id"].as_str().unwrap()) {
            continue;
        }
        let want = if p["name"] == "osfmig-tests" {
            &test
        } else {
            &build
        };
        assert_eq!(
            p["rust_version"].as_str().map(minor).as_ref(),
            Some(want),
            "{} must declare rust-version {want}",
            p["name"]
        );
    }
}

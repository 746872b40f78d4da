//! Which runs a command works on (spec §8.2): a preset, optionally narrowed to one run, with
//! the command line's bound and switch flags applied to every run.

use osfmig_model::presets::{self, RunSpec};

use crate::cli::{mutant_by_name, ConfigArgs, Error};

/// The preset checked when none is named (spec §8.2: the one CI runs).
pub const DEFAULT_PRESET: &str = "ci";

/// The runs selected, and the preset they came from (printed in reports and replay commands).
pub struct Selection {
    pub preset: String,
    pub runs: Vec<RunSpec>,
}

/// Resolves `--preset` and `--run`, then applies and validates the flags on every run.
///
/// Without `--preset`, a `--run` is looked up in `ci` first and then in the other presets, so
/// `replay --run NAME` works for any name `check` printed.
pub fn select(
    preset: Option<&str>,
    run: Option<&str>,
    flags: &ConfigArgs,
) -> Result<Selection, Error> {
    // An unknown mutant is named once, not once per run of the preset.
    if let Some(m) = &flags.mutant {
        mutant_by_name(m)?;
    }
    let (preset, mut runs) = match (preset, run) {
        (Some(p), _) => (p.to_string(), presets::preset(p).map_err(Error::Usage)?),
        (None, None) => (
            DEFAULT_PRESET.to_string(),
            presets::preset(DEFAULT_PRESET).map_err(Error::Usage)?,
        ),
        (None, Some(r)) => find_preset_of(r)?,
    };
    if let Some(r) = run {
        runs.retain(|spec| spec.name == r);
        if runs.is_empty() {
            let names: Vec<String> = presets::preset(&preset)
                .map_err(Error::Usage)?
                .into_iter()
                .map(|s| s.name)
                .collect();
            return Err(Error::Usage(format!(
                "unknown run '{r}' in preset '{preset}' (runs: {})",
                names.join(", ")
            )));
        }
    }
    for spec in &mut runs {
        flags.apply(&mut spec.config).map_err(|e| {
            Error::Usage(format!(
                "invalid configuration for run {}: {}",
                spec.name,
                e.message()
            ))
        })?;
    }
    Ok(Selection { preset, runs })
}

/// The first preset (the default first) that has a run of this name.
fn find_preset_of(run: &str) -> Result<(String, Vec<RunSpec>), Error> {
    let candidates = std::iter::once(DEFAULT_PRESET).chain(
        presets::PRESETS
            .iter()
            .copied()
            .filter(|p| *p != DEFAULT_PRESET),
    );
    for p in candidates {
        if let Ok(runs) = presets::preset(p) {
            if runs.iter().any(|s| s.name == run) {
                return Ok((p.to_string(), runs));
            }
        }
    }
    let mut names: Vec<String> = Vec::new();
    for p in presets::PRESETS {
        for s in presets::preset(p).unwrap_or_default() {
            if !names.contains(&s.name) {
                names.push(s.name);
            }
        }
    }
    Err(Error::Usage(format!(
        "unknown run '{run}' (runs: {})",
        names.join(", ")
    )))
}

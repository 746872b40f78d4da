//! `--msc DIR` (spec §8.4): a counterexample drawn as a message sequence chart, as SVG and as
//! Mermaid, one pair of files per path.

use std::path::{Path, PathBuf};

use osfmig_model::check::{actions_of, Step};
use osfmig_model::narrate::chart;
use osfmig_model::OsfModel;

use crate::cli::Error;

/// Creates DIR before any work starts, so that a directory that cannot be made is bad input
/// (exit 2), not a failure after a long check.
pub fn prepare(dir: &Path) -> Result<(), Error> {
    prepare_dir("--msc", dir)
}

/// Creates the directory output flag `flag` names, or says why it cannot (exit 2).
pub fn prepare_dir(flag: &str, dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Usage(format!("{flag} {}: cannot create it: {e}", dir.display())))?;
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{flag} {}: not a directory",
            dir.display()
        )));
    }
    Ok(())
}

/// A name fit for a file: letters, digits, `-` and `_` kept, anything else `_`.
pub fn file_stem(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes `DIR/STEM.svg` and `DIR/STEM.mmd` for the path `steps` of `model`; returns the SVG's
/// path.
pub fn write(
    dir: &Path,
    stem: &str,
    title: &str,
    model: &OsfModel,
    steps: &[Step],
) -> Result<PathBuf, Error> {
    let indices: Vec<usize> = steps.iter().map(|s| s.index).collect();
    let c = chart(model, title, &actions_of(model, &indices));
    let stem = file_stem(stem);
    let svg = dir.join(format!("{stem}.svg"));
    let mmd = dir.join(format!("{stem}.mmd"));
    for (path, text) in [(&svg, c.svg()), (&mmd, c.mermaid())] {
        std::fs::write(path, text)
            .map_err(|e| Error::Runtime(format!("--msc: cannot write {}: {e}", path.display())))?;
    }
    Ok(svg)
}

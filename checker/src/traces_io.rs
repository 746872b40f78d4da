//! What the `traces` commands share about their inputs and outputs (spec §12.5): the bounds
//! of their size flags, the `--out` checks made before any work starts, the trace files the
//! paths name, and the tally of per-file outcomes whose worst sets the exit status.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use osfmig_refimpl::mutants::Mutant;
use osfmig_traces::parse::trace_files;

use crate::cli::Error;

/// `--count` of `traces generate` and `traces record`, at most. CI asks for 10 000; a
/// million traces of the ci preset take hours and some gigabytes of files.
pub const COUNT_MAX: u64 = 1_000_000;

/// `--depth` of `traces generate` (steps per trace), at most. The ci runs' walks end within
/// about 30 steps; the default is 200.
pub const DEPTH_MAX: u64 = 10_000;

/// `--events` of `traces record` (events per trace), at most. The default is 50.
pub const EVENTS_MAX: u64 = 10_000;

/// `--state-limit` of `traces coverage` (states explored per run), at most: the search
/// keeps every state in memory, some hundreds of bytes each. The default is 2 000 000.
pub const STATE_LIMIT_MAX: u64 = 50_000_000;

/// Checks an output directory before any work starts (exit 2 naming `flag` otherwise) and
/// creates it. It must not exist, or be an empty directory (as `mktemp -d` makes): the
/// command never mixes its files with others' or overwrites them.
pub fn fresh_dir(flag: &str, p: &Path) -> Result<(), Error> {
    if p.exists() {
        let empty = p.is_dir()
            && std::fs::read_dir(p)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
        if !empty {
            return Err(Error::Usage(format!(
                "{flag} {}: already exists (give a new or an empty directory)",
                p.display()
            )));
        }
        return Ok(());
    }
    std::fs::create_dir_all(p)
        .map_err(|e| Error::Usage(format!("{flag} {}: cannot be created: {e}", p.display())))
}

/// An output file created (empty, exclusively) before any work starts, and written at the
/// end; removed again if the command stops before it is written, so that a failed command
/// leaves nothing behind.
pub struct OutFile {
    path: PathBuf,
    file: Option<File>,
}

impl OutFile {
    /// Creates `p`; exit 2 naming `flag` when it exists or cannot be created.
    pub fn create(flag: &str, p: &Path) -> Result<OutFile, Error> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(p)
            .map_err(|e| {
                let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
                    "already exists".to_string()
                } else {
                    format!("cannot be created: {e}")
                };
                Error::Usage(format!("{flag} {}: {why}", p.display()))
            })?;
        Ok(OutFile {
            path: p.to_path_buf(),
            file: Some(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the whole text; the file is kept once written.
    pub fn write(mut self, text: &str) -> Result<(), Error> {
        if let Some(f) = self.file.as_mut() {
            f.write_all(text.as_bytes())
                .and_then(|()| f.flush())
                .map_err(|e| Error::Runtime(format!("{}: {e}", self.path.display())))?;
        }
        // Written: kept (`drop` removes only a file never written, or written in part).
        self.file = None;
        Ok(())
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The trace files `paths` name, in order (a directory's `*.ndjson` files in name order).
/// A path that does not exist, a directory that cannot be read and a directory without
/// trace files are each named; any of them is exit 2 before any file is read.
pub fn inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    let mut bad = Vec::new();
    for p in paths {
        if !p.exists() {
            bad.push(format!("{}: no such file or directory", p.display()));
            continue;
        }
        match trace_files(p) {
            Err(e) => bad.push(e.to_string()),
            Ok(f) if f.is_empty() => bad.push(format!(
                "{}: no traces: the directory has no *.ndjson file",
                p.display()
            )),
            Ok(f) => files.extend(f),
        }
    }
    if bad.is_empty() {
        Ok(files)
    } else {
        Err(Error::Usage(bad.join("\nosfmig: error: ")))
    }
}

/// Per-file outcomes of a command over many trace files.
#[derive(Default)]
pub struct Tally {
    /// Files that conform (accepted, replayed, well formed).
    pub ok: usize,
    /// Files rejected or diverging (findings: exit 1).
    pub failed: usize,
    /// Files that could not be read or are not valid input (exit 2).
    pub malformed: usize,
    /// Files set aside (`traces replay`: runs the refimpl cannot be set up for).
    pub skipped: usize,
}

impl Tally {
    /// Counts a file that is bad input, and names why on stderr at once (one line, `file:line:
    /// reason`), so that one bad file among thousands is seen and the others still counted.
    pub fn bad_input(&mut self, why: &str) {
        self.malformed += 1;
        eprintln!("osfmig: error: {why}");
    }

    /// The worst outcome seen: 2 for bad input, 1 for a finding, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.malformed > 0 {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }
}

/// The refimpl mutant `--refimpl-mutant NAME` names (spec §12.14); exit 2 for an unknown one.
pub fn refimpl_mutant(name: Option<&str>) -> Result<Option<Mutant>, Error> {
    let Some(name) = name else {
        return Ok(None);
    };
    Mutant::ALL
        .into_iter()
        .find(|m| m.name() == name)
        .map(Some)
        .ok_or_else(|| {
            let all: Vec<&str> = Mutant::ALL.iter().map(|m| m.name()).collect();
            Error::Usage(format!(
                "--refimpl-mutant: unknown refimpl mutant `{name}` (the catalog: {})",
                all.join(", ")
            ))
        })
}

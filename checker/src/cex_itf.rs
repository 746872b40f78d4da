//! `--itf DIR` (spec §8.4, §12): a counterexample as an ITF trace (the Informal Trace Format
//! of Apalache and Quint), through the same rendering and conversion as `traces export`: the
//! model path becomes a model trace with each event's state projection, which `itf::to_itf`
//! writes out.

use std::path::{Path, PathBuf};

use osfmig_model::check::{actions_of, Step};
use osfmig_model::OsfModel;
use osfmig_traces::format::Header;
use osfmig_traces::generate::render;
use osfmig_traces::parse::Trace;
use osfmig_traces::projection::of_model;
use stateright::Model;

use crate::cli::Error;

/// Writes `DIR/STEM.itf.json` for the path `steps` of run `run` of `preset`; returns its path.
pub fn write(
    dir: &Path,
    stem: &str,
    preset: &str,
    run: &str,
    model: &OsfModel,
    steps: &[Step],
) -> Result<PathBuf, Error> {
    let indices: Vec<usize> = steps.iter().map(|s| s.index).collect();
    let actions = actions_of(model, &indices);
    let init = model.init_states().remove(0);
    let (events, _) = render(model, &init, &actions, true).map_err(Error::Runtime)?;
    let header = Header::model(preset, run, &model.cfg, "counterexample", None, 0)
        .map_err(Error::Runtime)?;
    let mut states =
        vec![serde_json::to_value(of_model(&init)).map_err(|e| Error::Runtime(e.to_string()))?];
    states.extend(events.iter().map(|e| e.state.clone().unwrap_or_default()));
    let trace = Trace { header, events };
    let path = dir.join(format!("{}.itf.json", crate::msc::file_stem(stem)));
    let itf = osfmig_traces::itf::itf_of_states(&trace, &states, &path.display().to_string())
        .map_err(Error::Runtime)?;
    let mut text = serde_json::to_string_pretty(&itf).map_err(|e| Error::Runtime(e.to_string()))?;
    text.push('\n');
    std::fs::write(&path, text)
        .map_err(|e| Error::Runtime(format!("--itf: cannot write {}: {e}", path.display())))?;
    Ok(path)
}

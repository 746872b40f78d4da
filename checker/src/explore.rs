//! `osfmig explore` (spec §8.4): stateright's Explorer for one run, to walk the state space by
//! hand in a browser. Explorer ignores symmetry, so it shows every state, renamed or not.

use std::net::{SocketAddr, TcpListener};

use osfmig_model::OsfModel;
use stateright::Model;

use crate::cli::{Error, ExploreArgs};
use crate::report::{self, emit};
use crate::runs::select;

/// Serves the Explorer until interrupted. Bound to 127.0.0.1 only: it lets anyone who reaches
/// it drive the checker.
pub fn run(args: &ExploreArgs) -> Result<u8, Error> {
    let sel = select(args.preset.as_deref(), Some(&args.run), &args.config)?;
    let spec = sel
        .runs
        .into_iter()
        .next()
        .ok_or_else(|| Error::Usage(format!("unknown run '{}'", args.run)))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    // stateright unwraps its own bind, so a port in use is found here first and reported
    // as a usage error instead of a panic.
    drop(TcpListener::bind(addr).map_err(|e| {
        Error::Usage(format!(
            "--port {}: cannot listen on {addr}: {e}",
            args.port
        ))
    })?);
    emit(&format!(
        "Explorer for run {} (preset {}) on http://{addr}/ (Ctrl-C to stop)\n    {}\n",
        spec.name,
        sel.preset,
        report::config_line(&spec.config)
    ));
    OsfModel::new(spec.config).checker().serve(addr);
    Ok(0)
}

//! # osfmig-model: OSF/1 AD process and task migration as a stateright model
//!
//! The paper (Paindaveine & Milojičić, 1996) migrates a UNIX process in five phases: (a) freeze
//! it, (b) detach it from the source PMA and send its local state, (c) install it on the
//! destination PMA, which pulls the Mach task, (d) inform the PM Master and restart it, and
//! (e) clean up the source and forward the requests queued meanwhile. This crate models every
//! actor that takes part (PMA and Mach kernel of each node, PM Master, file server, processes,
//! `pcntl` caller) with every protocol message visible in the network, and checks the spec's
//! properties. Section numbers (`spec §N`) refer to `spec/`.

pub mod check;
pub mod config;
pub mod crash;
mod encode;
pub mod exercised;
pub mod file_server;
pub mod fixed_vec;
pub mod kernel;
pub mod linearizability;
pub mod liveness;
pub mod model;
pub mod msc;
pub mod mutants;
pub mod narrate;
pub mod pm_master;
pub mod pma;
pub mod presets;
pub mod process;
pub mod properties;
pub mod shortest;
pub mod state;
pub mod state_diff;
pub mod symmetry;
pub mod types;
pub mod user_spec;

pub use config::Config;
pub use model::{Action, OsfModel};
pub use state::Sys;

//! spec §11.6 Running a workload: load it, schedule the migration (and faults), run the
//! event loop to quiescence, and collect what the monitor saw.

use crate::sim::{Time, NS_PER_MS};
use crate::stats::MigRecord;
use crate::timing::Costs;
use crate::workload::{Mode, Workload};
use crate::world::{Config, World};
use crate::NodeId;

/// A migration the monitor requests.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    pub at: Time,
    pub dst: NodeId,
    pub mode: Mode,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    /// Time from start until the root process exited.
    pub exec_time: Time,
    pub migrations: Vec<MigRecord>,
    pub events: u64,
    pub timeline: String,
    /// The same steps as `timeline`, one entry each (`simulate --json`).
    pub steps: Vec<crate::trace::Entry>,
    pub cor_faults: u64,
    pub messages: u64,
    /// Processor time system work took from computations (spec §11.10).
    pub processor_taken: Time,
    /// Computations started beside another on one node (none in the paper's experiments).
    pub computations_overlapping: u64,
}

/// Virtual time after which a run is declared stuck.
pub const LIMIT: Time = 4 * 3600 * 1000 * NS_PER_MS;

/// Runs `w` once, optionally migrating its root process.
pub fn run(
    w: &Workload,
    mig: Option<Migration>,
    cfg: Config,
    costs: &Costs,
    seed: u64,
) -> Result<Outcome, String> {
    let mut world = World::new(cfg, costs.clone(), seed);
    let pid = world.load(w);
    if let Some(m) = mig {
        world.schedule_migration(m.at, pid, m.dst, m.mode);
    }
    world.run_until(LIMIT);
    let exec_time = world
        .root_exit
        .ok_or_else(|| format!("workload {}: the root process never exited", w.name))?;
    Ok(Outcome {
        exec_time,
        migrations: world.stats.migrations.clone(),
        events: world.q.processed,
        timeline: world.trace.render(),
        steps: world.trace.entries.clone(),
        cor_faults: world.stats.cor_faults,
        messages: world.stats.total().messages,
        processor_taken: world.stats.processor_taken,
        computations_overlapping: world.stats.computations_overlapping,
    })
}

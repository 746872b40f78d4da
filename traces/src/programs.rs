//! spec §12.9.2 Programs under conformance: recordings in which the refimpl's processes run
//! programs of the refimpl's workload interpreter instead of a driver's script.
//!
//! A scripted recording never runs the interpreter (`process.rs`: computing, pausing and
//! resuming a computation across a migration, a call repeated, replies read after a
//! restart), so conformance had no verdict on it. Here each process runs a small program
//! drawn within the model's environment rules (spec §2.6) and budgets, so that every call it
//! makes is one the model's process may make: the refimpl writes each of the program's
//! visible operations as the stimulus it is, in an event of its own, and the model must
//! explain the trace as for any recording. The driver still plays the rest of the
//! environment: `pcntl` migrations, crashes, refusals and abandons.

use osfmig_model::types::Call as MCall;
use osfmig_model::Config;
use osfmig_refimpl::sim::{Time, NS_PER_MS};
use osfmig_refimpl::workload::{Op, Program};

use crate::bridge::Stimulus;
use crate::generate::SplitMix64;

/// How long a program computes between two calls: from well inside a migration's
/// duration to longer than one, so that migrations find processes both computing and
/// between calls.
const COMPUTE: [Time; 4] = [NS_PER_MS / 2, 5 * NS_PER_MS, 20 * NS_PER_MS, 40 * NS_PER_MS];

/// Operations a program draws, at most (calls are bounded by the run's budget too).
const OPS_MAX: usize = 8;

/// One program per pid of the configuration, then one for the child a `fork()` creates
/// (index `processes_max`). Together they make at most `requests_max` calls, each one the
/// model lets that process make (spec §2.6): `kill()` on the parent (pid 0 only when it is
/// alone), `getrusage()`, `fork()` and `wait()` by pid 0 once each, `exit()` by a child as
/// its last call, reads of its open file, and touches of its pages.
pub fn programs_for(cfg: &Config, rng: &mut SplitMix64) -> Vec<Program> {
    let n = cfg.processes_max as usize;
    let child = n;
    let c = cfg.calls;
    let mut ops: Vec<Vec<Op>> = vec![Vec::new(); n + 1];
    let mut budget = cfg.requests_max as u32;
    let (mut forked, mut waited) = (false, false);
    let mut exited = vec![false; n + 1];
    for _ in 0..OPS_MAX * (n + 1) {
        let p = rng.below(if forked { n + 1 } else { n });
        if exited[p] || ops[p].len() >= OPS_MAX {
            continue;
        }
        // The calls this process may still make, and the other operations.
        let mut choices: Vec<Op> = vec![Op::Compute(COMPUTE[rng.below(COMPUTE.len())])];
        if c.touch {
            // Touches are drawn as often as computations: a migration must find one to come
            // between a page's pre-copy and the freeze (a write, AS1) or after the move (a
            // fault, R17).
            choices.push(Op::Touch {
                pages: cfg.pages_max as u32,
            });
        }
        if budget > 0 {
            if c.getinfo {
                let times = 1 + rng.below(budget.min(2) as usize) as u32;
                choices.push(Op::Call { times });
            }
            if c.signal && (p > 0 || cfg.pids() == 1) {
                choices.push(Op::KillParent);
            }
            if c.file_read {
                let times = 1 + rng.below(budget.min(2) as usize) as u32;
                choices.push(Op::Read { bytes: 64, times });
            }
            if p == 0 && c.fork && cfg.forks_max > 0 && !forked {
                choices.push(Op::Spawn {
                    prog: child,
                    on: None,
                });
            }
            if p == 0 && c.wait && cfg.pids() > 1 && !waited {
                choices.push(Op::Wait);
            }
            if p > 0 && c.exit {
                choices.push(Op::Exit);
            }
        }
        let op = choices[rng.below(choices.len())].clone();
        budget -= match op {
            Op::Call { times } | Op::Read { times, .. } => times,
            Op::KillParent | Op::Spawn { .. } | Op::Wait | Op::Exit => 1,
            _ => 0,
        };
        match op {
            Op::Spawn { .. } => forked = true,
            Op::Wait => waited = true,
            Op::Exit => exited[p] = true,
            _ => {}
        }
        ops[p].push(op);
    }
    ops.into_iter()
        .enumerate()
        .map(|(i, ops)| Program::null(&format!("program {i}"), ops))
        .collect()
}

/// The calls each program makes, in order, as the header of its recording lists them
/// (spec §12.9.2): per pid, with the label [`call_label`] gives the stimulus. The child of a
/// `fork()` is pid `processes_max` (the PM Master's next pid); every process's parent is
/// pid 0, whose own `kill()` of its parent is one of itself.
pub fn calls_of(programs: &[Program]) -> Vec<Vec<String>> {
    programs
        .iter()
        .enumerate()
        .map(|(pid, p)| {
            let me = pid as u8;
            p.ops
                .iter()
                .flat_map(|op| {
                    let (label, times) = match *op {
                        Op::Call { times } => (Some(issue_label(MCall::GetInfo, me)), times),
                        Op::Read { times, .. } => (Some("FileRead".to_string()), times),
                        Op::KillParent => (Some(issue_label(MCall::Signal, 0)), 1),
                        Op::Spawn { .. } => (Some(issue_label(MCall::Fork, me)), 1),
                        Op::Wait => (Some(issue_label(MCall::Wait, me)), 1),
                        Op::Exit => (Some(issue_label(MCall::Exit, me)), 1),
                        _ => (None, 0),
                    };
                    std::iter::repeat_n(label, times.max(1) as usize).flatten()
                })
                .collect()
        })
        .collect()
}

/// The label of a process's call among a program's calls, for a stimulus that is one (a
/// touch or a write is not a call).
pub fn call_label(s: Stimulus) -> Option<(u8, String)> {
    match s {
        Stimulus::Issue { pid, call, target } => Some((pid, issue_label(call, target))),
        Stimulus::FileRead { pid } => Some((pid, "FileRead".to_string())),
        _ => None,
    }
}

fn issue_label(call: MCall, target: u8) -> String {
    format!("{}({target})", crate::bridge::call_name(call))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §12.9.2 — a program set never makes more calls than the run's budget.
    #[test]
    fn programs_stay_within_the_call_budget() {
        for spec in osfmig_model::presets::preset("ci").unwrap() {
            for seed in 0..50 {
                let progs = programs_for(&spec.config, &mut SplitMix64::new(seed));
                let calls: u32 = progs
                    .iter()
                    .flat_map(|p| &p.ops)
                    .map(|op| match op {
                        Op::Call { times } | Op::Read { times, .. } => *times,
                        Op::KillParent | Op::Spawn { .. } | Op::Wait | Op::Exit => 1,
                        _ => 0,
                    })
                    .sum();
                assert!(
                    calls <= spec.config.requests_max as u32,
                    "run {} seed {seed}: {calls} calls",
                    spec.name
                );
            }
        }
    }
}

//! spec §12.8 The stimuli both sides take from a trace, and the refimpl set up for a model
//! configuration. A stimulus is what the environment does (a process's system call, the
//! `pcntl` caller's migration or ALLOW/DISALLOW request, a node crash); everything else each
//! side does on its own and the traces compare through the projection (spec §12.7).

use osfmig_model::config::{GroupOrder, Mode, Strategy};
use osfmig_model::types::Call as MCall;
use osfmig_model::{Action, Config};
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{GroupOrder as RGroupOrder, Mode as RMode, Strategy as RStrategy};
use osfmig_refimpl::world::{Call as RCall, Config as RConfig, World};
use serde_json::{json, Value};

/// What the environment does, in the trace vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stimulus {
    /// EM1: process `pid` makes `call` on `target`.
    Issue { pid: u8, call: MCall, target: u8 },
    /// R1 (the caller's side): `pcntl(MIGRATE, pid, dst)`.
    Pcntl { pid: u8, dst: u8 },
    /// G2 (the caller's side): `pcntl(ALLOW, pid)` or `pcntl(DISALLOW, pid)`.
    PcntlAllow { pid: u8, allow: bool },
    /// C*: a test node crashes.
    Crash { node: u8 },
    /// R17: process `pid` touches `page` (a copy-on-reference fault if homed elsewhere).
    Touch { pid: u8, page: u8 },
    /// FS1: process `pid` reads an open file (the reply queues at its port).
    FileRead { pid: u8 },
    /// AS1: process `pid` writes `page`, already pre-copied, while it still runs at the
    /// source (the page is dirty: copied again at the pull).
    Write { pid: u8, page: u8 },
}

impl Stimulus {
    /// The stimulus a model action is, if it is one.
    pub fn of_action(a: &Action) -> Option<Stimulus> {
        match *a {
            Action::Issue { pid, call, target } => Some(Stimulus::Issue { pid, call, target }),
            Action::PcntlMigrate { pid, dst } => Some(Stimulus::Pcntl { pid, dst }),
            Action::PcntlAllow { pid, allow } => Some(Stimulus::PcntlAllow { pid, allow }),
            Action::Crash { node } => Some(Stimulus::Crash { node }),
            Action::Touch { pid, page } => Some(Stimulus::Touch { pid, page }),
            Action::FileRead { pid } => Some(Stimulus::FileRead { pid }),
            Action::Dirty { pid, page } => Some(Stimulus::Write { pid, page }),
            _ => None,
        }
    }

    /// The model action it is.
    pub fn action(self) -> Action {
        match self {
            Stimulus::Issue { pid, call, target } => Action::Issue { pid, call, target },
            Stimulus::Pcntl { pid, dst } => Action::PcntlMigrate { pid, dst },
            Stimulus::PcntlAllow { pid, allow } => Action::PcntlAllow { pid, allow },
            Stimulus::Crash { node } => Action::Crash { node },
            Stimulus::Touch { pid, page } => Action::Touch { pid, page },
            Stimulus::FileRead { pid } => Action::FileRead { pid },
            Stimulus::Write { pid, page } => Action::Dirty { pid, page },
        }
    }

    /// The process that takes the step, for a process's stimulus.
    pub fn pid(self) -> Option<u8> {
        match self {
            Stimulus::Issue { pid, .. }
            | Stimulus::Touch { pid, .. }
            | Stimulus::FileRead { pid }
            | Stimulus::Write { pid, .. } => Some(pid),
            Stimulus::Pcntl { .. } | Stimulus::PcntlAllow { .. } | Stimulus::Crash { .. } => None,
        }
    }

    /// Rule label, actor and parameters as a trace event writes them (the model action's
    /// fields, spec §12.3).
    pub fn render(self) -> (&'static str, &'static str, Value) {
        match self {
            Stimulus::Issue { pid, call, target } => (
                "EM1 Syscall",
                "process",
                json!({ "pid": pid, "call": call_name(call), "target": target }),
            ),
            Stimulus::Pcntl { pid, dst } => (
                "R1 StartMigration",
                "pcntl",
                json!({ "pid": pid, "dst": dst }),
            ),
            Stimulus::PcntlAllow { pid, allow } => (
                "G2 AllowDisallow",
                "pcntl",
                json!({ "pid": pid, "allow": allow }),
            ),
            Stimulus::Crash { node } => ("C* NodeCrash", "env", json!({ "node": node })),
            Stimulus::Touch { pid, page } => (
                "R17 CORFault",
                "process",
                json!({ "pid": pid, "page": page }),
            ),
            // `read` tells it from the model's ConsumeReply, which shares rule and actor.
            Stimulus::FileRead { pid } => {
                ("FS1 FileIO", "process", json!({ "pid": pid, "read": true }))
            }
            // `write` tells it from the kernel's pre-copy rounds, which share the rule.
            Stimulus::Write { pid, page } => (
                "AS1 PreCopy",
                "process",
                json!({ "pid": pid, "page": page, "write": true }),
            ),
        }
    }

    /// The stimulus an event describes, if its rule and actor make it one.
    pub fn parse(rule: &str, actor: &str, params: &Value) -> Result<Option<Stimulus>, String> {
        let get = |k: &str| -> Result<u8, String> {
            params
                .get(k)
                .and_then(Value::as_u64)
                .and_then(|v| u8::try_from(v).ok())
                .ok_or_else(|| format!("parameter `{k}` missing or not a small integer"))
        };
        Ok(match (rule, actor) {
            ("EM1 Syscall", "process") => {
                let name = params
                    .get("call")
                    .and_then(Value::as_str)
                    .ok_or("parameter `call` missing")?;
                let call = call_of(name).ok_or_else(|| format!("unknown call `{name}`"))?;
                Some(Stimulus::Issue {
                    pid: get("pid")?,
                    call,
                    target: get("target")?,
                })
            }
            ("R1 StartMigration", "pcntl") => Some(Stimulus::Pcntl {
                pid: get("pid")?,
                dst: get("dst")?,
            }),
            // `allow` tells it from a refimpl step at the `pcntl` actor labelled G2.
            ("G2 AllowDisallow", "pcntl") => match params.get("allow").and_then(Value::as_bool) {
                Some(allow) => Some(Stimulus::PcntlAllow {
                    pid: get("pid")?,
                    allow,
                }),
                None => None,
            },
            ("C* NodeCrash", "env") => Some(Stimulus::Crash { node: get("node")? }),
            ("FS1 FileIO", "process") if params.get("read") == Some(&Value::Bool(true)) => {
                Some(Stimulus::FileRead { pid: get("pid")? })
            }
            ("AS1 PreCopy", "process") if params.get("write") == Some(&Value::Bool(true)) => {
                Some(Stimulus::Write {
                    pid: get("pid")?,
                    page: get("page")?,
                })
            }
            ("R17 CORFault", "process") => Some(Stimulus::Touch {
                pid: get("pid")?,
                page: get("page")?,
            }),
            _ => None,
        })
    }
}

pub(crate) fn call_name(c: MCall) -> &'static str {
    match c {
        MCall::Signal => "Signal",
        MCall::GetInfo => "GetInfo",
        MCall::Wait => "Wait",
        MCall::Exit => "Exit",
        MCall::Fork => "Fork",
        MCall::Migrate { .. } => "Migrate",
        MCall::Sigsuspend => "Sigsuspend",
        MCall::Allow { allow: true } => "Allow",
        MCall::Allow { allow: false } => "Disallow",
    }
}

fn call_of(name: &str) -> Option<MCall> {
    Some(match name {
        "Signal" => MCall::Signal,
        "GetInfo" => MCall::GetInfo,
        "Wait" => MCall::Wait,
        "Exit" => MCall::Exit,
        "Fork" => MCall::Fork,
        "Sigsuspend" => MCall::Sigsuspend,
        "Allow" => MCall::Allow { allow: true },
        "Disallow" => MCall::Allow { allow: false },
        _ => return None,
    })
}

/// Whether the refimpl can be held to this configuration; the error names what it lacks.
pub fn supported(cfg: &Config) -> Result<(), String> {
    if cfg.mutant.is_some() {
        return Err("a model mutant is selected".into());
    }
    Ok(())
}

/// The refimpl with the model's nodes, proc table size and switches, and no process yet.
fn bare_world(cfg: &Config, seed: u64) -> Result<World, String> {
    supported(cfg)?;
    let rcfg = RConfig {
        nodes: cfg.nodes_max as usize,
        strategy: match cfg.strategy {
            Strategy::Cor => RStrategy::Cor,
            Strategy::Eager => RStrategy::Eager,
            Strategy::Precopy => RStrategy::Precopy,
            Strategy::Flush => RStrategy::Flush,
        },
        r4_prime: cfg.r4_prime,
        sigsuspend: cfg.calls.sigsuspend,
        p11_fix: cfg.p11_fix,
        group: cfg.group,
        group_order: match cfg.group_order {
            GroupOrder::AllAtOnce => RGroupOrder::AllAtOnce,
            GroupOrder::OneAfterAnother => RGroupOrder::OneAfterAnother,
        },
        attempt_tags: cfg.attempt_tags,
        c4_queue_condition: cfg.c4_queue_condition,
        r4_literal: cfg.r4_literal,
        channels_per_port: cfg.channels_per_port,
        done_on_vproc_port: cfg.done_on_vproc_port,
        admission: cfg.admission,
        procs_per_node: cfg.procs_per_node_max as u32,
        refuse_num: 0,
        refuse_den: 1,
        check_invariants: true,
        // A broken invariant is a finding the trace tools report with the trace and the
        // step (spec §12.5), not a panic.
        record_broken: true,
        trace: true,
        // Scripted processes never compute, so there is nothing for system work to delay.
        cpu_contention: true,
        sms_both_ends: true,
        // The model's choices where the paper is silent (a test switches them, spec §11.11).
        choices: Default::default(),
    };
    Ok(World::new(rcfg, Costs::i386(), seed))
}

/// The refimpl set up as the model's initial state: the same nodes, proc table size and
/// switches, one scripted process per pid on its home node.
pub fn world_for(cfg: &Config, seed: u64) -> Result<World, String> {
    let mut w = bare_world(cfg, seed)?;
    let homes = homes(cfg);
    w.load_scripted(&homes);
    fit_to_model(&mut w, cfg, &homes, false);
    Ok(w)
}

/// The refimpl set up as the model's initial state with every process running a program
/// (`programs[pid]`, the later ones for children, spec §12.9.2) instead of a script.
pub fn world_for_programs(
    cfg: &Config,
    seed: u64,
    programs: Vec<osfmig_refimpl::workload::Program>,
) -> Result<World, String> {
    let mut w = bare_world(cfg, seed)?;
    let homes = homes(cfg);
    w.load_programs(&homes, programs);
    fit_to_model(&mut w, cfg, &homes, true);
    Ok(w)
}

fn homes(cfg: &Config) -> Vec<usize> {
    (0..cfg.processes_max)
        .map(|p| cfg.home_of(p) as usize)
        .collect()
}

/// The model's address space and G2 lists on the refimpl's processes. A program touches its
/// pages from the first (its heap is the whole space); a script names the page it touches.
fn fit_to_model(w: &mut World, cfg: &Config, homes: &[usize], programs: bool) {
    for (pid, &home) in homes.iter().enumerate() {
        // The model's address space has `pages_max` pages, all homed where the process
        // starts; G2 lists are set by pcntl before the run.
        if let Some(t) = w.nodes[home].kernel.tasks.get_mut(&(pid as u32)) {
            t.pages.truncate(cfg.pages_max as usize);
            t.heap_base = if programs { 0 } else { t.pages.len() as u32 };
        }
        if cfg.disallowed.contains(&(pid as u8)) {
            if let Some(p) = w.nodes[home].pma.procs.get_mut(&(pid as u32)) {
                p.allowed = false;
            }
        }
    }
}

/// The invariant the refimpl's own checks found broken (spec §11.7, §12.5), if any: the
/// property and how, with the refimpl's time.
pub fn broken_invariant(w: &World) -> Option<String> {
    w.stats
        .broken
        .as_ref()
        .map(|(t, e)| format!("{e} (refimpl time {t} ns)"))
}

/// The property ID a broken invariant's description starts with (`P6`, `A1`).
pub fn invariant_id(description: &str) -> &str {
    description
        .split(|c: char| c == ':' || c.is_whitespace())
        .next()
        .unwrap_or("")
}

/// A run whose model breaks a property on purpose (a finding, spec §10) breaks the refimpl's
/// own check of it too: recording and replay go on without the refimpl's invariant checks
/// and the comparison with the model judges the run.
pub fn for_findings(w: &mut World, spec: &osfmig_model::presets::RunSpec) {
    if !spec.expected_violations.is_empty() {
        w.cfg.check_invariants = false;
    }
}

/// What a program did in the step that just ran, as the stimulus it is (spec §12.9.2), if
/// it did anything the model sees as a step of the process; an error names what the model
/// has no stimulus for.
pub fn program_stimulus(w: &mut World) -> Result<Option<Stimulus>, String> {
    use osfmig_refimpl::script::ProgramDid;
    let did = std::mem::take(&mut w.program_did);
    if did.len() > 1 {
        return Err(format!(
            "a program took {} steps in one event: {did:?}",
            did.len()
        ));
    }
    let small = |v: u32, what: &str| {
        u8::try_from(v).map_err(|_| format!("{what} {v} is out of the model's range"))
    };
    Ok(match did.first() {
        None => None,
        Some(&ProgramDid::Call { pid, target, call }) => Some(Stimulus::Issue {
            pid: small(pid, "pid")?,
            target: small(target, "pid")?,
            call: match call {
                RCall::Info => MCall::GetInfo,
                RCall::Kill => MCall::Signal,
                RCall::Wait => MCall::Wait,
                RCall::Exit => MCall::Exit,
                RCall::Fork { .. } => MCall::Fork,
                RCall::Sigsuspend => MCall::Sigsuspend,
                other => {
                    return Err(format!(
                        "a program made the call {other:?}, which no model process makes"
                    ))
                }
            },
        }),
        Some(&ProgramDid::FileRead { pid }) => Some(Stimulus::FileRead {
            pid: small(pid, "pid")?,
        }),
        Some(&ProgramDid::Touch { pid, page }) => Some(Stimulus::Touch {
            pid: small(pid, "pid")?,
            page: small(page, "page")?,
        }),
        Some(&ProgramDid::Write { pid, page }) => Some(Stimulus::Write {
            pid: small(pid, "pid")?,
            page: small(page, "page")?,
        }),
    })
}

/// Applies a stimulus to the refimpl; an error says why it cannot take it.
pub fn apply(w: &mut World, cfg: &Config, s: Stimulus) -> Result<(), String> {
    match s {
        Stimulus::Issue { pid, call, target } => {
            let rc = match call {
                MCall::Signal => RCall::Kill,
                MCall::GetInfo => RCall::Info,
                MCall::Wait => RCall::Wait,
                MCall::Exit => RCall::Exit,
                MCall::Fork => RCall::Fork { prog: 0, on: None },
                MCall::Migrate { dst } => RCall::Migrate {
                    dst: dst as usize,
                    mode: mode_of(cfg),
                },
                MCall::Sigsuspend => RCall::Sigsuspend,
                MCall::Allow { .. } => {
                    return Err(format!(
                        "{} is the pcntl caller's request, not a process's call",
                        call_name(call)
                    ))
                }
            };
            w.inject_call(pid as u32, target as u32, rc)
        }
        Stimulus::Pcntl { pid, dst } => {
            w.pcntl(pid as u32, dst as usize, mode_of(cfg));
            Ok(())
        }
        Stimulus::PcntlAllow { pid, allow } => {
            w.pcntl_allow(pid as u32, allow);
            Ok(())
        }
        Stimulus::Touch { pid, page } => w.inject_touch(pid as u32, page as u32),
        Stimulus::FileRead { pid } => w.inject_file_read(pid as u32),
        Stimulus::Write { pid, page } => w.inject_write(pid as u32, page as u32),
        Stimulus::Crash { node } => {
            if !w.nodes.get(node as usize).is_some_and(|n| n.alive) || node == 0 {
                return Err(format!("node {node} is not a live test node"));
            }
            w.crash(node as usize);
            Ok(())
        }
    }
}

pub fn mode_of(cfg: &Config) -> RMode {
    match cfg.mode {
        Mode::Process => RMode::Process,
        Mode::Task => RMode::Task,
    }
}

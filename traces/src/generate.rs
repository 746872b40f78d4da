//! Trace generation from the model (spec §12.6): seeded random walks and bounded-depth
//! exhaustive path enumeration. Everything is deterministic: the same run, mode, seed and
//! bounds give byte-identical files.

use std::path::{Path, PathBuf};

use osfmig_model::model::rule_of;
use osfmig_model::presets::RunSpec;
use osfmig_model::types::{Actor, Envelope, Msg};
use osfmig_model::{Action, OsfModel, Sys};
use serde_json::{json, Map, Value};

use crate::format::{action_id, Event, Header, MsgIds};

/// SplitMix64: a small deterministic generator (never the OS's randomness).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// How traces are produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenMode {
    /// Seeded random walks, one per trace.
    Walk,
    /// Every maximal path up to the depth bound, in depth-first order of the model's action
    /// order, up to `count` of them.
    Exhaustive,
    /// Coverage-directed: traces that together fire every rule and reach every reachability
    /// item the run can (`cover.rs`), at most `count` of them.
    Cover,
}

impl GenMode {
    pub fn name(self) -> &'static str {
        match self {
            GenMode::Walk => "walk",
            GenMode::Exhaustive => "exhaustive",
            GenMode::Cover => "cover",
        }
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenOptions {
    pub mode: GenMode,
    /// Traces per run (walk: exactly this many; exhaustive: at most this many).
    pub count: u64,
    pub seed: u64,
    /// Steps per trace at most.
    pub max_depth: usize,
    /// Add the state projection to every event.
    pub with_state: bool,
}

/// One generated trace, rendered.
#[derive(Clone, Debug)]
pub struct GenTrace {
    pub file_name: String,
    pub text: String,
    /// Rule labels fired, in order.
    pub rules: Vec<&'static str>,
}

/// What a generation produced for one run.
#[derive(Clone, Debug)]
pub struct GenResult {
    pub traces: Vec<GenTrace>,
    /// Exhaustive mode: every maximal path up to the depth bound was emitted.
    pub complete: bool,
    /// Cover mode: what the traces cover and what they do not.
    pub cover: Option<crate::cover::CoverReport>,
}

/// Actions enabled in `st` whose successor stays within the run's boundary (spec §8.4).
fn successors(model: &OsfModel, st: &Sys) -> Vec<(Action, Sys)> {
    let mut acts = Vec::new();
    model.enabled(st, &mut acts);
    acts.into_iter()
        .filter_map(|a| {
            let next = model.step(st, &a)?;
            (next.net.len() <= model.cfg.queue_len_max as usize).then_some((a, next))
        })
        .collect()
}

/// Generates the traces of one run of `preset`.
pub fn generate(preset: &str, spec: &RunSpec, opts: &GenOptions) -> Result<GenResult, String> {
    let model = OsfModel::new(spec.config.clone());
    let init = Sys::initial(&spec.config);
    let mut paths: Vec<Vec<Action>> = Vec::new();
    let mut complete = true;
    let mut cover = None;
    match opts.mode {
        GenMode::Walk => {
            for n in 0..opts.count {
                let mut rng = SplitMix64::new(opts.seed ^ SplitMix64::new(n).next_u64());
                let mut st = init.clone();
                let mut path = Vec::new();
                while path.len() < opts.max_depth {
                    let mut succ = successors(&model, &st);
                    if succ.is_empty() {
                        break;
                    }
                    let (a, next) = succ.swap_remove(rng.below(succ.len()));
                    path.push(a);
                    st = next;
                }
                paths.push(path);
            }
        }
        GenMode::Exhaustive => {
            complete = enumerate(&model, &init, opts, &mut Vec::new(), &mut paths);
        }
        GenMode::Cover => {
            let c = crate::cover::cover_paths(
                spec,
                opts.count,
                opts.seed,
                opts.max_depth,
                &crate::cover::CoverBudget::default(),
            )?;
            paths = c.paths;
            cover = Some(c.report);
        }
    }
    let mut traces = Vec::new();
    for (n, path) in paths.iter().enumerate() {
        let header = Header::model(
            preset,
            &spec.name,
            &spec.config,
            opts.mode.name(),
            (opts.mode != GenMode::Exhaustive).then_some(opts.seed),
            n as u64,
        )?;
        let (events, rules) = render(&model, &init, path, opts.with_state)?;
        let mut text = serde_json::to_string(&header).map_err(|e| e.to_string())?;
        text.push('\n');
        for ev in &events {
            text.push_str(&serde_json::to_string(ev).map_err(|e| e.to_string())?);
            text.push('\n');
        }
        let file_name = match opts.mode {
            GenMode::Cover => format!("{}-cover-{n:04}.ndjson", spec.name),
            _ => format!("{}-{n:04}.ndjson", spec.name),
        };
        traces.push(GenTrace {
            file_name,
            text,
            rules,
        });
    }
    Ok(GenResult {
        traces,
        complete,
        cover,
    })
}

/// Depth-first enumeration of maximal paths; false when `count` cut it short.
fn enumerate(
    model: &OsfModel,
    st: &Sys,
    opts: &GenOptions,
    path: &mut Vec<Action>,
    out: &mut Vec<Vec<Action>>,
) -> bool {
    let succ = if path.len() < opts.max_depth {
        successors(model, st)
    } else {
        Vec::new()
    };
    if succ.is_empty() {
        if out.len() as u64 >= opts.count {
            return false;
        }
        out.push(path.clone());
        return true;
    }
    for (a, next) in succ {
        path.push(a);
        let ok = enumerate(model, &next, opts, path, out);
        path.pop();
        if !ok {
            return false;
        }
    }
    true
}

/// Renders a path as events, assigning message ids in send order (also used by `shrink`).
pub fn render(
    model: &OsfModel,
    init: &Sys,
    path: &[Action],
    with_state: bool,
) -> Result<(Vec<Event>, Vec<&'static str>), String> {
    let cfg = &model.cfg;
    let mut st = init.clone();
    let mut ids = IdAssigner::new(init);
    let mut events = Vec::new();
    let mut rules = Vec::new();
    for (step, action) in path.iter().enumerate() {
        let rule = rule_of(&st, action, cfg);
        if rule == "?" {
            return Err(format!("step {step}: no rule for {action:?}"));
        }
        let (node, actor, params) = describe_action(&st, action);
        let next = model
            .step(&st, action)
            .ok_or_else(|| format!("step {step}: {action:?} is not enabled"))?;
        let msg_ids = ids.step(&st, action, &next);
        st = next;
        events.push(Event {
            kind: "event".into(),
            step: step as u64,
            time_ns: None,
            node,
            actor: actor.into(),
            action: action_id(rule).into(),
            rule: rule.into(),
            params,
            msg_ids,
            reached: Vec::new(),
            state: with_state
                .then(|| serde_json::to_value(crate::projection::of_model(&st)))
                .transpose()
                .map_err(|e| e.to_string())?,
        });
        rules.push(rule);
    }
    Ok((events, rules))
}

/// The message ids of a model path (spec §12.3): each message of the network gets the next
/// id when it is sent, from 0, messages of the initial state first. `render` writes them and
/// `traces replay` holds a model trace's `msg_ids` to them.
#[derive(Clone, Debug)]
pub struct IdAssigner {
    /// The id of each message in the network, in network order.
    ids: Vec<u64>,
    next_id: u64,
}

impl IdAssigner {
    /// Ids for the messages of the initial network.
    pub fn new(init: &Sys) -> IdAssigner {
        let n = init.net.len() as u64;
        IdAssigner {
            ids: (0..n).collect(),
            next_id: n,
        }
    }

    /// The ids `action`, taken in `st` and leading to `next`, receives, sends and drops.
    pub fn step(&mut self, st: &Sys, action: &Action, next: &Sys) -> MsgIds {
        let mut old: Vec<(&Envelope, u64)> = st.net.iter().zip(self.ids.iter().copied()).collect();
        let mut msg_ids = MsgIds::default();
        if let Action::Deliver { idx, .. } = action {
            if (*idx as usize) < old.len() {
                let (_, id) = old.remove(*idx as usize);
                msg_ids.recv.push(id);
            }
        }
        let (new_ids, dropped) = match_ids(&old, &next.net, &mut self.next_id, &mut msg_ids.sent);
        msg_ids.dropped = dropped;
        self.ids = new_ids;
        msg_ids
    }
}

/// Carries ids over from the old network to the new one by a longest common subsequence
/// (sends insert, deliveries and crashes remove, nothing reorders); the rest are new sends.
fn match_ids(
    old: &[(&Envelope, u64)],
    new: &[Envelope],
    next_id: &mut u64,
    sent: &mut Vec<u64>,
) -> (Vec<u64>, Vec<u64>) {
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if *old[i].0 == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ids = vec![None; m];
    let mut dropped = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if *old[i].0 == new[j] && lcs[i][j] == lcs[i + 1][j + 1] + 1 {
            ids[j] = Some(old[i].1);
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            dropped.push(old[i].1);
            i += 1;
        } else {
            j += 1;
        }
    }
    dropped.extend(old[i..].iter().map(|(_, id)| *id));
    let ids = ids
        .into_iter()
        .map(|id| {
            id.unwrap_or_else(|| {
                let id = *next_id;
                *next_id += 1;
                sent.push(id);
                id
            })
        })
        .collect();
    (ids, dropped)
}

/// An actor as a string: `pma:1`, `kernel:2`, `port:0`, `pm_master`, `file_server`, `pcntl`.
pub fn actor_str(a: &Actor) -> String {
    match a {
        Actor::Pma(n) => format!("pma:{n}"),
        Actor::Kernel(n) => format!("kernel:{n}"),
        Actor::Port(p) => format!("port:{p}"),
        Actor::PmMaster => "pm_master".into(),
        Actor::FileServer => "file_server".into(),
        Actor::Pcntl => "pcntl".into(),
    }
}

/// The variant name and fields of a serialized enum value (`{"Variant": {...}}`).
fn variant(v: Value) -> (String, Value) {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let (k, inner) = m.into_iter().next().expect("one entry");
            let fields = match inner {
                Value::Object(_) => inner,
                other => json!({ "value": other }),
            };
            (k, fields)
        }
        Value::String(s) => (s, Value::Object(Map::new())),
        other => ("?".into(), json!({ "value": other })),
    }
}

fn msg_name(m: &Msg) -> (String, Value) {
    variant(serde_json::to_value(m).unwrap_or(Value::Null))
}

/// Node, actor kind and parameters of an action taken in `st`.
pub fn describe_action(st: &Sys, action: &Action) -> (Option<u8>, &'static str, Value) {
    if let Action::Deliver { idx, exhausted } = action {
        let Some(e) = st.net.get(*idx as usize) else {
            return (None, "env", json!({ "idx": idx }));
        };
        let (node, actor) = match e.dst {
            Actor::Pma(n) => (Some(n), "pma"),
            Actor::Kernel(n) => (Some(n), "kernel"),
            Actor::PmMaster => (Some(0), "pm_master"),
            Actor::FileServer => (Some(0), "file_server"),
            Actor::Port(p) => (st.task_node(p), "kernel"),
            Actor::Pcntl => (Some(0), "pcntl"),
        };
        let (name, fields) = msg_name(&e.msg);
        return (
            node,
            actor,
            json!({
                "deliver": name,
                "src": actor_str(&e.src),
                "dst": actor_str(&e.dst),
                "msg": fields,
                "exhausted": exhausted,
            }),
        );
    }
    let (_, params) = variant(serde_json::to_value(action).unwrap_or(Value::Null));
    let field = |k: &str| params.get(k).and_then(Value::as_u64).map(|v| v as u8);
    let (node, actor) = match action {
        Action::Issue { pid, .. }
        | Action::FileRead { pid }
        | Action::ConsumeReply { pid }
        | Action::Touch { pid, .. }
        | Action::Dirty { pid, .. } => (st.task_node(*pid), "process"),
        Action::PcntlMigrate { .. } | Action::PcntlAllow { .. } => (Some(0), "pcntl"),
        Action::PreCopy { .. } | Action::PreCopyDone { .. } | Action::Pull { .. } => {
            (field("node"), "kernel")
        }
        Action::Crash { .. } => (field("node"), "env"),
        Action::Bury { .. } => (Some(0), "pm_master"),
        _ => (field("node"), "pma"),
    };
    (node, actor, params)
}

/// Writes the traces into `dir` (created if needed); returns the paths written.
pub fn write_traces(dir: &Path, traces: &[GenTrace]) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for t in traces {
        let p = dir.join(&t.file_name);
        std::fs::write(&p, &t.text).map_err(|e| format!("{}: {e}", p.display()))?;
        out.push(p);
    }
    Ok(out)
}

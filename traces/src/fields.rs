//! spec §12.3 The fields of an event besides its rule and state: `msg_ids`, `node` and
//! `actor`. Every command that reads a trace against a state holds them to it: `traces
//! check` (refimpl traces, `validate.rs`), `traces replay` (model traces, exactly) and
//! `traces check-format` (what a trace shows without the model).
//!
//! The rules come from the model's side: `generate::IdAssigner` numbers the messages of a
//! model path and `generate::describe_action` names the node and actor of each model step.
//! The checks here are what those two imply for any trace, written against the observation
//! (spec §12.7) so that a refimpl trace, whose steps are not the model's, is held to them too.

use std::collections::BTreeMap;

use osfmig_model::{Action, Sys};
use serde_json::Value;

use crate::bridge::Stimulus;
use crate::format::{Event, MsgIds};
use crate::generate::{describe_action, IdAssigner};
use crate::parse::Trace;
use crate::projection::{of_model, Observed};
use crate::validate::{observed_of, run_of};

/// The actors of spec §12.3.
pub const ACTORS: &[&str] = &[
    "pma",
    "kernel",
    "pm_master",
    "file_server",
    "process",
    "pcntl",
    "env",
];

/// The actors a stimulus is written with (spec §12.8).
const STIMULUS_ACTORS: &[&str] = &["process", "pcntl", "env"];

/// What happened to a message id so far in a trace.
#[derive(Clone, Copy, Debug)]
enum Fate {
    /// Sent (at this step; `None`: in the initial network) and not yet received or dropped.
    InFlight(Option<u64>),
    /// Received or dropped at this step.
    Gone(u64, &'static str),
}

/// The message ids of one trace so far (spec §12.3): each id is sent once, in send order
/// from 0 (after the initial network's messages), and received or dropped at most once,
/// after it was sent.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    ids: BTreeMap<u64, Fate>,
    next: u64,
}

impl Ledger {
    /// A ledger whose ids `0..initial` are the initial network's messages, in flight.
    pub fn new(initial: u64) -> Ledger {
        Ledger {
            ids: (0..initial).map(|i| (i, Fate::InFlight(None))).collect(),
            next: initial,
        }
    }

    /// Takes the ids of `ev` (step `ev.step`); an error says which id breaks which rule.
    pub fn event(&mut self, ev: &Event) -> Result<(), String> {
        let m = &ev.msg_ids;
        if m.recv.len() > 1 {
            return Err(format!(
                "msg_ids.recv says {:?}, but a step receives at most one message",
                m.recv
            ));
        }
        for (field, what, ids) in [
            ("recv", "received", &m.recv),
            ("dropped", "dropped", &m.dropped),
        ] {
            for &id in ids {
                match self.ids.get(&id) {
                    None => {
                        return Err(format!(
                            "msg_ids.{field} says {id}, but no earlier step sent message {id} \
                             ({})",
                            self.sent_so_far()
                        ))
                    }
                    Some(Fate::Gone(at, how)) => {
                        return Err(format!(
                            "msg_ids.{field} says {id}, but message {id} was already {how} at \
                             step {at}"
                        ))
                    }
                    Some(Fate::InFlight(_)) => {
                        self.ids.insert(id, Fate::Gone(ev.step, what));
                    }
                }
            }
        }
        for &id in &m.sent {
            if let Some(f) = self.ids.get(&id) {
                let when = match f {
                    Fate::InFlight(Some(at)) => format!("at step {at}"),
                    Fate::InFlight(None) => "in the initial network".to_string(),
                    Fate::Gone(at, how) => format!("before it was {how} at step {at}"),
                };
                return Err(format!(
                    "msg_ids.sent says {id}, but message {id} was already sent {when}: no id \
                     is sent twice"
                ));
            }
            if id != self.next {
                return Err(format!(
                    "msg_ids.sent says {id}, but ids are given in send order from 0: the next \
                     message sent is {}",
                    self.next
                ));
            }
            self.ids.insert(id, Fate::InFlight(Some(ev.step)));
            self.next += 1;
        }
        Ok(())
    }

    fn sent_so_far(&self) -> String {
        match self.next {
            0 => "none was sent so far".into(),
            1 => "only message 0 was sent so far".into(),
            n => format!("messages 0-{} were sent so far", n - 1),
        }
    }
}

fn node_str(n: Option<u8>) -> String {
    n.map_or("null".into(), |n| n.to_string())
}

/// The stimulus an event describes, whatever actor it names: a stimulus written with
/// another actor than its own is then named as such rather than read as a refimpl step.
fn stimulus_shape(ev: &Event) -> Option<(Stimulus, &'static str)> {
    STIMULUS_ACTORS.iter().find_map(|&a| {
        Stimulus::parse(&ev.rule, a, &ev.params)
            .ok()
            .flatten()
            .map(|s| (s, a))
    })
}

/// The checks that need no state: the actor is one of spec §12.3's, a stimulus names its
/// own actor, the node is one of the run's `nodes` nodes, and the PM Master, the file
/// server and the `pcntl` caller are on node 0.
pub fn check_static(ev: &Event, nodes: usize) -> Result<(), String> {
    if !ACTORS.contains(&ev.actor.as_str()) {
        return Err(format!(
            "actor says {:?}, but the actors are {}",
            ev.actor,
            ACTORS.join(", ")
        ));
    }
    if let Some((_, own)) = stimulus_shape(ev) {
        if ev.actor != own {
            return Err(format!(
                "actor says {}, but {} is a stimulus of actor {own} (spec §12.8)",
                ev.actor, ev.rule
            ));
        }
    }
    if let Some(n) = ev.node {
        if n as usize >= nodes {
            return Err(format!(
                "node says {n}, but the run has nodes 0-{}",
                nodes.saturating_sub(1)
            ));
        }
    }
    if matches!(ev.actor.as_str(), "pm_master" | "file_server" | "pcntl") && ev.node != Some(0) {
        return Err(format!(
            "node says {}, but actor {} runs on node 0",
            node_str(ev.node),
            ev.actor
        ));
    }
    Ok(())
}

fn live_nodes(obs: &Observed) -> String {
    let live: Vec<String> = (0..obs.nodes.len())
        .filter(|&n| obs.nodes[n].alive)
        .map(|n| n.to_string())
        .collect();
    if live.is_empty() {
        "none".into()
    } else {
        live.join(", ")
    }
}

fn param_u8(params: &Value, k: &str) -> Option<u8> {
    params
        .get(k)
        .and_then(Value::as_u64)
        .and_then(|v| u8::try_from(v).ok())
}

/// The node holding `pid`'s task before the step, as the observation shows it.
fn task_of(before: &Observed, pid: u8) -> Option<u8> {
    before.tasks.get(pid as usize).copied().flatten()
}

/// The node and actor of an event against the observation `before` the step, as
/// `describe_action` sets them for a model step (spec §12.3):
/// - a delivery (params `dst`) is by the destination's actor on the destination's node, a
///   task port's message by the kernel holding the task (no node when none holds it);
/// - a `pma` or `kernel` event names a node that is up;
/// - a `process` event names the node holding the task of its `pid` (a refimpl event with
///   no `pid`: of some process);
/// - an `env` event (a crash) names a test node that is up;
/// - `pm_master`, `file_server` and `pcntl` are on node 0 (`check_static`).
pub fn check_against(ev: &Event, before: &Observed) -> Result<(), String> {
    let up = |n: u8| before.nodes.get(n as usize).is_some_and(|x| x.alive);
    let says = || format!("node says {}", node_str(ev.node));
    if let Some(dst) = ev.params.get("dst").and_then(Value::as_str) {
        // Only model traces write deliveries' endpoints.
        let (actor, node) = if let Some(n) = dst.strip_prefix("pma:") {
            ("pma", n.parse::<u8>().ok())
        } else if let Some(n) = dst.strip_prefix("kernel:") {
            ("kernel", n.parse::<u8>().ok())
        } else if let Some(p) = dst.strip_prefix("port:") {
            (
                "kernel",
                p.parse::<u8>().ok().and_then(|p| task_of(before, p)),
            )
        } else {
            (dst, Some(0))
        };
        if ev.params.get("deliver").is_some() && (ev.actor != actor || ev.node != node) {
            return Err(format!(
                "actor and node say {} on node {}, but a delivery to {dst} is by {actor} on \
                 node {}",
                ev.actor,
                node_str(ev.node),
                node_str(node)
            ));
        }
    }
    // A model step of a PMA or a kernel that is no delivery names its node in `node`.
    if let (Some(n), "pma" | "kernel", None) = (
        param_u8(&ev.params, "node"),
        ev.actor.as_str(),
        ev.params.get("deliver"),
    ) {
        if ev.node != Some(n) {
            return Err(format!(
                "{}, but the step is {}'s on node {n} (params)",
                says(),
                ev.actor
            ));
        }
    }
    match ev.actor.as_str() {
        "pma" | "kernel" => match ev.node {
            Some(n) if up(n) => Ok(()),
            None if ev.actor == "kernel" && before.tasks.iter().any(Option::is_none) => Ok(()),
            _ => Err(format!(
                "{}, but actor {} acts on a node that is up (up: {}){}",
                says(),
                ev.actor,
                live_nodes(before),
                if ev.actor == "kernel" {
                    "; no node only for a message to the port of a task no node holds"
                } else {
                    ""
                }
            )),
        },
        "process" => {
            let pid = stimulus_shape(ev)
                .map(|(s, _)| match s {
                    Stimulus::Issue { pid, .. }
                    | Stimulus::Touch { pid, .. }
                    | Stimulus::FileRead { pid }
                    | Stimulus::Write { pid, .. }
                    | Stimulus::Pcntl { pid, .. }
                    | Stimulus::PcntlAllow { pid, .. } => pid,
                    Stimulus::Crash { .. } => 0,
                })
                .or_else(|| param_u8(&ev.params, "pid"));
            match pid {
                Some(p) if ev.node.is_none() || ev.node != task_of(before, p) => Err(format!(
                    "{}, but the task of process {p} is {}",
                    says(),
                    task_of(before, p).map_or("on no node".into(), |n| format!("on node {n}"))
                )),
                Some(_) => Ok(()),
                None if ev.node.is_some() && before.tasks.contains(&ev.node) => Ok(()),
                None => Err(format!(
                    "{}, but a process runs where its task is (tasks on: {})",
                    says(),
                    before
                        .tasks
                        .iter()
                        .map(|t| node_str(*t))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        "env" => match (ev.node, param_u8(&ev.params, "node")) {
            (Some(n), p) if n > 0 && up(n) && p.is_none_or(|p| p == n) => Ok(()),
            _ => Err(format!(
                "{}, but a crash is of a test node that is up (up: {}){}",
                says(),
                live_nodes(before),
                param_u8(&ev.params, "node").map_or(String::new(), |p| format!(", node {p}"))
            )),
        },
        _ => Ok(()),
    }
}

/// The fields of a model trace's event, exactly: the message ids `ids` gives the step and
/// the node and actor `describe_action` gives it (spec §12.3, `traces replay`). The ledger
/// is checked first, so that an id received before it was sent, or sent twice, is named as
/// such.
pub fn check_model_event(
    ev: &Event,
    st: &Sys,
    a: &Action,
    next: &Sys,
    ids: &mut IdAssigner,
    ledger: &mut Ledger,
) -> Result<(), String> {
    ledger.event(ev)?;
    let (node, actor, _) = describe_action(st, a);
    if ev.actor != actor || ev.node != node {
        return Err(format!(
            "actor and node say {} on node {}, but the model's step ({}) is by {actor} on node \
             {}",
            ev.actor,
            node_str(ev.node),
            ev.rule,
            node_str(node)
        ));
    }
    let want: MsgIds = ids.step(st, a, next);
    if ev.msg_ids != want {
        return Err(format!(
            "msg_ids says recv {:?}, sent {:?}, dropped {:?}, but the model's step receives \
             {:?}, sends {:?} and drops {:?}",
            ev.msg_ids.recv,
            ev.msg_ids.sent,
            ev.msg_ids.dropped,
            want.recv,
            want.sent,
            want.dropped
        ));
    }
    Ok(())
}

/// What `traces check-format` holds a trace's fields to without the model: the message-id
/// ledger, the static checks and, where the events carry their state, the node and actor
/// against the state before each step (the run's initial state before the first one, when
/// the header names a run of this version). The error is `path:line: step N: ...`.
pub fn check_trace(trace: &Trace, path: &str) -> Result<(), String> {
    let init = run_of(trace).ok().map(|s| Sys::initial(&s.config));
    let mut ledger = Ledger::new(init.as_ref().map_or(0, |s| s.net.len() as u64));
    let mut before: Option<Observed> = init.as_ref().map(of_model);
    let nodes = init
        .as_ref()
        .map(|s| s.nodes.len())
        .or_else(|| {
            trace
                .events
                .iter()
                .find_map(|e| observed_of(e).ok().flatten().map(|o| o.nodes.len()))
        })
        .unwrap_or(u8::MAX as usize + 1);
    for (i, ev) in trace.events.iter().enumerate() {
        let at = |e: String| format!("{path}:{}: step {}: {e}", i + 2, ev.step);
        ledger.event(ev).map_err(at)?;
        check_static(ev, nodes).map_err(at)?;
        if let Some(b) = &before {
            check_against(ev, b).map_err(at)?;
        }
        before = observed_of(ev).map_err(at)?;
    }
    Ok(())
}

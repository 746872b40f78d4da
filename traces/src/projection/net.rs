//! spec §12.7 The messages in flight, as both sides name them: the protocol messages the
//! model and the refimpl both send as messages (spec §4), each written as its kind, its key
//! (the request or the pid it is about) and the two endpoints, sorted. An endpoint is a
//! node (its PMA and its kernel are one: the model's kernel sends a failed pull's answer
//! where the refimpl's PMA plan pulls), the PM Master, a task's port or the `pcntl` caller.
//! The messages one side
//! sends inside a priced RPC and the other as a message of its own (`LocationUpdate`,
//! `AllocPid`, the pull's `PullTask`/`TaskState`, pages) are left out, with the emulator's
//! answers (`CallReply`: the model answers in the step), the file server's messages
//! (`reading` shows them), `TaskMigrate` and `TaskOffer` (the refimpl's kernel suspends and
//! offers the task in the event that reads the PMA's order), `ChildCreated` (the refimpl
//! records the child with the fork's answer), and `CleanedUp`: the refimpl's PM Master may
//! read it before an `AllocPid` RPC sent earlier on the same channel and then treats it as
//! not yet arrived (`PmMaster::cleaned_sent`), so its FIFO place is kept in the PM Master's
//! reading, not in the queue (the same reason `cleanup_at` is not compared).

use osfmig_model::types::{Actor, Envelope, Msg};
use osfmig_model::Sys;
use osfmig_refimpl::world::{Body, Ep, Ev, World};

fn model_actor(a: Actor) -> String {
    match a {
        Actor::Pma(n) | Actor::Kernel(n) => format!("node{n}"),
        Actor::PmMaster => "pmm".into(),
        Actor::FileServer => "fs".into(),
        Actor::Port(p) => format!("task{p}"),
        Actor::Pcntl => "pcntl".into(),
    }
}

fn refimpl_actor(e: Ep) -> String {
    match e {
        Ep::Pma(n) | Ep::Kernel(n) => format!("node{n}"),
        Ep::Pmm => "pmm".into(),
        Ep::Fs(_) => "fs".into(),
        Ep::Task(p) => format!("task{p}"),
        Ep::Monitor => "pcntl".into(),
    }
}

/// A model message as compared, or `None` when it is not compared.
fn model_msg(m: &Msg) -> Option<String> {
    Some(match *m {
        Msg::Syscall { req } | Msg::Request { req } => format!("Call r{req}"),
        Msg::Reply { req, .. } => format!("Reply r{req}"),
        Msg::AbsentProcess { req } | Msg::Relookup { req } | Msg::Located { req, .. } => {
            format!("Lookup r{req}")
        }
        Msg::MigrateRequest { pid, .. } => format!("MigrateRequest p{pid}"),
        Msg::Refused { pid, .. } => format!("Refused p{pid}"),
        Msg::Done { pid } => format!("Done p{pid}"),
        Msg::Forward { pid, .. } => format!("Forward p{pid}"),
        Msg::PullFailed { pid, .. } => format!("PullFailed p{pid}"),
        Msg::TaskMigrated { pid, node } => format!("TaskMigrated p{pid} at {node}"),
        Msg::WaitChild { req, .. } => format!("WaitChild r{req}"),
        Msg::ChildExited { req, child } => format!("ChildExited r{req} p{child}"),
        Msg::Reap { pid } => format!("Reap p{pid}"),
        Msg::ExitNotify { pid } => format!("ExitNotify p{pid}"),
        Msg::ProcessDied { pid, .. } => format!("ProcessDied p{pid}"),
        Msg::GroupMigrate { leader, dst } => format!("GroupMigrate p{leader} to {dst}"),
        Msg::MemberMigrate { pid, dst } => format!("MemberMigrate p{pid} to {dst}"),
        Msg::GroupStep { pid } => format!("GroupStep p{pid}"),
        _ => return None,
    })
}

/// A refimpl message body as compared, or `None` when it is not compared.
fn refimpl_msg(b: &Body) -> Option<String> {
    Some(match b {
        Body::Syscall(req) | Body::Request(req) => format!("Call r{req}"),
        Body::Reply(req, _) => format!("Reply r{req}"),
        Body::AbsentProcess(req) | Body::Relookup(req) | Body::Located(req, _) => {
            format!("Lookup r{req}")
        }
        Body::MigrateRequest(img) => format!("MigrateRequest p{}", img.pid),
        Body::Refused { pid, .. } => format!("Refused p{pid}"),
        Body::Done { pid } => format!("Done p{pid}"),
        Body::Forward { pid, .. } => format!("Forward p{pid}"),
        Body::PullFailed { pid, .. } => format!("PullFailed p{pid}"),
        Body::TaskMigrated { pid, node } => format!("TaskMigrated p{pid} at {node}"),
        Body::WaitChild(req) => format!("WaitChild r{req}"),
        Body::ChildExited(req, child) => format!("ChildExited r{req} p{child}"),
        Body::Reap { pid } => format!("Reap p{pid}"),
        Body::ExitNotify { pid, .. } => format!("ExitNotify p{pid}"),
        Body::ProcessDied { pid } => format!("ProcessDied p{pid}"),
        Body::GroupMigrate { leader, dst } => format!("GroupMigrate p{leader} to {dst}"),
        Body::MemberMigrate { pid, dst } => format!("MemberMigrate p{pid} to {dst}"),
        Body::GroupStep { pid } => format!("GroupStep p{pid}"),
        _ => return None,
    })
}

/// A message as compared. A call (`Syscall`, then `Request` once routed) and a look-up
/// (`AbsentProcess`, `Relookup`, `Located`) are compared without their actors: the refimpl
/// routes a `pcntl` call and answers a look-up in the same event as it reads them, where
/// the model takes a step for each message, so only the request they carry is compared.
fn line(kind: String, src: String, dst: String) -> String {
    if kind.starts_with("Call ") || kind.starts_with("Lookup ") {
        kind
    } else {
        format!("{kind} {src}>{dst}")
    }
}

/// The model's messages in flight to a live node's actor (or to one on no node), sorted.
pub fn of_model(st: &Sys) -> Vec<String> {
    let up = |a: Actor| a.node().is_none_or(|n| st.nodes[n as usize].alive);
    let mut v: Vec<String> = st
        .net
        .iter()
        .filter(|e: &&Envelope| up(e.dst))
        .filter_map(|e| model_msg(&e.msg).map(|k| line(k, model_actor(e.src), model_actor(e.dst))))
        .collect();
    v.sort_unstable();
    v
}

/// The refimpl's messages in flight (deliveries pending in its event queue) to a live
/// node's actor, sorted.
pub fn of_refimpl(w: &World) -> Vec<String> {
    let node = |e: Ep| match e {
        Ep::Pma(n) | Ep::Kernel(n) => Some(n),
        Ep::Pmm | Ep::Monitor => Some(osfmig_refimpl::MASTER),
        _ => None,
    };
    let up = |e: Ep| node(e).is_none_or(|n| w.nodes[n].alive);
    let mut v: Vec<String> =
        w.q.iter_unordered()
            .filter_map(|ev| match ev {
                Ev::Deliver(m) if up(m.dst) => refimpl_msg(&m.body)
                    .map(|k| line(k, refimpl_actor(m.src), refimpl_actor(m.dst))),
                _ => None,
            })
            .collect();
    v.sort_unstable();
    v
}

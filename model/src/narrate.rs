//! Readable paths (spec §8.4): who takes each step, by name (`PMA@node1`, `PM Master`), what it
//! does in one line, and which messages it sends and receives. The text report, the message
//! sequence charts and the Explorer read a counterexample through this, so that the three say
//! the same thing in the same words.

use crate::model::{rule_of, Action, OsfModel};
use crate::msc::{Chart, Row};
use crate::state::Sys;
use crate::types::*;
use stateright::Model;

/// A node by name: the master node is `node0`, the test nodes `node1`, `node2`, ...
pub fn node_name(n: NodeId) -> String {
    format!("node{n}")
}

/// A lane of a sequence chart, in the order the chart draws them: the `pcntl` caller, the
/// processes, each node's PMA and kernel, the PM Master, the file server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lane {
    Pcntl,
    Process(Pid),
    Pma(NodeId),
    Kernel(NodeId),
    PmMaster,
    FileServer,
}

impl Lane {
    pub fn of(a: Actor) -> Lane {
        match a {
            Actor::Pcntl => Lane::Pcntl,
            Actor::Port(p) => Lane::Process(p),
            Actor::Pma(n) => Lane::Pma(n),
            Actor::Kernel(n) => Lane::Kernel(n),
            Actor::PmMaster => Lane::PmMaster,
            Actor::FileServer => Lane::FileServer,
        }
    }

    pub fn name(self) -> String {
        match self {
            Lane::Pcntl => "pcntl".into(),
            Lane::Process(p) => format!("process {p}"),
            Lane::Pma(n) => format!("PMA@{}", node_name(n)),
            Lane::Kernel(n) => format!("kernel@{}", node_name(n)),
            Lane::PmMaster => "PM Master".into(),
            Lane::FileServer => "file server".into(),
        }
    }
}

/// An actor by name, as the reports print it.
pub fn actor_name(a: Actor) -> String {
    Lane::of(a).name()
}

/// A call as a user would write it.
pub fn call_name(c: Call, target: Pid) -> String {
    match c {
        Call::Signal => format!("kill({target})"),
        Call::GetInfo => format!("getrusage() on {target}"),
        Call::Wait => "wait()".into(),
        Call::Exit => "exit()".into(),
        Call::Migrate { dst } => format!("migrate({target}, {})", node_name(dst)),
        Call::Fork => "fork()".into(),
        Call::Sigsuspend => "sigsuspend()".into(),
        Call::Allow { allow: true } => format!("allow({target})"),
        Call::Allow { allow: false } => format!("disallow({target})"),
    }
}

/// A request by number, with who made which call: `req 2 (pcntl: migrate(0, node2))`.
pub fn req_name(st: &Sys, req: ReqId) -> String {
    match st.reqs.get(req as usize) {
        Some(r) => {
            let who = match r.sender {
                Sender::Proc(p) => format!("process {p}"),
                Sender::Pcntl => "pcntl".into(),
            };
            format!("req {req} ({who}: {})", call_name(r.call, r.target))
        }
        None => format!("req {req}"),
    }
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::NoSuchProcess => "ESRCH",
        Outcome::Migrated => "migrated",
        Outcome::Refused => "refused",
        Outcome::Abandoned => "abandoned",
        Outcome::Rejected => "rejected",
        Outcome::Died => "died",
    }
}

/// A message's name, as in the paper and spec §4.
pub fn msg_name(m: &Msg) -> &'static str {
    match m {
        Msg::Syscall { .. } => "Syscall",
        Msg::Request { .. } => "Request",
        Msg::Reply { .. } => "Reply",
        Msg::AbsentProcess { .. } => "AbsentProcess",
        Msg::Relookup { .. } => "Relookup",
        Msg::Located { .. } => "Located",
        Msg::MigrateRequest { .. } => "MigrateRequest",
        Msg::Refused { .. } => "Refused",
        Msg::Done { .. } => "Done",
        Msg::Forward { .. } => "Forward",
        Msg::PullTask { .. } => "PullTask",
        Msg::TaskState { .. } => "TaskState",
        Msg::PullFailed { .. } => "PullFailed",
        Msg::TaskMigrate { .. } => "TaskMigrate",
        Msg::TaskOffer { .. } => "TaskOffer",
        Msg::TaskMigrated { .. } => "TaskMigrated",
        Msg::LocationUpdate { .. } => "LocationUpdate",
        Msg::LocationAck { .. } => "LocationAck",
        Msg::WaitChild { .. } => "WaitChild",
        Msg::ChildExited { .. } => "ChildExited",
        Msg::Reap { .. } => "Reap",
        Msg::AllocPid { .. } => "AllocPid",
        Msg::PidAllocated { .. } => "PidAllocated",
        Msg::CleanedUp { .. } => "CleanedUp",
        Msg::ChildCreated { .. } => "ChildCreated",
        Msg::ForkAborted { .. } => "ForkAborted",
        Msg::ExitNotify { .. } => "ExitNotify",
        Msg::ProcessDied { .. } => "ProcessDied",
        Msg::PageRequest { .. } => "PageRequest",
        Msg::PageData { .. } => "PageData",
        Msg::PreCopyPage { .. } => "PreCopyPage",
        Msg::GroupMigrate { .. } => "GroupMigrate",
        Msg::MemberMigrate { .. } => "MemberMigrate",
        Msg::GroupStep { .. } => "GroupStep",
        Msg::FileRead { .. } => "FileRead",
        Msg::FileReply { .. } => "FileReply",
    }
}

/// A message's name and arguments, short enough for a chart's arrow: `MigrateRequest(pid 0,
/// attempt 1)`, `Reply(req 2: refused)`. The process image a `MigrateRequest` carries and the
/// task a `TaskState` carries are left out (`--states` shows them).
pub fn msg_short(m: &Msg) -> String {
    let name = msg_name(m);
    let args = match *m {
        Msg::Syscall { req }
        | Msg::Request { req }
        | Msg::AbsentProcess { req }
        | Msg::Relookup { req } => format!("req {req}"),
        Msg::Reply { req, outcome } => format!("req {req}: {}", outcome_name(outcome)),
        Msg::Located { req, node } => match node {
            Some(n) => format!("req {req}: at {}", node_name(n)),
            None => format!("req {req}: dead"),
        },
        Msg::MigrateRequest { pid, attempt, .. }
        | Msg::Refused { pid, attempt }
        | Msg::PullTask { pid, attempt }
        | Msg::PullFailed { pid, attempt } => format!("pid {pid}, attempt {attempt}"),
        Msg::Forward { pid, reqs } => {
            let list: Vec<String> = reqs.iter().map(|r| r.to_string()).collect();
            format!("pid {pid}, reqs [{}]", list.join(", "))
        }
        Msg::TaskMigrate { pid, dst } | Msg::GroupMigrate { leader: pid, dst } => {
            format!("pid {pid} to {}", node_name(dst))
        }
        Msg::MemberMigrate { pid, dst } => format!("pid {pid} to {}", node_name(dst)),
        Msg::TaskOffer { pid, src, attempt } => {
            format!("pid {pid} from {}, attempt {attempt}", node_name(src))
        }
        Msg::TaskMigrated { pid, node } => format!("pid {pid} at {}", node_name(node)),
        Msg::LocationUpdate { pid, node, gen } => {
            format!("pid {pid} at {}, gen {gen}", node_name(node))
        }
        Msg::LocationAck { pid, dead } => {
            if dead {
                format!("pid {pid}: dead")
            } else {
                format!("pid {pid}")
            }
        }
        Msg::WaitChild { req, parent } | Msg::AllocPid { req, parent } => {
            format!("req {req}, parent {parent}")
        }
        Msg::ChildExited { req, child } => format!("req {req}, child {child}"),
        Msg::PidAllocated { req, child, gen } => match child {
            Some(c) => format!("req {req}: pid {c}, gen {gen}"),
            None => format!("req {req}: none (EAGAIN)"),
        },
        Msg::ProcessDied { pid, gen } => format!("pid {pid}, gen {gen}"),
        Msg::PageRequest { pid, page }
        | Msg::PageData { pid, page }
        | Msg::PreCopyPage { pid, page } => format!("pid {pid}, page {page}"),
        Msg::Done { pid }
        | Msg::TaskState { pid, .. }
        | Msg::Reap { pid }
        | Msg::CleanedUp { pid }
        | Msg::ChildCreated { pid }
        | Msg::ForkAborted { pid }
        | Msg::ExitNotify { pid }
        | Msg::GroupStep { pid }
        | Msg::FileRead { pid }
        | Msg::FileReply { pid } => format!("pid {pid}"),
    };
    format!("{name}({args})")
}

/// The lane that takes a step: a delivery's receiver, else the actor whose rule it is.
pub fn step_lane(st: &Sys, action: &Action) -> Option<Lane> {
    Some(match *action {
        Action::Deliver { idx, .. } => Lane::of(st.net.get(idx as usize)?.dst),
        Action::Issue { pid, .. }
        | Action::FileRead { pid }
        | Action::ConsumeReply { pid }
        | Action::Touch { pid, .. }
        | Action::Dirty { pid, .. } => Lane::Process(pid),
        Action::PcntlMigrate { .. } | Action::PcntlAllow { .. } => Lane::Pcntl,
        Action::PreCopy { node, .. }
        | Action::PreCopyDone { node, .. }
        | Action::Suspend { node, .. }
        | Action::AbortRestartable { node, .. }
        | Action::Freeze { node, .. }
        | Action::Detach { node, .. }
        | Action::Abandon { node, .. }
        | Action::Pull { node, .. }
        | Action::Install { node, .. }
        | Action::InformPmm { node, .. }
        | Action::FinishExit { node, .. }
        | Action::Detect { node, .. } => Lane::Pma(node),
        Action::Crash { node } => Lane::Kernel(node),
        Action::Bury { .. } => Lane::PmMaster,
    })
}

/// Who takes a step, by name: the lane's, or the node for a crash.
pub fn step_actor(st: &Sys, action: &Action) -> String {
    match *action {
        Action::Crash { node } => node_name(node),
        _ => step_lane(st, action).map(Lane::name).unwrap_or_default(),
    }
}

/// What a step does, in one line, without its rule ID (the report prints that in a column of
/// its own).
pub fn step_summary(st: &Sys, action: &Action) -> String {
    match *action {
        Action::Deliver { idx, exhausted } => match st.net.get(idx as usize) {
            Some(e) => {
                let about = match e.msg {
                    Msg::Syscall { req } | Msg::Request { req } => {
                        format!(" [{}]", req_name(st, req))
                    }
                    _ => String::new(),
                };
                format!(
                    "receives {} from {}{about}{}",
                    msg_short(&e.msg),
                    actor_name(e.src),
                    if exhausted { ", memory exhausted" } else { "" }
                )
            }
            None => format!("delivers message #{idx}"),
        },
        Action::Issue { pid, call, target } => {
            format!("process {pid} calls {}", call_name(call, target))
        }
        Action::FileRead { pid } => format!("process {pid} reads a file"),
        Action::ConsumeReply { pid } => format!("process {pid} reads its file server's reply"),
        Action::Touch { pid, page } => format!("process {pid} touches page {page}"),
        Action::Dirty { pid, page } => format!("process {pid} writes pre-copied page {page}"),
        Action::PcntlMigrate { pid, dst } => {
            format!("pcntl asks to migrate process {pid} to {}", node_name(dst))
        }
        Action::PcntlAllow { pid, allow } => format!(
            "pcntl {} the migration of process {pid}",
            if allow { "allows" } else { "disallows" }
        ),
        Action::PreCopy { pid, page, .. } => {
            format!("pre-copies page {page} of process {pid}")
        }
        Action::PreCopyDone { pid, .. } => format!("ends pre-copy of process {pid}"),
        Action::Suspend { pid, .. } => format!("suspends the threads of process {pid}"),
        Action::AbortRestartable { pid, .. } => {
            format!("aborts process {pid}'s restartable call, to restart it at the destination")
        }
        Action::Freeze { pid, .. } => format!("process {pid} is frozen"),
        Action::Detach { pid, .. } => {
            format!("detaches process {pid} and sends its state to the destination")
        }
        Action::Abandon { pid, .. } => format!("abandons the migration of process {pid}"),
        Action::Pull { pid, .. } => format!("pulls the task of process {pid}"),
        Action::Install { pid, .. } => {
            format!("installs process {pid} and reattaches its capabilities")
        }
        Action::InformPmm { pid, .. } => {
            format!("tells the PM Master where process {pid} is, restarts it")
        }
        Action::FinishExit { pid, .. } => format!("tears down exiting process {pid}"),
        Action::Crash { node } => format!("{} crashes", node_name(node)),
        Action::Detect { pid, .. } => format!("learns that process {pid}'s node crashed"),
        Action::Bury { node } => format!("buries the processes of {}", node_name(node)),
    }
}

/// One step of a path, narrated.
#[derive(Clone, Debug)]
pub struct Narrated {
    pub rule: &'static str,
    pub lane: Option<Lane>,
    pub summary: String,
    /// The message the step receives (a delivery).
    pub received: Option<Envelope>,
    /// The messages the step puts on the network.
    pub sent: Vec<Envelope>,
    /// The messages the step removes from the network other than the one it receives (a
    /// crash's losses).
    pub dropped: Vec<Envelope>,
    pub crashed: Option<NodeId>,
}

/// Narrates one step from `st` by `action` to `next`: the messages sent are those in `next`'s
/// network and not in `st`'s once the received one is taken out (a multiset difference, as
/// equal messages may be in flight at once).
pub fn narrate(model: &OsfModel, st: &Sys, action: &Action, next: &Sys) -> Narrated {
    let received = match *action {
        Action::Deliver { idx, .. } => st.net.get(idx as usize).copied(),
        _ => None,
    };
    let mut before: Vec<Envelope> = st.net.clone();
    if let Action::Deliver { idx, .. } = *action {
        if (idx as usize) < before.len() {
            before.remove(idx as usize);
        }
    }
    let mut after: Vec<Envelope> = next.net.clone();
    let mut dropped = Vec::new();
    for e in before {
        match after.iter().position(|a| *a == e) {
            Some(k) => {
                after.remove(k);
            }
            None => dropped.push(e),
        }
    }
    Narrated {
        rule: rule_of(st, action, &model.cfg),
        lane: step_lane(st, action),
        summary: step_summary(st, action),
        received,
        sent: after,
        dropped,
        crashed: match *action {
            Action::Crash { node } => Some(node),
            _ => None,
        },
    }
}

/// The sequence chart of a path (spec §8.4): one row per step, one arrow per message from the
/// step that sends it to the step that receives it, local steps as boxes on their lane.
pub fn chart(model: &OsfModel, title: &str, actions: &[Action]) -> Chart {
    let mut st = model.init_states()[0].clone();
    let mut steps = Vec::new();
    for a in actions {
        let Some(next) = model.step(&st, a) else {
            break;
        };
        steps.push(narrate(model, &st, a, &next));
        st = next;
    }
    chart_of(title, &steps)
}

/// The chart of narrated steps (see [`chart`]).
pub fn chart_of(title: &str, steps: &[Narrated]) -> Chart {
    let mut chart = Chart::new(title);
    // Messages in flight, oldest first, with the chart arrow each one started.
    let mut flying: Vec<(Envelope, usize)> = Vec::new();
    for (k, s) in steps.iter().enumerate() {
        let lane = s.lane.map(|l| chart.lane(&l.name(), order_key(l)));
        let mut row = Row::new(format!("{}", k + 1), s.rule, lane, &s.summary);
        if let Some(n) = s.crashed {
            row.crash = Some(node_name(n));
            for l in [Lane::Pma(n), Lane::Kernel(n)] {
                let i = chart.lane(&l.name(), order_key(l));
                row.ends.push(i);
            }
        }
        let r = chart.push_row(row);
        if let Some(e) = s.received {
            if let Some(i) = flying.iter().position(|(f, _)| *f == e) {
                let (_, arrow) = flying.remove(i);
                chart.arrows[arrow].to_row = Some(r);
                chart.arrows[arrow].rule = s.rule.to_string();
            }
        }
        for e in &s.dropped {
            if let Some(i) = flying.iter().position(|(f, _)| f == e) {
                let (_, arrow) = flying.remove(i);
                chart.arrows[arrow].lost_at = Some(r);
            }
        }
        for e in &s.sent {
            let from = chart.lane(&Lane::of(e.src).name(), order_key(Lane::of(e.src)));
            let to = chart.lane(&Lane::of(e.dst).name(), order_key(Lane::of(e.dst)));
            let a = chart.push_arrow(from, r, to, &msg_short(&e.msg));
            flying.push((*e, a));
        }
    }
    chart
}

/// Where a lane sorts among the chart's lanes (see [`Lane`]).
fn order_key(l: Lane) -> u32 {
    match l {
        Lane::Pcntl => 0,
        Lane::Process(p) => 100 + p as u32,
        Lane::Pma(n) => 1000 + 10 * n as u32,
        Lane::Kernel(n) => 1001 + 10 * n as u32,
        Lane::PmMaster => 5000,
        Lane::FileServer => 5001,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::find_run;

    // Reference: spec §8.4 (the Explorer draws a path as the chart `check --msc` writes).
    #[test]
    fn the_explorer_draws_the_path_as_a_chart() {
        let model = OsfModel::new(find_run("null-migration").unwrap().config);
        let init = model.init_states().remove(0);
        // The first three steps of whatever the model enables first.
        let mut st = init.clone();
        let mut actions = Vec::new();
        for _ in 0..3 {
            let mut en = Vec::new();
            model.enabled(&st, &mut en);
            let a = en.remove(0);
            st = model.step(&st, &a).unwrap();
            actions.push(a);
        }
        let path = stateright::Path::from_actions(&model, init, actions.iter()).unwrap();
        let svg = model.as_svg(path).expect("an SVG");
        assert!(svg.starts_with("<svg"), "{svg}");
        let c = chart(&model, "t", &actions);
        assert_eq!(c.rows.len(), 3);
        assert!(svg.contains(&xml_escaped(&c.rows[0].summary)), "{svg}");
    }

    fn xml_escaped(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }
}

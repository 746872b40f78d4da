//! The processes (their emulators and threads) and the `pcntl` caller: the environment that
//! drives the protocol (spec §2.6). Each step here is a choice the environment may make.

use crate::config::{Config, Strategy};
use crate::state::*;
use crate::types::*;

/// A process can act when its task is on a live kernel with its threads running and no fault
/// in progress.
fn running_on(st: &Sys, pid: Pid) -> Option<NodeId> {
    let n = st.task_node(pid)?;
    let t = st.nodes[n as usize].kernel.tasks[pid as usize].as_ref()?;
    (t.threads == Threads::Running && t.faulting.is_none()).then_some(n)
}

/// Calls process `pid` may issue now, with their targets.
pub fn issuable(st: &Sys, cfg: &Config, pid: Pid, out: &mut impl Extend<(Call, Pid)>) {
    let e = &st.emus[pid as usize];
    if st.calls_issued >= cfg.requests_max || e.outstanding >= cfg.outstanding_max || e.exited {
        return;
    }
    if running_on(st, pid).is_none() {
        return;
    }
    let c = cfg.calls;
    if c.signal {
        let others =
            (0..cfg.pids()).filter(|&q| q != pid && st.pmm.pids[q as usize].life != Life::Unborn);
        let mut any = false;
        for q in others {
            any = true;
            out.extend([(Call::Signal, q)]);
        }
        if !any {
            out.extend([(Call::Signal, pid)]);
        }
    }
    if c.getinfo {
        out.extend([(Call::GetInfo, pid)]);
    }
    // Spec §2.6: `fork()` needs a slot for the child (`forks_max` > 0); without one the
    // configuration has no fork to make.
    if c.fork && cfg.forks_max > 0 && pid == 0 && !e.forked {
        out.extend([(Call::Fork, pid)]);
    }
    if c.wait && pid == 0 && cfg.pids() > 1 && !e.waited {
        out.extend([(Call::Wait, pid)]);
    }
    if c.exit && pid > 0 {
        out.extend([(Call::Exit, pid)]);
    }
    if c.sigsuspend && pid == 0 && !e.sigsuspended {
        out.extend([(Call::Sigsuspend, pid)]);
    }
}

/// The emulator sends a system call to the PMA its capability names.
pub fn issue(st: &mut Sys, pid: Pid, call: Call, target: Pid) {
    let node = running_on(st, pid).expect("guarded");
    let caller_node = st.nodes[node as usize].kernel.tasks[pid as usize]
        .as_ref()
        .expect("running")
        .pma_caps[0];
    let req = new_req(st, Sender::Proc(pid), target, call, caller_node);
    st.calls_issued += 1;
    let e = &mut st.emus[pid as usize];
    e.outstanding += 1;
    match call {
        Call::Wait => e.waited = true,
        Call::Exit => e.exited = true,
        Call::Fork => e.forked = true,
        Call::Sigsuspend => e.sigsuspended = true,
        _ => {}
    }
    crate::linearizability::invoke(st, req);
    st.send(
        Actor::Port(pid),
        Actor::Pma(caller_node),
        Msg::Syscall { req },
    );
}

fn new_req(st: &mut Sys, sender: Sender, target: Pid, call: Call, caller_node: NodeId) -> ReqId {
    st.reqs.push(Req {
        sender,
        target,
        call,
        caller_node,
        status: ReqStatus::Routing,
        handled: 0,
        forwarded: 0,
        absent: 0,
        queued: 0,
        detail: 0,
    });
    (st.reqs.len() - 1) as ReqId
}

/// The `pcntl` caller may ask to migrate a live process to a live test node.
pub fn can_pcntl_migrate(st: &Sys, cfg: &Config, pid: Pid, dst: NodeId) -> bool {
    st.pcntl_issued < cfg.migrations_max
        && st.pcntl_outstanding < cfg.pcntl_callers_max
        && dst != MASTER
        && st.alive(dst)
        && st.pmm.pids[pid as usize].life == Life::Alive
}

pub fn pcntl_migrate(st: &mut Sys, pid: Pid, dst: NodeId) {
    let req = new_req(st, Sender::Pcntl, pid, Call::Migrate { dst }, MASTER);
    st.pcntl_issued += 1;
    st.pcntl_outstanding += 1;
    crate::linearizability::invoke(st, req);
    st.send(Actor::Pcntl, Actor::Pma(MASTER), Msg::Syscall { req });
}

/// The `pcntl` caller may allow or disallow the migration of a live process (G2 at run time):
/// a call like the processes' ones, bounded by `requests_max`, and by `pcntl_callers_max`
/// like its migrations.
pub fn can_pcntl_allow(st: &Sys, cfg: &Config, pid: Pid) -> bool {
    cfg.calls.pcntl_allow
        && st.calls_issued < cfg.requests_max
        && st.pcntl_outstanding < cfg.pcntl_callers_max
        && st.pmm.pids[pid as usize].life == Life::Alive
}

pub fn pcntl_allow(st: &mut Sys, pid: Pid, allow: bool) {
    let req = new_req(st, Sender::Pcntl, pid, Call::Allow { allow }, MASTER);
    st.calls_issued += 1;
    st.pcntl_outstanding += 1;
    crate::linearizability::invoke(st, req);
    st.send(Actor::Pcntl, Actor::Pma(MASTER), Msg::Syscall { req });
}

/// A file read: bounded by the same budget as calls.
pub fn can_file_read(st: &Sys, cfg: &Config, pid: Pid) -> bool {
    cfg.calls.file_read
        && st.calls_issued < cfg.requests_max
        && !st.emus[pid as usize].exited
        && running_on(st, pid).is_some_and(|n| {
            !st.nodes[n as usize].kernel.tasks[pid as usize]
                .as_ref()
                .unwrap()
                .reading
        })
}

pub fn file_read(st: &mut Sys, pid: Pid) {
    let n = running_on(st, pid).expect("guarded");
    st.calls_issued += 1;
    st.kernel_mut(n).tasks[pid as usize]
        .as_mut()
        .unwrap()
        .reading = true;
    st.send(Actor::Port(pid), Actor::FileServer, Msg::FileRead { pid });
}

pub fn can_consume_reply(st: &Sys, pid: Pid) -> bool {
    running_on(st, pid).is_some_and(|n| {
        st.nodes[n as usize].kernel.tasks[pid as usize]
            .as_ref()
            .unwrap()
            .port_queue
            > 0
    })
}

pub fn consume_reply(st: &mut Sys, pid: Pid) {
    let n = running_on(st, pid).expect("guarded");
    let t = st.kernel_mut(n).tasks[pid as usize].as_mut().unwrap();
    t.port_queue -= 1;
    t.reading = false;
    // The read returns now (U1, spec §13.4).
    crate::linearizability::event(st, crate::user_spec::Op::FileRead { pid });
}

/// R17: touching a page homed elsewhere faults it in from its home.
pub fn can_touch(st: &Sys, cfg: &Config, pid: Pid, page: u8) -> bool {
    cfg.calls.touch
        && running_on(st, pid).is_some_and(|n| {
            let h = st.nodes[n as usize].kernel.tasks[pid as usize]
                .as_ref()
                .unwrap()
                .pages[page as usize];
            h != n && st.alive(h)
        })
}

pub fn touch(st: &mut Sys, pid: Pid, page: u8) {
    let n = running_on(st, pid).expect("guarded");
    let t = st.kernel_mut(n).tasks[pid as usize].as_mut().unwrap();
    t.faulting = Some(page);
    let h = t.pages[page as usize];
    st.send(
        Actor::Kernel(n),
        Actor::Kernel(h),
        Msg::PageRequest { pid, page },
    );
}

/// Pre-copy: a running process writes a page that was already pre-copied.
pub fn can_dirty(st: &Sys, cfg: &Config, pid: Pid, page: u8) -> bool {
    if cfg.strategy != Strategy::Precopy {
        return false;
    }
    let Some(n) = running_on(st, pid) else {
        return false;
    };
    let Local::Active { out: Some(o), .. } = &st.pma(n).procs[pid as usize] else {
        return false;
    };
    let t = st.nodes[n as usize].kernel.tasks[pid as usize]
        .as_ref()
        .unwrap();
    st.nodes[o.dst as usize].kernel.precopied[pid as usize] & (1 << page) != 0
        && t.dirty & (1 << page) == 0
}

pub fn dirty(st: &mut Sys, pid: Pid, page: u8) {
    let n = running_on(st, pid).expect("guarded");
    st.kernel_mut(n).tasks[pid as usize].as_mut().unwrap().dirty |= 1 << page;
}

/// Pre-copy round at the source kernel: copy one page not yet at the destination.
pub fn can_precopy(st: &Sys, node: NodeId, pid: Pid, page: u8) -> bool {
    let Local::Active { out: Some(o), .. } = &st.pma(node).procs[pid as usize] else {
        return false;
    };
    if o.precopy_done || !st.alive(o.dst) {
        return false;
    }
    let in_flight = st
        .net
        .iter()
        .any(|e| e.msg == Msg::PreCopyPage { pid, page });
    st.nodes[o.dst as usize].kernel.precopied[pid as usize] & (1 << page) == 0 && !in_flight
}

pub fn precopy(st: &mut Sys, node: NodeId, pid: Pid, page: u8) {
    let Local::Active { out: Some(o), .. } = &st.pma(node).procs[pid as usize] else {
        return;
    };
    let dst = o.dst;
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        t.dirty &= !(1 << page);
    }
    st.send(
        Actor::Kernel(node),
        Actor::Kernel(dst),
        Msg::PreCopyPage { pid, page },
    );
}

/// Pre-copy ends when every page has reached the destination at least once; dirty pages are
/// copied again at the pull.
pub fn can_end_precopy(st: &Sys, cfg: &Config, node: NodeId, pid: Pid) -> bool {
    let Local::Active { out: Some(o), .. } = &st.pma(node).procs[pid as usize] else {
        return false;
    };
    let all = (1u16 << cfg.pages_max) - 1;
    !o.precopy_done && st.nodes[o.dst as usize].kernel.precopied[pid as usize] as u16 == all
}

pub fn end_precopy(st: &mut Sys, node: NodeId, pid: Pid) {
    if let Local::Active { out: Some(o), .. } = &mut st.nodes[node as usize].pma.procs[pid as usize]
    {
        o.precopy_done = true;
    }
}

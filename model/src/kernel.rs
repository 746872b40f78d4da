//! Each node's Mach kernel with DIPC and XMM (spec §2.2): task migration by receiver pull
//! (R11), page faults served by a page's home (R17), pre-copy, and task-port delivery.

use crate::config::{Config, Strategy};
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;

/// R11 at the source kernel: ship the task if it is still offered (the commit point), else
/// report the pull failed (the source PMA withdrew the offer first: R10 handshake).
pub fn on_pull_task(st: &mut Sys, cfg: &Config, node: NodeId, from: NodeId, pid: Pid, attempt: u8) {
    let offered = st.nodes[node as usize].kernel.tasks[pid as usize]
        .as_ref()
        .is_some_and(|t| t.offered && (t.attempt == attempt || !cfg.attempt_tags));
    if !offered {
        st.send(
            Actor::Kernel(node),
            Actor::Kernel(from),
            Msg::PullFailed { pid, attempt },
        );
        return;
    }
    let mut task = if cfg.mutant_is(Mutant::ResumeSourceAfterCommit) {
        let t = st.kernel_mut(node).tasks[pid as usize]
            .as_mut()
            .expect("offered");
        t.offered = false;
        t.threads = Threads::Running;
        *t
    } else {
        st.kernel_mut(node).tasks[pid as usize]
            .take()
            .expect("offered")
    };
    task.offered = false;
    // A fault in progress is restarted on the destination.
    task.faulting = None;
    task.threads = Threads::Suspended;
    let precopied = st.nodes[from as usize].kernel.precopied[pid as usize];
    for (i, home) in task.pages.iter_mut().enumerate() {
        match cfg.strategy {
            Strategy::Cor => {}
            Strategy::Eager => *home = from,
            Strategy::Precopy => {
                let bit = 1u8 << i;
                if precopied & bit != 0 && task.dirty & bit != 0 {
                    st.ghost.seen.0 |= Seen::PRECOPY_DIRTY_RECOPIED;
                }
                *home = from;
            }
            Strategy::Flush => *home = MASTER,
        }
    }
    task.dirty = 0;
    st.ghost.committed[pid as usize] = true;
    st.send(
        Actor::Kernel(node),
        Actor::Kernel(from),
        Msg::TaskState { pid, task },
    );
}

/// R11 at the destination kernel: install the task (threads suspended). Under process
/// migration the PMA continues with R12; under task-only migration (T1) the kernel resumes
/// the task and tells the PMA the process stays attached to.
pub fn on_task_state(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, mut task: Task) {
    if task.port_queue > 0 {
        // S-port-queue: file replies queued at the source arrive with the task.
        st.see(Seen::PORT_QUEUE_MOVED);
    }
    st.kernel_mut(node).precopied[pid as usize] = 0;
    let pma_node = task.pma_caps[0];
    if cfg.mode == crate::config::Mode::Task
        && st.alive(pma_node)
        && !matches!(st.pma(pma_node).procs[pid as usize], Local::Active { .. })
    {
        // T1: the process exited while its task was in transit (PM2 terminates the task
        // wherever it is; this is where it is now): it is discarded, never run.
        return;
    }
    if crate::pma::on_task_arrived(st, node, pid) {
        if cfg.mutant_is(Mutant::TaskRunsOnArrival) {
            task.threads = Threads::Running;
        }
        st.kernel_mut(node).tasks[pid as usize] = Some(task);
    } else {
        task.threads = Threads::Running;
        st.kernel_mut(node).tasks[pid as usize] = Some(task);
        st.send(
            Actor::Kernel(node),
            Actor::Pma(pma_node),
            Msg::TaskMigrated { pid, node },
        );
    }
}

pub fn on_pull_failed(st: &mut Sys, cfg: &Config, node: NodeId, pid: Pid, attempt: u8) {
    st.kernel_mut(node).precopied[pid as usize] = 0;
    crate::pma::on_pull_failed(st, cfg, node, pid, attempt);
}

/// T1 at the kernel holding the task: suspend it and offer it to the destination kernel.
pub fn on_task_migrate(st: &mut Sys, node: NodeId, pid: Pid, dst: NodeId) {
    let mut attempt = 0;
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        t.threads = Threads::Suspended;
        t.offered = true;
        t.attempt = t.attempt.wrapping_add(1);
        attempt = t.attempt;
    }
    st.send(
        Actor::Kernel(node),
        Actor::Kernel(dst),
        Msg::TaskOffer {
            pid,
            src: node,
            attempt,
        },
    );
}

/// T1 at the destination kernel: pull the offered task (receiver pull, R11).
pub fn on_task_offer(st: &mut Sys, node: NodeId, pid: Pid, src: NodeId, attempt: u8) {
    st.send(
        Actor::Kernel(node),
        Actor::Kernel(src),
        Msg::PullTask { pid, attempt },
    );
}

/// R17 at the page's home: XMM serves the page whatever became of the task here.
pub fn on_page_request(st: &mut Sys, node: NodeId, from: NodeId, pid: Pid, page: u8) {
    st.send(
        Actor::Kernel(node),
        Actor::Kernel(from),
        Msg::PageData { pid, page },
    );
}

/// R17 at the faulting kernel: the page is homed here now.
pub fn on_page_data(st: &mut Sys, node: NodeId, from: NodeId, pid: Pid, page: u8) {
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        if t.faulting == Some(page) {
            t.faulting = None;
            t.pages[page as usize] = node;
            crate::linearizability::event(st, crate::user_spec::Op::Touch { pid, page, node });
            let bit = if from == MASTER {
                Seen::FLUSH_FAULT_FROM_MASTER
            } else {
                Seen::COR_FAULT_AFTER_MIGRATION
            };
            st.see(bit);
        }
    }
}

/// Pre-copy at the destination: buffer the page (discarded if the migration fails).
pub fn on_precopy_page(st: &mut Sys, node: NodeId, pid: Pid, page: u8) {
    st.kernel_mut(node).precopied[pid as usize] |= 1 << page;
}

/// A file-server reply reaches the task's port: it queues there and travels with the task.
pub fn on_file_reply(st: &mut Sys, node: NodeId, pid: Pid) {
    if let Some(t) = st.kernel_mut(node).tasks[pid as usize].as_mut() {
        t.port_queue += 1;
    }
}

/// Delivery of a message addressed to a task port: the kernel holding the task, wherever it
/// is (DIPC). `None` while the task is in transit (the message waits) or gone (dropped).
pub fn port_holder(st: &Sys, pid: Pid) -> Option<NodeId> {
    st.task_node(pid)
}

//! Calls that finish later than they are served: `wait()` (answered when a child exits),
//! `fork()` (answered once the PM Master gives a pid), `exit()` (PM2 FinishExit) and the task
//! migration of T1 (answered when the kernel reports the task's arrival).

use super::answer::{count_migration, respond};
use crate::config::Config;
use crate::mutants::Mutant;
use crate::state::*;
use crate::types::*;

/// R4 SyscallDone for a `wait()`: a child exited.
pub fn on_child_exited(st: &mut Sys, node: NodeId, req: ReqId, child: Pid) {
    let target = st.reqs[req as usize].target;
    if let Local::Active { proc, out } = &mut st.nodes[node as usize].pma.procs[target as usize] {
        if proc.in_progress == Some(req) {
            proc.in_progress = None;
            let freezing = out.is_some();
            if freezing {
                st.see(Seen::WAIT_DELAYED_FREEZE);
            }
            st.send(Actor::Pma(node), Actor::PmMaster, Msg::Reap { pid: child });
            st.reqs[req as usize].detail = child;
            respond(st, node, req, Outcome::Ok);
        }
    }
    // Otherwise the call was aborted (R4') and will be restarted: the zombie stays.
}

/// PM3 Fork, second half: the PM Master gave a pid; the child is created here, as process
/// creation does, with a copy of the parent's open files and an address space of its own.
pub fn on_pid_allocated(
    st: &mut Sys,
    cfg: &Config,
    node: NodeId,
    req: ReqId,
    child: Option<Pid>,
    gen: u8,
) {
    let parent = st.reqs[req as usize].target;
    let Local::Active { proc, .. } = &mut st.nodes[node as usize].pma.procs[parent as usize] else {
        // A crash killed the parent while its fork() waited for the pid: the call is lost
        // with its caller (spec §5.5, `Ghost::orphaned`), and the pid goes back to the PM
        // Master unused.
        if let Some(c) = child {
            st.send(
                Actor::Pma(node),
                Actor::PmMaster,
                Msg::ForkAborted { pid: c },
            );
        }
        return;
    };
    if proc.in_progress != Some(req) {
        return;
    }
    proc.in_progress = None;
    let Some(c) = child else {
        respond(st, node, req, Outcome::Rejected);
        return;
    };
    let files = st.nodes[node as usize].kernel.tasks[parent as usize]
        .as_ref()
        .map_or(cfg.files_max, |t| t.files);
    let pma = st.pma_mut(node);
    pma.procs[c as usize] = Local::Active {
        proc: Proc {
            gen,
            ..Proc::created(true)
        },
        out: None,
    };
    pma.vprocs[c as usize] = Vproc::Local;
    let mut task = Task::created(cfg, node);
    task.files = files;
    st.kernel_mut(node).tasks[c as usize] = Some(task);
    st.emus[c as usize] = Emulator {
        outstanding: 0,
        waited: false,
        exited: false,
        forked: false,
        sigsuspended: false,
    };
    st.see(Seen::FORKED);
    st.reqs[req as usize].detail = c;
    if !cfg.mutant_is(Mutant::ForkChildNotReported) {
        st.send(
            Actor::Pma(node),
            Actor::PmMaster,
            Msg::ChildCreated { pid: c },
        );
    }
    respond(st, node, req, Outcome::Ok);
}

/// PM2 FinishExit is enabled: the process is exiting here.
pub fn can_finish_exit(st: &Sys, node: NodeId, pid: Pid) -> bool {
    matches!(&st.pma(node).procs[pid as usize], Local::Active { proc, .. } if proc.exiting)
}

/// PM2 FinishExit: the proc and task are destroyed here first, then the PM Master records the
/// zombie. In this order a parent's `wait()` can never reap (and a `fork()` reuse) a pid whose
/// proc structure still exists on some PMA (P1).
pub fn finish_exit(st: &mut Sys, node: NodeId, pid: Pid) {
    crate::crash::process_dies_here(st, node, pid, true);
    st.send(Actor::Pma(node), Actor::PmMaster, Msg::ExitNotify { pid });
}

/// T1: the kernel reports the task runs on `at` now; the process stays attached here.
pub fn on_task_migrated(st: &mut Sys, node: NodeId, pid: Pid) {
    if let Local::Active { proc, .. } = &mut st.nodes[node as usize].pma.procs[pid as usize] {
        if let Some(r) = proc.task_migrating.take() {
            proc.migrations = proc.migrations.saturating_add(1);
            count_migration(st, pid);
            respond(st, node, r, Outcome::Migrated);
        }
    }
}

//! spec §11.7 / §6.1 The safety properties P1–P10 and A1, checked inside the refimpl after
//! every event when `Config::check_invariants` is on (always in debug builds): the refimpl's
//! own assertions of the invariants, over its own data structures.

use std::collections::BTreeMap;

use crate::pma::{List, Stage};
use crate::world::{Call, ReqStatus, World};
use crate::Pid;

/// Returns the first property broken, with a sentence saying how.
pub fn check(w: &World) -> Result<(), String> {
    if let Some(v) = w.stats.violations.first() {
        return Err(v.clone());
    }
    let mut active: BTreeMap<Pid, u32> = BTreeMap::new();
    let mut arrived: BTreeMap<Pid, u32> = BTreeMap::new();
    let mut running: BTreeMap<Pid, u32> = BTreeMap::new();
    for (n, node) in w.nodes.iter().enumerate() {
        if !node.alive {
            continue;
        }
        for (pid, p) in &node.pma.procs {
            match p.list {
                List::Active => *active.entry(*pid).or_default() += 1,
                List::Incoming => {
                    if p.inc.as_ref().is_some_and(|i| i.stage >= Stage::Arrived) {
                        *arrived.entry(*pid).or_default() += 1;
                    }
                }
                List::Migrating => {
                    // P4: the copy kept on the migrating list reads as frozen.
                    if p.in_progress.is_some() || p.exiting {
                        return Err(format!("P4 freeze consistency: pid {pid} migrating at node {n} with a call in progress or exiting"));
                    }
                    if let Some(t) = node.kernel.tasks.get(pid) {
                        if !t.suspended() {
                            return Err(format!("P4 freeze consistency: pid {pid} migrating at node {n} with threads running"));
                        }
                    }
                }
            }
            // P3: an active process-mode proc has its task on this node's kernel.
            if p.list == List::Active
                && !p.task_mode
                && p.task_moving.is_none()
                && !node.kernel.tasks.contains_key(pid)
            {
                return Err(format!(
                    "P3 commit discipline: pid {pid} active at node {n} without its task"
                ));
            }
            // A1.
            if !p.rusage.consistent() {
                return Err(format!("A1 accounting: pid {pid} at node {n}"));
            }
            // P7: a process active here after migrating in process mode leaves nothing behind.
            if p.list == List::Active
                && p.out.is_none()
                && !p.task_mode
                && p.awaiting_forward.is_none()
            {
                if let Some(t) = node.kernel.tasks.get(pid) {
                    if t.emulator.pma != n {
                        return Err(format!(
                            "P7 no residual dependency: pid {pid} at node {n} still names PMA {}",
                            t.emulator.pma
                        ));
                    }
                }
                for (m, other) in w.nodes.iter().enumerate() {
                    if m == n || !other.alive {
                        continue;
                    }
                    if let Some(q) = other.pma.procs.get(pid) {
                        // Allowed: a reservation pulling from here, and the source's
                        // migrating entry until R14's Done reaches it (D restarts first).
                        let ok = q.inc.as_ref().is_some_and(|i| i.src == n)
                            || (q.list == List::Migrating
                                && q.out.as_ref().is_some_and(|o| o.dst == n));
                        if !ok {
                            return Err(format!("P7 no residual dependency: pid {pid} active at node {n} and held at node {m}"));
                        }
                    }
                }
            }
        }
        for (pid, t) in &node.kernel.tasks {
            if t.running() {
                *running.entry(*pid).or_default() += 1;
            }
        }
    }
    for (pid, a) in &active {
        let b = arrived.get(pid).copied().unwrap_or(0);
        if *a > 1 || (b > 0) {
            return Err(format!(
                "P1 pid uniqueness: pid {pid} active {a} times, {b} arrived copies"
            ));
        }
    }
    if let Some((pid, b)) = arrived.iter().find(|(_, b)| **b > 1) {
        return Err(format!(
            "P1 pid uniqueness: pid {pid} has {b} arrived copies"
        ));
    }
    // P2.
    if let Some((pid, r)) = running.iter().find(|(_, r)| **r > 1) {
        return Err(format!(
            "P2 single runnable copy: pid {pid} runnable on {r} nodes"
        ));
    }
    // P6.
    for (i, r) in w.reqs.iter().enumerate() {
        if r.handled > 1 || r.forwarded > r.queued {
            return Err(format!(
                "P6 exactly once: req {i} handled {} forwarded {} queued {}",
                r.handled, r.forwarded, r.queued
            ));
        }
    }
    // P10.
    for (pid, e) in &w.pmm.entries {
        if let Some(s) = w.pmm.snapshot.get(pid) {
            if (e.parent, e.pgrp, e.session) != *s {
                return Err(format!("P10 relationships unchanged: pid {pid}"));
            }
        }
    }
    Ok(())
}

/// P5 (runs without crashes): when the system is quiet, every request is completed, except
/// a wait() or a sigsuspend() still in progress (each waits for another process: a child's
/// exit, a signal) and calls of processes that exited.
pub fn check_p5(w: &World) -> Result<(), String> {
    if w.stats.crashes > 0 {
        return Ok(());
    }
    for (i, r) in w.reqs.iter().enumerate() {
        match r.status {
            ReqStatus::Completed(_) => {}
            ReqStatus::Lost => return Err(format!("P5 no lost requests: req {i} lost")),
            _ if matches!(r.call, Call::Wait | Call::Sigsuspend) => {}
            _ if r.call == Call::Exit => {}
            s => {
                // A request still held for a process that is alive and quiet is lost.
                let alive = w.pmm.alive(r.target);
                if alive {
                    return Err(format!(
                        "P5 no lost requests: req {i} ({:?} on pid {}) left {s:?}",
                        r.call, r.target
                    ));
                }
            }
        }
    }
    Ok(())
}

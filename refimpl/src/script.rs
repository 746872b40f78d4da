//! spec §12.8 Driving the refimpl from outside, for trace conformance (issue 4): scripted
//! processes that run no program and make only the calls a driver injects (the model's
//! `EM1` stimuli), and a chooser's view of the event queue, so that a driver can run the
//! pending events in an order of its choosing instead of the timing model's.
//!
//! Nothing here decides what the protocol does: the events run through the same handlers as
//! in a timed run. A chosen order is one that another timing profile could have produced:
//! per-channel FIFO is kept (Mach IPC between two ports, spec §4.1) and a plan's steps stay
//! in order, because a plan has only one pending step at a time.

use std::collections::BTreeSet;

use crate::emulator::Fd;
use crate::kernel::Run;
use crate::sim::Time;
use crate::workload::Program;
use crate::world::{Call, Ev, World};
use crate::{NodeId, Pid};

/// What a program did in one of its steps (spec §12.9.2): the stimulus a conformance
/// trace writes for it, as the model's process takes the same step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramDid {
    /// EM1: a process-management call.
    Call { pid: Pid, target: Pid, call: Call },
    /// FS1: a read of its open file.
    FileRead { pid: Pid },
    /// R17: a touch of a page homed on another node (a copy-on-reference fault).
    Touch { pid: Pid, page: u32 },
    /// AS1: a write of a page already pre-copied.
    Write { pid: Pid, page: u32 },
}

/// A pending event a driver may run now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The event's sequence number in the queue (stable until it runs).
    pub seq: u64,
    /// When the timing model would run it.
    pub at: Time,
}

impl World {
    /// Starts one scripted process per entry of `homes`, pid `i` on node `homes[i]`; every
    /// process but the first is a child of pid 0 (the model's initial relationships).
    pub fn load_scripted(&mut self, homes: &[NodeId]) {
        self.scripted = true;
        self.programs = vec![Program::null("scripted", Vec::new())];
        for (i, &home) in homes.iter().enumerate() {
            let pid = self.spawn_root(0, home);
            debug_assert_eq!(pid as usize, i);
            if i > 0 {
                self.pmm.register(pid, Some(0), home);
            }
        }
        self.root = 0;
    }

    /// Starts one process per entry of `homes` running its program (`programs[i]` for pid
    /// `i`; the later entries of `programs` are for children a `Spawn` names), pid `i` on
    /// node `homes[i]`, every process but the first a child of pid 0, each with a file open
    /// on the master node's file server (the model's FS1 assumption, spec §2.6). Every
    /// operation the model sees as a step of the process runs in an event of its own, and
    /// what it did is kept in `program_did` (spec §12.9.2).
    pub fn load_programs(&mut self, homes: &[NodeId], programs: Vec<Program>) {
        self.scripted = false;
        self.program_steps = true;
        self.programs = programs;
        for (i, &home) in homes.iter().enumerate() {
            let pid = self.spawn_root(i, home);
            debug_assert_eq!(pid as usize, i);
            if i > 0 {
                self.pmm.register(pid, Some(0), home);
            }
            let cap = self.nodes[crate::MASTER].fs.open(0);
            let t = self.nodes[home]
                .kernel
                .tasks
                .get_mut(&pid)
                .expect("spawned");
            t.emulator.fds.push(Fd {
                fs: crate::MASTER,
                cap,
                token: home,
            });
        }
        self.root = 0;
    }

    /// Whether the program of `pid` may take its next visible step now: always outside
    /// conformance; under it only in its own `ProgramStep` event, which is scheduled
    /// otherwise (spec §12.9.2).
    pub(crate) fn program_may(&mut self, pid: Pid) -> bool {
        if !self.program_steps {
            return true;
        }
        if self.program_turn == Some(pid) {
            self.program_turn = None;
            return true;
        }
        self.q.after(0, Ev::ProgramStep { pid });
        false
    }

    /// A program's step (spec §12.9.2): its next visible operation, if it still has one.
    pub(crate) fn program_step(&mut self, pid: Pid) {
        self.program_turn = Some(pid);
        self.run_task(pid);
        self.program_turn = None;
    }

    /// Notes what a program did in its step, under conformance.
    pub(crate) fn program_did(&mut self, did: ProgramDid) {
        if self.program_steps {
            self.program_did.push(did);
        }
    }

    /// The node where the scripted process `pid` can act now: its task is on a live node,
    /// its threads run and it waits for no page. An error says which does not hold.
    fn runnable_node(&self, pid: Pid) -> Result<NodeId, String> {
        let n = self
            .port_holder(pid)
            .ok_or_else(|| format!("pid {pid} has no task on a live node"))?;
        let t = &self.nodes[n].kernel.tasks[&pid];
        if !t.running() {
            return Err(format!("pid {pid}'s threads are suspended"));
        }
        if matches!(t.exec.run, Run::Faulting { .. }) {
            return Err(format!("pid {pid} waits for a page (R17)"));
        }
        Ok(n)
    }

    /// EM1: the scripted process `pid` makes `call` on `target` now. An error says why the
    /// process cannot (gone, in transit, threads suspended).
    pub fn inject_call(&mut self, pid: Pid, target: Pid, call: Call) -> Result<(), String> {
        let n = self.runnable_node(pid)?;
        self.issue(pid, n, target, call);
        Ok(())
    }

    /// R17: the scripted process `pid` touches page `page` of its address space now; a page
    /// homed on another live node is faulted in (copy on reference). An error says why not.
    pub fn inject_touch(&mut self, pid: Pid, page: u32) -> Result<(), String> {
        let n = self.runnable_node(pid)?;
        let t = &self.nodes[n].kernel.tasks[&pid];
        let home = *t
            .pages
            .get(page as usize)
            .ok_or_else(|| format!("pid {pid} has no page {page}"))?;
        if home == n || !self.nodes[home].alive {
            return Err(format!(
                "page {page} of pid {pid} is not homed on another live node"
            ));
        }
        self.cor_fault(pid, n, page, home);
        Ok(())
    }

    /// AS1: the scripted process `pid` writes page `page` now. A page whose pre-copy already
    /// reached the destination becomes dirty (copied again at the pull); any other write
    /// needs nothing. An error says why the process cannot write.
    pub fn inject_write(&mut self, pid: Pid, page: u32) -> Result<(), String> {
        let n = self.runnable_node(pid)?;
        let t = self.nodes[n].kernel.tasks.get_mut(&pid).expect("runnable");
        if page as usize >= t.pages.len() {
            return Err(format!("pid {pid} has no page {page}"));
        }
        if t.precopied_pages.contains(&page) && !t.dirty.contains(&page) {
            t.dirty.push(page);
        }
        Ok(())
    }

    /// Pages of `pid` whose write now would make them dirty (AS1): pre-copied in the
    /// migration in progress, not yet written since, the process running where its PMA
    /// freezes it.
    pub fn dirtiable_pages(&self, pid: Pid) -> Vec<u32> {
        let Ok(n) = self.runnable_node(pid) else {
            return Vec::new();
        };
        if !self.migrating_to_live_node(n, pid) {
            return Vec::new();
        }
        let t = &self.nodes[n].kernel.tasks[&pid];
        t.precopied_pages
            .iter()
            .copied()
            .filter(|p| !t.dirty.contains(p))
            .collect()
    }

    /// FS1: the scripted process `pid` reads an open file on the master node's file server;
    /// the reply goes to its port (and moves with the task).
    pub fn inject_file_read(&mut self, pid: Pid) -> Result<(), String> {
        let n = self.runnable_node(pid)?;
        if !self.file_reads.insert(pid) {
            return Err(format!("pid {pid} has a read outstanding"));
        }
        self.file_rpc(pid, n, crate::MASTER, 0, 0);
        Ok(())
    }

    /// The pending events a driver may run next, earliest first: every plan step and
    /// notification, and of the messages on one channel only the oldest.
    pub fn choices(&self) -> Vec<Choice> {
        let mut seen: BTreeSet<(crate::world::Ep, crate::world::Ep, u8)> = BTreeSet::new();
        let mut out = Vec::new();
        let mut pending = self.q.pending();
        // FIFO is per send order, which is the sequence number, not the arrival time.
        pending.sort_by_key(|&(_, seq, _)| seq);
        for (at, seq, ev) in pending {
            if let Ev::Deliver(m) = ev {
                if !seen.insert(self.channel(m.src, m.dst, &m.body)) {
                    continue;
                }
            }
            out.push(Choice { seq, at });
        }
        out.sort_by_key(|c| (c.at, c.seq));
        out
    }

    /// Runs the pending event `seq` now (the clock moves to its time if that is later).
    pub fn run_choice(&mut self, seq: u64) -> bool {
        match self.q.take(seq) {
            Some(ev) => {
                self.dispatch(ev);
                true
            }
            None => false,
        }
    }
}

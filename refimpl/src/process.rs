//! spec §11.4 The process's thread executing its program, and the emulator's side of system
//! calls: a process-management call is an RPC to the PMA its capability names (EM1), a file
//! operation an RPC to the file server its file capability names (FS1); a page not homed
//! here is a copy-on-reference fault (R17). A suspended thread stops between operations;
//! a computation in progress is paused and resumed.

use crate::emulator::Fd;
use crate::kernel::Run;
use crate::script::ProgramDid;
use crate::timing::{MsgKind, MsgShape};
use crate::workload::Op;
use crate::world::{Body, Call, Ep, Ev, Outcome, Sender, World};
use crate::{NodeId, Pid, ReqId};

impl World {
    pub fn ensure_calls(&mut self, pid: Pid) {
        if self.open_calls.len() <= pid as usize {
            self.open_calls.resize(pid as usize + 1, 0);
        }
    }

    /// The node holding a task that can run now (None in transit or gone).
    fn runnable_at(&self, pid: Pid) -> Option<NodeId> {
        let n = self.port_holder(pid)?;
        let t = self.nodes[n].kernel.tasks.get(&pid)?;
        t.running().then_some(n)
    }

    /// Executes operations until the thread blocks.
    pub fn run_task(&mut self, pid: Pid) {
        if self.scripted {
            // A scripted process only makes the calls injected (spec §12.8); it still
            // receives the replies its port kept while it was suspended, in an event of its
            // own, as the model's process reads them in a step after the one that resumed
            // it (a restart that read them at once ran ahead of the model: a walk of
            // `fork-file-io`, session 18).
            let queued = self
                .runnable_at(pid)
                .and_then(|n| self.nodes[n].kernel.tasks[&pid].space.ports.first())
                .is_some_and(|p| p.queued > 0);
            if queued {
                self.q.after(0, Ev::PortReceive { pid });
            }
            return;
        }
        loop {
            let Some(n) = self.runnable_at(pid) else {
                return;
            };
            let now = self.now();
            let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
            // Replies the reply port kept while the threads were suspended come first (under
            // conformance in a step of their own, as the model's ConsumeReply).
            if t.space.ports.first().is_some_and(|p| p.queued > 0) {
                if !self.program_may(pid) {
                    return;
                }
                let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
                t.space.ports[0].queued -= 1;
                self.receive_file_reply(pid, n);
                continue;
            }
            match t.exec.run {
                Run::Ready => {}
                Run::Paused { left } => {
                    t.exec.run = Run::Computing { until: now + left };
                    t.exec.gen += 1;
                    let gen = t.exec.gen;
                    self.q.after(left, Ev::ComputeDone { pid, gen });
                    self.computing_on(n, pid);
                    return;
                }
                _ => return,
            }
            let prog = t.exec.prog;
            let Some(op) = self.programs[prog].ops.get(t.exec.pc).cloned() else {
                t.exec.run = Run::Exited;
                return;
            };
            // Every operation the model sees as a step of the process takes a step of its
            // own under conformance (spec §12.9.2); computing is not one.
            let visible = matches!(
                op,
                Op::Call { .. } | Op::KillParent | Op::Spawn { .. } | Op::Wait | Op::Exit
            ) || (matches!(op, Op::Read { .. } | Op::Write { .. })
                && !t.emulator.fds.is_empty());
            if visible && !self.program_may(pid) {
                return;
            }
            let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
            match op {
                Op::Compute(d) => {
                    t.exec.run = Run::Computing { until: now + d };
                    t.exec.gen += 1;
                    let gen = t.exec.gen;
                    self.q.after(d, Ev::ComputeDone { pid, gen });
                    self.computing_on(n, pid);
                    return;
                }
                Op::Call { times } => {
                    if t.exec.rep == 0 {
                        t.exec.rep = times.max(1);
                    }
                    return self.program_issue(pid, n, pid, Call::Info);
                }
                Op::KillParent => {
                    let target = self
                        .pmm
                        .entries
                        .get(&pid)
                        .and_then(|e| e.parent)
                        .unwrap_or(pid);
                    t.exec.rep = 1;
                    return self.program_issue(pid, n, target, Call::Kill);
                }
                Op::Spawn { prog, on } => {
                    t.exec.rep = 1;
                    return self.program_issue(pid, n, pid, Call::Fork { prog, on });
                }
                Op::Wait => {
                    t.exec.rep = 1;
                    return self.program_issue(pid, n, pid, Call::Wait);
                }
                Op::Exit => {
                    t.exec.rep = 1;
                    t.exec.run = Run::InCall;
                    return self.program_issue(pid, n, pid, Call::Exit);
                }
                Op::Open { fs } => {
                    t.exec.rep = 1;
                    t.exec.run = Run::InCall;
                    return self.file_rpc(pid, n, fs, 0, 2);
                }
                Op::Close => {
                    t.exec.rep = 1;
                    match t.emulator.fds.last().map(|f| f.fs) {
                        Some(fs) => {
                            t.exec.run = Run::InCall;
                            return self.file_rpc(pid, n, fs, 0, 0);
                        }
                        None => self.advance(pid, n),
                    }
                }
                Op::Read { bytes, times } | Op::Write { bytes, times } => {
                    if t.exec.rep == 0 {
                        t.exec.rep = times.max(1);
                    }
                    let Some(fs) = t.emulator.fds.first().map(|f| f.fs) else {
                        t.exec.rep = 1;
                        self.advance(pid, n);
                        continue;
                    };
                    t.exec.run = Run::InCall;
                    if self.program_steps {
                        self.file_reads.insert(pid);
                        self.program_did(ProgramDid::FileRead { pid });
                    }
                    return self.file_rpc(pid, n, fs, bytes, 0);
                }
                Op::Alloc { pages } => {
                    t.pages.extend(std::iter::repeat_n(n, pages as usize));
                    // vm_allocate: one local kernel call; zero-fill is free at this scale.
                    let d = self.costs.kernel_call;
                    let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
                    t.exec.rep = 1;
                    t.exec.run = Run::Computing { until: now + d };
                    t.exec.gen += 1;
                    let gen = t.exec.gen;
                    self.q.after(d, Ev::ComputeDone { pid, gen });
                    self.computing_on(n, pid);
                    return;
                }
                Op::Touch { pages } => {
                    let heap = t.pages.len() as u32 - t.heap_base;
                    let want = pages.min(heap);
                    loop {
                        // AS1 (spec §3.3.2): a write dirties a pre-copied page only while the
                        // migration that copied it is under way; once it failed the copy is
                        // gone with it (found by program conformance: a write after the
                        // destination crashed marked the page dirty, a step the model's
                        // process has no counterpart for).
                        let migrating = self.migrating_to_live_node(n, pid);
                        let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
                        if t.exec.touch_next >= want {
                            break;
                        }
                        let page = t.heap_base + t.exec.touch_next;
                        let home = t.pages[page as usize];
                        let write = migrating
                            && t.precopied_pages.contains(&page)
                            && !t.dirty.contains(&page);
                        // A write of a pre-copied page and a fault are each a step of the
                        // process's own under conformance (spec §12.9.2).
                        if (write || home != n) && !self.program_may(pid) {
                            return;
                        }
                        if write {
                            let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
                            t.dirty.push(page); // AS1: written after its pre-copy
                            self.program_did(ProgramDid::Write { pid, page });
                            if self.program_steps && home != n {
                                continue; // the fault is a step of its own
                            }
                        }
                        if home != n {
                            self.program_did(ProgramDid::Touch { pid, page });
                            return self.cor_fault(pid, n, page, home);
                        }
                        let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
                        t.exec.touch_next += 1;
                    }
                    let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
                    t.exec.touch_next = 0;
                    t.exec.rep = 1;
                    self.advance(pid, n);
                }
            }
        }
    }

    /// One repetition of the current operation is done; move on when all are.
    fn advance(&mut self, pid: Pid, n: NodeId) {
        if let Some(t) = self.nodes[n].kernel.tasks.get_mut(&pid) {
            t.exec.rep = t.exec.rep.saturating_sub(1);
            if t.exec.rep == 0 {
                t.exec.pc += 1;
            }
            t.exec.run = Run::Ready;
        }
    }

    /// EM1 from a program: the call, noted as the program's step under conformance.
    fn program_issue(&mut self, pid: Pid, n: NodeId, target: Pid, call: Call) {
        self.program_did(ProgramDid::Call { pid, target, call });
        self.issue(pid, n, target, call);
    }

    /// EM1: the emulator sends a process-management call to its PMA.
    pub(crate) fn issue(&mut self, pid: Pid, n: NodeId, target: Pid, call: Call) {
        let caller = self.nodes[n].kernel.tasks[&pid].emulator.pma;
        let r = self.new_req(Sender::Proc(pid), caller, target, call);
        self.ensure_calls(pid);
        self.open_calls[pid as usize] += 1;
        let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
        t.exec.run = Run::InCall;
        t.emulator.outstanding += 1;
        let b = self.costs.syscall_bytes;
        self.send(
            Ep::Task(pid),
            Ep::Pma(caller),
            MsgKind::Rpc,
            0,
            b,
            Body::Syscall(r),
        );
    }

    /// FS1: an RPC to a file server (data inline up to 1 KB, out of line beyond).
    pub(crate) fn file_rpc(&mut self, pid: Pid, n: NodeId, fs: NodeId, bytes: u32, caps: u32) {
        let local = n == fs;
        let pages = if bytes > 1024 {
            bytes.div_ceil(crate::PAGE_BYTES)
        } else {
            0
        };
        let inline = if bytes > 1024 { 0 } else { bytes };
        let shape = MsgShape {
            kind: MsgKind::Rpc,
            local,
            caps,
            bytes: inline,
            pages,
        };
        let cost = self.costs.price(&shape);
        self.stats.count(&shape, cost);
        if !self.nodes[fs].alive {
            return;
        }
        self.system_work(n, Some(fs), &shape, cost);
        self.q.after(
            cost,
            Ev::Deliver(crate::world::Msg {
                src: Ep::Task(pid),
                dst: Ep::Fs(fs),
                body: Body::FileIo { pid, bytes },
            }),
        );
    }

    pub fn on_file_io(&mut self, dst: Ep, pid: Pid, bytes: u32) {
        let Ep::Fs(fs) = dst else { return };
        self.nodes[fs].fs.io(0, bytes);
        self.send_free(Ep::Fs(fs), Ep::Task(pid), Body::FileReply { pid });
        let _ = fs;
    }

    /// The file server's reply reaches the task's reply port (wherever the task now is). A
    /// suspended thread cannot receive it: it waits in the port's queue, which moves with the
    /// task (paper §3.1), and is received when the threads run again.
    pub fn on_file_reply(&mut self, pid: Pid) {
        let Some(n) = self.port_holder(pid) else {
            return;
        };
        let Some(t) = self.nodes[n].kernel.tasks.get_mut(&pid) else {
            return;
        };
        if !t.running() {
            if t.space.ports.is_empty() {
                t.space.ports.push(crate::kernel::Port::default());
            }
            t.space.ports[0].queued += 1;
            return;
        }
        self.receive_file_reply(pid, n);
    }

    /// Replies left in the reply port while the threads were suspended are received now.
    pub(crate) fn receive_queued_replies(&mut self, pid: Pid) {
        while let Some(n) = self.runnable_at(pid) {
            let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
            match t.space.ports.first_mut() {
                Some(port) if port.queued > 0 => port.queued -= 1,
                _ => return,
            }
            self.receive_file_reply(pid, n);
        }
    }

    fn receive_file_reply(&mut self, pid: Pid, n: NodeId) {
        if self.scripted {
            // A scripted read's reply is consumed on receipt (the model's ConsumeReply).
            self.file_reads.remove(&pid);
            return;
        }
        if self.program_steps {
            // The model's ConsumeReply: the read is over once its reply is received.
            self.file_reads.remove(&pid);
        }
        let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
        if t.exec.run != Run::InCall {
            return;
        }
        let op = self.programs[t.exec.prog].ops.get(t.exec.pc).cloned();
        match op {
            Some(Op::Open { fs }) => {
                let (pc, token) = (t.exec.pc as u32, t.emulator.pma);
                let cap = self.nodes[fs].fs.open(pc);
                self.nodes[n]
                    .kernel
                    .tasks
                    .get_mut(&pid)
                    .unwrap()
                    .emulator
                    .fds
                    .push(Fd { fs, cap, token });
            }
            Some(Op::Close) => {
                if let Some(fd) = t.emulator.fds.pop() {
                    self.nodes[fd.fs].fs.close(fd.cap);
                }
            }
            _ => {}
        }
        self.advance(pid, n);
        self.run_task(pid);
    }

    /// The answer to a process-management call reaches the emulator (or the monitor).
    pub fn on_call_reply(&mut self, dst: Ep, r: ReqId, o: Outcome) {
        match dst {
            Ep::Monitor => {
                self.pcntl_outstanding = self.pcntl_outstanding.saturating_sub(1);
                let now = self.now();
                let pid = self.reqs[r as usize].target;
                let (label, op) = match self.reqs[r as usize].call {
                    Call::Allow { allow } => ("G2-allow", crate::pma::allow::op_name(allow)),
                    _ => ("R1", "MIGRATE"),
                };
                self.trace.log(
                    now,
                    crate::MASTER,
                    label,
                    format_args!("pcntl({op}) of pid {pid} answered {o:?}"),
                );
            }
            Ep::Task(pid) => {
                let Some(n) = self.port_holder(pid) else {
                    return;
                };
                let Some(t) = self.nodes[n].kernel.tasks.get_mut(&pid) else {
                    return;
                };
                t.emulator.outstanding = t.emulator.outstanding.saturating_sub(1);
                if t.exec.run != Run::InCall {
                    return;
                }
                self.advance(pid, n);
                self.run_task(pid);
            }
            _ => {}
        }
    }

    pub fn on_compute_done(&mut self, pid: Pid, gen: u32) {
        let Some(n) = self.port_holder(pid) else {
            return;
        };
        let now = self.now();
        let Some(t) = self.nodes[n].kernel.tasks.get_mut(&pid) else {
            return;
        };
        if gen == 0 && t.exec.gen == 0 && t.exec.run == Run::Ready {
            return self.run_task(pid); // the first start of a new process
        }
        if t.exec.gen != gen {
            return;
        }
        let Run::Computing { until } = t.exec.run else {
            return;
        };
        debug_assert_eq!(until, now);
        let pma = t.emulator.pma;
        let used = match self.programs[t.exec.prog].ops.get(t.exec.pc) {
            Some(Op::Compute(d)) => *d,
            _ => 0,
        };
        self.advance(pid, n);
        if let Some(p) = self.nodes[pma].pma.procs.get_mut(&pid) {
            p.rusage.charge_compute(used);
        }
        // One computation fewer shares the node's processor (spec §11.10).
        self.reshare(n, None);
        self.run_task(pid);
    }

    /// The threads were suspended: a computation in progress pauses.
    pub fn task_suspended(&mut self, pid: Pid) {
        let now = self.now();
        let Some(n) = self.port_holder(pid) else {
            return;
        };
        let Some(t) = self.nodes[n].kernel.tasks.get_mut(&pid) else {
            return;
        };
        if let Run::Computing { until } = t.exec.run {
            let left = self.work_left(n, until);
            // The system work still ahead no longer holds this computation up (without
            // processor sharing the node is never busy).
            let unelapsed = self.cpu_busy_until[n].saturating_sub(now);
            self.stats.processor_taken = self.stats.processor_taken.saturating_sub(unelapsed);
            let t = self.nodes[n].kernel.tasks.get_mut(&pid).unwrap();
            t.exec.run = Run::Paused { left };
            t.exec.gen += 1;
            // The others on the node share its processor without it.
            self.reshare(n, None);
        }
    }
}

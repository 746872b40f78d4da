//! The byte encoding a state is fingerprinted by (spec §8.4).
//!
//! stateright fingerprints every generated state (its symmetry representative, and the state
//! itself when it is new), so `Hash for Sys` is on the checker's hottest path. Hashing field by
//! field, as derived `Hash` does, makes one hasher call per field, length and enum tag. Instead
//! the state is written as bytes into a small stack buffer that is handed to the hasher in a few
//! large slices.
//!
//! The encoding is a function of every field that `Eq` compares, and it is injective: lists
//! carry their length first, enums their tag, and each enum variant has a fixed layout, so the
//! byte string is self-delimiting and two distinct states give distinct strings (as long as
//! ids, which are below 16, stay below 255: `Option<u8>` is one byte, 0 for none). The
//! hasher sees the string cut into chunks; where it is cut depends only on the string, so
//! distinct strings still give distinct chunk sequences.

use std::hash::Hasher;

use crate::state::*;
use crate::types::*;

const BUF: usize = 256;
/// The most one item (a proc entry, a task, an envelope) writes at once.
const ITEM_MAX: usize = 64;

/// Bytes waiting for the hasher.
pub(crate) struct Enc<'a, H: Hasher> {
    h: &'a mut H,
    len: usize,
    buf: [u8; BUF],
}

/// An optional small id as one byte: 0 for none.
#[inline]
pub(crate) fn o8(x: Option<u8>) -> u8 {
    x.map_or(0, |v| v.wrapping_add(1))
}

impl<'a, H: Hasher> Enc<'a, H> {
    pub(crate) fn new(h: &'a mut H) -> Self {
        Enc {
            h,
            len: 0,
            buf: [0; BUF],
        }
    }

    /// Makes room for one item of at most `ITEM_MAX` bytes.
    #[inline]
    fn room(&mut self) {
        if self.len > BUF - ITEM_MAX {
            self.flush();
        }
    }

    #[inline]
    fn flush(&mut self) {
        self.h.write(&self.buf[..self.len]);
        self.len = 0;
    }

    /// Hands what is left to the hasher.
    pub(crate) fn finish(mut self) {
        if self.len > 0 {
            self.flush();
        }
    }

    #[inline]
    fn b(&mut self, x: u8) {
        self.buf[self.len] = x;
        self.len += 1;
    }

    #[inline]
    fn w4(&mut self, x: [u8; 4]) {
        self.buf[self.len..self.len + 4].copy_from_slice(&x);
        self.len += 4;
    }

    #[inline]
    fn w8(&mut self, x: [u8; 8]) {
        self.buf[self.len..self.len + 8].copy_from_slice(&x);
        self.len += 8;
    }

    /// A list of bytes, length first (at most `ITEM_MAX - 1` bytes).
    #[inline]
    fn list(&mut self, x: &[u8]) {
        self.b(x.len() as u8);
        self.buf[self.len..self.len + x.len()].copy_from_slice(x);
        self.len += x.len();
    }

    #[inline]
    fn bools(&mut self, x: &[bool]) {
        self.b(x.len() as u8);
        for &v in x {
            self.b(v as u8);
        }
    }

    fn proc(&mut self, p: &Proc) {
        // Destructured so that a new field cannot be forgotten here.
        let Proc {
            usage_total,
            usage_here,
            migrations,
            allowed,
            in_progress,
            exiting,
            awaiting_forward,
            ref held,
            task_migrating,
        } = *p;
        self.w8([
            usage_total,
            usage_here,
            migrations,
            allowed as u8,
            o8(in_progress),
            exiting as u8,
            o8(awaiting_forward),
            o8(task_migrating),
        ]);
        self.list(held);
    }

    fn outgoing(&mut self, o: &Outgoing) {
        let Outgoing {
            dst,
            caller,
            ref queue,
            frozen,
            precopy_done,
            attempt,
        } = *o;
        self.w4([dst, o8(caller), frozen as u8, precopy_done as u8]);
        self.b(attempt);
        self.list(queue);
    }

    fn local(&mut self, l: &Local) {
        self.room();
        match l {
            Local::Free => self.b(0),
            Local::Active { proc, out } => {
                self.b(1 + out.is_some() as u8);
                self.proc(proc);
                if let Some(o) = out {
                    self.outgoing(o);
                }
            }
            Local::Migrating { proc, out } => {
                self.b(3);
                self.proc(proc);
                self.outgoing(out);
            }
            Local::Incoming {
                proc,
                src,
                stage,
                attempt,
            } => {
                self.w4([4, *src, *stage as u8, *attempt]);
                self.proc(proc);
            }
        }
    }

    fn task(&mut self, t: &Task) {
        let Task {
            threads,
            pma_caps: [cap0, cap1],
            files,
            port_queue,
            ref pages,
            offered,
            attempt,
            faulting,
            dirty,
            reading,
        } = *t;
        self.w8([
            threads as u8,
            cap0,
            cap1,
            files,
            port_queue,
            offered as u8,
            attempt,
            o8(faulting),
        ]);
        self.b(dirty);
        self.b(reading as u8);
        self.list(pages);
    }

    fn node(&mut self, n: &Node) {
        let Node {
            alive,
            pma: Pma { procs, vprocs },
            kernel: Kernel { tasks, precopied },
        } = n;
        self.room();
        self.b(*alive as u8);
        self.b(procs.len() as u8);
        for l in procs.iter() {
            self.local(l);
        }
        self.room();
        self.b(vprocs.len() as u8);
        for v in vprocs.iter() {
            self.b(match *v {
                Vproc::Unknown => 0,
                Vproc::Local => 1,
                Vproc::Enqueue => 2,
                // Node ids are below NODES_LIMIT, so 3 + n never meets the tags above.
                Vproc::Remote(n) => 3 + n,
            });
        }
        self.b(tasks.len() as u8);
        for t in tasks.iter() {
            self.room();
            match t {
                None => self.b(0),
                Some(t) => {
                    self.b(1);
                    self.task(t);
                }
            }
        }
        self.room();
        self.list(precopied);
    }

    fn req(&mut self, r: &Req) {
        let Req {
            sender,
            target,
            call,
            caller_node,
            status,
            handled,
            forwarded,
            absent,
            queued,
        } = *r;
        let sender = match sender {
            Sender::Proc(p) => p,
            Sender::Pcntl => u8::MAX,
        };
        let (call, dst) = match call {
            Call::Signal => (0, 0),
            Call::GetInfo => (1, 0),
            Call::Wait => (2, 0),
            Call::Exit => (3, 0),
            Call::Fork => (4, 0),
            Call::Migrate { dst } => (5, dst),
        };
        let (status, at) = match status {
            ReqStatus::Routing => (0, 0),
            ReqStatus::Queued { node } => (1, node),
            ReqStatus::InProgress { node } => (2, node),
            ReqStatus::Completed(o) => (3, o as u8),
            ReqStatus::Lost => (4, 0),
        };
        self.w8([sender, target, call, dst, caller_node, status, at, handled]);
        self.w4([forwarded, absent, queued, 0]);
    }

    fn actor(a: Actor) -> [u8; 2] {
        match a {
            Actor::Pma(n) => [0, n],
            Actor::Kernel(n) => [1, n],
            Actor::PmMaster => [2, 0],
            Actor::FileServer => [3, 0],
            Actor::Port(p) => [4, p],
            Actor::Pcntl => [5, 0],
        }
    }

    fn envelope(&mut self, e: &Envelope) {
        self.room();
        let [s0, s1] = Self::actor(e.src);
        let [d0, d1] = Self::actor(e.dst);
        // Every variant: its tag and up to three one-byte fields in one word; the variants
        // with more (an image, a request list, a task) append a fixed layout after it.
        let (tag, a, b, c) = match e.msg {
            Msg::Syscall { req } => (0, req, 0, 0),
            Msg::Request { req } => (1, req, 0, 0),
            Msg::Reply { req, outcome } => (2, req, outcome as u8, 0),
            Msg::AbsentProcess { req } => (3, req, 0, 0),
            Msg::Relookup { req } => (4, req, 0, 0),
            Msg::Located { req, node } => (5, req, o8(node), 0),
            Msg::MigrateRequest { pid, attempt, .. } => (6, pid, attempt, 0),
            Msg::Refused { pid, attempt } => (7, pid, attempt, 0),
            Msg::Done { pid } => (8, pid, 0, 0),
            Msg::Forward { pid, .. } => (9, pid, 0, 0),
            Msg::PullTask { pid, attempt } => (10, pid, attempt, 0),
            Msg::TaskState { pid, .. } => (11, pid, 0, 0),
            Msg::PullFailed { pid, attempt } => (12, pid, attempt, 0),
            Msg::TaskMigrate { pid, dst } => (13, pid, dst, 0),
            Msg::TaskOffer { pid, src, attempt } => (14, pid, src, attempt),
            Msg::TaskMigrated { pid, node } => (15, pid, node, 0),
            Msg::LocationUpdate { pid, node } => (16, pid, node, 0),
            Msg::LocationAck { pid, dead } => (17, pid, dead as u8, 0),
            Msg::WaitChild { req, parent } => (18, req, parent, 0),
            Msg::ChildExited { req, child } => (19, req, child, 0),
            Msg::Reap { pid } => (20, pid, 0, 0),
            Msg::AllocPid { req, parent } => (21, req, parent, 0),
            Msg::PidAllocated { req, child } => (22, req, o8(child), 0),
            Msg::CleanedUp { pid } => (23, pid, 0, 0),
            Msg::ChildCreated { pid } => (24, pid, 0, 0),
            Msg::ExitNotify { pid } => (25, pid, 0, 0),
            Msg::ProcessDied { pid } => (26, pid, 0, 0),
            Msg::PageRequest { pid, page } => (27, pid, page, 0),
            Msg::PageData { pid, page } => (28, pid, page, 0),
            Msg::PreCopyPage { pid, page } => (29, pid, page, 0),
            Msg::FileRead { pid } => (30, pid, 0, 0),
            Msg::FileReply { pid } => (31, pid, 0, 0),
        };
        self.w8([s0, s1, d0, d1, tag, a, b, c]);
        match &e.msg {
            Msg::MigrateRequest { image, .. } => {
                let ProcImage {
                    usage_total,
                    migrations,
                    allowed,
                    in_progress,
                    exiting,
                    threads_suspended,
                } = *image;
                self.w8([
                    usage_total,
                    migrations,
                    allowed as u8,
                    o8(in_progress),
                    exiting as u8,
                    threads_suspended as u8,
                    0,
                    0,
                ]);
            }
            Msg::Forward { reqs, .. } => self.list(reqs),
            Msg::TaskState { task, .. } => self.task(task),
            _ => {}
        }
    }

    /// The whole state.
    pub(crate) fn sys(&mut self, s: &Sys) {
        let Sys {
            nodes,
            pmm:
                PmMaster {
                    pids,
                    waiters,
                    buried,
                },
            emus,
            reqs,
            pcntl_issued,
            pcntl_outstanding,
            calls_issued,
            crashes,
            net,
            ghost,
        } = s;
        self.b(nodes.len() as u8);
        for n in nodes {
            self.node(n);
        }

        self.room();
        self.b(pids.len() as u8);
        for e in pids {
            let PmEntry {
                life,
                node,
                parent,
                pgrp,
                session,
                cleanup_at,
            } = *e;
            let life = match life {
                Life::Unborn => 0,
                Life::Embryo => 1,
                Life::Alive => 2,
                Life::Zombie => 3,
                Life::Dead => 4,
            };
            self.w8([life, node, o8(parent), pgrp, session, o8(cleanup_at), 0, 0]);
        }
        self.room();
        self.b(waiters.len() as u8);
        for &(r, p, n) in waiters {
            self.b(r);
            self.b(p);
            self.b(n);
        }
        self.list(buried);

        self.room();
        self.b(emus.len() as u8);
        for e in emus {
            let Emulator {
                outstanding,
                waited,
                exited,
                forked,
            } = *e;
            self.w4([outstanding, waited as u8, exited as u8, forked as u8]);
        }
        self.w4([*pcntl_issued, *pcntl_outstanding, *calls_issued, *crashes]);
        self.b(reqs.len() as u8);
        for r in reqs {
            self.room();
            self.req(r);
        }

        self.room();
        // The network may be longer than 255 messages only beyond any valid queue_len_max;
        // two bytes keep it exact anyway.
        let n = net.len() as u16;
        self.w4([n as u8, (n >> 8) as u8, 0, 0]);
        for e in net {
            self.envelope(e);
        }

        self.room();
        let Ghost {
            usage,
            migrations,
            committed,
            c4_marked,
            p5_misrouted,
            p8_check,
            p9_broken,
            p1_reused,
            p11_broken,
            seen,
            relationships,
        } = ghost;
        self.list(usage);
        self.list(migrations);
        self.bools(committed);
        self.room();
        let (p8, [p8a, p8b, p8c, p8d]) = match *p8_check {
            None => (0, [0; 4]),
            Some((p, s, d, a)) => (1, [p, s, d, a]),
        };
        self.w8([
            *c4_marked,
            *p5_misrouted as u8,
            *p9_broken as u8,
            *p1_reused as u8,
            *p11_broken as u8,
            p8,
            0,
            0,
        ]);
        self.w4([p8a, p8b, p8c, p8d]);
        self.w4(seen.0.to_le_bytes());
        self.b(relationships.len() as u8);
        for &(parent, pgrp, session) in relationships {
            self.b(o8(parent));
            self.b(pgrp);
            self.b(session);
        }
    }
}

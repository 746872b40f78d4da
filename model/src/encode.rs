//! The words a state is fingerprinted by (spec §8.4).
//!
//! stateright fingerprints every generated state (its symmetry representative, and the state
//! itself when it is new), so `Hash for Sys` is on the checker's hottest path. Hashing field by
//! field, as derived `Hash` does, makes one hasher call per field, length and enum tag. Instead
//! the state is packed into 64-bit words, eight one-byte fields each, and the hasher gets one
//! `write_u64` per word.
//!
//! The encoding is a function of every field that `Eq` compares, and it is injective: each
//! list's length and each enum's tag come before what depends on them, and each variant has a
//! fixed layout, so the word sequence can be decoded back into the state. Two conventions keep
//! it short, both exact:
//! - a `FixedVec` is written with all its slots (`FixedVec::slots`): slots beyond the length
//!   always hold the default, so they carry no information but cost nothing to skip;
//! - an `Option` of a small id is one byte, 0 for none and `id + 1` otherwise. Every id is
//!   below 16 (nodes, pids, pages, requests, attempts of a bounded run), far from 255.
//!
//! The layout below assumes the capacities of `state.rs` (3 pids, 3 pages, 4 nodes, 8 queued
//! requests); the assertions make a change there fail to compile rather than silently
//! truncate the encoding.

use std::hash::Hasher;

use crate::state::*;
use crate::types::*;

const _: () = assert!(PIDS_CAP == 3 && PAGES_CAP == 3 && NODES_CAP == 4);
const _: () = assert!(crate::config::REQUESTS_LIMIT == 8);

/// An optional small id as one byte: 0 for none.
#[inline]
pub(crate) fn o8(x: Option<u8>) -> u8 {
    x.map_or(0, |v| v.wrapping_add(1))
}

#[inline]
fn w(b: [u8; 8]) -> u64 {
    u64::from_le_bytes(b)
}

#[inline]
fn local_tag(l: &Local) -> u8 {
    match l {
        Local::Free => 0,
        Local::Active { out: None, .. } => 1,
        Local::Active { out: Some(_), .. } => 2,
        Local::Migrating { .. } => 3,
        Local::Incoming { .. } => 4,
    }
}

#[inline]
fn vproc_byte(v: Vproc) -> u8 {
    match v {
        Vproc::Unknown => 0,
        Vproc::Local => 1,
        Vproc::Enqueue => 2,
        // Node ids are below NODES_LIMIT, so 3 + n never meets the tags above.
        Vproc::Remote(n) => 3 + n,
    }
}

#[inline]
fn proc_word(p: &Proc) -> u64 {
    // Destructured so that a new field cannot be forgotten here; `held` goes with the
    // variant's own word (`local`).
    let Proc {
        usage_total,
        usage_here,
        migrations,
        allowed,
        in_progress,
        exiting,
        awaiting_forward,
        held: _,
        task_migrating,
        gen,
        source_queue_lost,
        sig_pending,
    } = *p;
    // The incarnation shares a byte with the two flags: a pid is given at most once per
    // call (`requests_max` ≤ 16), so it stays below 64. C4's mark shares `exiting`'s byte.
    w([
        usage_total,
        usage_here,
        migrations,
        allowed as u8 | (gen << 2),
        o8(in_progress),
        exiting as u8 | (source_queue_lost as u8) << 1 | (sig_pending as u8) << 2,
        o8(awaiting_forward),
        o8(task_migrating),
    ])
}

/// A request list's slots as one word (its length goes elsewhere).
#[inline]
fn reqs_word(l: &ReqList) -> u64 {
    w(*l.slots())
}

/// A proc entry's payload (its tag is in the node's header word).
#[inline]
fn local<H: Hasher>(h: &mut H, l: &Local) {
    let (proc, out, extra) = match l {
        Local::Free => return,
        Local::Active { proc, out } => (proc, out.as_ref(), [0; 3]),
        Local::Migrating { proc, out } => (proc, Some(out), [0; 3]),
        Local::Incoming {
            proc,
            src,
            stage,
            attempt,
        } => (proc, None, [*src, *stage as u8, *attempt]),
    };
    h.write_u64(proc_word(proc));
    h.write_u64(reqs_word(&proc.held));
    match out {
        None => h.write_u64(w([
            proc.held.len() as u8,
            extra[0],
            extra[1],
            extra[2],
            0,
            0,
            0,
            0,
        ])),
        Some(o) => {
            let Outgoing {
                dst,
                caller,
                ref queue,
                frozen,
                precopy_done,
                attempt,
            } = *o;
            h.write_u64(w([
                proc.held.len() as u8,
                dst,
                o8(caller),
                frozen as u8,
                precopy_done as u8,
                attempt,
                queue.len() as u8,
                0,
            ]));
            h.write_u64(reqs_word(queue));
        }
    }
}

#[inline]
fn task<H: Hasher>(h: &mut H, t: &Task) {
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
    let [pg0, pg1, pg2] = *pages.slots();
    h.write_u64(w([
        threads as u8,
        cap0,
        cap1,
        files,
        port_queue,
        offered as u8,
        attempt,
        o8(faulting),
    ]));
    h.write_u64(w([
        dirty,
        reading as u8,
        pages.len() as u8,
        pg0,
        pg1,
        pg2,
        0,
        0,
    ]));
}

fn node<H: Hasher>(h: &mut H, n: &Node) {
    let Node {
        alive,
        pma: Pma { procs, vprocs },
        kernel: Kernel { tasks, precopied },
    } = n;
    let [pc0, pc1, pc2] = *precopied.slots();
    h.write_u64(w([
        *alive as u8,
        procs.len() as u8,
        vprocs.len() as u8,
        tasks.len() as u8,
        precopied.len() as u8,
        pc0,
        pc1,
        pc2,
    ]));
    let [l0, l1, l2] = procs.slots();
    let [v0, v1, v2] = *vprocs.slots();
    let [t0, t1, t2] = tasks.slots();
    h.write_u64(w([
        local_tag(l0),
        local_tag(l1),
        local_tag(l2),
        vproc_byte(v0),
        vproc_byte(v1),
        vproc_byte(v2),
        t0.is_some() as u8 | (t1.is_some() as u8) << 1 | (t2.is_some() as u8) << 2,
        0,
    ]));
    for l in [l0, l1, l2] {
        local(h, l);
    }
    for t in [t0, t1, t2].into_iter().flatten() {
        task(h, t);
    }
}

fn req<H: Hasher>(h: &mut H, r: &Req) {
    let (a, [forwarded, absent, queued, detail]) = r.packed();
    h.write_u64(w(a));
    h.write_u64(w([forwarded, absent, queued, detail, 0, 0, 0, 0]));
}

#[inline]
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

fn envelope<H: Hasher>(h: &mut H, e: &Envelope) {
    let [s0, s1] = actor(e.src);
    let [d0, d1] = actor(e.dst);
    // Every variant: its tag and up to three one-byte fields in one word; the variants with
    // more (an image, a request list, a task) add a fixed number of words after it.
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
        Msg::Forward { pid, reqs } => (9, pid, reqs.len() as u8, 0),
        Msg::PullTask { pid, attempt } => (10, pid, attempt, 0),
        Msg::TaskState { pid, .. } => (11, pid, 0, 0),
        Msg::PullFailed { pid, attempt } => (12, pid, attempt, 0),
        Msg::TaskMigrate { pid, dst } => (13, pid, dst, 0),
        Msg::TaskOffer { pid, src, attempt } => (14, pid, src, attempt),
        Msg::TaskMigrated { pid, node } => (15, pid, node, 0),
        Msg::LocationUpdate { pid, node, gen } => (16, pid, node, gen),
        Msg::LocationAck { pid, dead } => (17, pid, dead as u8, 0),
        Msg::WaitChild { req, parent } => (18, req, parent, 0),
        Msg::ChildExited { req, child } => (19, req, child, 0),
        Msg::Reap { pid } => (20, pid, 0, 0),
        Msg::AllocPid { req, parent } => (21, req, parent, 0),
        Msg::PidAllocated { req, child, gen } => (22, req, o8(child), gen),
        Msg::CleanedUp { pid } => (23, pid, 0, 0),
        Msg::ChildCreated { pid } => (24, pid, 0, 0),
        Msg::ExitNotify { pid } => (25, pid, 0, 0),
        Msg::ProcessDied { pid, gen } => (26, pid, gen, 0),
        Msg::PageRequest { pid, page } => (27, pid, page, 0),
        Msg::PageData { pid, page } => (28, pid, page, 0),
        Msg::PreCopyPage { pid, page } => (29, pid, page, 0),
        Msg::FileRead { pid } => (30, pid, 0, 0),
        Msg::FileReply { pid } => (31, pid, 0, 0),
        Msg::ForkAborted { pid } => (32, pid, 0, 0),
        Msg::GroupMigrate { leader, dst } => (33, leader, dst, 0),
        Msg::MemberMigrate { pid, dst } => (34, pid, dst, 0),
        Msg::GroupStep { pid } => (35, pid, 0, 0),
    };
    h.write_u64(w([s0, s1, d0, d1, tag, a, b, c]));
    match &e.msg {
        Msg::MigrateRequest { image, .. } => {
            let ProcImage {
                usage_total,
                migrations,
                allowed,
                in_progress,
                exiting,
                threads_suspended,
                gen,
                sig_pending,
            } = *image;
            h.write_u64(w([
                usage_total,
                migrations,
                allowed as u8,
                o8(in_progress),
                exiting as u8,
                threads_suspended as u8,
                gen,
                sig_pending as u8,
            ]));
        }
        Msg::Forward { reqs, .. } => h.write_u64(reqs_word(reqs)),
        Msg::TaskState { task: t, .. } => task(h, t),
        _ => {}
    }
}

/// The whole state.
pub(crate) fn sys<H: Hasher>(h: &mut H, s: &Sys) {
    let Sys {
        nodes,
        pmm:
            PmMaster {
                pids,
                waiters,
                buried,
                group,
            },
        emus,
        reqs,
        pcntl_issued,
        pcntl_outstanding,
        calls_issued,
        crashes,
        net,
        ghost,
        u1: monitor,
        // Constants of the run (`Config::channels_per_port`, `done_on_vproc_port`): they tell
        // no two states of one run apart, so they are not written.
        channels_per_port: _,
        done_on_vproc_port: _,
    } = s;
    // Lengths and counters first: everything after has a layout fixed by them.
    let n = net.len() as u16;
    let [b0, b1, b2, b3] = *buried.slots();
    h.write_u64(w([
        nodes.len() as u8,
        pids.len() as u8,
        waiters.len() as u8,
        buried.len() as u8,
        emus.len() as u8,
        reqs.len() as u8,
        n as u8,
        (n >> 8) as u8,
    ]));
    h.write_u64(w([
        *pcntl_issued,
        *pcntl_outstanding,
        *calls_issued,
        *crashes,
        b0,
        b1,
        b2,
        b3,
    ]));
    for nd in nodes.iter() {
        node(h, nd);
    }
    for e in pids.iter() {
        let PmEntry {
            life,
            node,
            parent,
            pgrp,
            session,
            cleanup_at,
            gen,
        } = *e;
        let life = match life {
            Life::Unborn => 0,
            Life::Embryo => 1,
            Life::Alive => 2,
            Life::Zombie => 3,
            Life::Dead => 4,
        };
        h.write_u64(w([
            life,
            node,
            o8(parent),
            pgrp,
            session,
            o8(cleanup_at),
            gen,
            0,
        ]));
    }
    for &(r, p, n) in waiters.iter() {
        h.write_u64(w([r, p, n, 0, 0, 0, 0, 0]));
    }
    if let Some(GroupChain {
        dst,
        current,
        at,
        rest,
    }) = *group
    {
        h.write_u64(w([1, dst, current, at, rest, 0, 0, 0]));
    } else {
        h.write_u64(0);
    }
    for e in emus.iter() {
        let Emulator {
            outstanding,
            waited,
            exited,
            forked,
            sigsuspended,
        } = *e;
        h.write_u64(w([
            outstanding,
            waited as u8,
            exited as u8,
            forked as u8,
            sigsuspended as u8,
            0,
            0,
            0,
        ]));
    }
    for r in reqs.iter() {
        req(h, r);
    }
    for e in net {
        envelope(h, e);
    }

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
        p5_dropped,
        vanished,
        orphaned,
        moves,
        l2_broken,
        p14_broken,
        seen,
        relationships,
        group_src,
    } = ghost;
    let [u0, u1, u2] = *usage.slots();
    let [m0, m1, m2] = *migrations.slots();
    let [c0, c1, c2] = *committed.slots();
    h.write_u64(w([
        usage.len() as u8,
        u0,
        u1,
        u2,
        migrations.len() as u8,
        m0,
        m1,
        m2,
    ]));
    h.write_u64(w([
        committed.len() as u8,
        c0 as u8,
        c1 as u8,
        c2 as u8,
        *c4_marked,
        *p5_misrouted as u8,
        *p9_broken as u8,
        *p1_reused as u8,
    ]));
    let (p8, [p8a, p8b, p8c, p8d]) = match *p8_check {
        None => (0, [0; 4]),
        Some((p, s, d, a)) => (1, [p, s, d, a]),
    };
    h.write_u64(w([
        *p11_broken as u8,
        p8,
        p8a,
        p8b,
        p8c,
        p8d,
        relationships.len() as u8,
        0,
    ]));
    let [r0, r1, r2] = *relationships.slots();
    let [s0, s1, s2, s3] = seen.0.to_le_bytes();
    h.write_u64(w([s0, s1, s2, s3, o8(r0.0), r0.1, r0.2, o8(r1.0)]));
    let [or0, or1] = orphaned.to_le_bytes();
    h.write_u64(w([r1.1, r1.2, o8(r2.0), r2.1, r2.2, or0, or1, 0]));
    let [v0, v1] = vanished.to_le_bytes();
    let [mv0, mv1, mv2] = *moves.slots();
    h.write_u64(w([
        *p5_dropped as u8,
        *l2_broken as u8,
        *p14_broken as u8,
        v0,
        v1,
        moves.len() as u8,
        mv0,
        mv1,
    ]));
    h.write_u64(w([mv2, o8(*group_src), 0, 0, 0, 0, 0, 0]));
    // The U1 frontier (spec §13.4), by its digest: a 64-bit hash of the configurations,
    // computed when they change (a collision is as likely as one of the fingerprints).
    let crate::linearizability::U1 {
        frontier,
        pending,
        group_dst,
        digest,
    } = monitor;
    let [g0, g1, g2] = *group_dst;
    let [pa, pb] = pending.to_le_bytes();
    h.write_u64(w([
        frontier.len() as u8,
        (frontier.len() >> 8) as u8,
        pa,
        pb,
        g0,
        g1,
        g2,
        0,
    ]));
    h.write_u64(*digest);
}

// The encoding's injectivity is tested on reachable states, together with the symmetry
// reduction, by `osfmig_tests::assert_reductions_sound` (tests/tests/spec_8_configuration.rs
// and the mutation oracle).

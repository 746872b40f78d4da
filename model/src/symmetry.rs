//! Symmetry reduction over the test nodes (spec §8.3). The master node is special (PM Master,
//! file server, `pcntl` caller); the test nodes are interchangeable, so a state and the same
//! state with test nodes renamed behave alike. The representative sorts the test nodes by
//! their local state and renames every node reference accordingly. stateright honours it with
//! DFS only.

use crate::state::*;
use crate::types::*;

fn r(map: &[NodeId], n: NodeId) -> NodeId {
    map[n as usize]
}

fn rename_actor(map: &[NodeId], a: Actor) -> Actor {
    match a {
        Actor::Pma(n) => Actor::Pma(r(map, n)),
        Actor::Kernel(n) => Actor::Kernel(r(map, n)),
        other => other,
    }
}

fn rename_task(map: &[NodeId], t: &mut Task) {
    for c in t.pma_caps.iter_mut() {
        *c = r(map, *c);
    }
    for p in t.pages.iter_mut() {
        *p = r(map, *p);
    }
}

fn rename_status(map: &[NodeId], s: &mut ReqStatus) {
    match s {
        ReqStatus::Queued { node } | ReqStatus::InProgress { node } => *node = r(map, *node),
        _ => {}
    }
}

fn rename_msg(map: &[NodeId], m: &mut Msg) {
    match m {
        Msg::Located { node: Some(n), .. } => *n = r(map, *n),
        Msg::TaskMigrate { dst, .. }
        | Msg::GroupMigrate { dst, .. }
        | Msg::MemberMigrate { dst, .. } => *dst = r(map, *dst),
        Msg::TaskOffer { src, .. } => *src = r(map, *src),
        Msg::TaskMigrated { node, .. } | Msg::LocationUpdate { node, .. } => *node = r(map, *node),
        Msg::TaskState { task, .. } => rename_task(map, task),
        _ => {}
    }
}

/// The state with node `i` renamed `map[i]` everywhere.
pub fn rename_nodes(st: &Sys, map: &[NodeId]) -> Sys {
    let mut out = st.clone();
    for (old, node) in st.nodes.iter().enumerate() {
        out.nodes[map[old] as usize] = *node;
    }
    for node in out.nodes.iter_mut() {
        for t in node.kernel.tasks.iter_mut().flatten() {
            rename_task(map, t);
        }
        for l in node.pma.procs.iter_mut() {
            if let Local::Active { proc, .. } = l {
                proc.awaiting_forward = proc.awaiting_forward.map(|n| r(map, n));
            }
            match l {
                Local::Active { out: Some(o), .. } => o.dst = r(map, o.dst),
                Local::Migrating { out, .. } => out.dst = r(map, out.dst),
                Local::Incoming { src, .. } => *src = r(map, *src),
                _ => {}
            }
        }
        for v in node.pma.vprocs.iter_mut() {
            if let Vproc::Remote(n) = v {
                *n = r(map, *n);
            }
        }
    }
    for e in out.pmm.pids.iter_mut() {
        e.node = r(map, e.node);
        e.cleanup_at = e.cleanup_at.map(|n| r(map, n));
    }
    for w in out.pmm.waiters.iter_mut() {
        w.2 = r(map, w.2);
    }
    for b in out.pmm.buried.iter_mut() {
        *b = r(map, *b);
    }
    out.pmm.buried.sort_unstable();
    if let Some(g) = &mut out.pmm.group {
        g.dst = r(map, g.dst);
        g.at = r(map, g.at);
    }
    for q in out.reqs.iter_mut() {
        q.caller_node = r(map, q.caller_node);
        rename_status(map, &mut q.status);
        if let Call::Migrate { dst } = &mut q.call {
            *dst = r(map, *dst);
        }
    }
    for e in out.net.iter_mut() {
        e.src = rename_actor(map, e.src);
        e.dst = rename_actor(map, e.dst);
        rename_msg(map, &mut e.msg);
    }
    // Keep the network sorted by channel; the stable sort keeps each channel's FIFO order.
    let mut net = std::mem::take(&mut out.net);
    net.sort_by_key(|e| out.channel(e));
    out.net = net;
    out.ghost.group_src = out.ghost.group_src.map(|n| r(map, n));
    if let Some((_, s, d, _)) = &mut out.ghost.p8_check {
        *s = r(map, *s);
        *d = r(map, *d);
    }
    rename_u1(map, &mut out.u1);
    out
}

/// A node bit set with node `i` renamed `map[i]`.
fn rename_bits(map: &[NodeId], bits: u8) -> u8 {
    (0..map.len())
        .filter(|&i| bits & (1 << i) != 0)
        .fold(0, |acc, i| acc | 1 << map[i])
}

/// The U1 frontier (spec §13.4) names nodes in every configuration: where each process runs
/// and is attached, the nodes it depends on, the crashed nodes, the G1 destinations.
///
/// Renaming a frontier means sorting and digesting it again, and many states share one
/// frontier: the renamed frontier is remembered per thread, by the original's digest and the
/// renaming (a digest collision is as likely as a fingerprint collision, which the checker
/// already accepts; spec §8.4).
fn rename_u1(map: &[NodeId], u: &mut crate::linearizability::U1) {
    use crate::linearizability::{memoised, Memo};
    thread_local! {
        static RENAMED: Memo<(u64, usize, [NodeId; NODES_CAP])> = Memo::default();
    }
    for d in u.group_dst.iter_mut() {
        *d = r(map, *d);
    }
    let mut m = [0; NODES_CAP];
    m[..map.len()].copy_from_slice(map);
    let key = (u.digest, u.frontier.len(), m);
    memoised(&RENAMED, key, u, |u| {
        let mut v: Vec<_> = u.frontier.to_vec();
        for c in v.iter_mut() {
            c.spec.crashed = rename_bits(map, c.spec.crashed);
            for e in c.spec.procs.iter_mut() {
                e.node = r(map, e.node);
                e.home = r(map, e.home);
                for p in e.pages.iter_mut() {
                    *p = r(map, *p);
                }
            }
        }
        u.set(v);
    });
}

/// The representative of a state's symmetry class: test nodes ordered by their local state.
///
/// Called on every generated state, so it allocates nothing beyond the returned state: when
/// the test nodes are already in order (the stable sort would keep them), the state is its own
/// representative and is only cloned.
pub fn representative(st: &Sys) -> Sys {
    let n = st.nodes.len();
    if n == 3 {
        // Two test nodes (the usual case): one comparison decides, as the stable sort would.
        return if st.nodes[1] <= st.nodes[2] {
            st.clone()
        } else {
            rename_nodes(st, &[0, 2, 1])
        };
    }
    let tests = &st.nodes[1.min(n)..];
    if tests.windows(2).all(|w| w[0] <= w[1]) {
        return st.clone();
    }
    let mut order = [0usize; NODES_CAP];
    for (i, o) in order.iter_mut().enumerate().take(n - 1) {
        *o = i + 1;
    }
    // Stable, as before: equal test nodes keep their relative order.
    order[..n - 1].sort_by(|&a, &b| st.nodes[a].cmp(&st.nodes[b]));
    let mut map = [0 as NodeId; NODES_CAP];
    for (new, &old) in order[..n - 1].iter().enumerate() {
        map[old] = (new + 1) as NodeId;
    }
    rename_nodes(st, &map[..n])
}

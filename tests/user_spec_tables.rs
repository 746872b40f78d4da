//! The user-level specification's own answers (spec §13.1-§13.3), shared by the mutation
//! oracle: the tables of spec §13.2 and §13.3 as examples, valid and not, and the single-node
//! answer (`SequentialSpec::invoke`) checked against the table on random walks.

use osfmig_model::user_spec::{Op, ProcTable, Ret};
use osfmig_model::Config;
use stateright::semantics::SequentialSpec;

use crate::u1_histories::cfg;

/// Checks spec §13.1's single-node answer on random walks of the process table under several
/// configurations: for every call, the answer `invoke` gives is one `is_valid_step` accepts,
/// with the same effect. Environment events (crashes, deaths, page moves) and file reads are
/// applied when valid, so that the walks reach crashed nodes, dead and collectable processes.
/// Returns how many calls were checked.
pub fn assert_single_node_answers_valid(steps: u32) -> usize {
    use osfmig_model::config::{Mode, Strategy};
    let configs = [
        cfg(),
        Config {
            mode: Mode::Task,
            ..cfg()
        },
        Config {
            strategy: Strategy::Flush,
            pages_max: 2,
            crashes_max: 1,
            ..cfg()
        },
        Config {
            strategy: Strategy::Eager,
            abandon: true,
            refusals: true,
            nodes_max: 4,
            ..cfg()
        },
    ];
    let mut checked = 0;
    let mut seed = 0x9E37_79B9u32;
    for c in &configs {
        let mut t = ProcTable::initial(c);
        let n = c.nodes_max;
        let mut ops = Vec::new();
        for p in 0..c.pids() {
            ops.extend([
                Op::Signal { target: p },
                Op::GetInfo { pid: p },
                Op::Wait { parent: p },
                Op::Exit { pid: p },
                Op::Fork { parent: p },
                Op::FileRead { pid: p },
                Op::Die { pid: p },
            ]);
            for node in 0..n {
                ops.push(Op::Migrate { pid: p, dst: node });
                for page in 0..c.pages_max {
                    ops.push(Op::Touch { pid: p, page, node });
                }
            }
        }
        ops.extend((1..n).flat_map(|node| {
            [
                Op::Crash { node, queued: 0 },
                Op::Crash { node, queued: 0b10 },
            ]
        }));
        for step in 0..steps {
            // Walks start afresh every few steps: crashes, deaths and exits soon leave nothing
            // alive, and the answers worth checking are those of a table with live processes,
            // children and zombies side by side.
            if step % 24 == 0 {
                t = ProcTable::initial(c);
            }
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let op = ops[(seed >> 8) as usize % ops.len()];
            let call = !matches!(
                op,
                Op::Crash { .. } | Op::Die { .. } | Op::Touch { .. } | Op::FileRead { .. }
            );
            if call {
                let mut after = t;
                let ret = after.invoke(&op);
                let mut check = t;
                if !check.is_valid_step(&op, &ret) {
                    // Only a wait() with live children and no zombie may have no valid
                    // answer: it blocks (spec §13.1).
                    let blocks = matches!(op, Op::Wait { parent } if (0..c.pids()).any(|k| {
                        t.procs[k as usize].parent == Some(parent)
                            && t.procs[k as usize].life == osfmig_model::user_spec::Life::Alive
                    })) && (0..c.pids()).map(Some).chain([None]).all(|z| {
                        let mut u = t;
                        !u.is_valid_step(&op, &Ret::Waited(z))
                    });
                    assert!(
                        blocks,
                        "{op:?} answered {ret:?}, which the table rejects, in {t:?}"
                    );
                    continue;
                }
                assert!(
                    check == after,
                    "{op:?}: invoke and is_valid_step differ in effect"
                );
                t = after;
                checked += 1;
            } else {
                let mut next = t;
                if next.is_valid_step(&op, &Ret::Ok) {
                    t = next;
                }
            }
        }
    }
    checked
}

/// Spec §13.2's and §13.3's tables as examples: from the table of a configuration, after some
/// answers, whether an answer to an operation is valid. Each example names the table row it
/// comes from. Returns how many answers were judged.
pub fn assert_user_spec_examples() -> usize {
    use osfmig_model::config::{Mode, Strategy};
    use Op::*;
    use Ret::*;
    // Two processes on node 1 (pid 1 a child of pid 0), one fork() slot, nodes 0-2.
    let base = cfg();
    let with = |f: &dyn Fn(&mut Config)| {
        let mut c = cfg();
        f(&mut c);
        c
    };
    let after = |c: &Config, steps: &[(Op, Ret)]| {
        let mut t = ProcTable::initial(c);
        for (op, ret) in steps {
            assert!(
                t.is_valid_step(op, ret),
                "set-up step {op:?} -> {ret:?} rejected"
            );
        }
        t
    };
    // (row, configuration, set-up answers, operation, answer, busy, valid)
    type Example<'a> = (&'a str, Config, Vec<(Op, Ret)>, Op, Ret, bool, bool);
    let info = |usage, migrations| Info { usage, migrations };
    let exited = vec![(Exit { pid: 1 }, Ok)];
    let moved = vec![(Migrate { pid: 1, dst: 2 }, Migrated)];
    let eager = with(&|c| c.strategy = Strategy::Eager);
    let flush = with(&|c| c.strategy = Strategy::Flush);
    let task = with(&|c| c.mode = Mode::Task);
    let abandon = with(&|c| c.abandon = true);
    let disallowed = with(&|c| c.disallowed = vec![1]);
    let examples: Vec<Example> = vec![
        (
            "fork: not by an exited process",
            base.clone(),
            exited.clone(),
            Fork { parent: 1 },
            Forked(2),
            false,
            false,
        ),
        (
            "fork: ESRCH for an exited process",
            base.clone(),
            exited.clone(),
            Fork { parent: 1 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "getrusage: not of an exited process",
            base.clone(),
            exited.clone(),
            GetInfo { pid: 1 },
            info(1, 0),
            false,
            false,
        ),
        (
            "getrusage: not of an exited process, whatever the usage",
            base.clone(),
            exited.clone(),
            GetInfo { pid: 1 },
            info(2, 0),
            false,
            false,
        ),
        (
            "fork: no EAGAIN for an exited parent",
            base.clone(),
            vec![(Fork { parent: 0 }, Forked(2)), (Exit { pid: 1 }, Ok)],
            Fork { parent: 1 },
            NoPid,
            false,
            false,
        ),
        (
            "wait: not by an exited process",
            base.clone(),
            exited.clone(),
            Wait { parent: 1 },
            Waited(None),
            false,
            false,
        ),
        (
            "kill: Ok if alive",
            base.clone(),
            vec![],
            Signal { target: 1 },
            Ok,
            false,
            true,
        ),
        (
            "kill: ESRCH only if not alive",
            base.clone(),
            vec![],
            Signal { target: 1 },
            NoSuchProcess,
            false,
            false,
        ),
        (
            "kill: unborn is ESRCH",
            base.clone(),
            vec![],
            Signal { target: 2 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "kill: unborn is not Ok",
            base.clone(),
            vec![],
            Signal { target: 2 },
            Ok,
            false,
            false,
        ),
        (
            "kill: a zombie is ESRCH (R16)",
            base.clone(),
            exited.clone(),
            Signal { target: 1 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "kill: a zombie is not Ok",
            base.clone(),
            exited.clone(),
            Signal { target: 1 },
            Ok,
            false,
            false,
        ),
        (
            "getrusage counts this call",
            base.clone(),
            vec![],
            GetInfo { pid: 1 },
            info(1, 0),
            false,
            true,
        ),
        (
            "getrusage: not usage 0",
            base.clone(),
            vec![],
            GetInfo { pid: 1 },
            info(0, 0),
            false,
            false,
        ),
        (
            "getrusage: kill counted",
            base.clone(),
            vec![(Signal { target: 1 }, Ok)],
            GetInfo { pid: 1 },
            info(2, 0),
            false,
            true,
        ),
        (
            "getrusage: migrations counted",
            base.clone(),
            moved.clone(),
            GetInfo { pid: 1 },
            info(1, 1),
            false,
            true,
        ),
        (
            "getrusage: not before migrating",
            base.clone(),
            vec![],
            GetInfo { pid: 1 },
            info(1, 1),
            false,
            false,
        ),
        (
            "wait: a zombie child",
            base.clone(),
            exited.clone(),
            Wait { parent: 0 },
            Waited(Some(1)),
            false,
            true,
        ),
        (
            "wait: no ECHILD with a zombie",
            base.clone(),
            exited.clone(),
            Wait { parent: 0 },
            Waited(None),
            false,
            false,
        ),
        (
            "wait: a live child is not reaped",
            base.clone(),
            vec![],
            Wait { parent: 0 },
            Waited(Some(1)),
            false,
            false,
        ),
        (
            "wait: no ECHILD with a live child",
            base.clone(),
            vec![],
            Wait { parent: 0 },
            Waited(None),
            false,
            false,
        ),
        (
            "wait: ECHILD once reaped",
            base.clone(),
            vec![(Exit { pid: 1 }, Ok), (Wait { parent: 0 }, Waited(Some(1)))],
            Wait { parent: 0 },
            Waited(None),
            false,
            true,
        ),
        (
            "wait: reaped once",
            base.clone(),
            vec![(Exit { pid: 1 }, Ok), (Wait { parent: 0 }, Waited(Some(1)))],
            Wait { parent: 0 },
            Waited(Some(1)),
            false,
            false,
        ),
        (
            "wait: ECHILD without children",
            base.clone(),
            vec![],
            Wait { parent: 1 },
            Waited(None),
            false,
            true,
        ),
        (
            "exit: alive",
            base.clone(),
            vec![],
            Exit { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "exit: not twice",
            base.clone(),
            exited.clone(),
            Exit { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "fork: a free slot",
            base.clone(),
            vec![],
            Fork { parent: 0 },
            Forked(2),
            false,
            true,
        ),
        (
            "fork: not a live pid",
            base.clone(),
            vec![],
            Fork { parent: 0 },
            Forked(1),
            false,
            false,
        ),
        (
            "fork: no EAGAIN with an unborn slot",
            base.clone(),
            vec![],
            Fork { parent: 0 },
            NoPid,
            false,
            false,
        ),
        (
            "fork: EAGAIN once no slot is unborn (PM3)",
            base.clone(),
            vec![
                (Fork { parent: 0 }, Forked(2)),
                (Exit { pid: 1 }, Ok),
                (Wait { parent: 0 }, Waited(Some(1))),
            ],
            Fork { parent: 0 },
            NoPid,
            false,
            true,
        ),
        (
            "fork: a reaped slot",
            base.clone(),
            vec![
                (Fork { parent: 0 }, Forked(2)),
                (Exit { pid: 1 }, Ok),
                (Wait { parent: 0 }, Waited(Some(1))),
            ],
            Fork { parent: 0 },
            Forked(1),
            false,
            true,
        ),
        (
            "fork: the child's parent waits for it",
            base.clone(),
            vec![(Fork { parent: 1 }, Forked(2)), (Exit { pid: 2 }, Ok)],
            Wait { parent: 1 },
            Waited(Some(2)),
            false,
            true,
        ),
        (
            "migrate: alive, allowed, elsewhere",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Migrated,
            false,
            true,
        ),
        (
            "migrate: refused while alive (R7)",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Refused,
            false,
            true,
        ),
        (
            "migrate: not refused when dead",
            base.clone(),
            exited.clone(),
            Migrate { pid: 1, dst: 2 },
            Refused,
            false,
            false,
        ),
        (
            "migrate: not abandoned without R10",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Abandoned,
            false,
            false,
        ),
        (
            "migrate: abandoned with R10",
            abandon.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Abandoned,
            false,
            true,
        ),
        (
            "migrate: abandoned when dst crashed (C2)",
            base.clone(),
            vec![(Crash { node: 2, queued: 0 }, Ok)],
            Migrate { pid: 1, dst: 2 },
            Abandoned,
            false,
            true,
        ),
        (
            "migrate: not rejected without cause",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Rejected,
            false,
            false,
        ),
        (
            "migrate: rejected when busy (R1, R5)",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Rejected,
            true,
            true,
        ),
        (
            "migrate: rejected to where it runs",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 1 },
            Rejected,
            false,
            true,
        ),
        (
            "migrate: not migrated to where it runs",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 1 },
            Migrated,
            false,
            false,
        ),
        (
            "migrate: rejected to the master",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 0 },
            Rejected,
            false,
            true,
        ),
        (
            "migrate: not migrated to the master",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 0 },
            Migrated,
            false,
            false,
        ),
        (
            "migrate: rejected when disallowed (G2)",
            disallowed.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Rejected,
            false,
            true,
        ),
        (
            "migrate: not migrated when disallowed",
            disallowed.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Migrated,
            false,
            false,
        ),
        (
            "migrate: rejected to a crashed node",
            base.clone(),
            vec![(Crash { node: 2, queued: 0 }, Ok)],
            Migrate { pid: 1, dst: 2 },
            Rejected,
            false,
            true,
        ),
        (
            "migrate: not migrated to a crashed node",
            base.clone(),
            vec![(Crash { node: 2, queued: 0 }, Ok)],
            Migrate { pid: 1, dst: 2 },
            Migrated,
            false,
            false,
        ),
        (
            "migrate: not Died while alive",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            Died,
            false,
            false,
        ),
        (
            "migrate: Died once dead",
            base.clone(),
            vec![(Crash { node: 1, queued: 0 }, Ok)],
            Migrate { pid: 1, dst: 2 },
            Died,
            false,
            true,
        ),
        (
            "migrate: unborn is ESRCH",
            base.clone(),
            vec![],
            Migrate { pid: 2, dst: 2 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "migrate: alive is not ESRCH",
            base.clone(),
            vec![],
            Migrate { pid: 1, dst: 2 },
            NoSuchProcess,
            false,
            false,
        ),
        (
            "file read: alive",
            base.clone(),
            vec![],
            FileRead { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "file read: not dead",
            base.clone(),
            exited.clone(),
            FileRead { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "crash: kills what runs there",
            base.clone(),
            vec![(Crash { node: 1, queued: 0 }, Ok)],
            Signal { target: 1 },
            NoSuchProcess,
            false,
            true,
        ),
        (
            "crash: spares what runs elsewhere",
            base.clone(),
            vec![(Crash { node: 2, queued: 0 }, Ok)],
            Signal { target: 1 },
            Ok,
            false,
            true,
        ),
        (
            "crash: the master never crashes (C5)",
            base.clone(),
            vec![],
            Crash { node: 0, queued: 0 },
            Ok,
            false,
            false,
        ),
        (
            "die: a copy-on-reference page at the crashed source",
            base.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 1, queued: 0 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: eager copy leaves no dependency",
            eager.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 1, queued: 0 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            // Paper §3.2 (c): "could be restarted on this node if no system call request was
            // enqueued on the source node". One was, and died with the source (C4).
            "die: eager copy, but calls queued at the crashed source were lost (C4)",
            eager.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (
                    Crash {
                        node: 1,
                        queued: 0b10,
                    },
                    Ok,
                ),
            ],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: calls lost for another process do not count",
            eager.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (
                    Crash {
                        node: 1,
                        queued: 0b01,
                    },
                    Ok,
                ),
            ],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "die: a zombie whose PMA's node crashed (its exit report is lost)",
            base.clone(),
            vec![(Exit { pid: 1 }, Ok), (Crash { node: 1, queued: 0 }, Ok)],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: not a zombie whose PMA's node lives on",
            base.clone(),
            vec![(Exit { pid: 1 }, Ok), (Crash { node: 2, queued: 0 }, Ok)],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "die: with the node it runs on, though flushing homed its pages on the master",
            flush.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 2, queued: 0 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: flushing leaves no dependency on the source",
            flush.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 1, queued: 0 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "die: not without a crash",
            base.clone(),
            moved.clone(),
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "die: task-only keeps the PMA at the source (T1)",
            task.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (
                    Touch {
                        pid: 1,
                        page: 0,
                        node: 2,
                    },
                    Ok,
                ),
                (Crash { node: 1, queued: 0 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            true,
        ),
        (
            "die: a touched page moved home",
            base.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (
                    Touch {
                        pid: 1,
                        page: 0,
                        node: 2,
                    },
                    Ok,
                ),
                (Crash { node: 1, queued: 0 }, Ok),
            ],
            Die { pid: 1 },
            Ok,
            false,
            false,
        ),
        (
            "wait: a crash-killed child is collectable",
            base.clone(),
            vec![
                (Migrate { pid: 1, dst: 2 }, Migrated),
                (Crash { node: 2, queued: 0 }, Ok),
            ],
            Wait { parent: 0 },
            Waited(Some(1)),
            false,
            true,
        ),
        (
            "touch: where it runs",
            base.clone(),
            moved.clone(),
            Touch {
                pid: 1,
                page: 0,
                node: 2,
            },
            Ok,
            false,
            true,
        ),
        (
            "touch: not elsewhere",
            base.clone(),
            moved.clone(),
            Touch {
                pid: 1,
                page: 0,
                node: 1,
            },
            Ok,
            false,
            false,
        ),
    ];
    for (row, c, steps, op, ret, busy, valid) in &examples {
        let t = after(c, steps);
        let got = if Ret::effectful(op, ret) {
            let mut u = t;
            u.is_valid_step(op, ret)
        } else {
            t.valid_unchanged(op, ret, *busy)
        };
        assert_eq!(
            got, *valid,
            "spec §13.2/§13.3 {row}: {op:?} -> {ret:?} in {t:?}"
        );
    }
    examples.len()
}

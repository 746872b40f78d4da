//! The crossed runs of the catalog (spec §8.2): each is a run of `presets::catalog` with one
//! change, crossing switches that no run combined before (issue 12), with the expected
//! violations that the change brings or takes away.

use super::{calls, expect, RunSpec};
use crate::config::{Config, GroupOrder};

/// Appends the crossed runs to the catalog's runs `v`, which hold the runs they come from.
pub(super) fn add_crossed(v: &mut Vec<RunSpec>) {
    // Crashes crossed with the switches that had none (issue 12: "at most one crash, never
    // combined with refusal, abandon, R4', group migration"), two crashes, and task-only
    // migration with two processes. Each is the named run with the change given.
    // (the run crossed, the new run's name, the change)
    type Crossing = (&'static str, &'static str, fn(&mut Config));
    let crossings: [Crossing; 9] = [
        // R7, R8 and R10 with a queue while a node may crash: a refusal or abandon racing C1-C4.
        ("refusal-queue", "crash-refusal", |c| c.crashes_max = 1),
        ("abandon", "crash-abandon", |c| c.crashes_max = 1),
        // R4' aborting a wait() while the source or the destination may crash.
        ("r4-prime", "crash-r4-prime", |c| c.crashes_max = 1),
        // G1 with a crash: members die with their node; the survivors still end together (L5).
        ("group-norefusal", "crash-group", |c| c.crashes_max = 1),
        // G1 with G2: a member whose migration pcntl disallows stays behind (added after
        // cargo-mutants showed the member guard of R1 untested).
        ("group-norefusal", "group-disallowed", |c| {
            c.disallowed = vec![1]
        }),
        // G1 with exit(): a member that is exiting stays behind (R5's "not exiting").
        ("group-norefusal", "group-exit", |c| {
            c.requests_max = 1;
            c.calls = calls(|k| k.exit = true)
        }),
        // Both test nodes may crash, one after the other, around one migration.
        ("crash-cor", "crash-twice", |c| c.crashes_max = 2),
        // T1 with two processes signalling each other: calls to a process whose task ran off.
        ("task-only", "task-two-procs", |c| {
            c.processes_max = 2;
            c.calls = calls(|k| k.signal = true)
        }),
        // C4's condition (paper §3.2 (c)) off: a request lost in the crashed source's queue
        // leaves the process alive at its destination (the model's reading before issue 12).
        ("crash-eager", "c4-queue-ignored", |c| {
            c.c4_queue_condition = false
        }),
    ];
    // G1 across nodes and in both freezing orders (issue 12, item 2; spec §3.3.4): the paper
    // forces "the migration of the whole group" wherever its members are, and does not say
    // in which order they freeze. Findings 7 and 9 are re-checked under both orders.
    let sequential = |c: &mut Config| c.group_order = GroupOrder::OneAfterAnother;
    let spread = |c: &mut Config| {
        c.spread = true;
        c.nodes_max = 4
    };
    let group_runs: [Crossing; 8] = [
        // Members on different nodes: a third test node, so that one member is on neither
        // the leader's source nor its destination and the PM Master must start it.
        ("group-norefusal", "group-spread", spread),
        ("group-norefusal", "group-sequential", sequential),
        // Finding 7 one after another, and with the members on different nodes: a refused
        // member still splits the group.
        ("group", "group-refusal-sequential", sequential),
        ("group", "group-refusal-spread", spread),
        // Finding 9 one after another, and with the members on different nodes.
        ("group-calls", "group-calls-sequential", sequential),
        ("group-calls", "group-calls-spread", spread),
        // A crash killing the member the PM Master waits for must not stall the chain (L5).
        ("crash-group", "crash-group-sequential", sequential),
        // Finding 7 again: a group that starts spread stays split when its destination
        // crashes before every member has moved.
        ("crash-group", "crash-group-spread", spread),
    ];
    // Independent migrations that overlap (issue 12: `pcntl` serialised them): two callers.
    let overlapping: [Crossing; 3] = [
        // Two requests for one pid: the second is rejected (R1), never reserved twice.
        ("null-migration", "same-pid-twice", |c| {
            c.migrations_max = 2;
            c.pcntl_callers_max = 2
        }),
        // Two processes migrating at once, each calling only itself.
        ("two-procs-signal", "concurrent-migrations", |c| {
            c.requests_max = 1;
            c.migrations_max = 2;
            c.pcntl_callers_max = 2;
            c.calls = calls(|k| k.getinfo = true)
        }),
        // Two processes migrating at once while each signals the other: finding 13 (spec §10),
        // a deadlock under R4's literal scope without any group.
        ("two-procs-signal", "concurrent-calls", |c| {
            c.migrations_max = 2;
            c.pcntl_callers_max = 2
        }),
    ];
    // R4's narrow reading (`r4_literal` off, spec §10 findings 2, 9, 13): runs again with only
    // a wait() holding the freeze. Their verdicts are the reading's own: the expected
    // violations of the run they come from are replaced below.
    let narrow: [Crossing; 3] = [
        // Finding 2: two threads of one process lose their order (P11).
        ("p11-fixed", "p11-r4-narrow", |c| c.r4_literal = false),
        // Finding 9's group deadlock needs the literal reading.
        ("group-calls", "group-calls-narrow", |c| {
            c.r4_literal = false
        }),
        // So does finding 13's deadlock of two independent migrations.
        ("concurrent-calls", "concurrent-calls-narrow", |c| {
            c.r4_literal = false
        }),
    ];
    // Channel order per PMA port (`channels_per_port`, spec §4.1, issue 12 item 5): what the
    // protocol relies on when only Mach IPC's per-port order holds.
    let ports: [Crossing; 6] = [
        // Finding 15: the P11 fix needs a Request and a later Done between the same two PMAs
        // to arrive in order; they go to different ports.
        ("p11-fixed", "p11-fixed-ports", |c| {
            c.channels_per_port = true
        }),
        // Its fix: Done to the vproc port, behind the requests routed there.
        ("p11-fixed", "p11-fixed-ports-done", |c| {
            c.channels_per_port = true;
            c.done_on_vproc_port = true
        }),
        // The fix with two migrations: a Forward (migration port) and a later Done (vproc
        // port) from one node no longer share a port (the fix's hold keeps them apart).
        ("p11-fixed", "p11-ports-done-twice", |c| {
            c.channels_per_port = true;
            c.done_on_vproc_port = true;
            c.migrations_max = 2
        }),
        ("crash-p11", "crash-p11-ports", |c| {
            c.channels_per_port = true
        }),
        // R2 and R14 with a queue: Forward and Done share the migration port.
        ("self-calls", "self-calls-ports", |c| {
            c.channels_per_port = true
        }),
        ("two-procs-signal", "two-procs-ports", |c| {
            c.channels_per_port = true
        }),
    ];
    // Admission at the destination (`admission`, spec §3.2.4 R11): one pull at a time.
    let admission: [Crossing; 2] = [
        // Two independent migrations, possibly to one destination.
        ("concurrent-migrations", "concurrent-admission", |c| {
            c.admission = true
        }),
        // A group's members pulled one after another at the destination.
        ("group-norefusal", "group-admission", |c| c.admission = true),
    ];
    // Calls whose effect the paper names without a rule (issue 12, item 7): sigsuspend(),
    // which R4' aborts (paper §3.2.1), and G2 changed at run time by `pcntl` (paper §4).
    let runtime: [Crossing; 6] = [
        // Process 0 may sigsuspend() while process 1 may signal it: under R4 the freeze
        // awaits a call that only a signal ends, and R2 enqueues the signal (finding 16).
        ("two-procs-signal", "sigsuspend", |c| {
            c.calls.sigsuspend = true
        }),
        // R4' aborts the sigsuspend() and restarts it at the destination.
        ("two-procs-signal", "sigsuspend-r4-prime", |c| {
            c.calls.sigsuspend = true;
            c.r4_prime = true
        }),
        ("crash-r4-prime", "crash-sigsuspend-r4-prime", |c| {
            c.calls = calls(|k| {
                k.signal = true;
                k.sigsuspend = true
            })
        }),
        // pcntl disallows and allows again between two migrations of one process.
        ("self-calls", "pcntl-allow", |c| {
            c.calls = calls(|k| k.pcntl_allow = true)
        }),
        // Two pcntl callers: a DISALLOW racing a MIGRATE of the same process.
        ("self-calls", "pcntl-allow-callers", |c| {
            c.calls = calls(|k| k.pcntl_allow = true);
            c.pcntl_callers_max = 2
        }),
        // G1 with G2 at run time: a member disallowed while the group may migrate.
        ("group-norefusal", "group-pcntl-allow", |c| {
            c.requests_max = 1;
            c.calls = calls(|k| k.pcntl_allow = true)
        }),
    ];
    for (from, name, change) in crossings
        .into_iter()
        .chain(group_runs)
        .chain(overlapping)
        .chain(narrow)
        .chain(ports)
        .chain(admission)
        .chain(runtime)
    {
        let mut r = v
            .iter()
            .find(|r| r.name == from)
            .expect("catalog run")
            .clone();
        r.name = name.to_string();
        change(&mut r.config);
        v.push(r);
    }
    for r in v.iter_mut().filter(|r| r.name.ends_with("-narrow")) {
        r.expected_violations.clear();
    }
    expect(v, "p11-r4-narrow", &["P11"]);
    // Finding 15 (spec §10): with order per port only, the P11 fix loses the order again.
    expect(v, "p11-fixed-ports", &["P11"]);
    expect(v, "crash-p11-ports", &["P11"]);
    for r in v
        .iter_mut()
        .filter(|r| r.name.starts_with("concurrent-calls"))
    {
        r.large = true;
    }
    expect(v, "concurrent-calls", &["L1", "L3"]);
    // Finding 7 (spec §10) with the members apart: a crashed destination leaves them split.
    expect(v, "crash-group-spread", &["L5"]);
    // Finding 9 re-checked (spec §10): one after another, no group deadlock; the members
    // never freeze together, so a call of one waiting in the other's queue is forwarded and
    // served once the other has moved.
    v.iter_mut()
        .find(|r| r.name == "group-calls-sequential")
        .expect("catalog run")
        .expected_violations
        .clear();
    // Finding 14 (spec §10): G1 cannot move a member that G2 disallows, so the group never
    // ends on one node.
    expect(v, "group-disallowed", &["L5"]);
    // Finding 16 (spec §10): the freeze awaits a sigsuspend() that only a signal ends, and
    // R2 enqueues the signal; R4' (sigsuspend-r4-prime) repairs it.
    expect(v, "sigsuspend", &["L1", "L3"]);
    // Finding 14 with G2 changed at run time: a member disallowed by pcntl stays behind.
    expect(v, "group-pcntl-allow", &["L5"]);
}

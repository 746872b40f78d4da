//! Findings about the paper's protocol (spec §10): each is reproduced with its counterexample,
//! and the repaired variant is checked to hold.

use osfmig_model::check::PropResult;
use osfmig_tests::{check, run, shortest_path, verdict};

/// The rules of a counterexample's steps, in order.
fn rules_of(p: &PropResult) -> Vec<&str> {
    p.path
        .as_ref()
        .expect("a counterexample")
        .iter()
        .map(|s| s.rule.as_str())
        .collect()
}

// Reference: spec §10 (P11). Without the fix a later request of the same sender, held at D
// while P is reserved there, is served at R13 while the earlier one is still on its way to S
// (where it would be queued and forwarded at R14). The counterexample ends at that service,
// the first state where P11 is false (spec §8.4), as §10 finding 1 tells it.
#[test]
fn p11_overtaking_without_the_fix() {
    let res = check(&run("p11-unfixed"));
    assert_eq!(verdict(&res, "P11"), "violated");
    let p = res.properties.iter().find(|p| p.id == "P11").unwrap();
    let rules = rules_of(p);
    assert!(rules.contains(&"R13 HoldUntilRestart"), "{rules:?}");
    assert_eq!(rules.last(), Some(&"R13 InformPMMAndRestart"), "{rules:?}");
    let why = p.why.as_deref().unwrap_or("");
    assert!(
        why.contains("req 1") && why.contains("earlier req 0"),
        "the why line names the overtaking: {why}"
    );
    assert!(res.ok(), "the violation is the documented finding");
}

// Reference: spec §10 (P11). D holding direct requests until the forwarded queue arrives
// repairs the three-node case.
#[test]
fn p11_fix_holds_on_three_nodes() {
    let res = check(&run("p11-fixed"));
    assert_eq!(verdict(&res, "P11"), "holds");
    assert!(res.ok());
}

// Reference: spec §10 (P11). With a third test node the fix is not enough: a request still in
// transit to a node the target has left is bounced and overtaken.
#[test]
fn p11_fix_is_not_enough_on_four_nodes() {
    let res = check(&run("four-nodes"));
    assert_eq!(verdict(&res, "P11"), "violated");
    let p = res.properties.iter().find(|p| p.id == "P11").unwrap();
    assert!(p
        .path
        .as_ref()
        .unwrap()
        .iter()
        .any(|s| s.rule == "R15 AbsentProcess"));
}

// Reference: spec §10 (R10). Without attempt numbers a pull left over from an abandoned
// attempt takes the next attempt's offer; with them the same configuration is safe.
#[test]
fn abandon_needs_attempt_numbers() {
    let spec = run("abandon-aba");
    let res = check(&spec);
    assert_eq!(verdict(&res, "P1"), "violated");
    assert_eq!(verdict(&res, "P3"), "violated");
    let mut tagged = spec.clone();
    tagged.config.attempt_tags = true;
    tagged.expected_violations.clear();
    let res = check(&tagged);
    assert!(res.ok(), "with attempt numbers every property holds");
}

// Reference: spec §10 finding 12 (PM3). Without incarnation numbers, a late report of a pid's
// crashed holder is applied to the child the pid was given to since: it dies although it
// depends on no crashed node (U1), or stays half created (L4). With them the same race is safe.
#[test]
fn pid_reuse_needs_incarnation_numbers() {
    let spec = run("fork-crash-spread");
    assert!(!spec.config.pid_generations);
    let res = check(&spec);
    assert_eq!(verdict(&res, "U1"), "violated");
    assert_eq!(verdict(&res, "L4"), "violated");
    let u1 = res.properties.iter().find(|p| p.id == "U1").unwrap();
    let rules = rules_of(u1);
    assert!(rules.contains(&"C3 ProcessDied"), "{rules:?}");
    assert!(rules.contains(&"PM3 Fork"), "{rules:?}");
    assert!(res.ok(), "the violations are the documented finding");
    let mut numbered = spec.clone();
    numbered.config.pid_generations = true;
    numbered.expected_violations.clear();
    let res = check(&numbered);
    assert!(res.ok(), "with incarnation numbers every property holds");
}

// Reference: spec §10 (R4, L1). A wait() whose child never exits blocks the freeze forever;
// R4' (abort and restart at D) repairs it.
#[test]
fn wait_blocks_the_freeze_and_r4_prime_repairs_it() {
    let res = check(&run("wait-freeze"));
    assert_eq!(verdict(&res, "L1"), "violated");
    let l1 = res.properties.iter().find(|p| p.id == "L1").unwrap();
    let rules = rules_of(l1);
    assert!(
        rules.contains(&"PM1 Wait") && rules.contains(&"R3 Suspend"),
        "{rules:?}"
    );
    let res = check(&run("r4-prime"));
    assert_eq!(verdict(&res, "L1"), "holds");
    assert_eq!(verdict(&res, "S-r4-prime"), "discovered");
}

// Reference: spec §10 (G1, L5). Group migration has no atomicity: a refusal splits the group.
#[test]
fn group_without_atomicity_splits() {
    let res = check(&run("group"));
    assert_eq!(verdict(&res, "L5"), "violated");
    assert_eq!(verdict(&res, "S-group-split"), "discovered");
    let res = check(&run("group-norefusal"));
    assert_eq!(verdict(&res, "L5"), "holds");
}

// Reference: spec §10 (findings 2, 9, 13, re-examined in session 12). R4's narrow reading
// (`r4_literal` off) loses the order of two threads' calls (P11) but has neither deadlock.
#[test]
fn r4_narrow_reading_trades_order_for_liveness() {
    let res = check(&run("p11-r4-narrow"));
    assert_eq!(verdict(&res, "P11"), "violated");
    let literal = check(&run("group-calls"));
    assert_eq!(verdict(&literal, "L1"), "violated");
    let narrow = run("group-calls-narrow");
    assert!(!narrow.config.r4_literal);
    let res = check(&narrow);
    for id in ["L1", "L3", "L5", "U1"] {
        assert_eq!(verdict(&res, id), "holds", "{id} in group-calls-narrow");
    }
}

// Reference: spec §10 finding 15, spec §4.1 (channel order). Mach IPC orders messages per
// port only: with channels per PMA port, a `Done` overtakes a `Request` D routed to S before
// it, and the P11 fix loses the order; `Done` on S's vproc port restores it, also with two
// migrations.
#[test]
fn p11_fix_needs_done_behind_the_requests_when_channels_are_per_port() {
    let pair = run("p11-fixed");
    assert!(!pair.config.channels_per_port);
    assert_eq!(verdict(&check(&pair), "P11"), "holds");
    let ports = run("p11-fixed-ports");
    assert!(ports.config.channels_per_port && !ports.config.done_on_vproc_port);
    assert_eq!(verdict(&check(&ports), "P11"), "violated");
    for name in ["p11-fixed-ports-done", "p11-ports-done-twice"] {
        let res = check(&run(name));
        for id in ["P11", "P5", "P6", "U1", "L3"] {
            assert_eq!(verdict(&res, id), "holds", "{id} in {name}");
        }
    }
}

// Reference: spec §10 finding 14 (G1, G2, L5). A group migration leaves a member whose
// migration pcntl disallows behind, so the group never ends on one node; a member that exits
// instead leaves the living ones together.
#[test]
fn group_leaves_a_disallowed_member_behind() {
    let res = check(&run("group-disallowed"));
    assert_eq!(verdict(&res, "L5"), "violated");
    assert_eq!(verdict(&res, "U1"), "holds");
    let res = check(&run("group-exit"));
    assert_eq!(verdict(&res, "L5"), "holds");
}

// Reference: spec §3.3.4 and §10 finding 7 (G1 across nodes, L5). The paper's pcntl adds "a
// process to a migration process group, to force the migration of the whole group of
// processes when one member is migrated": a member on neither the leader's node nor its
// destination is started by the PM Master and the whole group ends on one node, in either
// freezing order; a refusal still splits a group whose members started apart.
#[test]
fn a_member_on_another_node_migrates_with_its_group() {
    for name in ["group-spread", "group-sequential"] {
        let res = check(&run(name));
        assert_eq!(verdict(&res, "S-group-migrated"), "discovered", "{name}");
        assert_eq!(verdict(&res, "L5"), "holds", "{name}");
        assert!(res.ok(), "{name}");
    }
    let spread = check(&run("group-spread"));
    assert_eq!(verdict(&spread, "S-group-remote"), "discovered");
    let p = spread
        .properties
        .iter()
        .find(|p| p.id == "S-group-remote")
        .unwrap();
    let rules = rules_of(p);
    let g1 = rules.iter().filter(|r| **r == "G1 GroupMigration").count();
    assert!(g1 >= 2, "GroupMigrate, then MemberMigrate: {rules:?}");
    let split = check(&run("group-refusal-spread"));
    assert_eq!(verdict(&split, "L5"), "violated");
    assert!(split.ok(), "the violation is finding 7");
}

// Reference: spec §10 finding 9 re-checked (G1, R4, L1, L3, L5). The paper forces "the
// migration of the whole group of processes when one member is migrated" and says nothing of
// the order in which the members freeze. All at once, two members each calling the other
// deadlock under R4's literal scope, co-resident or on different nodes; one after another,
// each member freezes only once the previous one is frozen and detached, and no deadlock is
// left.
#[test]
fn group_deadlock_needs_the_members_to_freeze_together() {
    for name in ["group-calls", "group-calls-spread"] {
        let res = check(&run(name));
        for id in ["L1", "L3", "L5"] {
            assert_eq!(verdict(&res, id), "violated", "{id} in {name}");
        }
        assert!(res.ok(), "{name}: the violations are finding 9");
    }
    let spec = run("group-calls-sequential");
    assert!(spec.expected_violations.is_empty());
    let res = check(&spec);
    for id in ["L1", "L3", "L5"] {
        assert_eq!(verdict(&res, id), "holds", "{id} in group-calls-sequential");
    }
    assert_eq!(verdict(&res, "S-group-migrated"), "discovered");
    assert!(res.ok());
}

// Reference: spec §10 (P6). A request queued during one migration is queued again when the
// process moves on before the forwarded queue arrives: forwarded twice, served once.
#[test]
fn a_request_can_be_forwarded_once_per_queueing() {
    let found = shortest_path(
        &run("self-calls"),
        |st| st.reqs.iter().any(|r| r.forwarded == 2 && r.queued == 2),
        2_000_000,
    );
    let (_, st) = found.expect("a twice-forwarded request is reachable");
    assert!(st.reqs.iter().all(|r| r.handled <= 1));
}

// Reference: spec §5 (C4). Under copy-on-reference a source crash after the pull kills the
// process; under eager copy it survives.
#[test]
fn c4_depends_on_the_address_space_strategy() {
    let cor = check(&run("crash-cor"));
    assert_eq!(verdict(&cor, "S-C4-died"), "discovered");
    let eager = check(&run("crash-eager"));
    assert_eq!(verdict(&eager, "S-C4-survived"), "discovered");
    let survived = shortest_path(
        &run("crash-cor"),
        |st| {
            st.ghost.c4_marked != 0
                && st.active_node(0).is_some()
                && st.ghost.migrations[0] > 0
                && st.nodes.iter().filter(|n| n.alive).all(|n| {
                    n.kernel.tasks[0]
                        .as_ref()
                        .is_none_or(|t| t.pages.iter().all(|&h| st.alive(h)))
                })
        },
        2_000_000,
    );
    assert!(
        survived.is_none(),
        "under cor a C4 process never runs on with a live address space"
    );
}

// Reference: spec §5.4 (C4's condition). Paper §3.2 (c): "one might think that the process
// could be restarted on this node if no system call request was enqueued on the source node".
// With the condition (the default) a request queued at the crashed source kills the process at
// its destination; without it (`c4-queue-ignored`) the process runs on there.
#[test]
fn c4_restarts_only_without_requests_queued_at_the_source() {
    let on = run("crash-eager");
    let checked = check(&on);
    assert_eq!(verdict(&checked, "S-C4-queue-lost"), "discovered");
    assert_eq!(verdict(&checked, "S-C4-survived"), "discovered");
    let path = checked
        .properties
        .iter()
        .find(|p| p.id == "S-C4-queue-lost")
        .expect("item");
    let rules = rules_of(path);
    let enqueued = rules.iter().position(|r| r.starts_with("R2"));
    let crashed = rules.iter().position(|r| r.contains("NodeCrash"));
    assert!(
        enqueued.is_some() && enqueued < crashed,
        "a request is queued at S before S crashes: {rules:?}"
    );
    // Process 0 runs at a live node that no longer expects to learn anything of a crash
    // about it (no detection enabled), after C4, while every configuration of the user-level
    // spec records that calls queued for it at the crashed source were lost.
    let goal = |cfg: osfmig_model::config::Config| {
        move |st: &osfmig_model::state::Sys| {
            st.ghost.c4_marked & 1 != 0
                && st
                    .active_node(0)
                    .is_some_and(|d| !osfmig_model::crash::can_detect(st, &cfg, d, 0))
                && st.u1.frontier.iter().all(|c| c.spec.procs[0].queue_lost)
        }
    };
    assert!(
        shortest_path(&on, goal(on.config.clone()), 2_000_000).is_none(),
        "with C4's condition no process runs on after its queue at S was lost"
    );
    // Finding 6, narrowed: with no request lost at S the PM Master may still bury P before it
    // hears of the move, and answers D's LocationUpdate dead.
    let buried_first = shortest_path(
        &on,
        |st| {
            use osfmig_model::state::Local;
            use osfmig_model::types::Msg;
            st.net
                .iter()
                .any(|e| matches!(e.msg, Msg::LocationAck { dead: true, .. }))
                && st.nodes.iter().any(|n| {
                    n.alive
                        && matches!(n.pma.procs[0],
                            Local::Incoming { proc, .. } if !proc.source_queue_lost)
                })
        },
        2_000_000,
    );
    assert!(
        buried_first.is_some(),
        "finding 6: the burial still races the move when no request was queued at S"
    );
    let off = run("c4-queue-ignored");
    assert!(!off.config.c4_queue_condition);
    assert!(
        shortest_path(&off, goal(off.config.clone()), 2_000_000).is_some(),
        "without it the process runs on at D"
    );
}

// Reference: spec §10 finding 16 (R4, R2, L1, L3). The paper's own example of a call R4'
// aborts, `sigsuspend()`, deadlocks the freeze without R4': R5 awaits the call, only a
// signal ends it, and R2 enqueues every signal sent to the process once its migration
// starts. A state with the signal sent and queued has no fair step left. R4' repairs it.
#[test]
fn sigsuspend_deadlocks_the_freeze_and_r4_prime_repairs_it() {
    use osfmig_model::liveness::fairness_key;
    use osfmig_model::state::Local;
    use osfmig_model::types::{Call, ReqStatus};

    let spec = run("sigsuspend");
    let model = osfmig_model::OsfModel::new(spec.config.clone());
    let stuck = |st: &osfmig_model::Sys| {
        let signal_queued = st.reqs.iter().any(|r| {
            r.call == Call::Signal && r.target == 0 && matches!(r.status, ReqStatus::Queued { .. })
        });
        let suspended_in_freeze = st.nodes.iter().any(|n| {
            matches!(&n.pma.procs[0], Local::Active { proc, out: Some(_) }
                if proc.in_progress.is_some_and(|r| st.reqs[r as usize].call == Call::Sigsuspend))
        });
        let mut enabled = Vec::new();
        model.enabled(st, &mut enabled);
        signal_queued
            && suspended_in_freeze
            && enabled.iter().all(|a| fairness_key(st, a).is_none())
    };
    let (path, _) = shortest_path(&spec, stuck, 100_000).expect("the deadlock is reachable");
    let rules: Vec<&str> = path.iter().map(|(_, r)| *r).collect();
    assert!(rules.contains(&"R2 Enqueue"), "{rules:?}");
    assert!(rules.contains(&"R3 Suspend"), "{rules:?}");
    let res = check(&spec);
    assert_eq!(verdict(&res, "L1"), "violated");
    assert_eq!(verdict(&res, "L3"), "violated");
    let fixed = check(&run("sigsuspend-r4-prime"));
    for id in [
        "L1",
        "L3",
        "U1",
        "S-sigsuspend-aborted",
        "S-sigsuspend-woken",
    ] {
        assert_ne!(verdict(&fixed, id), "violated", "{id}");
        assert_ne!(verdict(&fixed, id), "undiscovered", "{id}");
    }
}

// Reference: spec §3.3.5 (G2), spec §10 finding 14. `pcntl` changes G2 at run time: a
// DISALLOW served before a MIGRATE has it rejected, an ALLOW lets the next one go; under G1 a
// member disallowed at run time stays behind as one disallowed from the start does (L5).
#[test]
fn pcntl_changes_g2_at_run_time() {
    let res = check(&run("pcntl-allow"));
    for id in ["S-allow-changed", "S-disallowed", "U1", "L1", "L3"] {
        assert_ne!(verdict(&res, id), "violated", "{id}");
        assert_ne!(verdict(&res, id), "undiscovered", "{id}");
    }
    let res = check(&run("group-pcntl-allow"));
    assert_eq!(verdict(&res, "L5"), "violated");
    let l5 = res.properties.iter().find(|p| p.id == "L5").unwrap();
    assert!(
        rules_of(l5).contains(&"G2 AllowDisallow"),
        "{:?}",
        rules_of(l5)
    );
}

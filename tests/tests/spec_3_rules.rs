//! Rules (spec §3): every phase of the paper's §3.2 is a distinct step, and the `ci` preset
//! fires every rule the model names.

use std::collections::BTreeSet;

use osfmig_model::model::RULES;
use osfmig_model::presets::preset;
use osfmig_model::state::Local;
use osfmig_tests::{check, run, shortest_path, verdict};

// Reference: spec §3.2. A successful migration goes through the five phases (a)-(e) as
// distinct, ordered steps: freeze (R1, R3, R5), detach (R6), install (R9, R11, R12),
// inform and restart (R13), clean up (R14).
#[test]
fn null_migration_takes_every_phase_in_order() {
    let spec = run("null-migration");
    let (path, st) = shortest_path(
        &spec,
        |st| {
            st.ghost.migrations[0] == 1
                && st
                    .nodes
                    .iter()
                    .filter(|n| !matches!(n.pma.procs[0], Local::Free))
                    .count()
                    == 1
        },
        100_000,
    )
    .expect("a completed migration is reachable");
    let rules: Vec<&str> = path.iter().map(|(_, r)| *r).collect();
    let phases = [
        "R1 StartMigration",
        "R3 Suspend",
        "R5 Frozen",
        "R6 DetachAndSend",
        "R9 Accept",
        "R11 TaskPull",
        "R12 InstallAndReattach",
        "R13 InformPMMAndRestart",
        "R14 ForwardAndCleanUp",
    ];
    let mut at = 0;
    for phase in phases {
        let pos = rules[at..]
            .iter()
            .position(|r| *r == phase)
            .unwrap_or_else(|| panic!("{phase} missing after step {at} in {rules:?}"));
        at += pos + 1;
    }
    // The process runs on the destination and the source holds nothing (P7's situation).
    assert!(matches!(st.nodes[2].pma.procs[0], Local::Active { .. }));
    assert!(matches!(st.nodes[1].pma.procs[0], Local::Free));
}

// Reference: spec §3. The `ci` preset exercises every rule `rule_of` can name, counted on the
// explicit graphs the liveness check builds.
#[test]
fn ci_preset_fires_every_rule() {
    let mut fired = BTreeSet::new();
    for spec in preset("ci").unwrap() {
        if !spec.liveness || spec.large {
            continue;
        }
        let res = check(&spec);
        fired.extend(res.rules.keys().cloned());
    }
    let missing: Vec<_> = RULES.iter().filter(|r| !fired.contains(**r)).collect();
    assert!(missing.is_empty(), "rules never fired by ci: {missing:?}");
}

// Reference: spec §3.2.2 (R7), §3.2.4 (R9). A `MigrateRequest`'s delivery is labelled by what
// it did: `R9 Accept` leaves D holding the attempt's reservation, `R7 Refuse` sends S a
// `Refused` for it; under the seeded bug that refuses and keeps the reservation the label is
// still R7. Runs: refusals of every kind (busy, full, exhaustion), and the bug's run.
#[test]
fn migrate_request_label_follows_its_outcome() {
    use osfmig_model::model::{rule_of, Action};
    use osfmig_model::mutants::Mutant;
    use osfmig_model::types::{Actor, Msg};
    use osfmig_model::OsfModel;
    use stateright::Model;
    let mut full = run("two-procs-signal").config;
    full.spread = true;
    full.procs_per_node_max = 1;
    let mut keeps = run("refusal-queue").config;
    keeps.mutant = Some(Mutant::RefuseKeepsReservation);
    let mut labels = BTreeSet::new();
    for cfg in [run("refusal-queue").config, full, keeps] {
        let model = OsfModel::new(cfg.clone());
        for st in osfmig_tests::reachable_states(&cfg, 20_000) {
            let mut acts = Vec::new();
            model.actions(&st, &mut acts);
            for a in acts {
                let Action::Deliver { idx, .. } = a else {
                    continue;
                };
                let e = st.net.get(idx as usize).copied().unwrap();
                let (Msg::MigrateRequest { pid, attempt, .. }, Actor::Pma(d)) = (e.msg, e.dst)
                else {
                    continue;
                };
                let label = rule_of(&st, &a, &cfg);
                let next = model.next_state(&st, a).unwrap();
                let refused = next.net.iter().any(|r| {
                    matches!(r.msg, Msg::Refused { pid: p, attempt: t } if p == pid && t == attempt)
                });
                let reserved = matches!(next.pma(d).procs[pid as usize],
                    Local::Incoming { attempt: t, .. } if t == attempt);
                match label {
                    "R7 Refuse" => assert!(refused, "R7 without a Refused: {st:?}"),
                    "R9 Accept" => assert!(reserved && !refused, "R9 without a reservation"),
                    other => panic!("a MigrateRequest's delivery labelled {other}"),
                }
                labels.insert((cfg.mutant.is_some(), label));
            }
        }
    }
    // Both outcomes occur, and the seeded bug's refusals are labelled as refusals.
    assert!(labels.contains(&(false, "R7 Refuse")) && labels.contains(&(false, "R9 Accept")));
    assert!(labels.contains(&(true, "R7 Refuse")), "{labels:?}");
}

// Reference: spec §3.2.4 (R11, admission). Paper §3.2 (c): "The receiver-pull approach (as
// opposed to sender-push), by controlling the incoming task migrations, prevents the
// destination node from being flooded." With `admission` a destination pulls one task at a
// time: some run holds a pull back (S-admission-held), and every migration still ends (L1).
// Without the switch the item is not owed.
#[test]
fn admission_pulls_one_task_at_a_time() {
    for name in ["concurrent-admission", "group-admission"] {
        let spec = run(name);
        assert!(spec.config.admission, "{name}");
        let res = check(&spec);
        let v = |id: &str| verdict(&res, id);
        assert_eq!(v("S-admission-held"), "discovered", "{name}");
        assert_eq!(v("L1"), "holds", "{name}");
    }
    let res = check(&run("concurrent-migrations"));
    assert!(res.properties.iter().all(|p| p.id != "S-admission-held"));
}

// Reference: spec §3.3.4 (G1 one after another). The PM Master waits for one member at a
// time; nothing may leave it waiting for ever: while a group migration is under way, its
// awaited member's step is in transit, or the member's start is, or the member is still
// freezing (not yet detached) at the PMA that owes the step, or that PMA's node is down and
// not yet buried, or
// the member's death is on its way to the PM Master. Checked on every reachable state of a
// spread group with a crash, where the step may die with the node that owes it after the
// leader is already recorded at the destination.
#[test]
fn group_chain_never_waits_for_nothing() {
    use osfmig_model::config::{GroupOrder, Strategy};
    use osfmig_model::state::Local;
    use osfmig_model::types::{Actor, Msg};
    let mut cfg = run("crash-group-sequential").config;
    cfg.spread = true;
    cfg.nodes_max = 4;
    cfg.strategy = Strategy::Eager;
    assert_eq!(cfg.group_order, GroupOrder::OneAfterAnother);
    let states = osfmig_tests::reachable_states(&cfg, 400_000);
    assert!(states.len() < 400_000, "the whole graph is explored");
    let mut waited = 0;
    for st in &states {
        let Some(g) = st.pmm.group else { continue };
        waited += 1;
        let (q, at) = (g.current, g.at);
        let step = st.net.iter().any(|e| {
            e.src == Actor::Pma(at)
                && e.dst == Actor::PmMaster
                && e.msg == Msg::GroupStep { pid: q }
        });
        let start = st.net.iter().any(|e| {
            e.dst == Actor::Pma(at) && matches!(e.msg, Msg::MemberMigrate { pid, .. } if pid == q)
        });
        let freezing = st.alive(at)
            && matches!(
                &st.pma(at).procs[q as usize],
                Local::Active { out: Some(_), .. }
            );
        let unburied = !st.alive(at) && !st.pmm.buried.contains(&at);
        let death = st.net.iter().any(|e| {
            e.dst == Actor::PmMaster && matches!(e.msg, Msg::ProcessDied { pid, .. } if pid == q)
        });
        assert!(
            step || start || freezing || unburied || death,
            "the PM Master waits for member {q} at node {at} and nothing will end it:\n{st:?}"
        );
    }
    assert!(
        waited > 0,
        "a group migration one after another is under way somewhere"
    );
}

//! The fair-cycle search of the liveness check (spec §6.2) on small graphs built by hand,
//! where the verdict and the lasso are known: what every liveness verdict of a run rests on.
//! The oracle runs them, so a mutant of the search that no run's verdict shows is still seen.

use osfmig_model::liveness::{find_violation, Edge, Graph, NO_KEY};

/// State 0 and 1 alternate by environment steps `a`/`b`; a delivery `d` (key 0) leads to
/// the goal state 2. Obligation 0 is pending in states 0 and 1.
fn two_cycle(d_in_1: bool) -> Graph<&'static str> {
    let mut g = Graph::default();
    let e = |action, key, to| Edge { action, key, to };
    g.push_state(1, 0, [e("a", NO_KEY, 1), e("d", 0, 2)]);
    let mut s1 = vec![e("b", NO_KEY, 0)];
    if d_in_1 {
        s1.push(e("d", 0, 2));
    } else {
        // Some other protocol step keeps state 1 from being stuck.
        s1.push(e("x", 1, 0));
    }
    g.push_state(1, 0, s1);
    g.push_state(0, 1, []);
    g
}

fn a_cycle_ignoring_an_enabled_delivery_is_unfair() {
    // d is enabled in every state of the cycle and never taken in it: not a violation.
    assert_eq!(find_violation(&two_cycle(true), 0), None);
}

fn a_cycle_where_the_delivery_is_intermittent_is_fair() {
    // d is disabled in state 1 and x in state 0: weak fairness forces neither, so looping
    // on the environment's a and b forever is fair.
    let g = two_cycle(false);
    let l = find_violation(&g, 0).expect("fair cycle");
    assert!(l.prefix.is_empty());
    assert_eq!(l.component, 2);
    let names: Vec<&str> = l
        .cycle
        .iter()
        .map(|&e| g.edges[e as usize].action)
        .collect();
    assert_eq!(names, ["a", "b"]);
}

fn the_loop_takes_every_step_enabled_throughout() {
    // x (key 1) is enabled in both states of the cycle; taken in state 0 it reaches the
    // goal, taken in state 1 it loops. The environment's a/b loop alone ignores x and is
    // unfair: the fair loop must add x at state 1.
    let mut g = Graph::default();
    let e = |action, key, to| Edge { action, key, to };
    g.push_state(1, 0, [e("a", NO_KEY, 1), e("x", 1, 2)]);
    g.push_state(1, 0, [e("b", NO_KEY, 0), e("x", 1, 1)]);
    g.push_state(0, 1, []);
    let l = find_violation(&g, 0).expect("fair cycle");
    let names: Vec<&str> = l
        .cycle
        .iter()
        .map(|&e| g.edges[e as usize].action)
        .collect();
    assert_eq!(names, ["a", "x", "b"]);
}

fn a_state_with_only_environment_steps_is_stuck() {
    let mut g = Graph::default();
    g.push_state(
        1,
        0,
        [Edge {
            action: "deliver",
            key: 0,
            to: 1,
        }],
    );
    g.push_state(
        1,
        0,
        [Edge {
            action: "issue",
            key: NO_KEY,
            to: 2,
        }],
    );
    g.push_state(0, 1, []);
    let l = find_violation(&g, 0).expect("stuck");
    assert!(l.stuck());
    assert_eq!(l.prefix, vec![0]);
}

fn a_trigger_stays_pending_until_the_goal() {
    // L5-like monitor: state 0 triggers, state 1 neither triggers nor reaches the goal and
    // is stuck there: the obligation is still pending in 1.
    let mut g = Graph::default();
    g.push_state(
        1,
        0,
        [Edge {
            action: "deliver",
            key: 0,
            to: 1,
        }],
    );
    g.push_state(0, 0, []);
    let l = find_violation(&g, 0).expect("pending in state 1");
    assert_eq!(l.prefix, vec![0]);
    // Without the trigger, nothing is owed.
    g.trigger[0] = 0;
    assert_eq!(find_violation(&g, 0), None);
}

fn a_self_loop_of_an_environment_step_next_to_a_delivery_is_unfair() {
    let mut g = Graph::default();
    g.push_state(
        1,
        0,
        [
            Edge {
                action: "touch",
                key: NO_KEY,
                to: 0,
            },
            Edge {
                action: "d",
                key: 0,
                to: 1,
            },
        ],
    );
    g.push_state(0, 1, []);
    assert_eq!(find_violation(&g, 0), None);
}

/// A cycle whose fair loop must leave the shortest way round to visit a state where a step
/// enabled elsewhere is disabled: states 0 and 1 offer the delivery `k` to the goal (3), which
/// no edge inside the component takes, and state 2 does not offer it.
fn the_loop_visits_a_state_where_an_ignored_step_is_disabled() {
    let mut g = Graph::default();
    let e = |action, key, to| Edge { action, key, to };
    g.push_state(1, 0, [e("a", NO_KEY, 1), e("k", 0, 3)]);
    g.push_state(1, 0, [e("b", NO_KEY, 0), e("c", NO_KEY, 2), e("k", 0, 3)]);
    g.push_state(1, 0, [e("d", NO_KEY, 0), e("x", 1, 0)]);
    g.push_state(0, 1, []);
    let l = find_violation(&g, 0).expect("fair cycle");
    assert!(!l.stuck());
    assert_eq!(l.component, 3);
    let names: Vec<&str> = l
        .cycle
        .iter()
        .map(|&e| g.edges[e as usize].action)
        .collect();
    assert!(
        names.contains(&"c"),
        "the loop never leaves states 0 and 1: {names:?}"
    );
    assert!(!names.contains(&"k"), "{names:?}");
}

/// Runs every hand-built case; returns how many.
pub fn assert_fair_cycle_search() -> usize {
    let cases: [fn(); 7] = [
        a_cycle_ignoring_an_enabled_delivery_is_unfair,
        a_cycle_where_the_delivery_is_intermittent_is_fair,
        the_loop_takes_every_step_enabled_throughout,
        a_state_with_only_environment_steps_is_stuck,
        a_trigger_stays_pending_until_the_goal,
        a_self_loop_of_an_environment_step_next_to_a_delivery_is_unfair,
        the_loop_visits_a_state_where_an_ignored_step_is_disabled,
    ];
    for case in cases {
        case();
    }
    cases.len()
}

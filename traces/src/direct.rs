//! spec §12.9.1 Scenario-directed recording: the refimpl steered towards a target.
//!
//! Recording follows the refimpl's own time order, so a window that needs one message to
//! overtake another, or a stimulus at one exact moment, may never be recorded. A *target* is
//! a reachability item (spec §6.3), a rule of `model::RULES`, or a *window* of
//! [`WINDOWS`] (a model state a bug of the catalog would show in). The model's shortest path
//! to the target is the *plan*; the recording driver follows it as a guide, not as a script:
//! it applies the plan's stimuli once the refimpl shows the observation the model had before
//! them, and between stimuli it picks, among the refimpl's pending events, one that leads to
//! the plan's next observation (at once, in two events, or by changing only what has still to
//! change); when the refimpl can follow no further, the guide lets go and the ordinary
//! driver goes on. What is written is the refimpl's own events, checked by the model like any
//! recording.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use osfmig_model::model::{rule_of, RULES};
use osfmig_model::presets::RunSpec;
use osfmig_model::state::Life;
use osfmig_model::types::Msg;
use osfmig_model::{Action, Config, OsfModel, Sys};
use osfmig_refimpl::world::World;

use crate::bridge::Stimulus;
use crate::generate::describe_action;
use crate::projection::{of_model, of_refimpl, Observed};
use crate::replay::{is_shared_delivery, same_message};

/// A model state a seeded bug would show in, which recording in time order rarely reaches.
pub struct Window {
    /// `W-…`, as a target's name.
    pub id: &'static str,
    /// What the window is.
    pub what: &'static str,
    /// Whether a model state is in it.
    pub holds: fn(&Sys) -> bool,
}

/// The windows a recording may be directed at (spec §12.9.1).
pub const WINDOWS: &[Window] = &[
    Window {
        id: "W-pid-reuse-deferred",
        what: "a fork's pid request reaches the PM Master while a dead pid's last migration \
               source has not cleaned up (spec §10 finding 10): the pid must not be given",
        holds: pid_reuse_deferred,
    },
    Window {
        id: "W-stale-attempt",
        what: "a reply of an attempt that is not the current one is on its way to the source \
               (a Refused or PullFailed of an abandoned attempt, spec §10 finding 8's ABA \
               race): R8 must tell it from the current one's where attempts are tagged",
        holds: stale_attempt,
    },
    Window {
        id: "W-busy-destination",
        what: "a MigrateRequest reached a PMA that still holds the pid (an earlier attempt's \
               reservation, or the process itself) and was refused (R7): the refusal is on \
               its way back",
        holds: busy_destination,
    },
    Window {
        id: "W-located-holder",
        what: "the PM Master's answer to a look-up (R16 Located) is on its way to a PMA that \
               holds the target itself by now (the look-up crossed the target's migration to \
               that node): R16 must serve the request there, not look it up again",
        holds: located_holder,
    },
    Window {
        id: "W-zombie-death-report",
        what: "a crash report of a pid's death (C3 ProcessDied) is on its way to the PM Master \
               while that pid is a zombie (it exited at D, which crashed before its source \
               read Done): the PM Master must not bury it again",
        holds: zombie_death_report,
    },
    Window {
        id: "W-source-death-report",
        what: "a crash report of a pid's death (C3 ProcessDied) is on its way to the PM Master \
               from the node it waits for a clean-up from: the report settles the clean-up, and \
               the pid can be reused (PM3)",
        holds: source_death_report,
    },
];

fn zombie_death_report(st: &Sys) -> bool {
    st.net.iter().any(|e| match e.msg {
        Msg::ProcessDied { pid, .. } => st
            .pmm
            .pids
            .get(pid as usize)
            .is_some_and(|p| p.life == Life::Zombie),
        _ => false,
    })
}

fn source_death_report(st: &Sys) -> bool {
    use osfmig_model::types::Actor;
    st.net.iter().any(|e| match (e.src, e.msg) {
        (Actor::Pma(n), Msg::ProcessDied { pid, .. }) => st
            .pmm
            .pids
            .get(pid as usize)
            .is_some_and(|p| p.cleanup_at == Some(n)),
        _ => false,
    })
}

fn stale_attempt(st: &Sys) -> bool {
    use osfmig_model::state::Local;
    use osfmig_model::types::Actor;
    st.net.iter().any(|e| {
        let Actor::Pma(n) = e.dst else {
            return false;
        };
        let slot = |pid: osfmig_model::types::Pid| st.nodes[n as usize].pma.procs[pid as usize];
        match e.msg {
            Msg::Refused { pid, attempt } | Msg::PullFailed { pid, attempt } => match slot(pid) {
                Local::Active { out: Some(o), .. } | Local::Migrating { out: o, .. } => {
                    o.attempt != attempt
                }
                _ => false,
            },
            _ => false,
        }
    })
}

fn busy_destination(st: &Sys) -> bool {
    use osfmig_model::state::Local;
    use osfmig_model::types::Actor;
    // The state just after: the refusal on its way back from a PMA that still holds the
    // pid, so that a directed recording's plan includes the delivery R9 must refuse.
    st.net.iter().any(|e| match (e.src, e.msg) {
        (Actor::Pma(n), Msg::Refused { pid, .. }) => {
            !matches!(st.nodes[n as usize].pma.procs[pid as usize], Local::Free)
        }
        _ => false,
    })
}

fn located_holder(st: &Sys) -> bool {
    use osfmig_model::state::Local;
    use osfmig_model::types::Actor;
    st.net.iter().any(|e| match (e.dst, e.msg) {
        (Actor::Pma(n), Msg::Located { req, node: Some(m) }) if m != n => {
            st.reqs.get(req as usize).is_some_and(|r| {
                !matches!(
                    st.nodes[n as usize].pma.procs[r.target as usize],
                    Local::Free
                )
            })
        }
        _ => false,
    })
}

fn pid_reuse_deferred(st: &Sys) -> bool {
    let pending = st
        .pmm
        .pids
        .iter()
        .any(|e| e.life == Life::Dead && e.cleanup_at.is_some());
    pending && st.net.iter().any(|e| matches!(e.msg, Msg::AllocPid { .. }))
}

/// What a recording is directed at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Goal {
    Item(&'static str),
    Rule(&'static str),
    Window(&'static str),
}

impl Goal {
    /// The goal's name: the item's, rule's or window's ID.
    pub fn name(&self) -> &'static str {
        match self {
            Goal::Item(s) | Goal::Rule(s) | Goal::Window(s) => s,
        }
    }

    /// Parses a target named on the command line (`--target`): an item ID (`S-…`), a
    /// window (`W-…`), or a rule (`R11 TaskPull`, or its first token `R11`).
    /// Items are those `spec` registers.
    pub fn parse(s: &str, spec: &RunSpec) -> Result<Goal, String> {
        if let Some(w) = WINDOWS.iter().find(|w| w.id == s) {
            return Ok(Goal::Window(w.id));
        }
        if let Some(p) = crate::cover::items_of(spec).iter().find(|p| p.id == s) {
            return Ok(Goal::Item(p.id));
        }
        if let Some(r) = RULES
            .iter()
            .find(|r| **r == s || r.split(' ').next() == Some(s))
        {
            return Ok(Goal::Rule(r));
        }
        Err(format!(
            "unknown target {s:?} for run {}: a reachability item of the run (S-…), a window \
             ({}) or a rule",
            spec.name,
            WINDOWS.iter().map(|w| w.id).collect::<Vec<_>>().join(", ")
        ))
    }

    /// Every goal a directed recording of `spec` aims at: the run's reachability items and
    /// every window.
    pub fn all_of(spec: &RunSpec) -> Vec<Goal> {
        crate::cover::items_of(spec)
            .iter()
            .map(|p| Goal::Item(p.id))
            .chain(WINDOWS.iter().map(|w| Goal::Window(w.id)))
            .collect()
    }
}

/// The model's shortest path to a goal, with the observation before each step and after
/// the last.
#[derive(Clone, Debug)]
pub struct Plan {
    pub goal: Goal,
    pub actions: Vec<Action>,
    /// `obs[k]` is the model's observation before `actions[k]`; `obs[actions.len()]` after.
    pub obs: Vec<Observed>,
    /// The model states the observations are of.
    pub states: Vec<Sys>,
}

/// How far [`plans`] searches.
#[derive(Clone, Copy, Debug)]
pub struct PlanBudget {
    pub states_max: usize,
    pub depth_max: usize,
}

impl Default for PlanBudget {
    fn default() -> Self {
        PlanBudget {
            states_max: 200_000,
            depth_max: 60,
        }
    }
}

fn fingerprint(st: &Sys) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

/// The shortest plan to each of `goals` the run can reach within `budget`, by one
/// breadth-first search (deterministic: successors in the model's order). Goals not met
/// are left out.
pub fn plans(spec: &RunSpec, goals: &[Goal], budget: PlanBudget) -> Vec<Plan> {
    let cfg = &spec.config;
    let model = OsfModel::new(cfg.clone());
    let init = Sys::initial(cfg);
    let items: Vec<_> = crate::cover::items_of(spec);
    let meets = |g: &Goal, st: &Sys, a: Option<(&Sys, &Action)>| match g {
        Goal::Item(id) => items
            .iter()
            .find(|p| p.id == *id)
            .is_some_and(|p| (p.check)(&model, st)),
        Goal::Rule(r) => a.is_some_and(|(before, a)| rule_of(before, a, cfg) == *r),
        Goal::Window(id) => WINDOWS
            .iter()
            .find(|w| w.id == *id)
            .is_some_and(|w| (w.holds)(st)),
    };
    let mut tree: Vec<Option<(u32, Action)>> = vec![None];
    let mut found: HashMap<Goal, u32> = HashMap::new();
    for g in goals {
        if meets(g, &init, None) {
            found.insert(g.clone(), 0);
        }
    }
    let mut seen: HashSet<u64> = HashSet::from([fingerprint(&init)]);
    let mut queue: VecDeque<(u32, usize, Sys)> = VecDeque::from([(0, 0, init.clone())]);
    while let Some((me, depth, st)) = queue.pop_front() {
        if found.len() == goals.len() || depth >= budget.depth_max {
            continue;
        }
        let mut acts = Vec::new();
        model.enabled(&st, &mut acts);
        for a in acts {
            let Some(next) = model.step(&st, &a) else {
                continue;
            };
            let fp = fingerprint(&next);
            if seen.contains(&fp) || tree.len() >= budget.states_max {
                continue;
            }
            seen.insert(fp);
            tree.push(Some((me, a.clone())));
            let id = (tree.len() - 1) as u32;
            for g in goals {
                if !found.contains_key(g) && meets(g, &next, Some((&st, &a))) {
                    found.insert(g.clone(), id);
                }
            }
            queue.push_back((id, depth + 1, next));
        }
    }
    goals
        .iter()
        .filter_map(|g| {
            let mut at = *found.get(g)?;
            let mut actions = Vec::new();
            while let Some((up, a)) = &tree[at as usize] {
                actions.push(a.clone());
                at = *up;
            }
            actions.reverse();
            let mut states = vec![init.clone()];
            for a in &actions {
                let next = model.step(states.last()?, a)?;
                states.push(next);
            }
            Some(Plan {
                goal: g.clone(),
                obs: states.iter().map(of_model).collect(),
                actions,
                states,
            })
        })
        .collect()
}

/// What the guide asks of the recording driver next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Apply this stimulus now.
    Stimulus(Stimulus),
    /// Run this pending refimpl event (`World::run_choice`) instead of the next in time.
    Event(u64),
    /// The guide has let go (the plan is done or the refimpl cannot follow it).
    Free,
}

/// The plan being followed.
#[derive(Clone, Debug)]
pub struct Guide {
    plan: std::sync::Arc<Plan>,
    /// The plan step the refimpl is at: it shows `plan.obs[at]` or is on its way to
    /// `plan.obs[at + 1]`.
    at: usize,
    /// The plan steps whose hidden environment choice (a refusal, an abandon) is given.
    given: usize,
    /// Events picked since the plan last advanced.
    idle: usize,
    done: bool,
    /// Per plan step, whether it delivers a message both sides have (spec §12.10) and
    /// changes nothing observable.
    silent: Vec<bool>,
}

/// Events the guide picks without the plan advancing before it lets go.
const IDLE_MAX: usize = 200;

impl Guide {
    pub fn new(plan: std::sync::Arc<Plan>) -> Guide {
        let silent = (0..plan.actions.len())
            .map(|k| {
                plan.obs[k] == plan.obs[k + 1]
                    && matches!(plan.actions[k], Action::Deliver { .. })
                    && is_shared_delivery(&describe_action(&plan.states[k], &plan.actions[k]).2)
            })
            .collect();
        Guide {
            silent,
            plan,
            at: 0,
            given: 0,
            idle: 0,
            done: false,
        }
    }

    /// Whether the refimpl showed the plan's last observation.
    pub fn reached(&self) -> bool {
        self.done && self.at == self.plan.actions.len()
    }

    /// The next thing to do to follow the plan from the refimpl's state `w`.
    /// `possible` are the stimuli the environment may give now: a plan stimulus not among
    /// them waits for refimpl events that change nothing observable (a reply still on its
    /// way to the emulator, say).
    pub fn next(&mut self, w: &mut World, cfg: &Config, possible: &[Stimulus]) -> Next {
        if self.done {
            return Next::Free;
        }
        let n = self.plan.actions.len();
        let cur = of_refimpl(w, cfg);
        // The refimpl may show several plan steps in one event: go to the furthest plan
        // observation it shows (not behind the current one), but not past a stimulus or a
        // delivery that changes nothing observable (a page touch, a request routed on): the
        // guide gives that stimulus, and the refimpl takes that delivery, in its place.
        if let Some(j) = (self.at..=n).rev().find(|&j| self.plan.obs[j] == cur) {
            let j = (self.at..j)
                .find(|&k| self.silent[k] || Stimulus::of_action(&self.plan.actions[k]).is_some())
                .unwrap_or(j);
            if j > self.at {
                self.idle = 0;
            }
            self.at = j;
        }
        // A silent delivery of the plan (a request routed on, say) is where the plan decides
        // an order no observation shows: the refimpl delivers the same message now, if it
        // still has it to deliver.
        while self.at < n && self.silent[self.at] && self.plan.obs[self.at] == cur {
            let params = describe_action(&self.plan.states[self.at], &self.plan.actions[self.at]).2;
            self.give_hidden(w);
            self.at += 1;
            self.idle = 0;
            if let Some(seq) = same_message(w, &params) {
                return Next::Event(seq);
            }
        }
        if self.at >= n {
            self.done = true;
            return Next::Free;
        }
        self.idle += 1;
        if self.idle > IDLE_MAX {
            self.done = true;
            return Next::Free;
        }
        let a = self.plan.actions[self.at].clone();
        if let Some(s) = Stimulus::of_action(&a) {
            if self.plan.obs[self.at] != cur {
                return self.towards(w, cfg, &cur, self.at);
            }
            if !possible.contains(&s) {
                return self.settle(w, cfg, &cur);
            }
            self.at += 1;
            self.idle = 0;
            return Next::Stimulus(s);
        }
        self.give_hidden(w);
        self.towards(w, cfg, &cur, self.at + 1)
    }

    /// The environment's hidden choices on the plan's path up to the current step, given
    /// when the plan is there: a refusal for memory exhaustion, an abandon.
    fn give_hidden(&mut self, w: &mut World) {
        while self.given <= self.at {
            match self.plan.actions[self.given] {
                Action::Deliver {
                    idx,
                    exhausted: true,
                } => {
                    if let Some(Msg::MigrateRequest { pid, .. }) = self.plan.states[self.given]
                        .net
                        .get(idx as usize)
                        .map(|e| &e.msg)
                    {
                        w.refuse_next.insert(*pid as u32);
                    }
                }
                Action::Abandon { pid, .. } => w.abandon(pid as u32),
                _ => {}
            }
            self.given += 1;
        }
    }

    /// A pending refimpl event that changes nothing observable; none, and the guide lets go.
    fn settle(&mut self, w: &World, cfg: &Config, cur: &Observed) -> Next {
        for c in w.choices() {
            let mut w2 = w.clone();
            w2.run_choice(c.seq);
            if of_refimpl(&w2, cfg) == *cur {
                return Next::Event(c.seq);
            }
        }
        self.done = true;
        Next::Free
    }

    /// A pending refimpl event that leads to the plan's observation `obs[k]`: one that shows
    /// it, else the first of two that do, else one that changes only what has still to
    /// change, else one that changes nothing observable; none, and the guide lets go.
    fn towards(&mut self, w: &World, cfg: &Config, cur: &Observed, k: usize) -> Next {
        let target = &self.plan.obs[k];
        let mut two = None;
        let mut moving = None;
        let mut stutter = None;
        for c in w.choices() {
            let mut w2 = w.clone();
            w2.run_choice(c.seq);
            let obs = of_refimpl(&w2, cfg);
            if obs == *target {
                return Next::Event(c.seq);
            }
            if two.is_none()
                && w2.choices().iter().any(|d| {
                    let mut w3 = w2.clone();
                    w3.run_choice(d.seq);
                    of_refimpl(&w3, cfg) == *target
                })
            {
                two = Some(c.seq);
            }
            if obs == *cur {
                stutter.get_or_insert(c.seq);
            } else if cur.moves_towards(&obs, target) {
                moving.get_or_insert(c.seq);
            }
        }
        match two.or(moving).or(stutter) {
            Some(seq) => Next::Event(seq),
            None => {
                self.done = true;
                Next::Free
            }
        }
    }
}

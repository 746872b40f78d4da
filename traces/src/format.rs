//! The trace format (spec §12): NDJSON, one JSON object per line, a header line first and
//! then one event line per step.

use osfmig_model::model::RULES;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the trace format. A parser rejects any other value (spec §12.4).
pub const FORMAT_VERSION: u32 = 1;

/// Version of the tool that wrote a trace (the workspace version).
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The first line of every trace file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always `"header"`.
    pub kind: String,
    pub format_version: u32,
    /// `"model"` (generated from the model) or `"refimpl"` (recorded on the reference
    /// implementation).
    pub source: String,
    pub preset: String,
    pub run: String,
    /// The run's `Config`, as `check --json` prints it.
    pub config: Value,
    /// How the trace was produced: `"walk"` or `"exhaustive"` for model traces.
    pub generator: String,
    /// Seed of the random walk (`null` for exhaustive enumeration).
    pub seed: Option<u64>,
    /// Index of the trace among those generated together (the `<n>` of `<run>-<n>.ndjson`).
    pub index: u64,
    /// Timing profile of a refimpl trace (`null` for model traces).
    pub timing_profile: Option<String>,
    /// Always `"osfmig"`.
    pub tool: String,
    pub tool_version: String,
    /// The reachability items (spec §6.3) the implementation that recorded the trace has a
    /// monitor for (spec §12.16): `traces check` holds it to reporting each one that every
    /// explanation of the trace by the model reaches. Empty (and not written) for model
    /// traces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitors: Vec<String>,
    /// How a recording ended (spec §12.9): `true` at rest (the implementation had nothing
    /// left to do and the environment nothing left to ask within the run's budgets), `false`
    /// when the implementation ran its whole event budget without coming to rest; absent when
    /// the trace was cut at its length bound or at a broken invariant, and in model traces.
    /// `traces check` holds the model to having a way to come to rest where the
    /// implementation did, and rejects a recording that never came to rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiescent: Option<bool>,
    /// For a recording whose processes ran programs (spec §12.9.2), the calls each
    /// program makes, per pid, in order (`GetInfo(0)`, `Signal(0)`, `Fork(0)`, `Wait(0)`,
    /// `Exit(1)`, `FileRead`). `traces check` holds each process's calls to its program's
    /// order and, at rest, holds the model to a reason why a process did not make its next
    /// call. Empty (and not written) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<Vec<String>>,
}

impl Header {
    /// The header of a model trace of `run` in `preset` (spec §12.2): no timing profile,
    /// monitors, end or programs, which only recordings have.
    pub fn model(
        preset: &str,
        run: &str,
        config: &osfmig_model::Config,
        generator: &str,
        seed: Option<u64>,
        index: u64,
    ) -> Result<Header, String> {
        Ok(Header {
            kind: "header".into(),
            format_version: FORMAT_VERSION,
            source: "model".into(),
            preset: preset.into(),
            run: run.into(),
            config: serde_json::to_value(config).map_err(|e| e.to_string())?,
            generator: generator.into(),
            seed,
            index,
            timing_profile: None,
            tool: "osfmig".into(),
            tool_version: TOOL_VERSION.into(),
            monitors: Vec::new(),
            quiescent: None,
            programs: Vec::new(),
        })
    }
}

/// The message ids an event touches (ids are assigned in send order, from 0, per trace).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgIds {
    /// The message delivered by this step (at most one).
    pub recv: Vec<u64>,
    /// Messages sent by this step.
    pub sent: Vec<u64>,
    /// Messages that vanished in this step (to or from a crashed node).
    pub dropped: Vec<u64>,
}

/// One step of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Always `"event"`.
    pub kind: String,
    /// 0 for the first event, then consecutive.
    pub step: u64,
    /// Virtual time in nanoseconds (refimpl traces); `null` in model traces.
    pub time_ns: Option<u64>,
    /// The node the actor runs on (`null` when it has none, e.g. a task in transit).
    pub node: Option<u8>,
    /// Who acts: `pma`, `kernel`, `pm_master`, `file_server`, `process`, `pcntl`, `env`.
    pub actor: String,
    /// The spec action ID: the first token of the rule label (`R6`, `R4'`, `C*`, ...).
    pub action: String,
    /// The full rule label of `model::rule_of` (`R6 DetachAndSend`).
    pub rule: String,
    /// The action's parameters (always a JSON object).
    pub params: Value,
    pub msg_ids: MsgIds,
    /// An optional projection of the state after the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// The interesting cases (spec §6.3 IDs, `S-overtaken`) the producer's own monitors saw
    /// reached since the previous event (refimpl traces; spec §12.16). `traces check` holds
    /// each against the model's explanation of the trace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reached: Vec<String>,
}

/// The action ID of a rule label: its first token.
pub fn action_id(rule: &str) -> &str {
    rule.split_whitespace().next().unwrap_or("")
}

/// Whether `id` is the action ID of some rule of the spec.
pub fn is_known_action(id: &str) -> bool {
    id == action_id(TAU) || RULES.iter().any(|r| action_id(r) == id)
}

/// The rule label of a refimpl step that changed the observed state without naming a rule
/// of the spec in its timeline (spec §12.3); never in model traces.
pub const TAU: &str = "τ Internal";

/// Whether `rule` is a rule label of the spec.
pub fn is_known_rule(rule: &str) -> bool {
    rule == TAU || RULES.contains(&rule)
}

/// The action IDs of the spec, deduplicated, in `RULES` order.
pub fn action_ids() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in RULES {
        let id = action_id(r);
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §12.3 (action IDs are the first token of a rule label).
    #[test]
    fn action_ids_are_first_tokens() {
        assert_eq!(action_id("R6 DetachAndSend"), "R6");
        assert_eq!(action_id("C* NodeCrash"), "C*");
        assert!(is_known_action("R4'"));
        assert!(is_known_action("C3"));
        assert!(!is_known_action("R99"));
        assert!(action_ids().contains(&"EM1"));
    }
}

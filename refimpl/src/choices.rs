//! Independent choices (spec §11.11, issue 13 item 6): where the paper is silent, the refimpl
//! adopts the model's choice by default; for three of them it can take another plausible
//! one instead, so that trace conformance says whether the choice is observable. The model
//! has no switch for these: a choice the model rejects is a finding about the spec (the
//! choice is part of what the protocol promises), one it accepts is unobservable.

/// What D's PMA does with a request for a process it holds `Incoming` (reserved, not yet
/// restarted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncomingRequests {
    /// Hold it until R13 restarts the process (the model's R13 HoldUntilRestart).
    #[default]
    Hold,
    /// Answer `AbsentProcess` (R15): the caller looks the process up again (R16) and the
    /// PM Master, still locating it at S until R13's update, sends it on.
    AbsentProcess,
}

/// When S forwards its pending queue Q to D on `Done` (R14).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardEmpty {
    /// Always, an empty batch too (the model: "the queue goes to the destination once").
    #[default]
    Always,
    /// Only when Q holds a request, saving a message in the common case.
    OnlyNonEmpty,
}

/// How S answers the `pcntl` caller when D crashed before the pull (C2) and P is
/// reinstated at S.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum C2Answer {
    /// `Abandoned`, as an abandon (the model's choice, spec §5.4).
    #[default]
    Abandoned,
    /// `Refused`, as if D had refused for want of memory (R7/R8).
    Refused,
}

/// The three switchable choices; `Default` is the model's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Choices {
    pub incoming_requests: IncomingRequests,
    pub forward_empty: ForwardEmpty,
    pub c2_answer: C2Answer,
}

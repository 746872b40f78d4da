//! The Process Management Agent of each node and its vproc framework (spec §2.4, §3).
//!
//! A PMA plays two parts. As the *client* of the vproc framework it routes a call from a
//! co-resident emulator to the PMA holding the target (local operations or a client stub to a
//! remote PMA). As the *server* it serves, enqueues (R2) or answers AbsentProcess (R15). The
//! migration phases of §3.2 are its handlers and steps, one function per rule, split as the
//! paper tells them: the source side (phases a, b and e) apart from the destination side
//! (phases c and d).

mod answer;
mod client;
mod completion;
mod destination;
mod server;
mod source;

pub use answer::{answer_migration, bump_moves, complete, group_outcome, respond};
pub use client::{on_absent, on_located, on_reply, on_request, on_syscall, pmm_behind, route};
pub use completion::{
    can_finish_exit, finish_exit, on_child_exited, on_pid_allocated, on_task_migrated,
};
pub use destination::{
    can_inform, can_install, can_pull, inform_pmm, install_and_reattach, on_forward,
    on_location_ack, on_migrate_request, on_pull_failed, on_task_arrived, pull,
    release_reservation,
};
pub use server::{accept_here, on_member_migrate, serve};
pub use source::{
    abandon, abort_restartable, can_abandon, can_abort_restartable, can_detach, can_freeze,
    can_suspend, detach_and_send, executing_for, freeze, on_done, on_refused, reinstate, suspend,
};

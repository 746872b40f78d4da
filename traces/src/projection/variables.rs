//! spec §12.7 Every variable of the model's state, mapped by the projection or declared
//! unobservable, with the reason. Reviewed with `projection`.

/// How a variable of the model's state is treated by the projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// Compared after every step; the text names the refimpl state it is read from.
    Mapped(&'static str),
    /// Not compared; the text says why.
    Unobservable(&'static str),
}

/// Every variable of `osfmig_model::Sys` (spec §2–§6), mapped or declared unobservable.
/// A test checks that this list names every field the model's state serializes.
pub const MODEL_VARIABLES: &[(&str, Mapping)] = &[
    ("nodes[n].alive", Mapping::Mapped("World.nodes[n].alive")),
    (
        "nodes[n].pma.procs[pid]",
        Mapping::Mapped("Pma.procs[pid].list (absent: free)"),
    ),
    (
        "nodes[n].pma.procs[pid].out.queue",
        Mapping::Mapped("Proc.out.queue, in order (the pending queue Q, R2 and R4')"),
    ),
    (
        "nodes[n].pma.procs[pid].proc.held",
        Mapping::Mapped("Proc.held, in order (R13 HoldUntilRestart, the P11 fix's hold)"),
    ),
    (
        "nodes[n].pma.procs[pid].(out, out.frozen)",
        Mapping::Mapped(
            "Proc.out and Outgoing.frozen: none, freezing (R1 to R4') or frozen (R5; R6 is \
             a refimpl event of its own)",
        ),
    ),
    (
        "nodes[n].pma.procs[pid].proc.exiting",
        Mapping::Mapped("Proc.exiting (an exit() served, until the PM Master's acknowledgement)"),
    ),
    (
        "nodes[n].pma.procs[pid].(out.dst, out.caller, out.precopy_done, stage, attempt, \
         proc.in_progress, proc.awaiting_forward, proc.usage, ...)",
        Mapping::Unobservable(
            "steps inside one list state or one refimpl event: attempt numbers and \
             reservation stages advance inside the refimpl's timed plans; a call in progress \
             and the P11 hold show through the requests' statuses and `held`",
        ),
    ),
    (
        "nodes[n].pma.vprocs[pid]",
        Mapping::Mapped(
            "Pma.vprocs[pid] (absent: unknown; local operations, client stubs to a node, \
             enqueue)",
        ),
    ),
    (
        "nodes[n].kernel.tasks[pid]",
        Mapping::Mapped("Kernel.tasks (the node holding the task; none in transit)"),
    ),
    (
        "nodes[n].kernel.tasks[pid].threads",
        Mapping::Mapped("Task.suspended() (every thread's suspend count above zero)"),
    ),
    (
        "nodes[n].kernel.tasks[pid].pma_caps",
        Mapping::Mapped(
            "Task.emulator.pma (the PMA node both capabilities name; the model's two \
             capabilities project to a node only when they agree)",
        ),
    ),
    (
        "nodes[n].kernel.tasks[pid].pages",
        Mapping::Mapped("Task.pages, the first pages_max (each page's home node, XMM)"),
    ),
    (
        "nodes[n].kernel.tasks[pid].offered",
        Mapping::Mapped(
            "Kernel.offers[pid] on the node holding the task (R6 and T1 offer it; the refimpl's \
             T1 records the offer when it suspends the task, as the model's one step does)",
        ),
    ),
    (
        "nodes[n].kernel.tasks[pid].faulting",
        Mapping::Mapped("Task.exec.run = Faulting { page } (R17, a fault in progress)"),
    ),
    (
        "nodes[n].kernel.tasks[pid].reading",
        Mapping::Mapped("World.file_reads (a file read in progress)"),
    ),
    (
        "nodes[n].kernel.tasks[pid].(files, port_queue)",
        Mapping::Unobservable(
            "the refimpl prices threads, capabilities and file tokens in its timing model \
             (their counts differ by design: the null process has 2 threads, 8 \
             capabilities); a file server's reply queued in the port space shows through \
             `reading`",
        ),
    ),
    (
        "nodes[n].kernel.tasks[pid].attempt",
        Mapping::Unobservable(
            "the model numbers offers per task on the kernel, the refimpl per migration at \
             the source PMA; either tells a stale pull from the current one (R10), which \
             shows as an offer taken or not",
        ),
    ),
    (
        "nodes[n].kernel.tasks[pid].dirty, nodes[n].kernel.precopied",
        Mapping::Unobservable(
            "the model pre-copies a snapshot of every page at once (AS1), the refimpl page by \
             page, reading each page when it sends it: a page written before its turn is \
             dirty in the model and not in the refimpl (projecting `dirty` made 63 of 10 000 \
             walks of `precopy` diverge, session 16), and the pre-copy buffer fills at \
             different steps; the pages' homes after the final copy are compared",
        ),
    ),
    (
        "pmm.pids[pid].life",
        Mapping::Mapped("PmMaster.entries[pid].life (absent: unborn, reserved: embryo)"),
    ),
    (
        "pmm.pids[pid].node",
        Mapping::Mapped("PmMaster.entries[pid].node while alive or a zombie"),
    ),
    (
        "pmm.pids[pid].(parent, pgrp, session)",
        Mapping::Mapped("PmMaster.entries[pid].(parent, pgrp, session) while alive or a zombie"),
    ),
    (
        "pmm.pids[pid].cleanup_at",
        Mapping::Unobservable(
            "the refimpl's PM Master clears its `cleanup_at` when the source's `CleanedUp` \
             is read, and its pid allocation also reads a clean-up reported after a fork's \
             request as not yet arrived (`cleaned_sent`, the FIFO order of §4.1 on its RPC \
             channel), so the two clear it at different events: projecting it made 8 of \
             2 000 directed recordings of fork-exit-wait fail (session 16). Its effect, a pid \
             not given while the clean-up is awaited, shows as the pid staying unborn \
             (`pm`), and the W-pid-reuse-deferred recordings exercise it",
        ),
    ),
    (
        "pmm.waiters",
        Mapping::Mapped(
            "PmMaster.waiters, the parked wait() requests as a set: a wait() aborted by R4' \
             and restarted at D registers again, and the model keeps the stale entry beside \
             the new one (its answer is ignored at S) where the refimpl replaces it \
             (compared as a list, 4 of 10 000 walks of three-procs-wait diverged, session 16)",
        ),
    ),
    (
        "pmm.buried",
        Mapping::Mapped("PmMaster.buried (the crashed nodes whose processes are buried)"),
    ),
    (
        "pmm.group",
        Mapping::Mapped(
            "PmMaster.group_run, G1 one after another (spec §3.3.4): the destination, the \
             member awaited and the node whose PMA reports it, and the members still to start",
        ),
    ),
    (
        "emus[pid].outstanding",
        Mapping::Mapped(
            "the refimpl's `Task.emulator.outstanding` while the task is on a live node, less \
             the answers (`CallReply`) on their way to the task: the refimpl's emulator \
             learns of an answer when it reaches its port, the model's in the step that \
             answers (without the correction 9 601 of 10 000 recordings failed, session 16)",
        ),
    ),
    (
        "emus[pid].(waited, exited, forked, sigsuspended)",
        Mapping::Unobservable(
            "which calls the process issued, each at most once (bounds of the model): the \
             trace's stimuli carry them, and validation holds each stimulus to the model's \
             step",
        ),
    ),
    (
        "net",
        Mapping::Mapped(
            "the deliveries pending in the refimpl's event queue (`projection::net`): every \
             protocol message both sides send as a message of its own, by kind, the request \
             or pid it is about and the two nodes (a call and a look-up by their request \
             only: the refimpl routes a `pcntl` call and answers a look-up in the event that \
             reads it), to a live node. Not compared: what the refimpl prices inside an RPC \
             (`LocationUpdate`/`LocationAck`, `AllocPid`/`PidAllocated`, `PullTask`/\
             `TaskState`, pages), the emulator's answers (`outstanding`), file messages \
             (`reading`), `TaskMigrate`/`TaskOffer` and `ChildCreated` (folded into the \
             events that read them), and `CleanedUp` (the refimpl's PM Master keeps its FIFO \
             place behind an earlier `AllocPid` in its reading, not in the queue)",
        ),
    ),
    (
        "reqs[r].status, reqs[r].handled",
        Mapping::Mapped(
            "World.reqs[r].status (routing, queued, in progress, lost, or the outcome \
             without its data) and .handled (times a PMA served it, P6); both sides number \
             requests in issue order",
        ),
    ),
    (
        "reqs[r].caller_node",
        Mapping::Mapped(
            "World.reqs[r].caller (the node whose PMA is the caller's vproc client, VP1)",
        ),
    ),
    (
        "reqs[r].(sender, target, call)",
        Mapping::Unobservable(
            "fixed by the stimulus that issued the request, whose parameters the trace \
             carries and validation holds to the model's step",
        ),
    ),
    (
        "reqs[r].(queued, forwarded)",
        Mapping::Mapped(
            "World.reqs[r].queued and .forwarded (times in a Q, R2 and R4'; times forwarded, R14)",
        ),
    ),
    (
        "reqs[r].absent",
        Mapping::Unobservable(
            "the model's field is the L2 monitor's look-up epoch (the target's moves at the \
             caller's last look-up, and a staleness bit), not a count; the refimpl counts \
             AbsentProcess answers; each look-up shows as the request routing again (R15, \
             R16)",
        ),
    ),
    (
        "reqs[r].detail",
        Mapping::Unobservable(
            "the answer's payload (usage, a child's pid): the refimpl's usage accounting is \
             its timing model's (it does not refund an R4' abort as the model does)",
        ),
    ),
    (
        "pcntl_outstanding",
        Mapping::Mapped(
            "World.pcntl_outstanding less the answers on their way to the monitor (as the \
             emulator's count above)",
        ),
    ),
    (
        "pcntl_issued, calls_issued, crashes",
        Mapping::Unobservable(
            "bound counters of the model, each a function of the trace: the stimuli and \
             crashes it shows",
        ),
    ),
    (
        "ghost",
        Mapping::Unobservable("the properties' history variables"),
    ),
    (
        "u1",
        Mapping::Unobservable(
            "U1's frontier (spec §13.4): derived by the model from its own history of calls \
             and answers, which the refimpl does not keep",
        ),
    ),
    (
        "channels_per_port, done_on_vproc_port",
        Mapping::Unobservable(
            "constants of the run (the `Config` switches of the same names), given to the \
             refimpl's `Config` by the bridge",
        ),
    ),
];

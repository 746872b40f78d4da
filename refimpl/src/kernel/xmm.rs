//! spec §11.3 XMM: every page of a task's address space has a home node; a page touched on
//! another node is fetched from its home's pager (copy on reference, R17) and becomes homed
//! where it was touched. A fault whose home has crashed never completes (C4).

use crate::kernel::Run;
use crate::timing::{MsgKind, MsgShape};
use crate::world::{Ev, World};
use crate::{NodeId, Pid, MASTER};

impl World {
    /// R17: a fault on a page homed on `home`, taken on `node`.
    pub fn cor_fault(&mut self, pid: Pid, node: NodeId, page: u32, home: NodeId) {
        let shape = MsgShape::new(MsgKind::Cpu, home == node).pages(1);
        let cost = self.costs.price(&shape);
        self.stats.count(&shape, cost);
        self.system_work(node, Some(home), &shape, cost);
        let Some(t) = self.nodes[node].kernel.tasks.get_mut(&pid) else {
            return;
        };
        t.exec.run = Run::Faulting { page };
        t.exec.gen += 1;
        let gen = t.exec.gen;
        self.q.after(cost, Ev::FaultDone { pid, gen, home });
    }

    pub fn on_fault_done(&mut self, pid: Pid, gen: u32, home: NodeId) {
        if !self.nodes[home].alive {
            return; // the home died: the task dies on detection (C4)
        }
        let Some(node) = self.task_node(pid) else {
            return;
        };
        if self.transit.contains_key(&pid) {
            return;
        }
        let Some(t) = self.nodes[node].kernel.tasks.get_mut(&pid) else {
            return;
        };
        if t.exec.gen != gen {
            return;
        }
        let Run::Faulting { page } = t.exec.run else {
            return;
        };
        t.pages[page as usize] = node;
        t.exec.touch_next += 1;
        // Which pager served it: the master node's after a flush (AS1), else the node the
        // page was left on (copy on reference).
        let item = if home == MASTER {
            "S-flush-fault"
        } else {
            "S-cor-fault"
        };
        t.exec.run = Run::Ready;
        let now = self.now();
        self.trace.reach(now, item);
        self.stats.cor_faults += 1;
        self.run_task(pid);
    }
}

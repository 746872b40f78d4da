//! spec §11.3 DIPC: messages to a task's port are delivered to whichever node holds the task
//! (`World::task_node`); while the task is between the commit point and its installation the
//! messages wait in the port and move with it (`World::transit`, re-delivered by
//! `pull_done`). A message to or from a crashed node is lost (`World::deliver`).

use crate::world::World;
use crate::{NodeId, Pid};

impl World {
    /// The live kernel holding a task's port right now (None while in transit or gone).
    pub fn port_holder(&self, pid: Pid) -> Option<NodeId> {
        if self.transit.contains_key(&pid) {
            return None;
        }
        self.task_node(pid)
    }
}

//! The root file server on the master node (spec §2.5). Files never move: an open file is a
//! capability in the emulator, and replies go to the task's port wherever the task is.

use crate::state::Sys;
use crate::types::*;

pub fn on_file_read(st: &mut Sys, pid: Pid) {
    st.send(Actor::FileServer, Actor::Port(pid), Msg::FileReply { pid });
}

//! spec §11.4 The file server. Files never move: an open file is a capability the file
//! server hands out, held by the emulator (paper §3.1), and it travels with the task. Each
//! node may run a file server; the root file server runs on the master node (Fig. 6).

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct FileServer {
    /// Open file structures (file reference, position) by capability name.
    pub open: BTreeMap<u32, OpenFile>,
    next: u32,
    /// Reads and writes served (statistics).
    pub ops: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenFile {
    pub file: u32,
    pub offset: u64,
    pub refs: u32,
}

impl FileServer {
    /// open(): a new file structure and the capability (its name) that names it.
    pub fn open(&mut self, file: u32) -> u32 {
        self.next += 1;
        self.open.insert(
            self.next,
            OpenFile {
                file,
                offset: 0,
                refs: 1,
            },
        );
        self.next
    }

    /// A read or write on an open file: the offset moves, shared by every holder of the
    /// capability (paper §3.1: sharing of the file position without modification).
    pub fn io(&mut self, cap: u32, bytes: u32) {
        if let Some(f) = self.open.get_mut(&cap) {
            f.offset += bytes as u64;
        }
        self.ops += 1;
        self.bytes += bytes as u64;
    }

    pub fn close(&mut self, cap: u32) {
        if let Some(f) = self.open.get_mut(&cap) {
            f.refs = f.refs.saturating_sub(1);
            if f.refs == 0 {
                self.open.remove(&cap);
            }
        }
    }

    /// fork() shares the open file with the child: one more reference, same offset.
    pub fn dup(&mut self, cap: u32) {
        if let Some(f) = self.open.get_mut(&cap) {
            f.refs += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §11.4 — a capability shared by fork keeps one offset.
    #[test]
    fn shared_offset() {
        let mut fs = FileServer::default();
        let c = fs.open(7);
        fs.dup(c);
        fs.io(c, 100);
        fs.close(c);
        assert_eq!(fs.open[&c].offset, 100);
        fs.close(c);
        assert!(fs.open.is_empty());
    }
}

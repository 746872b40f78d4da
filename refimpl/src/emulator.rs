//! spec §11.4 The emulator: the library in each task that intercepts the process's system
//! calls (paper §2.1) and sends them as messages either to the PMA named by its PMA
//! capabilities or to a file server. It holds the open file descriptors as file-server
//! capabilities, each with a file token capability from the PMA of the node where it was
//! opened (paper §3.1). It is part of the task: it migrates with it, so nothing about open
//! files is extracted from the PMA (paper §3.1).

use crate::NodeId;

/// An open file descriptor: a file-server capability and a token capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fd {
    /// Node of the file server the capability names.
    pub fs: NodeId,
    /// The file server's name for the open file structure.
    pub cap: u32,
    /// Node of the PMA whose token capability the emulator holds for this file. Process
    /// migration reattaches it (R12); task migration leaves it on the source.
    pub token: NodeId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emulator {
    /// The node of the PMA that the emulator's two PMA capabilities name. Process migration
    /// replaces them (R12); task migration does not (T1, the residual dependency).
    pub pma: NodeId,
    pub fds: Vec<Fd>,
    /// Process-management calls sent and not yet answered.
    pub outstanding: u32,
}

impl Emulator {
    pub fn new(pma: NodeId) -> Emulator {
        Emulator {
            pma,
            fds: Vec::new(),
            outstanding: 0,
        }
    }

    /// R12: replace every capability naming the source PMA by one naming the destination.
    /// Returns how many token capabilities were replaced (each costs a reattachment).
    pub fn reattach(&mut self, src: NodeId, dst: NodeId) -> u32 {
        if self.pma == src {
            self.pma = dst;
        }
        let mut n = 0;
        for fd in &mut self.fds {
            if fd.token == src {
                fd.token = dst;
                n += 1;
            }
        }
        n
    }

    /// Whether any capability still names `node`'s PMA (P7).
    pub fn depends_on_pma(&self, node: NodeId) -> bool {
        self.pma == node || self.fds.iter().any(|f| f.token == node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §11.4 R12 — reattachment replaces the PMA and token capabilities and
    // leaves the file-server capabilities alone.
    #[test]
    fn reattach_replaces_pma_caps_only() {
        let mut e = Emulator::new(1);
        e.fds.push(Fd {
            fs: 0,
            cap: 3,
            token: 1,
        });
        assert!(e.depends_on_pma(1));
        assert_eq!(e.reattach(1, 2), 1);
        assert_eq!(e.pma, 2);
        assert_eq!(e.fds[0].fs, 0);
        assert!(!e.depends_on_pma(1));
    }
}

//! spec §11.1 The discrete-event core: a virtual clock, an event queue ordered by (time,
//! sequence number), and a seeded random number generator implemented here (splitmix64), so
//! that the same seed gives the same run byte for byte. Nothing in the refimpl iterates a
//! `HashMap`; ties between events at the same instant are broken by insertion order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Virtual time in nanoseconds. Microsecond costs from the profile are exact in it.
pub type Time = u64;

pub const NS_PER_US: Time = 1_000;
pub const NS_PER_MS: Time = 1_000_000;

/// Milliseconds as a float, for reports.
pub fn ms(t: Time) -> f64 {
    t as f64 / NS_PER_MS as f64
}

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for choosing
/// workloads, faults and tie-free jitter. Implemented here so that no dependency's
/// algorithm change can alter a run.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`); the modulo bias is irrelevant at these sizes.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        self.next_u64() % n
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

#[derive(Clone)]
struct Entry<E> {
    at: Time,
    seq: u64,
    ev: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and the earliest event must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.cmp(&self.at).then(other.seq.cmp(&self.seq))
    }
}

/// The event queue on the virtual clock.
#[derive(Clone)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    now: Time,
    /// Events popped so far (the benchmark's unit).
    pub processed: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
            now: 0,
            processed: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn now(&self) -> Time {
        self.now
    }

    /// Schedules `ev` `delay` after now.
    pub fn after(&mut self, delay: Time, ev: E) {
        let at = self.now + delay;
        self.at(at, ev);
    }

    /// Schedules `ev` at an absolute time, never in the past.
    pub fn at(&mut self, at: Time, ev: E) {
        debug_assert!(at >= self.now, "event scheduled in the past");
        self.seq += 1;
        self.heap.push(Entry {
            at: at.max(self.now),
            seq: self.seq,
            ev,
        });
    }

    /// The next event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<E> {
        let e = self.heap.pop()?;
        // Never backwards: a driver that ran a later event first (`take`) moved the clock.
        self.now = self.now.max(e.at);
        self.processed += 1;
        Some(e.ev)
    }

    /// Every pending event with its time and sequence number, earliest first (spec §12.8:
    /// a conformance driver chooses among them instead of taking the earliest).
    pub fn pending(&self) -> Vec<(Time, u64, &E)> {
        let mut v: Vec<(Time, u64, &E)> = self.heap.iter().map(|e| (e.at, e.seq, &e.ev)).collect();
        v.sort_by_key(|&(at, seq, _)| (at, seq));
        v
    }

    /// Every pending event, in no particular order (for counting: no sort, no allocation).
    pub fn iter_unordered(&self) -> impl Iterator<Item = &E> {
        self.heap.iter().map(|e| &e.ev)
    }

    /// Takes the pending event `seq` out of order; the clock advances to its time if that is
    /// later (a chosen order never moves the clock backwards).
    pub fn take(&mut self, seq: u64) -> Option<E> {
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        let found = entries.iter().position(|e| e.seq == seq);
        let taken = found.map(|i| entries.swap_remove(i));
        self.heap = BinaryHeap::from(entries);
        let e = taken?;
        self.now = self.now.max(e.at);
        self.processed += 1;
        Some(e.ev)
    }

    /// Keeps only the pending events `keep` accepts (a crash discards what the dead node
    /// sent).
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.heap.retain(|e| keep(&e.ev));
    }

    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|e| e.at)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: spec §11.1 — same seed, same sequence; different seeds differ.
    #[test]
    fn rng_is_deterministic() {
        let a: Vec<u64> = (0..5)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..5)
            .scan(Rng::new(8), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    // Reference: spec §11.1 — events at one instant come out in insertion order.
    #[test]
    fn ties_break_by_insertion_order() {
        let mut q = EventQueue::default();
        q.after(5, 'b');
        q.after(5, 'c');
        q.after(1, 'a');
        let order: Vec<char> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec!['a', 'b', 'c']);
        assert_eq!(q.now(), 5);
    }
}

//! A small vector of `Copy` items stored inline (spec §8.4). Unlike `ArrayVec` it is itself
//! `Copy`, so the structures built of it (proc, task, PMA, kernel) clone as plain memory
//! copies, which is most of what a model checker does with a state. Slots beyond `len` always
//! hold `T::default()`, so the derived equality, ordering and hashing see only the items.

use std::ops::{Deref, DerefMut};

use serde::{Serialize, Serializer};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FixedVec<T: Copy + Default, const N: usize> {
    len: u8,
    items: [T; N],
}

impl<T: Copy + Default, const N: usize> FixedVec<T, N> {
    pub fn new() -> Self {
        FixedVec {
            len: 0,
            items: [T::default(); N],
        }
    }

    /// Appends an item; more than `N` is a bound the configuration should have refused.
    pub fn push(&mut self, x: T) {
        assert!((self.len as usize) < N, "FixedVec capacity {N} exceeded");
        self.items[self.len as usize] = x;
        self.len += 1;
    }

    /// Inserts an item at `at`, shifting the rest right.
    pub fn insert(&mut self, at: usize, x: T) {
        assert!(
            (self.len as usize) < N && at <= self.len as usize,
            "FixedVec insert out of range"
        );
        self.items.copy_within(at..self.len as usize, at + 1);
        self.items[at] = x;
        self.len += 1;
    }

    /// The number of items (without going through the slice: this is called on hot paths).
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All `N` slots: the items, then default values (spec §8.4: hashing reads them whole).
    pub fn slots(&self) -> &[T; N] {
        &self.items
    }

    /// Keeps the items `keep` accepts, in order; the freed slots go back to the default.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut kept = 0;
        for i in 0..self.len as usize {
            let x = self.items[i];
            if keep(&x) {
                self.items[kept] = x;
                kept += 1;
            }
        }
        self.items[kept..self.len as usize].fill(T::default());
        self.len = kept as u8;
    }
}

impl<T: Copy + Default, const N: usize> Default for FixedVec<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> Deref for FixedVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items[..self.len as usize]
    }
}

impl<T: Copy + Default, const N: usize> DerefMut for FixedVec<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items[..self.len as usize]
    }
}

impl<T: Copy + Default, const N: usize> FromIterator<T> for FixedVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = Self::new();
        for x in iter {
            v.push(x);
        }
        v
    }
}

impl<T: Copy + Default, const N: usize> IntoIterator for FixedVec<T, N> {
    type Item = T;
    type IntoIter = std::iter::Take<std::array::IntoIter<T, N>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter().take(self.len as usize)
    }
}

impl<'a, T: Copy + Default, const N: usize> IntoIterator for &'a FixedVec<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Copy + Default + std::fmt::Debug, const N: usize> std::fmt::Debug for FixedVec<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Copy + Default + Serialize, const N: usize> Serialize for FixedVec<T, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::FixedVec;

    // Reference: spec §8.4. Unused slots stay default, so equal contents compare equal.
    #[test]
    fn insert_push_and_equality() {
        let mut a: FixedVec<u8, 4> = FixedVec::new();
        a.push(2);
        a.insert(0, 1);
        let b: FixedVec<u8, 4> = [1, 2].into_iter().collect();
        assert_eq!(a, b);
        assert_eq!(&a[..], &[1, 2]);
        assert_eq!(a.into_iter().collect::<Vec<_>>(), vec![1, 2]);
    }

    // Reference: spec §8.4. retain leaves the freed slots default, so equality still holds.
    #[test]
    fn retain_keeps_order_and_resets_slots() {
        let mut a: FixedVec<u8, 4> = [1, 2, 3, 4].into_iter().collect();
        a.retain(|&x| x % 2 == 0);
        let b: FixedVec<u8, 4> = [2, 4].into_iter().collect();
        assert_eq!(a, b);
    }
}

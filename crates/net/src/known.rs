//! A bounded set of recently seen items, used to remember which blocks and
//! transactions a peer already knows so they are not announced to it again.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

/// Remembers up to `capacity` items; the oldest are forgotten first. Forgetting
/// only costs a redundant announcement, so the bound protects memory cheaply.
#[derive(Debug)]
pub struct KnownSet<T: Hash + Eq + Copy> {
    set: HashSet<T>,
    order: VecDeque<T>,
    capacity: usize,
}

impl<T: Hash + Eq + Copy> KnownSet<T> {
    /// An empty set holding at most `capacity` items.
    pub fn new(capacity: usize) -> Self {
        KnownSet {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds an item, forgetting the oldest one when full.
    pub fn insert(&mut self, item: T) {
        if self.set.insert(item) {
            self.order.push_back(item);
            if self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    /// Forgets an item. Its slot in the age order stays until it ages out, so a
    /// re-inserted item may be forgotten a little early, which is harmless here.
    pub fn remove(&mut self, item: &T) {
        self.set.remove(item);
    }

    /// Whether the item is remembered.
    pub fn contains(&self, item: &T) -> bool {
        self.set.contains(item)
    }

    /// Forgets every item.
    pub fn clear(&mut self) {
        self.set.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_oldest_when_full() {
        let mut k = KnownSet::new(2);
        k.insert(1);
        k.insert(2);
        k.insert(1); // already there: no reordering, no growth
        k.insert(3);
        assert!(!k.contains(&1));
        assert!(k.contains(&2) && k.contains(&3));
    }
}

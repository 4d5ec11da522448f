//! Bounded selection of the k nearest rows.
//!
//! Results are ordered by distance and then by id, so that equal distances (duplicate templates)
//! always come back in the same order whatever the thread schedule: a total order makes the
//! parallel reduction deterministic.

use std::cmp::Ordering;

/// The k smallest `(key, id)` pairs pushed so far, ascending, with keys above `limit` refused.
#[derive(Debug, Clone)]
pub struct TopK<K> {
    k: usize,
    limit: K,
    items: Vec<(K, u64)>,
}

fn order<K: PartialOrd>(a: &(K, u64), b: &(K, u64)) -> Ordering {
    a.0.partial_cmp(&b.0)
        .unwrap_or(Ordering::Equal)
        .then(a.1.cmp(&b.1))
}

impl<K: PartialOrd + Copy> TopK<K> {
    /// Keeps at most `k` pairs whose key is at most `limit`.
    pub fn new(k: usize, limit: K) -> Self {
        Self {
            k,
            limit,
            items: Vec::with_capacity(k.min(1024) + 1),
        }
    }

    /// The largest key that could still enter: cheap to test before computing anything exact.
    #[inline]
    pub fn bound(&self) -> K {
        if self.items.len() == self.k {
            self.items.last().map_or(self.limit, |last| last.0)
        } else {
            self.limit
        }
    }

    /// Offers one pair; keeps it if it is among the k smallest so far.
    #[inline]
    pub fn push(&mut self, key: K, id: u64) {
        if self.k == 0 || key > self.bound() {
            return;
        }
        let item = (key, id);
        if self.items.len() == self.k
            && self
                .items
                .last()
                .is_some_and(|last| order(&item, last) != Ordering::Less)
        {
            return;
        }
        let at = self
            .items
            .partition_point(|probe| order(probe, &item) == Ordering::Less);
        self.items.insert(at, item);
        self.items.truncate(self.k);
    }

    /// Folds another selection over the same k and limit into this one.
    pub fn merge(mut self, other: Self) -> Self {
        for (key, id) in other.items {
            self.push(key, id);
        }
        self
    }

    /// The kept pairs, ascending.
    pub fn into_sorted(self) -> Vec<(K, u64)> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_k_smallest_with_ties_by_id() {
        let mut t = TopK::new(3, f32::INFINITY);
        for (key, id) in [(0.5, 9), (0.1, 4), (0.5, 2), (0.9, 1), (0.1, 3), (0.5, 1)] {
            t.push(key, id);
        }
        assert_eq!(t.into_sorted(), vec![(0.1, 3), (0.1, 4), (0.5, 1)]);
    }

    #[test]
    fn limit_is_inclusive_and_k_zero_keeps_nothing() {
        let mut t = TopK::new(5, 1.0f32);
        t.push(1.0, 1);
        t.push(1.000_001, 2);
        assert_eq!(t.into_sorted(), vec![(1.0, 1)]);
        let mut none = TopK::new(0, f32::INFINITY);
        none.push(0.0, 1);
        assert!(none.into_sorted().is_empty());
    }

    #[test]
    fn merge_equals_pushing_everything_into_one() {
        let pairs: Vec<(i32, u64)> = (0..50).map(|i| ((i * 37) % 11, i as u64)).collect();
        let mut all = TopK::new(7, i32::MAX);
        let (mut a, mut b) = (TopK::new(7, i32::MAX), TopK::new(7, i32::MAX));
        for (i, &(key, id)) in pairs.iter().enumerate() {
            all.push(key, id);
            if i % 2 == 0 {
                a.push(key, id)
            } else {
                b.push(key, id)
            }
        }
        assert_eq!(a.merge(b).into_sorted(), all.into_sorted());
    }
}

//! A budget shared fairly between the monitor's trees: its inotify watches
//! and its alert queue. One tree's user must not be able to take what
//! another tree needs (issue 12: a vhost user filled the watch table and
//! the alert queue, blinding and silencing the other vhosts).

/// `total` units shared between trees known by slot number.
///
/// Each live tree is sure of its share, `total / trees` (at least 1); a
/// tree past its share may take only what no other tree's share still
/// claims, so a big tree can use what small ones leave, but never what
/// they may yet need.
///
/// Invariants: `used[s]` is what slot `s` holds; `sum` is the total held;
/// `unclaimed` is the sum over live slots of `share - used[s]` where that
/// is positive.
#[derive(Default)]
pub struct FairShare {
    total: usize,
    used: Vec<u32>,
    live: Vec<bool>,
    share: usize,
    sum: usize,
    unclaimed: usize,
}

impl FairShare {
    /// A budget of `total` units and no trees yet.
    pub fn new(total: usize) -> FairShare {
        FairShare {
            total,
            ..FairShare::default()
        }
    }

    /// Adds (`live`) or removes a tree; a removed tree's units are freed.
    pub fn set_live(&mut self, slot: usize, live: bool) {
        if self.used.len() <= slot {
            self.used.resize(slot + 1, 0);
            self.live.resize(slot + 1, false);
        }
        if !live {
            self.sum -= self.used[slot] as usize;
            self.used[slot] = 0;
        }
        self.live[slot] = live;
        self.recount();
    }

    /// This tree's sure share.
    pub fn share(&self) -> usize {
        self.share
    }

    /// What slot `slot` holds.
    pub fn used(&self, slot: usize) -> usize {
        self.used.get(slot).map_or(0, |&u| u as usize)
    }

    /// Takes one unit for `slot` if fairness allows.
    pub fn try_take(&mut self, slot: usize) -> bool {
        if !self.live.get(slot).copied().unwrap_or(false) {
            return false;
        }
        let u = self.used[slot] as usize;
        if u < self.share {
            self.unclaimed -= 1;
        } else if self.sum + self.unclaimed >= self.total {
            return false;
        }
        self.used[slot] += 1;
        self.sum += 1;
        true
    }

    /// Gives one unit of `slot` back.
    pub fn give_back(&mut self, slot: usize) {
        let Some(u) = self.used.get_mut(slot).filter(|u| **u > 0) else {
            return;
        };
        *u -= 1;
        self.sum -= 1;
        if (*u as usize) < self.share && self.live[slot] {
            self.unclaimed += 1;
        }
    }

    /// Sets what `slot` holds after a recount (the monitor counts a tree's
    /// watches again after each full sweep).
    pub fn set_used(&mut self, slot: usize, n: usize) {
        if let Some(u) = self.used.get_mut(slot) {
            self.sum = self.sum - *u as usize + n;
            *u = n as u32;
            self.recount();
        }
    }

    fn recount(&mut self) {
        let trees = self.live.iter().filter(|&&l| l).count();
        self.share = (self.total / trees.max(1)).max(1);
        self.unclaimed = self
            .used
            .iter()
            .zip(&self.live)
            .filter(|(_, &l)| l)
            .map(|(&u, _)| self.share.saturating_sub(u as usize))
            .sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tree_keeps_its_share_and_may_use_what_nobody_claims() {
        let mut f = FairShare::new(10);
        f.set_live(0, true);
        f.set_live(1, true);
        // Tree 0 (the attacker) takes all it can: its 5, nothing more,
        // because tree 1's 5 are still claimed.
        let got = (0..100).filter(|_| f.try_take(0)).count();
        assert_eq!(got, 5);
        // Tree 1 still gets its 5.
        assert_eq!((0..100).filter(|_| f.try_take(1)).count(), 5);
        // Tree 1 frees 3: unclaimed by its share again, so still not 0's.
        for _ in 0..3 {
            f.give_back(1);
        }
        assert!(!f.try_take(0));
        assert!(f.try_take(1));
        // A third tree: shares shrink to 3; nobody loses what it holds.
        f.set_live(2, true);
        assert_eq!(f.share(), 3);
        assert_eq!((0..100).filter(|_| f.try_take(2)).count(), 3);
        assert_eq!(f.used(0), 5);
    }

    #[test]
    fn a_tree_alone_may_use_everything_and_removal_frees_it() {
        let mut f = FairShare::new(4);
        f.set_live(3, true);
        assert_eq!((0..10).filter(|_| f.try_take(3)).count(), 4);
        f.set_live(3, false);
        f.set_live(1, true);
        assert_eq!((0..10).filter(|_| f.try_take(1)).count(), 4);
        assert!(!f.try_take(3), "a removed tree takes nothing");
    }

    #[test]
    fn more_trees_than_units_each_still_get_one() {
        let mut f = FairShare::new(2);
        for s in 0..5 {
            f.set_live(s, true);
        }
        for s in 0..5 {
            assert!(f.try_take(s));
            assert!(!f.try_take(s));
        }
    }
}

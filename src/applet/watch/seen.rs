//! "Each drift reported once" (SPEC §7) — and counted as reported only
//! once its alert actually ran.
//!
//! Map: [`Seen`] remembers the persisting findings of each tree; the
//! report's [`SeenGate`] asks it whether a finding is new; [`AlertFeed`]
//! (a report listener) offers each shown finding to the alert queue and,
//! when the tree's share of the queue is full, marks the drift as not yet
//! alerted: the gate then offers its alert again the next time the drift is
//! seen (an event about that entry, or the tree's next sweep), without
//! printing or logging it twice.

use crate::alert::AlertQueue;
use crate::applet::watch::warn;
use crate::budget::MAX_SEEN_FINDINGS;
use crate::output::{Action, Finding, Gate, Level, Listener};
use std::cell::RefCell;

/// One remembered finding.
#[derive(Clone, Copy)]
struct Entry {
    /// [`finding_hash`] of (path, kind, expected, actual).
    hash: u64,
    /// [`path_hash`] of the finding's path alone.
    path: u32,
    /// The tree's slot.
    tree: u32,
    /// The tree's sweep number when it was last seen.
    gen: u32,
    /// Its alert was dropped: offer it again when the drift is next seen.
    unalerted: bool,
    /// Being re-examined ([`Seen::examine_begin`]) and not seen again yet.
    stale: bool,
}

/// Persisting findings of each tree, so that each is reported once.
///
/// Invariants: `entries` is sorted by `hash` and holds at most
/// [`MAX_SEEN_FINDINGS`]; an entry of tree `t` with `gen == gens[t]` or
/// `gens[t] - 1` was seen in the tree's current or last sweep (or by an
/// event since); after [`Seen::end`]`(t)` every entry of `t` has
/// `gen == gens[t]`.
#[derive(Default)]
pub struct Seen {
    entries: Vec<Entry>,
    gens: Vec<u32>,
    /// The tree whose findings are being reported.
    pub current: u32,
    /// The path being re-examined after an event, if any.
    probe: Option<u32>,
    full_said: bool,
}

/// What the gate decides about one finding.
enum Verdict {
    /// Show it (new, or a repair).
    Show,
    /// Already reported; `true` when its alert still has to run.
    Again(bool),
}

impl Seen {
    /// Starts a full sweep of tree `t`.
    pub fn begin(&mut self, t: usize) {
        while self.gens.len() <= t {
            self.gens.push(0);
        }
        self.gens[t] = self.gens[t].wrapping_add(1);
        self.current = t as u32;
    }

    /// Ends tree `t`'s sweep: forgets its findings that the sweep did not
    /// see again.
    pub fn end(&mut self, t: usize) {
        let g = self.gens.get(t).copied().unwrap_or(0);
        let t = t as u32;
        self.entries.retain(|e| e.tree != t || e.gen == g);
    }

    /// Findings reported from now on belong to tree `t` (events).
    pub fn enter(&mut self, t: usize) {
        self.current = t as u32;
    }

    /// The entry at `path` of the current tree is about to be examined
    /// again after an event: what is remembered about it and not seen again
    /// by [`Seen::examine_end`] is forgotten (the drift went away, so it is
    /// reported again if it comes back).
    pub fn examine_begin(&mut self, path: &[u8]) {
        let h = path_hash(path);
        let t = self.current;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| e.path == h && e.tree == t)
        {
            e.stale = true;
        }
        self.probe = Some(h);
    }

    /// See [`Seen::examine_begin`].
    pub fn examine_end(&mut self) {
        if let Some(h) = self.probe.take() {
            let t = self.current;
            self.entries
                .retain(|e| !(e.stale && e.path == h && e.tree == t));
        }
    }

    /// Forgets everything about tree `t` (removed).
    pub fn forget_tree(&mut self, t: usize) {
        let t = t as u32;
        self.entries.retain(|e| e.tree != t);
        if let Some(g) = self.gens.get_mut(t as usize) {
            *g = 0;
        }
    }

    fn admit(&mut self, f: &Finding<'_>) -> Verdict {
        if matches!(f.action, Action::Fixed | Action::Created) {
            return Verdict::Show; // Repaired now: an event, not a persisting drift.
        }
        let t = self.current;
        let g = self.gens.get(t as usize).copied().unwrap_or(0);
        let h = finding_hash(f);
        match self.entries.binary_search_by_key(&h, |e| e.hash) {
            Ok(i) => {
                let e = &mut self.entries[i];
                let again = e.tree == t && (e.gen == g || e.gen == g.wrapping_sub(1));
                let unalerted = again && e.unalerted;
                *e = Entry {
                    hash: h,
                    path: path_hash(f.path),
                    tree: t,
                    gen: g,
                    unalerted,
                    stale: false,
                };
                if again {
                    Verdict::Again(unalerted)
                } else {
                    Verdict::Show
                }
            }
            Err(i) => {
                if self.entries.len() < MAX_SEEN_FINDINGS {
                    let e = Entry {
                        hash: h,
                        path: path_hash(f.path),
                        tree: t,
                        gen: g,
                        unalerted: false,
                        stale: false,
                    };
                    self.entries.insert(i, e);
                } else if !self.full_said {
                    self.full_said = true;
                    warn(
                        Level::Warning,
                        format_args!(
                            "more than {MAX_SEEN_FINDINGS} drifts: the rest are reported at every sweep"
                        ),
                    );
                }
                Verdict::Show
            }
        }
    }

    /// Marks the drift `f` as not alerted (its alert was dropped) or, with
    /// `alerted`, as alerted.
    fn set_unalerted(&mut self, f: &Finding<'_>, unalerted: bool) {
        let h = finding_hash(f);
        if let Ok(i) = self.entries.binary_search_by_key(&h, |e| e.hash) {
            self.entries[i].unalerted = unalerted;
        }
    }
}

/// The report's gate: lets through what [`Seen`] has not reported yet, and
/// offers a known drift's alert again when it was dropped before.
pub struct SeenGate {
    pub seen: &'static RefCell<Seen>,
    pub alerts: Option<&'static AlertQueue>,
}

impl Gate for SeenGate {
    fn admit(&mut self, f: &Finding<'_>) -> bool {
        let mut s = self.seen.borrow_mut();
        match s.admit(f) {
            Verdict::Show => true,
            Verdict::Again(unalerted) => {
                if unalerted {
                    if let Some(q) = self.alerts {
                        if q.offer(f, s.current) {
                            s.set_unalerted(f, false);
                        }
                    }
                }
                false
            }
        }
    }
}

/// Offers every finding shown to the alert queue (under its tree's share);
/// a drift whose alert did not fit is remembered as not alerted.
pub struct AlertFeed {
    pub seen: &'static RefCell<Seen>,
    pub alerts: &'static AlertQueue,
}

impl Listener for AlertFeed {
    fn finding(&mut self, f: &Finding<'_>) {
        let tree = self.seen.borrow().current;
        if !self.alerts.offer(f, tree) && !matches!(f.action, Action::Fixed | Action::Created) {
            self.seen.borrow_mut().set_unalerted(f, true);
        }
    }
}

/// FNV-1a over (path, kind, expected, actual).
fn finding_hash(f: &Finding<'_>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        f.path,
        f.kind.word().as_bytes(),
        f.expected.as_bytes(),
        f.actual.as_bytes(),
    ] {
        // Each part then 0xff (a byte that UTF-8 never holds) as separator.
        for &b in part {
            h = fnv_step(h, b);
        }
        h = fnv_step(h, 0xff);
    }
    h
}

/// FNV-1a of a path, folded to 32 bits.
fn path_hash(path: &[u8]) -> u32 {
    let h = path
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| fnv_step(h, b));
    (h ^ (h >> 32)) as u32
}

/// One FNV-1a step.
fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Kind;

    fn f(path: &[u8], action: Action) -> Finding<'_> {
        Finding {
            path,
            kind: Kind::Mode,
            expected: "0775",
            actual: "0755",
            action,
            rule: None,
            detail: "",
        }
    }

    fn shown(s: &mut Seen, f: &Finding<'_>) -> bool {
        matches!(s.admit(f), Verdict::Show)
    }

    #[test]
    fn each_drift_is_reported_once_until_it_goes_away() {
        let mut s = Seen::default();
        s.begin(0);
        assert!(shown(&mut s, &f(b"/a", Action::WouldFix)));
        s.end(0);
        s.begin(0);
        assert!(!shown(&mut s, &f(b"/a", Action::WouldFix)));
        s.end(0);
        s.begin(0); // gone in this sweep
        s.end(0);
        s.begin(0);
        assert!(shown(&mut s, &f(b"/a", Action::WouldFix)));
        s.end(0);
    }

    #[test]
    fn repairs_are_always_reported_and_targets_are_separate() {
        let mut s = Seen::default();
        s.begin(0);
        assert!(shown(&mut s, &f(b"/a", Action::Fixed)));
        assert!(shown(&mut s, &f(b"/b", Action::WouldFix)));
        s.end(0);
        s.begin(1); // another target's sweep does not forget target 0's drift
        s.end(1);
        s.begin(0);
        assert!(shown(&mut s, &f(b"/a", Action::Fixed)));
        assert!(!shown(&mut s, &f(b"/b", Action::WouldFix)));
        s.end(0);
    }

    #[test]
    fn an_entry_examined_after_an_event_is_forgotten_when_in_policy_again() {
        let mut s = Seen::default();
        s.begin(0);
        s.end(0);
        s.enter(0);
        s.examine_begin(b"/q");
        assert!(shown(&mut s, &f(b"/q", Action::WouldFix)));
        s.examine_end();
        // Events about the same drift: not again.
        s.examine_begin(b"/q");
        assert!(!shown(&mut s, &f(b"/q", Action::WouldFix)));
        s.examine_end();
        // Repaired by someone: an examination without the finding.
        s.examine_begin(b"/q");
        s.examine_end();
        // Back: reported again.
        s.examine_begin(b"/q");
        assert!(shown(&mut s, &f(b"/q", Action::WouldFix)));
        s.examine_end();
    }

    #[test]
    fn a_drift_whose_alert_was_dropped_is_remembered_as_unalerted() {
        let mut s = Seen::default();
        s.begin(0);
        let d = f(b"/x", Action::WouldFix);
        assert!(shown(&mut s, &d));
        s.set_unalerted(&d, true);
        s.end(0);
        s.begin(0);
        assert!(matches!(s.admit(&d), Verdict::Again(true)));
        s.set_unalerted(&d, false);
        assert!(matches!(s.admit(&d), Verdict::Again(false)));
        s.end(0);
    }
}

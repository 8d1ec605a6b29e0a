//! The results a live grid may open: each result set the kernel showed, by an id unique to
//! this kernel process, with the source that made it and its columns; and the few of them
//! pinned on the server. Both are bounded: the last [`MAX_RESULTS`] results (a descriptor is
//! small: the query and its schema) and the [`MAX_PINS`] pins used last (a pin holds a
//! whole result in the executors' memory or disk, so only the grids being explored keep
//! one); the least recently used pin is let go when another is made, even when its result
//! has left the window of open results since.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::spark::ViewSource;

use super::protocol::Column;

/// How many shown results stay open to a grid.
pub(crate) const MAX_RESULTS: usize = 100;
/// How many results stay pinned on the server at once.
pub(crate) const MAX_PINS: usize = 4;

/// A result shown by this kernel.
pub(crate) struct Entry {
    pub(crate) source: ViewSource,
    pub(crate) columns: Vec<Column>,
    /// The pinned source and the session it lives in (by address), once pinned; the lock
    /// is held while pinning, so one result is pinned once however many pages ask.
    pub(crate) pin: tokio::sync::Mutex<Option<(usize, ViewSource)>>,
    /// Set when an interrupt stopped its pin: its pages are computed from its source since.
    pub(crate) unpinned: AtomicBool,
}

#[derive(Default)]
struct State {
    results: BTreeMap<u64, Arc<Entry>>,
    /// Pinned results, least recently used first (kept here even when they left `results`,
    /// so that their pins are let go).
    pins: VecDeque<(u64, Arc<Entry>)>,
    issued: u64,
}

#[derive(Default)]
pub(crate) struct Registry {
    state: Mutex<State>,
}

/// Where a result id leads.
pub(crate) enum Found {
    Open(Arc<Entry>),
    /// Shown by this kernel, and let go since.
    Released,
    /// Never shown by this kernel.
    Unknown,
}

impl Registry {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps a shown result; its number in this kernel.
    pub(crate) fn add(&self, source: ViewSource, columns: Vec<Column>) -> u64 {
        let mut state = self.state();
        state.issued += 1;
        let n = state.issued;
        state.results.insert(
            n,
            Arc::new(Entry {
                source,
                columns,
                pin: tokio::sync::Mutex::new(None),
                unpinned: AtomicBool::new(false),
            }),
        );
        while state.results.len() > MAX_RESULTS {
            state.results.pop_first();
        }
        n
    }

    pub(crate) fn find(&self, n: u64) -> Found {
        let state = self.state();
        match state.results.get(&n) {
            Some(entry) => Found::Open(entry.clone()),
            None if n >= 1 && n <= state.issued => Found::Released,
            None => Found::Unknown,
        }
    }

    /// Marks result `n` (`entry`) pinned and used now; answers the results whose pins must go.
    pub(crate) fn used(&self, n: u64, entry: &Arc<Entry>) -> Vec<Arc<Entry>> {
        let mut state = self.state();
        state.pins.retain(|(p, _)| *p != n);
        state.pins.push_back((n, entry.clone()));
        let mut evicted = Vec::new();
        while state.pins.len() > MAX_PINS {
            if let Some((_, old)) = state.pins.pop_front() {
                evicted.push(old);
            }
        }
        evicted
    }

    /// Every result that may hold a pin.
    pub(crate) fn pinned(&self) -> Vec<Arc<Entry>> {
        self.state().pins.drain(..).map(|(_, entry)| entry).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> ViewSource {
        ViewSource::of("SELECT 1", &crate::spark::StatementRun::of(true)).expect("a query")
    }

    fn open(registry: &Registry, n: u64) -> Arc<Entry> {
        match registry.find(n) {
            Found::Open(entry) => entry,
            _ => panic!("result {n} is open"),
        }
    }

    #[test]
    fn pins_and_results_are_bounded_least_recently_used_first() {
        let registry = Registry::default();
        let ids: Vec<u64> = (0..MAX_PINS + 1).map(|_| registry.add(source(), Vec::new())).collect();
        for &n in &ids[..MAX_PINS] {
            assert!(registry.used(n, &open(&registry, n)).is_empty());
        }
        // The first is used again: the second is now the least recently used.
        assert!(registry.used(ids[0], &open(&registry, ids[0])).is_empty());
        let evicted = registry.used(ids[MAX_PINS], &open(&registry, ids[MAX_PINS]));
        assert_eq!(evicted.len(), 1);
        assert!(Arc::ptr_eq(&evicted[0], &open(&registry, ids[1])));
        for _ in 0..MAX_RESULTS {
            registry.add(source(), Vec::new());
        }
        assert!(matches!(registry.find(ids[0]), Found::Released));
        assert!(matches!(registry.find(10_000), Found::Unknown));
        assert!(matches!(registry.find(0), Found::Unknown));
    }

    #[test]
    fn a_pinned_result_that_left_the_window_is_still_let_go() {
        let registry = Registry::default();
        let first = registry.add(source(), Vec::new());
        let entry = open(&registry, first);
        assert!(registry.used(first, &entry).is_empty());
        for _ in 0..MAX_RESULTS {
            registry.add(source(), Vec::new());
        }
        assert!(matches!(registry.find(first), Found::Released));
        // Its pin is the least recently used: the next pins past the bound let it go.
        let mut evicted = Vec::new();
        for _ in 0..MAX_PINS {
            let n = registry.add(source(), Vec::new());
            evicted.extend(registry.used(n, &open(&registry, n)));
        }
        assert_eq!(evicted.len(), 1);
        assert!(Arc::ptr_eq(&evicted[0], &entry));
        // And the kernel's end lets go of every pin left.
        assert_eq!(registry.pinned().len(), MAX_PINS);
        assert!(registry.pinned().is_empty());
    }
}

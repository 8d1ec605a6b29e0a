//! The results a live grid may open: each result set the kernel showed, by an id unique to
//! this kernel process, with the source that made it and its columns; and the few of them
//! pinned on the server. Both are bounded: the last [`MAX_RESULTS`] results (a descriptor is
//! small: the query and its schema) and the [`MAX_PINS`] pins used last (a pin holds a
//! whole result in the executors' memory or disk, so only the grids being explored keep
//! one); the least recently used pin is let go when another is made.

use std::collections::{BTreeMap, VecDeque};
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
}

#[derive(Default)]
struct State {
    results: BTreeMap<u64, Arc<Entry>>,
    /// Pinned results, least recently used first.
    pins: VecDeque<u64>,
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

    /// Marks result `n` pinned and used now; answers the results whose pins must go.
    pub(crate) fn used(&self, n: u64) -> Vec<Arc<Entry>> {
        let mut state = self.state();
        state.pins.retain(|&p| p != n);
        state.pins.push_back(n);
        let mut evicted = Vec::new();
        while state.pins.len() > MAX_PINS {
            if let Some(old) = state.pins.pop_front()
                && let Some(entry) = state.results.get(&old)
            {
                evicted.push(entry.clone());
            }
        }
        evicted
    }

    /// Every result that may hold a pin.
    pub(crate) fn pinned(&self) -> Vec<Arc<Entry>> {
        let mut state = self.state();
        let pins: Vec<u64> = state.pins.drain(..).collect();
        pins.iter().filter_map(|n| state.results.get(n).cloned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> ViewSource {
        ViewSource::of("SELECT 1", &crate::spark::StatementRun::of(true)).expect("a query")
    }

    #[test]
    fn pins_and_results_are_bounded_least_recently_used_first() {
        let registry = Registry::default();
        let ids: Vec<u64> = (0..MAX_PINS + 1).map(|_| registry.add(source(), Vec::new())).collect();
        for &n in &ids[..MAX_PINS] {
            assert!(registry.used(n).is_empty());
        }
        // The first is used again: the second is now the least recently used.
        assert!(registry.used(ids[0]).is_empty());
        let evicted = registry.used(ids[MAX_PINS]);
        assert_eq!(evicted.len(), 1);
        let Found::Open(second) = registry.find(ids[1]) else {
            panic!("still open")
        };
        assert!(Arc::ptr_eq(&evicted[0], &second));
        for _ in 0..MAX_RESULTS {
            registry.add(source(), Vec::new());
        }
        assert!(matches!(registry.find(ids[0]), Found::Released));
        assert!(matches!(registry.find(10_000), Found::Unknown));
        assert!(matches!(registry.find(0), Found::Unknown));
    }
}

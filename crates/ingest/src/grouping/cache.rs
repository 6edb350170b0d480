//! Groupings remembered by their input, per ingest thread.
//!
//! Grouping an event (classifying and hashing its frames, naming the
//! issue) is a fifth of the CPU ingest spends on it, and the events of an
//! issue mostly repeat it with the same input: the same stack, exception
//! type and value. Grouping is a pure function of [`GroupingInput`], so a
//! result found under the input's exact key (compared byte for byte, not
//! by hash) is the result grouping would compute.
//!
//! The cache is bounded in entries and bytes: two generations, the older
//! one dropped when the newer fills (an entry used again moves to the
//! newer one). An ingest thread with no work for a second empties its
//! cache ([`forget_cached_groupings`]), so an idle server holds none of it.

use std::cell::RefCell;
use std::collections::HashMap;

use super::input::GroupingInput;
use super::Grouping;

/// Entries in one generation.
const GENERATION_ENTRIES: usize = 256;
/// Key bytes in one generation (a 20-frame stack's key is ~3.5 KB).
const GENERATION_BYTES: usize = 1 << 20;
/// Inputs with a longer key are grouped every time, not remembered.
const MAX_KEY_BYTES: usize = 64 << 10;

type Generation = HashMap<Box<[u8]>, Grouping, foldhash::fast::RandomState>;

#[derive(Default)]
struct GroupingCache {
    newer: Generation,
    newer_bytes: usize,
    older: Generation,
    /// The key being looked up (reused: no allocation per lookup).
    key: Vec<u8>,
}

impl GroupingCache {
    fn get_or_group(
        &mut self,
        input: &GroupingInput<'_>,
        group: impl FnOnce() -> Grouping,
    ) -> Grouping {
        self.key.clear();
        input.write_key(&mut self.key);
        if self.key.len() > MAX_KEY_BYTES {
            return group();
        }
        if let Some(found) = self.newer.get(self.key.as_slice()) {
            return found.clone();
        }
        let grouping = match self.older.remove(self.key.as_slice()) {
            Some(found) => found,
            None => group(),
        };
        if self.newer.len() >= GENERATION_ENTRIES
            || self.newer_bytes + self.key.len() > GENERATION_BYTES
        {
            self.older = std::mem::take(&mut self.newer);
            self.newer_bytes = 0;
        }
        self.newer_bytes += self.key.len();
        self.newer
            .insert(self.key.as_slice().into(), grouping.clone());
        grouping
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.newer.len() + self.older.len()
    }
}

thread_local! {
    static CACHE: RefCell<GroupingCache> = RefCell::default();
}

/// This thread's remembered grouping of `input`, else `group()` (then
/// remembered).
pub(super) fn cached(input: &GroupingInput<'_>, group: impl FnOnce() -> Grouping) -> Grouping {
    CACHE.with(|cache| cache.borrow_mut().get_or_group(input, group))
}

/// Empties this thread's grouping cache and frees its memory: call on a
/// thread that has gone idle.
pub fn forget_cached_groupings() {
    let _ = CACHE.try_with(|cache| *cache.borrow_mut() = GroupingCache::default());
}

/// Groupings this thread remembers.
#[cfg(test)]
pub(crate) fn cached_groupings() -> usize {
    CACHE.with(|cache| cache.borrow().len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grouping::{group_uncached, tests::capture, tests::event_capture_names};
    use serde_json::{json, Value};

    fn event(k: usize) -> Value {
        json!({"platform": "python", "exception": {"values": [{"type": "E", "value": format!("v{k}"),
            "stacktrace": {"frames": [{"function": "f", "module": "m", "in_app": true}]}}]}})
    }

    #[test]
    fn a_remembered_grouping_is_the_computed_one() {
        forget_cached_groupings();
        for name in event_capture_names() {
            let ev = capture(&name);
            let computed = group_uncached(&ev);
            let first = crate::grouping::group_event(&ev);
            let again = crate::grouping::group_event(&ev);
            assert_eq!(first, computed, "{name}");
            assert_eq!(again, computed, "{name}");
        }
        assert!(cached_groupings() > 0);
    }

    #[test]
    fn events_differing_only_outside_the_input_share_an_entry() {
        forget_cached_groupings();
        let mut a = event(1);
        a["event_id"] = json!("a");
        a["user"] = json!({"id": "1"});
        let mut b = event(1);
        b["event_id"] = json!("b");
        b["user"] = json!({"id": "2"});
        crate::grouping::group_event(&a);
        crate::grouping::group_event(&b);
        assert_eq!(cached_groupings(), 1);
        let c = crate::grouping::group_event(&event(2));
        assert_eq!(cached_groupings(), 2);
        assert_eq!(c, group_uncached(&event(2)));
        assert_ne!(c.title, crate::grouping::group_event(&a).title);
    }

    #[test]
    fn the_cache_stays_bounded_and_empties_when_forgotten() {
        forget_cached_groupings();
        for k in 0..GENERATION_ENTRIES * 3 {
            let ev = event(k);
            assert_eq!(crate::grouping::group_event(&ev), group_uncached(&ev));
        }
        assert!(cached_groupings() <= 2 * GENERATION_ENTRIES);
        // The newest are still there.
        let before = cached_groupings();
        crate::grouping::group_event(&event(GENERATION_ENTRIES * 3 - 1));
        assert_eq!(cached_groupings(), before);
        forget_cached_groupings();
        assert_eq!(cached_groupings(), 0);
    }

    #[test]
    fn huge_inputs_are_grouped_without_being_remembered() {
        forget_cached_groupings();
        let ev = json!({"message": "x".repeat(MAX_KEY_BYTES + 1)});
        assert_eq!(crate::grouping::group_event(&ev), group_uncached(&ev));
        assert_eq!(cached_groupings(), 0);
    }
}

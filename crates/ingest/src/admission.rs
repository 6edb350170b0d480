//! Admission: a bound on the ingest requests Moth works on at once, from
//! the moment the key is checked until the event is committed (reading,
//! decompressing, normalising, waiting in a writer's queue, writing).
//!
//! Beyond the bound a request is answered 429 at once, before its body is
//! decompressed or parsed: under overload Moth spends its CPU on the events
//! it can store instead of on work it would throw away, latency of accepted
//! requests stays bounded by the bound divided by the write rate, and
//! memory cannot grow with the number of open connections.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The shared bound; cheap to clone.
#[derive(Clone)]
pub struct Admission {
    slots: Arc<Semaphore>,
}

/// One admitted request; its slot frees when this is dropped.
pub struct Admitted {
    _slot: OwnedSemaphorePermit,
}

impl Admission {
    /// At most `capacity` requests at once (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(capacity.max(1))),
        }
    }

    /// A slot, or `None` at once when all are taken.
    pub fn try_admit(&self) -> Option<Admitted> {
        self.slots
            .clone()
            .try_acquire_owned()
            .ok()
            .map(|slot| Admitted { _slot: slot })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_bound_and_frees_slots_on_drop() {
        let a = Admission::new(2);
        let first = a.try_admit().expect("first");
        let _second = a.try_admit().expect("second");
        assert!(a.try_admit().is_none());
        drop(first);
        assert!(a.try_admit().is_some());
    }
}

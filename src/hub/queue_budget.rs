//! The bound on the bytes waiting for the hub: a publisher waits for room.
//!
//! The hub's command channel is bounded by count, but a count says nothing
//! about memory: 16,384 events of 64 KiB is a gigabyte. So every publish
//! first reserves its encoded size here, and the hub gives it back when it
//! has taken the event (by dropping the [`Reservation`], which the command
//! carries). A publisher that finds no room waits, for a bounded time (the
//! HTTP handler then answers `503` with `Retry-After`): a burst of large
//! publishes slows its publishers down instead of filling memory.
//!
//! Reserving is one atomic add when there is room; the lock and the condition
//! variable are only for the publishers that have to wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The bytes that may wait for the hub, shared by every publisher.
pub struct QueueBudget {
    max_bytes: usize,
    in_use: AtomicUsize,
    /// Publishers waiting for room; a release only wakes when there are some.
    waiting: AtomicUsize,
    lock: Mutex<()>,
    freed: Condvar,
}

/// Room for one event in the queue; given back when dropped.
pub struct Reservation {
    budget: Arc<QueueBudget>,
    bytes: usize,
}

impl QueueBudget {
    /// A budget of `max_bytes`.
    pub fn new(max_bytes: usize) -> Arc<QueueBudget> {
        Arc::new(QueueBudget {
            max_bytes,
            in_use: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            lock: Mutex::new(()),
            freed: Condvar::new(),
        })
    }

    /// The bytes reserved now.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Acquire)
    }

    /// Reserves `bytes`, waiting up to `wait` for room; `None` if there was
    /// none. An event larger than the whole budget gets it when the queue
    /// is empty, so no event waits for ever.
    pub fn reserve(self: &Arc<Self>, bytes: usize, wait: Duration) -> Option<Reservation> {
        if self.try_reserve(bytes) {
            return Some(self.reservation(bytes));
        }
        let deadline = Instant::now() + wait;
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let reserved = loop {
            if self.try_reserve(bytes) {
                break true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break false;
            }
            guard = match self.freed.wait_timeout(guard, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        drop(guard);
        reserved.then(|| self.reservation(bytes))
    }

    fn try_reserve(&self, bytes: usize) -> bool {
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |in_use| {
                let fits = in_use == 0 || in_use.saturating_add(bytes) <= self.max_bytes;
                fits.then_some(in_use + bytes)
            })
            .is_ok()
    }

    fn reservation(self: &Arc<Self>, bytes: usize) -> Reservation {
        Reservation {
            budget: Arc::clone(self),
            bytes,
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let budget = &self.budget;
        budget.in_use.fetch_sub(self.bytes, Ordering::AcqRel);
        if budget.waiting.load(Ordering::Acquire) > 0 {
            // Taking the lock orders this wake-up after the waiter's check,
            // so it cannot be missed.
            let _guard = budget.lock.lock().unwrap_or_else(PoisonError::into_inner);
            budget.freed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn a_full_budget_makes_the_next_wait_and_a_release_lets_it_in() {
        let budget = QueueBudget::new(100);
        let first = budget.reserve(60, Duration::ZERO).unwrap();
        assert!(budget.reserve(60, Duration::from_millis(20)).is_none());
        let waiter = {
            let budget = Arc::clone(&budget);
            thread::spawn(move || budget.reserve(60, Duration::from_secs(10)).is_some())
        };
        // Released while the other thread waits (or before it starts: either
        // way it must get in, long before its ten seconds).
        drop(first);
        assert!(waiter.join().unwrap());
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn an_event_larger_than_the_budget_gets_in_alone() {
        let budget = QueueBudget::new(100);
        let big = budget.reserve(500, Duration::ZERO).unwrap();
        assert_eq!(budget.in_use(), 500);
        assert!(budget.reserve(1, Duration::ZERO).is_none());
        drop(big);
        assert!(budget.reserve(1, Duration::ZERO).is_some());
    }
}

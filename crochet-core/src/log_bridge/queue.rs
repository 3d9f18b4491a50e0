//! The bridge's bounded queue: producers (any thread emitting `tracing`
//! events, reactor threads included) push; the `crochet-log` thread pops.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::Overflow;
use super::record::OwnedRecord;
use crate::sync::lock_std as lock;

#[derive(Debug, Default)]
struct State {
    records: VecDeque<OwnedRecord>,
    /// The worker is handing a popped record to the logger right now.
    in_progress: bool,
    /// The worker sleeps on `not_empty`: only then is a notify needed.
    worker_waiting: bool,
    dropped: u64,
}

#[derive(Debug)]
pub(super) struct Queue {
    state: Mutex<State>,
    capacity: usize,
    not_empty: Condvar,
    not_full: Condvar,
    drained: Condvar,
}

impl Queue {
    pub(super) fn new(capacity: usize) -> Self {
        Queue {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            drained: Condvar::new(),
        }
    }

    /// Queues `record`, or counts it as dropped, as `overflow` says.
    pub(super) fn push(&self, record: OwnedRecord, overflow: Overflow) {
        let mut state = lock(&self.state);
        if state.records.len() >= self.capacity {
            if let Overflow::Wait(timeout) = overflow {
                let deadline = Instant::now().checked_add(timeout);
                while state.records.len() >= self.capacity {
                    let left = match deadline {
                        Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                        None => Duration::from_secs(3600),
                    };
                    if left.is_zero() {
                        break;
                    }
                    state = self
                        .not_full
                        .wait_timeout(state, left)
                        .unwrap_or_else(|poison| poison.into_inner())
                        .0;
                }
            }
            if state.records.len() >= self.capacity {
                state.dropped += 1;
                return;
            }
        }
        state.records.push_back(record);
        let wake = state.worker_waiting;
        drop(state);
        if wake {
            self.not_empty.notify_one();
        }
    }

    /// The worker's side: the next record, or `None` when `tick` passed
    /// with nothing to do (so the worker can report drops periodically).
    pub(super) fn pop(&self, tick: Duration) -> Option<OwnedRecord> {
        let mut state = lock(&self.state);
        state.in_progress = false;
        if state.records.is_empty() {
            self.drained.notify_all();
            state.worker_waiting = true;
            state = self
                .not_empty
                .wait_timeout(state, tick)
                .unwrap_or_else(|poison| poison.into_inner())
                .0;
            state.worker_waiting = false;
        }
        let record = state.records.pop_front();
        if record.is_some() {
            state.in_progress = true;
            self.not_full.notify_one();
        }
        record
    }

    /// Waits until everything queued so far has reached the logger.
    pub(super) fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = lock(&self.state);
        while !state.records.is_empty() || state.in_progress {
            if state.worker_waiting {
                self.not_empty.notify_one();
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return false;
            }
            state = self
                .drained
                .wait_timeout(state, left)
                .unwrap_or_else(|poison| poison.into_inner())
                .0;
        }
        true
    }

    pub(super) fn dropped(&self) -> u64 {
        lock(&self.state).dropped
    }

    pub(super) fn len(&self) -> usize {
        lock(&self.state).records.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> OwnedRecord {
        OwnedRecord::for_test(text)
    }

    #[test]
    fn drops_and_counts_past_capacity() {
        let queue = Queue::new(2);
        for i in 0..5 {
            queue.push(record(&i.to_string()), Overflow::Drop);
        }
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.dropped(), 3);
    }

    #[test]
    fn wait_gives_up_after_its_timeout_and_counts() {
        let queue = Queue::new(1);
        queue.push(record("a"), Overflow::Wait(Duration::from_millis(1)));
        queue.push(record("b"), Overflow::Wait(Duration::from_millis(1)));
        assert_eq!(queue.dropped(), 1);
    }

    #[test]
    fn pop_hands_out_in_order_and_flush_sees_the_end() {
        let queue = Queue::new(4);
        queue.push(record("a"), Overflow::Drop);
        queue.push(record("b"), Overflow::Drop);
        assert!(!queue.flush(Duration::from_millis(1)), "not drained yet");
        let first = queue.pop(Duration::from_millis(1)).unwrap();
        let second = queue.pop(Duration::from_millis(1)).unwrap();
        assert_eq!((first.text.as_str(), second.text.as_str()), ("a", "b"));
        assert!(queue.pop(Duration::from_millis(1)).is_none());
        assert!(queue.flush(Duration::from_millis(1)));
    }
}

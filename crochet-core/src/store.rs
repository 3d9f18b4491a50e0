//! The stash store: results parked under a random id until a later request
//! retrieves them, bounded by capacity and time to live.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::eventual::{EventualResult, StashError};
use crate::result_id::ResultId;
use crate::sync::{Mutex, lock};

/// A stashed result, with its type erased.
trait Stashed: Send {
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<T: Send + 'static> Stashed for EventualResult<T> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

struct Entry {
    expires: Instant,
    result: Box<dyn Stashed>,
}

#[derive(Default)]
struct Entries {
    by_id: HashMap<ResultId, Entry>,
    /// Ids in stash order, which is expiry order (one time to live for all).
    /// May hold ids already retrieved; compacted when it outgrows the map.
    order: VecDeque<(Instant, ResultId)>,
}

pub(crate) struct Store {
    entries: Mutex<Entries>,
    capacity: usize,
    ttl: Duration,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("len", &self.len())
            .finish()
    }
}

impl Entries {
    /// Removes what has expired; the caller drops it outside the lock
    /// (dropping logs failures nobody looked at).
    fn expire(&mut self, now: Instant) -> Vec<Box<dyn Stashed>> {
        let mut expired = Vec::new();
        while let Some(&(expires, id)) = self.order.front() {
            if expires > now {
                break;
            }
            self.order.pop_front();
            // The id may have been retrieved (and even reused) since.
            if self
                .by_id
                .get(&id)
                .is_some_and(|entry| entry.expires <= now)
                && let Some(entry) = self.by_id.remove(&id)
            {
                expired.push(entry.result);
            }
        }
        if self.order.len() > 2 * self.by_id.len() + 64 {
            let by_id = &self.by_id;
            self.order.retain(|(_, id)| by_id.contains_key(id));
        }
        expired
    }
}

impl Store {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        Store {
            entries: Mutex::new(Entries::default()),
            capacity,
            ttl,
        }
    }

    pub(crate) fn insert<T: Send + 'static>(
        &self,
        result: EventualResult<T>,
    ) -> Result<ResultId, StashError<T>> {
        let id = match ResultId::random() {
            Ok(id) => id,
            Err(err) => return Err(StashError::new(err, result)),
        };
        let now = Instant::now();
        let expired;
        {
            let mut entries = lock(&self.entries);
            expired = entries.expire(now);
            if entries.by_id.len() >= self.capacity {
                drop(entries);
                drop(expired);
                return Err(StashError::new(Error::Overloaded, result));
            }
            let expires = now
                .checked_add(self.ttl)
                .unwrap_or(now + Duration::from_secs(1 << 30));
            entries.by_id.insert(
                id,
                Entry {
                    expires,
                    result: Box::new(result),
                },
            );
            entries.order.push_back((expires, id));
        }
        drop(expired);
        Ok(id)
    }

    /// Removes and returns the result stashed under `id`, if it is there
    /// and of type `T`. A result of another type stays stashed.
    pub(crate) fn take<T: Send + 'static>(&self, id: ResultId) -> Result<EventualResult<T>, Error> {
        let now = Instant::now();
        let (expired, found) = {
            let mut entries = lock(&self.entries);
            let expired = entries.expire(now);
            let matches = entries
                .by_id
                .get(&id)
                .is_some_and(|entry| entry.result.as_any().is::<EventualResult<T>>());
            let found = if matches {
                entries.by_id.remove(&id)
            } else {
                None
            };
            (expired, found)
        };
        drop(expired);
        let entry = found.ok_or(Error::NoSuchResult)?;
        entry
            .result
            .into_any()
            .downcast::<EventualResult<T>>()
            .map(|boxed| *boxed)
            .map_err(|_| Error::NoSuchResult)
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.entries).by_id.len()
    }

    /// Empties the store, dropping every result (failures nobody retrieved
    /// are logged by the drops). Returns how many there were.
    pub(crate) fn clear(&self) -> usize {
        let drained: Vec<Entry> = {
            let mut entries = lock(&self.entries);
            entries.order.clear();
            entries.by_id.drain().map(|(_, entry)| entry).collect()
        };
        let count = drained.len();
        drop(drained);
        count
    }
}

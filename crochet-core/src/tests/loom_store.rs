//! Models of the stash [`Store`]: one-time retrieval when requests race for
//! the same id (a foreign-typed retrieval among them), the capacity bound
//! when stashes race, and the shutdown's `clear` racing a retrieval. Every
//! result ends up in exactly one place: retrieved once, refused back to
//! its stasher, or dropped by `clear`.

use std::time::Duration;

use loom::sync::Arc;
use loom::thread;

use super::Branches;
use crate::error::Error;
use crate::eventual::EventualResult;
use crate::result_id::ResultId;
use crate::store::Store;

const TTL: Duration = Duration::from_secs(60);

/// What a retrieval got.
fn taken(outcome: Result<EventualResult<u32>, Error>) -> Option<u32> {
    match outcome {
        Ok(result) => Some(*result.wait(Duration::ZERO).expect("a finished result")),
        Err(err) => {
            assert!(matches!(err, Error::NoSuchResult), "{err:?}");
            None
        }
    }
}

/// A store with room to spare, holding a finished `7_u32`, and its id.
fn store_holding_seven() -> (Arc<Store>, ResultId) {
    let store = Arc::new(Store::new(4, TTL));
    let id = store
        .insert(EventualResult::ready(7_u32))
        .map_err(|_| "stash failed")
        .unwrap();
    (store, id)
}

/// Two retrievals of one id race, beside a retrieval of it as another
/// type: exactly one of the two gets the value, and the foreign-typed one
/// never does (nor does it remove the result).
#[test]
fn racing_retrievals_get_a_result_exactly_once() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let (store, id) = store_holding_seven();
        let foreign = {
            let store = store.clone();
            thread::spawn(move || store.take::<String>(id).is_err())
        };
        let other = {
            let store = store.clone();
            thread::spawn(move || taken(store.take::<u32>(id)))
        };
        let mine = taken(store.take::<u32>(id));
        let other = other.join().unwrap();
        assert!(foreign.join().unwrap(), "a foreign type never retrieves it");
        match (mine, other) {
            (Some(7), None) => branches.hit("this thread"),
            (None, Some(7)) => branches.hit("the other thread"),
            seen => panic!("retrieved other than exactly once: {seen:?}"),
        }
        assert_eq!(store.len(), 0);
    });
    explored.assert_explored(&["the other thread", "this thread"]);
}

/// Two stashes race for the last place: one is stored, the other is
/// refused with `Overloaded` and gets its result back; the stored one is
/// retrievable by its id.
#[test]
fn racing_stashes_never_exceed_the_capacity() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let store = Arc::new(Store::new(1, TTL));
        let other = {
            let store = store.clone();
            thread::spawn(move || store.insert(EventualResult::ready(2_u32)))
        };
        let mine = store.insert(EventualResult::ready(1_u32));
        let other = other.join().unwrap();
        assert_eq!(store.len(), 1);
        let (stored, refused) = match (mine, other) {
            (Ok(id), Err(refused)) => {
                branches.hit("this thread stored");
                ((id, 1), refused)
            }
            (Err(refused), Ok(id)) => {
                branches.hit("the other thread stored");
                ((id, 2), refused)
            }
            (mine, other) => panic!(
                "not exactly one stored: {:?} {:?}",
                mine.is_ok(),
                other.is_ok()
            ),
        };
        assert!(matches!(refused.error(), Error::Overloaded));
        let back = refused.into_result();
        assert_eq!(back.wait(Duration::ZERO).ok(), Some(&(3 - stored.1)));
        assert_eq!(taken(store.take::<u32>(stored.0)), Some(stored.1));
    });
    explored.assert_explored(&["the other thread stored", "this thread stored"]);
}

/// Shutdown's `clear` races a retrieval: the result is either retrieved or
/// dropped by the clear, never both and never neither.
#[test]
fn clear_racing_a_retrieval_loses_nothing_and_duplicates_nothing() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let (store, id) = store_holding_seven();
        let clearer = {
            let store = store.clone();
            thread::spawn(move || store.clear())
        };
        let got = taken(store.take::<u32>(id));
        let cleared = clearer.join().unwrap();
        match (got, cleared) {
            (Some(7), 0) => branches.hit("retrieved"),
            (None, 1) => branches.hit("cleared"),
            seen => panic!("retrieved and cleared: {seen:?}"),
        }
        assert_eq!(store.len(), 0);
    });
    explored.assert_explored(&["cleared", "retrieved"]);
}

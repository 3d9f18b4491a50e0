//! Stash and retrieve: one-time, typed, bounded, expiring, never a panic.

mod support;

use std::time::Duration;

use crochet_core::{Error, Reactor, ResultId};
use support::{PATIENCE, reactor};

#[test]
fn stash_and_retrieve_once_through_text() {
    let reactor = reactor();
    let id = reactor.run_in_reactor(async { 5_u32 }).stash().unwrap();
    assert_eq!(reactor.stats().stashed, 1);
    let text = id.to_string();
    let parsed: ResultId = text.parse().unwrap();
    let result = reactor.retrieve_result::<u32>(parsed).unwrap();
    assert_eq!(*result.wait(PATIENCE).unwrap(), 5);
    assert!(matches!(
        reactor.retrieve_result::<u32>(parsed),
        Err(Error::NoSuchResult)
    ));
    assert_eq!(reactor.stats().stashed, 0);
}

#[test]
fn a_pending_result_can_be_stashed_and_waited_on_after_retrieval() {
    let reactor = reactor();
    let (tx, rx) = tokio::sync::oneshot::channel::<&'static str>();
    let id = reactor
        .run_in_reactor(async move { rx.await.unwrap_or("lost") })
        .stash()
        .unwrap();
    tx.send("later").unwrap();
    let result = reactor.retrieve_result::<&str>(id).unwrap();
    assert_eq!(*result.wait(PATIENCE).unwrap(), "later");
}

#[test]
fn wrong_type_unknown_and_foreign_ids_are_errors_and_keep_the_result() {
    let reactor = reactor();
    let other = support::reactor();
    let id = reactor.run_in_reactor(async { 1_u8 }).stash().unwrap();
    assert!(matches!(
        reactor.retrieve_result::<u16>(id),
        Err(Error::NoSuchResult)
    ));
    assert!(matches!(
        other.retrieve_result::<u8>(id),
        Err(Error::NoSuchResult)
    ));
    let forged: ResultId = "00000000000000000000000000000000".parse().unwrap();
    assert!(matches!(
        reactor.retrieve_result::<u8>(forged),
        Err(Error::NoSuchResult)
    ));
    // The right type still finds it.
    let result = reactor.retrieve_result::<u8>(id).unwrap();
    assert_eq!(*result.wait(PATIENCE).unwrap(), 1);
}

#[test]
fn expired_results_cannot_be_retrieved() {
    let reactor = Reactor::builder()
        .worker_threads(1)
        .stash_ttl(Duration::ZERO)
        .build()
        .unwrap();
    let id = reactor.run_in_reactor(async { 1 }).stash().unwrap();
    assert!(matches!(
        reactor.retrieve_result::<i32>(id),
        Err(Error::NoSuchResult)
    ));
    assert_eq!(reactor.stats().stashed, 0);
}

#[test]
fn a_full_store_refuses_and_hands_the_result_back() {
    let reactor = Reactor::builder()
        .worker_threads(1)
        .stash_capacity(2)
        .build()
        .unwrap();
    let first = reactor.run_in_reactor(async { 1 }).stash().unwrap();
    let _second = reactor.run_in_reactor(async { 2 }).stash().unwrap();
    let refused = reactor.run_in_reactor(async { 3 }).stash().unwrap_err();
    assert!(matches!(refused.error(), Error::Overloaded));
    assert!(refused.to_string().contains("at capacity"));
    let back = refused.into_result();
    assert_eq!(*back.wait(PATIENCE).unwrap(), 3);
    // Retrieving frees room.
    drop(reactor.retrieve_result::<i32>(first).unwrap());
    assert!(reactor.run_in_reactor(async { 4 }).stash().is_ok());
}

#[test]
fn stashing_after_stop_is_refused() {
    let reactor = reactor();
    let result = reactor.run_in_reactor(async { 1 });
    reactor.shutdown(Duration::ZERO);
    let refused = result.stash().unwrap_err();
    assert!(refused.error().is_reactor_stopped());
}

#[test]
fn stop_empties_the_store() {
    let reactor = reactor();
    let id = reactor.run_in_reactor(async { 1 }).stash().unwrap();
    reactor.shutdown(Duration::ZERO);
    assert_eq!(reactor.stats().stashed, 0);
    assert!(reactor.retrieve_result::<i32>(id).is_err());
}

#[test]
fn ids_look_random() {
    let reactor = reactor();
    let ids: Vec<ResultId> = (0..2000)
        .map(|i| reactor.run_in_reactor(async move { i }).stash().unwrap())
        .collect();
    let texts: std::collections::HashSet<String> = ids.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), ids.len(), "no repeats");
    // Every bit position is set in roughly half of the ids: 2000 draws give
    // a standard deviation of about 22 around 1000; 250 is over 11 sigma.
    for bit in 0..128 {
        let ones = texts
            .iter()
            .filter(|text| {
                let digit = u8::from_str_radix(&text[bit / 4..bit / 4 + 1], 16).unwrap();
                digit & (8 >> (bit % 4)) != 0
            })
            .count();
        assert!(
            (750..=1250).contains(&ones),
            "bit {bit} set in {ones} of 2000"
        );
    }
}

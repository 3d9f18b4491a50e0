//! The public types are `Send`/`Sync`/`Unpin` where users rely on it.

use crochet_core::{
    Builder, Error, EventualResult, Failure, ParseResultIdError, Reactor, ResultId, StashError,
    Stats,
};

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn static_error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn public_types_have_the_expected_auto_traits() {
    send::<Reactor>();
    sync::<Reactor>();
    send::<Builder>();
    sync::<Builder>();
    send::<EventualResult<String>>();
    sync::<EventualResult<String>>();
    unpin::<EventualResult<std::marker::PhantomPinned>>();
    send::<ResultId>();
    sync::<ResultId>();
    send::<Stats>();
    send::<Failure>();
    sync::<Failure>();
    static_error::<Error>();
    static_error::<Failure>();
    static_error::<ParseResultIdError>();
    static_error::<StashError<String>>();
}

#[test]
fn wait_for_futures_need_not_be_send_but_run_in_reactor_futures_are_send() {
    fn spawned_future_is_send<F: std::future::Future + Send>(_: &F) {}
    let fut = async { 1 };
    spawned_future_is_send(&fut);
    // An EventualResult is itself a Send future: it can be awaited inside a
    // spawned task.
    fn awaitable_in_spawn<T: Send + 'static>(result: EventualResult<T>) {
        spawned_future_is_send(&result);
    }
    let _ = awaitable_in_spawn::<u8>;
}

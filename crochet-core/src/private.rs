//! Support for the code `#[wait_for]` and `#[run_in_reactor]` generate. Not
//! public API: nothing here is covered by semver.

use std::time::Duration;

use crate::Reactor;

/// What `reactor = ...` in `#[wait_for(..)]` may name: a [`Reactor`], a
/// reference to one, or a smart pointer to one.
pub trait AsReactor {
    /// The reactor to call.
    fn as_reactor(&self) -> &Reactor;
}

impl AsReactor for Reactor {
    fn as_reactor(&self) -> &Reactor {
        self
    }
}

impl<T: AsReactor + ?Sized> AsReactor for &T {
    fn as_reactor(&self) -> &Reactor {
        (**self).as_reactor()
    }
}

impl<T: AsReactor + ?Sized> AsReactor for std::sync::Arc<T> {
    fn as_reactor(&self) -> &Reactor {
        (**self).as_reactor()
    }
}

/// Type-checks a `timeout = <expr>` argument, so a wrong type is reported
/// at the expression.
pub const fn timeout(timeout: Duration) -> Duration {
    timeout
}

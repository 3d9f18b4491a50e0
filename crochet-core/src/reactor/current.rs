//! The thread's current reactor: set while a pool job runs, so that the free
//! functions (`crochet_core::wait_for`, ...) called by blocking code reach
//! the reactor of the server hosting it instead of the global one.

use std::cell::RefCell;

use super::Reactor;

thread_local! {
    static CURRENT: RefCell<Vec<Reactor>> = const { RefCell::new(Vec::new()) };
}

/// Makes a reactor the thread's current one until dropped; see
/// [`Reactor::enter`].
#[derive(Debug)]
#[must_use = "the reactor is current only until the guard is dropped"]
pub struct ReactorGuard {
    entered: bool,
    // Guards restore in reverse order on the thread that made them.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for ReactorGuard {
    fn drop(&mut self) {
        if self.entered {
            let _ = CURRENT.try_with(|stack| stack.borrow_mut().pop());
        }
    }
}

pub(super) fn enter(reactor: &Reactor) -> ReactorGuard {
    let entered = CURRENT
        .try_with(|stack| stack.borrow_mut().push(reactor.clone()))
        .is_ok();
    ReactorGuard {
        entered,
        _not_send: std::marker::PhantomData,
    }
}

/// The innermost entered reactor, if any (a cheap `Arc` clone).
pub(super) fn get() -> Option<Reactor> {
    CURRENT
        .try_with(|stack| stack.borrow().last().cloned())
        .ok()
        .flatten()
}

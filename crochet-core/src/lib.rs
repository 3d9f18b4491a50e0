//! Use async Rust (tokio) from ordinary blocking code.
//!
//! Crochet for Rust is the counterpart of Python's
//! [Crochet](https://crochet.readthedocs.org/) ("use Twisted anywhere"):
//! Twisted's reactor is tokio's runtime. Crochet runs one for you on
//! background threads it manages (or attaches to the one your application
//! already runs) and gives blocking code two ways in:
//!
//! * [`wait_for`](fn@crate::wait_for)`(timeout, future)`: block until the future finishes, or
//!   fail with [`Error::Timeout`], which also cancels (drops) the future.
//! * [`run_in_reactor`](fn@crate::run_in_reactor)`(future)` returns an [`EventualResult`]: start the
//!   work in the background; check on it, wait on it, cancel it, await it,
//!   or [`stash`](EventualResult::stash) it and pick it up later by
//!   [`ResultId`] (from a web session, say).
//!
//! ```
//! use std::time::Duration;
//!
//! // Plain blocking code: no runtime, no async fn main.
//! let greeting = crochet_core::wait_for(Duration::from_secs(5), async {
//!     tokio::time::sleep(Duration::from_millis(5)).await;
//!     "hello from the reactor"
//! })?;
//! assert_eq!(greeting, "hello from the reactor");
//!
//! let background = crochet_core::run_in_reactor(async {
//!     tokio::time::sleep(Duration::from_millis(5)).await;
//!     21 * 2
//! });
//! // ... other blocking work ...
//! assert_eq!(*background.wait(Duration::from_secs(5))?, 42);
//! # Ok::<(), crochet_core::Error>(())
//! ```
//!
//! The user guide lives in the repository's `docs/` directory (start at
//! `docs/README.md`): setup, `wait_for`, `EventualResult`, stash, shutdown,
//! async contexts, logging, testing and known issues, a porting table from
//! Python Crochet and asgiref, and a "which tool when" page. Its snippets
//! are compiled and run by the workspace's tests.
//!
//! # Python Crochet, side by side
//!
//! | Python Crochet | Crochet for Rust |
//! |---|---|
//! | `crochet.setup()` | [`setup()`] (optional: the first call sets up) |
//! | `crochet.no_setup()` | [`no_setup(handle)`](no_setup) |
//! | `@wait_for(timeout=10)` | [`wait_for(Duration::from_secs(10), fut)`](fn@crate::wait_for) |
//! | `@run_in_reactor` | [`run_in_reactor(fut)`](fn@crate::run_in_reactor) |
//! | `EventualResult.wait(timeout)` | [`EventualResult::wait`] (by reference; [`take`](EventualResult::take) by value) |
//! | `EventualResult.cancel()` | [`EventualResult::cancel`] |
//! | `EventualResult.stash()` / `retrieve_result(id)` | [`EventualResult::stash`] / [`retrieve_result`] |
//! | `EventualResult.original_failure()` | [`EventualResult::original_failure`] |
//! | `TimeoutError`, `ReactorStopped` | [`Error::Timeout`], [`Error::ReactorStopped`] |
//! | reactor stopped at interpreter exit | [`shutdown`] at process exit, bounded by a grace period |
//!
//! # Where the futures run
//!
//! A [`wait_for`](fn@crate::wait_for) future is polled on the *calling* thread, inside the
//! reactor's runtime context: timers, sockets and `tokio::spawn` inside it
//! belong to the reactor, whose threads drive them. That is why it may
//! borrow from the caller's stack and need not be `Send` — a refinement of
//! the design's signature that Rust makes possible. A [`run_in_reactor`](fn@crate::run_in_reactor)
//! future is spawned on the reactor's threads, so it must be
//! `Send + 'static`.
//!
//! # Calling from async code
//!
//! | calling thread | blocking calls |
//! |---|---|
//! | plain thread, `spawn_blocking` thread | block |
//! | multi-thread runtime worker (a sync Rocket route) | block, after handing the worker's tasks to another thread (`block_in_place`) |
//! | current-thread runtime, `LocalSet` (actix-web workers) | return [`Error::InAsyncContext`] at once |
//!
//! tokio has no public "may I block here?" query; Crochet infers it from the
//! runtime handle and the cooperative-scheduling budget. One combination it
//! cannot tell from a multi-thread worker — a `LocalSet` driven by a
//! multi-thread runtime's `block_on` — is recognised when tokio refuses
//! `block_in_place` (a panic Crochet catches silently), so in a program
//! built with `panic = "abort"` that one combination aborts.
//!
//! # Shutdown
//!
//! [`shutdown`] (or [`Reactor::shutdown`]) refuses new calls, runs
//! [`on_shutdown`](Reactor::on_shutdown) hooks, gives in-flight work the
//! grace period, then releases every waiter with [`Error::ReactorStopped`].
//! The global reactor does this by itself when the process exits (`main`
//! returns or `std::process::exit`), and exit is never held up past the
//! grace period ([`Builder::shutdown_grace`], 1 second by default). Crochet
//! installs no signal handlers: Ctrl-C stops a program blocked in a wait as
//! it would without Crochet.
//!
//! # Fork
//!
//! In a child forked after set-up the reactor's threads do not exist. Calls
//! there never hang: they return [`Error::Forked`] (an addition to the
//! design's error list, so that the message can say to set up after
//! forking); a future that is ready at once still completes.
//!
//! # Panics and failures
//!
//! A panic inside a future becomes [`Error::Panicked`] with a [`Failure`]
//! holding the message, the location and the backtrace captured at the panic
//! site. To capture those, Crochet installs a panic hook once, which calls
//! the hook that was installed before it (panics still print as usual).
//! An [`EventualResult`] whose failure nobody looked at logs it (a `tracing`
//! error event, target `crochet`) when dropped, as Crochet does.
//!
//! # Signatures refined from the design
//!
//! * `wait_for` takes any `IntoFuture`, borrowed and `!Send` ones included.
//! * [`EventualResult::wait`] returns `Result<&T, Error>` so that repeated
//!   waits need no `T: Clone`; [`EventualResult::take`] gives `T` by value.
//! * [`EventualResult::stash`] returns `Result<ResultId, StashError<T>>`:
//!   the store is bounded, and a refused result is handed back, not lost.
//! * [`Error`] adds [`Error::Forked`] and [`Error::Io`] (the operating system
//!   refused the reactor's threads) to the design's list.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod context;
mod error;
mod eventual;
mod failure;
#[cfg(feature = "log-bridge")]
mod log_bridge;
#[doc(hidden)]
pub mod __private {
    //! Used by the attribute macros' expansions; not public API.
    pub use crate::private::*;
}
mod pool;
mod private;
mod reactor;
mod result_id;
mod stats;
mod stop;
mod store;
mod sync;
mod wait;

#[cfg(all(test, loom))]
mod tests;

pub use crate::error::Error;
pub use crate::eventual::{EventualResult, StashError};
pub use crate::failure::Failure;
#[cfg(feature = "log-bridge")]
pub use crate::log_bridge::{LogBridge, LogBridgeBuilder, LogLayer, Overflow};
pub use crate::pool::{Pool, PoolBuilder, PoolStats};
pub use crate::reactor::global::{
    no_setup, retrieve_result, run_in_reactor, setup, shutdown, try_setup, wait_for,
};
pub use crate::reactor::{Builder, Reactor, ReactorGuard};
pub use crate::result_id::{ParseResultIdError, ResultId};
pub use crate::stats::Stats;

#[cfg(feature = "macros")]
#[doc = include_str!("docs/wait_for_attr.md")]
pub use crochet_macros::wait_for;

#[cfg(feature = "macros")]
#[doc = include_str!("docs/run_in_reactor_attr.md")]
pub use crochet_macros::run_in_reactor;

#[cfg(feature = "macros")]
#[doc = include_str!("docs/decorators.md")]
pub mod decorators {}

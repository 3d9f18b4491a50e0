//! Unit-testing code written with `#[wait_for]` and `#[run_in_reactor]`:
//! Python Crochet's `testing.py` (`add.__wrapped__`), in Rust.
//!
//! Each attribute keeps the original async body callable as `<name>_async`
//! (Crochet's `__wrapped__`), so the logic can be tested with `.await` and
//! no Crochet at all. The blocking wrapper itself is tested through a fresh,
//! independent [`Reactor`] built for the test, so tests neither share nor
//! shut down the global one.
//!
//! The checks below are ordinary `#[test]`s (this example has `test = true`
//! in `examples/Cargo.toml`, so `cargo test --workspace` runs them), and
//! `main` runs the same checks and prints what each one verified:
//!
//! ```text
//! cargo run -p crochet-examples --example testing
//! cargo test -p crochet-examples --example testing
//! ```
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crochet_core::{Reactor, run_in_reactor, wait_for};

// ---- the code under test ---------------------------------------------------

/// Adds two numbers in the reactor: Crochet's `testing.py`, word for word.
/// Callers get an `EventualResult`; tests can call `add_async` instead.
#[run_in_reactor]
async fn add(x: i64, y: i64) -> i64 {
    tokio::task::yield_now().await; // stands in for real async work
    x + y
}

/// A stock service with a blocking API. It carries its own reactor, so a
/// test can give it a fresh one (an application would pass
/// `crochet_core::setup()`).
struct Inventory {
    reactor: Reactor,
    stock: HashMap<String, u32>,
    /// How long the (simulated) remote store takes to answer.
    latency: Duration,
    /// Lookups in progress; a guard in the body keeps it honest, so a test
    /// can see that a timed-out lookup was really dropped.
    in_flight: Arc<AtomicUsize>,
}

/// Counts one lookup in progress until dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        InFlight(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Inventory {
    fn new(reactor: Reactor, latency: Duration) -> Self {
        let stock = [("apples", 12), ("pears", 0)]
            .into_iter()
            .map(|(item, count)| (item.to_owned(), count))
            .collect();
        Inventory {
            reactor,
            stock,
            latency,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many of `item` are in stock; `None` for an unknown item.
    /// Blocks for at most half a second.
    #[wait_for(timeout = "500ms", reactor = self.reactor)]
    async fn count(&self, item: &str) -> Option<u32> {
        let _in_flight = InFlight::enter(&self.in_flight);
        tokio::time::sleep(self.latency).await;
        self.stock.get(item).copied()
    }
}

// ---- the checks (each one is a #[test] below, and main runs them all) ------

type Checked = Result<String, String>;

/// The async original of a `#[run_in_reactor]` function, awaited directly.
async fn async_original_of_run_in_reactor() -> Checked {
    let sum = add_async(1, 2).await;
    expect_eq(sum, 3, "add_async(1, 2).await")?;
    Ok(format!(
        "add_async(1, 2).await == {sum}, no reactor involved"
    ))
}

/// The async original of a `#[wait_for]` method, awaited directly. It needs
/// a `Reactor` value to build an `Inventory`, but never runs anything on it.
async fn async_original_of_wait_for(reactor: Reactor) -> Checked {
    let inventory = Inventory::new(reactor, Duration::from_millis(1));
    let apples = inventory.count_async("apples").await;
    expect_eq(apples, Some(12), "count_async(\"apples\").await")?;
    let plums = inventory.count_async("plums").await;
    expect_eq(plums, None, "count_async(\"plums\").await")?;
    Ok(format!(
        "count_async(\"apples\").await == {apples:?}, (\"plums\") == {plums:?}"
    ))
}

/// Inside a current-thread runtime (`#[tokio::test]`), the *blocking*
/// wrapper refuses at once instead of deadlocking: test it from a plain
/// `#[test]`, and await `_async` in async tests.
async fn blocking_wrapper_refuses_in_async_test(reactor: Reactor) -> Checked {
    let inventory = Inventory::new(reactor, Duration::from_millis(1));
    match inventory.count("apples") {
        Err(crochet_core::Error::InAsyncContext) => {
            Ok("count(..) inside #[tokio::test] -> Error::InAsyncContext, at once".into())
        }
        other => Err(format!("expected InAsyncContext, got {other:?}")),
    }
}

/// The `#[run_in_reactor]` wrapper returns an `EventualResult` to wait on.
/// `add` names no reactor, so it uses the thread's *current* one: entering
/// a fresh reactor points it there instead of at the global one.
fn run_in_reactor_wrapper() -> Checked {
    let reactor = test_reactor()?;
    let sum = {
        let _current = reactor.enter();
        let result = add(1, 2);
        *result
            .wait(Duration::from_secs(5))
            .map_err(|err| format!("add(1, 2).wait(..) failed: {err}"))?
    };
    expect_eq(sum, 3, "add(1, 2).wait(..)")?;
    let ran_here = reactor.stats().completed;
    expect_eq(ran_here, 1, "tasks completed on the test's reactor")?;
    reactor.shutdown(Duration::ZERO);
    Ok(format!(
        "add(1, 2).wait(5s) == {sum}, run on the entered test reactor"
    ))
}

/// The `#[wait_for]` wrapper, on a fresh reactor of the test's own.
fn wait_for_wrapper_on_fresh_reactor() -> Checked {
    let reactor = test_reactor()?;
    let inventory = Inventory::new(reactor.clone(), Duration::from_millis(5));
    let apples = inventory
        .count("apples")
        .map_err(|err| format!("count(\"apples\") failed: {err}"))?;
    expect_eq(apples, Some(12), "count(\"apples\")")?;
    let pears = inventory
        .count("pears")
        .map_err(|err| format!("count(\"pears\") failed: {err}"))?;
    expect_eq(pears, Some(0), "count(\"pears\")")?;
    reactor.shutdown(Duration::ZERO);
    Ok(format!(
        "count(\"apples\") == Ok({apples:?}), count(\"pears\") == Ok({pears:?}) on a fresh reactor"
    ))
}

/// The wrapper's timeout: `Error::Timeout` within the bound, and the body
/// dropped (its guard ran) before the call returned.
fn wait_for_wrapper_times_out() -> Checked {
    let reactor = test_reactor()?;
    let inventory = Inventory::new(reactor.clone(), Duration::from_secs(60));
    let started = Instant::now();
    let outcome = inventory.count("apples");
    let elapsed = started.elapsed();
    if !matches!(outcome, Err(crochet_core::Error::Timeout)) {
        return Err(format!("expected Timeout, got {outcome:?}"));
    }
    if elapsed > Duration::from_secs(3) {
        return Err(format!("the 500 ms timeout took {elapsed:?}"));
    }
    let in_flight = inventory.in_flight.load(Ordering::SeqCst);
    expect_eq(in_flight, 0, "lookups in flight after the timeout")?;
    reactor.shutdown(Duration::ZERO);
    Ok(format!(
        "slow count(..) -> Error::Timeout after {} ms; body dropped (0 in flight)",
        elapsed.as_millis()
    ))
}

/// Shutting the test's reactor down: later calls fail at once with
/// `ReactorStopped`, and the global reactor is untouched.
fn shutdown_is_per_reactor() -> Checked {
    let reactor = test_reactor()?;
    let inventory = Inventory::new(reactor.clone(), Duration::from_millis(1));
    reactor.shutdown(Duration::ZERO);
    match inventory.count("apples") {
        Err(crochet_core::Error::ReactorStopped) => {}
        other => return Err(format!("expected ReactorStopped, got {other:?}")),
    }
    let global = crochet_core::wait_for(Duration::from_secs(5), add_async(20, 22))
        .map_err(|err| format!("the global reactor failed: {err}"))?;
    expect_eq(global, 42, "the global reactor after the test's shutdown")?;
    Ok(
        "after reactor.shutdown(..): count(..) -> Error::ReactorStopped; global reactor still runs"
            .into(),
    )
}

// ---- helpers ----------------------------------------------------------------

/// A small reactor of the test's own: one worker, named threads.
fn test_reactor() -> Result<Reactor, String> {
    Reactor::builder()
        .worker_threads(1)
        .thread_name("test-reactor")
        .shutdown_grace(Duration::from_millis(100))
        .build()
        .map_err(|err| format!("cannot build a reactor: {err}"))
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(got: T, want: T, what: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// A current-thread runtime, as `#[tokio::test]` builds one.
fn current_thread_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|err| format!("cannot build a tokio runtime: {err}"))
}

fn main() -> Result<(), String> {
    // Async checks run the way #[tokio::test] would: on a current-thread
    // runtime of their own. The Reactor they get only builds an Inventory.
    let reactor = test_reactor()?;
    let runtime = current_thread_runtime()?;
    let checks: Vec<(&str, Checked)> = vec![
        (
            "async original, #[run_in_reactor]",
            runtime.block_on(async_original_of_run_in_reactor()),
        ),
        (
            "async original, #[wait_for]",
            runtime.block_on(async_original_of_wait_for(reactor.clone())),
        ),
        (
            "blocking wrapper in an async test",
            runtime.block_on(blocking_wrapper_refuses_in_async_test(reactor.clone())),
        ),
        ("#[run_in_reactor] wrapper", run_in_reactor_wrapper()),
        (
            "#[wait_for] wrapper, fresh reactor",
            wait_for_wrapper_on_fresh_reactor(),
        ),
        ("#[wait_for] wrapper, timeout", wait_for_wrapper_times_out()),
        ("shutdown of a test reactor", shutdown_is_per_reactor()),
    ];
    reactor.shutdown(Duration::ZERO);

    let mut failed = 0;
    for (name, outcome) in &checks {
        match outcome {
            Ok(what) => println!("ok    {name:<36} {what}"),
            Err(why) => {
                failed += 1;
                println!("FAIL  {name:<36} {why}");
            }
        }
    }
    println!("{} checks, {failed} failed", checks.len());
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} check(s) failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Async originals: await them in an async test; no Crochet involved.
    #[tokio::test]
    async fn add_async_adds() -> Result<(), String> {
        async_original_of_run_in_reactor().await.map(drop)
    }

    #[tokio::test]
    async fn count_async_looks_up_stock() -> Result<(), String> {
        async_original_of_wait_for(test_reactor()?).await.map(drop)
    }

    #[tokio::test]
    async fn blocking_count_refuses_inside_tokio_test() -> Result<(), String> {
        blocking_wrapper_refuses_in_async_test(test_reactor()?)
            .await
            .map(drop)
    }

    // Blocking wrappers: plain #[test]s, each on a fresh reactor (or, for a
    // free function without `reactor = ..`, the global one).
    #[test]
    fn add_returns_an_eventual_result() -> Result<(), String> {
        run_in_reactor_wrapper().map(drop)
    }

    #[test]
    fn count_blocks_for_the_answer() -> Result<(), String> {
        wait_for_wrapper_on_fresh_reactor().map(drop)
    }

    #[test]
    fn count_times_out_and_drops_the_lookup() -> Result<(), String> {
        wait_for_wrapper_times_out().map(drop)
    }

    #[test]
    fn shutting_a_test_reactor_down_leaves_the_global_one() -> Result<(), String> {
        shutdown_is_per_reactor().map(drop)
    }
}

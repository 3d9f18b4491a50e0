//! The hang guard every wait is bounded by, and bounded polling.

use std::time::{Duration, Instant};

/// Hang guard for everything a test waits on (not a timing assertion: a
/// test that needs it has already failed).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `check` until it holds, for at most [`PATIENCE`] (for state that
/// settles asynchronously, such as a worker being freed); panics naming
/// `what` if it never does.
///
/// # Examples
///
/// ```
/// let mut polls = 0;
/// crochet_tests::eventually("the third poll", || {
///     polls += 1;
///     polls == 3
/// });
/// ```
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let give_up = Instant::now() + PATIENCE;
    while !check() {
        assert!(Instant::now() < give_up, "gave up waiting for: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

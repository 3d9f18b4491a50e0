//! An independent Crochet reactor per test.

/// An independent reactor for one test (two worker threads), so that
/// shutting it down leaves the other tests' reactors alone.
///
/// # Panics
///
/// If the reactor's runtime cannot be started.
pub fn reactor() -> crochet_core::Reactor {
    crochet_core::Reactor::builder()
        .worker_threads(2)
        .thread_name("test-reactor")
        .build()
        .expect("a test reactor")
}

//! `no_setup` before anything else: Crochet runs its futures on the
//! application's runtime and never starts threads of its own.

use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn no_setup_attaches_to_the_applications_runtime() {
    let app = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("app-runtime")
        .enable_all()
        .build()
        .unwrap();
    let reactor = crochet_core::no_setup(app.handle().clone()).unwrap();
    assert_eq!(crochet_core::setup().handle().id(), app.handle().id());
    assert_eq!(reactor.handle().id(), app.handle().id());

    // run_in_reactor futures run on the application's threads ...
    let thread =
        crochet_core::run_in_reactor(async { std::thread::current().name().map(str::to_owned) })
            .take(PATIENCE)
            .unwrap();
    assert_eq!(thread.as_deref(), Some("app-runtime"));

    // ... and wait_for futures use its timers and spawn onto it.
    let runtime_id = crochet_core::wait_for(PATIENCE, async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        tokio::runtime::Handle::current().id()
    })
    .unwrap();
    assert_eq!(runtime_id, app.handle().id());

    // Stopping Crochet leaves the application's runtime running.
    crochet_core::shutdown(Duration::ZERO);
    assert!(
        crochet_core::wait_for(PATIENCE, async {})
            .unwrap_err()
            .is_reactor_stopped()
    );
    assert_eq!(app.block_on(async { 5 }), 5);
}

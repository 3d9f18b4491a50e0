//! The global reactor: implicit set-up, `setup()` idempotence, and
//! `no_setup` refused afterwards. One test, because the global is
//! process-wide (`no_setup_first.rs` covers the other order).

use std::time::Duration;

use crochet_core::Error;

const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn implicit_setup_then_setup_returns_the_same_reactor() {
    // The first call sets up implicitly, on crochet-reactor-* threads.
    let thread =
        crochet_core::run_in_reactor(async { std::thread::current().name().map(str::to_owned) })
            .take(PATIENCE)
            .unwrap()
            .unwrap();
    assert!(thread.starts_with("crochet-reactor-"), "{thread}");

    let a = crochet_core::setup();
    let b = crochet_core::try_setup().unwrap();
    assert_eq!(a.handle().id(), b.handle().id());

    let other = tokio::runtime::Runtime::new().unwrap();
    assert!(matches!(
        crochet_core::no_setup(other.handle().clone()),
        Err(Error::AlreadySetUp)
    ));
    assert!(matches!(
        crochet_core::Reactor::builder().setup(),
        Err(Error::AlreadySetUp)
    ));
    assert!(Error::AlreadySetUp.to_string().contains("no_setup"));

    // Library code calling in from many threads shares the one reactor.
    let ids: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| crochet_core::setup().handle().id()))
        .map(|t| t.join().unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id == a.handle().id()));

    let id = crochet_core::run_in_reactor(async { 3 }).stash().unwrap();
    assert_eq!(
        *crochet_core::retrieve_result::<i32>(id)
            .unwrap()
            .wait(PATIENCE)
            .unwrap(),
        3
    );

    crochet_core::shutdown(Duration::ZERO);
    assert!(
        crochet_core::wait_for(PATIENCE, async { 1 })
            .unwrap_err()
            .is_reactor_stopped()
    );
    assert!(
        crochet_core::run_in_reactor(async { 1 })
            .wait(PATIENCE)
            .unwrap_err()
            .is_reactor_stopped()
    );
}

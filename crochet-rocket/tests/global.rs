//! With `global` on (the default), Rocket's runtime becomes Crochet's global
//! reactor: plain `wait_for` and `#[wait_for]` functions in sync routes run
//! there, and stop with Rocket. Its own test binary: the global reactor is
//! set once per process.

mod support;

use std::time::Duration;

use crochet_rocket::{Crochet, RouteError};
use rocket::{get, routes};
use support::{PATIENCE, get, launch, rocket};

#[crochet_core::wait_for(timeout = "5s")]
async fn runtime_id() -> String {
    tokio::time::sleep(Duration::from_millis(1)).await;
    tokio::runtime::Handle::current().id().to_string()
}

#[get("/plain")]
fn plain() -> Result<String, RouteError> {
    let id = crochet_core::wait_for(PATIENCE, async { tokio::runtime::Handle::current().id() })?;
    Ok(format!("{id} {}", runtime_id()?))
}

#[test]
fn plain_wait_for_reaches_rockets_runtime_and_stops_with_it() {
    let running = launch(
        rocket()
            .attach(Crochet::fairing())
            .mount("/", routes![plain]),
    );
    let id = running.runtime_id.to_string();
    assert_eq!(get(&running.url("/plain")), (200, format!("{id} {id}")));
    assert_eq!(crochet_core::setup().handle().id(), running.runtime_id);
    let rocket = running.stop().unwrap();
    assert!(!rocket.state::<Crochet>().unwrap().reactor().is_running());
    let after = crochet_core::wait_for(PATIENCE, async { 1 });
    assert!(after.unwrap_err().is_reactor_stopped());
}

//! Rocket's graceful shutdown with Crochet work in flight: the fairing
//! keeps the reactor up while the requests in flight finish (within
//! Rocket's own grace period), even when the reactor's own shutdown grace
//! is much shorter.

mod support;

use std::sync::{Mutex, mpsc};
use std::time::Duration;

use crochet_core::Reactor;
use crochet_rocket::{Crochet, RouteError, SyncApp};
use crochet_sync_http::{Request, Response};
use crochet_tests::get_in_background;
use rocket::{State, get, routes};
use support::{PATIENCE, eventually, launch, rocket};

/// Far shorter than the work in flight: if the fairing stopped the
/// reactor when shutdown is triggered, that work would fail.
const REACTOR_GRACE: Duration = Duration::from_millis(20);

struct Entered(Mutex<mpsc::Sender<()>>);

/// A synchronous route whose wait outlasts the reactor's grace.
#[get("/wait")]
fn wait(crochet: &Crochet, entered: &State<Entered>) -> Result<&'static str, RouteError> {
    let _ = entered.0.lock().unwrap().send(());
    crochet.wait_for(PATIENCE, async {
        tokio::time::sleep(Duration::from_millis(300)).await;
    })?;
    Ok("waited")
}

#[test]
fn a_sync_route_waiting_when_shutdown_begins_finishes_its_wait() {
    let (entered_tx, entered) = mpsc::channel();
    let running = launch(
        rocket()
            .attach(
                Crochet::fairing()
                    .global(false)
                    .reactor(Reactor::builder().shutdown_grace(REACTOR_GRACE)),
            )
            .manage(Entered(Mutex::new(entered_tx)))
            .mount("/", routes![wait]),
    );
    let caller = get_in_background(running.url("/wait"));
    entered.recv_timeout(PATIENCE).expect("the route started");
    let rocket = running.stop().expect("a graceful shutdown");
    let answer = caller.join().unwrap();
    assert!(
        matches!(&answer, Ok((200, body)) if body == "waited"),
        "{answer:?}"
    );
    // And once the work was done, the reactor stopped.
    let crochet = rocket.state::<Crochet>().unwrap();
    eventually("the reactor stops", || !crochet.reactor().is_running());
}

#[test]
fn a_mounted_app_on_a_pool_of_its_own_may_still_call_the_reactor_after_shutdown_begins() {
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (release, released) = mpsc::channel::<()>();
    let (entered_tx, released) = (Mutex::new(entered_tx), Mutex::new(released));
    // Not `share_pool`: the app's container keeps a pool of its own, which
    // the fairing must know of.
    let app = SyncApp::new(move |_: Request| {
        let _ = entered_tx.lock().unwrap().send(());
        let _ = released.lock().unwrap().recv_timeout(PATIENCE);
        match crochet_core::wait_for(PATIENCE, async { 6 * 7 }) {
            Ok(answer) => Response::new(answer.to_string().into()),
            Err(err) => Response::new(err.to_string().into()),
        }
    });
    let running = launch(
        rocket()
            .attach(
                Crochet::fairing()
                    .global(false)
                    .reactor(Reactor::builder().shutdown_grace(REACTOR_GRACE)),
            )
            .mount("/app", app),
    );
    let caller = get_in_background(running.url("/app/held"));
    entered.recv_timeout(PATIENCE).expect("the handler started");
    running.begin_graceful_stop();
    // Rocket closes its listener only once the shutdown fairings have
    // returned, so once connections are refused the fairing has acted (a
    // fairing that stopped the reactor at once would have by now).
    eventually("Rocket closes its listener", || {
        std::net::TcpStream::connect(running.addr).is_err()
    });
    release.send(()).unwrap();
    let answer = caller.join().unwrap();
    assert!(
        matches!(&answer, Ok((200, body)) if body == "42"),
        "{answer:?}"
    );
}

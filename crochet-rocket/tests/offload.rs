//! The `Offload` request guard: blocking closures on the worker pool from
//! async routes, over a real Rocket server on loopback.

mod support;

use std::sync::{Mutex, mpsc};

use crochet_core::Pool;
use crochet_rocket::{Crochet, Offload, RouteError};
use rocket::http::Status;
use rocket::{State, get, routes};
use support::{PATIENCE, client, get, launch, rocket};

/// Blocking work that calls back into async code with plain `wait_for`.
#[get("/work/<n>")]
async fn work(n: u64, offload: Offload) -> Result<String, RouteError> {
    let route_thread = std::thread::current().id();
    offload
        .run(move || {
            let same_thread = std::thread::current().id() == route_thread;
            let doubled = crochet_core::wait_for(PATIENCE, async move {
                tokio::task::yield_now().await;
                (n * 2, tokio::runtime::Handle::current().id())
            });
            match doubled {
                Ok((value, id)) => format!("{value} {id} {same_thread}"),
                Err(err) => format!("failed: {err}"),
            }
        })
        .await
}

/// The route's own error type, with its own responder.
#[derive(Debug, rocket::Responder)]
#[response(status = 418, content_type = "plain")]
struct Teapot(String);

#[get("/fallible/<ok>")]
async fn fallible(ok: bool, offload: Offload) -> Result<String, RouteError<Teapot>> {
    offload
        .try_run(move || {
            if ok {
                Ok("fine".to_owned())
            } else {
                Err(Teapot("short and stout".to_owned()))
            }
        })
        .await
}

#[get("/boom")]
async fn boom(offload: Offload) -> Result<String, RouteError> {
    offload
        .run(|| -> String { panic!("a bug in blocking code") })
        .await
}

struct Hold {
    entered: Mutex<mpsc::Sender<()>>,
    release: std::sync::Arc<Mutex<mpsc::Receiver<()>>>,
}

#[get("/hold")]
async fn hold(offload: Offload, hold: &State<Hold>) -> Result<&'static str, RouteError> {
    let _ = hold.entered.lock().unwrap().send(());
    let release = hold.release.clone();
    offload
        .run(move || {
            let _ = release.lock().unwrap().recv_timeout(PATIENCE);
            "released"
        })
        .await
}

fn crochet() -> crochet_rocket::CrochetFairing {
    Crochet::fairing().global(false)
}

#[test]
fn offloaded_work_runs_on_the_pool_and_reaches_rockets_runtime() {
    let running = launch(rocket().attach(crochet()).mount("/", routes![work]));
    let (status, body) = get(&running.url("/work/21"));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        format!("42 {} false", running.runtime_id),
        "off Rocket's workers"
    );
}

#[test]
fn the_routes_own_error_is_passed_through_typed() {
    let running = launch(rocket().attach(crochet()).mount("/", routes![fallible]));
    assert_eq!(
        get(&running.url("/fallible/true")),
        (200, "fine".to_owned())
    );
    assert_eq!(
        get(&running.url("/fallible/false")),
        (418, "short and stout".to_owned())
    );
}

#[test]
fn a_panicking_job_gets_500_and_rocket_lives_on() {
    let running = launch(rocket().attach(crochet()).mount("/", routes![boom, work]));
    assert_eq!(get(&running.url("/boom")).0, 500);
    assert_eq!(get(&running.url("/work/1")).0, 200);
}

#[test]
fn a_full_pool_gets_503_with_retry_after_then_recovers() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let hold_state = Hold {
        entered: Mutex::new(entered_tx),
        release: std::sync::Arc::new(Mutex::new(release_rx)),
    };
    let fairing = crochet().pool(Pool::builder().workers(1).queue(0));
    let running = launch(
        rocket()
            .attach(fairing)
            .manage(hold_state)
            .mount("/", routes![hold, work]),
    );
    let holder = {
        let url = running.url("/hold");
        std::thread::spawn(move || get(&url))
    };
    entered_rx.recv_timeout(PATIENCE).unwrap();
    support::eventually("the job holds the only worker", || {
        let refused = client().get(running.url("/work/1")).call().unwrap();
        refused.status() == 503 && refused.headers()["retry-after"] == "1"
    });
    release_tx.send(()).unwrap();
    assert_eq!(holder.join().unwrap(), (200, "released".to_owned()));
    assert_eq!(get(&running.url("/work/1")).0, 200, "healthy again");
}

#[test]
fn the_local_client_sees_the_same_statuses() {
    use rocket::local::blocking::Client;
    let client = Client::tracked(
        rocket()
            .attach(crochet())
            .mount("/", routes![fallible, boom]),
    )
    .unwrap();
    assert_eq!(client.get("/fallible/false").dispatch().status().code, 418);
    assert_eq!(
        client.get("/boom").dispatch().status(),
        Status::InternalServerError
    );
}

#[test]
fn the_guard_without_the_fairing_fails_the_launch() {
    let missing = support::try_launch(rocket().mount("/", routes![work]));
    let err = missing.expect_err("launch must fail");
    assert!(
        matches!(err.kind(), rocket::error::ErrorKind::SentinelAborts(_)),
        "{err}"
    );
}

//! Synchronous Rocket routes calling async code through Crochet, on a real
//! Rocket server over loopback, and the fairing's shutdown.

mod support;

use std::sync::{Mutex, mpsc};
use std::time::Duration;

use crochet_core::Reactor;
use crochet_rocket::{Crochet, RouteError};
use rocket::{State, get, routes};
use support::{PATIENCE, client, get, launch, rocket};

/// A blocking API over async code, bound to an explicit reactor.
#[crochet_core::wait_for(timeout = "5s", reactor = _reactor)]
async fn lookup(_reactor: &Reactor, key: &str) -> String {
    tokio::time::sleep(Duration::from_millis(1)).await;
    format!("{key}@{}", tokio::runtime::Handle::current().id())
}

#[get("/sleep")]
fn sleep_route(crochet: &Crochet) -> Result<String, RouteError> {
    let id = crochet.wait_for(PATIENCE, async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        tokio::runtime::Handle::current().id()
    })?;
    Ok(id.to_string())
}

#[get("/lookup/<key>")]
fn lookup_route(key: &str, crochet: &State<Crochet>) -> Result<String, RouteError> {
    Ok(lookup(crochet.reactor(), key)?)
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

fn crochet() -> crochet_rocket::CrochetFairing {
    Crochet::fairing().global(false)
}

#[test]
fn a_sync_route_waits_for_async_code_on_rockets_own_runtime() {
    let running = launch(rocket().attach(crochet()).mount("/", routes![sleep_route]));
    let (status, body) = get(&running.url("/sleep"));
    assert_eq!(status, 200);
    assert_eq!(body, running.runtime_id.to_string());
}

#[test]
fn a_sync_route_calls_a_wait_for_function() {
    let running = launch(rocket().attach(crochet()).mount("/", routes![lookup_route]));
    let (status, body) = get(&running.url("/lookup/ada"));
    assert_eq!(status, 200);
    assert_eq!(body, format!("ada@{}", running.runtime_id));
}

#[test]
fn sync_routes_under_concurrent_load_are_all_answered() {
    let running = launch(rocket().attach(crochet()).mount("/", routes![sleep_route]));
    let url = running.url("/sleep");
    let expected = running.runtime_id.to_string();
    // 32 clients, each on its own keep-alive connection, against two
    // Rocket workers: every wait hands its worker's tasks off.
    let clients: Vec<_> = (0..32)
        .map(|_| {
            let (url, expected) = (url.clone(), expected.clone());
            std::thread::spawn(move || {
                let agent = client();
                (0..20)
                    .filter(|_| {
                        agent.get(&url).call().is_ok_and(|mut r| {
                            r.status() == 200
                                && r.body_mut().read_to_string().is_ok_and(|b| b == expected)
                        })
                    })
                    .count()
            })
        })
        .collect();
    for handle in clients {
        assert_eq!(handle.join().unwrap(), 20);
    }
}

/// Blocks until told to go (or for at most PATIENCE).
struct Gate {
    entered: Mutex<mpsc::Sender<()>>,
    open: tokio::sync::watch::Receiver<bool>,
}

#[get("/gate")]
fn gate_route(crochet: &Crochet, gate: &State<Gate>) -> Result<&'static str, RouteError> {
    let _ = gate.entered.lock().unwrap().send(());
    let mut open = gate.open.clone();
    crochet
        .wait_for(PATIENCE, open.wait_for(|open| *open))?
        .ok();
    Ok("through")
}

#[test]
fn blocked_sync_routes_do_not_stall_rockets_workers() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (open_tx, open_rx) = tokio::sync::watch::channel(false);
    let gate = Gate {
        entered: Mutex::new(entered_tx),
        open: open_rx,
    };
    let running = launch(
        rocket()
            .attach(crochet())
            .manage(gate)
            .mount("/", routes![gate_route, ping]),
    );
    // Four times as many blocked sync routes as Rocket has workers.
    let blocked: Vec<_> = (0..8)
        .map(|_| {
            let url = running.url("/gate");
            std::thread::spawn(move || get(&url))
        })
        .collect();
    for _ in 0..8 {
        entered_rx.recv_timeout(PATIENCE).unwrap();
    }
    // Every one of them is blocked in wait_for, and an async route is
    // still served.
    assert_eq!(get(&running.url("/ping")), (200, "pong".to_owned()));
    open_tx.send(true).unwrap();
    for handle in blocked {
        assert_eq!(handle.join().unwrap(), (200, "through".to_owned()));
    }
}

#[get("/stuck")]
fn stuck_route(
    crochet: &Crochet,
    entered: &State<Mutex<mpsc::Sender<()>>>,
) -> Result<&'static str, RouteError> {
    let _ = entered.lock().unwrap().send(());
    crochet.wait_for(PATIENCE, std::future::pending::<()>())?;
    Ok("unreachable")
}

#[test]
fn rocket_shutdown_stops_the_reactor_and_blocked_callers_get_503() {
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let fairing = crochet().reactor(Reactor::builder().shutdown_grace(Duration::from_millis(100)));
    let running = launch(
        rocket()
            .attach(fairing)
            .manage(Mutex::new(entered_tx))
            .mount("/", routes![stuck_route]),
    );
    let caller = {
        let url = running.url("/stuck");
        std::thread::spawn(move || {
            let mut response = client().get(&url).call().unwrap();
            let retry = response.headers().get("retry-after").cloned();
            (
                response.status().as_u16(),
                retry,
                response.body_mut().read_to_string().unwrap(),
            )
        })
    };
    entered_rx.recv_timeout(PATIENCE).unwrap();
    let rocket = running.stop().expect("a graceful shutdown");
    let (status, retry, _body) = caller.join().unwrap();
    assert_eq!(status, 503, "the blocked caller got ReactorStopped");
    assert_eq!(retry.unwrap(), "1");
    let crochet = rocket.state::<Crochet>().unwrap();
    assert!(!crochet.reactor().is_running());
    let after = crochet.wait_for(PATIENCE, async { 1 });
    assert!(after.unwrap_err().is_reactor_stopped());
}

#[test]
fn a_separate_runtime_serves_the_waits_and_stops_with_rocket() {
    let fairing = crochet()
        .separate_runtime(true)
        .reactor(Reactor::builder().worker_threads(1).thread_name("separate"));
    let running = launch(rocket().attach(fairing).mount("/", routes![sleep_route]));
    let (status, body) = get(&running.url("/sleep"));
    assert_eq!(status, 200);
    assert_ne!(body, running.runtime_id.to_string(), "not Rocket's runtime");
    let rocket = running.stop().unwrap();
    assert!(!rocket.state::<Crochet>().unwrap().reactor().is_running());
}

#[test]
fn the_local_client_drives_a_sync_route_too() {
    use rocket::local::blocking::Client;
    let client =
        Client::tracked(rocket().attach(crochet()).mount("/", routes![lookup_route])).unwrap();
    let response = client.get("/lookup/grace").dispatch();
    assert_eq!(response.status(), rocket::http::Status::Ok);
    assert!(response.into_string().unwrap().starts_with("grace@"));
}

#[test]
fn routes_asking_for_crochet_without_the_fairing_fail_to_launch() {
    let missing = support::try_launch(rocket().mount("/", routes![sleep_route]));
    let err = missing.expect_err("launch must fail");
    assert!(
        matches!(err.kind(), rocket::error::ErrorKind::SentinelAborts(_)),
        "{err}"
    );
}

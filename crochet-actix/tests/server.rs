//! `Crochet::run_server`: the reactor's shutdown tied to the actix
//! server's graceful shutdown, both ways.

mod support;

use std::sync::{Arc, Mutex, mpsc};

use actix_web::web;
use crochet_actix::{Crochet, blocking};
use support::{PATIENCE, client, start, url};

#[test]
fn stopping_the_server_stops_the_reactor_and_releases_blocked_callers() {
    let reactor = support::reactor();
    let crochet = Crochet::builder()
        .reactor(reactor.clone())
        .shutdown_grace(std::time::Duration::from_millis(100))
        .build()
        .unwrap();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (outcome_tx, outcome_rx) = mpsc::channel::<Result<(), crochet_core::Error>>();
    let started_tx = Arc::new(Mutex::new(started_tx));
    let outcome_tx = Arc::new(Mutex::new(outcome_tx));
    let running = start(Some(crochet), move |config: &mut web::ServiceConfig| {
        let (started_tx, outcome_tx) = (started_tx.clone(), outcome_tx.clone());
        config.route(
            "/stuck",
            web::get().to(blocking(move || {
                let _ = started_tx.lock().unwrap().send(());
                // Waits on the reactor for longer than any test runs.
                let outcome = crochet_core::wait_for(PATIENCE * 4, std::future::pending::<()>());
                let _ = outcome_tx.lock().unwrap().send(outcome);
                "unreachable"
            })),
        );
    });
    let stuck = {
        let url = url(&running, "/stuck");
        std::thread::spawn(move || client().get(url).call().map(|r| r.status()))
    };
    started_rx.recv_timeout(PATIENCE).unwrap();
    assert!(reactor.is_running());
    // actix gives the request its shutdown timeout (1 s here), drops it,
    // finishes; then the reactor is shut down.
    running.stop().unwrap();
    assert!(!reactor.is_running());
    let outcome = outcome_rx.recv_timeout(PATIENCE).unwrap();
    assert!(
        matches!(outcome, Err(crochet_core::Error::ReactorStopped)),
        "{outcome:?}"
    );
    // The client saw its connection dropped (or, at best, an error status).
    let _ = stuck.join().unwrap();
}

#[test]
fn shutting_the_reactor_down_stops_the_server() {
    let reactor = support::reactor();
    let crochet = Crochet::builder().reactor(reactor.clone()).build().unwrap();
    let mut running = start(Some(crochet), |config: &mut web::ServiceConfig| {
        config.route("/", web::get().to(blocking(|| "up")));
    });
    let up = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(up.status(), 200);
    reactor.shutdown(std::time::Duration::from_millis(100));
    // The server finishes by itself (the wait is bounded by PATIENCE).
    running.wait().unwrap();
}

#[test]
fn after_the_reactor_stops_blocking_handlers_get_503() {
    let reactor = support::reactor();
    let crochet = Crochet::builder().reactor(reactor.clone()).build().unwrap();
    // A plain server (not run_server), so it stays up after the reactor.
    let app_data = crochet.clone();
    let running = start(None, move |config: &mut web::ServiceConfig| {
        config
            .app_data(app_data.clone())
            .route("/", web::get().to(blocking(|| "up")));
    });
    assert_eq!(
        client().get(url(&running, "/")).call().unwrap().status(),
        200
    );
    reactor.shutdown(std::time::Duration::ZERO);
    let refused = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
}

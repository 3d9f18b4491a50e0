//! `SyncServiceBuilder::crochet`: a mounted `SyncHandler` and the app's
//! `blocking` handlers on one pool.

mod support;

use std::sync::{Arc, Mutex, mpsc};

use actix_web::web;
use crochet_actix::{Crochet, SyncService, blocking};
use crochet_sync_http::Response;
use support::{PATIENCE, client, eventually, start, url};

#[test]
fn a_shared_pool_is_one_set_of_workers_for_blocking_handlers_and_the_sync_service() {
    let crochet = Crochet::builder()
        .reactor(support::reactor())
        .workers(1)
        .queue(0)
        .build()
        .unwrap();
    let shared = SyncService::builder()
        .crochet(&crochet)
        .build(|_| Response::new("shared".into()))
        .unwrap();
    let own = SyncService::builder()
        .reactor(crochet.reactor().clone())
        .workers(1)
        .queue(0)
        .build(|_| Response::new("own".into()))
        .unwrap();
    let (release, held) = mpsc::channel::<()>();
    let held = Arc::new(Mutex::new(held));
    let hold = blocking(move || {
        let _ = held.lock().unwrap().recv_timeout(PATIENCE);
        "released"
    });
    let running = start(Some(crochet.clone()), move |config| {
        config
            .route("/hold", web::get().to(hold.clone()))
            .service(web::scope("/shared").default_service(shared.clone()))
            .service(web::scope("/own").default_service(own.clone()));
    });

    let holder = std::thread::spawn({
        let hold_url = url(&running, "/hold");
        move || client().get(hold_url).call().map(|r| r.status().as_u16())
    });
    eventually("the blocking handler holds the one worker", || {
        crochet.pool().stats().busy == 1
    });

    let status = |path: &str| {
        client()
            .get(url(&running, path))
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status("/shared/x"), 503, "the shared pool is the full one");
    assert_eq!(status("/own/x"), 200, "a pool of its own has room");

    release.send(()).unwrap();
    assert_eq!(holder.join().unwrap().unwrap(), 200);
    eventually("the worker is free", || crochet.pool().stats().busy == 0);
    assert_eq!(status("/shared/x"), 200);
    assert_eq!(crochet.pool().stats().rejected, 1);
}

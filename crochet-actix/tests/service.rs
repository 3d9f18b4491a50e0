//! A `SyncHandler` mounted with `SyncService` in a real actix-web server:
//! what is particular to actix. The HTTP semantics it shares with the other
//! hosts (status and headers, 503, 500, 413, streamed bodies, clients gone
//! mid-body, malformed requests, keep-alive) are in the workspace's
//! host-conformance suite, `tests/tests/hosts_*.rs`.

mod support;

use std::time::Duration;

use actix_web::web;
use crochet_actix::SyncService;
use crochet_core::Reactor;
use crochet_sync_http::{Request, Response, SyncHandler};
use support::{PATIENCE, Running, client, start, url};

/// The handler mounted as the app's default service, on `reactor`, beside
/// an async route `/__runtime` that answers with the actix worker's
/// runtime id.
fn mount(reactor: &Reactor, handler: impl SyncHandler) -> Running {
    let service = SyncService::builder()
        .workers(4)
        .queue(16)
        .body_limit(1024 * 1024)
        .read_timeout(Duration::from_secs(10))
        .reactor(reactor.clone())
        .build(handler)
        .unwrap();
    start(None, move |config: &mut web::ServiceConfig| {
        config
            .route(
                "/__runtime",
                web::get().to(|| async { tokio::runtime::Handle::current().id().to_string() }),
            )
            .default_service(service.clone());
    })
}

#[test]
fn wait_for_reaches_the_crochet_reactor_not_the_actix_worker() {
    let reactor = support::reactor();
    let running = mount(&reactor, |request: Request| {
        // Plain crochet_core::wait_for: no reactor named.
        let (id, flavor) = crochet_core::wait_for(PATIENCE, async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let handle = tokio::runtime::Handle::current();
            (handle.id(), handle.runtime_flavor())
        })
        .unwrap();
        let named = request
            .extensions()
            .get::<Reactor>()
            .map(|reactor| reactor.handle().id());
        assert_eq!(named, Some(id));
        assert_eq!(flavor, tokio::runtime::RuntimeFlavor::MultiThread);
        Response::new(id.to_string().into())
    });
    let mut response = client().get(url(&running, "/")).call().unwrap();
    let ran_on = response.body_mut().read_to_string().unwrap();
    assert_eq!(ran_on, reactor.handle().id().to_string());
    let mut worker = client().get(url(&running, "/__runtime")).call().unwrap();
    let worker_runtime = worker.body_mut().read_to_string().unwrap();
    assert_ne!(ran_on, worker_runtime, "not the actix worker's runtime");
}

#[test]
fn wait_for_futures_that_need_a_multi_thread_runtime_work() {
    let reactor = support::reactor();
    let running = mount(&reactor, |_request: Request| {
        let outcome = crochet_core::wait_for(PATIENCE, async {
            // Panics on a current-thread runtime such as an actix worker's.
            let in_place = tokio::task::block_in_place(|| 20);
            // A spawned task joined while this thread waits.
            let spawned = tokio::spawn(async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                22
            });
            in_place + spawned.await.unwrap_or(0)
        });
        match outcome {
            Ok(sum) => Response::new(sum.to_string().into()),
            Err(err) => Response::new(format!("failed: {err}").into()),
        }
    });
    let mut response = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body_mut().read_to_string().unwrap(), "42");
}

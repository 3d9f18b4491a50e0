//! Blocking actix handlers (`blocking`, `Crochet::offload`) in a real
//! actix-web server, over loopback with a real client.

mod support;

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use crochet_actix::{Crochet, OffloadError, blocking};
use support::{PATIENCE, client, start, url};

/// The user's own error type, which must come through with its type.
#[derive(Debug)]
enum LookupError {
    NotFound(u32),
    Backend(crochet_core::Error),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::NotFound(id) => write!(f, "no record {id}"),
            LookupError::Backend(err) => write!(f, "the backend failed: {err}"),
        }
    }
}

impl ResponseError for LookupError {
    fn status_code(&self) -> StatusCode {
        match self {
            LookupError::NotFound(_) => StatusCode::NOT_FOUND,
            LookupError::Backend(_) => StatusCode::BAD_GATEWAY,
        }
    }
}

/// A blocking handler in actix's style: extractors in, Responder out,
/// calling async code through Crochet.
fn lookup(
    id: web::Path<u32>,
    query: web::Query<Vec<(String, String)>>,
    prefix: web::Data<String>,
) -> Result<String, LookupError> {
    let id = id.into_inner();
    let found = crochet_core::wait_for(PATIENCE, async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        (id < 100).then_some(id * 2)
    })
    .map_err(LookupError::Backend)?;
    let value = found.ok_or(LookupError::NotFound(id))?;
    let thread = std::thread::current().name().unwrap_or("?").to_owned();
    Ok(format!(
        "{}{value} {:?} on {thread}",
        prefix.as_str(),
        query.into_inner()
    ))
}

fn crochet(workers: usize, queue: usize) -> Crochet {
    Crochet::builder()
        .reactor(support::reactor())
        .workers(workers)
        .queue(queue)
        .build()
        .unwrap()
}

#[test]
fn a_blocking_handler_takes_extractors_and_calls_async_code() {
    let crochet = crochet(4, 16);
    let running = start(Some(crochet), |config: &mut web::ServiceConfig| {
        config
            .app_data(web::Data::new("value=".to_owned()))
            .route("/records/{id}", web::get().to(blocking(lookup)));
    });
    let mut response = client()
        .get(url(&running, "/records/21?a=b"))
        .call()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.body_mut().read_to_string().unwrap();
    assert!(body.starts_with("value=42 [(\"a\", \"b\")] on "), "{body}");
    // The reactor's blocking threads, not the actix worker.
    assert!(body.contains(" on test-reactor"), "{body}");
}

#[test]
fn a_blocking_handler_reads_the_body_through_extractors() {
    let running = start(Some(crochet(2, 4)), |config: &mut web::ServiceConfig| {
        config
            .route(
                "/sum",
                web::post().to(blocking(|numbers: web::Json<Vec<u64>>| {
                    numbers.iter().sum::<u64>().to_string()
                })),
            )
            .route(
                "/len",
                web::post().to(blocking(|bytes: web::Bytes| bytes.len().to_string())),
            );
    });
    let mut sum = client()
        .post(url(&running, "/sum"))
        .header("content-type", "application/json")
        .send("[1, 2, 3, 36]")
        .unwrap();
    assert_eq!(sum.body_mut().read_to_string().unwrap(), "42");
    let mut len = client()
        .post(url(&running, "/len"))
        .send(&[7_u8; 1000][..])
        .unwrap();
    assert_eq!(len.body_mut().read_to_string().unwrap(), "1000");
    // actix's own extractor errors still apply before the pool is asked.
    let bad = client()
        .post(url(&running, "/sum"))
        .header("content-type", "application/json")
        .send("not json")
        .unwrap();
    assert_eq!(bad.status(), 400);
}

/// Marks responses whose error is a `LookupError` (found by type) or an
/// `OffloadError`, as a logging or metrics middleware would.
async fn tag_error_types(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(request).await?;
    let tag = match response.response().error() {
        Some(err) if err.as_error::<LookupError>().is_some() => "LookupError",
        Some(err) if err.as_error::<OffloadError>().is_some() => "OffloadError",
        Some(_) => "other",
        None => "none",
    };
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("x-error-type"),
        actix_web::http::header::HeaderValue::from_static(tag),
    );
    Ok(response)
}

#[test]
fn errors_keep_their_types() {
    let running = start(Some(crochet(2, 4)), |config: &mut web::ServiceConfig| {
        config.app_data(web::Data::new(String::new())).service(
            web::scope("")
                .wrap(actix_web::middleware::from_fn(tag_error_types))
                .route("/records/{id}", web::get().to(blocking(lookup)))
                .route(
                    "/panics",
                    web::get().to(blocking(|| -> &'static str { panic!("handler bug") })),
                ),
        );
    });
    let mut missing = client().get(url(&running, "/records/500")).call().unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-error-type"], "LookupError");
    assert_eq!(
        missing.body_mut().read_to_string().unwrap(),
        "no record 500"
    );
    let found = client().get(url(&running, "/records/1")).call().unwrap();
    assert_eq!(found.status(), 200);
    assert_eq!(found.headers()["x-error-type"], "none");
    let panicked = client().get(url(&running, "/panics")).call().unwrap();
    assert_eq!(panicked.status(), 500);
    assert_eq!(panicked.headers()["x-error-type"], "OffloadError");
    // The server lives on.
    let again = client().get(url(&running, "/records/2")).call().unwrap();
    assert_eq!(again.status(), 200);
}

#[test]
fn overload_gets_503_with_retry_after_then_recovers() {
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let started_tx = Arc::new(Mutex::new(started_tx));
    let release_rx = Arc::new(Mutex::new(release_rx));
    let running = start(
        Some(crochet(1, 0)),
        move |config: &mut web::ServiceConfig| {
            let (started_tx, release_rx) = (started_tx.clone(), release_rx.clone());
            config
                .route(
                    "/hold",
                    web::get().to(blocking(move || {
                        let _ = started_tx.lock().unwrap().send(());
                        let _ = release_rx.lock().unwrap().recv_timeout(PATIENCE);
                        "held"
                    })),
                )
                .route("/other", web::get().to(blocking(|| "other")));
        },
    );
    let holder = {
        let url = url(&running, "/hold");
        std::thread::spawn(move || client().get(url).call().map(|r| r.status()))
    };
    started_rx.recv_timeout(PATIENCE).unwrap();
    let refused = client().get(url(&running, "/other")).call().unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    release_tx.send(()).unwrap();
    assert_eq!(holder.join().unwrap().unwrap(), 200);
    let again = client().get(url(&running, "/other")).call().unwrap();
    assert_eq!(again.status(), 200, "healthy again");
}

#[test]
fn async_handlers_offload_with_the_extracted_crochet() {
    let reactor_id = Arc::new(Mutex::new(None));
    let crochet = crochet(2, 4);
    *reactor_id.lock().unwrap() = Some(crochet.reactor().handle().id());
    let running = start(Some(crochet), |config: &mut web::ServiceConfig| {
        config.route(
            "/offload/{id}",
            web::get().to(|crochet: Crochet, id: web::Path<u32>| async move {
                // Blocking here would stall the actix worker: Crochet says so.
                let refused = crochet_core::wait_for(PATIENCE, async { 1 });
                assert!(matches!(refused, Err(crochet_core::Error::InAsyncContext)));
                let id = id.into_inner();
                let outcome: Result<u32, LookupError> = crochet
                    .offload(move || {
                        let runtime = crochet_core::wait_for(PATIENCE, async {
                            tokio::runtime::Handle::current().id()
                        })
                        .map_err(LookupError::Backend)?;
                        if id == 0 {
                            return Err(LookupError::NotFound(id));
                        }
                        Ok(runtime.to_string().len() as u32 + id)
                    })
                    .await?;
                // The user's error, matched by type, not stringly.
                match outcome {
                    Err(LookupError::NotFound(_)) => Ok(HttpResponse::NotFound().finish()),
                    Err(other) => Err(actix_web::Error::from(other)),
                    Ok(value) => Ok::<_, actix_web::Error>(HttpResponse::Ok().body(format!(
                        "{value} {}",
                        tokio::runtime::Handle::current().id()
                    ))),
                }
            }),
        );
    });
    let mut response = client().get(url(&running, "/offload/5")).call().unwrap();
    assert_eq!(response.status(), 200);
    let body = response.body_mut().read_to_string().unwrap();
    let (_, worker_runtime) = body.split_once(' ').unwrap();
    let reactor_id = reactor_id.lock().unwrap().unwrap().to_string();
    assert_ne!(
        worker_runtime, reactor_id,
        "the handler itself ran on actix"
    );
    assert_eq!(
        client()
            .get(url(&running, "/offload/0"))
            .call()
            .unwrap()
            .status(),
        404
    );
}

#[test]
fn without_app_data_the_global_default_is_used() {
    let running = start(None, |config: &mut web::ServiceConfig| {
        config.route(
            "/",
            web::get().to(blocking(|| {
                let id = crochet_core::wait_for(PATIENCE, async {
                    tokio::runtime::Handle::current().id()
                });
                id.map(|id| id.to_string()).unwrap_or_default()
            })),
        );
    });
    let mut response = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        crochet_core::setup().handle().id().to_string()
    );
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Crochet>();
    assert_send_sync::<crochet_actix::CrochetBuilder>();
    assert_send_sync::<OffloadError>();
    assert_send_sync::<
        crochet_actix::SyncService<fn(crochet_sync_http::Request) -> crochet_sync_http::Response>,
    >();
    assert_send_sync::<crochet_actix::SyncServiceBuilder>();
    assert_send_sync::<crochet_actix::Blocking<fn() -> String>>();
}

//! The container as a plain `tower::Service`, without sockets.

use std::io::Read;

use crochet_sync_http::{Container, Request, Response};
use http_body_util::BodyExt;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oneshot_runs_the_handler_on_the_pool() {
    let container = Container::builder()
        .workers(2)
        .build(|mut request: Request| {
            let mut body = String::new();
            let _ = request.body_mut().read_to_string(&mut body);
            let on_runtime = tokio::runtime::Handle::try_current().is_ok();
            Response::new(format!("{body} {on_runtime}").into())
        });
    let request = http::Request::post("/")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            b"ping",
        )))
        .unwrap();
    let response = container.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    // The handler ran on a blocking-pool thread that has the runtime's context.
    assert_eq!(&body[..], b"ping true");
    // The response head is sent as the handler returns; the job itself
    // (and its worker) finishes just after.
    let pool = container.pool().unwrap();
    for _ in 0..30_000 {
        if pool.stats().busy == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let stats = pool.stats();
    assert_eq!((stats.completed, stats.busy), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oneshot_maps_panics_and_oversize_bodies() {
    let container = Container::builder()
        .body_limit(3)
        .build(|request: Request| -> Response {
            if request.uri().path() == "/panic" {
                panic!("oneshot panic");
            }
            Response::new("ok".into())
        });
    let panic = http::Request::get("/panic")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    assert_eq!(
        container.clone().oneshot(panic).await.unwrap().status(),
        500
    );
    let big = http::Request::post("/")
        .header("content-length", "10")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            b"0123456789",
        )))
        .unwrap();
    assert_eq!(container.oneshot(big).await.unwrap().status(), 413);
}

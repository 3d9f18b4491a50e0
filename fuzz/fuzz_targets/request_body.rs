//! The request-body reader behind every host: a body fed in arbitrary
//! chunks, under an arbitrary limit, with or without a correct
//! `Content-Length`, is read through `std::io::Read` by a blocking handler
//! in a `Container`. Either the handler sees exactly the bytes sent (200,
//! and its echo of their length and checksum) or the body is over the limit
//! (413). Never a panic, a hang or a wrong byte.
#![no_main]

use std::io::Read;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use crochet_core::Reactor;
use crochet_sync_http::{Container, ContainerBody, Request, Response};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower_service::Service;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// Length and a simple checksum of what the handler read.
fn echo(mut request: Request) -> Response {
    let mut body = Vec::new();
    match request.body_mut().read_to_end(&mut body) {
        Ok(_) => {
            let sum = body.iter().fold(0_u64, |sum, b| sum.wrapping_mul(31) + u64::from(*b));
            Response::new(format!("{} {sum}", body.len()).into())
        }
        Err(err) => Response::new(format!("read failed: {err}").into()),
    }
}

fuzz_target!(|data: &[u8]| {
    let [limit, chunking, flags, body @ ..] = data else {
        return;
    };
    let limit = u64::from(*limit);
    let declare_length = flags & 1 == 1;
    // Chunk sizes cycle through 1..=16 from the chunking byte.
    let sizes = (0..).map(|i| 1 + ((usize::from(*chunking) + i * 7) % 16));
    let mut chunks = Vec::new();
    let mut rest = body;
    for size in sizes {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(Bytes::copy_from_slice(chunk));
        rest = tail;
    }

    let runtime = runtime();
    let reactor = Reactor::builder().attach(runtime.handle().clone());
    let mut container = Container::builder()
        .reactor(reactor)
        .body_limit(limit)
        .read_timeout(Duration::from_secs(10))
        .build(echo);
    let (status, text) = runtime.block_on(async move {
        let (sender, request_body) = ContainerBody::channel();
        let mut request = http::Request::post("/").body(request_body).unwrap();
        if declare_length {
            request
                .headers_mut()
                .insert(http::header::CONTENT_LENGTH, body.len().into());
        }
        let feed = async move {
            for chunk in chunks {
                if sender.send(chunk).await.is_err() {
                    return;
                }
            }
        };
        let call = async {
            let response = container.call(request).await.unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        };
        tokio::time::timeout(Duration::from_secs(30), async {
            let ((), answer) = tokio::join!(feed, call);
            answer
        })
        .await
        .expect("the container answered")
    });

    if body.len() as u64 > limit {
        assert_eq!(status, 413, "over the limit: {text}");
    } else {
        let sum = body.iter().fold(0_u64, |sum, b| sum.wrapping_mul(31) + u64::from(*b));
        assert_eq!(status, 200);
        assert_eq!(text, format!("{} {sum}", body.len()));
    }
});

//! A `SyncHandler` mounted with `SyncService` in a real actix-web server:
//! the HTTP semantics of crochet-sync-http's host tests (tests/hosts.rs
//! there), over loopback with a real client.

mod support;

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use actix_web::web;
use crochet_actix::SyncService;
use crochet_core::Reactor;
use crochet_sync_http::{Request, Response, ResponseBody, SyncHandler};
use support::{PATIENCE, Running, client, eventually, raw_exchange, start, url};

fn text(body: &'static str) -> Response {
    Response::new(body.into())
}

#[derive(Debug, Clone)]
struct Settings {
    workers: usize,
    queue: usize,
    body_limit: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            workers: 4,
            queue: 16,
            body_limit: 1024 * 1024,
        }
    }
}

/// The handler mounted as the app's default service, on `reactor`, beside
/// an async route `/__runtime` that answers with the actix worker's
/// runtime id.
fn mount(reactor: &Reactor, settings: Settings, handler: impl SyncHandler) -> Running {
    let service = SyncService::builder()
        .workers(settings.workers)
        .queue(settings.queue)
        .body_limit(settings.body_limit)
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
fn serves_a_blocking_handler() {
    let reactor = support::reactor();
    let running = mount(&reactor, Settings::default(), |request: Request| {
        let agent = request
            .headers()
            .get("x-test")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        let mut response = Response::new(
            format!(
                "{} {} {:?} {agent}",
                request.method(),
                request.uri(),
                request.version()
            )
            .into(),
        );
        *response.status_mut() = http::StatusCode::CREATED;
        response
            .headers_mut()
            .insert("x-served-by", http::HeaderValue::from_static("sync"));
        response
    });
    let mut response = client()
        .get(url(&running, "/hello/world?x=1"))
        .header("x-test", "yes")
        .call()
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-served-by"], "sync");
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        "GET /hello/world?x=1 HTTP/1.1 yes"
    );
}

#[test]
fn wait_for_reaches_the_crochet_reactor_not_the_actix_worker() {
    let reactor = support::reactor();
    let running = mount(&reactor, Settings::default(), |request: Request| {
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
    let running = mount(&reactor, Settings::default(), |_request: Request| {
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

#[test]
fn overload_gets_503_with_retry_after_then_recovers() {
    let reactor = support::reactor();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let started_tx = Mutex::new(started_tx);
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let running = mount(&reactor, settings, move |request: Request| {
        if request.uri().path() == "/hold" {
            let _ = started_tx.lock().unwrap().send(());
            let _ = release_rx.lock().unwrap().recv_timeout(PATIENCE);
        }
        text("done")
    });
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
fn a_panicking_handler_gets_500_and_the_server_lives_on() {
    let reactor = support::reactor();
    let running = mount(&reactor, Settings::default(), |request: Request| {
        if request.uri().path() == "/boom" {
            panic!("handler bug");
        }
        text("fine")
    });
    let boom = client().get(url(&running, "/boom")).call().unwrap();
    assert_eq!(boom.status(), 500);
    let fine = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(fine.status(), 200);
}

fn count_body(mut request: Request) -> Response {
    let mut total = 0_u64;
    let mut buf = [0_u8; 8192];
    loop {
        match request.body_mut().read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(err) => {
                let mut response = Response::new(err.to_string().into());
                *response.status_mut() = http::StatusCode::BAD_REQUEST;
                return response;
            }
        }
    }
    Response::new(total.to_string().into())
}

#[test]
fn bodies_over_the_limit_get_413() {
    let reactor = support::reactor();
    let settings = Settings {
        body_limit: 1000,
        ..Settings::default()
    };
    let running = mount(&reactor, settings, count_body);
    // Declared too large: refused before the handler runs.
    let declared = client()
        .post(url(&running, "/"))
        .send(&vec![b'x'; 2000][..])
        .unwrap();
    assert_eq!(declared.status(), 413);
    // Chunked (no length): found out while the handler reads.
    let mut chunked_source = io::repeat(b'y').take(5000);
    let chunked = client()
        .post(url(&running, "/"))
        .send(ureq::SendBody::from_reader(&mut chunked_source))
        .unwrap();
    assert_eq!(chunked.status(), 413);
    // At the limit is fine.
    let mut fits = client()
        .post(url(&running, "/"))
        .send(&vec![b'z'; 1000][..])
        .unwrap();
    assert_eq!(fits.status(), 200);
    assert_eq!(fits.body_mut().read_to_string().unwrap(), "1000");
    // No body at all reads as empty.
    let mut empty = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(empty.body_mut().read_to_string().unwrap(), "0");
}

/// A reader that counts what it has produced.
struct Counting<R> {
    inner: R,
    produced: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

const MIB: u64 = 1024 * 1024;
/// The most either side may run ahead of the other: the in-flight chunks
/// plus socket buffers, far below the bodies' sizes.
const MAX_LEAD: u64 = 12 * MIB;

#[test]
fn a_20_mb_upload_streams_through_read() {
    let reactor = support::reactor();
    let sent = Arc::new(AtomicU64::new(0));
    let max_lead = Arc::new(AtomicU64::new(0));
    let settings = Settings {
        body_limit: 64 * MIB,
        ..Settings::default()
    };
    let (sent_seen, lead_seen) = (sent.clone(), max_lead.clone());
    let running = mount(&reactor, settings, move |mut request: Request| {
        let mut total = 0_u64;
        let mut buf = vec![0_u8; 64 * 1024];
        loop {
            let n = request.body_mut().read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            total += n as u64;
            let lead = sent_seen.load(Ordering::SeqCst).saturating_sub(total);
            lead_seen.fetch_max(lead, Ordering::SeqCst);
        }
        Response::new(total.to_string().into())
    });
    let mut source = Counting {
        inner: io::repeat(b'u').take(20 * MIB),
        produced: sent.clone(),
    };
    let mut response = client()
        .post(url(&running, "/upload"))
        .send(ureq::SendBody::from_reader(&mut source))
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        (20 * MIB).to_string()
    );
    let lead = max_lead.load(Ordering::SeqCst);
    assert!(lead < MAX_LEAD, "the client ran {lead} bytes ahead");
}

#[test]
fn a_30_mb_download_streams_from_a_reader() {
    let reactor = support::reactor();
    let produced = Arc::new(AtomicU64::new(0));
    let made = produced.clone();
    let running = mount(&reactor, Settings::default(), move |_request: Request| {
        Response::new(ResponseBody::from_reader(Counting {
            inner: io::repeat(b'd').take(30 * MIB),
            produced: made.clone(),
        }))
    });
    let mut response = client().get(url(&running, "/download")).call().unwrap();
    assert_eq!(response.status(), 200);
    let mut reader = response.body_mut().as_reader();
    let mut received = 0_u64;
    let mut max_lead = 0_u64;
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        received += n as u64;
        let lead = produced.load(Ordering::SeqCst).saturating_sub(received);
        max_lead = max_lead.max(lead);
    }
    assert_eq!(received, 30 * MIB);
    assert!(max_lead < MAX_LEAD, "the server ran {max_lead} bytes ahead");
}

#[test]
fn a_declared_length_on_a_streamed_body_is_kept() {
    let reactor = support::reactor();
    let running = mount(&reactor, Settings::default(), |_request: Request| {
        let mut response = Response::new(ResponseBody::from_reader(io::repeat(b'l').take(5000)));
        response
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(5000));
        response
    });
    let mut response = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(response.headers()["content-length"], "5000");
    assert!(!response.headers().contains_key("transfer-encoding"));
    assert_eq!(response.body_mut().read_to_vec().unwrap().len(), 5000);
}

#[test]
fn a_request_body_can_be_streamed_back_as_the_response() {
    let reactor = support::reactor();
    let settings = Settings {
        body_limit: 64 * MIB,
        ..Settings::default()
    };
    // The request body outlives the handler: it becomes the response body,
    // so feeding it must go on after the response head is sent.
    let running = mount(&reactor, settings, |request: Request| {
        Response::new(ResponseBody::from_reader(request.into_body()))
    });
    let mut source = io::repeat(b'e').take(8 * MIB);
    let mut response = client()
        .post(url(&running, "/echo"))
        .send(ureq::SendBody::from_reader(&mut source))
        .unwrap();
    assert_eq!(response.status(), 200);
    let echoed = response
        .body_mut()
        .with_config()
        .limit(64 * MIB)
        .read_to_vec()
        .unwrap();
    assert_eq!(echoed.len() as u64, 8 * MIB);
    assert!(echoed.iter().all(|&b| b == b'e'));
}

/// With one worker and no queue, a 200 for `/small` proves the worker was
/// freed (a 503 means it is still held).
fn assert_worker_freed(running: &Running) {
    eventually("the worker is freed", || {
        client()
            .get(url(running, "/small"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
}

#[test]
fn a_client_gone_mid_download_frees_the_worker() {
    let reactor = support::reactor();
    let reads = Arc::new(AtomicUsize::new(0));
    let seen = reads.clone();
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let running = mount(&reactor, settings, move |request: Request| {
        if request.uri().path() == "/small" {
            return text("small");
        }
        seen.fetch_add(1, Ordering::SeqCst);
        // Endless: only the client going away can end it.
        Response::new(ResponseBody::from_reader(io::repeat(b'e')))
    });
    {
        let mut response = client().get(url(&running, "/endless")).call().unwrap();
        let mut buf = vec![0_u8; 1024 * 1024];
        response
            .body_mut()
            .as_reader()
            .read_exact(&mut buf)
            .unwrap();
    } // dropped mid-body: the connection closes
    assert_eq!(reads.load(Ordering::SeqCst), 1);
    assert_worker_freed(&running);
}

#[test]
fn a_client_gone_mid_upload_fails_the_read_and_frees_the_worker() {
    let reactor = support::reactor();
    let (result_tx, result_rx) = mpsc::channel::<io::ErrorKind>();
    let result_tx = Mutex::new(result_tx);
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let running = mount(&reactor, settings, move |mut request: Request| {
        if request.uri().path() == "/small" {
            return text("small");
        }
        let mut sink = Vec::new();
        let kind = match request.body_mut().read_to_end(&mut sink) {
            Ok(_) => io::ErrorKind::Other,
            Err(err) => err.kind(),
        };
        let _ = result_tx.lock().unwrap().send(kind);
        text("unreachable client")
    });
    let partial = format!(
        "POST /upload HTTP/1.1\r\nHost: {}\r\nContent-Length: 100000\r\n\r\n{}",
        running.addr,
        "x".repeat(500)
    );
    {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(running.addr).unwrap();
        stream.write_all(partial.as_bytes()).unwrap();
    } // closed with 99 500 bytes missing
    let kind = result_rx.recv_timeout(PATIENCE).unwrap();
    assert_ne!(kind, io::ErrorKind::Other, "the read must fail");
    assert_worker_freed(&running);
}

#[test]
fn malformed_requests_get_4xx_or_a_close_and_the_server_keeps_serving() {
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let corpus: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\x00\x01\x02 not http at all\r\n\r\n".to_vec()),
        ("bad request line", b"GET\r\n\r\n".to_vec()),
        ("enormous header", huge_header.into_bytes()),
        (
            "broken chunked encoding",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
                .to_vec(),
        ),
        (
            "conflicting lengths",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"
                .to_vec(),
        ),
    ];
    let reactor = support::reactor();
    let running = mount(&reactor, Settings::default(), count_body);
    for (name, bytes) in &corpus {
        let reply = raw_exchange(running.addr, bytes);
        // A reply, if any, is a 4xx (from actix's parser, or the handler's
        // 400 for a body that broke while it read).
        let status_ok =
            reply.is_empty() || reply.starts_with("HTTP/1.1 4") || reply.starts_with("HTTP/1.0 4");
        assert!(status_ok, "{name}: {:?}", &reply[..reply.len().min(80)]);
        let fine = client().get(url(&running, "/")).call().unwrap();
        assert_eq!(fine.status(), 200, "after {name}");
    }
}

#[test]
fn many_concurrent_keep_alive_clients_are_all_answered() {
    let reactor = support::reactor();
    let settings = Settings {
        workers: 16,
        queue: 256,
        ..Settings::default()
    };
    let running = mount(&reactor, settings, |_request: Request| text("ok"));
    let clients: Vec<_> = (0..64)
        .map(|_| {
            let url = url(&running, "/");
            std::thread::spawn(move || {
                // One agent per client: one keep-alive connection each.
                let agent = client();
                (0..20)
                    .filter(|_| agent.get(&url).call().is_ok_and(|r| r.status() == 200))
                    .count()
            })
        })
        .collect();
    for handle in clients {
        assert_eq!(handle.join().unwrap(), 20);
    }
}

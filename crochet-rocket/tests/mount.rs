//! A `SyncHandler` mounted as Rocket routes gets the same HTTP semantics as
//! under the tower `Container` (crochet-sync-http's tests/hosts.rs, here
//! against a real Rocket server on loopback with a real client).

mod support;

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crochet_rocket::{Crochet, OriginalUri, SyncApp};
use crochet_sync_http::{Container, Request, Response, ResponseBody, SyncHandler};
use rocket::{get, routes};
use support::{PATIENCE, Running, client, eventually, get, launch, raw_exchange, rocket};

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

#[get("/native")]
fn native() -> &'static str {
    "a native Rocket route"
}

/// Rocket with the app mounted at `/app`, beside a native route.
fn start(settings: Settings, handler: impl SyncHandler) -> Running {
    let container = Container::builder()
        .workers(settings.workers)
        .queue(settings.queue)
        .body_limit(settings.body_limit)
        .read_timeout(Duration::from_secs(10));
    launch(
        rocket()
            .attach(Crochet::fairing().global(false))
            .mount("/", routes![native])
            .mount("/app", SyncApp::with_container(container, handler)),
    )
}

fn url(running: &Running, path: &str) -> String {
    running.url(&format!("/app{path}"))
}

fn text(body: &'static str) -> Response {
    Response::new(body.into())
}

#[test]
fn serves_a_blocking_handler_below_its_mount_point() {
    let running = start(Settings::default(), |request: Request| {
        let full = request
            .extensions()
            .get::<OriginalUri>()
            .map(|uri| uri.0.to_string());
        let remote = request.extensions().get::<std::net::SocketAddr>().is_some();
        Response::new(format!("{} {} {full:?} {remote}", request.method(), request.uri()).into())
    });
    let (status, body) = get(&url(&running, "/hello/there?x=1"));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "GET /hello/there?x=1 Some(\"/app/hello/there?x=1\") true"
    );
    assert_eq!(get(&running.url("/app")).1, "GET / Some(\"/app\") true");
    assert_eq!(
        get(&running.url("/native")),
        (200, "a native Rocket route".to_owned())
    );
    let posted = client().post(url(&running, "/form")).send("a=1").unwrap();
    assert_eq!(posted.status(), 200);
    let deleted = client().delete(url(&running, "/thing")).call().unwrap();
    assert_eq!(deleted.status(), 200);
}

#[test]
fn headers_and_status_pass_both_ways() {
    let running = start(Settings::default(), |request: Request| {
        let asked = request
            .headers()
            .get("x-ask")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        http::Response::builder()
            .status(201)
            .header("x-answer", format!("re: {asked}"))
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .body(ResponseBody::from("made"))
            .unwrap()
    });
    let mut response = client()
        .get(url(&running, "/"))
        .header("x-ask", "why")
        .call()
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-answer"], "re: why");
    assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
    assert_eq!(response.body_mut().read_to_string().unwrap(), "made");
}

#[test]
fn handlers_call_back_into_rockets_own_runtime() {
    let running = start(Settings::default(), |request: Request| {
        let id = crochet_core::wait_for(PATIENCE, async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            tokio::runtime::Handle::current().id()
        })
        .unwrap();
        let named = request
            .extensions()
            .get::<crochet_core::Reactor>()
            .map(|reactor| reactor.handle().id());
        assert_eq!(named, Some(id));
        Response::new(id.to_string().into())
    });
    let (_, ran_on) = get(&url(&running, "/"));
    assert_eq!(ran_on, running.runtime_id.to_string());
}

#[test]
fn overload_gets_503_with_retry_after_then_recovers() {
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let started_tx = Mutex::new(started_tx);
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let running = start(settings, move |request: Request| {
        if request.uri().path() == "/hold" {
            let _ = started_tx.lock().unwrap().send(());
            let _ = release_rx.lock().unwrap().recv_timeout(PATIENCE);
        }
        text("done")
    });
    let holder = {
        let url = url(&running, "/hold");
        std::thread::spawn(move || get(&url).0)
    };
    started_rx.recv_timeout(PATIENCE).unwrap();
    let refused = client().get(url(&running, "/other")).call().unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    release_tx.send(()).unwrap();
    assert_eq!(holder.join().unwrap(), 200);
    assert_eq!(get(&url(&running, "/other")).0, 200, "healthy again");
}

#[test]
fn a_panicking_handler_gets_500_and_rocket_lives_on() {
    let running = start(Settings::default(), |request: Request| {
        if request.uri().path() == "/boom" {
            panic!("handler bug");
        }
        text("fine")
    });
    assert_eq!(get(&url(&running, "/boom")).0, 500);
    assert_eq!(get(&url(&running, "/")).0, 200);
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
fn bodies_over_the_containers_limit_get_413() {
    let settings = Settings {
        body_limit: 1000,
        ..Settings::default()
    };
    let running = start(settings, count_body);
    let declared = client()
        .post(url(&running, "/"))
        .send(&vec![b'x'; 2000][..])
        .unwrap();
    assert_eq!(declared.status(), 413);
    let mut chunked_source = io::repeat(b'y').take(5000);
    let chunked = client()
        .post(url(&running, "/"))
        .send(ureq::SendBody::from_reader(&mut chunked_source))
        .unwrap();
    assert_eq!(chunked.status(), 413);
    let mut fits = client()
        .post(url(&running, "/"))
        .send(&vec![b'z'; 1000][..])
        .unwrap();
    assert_eq!(fits.status(), 200);
    assert_eq!(fits.body_mut().read_to_string().unwrap(), "1000");
}

#[test]
fn bodies_past_rockets_own_data_limits_are_the_containers_to_judge() {
    // Rocket's default limits allow far less than 3 MiB for most types.
    let settings = Settings {
        body_limit: 4 * MIB,
        ..Settings::default()
    };
    let running = start(settings, count_body);
    let mut response = client()
        .post(url(&running, "/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(&vec![b'f'; 3 * MIB as usize][..])
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        (3 * MIB).to_string()
    );
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
    let sent = Arc::new(AtomicU64::new(0));
    let max_lead = Arc::new(AtomicU64::new(0));
    let settings = Settings {
        body_limit: 64 * MIB,
        ..Settings::default()
    };
    let (sent_seen, lead_seen) = (sent.clone(), max_lead.clone());
    let running = start(settings, move |mut request: Request| {
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
    let produced = Arc::new(AtomicU64::new(0));
    let made = produced.clone();
    let running = start(Settings::default(), move |_request: Request| {
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
fn a_large_body_streams_straight_back() {
    // The response is the request body itself: the feed must keep going
    // after the handler has returned.
    let settings = Settings {
        body_limit: 64 * MIB,
        ..Settings::default()
    };
    let running = start(settings, |request: Request| {
        Response::new(ResponseBody::from_reader(request.into_body()))
    });
    let mut source = io::repeat(b'e').take(8 * MIB);
    let mut response = client()
        .post(url(&running, "/echo"))
        .send(ureq::SendBody::from_reader(&mut source))
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut reader = response.body_mut().as_reader();
    let mut received = 0_u64;
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|&b| b == b'e'));
        received += n as u64;
    }
    assert_eq!(received, 8 * MIB);
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
    let reads = Arc::new(AtomicUsize::new(0));
    let seen = reads.clone();
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let running = start(settings, move |request: Request| {
        if request.uri().path() == "/small" {
            return text("small");
        }
        seen.fetch_add(1, Ordering::SeqCst);
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
    }
    assert_eq!(reads.load(Ordering::SeqCst), 1);
    assert_worker_freed(&running);
}

#[test]
fn a_client_gone_mid_upload_fails_the_read_and_frees_the_worker() {
    let (result_tx, result_rx) = mpsc::channel::<io::ErrorKind>();
    let result_tx = Mutex::new(result_tx);
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let running = start(settings, move |mut request: Request| {
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
        "POST /app/upload HTTP/1.1\r\nHost: {}\r\nContent-Length: 100000\r\n\r\n{}",
        running.addr,
        "x".repeat(500)
    );
    {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(running.addr).unwrap();
        stream.write_all(partial.as_bytes()).unwrap();
    }
    let kind = result_rx.recv_timeout(PATIENCE).unwrap();
    assert_ne!(kind, io::ErrorKind::Other, "the read must fail");
    assert_worker_freed(&running);
}

#[test]
fn malformed_requests_get_4xx_or_a_close_and_rocket_keeps_serving() {
    let huge_header = format!(
        "GET /app/ HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let corpus: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\x00\x01\x02 not http at all\r\n\r\n".to_vec()),
        ("bad request line", b"GET\r\n\r\n".to_vec()),
        ("enormous header", huge_header.into_bytes()),
        (
            "broken chunked encoding",
            b"POST /app/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
                .to_vec(),
        ),
        (
            "conflicting lengths",
            b"POST /app/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"
                .to_vec(),
        ),
        (
            "non-UTF-8 header value",
            b"GET /app/ HTTP/1.1\r\nHost: x\r\nX-Odd: \xff\xfe\r\nConnection: close\r\n\r\n".to_vec(),
        ),
    ];
    let running = start(Settings::default(), count_body);
    for (name, bytes) in &corpus {
        let reply = raw_exchange(running.addr, bytes);
        let status_ok = reply.is_empty()
            || reply.starts_with("HTTP/1.1 4")
            || reply.starts_with("HTTP/1.0 4")
            || (*name == "non-UTF-8 header value" && reply.starts_with("HTTP/1.1 200"));
        assert!(status_ok, "{name}: {:?}", &reply[..reply.len().min(80)]);
        assert_eq!(get(&url(&running, "/")).0, 200, "after {name}");
    }
}

#[test]
fn many_concurrent_keep_alive_clients_are_all_answered() {
    let settings = Settings {
        workers: 16,
        queue: 256,
        ..Settings::default()
    };
    let running = start(settings, |_request: Request| text("ok"));
    let clients: Vec<_> = (0..64)
        .map(|_| {
            let url = url(&running, "/");
            std::thread::spawn(move || {
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

#[test]
fn without_the_fairing_the_app_runs_on_rockets_runtime() {
    let running = launch(rocket().mount(
        "/",
        SyncApp::new(|_request: Request| {
            let id =
                crochet_core::wait_for(PATIENCE, async { tokio::runtime::Handle::current().id() });
            Response::new(id.map(|id| id.to_string()).unwrap_or_default().into())
        }),
    ));
    assert_eq!(
        get(&running.url("/anything")),
        (200, running.runtime_id.to_string())
    );
}

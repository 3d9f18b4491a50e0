//! Host conformance, the request/response basics: every case runs against
//! the four hosts of a `SyncHandler` (axum + `Container`, the blocking
//! `Server`, actix-web's `SyncService`, Rocket's `SyncApp`), over real
//! loopback sockets with a real client.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crochet_sync_http::{Request, Response};
use crochet_tests::{Host, PATIENCE, Settings, client, start, text, url};

crochet_tests::host_cases!(
    serves_a_blocking_handler,
    handlers_reach_the_hosts_reactor,
    a_panicking_handler_gets_500_and_the_server_lives_on,
    overload_gets_503_with_retry_after_then_recovers,
    a_tenfold_burst_fills_capacity_and_the_excess_is_refused,
);

/// The value of the response header `name`, if there is one and it is
/// text (so a missing header fails an assertion that names the host).
fn header<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Answers with the request's method, URI (below the mount point), version
/// and `x-test` header; below `/made`, with `201`, a header of its own
/// and two cookies.
fn describe(request: Request) -> Response {
    let asked = request
        .headers()
        .get("x-test")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    let description = format!(
        "{} {} {:?} {asked}",
        request.method(),
        request.uri(),
        request.version()
    );
    let mut response = Response::new(description.into());
    if request.uri().path().starts_with("/made") {
        *response.status_mut() = http::StatusCode::CREATED;
        let headers = response.headers_mut();
        headers.insert("x-served-by", http::HeaderValue::from_static("sync"));
        headers.append("set-cookie", http::HeaderValue::from_static("a=1"));
        headers.append("set-cookie", http::HeaderValue::from_static("b=2"));
    }
    response
}

fn serves_a_blocking_handler(host: Host) {
    let running = start(host, Settings::default(), describe);
    let mut plain = client().get(url(&running, "/hello")).call().unwrap();
    assert_eq!(plain.status(), 200, "{host:?}");
    assert_eq!(
        plain.body_mut().read_to_string().unwrap(),
        "GET /hello HTTP/1.1 none",
        "{host:?}"
    );
    // Status, headers (repeated ones too) and the query pass both ways.
    let mut made = client()
        .get(url(&running, "/made/world?x=1"))
        .header("x-test", "yes")
        .call()
        .unwrap();
    assert_eq!(made.status(), 201, "{host:?}");
    assert_eq!(
        header(made.headers(), "x-served-by"),
        Some("sync"),
        "{host:?}"
    );
    assert_eq!(
        made.headers().get_all("set-cookie").iter().count(),
        2,
        "{host:?}"
    );
    assert_eq!(
        made.body_mut().read_to_string().unwrap(),
        "GET /made/world?x=1 HTTP/1.1 yes",
        "{host:?}"
    );
}

fn handlers_reach_the_hosts_reactor(host: Host) {
    let running = start(host, Settings::default(), |request: Request| {
        // Plain crochet_core::wait_for: no reactor named.
        let id = crochet_core::wait_for(PATIENCE, async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            tokio::runtime::Handle::current().id()
        })
        .unwrap();
        // The same reactor, named explicitly through the request.
        let named = request
            .extensions()
            .get::<crochet_core::Reactor>()
            .map(|reactor| reactor.handle().id());
        let answer = if named == Some(id) {
            id.to_string()
        } else {
            format!("wait_for ran on {id}, the request names {named:?}")
        };
        Response::new(answer.into())
    });
    let mut response = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(response.status(), 200, "{host:?}");
    let ran_on = response.body_mut().read_to_string().unwrap();
    // Per host (see `Running::reactor_id`): axum's own runtime, the global
    // reactor, actix's explicit reactor, Rocket's runtime.
    assert_eq!(ran_on, running.reactor_id.to_string(), "{host:?}");
}

fn a_panicking_handler_gets_500_and_the_server_lives_on(host: Host) {
    let running = start(host, Settings::default(), |request: Request| {
        if request.uri().path() == "/boom" {
            panic!("handler bug");
        }
        text("fine")
    });
    let boom = client().get(url(&running, "/boom")).call().unwrap();
    assert_eq!(boom.status(), 500, "{host:?}");
    let fine = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(fine.status(), 200, "{host:?}");
}

fn overload_gets_503_with_retry_after_then_recovers(host: Host) {
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let started_tx = Mutex::new(started_tx);
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let running = start(host, settings, move |request: Request| {
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
    assert_eq!(refused.status(), 503, "{host:?}");
    assert_eq!(
        header(refused.headers(), "retry-after"),
        Some("1"),
        "{host:?}"
    );
    release_tx.send(()).unwrap();
    assert_eq!(holder.join().unwrap().unwrap(), 200, "{host:?}");
    let again = client().get(url(&running, "/other")).call().unwrap();
    assert_eq!(again.status(), 200, "{host:?}: healthy again");
}

/// Ten times the capacity (2 workers + 2 queue places) at once, while the
/// admitted requests are held: exactly the capacity is admitted, the
/// excess gets 503 + `Retry-After` without waiting for a worker, nothing
/// else happens (no other status, no dropped connection), the admitted
/// complete once let go, and the server is healthy afterwards.
fn a_tenfold_burst_fills_capacity_and_the_excess_is_refused(host: Host) {
    const WORKERS: usize = 2;
    const CAPACITY: usize = 4;
    const BURST: usize = 10 * CAPACITY;
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let held = gate.clone();
    let settings = Settings {
        workers: WORKERS,
        queue: CAPACITY - WORKERS,
        ..Settings::default()
    };
    let running = start(host, settings, move |_request: Request| {
        let (open, opened) = &*held;
        let open = open.lock().unwrap();
        let _open = opened
            .wait_timeout_while(open, PATIENCE, |open| !*open)
            .unwrap();
        text("done")
    });
    let (answers_tx, answers) = mpsc::channel();
    for _ in 0..BURST {
        let (url, answers_tx) = (url(&running, "/burst"), answers_tx.clone());
        std::thread::spawn(move || {
            let answer = client().get(url).call().map(|response| {
                let retry_after = header(response.headers(), "retry-after").map(str::to_owned);
                (response.status().as_u16(), retry_after)
            });
            let _ = answers_tx.send(answer);
        });
    }
    // The excess is answered while the admitted are still held.
    let mut statuses = Vec::new();
    for _ in 0..BURST - CAPACITY {
        let answer = answers.recv_timeout(PATIENCE).expect("an answer");
        let (status, retry_after) = answer.unwrap_or_else(|err| panic!("{host:?}: {err}"));
        assert_eq!(
            (status, retry_after.as_deref()),
            (503, Some("1")),
            "{host:?}"
        );
        statuses.push(status);
    }
    let (open, opened) = &*gate;
    *open.lock().unwrap() = true;
    opened.notify_all();
    for _ in 0..CAPACITY {
        let answer = answers.recv_timeout(PATIENCE).expect("an answer");
        let (status, _) = answer.unwrap_or_else(|err| panic!("{host:?}: {err}"));
        statuses.push(status);
    }
    let admitted = statuses.iter().filter(|&&s| s == 200).count();
    let refused = statuses.iter().filter(|&&s| s == 503).count();
    assert_eq!(admitted + refused, BURST, "{host:?}: only 200s and 503s");
    // The two running always finish; the two queued do unless a loaded
    // machine kept them past the 2-second queue-wait deadline.
    assert!(
        (WORKERS..=CAPACITY).contains(&admitted),
        "{host:?}: {admitted} admitted"
    );
    let again = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(again.status(), 200, "{host:?}: healthy afterwards");
}

//! Host conformance on the wire: malformed request bytes over a raw socket,
//! and many concurrent keep-alive clients, against each of the four hosts
//! of a `SyncHandler`.

use crochet_sync_http::Request;
use crochet_tests::{
    Host, Settings, client, count_body, raw_exchange, raw_exchange_then_close, start, text, url,
};

crochet_tests::host_cases!(
    malformed_requests_get_4xx_or_a_close_and_the_server_keeps_serving,
    cut_short_and_overlong_requests_never_reach_the_handler_wrong,
    many_concurrent_keep_alive_clients_are_all_answered,
    slow_loris_clients_do_not_take_workers,
);

/// The corpus entry with a header value that is not UTF-8.
const OBS_TEXT: &str = "non-UTF-8 header value";

fn malformed_requests_get_4xx_or_a_close_and_the_server_keeps_serving(host: Host) {
    let running = start(host, Settings::default(), count_body);
    let root = running.target("/");
    let huge_header = format!(
        "GET {root} HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let corpus: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\x00\x01\x02 not http at all\r\n\r\n".to_vec()),
        ("bad request line", b"GET\r\n\r\n".to_vec()),
        ("enormous header", huge_header.into_bytes()),
        (
            "broken chunked encoding",
            format!(
                "POST {root} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
            )
            .into_bytes(),
        ),
        (
            "conflicting lengths",
            format!(
                "POST {root} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"
            )
            .into_bytes(),
        ),
        ("ten thousand headers", {
            let mut bytes = format!("GET {root} HTTP/1.1\r\nHost: x\r\n").into_bytes();
            for n in 0..10_000 {
                bytes.extend_from_slice(format!("X-H{n}: v\r\n").as_bytes());
            }
            bytes.extend_from_slice(b"\r\n");
            bytes
        }),
        (OBS_TEXT, {
            let mut bytes = format!("GET {root} HTTP/1.1\r\nHost: x\r\nX-Odd: ").into_bytes();
            bytes.extend_from_slice(b"\xff\xfe\r\nConnection: close\r\n\r\n");
            bytes
        }),
    ];
    for (name, bytes) in &corpus {
        let reply = raw_exchange(running.addr, bytes);
        let status_ok = if *name == OBS_TEXT {
            // Not malformed: obs-text bytes are allowed in a header value
            // (RFC 9110, 5.5). All four hosts pass the request on, and the
            // handler answers it.
            reply.starts_with("HTTP/1.1 200")
        } else {
            // A reply, if any, is a 4xx (from the host's parser, or the
            // handler's 400 for a body that broke while it read).
            reply.is_empty() || reply.starts_with("HTTP/1.1 4") || reply.starts_with("HTTP/1.0 4")
        };
        assert!(
            status_ok,
            "{host:?} {name}: {:?}",
            &reply[..reply.len().min(80)]
        );
        let fine = client().get(url(&running, "/")).call().unwrap();
        assert_eq!(fine.status(), 200, "{host:?} after {name}");
    }
}

/// Requests cut off by the client, and bodies longer than declared: the
/// handler never sees a short body as whole, nor stray bytes as body.
fn cut_short_and_overlong_requests_never_reach_the_handler_wrong(host: Host) {
    let running = start(host, Settings::default(), count_body);
    let root = running.target("/");
    let is_4xx_or_close = |reply: &str| {
        reply.is_empty() || reply.starts_with("HTTP/1.1 4") || reply.starts_with("HTTP/1.0 4")
    };

    // Headers never finished, then the client closes.
    let truncated = format!("GET {root} HTTP/1.1\r\nHost: x\r\nX-Half: ");
    let reply = raw_exchange_then_close(running.addr, truncated.as_bytes());
    assert!(
        is_4xx_or_close(&reply),
        "{host:?} truncated head: {reply:?}"
    );

    // A body shorter than its Content-Length, then the client closes: the
    // handler's read fails (count_body answers 400), or the host closes;
    // never a 200 counting 5 bytes as the whole body.
    let short = format!("POST {root} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhello");
    let reply = raw_exchange_then_close(running.addr, short.as_bytes());
    assert!(is_4xx_or_close(&reply), "{host:?} short body: {reply:?}");

    // A body longer than its Content-Length: the handler reads exactly the
    // declared 5 bytes; what follows is not part of it.
    let long = format!(
        "POST {root} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhelloEXTRA BYTES"
    );
    let reply = raw_exchange_then_close(running.addr, long.as_bytes());
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "{host:?} long body: {reply:?}"
    );
    assert!(
        reply.ends_with("\r\n\r\n5"),
        "{host:?} read 5 bytes: {reply:?}"
    );

    let fine = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(fine.status(), 200, "{host:?} still serving");
}

fn many_concurrent_keep_alive_clients_are_all_answered(host: Host) {
    let settings = Settings {
        workers: 16,
        queue: 256,
        ..Settings::default()
    };
    let running = start(host, settings, |_request: Request| text("ok"));
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
        assert_eq!(handle.join().unwrap(), 20, "{host:?}");
    }
}

/// Clients dribbling their request heads a byte at a time hold only their
/// connections: with 2 workers and no queue, other requests are still
/// served while 8 of them dribble, and each dribbler ends with an answer
/// (200, 503, or a 4xx) or a closed connection.
fn slow_loris_clients_do_not_take_workers(host: Host) {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::{Arc, Barrier};

    const DRIBBLERS: usize = 8;
    let settings = Settings {
        workers: 2,
        queue: 0,
        ..Settings::default()
    };
    let running = start(host, settings, |_request: Request| text("ok"));
    let head = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        running.target("/")
    );
    let started = Arc::new(Barrier::new(DRIBBLERS + 1));
    let dribblers: Vec<_> = (0..DRIBBLERS)
        .map(|_| {
            let (addr, head, started) = (running.addr, head.clone(), started.clone());
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(crochet_tests::PATIENCE))
                    .unwrap();
                let _ = stream.write_all(head.as_bytes());
                started.wait();
                for _ in 0..40 {
                    if stream.write_all(b"a").is_err() {
                        break; // closed on us: an answer too
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                let _ = stream.write_all(b"\r\nConnection: close\r\n\r\n");
                let mut reply = Vec::new();
                let _ = stream.read_to_end(&mut reply);
                String::from_utf8_lossy(&reply).into_owned()
            })
        })
        .collect();
    started.wait();
    for n in 0..10 {
        let response = client().get(url(&running, "/")).call().unwrap();
        assert_eq!(
            response.status(),
            200,
            "{host:?}: request {n} beside the dribblers"
        );
    }
    // The 8 heads end at about the same moment, on 2 workers and no
    // queue: a 503 is as good an answer as a 200.
    for dribbler in dribblers {
        let reply = dribbler.join().unwrap();
        assert!(
            reply.is_empty()
                || reply.starts_with("HTTP/1.1 200")
                || reply.starts_with("HTTP/1.1 503")
                || reply.starts_with("HTTP/1.1 4"),
            "{host:?}: {:?}",
            &reply[..reply.len().min(80)]
        );
    }
}

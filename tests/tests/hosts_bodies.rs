//! Host conformance, bodies: limits, streaming both ways, and clients that
//! go away mid-body, against each of the four hosts of a `SyncHandler`.
//! The heavy bodies (20 MB up, 30 MB down, 8 MB echoed) run once per host.

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crochet_sync_http::{Request, Response, ResponseBody};
use crochet_tests::{
    Counting, Host, MIB, PATIENCE, Running, Settings, client, count_body, eventually, start, text,
    url,
};

crochet_tests::host_cases!(
    bodies_over_the_limit_get_413,
    a_20_mb_upload_streams_through_read,
    a_30_mb_download_streams_from_a_reader,
    a_request_body_streams_back_as_the_response,
    a_declared_length_on_a_streamed_body_is_kept,
    a_client_gone_mid_download_frees_the_worker,
    a_client_gone_mid_upload_fails_the_read_and_frees_the_worker,
    a_client_stalled_mid_upload_times_the_read_out_and_frees_the_worker,
);

/// The most either side may run ahead of the other: the in-flight chunks
/// plus socket buffers, far below the bodies' sizes.
const MAX_LEAD: u64 = 12 * MIB;

fn bodies_over_the_limit_get_413(host: Host) {
    let settings = Settings {
        body_limit: 1000,
        ..Settings::default()
    };
    let running = start(host, settings, count_body);
    // Declared too large: refused before the handler runs.
    let declared = client()
        .post(url(&running, "/"))
        .send(&vec![b'x'; 2000][..])
        .unwrap();
    assert_eq!(declared.status(), 413, "{host:?}: declared");
    // Chunked (no length): found out while the handler reads.
    let mut chunked_source = io::repeat(b'y').take(5000);
    let chunked = client()
        .post(url(&running, "/"))
        .send(ureq::SendBody::from_reader(&mut chunked_source))
        .unwrap();
    assert_eq!(chunked.status(), 413, "{host:?}: chunked");
    // At the limit is fine.
    let mut fits = client()
        .post(url(&running, "/"))
        .send(&vec![b'z'; 1000][..])
        .unwrap();
    assert_eq!(fits.status(), 200, "{host:?}: at the limit");
    assert_eq!(
        fits.body_mut().read_to_string().unwrap(),
        "1000",
        "{host:?}"
    );
    // No body at all reads as empty.
    let mut empty = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(empty.status(), 200, "{host:?}: no body");
    assert_eq!(empty.body_mut().read_to_string().unwrap(), "0", "{host:?}");
}

fn a_20_mb_upload_streams_through_read(host: Host) {
    let sent = Arc::new(AtomicU64::new(0));
    let max_lead = Arc::new(AtomicU64::new(0));
    let settings = Settings {
        body_limit: 64 * MIB,
        ..Settings::default()
    };
    let (sent_seen, lead_seen) = (sent.clone(), max_lead.clone());
    let running = start(host, settings, move |mut request: Request| {
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
    let mut source = Counting::new(io::repeat(b'u').take(20 * MIB), sent.clone());
    let mut response = client()
        .post(url(&running, "/upload"))
        .send(ureq::SendBody::from_reader(&mut source))
        .unwrap();
    assert_eq!(response.status(), 200, "{host:?}");
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        (20 * MIB).to_string(),
        "{host:?}"
    );
    let lead = max_lead.load(Ordering::SeqCst);
    assert!(
        lead < MAX_LEAD,
        "{host:?}: the client ran {lead} bytes ahead"
    );
}

fn a_30_mb_download_streams_from_a_reader(host: Host) {
    let produced = Arc::new(AtomicU64::new(0));
    let made = produced.clone();
    let running = start(host, Settings::default(), move |_request: Request| {
        Response::new(ResponseBody::from_reader(Counting::new(
            io::repeat(b'd').take(30 * MIB),
            made.clone(),
        )))
    });
    let mut response = client().get(url(&running, "/download")).call().unwrap();
    assert_eq!(response.status(), 200, "{host:?}");
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
    assert_eq!(received, 30 * MIB, "{host:?}");
    assert!(
        max_lead < MAX_LEAD,
        "{host:?}: the server ran {max_lead} bytes ahead"
    );
}

fn a_request_body_streams_back_as_the_response(host: Host) {
    let settings = Settings {
        body_limit: 64 * MIB,
        ..Settings::default()
    };
    // The request body outlives the handler: it becomes the response body,
    // so feeding it must go on after the response head is sent.
    let running = start(host, settings, |request: Request| {
        Response::new(ResponseBody::from_reader(request.into_body()))
    });
    let (status, received, all_echoed) = echo_in_full_duplex(&running, "/echo", 8 * MIB);
    assert_eq!(status, 200, "{host:?}");
    assert!(all_echoed, "{host:?}: echoed bytes");
    assert_eq!(received, 8 * MIB, "{host:?}");
}

/// Sends `len` bytes of `e` as a chunked request body on one thread while
/// reading the response on this one. A client that sends the whole body
/// before reading (ureq) deadlocks against an echo once the socket buffers
/// fill, since the echo stops reading what it cannot write back.
/// Returns the status, the bytes of response body, and whether all were
/// `e`.
fn echo_in_full_duplex(running: &Running, path: &str, len: u64) -> (u16, u64, bool) {
    const CHUNK: usize = 64 * 1024;
    let stream = TcpStream::connect(running.addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        running.target(path),
        running.addr
    );
    let sender = std::thread::spawn(move || -> io::Result<()> {
        writer.write_all(head.as_bytes())?;
        let chunk = [b'e'; CHUNK];
        let mut left = len;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            write!(writer, "{n:x}\r\n")?;
            writer.write_all(&chunk[..n])?;
            writer.write_all(b"\r\n")?;
            left -= n as u64;
        }
        writer.write_all(b"0\r\n\r\n")?;
        writer.flush()
    });

    let mut reader = io::BufReader::new(stream);
    let mut line = String::new();
    let mut next_line = |reader: &mut io::BufReader<TcpStream>| {
        line.clear();
        reader.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    };
    let status_line = next_line(&mut reader);
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
    let (mut chunked, mut length) = (false, None);
    loop {
        let header = next_line(&mut reader).to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim() {
                "transfer-encoding" => chunked = value.trim() == "chunked",
                "content-length" => length = value.trim().parse::<u64>().ok(),
                _ => {}
            }
        }
    }
    let mut received = 0_u64;
    let mut all_echoed = true;
    let mut buf = vec![0_u8; CHUNK];
    let mut take = |reader: &mut io::BufReader<TcpStream>, mut n: u64| {
        while n > 0 {
            let want = n.min(CHUNK as u64) as usize;
            reader.read_exact(&mut buf[..want]).unwrap();
            all_echoed &= buf[..want].iter().all(|&b| b == b'e');
            received += want as u64;
            n -= want as u64;
        }
    };
    if chunked {
        loop {
            let size_line = next_line(&mut reader);
            let size = size_line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16)
                .unwrap_or_else(|_| panic!("not a chunk size: {size_line:?}"));
            if size == 0 {
                // Trailers, up to the empty line.
                while !next_line(&mut reader).is_empty() {}
                break;
            }
            take(&mut reader, size);
            assert!(next_line(&mut reader).is_empty(), "no CRLF after a chunk");
        }
    } else {
        let length = length.expect("a length when not chunked");
        take(&mut reader, length);
    }
    sender.join().unwrap().unwrap();
    (status, received, all_echoed)
}

fn a_declared_length_on_a_streamed_body_is_kept(host: Host) {
    let running = start(host, Settings::default(), |_request: Request| {
        let mut response = Response::new(ResponseBody::from_reader(io::repeat(b'l').take(5000)));
        response
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(5000));
        response
    });
    let mut response = client().get(url(&running, "/")).call().unwrap();
    assert_eq!(response.status(), 200, "{host:?}");
    let headers = response.headers().clone();
    match host {
        // Differs: crochet-rocket drops the handler's Content-Length (a
        // framing header) and hands Rocket an unsized streamed body, which
        // Rocket sends chunked. The body itself is whole.
        Host::Rocket => {
            assert!(
                !headers.contains_key("content-length"),
                "{host:?}: {headers:?}"
            );
            assert_eq!(
                headers.get("transfer-encoding").map(|v| v.as_bytes()),
                Some(&b"chunked"[..]),
                "{host:?}: {headers:?}"
            );
        }
        Host::Axum | Host::Blocking | Host::Actix => {
            assert_eq!(
                headers.get("content-length").map(|v| v.as_bytes()),
                Some(&b"5000"[..]),
                "{host:?}: {headers:?}"
            );
            assert!(
                !headers.contains_key("transfer-encoding"),
                "{host:?}: {headers:?}"
            );
        }
    }
    assert_eq!(
        response.body_mut().read_to_vec().unwrap().len(),
        5000,
        "{host:?}"
    );
}

/// With one worker and no queue, a 200 for `/small` proves the worker was
/// freed (a 503 means it is still held), and the pool must also come to
/// show nothing running or queued.
fn assert_worker_freed(running: &Running) {
    let host = running.host;
    eventually(&format!("{host:?}: the worker is freed"), || {
        client()
            .get(url(running, "/small"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
    eventually(&format!("{host:?}: the pool is idle"), || {
        running
            .pool_stats()
            .is_some_and(|stats| stats.busy == 0 && stats.queued == 0)
    });
}

fn a_client_gone_mid_download_frees_the_worker(host: Host) {
    let reads = Arc::new(AtomicUsize::new(0));
    let seen = reads.clone();
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let running = start(host, settings, move |request: Request| {
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
    assert_eq!(reads.load(Ordering::SeqCst), 1, "{host:?}");
    assert_worker_freed(&running);
}

/// A host on one worker whose handler reads the whole body and reports
/// how the read ended (`Other` if it succeeded), and a request head
/// declaring 100 000 bytes followed by only 500 of them.
fn upload_reporter(
    host: Host,
    settings: Settings,
) -> (Running, mpsc::Receiver<io::ErrorKind>, String) {
    let (result_tx, result_rx) = mpsc::channel::<io::ErrorKind>();
    let result_tx = Mutex::new(result_tx);
    let running = start(host, settings, move |mut request: Request| {
        if request.uri().path() == "/small" {
            return text("small");
        }
        let mut sink = Vec::new();
        let kind = match request.body_mut().read_to_end(&mut sink) {
            Ok(_) => io::ErrorKind::Other,
            Err(err) => err.kind(),
        };
        let _ = result_tx.lock().unwrap().send(kind);
        text("partial upload")
    });
    let partial = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 100000\r\n\r\n{}",
        running.target("/upload"),
        running.addr,
        "x".repeat(500)
    );
    (running, result_rx, partial)
}

fn a_client_gone_mid_upload_fails_the_read_and_frees_the_worker(host: Host) {
    let settings = Settings {
        workers: 1,
        queue: 0,
        ..Settings::default()
    };
    let (running, result_rx, partial) = upload_reporter(host, settings);
    {
        let mut stream = TcpStream::connect(running.addr).unwrap();
        stream.write_all(partial.as_bytes()).unwrap();
    } // closed with 99 500 bytes missing
    let kind = result_rx
        .recv_timeout(PATIENCE)
        .unwrap_or_else(|_| panic!("{host:?}: the handler never finished reading"));
    assert_ne!(kind, io::ErrorKind::Other, "{host:?}: the read must fail");
    assert_worker_freed(&running);
}

fn a_client_stalled_mid_upload_times_the_read_out_and_frees_the_worker(host: Host) {
    let settings = Settings {
        workers: 1,
        queue: 0,
        // Short, so the case is quick; the test waits on the outcome, not
        // on the clock.
        read_timeout: Duration::from_millis(200),
        ..Settings::default()
    };
    let (running, result_rx, partial) = upload_reporter(host, settings);
    // Open, with 99 500 bytes still to come, until the handler has given up.
    let mut stream = TcpStream::connect(running.addr).unwrap();
    stream.write_all(partial.as_bytes()).unwrap();
    let kind = result_rx
        .recv_timeout(PATIENCE)
        .unwrap_or_else(|_| panic!("{host:?}: the handler never finished reading"));
    assert_eq!(
        kind,
        io::ErrorKind::TimedOut,
        "{host:?}: the read must time out"
    );
    assert_worker_freed(&running);
    drop(stream);
}

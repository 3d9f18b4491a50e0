//! A blocking web app that starts a slow download in the background, keeps
//! the stashed result's id in a cookie, and shows progress on refresh:
//! Python Crochet's `downloader.py` (Flask), in Rust.
//!
//! The app runs on the blocking [`crochet_sync_http::Server`]. The "remote"
//! page is served by a deliberately slow local server the example starts in
//! the reactor, so it runs offline. The example then plays the browser:
//! it asks for the page and refreshes until the download is done.
//!
//! ```text
//! cargo run -p crochet-examples --example downloader
//! ```
#![allow(clippy::print_stdout)]

#[path = "common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::Duration;

use crochet_core::{ResultId, run_in_reactor};
use crochet_sync_http::{Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const COOKIE: &str = "download";

/// The slow "remote" site: dribbles a page out in chunks.
async fn slow_remote_site(listener: TcpListener) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let mut request = [0_u8; 1024];
            let _ = stream.read(&mut request).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                .await;
            for chunk in 0..5 {
                tokio::time::sleep(Duration::from_millis(150)).await;
                let line = format!("chunk {chunk} of a slow page\n");
                if stream.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Downloads `addr`'s page: an async function started with
/// `#[run_in_reactor]`, so the blocking app gets an `EventualResult`.
#[run_in_reactor]
async fn download_page(addr: SocketAddr) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: remote\r\nConnection: close\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut page = String::new();
    stream
        .read_to_string(&mut page)
        .await
        .map_err(|e| e.to_string())?;
    Ok(page.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

fn cookie_id(request: &Request) -> Option<ResultId> {
    let header = request.headers().get(http::header::COOKIE)?.to_str().ok()?;
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| value.parse().ok())
}

fn page(text: String, stash: Option<ResultId>) -> Response {
    let mut response = Response::new(text.into());
    let cookie = match stash {
        Some(id) => format!("{COOKIE}={id}; HttpOnly; SameSite=Strict"),
        None => format!("{COOKIE}=; Max-Age=0"),
    };
    if let Ok(value) = http::HeaderValue::from_str(&cookie) {
        response
            .headers_mut()
            .insert(http::header::SET_COOKIE, value);
    }
    response
}

/// The blocking app (a Flask view, in the original).
fn app(remote: SocketAddr) -> impl Fn(Request) -> Response + Send + Sync + 'static {
    move |request: Request| {
        // Retrieval is one-time: the id cannot be replayed.
        let Some(result) = cookie_id(&request)
            .and_then(|id| crochet_core::retrieve_result::<Result<String, String>>(id).ok())
        else {
            let id = match download_page(remote).stash() {
                Ok(id) => id,
                Err(refused) => return page(format!("cannot start: {}", refused.error()), None),
            };
            return page(
                "Starting download, refresh to track progress.".into(),
                Some(id),
            );
        };
        match result.wait(Duration::from_millis(100)) {
            Ok(Ok(body)) => page(format!("Downloaded {} bytes:\n{body}", body.len()), None),
            Ok(Err(err)) => page(format!("Download failed: {err}"), None),
            Err(err) if err.is_timeout() => match result.stash() {
                Ok(id) => page("Download in progress...".into(), Some(id)),
                Err(refused) => page(format!("lost track: {}", refused.error()), None),
            },
            Err(err) => page(format!("Download failed: {err}"), None),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The slow remote site, in the reactor.
    let listener =
        crochet_core::wait_for(Duration::from_secs(5), TcpListener::bind("127.0.0.1:0"))??;
    let remote = listener.local_addr()?;
    let _remote = crochet_core::run_in_reactor(slow_remote_site(listener));

    let server = crochet_sync_http::serve("127.0.0.1:0", app(remote))?;
    let addr = server.local_addr();
    println!("the app is on http://{addr} (the slow remote site on {remote})");

    // Play the browser: load, then refresh (bounded) until done.
    let mut cookie: Option<String> = None;
    for _ in 0..50 {
        let reply = common::get(addr, "/", cookie.as_deref())?;
        println!("{}", reply.body.trim_end());
        cookie = reply
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .filter(|c| !c.ends_with('='))
            .map(str::to_owned);
        if cookie.is_none() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    server.stop(Duration::from_secs(1));
    crochet_core::shutdown(Duration::from_millis(100));
    Ok(())
}

//! Blocking code in an actix-web server, two ways, side by side:
//!
//! * `/users/{id}`: a blocking handler in actix's own style (extractors in,
//!   a `Responder` out) wrapped with `crochet_actix::blocking`, with a typed
//!   error;
//! * everything else: a whole blocking app (a `SyncHandler`, as it runs
//!   under axum or the blocking server) mounted with `SyncService`.
//!
//! Both run on Crochet's worker pool, not on actix's single-threaded
//! workers, and both call an async service back through Crochet. The
//! example drives itself with a few requests, prints the answers, stops
//! the server, and with it the Crochet reactor.
//!
//! ```text
//! cargo run -p crochet-examples --example actix_sync
//! ```
#![allow(clippy::print_stdout)]

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{App, HttpServer, ResponseError, web};
use crochet_actix::{Crochet, SyncService, blocking};
use crochet_sync_http::{Request, Response};
use tokio::sync::Mutex;

/// An async service, as an async database client would be.
#[derive(Default)]
struct Users {
    names: Mutex<HashMap<u32, String>>,
}

impl Users {
    /// Blocking API over the async service.
    #[crochet_core::wait_for(timeout = "2s")]
    async fn name(&self, id: u32) -> Option<String> {
        tokio::time::sleep(Duration::from_millis(1)).await; // a network round trip
        self.names.lock().await.get(&id).cloned()
    }

    #[crochet_core::wait_for(timeout = "2s")]
    async fn count(&self) -> usize {
        self.names.lock().await.len()
    }
}

/// The handler's own error type: actix renders it, and it keeps its type.
#[derive(Debug)]
enum UserError {
    NotFound(u32),
    Unavailable(crochet_core::Error),
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserError::NotFound(id) => write!(f, "no user {id}"),
            UserError::Unavailable(err) => write!(f, "the user service is unavailable: {err}"),
        }
    }
}

impl ResponseError for UserError {
    fn status_code(&self) -> StatusCode {
        match self {
            UserError::NotFound(_) => StatusCode::NOT_FOUND,
            UserError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A blocking actix handler: runs on a Crochet worker thread.
fn user(id: web::Path<u32>, users: web::Data<Users>) -> Result<String, UserError> {
    let id = id.into_inner();
    let name = users
        .name(id)
        .map_err(UserError::Unavailable)?
        .ok_or(UserError::NotFound(id))?;
    let thread = std::thread::current().name().unwrap_or("?").to_owned();
    Ok(format!(
        "user {id} is {name} (blocking handler on {thread})\n"
    ))
}

/// A whole blocking app, written once for every Crochet host.
fn legacy_app(users: Arc<Users>) -> impl Fn(Request) -> Response + Send + Sync + 'static {
    move |request: Request| {
        let thread = std::thread::current().name().unwrap_or("?").to_owned();
        match users.count() {
            Ok(count) => Response::new(
                format!(
                    "legacy app at {}: {count} users (SyncHandler on {thread})\n",
                    request.uri().path()
                )
                .into(),
            ),
            Err(err) => {
                let mut response = Response::new(format!("{err}\n").into());
                *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
                response
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users = Arc::new(Users::default());
    crochet_core::wait_for(Duration::from_secs(2), async {
        let mut names = users.names.lock().await;
        names.insert(1, "Ada".to_owned());
        names.insert(2, "Grace".to_owned());
    })?;

    // The global Crochet reactor (a multi-thread runtime of its own), and
    // a pool for the blocking handlers.
    let crochet = Crochet::builder().workers(16).build()?;
    let legacy = SyncService::builder()
        .reactor(crochet.reactor().clone())
        .build(legacy_app(users.clone()))?;

    actix_web::rt::System::new().block_on(async move {
        let app_data = crochet.clone();
        let users = web::Data::from(users);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_data.clone())
                .app_data(users.clone())
                .route("/users/{id}", web::get().to(blocking(user)))
                .route(
                    "/async",
                    web::get().to(|| async { "an async actix route, beside them\n" }),
                )
                .default_service(legacy.clone())
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        println!("serving on http://{addr}");

        // Play the browser, from a blocking thread; then stop the server.
        let browser = std::thread::spawn(move || {
            for path in [
                "/users/1",
                "/users/2",
                "/users/7",
                "/legacy/report",
                "/async",
            ] {
                match common::get(addr, path, None) {
                    Ok(reply) => {
                        println!(
                            "GET {path:<15} -> {} {}",
                            reply.status,
                            reply.body.trim_end()
                        );
                    }
                    Err(err) => println!("GET {path} failed: {err}"),
                }
            }
            drop(handle.stop(true));
        });
        // Returns once actix has stopped; the reactor is shut down then.
        crochet.run_server(server).await?;
        let _ = browser.join();
        println!(
            "server stopped; crochet reactor running: {}",
            crochet.reactor().is_running()
        );
        Ok::<(), std::io::Error>(())
    })?;
    Ok(())
}

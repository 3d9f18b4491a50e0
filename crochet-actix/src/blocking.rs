//! [`blocking`]: an ordinary synchronous function as an actix handler that
//! runs on the Crochet worker pool.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::Handler;

use crate::crochet::Crochet;
use crate::error::OffloadError;

/// Turns a synchronous function into an actix-web handler that runs on the
/// Crochet worker pool, never on actix's single-threaded workers.
///
/// Write the handler as actix handlers are written, minus `async`:
/// extractors in (`web::Path`, `web::Query`, `web::Json`, `web::Bytes`,
/// `String`, `web::Data`, ...; up to 12 of them), a [`Responder`] out, and
/// mount it with `web::get().to(blocking(handler))`. actix extracts the
/// arguments (reading and limiting the body as usual) on its worker; the
/// function then runs on a worker thread of the app's [`Crochet`] pool,
/// where it may block, and may call async code back with
/// `crochet_core::wait_for`, which runs the future on the Crochet reactor.
///
/// Errors keep their types. A function returning `Result<T, E>` with
/// `E: ResponseError` answers with `E`'s own response, and the
/// `actix_web::Error` in the response still holds an `E`
/// (`error.as_error::<E>()` in a middleware finds it). Only the pool's own
/// failures are Crochet's, as an [`OffloadError`]: `503` with
/// `Retry-After` when the pool is full, `500` when the function panicked.
///
/// # Why a wrapper, and not `web::block`
///
/// `web::block` runs a closure on actix's blocking threads inside an async
/// handler, which must then unpack `Result<R, BlockingError>` (a panic or
/// cancellation) around the closure's own result; nothing bounds the
/// queue, and the closure has no
/// runtime to call back into (it is not on a runtime thread, and actix's
/// runtimes are current-thread ones, which refuse blocking calls). A
/// wrapper keeps the handler a plain function of its extractors — the
/// shape actix users already write, and test without a server — while the
/// adapter owns the offloading.
///
/// # Bounds
///
/// Arguments and the return value cross to a worker thread, so they must
/// be `Send`: take `web::Path<T>`, `web::Query<T>`, `web::Json<T>`,
/// `web::Bytes` or `web::Data<T>`, not `HttpRequest` (which is `!Send`;
/// extract the parts you need instead). The function must be
/// `Send + Sync + 'static` (it is shared by every worker).
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
///
/// use actix_web::{App, HttpResponse, HttpServer, ResponseError, web};
/// use crochet_actix::{Crochet, blocking};
///
/// #[derive(Debug)]
/// struct NotFound(u32);
///
/// impl std::fmt::Display for NotFound {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "no user {}", self.0)
///     }
/// }
///
/// impl ResponseError for NotFound {
///     fn status_code(&self) -> actix_web::http::StatusCode {
///         actix_web::http::StatusCode::NOT_FOUND
///     }
/// }
///
/// /// Blocking code: a legacy driver, plus async code called through Crochet.
/// fn user(id: web::Path<u32>) -> Result<String, NotFound> {
///     let id = id.into_inner();
///     let name = crochet_core::wait_for(Duration::from_secs(2), async move {
///         tokio::time::sleep(Duration::from_millis(1)).await; // an async client
///         (id == 1).then(|| "ada".to_owned())
///     })
///     .map_err(|_| NotFound(id))?;
///     name.ok_or(NotFound(id))
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let crochet = Crochet::builder().build()?;
///     let app_data = crochet.clone();
///     let server = HttpServer::new(move || {
///         App::new()
///             .app_data(app_data.clone())
///             .route("/users/{id}", web::get().to(blocking(user)))
///     })
///     .bind(("127.0.0.1", 8080))?
///     .run();
///     crochet.run_server(server).await
/// }
/// ```
///
/// [`Responder`]: actix_web::Responder
pub fn blocking<F>(handler: F) -> Blocking<F> {
    Blocking {
        handler: Arc::new(handler),
    }
}

/// A synchronous function as an actix handler running on the Crochet
/// worker pool; made by [`blocking`].
///
/// It implements [`actix_web::Handler`] for the function's extractors
/// (with the app's [`Crochet`] extracted before them), so it goes wherever
/// actix takes a handler: `Route::to`, `web::resource(..).to(..)`.
///
/// # Examples
///
/// ```
/// use actix_web::{App, web};
///
/// fn hello(name: web::Path<String>) -> String {
///     format!("hello, {name}")
/// }
///
/// let app = App::new().route("/hello/{name}", web::get().to(crochet_actix::blocking(hello)));
/// ```
pub struct Blocking<F> {
    handler: Arc<F>,
}

impl<F> Clone for Blocking<F> {
    fn clone(&self) -> Self {
        Blocking {
            handler: self.handler.clone(),
        }
    }
}

impl<F> std::fmt::Debug for Blocking<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocking")
            .field("handler", &std::any::type_name::<F>())
            .finish()
    }
}

/// The future of a [`Blocking`] handler's call.
type Offloaded<R> = Pin<Box<dyn Future<Output = Result<R, OffloadError>> + Send>>;

macro_rules! blocking_handler {
    ($($arg:ident)*) => {
        impl<F, R, $($arg,)*> Handler<(Crochet, $($arg,)*)> for Blocking<F>
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
            R: Send + 'static,
            $($arg: Send + 'static,)*
        {
            type Output = Result<R, OffloadError>;
            type Future = Offloaded<R>;

            #[allow(non_snake_case)]
            fn call(&self, (crochet, $($arg,)*): (Crochet, $($arg,)*)) -> Self::Future {
                let handler = self.handler.clone();
                Box::pin(crochet.offload(move || handler($($arg),*)))
            }
        }
    };
}

blocking_handler! {}
blocking_handler! { A }
blocking_handler! { A B }
blocking_handler! { A B C }
blocking_handler! { A B C D }
blocking_handler! { A B C D E }
blocking_handler! { A B C D E G }
blocking_handler! { A B C D E G H }
blocking_handler! { A B C D E G H I }
blocking_handler! { A B C D E G H I J }
blocking_handler! { A B C D E G H I J K }
blocking_handler! { A B C D E G H I J K L }
blocking_handler! { A B C D E G H I J K L M }

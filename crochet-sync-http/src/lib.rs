//! A WSGI-like interface for blocking HTTP handlers, and hosts for it.
//!
//! A [`SyncHandler`] is a blocking function from an [`http::Request`] whose
//! body is a [`std::io::Read`] to an [`http::Response`] whose body is bytes
//! or a `Read`. Write it once; host it:
//!
//! * in any tower/hyper server, axum included, with [`Container`]: handlers
//!   run on a bounded worker pool ([`crochet_core::Pool`]) and call back
//!   into the server's own runtime;
//! * in a plain blocking program with [`serve`] / [`Server`], with handlers
//!   using the global reactor (hyper's HTTP/1.1 on the reactor, for the
//!   reason given in [`Server`]'s docs);
//! * in actix-web and Rocket, with the `crochet-actix` and `crochet-rocket`
//!   adapters.
//!
//! Every host gives the same HTTP semantics: `503` with `Retry-After` when
//! the workers and the queue are full, `500` when the handler panics (and
//! the server lives on), `413` past the body limit, bodies streamed both
//! ways.
//!
//! The repository's user guide covers every host side by side in
//! `docs/guide/hosting.md`, including how long each lets a slow client
//! hold a connection.
// No unsafe code at all here (the workspace only denies it, for the two
// audited blocks in crochet-core).
#![forbid(unsafe_code)]

mod body;
mod container;
mod errors;
mod handler;
mod response;
mod server;

pub use crate::body::Body;
pub use crate::container::{BodySender, Container, ContainerBody, ContainerBuilder};
pub use crate::handler::{Request, Response, SyncHandler};
pub use crate::response::ResponseBody;
pub use crate::server::{Server, ServerBuilder, StopHandle, serve};

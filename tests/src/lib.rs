//! The workspace's test kit, and the home of its cross-crate end-to-end
//! tests (in `tests/`).
//!
//! The kit starts each of the four HTTP hosts of a blocking
//! [`SyncHandler`](crochet_sync_http::SyncHandler) the same way, on
//! 127.0.0.1 with an ephemeral port ([`Host`], [`start`], [`Running`]), and
//! talks to them with a real client ([`client()`]) or a raw socket
//! ([`raw_exchange`]). The host-conformance suite (`tests/hosts_*.rs`) runs
//! every shared case against all four with [`host_cases!`]; the host
//! crates' own tests use the same helpers for what is specific to them.
//!
//! | module | concern |
//! |---|---|
//! | [`patience`] | the hang guard and bounded polling |
//! | [`client`](mod@client) | the HTTP client and raw-socket exchanges |
//! | [`reactor`](mod@reactor) | an independent Crochet reactor per test |
//! | [`actix_server`] | a real actix-web server in a thread of its own |
//! | [`rocket_server`] | a real Rocket launched on a runtime of its own |
//! | [`host`] | the four hosts behind one `start` |
//! | [`handlers`] | handlers and readers the cases share |
//! | [`wrk`] | running and parsing `wrk` for the loopback load benches |
//! | [`memory`] | per-server peak resident memory and threads in the load benches |

pub mod actix_server;
pub mod client;
#[cfg(doctest)]
mod guide;
pub mod handlers;
pub mod host;
pub mod memory;
pub mod patience;
pub mod reactor;
pub mod rocket_server;
pub mod wrk;

pub use client::{client, get, get_in_background, raw_exchange, raw_exchange_then_close};
pub use handlers::{Counting, MIB, count_body, text};
pub use host::{HOSTS, Host, Running, Settings, start, url};
pub use patience::{PATIENCE, eventually};
pub use reactor::reactor;

/// Turns each named case, a `fn(Host)`, into one `#[test]` per host: a
/// module named after the case holding the tests `axum`, `blocking`,
/// `actix` and `rocket` (so `cargo test overload` runs one case on every
/// host, `cargo test rocket` every case on Rocket).
///
/// # Examples
///
/// ```ignore
/// fn serves(host: crochet_tests::Host) { /* ... */ }
///
/// crochet_tests::host_cases!(serves);
/// ```
#[macro_export]
macro_rules! host_cases {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[test]
                fn axum() {
                    super::$case($crate::Host::Axum);
                }

                #[test]
                fn blocking() {
                    super::$case($crate::Host::Blocking);
                }

                #[test]
                fn actix() {
                    super::$case($crate::Host::Actix);
                }

                #[test]
                fn rocket() {
                    super::$case($crate::Host::Rocket);
                }
            }
        )+
    };
}

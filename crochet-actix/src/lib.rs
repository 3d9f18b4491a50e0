#![doc = include_str!("docs/crate.md")]
// No unsafe code at all here (the workspace only denies it, for the two
// audited blocks in crochet-core).
#![forbid(unsafe_code)]

mod blocking;
mod body;
mod crochet;
mod error;
mod server;
mod service;

pub use crate::blocking::{Blocking, blocking};
pub use crate::crochet::{Crochet, CrochetBuilder};
pub use crate::error::OffloadError;
pub use crate::service::{SyncService, SyncServiceBuilder};

#![doc = include_str!("docs/crate.md")]

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

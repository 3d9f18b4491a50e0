#![doc = include_str!("docs/crate.md")]
// No unsafe code at all here (the workspace only denies it, for the two
// audited blocks in crochet-core).
#![forbid(unsafe_code)]

mod body;
mod drain;
mod error;
mod fairing;
mod mount;
mod offload;
mod state;

pub use crate::error::{Never, RouteError};
pub use crate::fairing::CrochetFairing;
pub use crate::mount::{OriginalUri, SyncApp};
pub use crate::offload::Offload;
pub use crate::state::{Crochet, MissingFairing};

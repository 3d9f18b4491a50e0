#![doc = include_str!("docs/crate.md")]

mod body;
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

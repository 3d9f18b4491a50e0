//! The user guide (`docs/`), compiled and run as doctests.
//!
//! Each chapter's Markdown is the documentation of an item that exists only
//! under `cfg(doctest)`, so `cargo test --workspace` compiles (and, unless
//! a block says `no_run`, runs) every Rust snippet in the guide, and a
//! snippet that drifts from the API fails CI.

mod calling;
mod hosting;

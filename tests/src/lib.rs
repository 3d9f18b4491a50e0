//! Cross-crate end-to-end tests live in `tests/`; shared helpers will live here.

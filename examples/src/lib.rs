//! Runnable examples live in this package's `[[example]]` targets; run one with `cargo run -p crochet-examples --example quickstart`.

//! Rocket launched on 127.0.0.1 with an ephemeral port, on its own
//! multi-thread runtime, and a real client (ureq) to talk to it: the
//! workspace's test kit (`crochet-tests`), under the names these tests use.
#![allow(dead_code, unused_imports, unreachable_pub)]

pub use crochet_tests::rocket_server::{RocketServer as Running, launch, rocket, try_launch};
pub use crochet_tests::{PATIENCE, client, eventually, get};

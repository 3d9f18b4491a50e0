//! A real actix-web server on 127.0.0.1 with an ephemeral port, and a real
//! client (ureq) to talk to it: the workspace's test kit (`crochet-tests`),
//! under the names these tests use.
#![allow(dead_code, unused_imports, unreachable_pub)]

pub use crochet_tests::actix_server::{ActixServer as Running, start, url};
pub use crochet_tests::{PATIENCE, client, eventually, reactor};

//! `ResultId` parsing: any text either fails to parse, or parses to an id
//! that prints as the same 32 hex digits (lowercase) and parses back to
//! itself. Never a panic.
#![no_main]

use crochet_core::ResultId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<ResultId>() {
        Ok(id) => {
            let printed = id.to_string();
            assert_eq!(printed, text.to_ascii_lowercase(), "canonical form");
            assert_eq!(printed.parse::<ResultId>().ok(), Some(id), "round trip");
        }
        Err(err) => {
            // The error says what was wrong without echoing the input.
            let message = err.to_string();
            assert!(!text.is_empty() || !message.is_empty());
        }
    }
});

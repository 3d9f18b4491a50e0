//! The opaque id of a stashed result.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

const BYTES: usize = 16;

/// The id of a stashed [`EventualResult`](crate::EventualResult), for putting
/// in a cookie or a URL and retrieving the result later, from another request.
///
/// 128 bits from the operating system's cryptographic random source, so ids
/// cannot be guessed or enumerated. It prints as 32 lowercase hex digits and
/// parses back from exactly that (upper-case digits are accepted too).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::ResultId;
///
/// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
/// let id: ResultId = reactor.run_in_reactor(async { 42_u32 }).stash()?;
///
/// let text = id.to_string(); // e.g. into a cookie
/// assert_eq!(text.len(), 32);
///
/// let parsed: ResultId = text.parse()?;
/// let result = reactor.retrieve_result::<u32>(parsed)?;
/// assert_eq!(*result.wait(Duration::from_secs(5))?, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResultId([u8; BYTES]);

impl ResultId {
    /// A fresh random id.
    pub(crate) fn random() -> Result<Self, Error> {
        let mut bytes = [0_u8; BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|err| Error::from(std::io::Error::other(err.to_string())))?;
        Ok(ResultId(bytes))
    }
}

impl fmt::Display for ResultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for ResultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResultId({self})")
    }
}

/// The text was not a [`ResultId`]: it must be exactly 32 hex digits.
///
/// # Examples
///
/// ```
/// let err = "not-an-id".parse::<crochet_core::ResultId>().unwrap_err();
/// assert_eq!(err.to_string(), "a result id is 32 hex digits (got 9 characters)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseResultIdError {
    len: usize,
}

impl fmt::Display for ParseResultIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a result id is {} hex digits (got {} characters)",
            BYTES * 2,
            self.len
        )
    }
}

impl std::error::Error for ParseResultIdError {}

impl FromStr for ResultId {
    type Err = ParseResultIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = ParseResultIdError {
            len: text.chars().count(),
        };
        let digits = text.as_bytes();
        if digits.len() != BYTES * 2 {
            return Err(error);
        }
        let mut bytes = [0_u8; BYTES];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let high = hex_value(pair[0]).ok_or_else(|| error.clone())?;
            let low = hex_value(pair[1]).ok_or_else(|| error.clone())?;
            *byte = high << 4 | low;
        }
        Ok(ResultId(bytes))
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let id = ResultId::random().unwrap();
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert!(text.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(text.parse::<ResultId>().unwrap(), id);
        assert_eq!(text.to_uppercase().parse::<ResultId>().unwrap(), id);
    }

    #[test]
    fn rejects_bad_text_without_panicking() {
        for bad in [
            "",
            "abc",
            "zz000000000000000000000000000000",
            "0000000000000000000000000000000",
            "000000000000000000000000000000000",
            "ééééééééééééééééé",
            "0000000000000000000000000000000é",
            "+0000000000000000000000000000000",
        ] {
            assert!(bad.parse::<ResultId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_differ() {
        let ids: std::collections::HashSet<_> =
            (0..1000).map(|_| ResultId::random().unwrap()).collect();
        assert_eq!(ids.len(), 1000);
    }
}

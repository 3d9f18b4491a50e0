//! Human durations in attribute arguments: `"10s"`, `"250ms"`, `"1.5s"`.

use std::time::Duration;

/// Parses `"<number><unit>"` with units `ns`, `us`, `ms`, `s`, `m`, `h`;
/// the number may have a fractional part.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` has no unit; write it like \"10s\" or \"250ms\""))?;
    let (number, unit) = text.split_at(split);
    let nanos_per_unit: u128 = match unit.trim() {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        other => {
            return Err(format!(
                "unknown unit `{other}`; use one of ns, us, ms, s, m, h (as in \"10s\")"
            ));
        }
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(format!("`{text}` has no number; write it like \"10s\""));
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| format!("`{text}` is not a number followed by a unit"))?
    };
    let mut nanos = whole
        .checked_mul(nanos_per_unit)
        .ok_or_else(|| format!("`{text}` is too long"))?;
    let mut scale = nanos_per_unit;
    for digit in fraction.chars() {
        let digit = digit
            .to_digit(10)
            .ok_or_else(|| format!("`{text}` is not a number followed by a unit"))?;
        scale /= 10;
        nanos += u128::from(digit) * scale;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| format!("`{text}` is too long"))?;
    let subsec = (nanos % 1_000_000_000) as u32;
    Ok(Duration::new(secs, subsec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_fractions() {
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("500us"), Ok(Duration::from_micros(500)));
        assert_eq!(parse("7ns"), Ok(Duration::from_nanos(7)));
        assert_eq!(parse(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse(" 3 s "), Ok(Duration::from_secs(3)));
    }

    #[test]
    fn rejects_nonsense_with_a_hint() {
        for bad in [
            "10",
            "s",
            "ten seconds",
            "1.2.3s",
            "5 fortnights",
            "",
            "-1s",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains('`') || err.contains("unit"), "{bad}: {err}");
        }
        assert!(parse("99999999999999999999999h").is_err());
    }
}

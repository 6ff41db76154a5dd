//! `xs:dateTime` values as SAML uses them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses a SAML timestamp: RFC 3339 (`2026-01-01T00:00:00Z`, fractional seconds and offsets
/// allowed). SAML requires UTC; a value with no zone at all is read as UTC, as other SPs do.
pub fn parse_date_time(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    if let Ok(parsed) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(parsed);
    }
    let has_zone = value.ends_with('Z')
        || value.ends_with('z')
        || value
            .get(19..)
            .is_some_and(|tail| tail.contains(['+', '-']));
    if has_zone {
        return None;
    }
    OffsetDateTime::parse(&format!("{value}Z"), &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_and_fractions_and_zoneless() {
        assert!(parse_date_time("2026-01-01T00:00:00Z").is_some());
        assert!(parse_date_time("2026-01-01T00:00:00.123456Z").is_some());
        assert!(parse_date_time("2026-01-01T01:00:00+01:00").is_some());
        assert_eq!(
            parse_date_time("2026-01-01T00:00:00"),
            parse_date_time("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_date_time("yesterday").is_none());
        assert!(parse_date_time("2026-13-01T00:00:00Z").is_none());
        assert!(parse_date_time("").is_none());
    }
}

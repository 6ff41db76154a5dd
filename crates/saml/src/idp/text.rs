//! The small lexical pieces the IdP side shares: XML escaping, `xs:dateTime` output, `xs:ID`
//! and `xs:boolean` values, bounded strings, and percent-decoding.

use std::fmt::{self, Write as _};

use time::{OffsetDateTime, UtcOffset};

use super::MAX_ID_BYTES;
use crate::Error;

/// A value fit for an XML `ID` attribute: an `xs:ID` (an NCName: a letter or `_`, then
/// letters, digits, `.`, `-` or `_`) of at most [`MAX_ID_BYTES`] bytes.
///
/// The identifiers of the messages fedgate issues are this type, so an ID that would make the
/// response schema-invalid (`1abc`, `a:b`) or break the signature reference (`a"b`) is refused
/// when it is made, not when the response is sent. Only letters and digits that Unicode calls
/// alphanumeric are accepted; XML's NameChar is slightly wider (combining marks, `·`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XmlId(String);

impl XmlId {
    /// Checks `id`.
    ///
    /// # Errors
    /// [`Error::IdInvalid`] when it is not an `xs:ID` of at most [`MAX_ID_BYTES`] bytes.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        if is_xs_id(&id) {
            Ok(Self(id))
        } else {
            Err(id_invalid(&id))
        }
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for XmlId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for XmlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `id` is an `xs:ID` of at most [`MAX_ID_BYTES`] bytes (see [`XmlId`]).
pub(crate) fn is_xs_id(id: &str) -> bool {
    let mut chars = id.chars();
    let starts_well = chars
        .next()
        .is_some_and(|first| first == '_' || first.is_alphabetic());
    id.len() <= MAX_ID_BYTES
        && starts_well
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// [`Error::IdInvalid`] carrying at most the first 64 characters of `id` (an error message
/// need not repeat a hostile megabyte).
pub(crate) fn id_invalid(id: &str) -> Error {
    Error::IdInvalid {
        id: id.chars().take(64).collect(),
    }
}

/// Appends `value` to `out` escaped for XML text and for double-quoted attribute values alike.
///
/// `&`, `<`, `>` (so `]]>` cannot appear), `"` and `'` become entity references; tab, line feed
/// and carriage return become character references, so attribute-value normalization and
/// line-end handling (XML 1.0 §3.3.3, §2.11) give back exactly `value`. Characters XML 1.0 cannot
/// carry at all (other C0 controls, U+FFFE, U+FFFF) become U+FFFD: no escape can represent them,
/// and the document must stay well-formed whatever the caller passes.
pub(crate) fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}' => {
                out.push(c);
            }
            _ => out.push('\u{FFFD}'),
        }
    }
}

/// Appends ` name="value"` with `value` escaped.
pub(crate) fn push_attribute(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_into(out, value);
    out.push('"');
}

/// Appends `<name>text</name>` with `text` escaped.
pub(crate) fn push_text_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_into(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// An instant as SAML writes it (saml-core-2.0-os §1.3.3): `xs:dateTime` in UTC with a `Z`,
/// `2026-01-01T00:00:00Z`, with fractional seconds only when there are any.
pub(crate) fn date_time(instant: OffsetDateTime) -> String {
    let utc = instant.to_offset(UtcOffset::UTC);
    let mut out = String::with_capacity(30);
    let year = utc.year();
    if year < 0 {
        out.push('-');
    }
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        year.unsigned_abs(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    );
    let nanos = utc.nanosecond();
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// An `xs:boolean` attribute (`true`, `false`, `1`, `0`; XML Schema 1.0 part 2 §3.2.2),
/// `default` when absent.
pub(crate) fn xs_boolean(value: Option<&str>, default: bool) -> Option<bool> {
    match value.map(str::trim) {
        None => Some(default),
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(_) => None,
    }
}

/// `value` when it is at most `max` bytes, else `None`.
pub(crate) fn bounded(value: &str, max: usize) -> Option<&str> {
    (value.len() <= max).then_some(value)
}

/// Decodes one `application/x-www-form-urlencoded` component: `%XX` escapes (either case of
/// hex digit) and `+` for a space; `None` for a `%` not followed by two hex digits.
pub(crate) fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'%' => {
                let high = hex_digit(bytes.next()?)?;
                let low = hex_digit(bytes.next()?)?;
                out.push(high << 4 | low);
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
    }
    Some(out)
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn escaped(value: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, value);
        out
    }

    #[test]
    fn escapes_markup_and_whitespace_and_replaces_what_xml_cannot_carry() {
        assert_eq!(
            escaped(r#"a<b>&"c"'d']]>"#),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;]]&gt;"
        );
        assert_eq!(escaped("a\tb\nc\r\n"), "a&#9;b&#10;c&#13;&#10;");
        assert_eq!(
            escaped("a\u{0}b\u{1b}\u{fffe}"),
            "a\u{fffd}b\u{fffd}\u{fffd}"
        );
        assert_eq!(escaped("ünï €𝄞"), "ünï €𝄞");
    }

    #[test]
    fn xml_ids_are_ncnames_within_the_bound() {
        for good in ["_a", "a", "id-1.2_3", "_0123456789abcdef", "é1"] {
            assert!(XmlId::new(good).is_ok(), "{good}");
        }
        for bad in ["", "1a", "-a", ".a", "a:b", "a b", "a\"b", "a<b", "#a"] {
            assert_eq!(XmlId::new(bad).unwrap_err().code(), "id_invalid", "{bad:?}");
        }
        assert!(XmlId::new("a".repeat(MAX_ID_BYTES)).is_ok());
        let error = XmlId::new("a".repeat(MAX_ID_BYTES + 1)).unwrap_err();
        assert!(error.to_string().len() < 200, "{error}");
    }

    #[test]
    fn writes_utc_date_times() {
        assert_eq!(
            date_time(datetime!(2026-01-02 03:04:05 UTC)),
            "2026-01-02T03:04:05Z"
        );
        assert_eq!(
            date_time(datetime!(2026-01-02 03:04:05.120 +01:00)),
            "2026-01-02T02:04:05.12Z"
        );
        let written = date_time(datetime!(2026-01-02 03:04:05.000000001 UTC));
        assert_eq!(written, "2026-01-02T03:04:05.000000001Z");
        assert_eq!(
            crate::parse_date_time(&written),
            Some(datetime!(2026-01-02 03:04:05.000000001 UTC))
        );
    }

    #[test]
    fn decodes_form_components() {
        assert_eq!(percent_decode("a%2Fb+c%2b%2B").unwrap(), b"a/b c++");
        assert_eq!(percent_decode("%e2%82%AC").unwrap(), "€".as_bytes());
        for bad in ["%", "%4", "%zz", "a%g0"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_xs_booleans() {
        assert_eq!(xs_boolean(None, false), Some(false));
        assert_eq!(xs_boolean(Some("1"), false), Some(true));
        assert_eq!(xs_boolean(Some(" false "), true), Some(false));
        assert_eq!(xs_boolean(Some("TRUE"), false), None);
    }
}

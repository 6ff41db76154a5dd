//! Percent-encoding as the Query protocol and SigV4 need it.
//!
//! Decoding is strict: a `%` that is not followed by two hex digits is an error rather than a
//! literal, so that two different byte strings can never decode to one meaning behind the
//! signature's back (the canonical query string and [`crate::QueryRequest`] decode alike).

/// Whether `byte` is an RFC 3986 unreserved character (`A–Z a–z 0–9 - . _ ~`), the only bytes
/// SigV4 leaves unencoded.
const fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The hex digit for the low four bits of `nibble`, upper- or lower-case.
const fn hex_digit(nibble: u8, upper: bool) -> char {
    let nibble = nibble & 0x0f;
    let byte = match nibble {
        0..=9 => b'0' + nibble,
        _ if upper => b'A' + nibble - 10,
        _ => b'a' + nibble - 10,
    };
    byte as char
}

/// Appends `bytes` to `out`, RFC 3986-encoded: every byte except the unreserved characters
/// becomes `%XX` with upper-case hex. With `keep_slash`, `/` is kept (canonical URI paths).
pub(crate) fn encode_into(bytes: &[u8], keep_slash: bool, out: &mut String) {
    for &byte in bytes {
        if is_unreserved(byte) || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4, true));
            out.push(hex_digit(byte, true));
        }
    }
}

/// Percent-encodes `value` per RFC 3986 (everything but `A–Z a–z 0–9 - . _ ~`, UTF-8 bytes,
/// upper-case hex), as SigV4 canonical strings and IAM's URL-encoded policy documents
/// (`GetRole`'s `AssumeRolePolicyDocument`) use it.
#[must_use]
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(value.as_bytes(), false, &mut out);
    out
}

/// Why a percent-encoded string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidEscape;

const fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes in `input`; with `plus_as_space`, `+` becomes a space
/// (`application/x-www-form-urlencoded`). Returns raw bytes: callers decide whether they must
/// be UTF-8.
pub(crate) fn decode(input: &[u8], plus_as_space: bool) -> Result<Vec<u8>, InvalidEscape> {
    let mut out = Vec::with_capacity(input.len());
    let mut bytes = input.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'%' => {
                let high = bytes.next().copied().and_then(hex_value);
                let low = bytes.next().copied().and_then(hex_value);
                match (high, low) {
                    (Some(high), Some(low)) => out.push((high << 4) | low),
                    _ => return Err(InvalidEscape),
                }
            }
            b'+' if plus_as_space => out.push(b' '),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Splits a query string or form body into `(name, value)` pairs of still-encoded bytes.
/// Empty segments (`a=1&&b=2`) are skipped, as `application/x-www-form-urlencoded` parsers do;
/// a segment without `=` has an empty value.
pub(crate) fn split_pairs(input: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    input
        .split(|&byte| byte == b'&')
        .filter(|segment| !segment.is_empty())
        .map(
            |segment| match segment.iter().position(|&byte| byte == b'=') {
                Some(at) => {
                    let (name, rest) = segment.split_at(at);
                    (name, rest.get(1..).unwrap_or_default())
                }
                None => (segment, &[][..]),
            },
        )
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(hex_digit(byte >> 4, false));
        out.push(hex_digit(byte, false));
    }
    out
}

/// Decodes hex (either case) into exactly `N` bytes.
pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != N * 2 {
        return None;
    }
    let mut out = [0_u8; N];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *slot = (hex_value(*high)? << 4) | hex_value(*low)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(percent_encode("a b+c/d~e-f.g_h"), "a%20b%2Bc%2Fd~e-f.g_h");
        assert_eq!(percent_encode("é"), "%C3%A9");
        let mut path = String::new();
        encode_into(b"/a b/%41", true, &mut path);
        assert_eq!(path, "/a%20b/%2541");
    }

    #[test]
    fn decodes_escapes_and_optionally_plus() {
        assert_eq!(decode(b"a%20b+c", true).unwrap(), b"a b c");
        assert_eq!(decode(b"a%2bb+c", false).unwrap(), b"a+b+c");
        for bad in [&b"%"[..], b"%4", b"%zz", b"a%g1"] {
            assert_eq!(decode(bad, true), Err(InvalidEscape), "{bad:?}");
        }
    }

    #[test]
    fn splits_pairs_skipping_empty_segments() {
        let pairs: Vec<_> = split_pairs(b"a=1&&b&c=x=y&").collect();
        assert_eq!(
            pairs,
            vec![(&b"a"[..], &b"1"[..]), (b"b", b""), (b"c", b"x=y")]
        );
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0x00, 0xab, 0xff, 0x10];
        assert_eq!(hex(&bytes), "00abff10");
        assert_eq!(unhex::<4>("00ABff10"), Some(bytes));
        assert_eq!(unhex::<4>("00abff1"), None);
        assert_eq!(unhex::<4>("00abff1g"), None);
    }
}

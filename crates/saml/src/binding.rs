//! SAML bindings: HTTP-POST (base64) and HTTP-Redirect (raw DEFLATE, then base64).

use std::io::Read as _;

use crate::Error;

/// Largest decoded message accepted by default: [`fedgate_xml::Limits::max_bytes`] of the
/// default limits (what a binding decodes to is the document parsed within them). Callers
/// that hold a [`fedgate_xml::Limits`] pass its `max_bytes`.
pub const DEFAULT_MAX_DECODED: usize = fedgate_xml::Limits::DEFAULT.max_bytes;

/// Decodes an HTTP-POST `SAMLResponse` value: standard base64, white space allowed anywhere
/// (IdPs wrap lines at 64 or 76 characters).
///
/// # Errors
/// [`Error::InputTooLarge`] before decoding when the encoded form could exceed
/// `max_decoded`; [`Error::Base64Invalid`]; [`Error::XmlMalformed`] when not UTF-8.
pub fn decode_post(encoded: &str, max_decoded: usize) -> Result<String, Error> {
    let bytes = decode_base64(encoded, max_decoded)?;
    utf8(bytes)
}

/// Decodes an HTTP-Redirect `SAMLRequest`/`SAMLResponse` value: base64 of raw DEFLATE
/// (RFC 1951, no zlib header), inflated to at most `max_decoded` bytes.
///
/// # Errors
/// As [`decode_post`], plus [`Error::DeflateInvalid`] when the data does not inflate or
/// inflates beyond `max_decoded` (a decompression bomb).
pub fn decode_redirect(encoded: &str, max_decoded: usize) -> Result<String, Error> {
    let compressed = decode_base64(encoded, max_decoded)?;
    utf8(inflate(&compressed, max_decoded)?)
}

/// Inflates raw DEFLATE data to at most `max` bytes.
///
/// # Errors
/// [`Error::DeflateInvalid`] for corrupt data or output beyond `max`.
pub fn inflate(compressed: &[u8], max: usize) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::DeflateDecoder::new(compressed)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|error| Error::DeflateInvalid {
            detail: error.to_string(),
        })?;
    if out.len() > max {
        return Err(Error::DeflateInvalid {
            detail: format!("inflates to more than {max} bytes"),
        });
    }
    Ok(out)
}

/// Decodes a message whose binding is not known: XML as is (a UTF-8 byte-order mark and
/// leading white space allowed), otherwise base64 of XML (HTTP-POST) or of raw DEFLATE
/// (HTTP-Redirect). For offline diagnosis of pasted or saved messages.
///
/// # Errors
/// As [`decode_post`] and [`decode_redirect`].
pub fn decode_detected(input: &[u8], max_decoded: usize) -> Result<String, Error> {
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    if input.get(start) == Some(&b'<') {
        if input.len() > max_decoded {
            return Err(Error::InputTooLarge {
                size: input.len(),
                limit: max_decoded,
            });
        }
        return utf8(input.to_vec());
    }
    let text = std::str::from_utf8(input).map_err(|_| Error::Base64Invalid)?;
    let bytes = decode_base64(text, max_decoded)?;
    // IdPs that write a byte-order mark put it inside the base64 too (ADFS, OneLogin).
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    if body.get(start) == Some(&b'<') {
        return utf8(bytes);
    }
    let inflated = inflate(&bytes, max_decoded).map_err(|_| Error::XmlMalformed {
        detail: "the decoded base64 is neither XML nor raw DEFLATE".to_owned(),
    })?;
    utf8(inflated)
}

fn decode_base64(encoded: &str, max_decoded: usize) -> Result<Vec<u8>, Error> {
    // Base64 is 4/3 of the payload; allow for line breaks on top. Checked before any work.
    let limit = max_decoded
        .saturating_mul(3)
        .saturating_div(2)
        .saturating_add(1024);
    if encoded.len() > limit {
        return Err(Error::InputTooLarge {
            size: encoded.len(),
            limit,
        });
    }
    let bytes = fedgate_dsig::decode_base64(encoded).ok_or(Error::Base64Invalid)?;
    if bytes.len() > max_decoded {
        return Err(Error::InputTooLarge {
            size: bytes.len(),
            limit: max_decoded,
        });
    }
    Ok(bytes)
}

fn utf8(bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|error| Error::XmlMalformed {
        detail: format!("not UTF-8: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use base64::Engine as _;

    use super::*;

    fn deflate(data: &[u8]) -> String {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap())
    }

    #[test]
    fn detects_xml_base64_and_deflate() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("<a/>");
        assert_eq!(decode_detected(b" <a/>", 100).unwrap(), " <a/>");
        assert_eq!(decode_detected(b"\xef\xbb\xbf<a/>", 100).unwrap(), "<a/>");
        assert_eq!(decode_detected(b64.as_bytes(), 100).unwrap(), "<a/>");
        assert_eq!(
            decode_detected(deflate(b"<a/>").as_bytes(), 100).unwrap(),
            "<a/>"
        );
        assert!(decode_detected(b"%%%", 100).is_err());
    }

    #[test]
    fn detects_base64_of_xml_with_a_byte_order_mark() {
        let b64 = base64::engine::general_purpose::STANDARD
            .encode("\u{feff}<?xml version=\"1.0\"?>\r\n<a/>");
        assert_eq!(
            decode_detected(b64.as_bytes(), 100).unwrap(),
            "\u{feff}<?xml version=\"1.0\"?>\r\n<a/>"
        );
    }

    #[test]
    fn decodes_wrapped_base64() {
        let encoded = "PHNhbWxwOlJl\r\n c3BvbnNlLz4=";
        assert_eq!(decode_post(encoded, 1000).unwrap(), "<samlp:Response/>");
    }

    #[test]
    fn rejects_invalid_base64() {
        assert_eq!(decode_post("not base64!", 1000), Err(Error::Base64Invalid));
    }

    #[test]
    fn rejects_oversized_input_before_decoding() {
        let encoded = "A".repeat(10_000);
        assert!(matches!(
            decode_post(&encoded, 1000),
            Err(Error::InputTooLarge { .. })
        ));
    }

    #[test]
    fn rejects_non_utf8() {
        let encoded = base64::engine::general_purpose::STANDARD.encode([0x3c, 0xff, 0xfe]);
        assert!(matches!(
            decode_post(&encoded, 1000),
            Err(Error::XmlMalformed { .. })
        ));
    }

    #[test]
    fn inflates_redirect_messages() {
        assert_eq!(decode_redirect(&deflate(b"<a/>"), 1000).unwrap(), "<a/>");
    }

    #[test]
    fn rejects_decompression_bomb() {
        let bomb = deflate(&vec![b'a'; 10 * 1024 * 1024]);
        assert!(bomb.len() < 50_000);
        let err = decode_redirect(&bomb, DEFAULT_MAX_DECODED).unwrap_err();
        assert!(matches!(err, Error::DeflateInvalid { .. }), "{err:?}");
    }

    #[test]
    fn rejects_corrupt_deflate() {
        let encoded = base64::engine::general_purpose::STANDARD.encode([0xff; 16]);
        assert!(matches!(
            decode_redirect(&encoded, 1000),
            Err(Error::DeflateInvalid { .. })
        ));
    }
}

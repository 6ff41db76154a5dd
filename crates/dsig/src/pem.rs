//! PEM: the label and the decoded body of the first `-----BEGIN …-----` block of a text.

use crate::decode_base64;

/// The label (`CERTIFICATE`, `PRIVATE KEY`, …) and decoded body of the first PEM block in
/// `text`; `None` when there is none or its body is not base64.
#[must_use]
pub fn pem_block(text: &str) -> Option<(&str, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let after_begin = text.get(start + "-----BEGIN ".len()..)?;
    let label_end = after_begin.find("-----")?;
    let label = after_begin.get(..label_end)?;
    let body_start = label_end + "-----".len();
    let end_marker = format!("-----END {label}-----");
    let body_end = after_begin.find(&end_marker)?;
    let body = after_begin.get(body_start..body_end)?;
    Some((label, decode_base64(body)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_block() {
        let text = "junk\n-----BEGIN PRIVATE KEY-----\nAAEC\nAw==\n-----END PRIVATE KEY-----\n";
        assert_eq!(pem_block(text), Some(("PRIVATE KEY", vec![0, 1, 2, 3])));
        assert_eq!(pem_block("-----BEGIN X-----\nAAEC\n"), None, "no end line");
        assert_eq!(pem_block("no pem"), None);
    }
}

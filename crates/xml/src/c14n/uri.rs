//! Which namespace URIs canonicalization accepts.
//!
//! Canonical XML 1.0 §2.1 and Exclusive XML Canonicalization §1 say that documents with
//! relative namespace URIs make canonicalization fail. libxml2 2.9.14 (the library `xmlsec1`
//! uses; `xmlC14NCheckForRelativeNamespaces` with `xmlParseURI`) turns that into: a non-empty
//! value must parse as an RFC 3986 `URI` — scheme, `:`, hier-part, optional query and fragment,
//! ASCII only, well-formed `%XX` escapes and port — so `mailto:x`, `x:` and `file:///x` pass and
//! `relative`, `/abs`, `http://a b`, `http://a:x` and `http://é` fail. (Older libxml2 also
//! required an authority unless the scheme was `urn` or `dav`.) This module reproduces that
//! test, pinned by `scripts/c14n-oracle.py` fixtures, so that a signature `xmlsec1` cannot check
//! is not checkable here either.

/// Whether `uri` is a namespace URI that libxml2 canonicalizes (see the module comment).
pub(super) fn is_absolute_for_c14n(uri: &str) -> bool {
    let mut cursor = Cursor {
        bytes: uri.as_bytes(),
        at: 0,
    };
    if cursor.scheme().is_none() || !cursor.eat(b':') || cursor.hier_part().is_none() {
        return false;
    }
    if cursor.eat(b'?') {
        cursor.skip_while(|c| c.pchar() || c.is(b'/') || c.is(b'?'));
    }
    if cursor.eat(b'#') {
        cursor.skip_while(|c| c.pchar() || c.is(b'/') || c.is(b'?') || c.is(b'[') || c.is(b']'));
    }
    cursor.at == cursor.bytes.len()
}

struct Cursor<'s> {
    bytes: &'s [u8],
    at: usize,
}

impl<'s> Cursor<'s> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.at + offset).copied()
    }

    fn is(&self, byte: u8) -> bool {
        self.peek() == Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.is(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn pct_encoded(&self) -> bool {
        self.is(b'%')
            && self.peek_at(1).is_some_and(|b| b.is_ascii_hexdigit())
            && self.peek_at(2).is_some_and(|b| b.is_ascii_hexdigit())
    }

    fn unreserved(&self) -> bool {
        self.peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    }

    fn sub_delim(&self) -> bool {
        self.peek().is_some_and(|b| {
            matches!(
                b,
                b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
            )
        })
    }

    fn pchar(&self) -> bool {
        self.unreserved()
            || self.pct_encoded()
            || self.sub_delim()
            || self.is(b':')
            || self.is(b'@')
    }

    /// Advances one character class unit (a `%XX` escape counts as one).
    fn next(&mut self) {
        self.at += if self.pct_encoded() { 3 } else { 1 };
    }

    fn skip_while(&mut self, accept: impl Fn(&Self) -> bool) {
        while self.at < self.bytes.len() && accept(self) {
            self.next();
        }
    }

    fn scheme(&mut self) -> Option<&'s [u8]> {
        let start = self.at;
        if !self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        self.at += 1;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            self.at += 1;
        }
        self.bytes.get(start..self.at)
    }

    /// `hier-part`; `None` when it does not parse.
    fn hier_part(&mut self) -> Option<()> {
        if self.is(b'/') && self.peek_at(1) == Some(b'/') {
            self.at += 2;
            self.authority()?;
        } else if self.eat(b'/') || self.pchar() {
            self.skip_while(Cursor::pchar);
        }
        self.path_segments();
        Some(())
    }

    fn path_segments(&mut self) {
        while self.eat(b'/') {
            self.skip_while(Cursor::pchar);
        }
    }

    fn authority(&mut self) -> Option<()> {
        let start = self.at;
        self.skip_while(|c| c.unreserved() || c.pct_encoded() || c.sub_delim() || c.is(b':'));
        if !self.eat(b'@') {
            self.at = start;
        }
        if self.eat(b'[') {
            while self.peek().is_some_and(|b| b != b']') {
                self.at += 1;
            }
            if !self.eat(b']') {
                return None;
            }
        } else {
            self.skip_while(|c| c.unreserved() || c.pct_encoded() || c.sub_delim());
        }
        if self.eat(b':') {
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return None;
            }
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.at += 1;
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::is_absolute_for_c14n;

    #[test]
    fn accepts_what_libxml2_accepts() {
        for uri in [
            "urn:oasis:names:tc:SAML:2.0:assertion",
            "URN:x",
            "dav:",
            "http://www.w3.org/2000/09/xmldsig#",
            "https://user:pw@[::1]:8443/a/b?c=d&e#f[1]",
            "http://example.com:80",
            "mailto:a@b",
            "file:///x",
            "tag:example.com,2020:x",
            "x:",
            "http://",
            "a:%41",
        ] {
            assert!(is_absolute_for_c14n(uri), "{uri}");
        }
    }

    #[test]
    fn refuses_what_libxml2_refuses() {
        for uri in [
            "",
            "relative",
            "/absolute/path",
            "//host/x",
            "?q",
            "http://a b",
            "http://a/b|c",
            "http://a/[x]",
            "a:b#c d",
            "http://é",
            "http://a/%zz",
            "http://a:/x",
            "http://[::1/x",
            "http://a#b#c",
            "1http://a",
        ] {
            assert!(!is_absolute_for_c14n(uri), "{uri}");
        }
    }
}

//! The XML the AWS Query protocol answers with.
//!
//! Element names come from code (operation and shape member names); every text value is
//! escaped, so no value can add markup. Unclosed elements are closed by
//! [`XmlWriter::finish`], so a writer cannot produce unbalanced tags.

use std::fmt::Write as _;

use crate::{AwsError, Service};

/// Builds an XML fragment into a `String`, keeping the stack of open elements.
///
/// ```
/// # use fedgate_aws_wire::XmlWriter;
/// let mut xml = XmlWriter::new();
/// xml.start("Role").element("RoleName", "a&b").optional("Description", None);
/// assert_eq!(xml.finish(), "<Role><RoleName>a&amp;b</RoleName></Role>");
/// ```
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    open: Vec<String>,
}

impl XmlWriter {
    /// An empty writer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens `<name>`. `name` must be an XML name from code (it is not escaped).
    pub fn start(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.open.push(name.to_owned());
        self
    }

    /// Closes the innermost open element; does nothing when none is open.
    pub fn end(&mut self) -> &mut Self {
        if let Some(name) = self.open.pop() {
            close(&mut self.out, &name);
        }
        self
    }

    /// Writes `<name>text</name>` with `text` escaped.
    pub fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(text, &mut self.out);
        close(&mut self.out, name);
        self
    }

    /// Writes `<name>text</name>` when `text` is `Some`, nothing when it is `None` (AWS omits
    /// absent optional members).
    pub fn optional(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.element(name, text);
        }
        self
    }

    /// Writes escaped text inside the current element.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(text, &mut self.out);
        self
    }

    /// Writes a list as AWS does: `<name><member>…</member>…</name>`, each item escaped.
    pub fn members<'a>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = &'a str>,
    ) -> &mut Self {
        self.start(name);
        for item in items {
            self.element("member", item);
        }
        self.end()
    }

    /// Closes every open element and returns the XML.
    #[must_use]
    pub fn finish(mut self) -> String {
        while let Some(name) = self.open.pop() {
            close(&mut self.out, &name);
        }
        self.out
    }
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `text` to `out`, escaped for element content and attribute values.
///
/// All five of `< & > " '` become entity references, and a carriage return becomes `&#xD;`
/// (a literal one would be read back as a line feed). Characters XML 1.0 cannot carry at all
/// (C0 controls other than tab, line feed and carriage return; U+FFFE and U+FFFF) become
/// U+FFFD: there is no escape for them, and writing them raw would make the document
/// ill-formed for every SDK parser.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(ch),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(ch),
        }
    }
}

/// Appends the ASCII letters and digits of `action`, the only characters an AWS operation name
/// has. Dropping the rest means a request-controlled action name can never inject markup.
fn push_action(action: &str, out: &mut String) {
    out.extend(action.chars().filter(char::is_ascii_alphanumeric));
}

/// The success envelope of a Query-protocol response:
///
/// ```xml
/// <{Action}Response xmlns="{namespace}">
///   <{Action}Result>{result}</{Action}Result>
///   <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>
/// </{Action}Response>
/// ```
///
/// `result` is the already-written content of the `Result` element (from an [`XmlWriter`]);
/// with `None` (operations without output, such as `DeleteSAMLProvider`) only
/// `ResponseMetadata` is written. Characters of `action` other than ASCII letters and digits
/// are dropped (operation names have none).
#[must_use]
pub fn success_response(
    service: Service,
    action: &str,
    request_id: &str,
    result: Option<&str>,
) -> String {
    let mut out = String::with_capacity(256 + result.map_or(0, str::len));
    out.push('<');
    push_action(action, &mut out);
    out.push_str("Response xmlns=\"");
    out.push_str(service.namespace());
    out.push_str("\">");
    if let Some(result) = result {
        out.push('<');
        push_action(action, &mut out);
        out.push_str("Result>");
        out.push_str(result);
        out.push_str("</");
        push_action(action, &mut out);
        out.push_str("Result>");
    }
    out.push_str("<ResponseMetadata><RequestId>");
    escape_into(request_id, &mut out);
    out.push_str("</RequestId></ResponseMetadata></");
    push_action(action, &mut out);
    out.push_str("Response>");
    out
}

/// The error envelope of a Query-protocol response (spec/aws-federation.md §2.4):
///
/// ```xml
/// <ErrorResponse xmlns="{namespace}">
///   <Error><Type>Sender|Receiver</Type><Code>…</Code><Message>…</Message></Error>
///   <RequestId>…</RequestId>
/// </ErrorResponse>
/// ```
#[must_use]
pub fn error_response(service: Service, error: &AwsError, request_id: &str) -> String {
    let mut out = String::with_capacity(256 + error.message.len());
    out.push_str("<ErrorResponse xmlns=\"");
    out.push_str(service.namespace());
    out.push_str("\">");
    let mut xml = XmlWriter::new();
    xml.start("Error")
        .element("Type", error.fault())
        .element("Code", &error.code)
        .element("Message", &error.message)
        .end()
        .element("RequestId", request_id);
    out.push_str(&xml.finish());
    out.push_str("</ErrorResponse>");
    out
}

/// Formats `t` in UTC as AWS timestamps appear in Query responses: `2019-11-01T20:26:47Z`
/// (whole seconds, no fraction).
#[must_use]
pub fn iso8601(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = String::with_capacity(20);
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_closes_open_elements_and_end_on_empty_stack_is_harmless() {
        let mut xml = XmlWriter::new();
        xml.end().start("A").start("B").text("x");
        assert_eq!(xml.finish(), "<A><B>x</B></A>");
    }

    #[test]
    fn escapes_markup_and_unrepresentable_characters() {
        let mut out = String::new();
        escape_into("<a href=\"x\">&'</a>\r\n\t\u{0}\u{1b}\u{ffff}é", &mut out);
        assert_eq!(
            out,
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;&#xD;\n\t\u{fffd}\u{fffd}\u{fffd}é"
        );
    }

    #[test]
    fn members_writes_aws_lists() {
        let mut xml = XmlWriter::new();
        xml.members("TagKeys", ["a", "<b>"]);
        assert_eq!(
            xml.finish(),
            "<TagKeys><member>a</member><member>&lt;b&gt;</member></TagKeys>"
        );
    }

    #[test]
    fn action_names_cannot_inject_markup() {
        let xml = success_response(Service::Iam, "Get\"><x>", "r", None);
        assert!(xml.starts_with("<GetxResponse "), "{xml}");
    }

    #[test]
    fn iso8601_drops_fraction_and_converts_to_utc() {
        let t = time::macros::datetime!(2019-11-01 22:26:47.123 +02:00);
        assert_eq!(iso8601(t), "2019-11-01T20:26:47Z");
    }
}

//! A JSON tree that keeps every object member, in order, including duplicates.
//!
//! `serde_json::Value` silently keeps the last of two equal keys, so a policy with two
//! `"Effect"` members would be read differently by different parsers. This tree keeps both so
//! the grammar (`parse.rs`) can reject the document with the exact location.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number as text (condition values keep their text).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in document order; duplicates are kept.
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

/// Parses a whole document; trailing data is an error.
pub(crate) fn parse(text: &str) -> Result<Json, serde_json::Error> {
    serde_json::from_str(text)
}

/// Counts characters the way IAM applies its size quotas: whitespace outside strings is not
/// counted, everything inside strings (including the quotes) is.
pub fn quota_chars(text: &str) -> usize {
    let mut count = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            count = count.saturating_add(1);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            count = count.saturating_add(1);
        } else if !c.is_whitespace() {
            count = count.saturating_add(1);
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duplicate_members_in_order() {
        let json = parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(
            json,
            Json::Object(vec![
                ("a".into(), Json::Number("1".into())),
                ("a".into(), Json::Number("2".into()))
            ])
        );
    }

    #[test]
    fn rejects_trailing_data() {
        assert!(parse(r#"{"a":1} x"#).is_err());
    }

    #[test]
    fn counts_quota_chars_without_whitespace_outside_strings() {
        assert_eq!(quota_chars("{ \"a b\" : 1 }"), 9);
        assert_eq!(quota_chars("{\"a\\\" \":1}"), 10);
    }
}

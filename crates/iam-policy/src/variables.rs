//! Policy variables: `${aws:username}`, `${saml:sub}`, `${aws:PrincipalTag/team, 'default'}`
//! and the escapes `${*}`, `${?}`, `${$}`.
//!
//! Variables are recognised only in policies with `"Version": "2012-10-17"`; in 2008-10-17 (or
//! without a `Version`) the text is literal. They are tokenised once, at parse time; at
//! evaluation a variable resolves to the single value of its (lower-cased) key, or to its
//! default, or to nothing.
//!
//! Decisions where AWS is silent (ours):
//! - A substituted value is **literal** text: a `*` inside `aws:username` is not a wildcard
//!   (otherwise a user called `*` would match everything).
//! - A multi-valued key cannot be a variable (AWS: "You can't use a multivalued condition key
//!   as a variable"); it resolves like a missing key.
//! - A malformed `${…` (no closing brace, bad default quoting, spaces in the key name) is literal
//!   text.
//! - In a default value, `''` stands for one `'`.

/// A reference to a context key inside a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Var {
    /// The key, lower-cased (key names are case-insensitive).
    pub(crate) key: Box<str>,
    /// The text used when the key has no single value.
    pub(crate) default: Option<Box<str>>,
}

/// One token of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Literal text.
    Lit(Box<str>),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    /// A policy variable.
    Var(Var),
}

/// Looks up the value a variable stands for.
pub(crate) trait Resolve {
    /// The single value of a lower-cased key, if it has exactly one.
    fn single_value(&self, key_lower: &str) -> Option<&str>;

    /// The text a variable stands for, or `None` (the pattern then matches nothing).
    fn resolve<'s>(&'s self, var: &'s Var) -> Option<&'s str> {
        self.single_value(&var.key).or(var.default.as_deref())
    }
}

/// A resolver with no keys (used where no context exists).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoVariables;

impl Resolve for NoVariables {
    fn single_value(&self, _key_lower: &str) -> Option<&str> {
        None
    }
}

/// Splits `source` into tokens.
///
/// `wildcards`: `*` and `?` are wildcards (StringLike, ArnLike, Action, Resource) rather than
/// literal characters (StringEquals). `variables`: `${…}` is recognised (2012-10-17 only).
pub(crate) fn tokenize(source: &str, wildcards: bool, variables: bool) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut lit = String::new();
    let mut rest = source;
    while let Some(c) = rest.chars().next() {
        if variables
            && rest.starts_with("${")
            && let Some((tok, len)) = parse_variable(rest)
        {
            match tok {
                Tok::Lit(text) => lit.push_str(&text),
                other => {
                    flush(&mut toks, &mut lit);
                    toks.push(other);
                }
            }
            rest = rest.get(len..).unwrap_or("");
            continue;
        }
        match c {
            '*' if wildcards => {
                flush(&mut toks, &mut lit);
                // `**` is the same as `*`.
                if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
            }
            '?' if wildcards => {
                flush(&mut toks, &mut lit);
                toks.push(Tok::One);
            }
            other => lit.push(other),
        }
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    flush(&mut toks, &mut lit);
    toks
}

fn flush(toks: &mut Vec<Tok>, lit: &mut String) {
    if !lit.is_empty() {
        toks.push(Tok::Lit(std::mem::take(lit).into_boxed_str()));
    }
}

/// Parses `${…}` at the start of `text`; returns the token and the bytes consumed.
fn parse_variable(text: &str) -> Option<(Tok, usize)> {
    let body_start = 2;
    let body_and_rest = text.get(body_start..)?;
    // Find the closing brace, skipping braces inside a quoted default.
    let mut in_quote = false;
    let mut end = None;
    for (i, c) in body_and_rest.char_indices() {
        match c {
            '\'' => in_quote = !in_quote,
            '}' if !in_quote => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let end = end?;
    let body = body_and_rest.get(..end)?;
    let consumed = body_start + end + 1;
    match body {
        "*" => return Some((Tok::Lit("*".into()), consumed)),
        "?" => return Some((Tok::Lit("?".into()), consumed)),
        "$" => return Some((Tok::Lit("$".into()), consumed)),
        _ => {}
    }
    let (key, default) = match body.split_once(',') {
        Some((key, default)) => (key.trim(), Some(parse_default(default.trim())?)),
        None => (body.trim(), None),
    };
    if key.is_empty() || !key.chars().all(is_key_char) {
        return None;
    }
    Some((
        Tok::Var(Var {
            key: key.to_lowercase().into_boxed_str(),
            default,
        }),
        consumed,
    ))
}

fn is_key_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '$' | '{' | '}' | '\'' | ',')
}

/// `'text'` with `''` standing for `'`.
fn parse_default(quoted: &str) -> Option<Box<str>> {
    let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Only a doubled quote is allowed inside.
            if chars.next() != Some('\'') {
                return None;
            }
        }
        out.push(c);
    }
    Some(out.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Tok {
        Tok::Lit(s.into())
    }

    #[test]
    fn tokenizes_variables_and_wildcards() {
        assert_eq!(
            tokenize("home/${aws:username}/*", true, true),
            vec![
                lit("home/"),
                Tok::Var(Var {
                    key: "aws:username".into(),
                    default: None
                }),
                lit("/"),
                Tok::Star
            ]
        );
    }

    #[test]
    fn treats_escapes_as_literal_characters() {
        assert_eq!(
            tokenize("a${*}b${?}c${$}d", true, true),
            vec![lit("a*b?c$d")]
        );
    }

    #[test]
    fn treats_variables_as_literal_in_old_versions() {
        assert_eq!(
            tokenize("${aws:username}", true, false),
            vec![lit("${aws:username}")]
        );
    }

    #[test]
    fn parses_defaults_with_doubled_quotes() {
        assert_eq!(
            tokenize("${aws:PrincipalTag/team, 'it''s}'}", true, true),
            vec![Tok::Var(Var {
                key: "aws:principaltag/team".into(),
                default: Some("it's}".into())
            })]
        );
    }

    #[test]
    fn keeps_malformed_variables_literal() {
        assert_eq!(
            tokenize("${aws:username", false, true),
            vec![lit("${aws:username")]
        );
        assert_eq!(tokenize("${a b}", false, true), vec![lit("${a b}")]);
        assert_eq!(
            tokenize("${k, nodefault}", false, true),
            vec![lit("${k, nodefault}")]
        );
    }

    #[test]
    fn treats_wildcards_as_literal_when_disabled() {
        assert_eq!(tokenize("a*?", false, true), vec![lit("a*?")]);
    }
}

//! Compiled wildcard patterns for actions, resources, ARNs and `String*` condition values.
//!
//! Patterns are compiled once, at parse time, into tokens (`variables.rs`); matching does not
//! allocate. `*` matches any run of characters (including none), `?` exactly one character.
//! ARN patterns are matched segment by segment: the first five `:` split an ARN into six
//! segments (`arn`, partition, service, region, account, resource) and a wildcard never
//! crosses from one segment into another; the sixth segment (the resource) may contain `:`.

use crate::variables::{Resolve, Tok, tokenize};

/// How characters are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Sensitive,
    Insensitive,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    toks: Box<[Tok]>,
    shape: Shape,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `*`: matches everything.
    Any,
    /// Literal text only (or empty).
    Exact,
    /// Wildcards or variables.
    General,
}

impl Pattern {
    /// Compiles `source`; see [`tokenize`] for the flags.
    pub(crate) fn new(source: &str, wildcards: bool, variables: bool) -> Self {
        Self::from_toks(tokenize(source, wildcards, variables))
    }

    fn from_toks(toks: Vec<Tok>) -> Self {
        let shape = match toks.as_slice() {
            [Tok::Star] => Shape::Any,
            [] | [Tok::Lit(_)] => Shape::Exact,
            _ => Shape::General,
        };
        Self {
            toks: toks.into_boxed_slice(),
            shape,
        }
    }

    /// Matches the whole of `text`.
    pub(crate) fn matches(&self, text: &str, case: Case, vars: &dyn Resolve) -> bool {
        match self.shape {
            Shape::Any => true,
            Shape::Exact => {
                let lit = match self.toks.first() {
                    Some(Tok::Lit(l)) => l,
                    _ => "",
                };
                match case {
                    Case::Sensitive => lit == text,
                    Case::Insensitive => prefix_len(text, lit, case) == Some(text.len()),
                }
            }
            Shape::General => glob(&self.toks, text, case, vars),
        }
    }
}

/// The byte length of the prefix of `hay` that equals `lit`, if any.
fn prefix_len(hay: &str, lit: &str, case: Case) -> Option<usize> {
    match case {
        Case::Sensitive => hay.starts_with(lit).then_some(lit.len()),
        Case::Insensitive if lit.is_ascii() => {
            // Fast path (actions and most keys are ASCII): byte-wise, no case tables.
            let head = hay.as_bytes().get(..lit.len())?;
            head.eq_ignore_ascii_case(lit.as_bytes())
                .then_some(lit.len())
        }
        Case::Insensitive => {
            let mut consumed = 0;
            let mut hay_chars = hay.chars();
            for l in lit.chars() {
                let h = hay_chars.next()?;
                if h != l && !h.to_lowercase().eq(l.to_lowercase()) {
                    return None;
                }
                consumed += h.len_utf8();
            }
            Some(consumed)
        }
    }
}

/// Classic `*`/`?` matching with backtracking to the last `*`; literal tokens are matched
/// as units. Complete for these two wildcards, worst case O(pattern × text).
fn glob(toks: &[Tok], text: &str, case: Case, vars: &dyn Resolve) -> bool {
    // INVARIANT: a pattern with a variable that does not resolve matches nothing (AWS: "the
    // resource that includes a policy variable with no value will not match any resource").
    if toks
        .iter()
        .any(|t| matches!(t, Tok::Var(v) if vars.resolve(v).is_none()))
    {
        return false;
    }
    let mut ti = 0usize;
    let mut pos = 0usize;
    let mut star: Option<(usize, usize)> = None;
    loop {
        let rest = text.get(pos..).unwrap_or("");
        let step = match toks.get(ti) {
            Some(Tok::Star) => {
                star = Some((ti + 1, pos));
                ti += 1;
                continue;
            }
            Some(Tok::One) => rest.chars().next().map(char::len_utf8),
            Some(Tok::Lit(lit)) => prefix_len(rest, lit, case),
            Some(Tok::Var(var)) => vars
                .resolve(var)
                .and_then(|value| prefix_len(rest, value, case)),
            None if rest.is_empty() => return true,
            None => None,
        };
        if let Some(n) = step {
            pos += n;
            ti += 1;
            continue;
        }
        // Mismatch: let the last `*` swallow one more character.
        let Some((star_ti, star_pos)) = star else {
            return false;
        };
        let Some(c) = text.get(star_pos..).and_then(|r| r.chars().next()) else {
            return false;
        };
        let next = star_pos + c.len_utf8();
        star = Some((star_ti, next));
        ti = star_ti;
        pos = next;
    }
}

/// A pattern for ARNs (`Resource`, `ArnLike` and friends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// Six segments, matched one by one.
    Segments(Box<[Pattern; 6]>),
    /// Not ARN-shaped (fewer than five `:`), e.g. `*`: matched as a whole string.
    Whole(Pattern),
}

impl ArnPattern {
    /// Compiles an ARN pattern. Variables are tokenised before splitting, so the `:` inside
    /// `${aws:username}` does not split segments.
    pub(crate) fn new(source: &str, variables: bool) -> Self {
        let toks = tokenize(source, true, variables);
        let mut segments: Vec<Vec<Tok>> = vec![Vec::new()];
        for tok in toks {
            match tok {
                Tok::Lit(text) if segments.len() < 6 && text.contains(':') => {
                    let mut parts = text.split(':').peekable();
                    while let Some(part) = parts.next() {
                        if let Some(current) = segments.last_mut()
                            && !part.is_empty()
                        {
                            current.push(Tok::Lit(part.into()));
                        }
                        if parts.peek().is_some() {
                            if segments.len() < 6 {
                                segments.push(Vec::new());
                            } else if let Some(current) = segments.last_mut() {
                                // Inside the resource segment a colon is literal.
                                current.push(Tok::Lit(":".into()));
                            }
                        }
                    }
                }
                other => {
                    if let Some(current) = segments.last_mut() {
                        current.push(other);
                    }
                }
            }
        }
        if segments.len() < 6 {
            return Self::Whole(Pattern::new(source, true, variables));
        }
        let mut compiled = segments
            .into_iter()
            .map(|toks| Pattern::from_toks(merge_lits(toks)));
        let arr = [(); 6].map(|()| {
            compiled
                .next()
                .unwrap_or_else(|| Pattern::from_toks(Vec::new()))
        });
        Self::Segments(Box::new(arr))
    }

    /// Matches an ARN (case-sensitive).
    pub(crate) fn matches(&self, text: &str, vars: &dyn Resolve) -> bool {
        match self {
            Self::Whole(pattern) => pattern.matches(text, Case::Sensitive, vars),
            Self::Segments(patterns) => {
                let mut parts = text.splitn(6, ':');
                patterns.iter().all(|pattern| {
                    parts
                        .next()
                        .is_some_and(|part| pattern.matches(part, Case::Sensitive, vars))
                })
            }
        }
    }
}

/// Joins adjacent literal tokens (splitting may leave `a` `:` `b` in the resource segment).
fn merge_lits(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    for tok in toks {
        match (out.last_mut(), tok) {
            (Some(Tok::Lit(prev)), Tok::Lit(next)) => {
                let mut joined = String::from(std::mem::take(prev));
                joined.push_str(&next);
                *prev = joined.into_boxed_str();
            }
            (_, tok) => out.push(tok),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::NoVariables;

    struct Vars(&'static [(&'static str, &'static str)]);
    impl Resolve for Vars {
        fn single_value(&self, key: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
    }

    fn glob_matches(pattern: &str, text: &str) -> bool {
        Pattern::new(pattern, true, true).matches(text, Case::Sensitive, &NoVariables)
    }

    #[test]
    fn matches_wildcards_table() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("a*", "a", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b*", "xxbxxaxx", false),
            ("ab", "AB", false),
            ("é?", "éü", true),
            ("a**b", "ab", true),
            ("", "", true),
            ("", "a", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_matches(pattern, text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn matches_case_insensitively_when_asked() {
        let p = Pattern::new("sts:AssumeRole*", true, false);
        assert!(p.matches("STS:assumerolewithsaml", Case::Insensitive, &NoVariables));
        assert!(!p.matches("STS:assumerolewithsaml", Case::Sensitive, &NoVariables));
    }

    #[test]
    fn arn_wildcards_do_not_cross_segments() {
        let p = ArnPattern::new("arn:aws:someservice:*:111122223333:finance/*", true);
        assert!(p.matches(
            "arn:aws:someservice:us-east-2:111122223333:finance/doc.txt",
            &NoVariables
        ));
        assert!(!p.matches(
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            &NoVariables
        ));
        // The same text as a plain string pattern matches (the documented difference).
        assert!(glob_matches(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
    }

    #[test]
    fn arn_resource_segment_may_contain_colons() {
        let p = ArnPattern::new("arn:aws:s3:::bucket/a:b*", true);
        assert!(p.matches("arn:aws:s3:::bucket/a:bc", &NoVariables));
        assert!(!p.matches("arn:aws:s3:::bucket/a", &NoVariables));
    }

    #[test]
    fn arn_variables_keep_their_colon() {
        let p = ArnPattern::new("arn:aws:s3:::bucket/${aws:username}/*", true);
        let vars = Vars(&[("aws:username", "alice")]);
        assert!(p.matches("arn:aws:s3:::bucket/alice/x", &vars));
        assert!(!p.matches("arn:aws:s3:::bucket/bob/x", &vars));
        assert!(!p.matches("arn:aws:s3:::bucket/alice/x", &NoVariables));
    }

    #[test]
    fn substituted_values_are_literal() {
        let p = Pattern::new("home/${aws:username}", true, true);
        let star_user = Vars(&[("aws:username", "*")]);
        assert!(!p.matches("home/alice", Case::Sensitive, &star_user));
        assert!(p.matches("home/*", Case::Sensitive, &star_user));
    }
}

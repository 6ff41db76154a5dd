//! The `Condition` element: operators, typed values and their evaluation.
//!
//! Semantics (AWS IAM User Guide, "Condition operators" and "multivalued context keys"):
//! - Blocks (operators) are AND-ed, keys inside a block are AND-ed, the values listed for one
//!   key are OR-ed.
//! - A key that is missing — or present with no values — makes a positive operator false and a
//!   negated operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, …) true.
//! - `…IfExists`: a missing key makes the condition true.
//! - `Null`: `true` holds when the key is missing (or has no values), `false` when present.
//! - `ForAllValues:` is true when every context value satisfies the operator (vacuously true
//!   for a missing or empty key); `ForAnyValue:` when at least one does (false when missing).
//!   For a negated operator "satisfies" means "matches none of the policy values".
//! - Without a qualifier a multi-valued key is treated like `ForAnyValue` for a positive
//!   operator, and a negated operator is the negation of its positive form ("no context value
//!   matches any policy value"). (Ours: AWS says not to do this; this reading keeps negated
//!   operators the exact complement of positive ones.)
//! - Policy variables are substituted in `String*` and `Arn*` values only.

use std::cmp::Ordering;
use std::net::IpAddr;

use base64::Engine as _;

use crate::matching::{ArnPattern, Case, Pattern};
use crate::variables::Resolve;

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// Every context value must satisfy the operator.
    ForAllValues,
    /// At least one context value must satisfy the operator.
    ForAnyValue,
}

/// The condition operator without qualifier and `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    missing_docs,
    reason = "the variant names are the documented AWS operator names"
)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const BASE_OPERATORS: [(&str, BaseOperator); 27] = [
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        BaseOperator::NumericGreaterThanEquals,
    ),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("BinaryEquals", BaseOperator::BinaryEquals),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
];

/// The family of an operator: how its values are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

impl BaseOperator {
    /// The operator name as written in policies.
    #[must_use]
    pub fn name(self) -> &'static str {
        BASE_OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("Null", |(name, _)| name)
    }

    /// Whether this is a negated operator (true on a missing key).
    #[must_use]
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::NumericNotEquals
                | Self::DateNotEquals
                | Self::NotIpAddress
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    fn family(self) -> Family {
        match self {
            Self::StringEquals | Self::StringNotEquals => Family::String,
            Self::StringEqualsIgnoreCase | Self::StringNotEqualsIgnoreCase => {
                Family::StringIgnoreCase
            }
            Self::StringLike | Self::StringNotLike => Family::StringLike,
            Self::NumericEquals
            | Self::NumericNotEquals
            | Self::NumericLessThan
            | Self::NumericLessThanEquals
            | Self::NumericGreaterThan
            | Self::NumericGreaterThanEquals => Family::Numeric,
            Self::DateEquals
            | Self::DateNotEquals
            | Self::DateLessThan
            | Self::DateLessThanEquals
            | Self::DateGreaterThan
            | Self::DateGreaterThanEquals => Family::Date,
            Self::Bool => Family::Bool,
            Self::BinaryEquals => Family::Binary,
            Self::IpAddress | Self::NotIpAddress => Family::Ip,
            Self::ArnEquals | Self::ArnLike | Self::ArnNotEquals | Self::ArnNotLike => Family::Arn,
            Self::Null => Family::Null,
        }
    }

    /// For ordered families: whether `context ⋄ policy` holds for this comparison.
    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            Self::NumericLessThan | Self::DateLessThan => ordering == Ordering::Less,
            Self::NumericLessThanEquals | Self::DateLessThanEquals => ordering != Ordering::Greater,
            Self::NumericGreaterThan | Self::DateGreaterThan => ordering == Ordering::Greater,
            Self::NumericGreaterThanEquals | Self::DateGreaterThanEquals => {
                ordering != Ordering::Less
            }
            // Equals and NotEquals: the positive form is equality.
            _ => ordering == Ordering::Equal,
        }
    }
}

/// A full condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// `ForAllValues:` / `ForAnyValue:`, if any.
    pub qualifier: Option<SetQualifier>,
    /// The operator itself.
    pub base: BaseOperator,
    /// Whether `IfExists` was appended.
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name (case-sensitive, as documented). `Null` takes neither a set
    /// qualifier nor `IfExists` (ours for the qualifier: it has no meaning there).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, name)
        };
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let base = BASE_OPERATORS
            .iter()
            .find(|(n, _)| *n == base_name)
            .map(|(_, op)| *op)?;
        if base == BaseOperator::Null && (if_exists || qualifier.is_some()) {
            return None;
        }
        Some(Self {
            qualifier,
            base,
            if_exists,
        })
    }

    /// The operator name as written in policies.
    #[must_use]
    pub fn name(&self) -> String {
        let prefix = match self.qualifier {
            Some(SetQualifier::ForAllValues) => "ForAllValues:",
            Some(SetQualifier::ForAnyValue) => "ForAnyValue:",
            None => "",
        };
        let suffix = if self.if_exists { "IfExists" } else { "" };
        format!("{prefix}{}{suffix}", self.base.name())
    }

    /// Whether values of this operator are read for policy variables.
    pub(crate) fn takes_variables(&self) -> bool {
        matches!(
            self.base.family(),
            Family::String | Family::StringIgnoreCase | Family::StringLike | Family::Arn
        )
    }
}

/// A typed, pre-compiled condition value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Typed {
    Str(Pattern),
    Arn(ArnPattern),
    Number(f64),
    /// Nanoseconds since the Unix epoch.
    Date(i128),
    Bool(bool),
    Binary(Box<[u8]>),
    Ip(Cidr),
    Null(bool),
}

/// Compiles one policy value for `operator`; `Err` names what was expected.
pub(crate) fn compile_value(
    operator: &Operator,
    source: &str,
    variables: bool,
) -> Result<Typed, &'static str> {
    Ok(match operator.base.family() {
        Family::String | Family::StringIgnoreCase => {
            Typed::Str(Pattern::new(source, false, variables))
        }
        Family::StringLike => Typed::Str(Pattern::new(source, true, variables)),
        Family::Arn => Typed::Arn(ArnPattern::new(source, variables)),
        Family::Numeric => Typed::Number(parse_number(source).ok_or("a number")?),
        Family::Date => Typed::Date(parse_date(source).ok_or("an ISO 8601 date or epoch seconds")?),
        Family::Bool => Typed::Bool(parse_bool(source).ok_or("\"true\" or \"false\"")?),
        Family::Binary => Typed::Binary(
            base64::engine::general_purpose::STANDARD
                .decode(source)
                .map_err(|_| "base64 data")?
                .into_boxed_slice(),
        ),
        Family::Ip => {
            Typed::Ip(Cidr::parse(source).ok_or("an IPv4 or IPv6 address or CIDR block")?)
        }
        Family::Null => Typed::Null(parse_bool(source).ok_or("\"true\" or \"false\"")?),
    })
}

/// Evaluates one `key: [values]` entry of a block.
///
/// `context` is `None` when the key is absent; an empty slice is treated like absent.
pub(crate) fn evaluate_entry(
    operator: &Operator,
    values: &[Typed],
    context: Option<&[String]>,
    vars: &dyn Resolve,
) -> bool {
    let present = context.filter(|v| !v.is_empty());
    if operator.base == BaseOperator::Null {
        // INVARIANT: Null tests presence only; "true" means absent.
        let absent = present.is_none();
        return values
            .iter()
            .any(|v| matches!(v, Typed::Null(want) if *want == absent));
    }
    let Some(context_values) = present else {
        // INVARIANT: missing key → IfExists true; ForAllValues vacuously true; ForAnyValue
        // false; otherwise false for positive operators and true for negated ones.
        return operator.if_exists
            || match operator.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => operator.base.is_negated(),
            };
    };
    let negated = operator.base.is_negated();
    let satisfies = |value: &str| {
        let positive = value_matches(operator.base, values, value, vars);
        positive != negated
    };
    match operator.qualifier {
        Some(SetQualifier::ForAllValues) => context_values.iter().all(|v| satisfies(v)),
        Some(SetQualifier::ForAnyValue) => context_values.iter().any(|v| satisfies(v)),
        None => {
            let positive = context_values
                .iter()
                .any(|v| value_matches(operator.base, values, v, vars));
            positive != negated
        }
    }
}

/// Whether one context value matches any policy value under the positive form of `base`.
fn value_matches(base: BaseOperator, values: &[Typed], context: &str, vars: &dyn Resolve) -> bool {
    match base.family() {
        Family::String | Family::StringLike => values
            .iter()
            .any(|v| matches!(v, Typed::Str(p) if p.matches(context, Case::Sensitive, vars))),
        Family::StringIgnoreCase => values
            .iter()
            .any(|v| matches!(v, Typed::Str(p) if p.matches(context, Case::Insensitive, vars))),
        Family::Arn => values
            .iter()
            .any(|v| matches!(v, Typed::Arn(p) if p.matches(context, vars))),
        Family::Numeric => parse_number(context).is_some_and(|n| {
            values.iter().any(|v| {
                matches!(v, Typed::Number(p) if n.partial_cmp(p).is_some_and(|o| base.accepts(o)))
            })
        }),
        Family::Date => parse_date(context).is_some_and(|d| {
            values
                .iter()
                .any(|v| matches!(v, Typed::Date(p) if base.accepts(d.cmp(p))))
        }),
        Family::Bool => parse_bool(context).is_some_and(|b| {
            values
                .iter()
                .any(|v| matches!(v, Typed::Bool(p) if *p == b))
        }),
        Family::Binary => base64::engine::general_purpose::STANDARD
            .decode(context)
            .is_ok_and(|bytes| {
                values
                    .iter()
                    .any(|v| matches!(v, Typed::Binary(p) if **p == *bytes))
            }),
        Family::Ip => context.parse::<IpAddr>().is_ok_and(|ip| {
            values
                .iter()
                .any(|v| matches!(v, Typed::Ip(c) if c.contains(ip)))
        }),
        Family::Null => false,
    }
}

/// `true`/`false`, case-insensitive.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A decimal number: optional sign, digits, optional fraction, optional exponent.
/// (Rust's `f64::from_str` also accepts `inf` and `NaN`, which are not numbers here.)
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mantissa = unsigned.split(['e', 'E']).next().unwrap_or("");
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Parses a W3C ISO 8601 profile date (`YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s]]TZD`)
/// or epoch seconds (digits, optional fraction) into nanoseconds since the epoch.
///
/// Ours: an all-digit string is epoch seconds, so the year-only form `YYYY` is read as epoch
/// seconds; a time without a zone designator is UTC.
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
        if secs.is_empty() || secs.len() > 12 || frac.contains('.') || frac.len() > 9 {
            return None;
        }
        let secs: i128 = secs.parse().ok()?;
        let nanos = fraction_nanos(frac)?;
        return Some(secs * 1_000_000_000 + nanos);
    }
    let (date, time) = match text.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year = digits(parts.next()?, 4)?;
    let month = parts.next().map_or(Some(1), |m| digits(m, 2))?;
    let day = parts.next().map_or(Some(1), |d| digits(d, 2))?;
    if parts.next().is_some() || !(1..=12).contains(&month) {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let mut seconds = i128::from(days) * 86_400;
    let mut nanos = 0i128;
    if let Some(time) = time {
        let (clock, offset) = split_zone(time)?;
        let mut fields = clock.split(':');
        let hour = digits(fields.next()?, 2)?;
        let minute = digits(fields.next()?, 2)?;
        let second_text = fields.next();
        if fields.next().is_some() || hour > 23 || minute > 59 {
            return None;
        }
        let second = match second_text {
            Some(s) => {
                let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
                if s.contains('.') && frac.is_empty() {
                    return None;
                }
                nanos = fraction_nanos(frac)?;
                digits(whole, 2)?
            }
            None => 0,
        };
        if second > 60 {
            return None;
        }
        seconds += i128::from(hour * 3600 + minute * 60 + second) - i128::from(offset);
    }
    Some(seconds * 1_000_000_000 + nanos)
}

/// Splits `hh:mm:ss` from a zone designator (`Z`, `+hh:mm`, `-hh:mm`, or none = UTC);
/// returns the offset in seconds east of UTC.
fn split_zone(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    if let Some(idx) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(idx);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone.get(1..)?.split_once(':')?;
        let (h, m) = (digits(h, 2)?, digits(m, 2)?);
        if h > 23 || m > 59 {
            return None;
        }
        return Some((clock, sign * (h * 3600 + m * 60)));
    }
    Some((time, 0))
}

fn digits(text: &str, len: usize) -> Option<i64> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn fraction_nanos(frac: &str) -> Option<i128> {
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos = 0i128;
    for i in 0..9 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i128::from(b - b'0'));
        nanos = nanos * 10 + digit;
    }
    Some(nanos)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An IPv4 or IPv6 network. A bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `203.0.113.0/24`, `2001:DB8:1234:5678::/64` or a bare address. Host bits are
    /// ignored (the network is masked).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (a, Some(p.parse::<u8>().ok()?))
            }
            None => (text, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { network, prefix })
    }

    /// Whether `ip` is inside the network (same address family only).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_operator_with_qualifiers() {
        for (name, base) in BASE_OPERATORS {
            assert_eq!(Operator::parse(name).map(|o| o.base), Some(base));
            if base != BaseOperator::Null {
                for full in [
                    format!("{name}IfExists"),
                    format!("ForAllValues:{name}"),
                    format!("ForAnyValue:{name}IfExists"),
                ] {
                    let op = Operator::parse(&full).unwrap();
                    assert_eq!(op.name(), full);
                }
            }
        }
    }

    #[test]
    fn rejects_unknown_operators() {
        for name in [
            "stringequals",
            "StringEqual",
            "NullIfExists",
            "ForAllValues:Null",
            "ForSomeValues:StringEquals",
            "IfExists",
            "",
        ] {
            assert!(Operator::parse(name).is_none(), "{name}");
        }
    }

    #[test]
    fn parses_dates_table() {
        let day = 86_400i128 * 1_000_000_000;
        let cases: [(&str, Option<i128>); 12] = [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("1970-01-02", Some(day)),
            ("1970-02", Some(31 * day)),
            ("1970-01-01T01:00:00+01:00", Some(0)),
            ("1970-01-01T00:00:00.5Z", Some(500_000_000)),
            ("1970-01-01T00:01Z", Some(60_000_000_000)),
            ("86400", Some(day)),
            ("2020-02-30", None),
            ("2020-13-01", None),
            ("2020-01-01T25:00:00Z", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_date(text), expected, "{text}");
        }
        assert_eq!(
            parse_date("2024-02-29T12:00:00Z"),
            Some(1_709_208_000 * 1_000_000_000)
        );
    }

    #[test]
    fn parses_numbers_strictly() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        for bad in ["", "inf", "NaN", "1.2.3", "0x10", "ten", "."] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn matches_cidr_blocks() {
        let v4 = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(v4.contains("203.0.113.255".parse().unwrap()));
        assert!(!v4.contains("203.0.114.1".parse().unwrap()));
        let host = Cidr::parse("192.0.2.7").unwrap();
        assert!(host.contains("192.0.2.7".parse().unwrap()));
        assert!(!host.contains("192.0.2.8".parse().unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:5678:ffff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:1234:5679::1".parse().unwrap()));
        assert!(!v6.contains("203.0.113.1".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        for bad in ["203.0.113.0/33", "::/129", "1.2.3/8", "1.2.3.4/", "x"] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }
}

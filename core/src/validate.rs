//! Field checks shared by the providers. Each records a violation instead of returning early,
//! so one pass reports every bad field.

use crate::error::{ErrorCode, Violations};

/// Character classes a field may be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Any text without control characters.
    Text,
    /// ASCII letters and digits.
    Alphanumeric,
    /// ASCII letters, digits and spaces.
    AlphanumericSpace,
    /// Printable ASCII without spaces (ids, references).
    Token,
    /// ASCII upper-case letters, digits and `_` (channel and bank codes).
    UpperCode,
    /// ASCII digits.
    Digits,
}

impl Charset {
    fn allows(self, ch: char) -> bool {
        match self {
            Charset::Text => !ch.is_control(),
            Charset::Alphanumeric => ch.is_ascii_alphanumeric(),
            Charset::AlphanumericSpace => ch.is_ascii_alphanumeric() || ch == ' ',
            Charset::Token => ch.is_ascii_graphic(),
            Charset::UpperCode => ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_',
            Charset::Digits => ch.is_ascii_digit(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Charset::Text => "text without control characters",
            Charset::Alphanumeric => "ASCII letters and digits only",
            Charset::AlphanumericSpace => "ASCII letters, digits and spaces only",
            Charset::Token => "printable ASCII without spaces",
            Charset::UpperCode => "upper-case letters, digits and '_' only",
            Charset::Digits => "digits only",
        }
    }
}

/// Checks a mandatory string's length (in characters) and characters.
pub fn required(
    violations: &mut Violations,
    field: &str,
    value: &str,
    max_len: usize,
    charset: Charset,
) {
    if value.is_empty() {
        violations.push(
            field,
            ErrorCode::MissingField,
            format!("{field} is required and must not be empty"),
        );
        return;
    }
    bounded(violations, field, value, max_len, charset);
}

/// Checks an optional string when present (an empty string counts as absent).
pub fn optional(
    violations: &mut Violations,
    field: &str,
    value: Option<&str>,
    max_len: usize,
    charset: Charset,
) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        bounded(violations, field, value, max_len, charset);
    }
}

fn bounded(
    violations: &mut Violations,
    field: &str,
    value: &str,
    max_len: usize,
    charset: Charset,
) {
    let len = value.chars().count();
    if len > max_len {
        violations.push(
            field,
            ErrorCode::InvalidField,
            format!("{field} is {len} characters; the provider accepts at most {max_len}"),
        );
    }
    if let Some(bad) = value.chars().find(|c| !charset.allows(*c)) {
        violations.push(
            field,
            ErrorCode::InvalidField,
            format!(
                "{field} contains {:?}; it must be {}",
                bad.escape_default().to_string(),
                charset.describe()
            ),
        );
    }
}

/// True when an id received from a provider is safe to hand to the host: non-empty, bounded,
/// no control characters.
pub fn is_safe_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= 256 && !value.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_all_problems() {
        let mut v = Violations::new();
        required(&mut v, "a", "", 5, Charset::Text);
        required(&mut v, "b", "toolong!", 5, Charset::Alphanumeric);
        optional(&mut v, "c", Some("ok"), 5, Charset::Alphanumeric);
        optional(&mut v, "d", None, 5, Charset::Alphanumeric);
        required(&mut v, "e", "BCA", 30, Charset::UpperCode);
        let err = v.finish().unwrap_err();
        let fields: Vec<_> = err.violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["a", "b", "b"]);
    }
}

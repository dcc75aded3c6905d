//! Field checks shared by the providers. Each records a violation instead of returning early,
//! so one pass reports every bad field.

use crate::error::{ErrorCode, Violations};
use std::fmt::Display;

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
            Charset::Text => !ch.is_control() && !is_bidi_control(ch),
            Charset::Alphanumeric => ch.is_ascii_alphanumeric(),
            Charset::AlphanumericSpace => ch.is_ascii_alphanumeric() || ch == ' ',
            Charset::Token => ch.is_ascii_graphic(),
            Charset::UpperCode => ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_',
            Charset::Digits => ch.is_ascii_digit(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Charset::Text => "text without control or bidirectional-override characters",
            Charset::Alphanumeric => "ASCII letters and digits only",
            Charset::AlphanumericSpace => "ASCII letters, digits and spaces only",
            Charset::Token => "printable ASCII without spaces",
            Charset::UpperCode => "upper-case letters, digits and '_' only",
            Charset::Digits => "digits only",
        }
    }
}

/// Checks a mandatory string's length (in characters) and characters.
/// Field names are `Display` so that a passing check allocates nothing (names like
/// `payouts[7].amount` are only rendered when something is wrong).
pub fn required<F: Display + ?Sized>(
    violations: &mut Violations,
    field: &F,
    value: &str,
    max_len: usize,
    charset: Charset,
) {
    check(violations, &field, Some(value), true, max_len, charset);
}

/// Checks an optional string when present (an empty string counts as absent).
pub fn optional<F: Display + ?Sized>(
    violations: &mut Violations,
    field: &F,
    value: Option<&str>,
    max_len: usize,
    charset: Charset,
) {
    check(violations, &field, value, false, max_len, charset);
}

/// The one compiled body behind `required` and `optional`, whatever the field name's type.
fn check(
    violations: &mut Violations,
    field: &dyn Display,
    value: Option<&str>,
    mandatory: bool,
    max_len: usize,
    charset: Charset,
) {
    match value.filter(|v| !v.is_empty()) {
        Some(value) => bounded(violations, field, value, max_len, charset),
        None if mandatory => violations.push(
            field.to_string(),
            ErrorCode::MissingField,
            format!("{field} is required and must not be empty"),
        ),
        None => {}
    }
}

fn bounded(
    violations: &mut Violations,
    field: &dyn Display,
    value: &str,
    max_len: usize,
    charset: Charset,
) {
    // Byte length bounds the character count from above: only count when it could exceed.
    let len = if value.len() > max_len {
        value.chars().count()
    } else {
        value.len()
    };
    if len > max_len {
        violations.push(
            field.to_string(),
            ErrorCode::InvalidField,
            format!("{field} is {len} characters; the provider accepts at most {max_len}"),
        );
    }
    // Byte by byte while the text is ASCII (ids, references): no UTF-8 decoding.
    let ascii_ok = value
        .bytes()
        .all(|b| b.is_ascii() && charset.allows(char::from(b)));
    if ascii_ok {
        return;
    }
    if let Some(bad) = value.chars().find(|c| !charset.allows(*c)) {
        violations.push(
            field.to_string(),
            ErrorCode::InvalidField,
            format!(
                "{field} contains {} (U+{:04X}); it must be {}",
                crate::error::quoted(bad.encode_utf8(&mut [0; 4])),
                u32::from(bad),
                charset.describe()
            ),
        );
    }
}

/// A field of the `index`-th item of a list, rendered only when needed: `payouts[3].amount`.
#[derive(Debug, Clone, Copy)]
pub struct ItemField<'a> {
    pub list: &'a str,
    pub index: usize,
    pub name: &'a str,
}

impl Display for ItemField<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}].{}", self.list, self.index, self.name)
    }
}

/// A nested field path rendered only when needed: `parent.child`.
#[derive(Clone, Copy)]
pub struct Sub<'a>(pub &'a dyn Display, pub &'a str);

impl Display for Sub<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl std::fmt::Debug for Sub<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// An element of a nested list rendered only when needed: `parent.list[index]`.
#[derive(Clone, Copy)]
pub struct Indexed<'a>(pub &'a dyn Display, pub &'a str, pub usize);

impl Display for Indexed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}[{}]", self.0, self.1, self.2)
    }
}

impl std::fmt::Debug for Indexed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// True when an id received from a provider is safe to hand to the host: non-empty, bounded,
/// no control characters.
pub fn is_safe_id(value: &str) -> bool {
    if value.is_empty() || value.len() > 256 {
        return false;
    }
    // Fast path: printable ASCII (almost every id) has no control or format character.
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return true;
    }
    !value
        .chars()
        .any(|ch| ch.is_control() || is_invisible_format(ch))
}

/// Bidirectional embedding, override and isolate characters: they make a text display in another
/// order than it is stored ("Trojan Source"), so a name or remark shown to an operator could lie.
fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Invisible format characters (Unicode category Cf in common use: soft hyphen, zero-width
/// spaces and joiners, direction marks, bidi controls, word joiners, the byte-order mark). Two
/// ids that differ only by one of them look identical in a log or a dashboard, so an id carrying
/// one is refused rather than matched.
/// For each name, whether it occurs at a lower index too (its second and later occurrences are
/// `true`). Sorting, not a set: O(n log n) on hostile input, and no B-tree set in the .wasm.
pub(crate) fn repeated(names: &[&str]) -> Vec<bool> {
    let order = sorted_order(names);
    let mut out = vec![false; names.len()];
    for pair in order.windows(2) {
        if let [(first, _), (again, later)] = pair
            && first == again
            && let Some(flag) = out.get_mut(*later)
        {
            *flag = true;
        }
    }
    out
}

/// Each name with its index, in byte order of the names (equal names in input order): the one
/// sort the core compiles, for duplicate checks and for the gateway's signed string.
pub(crate) fn sorted_order<'a>(names: &[&'a str]) -> Vec<(&'a str, usize)> {
    let mut order: Vec<(&str, usize)> = names.iter().copied().zip(0..).collect();
    order.sort_unstable();
    order
}

/// The first name that occurs earlier too, in input order.
pub(crate) fn first_repeat<'a>(names: &[&'a str]) -> Option<&'a str> {
    // A few names (an object's keys, a notification's fields): comparing each with those
    // before it is cheaper than sorting, and allocates nothing.
    if names.len() <= 16 {
        for (seen, name) in names.iter().enumerate() {
            let earlier = names.get(..seen).unwrap_or_default();
            if earlier
                .iter()
                .any(|other| other.len() == name.len() && other == name)
            {
                return Some(name);
            }
        }
        return None;
    }
    let flags = repeated(names);
    names
        .iter()
        .zip(flags)
        .find(|(_, again)| *again)
        .map(|(name, _)| *name)
}

/// Where `needle` first occurs in `haystack`, byte-wise. Not `str::find`: its Two-Way searcher
/// costs about 1.5 KB of the .wasm, for two short constant needles in bounded text.
pub(crate) fn find_text(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

pub(crate) fn is_invisible_format(ch: char) -> bool {
    is_bidi_control(ch)
        || matches!(
            ch,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
        )
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

    #[test]
    fn a_refused_character_is_named_by_its_code_point() {
        let mut v = Violations::new();
        required(&mut v, "name", "Budi\nSantoso", 50, Charset::Text);
        required(&mut v, "id", "PO-1\u{202E}", 50, Charset::Alphanumeric);
        let err = v.finish().unwrap_err();
        let messages: Vec<_> = err.violations.iter().map(|v| v.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "name contains \" \" (U+000A); it must be text without control or bidirectional-override characters",
                "id contains \"-\" (U+002D); it must be ASCII letters and digits only",
            ]
        );
    }

    #[test]
    fn repeats_are_the_later_occurrences_in_input_order() {
        assert_eq!(repeated(&[]), Vec::<bool>::new());
        assert_eq!(repeated(&["a", "b", "c"]), [false, false, false]);
        assert_eq!(
            repeated(&["b", "a", "b", "a", "b", ""]),
            [false, false, true, true, true, false]
        );
        assert_eq!(first_repeat(&["z", "y", "y", "z"]), Some("y"));
        assert_eq!(first_repeat(&["x", "y"]), None);
        // Short lists are compared pairwise, long ones sorted: both give the first name, in
        // input order, that occurs earlier too.
        let naive = |names: &[&'static str]| {
            (0..names.len())
                .find(|&i| names[..i].contains(&names[i]))
                .map(|i| names[i])
        };
        let pool = ["a", "b", "ab", "ba", "c", "cd", "dc", "e", "ef", "fe"];
        for len in [0, 1, 2, 15, 16, 17, 18, 24] {
            for seed in 0..40usize {
                let names: Vec<&str> = (0..len)
                    .map(|i| pool[(i * 7 + seed * 13 + (i * seed) % 5) % pool.len()])
                    .collect();
                assert_eq!(first_repeat(&names), naive(&names), "{names:?}");
            }
            let unique: Vec<String> = (0..len).map(|i| format!("k{i}")).collect();
            let unique: Vec<&str> = unique.iter().map(String::as_str).collect();
            assert_eq!(first_repeat(&unique), None);
        }
        // Against the set it replaces, on every sequence of 5 names over 3 letters.
        for n in 0..3usize.pow(5) {
            let names: Vec<&str> = (0..5)
                .map(|i| ["p", "q", "r"][n / 3usize.pow(i) % 3])
                .collect();
            let mut seen = std::collections::BTreeSet::new();
            let expected: Vec<bool> = names.iter().map(|name| !seen.insert(*name)).collect();
            assert_eq!(repeated(&names), expected, "{names:?}");
        }
    }

    #[test]
    fn find_text_agrees_with_str_find() {
        for (haystack, needle) in [
            ("", ""),
            ("", "0000"),
            ("000", "0000"),
            ("error 0000", "0000"),
            ("00000", "0000"),
            ("x0000y0000", "0000"),
            ("name. Bank record: BUDI", "Bank record:"),
            ("Bank record", "Bank record:"),
            ("é0000", "0000"),
        ] {
            assert_eq!(
                find_text(haystack, needle),
                haystack.find(needle),
                "{haystack:?}"
            );
        }
    }

    #[test]
    fn ids_refuse_invisible_and_bidi_characters() {
        assert!(is_safe_id("PO-0001"));
        assert!(is_safe_id("Pembayaran Budi"));
        for bad in [
            "PO\u{200B}1",
            "PO\u{202E}1",
            "\u{FEFF}PO1",
            "PO\u{2066}1",
            "PO\u{00AD}1",
            "PO\n1",
        ] {
            assert!(!is_safe_id(bad), "{bad:?} must be refused");
        }
        let mut v = Violations::new();
        required(&mut v, "name", "Budi\u{202E}gnirts", 50, Charset::Text);
        required(&mut v, "remark", "Budi Santoso", 50, Charset::Text);
        let err = v.finish().unwrap_err();
        let fields: Vec<_> = err.violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["name"]);
    }
}

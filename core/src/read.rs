//! kirim's JSON reader: one small parser into a tree that keeps every number as its source text,
//! and typed extraction that names the path of any mismatch (`data.payouts[1].amount`).
//!
//! Why not serde's derived `Deserialize` for the documents kirim reads: a derived type compiles
//! its own visitor plus its own copy of serde_json's deserializer, and some forty of them were
//! 40% of the `.wasm` (issue 4). Here the parser is compiled once and each type's extraction is a
//! few calls to non-generic helpers. Keeping numbers as text means an amount never passes
//! through a float, and the tree also serves the signature canonicalizer (exact number text,
//! composite values as received), so a signed document is parsed once.
//!
//! The grammar is strict RFC 8259, as serde_json's: UTF-8 only, no trailing commas, no comments,
//! no lone surrogates, control characters escaped, nesting at most 127 deep. Field semantics
//! follow serde's derive, which the shared vectors were written against: an absent or `null`
//! optional field is `None`, a repeated known field is refused, unknown fields are ignored
//! unless a type lists its fields (`Obj::deny_unknown`).

use std::borrow::Cow;
use std::fmt::Write as _;

/// `#[derive(FromJson)]`: the reader from the type's declaration and serde attributes.
pub use kirim_derive::FromJson;

// The text level (the tree and its parser) is its own crate, built for speed in the .wasm (see
// kirim-json).
pub use kirim_json::parse::{Json, Syntax, parse};

// ---- typed extraction ------------------------------------------------------------------------

/// A value of the wrong shape: the path to it and what was wrong. Boxed, so that every
/// `Read<T>` stays small and a `?` moves one pointer (the .wasm is smaller for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(Box<MismatchData>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MismatchData {
    pub path: String,
    pub detail: String,
    /// The error code of a value that has a code of its own (a bare number where an amount
    /// belongs is `invalid_amount`); `None` is `unexpected_shape`.
    pub code: Option<crate::error::ErrorCode>,
}

impl Mismatch {
    pub fn new(path: String, detail: String) -> Self {
        Mismatch(Box::new(MismatchData {
            path,
            detail,
            code: None,
        }))
    }

    /// A mismatch reported with its own error code; `detail` is the whole message.
    pub fn coded(path: String, code: crate::error::ErrorCode, detail: String) -> Self {
        Mismatch(Box::new(MismatchData {
            path,
            detail,
            code: Some(code),
        }))
    }

    pub fn into_data(self) -> MismatchData {
        *self.0
    }
}

impl std::ops::Deref for Mismatch {
    type Target = MismatchData;
    fn deref(&self) -> &MismatchData {
        &self.0
    }
}

pub type Read<T> = Result<T, Mismatch>;

/// Where a value sits in its document: a chain of steps back to the root, rendered only when a
/// mismatch is reported.
#[derive(Debug, Clone, Copy)]
pub struct At<'v> {
    parent: Option<&'v At<'v>>,
    step: Step<'v>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'v> {
    /// The document, or a named argument of the operation interface.
    Root(&'v str),
    Key(&'v str),
    Index(usize),
}

impl At<'_> {
    fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(current) = at {
            steps.push(current.step);
            at = current.parent;
        }
        let mut path = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Root(name) => path.push_str(name),
                Step::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Step::Index(index) => {
                    let _ = write!(path, "[{index}]");
                }
            }
        }
        path
    }
}

/// A value and where it is.
#[derive(Debug, Clone, Copy)]
pub struct Val<'v> {
    pub node: &'v Json<'v>,
    at: At<'v>,
}

impl<'v> Val<'v> {
    /// The document itself (`name` empty) or an argument called `name`.
    pub fn root(node: &'v Json<'v>, name: &'v str) -> Self {
        Val {
            node,
            at: At {
                parent: None,
                step: Step::Root(name),
            },
        }
    }

    pub fn path(&self) -> String {
        self.at.render()
    }

    /// A mismatch at this value.
    pub fn mismatch(&self, detail: impl Into<String>) -> Mismatch {
        Mismatch::new(self.path(), detail.into())
    }

    /// `invalid type: <found>, expected <expected>`, worded as serde words it.
    pub fn invalid_type(&self, expected: &str) -> Mismatch {
        let found = match self.node {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(..) => "a sequence",
            Json::Object(..) => "a map",
        };
        self.mismatch(format!("invalid type: {found}, expected {expected}"))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.node, Json::Null)
    }

    pub fn object(&self) -> Read<Obj<'_>> {
        match self.node {
            Json::Object(members, raw) => Ok(Obj {
                members,
                raw,
                at: &self.at,
            }),
            _ => Err(self.invalid_type("an object")),
        }
    }

    /// The items with their indexes in the path.
    pub fn items(&self) -> Read<impl ExactSizeIterator<Item = Val<'_>>> {
        match self.node {
            Json::Array(items, _) => Ok(items.iter().enumerate().map(|(index, node)| Val {
                node,
                at: At {
                    parent: Some(&self.at),
                    step: Step::Index(index),
                },
            })),
            _ => Err(self.invalid_type("a sequence")),
        }
    }

    pub fn str(&self) -> Read<&'v str> {
        match self.node {
            Json::String(text) => Ok(text),
            _ => Err(self.invalid_type("a string")),
        }
    }

    /// An integer in `min..=max` (JSON integer syntax: no fraction, no exponent).
    pub fn integer(&self, min: i128, max: i128, expected: &str) -> Read<i128> {
        let Json::Number(text) = self.node else {
            return Err(self.invalid_type(expected));
        };
        let digits = text.strip_prefix('-').unwrap_or(text);
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.mismatch(format!(
                "invalid type: floating point `{text}`, expected {expected}"
            )));
        }
        match decimal_integer(text) {
            Some(value) if (min..=max).contains(&value) => Ok(value),
            _ => Err(self.mismatch(format!(
                "invalid value: integer `{text}`, expected {expected}"
            ))),
        }
    }

    /// One of `names`, for enums written as strings; the index of the match.
    pub fn variant(&self, names: &[&str]) -> Read<usize> {
        let text = self.str()?;
        names.iter().position(|name| *name == text).ok_or_else(|| {
            self.mismatch(format!(
                "unknown variant `{}`, expected one of {}",
                crate::error::sanitize_provider_text(text),
                quoted_list(names)
            ))
        })
    }
}

/// A non-essential value read leniently: a wrong shape is kept as the mismatch (its path and
/// why) instead of failing the document, and becomes a [`crate::event::Warning`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lenient<T>(pub Result<T, Mismatch>);

impl<T: FromJson> FromJson for Lenient<T> {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        Ok(Lenient(T::from_json(value)))
    }
}

impl<T> Lenient<T> {
    /// The value, or `None` with a warning naming the field.
    pub fn into_option(self, warnings: &mut Vec<crate::event::Warning>) -> Option<T> {
        match self.0 {
            Ok(value) => Some(value),
            Err(mismatch) => {
                let data = mismatch.into_data();
                warnings.push(crate::event::Warning::new(data.path, data.detail));
                None
            }
        }
    }
}

/// An optional non-essential field: absent, or its value, or `None` with a warning.
pub fn lenient<T>(
    value: Option<Lenient<T>>,
    warnings: &mut Vec<crate::event::Warning>,
) -> Option<T> {
    value.and_then(|v| v.into_option(warnings))
}

/// An object's member names, in order (for the duplicate checks).
pub(crate) fn member_names<'a>(members: &'a [(Cow<'a, str>, Json<'a>)]) -> Vec<&'a str> {
    let mut names = Vec::with_capacity(members.len());
    for (name, _) in members {
        names.push(name.as_ref());
    }
    names
}

/// `-`? then ASCII digits (at least one), as an integer; `None` when it is not that or does not
/// fit 64 bits of magnitude. kirim's one integer parser (not `str::parse`, whose monomorphs for
/// each integer type cost the .wasm more): JSON integers, integer map keys, Unix seconds, CIDR
/// prefixes.
pub(crate) fn decimal_integer(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // u64 digits, i128 only to compare: no 128-bit multiplication in the .wasm.
    let magnitude = digits.bytes().try_fold(0u64, |acc, d| {
        if !d.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    Some(if negative {
        -i128::from(magnitude)
    } else {
        i128::from(magnitude)
    })
}

fn quoted_list(names: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "`{name}`");
    }
    out
}

/// An object being read field by field.
#[derive(Debug, Clone, Copy)]
pub struct Obj<'v> {
    pub members: &'v [(Cow<'v, str>, Json<'v>)],
    pub raw: &'v str,
    at: &'v At<'v>,
}

impl<'v> Obj<'v> {
    fn at_key(&self, name: &'v str) -> At<'v> {
        At {
            parent: Some(self.at),
            step: Step::Key(name),
        }
    }

    /// The field called any of `names` (a field and its alias), refusing it twice.
    fn find(&self, names: &[&'v str]) -> Read<Option<Val<'v>>> {
        match kirim_json::parse::find_member(self.members, names) {
            Ok(found) => Ok(found.map(|(name, node)| Val {
                node,
                at: self.at_key(name),
            })),
            Err(name) => Err(self.duplicate(name)),
        }
    }

    #[cold]
    fn duplicate(&self, name: &'v str) -> Mismatch {
        Mismatch::new(
            self.at_key(name).render(),
            format!("duplicate field `{name}`"),
        )
    }

    /// The field `name`, which must be present (and may then be `null` only if `T` allows it).
    pub fn req<T: FromJson>(&self, name: &'v str) -> Read<T> {
        match self.find(&[name])? {
            Some(value) => T::from_json(&value),
            None => Err(self.missing(name)),
        }
    }

    /// Apart from `req`, so that its many instances share one copy.
    fn missing(&self, name: &'v str) -> Mismatch {
        Mismatch::new(
            self.at_key(name).render(),
            format!("missing field `{name}`"),
        )
    }

    /// An optional field: absent or `null` is `None`.
    pub fn opt<T: FromJson>(&self, name: &'v str) -> Read<Option<T>> {
        self.opt_alias(&[name])
    }

    /// An optional field that has several spellings (at most one may be present).
    pub fn opt_alias<T: FromJson>(&self, names: &[&'v str]) -> Read<Option<T>> {
        match self.find(names)? {
            Some(value) if !value.is_null() => T::from_json(&value).map(Some),
            _ => Ok(None),
        }
    }

    /// A field with a default when absent (a present `null` is read as `T`, as serde does).
    pub fn or_else<T: FromJson>(&self, name: &'v str, default: impl FnOnce() -> T) -> Read<T> {
        match self.find(&[name])? {
            Some(value) => T::from_json(&value),
            None => Ok(default()),
        }
    }

    /// `or_else` with `T::default()`.
    pub fn or_default<T: FromJson + Default>(&self, name: &'v str) -> Read<T> {
        self.or_else(name, T::default)
    }

    /// Refuses any field not in `known` (configuration objects, where a typo must not pass).
    pub fn deny_unknown(&self, known: &[&str]) -> Read<()> {
        for (key, _) in self.members {
            if !known.contains(&key.as_ref()) {
                return Err(Mismatch::new(
                    self.at_key(key).render(),
                    format!(
                        "unknown field `{}`, expected one of {}",
                        crate::error::sanitize_provider_text(key),
                        quoted_list(known)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A type read from a JSON value.
pub trait FromJson: Sized {
    fn from_json(value: &Val<'_>) -> Read<Self>;
}

impl FromJson for String {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        value.str().map(str::to_owned)
    }
}

impl FromJson for bool {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        match value.node {
            Json::Bool(b) => Ok(*b),
            _ => Err(value.invalid_type("a boolean")),
        }
    }
}

macro_rules! integer_from_json {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(value: &Val<'_>) -> Read<Self> {
                let n = value.integer(
                    i128::from(<$t>::MIN),
                    i128::from(<$t>::MAX),
                    stringify!($t),
                )?;
                <$t>::try_from(n).map_err(|_| value.mismatch("integer out of range"))
            }
        }
    )*};
}
integer_from_json!(u16, u32, u64, i64);

impl FromJson for usize {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let n = u64::from_json(value)?;
        usize::try_from(n).map_err(|_| value.mismatch("invalid value: integer too large"))
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        if value.is_null() {
            Ok(None)
        } else {
            T::from_json(value).map(Some)
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        // A loop, not `collect::<Result<_, _>>()`: the collecting adapters cost about 1 KB of
        // the .wasm for each item type.
        let items = value.items()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(T::from_json(&item)?);
        }
        Ok(out)
    }
}

/// An object whose keys are integers written as strings (`{"2": "succeeded"}`); a key given
/// twice is refused.
impl<V: FromJson> FromJson for std::collections::BTreeMap<i64, V> {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        let mut map = std::collections::BTreeMap::new();
        for (key, node) in o.members {
            let at = o.at_key(key);
            let canonical = key.strip_prefix('-').unwrap_or(key);
            let number = decimal_integer(key)
                .and_then(|n| i64::try_from(n).ok())
                .filter(|_| {
                    canonical.bytes().all(|b| b.is_ascii_digit())
                        && (canonical == "0" || !canonical.starts_with('0'))
                });
            let Some(number) = number else {
                return Err(Mismatch::new(
                    at.render(),
                    "invalid type: a string, expected an integer key".to_owned(),
                ));
            };
            let item = V::from_json(&Val { node, at })?;
            if map.insert(number, item).is_some() {
                return Err(Mismatch::new(
                    at.render(),
                    format!("duplicate key `{number}`"),
                ));
            }
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Json<'_> {
        parse(text.as_bytes()).unwrap_or_else(|e| unreachable!("{text}: {e:?}"))
    }

    fn syntax(text: &[u8]) -> Syntax {
        match parse(text) {
            Ok(value) => unreachable!("parsed {value:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn decimal_integers_agree_with_str_parse() {
        for text in [
            "0",
            "7",
            "-7",
            "-0",
            "007",
            "9223372036854775807",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "",
            "-",
            "+1",
            "1.0",
            "1e3",
            " 1",
            "--1",
            "12a",
        ] {
            let theirs = text
                .parse::<i128>()
                .ok()
                .filter(|n| n.unsigned_abs() <= u128::from(u64::MAX));
            let theirs = theirs.filter(|_| !text.starts_with('+'));
            assert_eq!(decimal_integer(text), theirs, "{text:?}");
        }
    }

    #[test]
    fn numbers_keep_their_text() {
        let Json::Array(items, raw) = ok(" [1, -0, 100000.0, 1e5, 2E-3, 12345678901234567890123] ")
        else {
            unreachable!()
        };
        assert_eq!(raw, "[1, -0, 100000.0, 1e5, 2E-3, 12345678901234567890123]");
        let texts: Vec<_> = items
            .iter()
            .map(|i| match i {
                Json::Number(t) => *t,
                _ => "",
            })
            .collect();
        assert_eq!(
            texts,
            [
                "1",
                "-0",
                "100000.0",
                "1e5",
                "2E-3",
                "12345678901234567890123"
            ]
        );
    }

    #[test]
    fn strings_decode_escapes_and_borrow_otherwise() {
        assert!(matches!(
            ok(r#""plain""#),
            Json::String(Cow::Borrowed("plain"))
        ));
        assert_eq!(
            ok(r#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#),
            Json::String(Cow::Owned("a\"b\\c/d\né\u{1F600}".into()))
        );
    }

    #[test]
    fn malformed_documents_are_refused_with_a_position() {
        for (text, truncated) in [
            (&b""[..], true),
            (b"{", true),
            (b"{\"a\":1", true),
            (b"[1,", true),
            (b"\"abc", true),
            (b"tru", true),
            (b"1.", true),
            (b"{\"a\":1,}", false),
            (b"[1,]", false),
            (b"{a:1}", false),
            (b"[01]", false),
            (b"[1.e5]", false),
            (b"[-]", false),
            (b"\"\\x\"", false),
            (b"\"\\ud800\"", false),
            (b"\"\\ud800\\u0041\"", false),
            (b"\"tab\there\"", false),
            (b"{} {}", false),
            (b"nul!", false),
            (b"\"\xff\"", false),
            (b"[NaN]", false),
        ] {
            let e = syntax(text);
            assert_eq!(
                e.truncated,
                truncated,
                "{:?}: {e:?}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(
            syntax(b"{\n  \"a\": x}").describe(b"{\n  \"a\": x}"),
            "expected value at line 2 column 8"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(127).as_bytes()).is_ok());
        assert_eq!(
            syntax(deep(128).as_bytes()).message,
            "recursion limit exceeded"
        );
        assert!(parse(deep(100_000).as_bytes()).is_err());
    }

    #[test]
    fn agrees_with_serde_json_on_what_is_json() {
        for text in [
            "{}",
            "[]",
            "0",
            "-1.5e+3",
            "\"\\u0000\"",
            "[[[{}]]]",
            "{\"a\":{\"b\":[1,true,null]}}",
            " \t\r\n1 ",
            "1 2",
            "[1 2]",
            "{\"a\" 1}",
            "01",
            "+1",
            ".5",
            "1e",
            "\"\u{7f}\"",
            "[\"\\uDBFF\\uDFFF\"]",
            "\"\\uDC00\"",
            "\u{feff}1",
        ] {
            let ours = parse(text.as_bytes()).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(text).is_ok();
            assert_eq!(ours, theirs, "{text:?}");
        }
    }

    #[test]
    fn fractional_numbers_are_found_outside_strings_only() {
        assert!(ok(r#"{"a":1.5}"#).has_fractional_number());
        assert!(ok(r#"{"a":[{"b":1e3}]}"#).has_fractional_number());
        assert!(!ok(r#"{"a":"1.5","b":true,"c":false,"d":10}"#).has_fractional_number());
        assert!(!ok(r#"{"a":"x\"1.5"}"#).has_fractional_number());
    }

    #[derive(Debug, PartialEq)]
    struct Item {
        id: String,
        count: Option<u32>,
    }

    impl FromJson for Item {
        fn from_json(value: &Val<'_>) -> Read<Self> {
            let o = value.object()?;
            Ok(Item {
                id: o.req("id")?,
                count: o.opt("count")?,
            })
        }
    }

    fn read_items(text: &str) -> Read<Vec<Item>> {
        let tree = ok(text);
        let root = Val::root(&tree, "");
        root.object()?.req("items")
    }

    #[test]
    fn mismatches_name_their_path() {
        assert_eq!(
            read_items(r#"{"items":[{"id":"a"},{"id":"b","count":null}]}"#),
            Ok(vec![
                Item {
                    id: "a".into(),
                    count: None
                },
                Item {
                    id: "b".into(),
                    count: None
                }
            ])
        );
        let path = |text: &str| read_items(text).map_err(|m| (m.path.clone(), m.detail.clone()));
        assert_eq!(
            path(r#"{"items":[{"id":"a"},{"id":7}]}"#),
            Err((
                "items[1].id".into(),
                "invalid type: a number, expected a string".into()
            ))
        );
        assert_eq!(
            path(r#"{"items":[{"count":1}]}"#),
            Err(("items[0].id".into(), "missing field `id`".into()))
        );
        assert_eq!(
            path(r#"{"items":[{"id":"a","id":"b"}]}"#),
            Err(("items[0].id".into(), "duplicate field `id`".into()))
        );
        assert_eq!(
            path(r#"{"items":[{"id":"a","count":-1}]}"#).map_err(|e| e.0),
            Err("items[0].count".into())
        );
        assert_eq!(
            path(r#"{"items":[{"id":"a","count":1.0}]}"#).map_err(|e| e.1),
            Err("invalid type: floating point `1.0`, expected u32".into())
        );
        assert_eq!(
            path(r#"{"items":{}}"#).map_err(|e| e.0),
            Err("items".into())
        );
        let tree = ok(r#"{"a":1}"#);
        let arg = Val::root(&tree, "config");
        let unknown = arg.object().and_then(|o| o.deny_unknown(&["b"]));
        assert_eq!(unknown.map_err(|m| m.path.clone()), Err("config.a".into()));
    }
}

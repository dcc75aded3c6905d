//! Reading provider bytes: size limit, empty and HTML bodies, JSON errors with the field path.

use crate::error::{Error, ErrorCode, Result};
use crate::read::{FromJson, Json, Mismatch, Syntax, Val};
use crate::write::ToJson;

/// Default maximum body size kirim will parse: 1 MiB. Provider bodies are a few KB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// Renders `value` as compact JSON (request bodies, operation results) with kirim's writer.
///
/// Built with the `check-writer` feature (the test build), the text is also rendered by serde's
/// derive and the two must agree byte for byte, else this is an error naming `what`: every
/// result the shared vectors produce is checked that way.
pub fn to_json<T: ToJson + serde::Serialize + ?Sized>(value: &T, what: &str) -> Result<String> {
    checked(crate::write::to_string(value), value, what)
}

/// `to_json` into a buffer of `capacity` bytes to start with (a large body's expected size).
pub fn to_json_sized<T: ToJson + serde::Serialize>(
    value: &T,
    what: &str,
    capacity: usize,
) -> Result<String> {
    checked(crate::write::to_string_sized(value, capacity), value, what)
}

/// `text`, which kirim's writer rendered from `value`; with `check-writer`, compared with
/// serde's rendering (see `to_json`).
#[cfg(feature = "check-writer")]
fn checked<T: serde::Serialize + ?Sized>(text: String, value: &T, what: &str) -> Result<String> {
    let serde_text = serde_json::to_string(value).unwrap_or_default();
    if serde_text != text {
        return Err(Error::new(
            ErrorCode::UnexpectedShape,
            format!("{what}: kirim's writer gave {text}, serde gives {serde_text}"),
        ));
    }
    Ok(text)
}

#[cfg(not(feature = "check-writer"))]
fn checked<T: ?Sized>(text: String, _value: &T, _what: &str) -> Result<String> {
    Ok(text)
}

/// Parses a JSON body and reads it as `T`, classifying every failure with a stable code:
/// `invalid_json` for a malformed document, `unexpected_shape` naming the field path for a
/// well-formed one of the wrong shape.
pub fn parse_body<T: FromJson>(body: &[u8], max_bytes: usize, what: &str) -> Result<T> {
    read_body(&parse_tree(body, max_bytes, what)?, what)
}

/// Parses a JSON body into kirim's tree (numbers as text), after the size, empty and not-JSON
/// checks.
pub fn parse_tree<'a>(body: &'a [u8], max_bytes: usize, what: &str) -> Result<Json<'a>> {
    check_body(body, max_bytes, what)?;
    crate::read::parse(body).map_err(|e| syntax_error(&e, body, what))
}

/// Reads a parsed body as `T`; a mismatch is `unexpected_shape` with its path as the field.
pub fn read_body<T: FromJson>(tree: &Json<'_>, what: &str) -> Result<T> {
    T::from_json(&Val::root(tree, "")).map_err(|m| shape_error(m, what))
}

/// The `unexpected_shape` error of a body whose part at `mismatch.path` has the wrong shape.
pub fn shape_error(mismatch: Mismatch, what: &str) -> Error {
    let mismatch = mismatch.into_data();
    if let Some(code) = mismatch.code {
        return Error::field(code, mismatch.path, mismatch.detail);
    }
    let field = if mismatch.path.is_empty() {
        None
    } else {
        Some(mismatch.path)
    };
    let mut err = Error::new(
        ErrorCode::UnexpectedShape,
        format!(
            "{what} has an unexpected shape at {}: {}",
            field.as_deref().unwrap_or("the top level"),
            crate::error::sanitize_provider_text(&mismatch.detail)
        ),
    );
    err.field = field;
    err
}

fn syntax_error(e: &Syntax, body: &[u8], what: &str) -> Error {
    if e.truncated {
        Error::new(
            ErrorCode::InvalidJson,
            format!("{what} is truncated JSON (ends early)"),
        )
    } else {
        Error::new(
            ErrorCode::InvalidJson,
            format!("{what} is not valid JSON: {}", e.describe(body)),
        )
    }
}

/// Parses one argument of the operation interface (JSON text the host wrote) and reads it as
/// `T`. A failure is `unexpected_shape` naming `name` and the path in it.
pub fn parse_argument<T: FromJson>(text: &[u8], name: &str) -> Result<T> {
    read_argument(&parse_argument_tree(text, name)?, name)
}

/// Parses the JSON text of an argument called `name`; malformed text is `unexpected_shape`
/// naming the argument.
pub fn parse_argument_tree<'a>(text: &'a [u8], name: &str) -> Result<Json<'a>> {
    crate::read::parse(text).map_err(|e| {
        // The position is inside the argument's own text, which the host did not write by hand.
        argument_error(Mismatch::new(name.to_owned(), e.message.to_owned()))
    })
}

/// Reads an already parsed argument called `name` as `T`.
pub fn read_argument<T: FromJson>(node: &Json<'_>, name: &str) -> Result<T> {
    T::from_json(&Val::root(node, name)).map_err(argument_error)
}

fn argument_error(mismatch: Mismatch) -> Error {
    let mismatch = mismatch.into_data();
    if let Some(code) = mismatch.code {
        return Error::field(code, mismatch.path, mismatch.detail);
    }
    let message = format!(
        "argument {}: {}",
        mismatch.path,
        crate::error::sanitize_provider_text(&mismatch.detail)
    );
    Error::field(ErrorCode::UnexpectedShape, mismatch.path, message)
}

/// Size, emptiness and not-JSON checks shared by every parser.
pub fn check_body(body: &[u8], max_bytes: usize, what: &str) -> Result<()> {
    if body.len() > max_bytes {
        return Err(Error::new(
            ErrorCode::BodyTooLarge,
            format!(
                "{what} is {} bytes, over the {max_bytes}-byte limit (max_body_bytes)",
                body.len()
            ),
        ));
    }
    match first_non_whitespace(body) {
        None => Err(Error::new(
            ErrorCode::BodyEmpty,
            format!("{what} is empty; a JSON document was expected"),
        )),
        Some(b'{') | Some(b'[') => Ok(()),
        Some(b'<') => Err(Error::new(
            ErrorCode::NonJsonBody,
            format!("{what} is an HTML or XML page, not JSON (a proxy or error page answered)"),
        )),
        Some(_) => Err(Error::new(
            ErrorCode::NonJsonBody,
            format!("{what} is not a JSON object"),
        )),
    }
}

fn first_non_whitespace(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Parses an ISO 8601 / RFC 3339 timestamp (`2024-05-13T08:21:45Z`, optional fraction, `Z` or
/// `±HH:MM`) into Unix seconds. Hand-written because it is 40 lines and a date crate would add
/// more to the wasm build than the whole status model.
pub fn parse_timestamp<F: std::fmt::Display + ?Sized>(text: &str, field: &F) -> Result<i64> {
    // One compiled body whatever names the field.
    timestamp(text, &field)
}

fn timestamp(text: &str, field: &dyn std::fmt::Display) -> Result<i64> {
    let bad = || {
        Error::field(
            ErrorCode::InvalidTimestamp,
            field.to_string(),
            format!(
                "{field} {} is not an ISO 8601 timestamp like 2024-05-13T08:21:45Z",
                crate::error::quoted(text)
            ),
        )
    };
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter().try_fold(0i64, |acc, d| {
            acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        })
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-')
        && sep(7, b'-')
        && (sep(10, b'T') || sep(10, b't') || sep(10, b' '))
        && sep(13, b':')
        && sep(16, b':'))
    {
        return Err(bad());
    }
    let (year, month, day) = (
        num(0..4).ok_or_else(bad)?,
        num(5..7).ok_or_else(bad)?,
        num(8..10).ok_or_else(bad)?,
    );
    let (hour, minute, second) = (
        num(11..13).ok_or_else(bad)?,
        num(14..16).ok_or_else(bad)?,
        num(17..19).ok_or_else(bad)?,
    );
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let mut i = 19;
    if sep(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || i - start > 9 {
            return Err(bad());
        }
    }
    let offset = match b.get(i) {
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && sep(i + 3, b':') => {
            let h = num(i + 1..i + 3).ok_or_else(bad)?;
            let m = num(i + 4..i + 6).ok_or_else(bad)?;
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let total = h * 3600 + m * 60;
            if sign == b'+' { total } else { -total }
        }
        _ => return Err(bad()),
    };
    let days = days_from_civil(year, month, day);
    Ok(days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset)
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

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Probe {
        a: u32,
        b: Inner,
    }
    impl FromJson for Probe {
        fn from_json(value: &Val<'_>) -> crate::read::Read<Self> {
            let o = value.object()?;
            Ok(Probe {
                a: o.req("a")?,
                b: o.req("b")?,
            })
        }
    }
    #[derive(Debug)]
    #[allow(dead_code)]
    struct Inner {
        c: String,
    }
    impl FromJson for Inner {
        fn from_json(value: &Val<'_>) -> crate::read::Read<Self> {
            Ok(Inner {
                c: value.object()?.req("c")?,
            })
        }
    }

    fn code(body: &[u8]) -> ErrorCode {
        parse_body::<Probe>(body, 64, "body").unwrap_err().code
    }

    #[test]
    fn classifies_bad_bodies() {
        assert_eq!(code(b""), ErrorCode::BodyEmpty);
        assert_eq!(code(b"  \n"), ErrorCode::BodyEmpty);
        assert_eq!(code(b"<html>502</html>"), ErrorCode::NonJsonBody);
        assert_eq!(code(b"success"), ErrorCode::NonJsonBody);
        assert_eq!(code(b"{\"a\":1"), ErrorCode::InvalidJson);
        assert_eq!(code(br#"{"a":1,"b":{"c":"x"}}}"#), ErrorCode::InvalidJson);
        assert_eq!(code(&[b'{'; 65]), ErrorCode::BodyTooLarge);
        let err = parse_body::<Probe>(br#"{"a":1,"b":{"c":5}}"#, 64, "body").unwrap_err();
        assert_eq!(err.code, ErrorCode::UnexpectedShape);
        assert_eq!(err.field.as_deref(), Some("b.c"));
        assert_eq!(
            code(br#"{"a":1,"a":2,"b":{"c":""}}"#),
            ErrorCode::UnexpectedShape
        );
        assert!(parse_body::<Probe>(br#" {"a":1,"b":{"c":"x"}} "#, 64, "body").is_ok());
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z", "t").unwrap(), 0);
        assert_eq!(
            parse_timestamp("2024-05-13T08:21:45Z", "t").unwrap(),
            1_715_588_505
        );
        assert_eq!(
            parse_timestamp("2022-01-11T01:39:18.773Z", "t").unwrap(),
            1_641_865_158
        );
        assert_eq!(
            parse_timestamp("2024-05-13T15:21:45+07:00", "t").unwrap(),
            1_715_588_505
        );
        for bad in [
            "",
            "2024-05-13",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-13T08:21:45",
            "2024-05-13T08:21:45.Z",
            "２０２４-05-13T08:21:45Z",
        ] {
            assert!(parse_timestamp(bad, "t").is_err(), "{bad}");
        }
    }

    mod paths {
        use super::super::*;

        use crate::read::{FromJson, Read, Val};

        #[derive(Debug)]
        #[allow(dead_code)]
        struct Item {
            reference: String,
            amount: u64,
        }
        impl FromJson for Item {
            fn from_json(value: &Val<'_>) -> Read<Self> {
                let o = value.object()?;
                o.deny_unknown(&["reference", "amount"])?;
                Ok(Item {
                    reference: o.req("reference")?,
                    amount: o.req("amount")?,
                })
            }
        }
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Data {
            payouts: Vec<Item>,
        }
        impl FromJson for Data {
            fn from_json(value: &Val<'_>) -> Read<Self> {
                Ok(Data {
                    payouts: value.object()?.req("payouts")?,
                })
            }
        }
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Body {
            data: Data,
        }
        impl FromJson for Body {
            fn from_json(value: &Val<'_>) -> Read<Self> {
                Ok(Body {
                    data: value.object()?.req("data")?,
                })
            }
        }

        fn field(body: &str) -> Option<String> {
            parse_body::<Body>(body.as_bytes(), 1 << 20, "body")
                .unwrap_err()
                .field
                .clone()
        }

        #[test]
        fn names_the_field_inside_arrays_and_objects() {
            let wrong_type = r#"{"data":{"payouts":[{"reference":"a","amount":1},{"reference":"b","amount":"2"}]}}"#;
            assert_eq!(field(wrong_type).as_deref(), Some("data.payouts[1].amount"));
            let pretty = "{\n  \"data\": {\n    \"payouts\": [\n      {\"reference\": \"a\", \"amount\": 1},\n      {\"reference\": 7, \"amount\": 2}\n    ]\n  }\n}";
            assert_eq!(field(pretty).as_deref(), Some("data.payouts[1].reference"));
            let strings_with_brackets = r#"{"data":{"payouts":[{"reference":"[{\",","amount":1},{"reference":"}]","amount":-1}]}}"#;
            assert_eq!(
                field(strings_with_brackets).as_deref(),
                Some("data.payouts[1].amount")
            );
        }

        #[test]
        fn names_a_missing_field_itself() {
            let missing =
                r#"{"data":{"payouts":[{"reference":"a","amount":1},{"reference":"b"} ]}}"#;
            assert_eq!(field(missing).as_deref(), Some("data.payouts[1].amount"));
            assert_eq!(field(r#"{"data":{}}"#).as_deref(), Some("data.payouts"));
            assert_eq!(field("{}").as_deref(), Some("data"));
        }

        #[test]
        fn names_an_unknown_field_and_decodes_escaped_keys() {
            let unknown = r#"{"data":{"payouts":[{"reference":"a","amount":1,"extra":0}]}}"#;
            assert_eq!(field(unknown).as_deref(), Some("data.payouts[0].extra"));
            let escaped = r#"{"d\u0061ta":{"payouts":[{"reference":"a","amount":true}]}}"#;
            assert_eq!(field(escaped).as_deref(), Some("data.payouts[0].amount"));
        }

        #[test]
        fn argument_paths_start_with_the_argument_name() {
            let err =
                parse_argument::<Vec<Item>>(br#"[{"reference":"a","amount":1.5}]"#, "payouts")
                    .unwrap_err();
            assert_eq!(err.field.as_deref(), Some("payouts[0].amount"));
            assert!(!err.message.contains("at line"), "{}", err.message);
            let err = parse_argument::<Data>(br#"{"payouts":{}}"#, "data").unwrap_err();
            assert_eq!(err.field.as_deref(), Some("data.payouts"));
        }
    }
}

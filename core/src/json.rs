//! Reading provider bytes: size limit, empty and HTML bodies, JSON errors with the field path.

use crate::error::{Error, ErrorCode, Result};
use serde::Deserialize;

/// Default maximum body size kirim will parse: 1 MiB. Provider bodies are a few KB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// Parses a JSON body into `T` (which may borrow from `body`), classifying every failure with a
/// stable code.
///
/// Every JSON document kirim reads goes through this one deserializer (`serde_json` over a byte
/// slice), so each type's `Deserialize` is compiled once: that keeps the `.wasm` small. The
/// field path of a failure is recovered afterwards from the error's position (`error_path`), at no
/// cost on success.
pub fn parse_body<'de, T: Deserialize<'de>>(
    body: &'de [u8],
    max_bytes: usize,
    what: &str,
) -> Result<T> {
    check_body(body, max_bytes, what)?;
    serde_json::from_slice(body).map_err(|e| classify(e, body, what))
}

/// Parses one argument of the operation interface (JSON text the host wrote) with the same
/// deserializer as `parse_body`. A failure is `unexpected_shape` naming `name` and the path in it.
pub fn parse_argument<T: serde::de::DeserializeOwned>(text: &[u8], name: &str) -> Result<T> {
    serde_json::from_slice(text).map_err(|e| {
        let path = error_path(&e, text);
        let field = if path.is_empty() {
            name.to_owned()
        } else if path.starts_with('[') {
            format!("{name}{path}")
        } else {
            format!("{name}.{path}")
        };
        let message = e.to_string();
        // The position is inside the argument's own text, which the host did not write by hand.
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(head, _)| head);
        Error::field(
            ErrorCode::UnexpectedShape,
            field.clone(),
            format!(
                "argument {field}: {}",
                crate::error::sanitize_provider_text(message)
            ),
        )
    })
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

fn missing_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split_once('`').map(|(name, _)| name)
}

fn first_non_whitespace(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

fn classify(error: serde_json::Error, body: &[u8], what: &str) -> Error {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let path = error_path(&error, body);
            let field = if path.is_empty() { None } else { Some(path) };
            let mut err = Error::new(
                ErrorCode::UnexpectedShape,
                format!(
                    "{what} has an unexpected shape at {}: {}",
                    field.as_deref().unwrap_or("the top level"),
                    crate::error::sanitize_provider_text(&error.to_string())
                ),
            );
            err.field = field;
            err
        }
        Category::Eof => Error::new(
            ErrorCode::InvalidJson,
            format!("{what} is truncated JSON (ends early)"),
        ),
        Category::Syntax | Category::Io => Error::new(
            ErrorCode::InvalidJson,
            format!(
                "{what} is not valid JSON: {}",
                crate::error::sanitize_provider_text(&error.to_string())
            ),
        ),
    }
}

/// The field path (`data.payouts[1].amount`) of a data error, from the position serde_json
/// reports; a missing field is named itself (serde reports it at its parent object).
fn error_path(error: &serde_json::Error, text: &[u8]) -> String {
    let missing = missing_field_name(&error.to_string()).map(str::to_owned);
    let mut offset = byte_offset(text, error.line(), error.column());
    if missing.is_some() {
        // serde_json reports a missing field just after the object's closing brace: step back
        // inside the object.
        let before = text.get(..offset).unwrap_or(text);
        if let Some(brace) = before.iter().rposition(|b| !b.is_ascii_whitespace()) {
            if before.get(brace) == Some(&b'}') {
                offset = brace;
            }
        }
    }
    let mut frames = open_frames(text, offset);
    if let Some(missing) = missing {
        match frames.last_mut() {
            Some(Frame::Object(key)) => *key = Some(missing),
            _ => frames.push(Frame::Object(Some(missing))),
        }
    }
    let mut path = String::new();
    for frame in frames {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key);
            }
            Frame::Object(None) => {}
            Frame::Array(index) => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

/// The byte offset of serde_json's (1-based line, 0-based column in bytes) position.
fn byte_offset(text: &[u8], line: usize, column: usize) -> usize {
    let mut line_start = 0;
    let mut newlines = 1;
    for (i, b) in text.iter().enumerate() {
        if newlines >= line {
            break;
        }
        if *b == b'\n' {
            newlines += 1;
            line_start = i + 1;
        }
    }
    line_start.saturating_add(column).min(text.len())
}

/// A container open at some point of a JSON text: an object with the key being read, or an
/// array with the index of the element being read.
enum Frame {
    Object(Option<String>),
    Array(usize),
}

/// The containers open at `offset` of a JSON text the parser has already read up to there (so
/// it is well-formed up to `offset`; anything else only shortens the path).
fn open_frames(text: &[u8], offset: usize) -> Vec<Frame> {
    let text = text.get(..offset).unwrap_or(text);
    let mut frames = Vec::new();
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        i += 1;
        match b {
            b'{' => frames.push(Frame::Object(None)),
            b'[' => frames.push(Frame::Array(0)),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object(key)) => *key = None,
                Some(Frame::Array(index)) => *index += 1,
                None => {}
            },
            b'"' => {
                let start = i;
                while let Some(&c) = text.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
                // A string where a key is expected is the key.
                if let Some(Frame::Object(key @ None)) = frames.last_mut() {
                    let raw = text.get(start..i.saturating_sub(1)).unwrap_or_default();
                    *key = Some(decode_key(raw));
                }
            }
            _ => {}
        }
    }
    frames
}

/// A key's text without its JSON escapes (keys with escapes are rare; they are decoded with the
/// same string deserializer every other field uses).
fn decode_key(raw: &[u8]) -> String {
    if !raw.contains(&b'\\') {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

/// Whether a JSON text holds a number with a fraction or an exponent (outside strings): such a
/// number has been through a float in the host's JSON encoder.
pub(crate) fn has_fractional_number(text: &[u8]) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    let mut previous = b' ';
    for &b in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'.' || (matches!(b, b'e' | b'E') && previous.is_ascii_digit()) {
            return true;
        }
        previous = b;
    }
    false
}

/// Parses an ISO 8601 / RFC 3339 timestamp (`2024-05-13T08:21:45Z`, optional fraction, `Z` or
/// `±HH:MM`) into Unix seconds. Hand-written because it is 40 lines and a date crate would add
/// more to the wasm build than the whole status model.
pub fn parse_timestamp<F: std::fmt::Display + ?Sized>(text: &str, field: &F) -> Result<i64> {
    let bad = || {
        Error::field(
            ErrorCode::InvalidTimestamp,
            field.to_string(),
            format!(
                "{field} {:?} is not an ISO 8601 timestamp like 2024-05-13T08:21:45Z",
                crate::error::sanitize_provider_text(text)
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

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Probe {
        a: u32,
        b: Inner,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        c: String,
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

        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Item {
            reference: String,
            amount: u64,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Data {
            payouts: Vec<Item>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            data: Data,
        }

        fn field(body: &str) -> Option<String> {
            parse_body::<Body>(body.as_bytes(), 1 << 20, "body")
                .unwrap_err()
                .field
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

        #[test]
        fn fractional_numbers_are_found_outside_strings_only() {
            assert!(has_fractional_number(br#"{"a":1.5}"#));
            assert!(has_fractional_number(br#"{"a":1e3}"#));
            assert!(!has_fractional_number(
                br#"{"a":"1.5","b":true,"c":false,"d":10}"#
            ));
            assert!(!has_fractional_number(br#"{"a":"x\"1.5"}"#));
        }
    }
}

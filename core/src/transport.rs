//! What a driver's HTTP transport is given, declared once for every binding's driver (Python's
//! `Driver`, JavaScript's `PayoutDriver`, Kotlin's `PayoutDriver`): each request's timeout and
//! the cap on a response body, their defaults and their bounds, and the check of what a host
//! gives ([`transport_options`], operation `http.transport_options`). A driver takes its
//! defaults from here and hands every value its host gives to the check, converted to these
//! units and nothing more, so the languages cannot disagree.

use crate::error::{Error, ErrorCode, Result, quoted};
use crate::read::Json;
use crate::write::ToJson;
use serde::Serialize;

/// Each request's timeout when the host gives none: 60 s (Pivot itself answers 408 after 60 s;
/// kept below the lifecycle's `request_timeout_seconds`, 120 s by default, so an answer the
/// transport still waits for is never one the machine already took as lost).
pub const DEFAULT_TIMEOUT_MS: i64 = 60_000;

/// The longest timeout: a day. Also far below 2^31 - 1 ms (24.8 days), the longest delay a
/// JavaScript timer holds: Node fires a longer `setTimeout` at once, which aborted every request
/// as a timeout.
pub const MAX_TIMEOUT_MS: i64 = 86_400_000;
// Every timeout accepted is one a JavaScript timer holds.
const _: () = assert!(MAX_TIMEOUT_MS < (1 << 31) - 1);

/// The cap on a response body when the host gives none: 16 MiB. The core refuses bodies above
/// its `max_body_bytes` (1 MiB by default), so nothing useful is ever near it; the cap is what
/// keeps a broken or hostile endpoint from running the process out of memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: i64 = 16 * 1024 * 1024;

/// The largest cap: 2^53 - 1 bytes, the largest integer a JavaScript number holds exactly (8 PiB:
/// no cap any process reaches, so nothing a host needs is refused).
pub const MAX_RESPONSE_BYTES_LIMIT: i64 = (1 << 53) - 1;

/// A driver's transport options, checked (Kotlin/Swift: the record `TransportOptions`).
#[kirim_derive::export(uniffi = Record)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToJson)]
pub struct TransportOptions {
    /// Each request's time limit (the whole exchange), in milliseconds: from 1 to
    /// [`MAX_TIMEOUT_MS`].
    pub timeout_ms: i64,
    /// The largest response body read, in bytes: from 1 to [`MAX_RESPONSE_BYTES_LIMIT`]; a
    /// larger answer is a `connection_error` (an unknown outcome), never read whole.
    pub max_response_bytes: i64,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// One option as a host gave it.
#[derive(Debug, Clone, Copy)]
pub enum Given<'a> {
    /// Left out (or `null`): the default.
    Absent,
    /// A number, as its decimal text (JSON's number grammar: `60000`, `1.5`, `1e3`), read
    /// exactly: a binding hands over what its host gave (a float of seconds as the decimal it
    /// prints, times 1000; a `Duration`'s exact milliseconds) and the core judges it.
    Number(&'a str),
    /// Text where a number belongs (`"30000"`, `"NaN"`): refused, quoted.
    Text(&'a str),
    /// Anything else, refused, named by its kind (`true`, `an array`).
    Other(&'static str),
}

impl<'a> Given<'a> {
    /// An operation argument: absent or `null` is absent; a JSON number is read by its text.
    fn of(value: Option<&'a Json<'a>>) -> Given<'a> {
        match value {
            None | Some(Json::Null) => Given::Absent,
            Some(Json::Number(text)) => Given::Number(text),
            Some(Json::String(text)) => Given::Text(text),
            Some(Json::Bool(true)) => Given::Other("true"),
            Some(Json::Bool(false)) => Given::Other("false"),
            Some(Json::Array(..)) => Given::Other("an array"),
            Some(Json::Object(..)) => Given::Other("an object"),
        }
    }

    /// An option a binding passes typed: `None` is absent, else a number's decimal text.
    pub fn number(text: Option<&'a str>) -> Given<'a> {
        text.map_or(Given::Absent, Given::Number)
    }
}

/// One option's rule: a whole number of `unit` from 1 to `max`, `default` when left out.
struct Rule {
    field: &'static str,
    /// What it is, and its name in each language.
    what: &'static str,
    unit: &'static str,
    /// The unit after a number shown.
    short: &'static str,
    default: i64,
    max: i64,
    /// Said after the range: what the bound is, and the advice.
    about: &'static str,
}

const TIMEOUT: Rule = Rule {
    field: "timeout_ms",
    what: "the driver's request timeout: timeout_seconds in Python, timeoutMs in JavaScript, \
           timeout in Kotlin",
    unit: "milliseconds",
    short: "ms",
    default: DEFAULT_TIMEOUT_MS,
    max: MAX_TIMEOUT_MS,
    about: "(a day); keep it below the lifecycle's request_timeout_seconds (default 120 s)",
};

const RESPONSE_CAP: Rule = Rule {
    field: "max_response_bytes",
    what: "the largest response body read: max_response_bytes in Python, maxResponseBytes in \
           JavaScript and Kotlin",
    unit: "bytes",
    short: "bytes",
    default: DEFAULT_MAX_RESPONSE_BYTES,
    max: MAX_RESPONSE_BYTES_LIMIT,
    about: "(2^53 - 1); the default, 16777216 (16 MiB), is far above any answer the core reads",
};

/// The options a host gave, checked, with the defaults for those it left out. Each number is
/// read exactly from its text (never through a float): a timeout that is not a whole number of
/// milliseconds, or a cap that is not a whole number of bytes, is refused, not rounded.
///
/// Refused with `invalid_field` (field `timeout_ms` or `max_response_bytes`; the message names
/// the option in each language and the accepted range): zero or less (every request would be a
/// timeout, every answer too large), above the bound, a fraction, or no number at all (`NaN`, a
/// string from an environment variable).
pub fn transport_options(timeout_ms: Given, max_response_bytes: Given) -> Result<TransportOptions> {
    Ok(TransportOptions {
        timeout_ms: whole(timeout_ms, &TIMEOUT)?,
        max_response_bytes: whole(max_response_bytes, &RESPONSE_CAP)?,
    })
}

/// `given` by `rule`.
fn whole(given: Given, rule: &Rule) -> Result<i64> {
    let shown = match given {
        Given::Absent => return Ok(rule.default),
        Given::Number(text) => {
            // Exactly, by the money reader's integer arithmetic (no float): a fraction, or a
            // value beyond i64, is an error there, refused here all the same.
            match crate::money::parse_number_minor(text, 0, rule.field) {
                Ok(value) if (1..=rule.max).contains(&value) => return Ok(value),
                // A number's text is shown as it is; anything else (the typed path takes any
                // text) quoted, so it cannot break the message.
                _ if !text.is_empty()
                    && text.len() <= 40
                    && text.bytes().all(|b| b"0123456789.eE+-".contains(&b)) =>
                {
                    format!("{text} {}", rule.short)
                }
                _ => quoted(text),
            }
        }
        Given::Text(text) => quoted(text),
        Given::Other(kind) => kind.to_owned(),
    };
    let Rule {
        field,
        what,
        unit,
        max,
        about,
        ..
    } = rule;
    Err(Error::field(
        ErrorCode::InvalidField,
        *field,
        format!(
            "{field} ({what}) is {shown}: it must be a whole number of {unit} from 1 to {max} \
             {about}"
        ),
    ))
}

/// The operation `http.transport_options`: `timeout_ms` and `max_response_bytes`, each a JSON
/// number or left out (`null`: the default).
pub(crate) fn run(input: &crate::operations::Input) -> Result<String> {
    crate::operations::output(&transport_options(
        Given::of(input.arg("timeout_ms")),
        Given::of(input.arg("max_response_bytes")),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(timeout: Option<&str>, cap: Option<&str>) -> Result<TransportOptions> {
        transport_options(Given::number(timeout), Given::number(cap))
    }

    fn refused(result: Result<TransportOptions>, field: &str, shown: &str) {
        let err = result.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidField, "{err:?}");
        assert_eq!(err.field.as_deref(), Some(field), "{err:?}");
        assert!(
            err.message.contains(shown),
            "{shown:?} not in {}",
            err.message
        );
    }

    #[test]
    fn the_defaults_are_a_minute_and_16_mib() {
        let defaults = check(None, None).unwrap();
        assert_eq!(defaults.timeout_ms, 60_000);
        assert_eq!(defaults.max_response_bytes, 16 * 1024 * 1024);
        assert_eq!(defaults, TransportOptions::default());
        // Below the lifecycle's own request timeout: the transport gives up first.
        let gateway =
            crate::providers::gateway::Gateway::new(crate::providers::gateway::GatewayConfig::new(
                "https://payment.example",
                "PF0002",
                crate::Secret::new("key"),
            ))
            .unwrap();
        let machine = crate::lifecycle::LifecycleSettings::defaults(&gateway);
        assert!(DEFAULT_TIMEOUT_MS < machine.request_timeout_seconds * 1000);
    }

    #[test]
    fn the_bounds_are_accepted_and_a_step_beyond_refused() {
        let ok = check(Some("1"), Some("1")).unwrap();
        assert_eq!((ok.timeout_ms, ok.max_response_bytes), (1, 1));
        let ok = check(Some("86400000"), Some("9007199254740991")).unwrap();
        assert_eq!(
            (ok.timeout_ms, ok.max_response_bytes),
            (86_400_000, 9_007_199_254_740_991)
        );
        refused(
            check(Some("86400001"), None),
            "timeout_ms",
            "is 86400001 ms:",
        );
        refused(check(Some("2147483648"), None), "timeout_ms", "a day");
        refused(check(Some("0"), None), "timeout_ms", "from 1 to 86400000");
        refused(
            check(None, Some("9007199254740992")),
            "max_response_bytes",
            "is 9007199254740992 bytes:",
        );
        refused(
            check(None, Some("0")),
            "max_response_bytes",
            "maxResponseBytes",
        );
    }

    #[test]
    fn a_number_is_read_exactly_from_its_text() {
        // The forms a host's encoder writes: a fraction of zeros, an exponent.
        assert_eq!(check(Some("100.0"), None).unwrap().timeout_ms, 100);
        assert_eq!(check(Some("1e3"), None).unwrap().timeout_ms, 1000);
        assert_eq!(check(Some("1.5E3"), None).unwrap().timeout_ms, 1500);
        // A fraction of a millisecond or a byte is refused, never rounded.
        refused(check(Some("1.5"), None), "timeout_ms", "is 1.5 ms:");
        refused(check(Some("0.1"), None), "timeout_ms", "whole number");
        refused(check(Some("5e-7"), None), "timeout_ms", "timeout_seconds");
        refused(check(None, Some("1000.5")), "max_response_bytes", "1000.5");
        // Negative, huge, absurd exponents, and text that is no number: refused, no panic.
        for text in [
            "-1",
            "-0",
            "1e400",
            "1e-400",
            "99999999999999999999999",
            "",
            "-",
            "1.",
            "x",
        ] {
            refused(check(Some(text), None), "timeout_ms", "timeoutMs");
            refused(check(None, Some(text)), "max_response_bytes", "bytes");
        }
    }

    #[test]
    fn the_operation_refuses_what_is_no_number_and_takes_null_as_left_out() {
        use crate::operations::run_json;
        assert_eq!(
            run_json("http.transport_options", "{}").unwrap(),
            r#"{"timeout_ms":60000,"max_response_bytes":16777216}"#
        );
        assert_eq!(
            run_json(
                "http.transport_options",
                r#"{"timeout_ms":null,"max_response_bytes":1000}"#
            )
            .unwrap(),
            r#"{"timeout_ms":60000,"max_response_bytes":1000}"#
        );
        for (value, shown) in [
            (r#""30000""#, "is \"30000\":"),
            (r#""NaN""#, "is \"NaN\":"),
            ("true", "is true:"),
            ("[]", "an array"),
            ("{}", "an object"),
        ] {
            let input = format!(r#"{{"timeout_ms":{value}}}"#);
            refused(
                run_json("http.transport_options", &input).map(|_| TransportOptions::default()),
                "timeout_ms",
                shown,
            );
        }
    }
}

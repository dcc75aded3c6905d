//! Helpers every provider shell shares: base-URL checks, transport outcomes, acknowledgements.

use crate::error::{Error, ErrorCode, Result};
use crate::http::{Acknowledgement, Header, HttpOutcome, HttpResponse};
use crate::read::{FromJson, Read, Val};
use crate::write::ToJson;

/// The `data` member of an answer's envelope, read on its own: the envelope's other members are
/// read once, without the data's type, so that the checks around them are compiled once per
/// provider and not once per kind of answer.
pub(crate) struct DataField<T>(pub Option<T>);

impl<T: FromJson> FromJson for DataField<T> {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        value.object()?.opt("data").map(DataField)
    }
}

/// Checks a base URL: https, or plain http only to loopback (the simulator), no trailing
/// path pieces that would garble the endpoint paths, and no userinfo (`user@host`).
pub fn validate_base_url(url: &str, field: &str) -> Result<String> {
    let refused = |message: String| Err(Error::field(ErrorCode::InvalidConfig, field, message));
    let malformed = || {
        refused(format!(
            "{field} must be an https:// URL (a host, then an optional port and path), e.g. \
             https://api.example.com (plain http is allowed only for localhost, 127.0.0.1 and \
             [::1]; no whitespace, '?', '#' or '\\')"
        ))
    };
    let trimmed = url.trim_end_matches('/');
    let (https, rest) = match trimmed.strip_prefix("https://") {
        Some(rest) => (true, rest),
        None => match trimmed.strip_prefix("http://") {
            Some(rest) => (false, rest),
            None => return malformed(),
        },
    };
    // '\' too: a WHATWG parser reads it as '/', an RFC 3986 one as part of the authority, so
    // the two would send to different hosts.
    if rest
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\'))
    {
        return malformed();
    }
    let authority = rest.split('/').next().unwrap_or_default();
    // The host is after the '@', so `http://127.0.0.1:1@evil.example` goes to evil.example; and
    // kirim sends every credential in headers. The URL is not quoted: it may hold a password.
    if authority.contains('@') {
        return refused(format!(
            "{field} must not carry userinfo ('user@' or 'user:password@' before the host): \
             remove everything from '//' up to and including the '@', e.g. \
             https://api.example.com; credentials go in the provider config's own fields"
        ));
    }
    match host_of(authority) {
        Some(host) if https || is_loopback(host) => Ok(trimmed.to_owned()),
        _ => malformed(),
    }
}

/// The host of `host[:port]`: a name or IPv4 address (letters, digits, '-', '.', '_') or a bracketed
/// IPv6 address, then optionally ':' and a port of digits up to 65535. `None` for anything else.
fn host_of(authority: &str) -> Option<&str> {
    let end = if authority.starts_with('[') {
        authority.find(']')?.checked_add(1)?
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, after) = authority.split_at_checked(end)?;
    let valid_host = match host.strip_prefix('[') {
        Some(inside) => {
            let inside = inside.strip_suffix(']')?;
            !inside.is_empty()
                && inside
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        }
    };
    // Digits first: `u16::from_str` would take a leading '+'.
    let valid_port = match after.strip_prefix(':') {
        Some(port) => port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok(),
        None => after.is_empty(),
    };
    (valid_host && valid_port).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]"
}

pub(crate) fn ack(status: u16, body: &str, provider_will_retry: bool) -> Acknowledgement {
    Acknowledgement {
        status,
        headers: vec![Header::new("Content-Type", "application/json")],
        body: body.as_bytes().to_vec(),
        provider_will_retry,
    }
}

/// The JSON acknowledgement Pivot and Paper.id share: 200 `ok` when the callback was verified
/// and read, 401 `rejected` when it was not authentic, 503 `retry` otherwise (authentic but
/// unreadable, or our own missing configuration: never answered as a forgery).
/// `retries_after_503` says whether the provider sends the callback again after that 503.
pub(crate) fn status_json_acknowledgement(
    result: std::result::Result<(), &Error>,
    retries_after_503: bool,
) -> Acknowledgement {
    match result {
        Ok(()) => ack(200, r#"{"status":"ok"}"#, false),
        Err(error) if is_authenticity_error(error.code) => {
            ack(401, r#"{"status":"rejected"}"#, false)
        }
        Err(_) => ack(503, r#"{"status":"retry"}"#, retries_after_503),
    }
}

pub(crate) fn is_authenticity_error(code: ErrorCode) -> bool {
    code.category() == crate::error::ErrorCategory::Authenticity
}

pub(crate) fn response_or_transport<'a>(
    outcome: &'a HttpOutcome,
    what: &str,
) -> Result<&'a HttpResponse> {
    match outcome {
        HttpOutcome::Response(response) => Ok(response),
        HttpOutcome::TransportFailure(kind) => Err(Error::new(
            ErrorCode::Transport,
            format!(
                "{what}: no response ({kind:?}). {}",
                ErrorCode::Transport.fix()
            ),
        )),
    }
}

/// The one rule every provider applies to an answer that is not a success, before it reads any
/// code in the body: an HTTP 5xx or 408 leaves the outcome unknown (a proxy, a load balancer or
/// the provider's own front may answer so after the request went through, with any body, even
/// one whose code reads like a validation error), and a 429 throttled the request. A 3xx is a
/// redirect, not the provider's answer (the drivers never follow one: a token must not go to
/// another host), and says nothing of whether the request was acted on: an answer kirim cannot
/// read, so the outcome is unknown too; and so is a status that is no final HTTP answer (0, which
/// a browser's `fetch` gives for a redirect it hides; 1xx; 600 and above), which says nothing of
/// the request either. `None`: the status alone decides nothing, read the body.
pub(crate) fn status_decides(http_status: u16) -> Option<ErrorCode> {
    match http_status {
        0..=199 | 300..=399 | 600.. => Some(ErrorCode::MalformedResponse),
        408 | 500..=599 => Some(ErrorCode::ProviderUnavailable),
        429 => Some(ErrorCode::RateLimited),
        _ => None,
    }
}

/// The error codes of a state-changing call whose outcome is unknown, for every provider: no
/// answer, an unavailable provider (5xx, 408, `service_unavailable`), or an answer that could
/// not be read or lacks what success must carry. The payout may exist: never create it again
/// under a new key.
pub(crate) fn outcome_unknown(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Transport
            | ErrorCode::ProviderUnavailable
            | ErrorCode::BodyEmpty
            | ErrorCode::NonJsonBody
            | ErrorCode::InvalidJson
            | ErrorCode::UnexpectedShape
            | ErrorCode::BodyTooLarge
            | ErrorCode::MalformedResponse
    )
}

/// A callback or notification handled in one call (`Pivot::handle_callback`,
/// `Gateway::handle_notification`, `PaperId::handle_callback`): what verifying it gave (the
/// events or the error) and, either way, the acknowledgement to send back. The one place the
/// verify-then-acknowledge step is written, so that no binding repeats it.
#[derive(Debug, Clone)]
pub struct Handled<T> {
    pub result: Result<T>,
    pub acknowledgement: Acknowledgement,
}

impl<T> Handled<T> {
    /// Verifies with `verify`, then asks `acknowledge` for the answer to that result.
    pub(crate) fn run(
        verify: impl FnOnce() -> Result<T>,
        acknowledge: impl FnOnce(std::result::Result<(), &Error>) -> Acknowledgement,
    ) -> Self {
        let result = verify();
        let acknowledgement = acknowledge(result.as_ref().map(|_| ()));
        Handled {
            result,
            acknowledgement,
        }
    }
}

/// The output of a single-event `handle_*` operation (gateway notifications, Paper.id
/// callbacks): the verified event or the error, and the answer to send either way.
#[derive(Debug, serde::Serialize, ToJson)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NotificationHandling"))]
pub struct HandledEvent<'a> {
    pub event: Option<&'a crate::event::PayoutEvent>,
    pub error: Option<&'a Error>,
    pub acknowledgement: &'a Acknowledgement,
}

pub(crate) fn handled_event(handled: &Handled<crate::event::PayoutEvent>) -> Result<String> {
    crate::operations::output(&HandledEvent {
        event: handled.result.as_ref().ok(),
        error: handled.result.as_ref().err(),
        acknowledgement: &handled.acknowledgement,
    })
}

// ---- test callbacks -------------------------------------------------------------------------

/// Where a generated test callback is addressed when the caller names no URL. The request is
/// data: nothing is sent, so the address only matters to a test that routes it.
pub const DEFAULT_TEST_CALLBACK_URL: &str = "http://localhost/callback";

/// What a generated test callback reports (`Pivot::test_callback`, `Pivot::test_bulk_callback`,
/// `Gateway::test_notification`, `PaperId::test_callback`), in kirim's words; each provider
/// writes it in its own. Verifying the generated callback reads back this event.
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, module = "kirim"))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, FromJson, ToJson)]
#[json(deny_unknown_fields)]
pub struct TestCallbackEvent {
    /// The payout's status. Each provider can say only some: the others are `invalid_field`.
    pub status: crate::status::PayoutStatus,
    /// The payout's amount (IDR). In JSON also a decimal string of rupiah (`"100000"`).
    #[cfg_attr(feature = "ts", ts(type = "Money | string"))]
    pub amount: crate::money::Money,
    /// The provider's id of the payout: Pivot's request `uuid`, the gateway's `payout_id`,
    /// Paper.id's `disbursement_id`.
    pub payout_id: String,
    /// Your reference: Pivot's `referenceId`, the gateway's `payout_cl_id` (both required);
    /// Paper.id's payout callback carries none (must be absent).
    #[export(optional)]
    pub reference_id: Option<String>,
    /// Why a failed or cancelled payout failed, in the provider's words: Pivot's `reason`, the
    /// gateway's `error_msg`, Paper.id's `status_failure_code`. Only with a failed or cancelled
    /// status.
    #[export(optional)]
    pub failure_reason: Option<String>,
}

/// `invalid_field` naming `field`.
#[cfg(feature = "testkit")]
pub(crate) fn invalid_test_field(field: impl Into<String>, message: impl Into<String>) -> Error {
    Error::field(ErrorCode::InvalidField, field, message)
}

#[cfg(feature = "testkit")]
impl TestCallbackEvent {
    /// The checks every provider shares: ids and the failure reason are what a verifier reads
    /// back unchanged (no control characters, at most 256 bytes, the reason trimmed), the
    /// amount is positive, and a reason comes only with a failed or cancelled status.
    pub(crate) fn check(&self, failure_statuses: &[crate::status::PayoutStatus]) -> Result<()> {
        check_test_id(&self.payout_id, "payout_id")?;
        if let Some(reference) = &self.reference_id {
            check_test_id(reference, "reference_id")?;
        }
        if !self.amount.is_positive() {
            return Err(Error::field(
                ErrorCode::AmountOutOfRange,
                "amount",
                "a payout amount must be positive",
            ));
        }
        if let Some(reason) = &self.failure_reason {
            check_test_id(reason, "failure_reason")?;
            if reason.trim() != reason {
                return Err(invalid_test_field(
                    "failure_reason",
                    "failure_reason must not start or end with whitespace (the reader trims it)",
                ));
            }
            if !failure_statuses.contains(&self.status) {
                return Err(invalid_test_field(
                    "failure_reason",
                    "failure_reason is only sent with a failed or cancelled status",
                ));
            }
        }
        Ok(())
    }
}

/// An id or text the provider's reader takes as it is: not empty, at most 256 bytes, no
/// control or invisible format character.
#[cfg(feature = "testkit")]
pub(crate) fn check_test_id(value: &str, field: &str) -> Result<()> {
    if crate::validate::is_safe_id(value) {
        Ok(())
    } else {
        Err(invalid_test_field(
            field,
            format!("{field} is empty, longer than 256 bytes or contains control characters"),
        ))
    }
}

/// The URL a test callback is addressed to: `http://` or `https://` and no whitespace or
/// control character (it is only data; nothing is sent).
#[cfg(feature = "testkit")]
pub(crate) fn check_test_url(url: &str) -> Result<()> {
    let scheme = url.starts_with("https://") || url.starts_with("http://");
    if scheme && url.len() <= 2048 && url.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(invalid_test_field(
            "url",
            "url must be an http:// or https:// URL of visible ASCII, at most 2048 bytes",
        ))
    }
}

/// A key sent as a header value: visible ASCII and inner spaces (HTTP trims the ends and
/// forbids control characters), not empty.
#[cfg(feature = "testkit")]
pub(crate) fn check_test_header_key(key: &crate::secret::Secret, field: &str) -> Result<()> {
    let value = key.expose_secret();
    let visible = value.bytes().all(|b| (0x20..0x7f).contains(&b));
    if !value.is_empty() && visible && value.trim() == value {
        Ok(())
    } else {
        Err(invalid_test_field(
            field,
            format!(
                "{field} must be non-empty visible ASCII without leading or trailing spaces (it is sent as a header value)"
            ),
        ))
    }
}

/// The `url` argument of a test-callback operation (absent: `DEFAULT_TEST_CALLBACK_URL`).
#[cfg(feature = "testkit")]
pub(crate) fn test_url(input: &crate::operations::Input) -> Result<String> {
    input.get_or("url", DEFAULT_TEST_CALLBACK_URL.to_owned())
}

/// A JSON `POST` of `body` to `url` with `headers`.
#[cfg(feature = "testkit")]
pub(crate) fn test_post(url: &str, headers: Vec<Header>, body: String) -> crate::http::HttpRequest {
    crate::http::HttpRequest {
        method: crate::http::Method::Post,
        url: url.to_owned(),
        headers,
        body: body.into_bytes(),
    }
}

/// `first` followed by `second`, in one allocation (a URL, an `Authorization` value): cheaper
/// than `format!` on every request, and smaller than `concat` in the .wasm.
pub(crate) fn joined(first: &str, second: &str) -> String {
    let mut out = String::with_capacity(first.len() + second.len());
    out.push_str(first);
    out.push_str(second);
    out
}

/// Whether a secret cannot travel as a header value exactly as configured: a control character
/// (no header value can carry one), a character outside ASCII (HTTP header values are ASCII:
/// Java's HttpClient refuses any above U+00FF, quoting the value, the secret, in its exception;
/// others send Latin-1 or UTF-8 bytes, another secret), or surrounding whitespace (HTTP strips
/// it, so the value would not arrive as given).
pub(crate) fn unsendable_as_header(secret: &crate::secret::Secret) -> bool {
    let text = secret.expose_secret();
    text.chars().any(|c| c.is_control() || !c.is_ascii()) || text.trim() != text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        validate_base_url(url, "base_url").is_err_and(|e| {
            e.code == ErrorCode::InvalidConfig && e.field.as_deref() == Some("base_url")
        })
    }

    #[test]
    fn userinfo_is_refused_and_never_passes_for_loopback() {
        // Text before the last ':' looked like a loopback host, but the host is after the '@':
        // the credentials would go in clear to evil.example.
        for url in [
            "http://127.0.0.1:1@evil.example",
            "http://localhost:80@evil.example/",
            "http://[::1]:80@evil.example",
            "http://localhost@evil.example",
            "http://user:pass@127.0.0.1:8080",
            "https://user@api.pivot-payment.com",
            "https://user:pass@payment.example/",
            "https://api.pivot-payment.com@evil.example",
            // A WHATWG parser reads '\' as '/', an RFC 3986 one as part of the userinfo.
            "http://127.0.0.1\\@evil.example",
            "https://api.pivot-payment.com\\@evil.example",
        ] {
            assert!(refused(url), "{url}");
        }
        let error = validate_base_url("https://u@api.pivot-payment.com", "base_url").unwrap_err();
        let message = &error.message;
        assert!(
            message.contains("base_url") && message.contains('@'),
            "{message}"
        );
    }

    #[test]
    fn the_host_is_parsed_before_any_port() {
        for url in [
            "http://127.0.0.1",
            "http://127.0.0.1:8123",
            "http://127.0.0.1:8123/pivot",
            "http://localhost/",
            "http://localhost:9/x",
            "http://[::1]:80/",
            "http://[::1]",
            "https://api.pivot-payment.com/",
            "https://payment.example",
            "https://payment.example:8443/base",
            "https://[2001:db8::1]:443",
        ] {
            assert!(validate_base_url(url, "base_url").is_ok(), "{url}");
        }
        for url in [
            "http://example.com",
            "http://127.0.0.1.nip.io/",
            "http://127.0.0.1:80:90",
            "http://127.0.0.1:x",
            "http://127.0.0.1:",
            "http://[::1]x",
            "http://[::1",
            "http://:80",
            "http://10.0.0.1",
            "https://",
            "https://:443",
            "https://host:port",
            "https://a b",
            "ftp://x",
        ] {
            assert!(refused(url), "{url}");
        }
    }
}

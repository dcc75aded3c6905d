//! Helpers every provider shell shares: base-URL checks, transport outcomes, acknowledgements.

use crate::error::{Error, ErrorCode, Result};
use crate::http::{Acknowledgement, Header, HttpOutcome, HttpResponse};
use crate::read::{FromJson, Read, Val};

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
/// path pieces that would garble the endpoint paths.
pub fn validate_base_url(url: &str, field: &str) -> Result<String> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://").filter(|r| is_loopback(r)));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#') =>
        {
            Ok(trimmed.to_owned())
        }
        _ => Err(Error::field(
            ErrorCode::InvalidConfig,
            field,
            format!(
                "{field} must be an https:// URL (plain http is allowed only for localhost and 127.0.0.1)"
            ),
        )),
    }
}

fn is_loopback(host_and_path: &str) -> bool {
    let host = host_and_path.split('/').next().unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

pub(crate) fn ack(status: u16, body: &str, provider_will_retry: bool) -> Acknowledgement {
    Acknowledgement {
        status,
        headers: vec![Header::new("Content-Type", "application/json")],
        body: body.as_bytes().to_vec(),
        provider_will_retry,
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
/// one whose code reads like a validation error), and a 429 throttled the request. `None`: the
/// status alone decides nothing, read the body.
pub(crate) fn status_decides(http_status: u16) -> Option<ErrorCode> {
    match http_status {
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

/// A callback (or notification) verified, then answered, in one step: what it says or why it was
/// refused, and the exact response to send back in both cases. What every `handle_*` returns
/// (the providers' `handle_callback` / `handle_notification`, their JSON operations and every
/// binding's), so the verify-then-acknowledge rule lives here once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled<T> {
    /// The verified content, or why the callback was refused.
    pub result: Result<T>,
    /// The response to send back, chosen from `result` by the provider's rules.
    pub acknowledgement: Acknowledgement,
}

impl<T> Handled<T> {
    /// Verifies with `verify`, then builds the answer from its outcome with `acknowledge`.
    pub fn new(
        result: Result<T>,
        acknowledge: impl FnOnce(std::result::Result<(), &Error>) -> Acknowledgement,
    ) -> Self {
        let acknowledgement = acknowledge(result.as_ref().map(|_| ()));
        Handled {
            result,
            acknowledgement,
        }
    }
}

/// The output of a single-event `handle_*` operation (gateway notifications, Paper.id
/// callbacks): the verified event or the error, and the answer to send either way.
#[derive(serde::Serialize)]
struct HandledEvent<'a> {
    event: Option<&'a crate::event::PayoutEvent>,
    error: Option<&'a Error>,
    acknowledgement: &'a Acknowledgement,
}
crate::write::object_to_json!(HandledEvent<'a> {
    "event": event,
    "error": error,
    "acknowledgement": acknowledgement,
});

pub(crate) fn handled_event(handled: &Handled<crate::event::PayoutEvent>) -> Result<String> {
    crate::operations::output(&HandledEvent {
        event: handled.result.as_ref().ok(),
        error: handled.result.as_ref().err(),
        acknowledgement: &handled.acknowledgement,
    })
}

//! Pivot's vocabularies mapped onto kirim's model (spec §1.8, §1.11, decisions G3, G5).

use crate::error::{Error, ErrorCode, ProviderDetail, sanitize_provider_text};
use crate::providers::common::status_decides;
use crate::read::FromJson;
use crate::status::{
    Failure, FailureReason, NextAction, PayoutStatus, ReconciliationReason, RetryAdvice,
};
use crate::write::ToJson;
use serde::{Deserialize, Serialize};

/// Request-level status of a Pivot payout request.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// `IN PROGRESS`
    InProgress,
    /// `DONE`: every item reached a final state; read the items.
    Done,
    /// `PENDING`: waiting, e.g. for a balance top-up.
    Pending,
    /// A value kirim does not know; kept raw beside it.
    Unknown,
}

pub fn batch_status(raw: &str) -> BatchStatus {
    match raw {
        "IN PROGRESS" | "IN_PROGRESS" => BatchStatus::InProgress,
        "DONE" => BatchStatus::Done,
        "PENDING" => BatchStatus::Pending,
        _ => BatchStatus::Unknown,
    }
}

/// Item status (G5). `APPROVED` (or `PENDING`) under a `PENDING` request means "waiting for
/// top-up" (the state table of spec §1.8): Pending. Without the request status (the single
/// retrieve and single callbacks carry none) the same item reads Processing: only the whole
/// request's answer, or the `PAYOUT.PENDING` event (read as a `PENDING` request), shows the hold.
pub fn item_status(raw: &str, batch: Option<BatchStatus>) -> PayoutStatus {
    match raw {
        "APPROVED" | "PENDING" if batch == Some(BatchStatus::Pending) => PayoutStatus::Pending,
        "APPROVED" | "PENDING" | "PROCESSING" | "IN PROGRESS" => PayoutStatus::Processing,
        "DELAYED" => PayoutStatus::Delayed,
        "SUCCESS" => PayoutStatus::Succeeded,
        "FAILED" | "REJECTED" => PayoutStatus::Failed,
        "CANCELLED" => PayoutStatus::Cancelled,
        _ => PayoutStatus::Unknown,
    }
}

/// A callback event name, `PAYOUT.` stripped, case-sensitive (G5).
pub fn event_status(event: &str) -> PayoutStatus {
    let name = event.strip_prefix("PAYOUT.").unwrap_or(event);
    match name {
        // DONE is request-level: the items must be read, so the event alone says Unknown.
        "DONE" => PayoutStatus::Unknown,
        "PENDING" => PayoutStatus::Pending,
        other => item_status(other, None),
    }
}

/// The failure reasons of the state table (spec §1.8). `reason` is free text: matched
/// case-insensitively after trimming; unknown text keeps the provider's words.
pub fn failure(reason_text: Option<&str>) -> Failure {
    let text = reason_text.map(str::trim).filter(|t| !t.is_empty());
    let normalized = text.map(str::to_ascii_lowercase);
    let (reason, retry) = match normalized.as_deref() {
        Some("invalid account") => (FailureReason::InvalidAccount, RetryAdvice::DoNotRetry),
        Some("inactive account") | Some("dormant account") => {
            (FailureReason::InactiveAccount, RetryAdvice::DoNotRetry)
        }
        Some("failed to process by bank network") | Some("unknown bank network error") => (
            FailureReason::BankNetworkError,
            RetryAdvice::RetryAfterDelay {
                min_delay_seconds: 900,
            },
        ),
        Some("feature not allowed at this time") => {
            (FailureReason::NotEligible, RetryAdvice::ContactProvider)
        }
        Some("declined due to beneficiary limit") => {
            (FailureReason::BeneficiaryLimit, RetryAdvice::RetryTomorrow)
        }
        _ => (FailureReason::Other, RetryAdvice::ContactProvider),
    };
    Failure {
        reason,
        retry,
        provider_code: None,
        provider_text: text.map(sanitize_provider_text),
    }
}

/// Classifies an error response: the shared HTTP-status rule first (5xx, 408, 429 decide before
/// any code in the body, `common::status_decides`), then Pivot's code, then the HTTP status.
/// Pivot's code and text are kept either way.
pub fn response_error(
    http_status: u16,
    code: Option<&str>,
    message: Option<&str>,
    details: Vec<ProviderDetail>,
) -> Error {
    let by_code = match code {
        Some("credentials_invalid") => Some(ErrorCode::CredentialsInvalid),
        Some("field_format_invalid") | Some("field_required") | Some("api_validation_error") => {
            Some(ErrorCode::RequestRejected)
        }
        Some("amount_below_limit") => Some(ErrorCode::AmountBelowLimit),
        Some("resource_already_exists") | Some("duplicate_error") | Some("idempotency_error") => {
            Some(ErrorCode::DuplicateRequest)
        }
        Some("service_unavailable") => Some(ErrorCode::ProviderUnavailable),
        Some("forbidden_access") | Some("resource_not_complete") => Some(ErrorCode::Forbidden),
        Some("not_found") | Some("resource_missing") => Some(ErrorCode::NotFound),
        Some("general_error") => Some(ErrorCode::ProviderError),
        _ => None,
    };
    let error_code = status_decides(http_status)
        .or(by_code)
        .unwrap_or(match http_status {
            400 => ErrorCode::RequestRejected,
            401 => ErrorCode::CredentialsInvalid,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::DuplicateRequest,
            422 => ErrorCode::InvalidState,
            429 => ErrorCode::RateLimited,
            408 | 500..=599 => ErrorCode::ProviderUnavailable,
            _ => ErrorCode::ProviderError,
        });
    let mut error = Error::new(
        error_code,
        format!(
            "Pivot answered HTTP {http_status}{}: {}",
            code.map(|c| format!(" ({})", sanitize_provider_text(c)))
                .unwrap_or_default(),
            error_code.fix()
        ),
    )
    .with_http_status(http_status)
    .with_provider(code.map(str::to_owned), message.map(str::to_owned));
    error.field = details.iter().find_map(|d| d.field.clone());
    error.provider_details = details;
    error
}

/// What to do after a create-payout call ended in this error (design §3, G3, spec §1.4).
///
/// Pivot has no lookup by the merchant's reference: without the payout uuid of an answer that
/// was lost, the one way to learn the outcome is to resend the IDENTICAL request with the same
/// `X-REQUEST-ID`, which Pivot answers by replaying the first answer (`resend_same_request`).
pub fn next_action(error: &Error) -> NextAction {
    match error.code {
        ErrorCode::CredentialsInvalid => NextAction::RefreshTokenAndResend,
        ErrorCode::RateLimited => NextAction::ResendSameKeyAfter { delay_seconds: 60 },
        // 400, below the minimum, 403, 404: Pivot refused this request and created nothing; it
        // replays the refusal on the same key, so a corrected request needs a new one.
        ErrorCode::RequestRejected
        | ErrorCode::AmountBelowLimit
        | ErrorCode::Forbidden
        | ErrorCode::NotFound => NextAction::Rejected {
            new_idempotency_key_required: true,
        },
        // 409 and the duplicate codes (resource_already_exists, idempotency_error: the same key
        // with a different body; duplicate_error: the key or reference already used, G3): a
        // payout may exist under this key or reference. Resending loops on 409s and a new key
        // can pay twice: stop.
        ErrorCode::DuplicateRequest => NextAction::manual(
            ReconciliationReason::IdempotencyConflict,
            "Pivot answered that this X-REQUEST-ID (or a reference id) was already used with a \
             different request. Stop: do not resend and do not send the payouts under a new key. \
             Find the payouts already made under this X-REQUEST-ID and reference ids in the Pivot \
             dashboard (or ask Pivot support, quoting the X-REQUEST-ID and the trace id), compare \
             them with what you meant to send, and settle the difference by hand.",
        ),
        // 422, a valid request in an invalid state (spec §1.3): Pivot does not say which state,
        // nor whether a payout exists for this key. A new key could pay twice; resending the
        // same one replays the 422. Stop and look.
        ErrorCode::InvalidState => NextAction::manual(
            ReconciliationReason::InvalidState,
            "Pivot refused the request in the current state of the account or payout (HTTP 422) \
             and does not say whether a payout exists for this X-REQUEST-ID. Do not send the \
             payouts under a new key. Check in the Pivot dashboard whether payouts exist for \
             these reference ids: if they do, record them; if not, resolve the state Pivot \
             names (provider_message, provider_details) before sending the payouts again.",
        ),
        // Timeouts, 5xx, 408, service_unavailable, empty or unreadable bodies, general_error
        // and codes kirim does not know: the payout may exist. Resend the identical request.
        _ => NextAction::ResendSameRequest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(
            item_status("APPROVED", Some(BatchStatus::Pending)),
            PayoutStatus::Pending
        );
        assert_eq!(
            item_status("APPROVED", Some(BatchStatus::InProgress)),
            PayoutStatus::Processing
        );
        assert_eq!(
            item_status("PENDING", Some(BatchStatus::Pending)),
            PayoutStatus::Pending
        );
        assert_eq!(item_status("APPROVED", None), PayoutStatus::Processing);
        assert_eq!(item_status("success", None), PayoutStatus::Unknown);
        assert_eq!(event_status("PAYOUT.SUCCESS"), PayoutStatus::Succeeded);
        assert_eq!(event_status("PAYOUT.DONE"), PayoutStatus::Unknown);
        assert_eq!(event_status("PAYOUT.DELAYED"), PayoutStatus::Delayed);
    }

    #[test]
    fn failures() {
        assert_eq!(
            failure(Some(" Dormant Account ")).reason,
            FailureReason::InactiveAccount
        );
        assert_eq!(
            failure(Some("Declined due to beneficiary limit")).retry,
            RetryAdvice::RetryTomorrow
        );
        let other = failure(Some("Something new"));
        assert_eq!(other.reason, FailureReason::Other);
        assert_eq!(other.provider_text.as_deref(), Some("Something new"));
        assert_eq!(failure(Some("")).provider_text, None);
    }
}

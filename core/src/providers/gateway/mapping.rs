//! The gateway family's codes mapped onto kirim's model (spec §2.6, §2.7, decisions G7, G11).

use crate::error::{Error, ErrorCode, sanitize_provider_text};
use crate::providers::common::{outcome_unknown, status_decides};
use crate::status::{Failure, FailureReason, NextAction, PayoutStatus, RetryAdvice};
use std::collections::BTreeMap;

/// The success code. It only means the call was accepted, never that money moved.
pub const OK_CODE: &str = "0000";

/// G7's default: 1 pending, 2 processing, 3 succeeded, 4 cancelled (funds returned), 5 failed.
pub fn default_status_map() -> BTreeMap<i64, PayoutStatus> {
    // Inserted one by one, not `BTreeMap::from([...])`: that sorts and bulk-builds, code the
    // .wasm needs nowhere else (the configured map is read by `insert` too).
    let mut map = BTreeMap::new();
    for (raw, status) in [
        (1, PayoutStatus::Pending),
        (2, PayoutStatus::Processing),
        (3, PayoutStatus::Succeeded),
        (4, PayoutStatus::Cancelled),
        (5, PayoutStatus::Failed),
    ] {
        map.insert(raw, status);
    }
    map
}

/// A status integer through the configured table; a value the table lacks is Unknown.
pub fn status(map: &BTreeMap<i64, PayoutStatus>, raw: i64) -> PayoutStatus {
    map.get(&raw).copied().unwrap_or(PayoutStatus::Unknown)
}

/// Failed and cancelled orders carry the provider's `error_msg` as free text. The family's
/// texts are not documented, so the reason stays `other` and the advice is to confirm the
/// state by a query before creating a NEW order (with a new `payout_cl_id`).
pub fn failure(status: PayoutStatus, error_msg: Option<&str>) -> Option<Failure> {
    match status {
        PayoutStatus::Failed | PayoutStatus::Cancelled => Some(Failure {
            reason: FailureReason::Other,
            retry: RetryAdvice::RetryAfterStatusCheck,
            provider_code: None,
            provider_text: error_msg
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(sanitize_provider_text),
        }),
        _ => None,
    }
}

/// An `error_code` other than `0000` (spec §2.7). Only 0004, 0006 and 0050 are documented;
/// any other code is kept with its text as `provider_error` (G11).
pub fn response_error(http_status: u16, code: &str, message: Option<&str>) -> Error {
    let error_code = match code {
        "0004" => ErrorCode::SignatureRejectedByProvider,
        "0006" => ErrorCode::AuthorizationRejected,
        "0050" => ErrorCode::NotFound,
        _ => ErrorCode::ProviderError,
    };
    Error::new(
        error_code,
        format!(
            "the gateway answered error_code {}: {}",
            sanitize_provider_text(code),
            error_code.fix()
        ),
    )
    .with_http_status(http_status)
    .with_provider(Some(code.to_owned()), message.map(str::to_owned))
}

/// A non-2xx answer without a gateway code, classified by HTTP status alone.
pub fn http_error(http_status: u16) -> Error {
    let code = status_decides(http_status).unwrap_or(match http_status {
        401 | 403 => ErrorCode::AuthorizationRejected,
        404 => ErrorCode::NotFound,
        _ => ErrorCode::ProviderError,
    });
    Error::new(
        code,
        format!(
            "the gateway answered HTTP {http_status} without a gateway error code: {}",
            code.fix()
        ),
    )
    .with_http_status(http_status)
}

/// What to do after a create-withdraw call ended in this error. The gateway has no idempotency
/// header: `payout_cl_id` is the key (the family answers a repeated `payout_cl_id` with the
/// first order), so a correction is resent with the SAME `payout_cl_id`.
pub fn next_action(error: &Error) -> NextAction {
    match error.code {
        // Timeouts, 5xx, 408, empty or unreadable bodies, "0000" without a payout id (the
        // shared rule, `common::outcome_unknown`): the order may exist. The gateway can be
        // queried by payout_cl_id, and the seed is explicit: query before anything else.
        code if outcome_unknown(code) => NextAction::QueryFirst,
        ErrorCode::RateLimited => NextAction::ResendSameKeyAfter { delay_seconds: 60 },
        // 0004 (a configuration error, not retryable as is), 0006, 0050 and unknown codes:
        // nothing was created; fix the cause, then resend with the same payout_cl_id.
        _ => NextAction::Rejected {
            new_idempotency_key_required: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(
            response_error(200, "0004", Some("Signature verification failed!")).code,
            ErrorCode::SignatureRejectedByProvider
        );
        assert_eq!(
            response_error(200, "0006", None).code,
            ErrorCode::AuthorizationRejected
        );
        assert_eq!(response_error(200, "0050", None).code, ErrorCode::NotFound);
        let unknown = response_error(200, "0123", Some("Something\nnew"));
        assert_eq!(unknown.code, ErrorCode::ProviderError);
        assert_eq!(unknown.provider_code.as_deref(), Some("0123"));
        assert_eq!(unknown.provider_message.as_deref(), Some("Something new"));
    }

    #[test]
    fn statuses_and_failures() {
        let map = default_status_map();
        assert_eq!(status(&map, 3), PayoutStatus::Succeeded);
        assert_eq!(status(&map, 4), PayoutStatus::Cancelled);
        assert_eq!(status(&map, 9), PayoutStatus::Unknown);
        assert!(failure(PayoutStatus::Succeeded, Some("x")).is_none());
        let f = failure(PayoutStatus::Failed, Some(" Invalid Account ")).unwrap();
        assert_eq!(f.provider_text.as_deref(), Some("Invalid Account"));
        assert_eq!(f.retry, RetryAdvice::RetryAfterStatusCheck);
        assert_eq!(
            failure(PayoutStatus::Cancelled, Some(""))
                .unwrap()
                .provider_text,
            None
        );
    }

    #[test]
    fn next_actions() {
        assert_eq!(next_action(&http_error(502)), NextAction::QueryFirst);
        assert_eq!(
            next_action(&response_error(200, "0004", None)),
            NextAction::Rejected {
                new_idempotency_key_required: false
            }
        );
    }
}

//! Paper.id's vocabularies mapped onto kirim's model (spec §3, §5.1, decision G13).

use crate::error::sanitize_provider_text;
use crate::status::{Failure, FailureReason, PayoutStatus, RetryAdvice};

/// G13: `COMPLETED` (the table), `DISBURSED` (the example) and `SUCCESS` mean succeeded;
/// `FAILED` failed; matched case-insensitively; anything else is unknown (query).
pub fn status(raw: &str) -> PayoutStatus {
    const SUCCEEDED: [&str; 3] = ["COMPLETED", "DISBURSED", "SUCCESS"];
    if SUCCEEDED.iter().any(|s| raw.eq_ignore_ascii_case(s)) {
        PayoutStatus::Succeeded
    } else if raw.eq_ignore_ascii_case("FAILED") {
        PayoutStatus::Failed
    } else {
        PayoutStatus::Unknown
    }
}

/// One hour: the low end of "retry the disbursement in 1-2 hours".
const TEMPORARY_RETRY_SECONDS: u32 = 3600;

/// `status_failure_code` with its retry advice. The four documented codes (seed 003) are
/// Xendit's legacy disbursement codes, so the related Xendit codes the spec lists (§3, §5.1)
/// are mapped as well. An unknown code keeps its text and says "contact the provider".
pub fn failure(code: Option<&str>) -> Failure {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let upper = code.map(str::to_ascii_uppercase);
    let (reason, retry) = match upper.as_deref() {
        // "The destination account is unregistered or blocked": fix the destination.
        Some("INVALID_DESTINATION") => (FailureReason::InvalidAccount, RetryAdvice::DoNotRetry),
        // "Unable to predict whether the disbursement will succeed should you retry".
        Some("REJECTED_BY_BANK") | Some("REJECTED_BY_CHANNEL") => (
            FailureReason::RejectedByBank,
            RetryAdvice::RetryAfterStatusCheck,
        ),
        // "A fatal error ... please contact our customer support team".
        Some("TRANSFER_ERROR") => (FailureReason::ProviderError, RetryAdvice::ContactProvider),
        // "Please retry the disbursement in 1-2 hours".
        Some("TEMPORARY_TRANSFER_ERROR") => (
            FailureReason::TemporaryError,
            RetryAdvice::RetryAfterDelay {
                min_delay_seconds: TEMPORARY_RETRY_SECONDS,
            },
        ),
        // Xendit: retryable once the balance is topped up.
        Some("INSUFFICIENT_BALANCE") => (
            FailureReason::InsufficientBalance,
            RetryAdvice::RetryAfterDelay {
                min_delay_seconds: 0,
            },
        ),
        Some("DESTINATION_MAXIMUM_LIMIT") => {
            (FailureReason::BeneficiaryLimit, RetryAdvice::DoNotRetry)
        }
        Some("ACCOUNT_NAME_MISMATCH") => (FailureReason::NameMismatch, RetryAdvice::DoNotRetry),
        // The bank's answer is unknown: the money may have moved.
        Some("UNKNOWN_BANK_NETWORK_ERROR") => (
            FailureReason::BankNetworkError,
            RetryAdvice::RetryAfterStatusCheck,
        ),
        Some("TEMPORARY_BANK_NETWORK_ERROR") | Some("SWITCHING_NETWORK_ERROR") => (
            FailureReason::BankNetworkError,
            RetryAdvice::RetryAfterDelay {
                min_delay_seconds: TEMPORARY_RETRY_SECONDS,
            },
        ),
        _ => (FailureReason::Other, RetryAdvice::ContactProvider),
    };
    Failure {
        reason,
        retry,
        provider_code: code.map(sanitize_provider_text),
        provider_text: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for s in [
            "COMPLETED",
            "DISBURSED",
            "SUCCESS",
            "completed",
            "Disbursed",
        ] {
            assert_eq!(status(s), PayoutStatus::Succeeded, "{s}");
        }
        assert_eq!(status("failed"), PayoutStatus::Failed);
        for s in ["PAID", "PENDING", "", " COMPLETED"] {
            assert_eq!(status(s), PayoutStatus::Unknown, "{s:?}");
        }
    }

    #[test]
    fn failure_codes() {
        for (code, retry) in [
            ("INVALID_DESTINATION", RetryAdvice::DoNotRetry),
            ("REJECTED_BY_BANK", RetryAdvice::RetryAfterStatusCheck),
            ("TRANSFER_ERROR", RetryAdvice::ContactProvider),
            (
                "TEMPORARY_TRANSFER_ERROR",
                RetryAdvice::RetryAfterDelay {
                    min_delay_seconds: 3600,
                },
            ),
        ] {
            assert_eq!(failure(Some(code)).retry, retry, "{code}");
        }
        let unknown = failure(Some("NEW_CODE"));
        assert_eq!(unknown.reason, FailureReason::Other);
        assert_eq!(unknown.provider_code.as_deref(), Some("NEW_CODE"));
        assert_eq!(failure(None).provider_code, None);
    }
}

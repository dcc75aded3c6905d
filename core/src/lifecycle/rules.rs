//! The lifecycle rules every provider shares, written once.

use super::PayoutOrder;
use super::contract::Observation;
use crate::error::ErrorCode;

/// The first retry delay after a failed read (token, query) or an unknown create outcome.
pub const FIRST_RETRY_SECONDS: i64 = 30;

/// How long to wait between retries after `failures` consecutive failures: doubling from
/// [`FIRST_RETRY_SECONDS`], capped at `max_seconds` (a provider that is down is not hammered,
/// and a payout is still looked at at least that often).
pub fn backoff_seconds(failures: u32, max_seconds: i64) -> i64 {
    let doublings = failures.min(20);
    FIRST_RETRY_SECONDS
        .saturating_mul(1i64 << doublings)
        .min(max_seconds.max(1))
}

/// The delay before the `index`-th scheduled query (0-based) after the create was accepted:
/// the schedule's entry, then its last entry again and again (a payout that stays processing is
/// still looked at; it never becomes final by silence).
pub fn scheduled_delay(schedule: &[i64], index: u32) -> i64 {
    let last = schedule.last().copied().unwrap_or(3600);
    let at = usize::try_from(index).unwrap_or(usize::MAX);
    schedule.get(at).copied().unwrap_or(last).max(1)
}

/// Whether a query error means the session (token) is no longer accepted: a new token and the
/// same query may fix it.
pub fn session_expired(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::CredentialsInvalid | ErrorCode::AccessTokenExpired
    )
}

/// Checks an observation against the order: a verified callback or an answer that names
/// another reference, another payout id than the one the provider gave, or another amount or
/// currency is never accepted silently (a merchant marked paid for the wrong amount).
/// `Some(why)` when it differs.
pub fn mismatch(
    order: &PayoutOrder,
    known_payout_id: Option<&str>,
    observation: &Observation,
) -> Option<String> {
    mismatch_of(&order.reference, order.amount, known_payout_id, observation)
}

/// [`mismatch`] against one payout's (or one batch item's) reference and amount.
pub fn mismatch_of(
    reference_expected: &str,
    amount_expected: crate::money::Money,
    known_payout_id: Option<&str>,
    observation: &Observation,
) -> Option<String> {
    if let Some(reference) = observation.reference_id.as_deref() {
        if reference != reference_expected {
            return Some(format!(
                "it names the reference {}, not this payout's {}",
                crate::error::quoted(reference),
                crate::error::quoted(reference_expected)
            ));
        }
    }
    if let (Some(seen), Some(known)) = (observation.payout_id.as_deref(), known_payout_id) {
        if seen != known {
            return Some(format!(
                "it names the provider payout id {}, not {} which the provider gave for this \
                 reference (a second payout may exist for it)",
                crate::error::quoted(seen),
                crate::error::quoted(known)
            ));
        }
    }
    if let Some(amount) = observation.amount {
        if amount != amount_expected {
            return Some(format!(
                "it says {} {}, but the order is {} {}",
                amount.to_decimal_string(),
                amount.currency.code(),
                amount_expected.to_decimal_string(),
                amount_expected.currency.code()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_seconds(0, 3600), 30);
        assert_eq!(backoff_seconds(1, 3600), 60);
        assert_eq!(backoff_seconds(10, 3600), 3600);
        assert_eq!(backoff_seconds(u32::MAX, i64::MAX), 30 << 20);
        assert_eq!(backoff_seconds(3, 0), 1);
    }

    #[test]
    fn schedule_repeats_its_last_entry() {
        assert_eq!(scheduled_delay(&[300, 900], 0), 300);
        assert_eq!(scheduled_delay(&[300, 900], 1), 900);
        assert_eq!(scheduled_delay(&[300, 900], 7), 900);
        assert_eq!(scheduled_delay(&[], 0), 3600);
        assert_eq!(scheduled_delay(&[-5], 0), 1);
    }
}

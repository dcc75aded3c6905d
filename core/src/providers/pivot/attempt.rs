//! What the host knows about the create it sent, and what that changes in the next action: a
//! resend on the same key is safe only while Pivot still replays the key (spec §1.4, 24 h, less
//! the configured safety margin). After that, a create whose answer was never read cannot be
//! resolved through the API (Pivot has no lookup by reference): a person must reconcile it.
//!
//! A clean function of its inputs, so that a lifecycle state machine can build on it.

use crate::error::{Error, ErrorCode, Result, Violations};
use crate::idempotency::{self, KeyReuse, PIVOT_RULES};
use crate::read::FromJson;
use crate::status::{NextAction, ReconciliationReason};
use crate::validate::{self, Charset, Indexed};
use serde::{Deserialize, Serialize};

/// One create-payout call as the host sent it: the key, the references it carried, when the key
/// was FIRST sent (not this resend), and the time the answer (or its absence) was seen.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson)]
#[json(deny_unknown_fields)]
pub struct CreateAttempt {
    /// The `X-REQUEST-ID` the request carried.
    pub idempotency_key: String,
    /// The `referenceId` of every payout in the request.
    pub reference_ids: Vec<String>,
    /// When this key was first sent (Unix seconds).
    pub first_sent_at: i64,
    /// Now (Unix seconds): when the answer or the failure was seen.
    pub now: i64,
}

impl CreateAttempt {
    /// Checks the key and the references as the request was built (the same rules).
    pub fn validate(&self) -> Result<()> {
        let mut violations = Violations::new();
        violations.check(idempotency::validate_key(
            &PIVOT_RULES,
            &self.idempotency_key,
            "attempt.idempotency_key",
        ));
        for (index, reference) in self.reference_ids.iter().enumerate() {
            validate::required(
                &mut violations,
                &Indexed(&"attempt", "reference_ids", index),
                reference,
                super::REFERENCE_MAX,
                Charset::Token,
            );
        }
        violations.finish()
    }
}

/// The next action for `attempt`, given the action the answer alone calls for and Pivot's key
/// window less `margin_seconds`:
/// - a resend on the same key (`resend_same_request`, `refresh_token_and_resend`, and
///   `resend_same_key_after` whose delay would end past the window) becomes
///   `manual_reconciliation` (`key_window_over`) once the key no longer replays;
/// - a `manual_reconciliation` gets the attempt's key, references and first-sent time;
/// - every other action stands.
pub fn next_action(
    action: NextAction,
    error: Option<&Error>,
    attempt: &CreateAttempt,
    margin_seconds: i64,
) -> NextAction {
    let reuse = idempotency::key_reuse(
        &PIVOT_RULES,
        attempt.first_sent_at,
        attempt.now,
        margin_seconds,
    );
    let until = match reuse {
        KeyReuse::ReplaysUntil { until } => until,
        KeyReuse::Expired { since } => since,
    };
    let resend_at = match &action {
        NextAction::ResendSameRequest | NextAction::RefreshTokenAndResend => Some(attempt.now),
        NextAction::ResendSameKeyAfter { delay_seconds } => {
            Some(attempt.now.saturating_add(i64::from(*delay_seconds)))
        }
        _ => None,
    };
    match (action, resend_at) {
        (_, Some(at)) if at >= until => window_over(error, attempt, until, margin_seconds),
        (
            NextAction::ManualReconciliation {
                reason, message, ..
            },
            _,
        ) => manual(reason, attempt, message),
        (action, _) => action,
    }
}

/// A manual reconciliation carrying the attempt's key, references and first-sent time.
fn manual(reason: ReconciliationReason, attempt: &CreateAttempt, message: String) -> NextAction {
    NextAction::ManualReconciliation {
        reason,
        idempotency_key: Some(attempt.idempotency_key.clone()),
        reference_ids: attempt.reference_ids.clone(),
        first_sent_at: Some(attempt.first_sent_at),
        message,
    }
}

fn window_over(
    error: Option<&Error>,
    attempt: &CreateAttempt,
    until: i64,
    margin_seconds: i64,
) -> NextAction {
    let what = match error {
        Some(e) if e.code == ErrorCode::Transport => "no answer".to_owned(),
        Some(e) => format!("an answer that leaves the outcome unknown ({})", e.code),
        None => "an answer that leaves the outcome unknown".to_owned(),
    };
    let message = format!(
        "The create sent with X-REQUEST-ID {} (first sent at {}) got {what}, and the key no \
         longer replays safely: Pivot keeps a key for {} seconds and kirim stops trusting it \
         {margin_seconds} seconds earlier, at {until}. A resend now could be taken as a NEW \
         payout and pay twice, and Pivot offers no lookup by reference. Stop: do not resend and \
         do not send the payouts under a new key. Look up the reference ids {} in the Pivot \
         dashboard (or ask Pivot support, quoting the X-REQUEST-ID): if the payouts exist, \
         record them; if they do not, send them again as new payouts with a new key.",
        attempt.idempotency_key,
        attempt.first_sent_at,
        PIVOT_RULES.validity_seconds,
        references(&attempt.reference_ids),
    );
    manual(ReconciliationReason::KeyWindowOver, attempt, message)
}

fn references(ids: &[String]) -> String {
    let mut out = String::new();
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&crate::error::quoted(id));
    }
    if out.is_empty() {
        out.push_str("(none given)");
    }
    out
}

//! One status model for every provider, and what the host should do next.

use crate::read::FromJson;
use crate::write::ToJson;
use serde::{Deserialize, Serialize};

/// The normalized state of one payout.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson, ToJson)]
#[serde(rename_all = "snake_case")]
#[json(as_str)]
pub enum PayoutStatus {
    /// Accepted but waiting (e.g. for a balance top-up).
    Pending,
    /// Being processed.
    Processing,
    /// Being processed, slower than usual.
    Delayed,
    /// Money arrived. Final, except that some providers can later report a reversal.
    Succeeded,
    /// Final: no money moved.
    Failed,
    /// Final: cancelled before transfer, funds returned.
    Cancelled,
    /// Final: succeeded, then bounced back.
    Reversed,
    /// What was received does not tell: the host must query.
    Unknown,
}

impl PayoutStatus {
    /// The status's name in every JSON form (`"succeeded"`).
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Pending => "pending",
            PayoutStatus::Processing => "processing",
            PayoutStatus::Delayed => "delayed",
            PayoutStatus::Succeeded => "succeeded",
            PayoutStatus::Failed => "failed",
            PayoutStatus::Cancelled => "cancelled",
            PayoutStatus::Reversed => "reversed",
            PayoutStatus::Unknown => "unknown",
        }
    }

    /// No later event may move a payout out of a final state (except Succeeded → Reversed).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PayoutStatus::Succeeded
                | PayoutStatus::Failed
                | PayoutStatus::Cancelled
                | PayoutStatus::Reversed
        )
    }

    fn progress(self) -> u8 {
        match self {
            PayoutStatus::Unknown => 0,
            // Peers: the latest observation wins among them (see `merge`).
            PayoutStatus::Pending | PayoutStatus::Processing | PayoutStatus::Delayed => 1,
            PayoutStatus::Succeeded | PayoutStatus::Failed | PayoutStatus::Cancelled => 2,
            PayoutStatus::Reversed => 3,
        }
    }

    /// Merges an incoming CONFIRMED observation into the current state so that a stale,
    /// duplicate or out-of-order event never moves a payout backwards:
    /// - a final state is kept, except Succeeded → Reversed;
    /// - Reversed is reached only from Succeeded or a non-final state (a reversal implies the
    ///   transfer had succeeded), never from Failed or Cancelled;
    /// - Unknown never replaces what is known;
    /// - Pending, Processing and Delayed are peers: the latest observation wins among them.
    ///   A payout can go back to Pending after Processing (Pivot holds it "waiting for
    ///   top-up" when the balance runs short), and that hold must stay visible; after the
    ///   top-up it moves on again, and a final state still lands from any of them.
    ///
    /// Use [`PayoutStatus::observe`] when the observation may be tentative.
    pub fn merge(self, incoming: PayoutStatus) -> PayoutStatus {
        use PayoutStatus::*;
        match (self, incoming) {
            (Succeeded, Reversed) => Reversed,
            (current, _) if current.is_final() => current,
            (_, Unknown) => self,
            (current, next) if next.progress() >= current.progress() => next,
            (current, _) => current,
        }
    }

    /// Applies one observation with its confirmation. A confirmed observation decides as
    /// [`PayoutStatus::merge`] does. A tentative one (an unverified callback, a status the
    /// provider's rules say needs a query) changes nothing: it only says what to expect (see
    /// [`PayoutStatus::expected_after`]) and asks for a query. So it can never make a payout
    /// final, and an unauthenticated sender cannot move a payout at all (not even from
    /// processing back to pending).
    pub fn observe(self, incoming: PayoutStatus, confirmation: Confirmation) -> PayoutStatus {
        match confirmation {
            Confirmation::Tentative => self,
            Confirmation::Confirmed => self.merge(incoming),
        }
    }

    /// What a payout is expected to become after this observation, until a confirmed one
    /// decides: `expected` is what was expected so far (`None` at first). It is the latest
    /// tentative status that would still change the state if it were confirmed (a tentative
    /// success on a processing payout, a tentative reversal after success): confirm it by a
    /// query. It is dropped once the state makes it moot (e.g. the query's failure).
    pub fn expected_after(
        self,
        expected: Option<PayoutStatus>,
        incoming: PayoutStatus,
        confirmation: Confirmation,
    ) -> Option<PayoutStatus> {
        let next = self.observe(incoming, confirmation);
        if confirmation == Confirmation::Tentative && next.merge(incoming) != next {
            Some(incoming)
        } else {
            expected.filter(|e| next.merge(*e) != next)
        }
    }
}

/// Whether an observation of a payout can decide its state. Every event says which it is.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToJson, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    /// A query answer, or a callback whose authenticity the provider's rules make
    /// trustworthy: it decides.
    Confirmed,
    /// An unverified callback, or a status the spec says needs a query (the gateway's `2`
    /// mapped to success, G7, and `statuses_requiring_query`): it never makes a payout final
    /// by itself; query the provider and observe the answer as confirmed.
    Tentative,
}

/// Why a payout failed, normalized across providers.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToJson, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    InvalidAccount,
    InactiveAccount,
    NameMismatch,
    BeneficiaryLimit,
    BankNetworkError,
    RejectedByBank,
    InsufficientBalance,
    NotEligible,
    TemporaryError,
    ProviderError,
    Other,
}

/// What to do about a failed payout.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson, ToJson)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RetryAdvice {
    /// Do not retry as is: fix the beneficiary (or the request) first.
    DoNotRetry,
    /// A new attempt may succeed after at least this delay.
    RetryAfterDelay { min_delay_seconds: u32 },
    /// The beneficiary's daily limit is reached: retry tomorrow.
    RetryTomorrow,
    /// The outcome is unclear: check the status before any retry.
    RetryAfterStatusCheck,
    /// Ask the provider.
    ContactProvider,
}

/// A normalized failure with the provider's own code and text kept.
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, hash, get_all, from_py_object, module = "kirim"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson, ToJson)]
pub struct Failure {
    pub reason: FailureReason,
    pub retry: RetryAdvice,
    pub provider_code: Option<String>,
    pub provider_text: Option<String>,
}

/// What the host must do after the response (or transport failure) of a state-changing call.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson, ToJson)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NextAction {
    /// The provider accepted the request. Wait for the callback; query to reconcile. Accepted
    /// is never success.
    Accepted,
    /// The provider rejected the request. If `new_idempotency_key_required`, a corrected
    /// request must carry a new key (the provider replays or conflicts on the old one).
    Rejected { new_idempotency_key_required: bool },
    /// The access token was refused: get a new token and resend with the SAME key.
    RefreshTokenAndResend,
    /// Throttled: wait at least this long and resend the identical request with the SAME key.
    ResendSameKeyAfter { delay_seconds: u32 },
    /// The outcome is unknown (timeout, 5xx, empty or unreadable body) and the provider can be
    /// queried by the merchant's reference (the gateway, by `payout_cl_id`): query it before
    /// anything else, and never create the payout again under a new key.
    QueryFirst,
    /// The outcome is unknown and this provider cannot be queried by the merchant's reference
    /// (Pivot: no lookup without the payout uuid that was never received): resend the IDENTICAL
    /// request (same body, same idempotency key) while the key still replays; the provider
    /// answers with the first answer instead of paying twice. Never send it under a new key.
    ResendSameRequest,
    /// A person must reconcile: kirim cannot resolve the outcome through the API. Do not resend
    /// and do not create the payout under a new key; `message` says exactly what to check.
    ManualReconciliation {
        reason: ReconciliationReason,
        /// The idempotency key (Pivot `X-REQUEST-ID`) the create was sent with, when the host
        /// described its attempt.
        idempotency_key: Option<String>,
        /// The merchant's references of the payouts in the request, when the host said.
        reference_ids: Vec<String>,
        /// When the key was first sent (Unix seconds), when the host said.
        first_sent_at: Option<i64>,
        /// What to check, and where, in words.
        message: String,
    },
}

/// Why a payout needs a person to reconcile it.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson, ToJson)]
#[serde(rename_all = "snake_case")]
pub enum ReconciliationReason {
    /// The create's outcome is unknown and its idempotency key no longer replays (the window,
    /// less the safety margin, is over): a resend would be a NEW payout, and the provider
    /// offers no lookup by reference.
    KeyWindowOver,
    /// The key (or reference) was already used with a different request (Pivot 409): resending
    /// loops on the conflict and a new key can pay twice.
    IdempotencyConflict,
    /// The provider refused the request in the current state of the account or payout (Pivot
    /// 422) and does not say whether a payout exists for this key.
    InvalidState,
}

impl NextAction {
    /// A manual reconciliation with no details from the host (they are filled in when the host
    /// describes its attempt).
    pub fn manual(reason: ReconciliationReason, message: impl Into<String>) -> NextAction {
        NextAction::ManualReconciliation {
            reason,
            idempotency_key: None,
            reference_ids: Vec::new(),
            first_sent_at: None,
            message: message.into(),
        }
    }

    /// The action's `kind` in every JSON form (`"resend_same_request"`).
    pub fn kind(&self) -> &'static str {
        match self {
            NextAction::Accepted => "accepted",
            NextAction::Rejected { .. } => "rejected",
            NextAction::RefreshTokenAndResend => "refresh_token_and_resend",
            NextAction::ResendSameKeyAfter { .. } => "resend_same_key_after",
            NextAction::QueryFirst => "query_first",
            NextAction::ResendSameRequest => "resend_same_request",
            NextAction::ManualReconciliation { .. } => "manual_reconciliation",
        }
    }
}

// ---- rendering ----------------------------------------------------------------------------------

/// The result of merging observations in arrival order (operation `status.merge`): the final
/// state and the state after each observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToJson)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusMerge {
    #[serde(rename = "final")]
    pub last: PayoutStatus,
    pub states: Vec<PayoutStatus>,
    /// A tentative status that would still change the state if a query confirmed it, or null.
    pub expected: Option<PayoutStatus>,
}

#[cfg(test)]
mod tests {
    use super::PayoutStatus::*;
    use super::*;

    const ALL: [PayoutStatus; 8] = [
        Pending, Processing, Delayed, Succeeded, Failed, Cancelled, Reversed, Unknown,
    ];

    #[test]
    fn final_states_are_kept() {
        for incoming in ALL {
            assert_eq!(Failed.merge(incoming), Failed);
            assert_eq!(Cancelled.merge(incoming), Cancelled);
            assert_eq!(Reversed.merge(incoming), Reversed);
        }
        assert_eq!(Succeeded.merge(Reversed), Reversed);
        assert_eq!(Succeeded.merge(Failed), Succeeded);
        assert_eq!(Succeeded.merge(Processing), Succeeded);
    }

    #[test]
    fn stale_events_do_not_move_backwards() {
        // Pending, Processing and Delayed are peers: a top-up hold after processing shows.
        for (current, incoming, merged) in [
            (Processing, Pending, Pending),
            (Delayed, Pending, Pending),
            (Pending, Processing, Processing),
            (Processing, Unknown, Processing),
            (Unknown, Pending, Pending),
            (Pending, Succeeded, Succeeded),
            (Processing, Delayed, Delayed),
        ] {
            assert_eq!(
                current.merge(incoming),
                merged,
                "{current:?} then {incoming:?}"
            );
        }
    }

    #[test]
    fn next_actions_are_written_as_serde_writes_them() {
        let actions = [
            NextAction::Accepted,
            NextAction::Rejected {
                new_idempotency_key_required: true,
            },
            NextAction::RefreshTokenAndResend,
            NextAction::ResendSameKeyAfter { delay_seconds: 60 },
            NextAction::QueryFirst,
            NextAction::ResendSameRequest,
            NextAction::ManualReconciliation {
                reason: ReconciliationReason::KeyWindowOver,
                idempotency_key: Some("k".repeat(16)),
                reference_ids: vec!["r1".into(), "r2".into()],
                first_sent_at: Some(1000),
                message: "check \"this\"".into(),
            },
            NextAction::manual(ReconciliationReason::IdempotencyConflict, "stop"),
            NextAction::manual(ReconciliationReason::InvalidState, "look"),
        ];
        for action in actions {
            let ours: serde_json::Value =
                serde_json::from_str(&crate::json::to_json(&action, "t").unwrap()).unwrap();
            assert_eq!(ours, serde_json::to_value(&action).unwrap());
            assert_eq!(ours["kind"], action.kind());
        }
    }

    #[test]
    fn tentative_observations_never_make_a_payout_final() {
        use Confirmation::*;
        for current in ALL {
            for incoming in ALL {
                let next = current.observe(incoming, Tentative);
                if !current.is_final() {
                    assert!(!next.is_final(), "{current:?} + tentative {incoming:?}");
                } else {
                    assert_eq!(next, current);
                }
                assert_eq!(
                    current.observe(incoming, Confirmed),
                    current.merge(incoming)
                );
            }
        }
        // The review's case: an unconfirmed success, then the query's failure.
        let held = Processing.observe(Succeeded, Tentative);
        assert_eq!(held, Processing);
        assert_eq!(
            Processing.expected_after(None, Succeeded, Tentative),
            Some(Succeeded)
        );
        assert_eq!(held.observe(Failed, Confirmed), Failed);
        assert_eq!(
            held.expected_after(Some(Succeeded), Failed, Confirmed),
            None
        );
        assert_eq!(
            held.expected_after(Some(Succeeded), Processing, Confirmed),
            Some(Succeeded)
        );
        // A tentative reversal after success is expected, not applied.
        assert_eq!(Succeeded.observe(Reversed, Tentative), Succeeded);
        assert_eq!(
            Succeeded.expected_after(None, Reversed, Tentative),
            Some(Reversed)
        );
    }

    #[test]
    fn merge_is_idempotent() {
        for a in ALL {
            for b in ALL {
                let once = a.merge(b);
                assert_eq!(once.merge(b), once, "{a:?} + {b:?}");
            }
        }
    }
}

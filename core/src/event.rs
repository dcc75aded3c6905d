//! What a callback becomes: a payout event, carrying how its authenticity was established.

use crate::money::Money;
use crate::status::{Confirmation, Failure, PayoutStatus};
use serde::{Deserialize, Serialize};

/// The providers kirim speaks to.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Pivot,
    Gateway,
    PaperId,
}

/// How a callback was authenticated. Only the `Unverified` variant can come out of an
/// explicitly unverified parse, and such an event must be confirmed by a status query before
/// any money decision.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Authenticity {
    /// A static API key header matched a configured key (Pivot `X-API-Key`).
    ApiKey,
    /// A body signature verified under the configured key.
    Signature,
    /// A shared token header matched (Paper.id option).
    SharedToken,
    /// The source address is in the configured allow-list (Paper.id option).
    SourceAddress,
    /// A shared token matched AND the source address is allowed.
    SharedTokenAndSourceAddress,
    /// No check was made, on the caller's explicit request.
    Unverified,
}

/// Counts and amounts per state, when the provider reports them (Pivot `payoutResults`).
/// Never cross-checked strictly: the provider's own examples disagree (G6).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(
    feature = "python",
    pyo3::pyclass(frozen, eq, get_all, from_py_object, module = "kirim")
)]
pub struct PayoutTotals {
    pub pending_count: Option<u64>,
    pub pending_amount: Option<Money>,
    pub success_count: Option<u64>,
    pub success_amount: Option<Money>,
    pub failed_count: Option<u64>,
    pub failed_amount: Option<Money>,
    pub cancelled_count: Option<u64>,
    pub cancelled_amount: Option<Money>,
}

/// A non-essential field that could not be read: the result is still given, without that
/// field, and says which field and why. Ids, status, amounts and authenticity are never
/// relaxed this way; only fields that do not decide the payout (times, descriptive texts,
/// informational totals). `field` is the path in the provider's document, e.g. `data.created`
/// or `data.payouts[0].updated`.
///
/// The non-essential fields, per provider:
/// - Pivot: `data.created`, `data.updated`, `data.merchantId`, `data.payoutResults` (the totals,
///   never cross-checked, G6), and each item's `created`, `updated`, `description`,
///   `channelCode`, `channelInformation`, `inquiryId`;
/// - the gateway: `create_time`, `update_time`, `bank_name`, `name`, `number`, and a query's
///   `data.total`;
/// - Paper.id: `completed_time`, `timestamp` (an unreadable `completed_time` falls back to
///   `timestamp`), `company_id`, `company_name`, `partner_id`, `partner_name`, `account_type`,
///   `bank_code`, `account_number`, `account_holder_name`.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(
    feature = "python",
    pyo3::pyclass(
        frozen,
        eq,
        get_all,
        from_py_object,
        new = "from_fields",
        module = "kirim",
        name = "FieldWarning"
    )
)]
pub struct Warning {
    pub field: String,
    pub reason: String,
}

impl Warning {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Warning {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A verified (or explicitly unverified) callback, normalized.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(
    feature = "python",
    pyo3::pyclass(frozen, eq, get_all, new = "from_fields", module = "kirim")
)]
pub struct PayoutEvent {
    pub provider: Provider,
    pub authenticity: Authenticity,
    /// Whether this event may decide the payout's state (`confirmed`) or only asks for a
    /// query (`tentative`: never final by itself, see `PayoutStatus::observe`). Every
    /// tentative event also has `requires_query`.
    pub confirmation: Confirmation,
    /// The provider's id of the payout (Pivot request uuid, gateway `payout_id`, Paper.id
    /// `disbursement_id`, else its `payment_id`).
    pub payout_id: Option<String>,
    /// The merchant's own reference (Pivot `referenceId`, gateway `payout_cl_id`). Paper.id's
    /// payout callback carries none, so it is absent there.
    pub reference_id: Option<String>,
    pub status: PayoutStatus,
    /// The provider's status as received.
    pub raw_status: String,
    /// The provider's event name, where it has one.
    pub raw_event: Option<String>,
    pub amount: Option<Money>,
    pub failure: Option<Failure>,
    /// When the provider says it happened (Unix seconds).
    pub occurred_at: Option<i64>,
    /// True when the event alone does not settle the payout: a bulk "done" (read the items),
    /// an unknown status, or any tentative event (an unverified callback, a status the
    /// configuration or G7 marks as needing confirmation).
    pub requires_query: bool,
    pub totals: Option<PayoutTotals>,
    /// Non-essential fields that could not be read (they are absent above); empty when none.
    pub warnings: Vec<Warning>,
    /// The amount actually paid out, where the provider reports it (the gateway's
    /// `real_amount`); absent for other providers.
    pub real_amount: Option<Money>,
    /// The provider's fee, where it reports one (the gateway's `fee`); absent for others.
    pub fee: Option<Money>,
}

crate::write::string_enum_to_json!(Provider {
    Provider::Pivot => "pivot",
    Provider::Gateway => "gateway",
    Provider::PaperId => "paper_id",
});
crate::write::string_enum_to_json!(Authenticity {
    Authenticity::ApiKey => "api_key",
    Authenticity::Signature => "signature",
    Authenticity::SharedToken => "shared_token",
    Authenticity::SourceAddress => "source_address",
    Authenticity::SharedTokenAndSourceAddress => "shared_token_and_source_address",
    Authenticity::Unverified => "unverified",
});
crate::write::object_to_json!(PayoutTotals {
    "pending_count": pending_count,
    "pending_amount": pending_amount,
    "success_count": success_count,
    "success_amount": success_amount,
    "failed_count": failed_count,
    "failed_amount": failed_amount,
    "cancelled_count": cancelled_count,
    "cancelled_amount": cancelled_amount,
});
crate::write::object_to_json!(PayoutEvent {
    "provider": provider,
    "authenticity": authenticity,
    "confirmation": confirmation,
    "payout_id": payout_id,
    "reference_id": reference_id,
    "status": status,
    "raw_status": raw_status,
    "raw_event": raw_event,
    "amount": amount,
    "failure": failure,
    "occurred_at": occurred_at,
    "requires_query": requires_query,
    "totals": totals,
    "warnings": warnings,
    "real_amount": real_amount,
    "fee": fee,
});
crate::write::object_to_json!(Warning {
    "field": field,
    "reason": reason,
});

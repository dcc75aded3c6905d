//! What a callback becomes: a payout event, carrying how its authenticity was established.

use crate::money::Money;
use crate::read::FromJson;
use crate::status::{Confirmation, Failure, PayoutStatus};
use crate::write::ToJson;
use serde::{Deserialize, Serialize};

// The providers' enum comes from the registration point (`for_each_provider!`), one variant
// per registered provider under its case name, so that adding a provider does not edit this
// file. The variants carry no doc comment: the TypeScript and Kotlin/Swift declarations
// generated from this enum stay as they were.
macro_rules! provider_enum {
    ($($name:literal => $variant:ident($module:ident::$shell:ident) $field:ident: $doc:literal,)*) => {
        /// The providers kirim speaks to.
        #[kirim_derive::export(uniffi = Enum, ts)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson, ToJson)]
        #[serde(rename_all = "snake_case")]
        pub enum Provider {
            $($variant,)*
        }

        impl Provider {
            /// Its name in the registration (`pivot`, ...): a lifecycle provider's `name()`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Provider::$variant => $name,)*
                }
            }
        }
    };
}

crate::for_each_provider!(provider_enum);

/// How a callback was authenticated. Only the `Unverified` variant can come out of an
/// explicitly unverified parse, and such an event must be confirmed by a status query before
/// any money decision.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson, ToJson)]
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
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, module = "kirim"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
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
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, new = "from_fields", module = "kirim", name = "FieldWarning"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
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
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, new = "from_fields", module = "kirim"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
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

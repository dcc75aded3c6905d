//! The core's model, crossing as itself: money, statuses, failures, next actions, events and
//! idempotency. Each declaration below is a uniffi *remote* declaration of the core's own type:
//! no copy exists, and the compiler checks each against the core's definition.

use crate::KirimError;
use kirim::event::{Authenticity, PayoutEvent, PayoutTotals, Provider, Warning};
use kirim::idempotency::KeyReuse;
use kirim::money::{Currency, Money};
use kirim::status::{
    Confirmation, Failure, FailureReason, NextAction, PayoutStatus, ReconciliationReason,
    RetryAdvice,
};
use std::sync::Arc;

/// Currencies kirim's providers use.
#[uniffi::remote(Enum)]
pub enum Currency {
    Idr,
}

/// An amount of money: integer minor units (sen for IDR) and its currency. Never a float.
#[uniffi::remote(Record)]
pub struct Money {
    pub minor_units: i64,
    pub currency: Currency,
}

/// The normalized state of one payout.
#[uniffi::remote(Enum)]
pub enum PayoutStatus {
    Pending,
    Processing,
    Delayed,
    Succeeded,
    Failed,
    Cancelled,
    Reversed,
    Unknown,
}

/// Whether an observation may decide a payout's state: a tentative one never makes it final.
#[uniffi::remote(Enum)]
pub enum Confirmation {
    Confirmed,
    Tentative,
}

/// Why a payout failed, normalized across providers.
#[uniffi::remote(Enum)]
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
#[uniffi::remote(Enum)]
pub enum RetryAdvice {
    DoNotRetry,
    RetryAfterDelay { min_delay_seconds: u32 },
    RetryTomorrow,
    RetryAfterStatusCheck,
    ContactProvider,
}

/// A normalized failure with the provider's own code and text kept.
#[uniffi::remote(Record)]
pub struct Failure {
    pub reason: FailureReason,
    pub retry: RetryAdvice,
    pub provider_code: Option<String>,
    pub provider_text: Option<String>,
}

/// What the host must do after the response (or transport failure) of a state-changing call.
#[uniffi::remote(Enum)]
pub enum NextAction {
    Accepted,
    Rejected {
        new_idempotency_key_required: bool,
    },
    RefreshTokenAndResend,
    ResendSameKeyAfter {
        delay_seconds: u32,
    },
    QueryFirst,
    ResendSameRequest,
    ManualReconciliation {
        reason: ReconciliationReason,
        idempotency_key: Option<String>,
        reference_ids: Vec<String>,
        first_sent_at: Option<i64>,
        message: String,
    },
}

/// Why a payout needs a person to reconcile it (`NextAction.ManualReconciliation`).
#[uniffi::remote(Enum)]
pub enum ReconciliationReason {
    KeyWindowOver,
    IdempotencyConflict,
    InvalidState,
}

/// The providers kirim speaks to.
#[uniffi::remote(Enum)]
pub enum Provider {
    Pivot,
    Gateway,
    PaperId,
}

/// How a callback's authenticity was established.
#[uniffi::remote(Enum)]
pub enum Authenticity {
    ApiKey,
    Signature,
    SharedToken,
    SourceAddress,
    SharedTokenAndSourceAddress,
    Unverified,
}

/// Counts and amounts per state, when the provider reports them.
#[uniffi::remote(Record)]
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

/// A non-essential field (a time, a descriptive text, informational totals) that could not be
/// read: the result is still given without it. `field` is its path in the provider's document
/// (`data.created`), `reason` says why.
#[uniffi::remote(Record)]
pub struct Warning {
    pub field: String,
    pub reason: String,
}

/// A verified (or explicitly unverified) callback, normalized.
#[uniffi::remote(Record)]
pub struct PayoutEvent {
    pub provider: Provider,
    pub authenticity: Authenticity,
    pub confirmation: Confirmation,
    pub payout_id: Option<String>,
    pub reference_id: Option<String>,
    pub status: PayoutStatus,
    pub raw_status: String,
    pub raw_event: Option<String>,
    pub amount: Option<Money>,
    pub failure: Option<Failure>,
    pub occurred_at: Option<i64>,
    pub requires_query: bool,
    pub totals: Option<PayoutTotals>,
    pub warnings: Vec<Warning>,
    pub real_amount: Option<Money>,
    pub fee: Option<Money>,
}

/// What an idempotency key may still be used for at a given time.
#[uniffi::remote(Enum)]
pub enum KeyReuse {
    ReplaysUntil { until: i64 },
    Expired { since: i64 },
}

// ---- money ------------------------------------------------------------------------------

/// Parses a decimal string such as "100000" or "10000.00" exactly (never through a float).
#[uniffi::export]
pub fn money_parse(value: String, currency: Currency) -> Result<Money, KirimError> {
    Ok(Money::parse(&value, currency, "value")?)
}

/// Rupiah given as a decimal string (`moneyIdr("100000")` is Rp 100.000). A string, not a
/// number: a bare `100000` could be rupiah or sen, and the core refuses to guess.
#[uniffi::export]
pub fn money_idr(rupiah: String) -> Result<Money, KirimError> {
    Ok(Money::parse(&rupiah, Currency::Idr, "rupiah")?)
}

/// Money from integer minor units (sen for IDR), said by name:
/// `moneyFromMinorUnits(10_000_000, Currency.IDR)` is Rp 100.000.
#[uniffi::export]
pub fn money_from_minor_units(minor_units: i64, currency: Currency) -> Money {
    Money::new(minor_units, currency)
}

/// The amount as an exact decimal string with the currency's decimals, e.g. "1238.86".
#[uniffi::export]
pub fn money_to_decimal_string(money: Money) -> String {
    money.to_decimal_string()
}

/// The amount in whole major units, or `fractional_amount` naming `field` if it has a fraction.
#[uniffi::export(default(field = "amount"))]
pub fn money_whole_major_units(money: Money, field: String) -> Result<i64, KirimError> {
    Ok(money.whole_major_units(&field)?)
}

/// Parses an ISO 4217 code, case-insensitively.
#[uniffi::export]
pub fn currency_parse(code: String) -> Result<Currency, KirimError> {
    Ok(Currency::parse(&code, "currency")?)
}

/// The currency's ISO 4217 code, e.g. "IDR".
#[uniffi::export]
pub fn currency_code(currency: Currency) -> String {
    currency.code().to_owned()
}

/// Decimal places of the currency's minor unit.
#[uniffi::export]
pub fn currency_exponent(currency: Currency) -> u32 {
    currency.exponent()
}

// ---- status -----------------------------------------------------------------------------

/// Merges an incoming confirmed observation into the current state, so that a stale, duplicate
/// or out-of-order event never moves a payout backwards (pending, processing and delayed are
/// peers: the latest wins, so a top-up hold shows).
#[uniffi::export]
pub fn payout_status_merge(current: PayoutStatus, incoming: PayoutStatus) -> PayoutStatus {
    current.merge(incoming)
}

/// Observes `incoming` with its confirmation (an event's `confirmation`): a tentative
/// observation never makes a payout final; a confirmed one decides as `payoutStatusMerge` does.
#[uniffi::export]
pub fn payout_status_observe(
    current: PayoutStatus,
    incoming: PayoutStatus,
    confirmation: Confirmation,
) -> PayoutStatus {
    current.observe(incoming, confirmation)
}

/// The tentative status that would still change the state if a query confirmed it, after this
/// observation (`expected` is what was expected before; null at first).
#[uniffi::export]
pub fn payout_status_expected_after(
    current: PayoutStatus,
    expected: Option<PayoutStatus>,
    incoming: PayoutStatus,
    confirmation: Confirmation,
) -> Option<PayoutStatus> {
    current.expected_after(expected, incoming, confirmation)
}

/// Whether no later event may move the payout out of this state (except Succeeded to
/// Reversed).
#[uniffi::export]
pub fn payout_status_is_final(status: PayoutStatus) -> bool {
    status.is_final()
}

// ---- idempotency ------------------------------------------------------------------------

/// A provider's rules for its idempotency key: validate, derive, and whether a key may be
/// reused at a given time.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct IdempotencyRules(pub(crate) &'static kirim::idempotency::IdempotencyRules);

#[uniffi::export]
impl IdempotencyRules {
    /// Pivot `X-REQUEST-ID`: alphanumeric, 16 to 36 characters, remembered for 24 hours.
    #[uniffi::constructor]
    pub fn pivot() -> Arc<Self> {
        Arc::new(IdempotencyRules(&kirim::idempotency::PIVOT_RULES))
    }

    /// The header that carries the key, e.g. `X-REQUEST-ID`.
    pub fn header(&self) -> String {
        self.0.header.to_owned()
    }

    /// Minimum length in characters.
    pub fn min_len(&self) -> u64 {
        u64::try_from(self.0.min_len).unwrap_or(u64::MAX)
    }

    /// Maximum length in characters.
    pub fn max_len(&self) -> u64 {
        u64::try_from(self.0.max_len).unwrap_or(u64::MAX)
    }

    /// Whether only ASCII letters and digits are allowed.
    pub fn alphanumeric_only(&self) -> bool {
        self.0.alphanumeric_only
    }

    /// How long the provider remembers a key, in seconds.
    pub fn validity_seconds(&self) -> i64 {
        self.0.validity_seconds
    }

    /// Checks a key against the rules; the error names what is wrong.
    pub fn validate(&self, key: String) -> Result<(), KirimError> {
        Ok(kirim::idempotency::validate_key(self.0, &key, "key")?)
    }

    /// The key for the `revision`-th version of the payout with this merchant reference: the
    /// same inputs always give the same key, so a retry can never get a fresh one.
    pub fn derive(
        &self,
        namespace: String,
        merchant_reference: String,
        revision: u32,
    ) -> Result<String, KirimError> {
        Ok(kirim::idempotency::derive_key(
            self.0,
            &namespace,
            &merchant_reference,
            revision,
        )?)
    }

    /// Whether a key first used at `first_used_at` may be reused at `now` (Unix seconds): until
    /// the provider's window less `margin_seconds` (default 600; at least 0, less than the
    /// window, else the error names it).
    #[uniffi::method(default(margin_seconds = 600))]
    pub fn key_reuse(
        &self,
        first_used_at: i64,
        now: i64,
        margin_seconds: i64,
    ) -> Result<KeyReuse, KirimError> {
        kirim::idempotency::validate_margin(self.0, margin_seconds, "margin_seconds")?;
        Ok(kirim::idempotency::key_reuse(
            self.0,
            first_used_at,
            now,
            margin_seconds,
        ))
    }
}

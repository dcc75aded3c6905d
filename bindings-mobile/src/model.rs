//! The core's model, crossing as itself: money, statuses, failures, next actions, events and
//! idempotency. Each declaration below is a uniffi *remote* declaration of the core's own type:
//! no copy exists, and the compiler checks each against the core's definition.

use kirim::Error as KirimError;
use kirim::idempotency::KeyReuse;
use kirim::money::{Currency, Money};
use kirim::status::{Confirmation, PayoutStatus};
use std::sync::Arc;

// ---- money ------------------------------------------------------------------------------

/// Parses a decimal string such as "100000" or "10000.00" exactly (never through a float).
#[uniffi::export]
pub fn money_parse(value: String, currency: Currency) -> Result<Money, KirimError> {
    Money::parse(&value, currency, "value")
}

/// Rupiah given as a decimal string (`moneyIdr("100000")` is Rp 100.000). A string, not a
/// number: a bare `100000` could be rupiah or sen, and the core refuses to guess.
#[uniffi::export]
pub fn money_idr(rupiah: String) -> Result<Money, KirimError> {
    Money::parse(&rupiah, Currency::Idr, "rupiah")
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
    money.whole_major_units(&field)
}

/// Parses an ISO 4217 code, case-insensitively.
#[uniffi::export]
pub fn currency_parse(code: String) -> Result<Currency, KirimError> {
    Currency::parse(&code, "currency")
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
        kirim::idempotency::validate_key(self.0, &key, "key")
    }

    /// The key for the `revision`-th version of the payout with this merchant reference: the
    /// same inputs always give the same key, so a retry can never get a fresh one.
    pub fn derive(
        &self,
        namespace: String,
        merchant_reference: String,
        revision: u32,
    ) -> Result<String, KirimError> {
        kirim::idempotency::derive_key(self.0, &namespace, &merchant_reference, revision)
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

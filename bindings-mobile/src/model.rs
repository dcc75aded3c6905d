//! Functions over the core's model (money, currencies, statuses), whose types cross as
//! themselves (declared in the core with uniffi derives).

use kirim::Error as KirimError;
use kirim::money::{Currency, Money};
use kirim::status::{Confirmation, PayoutStatus};

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

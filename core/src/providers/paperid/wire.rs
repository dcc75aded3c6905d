//! Paper.id's payout callback exactly as the provider spells it (seed 003, spec §3). Unknown
//! fields are ignored: providers add fields without notice.

use crate::money::JsonDecimal;

/// The payout callback. Every field is optional on the wire; the parse decides what is needed.
/// `timestamp` (the table) and `completed_time` (the example) are both read (G13); each may be
/// an ISO 8601 string or Unix seconds. `amount` is a JSON number (integer or decimal; a decimal
/// string is accepted too) kept as its exact source text. The descriptive fields the event does
/// not carry are still read, so that a callback with a wrongly typed field is refused.
#[allow(dead_code)]
pub struct PayoutCallbackIn {
    pub company_id: Option<String>,
    pub company_name: Option<String>,
    pub payment_id: Option<String>,
    pub disbursement_id: Option<String>,
    pub partner_id: Option<String>,
    pub partner_name: Option<String>,
    pub status: Option<String>,
    pub status_failure_code: Option<String>,
    pub timestamp: Option<JsonDecimal>,
    pub completed_time: Option<JsonDecimal>,
    pub amount: Option<JsonDecimal>,
    pub currency: Option<String>,
    pub account_type: Option<String>,
    pub bank_code: Option<String>,
    pub account_number: Option<String>,
    pub account_holder_name: Option<String>,
}

crate::read::object_from_json!(PayoutCallbackIn {
    company_id: opt("company_id"),
    company_name: opt("company_name"),
    payment_id: opt("payment_id"),
    disbursement_id: opt("disbursement_id"),
    partner_id: opt("partner_id"),
    partner_name: opt("partner_name"),
    status: opt("status"),
    status_failure_code: opt("status_failure_code"),
    timestamp: opt("timestamp"),
    completed_time: opt("completed_time"),
    amount: opt("amount"),
    currency: opt("currency"),
    account_type: opt("account_type"),
    bank_code: opt("bank_code"),
    account_number: opt("account_number"),
    account_holder_name: opt("account_holder_name"),
});

//! Paper.id's payout callback exactly as the provider spells it (seed 003, spec §3). Unknown
//! fields are ignored: providers add fields without notice.

use crate::money::JsonDecimal;
use serde::Deserialize;

/// The payout callback. Every field is optional on the wire; the parse decides what is needed.
/// `timestamp` (the table) and `completed_time` (the example) are both read (G13); each may be
/// an ISO 8601 string or Unix seconds. `amount` is a JSON number (integer or decimal; a decimal
/// string is accepted too) kept as its exact source text. The descriptive fields the event does
/// not carry are still read, so that a callback with a wrongly typed field is refused.
#[derive(Deserialize)]
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

//! Paper.id's payout callback exactly as the provider spells it (seed 003, spec §3). Unknown
//! fields are ignored: providers add fields without notice.

use crate::money::JsonDecimal;
use crate::read::{FromJson, Read, Val};

/// The payout callback. Every field is optional on the wire; the parse decides what is needed.
/// `timestamp` (the table) and `completed_time` (the example) are both read (G13); each may be
/// an ISO 8601 string or Unix seconds. `amount` is a JSON number (integer, decimal or exponent
/// form such as `1.0E7`, G13; a decimal string is accepted too, without exponent) kept as its
/// exact source text.
pub struct PayoutCallbackIn {
    pub payment_id: Option<String>,
    pub disbursement_id: Option<String>,
    pub status: Option<String>,
    pub status_failure_code: Option<String>,
    pub timestamp: Option<JsonDecimal>,
    pub completed_time: Option<JsonDecimal>,
    pub amount: Option<JsonDecimal>,
    pub currency: Option<String>,
}

/// The descriptive fields the event does not carry: still checked (a string or null), so that a
/// callback with a wrongly typed field is refused, but not kept.
const DESCRIPTIVE: &[&str] = &[
    "company_id",
    "company_name",
    "partner_id",
    "partner_name",
    "account_type",
    "bank_code",
    "account_number",
    "account_holder_name",
];

impl FromJson for PayoutCallbackIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        for name in DESCRIPTIVE {
            o.opt::<String>(name)?;
        }
        Ok(PayoutCallbackIn {
            payment_id: o.opt("payment_id")?,
            disbursement_id: o.opt("disbursement_id")?,
            status: o.opt("status")?,
            status_failure_code: o.opt("status_failure_code")?,
            timestamp: o.opt("timestamp")?,
            completed_time: o.opt("completed_time")?,
            amount: o.opt("amount")?,
            currency: o.opt("currency")?,
        })
    }
}

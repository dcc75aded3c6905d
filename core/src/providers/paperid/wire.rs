//! Paper.id's payout callback exactly as the provider spells it (seed 003, spec §3). Unknown
//! fields are ignored: providers add fields without notice.

use crate::money::JsonDecimal;
use crate::read::{FromJson, Lenient, Read, Val};

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
    /// Times are not essential: a wrongly typed one becomes a warning, not a refusal.
    pub timestamp: Option<Lenient<JsonDecimal>>,
    pub completed_time: Option<Lenient<JsonDecimal>>,
    pub amount: Option<JsonDecimal>,
    pub currency: Option<String>,
    /// The descriptive fields that are not strings or null, each as a warning's mismatch.
    pub descriptive: Vec<Lenient<String>>,
}

/// The descriptive fields the event does not carry: still checked (a string or null), and one
/// of another type becomes a warning, not a refusal (they do not decide the payout).
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

// By hand: the descriptive fields are checked by name into one list, not kept as fields.
impl FromJson for PayoutCallbackIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        let mut descriptive = Vec::new();
        for name in DESCRIPTIVE {
            if let Some(field) = o.opt::<Lenient<String>>(name)? {
                descriptive.push(field);
            }
        }
        Ok(PayoutCallbackIn {
            descriptive,
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

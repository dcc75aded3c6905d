//! The gateway family's JSON exactly as the provider spells it (snake_case), for reading and
//! writing. Unknown fields are ignored when reading (the docs warn fields may be added); the
//! notification's signature, by contrast, covers every received field (see `signing`).

use crate::money::JsonDecimal;
use crate::read::{FromJson, Json, Lenient, Read, Val};
use crate::write::ToJson;
use serde::Serialize;

// ---- requests -------------------------------------------------------------------------------

/// `POST /gateway/api/v2/payouts`, in the seed example's field order (which is the signed,
/// sorted order). `amount` and `request_time` are JSON integers, as the table declares; the
/// seed example's strings sign identically.
#[derive(Serialize, ToJson)]
pub struct CreateWithdrawOut<'a> {
    pub amount: i64,
    pub bank_name: &'a str,
    pub currency: &'a str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<&'a str>,
    pub number: &'a str,
    pub payout_cl_id: &'a str,
    pub platform_id: &'a str,
    pub request_time: i64,
    pub service_id: &'a str,
    pub sign: String,
    /// Sent only for HMAC-SHA256: legacy deployments know no `sign_type`, and its absence
    /// means MD5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_type: Option<&'a str>,
}

// ---- responses ------------------------------------------------------------------------------

/// Every answer: `{"error_code": "0000", "data": {...}}` or `{"error_code": "0004",
/// "error_msg": "..."}`, without `data` (read on its own as a `providers::common::DataField`
/// once the code says success).
#[derive(FromJson)]
pub struct Envelope {
    pub error_code: Option<String>,
    pub error_msg: Option<String>,
}

#[derive(FromJson)]
pub struct CreateData {
    pub payout_id: Option<String>,
}

#[derive(FromJson)]
pub struct BalanceData {
    pub total_balance: JsonDecimal,
}

/// One withdraw order, as the query returns it and as the notification carries it. Numbers
/// may arrive as JSON integers or digit strings (G9). The descriptive texts and the times do not
/// decide the payout: read leniently (a wrong type is a warning, not a refusal).
#[derive(Default, FromJson)]
pub struct OrderIn {
    pub payout_id: Option<String>,
    pub payout_cl_id: Option<String>,
    pub platform_id: Option<String>,
    pub amount: Option<JsonDecimal>,
    pub real_amount: Option<JsonDecimal>,
    pub fee: Option<JsonDecimal>,
    pub currency: Option<String>,
    pub bank_name: Option<Lenient<String>>,
    pub name: Option<Lenient<String>>,
    pub number: Option<Lenient<String>>,
    pub status: Option<JsonDecimal>,
    pub error_msg: Option<String>,
    pub create_time: Option<Lenient<JsonDecimal>>,
    pub update_time: Option<Lenient<JsonDecimal>>,
}

/// `data` of a query answer when it is an object: either a list wrapper (`payouts` or `list`,
/// with an optional `total`) or one order itself. The docs do not give the shape fully, so
/// both are read from it and the conversion decides.
pub struct QueryObject {
    /// Informational (paging): a wrong type is a warning.
    pub total: Option<Lenient<JsonDecimal>>,
    pub payouts: Option<Vec<OrderIn>>,
    pub list: Option<Vec<OrderIn>>,
    /// The same object read as one order.
    pub order: OrderIn,
}

/// `data` of a query answer: an array of orders, or an object.
pub enum QueryData {
    Array(Vec<OrderIn>),
    Object(Box<QueryObject>),
}

impl FromJson for QueryData {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        match value.node {
            Json::Array(..) => Vec::from_json(value).map(QueryData::Array),
            Json::Object(..) => {
                QueryObject::from_json(value).map(|o| QueryData::Object(Box::new(o)))
            }
            _ => Err(value.invalid_type("an array of orders, a list object or one order object")),
        }
    }
}

/// Both shapes from the one object (see the type); the order's fields are read first.
impl FromJson for QueryObject {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let order = OrderIn::from_json(value)?;
        let o = value.object()?;
        Ok(QueryObject {
            total: o.opt("total")?,
            payouts: o.opt("payouts")?,
            list: o.opt("list")?,
            order,
        })
    }
}

//! Pivot's JSON exactly as the provider spells it (camelCase), for reading and writing.
//! Unknown fields are ignored: providers add fields without notice.

use crate::money::JsonDecimal;
use crate::read::{FromJson, Json, Lenient, Read, Val};
use crate::write::ToJson;
use serde::Serialize;

// ---- requests -------------------------------------------------------------------------------

/// The token request's body: constant.
pub const TOKEN_REQUEST_BODY: &[u8] = br#"{"grantType":"client_credentials"}"#;

#[derive(Serialize, ToJson)]
#[serde(rename_all = "camelCase")]
pub struct ChannelInformation<'a> {
    pub account_number: &'a str,
    pub account_name: &'a str,
}

#[derive(Serialize, ToJson)]
#[serde(rename_all = "camelCase")]
pub struct InquiryRequest<'a> {
    pub channel_code: &'a str,
    pub channel_information: ChannelInformation<'a>,
}

#[derive(Serialize, ToJson)]
pub struct AmountOut<'a> {
    pub value: IntegerText,
    pub currency: &'a str,
}

/// An integer written as a JSON string (`"100000"`), without building the string first.
pub struct IntegerText(pub i64);

impl ToJson for IntegerText {
    fn write_json(&self, out: &mut String) {
        out.push('"');
        self.0.write_json(out);
        out.push('"');
    }
}

impl Serialize for IntegerText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Field order follows the provider's examples: referenceId, inquiryId | channelCode +
/// channelInformation, amount, description.
#[derive(Serialize, ToJson)]
#[serde(rename_all = "camelCase")]
pub struct PayoutItemOut<'a> {
    pub reference_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inquiry_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_information: Option<ChannelInformation<'a>>,
    pub amount: AmountOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
}

#[derive(Serialize, ToJson)]
pub struct CreatePayoutOut<'a> {
    pub payouts: Vec<PayoutItemOut<'a>>,
}

// ---- responses ------------------------------------------------------------------------------

/// The uniform envelope `{code, message, error, data}`, without `data` (read on its own as a
/// `providers::common::DataField` once the code says success).
#[derive(FromJson)]
pub struct Envelope {
    pub code: Option<String>,
    pub message: Option<String>,
    pub error: Option<ErrorObject>,
}

#[derive(FromJson)]
#[json(rename_all = "camelCase")]
pub struct ErrorObject {
    pub details: Option<Vec<ErrorDetail>>,
    pub trace_id: Option<String>,
}

#[derive(FromJson)]
pub struct ErrorDetail {
    pub field: Option<String>,
    pub message: Option<String>,
}

#[derive(FromJson)]
#[json(rename_all = "camelCase")]
pub struct TokenData {
    pub access_token: String,
    /// A string ("900") in the docs; a number is accepted too.
    pub expires_in: JsonDecimal,
    pub token_type: Option<String>,
}

#[derive(FromJson)]
#[json(rename_all = "camelCase")]
pub struct BalanceData {
    pub available_balance: AmountIn,
}

#[derive(FromJson)]
pub struct AmountIn {
    pub value: JsonDecimal,
    pub currency: String,
}

#[derive(FromJson)]
#[json(rename_all = "camelCase")]
pub struct InquiryData {
    pub uuid: String,
    pub merchant_id: Option<String>,
    pub inquiry_result: InquiryResultIn,
}

#[derive(FromJson)]
pub struct InquiryResultIn {
    pub status: String,
    pub detail: Option<String>,
}

/// Totals; the table spells it `payoutsResults`, the JSON `payoutResults` (G6): both accepted.
#[derive(FromJson)]
#[json(rename_all = "camelCase")]
pub struct TotalsIn {
    pub total_pending_count: Option<u64>,
    pub total_pending_amount: Option<JsonDecimal>,
    pub total_success_count: Option<u64>,
    pub total_success_amount: Option<JsonDecimal>,
    pub total_failed_count: Option<u64>,
    pub total_failed_amount: Option<JsonDecimal>,
    pub total_cancelled_count: Option<u64>,
    pub total_cancelled_amount: Option<JsonDecimal>,
}

#[derive(FromJson)]
#[json(rename_all = "camelCase")]
pub struct ChannelInformationIn {
    pub account_number: Option<String>,
    pub account_name: Option<String>,
}

/// The id, amount, status and reason decide the payout and are strict; the rest is
/// descriptive and read leniently (a wrong type is a warning, not a refusal).
#[derive(FromJson)]
#[json(rename_all = "camelCase")]
pub struct PayoutItemIn {
    pub reference_id: String,
    pub amount: Option<AmountIn>,
    pub channel_code: Option<Lenient<String>>,
    pub channel_information: Option<Lenient<ChannelInformationIn>>,
    pub inquiry_id: Option<Lenient<String>>,
    pub description: Option<Lenient<String>>,
    pub status: Option<String>,
    /// `""` in retrieve responses, `null` in callbacks (G6): both mean no reason.
    pub reason: Option<String>,
    pub created: Option<Lenient<String>>,
    pub updated: Option<Lenient<String>>,
}

/// `payouts` is an array in create/retrieve and a single object in the single-item retrieve
/// and callback (G6).
pub struct OneOrMany(pub Vec<PayoutItemIn>);

impl FromJson for OneOrMany {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        match value.node {
            Json::Object(..) => PayoutItemIn::from_json(value).map(|item| OneOrMany(vec![item])),
            Json::Array(..) => Vec::from_json(value).map(OneOrMany),
            _ => Err(value.invalid_type("an array of payouts or one payout object")),
        }
    }
}

/// `uuid`, `status` and `payouts` are strict; the merchant id, the totals (informational, G6)
/// and the times are read leniently.
#[derive(FromJson)]
#[json(rename_all = "camelCase")]
pub struct PayoutData {
    pub uuid: String,
    pub merchant_id: Option<Lenient<String>>,
    pub status: Option<String>,
    #[json(alias = "payoutsResults")]
    pub payout_results: Option<Lenient<TotalsIn>>,
    pub payouts: Option<OneOrMany>,
    pub created: Option<Lenient<String>>,
    pub updated: Option<Lenient<String>>,
}

#[derive(FromJson)]
pub struct CallbackIn {
    pub event: String,
    pub data: PayoutData,
}

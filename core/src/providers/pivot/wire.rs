//! Pivot's JSON exactly as the provider spells it (camelCase), for reading and writing.
//! Unknown fields are ignored: providers add fields without notice.

use crate::money::JsonDecimal;
use serde::{Deserialize, Deserializer, Serialize};

// ---- requests -------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest<'a> {
    pub grant_type: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelInformation<'a> {
    pub account_number: &'a str,
    pub account_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryRequest<'a> {
    pub channel_code: &'a str,
    pub channel_information: ChannelInformation<'a>,
}

#[derive(Serialize)]
pub struct AmountOut<'a> {
    pub value: String,
    pub currency: &'a str,
}

/// Field order follows the provider's examples: referenceId, inquiryId | channelCode +
/// channelInformation, amount, description.
#[derive(Serialize)]
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

#[derive(Serialize)]
pub struct CreatePayoutOut<'a> {
    pub payouts: Vec<PayoutItemOut<'a>>,
}

// ---- responses ------------------------------------------------------------------------------

/// The uniform envelope `{code, message, error, data}`.
#[derive(Deserialize)]
pub struct Envelope<T> {
    pub code: Option<String>,
    pub message: Option<String>,
    pub error: Option<ErrorObject>,
    pub data: Option<T>,
}

#[derive(Deserialize)]
pub struct ErrorObject {
    #[serde(default)]
    pub details: Option<Vec<ErrorDetail>>,
    #[serde(rename = "traceId")]
    pub trace_id: Option<String>,
}

#[derive(Deserialize)]
pub struct ErrorDetail {
    pub field: Option<String>,
    pub message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenData {
    pub access_token: String,
    /// A string ("900") in the docs; a number is accepted too.
    pub expires_in: JsonDecimal,
    pub token_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceData {
    pub available_balance: AmountIn,
}

#[derive(Deserialize)]
pub struct AmountIn {
    pub value: JsonDecimal,
    pub currency: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryData {
    pub uuid: String,
    pub merchant_id: Option<String>,
    pub inquiry_result: InquiryResultIn,
}

#[derive(Deserialize)]
pub struct InquiryResultIn {
    pub status: String,
    pub detail: Option<String>,
}

/// Totals; the table spells it `payoutsResults`, the JSON `payoutResults` (G6): both accepted.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelInformationIn {
    pub account_number: Option<String>,
    pub account_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutItemIn {
    pub reference_id: String,
    pub amount: Option<AmountIn>,
    pub channel_code: Option<String>,
    pub channel_information: Option<ChannelInformationIn>,
    pub inquiry_id: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    /// `""` in retrieve responses, `null` in callbacks (G6): both mean no reason.
    pub reason: Option<String>,
    pub created: Option<String>,
    pub updated: Option<String>,
}

/// `payouts` is an array in create/retrieve and a single object in the single-item retrieve
/// and callback (G6).
pub struct OneOrMany(pub Vec<PayoutItemIn>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        struct ShapeVisitor;
        impl<'de> serde::de::Visitor<'de> for ShapeVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of payouts or one payout object")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<OneOrMany, A::Error> {
                Vec::<PayoutItemIn>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<OneOrMany, A::Error> {
                PayoutItemIn::deserialize(MapAccessDeserializer::new(map))
                    .map(|item| OneOrMany(vec![item]))
            }
        }
        // Streamed rather than buffered into a `Value`, so amounts keep their exact source text.
        deserializer.deserialize_any(ShapeVisitor)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutData {
    pub uuid: String,
    pub merchant_id: Option<String>,
    pub status: Option<String>,
    #[serde(alias = "payoutsResults")]
    pub payout_results: Option<TotalsIn>,
    pub payouts: Option<OneOrMany>,
    pub created: Option<String>,
    pub updated: Option<String>,
}

#[derive(Deserialize)]
pub struct CallbackIn {
    pub event: String,
    pub data: PayoutData,
}

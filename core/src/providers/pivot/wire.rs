//! Pivot's JSON exactly as the provider spells it (camelCase), for reading and writing.
//! Unknown fields are ignored: providers add fields without notice.

use crate::money::JsonDecimal;
use crate::read::{FromJson, Json, Lenient, Read, Val};
use serde::Serialize;

// ---- requests -------------------------------------------------------------------------------

/// The token request's body: constant.
pub const TOKEN_REQUEST_BODY: &[u8] = br#"{"grantType":"client_credentials"}"#;

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

/// The uniform envelope `{code, message, error, data}`, without `data` (read on its own as a
/// `providers::common::DataField` once the code says success).
pub struct Envelope {
    pub code: Option<String>,
    pub message: Option<String>,
    pub error: Option<ErrorObject>,
}

pub struct ErrorObject {
    pub details: Option<Vec<ErrorDetail>>,
    pub trace_id: Option<String>,
}

pub struct ErrorDetail {
    pub field: Option<String>,
    pub message: Option<String>,
}

pub struct TokenData {
    pub access_token: String,
    /// A string ("900") in the docs; a number is accepted too.
    pub expires_in: JsonDecimal,
    pub token_type: Option<String>,
}

pub struct BalanceData {
    pub available_balance: AmountIn,
}

pub struct AmountIn {
    pub value: JsonDecimal,
    pub currency: String,
}

pub struct InquiryData {
    pub uuid: String,
    pub merchant_id: Option<String>,
    pub inquiry_result: InquiryResultIn,
}

pub struct InquiryResultIn {
    pub status: String,
    pub detail: Option<String>,
}

/// Totals; the table spells it `payoutsResults`, the JSON `payoutResults` (G6): both accepted.
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

pub struct ChannelInformationIn {
    pub account_number: Option<String>,
    pub account_name: Option<String>,
}

/// The id, amount, status and reason decide the payout and are strict; the rest is
/// descriptive and read leniently (a wrong type is a warning, not a refusal).
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
pub struct PayoutData {
    pub uuid: String,
    pub merchant_id: Option<Lenient<String>>,
    pub status: Option<String>,
    pub payout_results: Option<Lenient<TotalsIn>>,
    pub payouts: Option<OneOrMany>,
    pub created: Option<Lenient<String>>,
    pub updated: Option<Lenient<String>>,
}

pub struct CallbackIn {
    pub event: String,
    pub data: PayoutData,
}

// ---- reading -------------------------------------------------------------------------------

crate::read::object_from_json!(Envelope {
    code: opt("code"),
    message: opt("message"),
    error: opt("error"),
});

crate::read::object_from_json!(ErrorObject {
    details: opt("details"),
    trace_id: opt("traceId"),
});

crate::read::object_from_json!(ErrorDetail {
    field: opt("field"),
    message: opt("message"),
});

crate::read::object_from_json!(TokenData {
    access_token: req("accessToken"),
    expires_in: req("expiresIn"),
    token_type: opt("tokenType"),
});

impl FromJson for BalanceData {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        Ok(BalanceData {
            available_balance: value.object()?.req("availableBalance")?,
        })
    }
}

crate::read::object_from_json!(AmountIn {
    value: req("value"),
    currency: req("currency"),
});

crate::read::object_from_json!(InquiryData {
    uuid: req("uuid"),
    merchant_id: opt("merchantId"),
    inquiry_result: req("inquiryResult"),
});

crate::read::object_from_json!(InquiryResultIn {
    status: req("status"),
    detail: opt("detail"),
});

crate::read::object_from_json!(TotalsIn {
    total_pending_count: opt("totalPendingCount"),
    total_pending_amount: opt("totalPendingAmount"),
    total_success_count: opt("totalSuccessCount"),
    total_success_amount: opt("totalSuccessAmount"),
    total_failed_count: opt("totalFailedCount"),
    total_failed_amount: opt("totalFailedAmount"),
    total_cancelled_count: opt("totalCancelledCount"),
    total_cancelled_amount: opt("totalCancelledAmount"),
});

crate::read::object_from_json!(ChannelInformationIn {
    account_number: opt("accountNumber"),
    account_name: opt("accountName"),
});

crate::read::object_from_json!(PayoutItemIn {
    reference_id: req("referenceId"),
    amount: opt("amount"),
    channel_code: opt("channelCode"),
    channel_information: opt("channelInformation"),
    inquiry_id: opt("inquiryId"),
    description: opt("description"),
    status: opt("status"),
    reason: opt("reason"),
    created: opt("created"),
    updated: opt("updated"),
});

impl FromJson for PayoutData {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        Ok(PayoutData {
            uuid: o.req("uuid")?,
            merchant_id: o.opt("merchantId")?,
            status: o.opt("status")?,
            payout_results: o.opt_alias(&["payoutResults", "payoutsResults"])?,
            payouts: o.opt("payouts")?,
            created: o.opt("created")?,
            updated: o.opt("updated")?,
        })
    }
}

crate::read::object_from_json!(CallbackIn {
    event: req("event"),
    data: req("data"),
});

// ---- rendering -------------------------------------------------------------------------------

crate::write::object_to_json!(ChannelInformation<'a> {
    "accountNumber": account_number,
    "accountName": account_name,
});
crate::write::object_to_json!(InquiryRequest<'a> {
    "channelCode": channel_code,
    "channelInformation": channel_information,
});
crate::write::object_to_json!(AmountOut<'a> { "value": value, "currency": currency });
crate::write::object_to_json!(PayoutItemOut<'a> {
    "referenceId": reference_id,
    "inquiryId": inquiry_id (if_some),
    "channelCode": channel_code (if_some),
    "channelInformation": channel_information (if_some),
    "amount": amount,
    "description": description (if_some),
});
crate::write::object_to_json!(CreatePayoutOut<'a> { "payouts": payouts });

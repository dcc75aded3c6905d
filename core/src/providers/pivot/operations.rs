//! Pivot's operations in the JSON operation interface (see `crate::operations`).

use super::{AccessToken, InquiryInput, PayoutItemInput, Pivot};
use crate::error::Result;
use crate::http::{Header, HttpOutcome};
use crate::operations::{Input, output};
use crate::read::{FromJson, Read, Val};
use crate::write::ToJson;
use serde::Serialize;

// By hand: built through `AccessToken::new` (the token is a secret; the type has no public fields).
/// `{"value": ..., "token_type": "Bearer", "expires_at": ...}`, a token the host stored.
impl FromJson for AccessToken {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        let token_type: String = o.or_else("token_type", || "Bearer".to_owned())?;
        Ok(AccessToken::new(
            o.req("value")?,
            &token_type,
            o.req("expires_at")?,
        ))
    }
}

fn token(input: &Input) -> Result<AccessToken> {
    input.get("access_token")
}

/// The output of `handle_callback`: the verified events or the error, and the answer to send
/// either way.
#[derive(Debug, Serialize, ToJson)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CallbackHandling"))]
pub struct HandledEvents<'a> {
    pub events: Option<&'a Vec<crate::event::PayoutEvent>>,
    pub error: Option<&'a crate::error::Error>,
    pub acknowledgement: &'a crate::http::Acknowledgement,
}

/// The operation names, checked before the configuration so that a typo is reported as one.
pub(crate) const OPERATIONS: &[&str] = &[
    "access_token_request",
    "parse_access_token",
    "needs_refresh",
    "balance_request",
    "parse_balance",
    "inquiry_request",
    "inquiry_status_request",
    "parse_inquiry",
    "create_payout_request",
    "derive_request_id",
    "parse_create_payout",
    "retrieve_request",
    "parse_retrieve",
    "verify_callback",
    "parse_callback_unverified",
    "handle_callback",
    #[cfg(feature = "testkit")]
    "test_callback",
    #[cfg(feature = "testkit")]
    "test_bulk_callback",
];

/// One operation on an already configured Pivot (what `providers::Configured` calls, so that a
/// binding holding one does not read the configuration again on every call).
pub fn run_with(pivot: &Pivot, operation: &str, input: &Input) -> Result<String> {
    match operation {
        "access_token_request" => output(&pivot.access_token_request()),
        "parse_access_token" => {
            let now: i64 = input.get("now")?;
            let token = pivot.parse_access_token(&input.get::<HttpOutcome>("outcome")?, now)?;
            #[derive(Serialize, ToJson)]
            struct Token<'a> {
                access_token: &'a str,
                token_type: &'a str,
                expires_at: i64,
                needs_refresh_now: bool,
                refresh_at: i64,
            }
            output(&Token {
                access_token: token.value().expose_secret(),
                token_type: &token.token_type,
                expires_at: token.expires_at,
                needs_refresh_now: pivot.needs_refresh(&token, now),
                refresh_at: token
                    .expires_at
                    .saturating_sub(pivot.config().token_refresh_margin_seconds),
            })
        }
        "needs_refresh" => {
            let token = token(input)?;
            #[derive(Serialize, ToJson)]
            struct NeedsRefresh {
                needs_refresh: bool,
            }
            output(&NeedsRefresh {
                needs_refresh: pivot.needs_refresh(&token, input.get("now")?),
            })
        }
        "balance_request" => output(&pivot.balance_request(&token(input)?, input.get("now")?)?),
        "parse_balance" => output(&pivot.parse_balance(&input.get("outcome")?)?),
        "inquiry_request" => output(&pivot.inquiry_request(
            &token(input)?,
            input.get("now")?,
            &input.get::<InquiryInput>("inquiry")?,
        )?),
        "inquiry_status_request" => output(&pivot.inquiry_status_request(
            &token(input)?,
            input.get("now")?,
            &input.get::<String>("inquiry_id")?,
        )?),
        "parse_inquiry" => output(&pivot.parse_inquiry(&input.get("outcome")?)?),
        "create_payout_request" => output(&pivot.create_payout_request(
            &token(input)?,
            input.get("now")?,
            &input.get::<String>("idempotency_key")?,
            &input.get::<Vec<PayoutItemInput>>("payouts")?,
        )?),
        "derive_request_id" => output(&crate::model_operations::DerivedKey {
            idempotency_key: &pivot.derive_request_id(
                &input.get::<String>("merchant_reference")?,
                input.get_or("revision", 0u32)?,
            )?,
        }),
        "parse_create_payout" => {
            let outcome: HttpOutcome = input.get("outcome")?;
            match input.get::<Option<super::CreateAttempt>>("attempt")? {
                Some(attempt) => output(&pivot.parse_create_payout_attempt(&outcome, &attempt)?),
                None => output(&pivot.parse_create_payout(&outcome)),
            }
        }
        "retrieve_request" => output(&pivot.retrieve_request(
            &token(input)?,
            input.get("now")?,
            &input.get::<String>("payout_id")?,
            input.get::<Option<String>>("reference_id")?.as_deref(),
        )?),
        "parse_retrieve" => output(&pivot.parse_retrieve(&input.get("outcome")?)?),
        "verify_callback" => {
            let headers: Vec<Header> = input.get("headers")?;
            output(&pivot.verify_callback(&headers, &input.body("body")?)?)
        }
        "parse_callback_unverified" => {
            output(&pivot.parse_callback_unverified(&input.body("body")?)?)
        }
        "handle_callback" => {
            let headers: Vec<Header> = input.get("headers")?;
            let handled = pivot.handle_callback(&headers, &input.body("body")?);
            output(&HandledEvents {
                events: handled.result.as_ref().ok(),
                error: handled.result.as_ref().err(),
                acknowledgement: &handled.acknowledgement,
            })
        }
        #[cfg(feature = "testkit")]
        "test_callback" => output(&pivot.test_callback(
            &input.get("api_key")?,
            &input.get("event")?,
            &crate::providers::common::test_url(input)?,
        )?),
        #[cfg(feature = "testkit")]
        "test_bulk_callback" => output(&pivot.test_bulk_callback(
            &input.get("api_key")?,
            &input.get::<Vec<crate::providers::common::TestCallbackEvent>>("payouts")?,
            &crate::providers::common::test_url(input)?,
        )?),
        _ => Err(crate::operations::unknown(operation)),
    }
}

crate::providers::registered_with_lifecycle!(Pivot);

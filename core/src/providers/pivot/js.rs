//! JavaScript/TypeScript (feature `ts`): the package's class `Pivot`, one entry per method
//! (see `crate::js`).

use crate::js::{Class, Declare, Shape};

/// The class's description, its TypeScript doc comment.
const DOC: &str =
    "Pivot Local Payout: access token, balance, inquiry, payouts, retrieve, callbacks.";

/// The class (`name` and `provider` come from the registration), declaring every type it names.
pub fn class(c: &mut impl Declare, name: &'static str, provider: &'static str) -> Class {
    Class::new::<super::PivotConfig, _>(c, name, provider, DOC, |t| {
        t.call("accessTokenRequest", "access_token_request")
            .request();
        t.call("parseAccessToken", "parse_access_token")
            .outcome()
            .arg::<i64>("now", "now")
            .shaped(Shape::AccessToken, "AccessToken");
        t.call("needsRefresh", "needs_refresh")
            .token()
            .field::<bool>("needs_refresh");
        t.call("balanceRequest", "balance_request")
            .token()
            .request();
        t.call("parseBalance", "parse_balance")
            .outcome()
            .to::<crate::Money>();
        t.call("inquiryRequest", "inquiry_request")
            .token()
            .arg::<super::InquiryInput>("inquiry", "inquiry")
            .request();
        t.call("inquiryStatusRequest", "inquiry_status_request")
            .token()
            .arg::<String>("inquiryId", "inquiry_id")
            .request();
        t.call("parseInquiry", "parse_inquiry")
            .outcome()
            .to::<super::InquiryResult>();
        t.call("createPayoutRequest", "create_payout_request")
            .token()
            .arg::<String>("idempotencyKey", "idempotency_key")
            .arg::<Vec<super::PayoutItemInput>>("payouts", "payouts")
            .request();
        t.call("deriveRequestId", "derive_request_id")
            .doc("A stable `X-REQUEST-ID`; bump `revision` only after a rejection you corrected.")
            .arg::<String>("merchantReference", "merchant_reference")
            .opt::<u32>("revision", "revision")
            .field::<String>("idempotency_key");
        t.call("parseCreatePayout", "parse_create_payout")
            .doc(
                "`next_action` says what to do. With `attempt` (the key, the references, when the key was\n\
                 first sent, now), a resend on the same key is advised only while the key still replays;\n\
                 after that an unknown outcome is `manual_reconciliation` (`key_window_over`). Throws\n\
                 `KirimError` (`validation_failed`) for an attempt whose key or references are invalid.",
            )
            .outcome()
            .opt::<Option<super::CreateAttempt>>("attempt", "attempt")
            .to::<super::CreatePayoutOutcome>();
        t.call("retrieveRequest", "retrieve_request")
            .token()
            .arg::<String>("payoutId", "payout_id")
            .opt::<Option<String>>("referenceId", "reference_id")
            .request();
        t.call("parseRetrieve", "parse_retrieve")
            .outcome()
            .to::<super::PayoutBatch>();
        t.call("verifyCallback", "verify_callback")
            .headers()
            .body()
            .to::<Vec<crate::PayoutEvent>>();
        t.call("parseCallbackUnverified", "parse_callback_unverified")
            .doc("No authenticity check: the events say `unverified`; confirm by retrieving.")
            .body()
            .to::<Vec<crate::PayoutEvent>>();
        t.call("handleCallback", "handle_callback")
            .headers()
            .body()
            .handling::<super::operations::HandledEvents<'static>>();
        t.call("testCallback", "test_callback")
            .doc(
                "The single callback Pivot would send for `event`, with `X-API-Key: apiKey`: feed it to\n\
                 your webhook handler in a test. `url` defaults to `http://localhost/callback`.",
            )
            .arg::<String>("apiKey", "api_key")
            .arg::<crate::providers::common::TestCallbackEvent>("event", "event")
            .opt::<Option<String>>("url", "url")
            .request();
        t.call("testBulkCallback", "test_bulk_callback")
            .doc(
                "The bulk callback Pivot would send for a request with these `payouts` (one `payout_id`):\n\
                 totals only, `PAYOUT.DONE`, or `PAYOUT.PENDING` while one waits.",
            )
            .arg::<String>("apiKey", "api_key")
            .arg::<Vec<crate::providers::common::TestCallbackEvent>>("payouts", "payouts")
            .opt::<Option<String>>("url", "url")
            .request();
    })
}

//! JavaScript/TypeScript (feature `ts`): the package's class `Gateway`, one entry per method
//! (see `crate::js`).

use crate::js::{Class, Declare, Kind};

/// The class's description, its TypeScript doc comment.
const DOC: &str =
    "The `platform_id` withdraw gateway family: signing, withdraw orders, query, notifications.";

/// The class (`name` and `provider` come from the registration), declaring every type it names.
pub fn class(c: &mut impl Declare, name: &'static str, provider: &'static str) -> Class {
    Class::new::<super::GatewayConfig, _>(c, name, provider, DOC, |t| {
        t.call("sign", "sign")
            .doc(
                "Signs parameters given as the exact JSON text (bytes; numbers kept as written) or as an\n\
                 object whose numbers are integers.",
            )
            .form("params", "params", Kind::SignParams)
            .opt::<Option<crate::signing::SignType>>("signType", "sign_type")
            .to::<super::Signature>();
        t.call("createWithdrawRequest", "create_withdraw_request")
            .arg::<super::WithdrawOrderInput>("order", "order")
            .arg::<i64>("now", "now")
            .request();
        t.call("parseCreateWithdraw", "parse_create_withdraw")
            .outcome()
            .to::<super::CreateWithdrawOutcome>();
        t.call("queryRequest", "query_request")
            .opt::<super::QueryFilter>("filter", "filter")
            .request();
        t.call("queryOrderRequest", "query_order_request")
            .arg::<String>("payoutClId", "payout_cl_id")
            .request();
        t.call("parseQuery", "parse_query")
            .outcome()
            .to::<super::QueryResult>();
        t.call("verifyNotification", "verify_notification")
            .body()
            .to::<crate::PayoutEvent>();
        t.call(
            "parseNotificationUnverified",
            "parse_notification_unverified",
        )
        .doc("No signature check: the event says `unverified`; confirm by a query.")
        .body()
        .to::<crate::PayoutEvent>();
        t.call("handleNotification", "handle_notification")
            .body()
            .handling::<crate::providers::common::HandledEvent<'static>>();
        t.call("balanceRequest", "balance_request").request();
        t.call("parseBalance", "parse_balance")
            .outcome()
            .to::<crate::Money>();
        t.call("testNotification", "test_notification")
            .doc(
                "The notification the gateway would send for `event`, signed with `platformKey` by\n\
                 `signType` (default: the configured one) under this configuration's key join and hex case.",
            )
            .arg::<String>("platformKey", "platform_key")
            .arg::<crate::providers::common::TestCallbackEvent>("event", "event")
            .opt::<Option<crate::signing::SignType>>("signType", "sign_type")
            .opt::<Option<String>>("url", "url")
            .request();
    })
}

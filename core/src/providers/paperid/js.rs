//! JavaScript/TypeScript (feature `ts`): the package's class `PaperId`, one entry per method
//! (see `crate::js`).

use crate::js::{Class, Declare};

/// The class's description, its TypeScript doc comment.
const DOC: &str = "Paper.id payout callbacks, with the authenticity options the caller configures.";

/// The class (`name` and `provider` come from the registration), declaring every type it names.
pub fn class(c: &mut impl Declare, name: &'static str, provider: &'static str) -> Class {
    Class::new::<super::PaperIdConfig, _>(c, name, provider, DOC, |t| {
        t.call("verifyCallback", "verify_callback")
            .doc("`sourceAddress`: the peer address the host saw (never a header the sender controls).")
            .headers()
            .arg::<Option<String>>("sourceAddress", "source_address")
            .body()
            .to::<crate::PayoutEvent>();
        t.call("parseCallbackUnverified", "parse_callback_unverified")
            .doc("No authenticity check: the event says `unverified` and `requires_query`.")
            .body()
            .to::<crate::PayoutEvent>();
        t.call("handleCallback", "handle_callback")
            .doc("`verifyCallback` and `callbackAcknowledgement` in one call; never fails for a bad callback.")
            .headers()
            .arg::<Option<String>>("sourceAddress", "source_address")
            .body()
            .handling::<crate::providers::common::HandledEvent<'static>>();
        t.call("callbackAcknowledgement", "callback_acknowledgement")
            .doc("The answer to send for a callback: `error` is what `verifyCallback` raised, left out when it succeeded.")
            .opt::<Option<crate::Error>>("error", "error")
            .acknowledgement();
        t.call("testCallback", "test_callback")
            .doc("The callback Paper.id would send for `event`, with `token` in the configured token header.")
            .arg::<crate::secret::Secret>("token", "token")
            .arg::<crate::providers::common::TestCallbackEvent>("event", "event")
            .opt::<Option<String>>("url", "url")
            .request();
    })
    .config_optional()
}

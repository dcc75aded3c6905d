//! The provider contract: what a payout provider offers the lifecycle. Each provider states only
//! what differs (in `providers/<provider>/lifecycle.rs`); what every provider does the same way
//! (the HTTP-status rule, "an unknown outcome is never a failure", matching events against the
//! order, the query schedule) is written once, in `lifecycle::rules` and the machine.

use super::PayoutOrder;
use crate::error::{Error, Result};
use crate::event::PayoutEvent;
use crate::http::{Acknowledgement, Header, HttpOutcome, HttpRequest};
use crate::money::Money;
use crate::providers::pivot::AccessToken;
use crate::read::FromJson;
use crate::status::{Confirmation, Failure, NextAction, PayoutStatus};
use crate::write::ToJson;

/// Why the machine sends a request.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromJson, ToJson)]
#[cfg_attr(feature = "ts", ts(rename_all = "snake_case"))]
#[json(rename_all = "snake_case")]
#[json(as_str)]
pub enum Purpose {
    /// Get an access token (Pivot's session).
    Session,
    /// Create the payout (or resend the identical create, Pivot's replay).
    Create,
    /// Ask the provider for the payout's status (by its id or by the merchant's reference).
    Query,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Session => "session",
            Purpose::Create => "create",
            Purpose::Query => "query",
        }
    }
}

/// How a create whose outcome is unknown (timeout, 5xx, unreadable answer) is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownCreate {
    /// Resend the IDENTICAL request with the same key while the provider still replays it
    /// (`validity_seconds` after the first send, less `margin_seconds`); after that, a person
    /// reconciles. Pivot: no lookup by the merchant's reference (spec §1.4, §1.9).
    ReplayWithinKeyWindow {
        validity_seconds: i64,
        margin_seconds: i64,
    },
    /// Query by the merchant's reference; create again only if the answer proves that no
    /// payout exists. The gateway: by `payout_cl_id` (spec §2.2, §2.3).
    QueryByReference {
        /// Wait this long after the unknown outcome before the query, so that a create still in
        /// the provider's pipeline is visible to it (else "not found" proves nothing).
        settle_seconds: i64,
    },
}

/// One observation of the payout (a create or query answer, or a verified callback event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub status: PayoutStatus,
    pub confirmation: Confirmation,
    /// The provider's id of the payout, when the observation carries it.
    pub payout_id: Option<String>,
    /// The merchant's reference the observation names, when it names one.
    pub reference_id: Option<String>,
    pub amount: Option<Money>,
    pub failure: Option<Failure>,
}

impl Observation {
    /// A callback event as an observation.
    pub fn from_event(event: &PayoutEvent) -> Observation {
        Observation {
            status: event.status,
            // An event that asks for a query never decides by itself.
            confirmation: if event.requires_query {
                Confirmation::Tentative
            } else {
                event.confirmation
            },
            payout_id: event.payout_id.clone(),
            reference_id: event.reference_id.clone(),
            amount: event.amount,
            failure: event.failure.clone(),
        }
    }
}

/// What a create answer (or its transport failure) says, in the contract's terms.
#[derive(Debug, Clone)]
pub enum CreateAnswer {
    /// The provider holds the payout: its id and, when the answer carries them, first statuses
    /// (one per item the answer lists: one for a single payout, each item's for a batch).
    Accepted {
        payout_id: Option<String>,
        observations: Vec<Observation>,
    },
    /// Anything else, with the provider's own next action (its mapping) and the error.
    NotAccepted {
        next_action: NextAction,
        error: Error,
    },
}

/// What a status query answer says.
#[derive(Debug, Clone)]
pub enum QueryAnswer {
    /// The payout as the provider holds it (confirmed observations: one for a single payout,
    /// each listed item's for a batch).
    Found(Vec<Observation>),
    /// The provider PROVES that no payout exists for the reference (the gateway's list query by
    /// `payout_cl_id`, answered `0000` with no order). Only this allows a new create after an
    /// unknown outcome.
    NotFound,
    /// No usable answer; `session_expired` when a new token and the same query may fix it.
    Failed { error: Error, session_expired: bool },
}

/// What a payout provider offers the lifecycle.
pub trait PayoutProvider {
    /// The provider's name in operations and snapshots (`pivot`, `gateway`).
    fn name(&self) -> &'static str;

    /// The account the payouts are made from, as a snapshot records it (no secret: the API's
    /// address and the provider's account id). A snapshot restores only under the same account:
    /// under another one, a create lost on the first would be resolved against the second, found
    /// missing there, and made again.
    fn account(&self) -> String;

    /// The idempotency key of the order's create, derived from the merchant's reference (so a
    /// retry, or a restored machine, can never get a fresh one).
    fn idempotency_key(&self, order: &PayoutOrder) -> Result<String>;

    /// Checks the order as the provider will send it (every violation reported), before any
    /// request goes out.
    fn check_order(&self, order: &PayoutOrder, key: &str, now: i64) -> Result<()>;

    /// How an unknown create outcome is resolved.
    fn unknown_create(&self) -> UnknownCreate;

    /// Whether one create can carry a batch of items (Pivot bulk); `check_order` then checks
    /// the batch.
    fn supports_batch(&self) -> bool {
        false
    }

    /// The defaults of the query schedule, in seconds after the create was accepted: no final
    /// status by each deadline means a query (the provider's callback retry schedule).
    fn query_schedule(&self) -> &'static [i64];

    // ---- auth session (Pivot's token); providers without one keep the defaults ----

    /// The token request, `None` when the provider has no session.
    fn session_request(&self) -> Option<HttpRequest> {
        None
    }

    /// Reads the token answer.
    fn read_session(&self, outcome: &HttpOutcome, now: i64) -> Result<AccessToken> {
        let _ = (outcome, now);
        Err(Error::new(
            crate::error::ErrorCode::InvalidConfig,
            "this provider has no session",
        ))
    }

    /// Refresh the token this many seconds before it expires.
    fn session_refresh_margin(&self) -> i64 {
        0
    }

    // ---- create ----

    /// The create request; the same order, key and token give the same body (a resend is the
    /// identical request).
    fn create_request(
        &self,
        order: &PayoutOrder,
        key: &str,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest>;

    fn read_create(&self, outcome: &HttpOutcome, order: &PayoutOrder) -> CreateAnswer;

    /// The next action of a create answer for an attempt first sent at `first_sent_at`: the
    /// provider's key window may turn a resend into a manual reconciliation.
    fn create_next_action(
        &self,
        action: NextAction,
        error: Option<&Error>,
        key: &str,
        order: &PayoutOrder,
        first_sent_at: i64,
        now: i64,
    ) -> NextAction {
        let _ = (error, key, order, first_sent_at, now);
        action
    }

    // ---- status query ----

    /// Whether a query can be built with what is known (Pivot needs its payout uuid; the
    /// gateway queries by the merchant's reference).
    fn can_query(&self, payout_id: Option<&str>) -> bool;

    fn query_request(
        &self,
        order: &PayoutOrder,
        payout_id: Option<&str>,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest>;

    fn read_query(&self, outcome: &HttpOutcome, order: &PayoutOrder) -> QueryAnswer;

    /// The query of ONE batch item by its reference, for the items a whole-request query left
    /// unlisted (Pivot lists a page of items: §1.3, §1.9); its answer is read by `read_query`.
    /// Only a provider that supports batches is asked.
    fn item_query_request(
        &self,
        order: &PayoutOrder,
        payout_id: Option<&str>,
        reference: &str,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest> {
        let _ = (order, payout_id, reference, token, now);
        Err(Error::new(
            crate::error::ErrorCode::InvalidConfig,
            "this provider cannot query one item of a batch",
        ))
    }

    // ---- callbacks ----

    /// Verifies a callback by the provider's rules and reads its events (confirmed or tentative
    /// as `PayoutEvent::confirmation` says).
    fn read_callback(&self, headers: &[Header], body: &[u8]) -> Result<Vec<PayoutEvent>>;

    /// Reads a callback WITHOUT checking where it came from: its events are tentative (they can
    /// only ask the machine for a query).
    fn read_callback_unverified(&self, body: &[u8]) -> Result<Vec<PayoutEvent>>;

    /// The answer to send for a callback (the provider's acknowledgement policy).
    fn callback_acknowledgement(&self, result: std::result::Result<(), &Error>) -> Acknowledgement;
}

/// A provider behind a reference or a box (`&dyn PayoutProvider`, `Box<dyn PayoutProvider>`) is
/// a provider: a machine over `Box<dyn PayoutProvider>` is compiled once for every provider (the
/// `.wasm` carries one machine, not one per provider), and a binding can own one
/// (`lifecycle::DynLifecycle`).
macro_rules! forward_provider {
    ($($pointer:ty),*) => {$(
impl<T: PayoutProvider + ?Sized> PayoutProvider for $pointer {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn account(&self) -> String {
        (**self).account()
    }
    fn idempotency_key(&self, order: &PayoutOrder) -> Result<String> {
        (**self).idempotency_key(order)
    }
    fn check_order(&self, order: &PayoutOrder, key: &str, now: i64) -> Result<()> {
        (**self).check_order(order, key, now)
    }
    fn unknown_create(&self) -> UnknownCreate {
        (**self).unknown_create()
    }
    fn supports_batch(&self) -> bool {
        (**self).supports_batch()
    }
    fn query_schedule(&self) -> &'static [i64] {
        (**self).query_schedule()
    }
    fn session_request(&self) -> Option<HttpRequest> {
        (**self).session_request()
    }
    fn read_session(&self, outcome: &HttpOutcome, now: i64) -> Result<AccessToken> {
        (**self).read_session(outcome, now)
    }
    fn session_refresh_margin(&self) -> i64 {
        (**self).session_refresh_margin()
    }
    fn create_request(
        &self,
        order: &PayoutOrder,
        key: &str,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest> {
        (**self).create_request(order, key, token, now)
    }
    fn read_create(&self, outcome: &HttpOutcome, order: &PayoutOrder) -> CreateAnswer {
        (**self).read_create(outcome, order)
    }
    fn create_next_action(
        &self,
        action: NextAction,
        error: Option<&Error>,
        key: &str,
        order: &PayoutOrder,
        first_sent_at: i64,
        now: i64,
    ) -> NextAction {
        (**self).create_next_action(action, error, key, order, first_sent_at, now)
    }
    fn can_query(&self, payout_id: Option<&str>) -> bool {
        (**self).can_query(payout_id)
    }
    fn query_request(
        &self,
        order: &PayoutOrder,
        payout_id: Option<&str>,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest> {
        (**self).query_request(order, payout_id, token, now)
    }
    fn read_query(&self, outcome: &HttpOutcome, order: &PayoutOrder) -> QueryAnswer {
        (**self).read_query(outcome, order)
    }
    fn item_query_request(
        &self,
        order: &PayoutOrder,
        payout_id: Option<&str>,
        reference: &str,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest> {
        (**self).item_query_request(order, payout_id, reference, token, now)
    }
    fn read_callback(&self, headers: &[Header], body: &[u8]) -> Result<Vec<PayoutEvent>> {
        (**self).read_callback(headers, body)
    }
    fn read_callback_unverified(&self, body: &[u8]) -> Result<Vec<PayoutEvent>> {
        (**self).read_callback_unverified(body)
    }
    fn callback_acknowledgement(&self, result: std::result::Result<(), &Error>) -> Acknowledgement {
        (**self).callback_acknowledgement(result)
    }
}
    )*};
}
forward_provider!(&T, Box<T>);

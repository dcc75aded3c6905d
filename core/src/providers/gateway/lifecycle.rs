//! What the gateway states in the lifecycle contract (spec §2.2-2.6): no session (a signed
//! body; queries carry the platform's Authorization token); the merchant's reference is the
//! `payout_cl_id`, so an unknown create is resolved by querying by it, and the order is created
//! again only when the answer proves none exists; notifications are signed and retried up to
//! 10 times within an hour (§2.5); status `2` is confirmed only by a query (G7).

use super::{Gateway, QueryFilter, WithdrawOrderInput};
use crate::error::{Error, ErrorCode, Result};
use crate::event::PayoutEvent;
use crate::http::{Acknowledgement, Header, HttpOutcome, HttpRequest};
use crate::lifecycle::{
    CreateAnswer, Observation, PayoutOrder, PayoutProvider, QueryAnswer, UnknownCreate,
};
use crate::providers::pivot::AccessToken;
use crate::status::Confirmation;

/// Queries at 10 min, 30 min and 1 h after acceptance (the notification retries run within an
/// hour), then 2 h, then every 6 h.
pub const QUERY_SCHEDULE_SECONDS: &[i64] = &[600, 1200, 1800, 3600, 21_600];

/// The wait before the query that resolves an unknown create: a create still in the gateway's
/// pipeline must be visible to it, else "not found" would prove nothing.
pub const SETTLE_SECONDS: i64 = 120;

fn withdraw(order: &PayoutOrder) -> WithdrawOrderInput {
    WithdrawOrderInput {
        payout_cl_id: order.reference.clone(),
        amount: order.amount,
        bank_name: order.beneficiary.bank.clone(),
        name: order.beneficiary.account_name.clone(),
        number: order.beneficiary.account_number.clone(),
        notify_url: order.notify_url.clone(),
    }
}

fn by_reference(order: &PayoutOrder) -> QueryFilter {
    QueryFilter {
        payout_cl_id: Some(order.reference.clone()),
        ..QueryFilter::default()
    }
}

impl PayoutProvider for Gateway {
    fn name(&self) -> &'static str {
        "gateway"
    }

    fn account(&self) -> String {
        format!("platform {} at {}", self.config.platform_id, self.base_url)
    }

    /// The gateway has no idempotency header: the `payout_cl_id` (the reference) is the key.
    fn idempotency_key(&self, order: &PayoutOrder) -> Result<String> {
        if order.reference.is_empty() {
            return Err(Error::field(
                ErrorCode::MissingField,
                "order.reference",
                "the order needs a reference: it is the payout_cl_id",
            ));
        }
        Ok(order.reference.clone())
    }

    fn check_order(&self, order: &PayoutOrder, _key: &str, now: i64) -> Result<()> {
        self.create_withdraw_request(&withdraw(order), now)?;
        // The lifecycle resolves unknown outcomes by query: it needs the Authorization token.
        self.query_request(&by_reference(order)).map(|_| ())
    }

    fn unknown_create(&self) -> UnknownCreate {
        UnknownCreate::QueryByReference {
            settle_seconds: SETTLE_SECONDS,
        }
    }

    fn query_schedule(&self) -> &'static [i64] {
        QUERY_SCHEDULE_SECONDS
    }

    fn create_request(
        &self,
        order: &PayoutOrder,
        _key: &str,
        _token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest> {
        self.create_withdraw_request(&withdraw(order), now)
    }

    fn read_create(&self, outcome: &HttpOutcome, _order: &PayoutOrder) -> CreateAnswer {
        let parsed = self.parse_create_withdraw(outcome);
        match parsed.error {
            None => CreateAnswer::Accepted {
                payout_id: parsed.payout_id,
                observations: Vec::new(),
            },
            Some(error) => CreateAnswer::NotAccepted {
                next_action: parsed.next_action,
                error,
            },
        }
    }

    fn can_query(&self, _payout_id: Option<&str>) -> bool {
        true
    }

    fn query_request(
        &self,
        order: &PayoutOrder,
        _payout_id: Option<&str>,
        _token: Option<&AccessToken>,
        _now: i64,
    ) -> Result<HttpRequest> {
        self.query_request(&by_reference(order))
    }

    fn read_query(&self, outcome: &HttpOutcome, order: &PayoutOrder) -> QueryAnswer {
        match self.parse_query(outcome) {
            Ok(result) => {
                let ours = result
                    .orders
                    .iter()
                    .find(|o| o.payout_cl_id.as_deref() == Some(order.reference.as_str()));
                match (ours, result.orders.first()) {
                    (Some(o), _) => QueryAnswer::Found(vec![Observation {
                        status: o.status,
                        confirmation: Confirmation::Confirmed,
                        payout_id: o.payout_id.clone(),
                        reference_id: o.payout_cl_id.clone(),
                        amount: o.amount,
                        failure: o.failure.clone(),
                    }]),
                    // `0000` with no order for a query filtered by our payout_cl_id: none exists.
                    (None, None) => QueryAnswer::NotFound,
                    // Orders, none ours: the filter was not applied; this proves nothing.
                    (None, Some(_)) => QueryAnswer::Failed {
                        error: Error::field(
                            ErrorCode::MalformedResponse,
                            "data",
                            "the query by payout_cl_id answered other orders only",
                        ),
                        session_expired: false,
                    },
                }
            }
            // `0050` "order not found" (spec §2.7) to a query filtered by our payout_cl_id: the
            // gateway's own word that no order exists, as a `0000` with no order is. Read as a
            // failure, it left a create lost to a 5xx querying forever, never ending.
            Err(error) if error.provider_code.as_deref() == Some("0050") => QueryAnswer::NotFound,
            Err(error) => QueryAnswer::Failed {
                error,
                session_expired: false,
            },
        }
    }

    fn read_callback(&self, _headers: &[Header], body: &[u8]) -> Result<Vec<PayoutEvent>> {
        self.verify_notification(body).map(|event| vec![event])
    }

    fn read_callback_unverified(&self, body: &[u8]) -> Result<Vec<PayoutEvent>> {
        self.parse_notification_unverified(body)
            .map(|event| vec![event])
    }

    fn callback_acknowledgement(&self, result: std::result::Result<(), &Error>) -> Acknowledgement {
        self.notification_acknowledgement(result)
    }
}

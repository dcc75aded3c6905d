//! What Pivot states in the lifecycle contract (spec §1.2-1.10): a bearer-token session; a
//! create keyed by `X-REQUEST-ID` (derived from the reference) that Pivot replays for 24 h; no
//! lookup by the merchant's reference, so an unknown create is resolved by resending the
//! identical request inside the key window (less the margin), then by a person; queries by the
//! payout uuid; callbacks authenticated by `X-API-Key` and retried on +5 min, +15 min, +1 h,
//! +3 h, +6 h, +12 h (§1.10).

use super::attempt::{self, CreateAttempt};
use super::{AccessToken, PayoutDestination, PayoutItemInput, Pivot};
use crate::error::{Error, Result};
use crate::event::PayoutEvent;
use crate::http::{Acknowledgement, Header, HttpOutcome, HttpRequest};
use crate::idempotency::PIVOT_RULES;
use crate::lifecycle::rules::session_expired;
use crate::lifecycle::{
    CreateAnswer, Observation, PayoutOrder, PayoutProvider, QueryAnswer, UnknownCreate,
};
use crate::secret::Secret;
use crate::status::{Confirmation, NextAction};

/// Pivot's callback retry schedule (§1.10), as the delays between the lifecycle's queries: a
/// payout with no final status by each retry is queried.
pub const QUERY_SCHEDULE_SECONDS: &[i64] = &[300, 900, 3600, 10_800, 21_600, 43_200];

/// The most items one Pivot create carries (spec §1.7, issue 16: bulk up to 1,000 items).
pub const MAX_BATCH_ITEMS: usize = 1000;

/// The create's items: the order's own for a single payout, each item's for a batch.
fn items(order: &PayoutOrder) -> Vec<PayoutItemInput> {
    if order.items.is_empty() {
        return vec![item(order)];
    }
    order
        .items
        .iter()
        .map(|i| {
            item(&PayoutOrder {
                reference: i.reference.clone(),
                amount: i.amount,
                beneficiary: i.beneficiary.clone(),
                inquiry_id: i.inquiry_id.clone(),
                description: i.description.clone(),
                notify_url: None,
                items: Vec::new(),
            })
        })
        .collect()
}

/// Every item of the answer as a confirmed observation. A single payout reads its own item
/// (or, if the answer lacks it, the first, which then fails the reference check: an answer
/// about another payout is never ours); a batch reads them all (an item it did not order fails
/// the check the same way).
fn observations(batch: &super::PayoutBatch, order: &PayoutOrder) -> Vec<Observation> {
    let observe = |i: &super::PayoutItemState| Observation {
        status: i.status,
        confirmation: Confirmation::Confirmed,
        payout_id: Some(batch.payout_id.clone()),
        reference_id: Some(i.reference_id.clone()),
        amount: i.amount,
        failure: i.failure.clone(),
    };
    if order.is_batch() {
        return batch.items.iter().map(observe).collect();
    }
    batch
        .items
        .iter()
        .find(|i| i.reference_id == order.reference)
        .or(batch.items.first())
        .map(observe)
        .into_iter()
        .collect()
}

fn item(order: &PayoutOrder) -> PayoutItemInput {
    let destination = match &order.inquiry_id {
        Some(inquiry_id) => PayoutDestination::Inquiry {
            inquiry_id: inquiry_id.clone(),
        },
        None => PayoutDestination::Account {
            channel_code: order.beneficiary.bank.clone(),
            account_number: order.beneficiary.account_number.clone(),
            account_name: order.beneficiary.account_name.clone(),
        },
    };
    PayoutItemInput {
        reference_id: order.reference.clone(),
        destination,
        amount: order.amount,
        description: order.description.clone(),
    }
}

fn missing_payout_id() -> Error {
    Error::field(
        crate::error::ErrorCode::MissingField,
        "payout_id",
        "Pivot is queried by its payout uuid, which no answer gave yet",
    )
}

fn missing_token() -> Error {
    Error::field(
        crate::error::ErrorCode::AccessTokenExpired,
        "access_token",
        "no access token: request one first",
    )
}

impl PayoutProvider for Pivot {
    fn name(&self) -> &'static str {
        "pivot"
    }

    fn account(&self) -> String {
        format!("merchant {} at {}", self.config.merchant_id, self.base_url)
    }

    fn idempotency_key(&self, order: &PayoutOrder) -> Result<String> {
        self.derive_request_id(&order.reference, 0)
    }

    fn check_order(&self, order: &PayoutOrder, key: &str, now: i64) -> Result<()> {
        // The request as it will be built, with a stand-in token (only the fields are checked).
        let token = AccessToken::new(Secret::new("check"), "Bearer", i64::MAX);
        if order.is_batch() {
            let mut violations = crate::error::Violations::new();
            if order.items.len() > MAX_BATCH_ITEMS {
                violations.push(
                    "items",
                    crate::error::ErrorCode::InvalidField,
                    format!(
                        "a Pivot batch has at most {MAX_BATCH_ITEMS} items, this one {}",
                        order.items.len()
                    ),
                );
            }
            let mut total: Option<i64> = Some(0);
            for i in &order.items {
                total = total.and_then(|t| t.checked_add(i.amount.minor_units));
                if i.amount.currency != order.amount.currency {
                    total = None;
                }
            }
            if total != Some(order.amount.minor_units) {
                violations.push(
                    "amount",
                    crate::error::ErrorCode::InvalidField,
                    "a batch's amount must be the total of its items, in their currency",
                );
            }
            violations.finish()?;
        }
        self.create_payout_request(&token, now, key, &items(order))
            .map(|_| ())
    }

    fn unknown_create(&self) -> UnknownCreate {
        UnknownCreate::ReplayWithinKeyWindow {
            validity_seconds: PIVOT_RULES.validity_seconds,
            margin_seconds: self.config.key_window_margin_seconds,
        }
    }

    fn supports_batch(&self) -> bool {
        true
    }

    fn query_schedule(&self) -> &'static [i64] {
        QUERY_SCHEDULE_SECONDS
    }

    fn session_request(&self) -> Option<HttpRequest> {
        Some(self.access_token_request())
    }

    fn read_session(&self, outcome: &HttpOutcome, now: i64) -> Result<AccessToken> {
        self.parse_access_token(outcome, now)
    }

    fn session_refresh_margin(&self) -> i64 {
        self.config.token_refresh_margin_seconds
    }

    fn create_request(
        &self,
        order: &PayoutOrder,
        key: &str,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest> {
        let token = token.ok_or_else(missing_token)?;
        self.create_payout_request(token, now, key, &items(order))
    }

    fn read_create(&self, outcome: &HttpOutcome, order: &PayoutOrder) -> CreateAnswer {
        let parsed = self.parse_create_payout(outcome);
        match (parsed.batch, parsed.error) {
            (Some(batch), _) => CreateAnswer::Accepted {
                payout_id: Some(batch.payout_id.clone()),
                observations: observations(&batch, order),
            },
            (None, Some(error)) => CreateAnswer::NotAccepted {
                next_action: parsed.next_action,
                error,
            },
            (None, None) => CreateAnswer::NotAccepted {
                next_action: NextAction::ResendSameRequest,
                error: Error::new(
                    crate::error::ErrorCode::MalformedResponse,
                    "the create answer carried neither a payout nor an error",
                ),
            },
        }
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
        let attempt = CreateAttempt {
            idempotency_key: key.to_owned(),
            reference_ids: if order.is_batch() {
                order.items.iter().map(|i| i.reference.clone()).collect()
            } else {
                vec![order.reference.clone()]
            },
            first_sent_at,
            now,
        };
        attempt::next_action(
            action,
            error,
            &attempt,
            self.config.key_window_margin_seconds,
        )
    }

    fn can_query(&self, payout_id: Option<&str>) -> bool {
        payout_id.is_some()
    }

    fn query_request(
        &self,
        order: &PayoutOrder,
        payout_id: Option<&str>,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest> {
        let token = token.ok_or_else(missing_token)?;
        let payout_id = payout_id.ok_or_else(missing_payout_id)?;
        // A batch is read whole (every item's status); a single payout as its item (§1.9).
        let reference = (!order.is_batch()).then_some(order.reference.as_str());
        self.retrieve_request(token, now, payout_id, reference)
    }

    fn read_query(&self, outcome: &HttpOutcome, order: &PayoutOrder) -> QueryAnswer {
        match self.parse_retrieve(outcome) {
            Ok(batch) => {
                let found = observations(&batch, order);
                match found.is_empty() {
                    false => QueryAnswer::Found(found),
                    true => QueryAnswer::Failed {
                        error: Error::field(
                            crate::error::ErrorCode::MalformedResponse,
                            "data.payouts",
                            "the retrieve answer lists no payout item",
                        ),
                        session_expired: false,
                    },
                }
            }
            Err(error) => QueryAnswer::Failed {
                session_expired: session_expired(error.code),
                error,
            },
        }
    }

    fn item_query_request(
        &self,
        _order: &PayoutOrder,
        payout_id: Option<&str>,
        reference: &str,
        token: Option<&AccessToken>,
        now: i64,
    ) -> Result<HttpRequest> {
        let token = token.ok_or_else(missing_token)?;
        let payout_id = payout_id.ok_or_else(missing_payout_id)?;
        // The documented single-item retrieve (§1.9): the whole request lists one page of items.
        self.retrieve_request(token, now, payout_id, Some(reference))
    }

    fn read_callback(&self, headers: &[Header], body: &[u8]) -> Result<Vec<PayoutEvent>> {
        self.verify_callback(headers, body)
    }

    fn read_callback_unverified(&self, body: &[u8]) -> Result<Vec<PayoutEvent>> {
        self.parse_callback_unverified(body)
    }

    fn callback_acknowledgement(&self, result: std::result::Result<(), &Error>) -> Acknowledgement {
        Pivot::callback_acknowledgement(self, result)
    }
}

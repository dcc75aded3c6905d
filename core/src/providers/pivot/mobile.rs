//! Kotlin/Swift (feature `uniffi`): the object `Pivot`, one method per method of the core's
//! [`Pivot`](super::Pivot), and its token. The configuration, inputs and results cross as the
//! core's own types (uniffi derives on their declarations).

use super::{
    self as core, CreateAttempt, InquiryInput, InquiryResult, PayoutBatch, PayoutItemInput,
    PivotConfig,
};
use crate::Error as KirimError;
use crate::Secret;
use crate::error::ErrorData;
use crate::event::PayoutEvent;
use crate::http::{Acknowledgement, Header, HttpOutcome, HttpRequest};
use crate::mobile::{CallbackHandling, IdempotencyRules};
use crate::money::Money;
use crate::providers::common::{DEFAULT_TEST_CALLBACK_URL, TestCallbackEvent};
use crate::status::NextAction;
use std::sync::Arc;

/// The core's own defaults (`PivotConfig::new` in the core) for these credentials: what a
/// `PivotConfig(baseUrl, merchantId, merchantSecret)` built in Kotlin or Swift must equal.
#[uniffi::export]
pub fn pivot_config_defaults(
    base_url: String,
    merchant_id: String,
    merchant_secret: Secret,
) -> PivotConfig {
    PivotConfig::new(&base_url, &merchant_id, merchant_secret)
}

/// Pivot's production base URL.
#[uniffi::export]
pub fn pivot_production_url() -> String {
    core::PRODUCTION_URL.to_owned()
}

/// Pivot's sandbox base URL.
#[uniffi::export]
pub fn pivot_sandbox_url() -> String {
    core::SANDBOX_URL.to_owned()
}

/// A Pivot bearer token and its expiry. Its value never renders.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct AccessToken(pub core::AccessToken);

#[uniffi::export]
impl AccessToken {
    /// Rebuilds a token the host stored (e.g. shared across processes).
    #[uniffi::constructor]
    pub fn new(value: Secret, token_type: String, expires_at: i64) -> Self {
        AccessToken(core::AccessToken::new(value, &token_type, expires_at))
    }

    /// The token's value, as an opaque secret.
    pub fn value(&self) -> Secret {
        self.0.value().clone()
    }

    /// The token type, e.g. `Bearer`.
    pub fn token_type(&self) -> String {
        self.0.token_type.clone()
    }

    /// Expiry, Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.0.expires_at
    }

    /// True once `now` is within `margin_seconds` of expiry (or past it).
    pub fn needs_refresh(&self, now: i64, margin_seconds: i64) -> bool {
        self.0.needs_refresh(now, margin_seconds)
    }

    /// True once expired at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.0.is_expired(now)
    }
}

/// The result of a create-payout call: what to do next, and the batch when accepted.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreatePayoutOutcome {
    /// What to do next. Accepted is never success.
    pub next_action: NextAction,
    /// The batch, when the provider accepted the request.
    pub batch: Option<PayoutBatch>,
    /// The error, when it rejected it or the outcome is unknown.
    pub error: Option<ErrorData>,
}

/// The Pivot protocol shell: builds requests as data and reads responses and callbacks from
/// raw bytes. Holds configuration only; no state, no I/O.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Pivot(pub core::Pivot);

#[uniffi::export]
impl Pivot {
    /// Checks the configuration; every violated field is reported.
    #[uniffi::constructor]
    pub fn new(config: PivotConfig) -> Result<Self, KirimError> {
        Ok(Pivot(core::Pivot::new(config)?))
    }

    /// The configuration, with defaults filled in.
    pub fn config(&self) -> PivotConfig {
        self.0.config().clone()
    }

    /// The rules for `X-REQUEST-ID`.
    pub fn idempotency_rules(&self) -> Arc<IdempotencyRules> {
        Arc::new(IdempotencyRules(self.0.idempotency_rules(), "pivot"))
    }

    /// A stable `X-REQUEST-ID` for this merchant reference (bump `revision` only after a
    /// rejection you corrected).
    #[uniffi::method(default(revision = 0))]
    pub fn derive_request_id(
        &self,
        merchant_reference: String,
        revision: u32,
    ) -> Result<String, KirimError> {
        self.0.derive_request_id(&merchant_reference, revision)
    }

    /// `POST /v1/access-token` with the merchant credentials.
    pub fn access_token_request(&self) -> HttpRequest {
        self.0.access_token_request()
    }

    /// Reads the token; its expiry is `now + expiresIn`.
    pub fn parse_access_token(
        &self,
        outcome: HttpOutcome,
        now: i64,
    ) -> Result<Arc<AccessToken>, KirimError> {
        let token = self.0.parse_access_token(&outcome, now)?;
        Ok(Arc::new(AccessToken(token)))
    }

    /// Whether to fetch a new token before the next call, with the configured margin.
    pub fn needs_refresh(&self, token: Arc<AccessToken>, now: i64) -> bool {
        self.0.needs_refresh(&token.0, now)
    }

    /// `GET` the payout balance.
    pub fn balance_request(
        &self,
        token: Arc<AccessToken>,
        now: i64,
    ) -> Result<HttpRequest, KirimError> {
        self.0.balance_request(&token.0, now)
    }

    /// The available balance, exactly.
    pub fn parse_balance(&self, outcome: HttpOutcome) -> Result<Money, KirimError> {
        self.0.parse_balance(&outcome)
    }

    /// `POST /v1/inquiry-account`; every field is checked and all violations reported.
    pub fn inquiry_request(
        &self,
        token: Arc<AccessToken>,
        now: i64,
        inquiry: InquiryInput,
    ) -> Result<HttpRequest, KirimError> {
        self.0.inquiry_request(&token.0, now, &inquiry)
    }

    /// `GET /v1/inquiry-account/{id}` to poll a pending inquiry.
    pub fn inquiry_status_request(
        &self,
        token: Arc<AccessToken>,
        now: i64,
        inquiry_id: String,
    ) -> Result<HttpRequest, KirimError> {
        self.0.inquiry_status_request(&token.0, now, &inquiry_id)
    }

    /// The inquiry's verdict.
    pub fn parse_inquiry(&self, outcome: HttpOutcome) -> Result<InquiryResult, KirimError> {
        self.0.parse_inquiry(&outcome)
    }

    /// `POST /v1/payouts` with `X-REQUEST-ID` (single and bulk).
    pub fn create_payout_request(
        &self,
        token: Arc<AccessToken>,
        now: i64,
        idempotency_key: String,
        payouts: Vec<PayoutItemInput>,
    ) -> Result<HttpRequest, KirimError> {
        self.0
            .create_payout_request(&token.0, now, &idempotency_key, &payouts)
    }

    /// What to do after a create: a provider answer never fails (a lost or unreadable answer is
    /// `ResendSameRequest`). With `attempt`, a resend on the same key is advised only while the
    /// key still replays; after that an unknown outcome is `ManualReconciliation`
    /// (`KeyWindowOver`). Fails only for an attempt whose key or references are invalid.
    #[uniffi::method(default(attempt = None))]
    pub fn parse_create_payout(
        &self,
        outcome: HttpOutcome,
        attempt: Option<CreateAttempt>,
    ) -> Result<CreatePayoutOutcome, KirimError> {
        let outcome = match attempt {
            Some(attempt) => self.0.parse_create_payout_attempt(&outcome, &attempt)?,
            None => self.0.parse_create_payout(&outcome),
        };
        Ok(CreatePayoutOutcome {
            next_action: outcome.next_action,
            batch: outcome.batch,
            error: outcome.error.map(KirimError::into_data),
        })
    }

    /// `GET /v1/payouts/{id}`, optionally one item by its reference.
    #[uniffi::method(default(reference_id = None))]
    pub fn retrieve_request(
        &self,
        token: Arc<AccessToken>,
        now: i64,
        payout_id: String,
        reference_id: Option<String>,
    ) -> Result<HttpRequest, KirimError> {
        self.0
            .retrieve_request(&token.0, now, &payout_id, reference_id.as_deref())
    }

    /// The payout request's current state.
    pub fn parse_retrieve(&self, outcome: HttpOutcome) -> Result<PayoutBatch, KirimError> {
        self.0.parse_retrieve(&outcome)
    }

    /// Verifies a callback (its `X-API-Key`, in constant time) over the raw body bytes, then
    /// parses it.
    pub fn verify_callback(
        &self,
        headers: Vec<Header>,
        body: Vec<u8>,
    ) -> Result<Vec<PayoutEvent>, KirimError> {
        self.0.verify_callback(&headers, &body)
    }

    /// Parses a callback WITHOUT checking its authenticity: the events are marked unverified
    /// and must be confirmed by a status query.
    pub fn parse_callback_unverified(&self, body: Vec<u8>) -> Result<Vec<PayoutEvent>, KirimError> {
        self.0.parse_callback_unverified(&body)
    }

    /// The response to send back for a callback: pass the error `verify_callback` threw, or
    /// nothing when it succeeded.
    #[uniffi::method(default(error = None))]
    pub fn callback_acknowledgement(&self, error: Option<Arc<KirimError>>) -> Acknowledgement {
        self.0
            .callback_acknowledgement(error.as_deref().map_or(Ok(()), Err))
    }

    /// Verifies and parses a callback and builds the response to send back, in one step.
    pub fn handle_callback(&self, headers: Vec<Header>, body: Vec<u8>) -> CallbackHandling {
        self.0.handle_callback(&headers, &body).into()
    }

    /// The single callback Pivot would send for `event`, with `X-API-Key: api_key`: feed it to
    /// your webhook handler in a test. `url` defaults to `http://localhost/callback`.
    #[uniffi::method(default(url = None))]
    pub fn test_callback(
        &self,
        api_key: Secret,
        event: TestCallbackEvent,
        url: Option<String>,
    ) -> Result<HttpRequest, KirimError> {
        let url = url.as_deref().unwrap_or(DEFAULT_TEST_CALLBACK_URL);
        self.0.test_callback(&api_key, &event, url)
    }

    /// The bulk callback Pivot would send for a request with these `payouts` (one
    /// `payout_id`): totals only, `PAYOUT.DONE`, or `PAYOUT.PENDING` while one waits.
    #[uniffi::method(default(url = None))]
    pub fn test_bulk_callback(
        &self,
        api_key: Secret,
        payouts: Vec<TestCallbackEvent>,
        url: Option<String>,
    ) -> Result<HttpRequest, KirimError> {
        let url = url.as_deref().unwrap_or(DEFAULT_TEST_CALLBACK_URL);
        self.0.test_bulk_callback(&api_key, &payouts, url)
    }
}

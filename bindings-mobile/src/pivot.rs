//! Pivot Local Payout: the core's `Pivot` shell with one method per core method, its input and
//! result types (crossing as themselves, declared as uniffi remote types), and thin mirrors of
//! the few types that hold secrets, headers or errors.

use crate::handling::CallbackHandling;
use crate::model::IdempotencyRules;
use kirim::Error as KirimError;
use kirim::Secret;
use kirim::error::ErrorData;
use kirim::event::PayoutEvent;
use kirim::http::{Acknowledgement, Header, HttpOutcome, HttpRequest};
use kirim::money::Money;
use kirim::providers::common::{DEFAULT_TEST_CALLBACK_URL, TestCallbackEvent};
use kirim::providers::pivot::{
    self as core, CreateAttempt, InquiryInput, InquiryResult, PayoutBatch, PayoutItemInput,
};
use kirim::status::NextAction;
use std::sync::Arc;

/// Pivot credentials and settings. Each default is the core's (`pivotConfigDefaults` returns the
/// core's own; the Kotlin suite proves the two render the same).
#[derive(Debug, Clone, uniffi::Record)]
pub struct PivotConfig {
    /// `pivotProductionUrl()`, `pivotSandboxUrl()`, or a loopback URL for tests.
    pub base_url: String,
    /// Sent as `X-MERCHANT-ID` (the "Client ID").
    pub merchant_id: String,
    /// Sent as `X-MERCHANT-SECRET` (the "Client Secret"), only to the token endpoint.
    pub merchant_secret: Secret,
    /// Callback API keys accepted in `X-API-Key`; several during a key rotation.
    #[uniffi(default = [])]
    pub callback_api_keys: Vec<Secret>,
    /// Balance path.
    #[uniffi(default = "/v1/payouts/balance")]
    pub balance_path: String,
    /// Refresh the token this many seconds before it expires.
    #[uniffi(default = 60)]
    pub token_refresh_margin_seconds: i64,
    /// Largest body kirim parses (1 MiB).
    #[uniffi(default = 1048576)]
    pub max_body_bytes: u64,
    /// Stop trusting an `X-REQUEST-ID` to replay this many seconds before Pivot's 24 h window
    /// ends (at least 0, less than 86400).
    #[uniffi(default = 600)]
    pub key_window_margin_seconds: i64,
}

// Field by field, both ways, with no `..` and no `PivotConfig::new`: a field added to the core's
// config fails this build until Kotlin and Swift carry it.
impl PivotConfig {
    fn to_core(&self) -> core::PivotConfig {
        core::PivotConfig {
            base_url: self.base_url.clone(),
            merchant_id: self.merchant_id.clone(),
            merchant_secret: self.merchant_secret.clone(),
            callback_api_keys: self.callback_api_keys.clone(),
            balance_path: self.balance_path.clone(),
            token_refresh_margin_seconds: self.token_refresh_margin_seconds,
            // Beyond the address space (32-bit targets) a limit cannot bind anyway.
            max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
            key_window_margin_seconds: self.key_window_margin_seconds,
        }
    }

    fn from_core(config: &core::PivotConfig) -> Self {
        let core::PivotConfig {
            base_url,
            merchant_id,
            merchant_secret,
            callback_api_keys,
            balance_path,
            token_refresh_margin_seconds,
            max_body_bytes,
            key_window_margin_seconds,
        } = config.clone();
        PivotConfig {
            base_url,
            merchant_id,
            merchant_secret,
            callback_api_keys,
            balance_path,
            token_refresh_margin_seconds,
            max_body_bytes: u64::try_from(max_body_bytes).unwrap_or(u64::MAX),
            key_window_margin_seconds,
        }
    }
}

/// The core's own defaults (`PivotConfig::new` in the core) for these credentials: what a
/// `PivotConfig(baseUrl, merchantId, merchantSecret)` built in Kotlin or Swift must equal.
#[uniffi::export]
pub fn pivot_config_defaults(
    base_url: String,
    merchant_id: String,
    merchant_secret: Secret,
) -> PivotConfig {
    PivotConfig::from_core(&core::PivotConfig::new(
        &base_url,
        &merchant_id,
        merchant_secret,
    ))
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
pub struct AccessToken(pub(crate) core::AccessToken);

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
pub struct Pivot(pub(crate) core::Pivot);

#[uniffi::export]
impl Pivot {
    /// Checks the configuration; every violated field is reported.
    #[uniffi::constructor]
    pub fn new(config: PivotConfig) -> Result<Self, KirimError> {
        Ok(Pivot(core::Pivot::new(config.to_core())?))
    }

    /// The configuration, with defaults filled in.
    pub fn config(&self) -> PivotConfig {
        PivotConfig::from_core(self.0.config())
    }

    /// The rules for `X-REQUEST-ID`.
    pub fn idempotency_rules(&self) -> Arc<IdempotencyRules> {
        Arc::new(IdempotencyRules(self.0.idempotency_rules()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_crosses_both_ways_with_every_field() {
        let mut core = core::PivotConfig::new("https://x.example", "m", Secret::new("s"));
        core.callback_api_keys = vec![Secret::new("k1"), Secret::new("k2")];
        core.balance_path = "/b".into();
        core.token_refresh_margin_seconds = 7;
        core.max_body_bytes = 123;
        core.key_window_margin_seconds = 9;
        let back = PivotConfig::from_core(&core).to_core();
        assert_eq!(format!("{back:?}"), format!("{core:?}"));
        assert_eq!(back.merchant_secret.expose_secret(), "s");
        let keys: Vec<&str> = back
            .callback_api_keys
            .iter()
            .map(Secret::expose_secret)
            .collect();
        assert_eq!(keys, ["k1", "k2"]);
    }
}

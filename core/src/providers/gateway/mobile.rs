//! Kotlin/Swift (feature `uniffi`): the object `Gateway`, one method per method of the core's
//! [`Gateway`](super::Gateway), the signing parameters, and the configuration record.

use super::{self as core, QueryFilter, QueryResult, Signature, WithdrawOrderInput};
use crate::Error as KirimError;
use crate::Secret;
use crate::error::ErrorData;
use crate::event::PayoutEvent;
use crate::http::{Acknowledgement, HttpOutcome, HttpRequest};
use crate::mobile::EventHandling;
use crate::money::Money;
use crate::providers::common::{DEFAULT_TEST_CALLBACK_URL, TestCallbackEvent};
use crate::signing::{FormEntry, HexCase, KeyJoin, SignType};
use crate::status::{NextAction, PayoutStatus};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Parameters to sign, in the order received or built.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct FormParams(pub Mutex<crate::signing::FormParams>);

impl FormParams {
    fn lock(&self) -> MutexGuard<'_, crate::signing::FormParams> {
        // The data is a plain list; a panic elsewhere cannot leave it half-written.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for FormParams {
    fn default() -> Self {
        FormParams(Mutex::new(crate::signing::FormParams::new()))
    }
}

#[uniffi::export]
impl FormParams {
    /// No parameters yet.
    #[uniffi::constructor]
    pub fn new() -> Self {
        FormParams::default()
    }

    /// Reads a JSON object from raw bytes, keeping each number's exact text. Duplicate keys are
    /// refused.
    #[uniffi::constructor(default(max_body_bytes = 1048576))]
    pub fn from_json(body: Vec<u8>, max_body_bytes: u64) -> Result<Self, KirimError> {
        let max = usize::try_from(max_body_bytes).unwrap_or(usize::MAX);
        let params = crate::signing::FormParams::from_json_object(&body, max, "body")?;
        Ok(FormParams(Mutex::new(params)))
    }

    /// Adds a string parameter.
    pub fn push_text(&self, key: String, value: String) {
        self.lock().push_text(&key, &value);
    }

    /// Adds an integer parameter.
    pub fn push_integer(&self, key: String, value: i64) {
        self.lock().push_integer(&key, value);
    }

    /// The parameters.
    pub fn entries(&self) -> Vec<FormEntry> {
        self.lock().entries().to_vec()
    }

    /// The canonical string as the provider computes it.
    pub fn canonical(&self) -> Result<String, KirimError> {
        self.lock().canonical()
    }

    /// The canonical string for a request kirim signs (also refuses values containing `&`).
    pub fn canonical_for_signing(&self) -> Result<String, KirimError> {
        self.lock().canonical_for_signing()
    }
}

/// One deployment of the gateway family. Unset options are the core's defaults (the Kotlin
/// suite proves a config built with them equals `gatewayConfigDefaults`, the core's own).
// Not the core's `GatewayConfig` itself: uniffi defaults take only literals, and the core's
// defaults for the signing enums and the status table are values no literal spells, so these
// fields are options here (unset: the core's default) rather than required in Kotlin and Swift.
#[derive(Debug, Clone, uniffi::Record)]
pub struct GatewayConfig {
    /// The brand's https base URL (plain http only to loopback).
    pub base_url: String,
    /// `platform_id`, the merchant id.
    pub platform_id: String,
    /// `platform_key`: signs requests and verifies notifications.
    pub platform_key: Secret,
    /// Older keys still accepted on notifications during a rotation.
    #[uniffi(default = [])]
    pub previous_platform_keys: Vec<Secret>,
    /// The token sent as `Authorization` on query and balance calls.
    #[uniffi(default = None)]
    pub authorization: Option<Secret>,
    /// How kirim signs requests (unset: HMAC-SHA256).
    #[uniffi(default = None)]
    pub sign_type: Option<SignType>,
    /// How the key is appended for MD5 (unset: `&` + key).
    #[uniffi(default = None)]
    pub key_join: Option<KeyJoin>,
    /// Hex case of the signatures kirim sends (unset: lower).
    #[uniffi(default = None)]
    pub hex_case: Option<HexCase>,
    /// Algorithms accepted on notifications (unset: both).
    #[uniffi(default = None)]
    pub notification_sign_types: Option<Vec<SignType>>,
    /// Status integer to status; replaces the default table entirely when given.
    #[uniffi(default = None)]
    pub status_map: Option<HashMap<i64, PayoutStatus>>,
    /// Status integers whose notification must be confirmed by a query.
    #[uniffi(default = [])]
    pub statuses_requiring_query: Vec<i64>,
    /// Overrides the acknowledgement body `{"error_code":"0000"}`.
    #[uniffi(default = None)]
    pub ack_body: Option<String>,
    /// Overrides the body answered to a notification that was not accepted.
    #[uniffi(default = None)]
    pub reject_body: Option<String>,
    /// Largest body kirim parses (1 MiB).
    #[uniffi(default = 1048576)]
    pub max_body_bytes: u64,
}

// Field by field, both ways, with no `..` and no `GatewayConfig::new`: a field added to the
// core's config fails this build until Kotlin and Swift carry it. Unset options take the core's
// named defaults (records cannot default an enum or a table to a value).
impl GatewayConfig {
    fn to_core(&self) -> core::GatewayConfig {
        core::GatewayConfig {
            base_url: self.base_url.clone(),
            platform_id: self.platform_id.clone(),
            platform_key: self.platform_key.clone(),
            previous_platform_keys: self.previous_platform_keys.clone(),
            authorization: self.authorization.clone(),
            sign_type: self.sign_type.unwrap_or_else(core::default_sign_type),
            key_join: self.key_join.unwrap_or_default(),
            hex_case: self.hex_case.unwrap_or_default(),
            notification_sign_types: self
                .notification_sign_types
                .clone()
                .unwrap_or_else(core::default_notification_sign_types),
            status_map: self
                .status_map
                .as_ref()
                .map_or_else(core::default_status_map, |map| {
                    map.iter().map(|(k, v)| (*k, *v)).collect()
                }),
            statuses_requiring_query: self.statuses_requiring_query.clone(),
            ack_body: self.ack_body.clone(),
            reject_body: self.reject_body.clone(),
            max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
        }
    }

    fn from_core(config: &core::GatewayConfig) -> Self {
        let core::GatewayConfig {
            base_url,
            platform_id,
            platform_key,
            previous_platform_keys,
            authorization,
            sign_type,
            key_join,
            hex_case,
            notification_sign_types,
            status_map,
            statuses_requiring_query,
            ack_body,
            reject_body,
            max_body_bytes,
        } = config.clone();
        GatewayConfig {
            base_url,
            platform_id,
            platform_key,
            previous_platform_keys,
            authorization,
            sign_type: Some(sign_type),
            key_join: Some(key_join),
            hex_case: Some(hex_case),
            notification_sign_types: Some(notification_sign_types),
            status_map: Some(status_map.into_iter().collect()),
            statuses_requiring_query,
            ack_body,
            reject_body,
            max_body_bytes: u64::try_from(max_body_bytes).unwrap_or(u64::MAX),
        }
    }
}

/// The core's own defaults (`GatewayConfig::new` in the core) for these credentials: what
/// `Gateway(GatewayConfig(baseUrl, platformId, platformKey)).config()` must equal.
#[uniffi::export]
pub fn gateway_config_defaults(
    base_url: String,
    platform_id: String,
    platform_key: Secret,
) -> GatewayConfig {
    GatewayConfig::from_core(&core::GatewayConfig::new(
        &base_url,
        &platform_id,
        platform_key,
    ))
}

/// The default status table (G7): status integer to status.
#[uniffi::export]
pub fn gateway_default_status_map() -> HashMap<i64, PayoutStatus> {
    core::default_status_map().into_iter().collect()
}

/// What a create-withdraw answer means. Accepted is never success.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreateWithdrawOutcome {
    /// What to do next.
    pub next_action: NextAction,
    /// The gateway's order id, when accepted.
    pub payout_id: Option<String>,
    /// The error, when rejected or unknown.
    pub error: Option<ErrorData>,
}

/// The protocol shell of one gateway deployment: requests as data, signed; notifications
/// verified over the raw body bytes.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Gateway(pub core::Gateway);

#[uniffi::export]
impl Gateway {
    /// Checks the configuration; every problem is reported.
    #[uniffi::constructor]
    pub fn new(config: GatewayConfig) -> Result<Self, KirimError> {
        Ok(Gateway(core::Gateway::new(config.to_core())?))
    }

    /// The configuration, with defaults filled in.
    pub fn config(&self) -> GatewayConfig {
        GatewayConfig::from_core(self.0.config())
    }

    /// Signs parameters kirim sends: every parameter but `sign`/`sign_type`.
    pub fn sign_params(
        &self,
        params: Arc<FormParams>,
        sign_type: SignType,
    ) -> Result<Signature, KirimError> {
        self.0.sign_params(&params.lock(), sign_type)
    }

    /// The signed `POST` creating a withdraw order.
    pub fn create_withdraw_request(
        &self,
        order: WithdrawOrderInput,
        now: i64,
    ) -> Result<HttpRequest, KirimError> {
        self.0.create_withdraw_request(&order, now)
    }

    /// What to do after a create: never fails, an unreadable answer is `query_first` (the
    /// gateway can be queried by `payout_cl_id`).
    pub fn parse_create_withdraw(&self, outcome: HttpOutcome) -> CreateWithdrawOutcome {
        let outcome = self.0.parse_create_withdraw(&outcome);
        CreateWithdrawOutcome {
            next_action: outcome.next_action,
            payout_id: outcome.payout_id,
            error: outcome.error.map(KirimError::into_data),
        }
    }

    /// The list query.
    pub fn query_request(&self, filter: QueryFilter) -> Result<HttpRequest, KirimError> {
        self.0.query_request(&filter)
    }

    /// The single query, by your order id.
    pub fn query_order_request(&self, payout_cl_id: String) -> Result<HttpRequest, KirimError> {
        self.0.query_order_request(&payout_cl_id)
    }

    /// A query answer (single or list).
    pub fn parse_query(&self, outcome: HttpOutcome) -> Result<QueryResult, KirimError> {
        self.0.parse_query(&outcome)
    }

    /// Verifies a notification's signature over the raw body bytes, then parses it.
    pub fn verify_notification(&self, body: Vec<u8>) -> Result<PayoutEvent, KirimError> {
        self.0.verify_notification(&body)
    }

    /// Parses a notification WITHOUT checking its signature: the event is marked unverified
    /// and must be confirmed by a query.
    pub fn parse_notification_unverified(&self, body: Vec<u8>) -> Result<PayoutEvent, KirimError> {
        self.0.parse_notification_unverified(&body)
    }

    /// The response to send back for a notification: pass the error `verify_notification`
    /// threw, or nothing when it succeeded.
    #[uniffi::method(default(error = None))]
    pub fn notification_acknowledgement(&self, error: Option<Arc<KirimError>>) -> Acknowledgement {
        self.0
            .notification_acknowledgement(error.as_deref().map_or(Ok(()), Err))
    }

    /// Verifies and parses a notification and builds the response to send back, in one step.
    pub fn handle_notification(&self, body: Vec<u8>) -> EventHandling {
        self.0.handle_notification(&body).into()
    }

    /// The notification the gateway would send for `event`, signed with `platform_key` by
    /// `sign_type` (default: the configured one) under this configuration's key join and hex
    /// case: feed it to your handler in a test. `url` defaults to `http://localhost/callback`.
    #[uniffi::method(default(sign_type = None, url = None))]
    pub fn test_notification(
        &self,
        platform_key: Secret,
        event: TestCallbackEvent,
        sign_type: Option<SignType>,
        url: Option<String>,
    ) -> Result<HttpRequest, KirimError> {
        let sign_type = sign_type.unwrap_or(self.0.config().sign_type);
        let url = url.as_deref().unwrap_or(DEFAULT_TEST_CALLBACK_URL);
        self.0
            .test_notification(&platform_key, sign_type, &event, url)
    }

    /// The balance query.
    pub fn balance_request(&self) -> Result<HttpRequest, KirimError> {
        self.0.balance_request()
    }

    /// The balance, exactly.
    pub fn parse_balance(&self, outcome: HttpOutcome) -> Result<Money, KirimError> {
        self.0.parse_balance(&outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_crosses_both_ways_with_every_field() {
        let mut core = core::GatewayConfig::new("https://x.example", "P", Secret::new("k"));
        core.previous_platform_keys = vec![Secret::new("old")];
        core.authorization = Some(Secret::new("a"));
        core.sign_type = SignType::Md5;
        core.key_join = KeyJoin::Direct;
        core.hex_case = HexCase::Upper;
        core.notification_sign_types = vec![SignType::HmacSha256];
        core.status_map = [(7, PayoutStatus::Failed)].into_iter().collect();
        core.statuses_requiring_query = vec![7];
        core.ack_body = Some("ok".into());
        core.reject_body = Some("no".into());
        core.max_body_bytes = 123;
        let back = GatewayConfig::from_core(&core).to_core();
        assert_eq!(format!("{back:?}"), format!("{core:?}"));
        assert_eq!(back.previous_platform_keys[0].expose_secret(), "old");
        assert_eq!(
            back.authorization.as_ref().map(Secret::expose_secret),
            Some("a")
        );
    }
}

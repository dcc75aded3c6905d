//! The white-label `platform_id` withdraw gateway family (spec §2, seed 002): create withdraw
//! order, query (list and single), withdraw notification (verify, parse, acknowledge), balance.
//! The same API is served under several brands, so the base URL, credentials, the signing
//! conventions and the status table are configuration.
//!
//! # Query answers
//!
//! The docs do not give the query answer fully. `parse_query` accepts `{"error_code":"0000",
//! "data": D}` where `D` is
//! - one order object (`{"payout_id":..., "payout_cl_id":..., "status": 3, ...}`): the single
//!   query `GET /gateway/api/v2/payouts/{payout_cl_id}`;
//! - an object with a `payouts` array or a `list` array, and optionally `total`
//!   (`{"total": 3, "payouts": [...]}`, the simulator's list shape);
//! - an array of orders.
//!
//! Numbers (amounts in cents, status, times) may be JSON integers or digit strings.

#[cfg(feature = "ts")]
pub mod js;
pub mod lifecycle;
mod mapping;
#[cfg(feature = "uniffi")]
pub mod mobile;
pub mod operations;
#[cfg(feature = "python")]
pub mod python;
#[cfg(feature = "testkit")]
pub mod testkit;
mod wire;

pub use mapping::{OK_CODE, default_status_map};

use crate::error::{Error, ErrorCode, Result, Violations};
use crate::event::{Authenticity, PayoutEvent, Provider, Warning};
use crate::http::{Acknowledgement, Header, HttpOutcome, HttpRequest, HttpResponse, Method};
use crate::json::{DEFAULT_MAX_BODY_BYTES, parse_body, parse_tree, read_body, to_json};
use crate::money::{Currency, JsonDecimal, Money, parse_decimal_minor};
use crate::providers::common::{
    DataField, is_authenticity_error, response_or_transport, status_decides, validate_base_url,
};
use crate::read::{FromJson, Json};
use crate::secret::Secret;
use crate::signing::{
    self, FormParams, HexCase, KeyJoin, ReceivedParams, SIGN_FIELD, SIGN_TYPE_FIELD, SignType,
    SignerSettings, ValueKind,
};
use crate::status::{Confirmation, Failure, NextAction, PayoutStatus};
use crate::validate::{self, Charset};
use crate::write::ToJson;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST` to create, `GET` to list.
pub const PAYOUTS_PATH: &str = "/gateway/api/v2/payouts";
/// `GET`, answering `data.total_balance` in cents.
pub const BALANCE_PATH: &str = "/gateway/api/v1/platforms/balance";
/// Bank card withdraw.
pub const SERVICE_ID: &str = "SVC0004";
/// The family writes the currency in lower case.
pub const CURRENCY: &str = "idr";
/// The documented acknowledgement of a notification (G12).
pub const DEFAULT_ACK_BODY: &str = r#"{"error_code":"0000"}"#;
/// Our answer to a notification that failed verification: anything but `0000`, so the gateway
/// keeps its record of an unacknowledged notification (it retries up to 10 times in an hour).
pub const DEFAULT_REJECT_BODY: &str =
    r#"{"error_code":"0004","error_msg":"Signature verification failed!"}"#;
/// Our answer to an authentic notification we could not read: the gateway retries.
pub const DEFAULT_RETRY_BODY: &str =
    r#"{"error_code":"9999","error_msg":"notification not processed, please retry"}"#;

/// `amount` is Integer(10) in cents: at most 9,999,999,999 sen (Rp 99,999,999.99).
const MAX_AMOUNT_CENTS: i64 = 9_999_999_999;
/// `request_time` is Integer(10), Unix seconds.
const MAX_REQUEST_TIME: i64 = 9_999_999_999;
const QUERY_LIMIT_MAX: u32 = 500;

/// The signing algorithm of a config that names none (HMAC-SHA256, G8).
pub fn default_sign_type() -> SignType {
    SignType::HmacSha256
}
/// The algorithms accepted on notifications when a config names none (both).
pub fn default_notification_sign_types() -> Vec<SignType> {
    vec![SignType::Md5, SignType::HmacSha256]
}
fn default_max_body() -> usize {
    DEFAULT_MAX_BODY_BYTES
}

/// One deployment of the gateway family.
#[derive(Debug, Clone, Deserialize, FromJson)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// The brand's https base URL (plain http only to loopback, for the simulator).
    pub base_url: String,
    /// `platform_id`, the merchant id (String(7)).
    pub platform_id: String,
    /// `platform_key`: signs requests and verifies notifications.
    pub platform_key: Secret,
    /// Older keys still accepted on notifications during a key rotation.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub previous_platform_keys: Vec<Secret>,
    /// The separate token sent as `Authorization` (no `Bearer`) on query and balance calls.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub authorization: Option<Secret>,
    /// How we sign requests: HMAC-SHA256 by default (G8); MD5 is the legacy opt-in.
    #[serde(default = "default_sign_type")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub sign_type: SignType,
    /// How the key is appended for MD5 (default `&` + key, the family's rule).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub key_join: KeyJoin,
    /// Hex case of the signatures we send (default lower).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub hex_case: HexCase,
    /// The algorithms accepted on notifications (default both; drop MD5 once the deployment
    /// has moved every order to HMAC).
    #[serde(default = "default_notification_sign_types")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub notification_sign_types: Vec<SignType>,
    /// Status integer → status. Replaces G7's default table entirely when given.
    #[serde(default = "default_status_map")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub status_map: BTreeMap<i64, PayoutStatus>,
    /// Status integers whose notification must be confirmed by a query before any money
    /// decision. Whatever this says, a `2` mapped to succeeded always needs a query (G7).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub statuses_requiring_query: Vec<i64>,
    /// Overrides the acknowledgement body `{"error_code":"0000"}` (G12), e.g. `success`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub ack_body: Option<String>,
    /// Overrides the body answered to a notification that was not accepted. Must not contain
    /// `0000`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub reject_body: Option<String>,
    #[serde(default = "default_max_body")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub max_body_bytes: usize,
}

impl GatewayConfig {
    /// The family's defaults: HMAC-SHA256, `&` + key, lower-case hex, G7 statuses.
    pub fn new(base_url: &str, platform_id: &str, platform_key: Secret) -> Self {
        GatewayConfig {
            base_url: base_url.to_owned(),
            platform_id: platform_id.to_owned(),
            platform_key,
            previous_platform_keys: Vec::new(),
            authorization: None,
            sign_type: default_sign_type(),
            key_join: KeyJoin::default(),
            hex_case: HexCase::default(),
            notification_sign_types: default_notification_sign_types(),
            status_map: default_status_map(),
            statuses_requiring_query: Vec::new(),
            ack_body: None,
            reject_body: None,
            max_body_bytes: default_max_body(),
        }
    }

    pub fn signer_settings(&self) -> SignerSettings {
        SignerSettings {
            key_join: self.key_join,
            hex_case: self.hex_case,
        }
    }
}

/// A withdraw order to create (seed 002).
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, module = "kirim.gateway"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct WithdrawOrderInput {
    /// Your order id (String(32): letters, digits, `-`, `_`). The gateway's deduplication key:
    /// a repeated `payout_cl_id` answers with the first order.
    pub payout_cl_id: String,
    /// Whole rupiah; sent in cents (×100).
    /// In JSON also a decimal string of rupiah (`"100000"`); never a bare number.
    #[cfg_attr(feature = "ts", ts(type = "Money | string"))]
    pub amount: Money,
    /// Bank name (String(16)), passed through (G11), e.g. `BCA`.
    pub bank_name: String,
    /// Recipient name (String(16)).
    pub name: String,
    /// Recipient account number (String(32), letters and digits).
    pub number: String,
    /// Where the gateway sends the notification (String(256)).
    #[export(optional)]
    pub notify_url: Option<String>,
}

/// The signed string and signature of a parameter set.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToJson)]
pub struct Signature {
    pub canonical: String,
    pub sign: String,
    pub sign_type: SignType,
}

/// What a create-withdraw answer means. `accepted` is never success: the order's result comes
/// by notification or query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToJson)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateWithdrawOutcome {
    pub next_action: NextAction,
    /// The gateway's order id, when accepted.
    pub payout_id: Option<String>,
    pub error: Option<Error>,
}

/// Filters of the list query. Every one is optional.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJson)]
#[serde(deny_unknown_fields)]
pub struct QueryFilter {
    #[export(optional)]
    pub offset: Option<u32>,
    /// 1 to 500 (the gateway's default is 25).
    #[export(optional)]
    pub limit: Option<u32>,
    #[export(optional)]
    pub payout_id: Option<String>,
    #[export(optional)]
    pub payout_cl_id: Option<String>,
    /// `create_time__gte`, Unix seconds.
    #[export(optional)]
    pub create_time_gte: Option<i64>,
    /// `create_time__lte`, Unix seconds.
    #[export(optional)]
    pub create_time_lte: Option<i64>,
}

/// One order as a query reports it.
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, new = "from_fields", module = "kirim.gateway"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct WithdrawOrderState {
    pub payout_id: Option<String>,
    pub payout_cl_id: Option<String>,
    pub platform_id: Option<String>,
    pub status: PayoutStatus,
    /// The status integer as received.
    pub raw_status: String,
    pub amount: Option<Money>,
    pub real_amount: Option<Money>,
    pub fee: Option<Money>,
    pub bank_name: Option<String>,
    pub name: Option<String>,
    pub number: Option<String>,
    pub failure: Option<Failure>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// A query answer: one order (single query) or a page of orders (list query).
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, new = "from_fields", module = "kirim.gateway"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct QueryResult {
    /// The number of matching orders before paging, when the gateway says.
    pub total: Option<u64>,
    pub orders: Vec<WithdrawOrderState>,
    /// Non-essential fields that could not be read (`data.total`, an order's `create_time`,
    /// `update_time`, `bank_name`, `name`, `number`): absent above, named here.
    pub warnings: Vec<Warning>,
}

/// The protocol shell of one deployment.
#[derive(Debug, Clone)]
pub struct Gateway {
    base_url: String,
    config: GatewayConfig,
}

impl Gateway {
    /// Checks the configuration; every problem is reported.
    pub fn new(config: GatewayConfig) -> Result<Self> {
        let mut violations = Violations::new();
        let base_url = violations.check(validate_base_url(&config.base_url, "base_url"));
        validate::required(
            &mut violations,
            "platform_id",
            &config.platform_id,
            7,
            Charset::Alphanumeric,
        );
        if config.platform_key.is_empty()
            || config.previous_platform_keys.iter().any(Secret::is_empty)
        {
            violations.push(
                "platform_key",
                ErrorCode::InvalidConfig,
                "platform_key (and every previous_platform_keys entry) must not be empty",
            );
        }
        if let Some(token) = &config.authorization {
            // Sent as the Authorization header's value: see unsendable_as_header.
            if token.is_empty() || crate::providers::common::unsendable_as_header(token) {
                violations.push(
                    "authorization",
                    ErrorCode::InvalidConfig,
                    "authorization must be a non-empty token without control characters, characters outside ASCII or surrounding spaces (it is sent as the Authorization header's value)",
                );
            }
        }
        if config.notification_sign_types.is_empty() {
            violations.push(
                "notification_sign_types",
                ErrorCode::InvalidConfig,
                "notification_sign_types must name at least one algorithm",
            );
        }
        if config.status_map.is_empty() {
            violations.push(
                "status_map",
                ErrorCode::InvalidConfig,
                "status_map must map at least one status integer",
            );
        }
        if config
            .ack_body
            .as_deref()
            .is_some_and(|b| b.is_empty() || b.chars().any(char::is_control))
        {
            violations.push(
                "ack_body",
                ErrorCode::InvalidConfig,
                "ack_body must be non-empty text without control characters",
            );
        }
        if let Some(body) = config.reject_body.as_deref() {
            if body.is_empty()
                || crate::validate::find_text(body, "0000").is_some()
                || body.chars().any(char::is_control)
            {
                violations.push(
                    "reject_body",
                    ErrorCode::InvalidConfig,
                    "reject_body must be non-empty, without control characters, and must not contain 0000 (the gateway would take it as an acknowledgement)",
                );
            }
        }
        if config.max_body_bytes == 0 {
            violations.push(
                "max_body_bytes",
                ErrorCode::InvalidConfig,
                "max_body_bytes must be positive",
            );
        }
        violations.finish_config()?;
        Ok(Gateway {
            base_url: base_url.unwrap_or_default(),
            config,
        })
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        crate::providers::common::joined(&self.base_url, path)
    }

    // ---- signing ---------------------------------------------------------------------------

    /// Parameters a host built in its own language (a dict, a map) and rendered as a JSON
    /// object, to sign with `sign_params`. A decimal number is refused: in the host it has
    /// already been through a float, so its digits are a guess; the exact body bytes
    /// (`FormParams::from_json_object`) keep numbers as written.
    pub fn host_params(&self, params: &Json<'_>, field: &str) -> Result<FormParams> {
        let Json::Object(_, raw) = params else {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                field,
                format!("{field} must be a JSON object (or pass the exact JSON text as body)"),
            ));
        };
        crate::json::check_body(raw.as_bytes(), self.config.max_body_bytes, field)?;
        if params.has_fractional_number() {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                field,
                format!(
                    "{field} holds a decimal number, which has been through a float here; pass the exact JSON text as body instead"
                ),
            ));
        }
        FormParams::from_tree(params, field)
    }

    /// `host_params` from the JSON text a binding rendered.
    pub fn host_params_from_text(&self, text: &[u8], field: &str) -> Result<FormParams> {
        self.host_params(&parse_tree(text, self.config.max_body_bytes, field)?, field)
    }

    /// Signs parameters we send: every parameter but `sign`/`sign_type`, with the signing-side
    /// rules (no `&` in a value; see `crate::signing`).
    pub fn sign_params(&self, params: &FormParams, sign_type: SignType) -> Result<Signature> {
        self.sign_canonical(params.canonical_for_signing()?, sign_type)
    }

    fn sign_canonical(&self, canonical: String, sign_type: SignType) -> Result<Signature> {
        let sign = signing::sign(
            &canonical,
            &self.config.platform_key,
            sign_type,
            self.config.signer_settings(),
        )?;
        Ok(Signature {
            canonical,
            sign,
            sign_type,
        })
    }

    // ---- create ----------------------------------------------------------------------------

    /// `POST /gateway/api/v2/payouts` (seed 002), signed with the configured algorithm. Every
    /// field is checked and every violation reported. `now` is the host's clock (Unix seconds)
    /// and becomes `request_time`.
    pub fn create_withdraw_request(
        &self,
        order: &WithdrawOrderInput,
        now: i64,
    ) -> Result<HttpRequest> {
        let mut violations = Violations::new();
        check_order_id(&mut violations, "payout_cl_id", &order.payout_cl_id, 32);
        let cents = violations.check(amount_cents(&order.amount, "amount"));
        validate::required(
            &mut violations,
            "bank_name",
            &order.bank_name,
            16,
            Charset::Text,
        );
        no_ampersand(&mut violations, "bank_name", &order.bank_name);
        validate::required(&mut violations, "name", &order.name, 16, Charset::Text);
        no_ampersand(&mut violations, "name", &order.name);
        validate::required(
            &mut violations,
            "number",
            &order.number,
            32,
            Charset::Alphanumeric,
        );
        let notify_url = order.notify_url.as_deref().filter(|u| !u.is_empty());
        if let Some(url) = notify_url {
            validate::optional(
                &mut violations,
                "notify_url",
                Some(url),
                256,
                Charset::Token,
            );
            no_ampersand(&mut violations, "notify_url", url);
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                violations.push(
                    "notify_url",
                    ErrorCode::InvalidField,
                    "notify_url must be an http:// or https:// URL",
                );
            }
        }
        if !(1..=MAX_REQUEST_TIME).contains(&now) {
            violations.push(
                "now",
                ErrorCode::InvalidField,
                "now must be the current Unix time in seconds (request_time is Integer(10))",
            );
        }
        violations.finish()?;
        let cents = cents.unwrap_or_default();
        let (cents_text, now_text) = (cents.to_string(), now.to_string());
        // The parameters as `sign_params` would sign them, borrowed rather than copied. An
        // absent notify_url is empty, which the canonical string drops.
        let params = [
            ("amount", cents_text.as_str()),
            ("bank_name", order.bank_name.as_str()),
            ("currency", CURRENCY),
            ("name", order.name.as_str()),
            ("notify_url", notify_url.unwrap_or_default()),
            ("number", order.number.as_str()),
            ("payout_cl_id", order.payout_cl_id.as_str()),
            ("platform_id", self.config.platform_id.as_str()),
            ("request_time", now_text.as_str()),
            ("service_id", SERVICE_ID),
        ];
        let canonical = signing::canonical_for_signing(&params)?;
        let signature = self.sign_canonical(canonical, self.config.sign_type)?;
        let body = to_json(
            &wire::CreateWithdrawOut {
                amount: cents,
                bank_name: &order.bank_name,
                currency: CURRENCY,
                name: &order.name,
                notify_url,
                number: &order.number,
                payout_cl_id: &order.payout_cl_id,
                platform_id: &self.config.platform_id,
                request_time: now,
                service_id: SERVICE_ID,
                sign: signature.sign,
                sign_type: match self.config.sign_type {
                    SignType::HmacSha256 => Some(SignType::HmacSha256.as_str()),
                    SignType::Md5 => None,
                },
            },
            "the withdraw request",
        )?
        .into_bytes();
        Ok(HttpRequest {
            method: Method::Post,
            url: self.url(PAYOUTS_PATH),
            headers: vec![
                Header::new("Content-Type", "application/json;charset=utf-8"),
                Header::new("Accept", "application/json"),
            ],
            body,
        })
    }

    /// Reads the create answer, or the transport failure, into the next action: `0000` with a
    /// `payout_id` is accepted (never succeeded); a timeout, 5xx, empty or unreadable body is
    /// "query first" (the seed's own warning); 0004/0006/0050/other codes are rejections.
    pub fn parse_create_withdraw(&self, outcome: &HttpOutcome) -> CreateWithdrawOutcome {
        let result = self
            .success_data::<wire::CreateData>(outcome, "create withdraw response")
            .and_then(|(status, data)| {
                let payout_id = data.and_then(|d| d.payout_id).unwrap_or_default();
                if validate::is_safe_id(&payout_id) {
                    Ok(payout_id)
                } else {
                    Err(Error::field(
                        ErrorCode::MalformedResponse,
                        "data.payout_id",
                        "the answer says 0000 but carries no usable payout_id; the order may exist: query it by payout_cl_id",
                    )
                    .with_http_status(status))
                }
            });
        match result {
            Ok(payout_id) => CreateWithdrawOutcome {
                next_action: NextAction::Accepted,
                payout_id: Some(payout_id),
                error: None,
            },
            Err(error) => CreateWithdrawOutcome {
                next_action: mapping::next_action(&error),
                payout_id: None,
                error: Some(error),
            },
        }
    }

    // ---- query -----------------------------------------------------------------------------

    /// `GET /gateway/api/v2/payouts?offset=&limit=&payout_id=&payout_cl_id=&create_time__gte=
    /// &create_time__lte=` with only the filters given, and the `Authorization` header.
    pub fn query_request(&self, filter: &QueryFilter) -> Result<HttpRequest> {
        let mut violations = Violations::new();
        if let Some(id) = filter.payout_id.as_deref() {
            check_order_id(&mut violations, "payout_id", id, 64);
        }
        if let Some(id) = filter.payout_cl_id.as_deref() {
            check_order_id(&mut violations, "payout_cl_id", id, 32);
        }
        if filter
            .limit
            .is_some_and(|l| !(1..=QUERY_LIMIT_MAX).contains(&l))
        {
            violations.push(
                "limit",
                ErrorCode::InvalidField,
                format!("limit must be 1 to {QUERY_LIMIT_MAX}"),
            );
        }
        for (field, value) in [
            ("create_time_gte", filter.create_time_gte),
            ("create_time_lte", filter.create_time_lte),
        ] {
            if value.is_some_and(|v| v < 0) {
                violations.push(
                    field,
                    ErrorCode::InvalidField,
                    format!("{field} must be Unix seconds"),
                );
            }
        }
        if let (Some(gte), Some(lte)) = (filter.create_time_gte, filter.create_time_lte) {
            if gte > lte {
                violations.push(
                    "create_time_gte",
                    ErrorCode::InvalidField,
                    "create_time_gte is after create_time_lte",
                );
            }
        }
        violations.finish()?;
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(v) = filter.offset {
            query.push(("offset", v.to_string()));
        }
        if let Some(v) = filter.limit {
            query.push(("limit", v.to_string()));
        }
        if let Some(v) = &filter.payout_id {
            query.push(("payout_id", v.clone()));
        }
        if let Some(v) = &filter.payout_cl_id {
            query.push(("payout_cl_id", v.clone()));
        }
        if let Some(v) = filter.create_time_gte {
            query.push(("create_time__gte", v.to_string()));
        }
        if let Some(v) = filter.create_time_lte {
            query.push(("create_time__lte", v.to_string()));
        }
        let mut url = self.url(PAYOUTS_PATH);
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.extend(percent_encoding::utf8_percent_encode(value, QUERY_VALUE));
        }
        self.authorized_get(url)
    }

    /// `GET /gateway/api/v2/payouts/{payout_cl_id}`: one order by your id (newer brands).
    pub fn query_order_request(&self, payout_cl_id: &str) -> Result<HttpRequest> {
        let mut violations = Violations::new();
        check_order_id(&mut violations, "payout_cl_id", payout_cl_id, 32);
        violations.finish()?;
        self.authorized_get(self.url(&format!("{PAYOUTS_PATH}/{payout_cl_id}")))
    }

    /// Reads a query answer (the shapes accepted are in the module documentation).
    pub fn parse_query(&self, outcome: &HttpOutcome) -> Result<QueryResult> {
        let (status, data) =
            self.required_data::<wire::QueryData>(outcome, "query response", "query", "data")?;
        let mut warnings = Vec::new();
        let (total, orders, field) = match data {
            wire::QueryData::Array(orders) => (None, orders, "data"),
            wire::QueryData::Object(object) => {
                let object = *object;
                // Informational: an unreadable total is a warning, never a refusal.
                let total = crate::read::lenient(object.total, &mut warnings).and_then(|t| {
                    integer(&t, "data.total")
                        .and_then(|t| {
                            u64::try_from(t).map_err(|_| {
                                Error::field(
                                    ErrorCode::UnexpectedShape,
                                    "data.total",
                                    "data.total is negative",
                                )
                            })
                        })
                        .map_err(|e| {
                            warnings.push(Warning::new("data.total", e.into_data().message))
                        })
                        .ok()
                });
                if object.payouts.is_some() || object.list.is_some() {
                    let (orders, field) = match (object.payouts, object.list) {
                        (Some(p), _) => (p, "data.payouts"),
                        (None, l) => (l.unwrap_or_default(), "data.list"),
                    };
                    (total, orders, field)
                } else if object.order.status.is_some() {
                    let order = self.order_state(object.order, "data", &mut warnings)?;
                    return Ok(QueryResult {
                        total: None,
                        orders: vec![order],
                        warnings,
                    });
                } else {
                    return Err(Error::field(
                        ErrorCode::UnexpectedShape,
                        "data",
                        "the query answer's data is neither an order (no status) nor a list (no payouts or list)",
                    )
                    .with_http_status(status));
                }
            }
        };
        let mut states = Vec::with_capacity(orders.len());
        for (i, order) in orders.into_iter().enumerate() {
            states.push(self.order_state(order, &format!("{field}[{i}]"), &mut warnings)?);
        }
        Ok(QueryResult {
            total,
            orders: states,
            warnings,
        })
    }

    fn order_state(
        &self,
        order: wire::OrderIn,
        at: &str,
        warnings: &mut Vec<Warning>,
    ) -> Result<WithdrawOrderState> {
        let field = |name: &str| format!("{at}.{name}");
        let raw = order
            .status
            .as_ref()
            .ok_or_else(|| {
                Error::field(
                    ErrorCode::UnexpectedShape,
                    field("status"),
                    format!("{} is missing", field("status")),
                )
            })
            .and_then(|s| integer(s, &field("status")))?;
        for (name, id) in [
            ("payout_id", &order.payout_id),
            ("payout_cl_id", &order.payout_cl_id),
        ] {
            check_received_id(id.as_deref(), &field(name))?;
        }
        if order.payout_id.is_none() && order.payout_cl_id.is_none() {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                field("payout_id"),
                format!("{at} has neither payout_id nor payout_cl_id"),
            ));
        }
        if let Some(currency) = order.currency.as_deref() {
            Currency::parse(currency, &field("currency"))?;
        }
        let status = mapping::status(&self.config.status_map, raw);
        Ok(WithdrawOrderState {
            payout_id: order.payout_id,
            payout_cl_id: order.payout_cl_id,
            platform_id: order.platform_id,
            status,
            raw_status: raw.to_string(),
            amount: optional_cents(order.amount.as_ref(), &field("amount"), false)?,
            real_amount: optional_cents(order.real_amount.as_ref(), &field("real_amount"), true)?,
            fee: optional_cents(order.fee.as_ref(), &field("fee"), true)?,
            bank_name: descriptive(order.bank_name, warnings),
            name: descriptive(order.name, warnings),
            number: descriptive(order.number, warnings),
            failure: mapping::failure(status, order.error_msg.as_deref()),
            created_at: lenient_timestamp(order.create_time, &field("create_time"), warnings),
            updated_at: lenient_timestamp(order.update_time, &field("update_time"), warnings),
        })
    }

    // ---- notification ----------------------------------------------------------------------

    /// Verifies a withdraw notification from its raw body, then parses it. The signature is
    /// recomputed over every received field except `sign`/`sign_type`, including fields kirim
    /// does not know; the algorithm is the notification's `sign_type` (absent: MD5), among those
    /// configured; `sign` is compared case-insensitively in constant time against the platform
    /// key and every previous key. Duplicate keys are refused.
    pub fn verify_notification(&self, body: &[u8]) -> Result<PayoutEvent> {
        // One parse serves both the signature (every field as received) and the reading.
        let tree = parse_tree(body, self.config.max_body_bytes, "notification")?;
        let params = ReceivedParams::from_tree(&tree, "notification")?;
        let presented = match params.get(SIGN_FIELD) {
            None => None,
            Some((ValueKind::Null, _)) => None,
            Some((ValueKind::String, value)) => value.filter(|v| !v.is_empty()),
            Some(_) => {
                return Err(Error::field(
                    ErrorCode::SignatureMismatch,
                    SIGN_FIELD,
                    "the notification's sign is not a string",
                ));
            }
        };
        let Some(presented) = presented else {
            return Err(Error::field(
                ErrorCode::SignatureMissing,
                SIGN_FIELD,
                "the notification carries no sign; reject it",
            ));
        };
        let sign_type = match params.get(SIGN_TYPE_FIELD) {
            None => SignType::from_field(None)?,
            Some((kind, value)) => match kind {
                ValueKind::Null => SignType::from_field(None)?,
                ValueKind::String => SignType::from_field(value)?,
                _ => {
                    return Err(Error::field(
                        ErrorCode::UnsupportedSignatureType,
                        SIGN_TYPE_FIELD,
                        "the notification's sign_type is not a string",
                    ));
                }
            },
        };
        if !self.config.notification_sign_types.contains(&sign_type) {
            return Err(Error::field(
                ErrorCode::UnsupportedSignatureType,
                SIGN_TYPE_FIELD,
                format!(
                    "the notification is signed with {}, which notification_sign_types does not accept",
                    sign_type.as_str()
                ),
            ));
        }
        let canonical = params.canonical()?;
        let keys =
            std::iter::once(&self.config.platform_key).chain(&self.config.previous_platform_keys);
        if !signing::verify(&canonical, presented, keys, sign_type, self.config.key_join) {
            return Err(Error::field(
                ErrorCode::SignatureMismatch,
                SIGN_FIELD,
                format!(
                    "the notification's {} signature does not match under the configured platform key",
                    sign_type.as_str()
                ),
            ));
        }
        self.parse_notification(&tree, Authenticity::Signature)
    }

    /// Parses a notification WITHOUT checking its signature. The event says `unverified` and
    /// `requires_query`: confirm by a query before any money decision.
    pub fn parse_notification_unverified(&self, body: &[u8]) -> Result<PayoutEvent> {
        let tree = parse_tree(body, self.config.max_body_bytes, "notification")?;
        // The same refusals as a verified one (duplicate keys, unreadable values).
        ReceivedParams::from_tree(&tree, "notification")?;
        self.parse_notification(&tree, Authenticity::Unverified)
    }

    fn parse_notification(
        &self,
        tree: &Json<'_>,
        authenticity: Authenticity,
    ) -> Result<PayoutEvent> {
        let mut n: wire::OrderIn = read_body(tree, "notification")?;
        let payout_id = required_id(n.payout_id.take(), "payout_id")?;
        let reference_id = required_id(n.payout_cl_id.take(), "payout_cl_id")?;
        if let Some(platform_id) = n.platform_id.as_deref() {
            if platform_id != self.config.platform_id {
                return Err(Error::field(
                    ErrorCode::UnexpectedShape,
                    "platform_id",
                    format!(
                        "the notification is for platform_id {}, not this configuration's {}",
                        crate::error::quoted(platform_id),
                        crate::error::quoted(&self.config.platform_id)
                    ),
                ));
            }
        }
        let raw = n
            .status
            .as_ref()
            .ok_or_else(|| {
                Error::field(
                    ErrorCode::UnexpectedShape,
                    "status",
                    "the notification has no status",
                )
            })
            .and_then(|s| integer(s, "status"))?;
        let amount = n
            .amount
            .as_ref()
            .ok_or_else(|| {
                Error::field(
                    ErrorCode::UnexpectedShape,
                    "amount",
                    "the notification has no amount",
                )
            })
            .and_then(|a| cents(a, "amount", false))?;
        // Money, so strict: a malformed fee is a malformed notification.
        let real_amount = optional_cents(n.real_amount.as_ref(), "real_amount", true)?;
        let fee = optional_cents(n.fee.as_ref(), "fee", true)?;
        let status = mapping::status(&self.config.status_map, raw);
        // The times do not decide the payout: an unreadable one is a warning.
        let mut warnings = Vec::new();
        let created_at = lenient_timestamp(n.create_time, "create_time", &mut warnings);
        let updated_at = lenient_timestamp(n.update_time, "update_time", &mut warnings);
        // Tentative: an unverified notification, a status the deployment marks as needing a
        // query, and a `2` mapped to success (G7: 2 is "Processing" in kuipay's table, success
        // in another brand's example; never success without a confirming query).
        let confirmation = if authenticity == Authenticity::Unverified
            || self.config.statuses_requiring_query.contains(&raw)
            || (raw == 2 && status == PayoutStatus::Succeeded)
        {
            Confirmation::Tentative
        } else {
            Confirmation::Confirmed
        };
        let requires_query =
            confirmation == Confirmation::Tentative || status == PayoutStatus::Unknown;
        Ok(PayoutEvent {
            provider: Provider::Gateway,
            authenticity,
            confirmation,
            payout_id: Some(payout_id),
            reference_id: Some(reference_id),
            status,
            raw_status: raw.to_string(),
            raw_event: None,
            amount: Some(amount),
            failure: mapping::failure(status, n.error_msg.as_deref()),
            occurred_at: updated_at.or(created_at),
            requires_query,
            totals: None,
            warnings,
            real_amount,
            fee,
        })
    }

    /// `verify_notification` and `notification_acknowledgement` in one call: never fails for a
    /// bad notification, so the host always has the answer to send back.
    pub fn handle_notification(
        &self,
        body: &[u8],
    ) -> crate::providers::common::Handled<PayoutEvent> {
        crate::providers::common::Handled::run(
            || self.verify_notification(body),
            |result| self.notification_acknowledgement(result),
        )
    }

    /// The answer to a notification: HTTP 200 with `{"error_code":"0000"}` (or the configured
    /// override) when it was verified and parsed, which stops the gateway's retries; a 401 with
    /// a body WITHOUT `0000` when it was not authentic; a 500 without `0000` when it was
    /// authentic but unreadable (the gateway retries, up to 10 times in an hour). Every answer
    /// but the first leaves the gateway retrying, as G18 asks for our own misconfiguration
    /// too; `platform_key` is required, so no notification meets a missing key.
    pub fn notification_acknowledgement(
        &self,
        result: std::result::Result<(), &Error>,
    ) -> Acknowledgement {
        match result {
            Ok(()) => ack(
                200,
                self.config.ack_body.as_deref().unwrap_or(DEFAULT_ACK_BODY),
                false,
            ),
            Err(error) if is_authenticity_error(error.code) => ack(
                401,
                self.config
                    .reject_body
                    .as_deref()
                    .unwrap_or(DEFAULT_REJECT_BODY),
                true,
            ),
            Err(_) => ack(
                500,
                self.config
                    .reject_body
                    .as_deref()
                    .unwrap_or(DEFAULT_RETRY_BODY),
                true,
            ),
        }
    }

    // ---- balance ---------------------------------------------------------------------------

    /// `GET /gateway/api/v1/platforms/balance` with the `Authorization` header.
    pub fn balance_request(&self) -> Result<HttpRequest> {
        self.authorized_get(self.url(BALANCE_PATH))
    }

    /// `data.total_balance`, in cents, exactly. A negative balance is refused as malformed.
    pub fn parse_balance(&self, outcome: &HttpOutcome) -> Result<Money> {
        let (_, data) = self.required_data::<wire::BalanceData>(
            outcome,
            "balance response",
            "balance",
            "data.total_balance",
        )?;
        cents(&data.total_balance, "data.total_balance", true)
    }

    // ---- shared ----------------------------------------------------------------------------

    fn authorized(&self) -> Result<Vec<Header>> {
        let token = self.config.authorization.as_ref().ok_or_else(|| {
            Error::field(
                ErrorCode::InvalidConfig,
                "authorization",
                "query and balance calls need the Authorization token the platform issued (config.authorization)",
            )
        })?;
        Ok(vec![
            Header::new("Accept", "application/json"),
            Header::new("Authorization", token.expose_secret()),
        ])
    }

    /// A `GET` with the `Authorization` header: the order queries and the balance.
    fn authorized_get(&self, url: String) -> Result<HttpRequest> {
        Ok(HttpRequest {
            method: Method::Get,
            url,
            headers: self.authorized()?,
            body: Vec::new(),
        })
    }

    /// As `success_data`, for an answer that must carry `data` (`field` names what is missing).
    fn required_data<T: FromJson>(
        &self,
        outcome: &HttpOutcome,
        what: &str,
        answer: &str,
        field: &str,
    ) -> Result<(u16, T)> {
        let (status, data) = self.success_data::<T>(outcome, what)?;
        let data = data.ok_or_else(|| {
            Error::field(
                ErrorCode::MalformedResponse,
                field,
                format!("the {answer} answer says 0000 but has no data"),
            )
            .with_http_status(status)
        })?;
        Ok((status, data))
    }

    /// The HTTP status and `data` of a `0000` answer; every other answer becomes an error.
    fn success_data<T: FromJson>(
        &self,
        outcome: &HttpOutcome,
        what: &str,
    ) -> Result<(u16, Option<T>)> {
        let (status, tree) = self.success_tree(outcome, what)?;
        let data: DataField<T> = read_body(&tree, what).map_err(|e| e.with_http_status(status))?;
        Ok((status, data.0))
    }

    /// The HTTP status and parsed body of a `0000` answer; every other answer becomes an error.
    /// (The provider's code decides before the shape of its `data` does.)
    fn success_tree<'o>(&self, outcome: &'o HttpOutcome, what: &str) -> Result<(u16, Json<'o>)> {
        let response = response_or_transport(outcome, what)?;
        if !(200..300).contains(&response.status) {
            return Err(self.error_from_response(response, what));
        }
        let tree = parse_tree(&response.body, self.config.max_body_bytes, what)
            .map_err(|e| e.with_http_status(response.status))?;
        let envelope: wire::Envelope =
            read_body(&tree, what).map_err(|e| e.with_http_status(response.status))?;
        match envelope.error_code.as_deref() {
            Some(mapping::OK_CODE) => Ok((response.status, tree)),
            Some(code) => Err(mapping::response_error(
                response.status,
                code,
                envelope.error_msg.as_deref(),
            )),
            None => Err(Error::field(
                ErrorCode::MalformedResponse,
                "error_code",
                format!("{what} has no error_code"),
            )
            .with_http_status(response.status)),
        }
    }

    fn error_from_response(&self, response: &HttpResponse, what: &str) -> Error {
        // The shared rule: 5xx, 408 and 429 decide before any code in the body.
        if status_decides(response.status).is_some() {
            return mapping::http_error(response.status);
        }
        match parse_body::<wire::Envelope>(&response.body, self.config.max_body_bytes, what) {
            Ok(wire::Envelope {
                error_code: Some(code),
                error_msg,
                ..
            }) if code != mapping::OK_CODE => {
                mapping::response_error(response.status, &code, error_msg.as_deref())
            }
            _ => mapping::http_error(response.status),
        }
    }
}

/// The characters left as is in a query value: unreserved characters of RFC 3986.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn ack(status: u16, body: &str, provider_will_retry: bool) -> Acknowledgement {
    let content_type = if body.trim_start().starts_with('{') {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    Acknowledgement {
        status,
        headers: vec![Header::new("Content-Type", content_type)],
        body: body.as_bytes().to_vec(),
        provider_will_retry,
    }
}

/// Your order ids go into a URL path and a signed string: letters, digits, `-` and `_`.
fn check_order_id(violations: &mut Violations, field: &str, value: &str, max_len: usize) {
    if value.is_empty() {
        violations.push(
            field,
            ErrorCode::MissingField,
            format!("{field} is required and must not be empty"),
        );
    } else if value.len() > max_len
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        violations.push(
            field,
            ErrorCode::InvalidField,
            format!("{field} must be 1 to {max_len} letters, digits, '-' or '_'"),
        );
    }
}

/// A value containing `&` could forge another pair of the signed string (see `signing`).
fn no_ampersand(violations: &mut Violations, field: &str, value: &str) {
    if value.contains('&') {
        violations.push(
            field,
            ErrorCode::InvalidField,
            format!("{field} must not contain '&': it would make the signed string ambiguous"),
        );
    }
}

/// Whole rupiah → cents (×100), positive and within Integer(10).
fn amount_cents(amount: &Money, field: &str) -> Result<i64> {
    let rupiah = amount.whole_major_units(field)?;
    if rupiah <= 0 {
        return Err(Error::field(
            ErrorCode::AmountOutOfRange,
            field,
            "amount must be positive",
        ));
    }
    let cents = rupiah.checked_mul(100).filter(|c| *c <= MAX_AMOUNT_CENTS);
    cents.ok_or_else(|| {
        Error::field(
            ErrorCode::AmountOutOfRange,
            field,
            "amount is over the gateway's Integer(10) of cents (at most Rp 99,999,999)",
        )
    })
}

/// An integer field (status, times, total) from a JSON integer or a digit string.
fn integer(value: &JsonDecimal, field: &str) -> Result<i64> {
    let text = value.0.as_str();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let parsed =
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            parse_decimal_minor(text, 0, field).ok()
        };
    parsed.ok_or_else(|| {
        Error::field(
            ErrorCode::UnexpectedShape,
            field,
            format!("{field} {} is not an integer", crate::error::quoted(text)),
        )
    })
}

/// A Unix time in seconds: an integer that is not negative (a negative time is a provider bug,
/// not a moment to store).
fn optional_timestamp(value: Option<&JsonDecimal>, field: &str) -> Result<Option<i64>> {
    let Some(seconds) = value.map(|v| integer(v, field)).transpose()? else {
        return Ok(None);
    };
    if seconds < 0 {
        return Err(Error::field(
            ErrorCode::UnexpectedShape,
            field,
            format!("{field} is {seconds}; a Unix time in seconds cannot be negative"),
        ));
    }
    Ok(Some(seconds))
}

/// A non-essential time: `None` with a warning when it is not a Unix time in seconds.
fn lenient_timestamp(
    value: Option<crate::read::Lenient<JsonDecimal>>,
    field: &str,
    warnings: &mut Vec<Warning>,
) -> Option<i64> {
    let value = crate::read::lenient(value, warnings)?;
    optional_timestamp(Some(&value), field)
        .map_err(|e| warnings.push(Warning::new(field, e.into_data().message)))
        .ok()
        .flatten()
}

/// A descriptive text: sanitized, or `None` with a warning when it is not a string.
fn descriptive(
    value: Option<crate::read::Lenient<String>>,
    warnings: &mut Vec<Warning>,
) -> Option<String> {
    crate::read::lenient(value, warnings).map(crate::error::sanitize_provider_string)
}

/// An amount in cents (the family's unit) back to money, exactly: an integer, not negative
/// (zero allowed only where it means "nothing", e.g. `fee`, `real_amount` of a failed order).
fn cents(value: &JsonDecimal, field: &str, allow_zero: bool) -> Result<Money> {
    let minor = value.to_minor(0, field)?;
    if minor < 0 || (minor == 0 && !allow_zero) {
        return Err(Error::field(
            ErrorCode::AmountOutOfRange,
            field,
            format!(
                "{field} is {minor} cents; it must be {}",
                if allow_zero {
                    "zero or positive"
                } else {
                    "positive"
                }
            ),
        ));
    }
    Ok(Money::new(minor, Currency::Idr))
}

fn optional_cents(
    value: Option<&JsonDecimal>,
    field: &str,
    allow_zero: bool,
) -> Result<Option<Money>> {
    value.map(|v| cents(v, field, allow_zero)).transpose()
}

fn check_received_id(id: Option<&str>, field: &str) -> Result<()> {
    match id {
        Some(id) if !validate::is_safe_id(id) => Err(Error::field(
            ErrorCode::UnexpectedShape,
            field,
            format!("{field} is empty, longer than 256 bytes or contains control characters"),
        )),
        _ => Ok(()),
    }
}

fn required_id(id: Option<String>, field: &str) -> Result<String> {
    match id {
        None => Err(Error::field(
            ErrorCode::UnexpectedShape,
            field,
            format!("the notification has no {field}"),
        )),
        Some(id) => check_received_id(Some(&id), field).map(|()| id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::TransportFailure;

    const KEY: &str = "ThisIsYourSecretKey123";

    fn gateway() -> Gateway {
        let mut config = GatewayConfig::new("https://gw.example", "PF0002", Secret::new(KEY));
        config.authorization = Some(Secret::new("auth-token"));
        Gateway::new(config).unwrap()
    }

    fn order() -> WithdrawOrderInput {
        WithdrawOrderInput {
            payout_cl_id: "DEVPOT00143538".into(),
            amount: Money::idr(500).unwrap(),
            bank_name: "BCA".into(),
            name: "test_name".into(),
            number: "4088748280272397".into(),
            notify_url: Some("https://xxx.xx/notification".into()),
        }
    }

    fn response(body: &str) -> HttpOutcome {
        HttpOutcome::Response(HttpResponse {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
    }

    fn signed(body: &serde_json::Value, sign_type: Option<SignType>) -> Vec<u8> {
        let bytes = serde_json::to_vec(body).unwrap();
        let params = FormParams::from_json_object(&bytes, 1 << 20, "t").unwrap();
        let canonical = params.canonical().unwrap();
        let sign = signing::sign(
            &canonical,
            &Secret::new(KEY),
            sign_type.unwrap_or(SignType::Md5),
            SignerSettings::default(),
        )
        .unwrap();
        let mut object = body.as_object().unwrap().clone();
        object.insert("sign".into(), sign.into());
        if let Some(t) = sign_type {
            object.insert("sign_type".into(), t.as_str().into());
        }
        serde_json::to_vec(&object).unwrap()
    }

    #[test]
    fn create_reproduces_the_seed_signature_with_md5() {
        let mut config = GatewayConfig::new("https://gw.example", "PF0002", Secret::new(KEY));
        config.sign_type = SignType::Md5;
        let gw = Gateway::new(config).unwrap();
        let request = gw.create_withdraw_request(&order(), 1_595_504_997).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        // [computed] spec §2.4 for the seed payout string (amount 50000 cents = Rp 500).
        assert_eq!(body["sign"], "346f1547fd7142da5bcf6ccaf79837cd");
        assert_eq!(body["amount"], 50000);
        assert!(body.get("sign_type").is_none());
        assert_eq!(request.url, "https://gw.example/gateway/api/v2/payouts");
    }

    #[test]
    fn create_defaults_to_hmac() {
        let request = gateway()
            .create_withdraw_request(&order(), 1_595_504_997)
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body["sign"],
            "b69ced01c311b0e5d18a45627292776e2392ce27de9d5dc6fc0bd32c1c79f643"
        );
        assert_eq!(body["sign_type"], "HMAC-SHA256");
    }

    #[test]
    fn create_reports_every_bad_field() {
        let bad = WithdrawOrderInput {
            payout_cl_id: "has space".into(),
            amount: Money::new(12_345, Currency::Idr),
            bank_name: "".into(),
            name: "A & B".into(),
            number: "12-34".into(),
            notify_url: Some("https://x/cb?a=1&b=2".into()),
        };
        let err = gateway().create_withdraw_request(&bad, 0).unwrap_err();
        let mut fields: Vec<_> = err.violations.iter().map(|v| v.field.as_str()).collect();
        fields.dedup();
        assert_eq!(
            fields,
            [
                "payout_cl_id",
                "amount",
                "bank_name",
                "name",
                "number",
                "notify_url",
                "now"
            ]
        );
        let huge = WithdrawOrderInput {
            amount: Money::idr(100_000_000).unwrap(),
            ..order()
        };
        assert_eq!(
            gateway()
                .create_withdraw_request(&huge, 1)
                .unwrap_err()
                .violations[0]
                .code,
            ErrorCode::AmountOutOfRange
        );
    }

    #[test]
    fn create_outcomes() {
        let gw = gateway();
        let accepted = gw.parse_create_withdraw(&response(
            r#"{"error_code":"0000","data":{"payout_id":"POT00000001"}}"#,
        ));
        assert_eq!(accepted.next_action, NextAction::Accepted);
        assert_eq!(accepted.payout_id.as_deref(), Some("POT00000001"));
        let lost =
            gw.parse_create_withdraw(&HttpOutcome::TransportFailure(TransportFailure::Timeout));
        assert_eq!(lost.next_action, NextAction::QueryFirst);
        let empty = gw.parse_create_withdraw(&response(""));
        assert_eq!(empty.next_action, NextAction::QueryFirst);
        let no_id = gw.parse_create_withdraw(&response(r#"{"error_code":"0000","data":{}}"#));
        assert_eq!(no_id.error.unwrap().code, ErrorCode::MalformedResponse);
        let sig = gw.parse_create_withdraw(&response(
            r#"{"error_code":"0004","error_msg":"Signature verification failed!"}"#,
        ));
        assert_eq!(
            sig.error.unwrap().code,
            ErrorCode::SignatureRejectedByProvider
        );
    }

    #[test]
    fn notification_round_trip() {
        let gw = gateway();
        let body = serde_json::json!({"payout_id":"POT00000102","payout_cl_id":"97a968b4","platform_id":"PF0002",
            "amount":400000,"real_amount":400000,"fee":3200,"status":3,"create_time":1567614049,
            "update_time":1567614111,"brand_new_field":"x"});
        let event = gw.verify_notification(&signed(&body, None)).unwrap();
        assert_eq!(event.status, PayoutStatus::Succeeded);
        assert_eq!(event.amount, Some(Money::new(400_000, Currency::Idr)));
        assert_eq!(event.occurred_at, Some(1_567_614_111));
        assert!(!event.requires_query);
        let hmac = gw
            .verify_notification(&signed(&body, Some(SignType::HmacSha256)))
            .unwrap();
        assert_eq!(hmac.authenticity, Authenticity::Signature);
        // Tampering with the amount after signing.
        let tampered = String::from_utf8(signed(&body, None))
            .unwrap()
            .replace("\"amount\":400000", "\"amount\":900000");
        assert_eq!(
            gw.verify_notification(tampered.as_bytes())
                .unwrap_err()
                .code,
            ErrorCode::SignatureMismatch
        );
        let ack = gw.notification_acknowledgement(Ok(()));
        assert_eq!(ack.body, DEFAULT_ACK_BODY.as_bytes());
        let err = Error::new(ErrorCode::SignatureMismatch, "x");
        let nack = gw.notification_acknowledgement(Err(&err));
        assert!(!String::from_utf8(nack.body).unwrap().contains("0000"));
    }

    #[test]
    fn status_two_mapped_to_success_needs_a_query() {
        let mut config = GatewayConfig::new("https://gw.example", "PF0002", Secret::new(KEY));
        config.status_map.insert(2, PayoutStatus::Succeeded);
        let gw = Gateway::new(config).unwrap();
        let body =
            serde_json::json!({"payout_id":"P1","payout_cl_id":"C1","amount":100,"status":2});
        let event = gw.verify_notification(&signed(&body, None)).unwrap();
        assert_eq!(event.status, PayoutStatus::Succeeded);
        assert!(event.requires_query);
        assert_eq!(event.confirmation, Confirmation::Tentative);
        // A tentative success never makes the payout final.
        assert_eq!(
            PayoutStatus::Processing.observe(event.status, event.confirmation),
            PayoutStatus::Processing
        );
    }

    #[test]
    fn debug_never_prints_keys() {
        let mut config = GatewayConfig::new("https://gw.example", "PF0002", Secret::new(KEY));
        config.authorization = Some(Secret::new("sentinel-auth"));
        config.previous_platform_keys = vec![Secret::new("sentinel-old")];
        let gw = Gateway::new(config).unwrap();
        let shown = format!("{gw:?} {:?}", gw.balance_request().unwrap());
        assert!(
            !shown.contains(KEY) && !shown.contains("sentinel"),
            "{shown}"
        );
    }

    #[test]
    fn config_is_checked() {
        let mut config = GatewayConfig::new("http://example.com", "PF00021234", Secret::new(""));
        config.reject_body = Some(r#"{"error_code":"0000"}"#.into());
        config.notification_sign_types.clear();
        let err = Gateway::new(config).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert_eq!(err.violations.len(), 5);
    }
}

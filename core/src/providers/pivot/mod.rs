//! Pivot Local Payout (spec §1): access token, balance, inquiry, create payout (single and
//! bulk), retrieve, callbacks. Requests are built as data; responses are parsed from bytes.

pub mod attempt;
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

pub use attempt::CreateAttempt;
pub use mapping::BatchStatus;

use crate::error::{Error, ErrorCode, ProviderDetail, Result, Violations};
use crate::event::{Authenticity, PayoutEvent, PayoutTotals, Provider, Warning};
use crate::http::{Acknowledgement, Header, HttpOutcome, HttpRequest, HttpResponse, Method};
use crate::idempotency::{self, IdempotencyRules, PIVOT_RULES};
use crate::json::{
    DEFAULT_MAX_BODY_BYTES, parse_body, parse_timestamp, parse_tree, read_body, to_json,
};
use crate::money::{Currency, JsonDecimal, Money};
use crate::providers::common::{
    DataField, response_or_transport, status_json_acknowledgement, unsendable_as_header,
    validate_base_url,
};
use crate::read::{FromJson, Json, Lenient};
use crate::secret::{Secret, matches_any};
use crate::status::{Confirmation, Failure, NextAction, PayoutStatus};
use crate::validate::{self, Charset, Indexed, ItemField, Sub};
use crate::write::ToJson;
use serde::{Deserialize, Serialize};
use std::fmt::Display;

pub const PRODUCTION_URL: &str = "https://api.pivot-payment.com";
pub const SANDBOX_URL: &str = "https://api-stg.pivot-payment.com";
/// The documented balance path (G4); `/v1/balances?usecase=DISBURSEMENT` is configurable.
pub const DEFAULT_BALANCE_PATH: &str = "/v1/payouts/balance";
/// The sandbox account that succeeds (spec §1.12).
pub const SANDBOX_ACCOUNT_SUCCESS: &str = "999966660001";
/// The sandbox account that fails with "Inactive Account" (spec §1.12).
pub const SANDBOX_ACCOUNT_INACTIVE: &str = "999966660002";

const API_KEY_HEADER: &str = "X-API-Key";
const REFERENCE_MAX: usize = 100;

fn default_balance_path() -> String {
    DEFAULT_BALANCE_PATH.to_owned()
}
fn default_refresh_margin() -> i64 {
    60
}
fn default_max_body() -> usize {
    DEFAULT_MAX_BODY_BYTES
}
fn default_key_window_margin() -> i64 {
    idempotency::DEFAULT_KEY_WINDOW_MARGIN_SECONDS
}

/// Pivot credentials and settings.
// Kotlin/Swift: a record whose defaults are the literals below, the values of `PivotConfig::new`
// (uniffi defaults take only literals; the Kotlin suite proves a record built with them equals
// `pivotConfigDefaults`, the core's own).
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, Deserialize, FromJson)]
#[serde(deny_unknown_fields)]
pub struct PivotConfig {
    /// `PRODUCTION_URL`, `SANDBOX_URL`, or a loopback URL for tests.
    pub base_url: String,
    /// Sent as `X-MERCHANT-ID` (the "Client ID").
    pub merchant_id: String,
    /// Sent as `X-MERCHANT-SECRET` (the "Client Secret"), only to the token endpoint.
    pub merchant_secret: Secret,
    /// Callback API keys accepted in `X-API-Key`; several during a key rotation.
    #[export(optional)]
    pub callback_api_keys: Vec<Secret>,
    #[serde(default = "default_balance_path")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "uniffi", uniffi(default = "/v1/payouts/balance"))]
    pub balance_path: String,
    /// Refresh the token this many seconds before it expires.
    #[serde(default = "default_refresh_margin")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "uniffi", uniffi(default = 60))]
    pub token_refresh_margin_seconds: i64,
    #[serde(default = "default_max_body")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "uniffi", uniffi(default = 1048576))]
    pub max_body_bytes: usize,
    /// Stop trusting an `X-REQUEST-ID` to replay this many seconds before Pivot's 24 h window
    /// ends (transit time, retries, clock skew). Default 600; at least 0, less than 86400.
    #[serde(default = "default_key_window_margin")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "uniffi", uniffi(default = 600))]
    pub key_window_margin_seconds: i64,
}

impl PivotConfig {
    pub fn new(base_url: &str, merchant_id: &str, merchant_secret: Secret) -> Self {
        PivotConfig {
            base_url: base_url.to_owned(),
            merchant_id: merchant_id.to_owned(),
            merchant_secret,
            callback_api_keys: Vec::new(),
            balance_path: default_balance_path(),
            token_refresh_margin_seconds: default_refresh_margin(),
            max_body_bytes: default_max_body(),
            key_window_margin_seconds: default_key_window_margin(),
        }
    }
}

/// A bearer token's text: not empty, visible ASCII only (it is the end of the `Authorization`
/// header's value: no space, no control character, nothing outside ASCII, which Java's
/// HttpClient refuses by quoting the value, the token, in its exception).
fn is_token_text(token: &str) -> bool {
    !token.is_empty() && token.chars().all(|c| c.is_ascii_graphic())
}

/// A bearer token and its expiry. Its value never prints.
#[derive(Debug, Clone)]
pub struct AccessToken {
    value: Secret,
    pub token_type: String,
    /// Unix seconds.
    pub expires_at: i64,
}

impl AccessToken {
    /// Rebuilds a token the host stored (e.g. shared across processes).
    pub fn new(value: Secret, token_type: &str, expires_at: i64) -> Self {
        AccessToken {
            value,
            token_type: token_type.to_owned(),
            expires_at,
        }
    }

    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// True once `now` is within `margin_seconds` of expiry (or past it).
    pub fn needs_refresh(&self, now: i64, margin_seconds: i64) -> bool {
        now.saturating_add(margin_seconds) >= self.expires_at
    }

    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// Beneficiary validation input (spec §1.6).
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson)]
pub struct InquiryInput {
    pub channel_code: String,
    pub account_number: String,
    pub account_name: String,
}

#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToJson)]
#[serde(rename_all = "snake_case")]
pub enum InquiryStatus {
    /// The name matches the bank's record.
    Valid,
    /// The account exists but the name may not match: show `bank_record_name` to the user.
    Warning,
    /// The account is invalid or not found.
    Invalid,
    /// Still running: poll with `inquiry_status_request`.
    Pending,
    /// A value kirim does not know (kept in `raw_status`).
    Unknown,
}

/// Where `bank_record_name` came from (G1): Pivot returns no name field.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToJson)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// Parsed best-effort from the free-text `detail` after "Bank record:". Not authoritative.
    DetailText,
    /// VALID: the bank's name equals the name you submitted.
    SameAsSubmitted,
}

#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToJson)]
pub struct InquiryResult {
    /// `data.uuid`: pass it as the inquiry id when creating the payout.
    pub inquiry_id: String,
    pub merchant_id: Option<String>,
    pub status: InquiryStatus,
    pub raw_status: String,
    pub detail: Option<String>,
    pub bank_record_name: Option<String>,
    pub bank_record_name_source: Option<NameSource>,
}

/// Where the money goes: a validated inquiry, or the account details directly.
#[kirim_derive::export(uniffi = Enum, ts, python(frozen, eq, from_py_object, module = "kirim.pivot"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum PayoutDestination {
    Inquiry {
        inquiry_id: String,
    },
    Account {
        channel_code: String,
        account_number: String,
        account_name: String,
    },
}

/// One payout of a create request.
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, module = "kirim.pivot"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct PayoutItemInput {
    /// Your unique reference for this payout.
    pub reference_id: String,
    pub destination: PayoutDestination,
    /// Whole rupiah only: Pivot's amount is an integer string.
    /// In JSON also a decimal string of rupiah (`"100000"`); never a bare number.
    #[cfg_attr(feature = "ts", ts(type = "Money | string"))]
    pub amount: Money,
    /// Up to 20 letters, digits and spaces, shown on the beneficiary's statement.
    #[export(optional)]
    pub description: Option<String>,
}

/// The state of one payout item as Pivot reports it.
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, new = "from_fields", module = "kirim.pivot"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct PayoutItemState {
    pub reference_id: String,
    pub status: PayoutStatus,
    pub raw_status: String,
    pub amount: Option<Money>,
    pub failure: Option<Failure>,
    pub inquiry_id: Option<String>,
    pub channel_code: Option<String>,
    pub account_number: Option<String>,
    pub account_name: Option<String>,
    pub description: Option<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// A payout request (batch) as Pivot reports it.
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, get_all, from_py_object, new = "from_fields", module = "kirim.pivot"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct PayoutBatch {
    /// `data.uuid`, used to retrieve.
    pub payout_id: String,
    pub merchant_id: Option<String>,
    pub batch_status: Option<BatchStatus>,
    pub raw_batch_status: Option<String>,
    pub items: Vec<PayoutItemState>,
    pub totals: Option<PayoutTotals>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    /// Non-essential fields that could not be read (times, descriptive texts, the totals),
    /// absent above and named here, e.g. `data.created`; empty when none.
    pub warnings: Vec<Warning>,
}

/// The result of a create-payout call: what to do next, and the batch when accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToJson)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreatePayoutOutcome {
    pub next_action: NextAction,
    pub batch: Option<PayoutBatch>,
    pub error: Option<Error>,
}

/// The Pivot protocol shell. Cheap to build; holds configuration only, no state.
#[derive(Debug, Clone)]
pub struct Pivot {
    config: PivotConfig,
    base_url: String,
}

impl Pivot {
    pub fn new(config: PivotConfig) -> Result<Self> {
        let mut violations = Violations::new();
        let base_url = violations.check(validate_base_url(&config.base_url, "base_url"));
        validate::required(
            &mut violations,
            "merchant_id",
            &config.merchant_id,
            128,
            Charset::Token,
        );
        if config.merchant_secret.is_empty() {
            violations.push(
                "merchant_secret",
                ErrorCode::InvalidConfig,
                "merchant_secret must not be empty",
            );
        } else if unsendable_as_header(&config.merchant_secret) {
            // Sent as the X-MERCHANT-SECRET header's value, where a control character (the
            // newline a secret read from a file keeps) or a character outside ASCII cannot go:
            // an HTTP client refuses it, and some say why by quoting the value, the secret, in
            // their exception. Surrounding spaces would be stripped on the way, so Pivot would
            // see another secret.
            violations.push(
                "merchant_secret",
                ErrorCode::InvalidConfig,
                "merchant_secret contains a control character, a character outside ASCII or surrounding spaces (a trailing newline of the file or variable it was read from?): remove them",
            );
        }
        if config.callback_api_keys.iter().any(Secret::is_empty) {
            violations.push(
                "callback_api_keys",
                ErrorCode::InvalidConfig,
                "callback_api_keys must not contain an empty key",
            );
        } else if config.callback_api_keys.iter().any(unsendable_as_header) {
            // Compared with the X-API-Key header's value, which cannot hold a control character
            // and arrives without surrounding spaces: such a key would refuse every genuine
            // callback.
            violations.push(
                "callback_api_keys",
                ErrorCode::InvalidConfig,
                "callback_api_keys contains a key with a control character, a character outside ASCII or surrounding spaces (a trailing newline of the file or variable it was read from?), which no X-API-Key header carries: remove them",
            );
        }
        if !config.balance_path.starts_with('/')
            || config
                .balance_path
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            violations.push(
                "balance_path",
                ErrorCode::InvalidConfig,
                "balance_path must be an absolute path such as /v1/payouts/balance",
            );
        }
        if config.max_body_bytes == 0 {
            violations.push(
                "max_body_bytes",
                ErrorCode::InvalidConfig,
                "max_body_bytes must be positive",
            );
        }
        if config.token_refresh_margin_seconds < 0 {
            // A negative margin would send a token after it expired: every request refused.
            violations.push(
                "token_refresh_margin_seconds",
                ErrorCode::InvalidConfig,
                "token_refresh_margin_seconds must be at least 0 (seconds before the token's expiry)",
            );
        }
        violations.check(idempotency::validate_margin(
            &PIVOT_RULES,
            config.key_window_margin_seconds,
            "key_window_margin_seconds",
        ));
        violations.finish_config()?;
        Ok(Pivot {
            base_url: base_url.unwrap_or_default(),
            config,
        })
    }

    pub fn config(&self) -> &PivotConfig {
        &self.config
    }

    /// The idempotency rules for `X-REQUEST-ID`.
    pub fn idempotency_rules(&self) -> &'static IdempotencyRules {
        &PIVOT_RULES
    }

    /// A stable `X-REQUEST-ID` for this merchant reference (bump `revision` only after a
    /// rejection you corrected).
    pub fn derive_request_id(&self, merchant_reference: &str, revision: u32) -> Result<String> {
        idempotency::derive_key("pivot", merchant_reference, revision)
    }

    fn url(&self, path: &str) -> String {
        crate::providers::common::joined(&self.base_url, path)
    }

    fn json_headers() -> Vec<Header> {
        // Room for the two headers every caller adds (credentials, idempotency key).
        let mut headers = Vec::with_capacity(4);
        headers.push(Header::new("Content-Type", "application/json"));
        headers.push(Header::new("Accept", "application/json"));
        headers
    }

    fn authorized(&self, token: &AccessToken, now: i64) -> Result<Vec<Header>> {
        if token.is_expired(now) {
            return Err(Error::field(
                ErrorCode::AccessTokenExpired,
                "access_token",
                format!(
                    "the access token expired at {} (now is {now}); request a new one first",
                    token.expires_at
                ),
            ));
        }
        // A token parsed from Pivot's answer is checked there; one the host rebuilt
        // (`AccessToken::new`) is checked here, by the same rule, before it becomes a header.
        if !is_token_text(token.value.expose_secret()) {
            return Err(Error::field(
                ErrorCode::InvalidField,
                "access_token",
                "the access token is empty or contains spaces, control characters or characters outside ASCII; use the token parse_access_token returned",
            ));
        }
        let mut headers = Self::json_headers();
        headers.push(Header::new(
            "Authorization",
            crate::providers::common::joined("Bearer ", token.value.expose_secret()),
        ));
        Ok(headers)
    }

    // ---- access token ---------------------------------------------------------------------

    /// `POST /v1/access-token` with the merchant credentials (spec §1.2).
    pub fn access_token_request(&self) -> HttpRequest {
        let mut headers = Self::json_headers();
        headers.push(Header::new(
            "X-MERCHANT-ID",
            self.config.merchant_id.clone(),
        ));
        headers.push(Header::new(
            "X-MERCHANT-SECRET",
            self.config.merchant_secret.expose_secret(),
        ));
        HttpRequest {
            method: Method::Post,
            url: self.url("/v1/access-token"),
            headers,
            body: wire::TOKEN_REQUEST_BODY.to_vec(),
        }
    }

    /// Reads the token; its expiry is `now + expiresIn`.
    pub fn parse_access_token(&self, outcome: &HttpOutcome, now: i64) -> Result<AccessToken> {
        let data: wire::TokenData = self.success_data(outcome, "access token response")?;
        if !is_token_text(&data.access_token) {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                "data.accessToken",
                "the access token is empty or contains spaces, control characters or characters outside ASCII",
            ));
        }
        let expires_in = parse_seconds(&data.expires_in, "data.expiresIn")?;
        Ok(AccessToken {
            value: Secret::new(data.access_token),
            token_type: data.token_type.unwrap_or_else(|| "Bearer".to_owned()),
            expires_at: now.saturating_add(expires_in),
        })
    }

    /// Whether to fetch a new token before the next call, with the configured margin.
    pub fn needs_refresh(&self, token: &AccessToken, now: i64) -> bool {
        token.needs_refresh(now, self.config.token_refresh_margin_seconds)
    }

    // ---- balance --------------------------------------------------------------------------

    /// `GET {balance_path}?currency=IDR` (spec §1.5, G4).
    pub fn balance_request(&self, token: &AccessToken, now: i64) -> Result<HttpRequest> {
        let separator = if self.config.balance_path.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(HttpRequest {
            method: Method::Get,
            url: format!(
                "{}{}{separator}currency=IDR",
                self.base_url, self.config.balance_path
            ),
            headers: self.authorized(token, now)?,
            body: Vec::new(),
        })
    }

    /// `data.availableBalance{currency, value}` with value like "10000.00", exactly.
    pub fn parse_balance(&self, outcome: &HttpOutcome) -> Result<Money> {
        let data: wire::BalanceData = self.success_data(outcome, "balance response")?;
        amount_in(&data.available_balance, &"data.availableBalance")
    }

    // ---- inquiry --------------------------------------------------------------------------

    /// `POST /v1/inquiry-account` (spec §1.6). Every field is checked; all violations reported.
    pub fn inquiry_request(
        &self,
        token: &AccessToken,
        now: i64,
        input: &InquiryInput,
    ) -> Result<HttpRequest> {
        let mut violations = Violations::new();
        validate::required(
            &mut violations,
            "channel_code",
            &input.channel_code,
            30,
            Charset::UpperCode,
        );
        validate::required(
            &mut violations,
            "account_number",
            &input.account_number,
            60,
            Charset::Alphanumeric,
        );
        validate::required(
            &mut violations,
            "account_name",
            &input.account_name,
            60,
            Charset::Text,
        );
        violations.finish()?;
        let body = to_json(
            &wire::InquiryRequest {
                channel_code: &input.channel_code,
                channel_information: wire::ChannelInformation {
                    account_number: &input.account_number,
                    account_name: &input.account_name,
                },
            },
            "the inquiry request",
        )?
        .into_bytes();
        Ok(HttpRequest {
            method: Method::Post,
            url: self.url("/v1/inquiry-account"),
            headers: self.authorized(token, now)?,
            body,
        })
    }

    /// `GET /v1/inquiry-account/{uuid}` to poll a PENDING inquiry.
    pub fn inquiry_status_request(
        &self,
        token: &AccessToken,
        now: i64,
        inquiry_id: &str,
    ) -> Result<HttpRequest> {
        check_path_id(inquiry_id, "inquiry_id")?;
        Ok(HttpRequest {
            method: Method::Get,
            url: self.url(&format!("/v1/inquiry-account/{inquiry_id}")),
            headers: self.authorized(token, now)?,
            body: Vec::new(),
        })
    }

    pub fn parse_inquiry(&self, outcome: &HttpOutcome) -> Result<InquiryResult> {
        let data: wire::InquiryData = self.success_data(outcome, "inquiry response")?;
        check_received_id(&data.uuid, &"data.uuid")?;
        let raw = data.inquiry_result.status;
        let status = match raw.as_str() {
            "VALID" => InquiryStatus::Valid,
            "WARNING" => InquiryStatus::Warning,
            "INVALID" => InquiryStatus::Invalid,
            "PENDING" => InquiryStatus::Pending,
            _ => InquiryStatus::Unknown,
        };
        let detail = data
            .inquiry_result
            .detail
            .filter(|d| !d.is_empty())
            .map(crate::error::sanitize_provider_string);
        let (bank_record_name, source) = match status {
            InquiryStatus::Valid => (None, Some(NameSource::SameAsSubmitted)),
            _ => match detail.as_deref().and_then(bank_record_from_detail) {
                Some(name) => (Some(name), Some(NameSource::DetailText)),
                None => (None, None),
            },
        };
        Ok(InquiryResult {
            inquiry_id: data.uuid,
            merchant_id: data.merchant_id,
            status,
            raw_status: crate::error::sanitize_provider_string(raw),
            detail,
            bank_record_name,
            bank_record_name_source: source,
        })
    }

    // ---- create payout --------------------------------------------------------------------

    /// `POST /v1/payouts` with `X-REQUEST-ID` (spec §1.7). Single and bulk use the same call.
    pub fn create_payout_request(
        &self,
        token: &AccessToken,
        now: i64,
        idempotency_key: &str,
        items: &[PayoutItemInput],
    ) -> Result<HttpRequest> {
        let mut violations = Violations::new();
        violations.check(idempotency::validate_key(
            &PIVOT_RULES,
            idempotency_key,
            "idempotency_key",
        ));
        if items.is_empty() {
            violations.push(
                "payouts",
                ErrorCode::MissingField,
                "payouts must contain at least one item",
            );
        }
        // One item cannot repeat a reference: no sort for the usual single payout.
        let repeated = if items.len() > 1 {
            let mut references = Vec::with_capacity(items.len());
            for item in items {
                references.push(item.reference_id.as_str());
            }
            validate::repeated(&references)
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let at = |name| ItemField {
                list: "payouts",
                index,
                name,
            };
            validate::required(
                &mut violations,
                &at("reference_id"),
                &item.reference_id,
                REFERENCE_MAX,
                Charset::Token,
            );
            if !item.reference_id.is_empty() && repeated.get(index).copied().unwrap_or(false) {
                violations.push(
                    at("reference_id").to_string(),
                    ErrorCode::InvalidField,
                    format!(
                        "reference_id {} appears twice in one request; each payout needs its own",
                        crate::error::quoted(&item.reference_id)
                    ),
                );
            }
            let (inquiry_id, channel_code, channel_information) = match &item.destination {
                PayoutDestination::Inquiry { inquiry_id } => {
                    validate::required(
                        &mut violations,
                        &at("destination.inquiry_id"),
                        inquiry_id,
                        64,
                        Charset::Token,
                    );
                    (Some(inquiry_id.as_str()), None, None)
                }
                PayoutDestination::Account {
                    channel_code,
                    account_number,
                    account_name,
                } => {
                    validate::required(
                        &mut violations,
                        &at("destination.channel_code"),
                        channel_code,
                        30,
                        Charset::UpperCode,
                    );
                    validate::required(
                        &mut violations,
                        &at("destination.account_number"),
                        account_number,
                        60,
                        Charset::Alphanumeric,
                    );
                    validate::required(
                        &mut violations,
                        &at("destination.account_name"),
                        account_name,
                        60,
                        Charset::Text,
                    );
                    (
                        None,
                        Some(channel_code.as_str()),
                        Some(wire::ChannelInformation {
                            account_number,
                            account_name,
                        }),
                    )
                }
            };
            let rupiah = item.amount.whole_major_units("amount").map_err(|mut e| {
                e.field = Some(at("amount").to_string());
                e
            });
            let rupiah = violations.check(rupiah);
            if let Some(rupiah) = rupiah {
                if rupiah <= 0 {
                    violations.push(
                        at("amount").to_string(),
                        ErrorCode::AmountOutOfRange,
                        "amount must be positive",
                    );
                }
            }
            validate::optional(
                &mut violations,
                &at("description"),
                item.description.as_deref(),
                20,
                Charset::AlphanumericSpace,
            );
            if !violations.is_empty() {
                // The body is discarded anyway; skip building it.
                continue;
            }
            out.push(wire::PayoutItemOut {
                reference_id: &item.reference_id,
                inquiry_id,
                channel_code,
                channel_information,
                amount: wire::AmountOut {
                    value: wire::IntegerText(rupiah.unwrap_or_default()),
                    currency: item.amount.currency.code(),
                },
                description: item.description.as_deref().filter(|d| !d.is_empty()),
            });
        }
        violations.finish()?;
        let mut headers = self.authorized(token, now)?;
        headers.push(Header::new(PIVOT_RULES.header, idempotency_key));
        Ok(HttpRequest {
            method: Method::Post,
            url: self.url("/v1/payouts"),
            headers,
            body: crate::json::to_json_sized(
                &wire::CreatePayoutOut { payouts: out },
                "the payout request",
                // About what an item takes (a reference, an inquiry id or an account, a
                // description): the body is written without growing its buffer many times.
                64 + 192 * items.len(),
            )?
            .into_bytes(),
        })
    }

    /// Reads the create response, or the transport failure, into the next action.
    pub fn parse_create_payout(&self, outcome: &HttpOutcome) -> CreatePayoutOutcome {
        match self
            .success_data::<wire::PayoutData>(outcome, "create payout response")
            .and_then(|d| batch(d, &"data"))
        {
            Ok(batch) => CreatePayoutOutcome {
                next_action: NextAction::Accepted,
                batch: Some(batch),
                error: None,
            },
            Err(error) => CreatePayoutOutcome {
                next_action: mapping::next_action(&error),
                batch: None,
                error: Some(error),
            },
        }
    }

    /// `parse_create_payout` for a known attempt (its key, references, when the key was first
    /// sent, and now): a resend on the same key is advised only while the key still replays
    /// (Pivot's 24 h less `key_window_margin_seconds`); after that, an unknown outcome is
    /// `manual_reconciliation` (`key_window_over`), and every manual reconciliation carries the
    /// attempt's key and references. The attempt is checked as the request was.
    pub fn parse_create_payout_attempt(
        &self,
        outcome: &HttpOutcome,
        attempt: &CreateAttempt,
    ) -> Result<CreatePayoutOutcome> {
        attempt.validate()?;
        let mut result = self.parse_create_payout(outcome);
        result.next_action = attempt::next_action(
            result.next_action,
            result.error.as_ref(),
            attempt,
            self.config.key_window_margin_seconds,
        );
        Ok(result)
    }

    // ---- retrieve -------------------------------------------------------------------------

    /// `GET /v1/payouts/{uuid}`, or with `?referenceId=` for a single item (spec §1.9).
    pub fn retrieve_request(
        &self,
        token: &AccessToken,
        now: i64,
        payout_id: &str,
        reference_id: Option<&str>,
    ) -> Result<HttpRequest> {
        check_path_id(payout_id, "payout_id")?;
        let mut url = self.url(&format!("/v1/payouts/{payout_id}"));
        if let Some(reference) = reference_id {
            let mut violations = Violations::new();
            validate::required(
                &mut violations,
                "reference_id",
                reference,
                REFERENCE_MAX,
                Charset::Token,
            );
            violations.finish()?;
            url.push_str("?referenceId=");
            url.extend(percent_encoding::utf8_percent_encode(
                reference,
                QUERY_VALUE,
            ));
        }
        Ok(HttpRequest {
            method: Method::Get,
            url,
            headers: self.authorized(token, now)?,
            body: Vec::new(),
        })
    }

    /// The whole request (`payouts` array) or a single item (`payouts` object).
    pub fn parse_retrieve(&self, outcome: &HttpOutcome) -> Result<PayoutBatch> {
        let data: wire::PayoutData = self.success_data(outcome, "retrieve payout response")?;
        batch(data, &"data")
    }

    // ---- callbacks ------------------------------------------------------------------------

    /// Verifies `X-API-Key` against every configured key in constant time, then parses the
    /// body. Bulk callbacks yield one batch event (`requires_query`: read the items); single
    /// callbacks one event per item.
    pub fn verify_callback(&self, headers: &[Header], body: &[u8]) -> Result<Vec<PayoutEvent>> {
        if self.config.callback_api_keys.is_empty() {
            return Err(Error::field(
                ErrorCode::VerificationNotConfigured,
                "callback_api_keys",
                "no callback API key is configured; copy it from Dashboard → Developer Settings → Callbacks",
            ));
        }
        let presented = crate::http::find_header(headers, API_KEY_HEADER);
        match presented {
            None => Err(Error::field(
                ErrorCode::CallbackKeyMissing,
                API_KEY_HEADER,
                "the callback has no X-API-Key header",
            )),
            Some(key) if !matches_any(&self.config.callback_api_keys, key.as_bytes()) => {
                Err(Error::field(
                    ErrorCode::CallbackKeyMismatch,
                    API_KEY_HEADER,
                    "X-API-Key matches no configured callback key",
                ))
            }
            Some(_) => self.parse_callback(body, Authenticity::ApiKey),
        }
    }

    /// Parses a callback WITHOUT checking where it came from. The events say `unverified` and
    /// `requires_query`: confirm by retrieving before any money decision.
    pub fn parse_callback_unverified(&self, body: &[u8]) -> Result<Vec<PayoutEvent>> {
        self.parse_callback(body, Authenticity::Unverified)
    }

    fn parse_callback(&self, body: &[u8], authenticity: Authenticity) -> Result<Vec<PayoutEvent>> {
        let callback: wire::CallbackIn =
            parse_body(body, self.config.max_body_bytes, "callback body")?;
        let event_status = mapping::event_status(&callback.event);
        let event_name = crate::error::sanitize_provider_string(callback.event);
        // PAYOUT.PENDING says the request waits for a top-up: its items are read as under a
        // PENDING request (a single callback carries no request status of its own).
        let held = event_status == PayoutStatus::Pending;
        let batch = batch_read(callback.data, &"data", held)?;
        // An unverified callback can be forged: it never decides by itself (item 3 of the
        // model: confirm by retrieving). A callback whose X-API-Key matched is Pivot's word.
        let confirmation = if authenticity == Authenticity::Unverified {
            Confirmation::Tentative
        } else {
            Confirmation::Confirmed
        };
        let tentative = confirmation == Confirmation::Tentative;
        if batch.items.is_empty() {
            // Bulk: totals only. The items must be read with retrieve.
            return Ok(vec![PayoutEvent {
                provider: Provider::Pivot,
                authenticity,
                confirmation,
                payout_id: Some(batch.payout_id),
                reference_id: None,
                status: event_status,
                raw_status: batch.raw_batch_status.unwrap_or_default(),
                raw_event: Some(event_name),
                amount: None,
                failure: None,
                occurred_at: batch.updated_at,
                requires_query: true,
                totals: batch.totals,
                warnings: batch.warnings,
                real_amount: None,
                fee: None,
            }]);
        }
        let count = batch.items.len();
        let mut events = Vec::with_capacity(count);
        let (mut payout_id, mut event_name, mut warnings) =
            (batch.payout_id, event_name, batch.warnings);
        for (index, item) in batch.items.into_iter().enumerate() {
            // The item's own status is authoritative; the event name is the fallback.
            let status = if item.status == PayoutStatus::Unknown {
                event_status
            } else {
                item.status
            };
            // Every event carries the batch's id, the event name and the callback's warnings:
            // copies for all but the last, which takes them (a single callback copies nothing).
            let last = index + 1 == count;
            events.push(PayoutEvent {
                provider: Provider::Pivot,
                authenticity,
                confirmation,
                payout_id: Some(shared(&mut payout_id, last)),
                reference_id: Some(item.reference_id),
                status,
                raw_status: item.raw_status,
                raw_event: Some(shared(&mut event_name, last)),
                amount: item.amount,
                failure: item.failure,
                occurred_at: item.updated_at.or(batch.updated_at),
                requires_query: tentative || status == PayoutStatus::Unknown,
                totals: None,
                warnings: shared(&mut warnings, last),
                real_amount: None,
                fee: None,
            });
        }
        Ok(events)
    }

    /// The HTTP answer for a callback: 200 when it was verified and parsed; 401 (Pivot does not
    /// retry other 4xx) when it was not authentic; 503 (Pivot retries) when it was authentic
    /// but could not be read, or when no callback key is configured
    /// (`verification_not_configured`: our own misconfiguration is not a forgery, G18), so
    /// nothing is lost.
    pub fn callback_acknowledgement(
        &self,
        result: std::result::Result<(), &Error>,
    ) -> Acknowledgement {
        status_json_acknowledgement(result, true)
    }

    /// `verify_callback` and `callback_acknowledgement` in one call: never fails for a bad
    /// callback, so the host always has the answer to send back.
    pub fn handle_callback(
        &self,
        headers: &[Header],
        body: &[u8],
    ) -> crate::providers::common::Handled<Vec<PayoutEvent>> {
        crate::providers::common::Handled::run(
            || self.verify_callback(headers, body),
            |result| self.callback_acknowledgement(result),
        )
    }

    // ---- shared response handling ---------------------------------------------------------

    fn success_data<T: FromJson>(&self, outcome: &HttpOutcome, what: &str) -> Result<T> {
        let (response, tree) = self.success_tree(outcome, what)?;
        let data: DataField<T> =
            read_body(&tree, what).map_err(|e| e.with_http_status(response.status))?;
        data.0.ok_or_else(|| {
            Error::field(
                ErrorCode::MalformedResponse,
                "data",
                format!("{what} says success but has no data"),
            )
            .with_http_status(response.status)
        })
    }

    /// The parsed body of a 2xx answer whose envelope says `00`; any other answer becomes an
    /// error. (The provider's code decides before the shape of its `data` does.)
    fn success_tree<'o>(
        &self,
        outcome: &'o HttpOutcome,
        what: &str,
    ) -> Result<(&'o HttpResponse, Json<'o>)> {
        let response = response_or_transport(outcome, what)?;
        if !(200..300).contains(&response.status) {
            return Err(self.error_from_response(response));
        }
        let tree = parse_tree(&response.body, self.config.max_body_bytes, what)
            .map_err(|e| e.with_http_status(response.status))?;
        let envelope: wire::Envelope =
            read_body(&tree, what).map_err(|e| e.with_http_status(response.status))?;
        match envelope.code.as_deref() {
            Some("00") => Ok((response, tree)),
            other => {
                let (details, trace) = error_info(envelope.error);
                let mut error = mapping::response_error(
                    response.status,
                    other,
                    envelope.message.as_deref(),
                    details,
                );
                error.provider_trace_id = trace;
                Err(error)
            }
        }
    }

    fn error_from_response(&self, response: &HttpResponse) -> Error {
        match parse_body::<wire::Envelope>(
            &response.body,
            self.config.max_body_bytes,
            "error response",
        ) {
            Ok(envelope) => {
                let (details, trace) = error_info(envelope.error);
                let mut error = mapping::response_error(
                    response.status,
                    envelope.code.as_deref(),
                    envelope.message.as_deref(),
                    details,
                );
                error.provider_trace_id = trace;
                error
            }
            // An HTML page from a proxy, an empty body: classify by status alone.
            Err(_) => {
                let mut error = mapping::response_error(response.status, None, None, Vec::new());
                error.message = format!("{} (the body was not Pivot JSON)", error.message);
                error
            }
        }
    }
}

/// The characters left as is in a query value: unreserved characters of RFC 3986.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The provider's error details and trace id, sanitized.
fn error_info(error: Option<wire::ErrorObject>) -> (Vec<ProviderDetail>, Option<String>) {
    let trace = error
        .as_ref()
        .and_then(|e| e.trace_id.as_deref())
        .map(crate::error::sanitize_provider_text);
    (details(error), trace)
}

fn details(error: Option<wire::ErrorObject>) -> Vec<ProviderDetail> {
    let received = error.and_then(|e| e.details).unwrap_or_default();
    let mut details = Vec::with_capacity(received.len().min(32));
    for d in received.into_iter().take(32) {
        details.push(ProviderDetail {
            field: d.field.map(crate::error::sanitize_provider_string),
            message: crate::error::sanitize_provider_text(&d.message.unwrap_or_default()),
        });
    }
    details
}

fn parse_seconds(value: &JsonDecimal, field: &str) -> Result<i64> {
    // Not money: a plain integer (the exponent form is accepted for amounts only).
    let seconds = crate::money::parse_decimal_minor(&value.0, 0, field).map_err(|e| {
        Error::field(
            ErrorCode::UnexpectedShape,
            field,
            format!("{field} is not a whole number of seconds: {}", e.message),
        )
    })?;
    if seconds <= 0 {
        return Err(Error::field(
            ErrorCode::UnexpectedShape,
            field,
            format!("{field} must be a positive number of seconds"),
        ));
    }
    Ok(seconds)
}

fn amount_in(amount: &wire::AmountIn, field: &dyn Display) -> Result<Money> {
    let currency = Currency::parse(&amount.currency, &Sub(field, "currency"))?;
    let minor = amount
        .value
        .to_minor(currency.exponent(), &Sub(field, "value"))?;
    Ok(Money::new(minor, currency))
}

/// A payout's own amount: a payout of zero or less rupiah cannot exist, so such a body is
/// refused rather than turned into an event.
fn payout_amount(amount: &wire::AmountIn, field: &dyn Display) -> Result<Money> {
    let money = amount_in(amount, field)?;
    if !money.is_positive() {
        return Err(Error::field(
            ErrorCode::AmountOutOfRange,
            Sub(field, "value").to_string(),
            format!(
                "{field}.value is {}; a payout amount must be positive",
                money.to_decimal_string()
            ),
        ));
    }
    Ok(money)
}

/// Totals amounts are integers of whole rupiah.
fn rupiah_total(value: &Option<JsonDecimal>, field: &dyn Display) -> Result<Option<Money>> {
    value
        .as_ref()
        .map(|v| {
            v.to_minor(Currency::Idr.exponent(), field)
                .map(|m| Money::new(m, Currency::Idr))
        })
        .transpose()
}

fn totals(t: wire::TotalsIn, field: &dyn Display) -> Result<PayoutTotals> {
    Ok(PayoutTotals {
        pending_count: t.total_pending_count,
        pending_amount: rupiah_total(&t.total_pending_amount, &Sub(field, "totalPendingAmount"))?,
        success_count: t.total_success_count,
        success_amount: rupiah_total(&t.total_success_amount, &Sub(field, "totalSuccessAmount"))?,
        failed_count: t.total_failed_count,
        failed_amount: rupiah_total(&t.total_failed_amount, &Sub(field, "totalFailedAmount"))?,
        cancelled_count: t.total_cancelled_count,
        cancelled_amount: rupiah_total(
            &t.total_cancelled_amount,
            &Sub(field, "totalCancelledAmount"),
        )?,
    })
}

/// A time does not decide the payout: one that cannot be read is `None` with a warning.
fn optional_time(
    value: Option<Lenient<String>>,
    field: &dyn Display,
    warnings: &mut Vec<Warning>,
) -> Option<i64> {
    let text = crate::read::lenient(value, warnings).filter(|v| !v.is_empty())?;
    parse_timestamp(&text, field)
        .map_err(|e| warnings.push(Warning::new(field.to_string(), e.into_data().message)))
        .ok()
}

fn batch(data: wire::PayoutData, field: &dyn Display) -> Result<PayoutBatch> {
    batch_read(data, field, false)
}

/// The batch; with `held` (a `PAYOUT.PENDING` callback) its items are read as under a
/// `PENDING` request, whatever the payload's request status says.
/// `value` itself for its `last` use, else a copy of it.
fn shared<T: Clone + Default>(value: &mut T, last: bool) -> T {
    if last {
        std::mem::take(value)
    } else {
        value.clone()
    }
}

fn batch_read(data: wire::PayoutData, field: &dyn Display, held: bool) -> Result<PayoutBatch> {
    let mut warnings = Vec::new();
    let warnings = &mut warnings;
    check_received_id(&data.uuid, &Sub(field, "uuid"))?;
    let batch_status = data.status.as_deref().map(mapping::batch_status);
    let item_context = if held {
        Some(BatchStatus::Pending)
    } else {
        batch_status
    };
    let items = data.payouts.map(|p| p.0).unwrap_or_default();
    let mut states = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = Indexed(field, "payouts", i);
        check_received_id(&item.reference_id, &Sub(&at, "referenceId"))?;
        let raw_status = item.status.unwrap_or_default();
        let status = mapping::item_status(&raw_status, item_context);
        let failure = match status {
            PayoutStatus::Failed | PayoutStatus::Cancelled => {
                Some(mapping::failure(item.reason.as_deref()))
            }
            _ => None,
        };
        let amount = item
            .amount
            .as_ref()
            .map(|a| payout_amount(a, &Sub(&at, "amount")))
            .transpose()?;
        let info = crate::read::lenient(item.channel_information, warnings);
        let inquiry_id = crate::read::lenient(item.inquiry_id, warnings);
        let channel_code = crate::read::lenient(item.channel_code, warnings);
        let description = crate::read::lenient(item.description, warnings);
        states.push(PayoutItemState {
            reference_id: item.reference_id,
            status,
            raw_status: crate::error::sanitize_provider_string(raw_status),
            amount,
            failure,
            inquiry_id: inquiry_id.filter(|s| !s.is_empty()),
            channel_code,
            account_number: info.as_ref().and_then(|i| i.account_number.clone()),
            account_name: info.and_then(|i| i.account_name),
            description: description.filter(|s| !s.is_empty()),
            created_at: optional_time(item.created, &Sub(&at, "created"), warnings),
            updated_at: optional_time(item.updated, &Sub(&at, "updated"), warnings),
        });
    }
    let merchant_id = crate::read::lenient(data.merchant_id, warnings);
    // Informational (never cross-checked, G6): totals that cannot be read are dropped whole.
    let totals_field = Sub(field, "payoutResults");
    let totals = crate::read::lenient(data.payout_results, warnings).and_then(|t| {
        totals(t, &totals_field)
            .map_err(|e| {
                let e = e.into_data();
                let at = e.field.unwrap_or_else(|| totals_field.to_string());
                warnings.push(Warning::new(at, e.message));
            })
            .ok()
    });
    let created_at = optional_time(data.created, &Sub(field, "created"), warnings);
    let updated_at = optional_time(data.updated, &Sub(field, "updated"), warnings);
    Ok(PayoutBatch {
        payout_id: data.uuid,
        merchant_id,
        batch_status,
        raw_batch_status: data.status.map(crate::error::sanitize_provider_string),
        items: states,
        totals,
        created_at,
        updated_at,
        warnings: std::mem::take(warnings),
    })
}

/// Ids the host will put in a URL path: letters, digits, '-' and '_' only.
fn check_path_id(id: &str, field: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::field(
            ErrorCode::InvalidField,
            field,
            format!("{field} must be 1-64 letters, digits, '-' or '_' (the uuid Pivot returned)"),
        ));
    }
    Ok(())
}

fn check_received_id(id: &str, field: &dyn Display) -> Result<()> {
    if validate::is_safe_id(id) {
        Ok(())
    } else {
        Err(Error::field(
            ErrorCode::UnexpectedShape,
            field.to_string(),
            format!("{field} is empty, longer than 256 bytes or contains control characters"),
        ))
    }
}

/// The bank's name from a WARNING/INVALID detail, after "Bank record:" (G1). Best effort.
fn bank_record_from_detail(detail: &str) -> Option<String> {
    const MARK: &str = "Bank record:";
    let after = detail.get(crate::validate::find_text(detail, MARK)? + MARK.len()..)?;
    let name = after.trim().trim_end_matches('.').trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_record_name() {
        assert_eq!(
            bank_record_from_detail("The account name entered does not match the bank's records. ... Bank record: Dummy Simulation").as_deref(),
            Some("Dummy Simulation")
        );
        assert_eq!(
            bank_record_from_detail("Bank record:{x}").as_deref(),
            Some("{x}")
        );
        assert_eq!(bank_record_from_detail("Bank record:   "), None);
        assert_eq!(bank_record_from_detail("Account number not found."), None);
    }

    #[test]
    fn a_callback_amount_as_a_long_json_number_is_exact() {
        // Exactly Rp 1 (100 sen) as a JSON number of a million digits, within the 1 MiB body
        // limit: its exponent is past 10^6 and must be read whole, not capped.
        let pivot = Pivot::new(PivotConfig::new(SANDBOX_URL, "m", Secret::new("s"))).unwrap();
        let body = |value: &str| {
            format!(
                r#"{{"event":"PAYOUT.SUCCESS","data":{{"uuid":"p1","merchantId":"m","payouts":{{"referenceId":"r1","amount":{{"currency":"IDR","value":{value}}},"status":"SUCCESS","reason":null}}}}}}"#
            )
        };
        let zeros = "0".repeat(1_000_005);
        for value in [format!("1{zeros}e-1000005"), format!("0.{zeros}1e1000006")] {
            let events = pivot
                .parse_callback_unverified(body(&value).as_bytes())
                .unwrap();
            assert_eq!(events.len(), 1);
            assert_eq!(
                events.first().and_then(|e| e.amount),
                Some(Money::new(100, Currency::Idr))
            );
        }
    }

    #[test]
    fn base_urls() {
        assert!(validate_base_url("https://api.pivot-payment.com/", "u").is_ok());
        assert!(validate_base_url("http://127.0.0.1:8080", "u").is_ok());
        assert!(validate_base_url("http://example.com", "u").is_err());
        assert!(validate_base_url("ftp://x", "u").is_err());
        assert!(validate_base_url("https://", "u").is_err());
    }
}

//! Paper.id payout callbacks (spec §3, seed 003): parse, normalize, acknowledge, and the
//! authenticity options the provider leaves open.
//!
//! # Authenticity (G14)
//!
//! Paper.id documents no callback signature, token or address list, and kirim does not invent
//! one. The caller chooses explicitly:
//! - a **shared token** in a header the caller configures (`callback_token_header` +
//!   `callback_tokens`, several during a rotation), compared in constant time: for a token the
//!   merchant arranged with Paper.id, or added by its own proxy. The header's name must be one
//!   the redaction hides (it contains `token`, `key`, `secret`, `auth`...: see
//!   `http::SENSITIVE_HEADER_WORDS`), so the token never shows in a log or a repr;
//! - and/or a **source-address allow-list** (`allowed_source_addresses`: addresses or CIDR
//!   blocks), checked against the peer address the host passes in (the TCP peer, or what a
//!   trusted proxy of the host reports; never a header the sender controls);
//! - or an explicit **unverified** parse, whose event says `authenticity: unverified` and
//!   `requires_query: true`: confirm through a trusted channel before any money decision.
//!
//! When both checks are configured, both must pass. With neither, `verify_callback` refuses
//! with `verification_not_configured`.
//!
//! # Times
//!
//! The time is `completed_time` (the example), else `timestamp` (the table) (G13). Each may be
//! an ISO 8601 / RFC 3339 string (`2022-01-11T01:39:18.773Z`, fraction ignored, `Z` or an
//! offset) or Unix **seconds** (a JSON integer or a digit string). The time does not decide the
//! payout, so anything else (a fractional number, Unix milliseconds, which the spec never
//! mentions and kirim does not guess, a date in another format) leaves it absent with a
//! warning (`warnings`), and an unreadable `completed_time` falls back to `timestamp`. The
//! descriptive fields (`company_name`, `bank_code`, ...) are the same: a wrong type is a
//! warning. The status, ids, amount and currency stay strict.
//!
//! # Ids
//!
//! `payout_id` is Paper.id's `disbursement_id` (else its `payment_id`): both are Paper.id's own
//! ids. The payout callback carries no merchant reference, so `reference_id` is absent.
//!
//! Create-disbursement is not public (G15): Paper.id is callback-only here.

#[cfg(feature = "ts")]
pub mod js;
mod mapping;
#[cfg(feature = "uniffi")]
pub mod mobile;
pub mod operations;
#[cfg(feature = "python")]
pub mod python;
#[cfg(feature = "testkit")]
pub mod testkit;
mod wire;

use crate::error::{Error, ErrorCode, Result, Violations};
use crate::event::{Authenticity, PayoutEvent, Provider, Warning};
use crate::http::{Acknowledgement, Header, find_header};
use crate::json::{DEFAULT_MAX_BODY_BYTES, parse_body, parse_timestamp};
use crate::money::{Currency, JsonDecimal, Money};
use crate::providers::common::{status_json_acknowledgement, unsendable_as_header};
use crate::read::FromJson;
use crate::read::Lenient;
use crate::secret::{Secret, matches_any};
use crate::status::{Confirmation, PayoutStatus};
use crate::validate;
use serde::Deserialize;
use std::net::IpAddr;

fn default_max_body() -> usize {
    DEFAULT_MAX_BODY_BYTES
}

/// How Paper.id callbacks are authenticated, chosen by the caller (see the module docs).
// Kotlin/Swift: a record whose defaults are those of `PaperIdConfig::default()` (uniffi defaults
// take only literals: 1048576 is `DEFAULT_MAX_BODY_BYTES`; the Kotlin suite proves
// `PaperIdConfig()` equals `paperIdConfigDefaults()`, the core's own).
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, Deserialize, FromJson)]
#[serde(deny_unknown_fields)]
pub struct PaperIdConfig {
    /// The header that carries the shared token, e.g. `X-Callback-Token`. Required when
    /// `callback_tokens` is given. Its name must contain a word the redaction hides
    /// (`http::SENSITIVE_HEADER_WORDS`: token, key, secret, auth...), so the token never shows.
    #[export(optional)]
    pub callback_token_header: Option<String>,
    /// Accepted tokens; several during a rotation.
    #[export(optional)]
    pub callback_tokens: Vec<Secret>,
    /// Addresses (`203.0.113.7`, `2001:db8::1`) or CIDR blocks (`203.0.113.0/24`).
    #[export(optional)]
    pub allowed_source_addresses: Vec<String>,
    #[serde(default = "default_max_body")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "uniffi", uniffi(default = 1048576))]
    pub max_body_bytes: usize,
}

impl Default for PaperIdConfig {
    fn default() -> Self {
        PaperIdConfig {
            callback_token_header: None,
            callback_tokens: Vec::new(),
            allowed_source_addresses: Vec::new(),
            max_body_bytes: default_max_body(),
        }
    }
}

/// An address block of the allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    network: IpAddr,
    prefix: u8,
}

impl Block {
    fn parse(text: &str) -> Option<Block> {
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network = address.parse::<IpAddr>().ok()?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                u8::try_from(crate::read::decimal_integer(p)?).ok()?
            }
            Some(_) => return None,
        };
        // A /0 block would allow every address: refused as a configuration error.
        (1..=max)
            .contains(&prefix)
            .then_some(Block { network, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Paper.id's callback shell.
#[derive(Debug, Clone)]
pub struct PaperId {
    config: PaperIdConfig,
    allowed: Vec<Block>,
}

impl PaperId {
    /// Checks the configuration; every problem is reported.
    pub fn new(config: PaperIdConfig) -> Result<Self> {
        let mut violations = Violations::new();
        match (&config.callback_token_header, config.callback_tokens.is_empty()) {
            (Some(name), _) if !is_header_name(name) => violations.push(
                "callback_token_header",
                ErrorCode::InvalidConfig,
                "callback_token_header must be an HTTP header name (letters, digits, '-', '_')",
            ),
            // The header's value is the token: a name the redaction would show is refused, so
            // the token can never print (Debug, logs, every binding's repr and toString).
            (Some(name), _) if !crate::http::is_sensitive_header(name) => violations.push(
                "callback_token_header",
                ErrorCode::InvalidConfig,
                format!(
                    "callback_token_header {} would show its token wherever headers are shown: \
                     kirim redacts a header only when its name contains one of {} (any case); \
                     name it so, e.g. X-Callback-Token, and send the token in that header",
                    crate::error::quoted(name),
                    crate::http::SENSITIVE_HEADER_WORDS.join(", ")
                ),
            ),
            (Some(_), true) => violations.push(
                "callback_tokens",
                ErrorCode::InvalidConfig,
                "callback_token_header is set but callback_tokens is empty",
            ),
            (None, false) => violations.push(
                "callback_token_header",
                ErrorCode::InvalidConfig,
                "callback_tokens are given but callback_token_header does not say which header carries them",
            ),
            _ => {}
        }
        if config.callback_tokens.iter().any(Secret::is_empty) {
            violations.push(
                "callback_tokens",
                ErrorCode::InvalidConfig,
                "callback_tokens must not contain an empty token",
            );
        } else if config.callback_tokens.iter().any(unsendable_as_header) {
            // Compared with a header's value, which cannot hold a control character and arrives
            // without surrounding spaces: such a token would refuse every genuine callback.
            violations.push(
                "callback_tokens",
                ErrorCode::InvalidConfig,
                "callback_tokens contains a token with a control character, a character outside ASCII or surrounding spaces (a trailing newline of the file or variable it was read from?), which no header carries: remove them",
            );
        }
        let mut allowed = Vec::with_capacity(config.allowed_source_addresses.len());
        for (i, text) in config.allowed_source_addresses.iter().enumerate() {
            match Block::parse(text) {
                Some(block) => allowed.push(block),
                None => violations.push(
                    format!("allowed_source_addresses[{i}]"),
                    ErrorCode::InvalidConfig,
                    format!(
                        "{} is not an IP address or a CIDR block with a prefix of 1 or more",
                        crate::error::quoted(text)
                    ),
                ),
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
        Ok(PaperId { config, allowed })
    }

    pub fn config(&self) -> &PaperIdConfig {
        &self.config
    }

    /// Checks the configured authenticity options (token header and/or source address), then
    /// parses the callback. `source_address` is the peer address the host saw (an IPv4 or IPv6
    /// address, without port).
    pub fn verify_callback(
        &self,
        headers: &[Header],
        source_address: Option<&str>,
        body: &[u8],
    ) -> Result<PayoutEvent> {
        let token_configured = !self.config.callback_tokens.is_empty();
        let source_configured = !self.allowed.is_empty();
        if !token_configured && !source_configured {
            return Err(Error::new(
                ErrorCode::VerificationNotConfigured,
                "Paper.id documents no callback authentication: configure a shared token header and/or a source-address allow-list, or call the explicitly unverified parse and confirm through a trusted channel",
            ));
        }
        if let Some(header) = self.config.callback_token_header.as_deref() {
            match find_header(headers, header) {
                None => {
                    return Err(Error::field(
                        ErrorCode::CallbackKeyMissing,
                        header,
                        format!("the callback has no {header} header"),
                    ));
                }
                Some(token) if !matches_any(&self.config.callback_tokens, token.as_bytes()) => {
                    return Err(Error::field(
                        ErrorCode::CallbackKeyMismatch,
                        header,
                        format!("{header} matches no configured callback token"),
                    ));
                }
                Some(_) => {}
            }
        }
        if source_configured {
            let address = source_address
                .and_then(|a| a.trim().parse::<IpAddr>().ok())
                .map(|a| a.to_canonical());
            match address {
                None => {
                    return Err(Error::field(
                        ErrorCode::SourceNotAllowed,
                        "source_address",
                        "the host passed no readable source address (an IPv4 or IPv6 address without port), so the allow-list cannot be checked",
                    ));
                }
                Some(a) if !self.allowed.iter().any(|block| block.contains(a)) => {
                    // The host's own text, not the parsed address: formatting an IPv6 address
                    // would add its printer to the .wasm for an error message.
                    let text = source_address.unwrap_or_default().trim();
                    return Err(Error::field(
                        ErrorCode::SourceNotAllowed,
                        "source_address",
                        format!(
                            "{} is not in allowed_source_addresses",
                            crate::error::sanitize_provider_text(text)
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let authenticity = match (token_configured, source_configured) {
            (true, true) => Authenticity::SharedTokenAndSourceAddress,
            (true, false) => Authenticity::SharedToken,
            _ => Authenticity::SourceAddress,
        };
        self.parse_callback(body, authenticity)
    }

    /// Parses a callback WITHOUT any authenticity check. The event says `unverified` and
    /// `requires_query`: confirm it through a trusted channel before any money decision.
    pub fn parse_callback_unverified(&self, body: &[u8]) -> Result<PayoutEvent> {
        self.parse_callback(body, Authenticity::Unverified)
    }

    fn parse_callback(&self, body: &[u8], authenticity: Authenticity) -> Result<PayoutEvent> {
        let callback: wire::PayoutCallbackIn =
            parse_body(body, self.config.max_body_bytes, "callback body")?;
        let raw_status = callback.status.ok_or_else(|| {
            Error::field(
                ErrorCode::UnexpectedShape,
                "status",
                "the callback has no status",
            )
        })?;
        for (name, id) in [
            ("payment_id", &callback.payment_id),
            ("disbursement_id", &callback.disbursement_id),
        ] {
            if id.as_deref().is_some_and(|i| !validate::is_safe_id(i)) {
                return Err(Error::field(
                    ErrorCode::UnexpectedShape,
                    name,
                    format!(
                        "{name} is empty, longer than 256 bytes or contains control characters"
                    ),
                ));
            }
        }
        if callback.payment_id.is_none() && callback.disbursement_id.is_none() {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                "payment_id",
                "the callback has neither payment_id nor disbursement_id",
            ));
        }
        let currency = match callback.currency.as_deref() {
            None | Some("") => Currency::Idr,
            Some(code) => Currency::parse(code, "currency")?,
        };
        let amount = callback
            .amount
            .as_ref()
            .map(|a| amount(a, currency))
            .transpose()?;
        let mut warnings = Vec::new();
        for field in callback.descriptive {
            field.into_option(&mut warnings);
        }
        let mut time = |value: Option<Lenient<JsonDecimal>>, field: &str| {
            let value = crate::read::lenient(value, &mut warnings)?;
            if value.0.is_empty() {
                return None;
            }
            time_field(&value, field)
                .map_err(|e| warnings.push(Warning::new(field, e.into_data().message)))
                .ok()
        };
        let completed = time(callback.completed_time, "completed_time");
        let stamped = time(callback.timestamp, "timestamp");
        let occurred_at = completed.or(stamped);
        let status = mapping::status(&raw_status);
        let failure = (status == PayoutStatus::Failed)
            .then(|| mapping::failure(callback.status_failure_code.as_deref()));
        // G14: Paper.id documents no authentication; an unverified callback only asks for a
        // confirmation through a trusted channel. A configured token or allow-list that
        // passed is the merchant's own trust decision.
        let confirmation = if authenticity == Authenticity::Unverified {
            Confirmation::Tentative
        } else {
            Confirmation::Confirmed
        };
        Ok(PayoutEvent {
            provider: Provider::PaperId,
            authenticity,
            confirmation,
            payout_id: callback.disbursement_id.or(callback.payment_id),
            reference_id: None,
            status,
            raw_status: crate::error::sanitize_provider_string(raw_status),
            raw_event: None,
            amount,
            failure,
            occurred_at,
            requires_query: confirmation == Confirmation::Tentative
                || status == PayoutStatus::Unknown,
            totals: None,
            warnings,
            real_amount: None,
            fee: None,
        })
    }

    /// `verify_callback` and `callback_acknowledgement` in one call: never fails for a bad
    /// callback, so the host always has the answer to send back.
    pub fn handle_callback(
        &self,
        headers: &[Header],
        source_address: Option<&str>,
        body: &[u8],
    ) -> crate::providers::common::Handled<PayoutEvent> {
        crate::providers::common::Handled::run(
            || self.verify_callback(headers, source_address, body),
            |result| self.callback_acknowledgement(result),
        )
    }

    /// The HTTP answer: 200 when the callback was verified and parsed (what Paper.id asks
    /// for); 401 when it was not authentic (a forgery); 503 when it was authentic but
    /// unreadable, or when no check is configured (`verification_not_configured`: our own
    /// misconfiguration, answered as "not processed, retry", never as a forgery). Paper.id
    /// publishes no retry policy, so `provider_will_retry` is false: after a 503, query.
    pub fn callback_acknowledgement(
        &self,
        result: std::result::Result<(), &Error>,
    ) -> Acknowledgement {
        status_json_acknowledgement(result, false)
    }
}

/// An HTTP header name: RFC 9110 token characters, at most 64.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The amount as an integer or a decimal, exactly (no float), positive.
fn amount(value: &JsonDecimal, currency: Currency) -> Result<Money> {
    let money = Money::new(value.to_minor(currency.exponent(), "amount")?, currency);
    if !money.is_positive() {
        return Err(Error::field(
            ErrorCode::AmountOutOfRange,
            "amount",
            "the callback's amount must be positive",
        ));
    }
    Ok(money)
}

/// ISO 8601 text, or Unix seconds as a JSON integer or digit string.
fn time_field(value: &JsonDecimal, field: &str) -> Result<i64> {
    let text = value.0.as_str();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if text.len() <= 12 {
            if let Some(seconds) =
                crate::read::decimal_integer(text).and_then(|n| i64::try_from(n).ok())
            {
                return Ok(seconds);
            }
        }
        return Err(Error::field(
            ErrorCode::InvalidTimestamp,
            field,
            format!("{field} is too large to be Unix seconds"),
        ));
    }
    parse_timestamp(text, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"{
	"company_id": "12840182ajsafksh12easgf",
	"company_name": "PT Pakar Digital Global",
	"payment_id": "1283u1asaksf",
	"disbursement_id": "DISB-1298319",
	"partner_id": "kjhkaskda128euaioshd",
	"partner_name": "PT Pakar Finansial Global",
	"amount": 100000,
	"status": "DISBURSED",
	"completed_time": "2022-01-11T01:39:18.773Z",
	"currency": "IDR",
	"account_type": "bank_account",
	"bank_code": "BCA",
	"account_number": "09991231877",
	"account_holder_name": "Michael Chen"
}"#;

    fn token_config() -> PaperIdConfig {
        PaperIdConfig {
            callback_token_header: Some("X-Callback-Token".into()),
            callback_tokens: vec![Secret::new("new"), Secret::new("old")],
            ..PaperIdConfig::default()
        }
    }

    #[test]
    fn seed_example() {
        let paper = PaperId::new(PaperIdConfig::default()).unwrap();
        let event = paper.parse_callback_unverified(SEED.as_bytes()).unwrap();
        assert_eq!(event.status, PayoutStatus::Succeeded);
        assert_eq!(event.amount, Some(Money::new(10_000_000, Currency::Idr)));
        assert_eq!(event.occurred_at, Some(1_641_865_158));
        assert_eq!(event.authenticity, Authenticity::Unverified);
        assert!(event.requires_query);
    }

    #[test]
    fn verification_is_never_implicit() {
        let paper = PaperId::new(PaperIdConfig::default()).unwrap();
        assert_eq!(
            paper
                .verify_callback(&[], None, SEED.as_bytes())
                .unwrap_err()
                .code,
            ErrorCode::VerificationNotConfigured
        );
    }

    #[test]
    fn token_and_addresses() {
        let paper = PaperId::new(token_config()).unwrap();
        let header = |v: &str| vec![Header::new("x-callback-token", v)];
        let ok = paper
            .verify_callback(&header("old"), None, SEED.as_bytes())
            .unwrap();
        assert_eq!(ok.authenticity, Authenticity::SharedToken);
        assert!(!ok.requires_query);
        assert_eq!(
            paper
                .verify_callback(&header("nope"), None, SEED.as_bytes())
                .unwrap_err()
                .code,
            ErrorCode::CallbackKeyMismatch
        );
        let both = PaperId::new(PaperIdConfig {
            allowed_source_addresses: vec!["203.0.113.0/24".into(), "2001:db8::1".into()],
            ..token_config()
        })
        .unwrap();
        let event = both
            .verify_callback(&header("new"), Some("203.0.113.9"), SEED.as_bytes())
            .unwrap();
        assert_eq!(
            event.authenticity,
            Authenticity::SharedTokenAndSourceAddress
        );
        assert!(
            both.verify_callback(&header("new"), Some("::ffff:203.0.113.9"), SEED.as_bytes())
                .is_ok()
        );
        assert!(
            both.verify_callback(&header("new"), Some("2001:db8::1"), SEED.as_bytes())
                .is_ok()
        );
        for bad in [
            Some("203.0.114.1"),
            Some("2001:db8::2"),
            Some("garbage"),
            None,
        ] {
            assert_eq!(
                both.verify_callback(&header("new"), bad, SEED.as_bytes())
                    .unwrap_err()
                    .code,
                ErrorCode::SourceNotAllowed,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn blocks() {
        assert!(Block::parse("0.0.0.0/0").is_none());
        assert!(Block::parse("10.0.0.0/33").is_none());
        assert!(Block::parse("10.0.0.0/").is_none());
        assert!(Block::parse("10.0.0.0/+8").is_none());
        let b = Block::parse("10.1.0.0/16").unwrap();
        assert!(b.contains("10.1.255.255".parse().unwrap()));
        assert!(!b.contains("10.2.0.0".parse().unwrap()));
        assert!(
            Block::parse("::/1")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
    }

    #[test]
    fn debug_never_prints_tokens() {
        let paper = PaperId::new(token_config()).unwrap();
        let shown = format!("{paper:?} {:?}", paper.config());
        assert!(
            !shown.contains("new\"") && !shown.contains("old\""),
            "{shown}"
        );
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn a_token_header_the_redaction_would_show_is_refused() {
        let config = |name: &str| PaperIdConfig {
            callback_token_header: Some(name.into()),
            callback_tokens: vec![Secret::new("t")],
            ..PaperIdConfig::default()
        };
        for name in ["X-Paper-Hdr", "X-Paper", "X-Callback-Id"] {
            let err = PaperId::new(config(name)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidConfig, "{name}");
            assert_eq!(
                err.violations
                    .iter()
                    .map(|v| v.field.as_str())
                    .collect::<Vec<_>>(),
                ["callback_token_header"],
                "{name}"
            );
            assert!(err.message.contains("redact"), "{}", err.message);
        }
        // Any name the rule hides is accepted, and its value never shows.
        for name in [
            "X-Paper-Token",
            "X-Callback-Token",
            "Authorization",
            "X-Paper-Key",
        ] {
            let paper = PaperId::new(config(name)).unwrap();
            let header = Header::new(name, "sentinel");
            assert!(!format!("{header:?}").contains("sentinel"), "{name}");
            assert!(
                paper
                    .verify_callback(&[header], None, SEED.as_bytes())
                    .is_err()
            );
        }
    }

    #[test]
    fn config_is_checked() {
        let err = PaperId::new(PaperIdConfig {
            callback_token_header: None,
            callback_tokens: vec![Secret::new("")],
            allowed_source_addresses: vec!["not-an-ip".into()],
            max_body_bytes: 0,
        })
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert_eq!(err.violations.len(), 4);
    }
}

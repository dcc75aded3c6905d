//! Paper.id payout callbacks: the core's `PaperId` shell with one method per core method, and a
//! thin mirror of its configuration (which holds secrets).

use crate::handling::EventHandling;
use kirim::Error as KirimError;
use kirim::Secret;
use kirim::event::PayoutEvent;
use kirim::http::{Acknowledgement, Header};
use kirim::providers::common::{DEFAULT_TEST_CALLBACK_URL, TestCallbackEvent};
use kirim::providers::paperid as core;
use std::sync::Arc;

/// How Paper.id callbacks are authenticated, chosen by the caller: a shared token header and/or
/// a source-address allow-list; with neither, `verify_callback` refuses. Each default is the
/// core's (`paperIdConfigDefaults`; the Kotlin suite proves the two render the same).
#[derive(Debug, Clone, uniffi::Record)]
pub struct PaperIdConfig {
    /// The header that carries the shared token, e.g. `X-Callback-Token`.
    #[uniffi(default = None)]
    pub callback_token_header: Option<String>,
    /// Accepted tokens; several during a rotation.
    #[uniffi(default = [])]
    pub callback_tokens: Vec<Secret>,
    /// Addresses (`203.0.113.7`, `2001:db8::1`) or CIDR blocks (`203.0.113.0/24`).
    #[uniffi(default = [])]
    pub allowed_source_addresses: Vec<String>,
    /// Largest body kirim parses (1 MiB).
    #[uniffi(default = 1048576)]
    pub max_body_bytes: u64,
}

// Field by field, both ways, with no `..`: a field added to the core's config fails this build
// until Kotlin and Swift carry it.
impl PaperIdConfig {
    fn to_core(&self) -> core::PaperIdConfig {
        core::PaperIdConfig {
            callback_token_header: self.callback_token_header.clone(),
            callback_tokens: self.callback_tokens.clone(),
            allowed_source_addresses: self.allowed_source_addresses.clone(),
            max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
        }
    }

    fn from_core(config: &core::PaperIdConfig) -> Self {
        let core::PaperIdConfig {
            callback_token_header,
            callback_tokens,
            allowed_source_addresses,
            max_body_bytes,
        } = config.clone();
        PaperIdConfig {
            callback_token_header,
            callback_tokens,
            allowed_source_addresses,
            max_body_bytes: u64::try_from(max_body_bytes).unwrap_or(u64::MAX),
        }
    }
}

/// The core's own defaults (`PaperIdConfig::default()` in the core): what a `PaperIdConfig()`
/// built in Kotlin or Swift must equal.
#[uniffi::export]
pub fn paper_id_config_defaults() -> PaperIdConfig {
    PaperIdConfig::from_core(&core::PaperIdConfig::default())
}

/// Paper.id's callback shell.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PaperId(pub(crate) core::PaperId);

#[uniffi::export]
impl PaperId {
    /// Checks the configuration; every problem is reported.
    #[uniffi::constructor]
    pub fn new(config: PaperIdConfig) -> Result<Self, KirimError> {
        Ok(PaperId(core::PaperId::new(config.to_core())?))
    }

    /// The configuration, with defaults filled in.
    pub fn config(&self) -> PaperIdConfig {
        PaperIdConfig::from_core(self.0.config())
    }

    /// Checks the configured authenticity options (token header and/or the peer address the
    /// host saw, without port), then parses the callback from the raw body bytes.
    #[uniffi::method(default(source_address = None))]
    pub fn verify_callback(
        &self,
        headers: Vec<Header>,
        body: Vec<u8>,
        source_address: Option<String>,
    ) -> Result<PayoutEvent, KirimError> {
        self.0
            .verify_callback(&headers, source_address.as_deref(), &body)
    }

    /// Parses a callback WITHOUT checking its authenticity: the event is marked unverified and
    /// must be confirmed through a trusted channel.
    pub fn parse_callback_unverified(&self, body: Vec<u8>) -> Result<PayoutEvent, KirimError> {
        self.0.parse_callback_unverified(&body)
    }

    /// The response to send back: pass the error `verify_callback` threw, or nothing when it
    /// succeeded.
    #[uniffi::method(default(error = None))]
    pub fn callback_acknowledgement(&self, error: Option<Arc<KirimError>>) -> Acknowledgement {
        self.0
            .callback_acknowledgement(error.as_deref().map_or(Ok(()), Err))
    }

    /// Verifies and parses a callback and builds the response to send back, in one step.
    #[uniffi::method(default(source_address = None))]
    pub fn handle_callback(
        &self,
        headers: Vec<Header>,
        body: Vec<u8>,
        source_address: Option<String>,
    ) -> EventHandling {
        self.0
            .handle_callback(&headers, source_address.as_deref(), &body)
            .into()
    }

    /// The callback Paper.id would send for `event`, with `token` in the configured token
    /// header: feed it to your handler in a test. `url` defaults to `http://localhost/callback`.
    #[uniffi::method(default(url = None))]
    pub fn test_callback(
        &self,
        token: Secret,
        event: TestCallbackEvent,
        url: Option<String>,
    ) -> Result<kirim::http::HttpRequest, KirimError> {
        let url = url.as_deref().unwrap_or(DEFAULT_TEST_CALLBACK_URL);
        self.0.test_callback(&token, &event, url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_crosses_both_ways_with_every_field() {
        let core = core::PaperIdConfig {
            callback_token_header: Some("X-Callback-Token".into()),
            callback_tokens: vec![Secret::new("t")],
            allowed_source_addresses: vec!["10.0.0.0/8".into()],
            max_body_bytes: 123,
        };
        let back = PaperIdConfig::from_core(&core).to_core();
        assert_eq!(format!("{back:?}"), format!("{core:?}"));
        let tokens: Vec<&str> = back
            .callback_tokens
            .iter()
            .map(Secret::expose_secret)
            .collect();
        assert_eq!(tokens, ["t"]);
    }
}

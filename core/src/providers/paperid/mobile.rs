//! Kotlin/Swift (feature `uniffi`): the object `PaperId`, one method per method of the core's
//! [`PaperId`](super::PaperId). Its configuration crosses as the core's own record.

use super::{self as core, PaperIdConfig};
use crate::Error as KirimError;
use crate::Secret;
use crate::event::PayoutEvent;
use crate::http::{Acknowledgement, Header, HttpRequest};
use crate::mobile::EventHandling;
use crate::providers::common::{DEFAULT_TEST_CALLBACK_URL, TestCallbackEvent};
use std::sync::Arc;

/// The core's own defaults (`PaperIdConfig::default()` in the core): what a `PaperIdConfig()`
/// built in Kotlin or Swift must equal.
#[uniffi::export]
pub fn paper_id_config_defaults() -> PaperIdConfig {
    PaperIdConfig::default()
}

/// Paper.id's callback shell.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PaperId(pub core::PaperId);

#[uniffi::export]
impl PaperId {
    /// Checks the configuration; every problem is reported.
    #[uniffi::constructor]
    pub fn new(config: PaperIdConfig) -> Result<Self, KirimError> {
        Ok(PaperId(core::PaperId::new(config)?))
    }

    /// The configuration, with defaults filled in.
    pub fn config(&self) -> PaperIdConfig {
        self.0.config().clone()
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
    ) -> Result<HttpRequest, KirimError> {
        let url = url.as_deref().unwrap_or(DEFAULT_TEST_CALLBACK_URL);
        self.0.test_callback(&token, &event, url)
    }
}

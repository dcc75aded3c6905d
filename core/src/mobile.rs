//! Kotlin/Swift (feature `uniffi`): what every provider's uniffi object (`<provider>/mobile.rs`)
//! shares: the handled-callback records, the idempotency rules object, and how a `usize` crosses.

use crate::Error as KirimError;
use crate::error::ErrorData;
use crate::event::PayoutEvent;
use crate::http::Acknowledgement;
use crate::idempotency::KeyReuse;
use crate::providers::common::Handled;
use std::sync::Arc;

// A size (`max_body_bytes`) crosses as an unsigned 64-bit integer (uniffi has no `usize`), so the
// core's configurations cross as themselves. Beyond the address space (32-bit targets) a limit
// cannot bind anyway, so a larger one saturates rather than fails.
uniffi::custom_type!(usize, u64, {
    remote,
    lower: |size| u64::try_from(size).unwrap_or(u64::MAX),
    try_lift: |size| Ok(usize::try_from(size).unwrap_or(usize::MAX)),
});

// ---- callbacks handled in one step (verify, then acknowledge) ------------------------------

/// A Pivot callback handled in one step: its events when genuine, else the error; and in both
/// cases the exact response to send back.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CallbackHandling {
    /// The verified events; absent when `error` is set.
    pub events: Option<Vec<PayoutEvent>>,
    /// Why the callback was refused, if it was.
    pub error: Option<ErrorData>,
    /// The response to send back.
    pub acknowledgement: Acknowledgement,
}

/// A gateway notification or a Paper.id callback handled in one step: its event when genuine,
/// else the error; and in both cases the exact response to send back.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EventHandling {
    /// The verified event; absent when `error` is set.
    pub event: Option<PayoutEvent>,
    /// Why it was refused, if it was.
    pub error: Option<ErrorData>,
    /// The response to send back.
    pub acknowledgement: Acknowledgement,
}

impl From<Handled<Vec<PayoutEvent>>> for CallbackHandling {
    fn from(handled: Handled<Vec<PayoutEvent>>) -> Self {
        let error = handled.result.as_ref().err().map(|e| (**e).clone());
        CallbackHandling {
            events: handled.result.ok(),
            error,
            acknowledgement: handled.acknowledgement,
        }
    }
}

impl From<Handled<PayoutEvent>> for EventHandling {
    fn from(handled: Handled<PayoutEvent>) -> Self {
        let error = handled.result.as_ref().err().map(|e| (**e).clone());
        EventHandling {
            event: handled.result.ok(),
            error,
            acknowledgement: handled.acknowledgement,
        }
    }
}

// ---- idempotency ------------------------------------------------------------------------

/// A provider's rules for its idempotency key: validate, derive, and whether a key may be
/// reused at a given time.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct IdempotencyRules(
    pub(crate) &'static crate::idempotency::IdempotencyRules,
    pub(crate) &'static str,
);

#[uniffi::export]
impl IdempotencyRules {
    /// Pivot `X-REQUEST-ID`: alphanumeric, 16 to 36 characters, remembered for 24 hours.
    #[uniffi::constructor]
    pub fn pivot() -> Arc<Self> {
        Arc::new(IdempotencyRules(&crate::idempotency::PIVOT_RULES, "pivot"))
    }

    /// The header that carries the key, e.g. `X-REQUEST-ID`.
    pub fn header(&self) -> String {
        self.0.header.to_owned()
    }

    /// Minimum length in characters.
    pub fn min_len(&self) -> u64 {
        u64::try_from(self.0.min_len).unwrap_or(u64::MAX)
    }

    /// Maximum length in characters.
    pub fn max_len(&self) -> u64 {
        u64::try_from(self.0.max_len).unwrap_or(u64::MAX)
    }

    /// Whether only ASCII letters and digits are allowed.
    pub fn alphanumeric_only(&self) -> bool {
        self.0.alphanumeric_only
    }

    /// How long the provider remembers a key, in seconds.
    pub fn validity_seconds(&self) -> i64 {
        self.0.validity_seconds
    }

    /// Checks a key against the rules; the error names what is wrong.
    pub fn validate(&self, key: String) -> Result<(), KirimError> {
        crate::idempotency::validate_key(self.0, &key, "key")
    }

    /// The key for the `revision`-th version of the payout with this merchant reference: the
    /// same inputs always give the same key, so a retry can never get a fresh one. The same key
    /// as every other language's and the lifecycle's (the provider's name is the namespace).
    pub fn derive(&self, merchant_reference: String, revision: u32) -> Result<String, KirimError> {
        crate::idempotency::derive_key(self.1, &merchant_reference, revision)
    }

    /// Whether a key first used at `first_used_at` may be reused at `now` (Unix seconds): until
    /// the provider's window less `margin_seconds` (default 600; at least 0, less than the
    /// window, else the error names it).
    #[uniffi::method(default(margin_seconds = 600))]
    pub fn key_reuse(
        &self,
        first_used_at: i64,
        now: i64,
        margin_seconds: i64,
    ) -> Result<KeyReuse, KirimError> {
        crate::idempotency::validate_margin(self.0, margin_seconds, "margin_seconds")?;
        Ok(crate::idempotency::key_reuse(
            self.0,
            first_used_at,
            now,
            margin_seconds,
        ))
    }
}

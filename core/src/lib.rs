//! kirim: a sans-IO core for paying out to Indonesian bank accounts.
//!
//! kirim builds the exact signed HTTP request as data, validates idempotency keys and payout
//! fields, parses responses and callbacks from raw bytes, and normalizes every provider's
//! statuses into one model that also says what to do next. It performs no I/O and reads no
//! clock: the host sends requests with its own HTTP client and passes `now` in.
//!
//! ```
//! use kirim::providers::pivot::{PayoutDestination, PayoutItemInput, Pivot, PivotConfig, SANDBOX_URL};
//! use kirim::{HttpOutcome, HttpResponse, Money, NextAction, PayoutStatus, Secret, TransportFailure};
//!
//! # fn main() -> Result<(), kirim::Error> {
//! let now = 1_715_588_505; // the host's clock, Unix seconds
//! let pivot = Pivot::new(PivotConfig::new(SANDBOX_URL, "merchant-id", Secret::new("secret")))?;
//!
//! // 1. The token request is data; the host sends it and hands back what came back.
//! let request = pivot.access_token_request();
//! assert_eq!(request.url, "https://api-stg.pivot-payment.com/v1/access-token");
//! let answer = HttpResponse {
//!     status: 200,
//!     headers: vec![],
//!     body: br#"{"code":"00","data":{"accessToken":"eyJ.x.y","expiresIn":"900","tokenType":"Bearer"}}"#.to_vec(),
//! };
//! let token = pivot.parse_access_token(&answer.into(), now)?;
//! assert!(!pivot.needs_refresh(&token, now));
//!
//! // 2. Create the payout once: the key is derived from your reference, so a retry reuses it.
//! let key = pivot.derive_request_id("order-42", 0)?;
//! let payout = PayoutItemInput {
//!     reference_id: "order-42".into(),
//!     destination: PayoutDestination::Inquiry { inquiry_id: "d6a46a2c-1b26-40c5-9ca3-e063e69635a0".into() },
//!     amount: Money::idr(100_000)?,
//!     description: Some("Payout 42".into()),
//! };
//! let create = pivot.create_payout_request(&token, now, &key, &[payout])?;
//! assert_eq!(create.header("X-REQUEST-ID"), Some(key.as_str()));
//!
//! // 3. The answer was lost: the core says what to do instead of the host guessing.
//! let outcome = pivot.parse_create_payout(&HttpOutcome::TransportFailure(TransportFailure::Timeout));
//! // Pivot cannot be queried by your reference: resend the identical request, same key.
//! assert_eq!(outcome.next_action, NextAction::ResendSameRequest);
//!
//! // 4. Events never move a payout backwards.
//! assert_eq!(PayoutStatus::Succeeded.merge(PayoutStatus::Processing), PayoutStatus::Succeeded);
//! # Ok(())
//! # }
//! ```
//!
//! The model: [`money::Money`], [`status::PayoutStatus`] and its merge, [`status::Failure`],
//! [`status::NextAction`], [`idempotency`], [`event::PayoutEvent`], [`secret::Secret`],
//! [`error::Error`]. The providers live under [`providers`].

#![forbid(unsafe_code)]
// The Python classes' constructors are pyo3's `new = "from_fields"`: one argument per field, as
// the records have (a PayoutEvent has sixteen). Only the wheel's build enables `python`; every
// other build keeps the lint.
#![cfg_attr(feature = "python", allow(clippy::too_many_arguments))]

// The JSON derives (kirim-derive) name the traits `::kirim::write::ToJson` and
// `::kirim::read::FromJson`, a path that must also work inside this crate.
extern crate self as kirim;

// The uniffi component of the core's own types (namespace `kirim_core`; Kotlin package
// `kirim.core`, Swift module `KirimCore`, see core/uniffi.toml). Only bindings-mobile enables it.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("kirim_core");

pub mod error;
pub mod event;
pub mod http;
pub mod idempotency;
#[cfg(feature = "ts")]
pub mod js;
pub mod json;
pub mod lifecycle;
#[cfg(feature = "uniffi")]
pub mod mobile;
mod model_operations;
pub mod money;
pub mod operations;
pub mod providers;
#[cfg(feature = "python")]
pub mod python;
#[cfg(feature = "python")]
pub mod python_shell;
pub mod read;
pub mod secret;
pub mod signing;
pub mod status;
pub mod transport;
pub mod validate;
pub mod write;

pub use error::{Error, ErrorCategory, ErrorCode, Result, Violation};
pub use event::{Authenticity, PayoutEvent, PayoutTotals, Provider, Warning};
pub use http::{
    Acknowledgement, Header, HttpOutcome, HttpRequest, HttpResponse, Method, TransportFailure,
};
pub use money::{Currency, Money};
pub use secret::Secret;
pub use status::{
    Confirmation, Failure, FailureReason, NextAction, PayoutStatus, ReconciliationReason,
    RetryAdvice, StatusMerge,
};

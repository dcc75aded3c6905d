//! kirim: a sans-IO core for paying out to Indonesian bank accounts.
//!
//! kirim builds the exact signed HTTP request as data, validates idempotency keys and payout
//! fields, parses responses and callbacks from raw bytes, and normalizes every provider's
//! statuses into one model that also says what to do next. It performs no I/O and reads no
//! clock: the host sends requests with its own HTTP client and passes `now` in.
//!
//! The model: [`money::Money`], [`status::PayoutStatus`] and its merge, [`status::Failure`],
//! [`status::NextAction`], [`idempotency`], [`event::PayoutEvent`], [`secret::Secret`],
//! [`error::Error`]. The providers live under [`providers`].

#![forbid(unsafe_code)]

pub mod error;
pub mod event;
pub mod http;
pub mod idempotency;
pub mod json;
mod model_operations;
pub mod money;
pub mod operations;
pub mod providers;
pub mod secret;
pub mod status;
pub mod validate;

pub use error::{Error, ErrorCode, Result, Violation};
pub use event::{Authenticity, PayoutEvent, PayoutTotals, Provider};
pub use http::{
    Acknowledgement, Header, HttpOutcome, HttpRequest, HttpResponse, Method, TransportFailure,
};
pub use money::{Currency, Money};
pub use secret::Secret;
pub use status::{Failure, FailureReason, NextAction, PayoutStatus, RetryAdvice};

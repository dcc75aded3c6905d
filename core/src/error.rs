//! One error type for the whole library, with a stable code per case.
//!
//! Codes are part of the public contract: every binding exposes them unchanged, the shared
//! vectors assert them, and `docs/errors.md` lists each with its meaning and fix (a test keeps
//! that document in step with this table).

use crate::read::{FromJson, Read, Val};
use crate::write::ToJson;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fmt::Write as _;

macro_rules! error_codes {
    ($( $variant:ident => $code:literal, $meaning:literal, $fix:literal; )+) => {
        /// Stable error codes. The string form (`as_str`) never changes once released.
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToJson)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "snake_case")]
        #[json(as_str)]
        pub enum ErrorCode {
            $( #[doc = $meaning] $variant, )+
        }

        impl ErrorCode {
            /// Every code, in documentation order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )+ ];

            /// The stable string form, e.g. `"invalid_field"`.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )+ }
            }

            /// What the code means.
            pub fn meaning(self) -> &'static str {
                match self { $( ErrorCode::$variant => $meaning, )+ }
            }

            /// How to fix or handle it.
            pub fn fix(self) -> &'static str {
                match self { $( ErrorCode::$variant => $fix, )+ }
            }

            /// Parses the stable string form.
            pub fn from_code(code: &str) -> Option<ErrorCode> {
                match code { $( $code => Some(ErrorCode::$variant), )+ _ => None }
            }
        }
    };
}

error_codes! {
    // Validation of host input.
    ValidationFailed => "validation_failed",
        "One or more fields of the input are invalid; `violations` lists every one.",
        "Correct each field named in `violations` and build the request again.";
    MissingField => "missing_field",
        "A mandatory field is absent or empty.",
        "Provide a non-empty value for the named field.";
    InvalidField => "invalid_field",
        "A field has a value outside what the provider accepts (length, characters, format).",
        "Change the named field to match the rule in the message.";
    InvalidIdempotencyKey => "invalid_idempotency_key",
        "The idempotency key does not satisfy the provider's rules.",
        "Use `derive_idempotency_key` or a key of the documented length and characters.";
    InvalidAmount => "invalid_amount",
        "An amount is not an exact decimal number (stray characters, or exponent notation in a decimal string; a JSON number in exponent form such as 1.0E7 is read exactly from a provider), or is a bare number passed in whose unit (rupiah or sen) is not said.",
        "Give an amount as a decimal string of major units (rupiah) such as \"100000\" or \"10000.00\", or as Money built from minor units by name (from_minor_units); never as a bare number.";
    FractionalAmount => "fractional_amount",
        "An amount has a fraction the provider cannot carry (whole rupiah only, or beyond 2 decimals).",
        "Round the amount to what the provider accepts before building the request; kirim never rounds.";
    AmountOutOfRange => "amount_out_of_range",
        "An amount is zero, negative, or too large to represent exactly.",
        "Use a positive amount within the provider's limits.";
    UnsupportedCurrency => "unsupported_currency",
        "The currency is not one this provider operation supports.",
        "Use IDR.";
    InvalidConfig => "invalid_config",
        "The provider configuration is incomplete or inconsistent.",
        "Fix the named configuration field (base URL, credentials, callback keys).";
    UnknownOperation => "unknown_operation",
        "The JSON operation interface was called with an operation name it does not know.",
        "Use one of the operation names listed in tests/vectors/README.md.";

    // Reading bytes that came from outside.
    BodyEmpty => "body_empty",
        "The body is empty where a JSON document was expected.",
        "For a callback, reject it. For a state-changing call: the outcome is unknown and the payout may exist: never create it again under a new key. Follow `next_action`: query_first (the gateway): query the payout by your reference first; resend_same_request (Pivot, which has no lookup by reference): resend the identical request unchanged, with the same idempotency key, while the key still replays; manual_reconciliation (the key no longer replays): stop and reconcile by hand.";
    BodyTooLarge => "body_too_large",
        "The body exceeds the configured maximum size (default 1 MiB).",
        "Reject the input; raise `max_body_bytes` in the configuration only if the provider really sends such bodies. For a state-changing call: the outcome is unknown and the payout may exist: never create it again under a new key. Follow `next_action`: query_first (the gateway): query the payout by your reference first; resend_same_request (Pivot, which has no lookup by reference): resend the identical request unchanged, with the same idempotency key, while the key still replays; manual_reconciliation (the key no longer replays): stop and reconcile by hand.";
    NonJsonBody => "non_json_body",
        "The body is not JSON (for example an HTML error page from a proxy).",
        "For a callback, reject it. For a state-changing call treat it as a transport-level failure: the outcome is unknown and the payout may exist: never create it again under a new key. Follow `next_action`: query_first (the gateway): query the payout by your reference first; resend_same_request (Pivot, which has no lookup by reference): resend the identical request unchanged, with the same idempotency key, while the key still replays; manual_reconciliation (the key no longer replays): stop and reconcile by hand.";
    InvalidJson => "invalid_json",
        "The body starts like JSON but is not valid JSON (truncated, bad syntax, invalid UTF-8).",
        "Reject the input. For a state-changing call: the outcome is unknown and the payout may exist: never create it again under a new key. Follow `next_action`: query_first (the gateway): query the payout by your reference first; resend_same_request (Pivot, which has no lookup by reference): resend the identical request unchanged, with the same idempotency key, while the key still replays; manual_reconciliation (the key no longer replays): stop and reconcile by hand.";
    UnexpectedShape => "unexpected_shape",
        "The JSON is valid but a field is missing, has the wrong type, or is duplicated.",
        "Check that the body comes from the expected endpoint; `field` names the path. For a state-changing call: the outcome is unknown and the payout may exist: never create it again under a new key. Follow `next_action`: query_first (the gateway): query the payout by your reference first; resend_same_request (Pivot, which has no lookup by reference): resend the identical request unchanged, with the same idempotency key, while the key still replays; manual_reconciliation (the key no longer replays): stop and reconcile by hand.";
    UnsupportedSnapshot => "unsupported_snapshot",
        "A lifecycle snapshot has a version this kirim does not know (written by a newer kirim, or not a snapshot).",
        "Restore it with the kirim version that wrote it (the snapshot's `version`), or reconcile the payout it describes by hand; never start the payout again from scratch, which could pay twice.";
    InvalidTimestamp => "invalid_timestamp",
        "A timestamp is not in the provider's documented format. Times do not decide a payout, so the provider parsers report an unreadable one in the result's `warnings` (the time is absent) instead of failing.",
        "Check the provider's payload; kirim expects ISO 8601 UTC or Unix seconds as documented.";

    // Authenticity of callbacks.
    CallbackKeyMissing => "callback_key_missing",
        "The callback carries no API key header.",
        "Reject the callback with the returned acknowledgement; it did not come from the provider.";
    CallbackKeyMismatch => "callback_key_mismatch",
        "The callback's API key matches none of the configured keys.",
        "Reject it; if you rotated keys, configure both the old and the new key until rotation ends.";
    SignatureMissing => "signature_missing",
        "The callback or request carries no signature.",
        "Reject it: an unsigned notification cannot be trusted.";
    SignatureMismatch => "signature_mismatch",
        "The signature does not match the body under the configured key.",
        "Reject it; check the platform key and the signing algorithm if genuine callbacks fail.";
    UnsupportedSignatureType => "unsupported_signature_type",
        "The callback names a signature algorithm kirim does not support.",
        "Reject it, or ask the provider which algorithm it uses.";
    SourceNotAllowed => "source_not_allowed",
        "The callback came from an address outside the configured allow-list.",
        "Reject it; update the allow-list only from the provider's published addresses.";
    VerificationNotConfigured => "verification_not_configured",
        "A callback arrived while no authenticity check is configured for this provider: our own misconfiguration, not a forgery (category validation). Its acknowledgement asks the provider to retry (Pivot 503, Paper.id 503), not the forged-callback answer.",
        "Configure the check (Pivot `callback_api_keys`; Paper.id `callback_token_header` + `callback_tokens` and/or `allowed_source_addresses`) so the retried callbacks verify, or call the explicitly unverified parse and confirm by a status query.";

    // What the provider said.
    CredentialsInvalid => "credentials_invalid",
        "The provider rejected the credentials or the access token (HTTP 401).",
        "Request a new access token and resend the identical request with the same idempotency key (once the key no longer replays, reconcile by hand instead: next_action manual_reconciliation).";
    AccessTokenExpired => "access_token_expired",
        "The access token passed in has expired at the given time.",
        "Request a new access token first.";
    RequestRejected => "request_rejected",
        "The provider rejected the request as invalid (HTTP 400: format or missing fields).",
        "Correct the fields in `details`; resend with a NEW idempotency key (the old one replays this rejection).";
    AmountBelowLimit => "amount_below_limit",
        "The provider rejected the amount as below its minimum.",
        "Raise the amount; nothing was created: resend with a NEW idempotency key (the old one replays this rejection).";
    DuplicateRequest => "duplicate_request",
        "The idempotency key or reference was already used with a different payload (HTTP 409).",
        "Stop: do not resend (it loops on the conflict) and do not send the payout under a new key (it can pay twice). The key or a reference was already used with a different request: reconcile by hand (next_action manual_reconciliation): find the payout made under this key or reference in the provider's dashboard and compare it with what you meant to send.";
    Forbidden => "forbidden",
        "The feature is not enabled or the merchant is blocked (HTTP 403).",
        "Contact the provider to enable the feature; nothing was created: send the payout again afterwards with a NEW idempotency key (the old one replays this refusal).";
    NotFound => "not_found",
        "The referenced payout, inquiry or order does not exist (HTTP 404 or the provider's not-found code).",
        "Check the id. For a create nothing was created: correct the request and resend it as `next_action` says (Pivot, e.g. an unknown inquiry id: with a NEW idempotency key; the gateway: with the same payout_cl_id). For a query right after a create the payout may not be visible yet: query again later.";
    InvalidState => "invalid_state",
        "The request was valid but the resource is in a state that does not allow it (HTTP 422).",
        "For a create (Pivot 422) it is unclear whether a payout exists for this key: do not send the payout under a new key, and reconcile by hand (next_action manual_reconciliation): check in the provider's dashboard whether it exists, and resolve the state the provider names before sending it again. For a query, query the resource's status and act on it.";
    RateLimited => "rate_limited",
        "The provider throttled the request (HTTP 429).",
        "Wait at least the delay `next_action` gives, then resend the identical request with the same idempotency key (the gateway: the same payout_cl_id); if the key would no longer replay by then, reconcile by hand instead (next_action manual_reconciliation).";
    ProviderUnavailable => "provider_unavailable",
        "The provider or its downstream is unavailable (HTTP 5xx, 408, or its service_unavailable code).",
        "Reads may be retried after a delay. For a state-changing call: the outcome is unknown and the payout may exist: never create it again under a new key. Follow `next_action`: query_first (the gateway): query the payout by your reference first; resend_same_request (Pivot, which has no lookup by reference): resend the identical request unchanged, with the same idempotency key, while the key still replays; manual_reconciliation (the key no longer replays): stop and reconcile by hand.";
    ProviderError => "provider_error",
        "The provider returned an error code kirim does not classify further; its code and text are kept.",
        "Read `provider_code` and `provider_message`; contact the provider if it persists. Never send the payout under a new key: resend it with the same key as `next_action` says (Pivot, outcome unknown: the identical request with the same idempotency key while the key still replays, then reconcile by hand; the gateway: the same payout_cl_id once the cause is fixed).";
    SignatureRejectedByProvider => "signature_rejected_by_provider",
        "The provider says the request signature is wrong (a configuration error, not retryable).",
        "Check the platform key, the signing algorithm and the key-joining style in the configuration; nothing was created: then resend the order with the same payout_cl_id.";
    AuthorizationRejected => "authorization_rejected",
        "The provider rejected the Authorization header of a query.",
        "Check the Authorization token in the configuration; for a create nothing was created: resend the order with the same payout_cl_id once fixed.";
    MalformedResponse => "malformed_response",
        "A response claimed success but lacks what success must carry (e.g. no payout id), or was a redirect (3xx), which kirim never follows, or had a status that is no final HTTP answer (0, 1xx, 600 and above).",
        "The outcome is unknown and the payout may exist: never create it again under a new key. Follow `next_action`: query_first (the gateway): query the payout by your reference first; resend_same_request (Pivot, which has no lookup by reference): resend the identical request unchanged, with the same idempotency key, while the key still replays; manual_reconciliation (the key no longer replays): stop and reconcile by hand.";
    Transport => "transport",
        "The request did not get a usable response: timeout, connection error or empty body.",
        "A read (token, balance, retrieve, query) may simply be retried. For a state-changing call: the outcome is unknown and the payout may exist: never create it again under a new key. Follow `next_action`: query_first (the gateway): query the payout by your reference first; resend_same_request (Pivot, which has no lookup by reference): resend the identical request unchanged, with the same idempotency key, while the key still replays; manual_reconciliation (the key no longer replays): stop and reconcile by hand.";
}

/// The family of an error code, for bindings that raise one exception class per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCategory {
    /// The host's input or configuration is invalid.
    Validation,
    /// Bytes from outside could not be read.
    Parse,
    /// A callback failed its authenticity check.
    Authenticity,
    /// The provider refused, failed or did not answer.
    Provider,
}

impl ErrorCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::Validation => "validation",
            ErrorCategory::Parse => "parse",
            ErrorCategory::Authenticity => "authenticity",
            ErrorCategory::Provider => "provider",
        }
    }
}

impl ErrorCode {
    /// The family of this code (exhaustive: a new code must be placed here).
    pub fn category(self) -> ErrorCategory {
        use ErrorCode::*;
        match self {
            ValidationFailed
            | MissingField
            | InvalidField
            | InvalidIdempotencyKey
            | InvalidAmount
            | FractionalAmount
            | AmountOutOfRange
            | UnsupportedCurrency
            | InvalidConfig
            | UnknownOperation
            // Our configuration lacks the check: not a failed authenticity check, so it is
            // not answered as a forgery.
            | VerificationNotConfigured => ErrorCategory::Validation,
            BodyEmpty | BodyTooLarge | NonJsonBody | InvalidJson | UnexpectedShape
            | InvalidTimestamp | UnsupportedSnapshot => ErrorCategory::Parse,
            CallbackKeyMissing
            | CallbackKeyMismatch
            | SignatureMissing
            | SignatureMismatch
            | UnsupportedSignatureType
            | SourceNotAllowed => ErrorCategory::Authenticity,
            CredentialsInvalid
            | AccessTokenExpired
            | RequestRejected
            | AmountBelowLimit
            | DuplicateRequest
            | Forbidden
            | NotFound
            | InvalidState
            | RateLimited
            | ProviderUnavailable
            | ProviderError
            | SignatureRejectedByProvider
            | AuthorizationRejected
            | MalformedResponse
            | Transport => ErrorCategory::Provider,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One violated field, as reported by validation. Every violation is reported, not only the
/// first.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct Violation {
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

/// A detail the provider itself reported, e.g. Pivot's `error.details[]`.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct ProviderDetail {
    pub field: Option<String>,
    pub message: String,
}

/// The library's error. `code` is stable; `field` names the offending input where there is one;
/// `message` says how to fix it and never contains a secret. Its fields are those of
/// [`ErrorData`], read and written through it (`err.code`, `err.field = ...`).
///
/// Boxed so that every `Result<T>` of the library carries one pointer rather than a
/// hundred-byte record: that keeps the `.wasm` and the hot paths small, and errors are rare.
///
/// Kotlin/Swift (feature `uniffi`): the one exception type, `KirimException` / `KirimError`,
/// an object whose rendering is `code: message` and whose fields are read through its methods.
#[cfg_attr(
    feature = "uniffi",
    uniffi::export(Debug, Display),
    derive(uniffi::Object)
)]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
// In TypeScript a field of this type is the plain error-data object it serializes to, not the
// global `Error` class.
#[cfg_attr(feature = "ts", ts(rename = "KirimErrorData"))]
#[serde(transparent)]
pub struct KirimError(Box<ErrorData>);

/// The library's error (its declaration is named `KirimError`, the name Kotlin and Swift show:
/// `KirimException` / `KirimError`; Rust code says `kirim::Error`).
pub type Error = KirimError;

impl Error {
    /// The error's fields, by value.
    pub fn into_data(self) -> ErrorData {
        *self.0
    }
}

impl From<ErrorData> for Error {
    fn from(data: ErrorData) -> Self {
        KirimError(Box::new(data))
    }
}

impl std::ops::Deref for Error {
    type Target = ErrorData;
    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// The fields of an [`Error`] (Kotlin/Swift: the record `ErrorInfo`, e.g. in results that
/// carry an error instead of failing).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "ErrorInfo"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "KirimErrorData"))]
pub struct ErrorData {
    pub code: ErrorCode,
    pub field: Option<String>,
    pub message: String,
    /// Every violated field, for `validation_failed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// The provider's own error code, when the error came from a provider response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<String>,
    /// The provider's own message (sanitized and truncated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message: Option<String>,
    /// Field-level details the provider reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_details: Vec<ProviderDetail>,
    /// HTTP status of the provider response, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The provider's trace id, to quote when contacting its support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_trace_id: Option<String>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::from(ErrorData {
            code,
            field: None,
            message: message.into(),
            violations: Vec::new(),
            provider_code: None,
            provider_message: None,
            provider_details: Vec::new(),
            http_status: None,
            provider_trace_id: None,
        })
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_provider(mut self, code: Option<String>, message: Option<String>) -> Self {
        self.provider_code = code.map(|c| sanitize_provider_text(&c));
        self.provider_message = message.map(|m| sanitize_provider_text(&m));
        self
    }

    /// A field-level error.
    pub fn field(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(code, message).with_field(field)
    }
}

/// Kotlin/Swift: the exception's fields, read without matching on its code.
#[cfg(feature = "uniffi")]
#[uniffi::export]
impl KirimError {
    /// The stable code, e.g. `ErrorCode.SIGNATURE_MISMATCH` (`errorCodeString` gives its
    /// snake_case form).
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// The offending field, where there is one.
    #[uniffi::method(name = "field")]
    pub fn field_name(&self) -> Option<String> {
        self.0.field.clone()
    }

    /// What went wrong and how to fix it. Never contains a secret.
    pub fn error_message(&self) -> String {
        self.0.message.clone()
    }

    /// Every field, as plain data.
    pub fn info(&self) -> ErrorData {
        (*self.0).clone()
    }
}

/// Kotlin/Swift: the stable snake_case form of a code, e.g. `"signature_mismatch"`.
#[cfg(feature = "uniffi")]
#[uniffi::export]
pub fn error_code_string(code: ErrorCode) -> String {
    code.as_str().to_owned()
}

/// Kotlin/Swift: the code with this snake_case form; an unknown one is `invalid_field`. (It
/// also makes `Error` an exception of this component in the generated code.)
#[cfg(feature = "uniffi")]
#[uniffi::export]
pub fn error_code_parse(code: &str) -> Result<ErrorCode> {
    ErrorCode::from_code(code).ok_or_else(|| {
        Error::field(
            ErrorCode::InvalidField,
            "code",
            format!(
                "{:?} is not a kirim error code; see docs/errors.md",
                sanitize_provider_text(code)
            ),
        )
    })
}

// ---- reading an error back (a host passing one to an acknowledgement) -----------------------

// By hand: through `from_code`, the codes' one table, with its own message.
impl FromJson for ErrorCode {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let code = value.str()?;
        ErrorCode::from_code(code).ok_or_else(|| {
            value.mismatch(format!(
                "unknown error code `{}`",
                sanitize_provider_text(code)
            ))
        })
    }
}

/// Through `ErrorData`, whose fields are the JSON's.
impl FromJson for Error {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        ErrorData::from_json(value).map(Error::from)
    }
}

/// Collects every violation of a validation pass, then turns them into one error.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    pub fn new() -> Self {
        Violations(Vec::new())
    }

    pub fn push(&mut self, field: impl Into<String>, code: ErrorCode, message: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    /// Records the error of a nested check as a violation.
    pub fn absorb(&mut self, error: Error) {
        let error = error.into_data();
        if error.violations.is_empty() {
            self.0.push(Violation {
                field: error.field.unwrap_or_default(),
                code: error.code,
                message: error.message,
            });
        } else {
            self.0.extend(error.violations);
        }
    }

    /// Runs a check and records its error, returning the value when it passed.
    pub fn check<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.absorb(error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `finish` for a provider's configuration: the error is `invalid_config`.
    pub fn finish_config(self) -> Result<(), Error> {
        self.finish().map_err(|mut e| {
            e.code = ErrorCode::InvalidConfig;
            e
        })
    }

    /// `Ok(())` when nothing was violated; otherwise one `validation_failed` error listing all.
    pub fn finish(self) -> Result<(), Error> {
        let mut violations = self.0;
        if violations.is_empty() {
            return Ok(());
        }
        if violations.len() == 1 {
            if let Some(only) = violations.pop() {
                let mut error = Error::new(ErrorCode::ValidationFailed, only.message.clone());
                error.field = Some(only.field.clone());
                error.violations = vec![only];
                return Err(error);
            }
        }
        let mut fields = String::new();
        for (i, violation) in violations.iter().enumerate() {
            if i > 0 {
                fields.push_str(", ");
            }
            fields.push_str(&violation.field);
        }
        let mut error = Error::new(
            ErrorCode::ValidationFailed,
            format!(
                "{} fields are invalid: {fields}; see `violations` for each fix",
                violations.len()
            ),
        );
        error.field = violations.first().map(|v| v.field.clone());
        error.violations = violations;
        Err(error)
    }
}

/// Text that came from a provider: cut to a bounded length and stripped of control characters,
/// so a hostile body cannot flood logs or inject lines.
pub fn sanitize_provider_text(text: &str) -> String {
    const LIMIT: usize = 256;
    // Fast path for the usual case: short printable ASCII is kept as it is.
    if text.len() <= LIMIT && text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.to_owned();
    }
    let mut out = String::new();
    for (count, ch) in text.chars().enumerate() {
        if count >= LIMIT {
            out.push('…');
            break;
        }
        out.push(if ch.is_control() { ' ' } else { ch });
    }
    out
}

/// `text` sanitized (`sanitize_provider_text`) and quoted for a message: `"..."` with `"` and `\`
/// escaped and invisible format characters (bidi overrides, zero-width) shown as `\u{..}`, so
/// a quoted value can neither end a message early nor reorder it on screen. (Not `{:?}`: that
/// pulls Unicode tables into the .wasm.)
pub fn quoted(text: &str) -> String {
    let clean = sanitize_provider_text(text);
    let mut out = String::with_capacity(clean.len() + 2);
    out.push('"');
    for ch in clean.chars() {
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            c if crate::validate::is_invisible_format(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `sanitize_provider_text` for an owned string: a clean one is returned as it is, not copied.
pub fn sanitize_provider_string(text: String) -> String {
    if text.len() <= 256 && text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        text
    } else {
        sanitize_provider_text(&text)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

// ---- rendering ----------------------------------------------------------------------------------

impl crate::write::ToJson for Error {
    fn write_json(&self, out: &mut String) {
        self.0.write_json(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(*code));
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(!code.meaning().is_empty() && !code.fix().is_empty());
        }
    }

    #[test]
    fn violations_report_every_field() {
        let mut v = Violations::new();
        v.push("a", ErrorCode::MissingField, "a is missing");
        v.push("b", ErrorCode::InvalidField, "b is too long");
        let err = v.finish().unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
        assert_eq!(err.violations.len(), 2);
        assert_eq!(err.field.as_deref(), Some("a"));
        assert!(err.message.contains("a, b"));
    }

    #[test]
    fn provider_text_is_bounded_and_has_no_control_characters() {
        let hostile = format!("line1\nline2\u{1b}[31m{}", "x".repeat(1000));
        let clean = sanitize_provider_text(&hostile);
        assert!(!clean.chars().any(char::is_control));
        assert!(clean.chars().count() <= 257);
    }
}

//! The core's one error type, as one sealed exception type (Kotlin `KirimException`, Swift
//! `KirimError`) with one case per stable error code, each carrying every field of the core's
//! error; and the same error as plain data ([`ErrorInfo`]) where a result holds one.

use kirim::ErrorCode;
use kirim::error::ProviderDetail;
use std::fmt;

/// One violated field, as reported by validation.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Violation {
    /// The field's path, e.g. `payouts[0].amount`.
    pub field: String,
    /// The stable error code of this violation.
    pub code: String,
    /// How to fix the field.
    pub message: String,
}

/// The core's error as plain data: the same fields as its JSON form. Results that carry an
/// error instead of failing (a rejected create, a refused callback) hold one of these.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorInfo {
    /// The stable code, e.g. `validation_failed` (see `docs/errors.md`).
    pub code: String,
    /// The offending input or response field, where there is one.
    pub field: Option<String>,
    /// What went wrong and how to fix it. Never contains a secret.
    pub message: String,
    /// Every violated field, for `validation_failed`.
    pub violations: Vec<Violation>,
    /// The provider's own error code.
    pub provider_code: Option<String>,
    /// The provider's own message (sanitized, bounded).
    pub provider_message: Option<String>,
    /// Field-level details the provider reported.
    pub provider_details: Vec<ProviderDetail>,
    /// HTTP status of the provider response, if any.
    pub http_status: Option<u16>,
    /// The provider's trace id, to quote to its support.
    pub provider_trace_id: Option<String>,
}

impl From<kirim::Error> for ErrorInfo {
    fn from(error: kirim::Error) -> Self {
        let error = error.into_data();
        ErrorInfo {
            code: error.code.as_str().to_owned(),
            field: error.field,
            message: error.message,
            violations: error
                .violations
                .into_iter()
                .map(|v| Violation {
                    field: v.field,
                    code: v.code.as_str().to_owned(),
                    message: v.message,
                })
                .collect(),
            provider_code: error.provider_code,
            provider_message: error.provider_message,
            provider_details: error.provider_details,
            http_status: error.http_status,
            provider_trace_id: error.provider_trace_id,
        }
    }
}

impl ErrorInfo {
    /// Back to the core's error. Codes are always the core's own (they only come from the core
    /// or from this type's constructor), so an unknown one is reported, never guessed.
    pub(crate) fn to_core(&self) -> Result<kirim::Error, KirimError> {
        let code = ErrorCode::from_code(&self.code).ok_or_else(|| unknown_code(&self.code))?;
        let mut violations = Vec::with_capacity(self.violations.len());
        for v in &self.violations {
            violations.push(kirim::Violation {
                field: v.field.clone(),
                code: ErrorCode::from_code(&v.code).ok_or_else(|| unknown_code(&v.code))?,
                message: v.message.clone(),
            });
        }
        let mut error = kirim::Error::new(code, self.message.clone());
        error.field = self.field.clone();
        error.violations = violations;
        error.provider_code = self.provider_code.clone();
        error.provider_message = self.provider_message.clone();
        error.provider_details = self.provider_details.clone();
        error.http_status = self.http_status;
        error.provider_trace_id = self.provider_trace_id.clone();
        Ok(error)
    }
}

fn unknown_code(code: &str) -> KirimError {
    KirimError::from(kirim::Error::field(
        ErrorCode::InvalidField,
        "code",
        format!(
            "{:?} is not a kirim error code; pass the error kirim returned",
            kirim::error::sanitize_provider_text(code)
        ),
    ))
}

macro_rules! kirim_error {
    ($( $variant:ident ),+ $(,)?) => {
        /// The one exception type of kirim: one case per stable error code (the case's name is
        /// the code in the platform's casing), each carrying `code` (the stable snake_case
        /// string), `field`, `error_message` (what went wrong and how to fix it, never a secret)
        /// and the provider's details. `code()`, `field()`, `error_message()` and `info()` read
        /// them without matching on the case.
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
        #[uniffi::export(Display)]
        pub enum KirimError {
            $(
                #[allow(missing_docs)]
                $variant {
                    code: String,
                    field: Option<String>,
                    error_message: String,
                    violations: Vec<Violation>,
                    provider_code: Option<String>,
                    provider_message: Option<String>,
                    provider_details: Vec<ProviderDetail>,
                    http_status: Option<u16>,
                    provider_trace_id: Option<String>,
                },
            )+
        }

        impl From<kirim::Error> for KirimError {
            fn from(error: kirim::Error) -> Self {
                let code = error.code;
                let info = ErrorInfo::from(error);
                // Exhaustive on purpose: a code added to the core fails this build until it
                // has its own case here.
                match code {
                    $(
                        ErrorCode::$variant => KirimError::$variant {
                            code: info.code,
                            field: info.field,
                            error_message: info.message,
                            violations: info.violations,
                            provider_code: info.provider_code,
                            provider_message: info.provider_message,
                            provider_details: info.provider_details,
                            http_status: info.http_status,
                            provider_trace_id: info.provider_trace_id,
                        },
                    )+
                }
            }
        }

        impl KirimError {
            /// The core's code this case stands for.
            fn error_code(&self) -> ErrorCode {
                match self {
                    $( KirimError::$variant { .. } => ErrorCode::$variant, )+
                }
            }

            fn to_info(&self) -> ErrorInfo {
                match self {
                    $(
                        KirimError::$variant {
                            code,
                            field,
                            error_message,
                            violations,
                            provider_code,
                            provider_message,
                            provider_details,
                            http_status,
                            provider_trace_id,
                        } => ErrorInfo {
                            code: code.clone(),
                            field: field.clone(),
                            message: error_message.clone(),
                            violations: violations.clone(),
                            provider_code: provider_code.clone(),
                            provider_message: provider_message.clone(),
                            provider_details: provider_details.clone(),
                            http_status: *http_status,
                            provider_trace_id: provider_trace_id.clone(),
                        },
                    )+
                }
            }
        }
    };
}

kirim_error! {
    ValidationFailed,
    MissingField,
    InvalidField,
    InvalidIdempotencyKey,
    InvalidAmount,
    FractionalAmount,
    AmountOutOfRange,
    UnsupportedCurrency,
    InvalidConfig,
    UnknownOperation,
    BodyEmpty,
    BodyTooLarge,
    NonJsonBody,
    InvalidJson,
    UnexpectedShape,
    UnsupportedSnapshot,
    InvalidTimestamp,
    CallbackKeyMissing,
    CallbackKeyMismatch,
    SignatureMissing,
    SignatureMismatch,
    UnsupportedSignatureType,
    SourceNotAllowed,
    VerificationNotConfigured,
    CredentialsInvalid,
    AccessTokenExpired,
    RequestRejected,
    AmountBelowLimit,
    DuplicateRequest,
    Forbidden,
    NotFound,
    InvalidState,
    RateLimited,
    ProviderUnavailable,
    ProviderError,
    SignatureRejectedByProvider,
    AuthorizationRejected,
    MalformedResponse,
    Transport,
}

/// Read any case's fields without matching on it.
#[uniffi::export]
impl KirimError {
    /// The stable snake_case code, e.g. `signature_mismatch`.
    pub fn code(&self) -> String {
        self.to_info().code
    }

    /// The offending field, where there is one.
    pub fn field(&self) -> Option<String> {
        self.to_info().field
    }

    /// What went wrong and how to fix it.
    pub fn error_message(&self) -> String {
        self.to_info().message
    }

    /// Every field, as plain data.
    pub fn info(&self) -> ErrorInfo {
        self.to_info()
    }
}

impl KirimError {
    /// Back to the core's error; the case, not the `code` string, says which code it is.
    pub(crate) fn to_core(&self) -> Result<kirim::Error, KirimError> {
        let mut info = self.to_info();
        info.code = self.error_code().as_str().to_owned();
        info.to_core()
    }
}

/// A callback verified and answered by the core (`handle_callback`, `handle_notification`),
/// as the handling records carry it: the content when genuine, else the error; and the answer.
pub(crate) fn split_handled<T>(
    handled: kirim::providers::common::Handled<T>,
) -> (Option<T>, Option<ErrorInfo>, kirim::Acknowledgement) {
    let (content, error) = match handled.result {
        Ok(content) => (Some(content), None),
        Err(error) => (None, Some(ErrorInfo::from(error))),
    };
    (content, error, handled.acknowledgement)
}

/// The error a host passes back to build an acknowledgement, as the core's error.
pub(crate) fn to_core_option(
    error: Option<KirimError>,
) -> Result<Option<kirim::Error>, KirimError> {
    error.map(|e| e.to_core()).transpose()
}

impl fmt::Display for KirimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.to_info();
        write!(f, "{}: {}", info.code, info.message)
    }
}

impl std::error::Error for KirimError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_its_own_case_and_round_trips() {
        let mut cases = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let mut core = kirim::Error::field(*code, "a.b", "how to fix it");
            core.violations = vec![kirim::Violation {
                field: "a.b".into(),
                code: ErrorCode::MissingField,
                message: "missing".into(),
            }];
            core.provider_code = Some("P1".into());
            core.http_status = Some(502);
            let error = KirimError::from(core.clone());
            assert_eq!(error.code(), code.as_str());
            assert_eq!(error.field().as_deref(), Some("a.b"));
            assert_eq!(error.error_message(), "how to fix it");
            assert_eq!(
                error.to_string(),
                format!("{}: how to fix it", code.as_str())
            );
            assert_eq!(error.info().to_core().unwrap(), core);
            assert!(cases.insert(std::mem::discriminant(&error)));
        }
        assert_eq!(cases.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn an_unknown_code_is_reported() {
        let mut info = ErrorInfo::from(kirim::Error::new(ErrorCode::Transport, "x"));
        info.code = "not_a_code".into();
        assert_eq!(info.to_core().unwrap_err().code(), "invalid_field");
    }
}

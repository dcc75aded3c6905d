//! Idempotency keys: validated per provider, derived deterministically from the merchant's own
//! reference (so a retry can never get a fresh key), and a check of whether a key may be reused.

use crate::error::{Error, ErrorCode, Result};
use crate::write::ToJson;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A provider's rules for its idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToJson)]
pub struct IdempotencyRules {
    /// The header that carries the key, e.g. `X-REQUEST-ID`.
    pub header: &'static str,
    pub min_len: usize,
    pub max_len: usize,
    /// Only ASCII letters and digits are allowed.
    pub alphanumeric_only: bool,
    /// How long the provider remembers a key.
    pub validity_seconds: i64,
}

/// Pivot `X-REQUEST-ID`: alphanumeric, 16 to 36 characters, remembered for 24 hours.
pub const PIVOT_RULES: IdempotencyRules = IdempotencyRules {
    header: "X-REQUEST-ID",
    min_len: 16,
    max_len: 36,
    alphanumeric_only: true,
    validity_seconds: 24 * 60 * 60,
};

/// The idempotency-key rules of the provider named `provider` (only Pivot has a caller-visible
/// key); another name is refused (`invalid_field`, `provider`).
pub fn rules_of(provider: &str) -> Result<&'static IdempotencyRules> {
    match provider {
        "pivot" => Ok(&PIVOT_RULES),
        other => Err(Error::field(
            ErrorCode::InvalidField,
            "provider",
            format!(
                "{} has no idempotency-key rules; known: pivot",
                crate::error::quoted(other)
            ),
        )),
    }
}

/// Checks a key against the rules, naming what is wrong.
pub fn validate_key(rules: &IdempotencyRules, key: &str, field: &str) -> Result<()> {
    let len = key.chars().count();
    if len < rules.min_len || len > rules.max_len {
        return Err(Error::field(
            ErrorCode::InvalidIdempotencyKey,
            field,
            format!(
                "{} must be {} to {} characters long, got {len}; derive one with derive_idempotency_key",
                rules.header, rules.min_len, rules.max_len
            ),
        ));
    }
    if rules.alphanumeric_only && !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::field(
            ErrorCode::InvalidIdempotencyKey,
            field,
            format!(
                "{} may contain only ASCII letters and digits (no '-', '_' or spaces)",
                rules.header
            ),
        ));
    }
    Ok(())
}

/// Derives the key for the `revision`-th version of the payout with this merchant reference.
///
/// The same inputs always give the same key, so a retry after a timeout reuses it and the
/// provider replays instead of paying twice. Bump `revision` only after the provider REJECTED
/// the request and you corrected it (the provider replays the rejection on the old key).
///
/// The key is the first `min(32, max_len)` lowercase hex digits of
/// SHA-256("kirim-idempotency-v1" NUL provider NUL reference NUL revision). The provider's name
/// is the namespace, taken from the provider, never from the caller: a payout derived in one
/// language and driven in another must get the same key, or the provider can pay it twice.
pub fn derive_key(provider: &str, merchant_reference: &str, revision: u32) -> Result<String> {
    let rules = rules_of(provider)?;
    let namespace = provider;
    if merchant_reference.is_empty() {
        return Err(Error::field(
            ErrorCode::MissingField,
            "merchant_reference",
            "merchant_reference must not be empty: it is what makes the key stable across retries",
        ));
    }
    let mut hasher = Sha256::new();
    for part in [
        "kirim-idempotency-v1",
        namespace,
        merchant_reference,
        &revision.to_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hex::encode(hasher.finalize());
    let len = rules.max_len.min(32).max(rules.min_len);
    // The digest is ASCII hex, so a byte prefix is a character prefix.
    let key = digest.get(..len.min(digest.len())).unwrap_or_default();
    validate_key(rules, key, "idempotency_key")?;
    Ok(key.to_owned())
}

/// The default safety margin (seconds) taken off the end of a provider's key window: a resend
/// sent just before the window ends can reach the provider after it (transit time, retries,
/// clock skew) and be treated as NEW. Ten minutes.
pub const DEFAULT_KEY_WINDOW_MARGIN_SECONDS: i64 = 600;

/// What a key may still be used for at a given time.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToJson)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum KeyReuse {
    /// Within the provider's window, less the safety margin: resending the IDENTICAL request
    /// replays the first response; a different payload is a conflict. Safe for retries until
    /// `until`.
    ReplaysUntil { until: i64 },
    /// The window, less the safety margin, is over: a resend may reach a provider that has
    /// forgotten the key and be treated as NEW, paying twice. Never resend a create whose
    /// outcome is unknown on this key: reconcile it by hand (Pivot offers no lookup by
    /// reference). The key may serve a genuinely new request only once the first is settled.
    Expired { since: i64 },
}

/// Checks a safety margin: not negative, and shorter than the provider's window.
pub fn validate_margin(rules: &IdempotencyRules, margin_seconds: i64, field: &str) -> Result<()> {
    if margin_seconds < 0 || margin_seconds >= rules.validity_seconds {
        return Err(Error::field(
            ErrorCode::InvalidField,
            field,
            format!(
                "{field} must be at least 0 and less than the key window of {} seconds (default {DEFAULT_KEY_WINDOW_MARGIN_SECONDS}), got {margin_seconds}",
                rules.validity_seconds
            ),
        ));
    }
    Ok(())
}

/// Whether a key first used at `first_used_at` may be reused at `now` (Unix seconds): it
/// replays until `first_used_at + validity - margin_seconds` (a margin outside
/// `0..validity` counts as the default), then it is treated as expired.
pub fn key_reuse(
    rules: &IdempotencyRules,
    first_used_at: i64,
    now: i64,
    margin_seconds: i64,
) -> KeyReuse {
    let margin = if validate_margin(rules, margin_seconds, "margin_seconds").is_ok() {
        margin_seconds
    } else {
        DEFAULT_KEY_WINDOW_MARGIN_SECONDS
    };
    let until = first_used_at.saturating_add(rules.validity_seconds - margin);
    if now < until {
        KeyReuse::ReplaysUntil { until }
    } else {
        KeyReuse::Expired { since: until }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivot_rules() {
        assert!(validate_key(&PIVOT_RULES, "abcdefghij123456", "k").is_ok());
        assert!(validate_key(&PIVOT_RULES, &"a".repeat(36), "k").is_ok());
        assert!(validate_key(&PIVOT_RULES, &"a".repeat(15), "k").is_err());
        assert!(validate_key(&PIVOT_RULES, &"a".repeat(37), "k").is_err());
        let err = validate_key(&PIVOT_RULES, "abcdefgh-ij123456", "k").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidIdempotencyKey);
        assert!(validate_key(&PIVOT_RULES, "abcdefghij12345é", "k").is_err());
    }

    #[test]
    fn derivation_is_stable_and_valid() {
        let a = derive_key("pivot", "order-1", 0).unwrap();
        assert_eq!(a, derive_key("pivot", "order-1", 0).unwrap());
        assert_ne!(a, derive_key("pivot", "order-1", 1).unwrap());
        assert_ne!(a, derive_key("pivot", "order-2", 0).unwrap());
        assert_eq!(a.len(), 32);
        assert!(validate_key(&PIVOT_RULES, &a, "k").is_ok());
        assert!(derive_key("pivot", "", 0).is_err());
        // The namespace is the provider's name: no caller can choose another and get another key.
        let err = derive_key("myapp", "order-1", 0).unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidField, Some("provider"))
        );
    }

    #[test]
    fn reuse_window_boundaries() {
        let day = 86_400;
        let margin = DEFAULT_KEY_WINDOW_MARGIN_SECONDS;
        assert_eq!(
            key_reuse(&PIVOT_RULES, 1000, 1000 + day - margin - 1, margin),
            KeyReuse::ReplaysUntil {
                until: 1000 + day - margin
            }
        );
        assert_eq!(
            key_reuse(&PIVOT_RULES, 1000, 1000 + day - margin, margin),
            KeyReuse::Expired {
                since: 1000 + day - margin
            }
        );
        // No margin: the provider's own window.
        assert_eq!(
            key_reuse(&PIVOT_RULES, 1000, 1000 + day - 1, 0),
            KeyReuse::ReplaysUntil { until: 1000 + day }
        );
        // A margin outside 0..window never widens the window: the default applies.
        for bad in [-1, day, i64::MIN, i64::MAX] {
            assert!(validate_margin(&PIVOT_RULES, bad, "m").is_err());
            assert_eq!(
                key_reuse(&PIVOT_RULES, 1000, 1000, bad),
                KeyReuse::ReplaysUntil {
                    until: 1000 + day - margin
                }
            );
        }
    }
}

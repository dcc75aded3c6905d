//! Secrets (keys, tokens): never printed, wiped on drop, compared in constant time.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A secret string. `Debug` and `Display` print `[redacted]`; the memory is zeroed on drop.
/// It deliberately implements neither `Serialize` nor `PartialEq`, so it cannot leak through a
/// JSON rendering or be compared in variable time by accident.
#[derive(Clone)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SecretInput", type = "Secret | string"))]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret's value, for placing it where the protocol puts it. The long name is on
    /// purpose: every use is easy to find in review.
    pub fn expose_secret(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time equality with a candidate (only the length may leak).
    pub fn matches(&self, candidate: &[u8]) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Zeroizing::new(String::deserialize(deserializer)?);
        Ok(Secret(value))
    }
}

impl crate::read::FromJson for Secret {
    fn from_json(value: &crate::read::Val<'_>) -> crate::read::Read<Self> {
        value.str().map(Secret::new)
    }
}

/// Constant-time byte comparison. Lengths are compared first (a length is not a secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// True when `candidate` equals any of `secrets`. Every secret is compared, so the time taken
/// does not reveal which key matched or how far a guess got.
pub fn matches_any(secrets: &[Secret], candidate: &[u8]) -> bool {
    let mut found = subtle::Choice::from(0u8);
    for secret in secrets {
        let bytes = secret.expose_secret().as_bytes();
        let same_len = subtle::Choice::from(u8::from(bytes.len() == candidate.len()));
        let equal = if bytes.len() == candidate.len() {
            bytes.ct_eq(candidate)
        } else {
            subtle::Choice::from(0u8)
        };
        found |= same_len & equal;
    }
    bool::from(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let secret = Secret::new("sentinel-9f8e7d");
        assert!(!format!("{secret:?}").contains("sentinel"));
        assert!(!format!("{secret}").contains("sentinel"));
        assert!(!format!("{:#?}", vec![secret.clone()]).contains("sentinel"));
    }

    #[test]
    fn compares_exactly() {
        let keys = [Secret::new("old-key"), Secret::new("new-key")];
        assert!(matches_any(&keys, b"new-key"));
        assert!(matches_any(&keys, b"old-key"));
        assert!(!matches_any(&keys, b"new-ke"));
        assert!(!matches_any(&keys, b"new-keyx"));
        assert!(!matches_any(&[], b""));
        assert!(keys[0].matches(b"old-key"));
        assert!(!keys[0].matches(b"Old-key"));
    }
}

/// Kotlin/Swift (feature `uniffi`): a [`Secret`] crosses as the opaque object `SecretValue`
/// (Kotlin `typealias Secret = SecretValue`), never as a string or a record field a generated
/// `toString`/`description` would print; the object renders `[redacted]`.
#[cfg(feature = "uniffi")]
mod ffi {
    use super::Secret;
    use std::sync::Arc;

    /// A secret (a merchant secret, a callback key, a token's value). It renders as
    /// `[redacted]`; read it only through `exposeSecret()`. Wiped when released.
    #[derive(Debug, uniffi::Object)]
    #[uniffi::export(Debug, Display)]
    pub struct SecretValue(Secret);

    impl std::fmt::Display for SecretValue {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::fmt::Display::fmt(&self.0, f)
        }
    }

    #[uniffi::export]
    impl SecretValue {
        /// Wraps a secret value.
        #[uniffi::constructor]
        pub fn new(value: String) -> Self {
            SecretValue(Secret::new(value))
        }

        /// The value, to place it where the protocol puts it (or to store it). The long name
        /// is on purpose: every use is easy to find in review.
        pub fn expose_secret(&self) -> String {
            self.0.expose_secret().to_owned()
        }

        /// True for an empty value.
        pub fn is_empty(&self) -> bool {
            self.0.is_empty()
        }

        /// Constant-time comparison with a candidate (only the length may leak).
        pub fn matches(&self, candidate: Vec<u8>) -> bool {
            self.0.matches(&candidate)
        }
    }

    uniffi::custom_type!(Secret, Arc<SecretValue>, {
        lower: |secret| Arc::new(SecretValue(secret)),
        try_lift: |value| Ok(value.0.clone()),
    });
}

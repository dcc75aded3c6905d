//! Secrets (keys, tokens) as opaque objects: their rendering (`toString`, `description`) is
//! `[redacted]`, and the value is read only through the deliberately long `expose_secret`.

use std::fmt;

/// A secret string (a merchant secret, a callback API key, a token's value). Its rendering is
/// always `[redacted]`; the memory is wiped when the object is released.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct Secret(pub(crate) kirim::Secret);

#[uniffi::export]
impl Secret {
    /// Wraps a secret value.
    #[uniffi::constructor]
    pub fn new(value: String) -> Self {
        Secret(kirim::Secret::new(value))
    }

    /// The value, to place it where the protocol puts it (or to store it). The long name is on
    /// purpose: every use is easy to find in review.
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

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

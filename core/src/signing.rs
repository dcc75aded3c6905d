//! Form signing, in one place: the canonical string and the MD5 / HMAC-SHA256 signatures of the
//! `platform_id` gateway family (spec §2.4, decisions G8 and G9), with the two choices in which
//! gateways of this kind differ (how the key is appended, hex case) as configuration.
//!
//! # The canonical string
//!
//! 1. Every top-level parameter except `sign` and `sign_type`.
//! 2. `null` and `""` are dropped; `0`, `false` and `[]` are kept.
//! 3. Keys are sorted by byte order (case-sensitive; `Z` before `a`).
//! 4. `key=value` pairs are joined with `&`, without URL-encoding.
//! 5. Values render as follows: a string as its decoded text; a number as its exact JSON source
//!    text (never through a float), so that `50000` and `"50000"` sign identically; `true` /
//!    `false`; an array or object as compact JSON: its received text with the whitespace outside
//!    strings removed (so the provider's own escaping is kept byte for byte).
//!
//! # Signatures
//!
//! - MD5 (legacy; what `sign_type` absent means): `md5(canonical + join + key)`, where `join` is
//!   [`KeyJoin`]: `"&"` (this family's rule), nothing, or `"&key="` (other gateways of the kind).
//! - HMAC-SHA256 (the default for new integrations, sent as `sign_type=HMAC-SHA256`):
//!   `hmac_sha256(key, canonical)`; the key is not appended.
//! - The hex digest is lower case by default ([`HexCase`]). Verification compares
//!   case-insensitively, in constant time, against every configured key.
//!
//! # Why `&` and `=` cannot forge a signed string
//!
//! The canonical string is only unambiguous when it can be split back into the same pairs. We
//! guarantee that for everything we sign: **no key may contain `&` or `=` (or be empty), and no
//! value may contain `&`** ([`FormParams::canonical_for_signing`] refuses them with
//! `invalid_field`). Then splitting at every `&` gives exactly the pairs, and splitting each pair at
//! its first `=` gives exactly the key (a key has no `=`), so two different parameter sets can never
//! share a canonical string. A `=` inside a value stays harmless, which keeps URLs with one query
//! parameter (`notify_url`) usable; a URL with `&` must be changed (e.g. a path segment instead).
//!
//! For what we receive (notifications), we verify exactly what the provider computes as
//! documented, over every received field including ones we do not know, and tolerate `&` inside
//! values (a provider's `error_msg` may contain one). A key containing `&` or `=` is refused, and
//! so are duplicate keys. A forgery by re-partitioning a genuine string would need the attacker to
//! control a value of the genuine notification that contains `&key=...`: the values we send (ids,
//! names, account numbers) cannot contain `&`, the others are the provider's, and every key of the
//! re-partitioned set would still have to fall into sorted position without duplicating a key.

use crate::error::{Error, ErrorCode, Result};
use crate::read::FromJson;
use crate::read::Json;
use crate::secret::Secret;
use crate::write::ToJson;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::borrow::Cow;
use subtle::{Choice, ConstantTimeEq};

/// The field carrying the signature.
pub const SIGN_FIELD: &str = "sign";
/// The field naming the algorithm (absent means MD5).
pub const SIGN_TYPE_FIELD: &str = "sign_type";

/// The signature algorithm.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson, ToJson)]
#[json(as_str)]
pub enum SignType {
    /// Legacy; the meaning of an absent `sign_type`. Deprecated by the family from 2026-03-31.
    #[serde(rename = "MD5")]
    Md5,
    /// The default for new integrations.
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
}

impl SignType {
    /// The value of the `sign_type` field.
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// The algorithm a received `sign_type` names: absent or `""` is MD5 (G8); the names are
    /// matched case-insensitively; anything else is `unsupported_signature_type`.
    pub fn from_field(value: Option<&str>) -> Result<SignType> {
        match value {
            None | Some("") => Ok(SignType::Md5),
            Some(v) if v.eq_ignore_ascii_case("MD5") => Ok(SignType::Md5),
            Some(v) if v.eq_ignore_ascii_case("HMAC-SHA256") => Ok(SignType::HmacSha256),
            Some(other) => Err(Error::field(
                ErrorCode::UnsupportedSignatureType,
                SIGN_TYPE_FIELD,
                format!(
                    "sign_type {} is not supported; expected MD5 or HMAC-SHA256",
                    crate::error::quoted(other)
                ),
            )),
        }
    }

    /// Hex characters of a digest of this algorithm.
    pub fn hex_len(self) -> usize {
        match self {
            SignType::Md5 => 32,
            SignType::HmacSha256 => 64,
        }
    }
}

/// How the key is appended to the canonical string for MD5 (HMAC never appends it).
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum KeyJoin {
    /// `canonical + "&" + key`: the `platform_id` family's rule.
    #[default]
    Ampersand,
    /// `canonical + key` (e.g. the easydoc-hosted gateway, spec §2.9).
    Direct,
    /// `canonical + "&key=" + key` (e.g. LemonPayment, 9dg, spec §2.9).
    AmpersandKeyEquals,
}

impl KeyJoin {
    fn separator(self) -> &'static str {
        match self {
            KeyJoin::Ampersand => "&",
            KeyJoin::Direct => "",
            KeyJoin::AmpersandKeyEquals => "&key=",
        }
    }
}

/// Case of the hex digest we produce. Received digests are compared case-insensitively.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum HexCase {
    /// The `platform_id` family's rule.
    #[default]
    Lower,
    Upper,
}

/// The two choices in which gateways of this kind differ, defaulting to the family's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SignerSettings {
    #[serde(default)]
    pub key_join: KeyJoin,
    #[serde(default)]
    pub hex_case: HexCase,
}

/// The JSON type a parameter had, which decides how it renders and whether it is dropped.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    Null,
    String,
    Number,
    Bool,
    /// An array or an object: rendered as compact JSON.
    Composite,
}

/// One parameter with its rendered value (`None` for `null`).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormEntry {
    pub key: String,
    pub kind: ValueKind,
    pub value: Option<String>,
}

/// Parameters in the order received or built. Keys are unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormParams {
    entries: Vec<FormEntry>,
}

impl FormParams {
    pub fn new() -> Self {
        FormParams::default()
    }

    /// Adds a string parameter.
    pub fn push_text(&mut self, key: &str, value: &str) {
        self.entries.push(FormEntry {
            key: key.to_owned(),
            kind: ValueKind::String,
            value: Some(value.to_owned()),
        });
    }

    /// Adds an integer parameter.
    pub fn push_integer(&mut self, key: &str, value: i64) {
        self.entries.push(FormEntry {
            key: key.to_owned(),
            kind: ValueKind::Number,
            value: Some(value.to_string()),
        });
    }

    pub fn entries(&self) -> &[FormEntry] {
        &self.entries
    }

    pub fn get(&self, key: &str) -> Option<&FormEntry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// Reads a JSON object from raw bytes, keeping each number's exact text and each composite
    /// value's received text (minus whitespace). Duplicate keys are refused (`unexpected_shape`
    /// naming the key): with two values, which one was signed would be ambiguous.
    pub fn from_json_object(body: &[u8], max_bytes: usize, what: &str) -> Result<FormParams> {
        Self::from_tree(&crate::json::parse_tree(body, max_bytes, what)?, what)
    }

    /// `from_json_object` on an already parsed document.
    pub fn from_tree(tree: &Json<'_>, what: &str) -> Result<FormParams> {
        let received = ReceivedParams::from_tree(tree, what)?;
        let mut entries = Vec::with_capacity(received.entries.len());
        for (key, kind, value) in received.entries {
            entries.push(FormEntry {
                key: key.to_owned(),
                kind,
                value: value.map(Cow::into_owned),
            });
        }
        Ok(FormParams { entries })
    }

    /// The canonical string as the provider computes it (for verifying what we received).
    /// Refuses keys that are empty or contain `&` or `=`.
    pub fn canonical(&self) -> Result<String> {
        self.build(false)
    }

    /// The canonical string for a request we sign: also refuses values containing `&`, so that
    /// no value can forge another pair (see the module documentation).
    pub fn canonical_for_signing(&self) -> Result<String> {
        self.build(true)
    }

    fn build(&self, strict: bool) -> Result<String> {
        canonical_string(
            &mut self
                .entries
                .iter()
                .map(|e| (e.key.as_str(), e.value.as_deref())),
            strict,
        )
    }
}

/// A received JSON object's parameters, borrowed from its parsed tree: what
/// [`FormParams::from_tree`] reads (the same refusals), without copying every key and value.
/// Verifying a notification needs nothing more.
#[derive(Debug)]
pub struct ReceivedParams<'t> {
    entries: Vec<(&'t str, ValueKind, Option<Cow<'t, str>>)>,
}

impl<'t> ReceivedParams<'t> {
    /// The object's members, each rendered as the canonical string renders it. Refuses a
    /// document that is not an object and duplicate keys (`unexpected_shape`).
    pub fn from_tree(tree: &'t Json<'t>, what: &str) -> Result<ReceivedParams<'t>> {
        let Json::Object(members, _) = tree else {
            let top = crate::read::Val::root(tree, "");
            return Err(crate::json::shape_error(
                top.invalid_type("a JSON object"),
                what,
            ));
        };
        let keys = crate::read::member_names(members);
        if let Some(key) = crate::validate::first_repeat(&keys) {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                crate::error::sanitize_provider_text(key),
                format!(
                    "{what} has the key {} twice; a signed body must have unique keys",
                    crate::error::quoted(key)
                ),
            ));
        }
        let mut entries = Vec::with_capacity(members.len());
        for (key, value) in members {
            let (kind, rendered) = match value {
                Json::Null => (ValueKind::Null, None),
                Json::Bool(b) => (
                    ValueKind::Bool,
                    Some(Cow::Borrowed(if *b { "true" } else { "false" })),
                ),
                Json::String(text) => (ValueKind::String, Some(Cow::Borrowed(text.as_ref()))),
                Json::Number(text) => (ValueKind::Number, Some(Cow::Borrowed(*text))),
                Json::Array(_, raw) | Json::Object(_, raw) => {
                    (ValueKind::Composite, Some(Cow::Owned(minify(raw))))
                }
            };
            entries.push((key.as_ref(), kind, rendered));
        }
        Ok(ReceivedParams { entries })
    }

    /// The parameter `key`: its kind and rendered value (`None` for `null`).
    pub fn get(&self, key: &str) -> Option<(ValueKind, Option<&str>)> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, kind, value)| (*kind, value.as_deref()))
    }

    /// [`FormParams::canonical`] of the same parameters.
    pub fn canonical(&self) -> Result<String> {
        canonical_string(
            &mut self
                .entries
                .iter()
                .map(|(key, _, value)| (*key, value.as_deref())),
            false,
        )
    }
}

/// [`FormParams::canonical_for_signing`] of parameters we send, without building them.
pub(crate) fn canonical_for_signing(params: &[(&str, &str)]) -> Result<String> {
    canonical_string(
        &mut params.iter().map(|(key, value)| (*key, Some(*value))),
        true,
    )
}

/// Dropped from the canonical string: `null`, `""`, and the signature fields themselves.
fn is_signed(key: &str, value: Option<&str>) -> bool {
    key != SIGN_FIELD && key != SIGN_TYPE_FIELD && value.is_some_and(|v| !v.is_empty())
}

/// The canonical string of `(key, rendered value)` pairs (see the module documentation);
/// `strict` for what we sign. One compiled body for its three callers (`dyn`).
fn canonical_string<'p>(
    params: &mut dyn Iterator<Item = (&'p str, Option<&'p str>)>,
    strict: bool,
) -> Result<String> {
    // Each signed key with the index of its value, to sort by key (equal keys, which a
    // received body cannot have, in input order): the sort `validate::sorted_order` uses.
    // Sized once: most parameters are signed.
    let expected = params.size_hint().0;
    let mut keys: Vec<(&str, usize)> = Vec::with_capacity(expected);
    let mut values: Vec<&str> = Vec::with_capacity(expected);
    let mut len = 0;
    for (key, value) in params {
        if let Some(value) = value.filter(|_| is_signed(key, value)) {
            keys.push((key, values.len()));
            values.push(value);
            len += key.len() + value.len() + 2;
        }
    }
    for (key, index) in &keys {
        if key.is_empty() || key.bytes().any(|b| b == b'&' || b == b'=') {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                crate::error::sanitize_provider_text(key),
                format!(
                    "parameter name {} is empty or contains '&' or '=', which would make the signed string ambiguous",
                    crate::error::quoted(key)
                ),
            ));
        }
        if strict
            && values
                .get(*index)
                .is_some_and(|v| v.as_bytes().contains(&b'&'))
        {
            return Err(Error::field(
                ErrorCode::InvalidField,
                *key,
                format!(
                    "{key} contains '&', which would let it forge another parameter in the signed string; remove it (percent-encode it inside a URL)"
                ),
            ));
        }
    }
    keys.sort_unstable();
    let mut out = String::with_capacity(len);
    for (i, (key, index)) in keys.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(values.get(*index).copied().unwrap_or_default());
    }
    Ok(out)
}

/// Signs a canonical string, rendering the digest in the configured hex case.
pub fn sign(
    canonical: &str,
    key: &Secret,
    sign_type: SignType,
    settings: SignerSettings,
) -> Result<String> {
    let digest = digest(canonical, key, sign_type, settings.key_join)?;
    Ok(match settings.hex_case {
        HexCase::Lower => hex::encode(digest),
        HexCase::Upper => hex::encode_upper(digest),
    })
}

/// True when `presented` is the signature of `canonical` under any of `keys`. Hex is compared
/// case-insensitively and in constant time; every key is tried, so the time taken does not say
/// which key matched.
pub fn verify<'k>(
    canonical: &str,
    presented: &str,
    keys: impl IntoIterator<Item = &'k Secret>,
    sign_type: SignType,
    key_join: KeyJoin,
) -> bool {
    // The presented hex in lower case, on the stack: a digest's hex is at most 64 characters,
    // and a longer one matches nothing.
    let mut lowered = [0u8; 64];
    let presented = lowered.get_mut(..presented.len()).map(|buffer| {
        for (to, from) in buffer.iter_mut().zip(presented.bytes()) {
            *to = from.to_ascii_lowercase();
        }
        &*buffer
    });
    let mut found = Choice::from(0u8);
    for key in keys {
        let Ok(digest) = digest(canonical, key, sign_type, key_join) else {
            continue;
        };
        let mut hex = [0u8; 64];
        let expected = hex
            .get_mut(..digest.as_ref().len() * 2)
            .and_then(|expected| {
                hex::encode_to_slice(digest.as_ref(), &mut *expected).ok()?;
                Some(&*expected)
            });
        let equal = match (expected, presented) {
            (Some(expected), Some(presented)) if expected.len() == presented.len() => {
                expected.ct_eq(presented)
            }
            _ => Choice::from(0u8),
        };
        found |= equal;
    }
    bool::from(found)
}

/// A digest's bytes, on the stack: 16 (MD5) or 32 (HMAC-SHA256) of them.
struct DigestBytes {
    bytes: [u8; 32],
    len: usize,
}

impl DigestBytes {
    fn new(digest: &[u8]) -> Self {
        let mut bytes = [0u8; 32];
        let len = digest.len().min(32);
        for (to, from) in bytes.iter_mut().zip(digest) {
            *to = *from;
        }
        DigestBytes { bytes, len }
    }
}

impl AsRef<[u8]> for DigestBytes {
    fn as_ref(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

fn digest(
    canonical: &str,
    key: &Secret,
    sign_type: SignType,
    key_join: KeyJoin,
) -> Result<DigestBytes> {
    let key = key.expose_secret().as_bytes();
    match sign_type {
        SignType::Md5 => {
            let mut hasher = Md5::new();
            hasher.update(canonical.as_bytes());
            hasher.update(key_join.separator().as_bytes());
            hasher.update(key);
            Ok(DigestBytes::new(&hasher.finalize()))
        }
        SignType::HmacSha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| {
                Error::field(
                    ErrorCode::InvalidConfig,
                    "platform_key",
                    "the platform key cannot be used as an HMAC key",
                )
            })?;
            mac.update(canonical.as_bytes());
            Ok(DigestBytes::new(&mac.finalize().into_bytes()))
        }
    }
}

/// Removes the whitespace outside strings from valid JSON text.
fn minify(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let (mut in_string, mut escaped) = (false, false);
    for ch in raw.chars() {
        if in_string {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if !matches!(ch, ' ' | '\t' | '\n' | '\r') {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ThisIsYourSecretKey123";
    const SEED_BODY: &str = r#"{"amount": "50000", "bank_name": "BCA", "currency": "idr", "name": "test_name",
        "notify_url": "https://xxx.xx/notification", "number": "4088748280272397",
        "payout_cl_id": "DEVPOT00143538", "platform_id": "PF0002", "request_time": "1595504997",
        "service_id": "SVC0004", "sign": "8ac38fb87c2bcce4cf36627d4f8aa747"}"#;
    const SEED_CANONICAL: &str = "amount=50000&bank_name=BCA&currency=idr&name=test_name&notify_url=https://xxx.xx/notification&number=4088748280272397&payout_cl_id=DEVPOT00143538&platform_id=PF0002&request_time=1595504997&service_id=SVC0004";

    fn params(body: &str) -> FormParams {
        FormParams::from_json_object(body.as_bytes(), 1 << 20, "body").unwrap()
    }

    #[test]
    fn seed_payout_known_answers() {
        let canonical = params(SEED_BODY).canonical().unwrap();
        assert_eq!(canonical, SEED_CANONICAL);
        let key = Secret::new(KEY);
        let s = SignerSettings::default();
        // [computed] answers from spec §2.4.
        assert_eq!(
            sign(&canonical, &key, SignType::Md5, s).unwrap(),
            "346f1547fd7142da5bcf6ccaf79837cd"
        );
        assert_eq!(
            sign(&canonical, &key, SignType::HmacSha256, s).unwrap(),
            "b69ced01c311b0e5d18a45627292776e2392ce27de9d5dc6fc0bd32c1c79f643"
        );
    }

    #[test]
    fn numbers_and_numeric_strings_sign_identically() {
        let a = params(r#"{"amount":50000,"t":1595504997,"z":0}"#);
        let b = params(r#"{"amount":"50000","t":"1595504997","z":"0"}"#);
        assert_eq!(a.canonical().unwrap(), b.canonical().unwrap());
        assert_eq!(a.canonical().unwrap(), "amount=50000&t=1595504997&z=0");
        // Exact number text, never through a float.
        let c = params(r#"{"a":100000.10,"b":12345678901234567890123,"c":1e5}"#);
        assert_eq!(
            c.canonical().unwrap(),
            "a=100000.10&b=12345678901234567890123&c=1e5"
        );
    }

    #[test]
    fn drops_null_and_empty_keeps_zero_false_and_arrays() {
        let p = params(
            r#"{"b":null,"a":"","c":0,"d":false,"e":[ "12345" , "67890" ],"f":{"x": 1},"sign":"x","sign_type":"MD5"}"#,
        );
        assert_eq!(
            p.canonical().unwrap(),
            r#"c=0&d=false&e=["12345","67890"]&f={"x":1}"#
        );
    }

    #[test]
    fn byte_order_sort_and_no_url_encoding() {
        let p = params(r#"{"b":"x y/ü","B":"1","_":"2","a1":"3","a":"4"}"#);
        assert_eq!(p.canonical().unwrap(), "B=1&_=2&a=4&a1=3&b=x y/ü");
    }

    #[test]
    fn strings_are_decoded_and_composites_keep_their_escapes() {
        let p = params(r#"{"u":"https:\/\/x\u002fy","l":["a\/b", "c d"]}"#);
        assert_eq!(p.canonical().unwrap(), r#"l=["a\/b","c d"]&u=https://x/y"#);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err =
            FormParams::from_json_object(br#"{"a":1,"b":2,"a":3}"#, 1 << 20, "body").unwrap_err();
        assert_eq!(err.code, ErrorCode::UnexpectedShape);
        assert_eq!(err.field.as_deref(), Some("a"));
    }

    #[test]
    fn ampersand_cannot_forge_a_pair_when_signing() {
        let forged = params(r#"{"a":"1&b=2"}"#);
        let honest = params(r#"{"a":"1","b":"2"}"#);
        // The documented algorithm alone cannot tell them apart...
        assert_eq!(forged.canonical().unwrap(), honest.canonical().unwrap());
        // ...so the signing side refuses the value.
        let err = forged.canonical_for_signing().unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidField);
        assert_eq!(err.field.as_deref(), Some("a"));
        assert!(honest.canonical_for_signing().is_ok());
        // '=' in a value is harmless and allowed (a URL query).
        assert!(
            params(r#"{"u":"https://x/cb?id=1"}"#)
                .canonical_for_signing()
                .is_ok()
        );
        // Keys with '&' or '=' are refused on both sides.
        for body in [r#"{"a&b":"1"}"#, r#"{"a=b":"1"}"#, r#"{"":"1"}"#] {
            assert_eq!(
                params(body).canonical().unwrap_err().code,
                ErrorCode::UnexpectedShape
            );
        }
    }

    #[test]
    fn key_join_styles_and_hex_case() {
        let key = Secret::new(KEY);
        let s = "a=1&b=2";
        let join = |key_join| SignerSettings {
            key_join,
            hex_case: HexCase::Lower,
        };
        let md5_of = |text: &str| hex::encode(Md5::digest(text.as_bytes()));
        assert_eq!(
            sign(s, &key, SignType::Md5, join(KeyJoin::Ampersand)).unwrap(),
            md5_of(&format!("{s}&{KEY}"))
        );
        assert_eq!(
            sign(s, &key, SignType::Md5, join(KeyJoin::Direct)).unwrap(),
            md5_of(&format!("{s}{KEY}"))
        );
        assert_eq!(
            sign(s, &key, SignType::Md5, join(KeyJoin::AmpersandKeyEquals)).unwrap(),
            md5_of(&format!("{s}&key={KEY}"))
        );
        let upper = sign(
            s,
            &key,
            SignType::HmacSha256,
            SignerSettings {
                key_join: KeyJoin::Ampersand,
                hex_case: HexCase::Upper,
            },
        )
        .unwrap();
        assert_eq!(upper, upper.to_ascii_uppercase());
        assert_eq!(upper.len(), 64);
        // HMAC does not append the key, whatever the join style.
        assert_eq!(
            sign(s, &key, SignType::HmacSha256, join(KeyJoin::Direct)).unwrap(),
            upper.to_ascii_lowercase()
        );
    }

    #[test]
    fn verify_is_case_insensitive_and_tries_every_key() {
        let keys = [Secret::new("old"), Secret::new(KEY)];
        let good = "346f1547fd7142da5bcf6ccaf79837cd";
        let check = |sign: &str, keys: &[Secret], sign_type| {
            verify(SEED_CANONICAL, sign, keys, sign_type, KeyJoin::Ampersand)
        };
        assert!(check(good, &keys, SignType::Md5));
        assert!(check(&good.to_ascii_uppercase(), &keys, SignType::Md5));
        assert!(!check(good, &keys, SignType::HmacSha256));
        assert!(!check(&good[..31], &keys, SignType::Md5));
        assert!(!check(good, &keys[..1], SignType::Md5));
        // The seed's own sign does not reproduce with the test key (spec §2.4).
        assert!(!check(
            "8ac38fb87c2bcce4cf36627d4f8aa747",
            &keys,
            SignType::Md5
        ));
    }

    #[test]
    fn sign_type_field() {
        assert_eq!(SignType::from_field(None).unwrap(), SignType::Md5);
        assert_eq!(SignType::from_field(Some("")).unwrap(), SignType::Md5);
        assert_eq!(
            SignType::from_field(Some("hmac-sha256")).unwrap(),
            SignType::HmacSha256
        );
        assert_eq!(
            SignType::from_field(Some("SHA1")).unwrap_err().code,
            ErrorCode::UnsupportedSignatureType
        );
    }

    #[test]
    fn hostile_bodies() {
        let code = |b: &[u8]| {
            FormParams::from_json_object(b, 64, "body")
                .unwrap_err()
                .code
        };
        assert_eq!(code(b""), ErrorCode::BodyEmpty);
        assert_eq!(code(b"<html>"), ErrorCode::NonJsonBody);
        assert_eq!(code(b"{\"a\":"), ErrorCode::InvalidJson);
        assert_eq!(code(b"[1,2]"), ErrorCode::UnexpectedShape);
        assert_eq!(code(&[b' '; 65]), ErrorCode::BodyTooLarge);
        // Deep nesting is refused past the reader's bound (no stack overflow); within it, a
        // composite value signs as its received text.
        let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
        let err = FormParams::from_json_object(deep(100_000).as_bytes(), 1 << 20, "body");
        assert_eq!(err.unwrap_err().code, ErrorCode::InvalidJson);
        let deep_params =
            FormParams::from_json_object(deep(100).as_bytes(), 1 << 20, "body").unwrap();
        assert_eq!(deep_params.canonical().unwrap().len(), "a=".len() + 200);
        // A lone surrogate in a string is refused, not mis-signed.
        let err = FormParams::from_json_object(br#"{"a":"\ud800"}"#, 64, "body").unwrap_err();
        assert!(matches!(
            err.code,
            ErrorCode::UnexpectedShape | ErrorCode::InvalidJson
        ));
    }
}

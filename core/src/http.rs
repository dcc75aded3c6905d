//! Requests and responses as plain data. kirim never opens a socket: the host sends the
//! `HttpRequest` with its own client and hands back an `HttpOutcome`.

use crate::read::{FromJson, Json, Read, Val};
use crate::write::ToJson;
use serde::{Deserialize, Serialize};

#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToJson)]
#[json(as_str)]
pub enum Method {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One header. Order is kept as built; names keep the provider's spelling.
#[kirim_derive::export(ts, python(frozen, eq, get_all, from_py_object, module = "kirim"))]
#[cfg_attr(
    feature = "uniffi",
    uniffi::export(Debug, Eq, Hash),
    derive(uniffi::Record, Hash)
)]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, FromJson, ToJson)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    /// Whether this header's value is a credential (`is_sensitive_header`).
    pub fn is_sensitive(&self) -> bool {
        is_sensitive_header(&self.name)
    }

    /// The value as it may be shown (logs, `Debug`, every binding's repr and toString): the
    /// value itself, or `[redacted]` for a credential header.
    pub fn shown_value(&self) -> &str {
        if self.is_sensitive() {
            REDACTED
        } else {
            &self.value
        }
    }
}

/// What a hidden value shows instead, in every language.
pub const REDACTED: &str = "[redacted]";

/// The words that make a header's value a credential: a name containing any of them, anywhere
/// and in any ASCII case, is hidden (`Authorization`, `X-API-Key`, `X-Paper-Token`, `apikey`,
/// `Set-Cookie`). A rule, not a list of names, because some names are the integrator's choice
/// (Paper.id's `callback_token_header`, which `PaperIdConfig` refuses unless this rule hides
/// it). It errs towards hiding (`Idempotency-Key` is hidden too). The one rule: every binding
/// redacts through the core (`Header::shown_value`, operation `http.redact_headers`), so no
/// language can show a credential another hides.
pub const SENSITIVE_HEADER_WORDS: [&str; 9] = [
    "auth",
    "cookie",
    "credential",
    "key",
    "pass",
    "secret",
    "session",
    "sign",
    "token",
];

/// Whether a header with this name carries a credential (`SENSITIVE_HEADER_WORDS`).
pub fn is_sensitive_header(name: &str) -> bool {
    let name = name.as_bytes();
    SENSITIVE_HEADER_WORDS.iter().any(|word| {
        let word = word.as_bytes();
        // `get`, not `windows`: no panic path in the .wasm.
        (0..=name.len().saturating_sub(word.len())).any(|at| {
            name.get(at..at.saturating_add(word.len()))
                .is_some_and(|part| part.eq_ignore_ascii_case(word))
        })
    })
}

/// The headers as they may be shown: each credential's value replaced by `[redacted]`.
pub fn redacted(headers: &[Header]) -> Vec<Header> {
    headers
        .iter()
        .map(|h| Header::new(h.name.clone(), h.shown_value()))
        .collect()
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.shown_value())
    }
}

/// Finds a header case-insensitively (HTTP header names are case-insensitive).
pub fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// A request to send, exactly: method, full URL, headers in order, body bytes.
#[kirim_derive::export(ts, python(frozen, eq, get_all, new = "from_fields", module = "kirim"))]
#[cfg_attr(
    feature = "uniffi",
    uniffi::export(Debug, Eq, Hash),
    derive(uniffi::Record, Hash)
)]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<Header>,
    #[serde(with = "body_text")]
    #[cfg_attr(feature = "ts", ts(type = "Uint8Array<ArrayBuffer>"))]
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A response the host received, or a callback request it received (status unused).
#[cfg_attr(
    feature = "uniffi",
    uniffi::export(Debug, Eq, Hash),
    derive(uniffi::Record, Hash)
)]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HttpResponse {
    pub status: u16,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub headers: Vec<Header>,
    #[serde(with = "body_text", default)]
    #[cfg_attr(feature = "ts", ts(type = "Uint8Array", optional = nullable))]
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why no usable response arrived. Each of these leaves the outcome of a state-changing call
/// unknown: the provider may have acted on the request.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum TransportFailure {
    /// No response within the host's timeout.
    Timeout,
    /// The connection broke after the request may have been sent.
    ConnectionError,
    /// The connection closed with no bytes of a response.
    EmptyResponse,
}

/// What the host observed after sending a request: a response, or a transport failure.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpOutcome {
    Response(HttpResponse),
    // `Transport` in Kotlin/Swift: a case named like its payload's type would shadow it there.
    #[cfg_attr(feature = "uniffi", uniffi(name = "Transport"))]
    TransportFailure(TransportFailure),
}

// Kotlin/Swift: `request.header(name)` on the records themselves (uniffi methods return owned
// values, so these wrap the borrowing lookups above).
#[cfg(feature = "uniffi")]
#[uniffi::export]
impl HttpRequest {
    /// The first header with this name, compared case-insensitively.
    #[uniffi::method(name = "header")]
    pub fn header_owned(&self, name: &str) -> Option<String> {
        self.header(name).map(str::to_owned)
    }
}

#[cfg(feature = "uniffi")]
#[uniffi::export]
impl HttpResponse {
    /// The first header with this name, compared case-insensitively.
    #[uniffi::method(name = "header")]
    pub fn header_owned(&self, name: &str) -> Option<String> {
        self.header(name).map(str::to_owned)
    }
}

impl From<HttpResponse> for HttpOutcome {
    fn from(response: HttpResponse) -> Self {
        HttpOutcome::Response(response)
    }
}

/// The response the host must send back for a callback it received.
#[kirim_derive::export(ts, python(frozen, eq, get_all, new = "from_fields", module = "kirim"))]
#[cfg_attr(
    feature = "uniffi",
    uniffi::export(Debug, Eq, Hash),
    derive(uniffi::Record, Hash)
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub status: u16,
    pub headers: Vec<Header>,
    #[serde(with = "body_text")]
    #[cfg_attr(feature = "ts", ts(type = "Uint8Array<ArrayBuffer>"))]
    pub body: Vec<u8>,
    /// Whether the provider will deliver the callback again after this answer.
    pub provider_will_retry: bool,
}

impl FromJson for HttpResponse {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        Ok(HttpResponse {
            status: o.req("status")?,
            headers: o.or_default("headers")?,
            body: o.or_else("body", BodyText::default)?.0,
        })
    }
}

// By hand, as its writer: the body through `BodyText` (serde's `with = "body_text"`). Every field
// is required, as serde's derive reads it.
impl FromJson for Acknowledgement {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        Ok(Acknowledgement {
            status: o.req("status")?,
            headers: o.req("headers")?,
            body: o.req::<BodyText>("body")?.0,
            provider_will_retry: o.req("provider_will_retry")?,
        })
    }
}

/// `{"response": {...}}` or `{"transport_failure": "timeout"}` (serde's external tagging).
impl FromJson for HttpOutcome {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        const VARIANTS: &str = "one of `response`, `transport_failure`";
        let o = value.object()?;
        match o.members {
            [(tag, _)] if tag == "response" => Ok(HttpOutcome::Response(o.req("response")?)),
            [(tag, _)] if tag == "transport_failure" => {
                Ok(HttpOutcome::TransportFailure(o.req("transport_failure")?))
            }
            [(tag, _)] => Err(value.mismatch(format!(
                "unknown variant `{}`, expected {VARIANTS}",
                crate::error::sanitize_provider_text(tag)
            ))),
            _ => Err(value.mismatch(format!(
                "expected an object with exactly one key, {VARIANTS}"
            ))),
        }
    }
}

/// A body in the JSON forms, read: UTF-8 text, `{"hex": ...}` or `{"base64": ...}`.
#[derive(Debug, Default)]
pub struct BodyText(pub Vec<u8>);

impl FromJson for BodyText {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        use base64::Engine as _;
        const SHAPE: &str = "a body is a UTF-8 string, {\"hex\": ...} or {\"base64\": ...}";
        if let Json::String(text) = value.node {
            return Ok(BodyText(text.as_bytes().to_vec()));
        }
        let o = value.object().map_err(|_| value.mismatch(SHAPE))?;
        let hex: Option<String> = o.opt("hex")?;
        let base64: Option<String> = o.opt("base64")?;
        let decoded = match (hex, base64) {
            (Some(h), None) => hex::decode(&h).map_err(|e| hex_error(e, &h)),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(&b)
                .map_err(|e| base64_error(e, &b)),
            _ => return Err(value.mismatch(SHAPE)),
        };
        decoded.map(BodyText).map_err(|e| value.mismatch(e))
    }
}

/// hex's own message, without its `{:?}` of the bad character (that would pull char's Debug and
/// its Unicode tables into the .wasm), naming the character itself where hex names one byte of it.
fn hex_error(error: hex::FromHexError, text: &str) -> String {
    match error {
        hex::FromHexError::InvalidHexCharacter { c, index } => {
            // Every byte before `index` is an ASCII hex digit, so `index` starts a character.
            let found = text
                .get(index..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(c);
            format!(
                "invalid hex character {} at byte {index}",
                crate::error::quoted(found.encode_utf8(&mut [0; 4]))
            )
        }
        hex::FromHexError::OddLength => "odd number of hex digits".to_owned(),
        hex::FromHexError::InvalidStringLength => "invalid hex string length".to_owned(),
    }
}

/// base64's error in the same words as `hex_error`, naming the character (base64 prints it as
/// a byte value).
fn base64_error(error: base64::DecodeError, text: &str) -> String {
    use base64::DecodeError;
    match error {
        DecodeError::InvalidByte(index, byte) | DecodeError::InvalidLastSymbol(index, byte) => {
            // Every byte before `index` is base64 ASCII, so `index` starts a character.
            let found = text
                .get(index..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::from(byte));
            format!(
                "invalid base64 character {} at byte {index}",
                crate::error::quoted(found.encode_utf8(&mut [0; 4]))
            )
        }
        DecodeError::InvalidLength(_) => "invalid base64 length".to_owned(),
        DecodeError::InvalidPadding => "invalid base64 padding".to_owned(),
    }
}

/// Bodies in the JSON forms (the shared vectors, the JSON operation interface) are UTF-8 text
/// when they are valid UTF-8, else `{"hex": "..."}`; both are accepted on input, plus
/// `{"base64": "..."}`.
pub mod body_text {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(body: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(body) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("hex", &hex::encode(body))?;
                map.end()
            }
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Text(String),
        Encoded {
            hex: Option<String>,
            base64: Option<String>,
        },
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        match Wire::deserialize(deserializer)? {
            Wire::Text(text) => Ok(text.into_bytes()),
            Wire::Encoded {
                hex: Some(h),
                base64: None,
            } => hex::decode(h).map_err(serde::de::Error::custom),
            Wire::Encoded {
                hex: None,
                base64: Some(b),
            } => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(serde::de::Error::custom),
            Wire::Encoded { .. } => Err(serde::de::Error::custom(
                "a body is a UTF-8 string, {\"hex\": ...} or {\"base64\": ...}",
            )),
        }
    }
}

// ---- rendering ----------------------------------------------------------------------------------

/// A body as the JSON forms carry it: UTF-8 text, else `{"hex": ...}` (as `body_text`).
struct BodyOut<'a>(&'a [u8]);

impl crate::write::ToJson for BodyOut<'_> {
    fn write_json(&self, out: &mut String) {
        match std::str::from_utf8(self.0) {
            Ok(text) => crate::write::write_str(out, text),
            Err(_) => {
                let mut object = crate::write::Object::begin(out);
                object.field("hex", &hex::encode(self.0));
                object.end();
            }
        }
    }
}

// By hand (as `Acknowledgement`): the body is written as text or `{"hex"}` (serde's `with = "body_text"`).
impl crate::write::ToJson for HttpRequest {
    fn write_json(&self, out: &mut String) {
        let mut object = crate::write::Object::begin(out);
        object.field("method", &self.method);
        object.field("url", &self.url);
        object.field("headers", &self.headers);
        object.field("body", &BodyOut(&self.body));
        object.end();
    }
}

// By hand: the body through `BodyOut`, as above.
impl crate::write::ToJson for Acknowledgement {
    fn write_json(&self, out: &mut String) {
        let mut object = crate::write::Object::begin(out);
        object.field("status", &self.status);
        object.field("headers", &self.headers);
        object.field("body", &BodyOut(&self.body));
        object.field("provider_will_retry", &self.provider_will_retry);
        object.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_credentials() {
        let req = HttpRequest {
            method: Method::Post,
            url: "https://x/y".into(),
            headers: vec![
                Header::new("Authorization", "Bearer sentinel-token"),
                Header::new("X-MERCHANT-SECRET", "sentinel-secret"),
                Header::new("X-REQUEST-ID", "abc"),
            ],
            body: b"{}".to_vec(),
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("sentinel"));
        assert!(shown.contains("X-REQUEST-ID: abc"));
    }

    #[test]
    fn a_credential_word_anywhere_in_a_name_hides_its_value() {
        // Paper.id's token header is the integrator's choice: `X-Paper-Token` showed in clear.
        for name in [
            "X-Paper-Token",
            "x-paper-token",
            "ApiKey",
            "X-Signature",
            "Proxy-Authorization",
            "X-Auth",
            "X-Password",
            "client-secret",
            "X-Session-Id",
            "X-Credentials",
            "Set-Cookie",
        ] {
            let header = Header::new(name, "sentinel-value");
            assert!(header.is_sensitive(), "{name}");
            assert_eq!(header.shown_value(), REDACTED, "{name}");
            let response = HttpResponse {
                status: 200,
                headers: vec![header.clone()],
                body: vec![],
            };
            for shown in [
                format!("{header:?}"),
                format!("{response:?}"),
                format!("{:?}", redacted(&response.headers)),
            ] {
                assert!(!shown.contains("sentinel"), "{shown}");
            }
        }
        for name in [
            "Content-Type",
            "Accept",
            "X-Request-Id",
            "X-MERCHANT-ID",
            "client_id",
            "User-Agent",
            "Date",
            "X-Timestamp",
        ] {
            assert!(!Header::new(name, "v").is_sensitive(), "{name}");
        }
    }

    #[test]
    fn bodies_round_trip_through_json() {
        let resp = HttpResponse {
            status: 200,
            headers: vec![],
            body: vec![0xff, 0x00, b'a'],
        };
        let json = serde_json::to_string(&resp).unwrap();
        assert!(json.contains(r#""body":{"hex":"ff0061"}"#));
        let back: HttpResponse = serde_json::from_str(&json).unwrap();
        assert_eq!(back, resp);
        let b64: HttpResponse =
            serde_json::from_str(r#"{"status":1,"body":{"base64":"/wBh"}}"#).unwrap();
        assert_eq!(b64.body, vec![0xff, 0x00, b'a']);
    }

    #[test]
    fn bad_hex_bodies_say_what_is_wrong() {
        let message =
            |text: &str| match crate::json::parse_argument::<BodyText>(text.as_bytes(), "body") {
                Ok(body) => unreachable!("{text} read as {:?}", body.0),
                Err(e) => (e.field.clone(), e.message.clone()),
            };
        let (field, bad_char) = message(r#"{"hex":"0g"}"#);
        assert_eq!(field.as_deref(), Some("body"));
        assert!(
            bad_char.contains(r#"invalid hex character "g" at byte 1"#),
            "{bad_char}"
        );
        let (_, odd) = message(r#"{"hex":"abc"}"#);
        assert!(odd.contains("odd number of hex digits"), "{odd}");
        let (_, base64) = message(r#"{"base64":"/w!h"}"#);
        assert!(
            base64.contains(r#"invalid base64 character "!" at byte 2"#),
            "{base64}"
        );
        let (_, padding) = message(r#"{"base64":"/wB"}"#);
        assert!(padding.contains("invalid base64"), "{padding}");
        let (_, bidi) = message(r#"{"hex":"\u202e0"}"#);
        assert!(bidi.contains(r#""\u{202e}""#), "{bidi}");
    }
}

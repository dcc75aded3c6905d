//! Requests and responses as plain data, with bodies as raw bytes (`ByteArray` / `Data`).
//!
//! `Header` is an object rather than a record so that no rendering of a request (a Kotlin data
//! class's `toString`, a Swift `dump`, a reflection-based JSON logger) can show a credential
//! header's value: it renders through the core's `Debug`, which redacts `Authorization`,
//! `X-MERCHANT-SECRET`, `X-API-Key` and the like. The records holding headers are thin mirrors
//! of the core's, converted field by field.

use kirim::http::{Method, TransportFailure};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// One HTTP header. Its rendering hides the value of credential headers.
#[derive(uniffi::Object, PartialEq, Eq)]
#[uniffi::export(Debug, Display, Eq, Hash)]
pub struct Header(kirim::Header);

impl Hash for Header {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
        self.0.value.hash(state);
    }
}

#[uniffi::export]
impl Header {
    /// A header with this name and value.
    #[uniffi::constructor]
    pub fn new(name: String, value: String) -> Self {
        Header(kirim::Header::new(name, value))
    }

    /// The name, with the provider's spelling.
    pub fn name(&self) -> String {
        self.0.name.clone()
    }

    /// The value (for credential headers, a secret: never log it).
    pub fn value(&self) -> String {
        self.0.value.clone()
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

fn headers_out(headers: Vec<kirim::Header>) -> Vec<Arc<Header>> {
    headers.into_iter().map(|h| Arc::new(Header(h))).collect()
}

fn headers_in(headers: &[Arc<Header>]) -> Vec<kirim::Header> {
    headers.iter().map(|h| h.0.clone()).collect()
}

fn find(headers: &[Arc<Header>], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.0.name.eq_ignore_ascii_case(name))
        .map(|h| h.0.value.clone())
}

/// A request to send exactly as given: method, full URL, headers in order, body bytes.
#[derive(Clone, PartialEq, Eq, Hash, uniffi::Record)]
#[uniffi::export(Debug, Eq, Hash)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// The headers, in order.
    pub headers: Vec<Arc<Header>>,
    /// The body bytes (empty for GET).
    pub body: Vec<u8>,
}

#[uniffi::export]
impl HttpRequest {
    /// The first header with this name, compared case-insensitively.
    pub fn header(&self, name: String) -> Option<String> {
        find(&self.headers, &name)
    }
}

impl From<kirim::HttpRequest> for HttpRequest {
    fn from(request: kirim::HttpRequest) -> Self {
        HttpRequest {
            method: request.method,
            url: request.url,
            headers: headers_out(request.headers),
            body: request.body,
        }
    }
}

/// A response the host received, or a callback request it received (status unused then).
#[derive(Clone, PartialEq, Eq, Hash, uniffi::Record)]
#[uniffi::export(Debug, Eq, Hash)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The headers as received.
    #[uniffi(default = [])]
    pub headers: Vec<Arc<Header>>,
    /// The raw body bytes, exactly as received (never a parsed or re-encoded body).
    pub body: Vec<u8>,
}

#[uniffi::export]
impl HttpResponse {
    /// The first header with this name, compared case-insensitively.
    pub fn header(&self, name: String) -> Option<String> {
        find(&self.headers, &name)
    }
}

impl From<&HttpResponse> for kirim::HttpResponse {
    fn from(response: &HttpResponse) -> Self {
        kirim::HttpResponse {
            status: response.status,
            headers: headers_in(&response.headers),
            body: response.body.clone(),
        }
    }
}

/// What the host observed after sending a request: a response, or a transport failure.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum HttpOutcome {
    /// A response arrived (whatever its status).
    Response {
        /// The response.
        response: HttpResponse,
    },
    /// No usable response: the outcome of a state-changing call is unknown.
    Transport {
        /// What happened.
        failure: TransportFailure,
    },
}

impl From<&HttpOutcome> for kirim::HttpOutcome {
    fn from(outcome: &HttpOutcome) -> Self {
        match outcome {
            HttpOutcome::Response { response } => kirim::HttpOutcome::Response(response.into()),
            HttpOutcome::Transport { failure } => kirim::HttpOutcome::TransportFailure(*failure),
        }
    }
}

/// The response the host must send back for a callback it received.
#[derive(Clone, PartialEq, Eq, Hash, uniffi::Record)]
#[uniffi::export(Debug, Eq, Hash)]
pub struct Acknowledgement {
    /// The HTTP status to answer with.
    pub status: u16,
    /// The headers to answer with.
    pub headers: Vec<Arc<Header>>,
    /// The body bytes to answer with.
    pub body: Vec<u8>,
    /// Whether the provider will deliver the callback again after this answer.
    pub provider_will_retry: bool,
}

impl From<kirim::Acknowledgement> for Acknowledgement {
    fn from(ack: kirim::Acknowledgement) -> Self {
        Acknowledgement {
            status: ack.status,
            headers: headers_out(ack.headers),
            body: ack.body,
            provider_will_retry: ack.provider_will_retry,
        }
    }
}

// Renderings show the body's length, never its bytes (a token response or a signed body would
// otherwise print), and headers through their redacting `Debug`.

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl fmt::Debug for Acknowledgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acknowledgement")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .field("provider_will_retry", &self.provider_will_retry)
            .finish()
    }
}

pub(crate) fn core_headers(headers: &[Arc<Header>]) -> Vec<kirim::Header> {
    headers_in(headers)
}

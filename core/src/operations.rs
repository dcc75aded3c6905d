//! The JSON operation interface: every operation of the typed API by name, with JSON input and
//! output. The shared vectors drive it from every language, so the four bindings run the very
//! same rules; hosts that already speak JSON may use it directly.
//!
//! Input is one JSON object; `config` holds the provider configuration; bodies are UTF-8 text
//! or `{"hex": ...}` / `{"base64": ...}`. Output is the serde JSON form of the typed result.

use crate::error::{Error, ErrorCode, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The input object of one operation.
#[derive(Debug)]
pub struct Input(Map<String, Value>);

impl Input {
    /// A required argument.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        let value = self.0.get(name).cloned().unwrap_or(Value::Null);
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                name.to_owned()
            } else {
                format!("{name}.{path}")
            };
            Error::field(
                ErrorCode::UnexpectedShape,
                field.clone(),
                format!(
                    "argument {field}: {}",
                    crate::error::sanitize_provider_text(&e.into_inner().to_string())
                ),
            )
        })
    }

    /// An optional argument with a default.
    pub fn get_or<T: DeserializeOwned>(&self, name: &str, default: T) -> Result<T> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(_) => self.get(name),
        }
    }

    /// A body argument: text, `{"hex": ...}` or `{"base64": ...}`.
    pub fn body(&self, name: &str) -> Result<Vec<u8>> {
        #[derive(serde::Deserialize)]
        struct Wrapper(#[serde(with = "crate::http::body_text")] Vec<u8>);
        self.get::<Wrapper>(name).map(|w| w.0)
    }
}

/// Serializes a result into the output JSON.
pub fn output<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| {
        Error::new(
            ErrorCode::UnexpectedShape,
            format!("could not render the result: {e}"),
        )
    })
}

pub(crate) fn unknown(operation: &str) -> Error {
    Error::field(
        ErrorCode::UnknownOperation,
        "operation",
        format!(
            "unknown operation {:?}",
            crate::error::sanitize_provider_text(operation)
        ),
    )
}

/// Runs `operation` (e.g. `"pivot.create_payout_request"`) on a JSON input object.
pub fn run(operation: &str, input: Value) -> Result<Value> {
    let Value::Object(map) = input else {
        return Err(Error::new(
            ErrorCode::UnexpectedShape,
            "the operation input must be a JSON object",
        ));
    };
    let input = Input(map);
    let (namespace, name) = operation
        .split_once('.')
        .ok_or_else(|| unknown(operation))?;
    match namespace {
        "money" | "status" | "idempotency" => crate::model_operations::run(namespace, name, &input),
        provider => {
            crate::providers::run(provider, name, &input).unwrap_or_else(|| Err(unknown(operation)))
        }
    }
}

/// `run` with JSON text in and out, for the bindings.
pub fn run_json(operation: &str, input: &str) -> Result<String> {
    let value: Value = crate::json::parse_body(input.as_bytes(), usize::MAX, "operation input")?;
    let out = run(operation, value)?;
    serde_json::to_string(&out).map_err(|e| Error::new(ErrorCode::UnexpectedShape, e.to_string()))
}

//! The JSON operation interface: every operation of the typed API by name, with JSON input and
//! output. The shared vectors drive it from every language, so the four bindings run the very
//! same rules; hosts that already speak JSON may use it directly.
//!
//! Input is one JSON object; `config` holds the provider configuration; bodies are UTF-8 text
//! or `{"hex": ...}` / `{"base64": ...}`. Output is the JSON form of the typed result, as the
//! types' serde derives write it (rendered by `crate::write`, checked against serde in tests).

use crate::error::{Error, ErrorCode, Result};
use crate::read::{FromJson, Json};
use serde::Serialize;
use std::borrow::Cow;

/// The input object of one operation: each argument parsed once into kirim's JSON tree and
/// read as a type only when the operation asks for it.
#[derive(Debug)]
pub struct Input<'a> {
    arguments: Vec<(Cow<'a, str>, Json<'a>)>,
    /// The `body` argument as raw bytes, when the host passed it beside the JSON (`with_body`).
    body: Option<&'a [u8]>,
}

impl<'a> Input<'a> {
    /// Reads the operation input (a JSON object; a repeated argument name is refused).
    pub fn parse(text: &'a str) -> Result<Self> {
        let what = "operation input";
        let tree = crate::json::parse_tree(text.as_bytes(), usize::MAX, what)?;
        let Json::Object(arguments, _) = tree else {
            return Err(Error::new(
                ErrorCode::UnexpectedShape,
                format!("{what} has an unexpected shape at the top level: expected an object"),
            ));
        };
        let names = crate::read::member_names(&arguments);
        if let Some(name) = crate::validate::first_repeat(&names) {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                crate::error::sanitize_provider_text(name),
                format!(
                    "{what} has an unexpected shape: duplicate argument `{}`",
                    crate::error::sanitize_provider_text(name)
                ),
            ));
        }
        Ok(Input {
            arguments,
            body: None,
        })
    }

    /// The input with its `body` argument given as raw bytes instead of inside the JSON, so that
    /// a binding holding the bytes skips writing them as JSON text and the core reading them
    /// back (the WebAssembly package does this for callbacks). A `body` in the JSON as well is
    /// refused as a repeated argument.
    pub fn with_body(self, body: &'a [u8]) -> Result<Self> {
        if self.arg("body").is_some() {
            return Err(Error::field(
                ErrorCode::UnexpectedShape,
                "body",
                "operation input has an unexpected shape: duplicate argument `body`",
            ));
        }
        Ok(Input {
            body: Some(body),
            ..self
        })
    }

    /// An argument as parsed, if present.
    pub fn arg(&self, name: &str) -> Option<&Json<'a>> {
        self.arguments
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// A required argument (an absent one reads as `null`, so `Option` arguments may be left out).
    pub fn get<T: FromJson>(&self, name: &str) -> Result<T> {
        crate::json::read_argument(self.arg(name).unwrap_or(&Json::Null), name)
    }

    /// An optional argument with a default.
    pub fn get_or<T: FromJson>(&self, name: &str, default: T) -> Result<T> {
        match self.arg(name) {
            None | Some(Json::Null) => Ok(default),
            Some(_) => self.get(name),
        }
    }

    /// A body argument: text, `{"hex": ...}` or `{"base64": ...}`.
    pub fn body(&self, name: &str) -> Result<Vec<u8>> {
        if let (Some(body), "body") = (self.body, name) {
            return Ok(body.to_vec());
        }
        self.get::<crate::http::BodyText>(name).map(|b| b.0)
    }
}

/// Serializes a result into the output JSON text.
pub fn output<T: crate::write::ToJson + Serialize + ?Sized>(value: &T) -> Result<String> {
    crate::json::to_json(value, "the result")
}

pub(crate) fn unknown(operation: &str) -> Error {
    Error::field(
        ErrorCode::UnknownOperation,
        "operation",
        format!("unknown operation {}", crate::error::quoted(operation)),
    )
}

/// Runs `operation` (e.g. `"pivot.create_payout_request"`) on a JSON input object given as text,
/// returning the result as JSON text. This is what every binding calls.
pub fn run_json(operation: &str, input: &str) -> Result<String> {
    let input = Input::parse(input)?;
    let (namespace, name) = operation
        .split_once('.')
        .ok_or_else(|| unknown(operation))?;
    match namespace {
        "money" | "status" | "idempotency" | "http" => {
            crate::model_operations::run(namespace, name, &input)
        }
        #[cfg(feature = "testkit")]
        "lifecycle" => crate::lifecycle::scenario::run(name, &input),
        provider => {
            crate::providers::run(provider, name, &input).unwrap_or_else(|| Err(unknown(operation)))
        }
    }
}

/// `run_json` for callers holding a `serde_json::Value` (the Rust vector runner, tests).
pub fn run(operation: &str, input: serde_json::Value) -> Result<serde_json::Value> {
    let text = input.to_string();
    let out = run_json(operation, &text)?;
    serde_json::from_str(&out).map_err(|e| Error::new(ErrorCode::UnexpectedShape, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_argument_is_refused_by_name() {
        let err = run_json(
            "money.parse",
            r#"{"value":"1","currency":"IDR","value":"2"}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::UnexpectedShape);
        assert_eq!(err.field.as_deref(), Some("value"));
        // Many distinct arguments are fine (and checked with a set, not pairwise).
        let many: Vec<String> = (0..20_000).map(|i| format!("\"x{i}\":0")).collect();
        let text = format!(r#"{{"value":"1","currency":"IDR",{}}}"#, many.join(","));
        assert!(run_json("money.parse", &text).is_ok());
    }
}

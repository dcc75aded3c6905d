//! The JSON operation interface: every operation of the typed API by name, with JSON input and
//! output. The shared vectors drive it from every language, so the four bindings run the very
//! same rules; hosts that already speak JSON may use it directly.
//!
//! Input is one JSON object; `config` holds the provider configuration; bodies are UTF-8 text
//! or `{"hex": ...}` / `{"base64": ...}`. Output is the serde JSON form of the typed result.

use crate::error::{Error, ErrorCode, Result};
use serde::Serialize;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// The input object of one operation: each argument kept as its JSON text, read only when the
/// operation asks for it, with the same deserializer as provider bodies (one compiled copy per
/// type).
#[derive(Debug)]
pub struct Input<'a>(Vec<(String, &'a RawValue)>);

impl<'a> Input<'a> {
    /// Reads the operation input (a JSON object; a repeated argument name is refused).
    pub fn parse(text: &'a str) -> Result<Self> {
        crate::json::parse_body(text.as_bytes(), usize::MAX, "operation input")
    }

    /// The JSON text of an argument, if present.
    pub fn raw(&self, name: &str) -> Option<&'a RawValue> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, raw)| *raw)
    }

    /// A required argument (an absent one reads as `null`, so `Option` arguments may be left out).
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        let text = self.raw(name).map_or("null", RawValue::get);
        crate::json::parse_argument(text.as_bytes(), name)
    }

    /// An optional argument with a default.
    pub fn get_or<T: DeserializeOwned>(&self, name: &str, default: T) -> Result<T> {
        match self.raw(name) {
            None => Ok(default),
            Some(raw) if raw.get() == "null" => Ok(default),
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

impl<'de: 'a, 'a> serde::Deserialize<'de> for Input<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Arguments<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Arguments<'a> {
            type Value = Input<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the operation input, a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Input<'a>, A::Error> {
                let mut arguments: Vec<(String, &'a RawValue)> = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, &'de RawValue>()? {
                    if arguments.iter().any(|(seen, _)| *seen == name) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate argument `{name}`"
                        )));
                    }
                    arguments.push((name, value));
                }
                Ok(Input(arguments))
            }
        }
        deserializer.deserialize_map(Arguments(std::marker::PhantomData))
    }
}

/// Serializes a result into the output JSON text.
pub fn output<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| {
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

/// Runs `operation` (e.g. `"pivot.create_payout_request"`) on a JSON input object given as text,
/// returning the result as JSON text. This is what every binding calls.
pub fn run_json(operation: &str, input: &str) -> Result<String> {
    let input = Input::parse(input)?;
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

/// `run_json` for callers holding a `serde_json::Value` (the Rust vector runner, tests).
pub fn run(operation: &str, input: serde_json::Value) -> Result<serde_json::Value> {
    let text = output(&input)?;
    let out = run_json(operation, &text)?;
    serde_json::from_str(&out).map_err(|e| Error::new(ErrorCode::UnexpectedShape, e.to_string()))
}

//! Python (feature `python`): what every provider's native class (`<provider>/python.rs`)
//! shares: conversions at the boundary of the wheel's module `kirim._native` (a core error raised
//! as its `kirim.KirimError` subclass, JSON arguments read by the core, headers, acknowledgements,
//! handled callbacks), the `native_shell!` class shape, and the registration of every provider's
//! class from `for_each_provider!`. Every rule stays in the core.

use crate::http::{Acknowledgement, Header, HttpOutcome, HttpRequest};
use crate::secret::Secret;
use pyo3::prelude::*;

/// A core result, its error raised as the `kirim.KirimError` subclass for its code.
pub fn core<T>(py: Python<'_>, result: crate::Result<T>) -> PyResult<T> {
    crate::python::py_result(py, result)
}

/// Parses a JSON argument into a core type; a bad shape is the core's `unexpected_shape` error
/// naming the argument and the path in it (`payouts[0].amount`).
pub fn arg<T: crate::read::FromJson>(py: Python<'_>, json: &str, what: &str) -> PyResult<T> {
    core(py, crate::json::parse_argument(json.as_bytes(), what))
}

/// Renders a core value as its JSON form, with the core's writer.
pub fn out<T: crate::write::ToJson + ?Sized>(value: &T) -> PyResult<String> {
    Ok(crate::write::to_string(value))
}

/// A provider's answer (`outcome_json`, the core's `HttpOutcome` JSON form) read by `parse`.
pub fn read_outcome<T>(
    py: Python<'_>,
    outcome_json: &str,
    parse: impl FnOnce(&HttpOutcome) -> crate::Result<T>,
) -> PyResult<T> {
    let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
    core(py, parse(&outcome))
}

/// `read_outcome`, the result in its JSON form.
pub fn parse_outcome<T: crate::write::ToJson>(
    py: Python<'_>,
    outcome_json: &str,
    parse: impl FnOnce(&HttpOutcome) -> crate::Result<T>,
) -> PyResult<String> {
    out(&read_outcome(py, outcome_json, parse)?)
}

/// The request a provider would send to the host's webhook (a `test_*` method), keyed or signed
/// with `key`, to `url` or, when it is left out, the core's `DEFAULT_TEST_CALLBACK_URL`.
pub fn test_request(
    py: Python<'_>,
    key: &Bound<'_, pyo3::types::PyString>,
    field: &str,
    url: Option<&str>,
    build: impl FnOnce(&Secret, &str) -> crate::Result<HttpRequest>,
) -> PyResult<HttpRequest> {
    let key = Secret::new(text(py, key, field)?);
    let url = url.unwrap_or(crate::providers::common::DEFAULT_TEST_CALLBACK_URL);
    core(py, build(&key, url))
}

/// A `str` argument as UTF-8 text. A `str` that is not Unicode (a lone surrogate: how
/// `os.environ` holds an undecodable byte) is the core's `invalid_field` naming `field`, never
/// pyo3's `UnicodeEncodeError`, whose args carry the whole text (a key, a token) to every `repr`,
/// pickle or stored exception.
pub fn text<'a>(
    py: Python<'_>,
    value: &'a Bound<'_, pyo3::types::PyString>,
    field: &str,
) -> PyResult<std::borrow::Cow<'a, str>> {
    value.to_cow().map_err(|_| {
        let error = crate::Error::field(
            crate::error::ErrorCode::InvalidField,
            field,
            format!(
                "{field} is not Unicode text (it holds a lone surrogate, as os.environ keeps an \
                 undecodable byte): decode it properly"
            ),
        );
        crate::python::py_err(py, &error)
    })
}

/// Headers as the host has them: `(name, value)` pairs of `str` read here directly (the common
/// case, and the fast one); any other form (a mapping such as `request.headers`, `Header`
/// objects, bytes pairs) through `kirim.http.headers_of`, the one reading of them.
pub fn headers(headers: &Bound<'_, PyAny>) -> PyResult<Vec<Header>> {
    if let Ok(pairs) = headers.extract::<Vec<(String, String)>>() {
        return Ok(pairs
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect());
    }
    let read = headers
        .py()
        .import("kirim.http")?
        .getattr("headers_of")?
        .call1((headers,))?;
    read.extract()
}

/// The acknowledgement for `error_json` (`None`: verified and parsed).
pub fn acknowledge(
    py: Python<'_>,
    error_json: Option<&str>,
    answer: impl FnOnce(Result<(), &crate::Error>) -> Acknowledgement,
) -> PyResult<Acknowledgement> {
    let error: Option<crate::Error> = match error_json {
        Some(json) => Some(arg(py, json, "error")?),
        None => None,
    };
    Ok(answer(error.as_ref().map_or(Ok(()), Err)))
}

/// A handled callback as `(result | None, error_json | None, acknowledgement)`.
pub type Handled<T> = (Option<T>, Option<String>, Acknowledgement);

/// The core's `Handled`: the result and the acknowledgement as native objects, the error in its
/// JSON form. Conversion only (the core verified and chose the acknowledgement).
pub fn handled<T>(handled: crate::providers::common::Handled<T>) -> PyResult<Handled<T>> {
    let ack = handled.acknowledgement;
    match handled.result {
        Ok(value) => Ok((Some(value), None, ack)),
        Err(error) => Ok((None, Some(out(&error)?), ack)),
    }
}

/// A unit enum (a status, a sign type) from its name; an unknown name is the core's
/// `unexpected_shape` error, as the JSON operation interface reports it.
pub fn enum_arg<T: crate::read::FromJson>(py: Python<'_>, name: &str, field: &str) -> PyResult<T> {
    let text = crate::read::Json::String(std::borrow::Cow::Borrowed(name));
    core(py, crate::json::read_argument(&text, field))
}

/// The fields of a core configuration type, in declaration order, as its `Deserialize` declares
/// them: the Python tests check that the Python configuration classes carry every one.
pub fn declared_fields<'de, T: serde::Deserialize<'de>>() -> Vec<&'static str> {
    struct Fields(Vec<&'static str>);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("fields read")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    impl<'de> serde::Deserializer<'de> for &mut Fields {
        type Error = Stop;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0.extend_from_slice(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut fields = Fields(Vec::new());
    let _ = T::deserialize(&mut fields);
    fields.0
}

/// A provider's protocol shell, built once from its configuration (`config_json`: the core's
/// JSON form of `$config`, checked by the core): its constructor, its configuration as the
/// core's `Debug` shows it (secrets redacted; the Python tests compare it with the core's
/// defaults), the acknowledgement of a callback (`error_json`: `None` when it was verified and
/// read, else the error's JSON form), the shell's readers of a raw body alone (`reads_body`:
/// each method's name and result, the core's error raised), and the shell's own methods.
macro_rules! native_shell {
    (
        $(#[$doc:meta])*
        $shell:ident($core:ty, $config:ty), acknowledgement $ack:ident,
        reads_body [$($reader:ident -> $read:ty),* $(,)?] {
            $($own:tt)*
        }
    ) => {
        $(#[$doc])*
        #[pyo3::pyclass(frozen, module = "kirim._native")]
        struct $shell {
            inner: $core,
        }

        #[pyo3::pymethods]
        impl $shell {
            #[new]
            fn new(py: pyo3::Python<'_>, config_json: &str) -> pyo3::PyResult<Self> {
                let config: $config = $crate::python_shell::arg(py, config_json, "config")?;
                Ok($shell {
                    inner: $crate::python_shell::core(py, <$core>::new(config))?,
                })
            }

            fn config_debug(&self) -> String {
                format!("{:?}", self.inner.config())
            }

            #[pyo3(signature = (error_json=None))]
            fn $ack(
                &self,
                py: pyo3::Python<'_>,
                error_json: Option<&str>,
            ) -> pyo3::PyResult<$crate::http::Acknowledgement> {
                $crate::python_shell::acknowledge(py, error_json, |result| self.inner.$ack(result))
            }

            $(
                fn $reader(
                    &self,
                    py: pyo3::Python<'_>,
                    body: &pyo3::Bound<'_, pyo3::types::PyBytes>,
                ) -> pyo3::PyResult<$read> {
                    $crate::python_shell::core(py, self.inner.$reader(body.as_bytes()))
                }
            )*

            $($own)*
        }
    };
}
pub(crate) use native_shell;

/// A provider configured once (`providers::Configured`), run through the JSON operation
/// interface: what the generated Python classes (`kirim/<provider>.py`, written from each
/// provider's `js.rs` table) hold, so a provider needs no native class of its own. Its
/// configuration is read and checked once, here; `repr` shows only the provider's name.
#[pyclass(frozen, module = "kirim._native")]
#[derive(Debug)]
pub struct ConfiguredProvider {
    name: String,
    inner: crate::providers::Configured,
}

#[pymethods]
impl ConfiguredProvider {
    #[new]
    fn new(py: Python<'_>, provider: &str, config_json: &str) -> PyResult<Self> {
        Ok(ConfiguredProvider {
            name: provider.to_owned(),
            inner: core(py, crate::providers::Configured::new(provider, config_json))?,
        })
    }

    /// One operation of this provider (`verify_callback`) on a JSON input without `config`.
    fn run(&self, py: Python<'_>, operation: &str, input_json: &str) -> PyResult<String> {
        core(py, self.inner.run_json(operation, input_json))
    }

    /// `run` with the `body` argument as its raw bytes (a callback's), not inside the JSON.
    fn run_with_body(
        &self,
        py: Python<'_>,
        operation: &str,
        input_json: &str,
        body: &Bound<'_, pyo3::types::PyBytes>,
    ) -> PyResult<String> {
        core(
            py,
            self.inner
                .run_json_with_body(operation, input_json, body.as_bytes()),
        )
    }

    /// The configuration as the core's `Debug` shows it (secrets redacted).
    fn config_debug(&self) -> String {
        self.inner.config_debug()
    }

    fn __repr__(&self) -> String {
        format!("ConfiguredProvider({:?})", self.name)
    }
}

/// Adds every registered provider's class (and its constants) to the module.
pub fn add_providers(m: &Bound<'_, PyModule>) -> PyResult<()> {
    macro_rules! add {
        ($($name:literal => $variant:ident($module:ident::$shell:ident) $field:ident: $doc:literal,)*) => {
            $(crate::providers::$module::python::register(m)?;)*
        };
    }
    crate::for_each_provider!(add);
    Ok(())
}

/// A provider's configuration (by its Python name: `pivot`, `gateway`, `paper_id`): its declared
/// fields, and its defaults as the core's `Debug` shows them (secrets redacted), for the tests
/// that keep the Python configuration classes complete.
pub fn core_config(provider: &str) -> Option<(Vec<&'static str>, String)> {
    macro_rules! find {
        ($($name:literal => $variant:ident($module:ident::$shell:ident) $field:ident: $doc:literal,)*) => {
            match provider {
                $(stringify!($field) => Some(crate::providers::$module::python::core_config()),)*
                _ => None,
            }
        };
    }
    crate::for_each_provider!(find)
}

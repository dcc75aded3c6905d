//! The model as Python objects (feature `python`, enabled only by the wheel, bindings-python).
//!
//! The types are declared once, in the core: `#[cfg_attr(feature = "python", pyo3::pyclass(..))]`
//! on `Money`, `PayoutEvent`, `PayoutTotals`, `Warning` (Python `FieldWarning`), `Header` and
//! `HttpRequest` makes them native classes of the `kirim` package, so the wheel returns core
//! values as they are (no JSON text, no Python-side rebuilding). What is here is conversion and
//! Python idiom only (constructors, `repr`, `Decimal`); every rule calls the core.
//!
//! The string enums (statuses, providers, currencies, methods) become the members of the
//! `kirim` package's `enum.Enum` classes, so `event.status is PayoutStatus.SUCCEEDED` holds:
//! a native enum would make a new object per read, and an `is` comparison, the Python idiom for
//! enums, would then be silently false.

use crate::error::Error;
use crate::event::{Authenticity, PayoutEvent, PayoutTotals, Provider, Warning};
use crate::http::{Acknowledgement, Header, HttpRequest, Method};
use crate::money::{Currency, Money};
use crate::providers::common::TestCallbackEvent;
use crate::providers::gateway::{QueryResult, WithdrawOrderInput, WithdrawOrderState};
use crate::providers::pivot::{
    BatchStatus, PayoutBatch, PayoutDestination, PayoutItemInput, PayoutItemState,
};
use crate::status::{
    Confirmation, Failure, FailureReason, NextAction, PayoutStatus, ReconciliationReason,
    RetryAdvice,
};
use pyo3::Borrowed;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyTuple};

/// A core error as the `kirim.KirimError` subclass for its code, built by
/// `kirim._errors._from_native` from the error's JSON form, so that no field is lost.
pub fn py_err(py: Python<'_>, error: &Error) -> PyErr {
    // Looked up on every error (not cached), so that a test can watch what crosses.
    let json = crate::write::to_string(error);
    let raised = py
        .import("kirim._errors")
        .and_then(|module| module.getattr("_from_native"))
        .and_then(|factory| factory.call1((json,)));
    match raised {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

/// A core result with its error raised as the matching `kirim.KirimError`.
pub fn py_result<T>(py: Python<'_>, result: crate::Result<T>) -> PyResult<T> {
    result.map_err(|e| py_err(py, &e))
}

/// The `kirim.<class>` member whose value is `wire` (its JSON name).
fn member<'py>(
    py: Python<'py>,
    members: &PyOnceLock<Py<PyDict>>,
    class: &str,
    wire: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let members = members.get_or_try_init(py, || {
        // `pivot.BatchStatus`: a class of a submodule of `kirim`.
        let (module, name) = match class.rsplit_once('.') {
            Some((module, name)) => (format!("kirim.{module}"), name),
            None => ("kirim".to_owned(), class),
        };
        py.import(module.as_str())?
            .getattr(name)?
            .getattr("_value2member_map_")?
            .cast_into::<PyDict>()
            .map(Bound::unbind)
            .map_err(PyErr::from)
    })?;
    members
        .bind(py)
        .get_item(wire)?
        .ok_or_else(|| PyTypeError::new_err(format!("kirim.{class} has no member {wire:?}")))
}

/// A unit enum's JSON name (`"succeeded"`), as the core writes it.
fn wire_name<T: crate::write::ToJson>(value: &T) -> String {
    crate::write::to_string(value).trim_matches('"').to_owned()
}

/// A unit enum from its JSON name (a `str`, or a member of the `kirim` enum, which is one);
/// an unknown name is the core's `unexpected_shape` error naming `field`.
fn from_wire_name<T: serde::de::DeserializeOwned>(
    obj: Borrowed<'_, '_, PyAny>,
    field: &str,
) -> PyResult<T> {
    let text: String = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{field} is a str")))?;
    let name = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&text);
    T::deserialize(name).map_err(|_| {
        let error = Error::field(
            crate::error::ErrorCode::UnexpectedShape,
            field,
            format!(
                "{field} {} is not a known value",
                crate::error::quoted(&text)
            ),
        );
        py_err(obj.py(), &error)
    })
}

macro_rules! python_enum {
    ($($ty:ty => $class:literal, $field:literal;)*) => {$(
        impl<'py> IntoPyObject<'py> for $ty {
            type Target = PyAny;
            type Output = Bound<'py, PyAny>;
            type Error = PyErr;
            fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                static MEMBERS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
                member(py, &MEMBERS, $class, &wire_name(&self))
            }
        }
        impl<'py> IntoPyObject<'py> for &$ty {
            type Target = PyAny;
            type Output = Bound<'py, PyAny>;
            type Error = PyErr;
            fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                (*self).into_pyobject(py)
            }
        }
        impl<'a, 'py> FromPyObject<'a, 'py> for $ty {
            type Error = PyErr;
            fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
                from_wire_name(obj, $field)
            }
        }
    )*};
}

python_enum! {
    PayoutStatus => "PayoutStatus", "status";
    Confirmation => "Confirmation", "confirmation";
    Provider => "Provider", "provider";
    Authenticity => "Authenticity", "authenticity";
    Currency => "Currency", "currency";
    Method => "Method", "method";
    FailureReason => "FailureReason", "reason";
    ReconciliationReason => "ReconciliationReason", "reason";
    BatchStatus => "pivot.BatchStatus", "batch_status";
}

/// An integer argument of a native call (Unix seconds, a count, a revision). A Python `bool`
/// is an `int` subclass, and pyo3 would read `True` as 1: it is refused (a `TypeError`, the
/// argument named), as the JSON interface refuses `true` where a number is expected, so
/// `now=True` is never 1970 and `revision=True` never a new idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int<T>(pub T);

impl<'a, 'py, T> FromPyObject<'a, 'py> for Int<T>
where
    T: FromPyObject<'a, 'py>,
    T::Error: Into<PyErr>,
{
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<pyo3::types::PyBool>() {
            return Err(PyTypeError::new_err("an int, not a bool"));
        }
        obj.extract::<T>().map(Int).map_err(Into::into)
    }
}

fn reject_float(value: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    if value.is_instance_of::<pyo3::types::PyFloat>() {
        return Err(PyTypeError::new_err(format!(
            "{what} is a float; money is never a float in kirim: pass rupiah as a \
             decimal.Decimal or a decimal string, or Money.from_minor_units(int sen)"
        )));
    }
    Ok(())
}

fn decimal_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}

fn currency_arg(py: Python<'_>, currency: Option<&Bound<'_, PyAny>>) -> PyResult<Currency> {
    match currency {
        None => Ok(Currency::Idr),
        Some(code) => {
            let code: String = code.extract().map_err(|_| {
                PyTypeError::new_err(
                    "currency is a kirim.Currency or an ISO 4217 code such as 'IDR'",
                )
            })?;
            py_result(py, Currency::parse(&code, "currency"))
        }
    }
}

/// An exact amount: integer minor units (sen for IDR) and a currency. Never a float.
#[pymethods]
impl Money {
    /// `Money(minor_units=10_000_000)`: keyword only, so the unit is written at the call (a
    /// bare `Money(100000)` could mean rupiah or sen).
    #[new]
    #[pyo3(signature = (*, minor_units, currency = None))]
    fn py_new(
        py: Python<'_>,
        minor_units: &Bound<'_, PyAny>,
        currency: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        reject_float(minor_units, "Money.minor_units")?;
        if minor_units.is_instance_of::<pyo3::types::PyBool>()
            || !minor_units.is_instance_of::<pyo3::types::PyInt>()
        {
            return Err(PyTypeError::new_err(
                "Money(minor_units=...) takes int minor units (sen); for a decimal.Decimal amount \
                 use Money.from_decimal, for a decimal string Money.parse",
            ));
        }
        // An int outside i64 is refused, never wrapped: the core's amount_out_of_range, not
        // pyo3's bare OverflowError (which an application catching KirimError would miss).
        let minor: i64 = minor_units.extract().map_err(|_| {
            let error = Error::field(
                crate::error::ErrorCode::AmountOutOfRange,
                "minor_units",
                "minor_units is beyond a signed 64-bit count of minor units; kirim never wraps \
                 an amount",
            );
            py_err(py, &error)
        })?;
        Ok(Money::new(minor, currency_arg(py, currency)?))
    }

    /// Parses an exact decimal amount in major units ("100000", "1238.86"): a `str` or a
    /// `decimal.Decimal`.
    #[staticmethod]
    #[pyo3(name = "parse", signature = (value, currency = None))]
    fn py_parse(
        py: Python<'_>,
        value: &Bound<'_, PyAny>,
        currency: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        reject_float(value, "Money.parse(value)")?;
        if value.is_instance(decimal_class(py)?)? {
            // `Decimal.__str__` (never a subclass's own): its digits and exponent as Python
            // holds them ("1.50E+2", "1E+999999999"), read by the core's exact exponent reader
            // (integer arithmetic, bounded). Never `format(d, "f")`: that writes the exponent
            // out as digits, a gigabyte string or a MemoryError for a Decimal parsed from a
            // user's text.
            let text: String = decimal_class(py)?
                .getattr("__str__")?
                .call1((value,))?
                .extract()?;
            let currency = currency_arg(py, currency)?;
            return py_result(
                py,
                crate::money::parse_number_minor(&text, currency.exponent(), "value")
                    .map(|minor| Money::new(minor, currency)),
            );
        }
        let text = value.cast::<pyo3::types::PyString>().map_err(|_| {
            PyTypeError::new_err("Money.parse takes a decimal string or a decimal.Decimal")
        })?;
        // A str that is not Unicode (a lone surrogate) is the core's refusal, not a TypeError.
        let text = crate::python_shell::text(py, text, "value")?;
        let currency = currency_arg(py, currency)?;
        py_result(py, Money::parse(&text, currency, "value"))
    }

    /// An amount in major units as a `decimal.Decimal` (`Decimal("1238.86")`).
    #[staticmethod]
    #[pyo3(signature = (value, currency = None))]
    fn from_decimal(
        py: Python<'_>,
        value: &Bound<'_, PyAny>,
        currency: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        reject_float(value, "Money.from_decimal(value)")?;
        if !value.is_instance(decimal_class(py)?)? {
            return Err(PyTypeError::new_err(
                "Money.from_decimal takes a decimal.Decimal",
            ));
        }
        Money::py_parse(py, value, currency)
    }

    /// Integer minor units (sen for IDR), said by name.
    #[staticmethod]
    #[pyo3(signature = (minor_units, currency = None))]
    fn from_minor_units(
        py: Python<'_>,
        minor_units: &Bound<'_, PyAny>,
        currency: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Money::py_new(py, minor_units, currency)
    }

    /// `Money` as is, or rupiah as a `decimal.Decimal` or a decimal string. A bare number is
    /// the core's `invalid_amount` naming `field` (rupiah or sen would be a guess).
    #[staticmethod]
    #[pyo3(signature = (amount, currency = None, field = "amount"))]
    fn of(
        py: Python<'_>,
        amount: &Bound<'_, PyAny>,
        currency: Option<&Bound<'_, PyAny>>,
        field: &str,
    ) -> PyResult<Self> {
        if let Ok(money) = amount.cast::<Money>() {
            return Ok(*money.get());
        }
        reject_float(amount, field)?;
        if amount.is_instance(decimal_class(py)?)? {
            return Money::from_decimal(py, amount, currency);
        }
        if amount.is_instance_of::<pyo3::types::PyString>() {
            return Money::py_parse(py, amount, currency);
        }
        if amount.is_instance_of::<pyo3::types::PyInt>()
            && !amount.is_instance_of::<pyo3::types::PyBool>()
        {
            // The core reads it as the JSON number it is, and refuses it with its message. The
            // text is `int.__repr__`'s, never the value's own `__str__`: an int subclass's could
            // be any text, a quoted decimal the core would read as rupiah.
            let text: String = py
                .get_type::<pyo3::types::PyInt>()
                .getattr("__repr__")?
                .call1((amount,))?
                .extract()?;
            return py_result(py, crate::json::parse_argument(text.as_bytes(), field));
        }
        Err(PyTypeError::new_err(format!(
            "{field} is Money, a decimal.Decimal or a decimal string of rupiah, not {}",
            amount.get_type().name()?
        )))
    }

    #[getter]
    fn minor_units(&self) -> i64 {
        self.minor_units
    }

    #[getter]
    fn currency(&self) -> Currency {
        self.currency
    }

    /// The exact decimal string in major units, e.g. `"1238.86"` (formatted by the core).
    #[getter]
    fn value(&self) -> String {
        self.to_decimal_string()
    }

    #[pyo3(name = "to_decimal")]
    fn py_to_decimal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal_class(py)?.call1((self.to_decimal_string(),))
    }

    fn __repr__(&self) -> String {
        format!(
            "Money(minor_units={}, currency='{}', value='{}')",
            self.minor_units,
            self.currency.code(),
            self.to_decimal_string()
        )
    }
}

/// A non-essential field that could not be read (Python `FieldWarning`, so that it never
/// shadows the built-in `Warning`).
#[pymethods]
impl Warning {
    fn __repr__(&self) -> String {
        format!(
            "FieldWarning(field={:?}, reason={:?})",
            self.field, self.reason
        )
    }
}

#[pymethods]
impl PayoutTotals {
    #[new]
    #[pyo3(signature = (*, pending_count = None, pending_amount = None, success_count = None,
        success_amount = None, failed_count = None, failed_amount = None, cancelled_count = None,
        cancelled_amount = None))]
    fn py_new(
        pending_count: Option<Int<u64>>,
        pending_amount: Option<Money>,
        success_count: Option<Int<u64>>,
        success_amount: Option<Money>,
        failed_count: Option<Int<u64>>,
        failed_amount: Option<Money>,
        cancelled_count: Option<Int<u64>>,
        cancelled_amount: Option<Money>,
    ) -> Self {
        PayoutTotals {
            pending_count: pending_count.map(|Int(n)| n),
            pending_amount,
            success_count: success_count.map(|Int(n)| n),
            success_amount,
            failed_count: failed_count.map(|Int(n)| n),
            failed_amount,
            cancelled_count: cancelled_count.map(|Int(n)| n),
            cancelled_amount,
        }
    }

    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

/// One header; `repr` shows a credential header's value as `[redacted]` (`Header::shown_value`).
#[pymethods]
impl Header {
    #[new]
    fn py_new(name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        match (name.extract::<String>(), value.extract::<String>()) {
            (Ok(name), Ok(value)) => Ok(Header { name, value }),
            _ => Err(PyTypeError::new_err("a header's name and value are str")),
        }
    }

    fn __repr__(&self) -> String {
        format!("Header({:?})", self)
    }
}

fn headers_dict<'py>(py: Python<'py>, headers: &[Header]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for header in headers {
        dict.set_item(&header.name, &header.value)?;
    }
    Ok(dict)
}

fn headers_repr(headers: &[Header]) -> String {
    let shown: Vec<String> = headers.iter().map(|h| format!("Header({h:?})")).collect();
    format!("[{}]", shown.join(", "))
}

/// The methods of a message the wheel returns as it is (`HttpRequest`, `Acknowledgement`): its
/// headers as a tuple of `Header` and as a dict for HTTP clients (the names are distinct in
/// every message kirim builds), its body as `bytes`, and what the message adds. Its other
/// fields are pyo3's `get_all` getters.
macro_rules! message_methods {
    ($(#[$doc:meta])* $message:ty { $($own:tt)* }) => {
        $(#[$doc])*
        #[pymethods]
        impl $message {
            #[getter]
            fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                PyTuple::new(py, self.headers.iter().cloned())
            }

            #[getter]
            fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
                PyBytes::new(py, &self.body)
            }

            #[getter]
            fn headers_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                headers_dict(py, &self.headers)
            }

            $($own)*
        }
    };
}

message_methods! {
    /// A request to send exactly: method, full URL, headers in order, body bytes.
    HttpRequest {
        /// A header's value, name compared case-insensitively.
        #[pyo3(name = "header")]
        fn py_header(&self, name: &str) -> Option<&str> {
            self.header(name)
        }

        fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
            Ok(format!(
                "HttpRequest(method='{}', url={}, headers={}, body_len={})",
                self.method.as_str(),
                pyo3::types::PyString::new(py, &self.url).repr()?,
                headers_repr(&self.headers),
                self.body.len()
            ))
        }
    }
}

/// One payout of a Pivot create request. `amount` is rupiah as a `decimal.Decimal` or a decimal
/// string, or `Money` (`Money.of`'s rule: a bare number is refused).
#[pymethods]
impl PayoutItemInput {
    #[new]
    #[pyo3(signature = (reference_id, destination, amount, description = None))]
    fn py_new(
        py: Python<'_>,
        reference_id: String,
        destination: PayoutDestination,
        amount: &Bound<'_, PyAny>,
        description: Option<String>,
    ) -> PyResult<Self> {
        Ok(PayoutItemInput {
            reference_id,
            destination,
            amount: Money::of(py, amount, None, "amount")?,
            description,
        })
    }

    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

/// The event a generated test callback reports; `amount` as for `PayoutItemInput` (rupiah as
/// a `decimal.Decimal` or a decimal string, or `Money`; a bare number is refused).
#[pymethods]
impl crate::providers::common::TestCallbackEvent {
    #[new]
    #[pyo3(signature = (status, amount, payout_id, reference_id = None, failure_reason = None))]
    fn py_new(
        py: Python<'_>,
        status: PayoutStatus,
        amount: &Bound<'_, PyAny>,
        payout_id: String,
        reference_id: Option<String>,
        failure_reason: Option<String>,
    ) -> PyResult<Self> {
        Ok(crate::providers::common::TestCallbackEvent {
            status,
            amount: Money::of(py, amount, None, "amount")?,
            payout_id,
            reference_id,
            failure_reason,
        })
    }

    fn __repr__(&self) -> String {
        format!("{self:?}")
    }

    /// Not a test class: pytest collects classes named `Test*` from a test module's names,
    /// and a user's tests import this one.
    #[classattr]
    fn __test__() -> bool {
        false
    }
}

/// A gateway withdraw order; `amount` as for `PayoutItemInput` (it goes on the wire as integer
/// cents).
#[pymethods]
impl WithdrawOrderInput {
    #[new]
    #[pyo3(signature = (payout_cl_id, amount, bank_name, name, number, notify_url = None))]
    fn py_new(
        py: Python<'_>,
        payout_cl_id: String,
        amount: &Bound<'_, PyAny>,
        bank_name: String,
        name: String,
        number: String,
        notify_url: Option<String>,
    ) -> PyResult<Self> {
        Ok(WithdrawOrderInput {
            payout_cl_id,
            amount: Money::of(py, amount, None, "amount")?,
            bank_name,
            name,
            number,
            notify_url,
        })
    }

    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

message_methods! {
    /// The exact HTTP answer to send back for a callback.
    Acknowledgement {
        fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
            Ok(format!(
                "Acknowledgement(status={}, headers={}, body={}, provider_will_retry={})",
                self.status,
                headers_repr(&self.headers),
                PyBytes::new(py, &self.body).repr()?,
                if self.provider_will_retry {
                    "True"
                } else {
                    "False"
                }
            ))
        }
    }
}

/// A failed payout, normalized; the provider's own code and text kept.
#[pymethods]
impl Failure {
    #[new]
    #[pyo3(signature = (reason, retry, provider_code = None, provider_text = None))]
    fn py_new(
        reason: FailureReason,
        retry: RetryAdvice,
        provider_code: Option<String>,
        provider_text: Option<String>,
    ) -> Self {
        Failure {
            reason,
            retry,
            provider_code,
            provider_text,
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(
            slf,
            "Failure",
            &["reason", "retry", "provider_code", "provider_text"],
        )
    }
}

/// `Class(name=<repr>, ...)` over the fields that are set, as a dataclass shows itself (an
/// enum field shows its member, e.g. `<NextActionKind.ACCEPTED: 'accepted'>`).
fn fields_repr(value: &Bound<'_, PyAny>, class: &str, names: &[&str]) -> PyResult<String> {
    let mut shown = Vec::with_capacity(names.len());
    for name in names {
        let field = value.getattr(*name)?;
        if !field.is_none() {
            shown.push(format!("{name}={}", field.repr()?));
        }
    }
    Ok(format!("{class}({})", shown.join(", ")))
}

/// The member of the `kirim` enum `class` named by a tagged enum's `kind` (the core's serde
/// form), e.g. `RetryKind.RETRY_AFTER_DELAY`.
fn kind_member<'py, T: serde::Serialize>(
    py: Python<'py>,
    members: &PyOnceLock<Py<PyDict>>,
    class: &str,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let kind = serde_json::to_value(value)
        .ok()
        .and_then(|tagged| tagged.get("kind")?.as_str().map(str::to_owned))
        .ok_or_else(|| PyTypeError::new_err(format!("kirim.{class}: the core wrote no kind")))?;
    member(py, members, class, &kind)
}

/// A tagged enum of the core (`kind` and the variant's fields) from its serde form: an unknown
/// kind, a missing field, or a field the kind does not take is the core's `unexpected_shape`
/// error naming `field`.
fn from_kind_and_fields<T>(
    py: Python<'_>,
    field: &str,
    fields: serde_json::Map<String, serde_json::Value>,
) -> PyResult<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let refused = |reason: String| {
        let error = Error::field(crate::error::ErrorCode::UnexpectedShape, field, reason);
        py_err(py, &error)
    };
    let given: Vec<String> = fields.keys().cloned().collect();
    let value: T = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| refused(e.to_string()))?;
    // serde ignores a field the variant does not have; refuse it rather than drop it.
    let written = serde_json::to_value(&value).unwrap_or_default();
    if let Some(extra) = given
        .iter()
        .find(|name| written.get(name.as_str()).is_none())
    {
        return Err(refused(format!("{extra} is not a field of this kind")));
    }
    Ok(value)
}

/// `kind` (a `kirim` enum member or its value) and the given fields, as a JSON object.
fn kind_and_fields<'py>(
    kind: &Bound<'py, PyAny>,
    fields: impl IntoIterator<Item = (&'static str, Option<serde_json::Value>)>,
) -> PyResult<serde_json::Map<String, serde_json::Value>> {
    let kind: String = kind
        .extract()
        .map_err(|_| PyTypeError::new_err("kind is a str (a kirim enum member)"))?;
    let mut object = serde_json::Map::new();
    object.insert("kind".to_owned(), kind.into());
    for (name, value) in fields {
        if let Some(value) = value {
            object.insert(name.to_owned(), value);
        }
    }
    Ok(object)
}

/// A core enum that pyo3 cannot make a class of (it mixes unit and data variants), carried as
/// it is by a native class named `$class`: a core value converts to it and back, and `kind`
/// reads the variant as a member of the `kirim` enum `$kinds`; the class adds its constructor
/// and its variants' fields.
macro_rules! carried_enum {
    (
        $(#[$doc:meta])* $wrapper:ident($core:ty) as $class:tt, kinds $kinds:tt { $($own:tt)* }
    ) => {
        $(#[$doc])*
        #[pyclass(frozen, eq, hash, from_py_object, module = "kirim", name = $class)]
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $wrapper(pub $core);

        impl<'py> IntoPyObject<'py> for $core {
            type Target = $wrapper;
            type Output = Bound<'py, $wrapper>;
            type Error = PyErr;
            fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, $wrapper>> {
                Bound::new(py, $wrapper(self))
            }
        }

        impl<'a, 'py> FromPyObject<'a, 'py> for $core {
            type Error = PyErr;
            fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
                obj.cast::<$wrapper>()
                    .map(|carried| carried.get().0.clone())
                    .map_err(|_| PyTypeError::new_err(concat!("expected a kirim.", $class)))
            }
        }

        #[pymethods]
        impl $wrapper {
            #[getter]
            fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                static MEMBERS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
                kind_member(py, &MEMBERS, $kinds, &self.0)
            }

            $($own)*
        }
    };
}

carried_enum! {
    /// What to do about a failed payout (the core's `RetryAdvice`): Python reads a `kind` and,
    /// for `retry_after_delay`, `min_delay_seconds`.
    PyRetryAdvice(RetryAdvice) as "RetryAdvice", kinds "RetryKind" {
        #[new]
        #[pyo3(signature = (kind, min_delay_seconds = None))]
        fn py_new(
            py: Python<'_>,
            kind: &Bound<'_, PyAny>,
            min_delay_seconds: Option<Int<u32>>,
        ) -> PyResult<Self> {
            let fields = kind_and_fields(
                kind,
                [("min_delay_seconds", min_delay_seconds.map(|Int(n)| n.into()))],
            )?;
            Ok(PyRetryAdvice(from_kind_and_fields(py, "retry", fields)?))
        }

        #[getter]
        fn min_delay_seconds(&self) -> Option<u32> {
            match self.0 {
                RetryAdvice::RetryAfterDelay { min_delay_seconds } => Some(min_delay_seconds),
                _ => None,
            }
        }

        fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
            fields_repr(slf, "RetryAdvice", &["kind", "min_delay_seconds"])
        }
    }
}

carried_enum! {
    /// What the host must do after a state-changing call (the core's `NextAction`): Python reads
    /// a `kind` and the fields that kind has, `None` for the others.
    PyNextAction(NextAction) as "NextAction", kinds "NextActionKind" {
        #[new]
        #[pyo3(signature = (kind, new_idempotency_key_required = None, delay_seconds = None,
            reason = None, idempotency_key = None, reference_ids = None, first_sent_at = None,
            message = None))]
        fn py_new(
            py: Python<'_>,
            kind: &Bound<'_, PyAny>,
            new_idempotency_key_required: Option<bool>,
            delay_seconds: Option<Int<u32>>,
            reason: Option<ReconciliationReason>,
            idempotency_key: Option<String>,
            reference_ids: Option<Vec<String>>,
            first_sent_at: Option<Int<i64>>,
            message: Option<String>,
        ) -> PyResult<Self> {
            let fields = kind_and_fields(
                kind,
                [
                    (
                        "new_idempotency_key_required",
                        new_idempotency_key_required.map(Into::into),
                    ),
                    ("delay_seconds", delay_seconds.map(|Int(n)| n.into())),
                    ("reason", reason.and_then(|r| serde_json::to_value(r).ok())),
                    ("idempotency_key", idempotency_key.map(Into::into)),
                    ("reference_ids", reference_ids.map(Into::into)),
                    ("first_sent_at", first_sent_at.map(|Int(n)| n.into())),
                    ("message", message.map(Into::into)),
                ],
            )?;
            Ok(PyNextAction(from_kind_and_fields(
                py,
                "next_action",
                fields,
            )?))
        }

        #[getter]
        fn new_idempotency_key_required(&self) -> Option<bool> {
            match self.0 {
                NextAction::Rejected {
                    new_idempotency_key_required,
                } => Some(new_idempotency_key_required),
                _ => None,
            }
        }

        #[getter]
        fn delay_seconds(&self) -> Option<u32> {
            match self.0 {
                NextAction::ResendSameKeyAfter { delay_seconds } => Some(delay_seconds),
                _ => None,
            }
        }

        #[getter]
        fn reason(&self) -> Option<ReconciliationReason> {
            match &self.0 {
                NextAction::ManualReconciliation { reason, .. } => Some(*reason),
                _ => None,
            }
        }

        #[getter]
        fn idempotency_key(&self) -> Option<&str> {
            match &self.0 {
                NextAction::ManualReconciliation {
                    idempotency_key, ..
                } => idempotency_key.as_deref(),
                _ => None,
            }
        }

        /// A tuple, as every sequence of a frozen result.
        #[getter]
        fn reference_ids<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
            match &self.0 {
                NextAction::ManualReconciliation { reference_ids, .. } => {
                    PyTuple::new(py, reference_ids).map(Some)
                }
                _ => Ok(None),
            }
        }

        #[getter]
        fn first_sent_at(&self) -> Option<i64> {
            match &self.0 {
                NextAction::ManualReconciliation { first_sent_at, .. } => *first_sent_at,
                _ => None,
            }
        }

        #[getter]
        fn message(&self) -> Option<&str> {
            match &self.0 {
                NextAction::ManualReconciliation { message, .. } => Some(message),
                _ => None,
            }
        }

        fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
            fields_repr(
                slf,
                "NextAction",
                &[
                    "kind",
                    "new_idempotency_key_required",
                    "delay_seconds",
                    "reason",
                    "idempotency_key",
                    "reference_ids",
                    "first_sent_at",
                    "message",
                ],
            )
        }
    }
}

/// The methods of a record the wheel returns as it is (its fields are pyo3's `get_all`
/// getters): the named sequence fields read as tuples, as every sequence of a frozen result,
/// and `repr` is the core's `Debug` form (which redacts what it must).
macro_rules! frozen_record_methods {
    ($($record:ty { $($sequence:ident),* };)*) => {$(
        #[pymethods]
        impl $record {
            $(
                #[getter]
                fn $sequence<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                    PyTuple::new(py, self.$sequence.iter().cloned())
                }
            )*

            fn __repr__(&self) -> String {
                format!("{self:?}")
            }
        }
    )*};
}

frozen_record_methods! {
    PayoutEvent { warnings };
    PayoutItemState {};
    PayoutBatch { items, warnings };
    WithdrawOrderState {};
    QueryResult { orders, warnings };
}

// ---- pickling and copying ------------------------------------------------------------------

/// Pickling of the model's native classes, and with it `copy.copy`, `copy.deepcopy` and
/// `multiprocessing`, which use the same hook (pyo3's classes have none of their own). A value
/// crosses as its JSON form and is read back by the core's declaration (serde), so no field is
/// lost and no rule is written again in Python; `kirim/_wire.py` registers the hook with
/// `copyreg` for every class listed here. `Header`, `HttpRequest` and the providers'
/// `AccessToken` are left out on purpose: they can carry credentials, and a pickle is a file
/// anyone may read (`kirim.Secret` refuses to be pickled for the same reason).
macro_rules! picklable {
    ($($name:literal => $class:ident $(($core:ty))?,)*) => {
        /// The native classes whose values pickle (`kirim._native.PICKLABLE`).
        pub fn picklable_classes(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
            PyTuple::new(py, [$(py.get_type::<$class>()),*])
        }

        /// `(class name, JSON form)` of a value of a picklable class: what `pickle_restore`
        /// takes back.
        #[pyfunction]
        pub fn pickle_state(value: &Bound<'_, PyAny>) -> PyResult<(&'static str, String)> {
            $(
                if let Ok(value) = value.cast::<$class>() {
                    return Ok(pickled_form($name, picklable!(@form value.get() $(, $core)?)));
                }
            )*
            Err(PyTypeError::new_err(format!(
                "{} is not a picklable kirim class",
                value.get_type().name()?
            )))
        }

        /// The value `pickle_state` described, read back by the core.
        #[pyfunction]
        pub fn pickle_restore(py: Python<'_>, class_name: &str, state: &str) -> PyResult<Py<PyAny>> {
            $(
                if class_name == $name {
                    let value = picklable!(@read py, $name, state, $class $(, $core)?);
                    // Not `Bound::new`: a native enum's value must become its variant's class.
                    return Ok(value.into_pyobject(py)?.into_any().unbind());
                }
            )*
            Err(PyTypeError::new_err(format!(
                "{} names no picklable kirim class",
                crate::error::quoted(class_name)
            )))
        }
    };
    (@form $value:expr) => { $value };
    (@form $value:expr, $core:ty) => { &$value.0 };
    (@read $py:ident, $name:literal, $state:ident, $class:ident) => {
        read_pickled::<$class>($py, $name, $state)?
    };
    (@read $py:ident, $name:literal, $state:ident, $class:ident, $core:ty) => {
        $class(read_pickled::<$core>($py, $name, $state)?)
    };
}

/// Pickles go through the core's own writer and reader (`ToJson`, `FromJson`), not serde's:
/// serde's derived `Deserialize` of these classes was 81 KB of the wheel. The text is what serde
/// wrote, so a pickle from before reads the same.
fn pickled_form<T: crate::write::ToJson>(name: &'static str, value: &T) -> (&'static str, String) {
    (name, crate::write::to_string(value))
}

/// A pickled value that the core cannot read (a pickle from another kirim version, or edited)
/// is the core's `unexpected_shape` error, never a half-read value.
fn read_pickled<T: crate::read::FromJson>(py: Python<'_>, name: &str, state: &str) -> PyResult<T> {
    let unreadable = |detail: String| {
        let error = Error::new(
            crate::error::ErrorCode::UnexpectedShape,
            format!(
                "a pickled kirim.{name} that this kirim cannot read: {}",
                crate::error::sanitize_provider_text(&detail)
            ),
        );
        py_err(py, &error)
    };
    let tree = crate::read::parse(state.as_bytes())
        .map_err(|e| unreadable(e.describe(state.as_bytes())))?;
    T::from_json(&crate::read::Val::root(&tree, "")).map_err(|m| {
        let m = m.into_data();
        unreadable(if m.path.is_empty() {
            m.detail
        } else {
            format!("{}: {}", m.path, m.detail)
        })
    })
}

picklable! {
    "Money" => Money,
    "FieldWarning" => Warning,
    "PayoutTotals" => PayoutTotals,
    "Failure" => Failure,
    "RetryAdvice" => PyRetryAdvice(RetryAdvice),
    "NextAction" => PyNextAction(NextAction),
    "PayoutEvent" => PayoutEvent,
    "Acknowledgement" => Acknowledgement,
    "PayoutDestination" => PayoutDestination,
    "PayoutItemInput" => PayoutItemInput,
    "PayoutItemState" => PayoutItemState,
    "PayoutBatch" => PayoutBatch,
    "WithdrawOrderInput" => WithdrawOrderInput,
    "TestCallbackEvent" => TestCallbackEvent,
    "WithdrawOrderState" => WithdrawOrderState,
    "QueryResult" => QueryResult,
}

//! `kirim._native`: the private native module of the `kirim` Python package.
//!
//! Thin by design: it converts at the boundary and nothing else. The model's hot-path types are
//! the core's own native classes (the core's `python` feature: `Money`, `PayoutEvent`,
//! `HttpRequest`, the create inputs, ...), passed and returned as they are; other structured
//! values cross as the core's own JSON, read and written by the core (the form the shared vectors
//! use); bodies cross as `bytes`; every rule stays in the core. A core `kirim::Error` becomes the matching `kirim.KirimError`
//! subclass, built by `kirim._errors._from_native` from the error's JSON form, so no field
//! (`code`, `field`, `violations`, `provider_code`, `http_status`, ...) is lost.
//!
//! The provider classes (`Pivot`, `Gateway`, `AccessToken`) are the core's too, each
//! declared in its provider's folder (`core/src/providers/<provider>/python.rs`) and added by
//! `kirim::python_shell::add_providers`, so adding a provider changes nothing here; so is
//! `ConfiguredProvider` (`kirim::python_shell`), any registered provider configured once and run
//! through the JSON operation interface, for a provider class generated in Python (Paper.id's).
//!
//! Secrets (the merchant secret, callback keys, access tokens) stay inside core types here:
//! `AccessToken` is an opaque class whose `repr` never shows the value.

use kirim::PayoutEvent;
use kirim::http::{Acknowledgement, Header, HttpRequest};
use kirim::providers::common::TestCallbackEvent;
use kirim::providers::{gateway, pivot};
use kirim::python_shell::{core, enum_arg};
use pyo3::prelude::*;

mod lifecycle;

/// The core configuration's declared fields, and its defaults as the core's `Debug` shows them
/// (secrets redacted), by the provider's Python name (`pivot`, `gateway`, `paper_id`): what the
/// Python tests compare the Python configuration classes and the running shells with.
#[pyfunction]
fn core_config(provider: &str) -> PyResult<(Vec<&'static str>, String)> {
    kirim::python_shell::core_config(provider)
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("no provider {provider:?}")))
}

/// The JSON operation interface (`kirim::operations::run_json`): an operation name such as
/// `"pivot.create_payout_request"` and a JSON object in, the JSON result out.
#[pyfunction]
fn run_operation(py: Python<'_>, operation: &str, input_json: &str) -> PyResult<String> {
    core(py, kirim::operations::run_json(operation, input_json))
}

/// Every stable error code with its meaning, fix and family, in documentation order.
#[pyfunction]
fn error_codes() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    kirim::ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.meaning(), c.fix(), c.category().as_str()))
        .collect()
}

fn status_arg(py: Python<'_>, name: &str, field: &str) -> PyResult<kirim::PayoutStatus> {
    enum_arg(py, name, field)
}

/// Whether a status is final (the core's `PayoutStatus::is_final`).
#[pyfunction]
fn status_is_final(py: Python<'_>, status: &str) -> PyResult<bool> {
    Ok(status_arg(py, status, "status")?.is_final())
}

/// The core's `PayoutStatus::merge`.
#[pyfunction]
fn status_merge(py: Python<'_>, current: &str, incoming: &str) -> PyResult<String> {
    let merged = status_arg(py, current, "current")?.merge(status_arg(py, incoming, "incoming")?);
    Ok(merged.as_str().to_owned())
}

/// The core's `PayoutStatus::observe`: a tentative observation never makes a payout final.
#[pyfunction]
fn status_observe(
    py: Python<'_>,
    current: &str,
    incoming: &str,
    confirmation: &str,
) -> PyResult<String> {
    let confirmation: kirim::Confirmation = enum_arg(py, confirmation, "confirmation")?;
    let observed = status_arg(py, current, "current")?
        .observe(status_arg(py, incoming, "incoming")?, confirmation);
    Ok(observed.as_str().to_owned())
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_operation, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(status_is_final, m)?)?;
    m.add_function(wrap_pyfunction!(status_merge, m)?)?;
    m.add_function(wrap_pyfunction!(status_observe, m)?)?;
    m.add_function(wrap_pyfunction!(core_config, m)?)?;
    // Pickling and copying of the model's values (registered with copyreg by kirim._wire).
    m.add_function(wrap_pyfunction!(kirim::python::pickle_state, m)?)?;
    m.add_function(wrap_pyfunction!(kirim::python::pickle_restore, m)?)?;
    // The model's classes, declared in the core (feature `python`).
    m.add_class::<kirim::Money>()?;
    m.add_class::<kirim::Warning>()?;
    m.add_class::<kirim::PayoutTotals>()?;
    m.add_class::<kirim::status::Failure>()?;
    m.add_class::<kirim::python::PyRetryAdvice>()?;
    m.add_class::<kirim::python::PyNextAction>()?;
    m.add_class::<PayoutEvent>()?;
    m.add_class::<Header>()?;
    m.add_class::<HttpRequest>()?;
    m.add_class::<Acknowledgement>()?;
    m.add_class::<pivot::PayoutDestination>()?;
    m.add_class::<pivot::PayoutItemInput>()?;
    m.add_class::<pivot::PayoutItemState>()?;
    m.add_class::<pivot::PayoutBatch>()?;
    m.add_class::<gateway::WithdrawOrderInput>()?;
    m.add_class::<TestCallbackEvent>()?;
    m.add_class::<gateway::WithdrawOrderState>()?;
    m.add_class::<gateway::QueryResult>()?;
    // Every provider's class and constants, declared in its folder (`python.rs`).
    kirim::python_shell::add_providers(m)?;
    // Any registered provider, configured once, for the classes generated in Python.
    m.add_class::<kirim::python_shell::ConfiguredProvider>()?;
    m.add_class::<lifecycle::PayoutLifecycle>()?;
    m.add_function(wrap_pyfunction!(lifecycle::check_submission, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::check_run, m)?)?;
    m.add("PICKLABLE", kirim::python::picklable_classes(m.py())?)?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

//! `kirim._native.PayoutLifecycle`: the core's payout machine (`kirim::lifecycle::
//! PayoutLifecycle` over a boxed provider, the code `lifecycle.scenario` runs), owned by Python.
//! Conversion only: the order, settings, outcomes and actions cross as the core's JSON (read and
//! written by the core), requests and acknowledgements as the core's native classes; every rule
//! is the core's.

use kirim::PayoutEvent;
use kirim::http::{Acknowledgement, HttpOutcome, HttpRequest};
use kirim::lifecycle::host::{self, CallbackResult};
use kirim::lifecycle::{Action, PayoutLifecycle as Machine, PayoutOrder, PayoutProvider};
use kirim::providers::Configured;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::{Mutex, MutexGuard};

use kirim::providers::pivot::python::AccessToken;
use kirim::python::Int;
use kirim::python_shell::{arg, core, headers, out};

/// What a callback did: `(verdicts | None, error_json | None, acknowledgement | None)`.
type Handled = (
    Option<Vec<&'static str>>,
    Option<String>,
    Option<Acknowledgement>,
);

fn handled(result: CallbackResult) -> Handled {
    (
        result
            .verdicts
            .map(|v| v.into_iter().map(|verdict| verdict.as_str()).collect()),
        result.error.map(|e| kirim::write::to_string(&e)),
        result.acknowledgement,
    )
}

/// The machine over a boxed provider: `Send`, as bindings-mobile's, so Python may hand it from
/// one thread to another (the driver's run loop and a web framework's callback thread).
type DynMachine = Machine<Box<dyn PayoutProvider + Send>>;

/// The provider of a machine, configured from `config_json` (Paper.id refused by the core).
fn provider(
    py: Python<'_>,
    name: &str,
    config_json: &str,
) -> PyResult<Box<dyn PayoutProvider + Send>> {
    core(
        py,
        Configured::new(name, config_json).and_then(Configured::into_lifecycle),
    )
}

/// One payout's (or Pivot batch's) lifecycle, one per payout. Usable from any thread: a mutex
/// inside serializes the calls (a pyclass shared between threads must be `Sync`).
#[pyclass(module = "kirim._native", name = "PayoutLifecycle")]
pub(crate) struct PayoutLifecycle {
    inner: Mutex<DynMachine>,
}

impl PayoutLifecycle {
    fn of(machine: DynMachine) -> Self {
        PayoutLifecycle {
            inner: Mutex::new(machine),
        }
    }

    fn lock(&self) -> MutexGuard<'_, DynMachine> {
        // A panic while locked (turned into a Python exception) cannot leave the machine
        // half-updated in a way the core's own checks would not refuse next: keep serving, as
        // bindings-mobile does, rather than poison every later call.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl PayoutLifecycle {
    /// `provider` is `pivot` or `gateway`; `config_json` its configuration, `order_json` the
    /// core's `PayoutOrder`, `settings_json` `null` or any of the settings (the rest default).
    #[new]
    fn new(
        py: Python<'_>,
        provider_name: &str,
        config_json: &str,
        order_json: &str,
        settings_json: &str,
        now: Int<i64>,
    ) -> PyResult<Self> {
        let Int(now) = now;
        let provider = provider(py, provider_name, config_json)?;
        // The order before the settings, as lifecycle.scenario reads them.
        let order: PayoutOrder = arg(py, order_json, "order")?;
        let settings = core(py, host::settings_from_json(&*provider, settings_json))?;
        Ok(Self::of(core(
            py,
            Machine::new(provider, order, settings, now),
        )?))
    }

    /// A machine rebuilt from a stored snapshot (hostile input: checked by the core).
    #[staticmethod]
    fn restore(
        py: Python<'_>,
        provider_name: &str,
        config_json: &str,
        snapshot: &str,
    ) -> PyResult<Self> {
        let provider = provider(py, provider_name, config_json)?;
        Ok(Self::of(core(py, Machine::restore(provider, snapshot))?))
    }

    /// The machine of the stored payout `reference` from the snapshot its row held: refused
    /// (`invalid_field`, `reference`) when the snapshot is another payout's (the core's rule).
    #[staticmethod]
    fn restore_stored(
        py: Python<'_>,
        provider_name: &str,
        config_json: &str,
        snapshot: &str,
        reference: &str,
    ) -> PyResult<Self> {
        let provider = provider(py, provider_name, config_json)?;
        Ok(Self::of(core(
            py,
            Machine::restore_stored(provider, snapshot, reference),
        )?))
    }

    /// The next action as the core's JSON, with the request of a `send` as a native object.
    fn poll(&self, now: Int<i64>) -> PyResult<(String, Option<HttpRequest>)> {
        let Int(now) = now;
        let action = self.lock().poll(now);
        let request = match &action {
            Action::Send { request, .. } => Some(request.clone()),
            _ => None,
        };
        Ok((out(&action)?, request))
    }

    /// The answer (or transport failure) to the last send, as the core's `HttpOutcome` JSON.
    fn handle_response(&self, py: Python<'_>, outcome_json: &str, now: Int<i64>) -> PyResult<()> {
        let Int(now) = now;
        let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
        let result = self.lock().handle_response(&outcome, now);
        core(py, result)
    }

    /// A verified event (from the provider's `handle_callback`); returns the verdict.
    fn handle_event(&self, event: PyRef<'_, PayoutEvent>, now: Int<i64>) -> &'static str {
        let Int(now) = now;
        self.lock().handle_event(&event, now).as_str()
    }

    /// A callback verified by this machine's provider and applied (a forged one changes
    /// nothing); the acknowledgement is the provider's answer.
    fn handle_callback(
        &self,
        headers_: &Bound<'_, PyAny>,
        body: &Bound<'_, PyBytes>,
        now: Int<i64>,
    ) -> PyResult<Handled> {
        let Int(now) = now;
        let headers = headers(headers_)?;
        Ok(handled(host::handle_callback(
            &mut *self.lock(),
            &headers,
            body.as_bytes(),
            now,
        )))
    }

    /// A callback read WITHOUT verification: its events are tentative (a query, never a
    /// decision).
    fn handle_unverified_callback(&self, body: &Bound<'_, PyBytes>, now: Int<i64>) -> Handled {
        let Int(now) = now;
        handled(host::handle_unverified_callback(
            &mut *self.lock(),
            body.as_bytes(),
            now,
        ))
    }

    fn snapshot(&self) -> String {
        self.lock().snapshot()
    }

    /// `phase`, `status`, `expected`, `payout_id`, `first_sent_at`, `creates_sent`, `session`
    /// (and a batch's `items`), as the scenario vectors check them.
    fn state(&self) -> String {
        host::state_json(&*self.lock())
    }

    fn order(&self) -> PyResult<String> {
        out(self.lock().order())
    }

    fn idempotency_key(&self) -> String {
        self.lock().idempotency_key().to_owned()
    }

    fn provider_name(&self) -> &'static str {
        self.lock().provider().name()
    }

    /// The Pivot token the machine holds (to share with other machines), if any.
    fn session(&self) -> Option<AccessToken> {
        self.lock()
            .session()
            .map(|t| AccessToken { inner: t.clone() })
    }

    fn use_session(&self, token: &AccessToken) {
        self.lock().use_session(token.inner.clone());
    }

    fn forget_session(&self) {
        self.lock().forget_session();
    }

    fn __repr__(&self) -> String {
        let machine = self.lock();
        format!(
            "PayoutLifecycle(reference={:?}, phase={}, status={})",
            machine.order().reference,
            machine.phase().as_str(),
            machine.status().as_str()
        )
    }
}

/// Decides a driver's run of a payout named by its reference (the core's `host::check_run`):
/// `stored`, whether the store holds a payout under it (ended or not); refused
/// (`invalid_field` on `reference`) when it holds none.
#[pyfunction]
pub(crate) fn check_run(py: Python<'_>, reference: &str, stored: bool) -> PyResult<()> {
    core(py, host::check_run(reference, stored))
}

/// Decides a submission from what the driver looked up in its store (the core's
/// `host::check_submission`): `"new"` (store it) or `"already_stored"` (the identical order
/// under the same provider: write nothing); refused (`invalid_field`, on `reference` or
/// `items[i].reference`) when the stored order under its reference differs, or when another
/// stored payout holds one of its references. `held`: `(reference, payout)` pairs.
#[pyfunction]
pub(crate) fn check_submission(
    py: Python<'_>,
    order_json: &str,
    stored_order_json: Option<&str>,
    stored_provider: Option<&str>,
    provider: &str,
    held: Vec<(String, String)>,
) -> PyResult<&'static str> {
    let held: Vec<host::HeldReference> = held
        .into_iter()
        .map(|(reference, payout)| host::HeldReference { reference, payout })
        .collect();
    core(
        py,
        host::check_submission(
            order_json,
            stored_order_json,
            stored_provider,
            provider,
            &held,
        ),
    )
    .map(host::Submission::as_str)
}

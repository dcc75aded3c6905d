//! Python (feature `python`): the native class `Pivot` of the wheel's module `kirim._native`
//! (its typed wrapper is `kirim/pivot.py`), one method per method of the core's shell.

use crate::event::PayoutEvent;
use crate::http::{HttpOutcome, HttpRequest};
use crate::providers::common::TestCallbackEvent;
use crate::python::Int;
use crate::python_shell::native_shell;
use crate::python_shell::{
    Handled, arg, core, handled, headers, out, parse_outcome, read_outcome, test_request, text,
};
use crate::secret::Secret;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// A Pivot bearer token and its expiry. The value never appears in `repr`.
#[pyclass(frozen, module = "kirim._native", name = "AccessToken")]
#[derive(Debug)]
pub struct AccessToken {
    pub inner: super::AccessToken,
}

#[pymethods]
impl AccessToken {
    #[new]
    #[pyo3(signature = (value, token_type, expires_at))]
    fn new(
        py: Python<'_>,
        value: &Bound<'_, PyString>,
        token_type: &str,
        expires_at: Int<i64>,
    ) -> PyResult<Self> {
        let Int(expires_at) = expires_at;
        let value = Secret::new(text(py, value, "value")?);
        Ok(AccessToken {
            inner: super::AccessToken::new(value, token_type, expires_at),
        })
    }

    #[getter]
    fn token_type(&self) -> &str {
        &self.inner.token_type
    }

    #[getter]
    fn expires_at(&self) -> i64 {
        self.inner.expires_at
    }

    /// The token's value, to store it (e.g. in a cache shared across processes).
    fn expose_secret(&self) -> &str {
        self.inner.value().expose_secret()
    }

    fn needs_refresh(&self, now: Int<i64>, margin_seconds: Int<i64>) -> bool {
        let Int(now) = now;
        let Int(margin_seconds) = margin_seconds;
        self.inner.needs_refresh(now, margin_seconds)
    }

    fn is_expired(&self, now: Int<i64>) -> bool {
        let Int(now) = now;
        self.inner.is_expired(now)
    }

    fn __repr__(&self) -> String {
        format!(
            "AccessToken(value=[redacted], token_type={:?}, expires_at={})",
            self.inner.token_type, self.inner.expires_at
        )
    }
}

native_shell! {
    /// The Pivot protocol shell, built once from a validated configuration.
    Pivot(super::Pivot, super::PivotConfig), acknowledgement callback_acknowledgement,
    reads_body [parse_callback_unverified -> Vec<PayoutEvent>] {
        fn token_refresh_margin_seconds(&self) -> i64 {
            self.inner.config().token_refresh_margin_seconds
        }

        fn idempotency_rules(&self) -> PyResult<String> {
            out(self.inner.idempotency_rules())
        }

        fn derive_request_id(
            &self,
            py: Python<'_>,
            merchant_reference: &str,
            revision: Int<u32>,
        ) -> PyResult<String> {
            let Int(revision) = revision;
            core(
                py,
                self.inner.derive_request_id(merchant_reference, revision),
            )
        }

        fn access_token_request(&self) -> PyResult<HttpRequest> {
            Ok(self.inner.access_token_request())
        }

        fn parse_access_token(
            &self,
            py: Python<'_>,
            outcome_json: &str,
            now: Int<i64>,
        ) -> PyResult<AccessToken> {
            let Int(now) = now;
            Ok(AccessToken {
                inner: read_outcome(py, outcome_json, |outcome| {
                    self.inner.parse_access_token(outcome, now)
                })?,
            })
        }

        fn needs_refresh(&self, token: &AccessToken, now: Int<i64>) -> bool {
            let Int(now) = now;
            self.inner.needs_refresh(&token.inner, now)
        }

        fn balance_request(
            &self,
            py: Python<'_>,
            token: &AccessToken,
            now: Int<i64>,
        ) -> PyResult<HttpRequest> {
            let Int(now) = now;
            core(py, self.inner.balance_request(&token.inner, now))
        }

        fn parse_balance(&self, py: Python<'_>, outcome_json: &str) -> PyResult<String> {
            parse_outcome(py, outcome_json, |outcome| {
                self.inner.parse_balance(outcome)
            })
        }

        fn inquiry_request(
            &self,
            py: Python<'_>,
            token: &AccessToken,
            now: Int<i64>,
            inquiry_json: &str,
        ) -> PyResult<HttpRequest> {
            let Int(now) = now;
            let inquiry: super::InquiryInput = arg(py, inquiry_json, "inquiry")?;
            core(py, self.inner.inquiry_request(&token.inner, now, &inquiry))
        }

        fn inquiry_status_request(
            &self,
            py: Python<'_>,
            token: &AccessToken,
            now: Int<i64>,
            inquiry_id: &str,
        ) -> PyResult<HttpRequest> {
            let Int(now) = now;
            core(
                py,
                self.inner
                    .inquiry_status_request(&token.inner, now, inquiry_id),
            )
        }

        fn parse_inquiry(&self, py: Python<'_>, outcome_json: &str) -> PyResult<String> {
            parse_outcome(py, outcome_json, |outcome| {
                self.inner.parse_inquiry(outcome)
            })
        }

        fn create_payout_request(
            &self,
            py: Python<'_>,
            token: &AccessToken,
            now: Int<i64>,
            idempotency_key: &str,
            payouts: Vec<super::PayoutItemInput>,
        ) -> PyResult<HttpRequest> {
            let Int(now) = now;
            core(
                py,
                self.inner
                    .create_payout_request(&token.inner, now, idempotency_key, &payouts),
            )
        }

        /// `attempt_json`, when given, is the core's `CreateAttempt` JSON form. The outcome as
        /// `(next_action, batch | None, error_json | None)`.
        #[pyo3(signature = (outcome_json, attempt_json=None))]
        fn parse_create_payout(
            &self,
            py: Python<'_>,
            outcome_json: &str,
            attempt_json: Option<&str>,
        ) -> PyResult<(
            crate::NextAction,
            Option<super::PayoutBatch>,
            Option<String>,
        )> {
            let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
            let parsed = match attempt_json {
                Some(attempt_json) => {
                    let attempt: super::CreateAttempt = arg(py, attempt_json, "attempt")?;
                    core(
                        py,
                        self.inner.parse_create_payout_attempt(&outcome, &attempt),
                    )?
                }
                None => self.inner.parse_create_payout(&outcome),
            };
            let error = parsed.error.map(|e| crate::write::to_string(&e));
            Ok((parsed.next_action, parsed.batch, error))
        }

        #[pyo3(signature = (token, now, payout_id, reference_id=None))]
        fn retrieve_request(
            &self,
            py: Python<'_>,
            token: &AccessToken,
            now: Int<i64>,
            payout_id: &str,
            reference_id: Option<&str>,
        ) -> PyResult<HttpRequest> {
            let Int(now) = now;
            core(
                py,
                self.inner
                    .retrieve_request(&token.inner, now, payout_id, reference_id),
            )
        }

        fn parse_retrieve(
            &self,
            py: Python<'_>,
            outcome_json: &str,
        ) -> PyResult<super::PayoutBatch> {
            read_outcome(py, outcome_json, |outcome| self.inner.parse_retrieve(outcome))
        }

        fn verify_callback(
            &self,
            py: Python<'_>,
            headers_: &Bound<'_, PyAny>,
            body: &Bound<'_, PyBytes>,
        ) -> PyResult<Vec<PayoutEvent>> {
            let headers = headers(headers_)?;
            core(py, self.inner.verify_callback(&headers, body.as_bytes()))
        }

        /// The core's `Pivot::handle_callback` as `(events | None, error_json | None,
        /// acknowledgement_json)`: never raises for a bad callback, so the host always has the
        /// answer to send back.
        fn handle_callback(
            &self,
            headers_: &Bound<'_, PyAny>,
            body: &Bound<'_, PyBytes>,
        ) -> PyResult<Handled<Vec<PayoutEvent>>> {
            handled(
                self.inner
                    .handle_callback(&headers(headers_)?, body.as_bytes()),
            )
        }

        /// The core's `Pivot::test_callback`: the single callback Pivot would send for `event`.
        #[pyo3(signature = (api_key, event, url=None))]
        fn test_callback(
            &self,
            py: Python<'_>,
            api_key: &Bound<'_, PyString>,
            event: TestCallbackEvent,
            url: Option<&str>,
        ) -> PyResult<HttpRequest> {
            test_request(py, api_key, "api_key", url, |api_key, url| {
                self.inner.test_callback(api_key, &event, url)
            })
        }

        /// The core's `Pivot::test_bulk_callback`: the bulk callback for the request's payouts.
        #[pyo3(signature = (api_key, payouts, url=None))]
        fn test_bulk_callback(
            &self,
            py: Python<'_>,
            api_key: &Bound<'_, PyString>,
            payouts: Vec<TestCallbackEvent>,
            url: Option<&str>,
        ) -> PyResult<HttpRequest> {
            test_request(py, api_key, "api_key", url, |api_key, url| {
                self.inner.test_bulk_callback(api_key, &payouts, url)
            })
        }

        fn __repr__(&self) -> String {
            let config = self.inner.config();
            format!(
                "Pivot(base_url={:?}, merchant_id={:?}, merchant_secret=[redacted], callback_api_keys=[{} redacted])",
                config.base_url,
                config.merchant_id,
                config.callback_api_keys.len()
            )
        }
    }
}

/// Adds the class and the provider's constants to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AccessToken>()?;
    m.add_class::<Pivot>()?;
    m.add("PIVOT_PRODUCTION_URL", super::PRODUCTION_URL)?;
    m.add("PIVOT_SANDBOX_URL", super::SANDBOX_URL)?;
    m.add(
        "PIVOT_SANDBOX_ACCOUNT_SUCCESS",
        super::SANDBOX_ACCOUNT_SUCCESS,
    )?;
    m.add(
        "PIVOT_SANDBOX_ACCOUNT_INACTIVE",
        super::SANDBOX_ACCOUNT_INACTIVE,
    )?;
    Ok(())
}

/// The configuration's declared fields and its defaults as the core's `Debug` shows them.
pub(crate) fn core_config() -> (Vec<&'static str>, String) {
    (
        crate::python_shell::declared_fields::<super::PivotConfig>(),
        format!(
            "{:?}",
            super::PivotConfig::new("https://a.example", "m", Secret::new("s"))
        ),
    )
}

//! Python (feature `python`): the native class `Gateway` of the wheel's module `kirim._native`
//! (its typed wrapper is `kirim/gateway.py`), one method per method of the core's shell.

use crate::event::PayoutEvent;
use crate::http::{HttpOutcome, HttpRequest};
use crate::providers::common::TestCallbackEvent;
use crate::python::Int;
use crate::python_shell::native_shell;
use crate::python_shell::{
    Handled, arg, core, enum_arg, handled, out, parse_outcome, read_outcome, test_request,
};
use crate::secret::Secret;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

native_shell! {
    /// The `platform_id` withdraw gateway shell, built once from a validated configuration.
    Gateway(super::Gateway, super::GatewayConfig),
    acknowledgement notification_acknowledgement,
    reads_body [
        verify_notification -> PayoutEvent,
        parse_notification_unverified -> PayoutEvent,
    ] {
        /// Signs the parameters of a JSON object body (numbers kept as written) with the configured
        /// key; `sign_type` defaults to the configured one.
        #[pyo3(signature = (body, sign_type=None))]
        fn sign(
            &self,
            py: Python<'_>,
            body: &Bound<'_, PyBytes>,
            sign_type: Option<&str>,
        ) -> PyResult<String> {
            let params = core(
                py,
                crate::signing::FormParams::from_json_object(
                    body.as_bytes(),
                    self.inner.config().max_body_bytes,
                    "body",
                ),
            )?;
            self.sign_with(py, &params, sign_type)
        }

        /// Signs a mapping the host built, rendered as JSON text: the core's `Gateway::host_params`
        /// refuses a decimal number (it has been through a float).
        #[pyo3(signature = (params_json, sign_type=None))]
        fn sign_host_params(
            &self,
            py: Python<'_>,
            params_json: &str,
            sign_type: Option<&str>,
        ) -> PyResult<String> {
            let params = core(
                py,
                self.inner
                    .host_params_from_text(params_json.as_bytes(), "params"),
            )?;
            self.sign_with(py, &params, sign_type)
        }

        fn create_withdraw_request(
            &self,
            py: Python<'_>,
            order: super::WithdrawOrderInput,
            now: Int<i64>,
        ) -> PyResult<HttpRequest> {
            let Int(now) = now;
            core(py, self.inner.create_withdraw_request(&order, now))
        }

        /// The outcome as `(next_action, payout_id | None, error_json | None)`.
        fn parse_create_withdraw(
            &self,
            py: Python<'_>,
            outcome_json: &str,
        ) -> PyResult<(crate::NextAction, Option<String>, Option<String>)> {
            let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
            let parsed = self.inner.parse_create_withdraw(&outcome);
            let error = parsed.error.map(|e| crate::write::to_string(&e));
            Ok((parsed.next_action, parsed.payout_id, error))
        }

        fn query_request(&self, py: Python<'_>, filter_json: &str) -> PyResult<HttpRequest> {
            let filter: super::QueryFilter = arg(py, filter_json, "filter")?;
            core(py, self.inner.query_request(&filter))
        }

        fn query_order_request(&self, py: Python<'_>, payout_cl_id: &str) -> PyResult<HttpRequest> {
            core(py, self.inner.query_order_request(payout_cl_id))
        }

        fn parse_query(
            &self,
            py: Python<'_>,
            outcome_json: &str,
        ) -> PyResult<super::QueryResult> {
            read_outcome(py, outcome_json, |outcome| self.inner.parse_query(outcome))
        }

        /// The core's `Gateway::handle_notification` as `(event | None, error_json | None,
        /// acknowledgement_json)`; never raises for a bad notification.
        fn handle_notification(&self, body: &Bound<'_, PyBytes>) -> PyResult<Handled<PayoutEvent>> {
            handled(self.inner.handle_notification(body.as_bytes()))
        }

        fn balance_request(&self, py: Python<'_>) -> PyResult<HttpRequest> {
            core(py, self.inner.balance_request())
        }

        fn parse_balance(&self, py: Python<'_>, outcome_json: &str) -> PyResult<String> {
            parse_outcome(py, outcome_json, |outcome| {
                self.inner.parse_balance(outcome)
            })
        }

        /// The core's `Gateway::test_notification`: the notification the gateway would send for
        /// `event`, signed with `platform_key` (`sign_type` defaults to the configured one).
        #[pyo3(signature = (platform_key, event, sign_type=None, url=None))]
        fn test_notification(
            &self,
            py: Python<'_>,
            platform_key: &Bound<'_, pyo3::types::PyString>,
            event: TestCallbackEvent,
            sign_type: Option<&str>,
            url: Option<&str>,
        ) -> PyResult<HttpRequest> {
            let sign_type = self.sign_type(py, sign_type)?;
            test_request(py, platform_key, "platform_key", url, |platform_key, url| {
                self.inner
                    .test_notification(platform_key, sign_type, &event, url)
            })
        }

        fn __repr__(&self) -> String {
            let config = self.inner.config();
            format!(
                "Gateway(base_url={:?}, platform_id={:?}, platform_key=[redacted], previous_platform_keys=[{} redacted], authorization={}, sign_type={:?})",
                config.base_url,
                config.platform_id,
                config.previous_platform_keys.len(),
                if config.authorization.is_some() {
                    "[redacted]"
                } else {
                    "None"
                },
                config.sign_type.as_str()
            )
        }
    }
}

impl Gateway {
    fn sign_with(
        &self,
        py: Python<'_>,
        params: &crate::signing::FormParams,
        sign_type: Option<&str>,
    ) -> PyResult<String> {
        let sign_type = self.sign_type(py, sign_type)?;
        out(&core(py, self.inner.sign_params(params, sign_type))?)
    }

    /// A sign type by its name, else the configured one.
    fn sign_type(&self, py: Python<'_>, name: Option<&str>) -> PyResult<crate::signing::SignType> {
        match name {
            Some(name) => enum_arg(py, name, "sign_type"),
            None => Ok(self.inner.config().sign_type),
        }
    }
}

/// Adds the class and the provider's constants to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Gateway>()?;
    m.add("GATEWAY_PAYOUTS_PATH", super::PAYOUTS_PATH)?;
    m.add("GATEWAY_BALANCE_PATH", super::BALANCE_PATH)?;
    m.add("GATEWAY_SERVICE_ID", super::SERVICE_ID)?;
    m.add("GATEWAY_OK_CODE", super::OK_CODE)?;
    Ok(())
}

/// The configuration's declared fields and its defaults as the core's `Debug` shows them.
pub(crate) fn core_config() -> (Vec<&'static str>, String) {
    (
        crate::python_shell::declared_fields::<super::GatewayConfig>(),
        format!(
            "{:?}",
            super::GatewayConfig::new("https://a.example", "PF0002", Secret::new("s"))
        ),
    )
}

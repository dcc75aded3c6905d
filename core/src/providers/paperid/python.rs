//! Python (feature `python`): the native class `PaperId` of the wheel's module `kirim._native`
//! (its typed wrapper is `kirim/paperid.py`), one method per method of the core's shell.

use crate::event::PayoutEvent;
use crate::http::HttpRequest;
use crate::providers::common::TestCallbackEvent;
use crate::python_shell::native_shell;
use crate::python_shell::{Handled, core, handled, headers, test_request};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

native_shell! {
    /// The Paper.id callback shell, built once from the authenticity options the caller chose.
    PaperId(super::PaperId, super::PaperIdConfig), acknowledgement callback_acknowledgement,
    reads_body [parse_callback_unverified -> PayoutEvent] {
        #[pyo3(signature = (headers_, source_address, body))]
        fn verify_callback(
            &self,
            py: Python<'_>,
            headers_: &Bound<'_, PyAny>,
            source_address: Option<&str>,
            body: &Bound<'_, PyBytes>,
        ) -> PyResult<PayoutEvent> {
            let headers = headers(headers_)?;
            core(
                py,
                self.inner
                    .verify_callback(&headers, source_address, body.as_bytes()),
            )
        }

        /// The core's `PaperId::handle_callback` as `(event | None, error_json | None,
        /// acknowledgement_json)`; never raises for a bad callback.
        #[pyo3(signature = (headers_, source_address, body))]
        fn handle_callback(
            &self,
            headers_: &Bound<'_, PyAny>,
            source_address: Option<&str>,
            body: &Bound<'_, PyBytes>,
        ) -> PyResult<Handled<PayoutEvent>> {
            handled(
                self.inner
                    .handle_callback(&headers(headers_)?, source_address, body.as_bytes()),
            )
        }

        /// The core's `PaperId::test_callback`: the callback Paper.id would send for `event`,
        /// with `token` in the configured token header.
        #[pyo3(signature = (token, event, url=None))]
        fn test_callback(
            &self,
            py: Python<'_>,
            token: &str,
            event: TestCallbackEvent,
            url: Option<&str>,
        ) -> PyResult<HttpRequest> {
            test_request(py, token, url, |token, url| {
                self.inner.test_callback(token, &event, url)
            })
        }

        fn __repr__(&self) -> String {
            let config = self.inner.config();
            format!(
                "PaperId(callback_token_header={}, callback_tokens=[{} redacted], allowed_source_addresses={:?})",
                match &config.callback_token_header {
                    Some(name) => format!("{name:?}"),
                    None => "None".to_owned(),
                },
                config.callback_tokens.len(),
                config.allowed_source_addresses
            )
        }
    }
}

/// Adds the class and the provider's constants to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PaperId>()?;
    Ok(())
}

/// The configuration's declared fields and its defaults as the core's `Debug` shows them.
pub(crate) fn core_config() -> (Vec<&'static str>, String) {
    (
        crate::python_shell::declared_fields::<super::PaperIdConfig>(),
        format!("{:?}", super::PaperIdConfig::default()),
    )
}

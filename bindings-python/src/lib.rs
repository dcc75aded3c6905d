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
//! Secrets (the merchant secret, callback keys, access tokens) stay inside core types here:
//! `AccessToken` is an opaque class whose `repr` never shows the value.

use kirim::PayoutEvent;
use kirim::http::{Acknowledgement, Header, HttpOutcome, HttpRequest};
use kirim::providers::common::TestCallbackEvent;
use kirim::providers::{gateway, paperid, pivot};
use kirim::secret::Secret;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

mod lifecycle;

/// A core result, its error raised as the `kirim.KirimError` subclass for its code.
fn core<T>(py: Python<'_>, result: kirim::Result<T>) -> PyResult<T> {
    kirim::python::py_result(py, result)
}

/// Parses a JSON argument into a core type; a bad shape is the core's `unexpected_shape` error
/// naming the argument and the path in it (`payouts[0].amount`).
fn arg<T: kirim::read::FromJson>(py: Python<'_>, json: &str, what: &str) -> PyResult<T> {
    core(py, kirim::json::parse_argument(json.as_bytes(), what))
}

/// Renders a core value as its JSON form, with the core's writer.
fn out<T: kirim::write::ToJson + ?Sized>(value: &T) -> PyResult<String> {
    Ok(kirim::write::to_string(value))
}

/// A provider's answer (`outcome_json`, the core's `HttpOutcome` JSON form) read by `parse`, the
/// result in its JSON form.
fn parse_outcome<T: kirim::write::ToJson>(
    py: Python<'_>,
    outcome_json: &str,
    parse: impl FnOnce(&HttpOutcome) -> kirim::Result<T>,
) -> PyResult<String> {
    let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
    out(&core(py, parse(&outcome))?)
}

/// Headers as the host has them: `(name, value)` pairs of `str` read here directly (the common
/// case, and the fast one); any other form (a mapping such as `request.headers`, `Header`
/// objects, bytes pairs) through `kirim.http.headers_of`, the one reading of them.
fn headers(headers: &Bound<'_, PyAny>) -> PyResult<Vec<Header>> {
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
fn acknowledge(
    py: Python<'_>,
    error_json: Option<&str>,
    answer: impl FnOnce(Result<(), &kirim::Error>) -> Acknowledgement,
) -> PyResult<Acknowledgement> {
    let error: Option<kirim::Error> = match error_json {
        Some(json) => Some(arg(py, json, "error")?),
        None => None,
    };
    Ok(answer(error.as_ref().map_or(Ok(()), Err)))
}

/// A handled callback as `(result | None, error_json | None, acknowledgement)`.
type Handled<T> = (Option<T>, Option<String>, Acknowledgement);

/// The core's `Handled`: the result and the acknowledgement as native objects, the error in its
/// JSON form. Conversion only (the core verified and chose the acknowledgement).
fn handled<T>(handled: kirim::providers::common::Handled<T>) -> PyResult<Handled<T>> {
    let ack = handled.acknowledgement;
    match handled.result {
        Ok(value) => Ok((Some(value), None, ack)),
        Err(error) => Ok((None, Some(out(&error)?), ack)),
    }
}

/// The fields of a core configuration type, in declaration order, as its `Deserialize` declares
/// them: the Python tests check that the Python configuration classes carry every one.
fn declared_fields<'de, T: serde::Deserialize<'de>>() -> Vec<&'static str> {
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

/// The core configuration's declared fields, and its defaults as the core's `Debug` shows them
/// (secrets redacted) for the required values given: what the Python tests compare the Python
/// configuration classes and the running shells with.
#[pyfunction]
fn core_config(provider: &str) -> PyResult<(Vec<&'static str>, String)> {
    let secret = || Secret::new("s");
    Ok(match provider {
        "pivot" => (
            declared_fields::<pivot::PivotConfig>(),
            format!(
                "{:?}",
                pivot::PivotConfig::new("https://a.example", "m", secret())
            ),
        ),
        "gateway" => (
            declared_fields::<gateway::GatewayConfig>(),
            format!(
                "{:?}",
                gateway::GatewayConfig::new("https://a.example", "PF0002", secret())
            ),
        ),
        "paper_id" => (
            declared_fields::<paperid::PaperIdConfig>(),
            format!("{:?}", paperid::PaperIdConfig::default()),
        ),
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "no provider {other:?}"
            )));
        }
    })
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

/// A unit enum (a status, a sign type) from its name; an unknown name is the core's
/// `unexpected_shape` error, as the JSON operation interface reports it.
fn enum_arg<T: kirim::read::FromJson>(py: Python<'_>, name: &str, field: &str) -> PyResult<T> {
    let text = kirim::read::Json::String(std::borrow::Cow::Borrowed(name));
    core(py, kirim::json::read_argument(&text, field))
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

/// A Pivot bearer token and its expiry. The value never appears in `repr`.
#[pyclass(frozen, module = "kirim._native", name = "AccessToken")]
pub(crate) struct AccessToken {
    pub(crate) inner: pivot::AccessToken,
}

#[pymethods]
impl AccessToken {
    #[new]
    #[pyo3(signature = (value, token_type, expires_at))]
    fn new(value: &str, token_type: &str, expires_at: i64) -> Self {
        AccessToken {
            inner: pivot::AccessToken::new(Secret::new(value), token_type, expires_at),
        }
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

    fn needs_refresh(&self, now: i64, margin_seconds: i64) -> bool {
        self.inner.needs_refresh(now, margin_seconds)
    }

    fn is_expired(&self, now: i64) -> bool {
        self.inner.is_expired(now)
    }

    fn __repr__(&self) -> String {
        format!(
            "AccessToken(value=[redacted], token_type={:?}, expires_at={})",
            self.inner.token_type, self.inner.expires_at
        )
    }
}

/// A provider's protocol shell, built once from its configuration (`config_json`: the core's
/// JSON form of `$config`, checked by the core): its constructor, its configuration as the
/// core's `Debug` shows it (secrets redacted; the Python tests compare it with the core's
/// defaults), the acknowledgement of a callback (`error_json`: `None` when it was verified and
/// read, else the error's JSON form), and the shell's own methods.
macro_rules! native_shell {
    (
        $(#[$doc:meta])*
        $shell:ident($core:ty, $config:ty), acknowledgement $ack:ident {
            $($own:tt)*
        }
    ) => {
        $(#[$doc])*
        #[pyclass(frozen, module = "kirim._native")]
        struct $shell {
            inner: $core,
        }

        #[pymethods]
        impl $shell {
            #[new]
            fn new(py: Python<'_>, config_json: &str) -> PyResult<Self> {
                let config: $config = arg(py, config_json, "config")?;
                Ok($shell {
                    inner: core(py, <$core>::new(config))?,
                })
            }

            fn config_debug(&self) -> String {
                format!("{:?}", self.inner.config())
            }

            #[pyo3(signature = (error_json=None))]
            fn $ack(&self, py: Python<'_>, error_json: Option<&str>) -> PyResult<Acknowledgement> {
                acknowledge(py, error_json, |result| self.inner.$ack(result))
            }

            $($own)*
        }
    };
}

native_shell! {
    /// The Pivot protocol shell, built once from a validated configuration.
    Pivot(pivot::Pivot, pivot::PivotConfig), acknowledgement callback_acknowledgement {
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
            revision: u32,
        ) -> PyResult<String> {
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
            now: i64,
        ) -> PyResult<AccessToken> {
            let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
            Ok(AccessToken {
                inner: core(py, self.inner.parse_access_token(&outcome, now))?,
            })
        }

        fn needs_refresh(&self, token: &AccessToken, now: i64) -> bool {
            self.inner.needs_refresh(&token.inner, now)
        }

        fn balance_request(
            &self,
            py: Python<'_>,
            token: &AccessToken,
            now: i64,
        ) -> PyResult<HttpRequest> {
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
            now: i64,
            inquiry_json: &str,
        ) -> PyResult<HttpRequest> {
            let inquiry: pivot::InquiryInput = arg(py, inquiry_json, "inquiry")?;
            core(py, self.inner.inquiry_request(&token.inner, now, &inquiry))
        }

        fn inquiry_status_request(
            &self,
            py: Python<'_>,
            token: &AccessToken,
            now: i64,
            inquiry_id: &str,
        ) -> PyResult<HttpRequest> {
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
            now: i64,
            idempotency_key: &str,
            payouts: Vec<pivot::PayoutItemInput>,
        ) -> PyResult<HttpRequest> {
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
            kirim::NextAction,
            Option<pivot::PayoutBatch>,
            Option<String>,
        )> {
            let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
            let parsed = match attempt_json {
                Some(attempt_json) => {
                    let attempt: pivot::CreateAttempt = arg(py, attempt_json, "attempt")?;
                    core(
                        py,
                        self.inner.parse_create_payout_attempt(&outcome, &attempt),
                    )?
                }
                None => self.inner.parse_create_payout(&outcome),
            };
            let error = parsed.error.map(|e| kirim::write::to_string(&e));
            Ok((parsed.next_action, parsed.batch, error))
        }

        #[pyo3(signature = (token, now, payout_id, reference_id=None))]
        fn retrieve_request(
            &self,
            py: Python<'_>,
            token: &AccessToken,
            now: i64,
            payout_id: &str,
            reference_id: Option<&str>,
        ) -> PyResult<HttpRequest> {
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
        ) -> PyResult<pivot::PayoutBatch> {
            let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
            core(py, self.inner.parse_retrieve(&outcome))
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

        fn parse_callback_unverified(
            &self,
            py: Python<'_>,
            body: &Bound<'_, PyBytes>,
        ) -> PyResult<Vec<PayoutEvent>> {
            core(py, self.inner.parse_callback_unverified(body.as_bytes()))
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
            api_key: &str,
            event: TestCallbackEvent,
            url: Option<&str>,
        ) -> PyResult<HttpRequest> {
            let url = url.unwrap_or(kirim::providers::common::DEFAULT_TEST_CALLBACK_URL);
            core(
                py,
                self.inner.test_callback(&Secret::new(api_key), &event, url),
            )
        }

        /// The core's `Pivot::test_bulk_callback`: the bulk callback for the request's payouts.
        #[pyo3(signature = (api_key, payouts, url=None))]
        fn test_bulk_callback(
            &self,
            py: Python<'_>,
            api_key: &str,
            payouts: Vec<TestCallbackEvent>,
            url: Option<&str>,
        ) -> PyResult<HttpRequest> {
            let url = url.unwrap_or(kirim::providers::common::DEFAULT_TEST_CALLBACK_URL);
            core(
                py,
                self.inner
                    .test_bulk_callback(&Secret::new(api_key), &payouts, url),
            )
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

native_shell! {
    /// The `platform_id` withdraw gateway shell, built once from a validated configuration.
    Gateway(gateway::Gateway, gateway::GatewayConfig),
    acknowledgement notification_acknowledgement {
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
                kirim::signing::FormParams::from_json_object(
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
            order: gateway::WithdrawOrderInput,
            now: i64,
        ) -> PyResult<HttpRequest> {
            core(py, self.inner.create_withdraw_request(&order, now))
        }

        /// The outcome as `(next_action, payout_id | None, error_json | None)`.
        fn parse_create_withdraw(
            &self,
            py: Python<'_>,
            outcome_json: &str,
        ) -> PyResult<(kirim::NextAction, Option<String>, Option<String>)> {
            let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
            let parsed = self.inner.parse_create_withdraw(&outcome);
            let error = parsed.error.map(|e| kirim::write::to_string(&e));
            Ok((parsed.next_action, parsed.payout_id, error))
        }

        fn query_request(&self, py: Python<'_>, filter_json: &str) -> PyResult<HttpRequest> {
            let filter: gateway::QueryFilter = arg(py, filter_json, "filter")?;
            core(py, self.inner.query_request(&filter))
        }

        fn query_order_request(&self, py: Python<'_>, payout_cl_id: &str) -> PyResult<HttpRequest> {
            core(py, self.inner.query_order_request(payout_cl_id))
        }

        fn parse_query(
            &self,
            py: Python<'_>,
            outcome_json: &str,
        ) -> PyResult<gateway::QueryResult> {
            let outcome: HttpOutcome = arg(py, outcome_json, "outcome")?;
            core(py, self.inner.parse_query(&outcome))
        }

        fn verify_notification(
            &self,
            py: Python<'_>,
            body: &Bound<'_, PyBytes>,
        ) -> PyResult<PayoutEvent> {
            core(py, self.inner.verify_notification(body.as_bytes()))
        }

        fn parse_notification_unverified(
            &self,
            py: Python<'_>,
            body: &Bound<'_, PyBytes>,
        ) -> PyResult<PayoutEvent> {
            core(
                py,
                self.inner.parse_notification_unverified(body.as_bytes()),
            )
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
            platform_key: &str,
            event: TestCallbackEvent,
            sign_type: Option<&str>,
            url: Option<&str>,
        ) -> PyResult<HttpRequest> {
            let sign_type = match sign_type {
                Some(name) => enum_arg(py, name, "sign_type")?,
                None => self.inner.config().sign_type,
            };
            let url = url.unwrap_or(kirim::providers::common::DEFAULT_TEST_CALLBACK_URL);
            core(
                py,
                self.inner
                    .test_notification(&Secret::new(platform_key), sign_type, &event, url),
            )
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
        params: &kirim::signing::FormParams,
        sign_type: Option<&str>,
    ) -> PyResult<String> {
        let sign_type = match sign_type {
            Some(name) => enum_arg(py, name, "sign_type")?,
            None => self.inner.config().sign_type,
        };
        out(&core(py, self.inner.sign_params(params, sign_type))?)
    }
}

native_shell! {
    /// The Paper.id callback shell, built once from the authenticity options the caller chose.
    PaperId(paperid::PaperId, paperid::PaperIdConfig), acknowledgement callback_acknowledgement {
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

        fn parse_callback_unverified(
            &self,
            py: Python<'_>,
            body: &Bound<'_, PyBytes>,
        ) -> PyResult<PayoutEvent> {
            core(py, self.inner.parse_callback_unverified(body.as_bytes()))
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
            let url = url.unwrap_or(kirim::providers::common::DEFAULT_TEST_CALLBACK_URL);
            core(
                py,
                self.inner.test_callback(&Secret::new(token), &event, url),
            )
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

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_operation, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(status_is_final, m)?)?;
    m.add_function(wrap_pyfunction!(status_merge, m)?)?;
    m.add_function(wrap_pyfunction!(status_observe, m)?)?;
    m.add_function(wrap_pyfunction!(core_config, m)?)?;
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
    m.add_class::<AccessToken>()?;
    m.add_class::<Pivot>()?;
    m.add_class::<Gateway>()?;
    m.add_class::<PaperId>()?;
    m.add_class::<lifecycle::PayoutLifecycle>()?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add("PIVOT_PRODUCTION_URL", pivot::PRODUCTION_URL)?;
    m.add("PIVOT_SANDBOX_URL", pivot::SANDBOX_URL)?;
    m.add(
        "PIVOT_SANDBOX_ACCOUNT_SUCCESS",
        pivot::SANDBOX_ACCOUNT_SUCCESS,
    )?;
    m.add(
        "PIVOT_SANDBOX_ACCOUNT_INACTIVE",
        pivot::SANDBOX_ACCOUNT_INACTIVE,
    )?;
    m.add("GATEWAY_PAYOUTS_PATH", gateway::PAYOUTS_PATH)?;
    m.add("GATEWAY_BALANCE_PATH", gateway::BALANCE_PATH)?;
    m.add("GATEWAY_SERVICE_ID", gateway::SERVICE_ID)?;
    m.add("GATEWAY_OK_CODE", gateway::OK_CODE)?;
    Ok(())
}

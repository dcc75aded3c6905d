//! The WebAssembly face of kirim, for the npm package built into `bindings-wasm/pkg`.
//!
//! Thin on purpose: JSON text crosses the boundary in both directions (the core's own JSON
//! operation interface), so this crate adds no JSON code of its own and the `.wasm`
//! stays as small as the core allows. A provider call's input comes as UTF-8 bytes, and a
//! callback's body beside it as its raw bytes (`Provider::run_with_body`), not inside the JSON. The JavaScript layer (`js/api.js`) turns the JSON into
//! typed objects, `Uint8Array` bodies, opaque secrets and `KirimError`. Every rule lives in the
//! core; the few functions here only reach core calls that the JSON interface does not name.
//!
//! Errors are thrown as the core error's JSON text (a string); `js/api.js` turns them into
//! `KirimError`.

use kirim::money::{Currency, Money};
use wasm_bindgen::prelude::*;

/// A core error as the value thrown to JavaScript: its JSON text, by the core's writer.
fn thrown(error: kirim::Error) -> JsValue {
    JsValue::from_str(&kirim::write::to_string(&error))
}

/// The JSON text of an operation input passed as bytes (`TextEncoder` output, so always UTF-8).
fn utf8(input: &[u8]) -> Result<&str, JsValue> {
    std::str::from_utf8(input).map_err(|_| {
        thrown(kirim::Error::new(
            kirim::ErrorCode::UnexpectedShape,
            "operation input is not UTF-8",
        ))
    })
}

/// `kirim::operations::run_json`: one operation of the JSON operation interface.
#[wasm_bindgen(js_name = runOperation)]
pub fn run_operation(operation: &str, input: &str) -> Result<String, JsValue> {
    #[cfg(feature = "test-trap")]
    if operation == "test.trap" {
        trap(input.len());
    }
    kirim::operations::run_json(operation, input).map_err(thrown)
}

/// Test builds only (`--features test-trap`): traps the module as a panic would under
/// `panic = "abort"`, from `depth` frames deep, each holding 256 bytes of the shadow stack, so
/// that the trap leaves the instance corrupted (the stack pointer is never restored) and the
/// package's recovery can be tested.
#[cfg(feature = "test-trap")]
fn trap(depth: usize) -> ! {
    let frame = std::hint::black_box([0u8; 256]);
    if depth == 0 || std::hint::black_box(&frame).is_empty() {
        std::process::abort()
    }
    trap(depth - 1)
}

/// The exact minor units of a decimal amount (`Money::parse`), as an `i64` (a JS `bigint`).
#[wasm_bindgen(js_name = moneyMinorUnits)]
pub fn money_minor_units(value: &str, currency: &str) -> Result<i64, JsValue> {
    let currency = Currency::parse(currency, "currency").map_err(thrown)?;
    Money::parse(value, currency, "value")
        .map(|money| money.minor_units)
        .map_err(thrown)
}

/// A provider configured once (`kirim::providers::Configured`): `new Pivot(config)` in
/// `js/api.js` holds one, so a call does not read and check the configuration again.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Provider(kirim::providers::Configured);

#[wasm_bindgen]
impl Provider {
    /// Reads and checks `config` (JSON text) for `provider` (`pivot`, `gateway`, `paperid`).
    #[wasm_bindgen(constructor)]
    pub fn new(provider: &str, config: &str) -> Result<Provider, JsValue> {
        kirim::providers::Configured::new(provider, config)
            .map(Provider)
            .map_err(thrown)
    }

    /// One operation of this provider (`verify_callback`) on a JSON input without `config`, as
    /// UTF-8 bytes: `TextEncoder` fills them natively, where a string argument is copied into
    /// the module by a loop over its characters in the glue.
    pub fn run(&self, operation: &str, input: &[u8]) -> Result<String, JsValue> {
        self.0.run_json(operation, utf8(input)?).map_err(thrown)
    }

    /// `run` with the `body` argument as its raw bytes (a callback's), not inside the JSON.
    pub fn run_with_body(
        &self,
        operation: &str,
        input: &[u8],
        body: &[u8],
    ) -> Result<String, JsValue> {
        self.0
            .run_json_with_body(operation, utf8(input)?, body)
            .map_err(thrown)
    }
}

/// One payout's lifecycle (`kirim::lifecycle`) over a configured Pivot or gateway provider:
/// `js/lifecycle.js` wraps it as `PayoutLifecycle`. JSON text crosses, as for `Provider`; the
/// core decides every step.
#[wasm_bindgen]
pub struct Lifecycle(kirim::lifecycle::host::DynLifecycle<'static>);

/// Shows the order's reference only: the boxed provider holds credentials.
impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("reference", &self.0.order().reference)
            .finish_non_exhaustive()
    }
}

#[wasm_bindgen]
impl Lifecycle {
    /// A machine for `order` (JSON), nothing sent yet; `settings` is JSON (`null`: the
    /// provider's defaults). `provider` is consumed: pass one configured for this machine.
    #[wasm_bindgen(constructor)]
    pub fn new(
        provider: Provider,
        order: &str,
        settings: &str,
        now: i64,
    ) -> Result<Lifecycle, JsValue> {
        let provider = kirim::lifecycle::host::lifecycle_provider(provider.0).map_err(thrown)?;
        // Read in the order `lifecycle.scenario` reads them, so errors come in the same order.
        let order = kirim::json::parse_argument(order.as_bytes(), "order").map_err(thrown)?;
        let settings =
            kirim::lifecycle::host::settings_from_json(&*provider, settings).map_err(thrown)?;
        kirim::lifecycle::PayoutLifecycle::new(provider, order, settings, now)
            .map(Lifecycle)
            .map_err(thrown)
    }

    /// The machine a stored snapshot describes.
    pub fn restore(provider: Provider, snapshot: &str) -> Result<Lifecycle, JsValue> {
        let provider = kirim::lifecycle::host::lifecycle_provider(provider.0).map_err(thrown)?;
        kirim::lifecycle::PayoutLifecycle::restore(provider, snapshot)
            .map(Lifecycle)
            .map_err(thrown)
    }

    /// The machine of the stored payout `reference` from the snapshot its row held: refused
    /// (`invalid_field`, `reference`) when the snapshot is another payout's (the core's rule).
    pub fn restore_stored(
        provider: Provider,
        snapshot: &str,
        reference: &str,
    ) -> Result<Lifecycle, JsValue> {
        let provider = kirim::lifecycle::host::lifecycle_provider(provider.0).map_err(thrown)?;
        kirim::lifecycle::PayoutLifecycle::restore_stored(provider, snapshot, reference)
            .map(Lifecycle)
            .map_err(thrown)
    }

    /// Decides a submission from what the driver looked up in its store (the core's
    /// `host::check_submission`): `"new"` or `"already_stored"`; refused (`invalid_field`) when
    /// the stored order under its reference differs or another stored payout holds one of its
    /// references. `held` is JSON (`[{reference, payout}]`).
    pub fn check_submission(
        order: &str,
        stored_order: Option<String>,
        stored_provider: Option<String>,
        provider: &str,
        held: &str,
    ) -> Result<String, JsValue> {
        let held: Vec<kirim::lifecycle::host::HeldReference> =
            kirim::json::parse_argument(held.as_bytes(), "held").map_err(thrown)?;
        kirim::lifecycle::host::check_submission(
            order,
            stored_order.as_deref(),
            stored_provider.as_deref(),
            provider,
            &held,
        )
        .map(|decision| decision.as_str().to_owned())
        .map_err(thrown)
    }

    /// The next action, as JSON.
    pub fn poll(&mut self, now: i64) -> String {
        kirim::write::to_string(&self.0.poll(now))
    }

    /// The outcome (JSON) of the last request sent.
    pub fn handle_response(&mut self, outcome: &str, now: i64) -> Result<(), JsValue> {
        let outcome: kirim::HttpOutcome =
            kirim::json::parse_argument(outcome.as_bytes(), "outcome").map_err(thrown)?;
        self.0.handle_response(&outcome, now).map_err(thrown)
    }

    /// A callback, verified by the provider's rules, then applied: `{verdicts, error,
    /// acknowledgement}` as JSON. `headers` is JSON (`[{name, value}]`).
    pub fn handle_callback(
        &mut self,
        headers: &str,
        body: &[u8],
        now: i64,
    ) -> Result<String, JsValue> {
        let headers: Vec<kirim::Header> =
            kirim::json::parse_argument(headers.as_bytes(), "headers").map_err(thrown)?;
        let result = kirim::lifecycle::host::handle_callback(&mut self.0, &headers, body, now);
        Ok(kirim::write::to_string(&result))
    }

    /// A callback read without verification (its events can only bring a query forward).
    pub fn handle_unverified_callback(&mut self, body: &[u8], now: i64) -> String {
        let result = kirim::lifecycle::host::handle_unverified_callback(&mut self.0, body, now);
        kirim::write::to_string(&result)
    }

    /// The snapshot text (format version 1) to store before each send.
    pub fn snapshot(&self) -> String {
        self.0.snapshot()
    }

    /// The idempotency key the order derives (the key every create of this payout carries).
    pub fn idempotency_key(&self) -> String {
        self.0.idempotency_key().to_owned()
    }

    /// The state as the scenario vectors check it, as JSON.
    pub fn state(&self) -> String {
        kirim::lifecycle::host::state_json(&self.0)
    }

    /// Shares a Pivot token (JSON `{value, token_type, expires_at}`) with this machine.
    pub fn use_session(&mut self, token: &str) -> Result<(), JsValue> {
        let token = kirim::json::parse_argument(token.as_bytes(), "token").map_err(thrown)?;
        self.0.use_session(token);
        Ok(())
    }

    /// The machine's Pivot token as JSON (`{value, token_type, expires_at}`, the form
    /// `use_session` takes), or nothing: what a driver hands to its other payouts.
    pub fn session(&self) -> Option<String> {
        self.0.session().map(|token| {
            let mut out = String::from("{\"value\":");
            kirim::write::write_str(&mut out, token.value().expose_secret());
            out.push_str(",\"token_type\":");
            kirim::write::write_str(&mut out, &token.token_type);
            out.push_str(&format!(",\"expires_at\":{}}}", token.expires_at));
            out
        })
    }

    /// Drops the token (after the provider refused it elsewhere).
    pub fn forget_session(&mut self) {
        self.0.forget_session();
    }
}

//! The WebAssembly face of kirim, for the npm package built into `bindings-wasm/pkg`.
//!
//! Thin on purpose: JSON text crosses the boundary in both directions (the core's own JSON
//! operation interface), so this crate adds no JSON code of its own and the `.wasm`
//! stays as small as the core allows. The JavaScript layer (`js/api.js`) turns the JSON into
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

    /// One operation of this provider (`verify_callback`) on a JSON input without `config`.
    pub fn run(&self, operation: &str, input: &str) -> Result<String, JsValue> {
        self.0.run_json(operation, input).map_err(thrown)
    }
}

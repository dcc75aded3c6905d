//! Writes the TypeScript declarations of kirim's npm package that come from Rust: the model
//! (`types.d.ts`), generated from the Rust types with ts-rs, and the provider classes, generated
//! from the tables of typed calls (`calls.rs` for the functions, each provider's `js.rs` in the
//! core for its class); and the JavaScript that builds those classes from the same tables (`calls.js`, appended to `js/api.js` by script/build). Every input and
//! output type of the typed API is declared by walking the dependencies of the types the table
//! names (and the roots below), so a type added to a model field is declared without touching
//! this file. Integers are `number` (every integer in the model is a count, a status or Unix
//! seconds; money is a decimal string).
//!
//! Usage: `cargo run -p kirim-wasm --features ts --bin kirim-wasm-types -- OUT.d.ts [OUT.js]`

mod calls;

use kirim::js::{Declarations, Declare};
use std::collections::BTreeMap;
use std::io::Write;
use ts_rs::Config;

fn main() -> std::io::Result<()> {
    let cfg = Config::new().with_large_int("number");
    let mut collect = Declarations::new(&cfg);
    // The roots the table of calls does not name: the error (`KirimError`'s data), the types
    // of the hand-written API in js/api.d.ts, and what Money's hand-written declaration names.
    collect.root::<kirim::error::ErrorData>();
    collect.root::<kirim::Currency>();
    collect.root::<kirim::HttpOutcome>();
    collect.root::<kirim::Acknowledgement>();
    collect.root::<kirim::PayoutEvent>();
    collect.root::<kirim::idempotency::KeyReuse>();
    // The payout lifecycle's order, enums and records (js/lifecycle.d.ts declares the class
    // over them): its settings as the binding reads them, its actions, state and callback
    // outcome as the core writes them.
    collect.root::<kirim::lifecycle::PayoutOrder>();
    collect.root::<kirim::lifecycle::host::SettingsIn>();
    collect.lifecycle_records();
    collect.lifecycle_enums();
    collect.root::<kirim::status::Failure>();
    let functions = calls::functions(&mut collect);
    let classes = calls::classes(&mut collect);

    // A table entry the core does not know fails the build, not a user's call.
    for operation in calls::operations(&functions, &classes) {
        let unknown = kirim::operations::run_json(&operation, "{}")
            .is_err_and(|error| error.code == kirim::ErrorCode::UnknownOperation);
        if unknown {
            return Err(std::io::Error::other(format!(
                "the table of typed calls names {operation}, which the core does not know"
            )));
        }
    }

    let mut text = String::from(
        "// Generated from kirim's Rust types (ts-rs) and the table of typed calls by\n\
         // bindings-wasm/src/bin/kirim-wasm-types. Do not edit: change the Rust, then run\n\
         // bindings-wasm/script/build.\n\n",
    );
    for function in &functions {
        text.push_str(&calls::function_declaration(function));
    }
    text.push('\n');
    for class in &classes {
        text.push_str(&calls::declaration(class));
        text.push('\n');
    }
    // By name, so that the file does not change when a type is reached another way.
    let declarations: BTreeMap<String, String> = collect
        .take()
        .into_iter()
        .map(|d| (d.name, format!("{}export {}\n", d.docs, d.declaration)))
        .collect();
    for declaration in declarations.values() {
        text.push_str(declaration);
        text.push('\n');
    }
    let mut paths = std::env::args().skip(1);
    match paths.next() {
        Some(path) => std::fs::write(path, text)?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    match paths.next() {
        Some(path) => std::fs::write(path, calls::javascript(&functions, &classes)),
        None => Ok(()),
    }
}

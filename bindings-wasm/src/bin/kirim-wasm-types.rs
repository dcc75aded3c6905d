//! Writes the TypeScript declarations of kirim's model (`types.d.ts` of the npm package),
//! generated from the Rust types with ts-rs: every input and output type of the typed API,
//! found by walking the dependencies of the roots below, so a type added to a model field is
//! declared without touching this file. Integers are `number` (every integer in the model is
//! a count, a status or Unix seconds; money is a decimal string).
//!
//! Usage: `cargo run -p kirim-wasm --features ts --bin kirim-wasm-types -- OUT.d.ts`

use std::any::TypeId;
use std::collections::BTreeMap;
use std::io::Write;
use ts_rs::{Config, TS, TypeVisitor};

/// Collects the declaration of every declarable type reachable from the roots.
struct Collect<'a> {
    cfg: &'a Config,
    seen: Vec<TypeId>,
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Collect<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Primitives and containers have no output path and no declaration of their own.
        if T::output_path().is_none() || self.seen.contains(&TypeId::of::<T>()) {
            return;
        }
        self.seen.push(TypeId::of::<T>());
        // `kirim::Error` boxes `ErrorData`; fields of type Error are written as its declaration,
        // KirimErrorData, so the newtype itself would only add an alias named `Error`.
        if TypeId::of::<T>() == TypeId::of::<kirim::Error>() {
            T::visit_dependencies(self);
            return;
        }
        let docs = T::docs().unwrap_or_default();
        self.decls.insert(
            T::ident(self.cfg),
            format!("{docs}export {}\n", T::decl(self.cfg)),
        );
        T::visit_dependencies(self);
    }
}

fn main() -> std::io::Result<()> {
    use kirim::providers::{gateway, paperid, pivot};
    let cfg = Config::new().with_large_int("number");
    let mut collect = Collect {
        cfg: &cfg,
        seen: Vec::new(),
        decls: BTreeMap::new(),
    };
    // The roots: everything the typed API takes or returns.
    collect.visit::<kirim::error::ErrorData>();
    // Money's declaration is written by hand in its attribute (its JSON form is not its
    // fields), so what it names is listed here.
    collect.visit::<kirim::Currency>();
    collect.visit::<kirim::HttpRequest>();
    collect.visit::<kirim::HttpOutcome>();
    collect.visit::<kirim::Acknowledgement>();
    collect.visit::<kirim::PayoutEvent>();
    collect.visit::<kirim::idempotency::KeyReuse>();
    collect.visit::<pivot::PivotConfig>();
    collect.visit::<pivot::InquiryInput>();
    collect.visit::<pivot::InquiryResult>();
    collect.visit::<pivot::PayoutItemInput>();
    collect.visit::<pivot::PayoutBatch>();
    collect.visit::<pivot::CreatePayoutOutcome>();
    collect.visit::<pivot::CreateAttempt>();
    collect.visit::<gateway::GatewayConfig>();
    collect.visit::<gateway::WithdrawOrderInput>();
    collect.visit::<gateway::Signature>();
    collect.visit::<gateway::CreateWithdrawOutcome>();
    collect.visit::<gateway::QueryFilter>();
    collect.visit::<gateway::QueryResult>();
    collect.visit::<paperid::PaperIdConfig>();

    let mut text = String::from(
        "// Generated from kirim's Rust types by bindings-wasm/src/bin/kirim-wasm-types.rs (ts-rs).\n\
         // Do not edit: change the Rust type, then run bindings-wasm/script/build.\n\n",
    );
    for decl in collect.decls.values() {
        text.push_str(decl);
        text.push('\n');
    }
    match std::env::args().nth(1) {
        Some(path) => std::fs::write(path, text),
        None => std::io::stdout().write_all(text.as_bytes()),
    }
}

//! The package's typed calls: the functions over the model's operations (described here) and the
//! provider classes (described in the core, each in its provider's folder, `js.rs`), each method
//! by its JavaScript name, core operation, arguments (JavaScript name, core name, Rust type, how
//! the value crosses) and result (`kirim::js`). `main.rs` writes from them both the TypeScript
//! class declarations and the table that `js/api.js` builds the classes' methods from, so adding
//! an operation to the typed API is one entry in its provider's `js.rs` and no hand-written
//! JavaScript or TypeScript.

use kirim::js::Declarations;
use kirim::js::{Call, Class, Shape, calls};

/// Every provider class of the package, in the core's registration order: each is described
/// in its provider's folder (`core/src/providers/<provider>/js.rs`).
pub fn classes(c: &mut Declarations<'_>) -> Vec<Class> {
    kirim::providers::js_classes(c)
}

/// The package's functions over the model's operations (`namespace.name`).
pub fn functions(c: &mut Declarations<'_>) -> Vec<Call> {
    calls(c, |t| {
        t.call("parseMoney", "money.parse")
            .doc("An exact decimal amount such as `\"100000\"` or `\"10000.00\"` as `Money` (never rounded).")
            .arg::<String>("value", "value")
            .opt::<kirim::Currency>("currency", "currency")
            .field::<kirim::Money>("money");
        t.call("mergeStatuses", "status.merge")
            .doc("Applies observations in arrival order.")
            .arg::<Option<kirim::PayoutStatus>>("current", "current")
            .declared("events", "events", "ReadonlyArray<StatusObservation>")
            .to::<kirim::StatusMerge>();
        t.call("isFinal", "status.is_final")
            .doc(
                "Whether no later observation moves a payout out of `status` (succeeded, failed, cancelled\n\
                 and reversed are final; the core decides).",
            )
            .arg::<kirim::PayoutStatus>("status", "status")
            .field::<bool>("is_final");
        t.call("validateIdempotencyKey", "idempotency.validate")
            .doc("Throws `KirimError` (`invalid_idempotency_key`) unless the key satisfies the provider.")
            .declared("provider", "provider", "IdempotencyProvider")
            .arg::<String>("key", "key")
            .shaped(Shape::Void, "void");
        t.call("deriveIdempotencyKey", "idempotency.derive")
            .doc("The stable key of the `revision`-th version of the payout with this merchant reference.")
            .declared("provider", "provider", "IdempotencyProvider")
            .arg::<String>("merchantReference", "merchant_reference")
            .opt::<u32>("revision", "revision")
            .field::<String>("idempotency_key");
        t.call("idempotencyKeyReuse", "idempotency.key_reuse")
            .doc(
                "Whether a key first used at `firstUsedAt` may be reused at `now`: until the provider's window\n\
                 less `marginSeconds` (default 600; at least 0, less than the window).",
            )
            .declared("provider", "provider", "IdempotencyProvider")
            .arg::<i64>("firstUsedAt", "first_used_at")
            .arg::<i64>("now", "now")
            .opt::<Option<i64>>("marginSeconds", "margin_seconds")
            .to::<kirim::idempotency::KeyReuse>();
        t.call("redactHeaders", "http.redact_headers")
            .doc(
                "The headers as they may be shown (logs, inspection): each credential's value is `[redacted]`,\n\
                 by the core's one rule, the same in every language: a name containing auth, cookie,\n\
                 credential, key, pass, secret, session, sign or token (any case) is a credential's.",
            )
            .headers()
            .field::<Vec<kirim::Header>>("headers");
    })
}

/// A doc comment, `indent`ed.
fn doc(doc: &str, indent: &str) -> String {
    if doc.is_empty() {
        return String::new();
    }
    let lines = doc.replace('\n', &format!("\n{indent} * "));
    format!("{indent}/**\n{indent} * {lines}\n{indent} */\n")
}

/// `name(arguments): result`.
fn signature(call: &Call) -> String {
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| format!("{}{}: {}", a.js, if a.optional { "?" } else { "" }, a.ts))
        .collect();
    format!("{}({}): {}", call.js, args.join(", "), call.result)
}

/// The TypeScript declaration of one function.
pub fn function_declaration(call: &Call) -> String {
    format!(
        "{}export declare function {};\n",
        doc(call.doc, ""),
        signature(call)
    )
}

/// The TypeScript declaration of one class.
pub fn declaration(class: &Class) -> String {
    let optional = if class.config_optional { "?" } else { "" };
    let mut out = format!(
        "/** {} */\nexport declare class {} {{\n  \
         /** Throws `KirimError` (`invalid_config`) naming every bad field. */\n  \
         constructor(config{optional}: {});\n",
        class.doc, class.name, class.config
    );
    for call in &class.calls {
        out.push_str(&doc(call.doc, "  "));
        out.push_str(&format!("  {};\n", signature(call)));
    }
    out.push_str("}\n");
    out
}

/// One call's entry in the JavaScript table: `[operation, [[js, core, kind], ...], shape, field]`.
fn entry(call: &Call) -> String {
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| format!("['{}', '{}', '{}']", a.js, a.core, a.kind.js()))
        .collect();
    let field = call.field.map_or("null".to_owned(), |f| format!("'{f}'"));
    format!(
        "['{}', [{}], '{}', {}]",
        call.operation,
        args.join(", "),
        call.shape.js(),
        field
    )
}

/// The JavaScript that builds the functions and classes from the table (`typedFunction` and
/// `providerClass` in `js/api.js`).
pub fn javascript(functions: &[Call], classes: &[Class]) -> String {
    let names: Vec<&str> = functions
        .iter()
        .map(|f| f.js)
        .chain(classes.iter().map(|c| c.name))
        .collect();
    let mut out = format!(
        "// The typed functions and provider classes, built from the tables of typed calls: the\n\
         // functions' in bindings-wasm/src/bin/kirim-wasm-types/calls.rs, each provider class's in its\n\
         // folder of the core (core/src/providers/<provider>/js.rs). Generated by kirim-wasm-types:\n\
         // do not edit.\n\
         //\n\
         // EXPORTS: {}\n",
        names.join(" ")
    );
    for function in functions {
        out.push_str(&format!(
            "const {} = typedFunction('{}', {});\n",
            function.js,
            function.js,
            entry(function)
        ));
    }
    for class in classes {
        out.push_str(&format!(
            "const {} = providerClass('{}', '{}', {}, {{\n",
            class.name, class.name, class.provider, class.config_optional
        ));
        for call in &class.calls {
            out.push_str(&format!("  {}: {},\n", call.js, entry(call)));
        }
        out.push_str("});\n");
    }
    out
}

/// Every operation the table names, as the core's full name (`pivot.verify_callback`).
pub fn operations<'t>(functions: &'t [Call], classes: &'t [Class]) -> Vec<String> {
    let functions = functions.iter().map(|f| f.operation.to_owned());
    let methods = classes.iter().flat_map(|class| {
        class
            .calls
            .iter()
            .map(move |call| format!("{}.{}", class.provider, call.operation))
    });
    functions.chain(methods).collect()
}

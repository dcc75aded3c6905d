//! The one description of the package's typed calls: the functions over the model's operations,
//! each provider class with its methods, and
//! each method's JavaScript name, core operation, arguments (JavaScript name, core name, Rust
//! type, how the value crosses) and result. `main.rs` writes from it both the TypeScript class
//! declarations and the table that `js/api.js` builds the classes' methods from, so adding an
//! operation to the typed API is one entry here and no hand-written JavaScript or TypeScript.

use crate::Collect;
use kirim::providers::common::TestCallbackEvent;
use kirim::providers::{gateway, paperid, pivot};
use ts_rs::TS;

/// How a JavaScript argument becomes the core's JSON input (`toCore` in `js/api.js`).
#[derive(Clone, Copy)]
pub enum Kind {
    /// The value as it is (JSON).
    Value,
    /// An `AccessToken` object: its secret value, type and expiry.
    Token,
    /// An `OutcomeInput`: a response with a `Uint8Array` body and any form of headers.
    Outcome,
    /// `HeadersInput`: an array of `{ name, value }`, a fetch `Headers`, or a record.
    Headers,
    /// Raw bytes (`Uint8Array`): UTF-8 text, or `{ hex }` when it is not UTF-8.
    Body,
    /// The gateway's signing parameters: the exact JSON text as bytes (`body`) or an object
    /// (`params`).
    SignParams,
}

impl Kind {
    fn js(self) -> &'static str {
        match self {
            Kind::Value => "value",
            Kind::Token => "token",
            Kind::Outcome => "outcome",
            Kind::Headers => "headers",
            Kind::Body => "body",
            Kind::SignParams => "sign_params",
        }
    }

    /// The TypeScript type of the JavaScript form, where it is not the Rust type's.
    fn ts(self) -> Option<&'static str> {
        match self {
            Kind::Value => None,
            Kind::Token => Some("AccessToken"),
            Kind::Outcome => Some("OutcomeInput"),
            Kind::Headers => Some("HeadersInput"),
            Kind::Body => Some("Uint8Array"),
            Kind::SignParams => {
                Some("Uint8Array | { readonly [key: string]: string | number | boolean | null }")
            }
        }
    }
}

/// How the core's JSON output becomes the JavaScript result (`fromCore` in `js/api.js`).
#[derive(Clone, Copy)]
pub enum Shape {
    /// The JSON value as it is.
    Value,
    /// An `HttpRequest` with a `Uint8Array` body that shows credential headers redacted.
    Request,
    /// An `AccessToken` object whose value never prints.
    AccessToken,
    /// A `{ ..., acknowledgement }` whose acknowledgement body becomes a `Uint8Array`.
    Handling,
    /// Nothing: the call only checks (it throws `KirimError` when the check fails).
    Void,
}

impl Shape {
    fn js(self) -> &'static str {
        match self {
            Shape::Value => "value",
            Shape::Request => "request",
            Shape::AccessToken => "access_token",
            Shape::Handling => "handling",
            Shape::Void => "void",
        }
    }
}

pub struct Arg {
    pub js: &'static str,
    pub core: &'static str,
    pub kind: Kind,
    /// The TypeScript type: the JavaScript form's, else the Rust type's (arrays read-only).
    pub ts: String,
    /// May be left out (the core applies its default).
    pub optional: bool,
}

pub struct Call {
    pub js: &'static str,
    pub operation: &'static str,
    pub doc: &'static str,
    pub args: Vec<Arg>,
    pub shape: Shape,
    /// The member of the core's output object that is the result, if not the whole output.
    pub field: Option<&'static str>,
    pub result: String,
}

pub struct Class {
    pub name: &'static str,
    /// The core's provider name (`pivot`): the operation namespace.
    pub provider: &'static str,
    pub doc: &'static str,
    pub config: String,
    /// The configuration may be left out (the core's default configuration).
    pub config_optional: bool,
    pub calls: Vec<Call>,
}

/// The TypeScript name of a Rust type, declaring it (and what it names) in the model.
fn ts<T: TS + 'static>(c: &mut Collect<'_>) -> String {
    c.root::<T>();
    T::name(c.cfg)
}

/// Builds the table while naming (and so declaring) every Rust type it mentions.
struct Calls<'c, 'a> {
    c: &'c mut Collect<'a>,
    done: Vec<Call>,
    /// The call being described (an empty name before the first).
    current: Call,
}

fn empty(js: &'static str, operation: &'static str) -> Call {
    Call {
        js,
        operation,
        doc: "",
        args: Vec::new(),
        shape: Shape::Value,
        field: None,
        result: String::new(),
    }
}

impl Calls<'_, '_> {
    /// A call; `args` are added by `arg`/`opt`/`kind`, the result by `to`/`field`/`shaped`.
    fn call(&mut self, js: &'static str, operation: &'static str) -> &mut Self {
        let previous = std::mem::replace(&mut self.current, empty(js, operation));
        if !previous.js.is_empty() {
            self.done.push(previous);
        }
        self
    }

    fn last(&mut self) -> &mut Call {
        &mut self.current
    }

    fn doc(&mut self, doc: &'static str) -> &mut Self {
        self.last().doc = doc;
        self
    }

    fn push(
        &mut self,
        js: &'static str,
        core: &'static str,
        kind: Kind,
        ts: String,
        optional: bool,
    ) -> &mut Self {
        let arg = Arg {
            js,
            core,
            kind,
            ts,
            optional,
        };
        self.last().args.push(arg);
        self
    }

    /// An argument of Rust type `T`, crossing as `kind`: declared as the JavaScript form's type,
    /// else as the Rust type's (arrays read-only: arguments are only read).
    fn typed<T: TS + 'static>(
        &mut self,
        js: &'static str,
        core: &'static str,
        kind: Kind,
        optional: bool,
    ) -> &mut Self {
        let rust = ts::<T>(self.c);
        let ts = kind
            .ts()
            .map_or_else(|| rust.replace("Array<", "ReadonlyArray<"), str::to_owned);
        self.push(js, core, kind, ts, optional)
    }

    /// An argument with no Rust type of its own here (a secret, bytes): its JavaScript form's.
    fn form(&mut self, js: &'static str, core: &'static str, kind: Kind) -> &mut Self {
        let ts = kind.ts().unwrap_or_default().to_owned();
        self.push(js, core, kind, ts, false)
    }

    /// A required argument of Rust type `T`, as JSON.
    fn arg<T: TS + 'static>(&mut self, js: &'static str, core: &'static str) -> &mut Self {
        self.typed::<T>(js, core, Kind::Value, false)
    }

    /// An argument that may be left out: the core applies its default.
    fn opt<T: TS + 'static>(&mut self, js: &'static str, core: &'static str) -> &mut Self {
        self.typed::<T>(js, core, Kind::Value, true)
    }

    /// An argument declared by hand in js/api.d.ts (`ts`): its Rust type is private to the core.
    fn declared(&mut self, js: &'static str, core: &'static str, ts: &str) -> &mut Self {
        self.push(js, core, Kind::Value, ts.to_owned(), false)
    }

    fn token(&mut self) -> &mut Self {
        self.form("token", "access_token", Kind::Token)
            .arg::<i64>("now", "now")
    }

    fn outcome(&mut self) -> &mut Self {
        self.typed::<kirim::HttpOutcome>("outcome", "outcome", Kind::Outcome, false)
    }

    fn headers(&mut self) -> &mut Self {
        self.typed::<Vec<kirim::Header>>("headers", "headers", Kind::Headers, false)
    }

    fn body(&mut self) -> &mut Self {
        self.form("body", "body", Kind::Body)
    }

    /// The result: the core's output, of Rust type `T`.
    fn to<T: TS + 'static>(&mut self) -> &mut Self {
        let result = ts::<T>(self.c);
        self.last().result = result;
        self
    }

    /// The result: the member `field` (of Rust type `T`) of the core's output.
    fn field<T: TS + 'static>(&mut self, field: &'static str) -> &mut Self {
        self.last().field = Some(field);
        self.to::<T>()
    }

    /// The result: a `handle_*` output of Rust type `T`, its acknowledgement body as bytes.
    fn handling<T: TS + 'static>(&mut self) -> &mut Self {
        self.last().shape = Shape::Handling;
        self.to::<T>()
    }

    /// The result in a JavaScript form (`shape`), declared as `ts`.
    fn shaped(&mut self, shape: Shape, ts: &str) -> &mut Self {
        let call = self.last();
        call.shape = shape;
        call.result = ts.to_owned();
        self
    }

    fn request(&mut self) -> &mut Self {
        self.c.root::<kirim::HttpRequest>();
        self.shaped(Shape::Request, "HttpRequest")
    }
}

fn calls(c: &mut Collect<'_>, build: impl FnOnce(&mut Calls<'_, '_>)) -> Vec<Call> {
    let mut table = Calls {
        c,
        done: Vec::new(),
        current: empty("", ""),
    };
    build(&mut table);
    table.call("", "");
    table.done
}

/// Every provider class of the package, in declaration order.
pub fn classes(c: &mut Collect<'_>) -> Vec<Class> {
    vec![
        Class {
            name: "Pivot",
            provider: "pivot",
            doc: "Pivot Local Payout: access token, balance, inquiry, payouts, retrieve, callbacks.",
            config: ts::<pivot::PivotConfig>(c),
            config_optional: false,
            calls: calls(c, |t| {
                t.call("accessTokenRequest", "access_token_request")
                    .request();
                t.call("parseAccessToken", "parse_access_token")
                    .outcome()
                    .arg::<i64>("now", "now")
                    .shaped(Shape::AccessToken, "AccessToken");
                t.call("needsRefresh", "needs_refresh")
                    .token()
                    .field::<bool>("needs_refresh");
                t.call("balanceRequest", "balance_request")
                    .token()
                    .request();
                t.call("parseBalance", "parse_balance")
                    .outcome()
                    .to::<kirim::Money>();
                t.call("inquiryRequest", "inquiry_request")
                    .token()
                    .arg::<pivot::InquiryInput>("inquiry", "inquiry")
                    .request();
                t.call("inquiryStatusRequest", "inquiry_status_request")
                    .token()
                    .arg::<String>("inquiryId", "inquiry_id")
                    .request();
                t.call("parseInquiry", "parse_inquiry")
                    .outcome()
                    .to::<pivot::InquiryResult>();
                t.call("createPayoutRequest", "create_payout_request")
                    .token()
                    .arg::<String>("idempotencyKey", "idempotency_key")
                    .arg::<Vec<pivot::PayoutItemInput>>("payouts", "payouts")
                    .request();
                t.call("deriveRequestId", "derive_request_id")
                    .doc("A stable `X-REQUEST-ID`; bump `revision` only after a rejection you corrected.")
                    .arg::<String>("merchantReference", "merchant_reference")
                    .opt::<u32>("revision", "revision")
                    .field::<String>("idempotency_key");
                t.call("parseCreatePayout", "parse_create_payout")
                    .doc(
                        "`next_action` says what to do. With `attempt` (the key, the references, when the key was\n\
                         first sent, now), a resend on the same key is advised only while the key still replays;\n\
                         after that an unknown outcome is `manual_reconciliation` (`key_window_over`). Throws\n\
                         `KirimError` (`validation_failed`) for an attempt whose key or references are invalid.",
                    )
                    .outcome()
                    .opt::<Option<pivot::CreateAttempt>>("attempt", "attempt")
                    .to::<pivot::CreatePayoutOutcome>();
                t.call("retrieveRequest", "retrieve_request")
                    .token()
                    .arg::<String>("payoutId", "payout_id")
                    .opt::<Option<String>>("referenceId", "reference_id")
                    .request();
                t.call("parseRetrieve", "parse_retrieve")
                    .outcome()
                    .to::<pivot::PayoutBatch>();
                t.call("verifyCallback", "verify_callback")
                    .headers()
                    .body()
                    .to::<Vec<kirim::PayoutEvent>>();
                t.call("parseCallbackUnverified", "parse_callback_unverified")
                    .doc("No authenticity check: the events say `unverified`; confirm by retrieving.")
                    .body()
                    .to::<Vec<kirim::PayoutEvent>>();
                t.call("handleCallback", "handle_callback")
                    .headers()
                    .body()
                    .handling::<pivot::operations::HandledEvents<'static>>();
                t.call("testCallback", "test_callback")
                    .doc(
                        "The single callback Pivot would send for `event`, with `X-API-Key: apiKey`: feed it to\n\
                         your webhook handler in a test. `url` defaults to `http://localhost/callback`.",
                    )
                    .arg::<String>("apiKey", "api_key")
                    .arg::<TestCallbackEvent>("event", "event")
                    .opt::<Option<String>>("url", "url")
                    .request();
                t.call("testBulkCallback", "test_bulk_callback")
                    .doc(
                        "The bulk callback Pivot would send for a request with these `payouts` (one `payout_id`):\n\
                         totals only, `PAYOUT.DONE`, or `PAYOUT.PENDING` while one waits.",
                    )
                    .arg::<String>("apiKey", "api_key")
                    .arg::<Vec<TestCallbackEvent>>("payouts", "payouts")
                    .opt::<Option<String>>("url", "url")
                    .request();
            }),
        },
        Class {
            name: "Gateway",
            provider: "gateway",
            doc: "The `platform_id` withdraw gateway family: signing, withdraw orders, query, notifications.",
            config: ts::<gateway::GatewayConfig>(c),
            config_optional: false,
            calls: calls(c, |t| {
                t.call("sign", "sign")
                    .doc(
                        "Signs parameters given as the exact JSON text (bytes; numbers kept as written) or as an\n\
                         object whose numbers are integers.",
                    )
                    .form("params", "params", Kind::SignParams)
                    .opt::<Option<kirim::signing::SignType>>("signType", "sign_type")
                    .to::<gateway::Signature>();
                t.call("createWithdrawRequest", "create_withdraw_request")
                    .arg::<gateway::WithdrawOrderInput>("order", "order")
                    .arg::<i64>("now", "now")
                    .request();
                t.call("parseCreateWithdraw", "parse_create_withdraw")
                    .outcome()
                    .to::<gateway::CreateWithdrawOutcome>();
                t.call("queryRequest", "query_request")
                    .opt::<gateway::QueryFilter>("filter", "filter")
                    .request();
                t.call("queryOrderRequest", "query_order_request")
                    .arg::<String>("payoutClId", "payout_cl_id")
                    .request();
                t.call("parseQuery", "parse_query")
                    .outcome()
                    .to::<gateway::QueryResult>();
                t.call("verifyNotification", "verify_notification")
                    .body()
                    .to::<kirim::PayoutEvent>();
                t.call(
                    "parseNotificationUnverified",
                    "parse_notification_unverified",
                )
                .doc("No signature check: the event says `unverified`; confirm by a query.")
                .body()
                .to::<kirim::PayoutEvent>();
                t.call("handleNotification", "handle_notification")
                    .body()
                    .handling::<kirim::providers::common::HandledEvent<'static>>();
                t.call("balanceRequest", "balance_request").request();
                t.call("parseBalance", "parse_balance")
                    .outcome()
                    .to::<kirim::Money>();
                t.call("testNotification", "test_notification")
                    .doc(
                        "The notification the gateway would send for `event`, signed with `platformKey` by\n\
                         `signType` (default: the configured one) under this configuration's key join and hex case.",
                    )
                    .arg::<String>("platformKey", "platform_key")
                    .arg::<TestCallbackEvent>("event", "event")
                    .opt::<Option<kirim::signing::SignType>>("signType", "sign_type")
                    .opt::<Option<String>>("url", "url")
                    .request();
            }),
        },
        Class {
            name: "PaperId",
            provider: "paperid",
            doc: "Paper.id payout callbacks, with the authenticity options the caller configures.",
            config: ts::<paperid::PaperIdConfig>(c),
            config_optional: true,
            calls: calls(c, |t| {
                t.call("verifyCallback", "verify_callback")
                    .doc("`sourceAddress`: the peer address the host saw (never a header the sender controls).")
                    .headers()
                    .arg::<Option<String>>("sourceAddress", "source_address")
                    .body()
                    .to::<kirim::PayoutEvent>();
                t.call("parseCallbackUnverified", "parse_callback_unverified")
                    .body()
                    .to::<kirim::PayoutEvent>();
                t.call("handleCallback", "handle_callback")
                    .headers()
                    .arg::<Option<String>>("sourceAddress", "source_address")
                    .body()
                    .handling::<kirim::providers::common::HandledEvent<'static>>();
                t.call("testCallback", "test_callback")
                    .doc("The callback Paper.id would send for `event`, with `token` in the configured token header.")
                    .arg::<String>("token", "token")
                    .arg::<TestCallbackEvent>("event", "event")
                    .opt::<Option<String>>("url", "url")
                    .request();
            }),
        },
    ]
}

/// The package's functions over the model's operations (`namespace.name`).
pub fn functions(c: &mut Collect<'_>) -> Vec<Call> {
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
                 by the core's one list of credential header names, the same in every language.",
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
        "// The typed functions and provider classes, built from the table in\n\
         // bindings-wasm/src/bin/kirim-wasm-types/calls.rs. Generated by kirim-wasm-types: do not edit.\n\
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

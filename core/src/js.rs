//! The typed JavaScript API (feature `ts`, read only by bindings-wasm's generator
//! `kirim-wasm-types`): each provider's class is described in its folder (`<provider>/js.rs`),
//! each method by its JavaScript name, core operation, arguments (JavaScript name, core name, Rust
//! type, how the value crosses) and result. The generator writes from these descriptions the
//! TypeScript class declarations and the table `js/api.js` builds the methods from, so a new
//! provider's class needs no change in bindings-wasm.

use ts_rs::TS;

/// Where the descriptions declare the Rust types they name (the generator's collector of
/// TypeScript declarations).
pub trait Declare {
    /// Declares `T` and every type it names.
    fn root<T: TS + 'static + ?Sized>(&mut self);

    /// The ts-rs configuration the names are written with.
    fn config(&self) -> &ts_rs::Config;
}

/// One declared type: its name, its doc comment (as ts-rs writes it, empty when it has none)
/// and its TypeScript declaration (ordered by name first).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Declaration {
    pub name: String,
    pub docs: String,
    pub declaration: String,
}

/// The generators' collector (`kirim-wasm-types` for TypeScript, the Python declarations): the
/// declaration of every declarable type reachable from the roots, each once, in the order first
/// reached.
pub struct Declarations<'a> {
    config: &'a ts_rs::Config,
    seen: Vec<std::any::TypeId>,
    found: Vec<Declaration>,
}

// By hand: ts-rs's `Config` has no `Debug`.
impl std::fmt::Debug for Declarations<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Declarations")
            .field("found", &self.found)
            .finish_non_exhaustive()
    }
}

impl<'a> Declarations<'a> {
    pub fn new(config: &'a ts_rs::Config) -> Self {
        Declarations {
            config,
            seen: Vec::new(),
            found: Vec::new(),
        }
    }

    /// The declarations found since the last call; a type already taken is not declared again.
    pub fn take(&mut self) -> Vec<Declaration> {
        std::mem::take(&mut self.found)
    }

    /// The payout lifecycle's enums, for every generator (one list: a new one reaches both).
    pub fn lifecycle_enums(&mut self) {
        self.root::<crate::lifecycle::Purpose>();
        self.root::<crate::lifecycle::WaitReason>();
        self.root::<crate::lifecycle::ManualReason>();
        self.root::<crate::lifecycle::Phase>();
        self.root::<crate::lifecycle::EventVerdict>();
    }

    /// The payout lifecycle's records as the core writes them: its actions (one type per kind),
    /// a batch item's outcome, the machine's state and what a callback did.
    pub fn lifecycle_records(&mut self) {
        self.root::<crate::lifecycle::Action>();
        self.root::<crate::lifecycle::ItemOutcome>();
        self.root::<crate::lifecycle::host::LifecycleState>();
        self.root::<crate::lifecycle::host::CallbackResult>();
    }
}

impl Declare for Declarations<'_> {
    fn root<T: TS + 'static + ?Sized>(&mut self) {
        ts_rs::TypeVisitor::visit::<T>(self);
        // A container's elements (`Vec<T>`) are its generics, not its dependencies.
        T::visit_generics(self);
    }

    fn config(&self) -> &ts_rs::Config {
        self.config
    }
}

impl ts_rs::TypeVisitor for Declarations<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Primitives and containers have no output path and no declaration of their own.
        let id = std::any::TypeId::of::<T>();
        if T::output_path().is_none() || self.seen.contains(&id) {
            return;
        }
        self.seen.push(id);
        // `Error` boxes `ErrorData`; fields of type Error are written as its declaration,
        // KirimErrorData, so the newtype itself would only add an alias named `Error`.
        if id != std::any::TypeId::of::<crate::Error>() {
            self.found.push(Declaration {
                name: T::ident(self.config),
                docs: T::docs().unwrap_or_default(),
                declaration: T::decl(self.config),
            });
        }
        T::visit_dependencies(self);
    }
}

/// How a JavaScript argument becomes the core's JSON input (`toCore` in `js/api.js`).
#[derive(Debug, Clone, Copy)]
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
    pub fn js(self) -> &'static str {
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
    pub fn ts(self) -> Option<&'static str> {
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
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// The JSON value as it is.
    Value,
    /// An `HttpRequest` with a `Uint8Array` body that shows credential headers redacted.
    Request,
    /// An `AccessToken` object whose value never prints.
    AccessToken,
    /// A `{ ..., acknowledgement }` whose acknowledgement body becomes a `Uint8Array`.
    Handling,
    /// An `Acknowledgement` whose body becomes a `Uint8Array`.
    Acknowledgement,
    /// Nothing: the call only checks (it throws `KirimError` when the check fails).
    Void,
}

impl Shape {
    pub fn js(self) -> &'static str {
        match self {
            Shape::Value => "value",
            Shape::Request => "request",
            Shape::AccessToken => "access_token",
            Shape::Handling => "handling",
            Shape::Acknowledgement => "acknowledgement",
            Shape::Void => "void",
        }
    }
}

/// One argument of a call.
#[derive(Debug)]
pub struct Arg {
    /// Its JavaScript name.
    pub js: &'static str,
    pub core: &'static str,
    pub kind: Kind,
    /// The TypeScript type: the JavaScript form's, else the Rust type's (arrays read-only).
    pub ts: String,
    /// May be left out (the core applies its default).
    pub optional: bool,
}

/// One typed call: a function or a class's method.
#[derive(Debug)]
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

/// One provider class of the npm package.
#[derive(Debug)]
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

impl Class {
    /// A provider's class: its JavaScript `name`, its operation namespace (`provider`), its
    /// configuration of Rust type `Config` (required; see `config_optional`) and the calls
    /// `build` describes, declaring every type they name.
    pub fn new<Config: TS + 'static, D: Declare>(
        c: &mut D,
        name: &'static str,
        provider: &'static str,
        doc: &'static str,
        build: impl FnOnce(&mut Calls<'_, D>),
    ) -> Class {
        Class {
            name,
            provider,
            doc,
            config: ts::<Config>(c),
            config_optional: false,
            calls: calls(c, build),
        }
    }

    /// The configuration may be left out (the core's default configuration).
    pub fn config_optional(mut self) -> Class {
        self.config_optional = true;
        self
    }
}

/// The TypeScript name of a Rust type, declaring it (and what it names) in the model.
pub fn ts<T: TS + 'static>(c: &mut impl Declare) -> String {
    c.root::<T>();
    T::name(c.config())
}

/// Builds the table while naming (and so declaring) every Rust type it mentions.
#[derive(Debug)]
pub struct Calls<'c, D: Declare> {
    c: &'c mut D,
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

impl<D: Declare> Calls<'_, D> {
    /// A call; `args` are added by `arg`/`opt`/`kind`, the result by `to`/`field`/`shaped`.
    pub fn call(&mut self, js: &'static str, operation: &'static str) -> &mut Self {
        let previous = std::mem::replace(&mut self.current, empty(js, operation));
        if !previous.js.is_empty() {
            self.done.push(previous);
        }
        self
    }

    fn last(&mut self) -> &mut Call {
        &mut self.current
    }

    pub fn doc(&mut self, doc: &'static str) -> &mut Self {
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
    pub fn typed<T: TS + 'static>(
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
    pub fn form(&mut self, js: &'static str, core: &'static str, kind: Kind) -> &mut Self {
        let ts = kind.ts().unwrap_or_default().to_owned();
        self.push(js, core, kind, ts, false)
    }

    /// A required argument of Rust type `T`, as JSON.
    pub fn arg<T: TS + 'static>(&mut self, js: &'static str, core: &'static str) -> &mut Self {
        self.typed::<T>(js, core, Kind::Value, false)
    }

    /// An argument that may be left out: the core applies its default.
    pub fn opt<T: TS + 'static>(&mut self, js: &'static str, core: &'static str) -> &mut Self {
        self.typed::<T>(js, core, Kind::Value, true)
    }

    /// An argument declared by hand in js/api.d.ts (`ts`): its Rust type is private to the core.
    pub fn declared(&mut self, js: &'static str, core: &'static str, ts: &str) -> &mut Self {
        self.push(js, core, Kind::Value, ts.to_owned(), false)
    }

    pub fn token(&mut self) -> &mut Self {
        self.form("token", "access_token", Kind::Token)
            .arg::<i64>("now", "now")
    }

    pub fn outcome(&mut self) -> &mut Self {
        self.typed::<crate::HttpOutcome>("outcome", "outcome", Kind::Outcome, false)
    }

    pub fn headers(&mut self) -> &mut Self {
        self.typed::<Vec<crate::Header>>("headers", "headers", Kind::Headers, false)
    }

    pub fn body(&mut self) -> &mut Self {
        self.form("body", "body", Kind::Body)
    }

    /// The result: the core's output, of Rust type `T`.
    pub fn to<T: TS + 'static>(&mut self) -> &mut Self {
        let result = ts::<T>(self.c);
        self.last().result = result;
        self
    }

    /// The result: the member `field` (of Rust type `T`) of the core's output.
    pub fn field<T: TS + 'static>(&mut self, field: &'static str) -> &mut Self {
        self.last().field = Some(field);
        self.to::<T>()
    }

    /// The result: a `handle_*` output of Rust type `T`, its acknowledgement body as bytes.
    pub fn handling<T: TS + 'static>(&mut self) -> &mut Self {
        self.last().shape = Shape::Handling;
        self.to::<T>()
    }

    /// The result in a JavaScript form (`shape`), declared as `ts`.
    pub fn shaped(&mut self, shape: Shape, ts: &str) -> &mut Self {
        let call = self.last();
        call.shape = shape;
        call.result = ts.to_owned();
        self
    }

    /// The result: the answer to a callback (`Acknowledgement`), its body as bytes.
    pub fn acknowledgement(&mut self) -> &mut Self {
        let result = ts::<crate::http::Acknowledgement>(self.c);
        self.shaped(Shape::Acknowledgement, &result)
    }

    pub fn request(&mut self) -> &mut Self {
        self.c.root::<crate::HttpRequest>();
        self.shaped(Shape::Request, "HttpRequest")
    }
}

/// The calls `build` describes, in order.
pub fn calls<D: Declare>(c: &mut D, build: impl FnOnce(&mut Calls<'_, D>)) -> Vec<Call> {
    let mut table = Calls {
        c,
        done: Vec::new(),
        current: empty("", ""),
    };
    build(&mut table);
    table.call("", "");
    table.done
}

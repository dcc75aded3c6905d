//! Files of the Python package (`bindings-python/python/kirim/`) generated from the core:
//! `_enums.py` (every enum of the model, of the error and of each provider, as `StrEnum`s whose
//! members equal the core's JSON names), `_declared.py` (each provider's configuration and its
//! own records: inputs and results), `_providers.py` (the package's exports of every provider,
//! and the names generated for each) and, for each provider with no native class of its own
//! (none declared in `_native.pyi`), its whole module `<provider>.py`: the typed class from its
//! table (`<provider>/js.rs`, the one the npm package's class comes from), over the generic
//! `_native.ConfiguredProvider` with the conversions of `kirim/_typed.py`. They come from the core's declarations (the
//! ts-rs form every `#[kirim_derive::export(.., ts)]` type has, the one the npm package's
//! TypeScript comes from), walked from the model's roots and from every registered provider's
//! typed class (its `js::class`, through `for_each_provider!`), so a new provider's types reach
//! Python with no hand-written Python. This test fails when a file is stale; regenerate them
//! with `KIRIM_BLESS=1 cargo test -p kirim --features ts,python --test python_declarations`
//! (the feature `python` for the configurations' defaults, `python_shell::core_config`).
//!
//! Skipped: the core's native classes (the classes `kirim/_native.pyi` declares, which
//! `mypy.stubtest` checks against the module) and the few types the package writes as Python
//! idiom (`HAND_WRITTEN`).
#![cfg(all(feature = "ts", feature = "python"))]
// A test harness: failing loudly on a broken fixture is the point.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

use kirim::js::{Declaration, Declarations, Declare};
use std::collections::BTreeSet;
use std::path::Path;
use ts_rs::Config;

/// Core types the package declares in Python by hand, as language idiom: the HTTP response
/// and outcome (`kirim/http.py`: any mapping of headers, `bytes` bodies), the error and its
/// parts (`kirim/_errors.py`: an exception class), the idempotency rules and key reuse
/// (`kirim/idempotency.py`) and a secret (`kirim/_secret.py`). Their enums are generated.
const HAND_WRITTEN: &[&str] = &[
    "HttpOutcome",
    "HttpResponse",
    "KirimErrorData",
    "Violation",
    "ProviderDetail",
    "IdempotencyRules",
    "KeyReuse",
    "SecretInput",
];

/// The tagged enums whose tags Python reads as an enum of their own (`next_action.kind`,
/// `retry.kind`, `reuse.kind`), with that enum's name (the names `core/src/python.rs` gives the
/// native ones).
const KINDS: &[(&str, &str)] = &[
    ("NextAction", "NextActionKind"),
    ("RetryAdvice", "RetryKind"),
    ("KeyReuse", "KeyReuseKind"),
];

/// Native classes Python knows by another name (`pyclass(name = ...)`).
const NATIVE_RENAMED: &[(&str, &str)] = &[("Warning", "FieldWarning")];

/// Python methods an enum carries, from a mixin in `kirim/_enum.py` (each calls the core).
const MIXINS: &[(&str, &str)] = &[
    ("ErrorCode", "ErrorCodeDocs"),
    ("PayoutStatus", "PayoutStatusRules"),
];

/// Types Python names otherwise than TypeScript (the names `kirim.lifecycle` has always had; the
/// npm package's are `Lifecycle...`).
const PYTHON_NAMES: &[(&str, &str)] = &[
    ("LifecycleAction", "Action"),
    ("LifecycleCallback", "CallbackOutcome"),
    ("LifecycleItemState", "ItemState"),
];

/// Records a Python user builds too (tests, stores), as keyword idiom: the fields that are always
/// there first, then each one that may be null (default `None`) or left out (a list: default
/// `()`); an error among them is left out of equality (an exception equals only itself).
const KEYWORD_RECORDS: &[&str] = &[
    "Done",
    "ManualReconciliation",
    "ItemOutcome",
    "ItemState",
    "LifecycleState",
];

/// Records whose Python fields keep another order than the core declares: the order the core
/// writes them in (`Action::Send` declares `request` first, which Kotlin/Swift keep).
const FIELD_ORDER: &[(&str, &[&str])] = &[("Send", &["purpose", "request"])];

/// A TypeScript type as ts-rs writes it, the subset kirim's model uses.
#[derive(Debug, Clone, PartialEq)]
enum Ts {
    Name(String),
    Literal(String),
    Array(Box<Ts>),
    Map(Box<Ts>, Box<Ts>),
    Object(Vec<Field>),
    Union(Vec<Ts>),
}

#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: String,
    optional: bool,
    ty: Ts,
}

/// Removes the `/** ... */` comments ts-rs puts before fields.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/**") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("an unclosed comment") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) {
        assert!(
            self.eat(c),
            "expected {:?} at {} in {}",
            c as char,
            self.i,
            self.text()
        );
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(self.s).into_owned()
    }

    fn word(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        assert!(
            self.i > start,
            "expected a name at {} in {}",
            self.i,
            self.text()
        );
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn string(&mut self) -> String {
        self.expect(b'"');
        let start = self.i;
        while self.s[self.i] != b'"' {
            self.i += 1;
        }
        self.i += 1;
        String::from_utf8_lossy(&self.s[start..self.i - 1]).into_owned()
    }

    fn ty(&mut self) -> Ts {
        let mut options = vec![self.single()];
        while self.eat(b'|') {
            options.push(self.single());
        }
        if options.len() == 1 {
            options.remove(0)
        } else {
            Ts::Union(options)
        }
    }

    fn single(&mut self) -> Ts {
        self.ws();
        match self.s[self.i] {
            b'"' => Ts::Literal(self.string()),
            b'{' => self.object(),
            _ => {
                let name = self.word();
                if self.eat(b'<') {
                    let inner = self.ty();
                    self.expect(b'>');
                    if name == "Array" {
                        Ts::Array(Box::new(inner))
                    } else {
                        // `Uint8Array<ArrayBuffer>`: bytes.
                        Ts::Name(name)
                    }
                } else {
                    Ts::Name(name)
                }
            }
        }
    }

    fn object(&mut self) -> Ts {
        self.expect(b'{');
        if self.eat(b'[') {
            // `{ [key in number]: T }`
            let _key = self.word();
            let _in = self.word();
            let key = self.single();
            self.expect(b']');
            self.expect(b':');
            let value = self.ty();
            self.expect(b'}');
            return Ts::Map(Box::new(key), Box::new(value));
        }
        let mut fields = Vec::new();
        loop {
            if self.eat(b'}') {
                return Ts::Object(fields);
            }
            self.ws();
            let name = if self.s[self.i] == b'"' {
                self.string()
            } else {
                self.word()
            };
            let optional = self.eat(b'?');
            self.expect(b':');
            let ty = self.ty();
            fields.push(Field { name, optional, ty });
            let _ = self.eat(b',');
        }
    }
}

/// `type Name = ...;` as its name and type.
fn parse(decl: &str) -> (String, Ts) {
    let text = strip_comments(decl);
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    assert_eq!(p.word(), "type", "{decl}");
    let name = p.word();
    p.expect(b'=');
    let ty = p.ty();
    p.expect(b';');
    (name, ty)
}

/// ts-rs docs (`/**\n * text\n */`) as a Python docstring's lines.
fn doc_lines(docs: &str) -> Vec<String> {
    docs.lines()
        .map(str::trim)
        .filter(|l| *l != "/**" && *l != "*/")
        .map(|l| l.trim_start_matches('*').trim_start().to_owned())
        .collect()
}

fn docstring(docs: &str, indent: &str) -> String {
    let lines = doc_lines(docs);
    // Up to the first blank line: the summary, as the hand-written classes had.
    let summary: Vec<&String> = lines.iter().take_while(|l| !l.is_empty()).collect();
    if summary.is_empty() {
        return String::new();
    }
    let text = summary
        .iter()
        .map(|l| l.replace('\\', "\\\\"))
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"));
    format!("{indent}\"\"\"{text}\"\"\"\n\n")
}

/// The Python member name of a wire name: `"HMAC-SHA256"` → `HMAC_SHA256`.
fn member(wire: &str) -> String {
    wire.to_uppercase().replace('-', "_")
}

fn literals(ty: &Ts) -> Option<Vec<String>> {
    match ty {
        Ts::Union(options) => options
            .iter()
            .map(|o| match o {
                Ts::Literal(l) => Some(l.clone()),
                _ => None,
            })
            .collect(),
        Ts::Literal(l) => Some(vec![l.clone()]),
        _ => None,
    }
}

/// The `kind` tags of a tagged union, in declaration order.
fn tags(ty: &Ts) -> Vec<String> {
    let Ts::Union(options) = ty else {
        panic!("{ty:?} is not a tagged union")
    };
    options
        .iter()
        .map(|o| match o {
            Ts::Object(fields) => match fields.iter().find(|f| f.name == "kind") {
                Some(Field {
                    ty: Ts::Literal(tag),
                    ..
                }) => tag.clone(),
                _ => panic!("{o:?} has no kind"),
            },
            _ => panic!("{o:?} is not an object"),
        })
        .collect()
}

/// The Python name of a declared type.
fn python_name(name: &str) -> &str {
    PYTHON_NAMES
        .iter()
        .find(|(ts, _)| *ts == name)
        .map_or(name, |(_, py)| py)
}

/// A field's Python annotation.
fn annotation(ty: &Ts, names: &mut BTreeSet<String>) -> String {
    match ty {
        Ts::Name(n) => match python_name(n) {
            "string" => "str".to_owned(),
            "number" => "int".to_owned(),
            "boolean" => "bool".to_owned(),
            "Uint8Array" => "bytes".to_owned(),
            "KirimErrorData" => {
                names.insert("KirimError".to_owned());
                "KirimError".to_owned()
            }
            other => {
                names.insert(other.to_owned());
                other.to_owned()
            }
        },
        Ts::Array(inner) => format!("Tuple[{}, ...]", annotation(inner, names)),
        Ts::Union(options) => {
            let rest: Vec<&Ts> = options
                .iter()
                .filter(|o| **o != Ts::Name("null".to_owned()))
                .collect();
            let inner = if rest.len() == 1 {
                annotation(rest[0], names)
            } else {
                format!(
                    "Union[{}]",
                    rest.iter()
                        .map(|o| annotation(o, names))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            if rest.len() < options.len() {
                format!("Optional[{inner}]")
            } else {
                inner
            }
        }
        Ts::Map(k, v) => format!(
            "Mapping[{}, {}]",
            annotation(k, names),
            annotation(v, names)
        ),
        Ts::Literal(_) | Ts::Object(_) => panic!("no Python annotation for {ty:?}"),
    }
}

fn enum_class(name: &str, docs: &str, members: &[String]) -> String {
    let base = match MIXINS.iter().find(|(n, _)| *n == name) {
        Some((_, mixin)) => format!("{mixin}, StrEnum"),
        None => "StrEnum".to_owned(),
    };
    let mut out = format!("class {name}({base}):\n{}", docstring(docs, "    "));
    for wire in members {
        out.push_str(&format!("    {} = \"{wire}\"\n", member(wire)));
    }
    out.push_str("\n\n");
    out
}

fn record_class(name: &str, docs: &str, fields: &[Field], names: &mut BTreeSet<String>) -> String {
    record(name, &docstring(docs, "    "), None, fields, names)
}

/// A frozen dataclass: `doc` (a docstring, or empty), the tag it is written with (a variant of a
/// tagged union), its fields.
fn record(
    name: &str,
    doc: &str,
    tag: Option<(&str, &str)>,
    fields: &[Field],
    names: &mut BTreeSet<String>,
) -> String {
    let mut out = format!("@dataclass(frozen=True)\nclass {name}:\n{doc}");
    if let Some((key, value)) = tag {
        out.push_str(&format!(
            "    _wire_tag: ClassVar[Tuple[str, str]] = (\"{key}\", \"{value}\")\n"
        ));
    }
    let mut fields = fields.to_vec();
    if let Some((_, order)) = FIELD_ORDER.iter().find(|(n, _)| *n == name) {
        let mut declared: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        let mut wanted = order.to_vec();
        declared.sort_unstable();
        wanted.sort_unstable();
        assert_eq!(declared, wanted, "FIELD_ORDER of {name}: not its fields");
        fields.sort_by_key(|f| order.iter().position(|n| *n == f.name));
    }
    if KEYWORD_RECORDS.contains(&name) {
        keyword_fields(&mut out, &fields, names);
        out.push_str("\n\n");
        return out;
    }
    // A field the core may leave out defaults to None, when every later field may too (a
    // dataclass puts defaults last).
    let defaults_from = fields
        .iter()
        .rposition(|f| !f.optional)
        .map_or(0, |last| last + 1);
    for (i, field) in fields.iter().enumerate() {
        let annotation = annotation(&field.ty, names);
        if i >= defaults_from && annotation.starts_with("Optional[") {
            out.push_str(&format!("    {}: {annotation} = None\n", field.name));
        } else {
            out.push_str(&format!("    {}: {annotation}\n", field.name));
        }
    }
    out.push_str("\n\n");
    out
}

/// The fields of a `KEYWORD_RECORDS` record: required ones first, then those that may be
/// absent, with their defaults (both groups in the declared order).
fn keyword_fields(out: &mut String, fields: &[Field], names: &mut BTreeSet<String>) {
    let absent = |f: &Field| f.optional || non_null(&f.ty).1;
    for field in fields.iter().filter(|f| !absent(f)) {
        out.push_str(&format!(
            "    {}: {}\n",
            field.name,
            annotation(&field.ty, names)
        ));
    }
    for field in fields.iter().filter(|f| absent(f)) {
        let annotation = annotation(&field.ty, names);
        let (ty, nullable) = non_null(&field.ty);
        let default = if nullable {
            "None"
        } else if matches!(ty, Ts::Array(_)) {
            "()"
        } else {
            panic!("{}: no default for a {ty:?} left out", field.name)
        };
        let annotation = if annotation.starts_with("Optional[") || !nullable {
            annotation
        } else {
            format!("Optional[{annotation}]")
        };
        if annotation == "Optional[KirimError]" {
            out.push_str(&format!(
                "    {}: {annotation} = field(default=None, compare=False)\n",
                field.name
            ));
        } else {
            out.push_str(&format!("    {}: {annotation} = {default}\n", field.name));
        }
    }
}

/// A variant of a tagged union: its tag, and its other fields.
type Variant = (String, Vec<Field>);

/// The variants of a tagged union (each an object with the same literal field): the tag's key,
/// and each variant, in declaration order.
fn tagged_variants(ty: &Ts) -> Option<(String, Vec<Variant>)> {
    let Ts::Union(options) = ty else { return None };
    let mut key: Option<String> = None;
    let mut variants = Vec::new();
    for option in options {
        let Ts::Object(fields) = option else {
            return None;
        };
        let (tag_field, tag) = fields.iter().find_map(|f| match &f.ty {
            Ts::Literal(l) if key.as_deref().is_none_or(|k| k == f.name) => {
                Some((f.name.clone(), l.clone()))
            }
            _ => None,
        })?;
        key = Some(tag_field.clone());
        let rest = fields
            .iter()
            .filter(|f| f.name != tag_field)
            .cloned()
            .collect();
        variants.push((tag, rest));
    }
    key.map(|k| (k, variants))
}

/// `wait_until` → `WaitUntil`: a variant's class name from its snake_case tag.
fn pascal(tag: &str) -> String {
    tag.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// A variant's docstring: the union's doc line for its tag (``- `tag`: text``, continued on the
/// indented lines after it), or none.
fn variant_docstring(docs: &str, tag: &str) -> String {
    let lines = doc_lines(docs);
    let start = format!("- `{tag}`: ");
    let Some(at) = lines.iter().position(|l| l.starts_with(&start)) else {
        return String::new();
    };
    let mut text = vec![lines[at][start.len()..].to_owned()];
    text.extend(
        lines[at + 1..]
            .iter()
            .take_while(|l| !l.is_empty() && !l.starts_with("- "))
            .cloned(),
    );
    let first = &mut text[0];
    if let Some(c) = first.chars().next() {
        first.replace_range(..c.len_utf8(), &c.to_uppercase().to_string());
    }
    let text = text.join("\n    ").replace('\\', "\\\\");
    format!("    \"\"\"{text}\"\"\"\n\n")
}

/// A tagged union (an internally tagged enum of the core): one frozen dataclass per variant,
/// named after it and written with its tag (`_wire_tag`, which `kirim._wire` reads and writes),
/// then the union of them under the enum's name.
fn tagged_union(
    name: &str,
    docs: &str,
    key: &str,
    variants: &[Variant],
    names: &mut BTreeSet<String>,
) -> String {
    let mut out = String::new();
    let mut classes = Vec::new();
    for (tag, fields) in variants {
        let class = pascal(tag);
        let doc = variant_docstring(docs, tag);
        out.push_str(&record(&class, &doc, Some((key, tag)), fields, names));
        classes.push(class);
    }
    out.push_str(&format!("{name} = Union[{}]\n", classes.join(", ")));
    let summary = docstring(docs, "");
    out.push_str(&summary);
    if summary.is_empty() {
        out.push('\n');
    }
    out.push('\n');
    out
}

/// A configuration as a frozen dataclass whose constructor takes keyword arguments: the
/// required fields first (a secret as a `Secret` or a `str`), then each setting the core may
/// leave out, defaulting to `None` (the core's default) or, for a list whose core default is
/// empty (`default_debug` shows `field: []`), to `()`. A single `str` (or `Secret`) is accepted
/// where a list of them is expected. Values are converted (secrets wrapped, enums and maps
/// read), never checked: the core checks them when the shell is built.
fn config_class(
    name: &str,
    docs: &str,
    fields: &[Field],
    default_debug: &str,
    names: &mut BTreeSet<String>,
) -> String {
    let doc = docstring(docs, "    ");
    let doc = match doc.strip_suffix("\"\"\"\n\n") {
        Some(summary) => format!(
            "{summary}\n\n    Settings left out (``None``) take the core's defaults.\"\"\"\n\n"
        ),
        None => doc,
    };
    let mut attrs = String::new();
    let mut params = String::new();
    let mut sets = String::new();
    for field in fields {
        let n = &field.name;
        let (inner, nullable) = non_null(&field.ty);
        assert!(
            !nullable || !matches!(inner, Ts::Union(_)),
            "{name}.{n}: one type besides null"
        );
        let secret = |t: &Ts| *t == Ts::Name("SecretInput".to_owned());
        let is_enum = |t: &Ts| match t {
            Ts::Name(n) => n.chars().next().is_some_and(char::is_uppercase) && n != "SecretInput",
            _ => false,
        };
        // (attribute annotation, parameter annotation, conversion of `v`)
        let (attr, param, convert) = match &inner {
            t if secret(t) => (
                "Secret".to_owned(),
                "SecretLike".to_owned(),
                format!("_secret({n}, \"{n}\")"),
            ),
            Ts::Array(item) if secret(item) => (
                "Tuple[Secret, ...]".to_owned(),
                "Sequence[SecretLike]".to_owned(),
                format!("_secrets({n}, \"{n}\")"),
            ),
            Ts::Array(item) if **item == Ts::Name("string".to_owned()) => (
                "Tuple[str, ...]".to_owned(),
                "Sequence[str]".to_owned(),
                format!("_strings({n})"),
            ),
            Ts::Array(item) if is_enum(item) => {
                let e = annotation(item, names);
                (
                    format!("Tuple[{e}, ...]"),
                    format!("Sequence[Union[{e}, str]]"),
                    format!("tuple({e}(t) for t in {n})"),
                )
            }
            Ts::Array(item) => {
                let a = annotation(item, names);
                (
                    format!("Tuple[{a}, ...]"),
                    format!("Sequence[{a}]"),
                    format!("tuple({n})"),
                )
            }
            Ts::Map(k, v) if is_enum(v) => {
                let (k, v) = (annotation(k, names), annotation(v, names));
                (
                    format!("Mapping[{k}, {v}]"),
                    format!("Mapping[{k}, Union[{v}, str]]"),
                    format!("{{k: {v}(x) for k, x in {n}.items()}}"),
                )
            }
            t if is_enum(t) => {
                let e = annotation(t, names);
                (e.clone(), format!("Union[{e}, str]"), format!("{e}({n})"))
            }
            t => {
                let a = annotation(t, names);
                (a.clone(), a, n.clone())
            }
        };
        if !field.optional {
            assert!(!nullable, "{name}.{n}: required but nullable");
            attrs.push_str(&format!("    {n}: {attr}\n"));
            params.push_str(&format!("        {n}: {param},\n"));
            sets.push_str(&format!("        set_(self, \"{n}\", {convert})\n"));
        } else if matches!(inner, Ts::Array(_)) && empty_by_default(default_debug, n) {
            attrs.push_str(&format!("    {n}: {attr}\n"));
            params.push_str(&format!("        {n}: {param} = (),\n"));
            sets.push_str(&format!("        set_(self, \"{n}\", {convert})\n"));
        } else {
            attrs.push_str(&format!("    {n}: Optional[{attr}]\n"));
            params.push_str(&format!("        {n}: Optional[{param}] = None,\n"));
            let convert = if convert == *n {
                n.clone()
            } else {
                format!("None if {n} is None else {convert}")
            };
            sets.push_str(&format!("        set_(self, \"{n}\", {convert})\n"));
        }
    }
    format!(
        "@dataclass(frozen=True, init=False)\nclass {name}:\n{doc}{attrs}\n    def __init__(\n        self,\n{params}    ) -> None:\n        set_ = object.__setattr__\n{sets}\n\n"
    )
}

/// Whether the core's default of list `field` is empty, as its `Debug` shows it.
fn empty_by_default(debug: &str, field: &str) -> bool {
    [",", " }"]
        .iter()
        .any(|end| debug.contains(&format!(" {field}: []{end}")))
}

/// Each registered provider's configuration defaults as the core's `Debug` shows them, by the
/// configuration's name.
fn config_defaults() -> Vec<(String, String)> {
    macro_rules! defaults {
        ($($name:literal => $variant:ident($module:ident::$shell:ident) $field:ident: $doc:literal,)*) => {
            vec![$(kirim::python_shell::core_config(stringify!($field)).map(|(_, debug)| debug)),*]
        };
    }
    kirim::for_each_provider!(defaults)
        .into_iter()
        .map(|debug| {
            let debug = debug.expect("every provider has a configuration");
            let name = debug.split(' ').next().unwrap_or_default().to_owned();
            (name, debug)
        })
        .collect()
}

fn native_classes() -> BTreeSet<String> {
    let stubs =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../bindings-python/python/kirim/_native.pyi");
    std::fs::read_to_string(stubs)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("class "))
        .map(|l| {
            l.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Whether generated Python names `name` (as a whole identifier).
fn uses(body: &str, name: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    body.match_indices(name).any(|(at, _)| {
        let before = body[..at].chars().next_back().is_none_or(|c| !ident(c));
        let after = body[at + name.len()..]
            .chars()
            .next()
            .is_none_or(|c| !ident(c));
        before && after
    })
}

/// The classes a piece of generated Python declares.
fn class_names(body: &str) -> BTreeSet<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("class "))
        .filter_map(|l| {
            l.split('(')
                .next()
                .map(|n| n.trim_end_matches(':').to_owned())
        })
        .collect()
}

/// A provider's operation namespace (its Python module) and the names generated for it.
type Owned = Vec<(&'static str, Vec<String>)>;

/// Where the generated Python of a provider class finds each name it uses.
#[derive(Default)]
struct Names {
    enums: BTreeSet<String>,
    records: BTreeSet<String>,
    native: BTreeSet<String>,
}

/// `kirim/_enums.py` and `kirim/_declared.py`, the names generated for each provider, and where
/// every generated name is.
fn render() -> (String, String, Owned, Names) {
    let cfg = Config::new().with_large_int("number");
    let mut collect = Declarations::new(&cfg);
    // The model every provider speaks (`kirim/model.py`, `http.py`, `_errors.py` and
    // `idempotency.py` re-export these), then every registered provider's own types, reached
    // from its typed class.
    collect.root::<kirim::PayoutEvent>();
    collect.root::<kirim::Currency>();
    collect.root::<kirim::status::NextAction>();
    collect.root::<kirim::status::Failure>();
    collect.root::<kirim::ErrorCode>();
    collect.root::<kirim::http::Method>();
    collect.root::<kirim::http::TransportFailure>();
    collect.root::<kirim::idempotency::KeyReuse>();
    // The payout lifecycle's enums (`kirim/lifecycle.py` re-exports them).
    collect.lifecycle_enums();
    let model = collect.take();
    // The payout lifecycle's records (`kirim/lifecycle.py` re-exports them).
    collect.lifecycle_records();
    let lifecycle = collect.take();
    let mut sections = vec![
        ("The model".to_owned(), None, model),
        ("kirim.lifecycle".to_owned(), None, lifecycle),
    ];
    let mut classes = Vec::new();
    // One section per provider, in registration order: the types its class reaches first.
    macro_rules! each {
        ($($name:literal => $variant:ident($module:ident::$shell:ident) $field:ident: $doc:literal,)*) => {$(
            classes.push(kirim::providers::$module::js::class(&mut collect, stringify!($variant), $name));
            sections.push((format!("kirim.{}", $name), Some($name), collect.take()));
        )*};
    }
    kirim::for_each_provider!(each);

    let native = native_classes();
    let defaults = config_defaults();
    let mut names = BTreeSet::new();
    let mut enums = String::new();
    let mut records = String::new();
    let mut owned = Vec::new();
    for (title, provider, decls) in sections {
        let (enums_before, records_before) = (enums.len(), records.len());
        // By name: the order ts-rs reaches them in depends on the features built.
        let mut decls = decls;
        decls.sort();
        for Declaration {
            name,
            docs,
            declaration: decl,
        } in decls
        {
            let (declared, ty) = parse(&decl);
            assert_eq!(declared, name);
            if let Some((_, kind)) = KINDS.iter().find(|(n, _)| *n == name) {
                let docs = format!("/**\n * The kinds of `{name}` (its `kind`).\n */");
                enums.push_str(&enum_class(kind, &docs, &tags(&ty)));
            }
            let renamed = NATIVE_RENAMED.iter().find(|(n, _)| *n == name);
            if HAND_WRITTEN.contains(&name.as_str())
                || native.contains(&name)
                || renamed.is_some_and(|(_, py)| native.contains(*py))
            {
                continue;
            }
            let config = classes.iter().any(|c| c.config == name);
            let name = python_name(&name).to_owned();
            match (literals(&ty), &ty) {
                (Some(members), _) => enums.push_str(&enum_class(&name, &docs, &members)),
                (None, Ts::Object(fields)) if config => {
                    let (_, debug) = defaults
                        .iter()
                        .find(|(n, _)| *n == name)
                        .unwrap_or_else(|| panic!("no core_config for {name}"));
                    records.push_str(&config_class(&name, &docs, fields, debug, &mut names));
                }
                (None, Ts::Object(fields)) => {
                    records.push_str(&record_class(&name, &docs, fields, &mut names));
                }
                (None, Ts::Union(_)) if tagged_variants(&ty).is_some() => {
                    let (key, variants) = tagged_variants(&ty).unwrap_or_default();
                    records.push_str(&tagged_union(&name, &docs, &key, &variants, &mut names));
                }
                (None, _) => panic!("{name}: no Python form for {decl}"),
            }
        }
        if let Some(provider) = provider {
            let mut names: Vec<String> = class_names(&enums[enums_before..])
                .into_iter()
                .chain(class_names(&records[records_before..]))
                .collect();
            names.sort();
            owned.push((provider, names));
        }
        // A section's title, where it declares something.
        for (body, before) in [(&mut enums, enums_before), (&mut records, records_before)] {
            if body.len() > before {
                body.insert_str(before, &format!("# {title}.\n\n\n"));
            }
        }
    }
    let (enum_names, record_names) = (class_names(&enums), class_names(&records));
    // One module each: a name declared twice would hide the first.
    for body in [&enums, &records] {
        let declared = body.lines().filter(|l| l.starts_with("class ")).count();
        assert_eq!(declared, class_names(body).len(), "a class declared twice");
    }
    // What the records name that is declared elsewhere: the enums, native classes, the error.
    let from_enums: Vec<&String> = names.iter().filter(|n| enum_names.contains(*n)).collect();
    let from_native: Vec<&String> = names
        .iter()
        .filter(|n| {
            !enum_names.contains(*n)
                && !record_names.contains(*n)
                && n.as_str() != "KirimError"
                && n.as_str() != "SecretInput"
        })
        .collect();
    for name in &from_native {
        assert!(
            native.contains(*name),
            "{name} is neither generated nor native"
        );
    }

    let header = |what: &str| {
        format!(
            "\"\"\"Generated from kirim's core by core/tests/python_declarations.rs: {what}, from the\n\
             core's declarations. Do not edit: change the Rust, then run KIRIM_BLESS=1 cargo test -p\n\
             kirim --features ts,python --test python_declarations.\"\"\"\n\n\
             from __future__ import annotations\n\n"
        )
    };
    let mixins: Vec<&str> = MIXINS.iter().map(|(_, m)| *m).collect();
    let mut enums_out = header("every enum of the model and of each provider");
    enums_out.push_str(&format!(
        "from ._enum import {}, StrEnum\n\n\n",
        mixins.join(", ")
    ));
    enums_out.push_str(enums.trim_end());
    enums_out.push('\n');

    let mut out =
        header("the payout lifecycle's records, each provider's configuration and its own records");
    if records.contains(" = field(") {
        out.push_str("from dataclasses import dataclass, field\n");
    } else {
        out.push_str("from dataclasses import dataclass\n");
    }
    let typing: Vec<&str> = [
        "ClassVar", "Mapping", "Optional", "Sequence", "Tuple", "Union",
    ]
    .into_iter()
    .filter(|t| records.contains(&format!("{t}[")))
    .collect();
    if !typing.is_empty() {
        out.push_str(&format!("from typing import {}\n", typing.join(", ")));
    }
    out.push('\n');
    if !from_enums.is_empty() {
        let list: Vec<&str> = from_enums.iter().map(|n| n.as_str()).collect();
        out.push_str(&format!("from ._enums import {}\n", list.join(", ")));
    }
    out.push_str("from ._errors import KirimError\n");
    let helpers: Vec<&str> = ["Secret", "SecretLike", "_secret", "_secrets", "_strings"]
        .into_iter()
        .filter(|h| uses(&records, h))
        .collect();
    if !helpers.is_empty() {
        out.push_str(&format!("from ._secret import {}\n", helpers.join(", ")));
    }
    if !from_native.is_empty() {
        let list: Vec<&str> = from_native.iter().map(|n| n.as_str()).collect();
        out.push_str(&format!("from ._native import {}\n", list.join(", ")));
    }
    out.push_str("\n\n");
    out.push_str(records.trim_end());
    out.push('\n');
    let names = Names {
        enums: enum_names,
        records: record_names,
        native,
    };
    (enums_out, out, owned, names)
}

/// A TypeScript type of the table (`Arg::ts`, `Class::config`) as the parser reads it.
fn ts_type(ts: &str) -> Ts {
    let text = format!("type T = {};", ts.replace("ReadonlyArray<", "Array<"));
    parse(&text).1
}

/// `ty` without its `| null`, and whether it had one.
fn non_null(ty: &Ts) -> (Ts, bool) {
    match ty {
        Ts::Union(options) if options.contains(&Ts::Name("null".to_owned())) => {
            let rest: Vec<Ts> = options
                .iter()
                .filter(|o| **o != Ts::Name("null".to_owned()))
                .cloned()
                .collect();
            let inner = if rest.len() == 1 {
                rest[0].clone()
            } else {
                Ts::Union(rest)
            };
            (inner, true)
        }
        other => (other.clone(), false),
    }
}

/// One argument of a generated method: its Python parameter, and the expression of its JSON
/// text (`None` for the raw body, which crosses beside the JSON).
struct PyArg {
    name: &'static str,
    annotation: String,
    optional: bool,
    json: Option<String>,
    body: bool,
}

/// An argument of the table as Python takes it (`toCore` in js/api.js: the same kinds).
fn py_arg(arg: &kirim::js::Arg, native: &BTreeSet<String>, used: &mut BTreeSet<String>) -> PyArg {
    use kirim::js::Kind;
    let n = arg.core;
    let plain = |annotation: &str, json: String| PyArg {
        name: n,
        annotation: annotation.to_owned(),
        optional: arg.optional,
        json: Some(json),
        body: false,
    };
    match arg.kind {
        Kind::Headers => {
            used.insert("HeadersLike".to_owned());
            plain("HeadersLike", format!("_typed.headers({n})"))
        }
        Kind::Outcome => {
            used.insert("HttpResponse".to_owned());
            used.insert("TransportFailure".to_owned());
            plain(
                "Union[HttpResponse, TransportFailure]",
                format!("_typed.outcome({n})"),
            )
        }
        Kind::Body => PyArg {
            name: n,
            annotation: "bytes".to_owned(),
            optional: false,
            json: None,
            body: true,
        },
        Kind::Value => {
            let (ty, nullable) = non_null(&ts_type(&arg.ts));
            let (annotation, convert) = match &ty {
                Ts::Name(t) if t == "SecretInput" => {
                    used.insert("SecretLike".to_owned());
                    (
                        "SecretLike".to_owned(),
                        format!("_typed.secret({n}, \"{n}\")"),
                    )
                }
                Ts::Name(t) if t == "KirimErrorData" => {
                    used.insert("KirimError".to_owned());
                    ("KirimError".to_owned(), format!("_typed.error({n})"))
                }
                Ts::Name(t) if native.contains(t) => {
                    used.insert(t.clone());
                    (t.clone(), format!("_typed.native({n}, {t}, \"{n}\")"))
                }
                t => {
                    let mut names = BTreeSet::new();
                    let a = annotation(t, &mut names);
                    used.extend(names);
                    (a, format!("_typed.value({n}, \"{n}\")"))
                }
            };
            let optional = nullable || arg.optional;
            if optional {
                PyArg {
                    name: n,
                    annotation: format!("Optional[{annotation}]"),
                    optional,
                    json: Some(format!("None if {n} is None else {convert}")),
                    body: false,
                }
            } else {
                plain(&annotation, convert)
            }
        }
        Kind::Token | Kind::SignParams => panic!(
            "{}: a generated Python class does not take a {:?} argument yet; give the provider a \
             native class (its python.rs and _native.pyi stubs) or teach kirim/_typed.py the kind",
            arg.js, arg.kind
        ),
    }
}

/// The name a generated module gives the result of its `handle_*` call, as `kirim.pivot` does.
const HANDLING: &str = "CallbackHandling";

/// `kirim/<provider>.py`: the provider's typed class, from its table (`<provider>/js.rs`),
/// over the generic configured provider (`kirim/_typed.py`, `_native.ConfiguredProvider`). The
/// methods are the table's calls by their operation names, arguments by their core names, the
/// optional ones (`Option`, or left out to the core's default) last with `None`; the module
/// re-exports the provider's configuration and generated types.
fn render_class(class: &kirim::js::Class, declared: &[String], names: &Names) -> String {
    use kirim::js::Shape;
    let mut used = BTreeSet::new();
    used.insert(class.config.clone());
    let mut handling = None;
    let mut methods = String::new();
    // The doc comments name the JavaScript methods and arguments; Python's are the core's.
    let renames: Vec<(String, String)> = class
        .calls
        .iter()
        .flat_map(|c| {
            std::iter::once((c.js, c.operation)).chain(c.args.iter().map(|a| (a.js, a.core)))
        })
        .map(|(js, core)| (format!("`{js}`"), format!("`{core}`")))
        .collect();
    for call in &class.calls {
        let args: Vec<PyArg> = call
            .args
            .iter()
            .map(|a| py_arg(a, &names.native, &mut used))
            .collect();
        // Python idiom: what may be left out comes last, in the table's order.
        let ordered: Vec<&PyArg> = args
            .iter()
            .filter(|a| !a.optional)
            .chain(args.iter().filter(|a| a.optional))
            .collect();
        let mut params = String::from("self");
        for a in &ordered {
            params.push_str(&format!(", {}: {}", a.name, a.annotation));
            if a.optional {
                params.push_str(" = None");
            }
        }
        let result_ts = ts_type(&call.result);
        let (returns, read) = match call.shape {
            Shape::Void => ("None".to_owned(), None),
            Shape::Request => {
                used.insert("HttpRequest".to_owned());
                ("HttpRequest".to_owned(), Some("HttpRequest".to_owned()))
            }
            Shape::Handling => {
                let Ts::Name(name) = &result_ts else {
                    panic!("{}: a handling result is a named record", call.js)
                };
                used.insert(name.clone());
                handling = Some(name.clone());
                (HANDLING.to_owned(), Some(HANDLING.to_owned()))
            }
            Shape::Acknowledgement => {
                used.insert("Acknowledgement".to_owned());
                (
                    "Acknowledgement".to_owned(),
                    Some("Acknowledgement".to_owned()),
                )
            }
            Shape::Value => {
                let mut found = BTreeSet::new();
                let a = annotation(&result_ts, &mut found);
                used.extend(found);
                (a.clone(), Some(a))
            }
            Shape::AccessToken => panic!(
                "{}: a generated Python class does not return an access token yet",
                call.js
            ),
        };
        // `self._run(operation, ((name, JSON text), ...), body)`, one argument a line.
        let mut run = format!(
            "self._run(\n            \"{}\",\n            (",
            call.operation
        );
        let json: Vec<String> = args
            .iter()
            .filter_map(|a| {
                a.json
                    .as_ref()
                    .map(|j| format!("\n                (\"{}\", {j}),", a.name))
            })
            .collect();
        if json.is_empty() {
            run.push_str("),\n");
        } else {
            run.push_str(&json.concat());
            run.push_str("\n            ),\n");
        }
        if let Some(a) = args.iter().find(|a| a.body) {
            run.push_str(&format!("            _typed.body({}),\n", a.name));
        }
        run.push_str("        )");
        let run = match call.field {
            Some(field) => format!("{run}[\"{field}\"]"),
            None => run,
        };
        let mut doc = call.doc.to_owned();
        for (js, core) in &renames {
            doc = doc.replace(js, core);
        }
        let line = format!("    def {}({params}) -> {returns}:\n", call.operation);
        if line.len() <= 100 {
            methods.push_str(&line);
        } else {
            let params = params.replace(", ", ",\n        ");
            methods.push_str(&format!(
                "    def {}(\n        {params},\n    ) -> {returns}:\n",
                call.operation
            ));
        }
        if !doc.is_empty() {
            methods.push_str(&format!(
                "        \"\"\"{}\"\"\"\n",
                doc.replace('\\', "\\\\")
            ));
        }
        match read {
            None => methods.push_str(&format!("        {run}\n\n")),
            Some(t) if t.contains('[') => methods.push_str(&format!(
                "        out = {run}\n        return cast({t}, _typed.result(cast(Any, {t}), out))\n\n"
            )),
            Some(t) => methods.push_str(&format!(
                "        out = {run}\n        return _typed.result({t}, out)\n\n"
            )),
        }
    }
    let config = &class.config;
    let init = if class.config_optional {
        format!(
            "    def __init__(self, config: Optional[{config}] = None) -> None:\n        super().__init__({config}() if config is None else config)\n\n"
        )
    } else {
        format!(
            "    def __init__(self, config: {config}) -> None:\n        super().__init__(config)\n\n"
        )
    };
    used.extend(declared.iter().cloned());

    let mut out = format!(
        "\"\"\"Generated from kirim's core by core/tests/python_declarations.rs: the class {name}\n\
         from its table (core/src/providers/{provider}/js.rs), over the JSON operation interface.\n\
         Do not edit: change the table, then run KIRIM_BLESS=1 cargo test -p kirim --features\n\
         ts,python --test python_declarations.\"\"\"\n\nfrom __future__ import annotations\n\n",
        name = class.name,
        provider = class.provider
    );
    let typing: Vec<&str> = ["Any", "Optional", "Tuple", "Union", "cast"]
        .into_iter()
        .filter(|t| uses(&methods, t) || uses(&init, t))
        .collect();
    if !typing.is_empty() {
        out.push_str(&format!("from typing import {}\n\n", typing.join(", ")));
    }
    out.push_str("from . import _typed\n");
    let mut from: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for name in &used {
        let module = match name.as_str() {
            "KirimError" => "._errors",
            "SecretLike" => "._secret",
            "HeadersLike" | "HttpResponse" => ".http",
            n if names.enums.contains(n) => "._enums",
            n if names.records.contains(n) => "._declared",
            n if names.native.contains(n) => "._native",
            n => panic!("{}: where is {n} declared?", class.name),
        };
        let entry = if handling.as_deref() == Some(name.as_str()) && name != HANDLING {
            format!("{name} as {HANDLING}")
        } else {
            name.clone()
        };
        from.entry(module).or_default().push(entry);
    }
    for (module, list) in &from {
        out.push_str(&format!("from {module} import {}\n", list.join(", ")));
    }
    out.push_str(&format!(
        "\n\nclass {name}(_typed.Shell[{config}]):\n    \"\"\"{doc}\"\"\"\n\n    __slots__ = ()\n\n    _provider = \"{provider}\"\n    _config_type = {config}\n\n{init}{methods}",
        name = class.name,
        provider = class.provider,
        doc = class.doc,
    ));
    let mut all = vec![config.clone()];
    all.extend(declared.iter().filter(|n| *n != config).cloned());
    if handling.is_some() {
        all.push(HANDLING.to_owned());
    }
    all.push(class.name.to_owned());
    out = out.trim_end().to_owned();
    out.push_str(&format!(
        "\n\n\n__all__ = [{}]\n",
        all.iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

/// `kirim/_providers.py`: every registered provider's module (`kirim.<namespace>`), its shell
/// class and its configuration, as the package's `__init__` exports them.
fn render_providers(owned: &Owned) -> String {
    let cfg = Config::new().with_large_int("number");
    let mut collect = Declarations::new(&cfg);
    let classes = kirim::providers::js_classes(&mut collect);
    let mut out = String::from(
        "\"\"\"Generated from kirim's core by core/tests/python_declarations.rs: every registered\n\
         provider's module, shell class and configuration, as the package exports them, and the\n\
         types generated for each. Do not edit: register the provider in\n\
         core/src/providers/mod.rs, then run KIRIM_BLESS=1 cargo test -p kirim --features\n\
         ts,python --test python_declarations.\"\"\"\n\n\
         from __future__ import annotations\n\n\
         from typing import Dict, Tuple\n\n",
    );
    let mut modules: Vec<&str> = classes.iter().map(|c| c.provider).collect();
    modules.sort_unstable();
    out.push_str(&format!("from . import {}\n", modules.join(", ")));
    let mut sorted: Vec<&kirim::js::Class> = classes.iter().collect();
    sorted.sort_by_key(|c| c.provider);
    for class in &sorted {
        out.push_str(&format!(
            "from .{} import {}, {}\n",
            class.provider, class.name, class.config
        ));
    }
    out.push_str("\n__all__ = [\n");
    for class in &classes {
        for name in [class.provider, class.name, class.config.as_str()] {
            out.push_str(&format!("    \"{name}\",\n"));
        }
    }
    out.push_str("]\n\n");
    out.push_str(
        "# The types generated for each provider (in kirim._enums and kirim._declared), which its\n\
         # module re-exports (tests/test_core_agreement.py checks that it does).\n\
         DECLARED: Dict[str, Tuple[str, ...]] = {\n",
    );
    for (provider, names) in owned {
        out.push_str(&format!("    \"{provider}\": (\n"));
        for name in names {
            out.push_str(&format!("        \"{name}\",\n"));
        }
        out.push_str("    ),\n");
    }
    out.push_str("}\n");
    out
}

#[test]
fn python_declarations_are_the_cores() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bindings-python/python/kirim");
    let (enums, declared, owned, names) = render();
    let mut files = vec![
        ("_enums.py".to_owned(), enums),
        ("_declared.py".to_owned(), declared),
        ("_providers.py".to_owned(), render_providers(&owned)),
    ];
    // Every provider with no native class of its own: its whole module.
    let cfg = Config::new().with_large_int("number");
    let mut collect = Declarations::new(&cfg);
    for class in kirim::providers::js_classes(&mut collect) {
        if names.native.contains(class.name) {
            continue;
        }
        let declared = owned
            .iter()
            .find(|(p, _)| *p == class.provider)
            .map(|(_, d)| d.clone())
            .unwrap_or_default();
        files.push((
            format!("{}.py", class.provider),
            render_class(&class, &declared, &names),
        ));
    }
    for (file, rendered) in files {
        let path = dir.join(&file);
        if std::env::var_os("KIRIM_BLESS").is_some() {
            std::fs::write(&path, &rendered).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "bindings-python/python/kirim/{file} is out of date; run \
             KIRIM_BLESS=1 cargo test -p kirim --features ts,python --test python_declarations"
        );
    }
}

//! One folder per provider: its protocol shell, its wire types and its status mapping.
//!
//! Adding a provider touches its own folder (where its shell implements [`Registered`]), its
//! line in [`for_each_provider!`](crate::for_each_provider) below, and its vectors under
//! `tests/vectors/<provider>/`; CONTRIBUTING.md lists every step.

pub mod common;
pub mod gateway;
pub mod paperid;
pub mod pivot;

#[cfg(test)]
mod next_action_agreement;

use crate::error::{Error, ErrorCode, Result};
use crate::lifecycle::PayoutProvider;
use crate::operations::Input;
use crate::read::{FromJson, Json};

/// The registration point: every provider, once. Each line is its operation namespace
/// (`pivot.verify_callback`), its case of [`Configured`], its shell (in its folder, implementing
/// [`Registered`]), the field naming it in a binding's typed enum (Kotlin/Swift's
/// `LifecycleProvider`), and its one-line description. The core expands this list into
/// `operation_names`, `Configured` and the events' [`Provider`](crate::event::Provider); a
/// binding that needs one item per provider expands it too (`kirim::for_each_provider!(its
/// macro)`), so that adding a provider changes no binding.
#[macro_export]
macro_rules! for_each_provider {
    ($callback:ident) => {
        $callback! {
            "pivot" => Pivot(pivot::Pivot) pivot: "Pivot Local Payout.",
            "gateway" => Gateway(gateway::Gateway) gateway: "The `platform_id` withdraw gateway.",
            "paperid" => PaperId(paperid::PaperId) paper_id: "Paper.id (callbacks only: no lifecycle).",
        }
    };
}

/// What the registration needs of a provider's shell, implemented in its folder
/// (`operations.rs`).
pub trait Registered: Sized {
    /// Its operation names (`verify_callback`...), checked before its configuration.
    const OPERATIONS: &'static [&'static str];

    /// The shell, from its configuration as JSON (checked).
    fn from_config(config: &Json<'_>) -> Result<Self>;

    /// One operation by its name, on a JSON input object; the result as JSON text.
    fn run(&self, operation: &str, input: &Input) -> Result<String>;

    /// The shell as the payout lifecycle's provider, or the error saying why it cannot be one.
    fn into_lifecycle(self) -> Result<Box<dyn PayoutProvider + Send>>;
}

/// `impl Registered` for a provider whose configuration is required and that drives a payout
/// lifecycle, invoked in its `operations.rs`: its `OPERATIONS`, `new` (from the configuration)
/// and `run_with` there, and itself as the lifecycle's provider.
macro_rules! registered_with_lifecycle {
    ($shell:ident) => {
        impl $crate::providers::Registered for $shell {
            const OPERATIONS: &'static [&'static str] = OPERATIONS;

            fn from_config(config: &$crate::read::Json<'_>) -> $crate::error::Result<Self> {
                $crate::providers::read_config(config).and_then($shell::new)
            }

            fn run(
                &self,
                operation: &str,
                input: &$crate::operations::Input,
            ) -> $crate::error::Result<String> {
                run_with(self, operation, input)
            }

            fn into_lifecycle(
                self,
            ) -> $crate::error::Result<Box<dyn $crate::lifecycle::PayoutProvider + Send>> {
                Ok(Box::new(self))
            }
        }
    };
}
pub(crate) use registered_with_lifecycle;

macro_rules! registry {
    ($($name:literal => $variant:ident($module:ident::$shell:ident) $field:ident: $doc:literal,)*) => {
        /// The operation namespaces of the providers, in registration order.
        pub const PROVIDER_NAMES: &[&str] = &[$($name),*];

        /// Each provider's operation names (`verify_callback`...), `None` for a name that is not
        /// a provider (`money`, a typo).
        pub fn operation_names(provider: &str) -> Option<&'static [&'static str]> {
            match provider {
                $($name => Some(<$module::$shell as Registered>::OPERATIONS),)*
                _ => None,
            }
        }

        /// A provider configured once, for bindings that keep it between calls: the
        /// configuration is read and checked here, not again on every `run_json`.
        #[derive(Debug, Clone)]
        pub enum Configured {
            $(
                #[doc = $doc]
                $variant($module::$shell),
            )*
        }

        impl Configured {
            pub(crate) fn from_config(provider: &str, config: &Json<'_>) -> Result<Self> {
                match provider {
                    $($name => Ok(Self::$variant(Registered::from_config(config)?)),)*
                    other => Err(unknown_provider(other)),
                }
            }

            fn run(&self, operation: &str, input: &Input) -> Result<String> {
                match self {
                    $(Self::$variant(shell) => shell.run(operation, input),)*
                }
            }

            /// The configuration as the core's `Debug` shows it (secrets redacted): what a
            /// binding's generic provider class shows of itself.
            pub fn config_debug(&self) -> String {
                match self {
                    $(Self::$variant(shell) => format!("{:?}", shell.config()),)*
                }
            }

            /// The provider of a payout lifecycle (taken, not cloned: a binding configures one
            /// per machine), or the error saying why this one cannot be (Paper.id).
            pub fn into_lifecycle(self) -> Result<Box<dyn PayoutProvider + Send>> {
                match self {
                    $(Self::$variant(shell) => shell.into_lifecycle(),)*
                }
            }
        }
    };
}

crate::for_each_provider!(registry);

/// JavaScript/TypeScript (feature `ts`): every provider's class (`<provider>/js.rs`), in
/// registration order, named as its case of `Configured` with its operation namespace.
#[cfg(feature = "ts")]
pub fn js_classes(c: &mut impl crate::js::Declare) -> Vec<crate::js::Class> {
    macro_rules! classes {
        ($($name:literal => $variant:ident($module:ident::$shell:ident) $field:ident: $doc:literal,)*) => {
            vec![$($module::js::class(c, stringify!($variant), $name)),*]
        };
    }
    crate::for_each_provider!(classes)
}

fn unknown_provider(name: &str) -> Error {
    Error::field(
        ErrorCode::UnknownOperation,
        "provider",
        format!(
            "unknown provider {}; known: {}",
            crate::error::quoted(name),
            PROVIDER_NAMES.join(", ")
        ),
    )
}

fn read_config<T: FromJson>(config: &Json<'_>) -> Result<T> {
    crate::json::read_argument(config, "config")
}

/// The JSON operation interface of the providers: `None` for an unknown provider.
/// A provider's operation names are checked before its configuration, so that a typo is
/// reported as one.
pub(crate) fn run(provider: &str, operation: &str, input: &Input) -> Option<Result<String>> {
    let operations = operation_names(provider)?;
    if !operations.contains(&operation) {
        return Some(Err(crate::operations::unknown(operation)));
    }
    let config = input.arg("config").unwrap_or(&Json::Null);
    Some(
        Configured::from_config(provider, config)
            .and_then(|configured| configured.run(operation, input)),
    )
}

impl Configured {
    /// `provider` is the operation namespace (`pivot`, `gateway`, `paperid`); `config_json`
    /// the provider's configuration as JSON text.
    pub fn new(provider: &str, config_json: &str) -> Result<Self> {
        let config = crate::json::parse_argument_tree(config_json.as_bytes(), "config")?;
        Self::from_config(provider, &config)
    }

    /// One operation by its name within the provider (`verify_callback`), on a JSON input
    /// object without `config`; the result as JSON text, as `operations::run_json` gives it.
    pub fn run_json(&self, operation: &str, input_json: &str) -> Result<String> {
        self.run(operation, &Input::parse(input_json)?)
    }

    /// `run_json` with the `body` argument as raw bytes beside the JSON (`Input::with_body`).
    pub fn run_json_with_body(
        &self,
        operation: &str,
        input_json: &str,
        body: &[u8],
    ) -> Result<String> {
        self.run(operation, &Input::parse(input_json)?.with_body(body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configurable_provider_has_its_operation_names() {
        for &provider in PROVIDER_NAMES {
            let names = operation_names(provider).unwrap_or_default();
            assert!(!names.is_empty(), "{provider}");
            // Paper.id needs no configuration to be built; the others refuse an empty one by
            // field, never as an unknown provider.
            if let Err(error) = Configured::new(provider, "{}") {
                assert_ne!(
                    error.field.as_deref(),
                    Some("provider"),
                    "{provider}: {error}"
                );
            }
        }
        assert_eq!(operation_names("money"), None);
        assert_eq!(operation_names("Pivot"), None);
    }

    #[test]
    fn a_body_beside_the_json_reads_as_the_same_body_in_it() {
        let pivot = Configured::new(
            "pivot",
            r#"{"base_url":"https://pivot.example","merchant_id":"m","merchant_secret":"s","callback_api_keys":["k"]}"#,
        )
        .unwrap();
        let headers = r#"{"headers":[{"name":"X-API-Key","value":"k"}]"#;
        let good = br#"{"event":"PAYOUT.SUCCESS","data":{"uuid":"u-1","payouts":{"referenceId":"r-1","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS","reason":null}}}"#;
        // The JSON form carries the bytes as hex (one of them is not UTF-8); beside, as they are.
        for body in [&good[..], b"{\"event\":\"\xff\"}"] {
            let in_json = format!(r#"{headers},"body":{{"hex":"{}"}}}}"#, hex::encode(body));
            let beside = pivot.run_json_with_body("verify_callback", &format!("{headers}}}"), body);
            assert_eq!(beside, pivot.run_json("verify_callback", &in_json));
        }
        let events = pivot
            .run_json_with_body("verify_callback", &format!("{headers}}}"), good)
            .unwrap();
        assert!(events.contains(r#""reference_id":"r-1""#), "{events}");
        // A body in the JSON as well is a repeated argument.
        let in_json = format!(r#"{headers},"body":{{"hex":"{}"}}}}"#, hex::encode(good));
        let twice = pivot
            .run_json_with_body("verify_callback", &in_json, good)
            .unwrap_err();
        assert_eq!(twice.code, ErrorCode::UnexpectedShape);
        assert_eq!(twice.field.as_deref(), Some("body"));
    }
}

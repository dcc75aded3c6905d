//! One folder per provider: its protocol shell, its wire types and its status mapping.
//!
//! Adding a provider touches its own folder, the registration below (its operation names in
//! `operation_names`, its case of `Configured`), and its vectors under
//! `tests/vectors/<provider>/`; CONTRIBUTING.md lists every step.

pub mod common;
pub mod gateway;
pub mod paperid;
pub mod pivot;

#[cfg(test)]
mod next_action_agreement;

use crate::error::{Error, ErrorCode, Result};
use crate::operations::Input;
use crate::read::{FromJson, Json};

/// The registration point of the providers: each one's operation names (`verify_callback`...),
/// `None` for a name that is not a provider (`money`, a typo).
pub fn operation_names(provider: &str) -> Option<&'static [&'static str]> {
    match provider {
        "pivot" => Some(pivot::operations::OPERATIONS),
        "gateway" => Some(gateway::operations::OPERATIONS),
        "paperid" => Some(paperid::operations::OPERATIONS),
        _ => None,
    }
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

/// A provider configured once, for bindings that keep it between calls: the configuration is
/// read and checked here, not again on every `run_json`.
#[derive(Debug, Clone)]
pub enum Configured {
    Pivot(pivot::Pivot),
    Gateway(gateway::Gateway),
    PaperId(paperid::PaperId),
}

impl Configured {
    /// `provider` is the operation namespace (`pivot`, `gateway`, `paperid`); `config_json`
    /// the provider's configuration as JSON text.
    pub fn new(provider: &str, config_json: &str) -> Result<Self> {
        let config = crate::json::parse_argument_tree(config_json.as_bytes(), "config")?;
        Self::from_config(provider, &config)
    }

    pub(crate) fn from_config(provider: &str, config: &Json<'_>) -> Result<Self> {
        Ok(match provider {
            "pivot" => Self::Pivot(pivot::Pivot::new(read_config(config)?)?),
            "gateway" => Self::Gateway(gateway::Gateway::new(read_config(config)?)?),
            // Paper.id needs no configuration to parse (verification does): none is the default.
            "paperid" => Self::PaperId(paperid::PaperId::new(
                read_config::<Option<paperid::PaperIdConfig>>(config)?.unwrap_or_default(),
            )?),
            other => {
                return Err(Error::field(
                    ErrorCode::UnknownOperation,
                    "provider",
                    format!(
                        "unknown provider {}; known: pivot, gateway, paperid",
                        crate::error::quoted(other)
                    ),
                ));
            }
        })
    }

    /// One operation by its name within the provider (`verify_callback`), on a JSON input
    /// object without `config`; the result as JSON text, as `operations::run_json` gives it.
    pub fn run_json(&self, operation: &str, input_json: &str) -> Result<String> {
        self.run(operation, &Input::parse(input_json)?)
    }

    fn run(&self, operation: &str, input: &Input) -> Result<String> {
        match self {
            Self::Pivot(pivot) => pivot::operations::run_with(pivot, operation, input),
            Self::Gateway(gateway) => gateway::operations::run_with(gateway, operation, input),
            Self::PaperId(paper) => paperid::operations::run_with(paper, operation, input),
        }
    }
}

fn read_config<T: FromJson>(config: &Json<'_>) -> Result<T> {
    crate::json::read_argument(config, "config")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configurable_provider_has_its_operation_names() {
        for provider in ["pivot", "gateway", "paperid"] {
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
}

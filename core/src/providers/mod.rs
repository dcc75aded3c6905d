//! One folder per provider: its protocol shell, its wire types and its status mapping.
//!
//! Adding a provider touches its own folder, the registration in `run` below, and its vectors
//! under `tests/vectors/<provider>/`.

pub mod common;
pub mod gateway;
pub mod paperid;
pub mod pivot;

use crate::error::Result;
use crate::operations::Input;

/// The registration point of the JSON operation interface.
pub(crate) fn run(provider: &str, operation: &str, input: &Input) -> Option<Result<String>> {
    match provider {
        "pivot" => pivot::operations::run(operation, input),
        "gateway" => gateway::operations::run(operation, input),
        "paperid" => paperid::operations::run(operation, input),
        _ => None,
    }
}

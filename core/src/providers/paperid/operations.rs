//! Paper.id's operations in the JSON operation interface (see `crate::operations`).

use super::{PaperId, PaperIdConfig};
use crate::error::Result;
use crate::http::Header;
use crate::operations::{Input, output};
use serde_json::{Value, json};

pub fn run(operation: &str, input: &Input) -> Option<Result<Value>> {
    Some(run_known(operation, input))
}

fn run_known(operation: &str, input: &Input) -> Result<Value> {
    let paper = &match operation {
        "verify_callback" | "parse_callback_unverified" | "handle_callback" => {
            PaperId::new(input.get_or("config", PaperIdConfig::default())?)?
        }
        _ => return Err(crate::operations::unknown(operation)),
    };
    match operation {
        "verify_callback" => output(&paper.verify_callback(
            &input.get_or::<Vec<Header>>("headers", Vec::new())?,
            input.get::<Option<String>>("source_address")?.as_deref(),
            &input.body("body")?,
        )?),
        "parse_callback_unverified" => {
            output(&paper.parse_callback_unverified(&input.body("body")?)?)
        }
        "handle_callback" => {
            let result = paper.verify_callback(
                &input.get_or::<Vec<Header>>("headers", Vec::new())?,
                input.get::<Option<String>>("source_address")?.as_deref(),
                &input.body("body")?,
            );
            let ack = paper.callback_acknowledgement(result.as_ref().map(|_| ()));
            let (event, error) = match result {
                Ok(event) => (Some(event), None),
                Err(error) => (None, Some(error)),
            };
            output(&json!({ "event": event, "error": error, "acknowledgement": ack }))
        }
        _ => Err(crate::operations::unknown(operation)),
    }
}

//! Paper.id's operations in the JSON operation interface (see `crate::operations`).

use super::PaperId;
use crate::error::Result;
use crate::http::Header;
use crate::operations::{Input, output};

/// The operation names, checked before the configuration so that a typo is reported as one.
pub(crate) const OPERATIONS: &[&str] = &[
    "verify_callback",
    "parse_callback_unverified",
    "handle_callback",
    "callback_acknowledgement",
    #[cfg(feature = "testkit")]
    "test_callback",
];

/// One operation on an already configured PaperId (what `providers::Configured` calls, so that a
/// binding holding one does not read the configuration again on every call).
pub fn run_with(paper: &PaperId, operation: &str, input: &Input) -> Result<String> {
    match operation {
        "verify_callback" => output(&paper.verify_callback(
            &input.get_or::<Vec<Header>>("headers", Vec::new())?,
            input.get::<Option<String>>("source_address")?.as_deref(),
            &input.body("body")?,
        )?),
        "parse_callback_unverified" => {
            output(&paper.parse_callback_unverified(&input.body("body")?)?)
        }
        "handle_callback" => crate::providers::common::handled_event(&paper.handle_callback(
            &input.get_or::<Vec<Header>>("headers", Vec::new())?,
            input.get::<Option<String>>("source_address")?.as_deref(),
            &input.body("body")?,
        )),
        // The answer for a callback the host verified itself (`error`: what `verify_callback`
        // raised, left out when it succeeded).
        "callback_acknowledgement" => output(
            &paper.callback_acknowledgement(
                input
                    .get::<Option<crate::error::Error>>("error")?
                    .as_ref()
                    .map_or(Ok(()), Err),
            ),
        ),
        #[cfg(feature = "testkit")]
        "test_callback" => output(&paper.test_callback(
            &input.get("token")?,
            &input.get("event")?,
            &crate::providers::common::test_url(input)?,
        )?),
        _ => Err(crate::operations::unknown(operation)),
    }
}

impl crate::providers::Registered for PaperId {
    const OPERATIONS: &'static [&'static str] = OPERATIONS;

    fn from_config(config: &crate::read::Json<'_>) -> Result<Self> {
        // Paper.id needs no configuration to parse (verification does): none is the default.
        crate::providers::read_config::<Option<super::PaperIdConfig>>(config)
            .and_then(|config| PaperId::new(config.unwrap_or_default()))
    }

    fn run(&self, operation: &str, input: &Input) -> Result<String> {
        run_with(self, operation, input)
    }

    fn into_lifecycle(self) -> Result<Box<dyn crate::lifecycle::PayoutProvider + Send>> {
        Err(crate::error::Error::field(
            crate::error::ErrorCode::InvalidField,
            "provider",
            "Paper.id payouts are created outside kirim (no create or status API is public): the \
             lifecycle cannot drive one; verify its callbacks with paperid.handle_callback",
        ))
    }
}

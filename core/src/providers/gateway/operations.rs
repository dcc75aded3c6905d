//! The gateway's operations in the JSON operation interface (see `crate::operations`).

use super::{Gateway, QueryFilter, WithdrawOrderInput};
use crate::error::{Error, ErrorCode, Result};
use crate::operations::{Input, output};
use crate::signing::{FormParams, SignType};

/// The operation names, checked before the configuration so that a typo is reported as one.
pub(crate) const OPERATIONS: &[&str] = &[
    "sign",
    "create_withdraw_request",
    "parse_create_withdraw",
    "query_request",
    "query_order_request",
    "parse_query",
    "verify_notification",
    "parse_notification_unverified",
    "handle_notification",
    "balance_request",
    "parse_balance",
    #[cfg(feature = "testkit")]
    "test_notification",
];

/// One operation on an already configured Gateway (what `providers::Configured` calls, so that a
/// binding holding one does not read the configuration again on every call).
pub fn run_with(gateway: &Gateway, operation: &str, input: &Input) -> Result<String> {
    match operation {
        "sign" => {
            let params = sign_params(gateway, input)?;
            let sign_type: SignType = input.get_or("sign_type", gateway.config().sign_type)?;
            output(&gateway.sign_params(&params, sign_type)?)
        }
        "create_withdraw_request" => output(&gateway.create_withdraw_request(
            &input.get::<WithdrawOrderInput>("order")?,
            input.get("now")?,
        )?),
        "parse_create_withdraw" => output(&gateway.parse_create_withdraw(&input.get("outcome")?)),
        "query_request" => {
            output(&gateway.query_request(&input.get_or("filter", QueryFilter::default())?)?)
        }
        "query_order_request" => {
            output(&gateway.query_order_request(&input.get::<String>("payout_cl_id")?)?)
        }
        "parse_query" => output(&gateway.parse_query(&input.get("outcome")?)?),
        "verify_notification" => output(&gateway.verify_notification(&input.body("body")?)?),
        "parse_notification_unverified" => {
            output(&gateway.parse_notification_unverified(&input.body("body")?)?)
        }
        "handle_notification" => crate::providers::common::handled_event(
            &gateway.handle_notification(&input.body("body")?),
        ),
        "balance_request" => output(&gateway.balance_request()?),
        "parse_balance" => output(&gateway.parse_balance(&input.get("outcome")?)?),
        #[cfg(feature = "testkit")]
        "test_notification" => output(&gateway.test_notification(
            &input.get("platform_key")?,
            input.get_or("sign_type", gateway.config().sign_type)?,
            &input.get("event")?,
            &crate::providers::common::test_url(input)?,
        )?),
        _ => Err(crate::operations::unknown(operation)),
    }
}

/// `body` (the exact JSON text, numbers kept as written) or `params` (a JSON object; its
/// numbers must be integers, since a decimal has already been through a float by then).
fn sign_params(gateway: &Gateway, input: &Input) -> Result<FormParams> {
    if let Some(body) = input.get::<Option<String>>("body")? {
        return FormParams::from_json_object(
            body.as_bytes(),
            gateway.config().max_body_bytes,
            "body",
        );
    }
    match input.arg("params") {
        Some(params) => gateway.host_params(params, "params"),
        None => Err(Error::field(
            ErrorCode::UnexpectedShape,
            "params",
            "params must be a JSON object (or pass the exact JSON text as body)",
        )),
    }
}

crate::providers::registered_with_lifecycle!(Gateway);

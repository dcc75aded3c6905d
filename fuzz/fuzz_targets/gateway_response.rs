//! Gateway responses: the create-withdraw, query and balance parsers on any status and body.
//! Input: one byte choosing the parser, two bytes of HTTP status (big endian), the body.
//! Beyond not panicking: only a 2xx `0000` answer with a usable payout id is accepted, and an
//! accepted order is never reported as succeeded.
#![no_main]

use kirim::NextAction;
use kirim_fuzz::{ResponseInput, gateway};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = ResponseInput::read(data) else {
        return;
    };
    let (status, outcome, ok_status) = (input.status, &input.outcome, input.ok_status());
    let gateway = gateway();
    match input.which % 3 {
        0 => {
            let result = gateway.parse_create_withdraw(outcome);
            if result.next_action == NextAction::Accepted {
                assert!(ok_status, "status {status} accepted");
                assert!(result.error.is_none());
                assert!(result.payout_id.as_ref().is_some_and(|id| !id.is_empty()));
            } else {
                assert!(result.error.is_some() && result.payout_id.is_none());
            }
            let _ = serde_json::to_string(&result);
        }
        1 => {
            if let Ok(result) = gateway.parse_query(outcome) {
                assert!(ok_status);
                let _ = serde_json::to_string(&result);
            }
        }
        _ => {
            if let Ok(balance) = gateway.parse_balance(outcome) {
                assert!(ok_status);
                assert!(balance.minor_units >= 0, "negative balance {balance:?}");
            }
        }
    }
});

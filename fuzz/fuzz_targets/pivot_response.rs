//! Pivot responses: every parser of a Pivot HTTP response, on any status and any body. Input:
//! one byte choosing the parser, two bytes of HTTP status (big endian), then the body.
//! Beyond not panicking: an error status or an error is never read as an accepted payout.
#![no_main]

use kirim::NextAction;
use kirim_fuzz::{ResponseInput, pivot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = ResponseInput::read(data) else {
        return;
    };
    let (status, outcome, ok_status) = (input.status, &input.outcome, input.ok_status());
    let pivot = pivot();
    match input.which % 5 {
        0 => {
            if let Ok(token) = pivot.parse_access_token(outcome, 1_715_588_505) {
                assert!(ok_status);
                assert!(!token.value().is_empty());
            }
        }
        1 => {
            if pivot.parse_balance(outcome).is_ok() {
                assert!(ok_status);
            }
        }
        2 => {
            if pivot.parse_inquiry(outcome).is_ok() {
                assert!(ok_status);
            }
        }
        3 => {
            let result = pivot.parse_create_payout(outcome);
            if result.next_action == NextAction::Accepted {
                assert!(ok_status, "status {status} accepted");
                assert!(result.error.is_none());
                assert!(
                    result
                        .batch
                        .as_ref()
                        .is_some_and(|b| !b.payout_id.is_empty())
                );
            } else {
                assert!(result.error.is_some() && result.batch.is_none());
            }
            let _ = serde_json::to_string(&result);
        }
        _ => {
            if let Ok(batch) = pivot.parse_retrieve(outcome) {
                assert!(ok_status);
                let _ = serde_json::to_string(&batch);
            }
        }
    }
});

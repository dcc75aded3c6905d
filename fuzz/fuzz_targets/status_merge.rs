//! Status merging: for any sequence of observations, confirmed or tentative, a final state is
//! never left (except Succeeded → Reversed), progress never goes backwards, merging is
//! idempotent, a tentative observation never makes a payout final, and the JSON operation
//! `status.merge` agrees with the typed fold.
#![no_main]

use kirim::{Confirmation, PayoutStatus};
use kirim_fuzz::statuses::{ALL, rank};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((first, events)) = data.split_first() else {
        return;
    };
    let start = ALL[usize::from(*first) % ALL.len()];
    // The low three bits choose the status, the next one the confirmation.
    let events: Vec<(PayoutStatus, Confirmation)> = events
        .iter()
        .take(256)
        .map(|b| {
            let confirmation = if b & 8 == 0 {
                Confirmation::Confirmed
            } else {
                Confirmation::Tentative
            };
            (ALL[usize::from(*b) % ALL.len()], confirmation)
        })
        .collect();
    let mut current = start;
    let mut expected = None;
    let mut states = Vec::new();
    for &(event, confirmation) in &events {
        let next = current.observe(event, confirmation);
        expected = current.expected_after(expected, event, confirmation);
        assert!(
            rank(next) >= rank(current),
            "{current:?} + {event:?} = {next:?}"
        );
        if current.is_final() {
            let allowed = next == current
                || (current == PayoutStatus::Succeeded && next == PayoutStatus::Reversed);
            assert!(allowed, "{current:?} left by {event:?} to {next:?}");
        }
        assert!(
            next == current || next == event,
            "{current:?} + {event:?} = {next:?}"
        );
        match confirmation {
            Confirmation::Confirmed => assert_eq!(next, current.merge(event)),
            Confirmation::Tentative => assert!(
                next == current || !next.is_final(),
                "a tentative {event:?} made {current:?} final"
            ),
        }
        assert_eq!(
            next.observe(event, confirmation),
            next,
            "not idempotent: {current:?} + {event:?}"
        );
        current = next;
        states.push(current);
    }
    let observations: Vec<serde_json::Value> = events
        .iter()
        .map(|(status, confirmation)| match confirmation {
            Confirmation::Confirmed => serde_json::json!(status),
            Confirmation::Tentative => {
                serde_json::json!({ "status": status, "confirmation": "tentative" })
            }
        })
        .collect();
    let input = serde_json::json!({ "current": start, "events": observations }).to_string();
    let output = kirim::operations::run_json("status.merge", &input);
    let expected = serde_json::json!({ "final": current, "states": states, "expected": expected });
    let got: Option<serde_json::Value> = output
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    assert_eq!(got, Some(expected));
});

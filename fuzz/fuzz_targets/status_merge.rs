//! Status merging: for any sequence of observations, a final state is never left (except
//! Succeeded → Reversed), progress never goes backwards, merging is idempotent, and the JSON
//! operation `status.merge` agrees with the typed fold.
#![no_main]

use kirim::PayoutStatus;
use libfuzzer_sys::fuzz_target;

const ALL: [PayoutStatus; 8] = [
    PayoutStatus::Pending,
    PayoutStatus::Processing,
    PayoutStatus::Delayed,
    PayoutStatus::Succeeded,
    PayoutStatus::Failed,
    PayoutStatus::Cancelled,
    PayoutStatus::Reversed,
    PayoutStatus::Unknown,
];

fn rank(s: PayoutStatus) -> u8 {
    match s {
        PayoutStatus::Unknown => 0,
        PayoutStatus::Pending => 1,
        PayoutStatus::Processing | PayoutStatus::Delayed => 2,
        PayoutStatus::Succeeded | PayoutStatus::Failed | PayoutStatus::Cancelled => 3,
        PayoutStatus::Reversed => 4,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((first, events)) = data.split_first() else {
        return;
    };
    let start = ALL[usize::from(*first) % ALL.len()];
    let events: Vec<PayoutStatus> = events
        .iter()
        .take(256)
        .map(|b| ALL[usize::from(*b) % ALL.len()])
        .collect();
    let mut current = start;
    let mut states = Vec::new();
    for &event in &events {
        let next = current.merge(event);
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
        assert_eq!(
            next.merge(event),
            next,
            "not idempotent: {current:?} + {event:?}"
        );
        current = next;
        states.push(current);
    }
    let input = serde_json::json!({ "current": start, "events": events }).to_string();
    let output = kirim::operations::run_json("status.merge", &input);
    let expected = serde_json::json!({ "final": current, "states": states });
    let got: Option<serde_json::Value> = output
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    assert_eq!(got, Some(expected));
});

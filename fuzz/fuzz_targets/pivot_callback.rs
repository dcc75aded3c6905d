//! Pivot callbacks through the Pivot API: key verification and parsing. Input: one byte
//! choosing the `X-API-Key` presented (none, the current key, the previous key, or the rest of
//! the first line as a key), then the body. A callback is accepted only with a configured key;
//! a verified parse equals the unverified one except for its authenticity.
#![no_main]

use kirim::{Authenticity, Confirmation, ErrorCode, Header};
use kirim_fuzz::{PIVOT_CALLBACK_KEYS, pivot, presented, take};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(([which], rest)) = take::<1>(data) else {
        return;
    };
    let (presented, body) = presented(which, PIVOT_CALLBACK_KEYS, rest);
    let genuine = presented
        .as_deref()
        .is_some_and(|k| PIVOT_CALLBACK_KEYS.contains(&k));
    let headers: Vec<Header> = presented
        .iter()
        .map(|k| Header::new("x-api-key", k.clone()))
        .collect();
    let pivot = pivot();
    let verified = pivot.verify_callback(&headers, body);
    let unverified = pivot.parse_callback_unverified(body);
    let ack = pivot.callback_acknowledgement(verified.as_ref().map(|_| ()));
    match (&verified, genuine) {
        (Ok(events), true) => {
            assert_eq!(ack.status, 200);
            assert!(!events.is_empty());
            assert!(
                events
                    .iter()
                    .all(|e| e.authenticity == Authenticity::ApiKey)
            );
            let Ok(plain) = &unverified else {
                panic!("verified but the unverified parse failed");
            };
            assert_eq!(plain.len(), events.len());
            for (a, b) in events.iter().zip(plain) {
                assert_eq!(b.authenticity, Authenticity::Unverified);
                assert!(b.requires_query);
                assert_eq!(b.confirmation, Confirmation::Tentative);
                assert_eq!(a.confirmation, Confirmation::Confirmed);
                assert_eq!(
                    (&a.payout_id, &a.reference_id, a.status),
                    (&b.payout_id, &b.reference_id, b.status)
                );
            }
        }
        (Ok(_), false) => panic!("a callback with key {presented:?} was accepted"),
        (Err(error), true) => {
            let Err(plain) = &unverified else {
                panic!("genuine key, body parses unverified, but verification failed: {error}");
            };
            assert_eq!(error.code, plain.code);
            assert_eq!(ack.status, 503);
            assert!(ack.provider_will_retry);
        }
        (Err(error), false) => {
            let expected = if presented.is_some() {
                ErrorCode::CallbackKeyMismatch
            } else {
                ErrorCode::CallbackKeyMissing
            };
            assert_eq!(error.code, expected);
            assert_eq!(ack.status, 401);
            assert!(!ack.provider_will_retry);
        }
    }
});

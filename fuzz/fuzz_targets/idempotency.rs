//! Idempotency keys: validation never panics and accepts only what the rules allow; derivation
//! is deterministic and always yields a valid key; the reuse window is consistent.
#![no_main]

use kirim::idempotency::{KeyReuse, PIVOT_RULES, derive_key, key_reuse, validate_key};
use kirim_fuzz::take;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(([mode], rest)) = take::<1>(data) else {
        return;
    };
    match mode % 3 {
        0 => {
            let Some((revision, reference)) = take::<4>(rest) else {
                return;
            };
            let revision = u32::from_le_bytes(revision);
            let reference = String::from_utf8_lossy(reference);
            match derive_key("pivot", &reference, revision) {
                Ok(key) => {
                    assert!(!reference.is_empty());
                    assert!(validate_key(&PIVOT_RULES, &key, "key").is_ok(), "{key}");
                    let again = derive_key("pivot", &reference, revision).ok();
                    assert_eq!(again.as_deref(), Some(key.as_str()));
                    let via_pivot = kirim_fuzz::pivot()
                        .derive_request_id(&reference, revision)
                        .ok();
                    assert_eq!(via_pivot.as_deref(), Some(key.as_str()));
                }
                Err(error) => {
                    assert!(reference.is_empty(), "{error}");
                }
            }
        }
        1 => {
            let key = String::from_utf8_lossy(rest);
            let valid = validate_key(&PIVOT_RULES, &key, "key").is_ok();
            let expected = (16..=36).contains(&key.chars().count())
                && key.bytes().all(|b| b.is_ascii_alphanumeric());
            assert_eq!(valid, expected, "{key:?}");
        }
        _ => {
            let Some((first, rest)) = take::<8>(rest) else {
                return;
            };
            let Some((now, rest)) = take::<8>(rest) else {
                return;
            };
            // Any margin, valid or not: an invalid one falls back to the default, so the
            // window never ends later than the provider's own.
            let margin = take::<8>(rest).map_or(600, |(m, _)| i64::from_le_bytes(m));
            let (first, now) = (i64::from_le_bytes(first), i64::from_le_bytes(now));
            let end = first.saturating_add(PIVOT_RULES.validity_seconds);
            match key_reuse(&PIVOT_RULES, first, now, margin) {
                KeyReuse::ReplaysUntil { until } => {
                    assert!(now < until && until >= first && until <= end)
                }
                KeyReuse::Expired { since } => {
                    assert!(now >= since && since >= first && since <= end)
                }
            }
        }
    }
});

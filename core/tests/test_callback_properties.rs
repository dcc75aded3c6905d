//! Property tests of the test-callback builders (`Pivot::test_callback`,
//! `Pivot::test_bulk_callback`, `Gateway::test_notification`, `PaperId::test_callback`): for
//! random events and keys, every generated callback verifies with the provider's own verifier
//! and reads back to the same event, and a single changed byte is refused.
//!
//! What "refused" can mean depends on what each provider authenticates:
//! - The gateway signs every field of the body. Any changed body byte makes verification fail,
//!   with one exception kirim accepts by design: the case of a letter inside the `sign` or
//!   `sign_type` value (hex digests and the algorithm name are compared case-insensitively,
//!   spec §2.4); such a change must then read back the very same event.
//! - Pivot (`X-API-Key`) and Paper.id (a configured token header) authenticate by a static
//!   credential header that does not cover the body. Any changed byte of the credential is
//!   refused (`callback_key_mismatch`). A changed body byte cannot be caught by authentication:
//!   what is checked is that a change inside any value the event is read from (ids, event
//!   name, status, amount, reason) either fails to parse or reads back a different event. Bytes
//!   outside those values (JSON punctuation, names of fields kirim ignores, Pivot's
//!   `merchantId`, the currency code's letter case) may change unnoticed: nothing in these
//!   protocols protects them, which is why an unverified or static-key callback never decides
//!   a payout by itself in kirim's model.

// A test harness: failing loudly on a broken fixture is the point.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

mod support;

use kirim::providers::common::TestCallbackEvent;
use kirim::providers::gateway::{Gateway, GatewayConfig};
use kirim::providers::paperid::{PaperId, PaperIdConfig};
use kirim::providers::pivot::{Pivot, PivotConfig, SANDBOX_URL};
use kirim::signing::{HexCase, KeyJoin, SignType};
use kirim::{
    Authenticity, Currency, ErrorCode, Header, HttpRequest, Money, PayoutEvent, PayoutStatus,
    PayoutTotals, Secret,
};
use proptest::prelude::*;
use std::ops::Range;

const CASES: u32 = 1_000;
const URL: &str = "https://merchant.example/callbacks";

fn config() -> ProptestConfig {
    support::proptest_config(
        CASES,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/test_callback_properties.proptest-regressions"
        ),
    )
}

// ---- strategies ------------------------------------------------------------------------------

/// Ids: printable ASCII (quotes and backslashes included, so JSON escaping is exercised) and a
/// few non-ASCII letters.
fn id() -> impl Strategy<Value = String> {
    "[ -~éü€]{1,40}"
}

/// Text with no space at either end (the readers trim reasons).
fn trimmed_text() -> impl Strategy<Value = String> {
    "[!-~é]([ -~é]{0,30}[!-~é])?"
}

/// A key sent as a header value: visible ASCII, no space at either end.
fn header_key() -> impl Strategy<Value = String> {
    "[!-~]([ -~]{0,30}[!-~])?"
}

/// A token header name Paper.id's config accepts: one with a word the redaction hides, in any
/// case, anywhere in the name.
fn token_header_name() -> impl Strategy<Value = String> {
    (
        "[A-Za-z][A-Za-z0-9-]{0,12}",
        prop::sample::select(kirim::http::SENSITIVE_HEADER_WORDS.to_vec()),
        any::<bool>(),
        "[A-Za-z0-9-]{0,12}",
    )
        .prop_map(|(before, word, upper, after)| {
            let word = if upper {
                word.to_ascii_uppercase()
            } else {
                word.to_owned()
            };
            format!("{before}{word}{after}")
        })
}

fn whole_rupiah() -> impl Strategy<Value = Money> {
    (1i64..=99_999_999).prop_map(|r| Money::new(r * 100, Currency::Idr))
}

fn any_cents() -> impl Strategy<Value = Money> {
    (1i64..=9_999_999_999).prop_map(|m| Money::new(m, Currency::Idr))
}

fn event(
    statuses: &'static [PayoutStatus],
    failure_statuses: &'static [PayoutStatus],
    amount: impl Strategy<Value = Money>,
    with_reference: bool,
) -> impl Strategy<Value = TestCallbackEvent> {
    (
        prop::sample::select(statuses),
        amount,
        id(),
        id(),
        prop::option::of(trimmed_text()),
    )
        .prop_map(
            move |(status, amount, payout_id, reference, reason)| TestCallbackEvent {
                status,
                amount,
                payout_id,
                reference_id: with_reference.then_some(reference),
                failure_reason: reason.filter(|_| failure_statuses.contains(&status)),
            },
        )
}

/// A changed byte: its position (modulo the length) and a non-zero XOR.
fn change() -> impl Strategy<Value = (prop::sample::Index, u8)> {
    (any::<prop::sample::Index>(), 1u8..=255)
}

// ---- helpers ---------------------------------------------------------------------------------

/// The range of the JSON value after the first `"key":` in `body` (a string's contents without
/// its quotes, or a number/literal).
fn value_span(body: &[u8], key: &str) -> Range<usize> {
    let needle = format!("\"{key}\":");
    let start = body
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{key} not in body"))
        + needle.len();
    if body[start] == b'"' {
        let mut i = start + 1;
        while body[i] != b'"' {
            i += if body[i] == b'\\' { 2 } else { 1 };
        }
        start + 1..i
    } else {
        let end = body[start..]
            .iter()
            .position(|b| matches!(b, b',' | b'}'))
            .unwrap()
            + start;
        start..end
    }
}

/// Whether the byte at `at`, now `new`, leaves the JSON number in `span` the same number: a
/// trailing zero of its fraction turned into whitespace (`24514858.10` into `24514858.1 `). Such a
/// body says the same thing, so it rightly reads back as the same event.
fn same_number(body: &[u8], span: &Range<usize>, at: usize, new: u8) -> bool {
    let is_number = span.start > 0 && body[span.start - 1] != b'"';
    is_number
        && matches!(new, b' ' | b'\t' | b'\n' | b'\r')
        && body[span.start..at].contains(&b'.')
        && body[at..span.end].iter().all(|b| *b == b'0')
}

fn changed(body: &[u8], at: usize, xor: u8) -> Vec<u8> {
    let mut out = body.to_vec();
    out[at] ^= xor;
    out
}

/// The header's value with one byte changed to another printable ASCII byte (a header value
/// arrives as text).
fn changed_header(
    request: &HttpRequest,
    name: &str,
    at: prop::sample::Index,
    to: u8,
) -> Vec<Header> {
    request
        .headers
        .iter()
        .map(|h| {
            if h.name.eq_ignore_ascii_case(name) {
                let mut bytes = h.value.clone().into_bytes();
                let i = at.index(bytes.len());
                bytes[i] = if bytes[i] == to {
                    b'~' ^ (to == b'~') as u8
                } else {
                    to
                };
                Header::new(&h.name, String::from_utf8(bytes).unwrap())
            } else {
                h.clone()
            }
        })
        .collect()
}

fn pivot(key: &str) -> Pivot {
    let mut config = PivotConfig::new(SANDBOX_URL, "merchant-1", Secret::new("secret"));
    config.callback_api_keys = vec![Secret::new(key)];
    Pivot::new(config).unwrap()
}

fn paperid(header: &str, token: &str) -> PaperId {
    PaperId::new(PaperIdConfig {
        callback_token_header: Some(header.to_owned()),
        callback_tokens: vec![Secret::new(token)],
        ..PaperIdConfig::default()
    })
    .unwrap()
}

fn gateway(key: &str, key_join: KeyJoin, hex_case: HexCase) -> Gateway {
    let mut config = GatewayConfig::new("https://gw.example", "PF0002", Secret::new(key));
    config.key_join = key_join;
    config.hex_case = hex_case;
    Gateway::new(config).unwrap()
}

/// The parts of a read-back event the generated one fixed.
fn assert_reads_back(read: &PayoutEvent, event: &TestCallbackEvent, failure_text: Option<&str>) {
    assert_eq!(read.status, event.status);
    assert_eq!(read.amount, Some(event.amount));
    assert_eq!(read.payout_id.as_deref(), Some(event.payout_id.as_str()));
    assert_eq!(read.reference_id, event.reference_id);
    assert_eq!(failure_text, event.failure_reason.as_deref());
    assert!(!read.requires_query, "{read:?}");
    assert!(read.warnings.is_empty(), "{read:?}");
}

const PIVOT_STATUSES: &[PayoutStatus] = &[
    PayoutStatus::Succeeded,
    PayoutStatus::Failed,
    PayoutStatus::Cancelled,
    PayoutStatus::Pending,
    PayoutStatus::Processing,
    PayoutStatus::Delayed,
];
const FAILED_OR_CANCELLED: &[PayoutStatus] = &[PayoutStatus::Failed, PayoutStatus::Cancelled];
/// G7's default map: 1 pending, 2 processing, 3 succeeded, 4 cancelled, 5 failed.
const GATEWAY_STATUSES: &[PayoutStatus] = &[
    PayoutStatus::Pending,
    PayoutStatus::Processing,
    PayoutStatus::Succeeded,
    PayoutStatus::Cancelled,
    PayoutStatus::Failed,
];
const PAPERID_STATUSES: &[PayoutStatus] = &[PayoutStatus::Succeeded, PayoutStatus::Failed];
const FAILED: &[PayoutStatus] = &[PayoutStatus::Failed];

proptest! {
    #![proptest_config(config())]

    /// Pivot single callbacks: verify, read back, refuse a changed key byte, and a changed
    /// byte of any event-carrying value never reads back as the same event.
    #[test]
    fn pivot_single_callbacks(
        key in header_key(),
        event in event(PIVOT_STATUSES, FAILED_OR_CANCELLED, whole_rupiah(), true),
        key_change in (any::<prop::sample::Index>(), 0x20u8..0x7f),
        body_change in change(),
        which in 0usize..6,
    ) {
        let pivot = pivot(&key);
        let request = pivot.test_callback(&Secret::new(key.as_str()), &event, URL).unwrap();
        let events = pivot.verify_callback(&request.headers, &request.body).unwrap();
        prop_assert_eq!(events.len(), 1);
        let read = &events[0];
        prop_assert_eq!(read.authenticity, Authenticity::ApiKey);
        let text = read.failure.as_ref().and_then(|f| f.provider_text.as_deref());
        assert_reads_back(read, &event, text);

        let headers = changed_header(&request, "X-API-Key", key_change.0, key_change.1);
        let err = pivot.verify_callback(&headers, &request.body).unwrap_err();
        prop_assert_eq!(err.code, ErrorCode::CallbackKeyMismatch);

        let keys = ["event", "uuid", "referenceId", "value", "status", "reason"];
        let span = value_span(&request.body, keys[which]);
        if !span.is_empty() {
            let at = span.start + body_change.0.index(span.len());
            let body = changed(&request.body, at, body_change.1);
            match pivot.verify_callback(&request.headers, &body) {
                Err(_) => {}
                Ok(_) if same_number(&request.body, &span, at, body[at]) => {}
                Ok(again) => prop_assert_ne!(&again, &events, "byte {} of {}", at, keys[which]),
            }
        }
    }

    /// Pivot bulk callbacks: totals only, read back as the request's totals.
    #[test]
    fn pivot_bulk_callbacks(
        key in header_key(),
        uuid in id(),
        payouts in prop::collection::vec(
            (prop::sample::select(&[
                PayoutStatus::Succeeded,
                PayoutStatus::Failed,
                PayoutStatus::Cancelled,
                PayoutStatus::Pending,
            ][..]), 1i64..=1_000_000),
            1..8,
        ),
        key_change in (any::<prop::sample::Index>(), 0x20u8..0x7f),
    ) {
        let events: Vec<TestCallbackEvent> = payouts
            .iter()
            .enumerate()
            .map(|(i, (status, rupiah))| TestCallbackEvent {
                status: *status,
                amount: Money::new(rupiah * 100, Currency::Idr),
                payout_id: uuid.clone(),
                reference_id: Some(format!("ref-{i}")),
                failure_reason: None,
            })
            .collect();
        let pivot = pivot(&key);
        let request = pivot
            .test_bulk_callback(&Secret::new(key.as_str()), &events, URL)
            .unwrap();
        let read = pivot.verify_callback(&request.headers, &request.body).unwrap();
        prop_assert_eq!(read.len(), 1);
        // Totals computed here, independently of the builder.
        let sum = |s: PayoutStatus| {
            let (mut count, mut amount) = (0u64, 0i64);
            for (status, rupiah) in &payouts {
                if *status == s {
                    count += 1;
                    amount += rupiah * 100;
                }
            }
            (Some(count), Some(Money::new(amount, Currency::Idr)))
        };
        let (pending_count, pending_amount) = sum(PayoutStatus::Pending);
        let (success_count, success_amount) = sum(PayoutStatus::Succeeded);
        let (failed_count, failed_amount) = sum(PayoutStatus::Failed);
        let (cancelled_count, cancelled_amount) = sum(PayoutStatus::Cancelled);
        let expected = PayoutTotals {
            pending_count, pending_amount, success_count, success_amount,
            failed_count, failed_amount, cancelled_count, cancelled_amount,
        };
        prop_assert_eq!(read[0].totals.as_ref(), Some(&expected));
        prop_assert_eq!(read[0].payout_id.as_deref(), Some(uuid.as_str()));
        let held = payouts.iter().any(|(s, _)| *s == PayoutStatus::Pending);
        let raw_event = if held { "PAYOUT.PENDING" } else { "PAYOUT.DONE" };
        prop_assert_eq!(read[0].raw_event.as_deref(), Some(raw_event));
        prop_assert!(read[0].requires_query);

        let headers = changed_header(&request, "X-API-Key", key_change.0, key_change.1);
        let err = pivot.verify_callback(&headers, &request.body).unwrap_err();
        prop_assert_eq!(err.code, ErrorCode::CallbackKeyMismatch);
    }

    /// Gateway notifications, under every sign type, key join and hex case: verify, read
    /// back, and any changed body byte is refused (but a letter's case in the signature or
    /// its type, compared case-insensitively by design).
    #[test]
    fn gateway_notifications(
        key in "[ -~é]{1,40}",
        sign_type in prop::sample::select(&[SignType::Md5, SignType::HmacSha256][..]),
        key_join in prop::sample::select(&[
            KeyJoin::Ampersand, KeyJoin::Direct, KeyJoin::AmpersandKeyEquals,
        ][..]),
        hex_case in prop::sample::select(&[HexCase::Lower, HexCase::Upper][..]),
        event in event(GATEWAY_STATUSES, FAILED_OR_CANCELLED, any_cents(), true),
        body_change in change(),
        other_key in "[ -~]{1,40}",
    ) {
        let gateway = gateway(&key, key_join, hex_case);
        let secret = Secret::new(key.as_str());
        let request = gateway.test_notification(&secret, sign_type, &event, URL).unwrap();
        let read = gateway.verify_notification(&request.body).unwrap();
        prop_assert_eq!(read.authenticity, Authenticity::Signature);
        let text = read.failure.as_ref().and_then(|f| f.provider_text.as_deref());
        assert_reads_back(&read, &event, text);

        let at = body_change.0.index(request.body.len());
        let body = changed(&request.body, at, body_change.1);
        match gateway.verify_notification(&body) {
            Err(_) => {}
            Ok(again) => {
                let in_sign = value_span(&request.body, "sign").contains(&at)
                    || (sign_type == SignType::HmacSha256
                        && value_span(&request.body, "sign_type").contains(&at));
                let case_flip = body_change.1 == 0x20 && request.body[at].is_ascii_alphabetic();
                prop_assert!(in_sign && case_flip, "byte {} changed by {:#x} was accepted", at, body_change.1);
                prop_assert_eq!(again, read);
            }
        }

        if other_key != key {
            let forged = gateway
                .test_notification(&Secret::new(other_key), sign_type, &event, URL)
                .unwrap();
            let err = gateway.verify_notification(&forged.body).unwrap_err();
            prop_assert_eq!(err.code, ErrorCode::SignatureMismatch);
        }
    }

    /// Paper.id callbacks: verify, read back, refuse a changed token byte, and a changed byte
    /// of any event-carrying value never reads back as the same event.
    #[test]
    fn paperid_callbacks(
        header in token_header_name(),
        any_name in "[A-Za-z][A-Za-z0-9-]{0,30}",
        token in header_key(),
        event in event(PAPERID_STATUSES, FAILED, any_cents(), false),
        token_change in (any::<prop::sample::Index>(), 0x20u8..0x7f),
        body_change in change(),
        which in 0usize..4,
    ) {
        // A token header is accepted exactly when the redaction hides it, so it never shows.
        let accepted = PaperId::new(PaperIdConfig {
            callback_token_header: Some(any_name.clone()),
            callback_tokens: vec![Secret::new(token.as_str())],
            ..PaperIdConfig::default()
        });
        prop_assert_eq!(accepted.is_ok(), kirim::http::is_sensitive_header(&any_name), "{}", any_name);

        let paper = paperid(&header, &token);
        let request = paper.test_callback(&Secret::new(token.as_str()), &event, URL).unwrap();
        let shown = kirim::http::redacted(&request.headers);
        prop_assert!(shown.iter().any(|h| h.name == header && h.value == kirim::http::REDACTED));
        let read = paper.verify_callback(&request.headers, None, &request.body).unwrap();
        prop_assert_eq!(read.authenticity, Authenticity::SharedToken);
        let code = read.failure.as_ref().and_then(|f| f.provider_code.as_deref());
        assert_reads_back(&read, &event, code);

        let headers = changed_header(&request, &header, token_change.0, token_change.1);
        let err = paper.verify_callback(&headers, None, &request.body).unwrap_err();
        prop_assert_eq!(err.code, ErrorCode::CallbackKeyMismatch);

        let keys = ["disbursement_id", "amount", "status", "status_failure_code"];
        if keys[which] != "status_failure_code" || event.failure_reason.is_some() {
            let span = value_span(&request.body, keys[which]);
            let at = span.start + body_change.0.index(span.len());
            let body = changed(&request.body, at, body_change.1);
            match paper.verify_callback(&request.headers, None, &body) {
                Err(_) => {}
                Ok(_) if same_number(&request.body, &span, at, body[at]) => {}
                Ok(again) => prop_assert_ne!(&again, &read, "byte {} of {}", at, keys[which]),
            }
        }
    }
}

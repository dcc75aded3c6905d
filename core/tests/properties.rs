//! Property tests (proptest, at least 1,000 cases each): money, signing and callback keys,
//! the canonical string, status merging and idempotency keys.

// A test harness: failing loudly on a broken fixture is the point.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

mod support;

use kirim::idempotency::{PIVOT_RULES, derive_key, validate_key};
use kirim::money::{Currency, Money, format_minor, parse_decimal_minor};
use kirim::providers::gateway::{Gateway, GatewayConfig};
use kirim::providers::paperid::{PaperId, PaperIdConfig};
use kirim::providers::pivot::{Pivot, PivotConfig, SANDBOX_URL};
use kirim::signing::{FormParams, HexCase, KeyJoin, SignType, SignerSettings, sign, verify};
use kirim::{Authenticity, Confirmation, ErrorCode, Header, PayoutStatus, Secret};
use proptest::prelude::*;
use std::collections::BTreeMap;
use support::statuses::{ALL, rank};

const CASES: u32 = 1_000;

fn config() -> ProptestConfig {
    support::proptest_config(
        CASES,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/properties.proptest-regressions"
        ),
    )
}

// ---- money -----------------------------------------------------------------------------------

/// The exact value of `-?int.frac` in minor units of `exponent` decimals, by integer arithmetic
/// on the digits (i128), or `None` when it does not fit an i64.
fn exact_minor(negative: bool, int: &str, frac: &str, exponent: usize) -> Option<i64> {
    let mut value: i128 = 0;
    for b in int.trim_start_matches('0').bytes().take(40) {
        value = value.checked_mul(10)? + i128::from(b - b'0');
    }
    for i in 0..exponent {
        let d = frac.as_bytes().get(i).map_or(0, |b| i128::from(b - b'0'));
        value = value.checked_mul(10)? + d;
    }
    let value = i64::try_from(value).ok()?;
    Some(if negative { -value } else { value })
}

proptest! {
    #![proptest_config(config())]

    /// Formatting then parsing gives back the same minor units, for every currency exponent.
    #[test]
    fn money_format_parse_round_trip(minor in any::<i64>(), exponent in 0u32..=4) {
        let text = format_minor(minor, exponent);
        prop_assert_eq!(parse_decimal_minor(&text, exponent, "amount").ok(), Some(minor), "{}", text);
        let money = Money::new(minor, Currency::Idr);
        let json = serde_json::to_string(&money).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).ok(), Some(money));
    }

    /// Parsing never differs from exact decimal arithmetic on the digits: any digit string with
    /// any fraction either parses to exactly that value, or is refused with the right code.
    #[test]
    fn money_parse_is_exact_decimal_arithmetic(
        negative in any::<bool>(),
        int in "[0-9]{1,22}",
        frac in proptest::option::of("[0-9]{1,5}"),
    ) {
        let text = format!(
            "{}{int}{}",
            if negative { "-" } else { "" },
            frac.as_deref().map(|f| format!(".{f}")).unwrap_or_default()
        );
        let frac = frac.unwrap_or_default();
        let result = parse_decimal_minor(&text, 2, "amount");
        if frac.len() > 2 && frac[2..].bytes().any(|b| b != b'0') {
            prop_assert_eq!(result.unwrap_err().code, ErrorCode::FractionalAmount, "{}", text);
        } else {
            match exact_minor(negative, &int, &frac, 2) {
                Some(expected) => prop_assert_eq!(result.ok(), Some(expected), "{}", text),
                None => prop_assert_eq!(result.unwrap_err().code, ErrorCode::AmountOutOfRange, "{}", text),
            }
        }
    }

    /// No float path: every two-decimal amount, including those binary floating point gets
    /// wrong (1238.86 * 100 = 123885.99999999999), parses to its exact sen.
    #[test]
    fn money_two_decimals_are_never_rounded(rupiah in 0i64..=92_233_720_368_547, sen in 0i64..100) {
        let text = format!("{rupiah}.{sen:02}");
        prop_assert_eq!(parse_decimal_minor(&text, 2, "amount").ok(), Some(rupiah * 100 + sen));
        let out = kirim::operations::run_json(
            "money.parse",
            &serde_json::json!({ "value": text, "currency": "IDR" }).to_string(),
        )
        .unwrap();
        let out: serde_json::Value = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(out["minor_units"].as_i64(), Some(rupiah * 100 + sen));
    }

    /// Any string that is not `-?digits(.digits)?` is refused as invalid_amount, never read.
    #[test]
    fn money_rejects_every_non_decimal(text in "\\PC{0,12}") {
        let plain = {
            let unsigned = text.strip_prefix('-').unwrap_or(&text);
            let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            digits(int) && digits(frac)
        };
        let result = parse_decimal_minor(&text, 2, "amount");
        if !plain {
            prop_assert_eq!(result.unwrap_err().code, ErrorCode::InvalidAmount, "{:?}", text);
        }
    }
}

/// What `sen` x 10^`delta` is in sen, exactly: `Ok` when a whole number that fits an i64, else
/// the code kirim must refuse it with.
fn scaled_sen(sen: i64, delta: i32) -> Result<i64, ErrorCode> {
    let ten = |k: u32| 10i128.checked_pow(k);
    let value = i128::from(sen);
    if delta >= 0 {
        ten(delta.unsigned_abs())
            .and_then(|p| value.checked_mul(p))
            .and_then(|v| i64::try_from(v).ok())
            .ok_or(ErrorCode::AmountOutOfRange)
    } else {
        match ten(delta.unsigned_abs()) {
            Some(p) if value % p == 0 => Ok(i64::try_from(value / p).unwrap()),
            // 10^39 and past: only zero divides, and zero is not drawn.
            _ => Err(ErrorCode::FractionalAmount),
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// A JSON number whose mantissa is padded with zeros (after its digits, or between the
    /// point and them) and whose exponent compensates reads as exactly that amount, or, shifted
    /// by `delta`, as exactly that or the refusal; mantissas past a million digits included,
    /// which a 1 MiB body holds (an exponent capped at 10^6 read them wrong).
    #[test]
    fn money_long_mantissa_with_compensating_exponent_is_exact(
        sen in any::<i64>().prop_filter("nonzero", |s| *s != 0),
        // Long ones sparingly: each builds and reads megabytes (a debug build's seconds).
        pad in prop_oneof![9 => 0usize..40, 1 => 999_990usize..1_048_000],
        delta in -25i32..25,
        upper in any::<bool>(),
    ) {
        let e = if upper { 'E' } else { 'e' };
        let sign = if sen < 0 { "-" } else { "" };
        let digits = sen.unsigned_abs().to_string();
        let zeros = "0".repeat(pad);
        let pad = i64::try_from(pad).unwrap();
        let len = i64::try_from(digits.len()).unwrap();
        let delta64 = i64::from(delta);
        // DIGITS then zeros: rupiah = DIGITS x 10^pad x 10^-(pad + 2) = sen / 100.
        let trailing = format!("{sign}{digits}{zeros}{e}{}", delta64 - pad - 2);
        // Zeros then DIGITS after the point: rupiah = DIGITS x 10^-(pad + len) x 10^(pad + len - 2).
        let leading = format!("{sign}0.{zeros}{digits}{e}{:+}", delta64 + pad + len - 2);
        let expected = scaled_sen(sen, delta);
        for text in [trailing, leading] {
            let got = kirim::money::parse_number_minor(&text, 2, "amount").map_err(|e| e.code);
            prop_assert_eq!(got, expected, "{} sen, pad {}, delta {}", sen, pad, delta);
        }
    }
}

/// Every exponent spelling of `rupiah` a serializer might write: the point after each digit with
/// the matching exponent (`1.5E3`, `15E2`, `0.15E4`), trailing zeros moved into the exponent
/// (`15e2` for 1500), and a negative exponent over extra zeros (`150000E-2`), in both letter
/// cases, with and without `+`.
fn exponent_spellings(rupiah: u64) -> Vec<String> {
    let digits = rupiah.to_string();
    let mut out = Vec::new();
    for point in 1..=digits.len() {
        let (int, frac) = digits.split_at(point);
        let power = digits.len() - point;
        let mantissa = if frac.is_empty() {
            int.to_owned()
        } else {
            format!("{int}.{frac}")
        };
        out.push(format!("{mantissa}E{power}"));
        out.push(format!("{mantissa}e+{power}"));
        // A trailing zero in the fraction, as `Double.toString` writes `1.0E7`.
        out.push(if frac.is_empty() {
            format!("{int}.0E{power}")
        } else {
            format!("{int}.{frac}0E{power}")
        });
    }
    out.push(format!("0.{digits}E{}", digits.len()));
    let trimmed = digits.trim_end_matches('0');
    if !trimmed.is_empty() {
        out.push(format!("{trimmed}e{}", digits.len() - trimmed.len()));
    }
    out.push(format!("{digits}00E-2"));
    out.push(format!("{digits}.0e0"));
    out
}

proptest! {
    #![proptest_config(config())]

    /// A Paper.id amount written in any exponent form reads as the same money as its plain form
    /// (integer arithmetic on the digits, never a float), for whole rupiah up to 10^15.
    #[test]
    fn paperid_exponent_amounts_equal_the_plain_form(rupiah in 1u64..=1_000_000_000_000_000) {
        let paper = PaperId::new(PaperIdConfig::default()).unwrap();
        let parse = |amount: &str| {
            let body = format!(
                r#"{{"disbursement_id":"D1","status":"COMPLETED","amount":{amount}}}"#
            );
            paper.parse_callback_unverified(body.as_bytes()).map(|e| e.amount)
        };
        let plain = parse(&rupiah.to_string()).unwrap();
        prop_assert_eq!(plain, Some(Money::idr(i64::try_from(rupiah).unwrap()).unwrap()));
        for spelling in exponent_spellings(rupiah) {
            prop_assert_eq!(&parse(&spelling).unwrap(), &plain, "{}", spelling);
        }
    }
}

// ---- signing: the canonical string -----------------------------------------------------------

/// A parameter name as the gateway family spells them.
fn key_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,11}"
        .prop_filter("not a signature field", |k| k != "sign" && k != "sign_type")
}

/// A value a request may carry: no `&` (refused when signing), `=` allowed, some unicode.
fn value_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ./:=@_é-]{1,16}"
}

fn params_strategy() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(key_strategy(), value_strategy(), 1..8)
}

fn form(pairs: &[(String, String)]) -> FormParams {
    let mut params = FormParams::new();
    for (k, v) in pairs {
        params.push_text(k, v);
    }
    params
}

/// Splits a canonical string back into its pairs: at every `&`, then at the first `=`.
fn split_canonical(canonical: &str) -> Vec<(String, String)> {
    canonical
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

proptest! {
    #![proptest_config(config())]

    /// The canonical string does not depend on the order the parameters come in, whether
    /// built in code or received as JSON.
    #[test]
    fn canonical_string_ignores_parameter_order(
        (pairs, shuffled) in params_strategy()
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let a = form(&pairs).canonical_for_signing().unwrap();
        let b = form(&shuffled).canonical_for_signing().unwrap();
        prop_assert_eq!(&a, &b);
        let json = |p: &[(String, String)]| {
            let members: Vec<String> = p
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::json!(k), serde_json::json!(v)))
                .collect();
            format!("{{{}}}", members.join(","))
        };
        let received = FormParams::from_json_object(json(&shuffled).as_bytes(), 1 << 20, "body")
            .unwrap()
            .canonical()
            .unwrap();
        prop_assert_eq!(&received, &a);
    }

    /// What we sign splits back into exactly the parameters signed (sorted by key), so no two
    /// different parameter sets share a canonical string, whatever `=` the values hold.
    #[test]
    fn canonical_string_splits_back_into_the_parameters(params in params_strategy()) {
        let pairs: Vec<(String, String)> = params.into_iter().collect();
        let canonical = form(&pairs).canonical_for_signing().unwrap();
        prop_assert_eq!(split_canonical(&canonical), pairs);
    }

    /// `&` inside a value could forge a pair: `a=1&b=2` from `{a: "1&b=2"}`. The lenient
    /// verifier string cannot tell them apart, so signing refuses such a value; keys holding
    /// `&` or `=` are refused on both sides.
    #[test]
    fn ampersand_and_equals_cannot_forge_the_canonical_string(
        params in proptest::collection::btree_map(key_strategy(), value_strategy(), 2..8),
        at in any::<prop::sample::Index>(),
        bad_key in "[a-z]{1,4}[&=][a-z]{1,4}",
    ) {
        let pairs: Vec<(String, String)> = params.into_iter().collect();
        let honest = form(&pairs).canonical_for_signing().unwrap();
        // Fold pair i+1 into the value of pair i.
        let i = at.index(pairs.len() - 1);
        let mut forged = pairs.clone();
        let (k2, v2) = forged.remove(i + 1);
        forged[i].1 = format!("{}&{k2}={v2}", forged[i].1);
        let forged = form(&forged);
        prop_assert_eq!(forged.canonical().unwrap(), honest);
        let error = forged.canonical_for_signing().unwrap_err();
        prop_assert_eq!(error.code, ErrorCode::InvalidField);
        prop_assert_eq!(error.field.as_deref(), Some(pairs[i].0.as_str()));
        let mut with_bad_key = pairs.clone();
        with_bad_key.push((bad_key, "x".to_owned()));
        prop_assert_eq!(form(&with_bad_key).canonical().unwrap_err().code, ErrorCode::UnexpectedShape);
        prop_assert_eq!(form(&with_bad_key).canonical_for_signing().unwrap_err().code, ErrorCode::UnexpectedShape);
    }
}

// ---- signing: sign then verify, and single-bit changes ---------------------------------------

fn sign_type_strategy() -> impl Strategy<Value = SignType> {
    prop_oneof![Just(SignType::Md5), Just(SignType::HmacSha256)]
}

fn key_join_strategy() -> impl Strategy<Value = KeyJoin> {
    prop_oneof![
        Just(KeyJoin::Ampersand),
        Just(KeyJoin::Direct),
        Just(KeyJoin::AmpersandKeyEquals)
    ]
}

const PLATFORM_KEY: &str = "ThisIsYourSecretKey123";

fn gateway(key: &str, key_join: KeyJoin) -> Gateway {
    let mut config = GatewayConfig::new("https://payment.example", "PF0002", Secret::new(key));
    config.key_join = key_join;
    Gateway::new(config).unwrap()
}

/// A withdraw notification the gateway could send: the fields kirim reads, plus extra ones.
fn notification_strategy() -> impl Strategy<Value = Vec<(String, serde_json::Value)>> {
    (
        "POT[0-9]{8}",
        "[a-f0-9]{32}",
        1i64..=10_000_000_000,
        1i64..=5,
        1_500_000_000i64..=2_000_000_000,
        proptest::collection::btree_map("x_[a-z]{1,8}", value_strategy(), 0..4),
    )
        .prop_map(|(payout_id, cl_id, amount, status, time, extra)| {
            let mut fields = vec![
                ("payout_id".to_owned(), serde_json::json!(payout_id)),
                ("payout_cl_id".to_owned(), serde_json::json!(cl_id)),
                ("platform_id".to_owned(), serde_json::json!("PF0002")),
                ("amount".to_owned(), serde_json::json!(amount)),
                ("status".to_owned(), serde_json::json!(status)),
                ("update_time".to_owned(), serde_json::json!(time)),
            ];
            fields.extend(extra.into_iter().map(|(k, v)| (k, serde_json::json!(v))));
            fields
        })
}

/// The compact JSON text of `fields` in order, then `sign` and `sign_type` appended; returns
/// the body and where the signed members end (the signature members follow).
fn signed_body(
    fields: &[(String, serde_json::Value)],
    signature: &str,
    sign_type: SignType,
) -> (Vec<u8>, usize) {
    let members: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", serde_json::json!(k)))
        .collect();
    let head = format!("{{{}", members.join(","));
    let body = format!(
        r#"{head},"sign":"{signature}","sign_type":"{}"}}"#,
        sign_type.as_str()
    );
    (body.into_bytes(), head.len())
}

fn sign_fields(
    gateway: &Gateway,
    fields: &[(String, serde_json::Value)],
    sign_type: SignType,
) -> String {
    let (unsigned, _) = signed_body(fields, "", sign_type);
    let params = FormParams::from_json_object(&unsigned, 1 << 20, "body").unwrap();
    gateway.sign_params(&params, sign_type).unwrap().sign
}

fn flip_bit(bytes: &mut [u8], bit: usize) {
    let index = bit / 8 % bytes.len();
    bytes[index] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(config())]

    /// Every signature verifies under its key, whatever the canonical string, algorithm, key
    /// joining style and hex case, and under no other key.
    #[test]
    fn sign_then_verify(
        canonical in "\\PC{0,64}",
        key in "[ -~]{1,40}",
        sign_type in sign_type_strategy(),
        key_join in key_join_strategy(),
        upper in any::<bool>(),
        other in "[ -~]{1,40}",
    ) {
        let hex_case = if upper { HexCase::Upper } else { HexCase::Lower };
        let signature = sign(&canonical, &Secret::new(key.as_str()), sign_type, SignerSettings { key_join, hex_case }).unwrap();
        prop_assert_eq!(signature.len(), sign_type.hex_len());
        let keys = [Secret::new(other.as_str()), Secret::new(key.as_str())];
        prop_assert!(verify(&canonical, &signature, &keys, sign_type, key_join));
        if other != key {
            prop_assert!(!verify(&canonical, &signature, &keys[..1], sign_type, key_join));
        }
    }

    /// A gateway notification signed with the platform key verifies and parses to what was
    /// sent; a single-bit change to the signed part of the body, to the signature's digest,
    /// or to the key it was signed with is rejected.
    #[test]
    fn gateway_notification_single_bit_changes_are_rejected(
        fields in notification_strategy(),
        sign_type in sign_type_strategy(),
        key_join in key_join_strategy(),
        body_bit in any::<usize>(),
        digest_bit in any::<usize>(),
        key_bit in 0usize..(PLATFORM_KEY.len() * 7),
    ) {
        let gateway = gateway(PLATFORM_KEY, key_join);
        let signature = sign_fields(&gateway, &fields, sign_type);
        let (body, signed_len) = signed_body(&fields, &signature, sign_type);
        let event = gateway.verify_notification(&body).unwrap();
        prop_assert_eq!(event.authenticity, Authenticity::Signature);
        prop_assert_eq!(event.payout_id.as_deref(), fields[0].1.as_str());

        // One bit of the signed members (the signature members themselves are compared
        // case-insensitively, so they are changed through the digest below).
        let mut tampered = body.clone();
        flip_bit(&mut tampered[..signed_len], body_bit);
        prop_assert!(gateway.verify_notification(&tampered).is_err(), "{}", String::from_utf8_lossy(&tampered));

        // One bit of the digest.
        let mut digest = hex::decode(&signature).unwrap();
        flip_bit(&mut digest, digest_bit);
        let (forged, _) = signed_body(&fields, &hex::encode(&digest), sign_type);
        let error = gateway.verify_notification(&forged).unwrap_err();
        prop_assert_eq!(error.code, ErrorCode::SignatureMismatch);

        // One bit of the key (7 low bits of an ASCII character, so it stays text).
        let mut key = PLATFORM_KEY.as_bytes().to_vec();
        let (index, bit) = (key_bit / 7, key_bit % 7);
        key[index] ^= 1 << bit;
        let wrong_key = gateway_with_key(&key, key_join);
        let signature = sign_fields(&wrong_key, &fields, sign_type);
        let (forged, _) = signed_body(&fields, &signature, sign_type);
        let error = gateway.verify_notification(&forged).unwrap_err();
        prop_assert_eq!(error.code, ErrorCode::SignatureMismatch);
    }

    /// Pivot callbacks: any configured key is accepted; a single-bit change to it, a prefix or
    /// an extension of it, and a missing header are rejected.
    #[test]
    fn pivot_callback_key_verification(
        keys in proptest::collection::vec("[!-~]{8,40}", 1..4),
        pick in any::<prop::sample::Index>(),
        bit in any::<usize>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut config = PivotConfig::new(SANDBOX_URL, "kirim-merchant", Secret::new("kirim-secret"));
        config.callback_api_keys = keys.iter().map(|k| Secret::new(k.as_str())).collect();
        let pivot = Pivot::new(config).unwrap();
        let body = br#"{"event":"PAYOUT.SUCCESS","data":{"uuid":"d6a46a2c-1b26-40c5-9ca3-e063e69635a0","payouts":{"referenceId":"ref-1","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS"}}}"#;
        let key = &keys[pick.index(keys.len())];
        let with = |value: &str| vec![Header::new("X-API-Key", value)];
        let events = pivot.verify_callback(&with(key), body).unwrap();
        prop_assert_eq!(events[0].authenticity, Authenticity::ApiKey);

        let mut flipped = key.as_bytes().to_vec();
        let index = bit / 7 % flipped.len();
        flipped[index] ^= 1 << (bit % 7);
        let flipped = String::from_utf8(flipped).unwrap();
        let prefix = &key[..cut.index(key.len())];
        let extended = format!("{key}x");
        for presented in [flipped.as_str(), prefix, extended.as_str()] {
            if !keys.iter().any(|k| k == presented) {
                let error = pivot.verify_callback(&with(presented), body).unwrap_err();
                prop_assert_eq!(error.code, ErrorCode::CallbackKeyMismatch, "{:?}", presented);
            }
        }
        let error = pivot.verify_callback(&[], body).unwrap_err();
        prop_assert_eq!(error.code, ErrorCode::CallbackKeyMissing);
    }
}

fn gateway_with_key(key: &[u8], key_join: KeyJoin) -> Gateway {
    gateway(std::str::from_utf8(key).unwrap(), key_join)
}

// ---- status merging --------------------------------------------------------------------------

const NON_FINAL: [PayoutStatus; 4] = [
    PayoutStatus::Pending,
    PayoutStatus::Processing,
    PayoutStatus::Delayed,
    PayoutStatus::Unknown,
];

fn status() -> impl Strategy<Value = PayoutStatus> {
    proptest::sample::select(ALL.to_vec())
}

fn non_final() -> impl Strategy<Value = PayoutStatus> {
    proptest::sample::select(NON_FINAL.to_vec())
}

fn confirmation() -> impl Strategy<Value = Confirmation> {
    prop_oneof![Just(Confirmation::Confirmed), Just(Confirmation::Tentative)]
}

fn fold(start: PayoutStatus, events: &[PayoutStatus]) -> PayoutStatus {
    events.iter().fold(start, |s, e| s.merge(*e))
}

/// The final states one payout may consistently report: one outcome, or a success that was
/// later reversed.
fn terminal_set() -> impl Strategy<Value = Vec<PayoutStatus>> {
    prop_oneof![
        Just(vec![PayoutStatus::Succeeded]),
        Just(vec![PayoutStatus::Failed]),
        Just(vec![PayoutStatus::Cancelled]),
        Just(vec![PayoutStatus::Reversed]),
        Just(vec![PayoutStatus::Succeeded, PayoutStatus::Reversed]),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Merging never moves backwards, never leaves a final state (except Succeeded →
    /// Reversed), only ever takes the current or the incoming state, and is idempotent.
    #[test]
    fn status_merge_is_monotone_and_idempotent(start in status(), events in proptest::collection::vec(status(), 0..24)) {
        let mut current = start;
        for event in events {
            let next = current.merge(event);
            prop_assert!(rank(next) >= rank(current), "{:?} + {:?} = {:?}", current, event, next);
            prop_assert!(next == current || next == event);
            if !current.is_final() && current != PayoutStatus::Unknown && !event.is_final() && event != PayoutStatus::Unknown {
                // Peers: the latest observation wins.
                prop_assert_eq!(next, event);
            }
            if current.is_final() {
                prop_assert!(next == current || (current == PayoutStatus::Succeeded && next == PayoutStatus::Reversed));
            }
            prop_assert_eq!(next.merge(event), next);
            prop_assert_eq!(next.merge(next), next);
            current = next;
        }
    }

    /// For a payout whose final reports agree (one outcome, or success then reversal), the
    /// result is that outcome whatever the order of arrival, duplicates and stale events.
    #[test]
    fn status_merge_is_order_independent_for_final_states(
        start in non_final(),
        (events, shuffled) in (proptest::collection::vec(non_final(), 0..12), terminal_set(), 1usize..3)
            .prop_map(|(mut events, terminal, copies)| {
                for _ in 0..copies {
                    events.extend(terminal.iter().copied());
                }
                events
            })
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let a = fold(start, &events);
        let b = fold(start, &shuffled);
        prop_assert!(a.is_final());
        prop_assert_eq!(a, b, "{:?} vs {:?}", events, shuffled);
        let expected = events.iter().copied().max_by_key(|s| rank(*s)).unwrap();
        prop_assert_eq!(a, expected);
    }
}

proptest! {
    #![proptest_config(config())]

    /// No sequence of tentative observations ever yields a final state: a tentative observation
    /// changes nothing at all. The expected status, when there is one, is one that would still
    /// change the state if a query confirmed it.
    #[test]
    fn tentative_observations_never_yield_a_final_state(
        start in status(),
        events in proptest::collection::vec(status(), 0..24),
    ) {
        let mut current = start;
        let mut expected = None;
        for event in events {
            expected = current.expected_after(expected, event, Confirmation::Tentative);
            let next = current.observe(event, Confirmation::Tentative);
            prop_assert_eq!(next, start, "{:?} + tentative {:?}", current, event);
            prop_assert!(expected.is_none_or(|e| next.merge(e) != next));
            current = next;
        }
    }

    /// Confirmed observations still obey the merge rules; in a mixed sequence the tentative ones
    /// count for nothing, so the result is the merge of the confirmed observations alone, and
    /// it is final only if a confirmed one was.
    #[test]
    fn confirmed_observations_decide_as_merge_does(
        start in non_final(),
        events in proptest::collection::vec((status(), confirmation()), 0..24),
    ) {
        let mut current = start;
        let mut merged = start;
        for &(event, confirmation) in &events {
            let next = current.observe(event, confirmation);
            if confirmation == Confirmation::Confirmed {
                prop_assert_eq!(next, current.merge(event));
            }
            if confirmation == Confirmation::Confirmed {
                merged = merged.merge(event);
            }
            current = next;
        }
        prop_assert_eq!(current, merged);
        if current.is_final() {
            prop_assert!(events.iter().any(|&(e, c)| c == Confirmation::Confirmed && e.is_final()));
        }
    }

    /// Every event a provider marks tentative also asks for a query; an unverified gateway
    /// notification, and a 2 mapped to success, are always tentative.
    #[test]
    fn tentative_events_require_a_query(
        raw in 0i64..8,
        two_means in status(),
        requiring in proptest::collection::vec(0i64..8, 0..3),
    ) {
        let mut config = GatewayConfig::new("https://gw.example", "PF0002", Secret::new("k"));
        config.status_map.insert(2, two_means);
        config.statuses_requiring_query = requiring.clone();
        let gw = Gateway::new(config).unwrap();
        let body = serde_json::json!({"payout_id":"P1","payout_cl_id":"C1","amount":100,"status":raw}).to_string();
        let event = gw.parse_notification_unverified(body.as_bytes()).unwrap();
        prop_assert_eq!(event.confirmation, Confirmation::Tentative);
        prop_assert!(event.requires_query);
        let fields: Vec<(String, serde_json::Value)> = vec![
            ("payout_id".into(), "P1".into()),
            ("payout_cl_id".into(), "C1".into()),
            ("amount".into(), 100.into()),
            ("status".into(), raw.into()),
        ];
        let sign = sign_fields(&gw, &fields, SignType::HmacSha256);
        let (signed, _) = signed_body(&fields, &sign, SignType::HmacSha256);
        let event = gw.verify_notification(&signed).unwrap();
        let tentative = requiring.contains(&raw) || (raw == 2 && two_means == PayoutStatus::Succeeded);
        prop_assert_eq!(event.confirmation == Confirmation::Tentative, tentative);
        if tentative {
            prop_assert!(event.requires_query);
        }
    }
}

// ---- idempotency keys ------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Derivation is stable (same inputs, same key), always valid for the provider, and
    /// distinct across revisions and references; the JSON operation and the Pivot shell agree.
    #[test]
    fn idempotency_derivation_is_stable_and_valid(
        reference in "\\PC{1,64}",
        other in "\\PC{1,64}",
        revision in any::<u32>(),
    ) {
        let key = derive_key("pivot", &reference, revision).unwrap();
        prop_assert!(validate_key(&PIVOT_RULES, &key, "key").is_ok(), "{}", key);
        prop_assert_eq!(&derive_key("pivot", &reference, revision).unwrap(), &key);
        let pivot = Pivot::new(PivotConfig::new(SANDBOX_URL, "m", Secret::new("s"))).unwrap();
        let via_pivot = pivot.derive_request_id(&reference, revision).unwrap();
        prop_assert!(validate_key(&PIVOT_RULES, &via_pivot, "key").is_ok());
        prop_assert_eq!(&pivot.derive_request_id(&reference, revision).unwrap(), &via_pivot);
        let json = kirim::operations::run_json(
            "idempotency.derive",
            &serde_json::json!({"provider": "pivot", "merchant_reference": reference, "revision": revision}).to_string(),
        )
        .unwrap();
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(json["idempotency_key"].as_str(), Some(key.as_str()));
        prop_assert_ne!(&derive_key("pivot", &reference, revision.wrapping_add(1)).unwrap(), &key);
        if other != reference {
            prop_assert_ne!(&derive_key("pivot", &other, revision).unwrap(), &key);
        }
    }

    /// Validation accepts exactly the keys the Pivot rules allow.
    #[test]
    fn idempotency_validation_matches_the_rules(key in "[a-zA-Z0-9]{0,40}|\\PC{0,40}") {
        let expected = (16..=36).contains(&key.chars().count())
            && key.bytes().all(|b| b.is_ascii_alphanumeric());
        prop_assert_eq!(validate_key(&PIVOT_RULES, &key, "key").is_ok(), expected, "{:?}", key);
    }
}

//! The form canonicalizer and signer (gateway family): any JSON body either is refused with a
//! code or gives a canonical string that splits back into exactly the signed parameters (when
//! built for signing); every signature verifies under its key, and under no other key.
#![no_main]

use kirim::Secret;
use kirim::signing::{
    FormParams, HexCase, KeyJoin, SIGN_FIELD, SIGN_TYPE_FIELD, SignType, SignerSettings, sign,
    verify,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(params) = FormParams::from_json_object(data, 1 << 20, "body") else {
        return;
    };
    let mut signed: Vec<(&str, &str)> = params
        .entries()
        .iter()
        .filter(|e| e.key != SIGN_FIELD && e.key != SIGN_TYPE_FIELD)
        .filter_map(|e| {
            e.value
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| (e.key.as_str(), v))
        })
        .collect();
    signed.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let lenient = params.canonical();
    let strict = params.canonical_for_signing();
    if let Ok(strict) = &strict {
        // Signing is stricter than verifying, never looser, and both agree when both accept.
        assert_eq!(lenient.as_ref().ok(), Some(strict));
        // The canonical string splits back into exactly the signed pairs: nothing forged.
        let split: Vec<(&str, &str)> = if strict.is_empty() {
            Vec::new()
        } else {
            strict
                .split('&')
                .map(|pair| pair.split_once('=').unwrap_or((pair, "\u{0}missing")))
                .collect()
        };
        assert_eq!(split, signed, "{strict:?}");
    }
    let Ok(canonical) = lenient else {
        return;
    };
    let key = Secret::new("ThisIsYourSecretKey123");
    let other = Secret::new("ThisIsYourSecretKey124");
    for sign_type in [SignType::Md5, SignType::HmacSha256] {
        for key_join in [
            KeyJoin::Ampersand,
            KeyJoin::Direct,
            KeyJoin::AmpersandKeyEquals,
        ] {
            for hex_case in [HexCase::Lower, HexCase::Upper] {
                let settings = SignerSettings { key_join, hex_case };
                let Ok(signature) = sign(&canonical, &key, sign_type, settings) else {
                    panic!("a plain ASCII key must sign");
                };
                assert_eq!(signature.len(), sign_type.hex_len());
                let keys = [other.clone(), key.clone()];
                assert!(verify(&canonical, &signature, &keys, sign_type, key_join));
                assert!(!verify(
                    &canonical,
                    &signature,
                    &keys[..1],
                    sign_type,
                    key_join
                ));
                let mut flipped = signature.into_bytes();
                if let Some(first) = flipped.first_mut() {
                    *first = if *first == b'0' { b'1' } else { b'0' };
                }
                let flipped = String::from_utf8(flipped).unwrap_or_default();
                assert!(!verify(&canonical, &flipped, &keys, sign_type, key_join));
            }
        }
    }
    // An arbitrary presented signature (here the body's own `sign`) never panics the verifier.
    if let Some(presented) = params.get(SIGN_FIELD).and_then(|e| e.value.as_deref()) {
        let type_field = params.get(SIGN_TYPE_FIELD).and_then(|e| e.value.as_deref());
        if let Ok(sign_type) = SignType::from_field(type_field) {
            let _ = verify(&canonical, presented, &[key], sign_type, KeyJoin::Ampersand);
        }
    }
});

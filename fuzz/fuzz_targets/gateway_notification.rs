//! Gateway withdraw notifications: signature verification and parsing from raw bytes.
//! Input: one byte choosing how the body is signed, then the body:
//!   0: as is (whatever `sign` it carries);
//!   1: re-signed with MD5 under the platform key;
//!   2: re-signed with HMAC-SHA256 under the previous (rotated) key;
//!   3: re-signed with HMAC-SHA256 under a key that is not configured.
//! Re-signing adds `sign` (and `sign_type`) to a body that has neither. Properties: a body
//! signed under a configured key verifies exactly when it parses, to the same event; under any
//! other key it is a signature mismatch; the acknowledgement says `0000` only for an accepted
//! notification.
#![no_main]

use kirim::signing::{FormParams, SIGN_FIELD, SIGN_TYPE_FIELD, SignType, SignerSettings, sign};
use kirim::{Authenticity, ErrorCode, Secret};
use kirim_fuzz::{GATEWAY_KEYS, assert_unverified_agrees, gateway, take};
use libfuzzer_sys::fuzz_target;

/// The body with a `sign` (and `sign_type`) member added, or `None` when it cannot be signed.
fn resign(body: &[u8], key: &str, sign_type: SignType) -> Option<Vec<u8>> {
    let params = FormParams::from_json_object(body, 1 << 20, "body").ok()?;
    if params.get(SIGN_FIELD).is_some() || params.get(SIGN_TYPE_FIELD).is_some() {
        return None;
    }
    let canonical = params.canonical().ok()?;
    let signature = sign(
        &canonical,
        &Secret::new(key),
        sign_type,
        SignerSettings::default(),
    )
    .ok()?;
    let close = body.iter().rposition(|b| *b == b'}')?;
    let (head, tail) = body.split_at(close);
    let comma = if params.entries().is_empty() { "" } else { "," };
    let member = format!(
        r#"{comma}"sign":"{signature}","sign_type":"{}""#,
        sign_type.as_str()
    );
    Some([head, member.as_bytes(), tail].concat())
}

fuzz_target!(|data: &[u8]| {
    let Some(([mode], body)) = take::<1>(data) else {
        return;
    };
    let gateway = gateway();
    let (body, genuine) = match mode % 4 {
        0 => (body.to_vec(), None),
        1 => match resign(body, GATEWAY_KEYS[0], SignType::Md5) {
            Some(signed) => (signed, Some(true)),
            None => return,
        },
        2 => match resign(body, GATEWAY_KEYS[1], SignType::HmacSha256) {
            Some(signed) => (signed, Some(true)),
            None => return,
        },
        _ => match resign(body, "NotTheKey", SignType::HmacSha256) {
            Some(signed) => (signed, Some(false)),
            None => return,
        },
    };
    let verified = gateway.verify_notification(&body);
    let unverified = gateway.parse_notification_unverified(&body);
    let ack = gateway.notification_acknowledgement(verified.as_ref().map(|_| ()));
    let says_ok = ack.body.windows(4).any(|w| w == b"0000");
    assert_eq!(
        says_ok,
        verified.is_ok(),
        "ack {:?}",
        String::from_utf8_lossy(&ack.body)
    );
    assert_eq!(ack.status == 200, verified.is_ok());
    if let Ok(event) = &verified {
        assert_eq!(event.authenticity, Authenticity::Signature);
        let Ok(plain) = &unverified else {
            panic!("verified but the unverified parse failed");
        };
        assert_unverified_agrees(event, plain);
    }
    match (genuine, &verified, &unverified) {
        (Some(true), Err(error), Ok(_)) => {
            panic!("signed under a configured key and parseable, but refused: {error}")
        }
        (Some(true), Err(error), Err(plain)) => assert_eq!(error.code, plain.code),
        (Some(false), result, _) => {
            let code = result.as_ref().err().map(|e| e.code);
            assert_eq!(code, Some(ErrorCode::SignatureMismatch));
        }
        _ => {}
    }
});

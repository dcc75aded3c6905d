//! Paper.id callbacks: the shared-token and source-address checks, then parsing. Input: one
//! byte choosing the token presented (none, the current one, the previous one, or the first
//! line), one byte choosing the source address (none, inside the IPv4 block, inside the IPv6
//! block, outside both, or the next line), then the body. A callback is accepted only with a
//! configured token AND an allowed address (checked here against an independent reference),
//! and then parses exactly as the unverified parse does.
#![no_main]

use kirim::{Authenticity, Confirmation, ErrorCode, Header};
use kirim_fuzz::{
    PAPERID_HEADER, PAPERID_TOKENS, assert_unverified_agrees, line, paperid, presented, take,
};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

/// 203.0.113.0/24 or 2001:db8::/32, IPv4-mapped IPv6 counting as IPv4.
fn allowed(address: &str) -> bool {
    match address.trim().parse::<IpAddr>().map(|a| a.to_canonical()) {
        Ok(IpAddr::V4(v4)) => v4.octets()[..3] == [203, 0, 113],
        Ok(IpAddr::V6(v6)) => v6.segments()[..2] == [0x2001, 0x0db8],
        Err(_) => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(([token_choice, address_choice], rest)) = take::<2>(data) else {
        return;
    };
    let (token, rest) = presented(token_choice, PAPERID_TOKENS, rest);
    let (address, body): (Option<String>, &[u8]) = match address_choice % 5 {
        0 => (None, rest),
        1 => (Some("203.0.113.7".to_owned()), rest),
        2 => (Some("2001:db8::1".to_owned()), rest),
        3 => (Some("198.51.100.1".to_owned()), rest),
        _ => {
            let (address, rest) = line(rest);
            (Some(address), rest)
        }
    };
    let headers: Vec<Header> = token
        .iter()
        .map(|t| Header::new(PAPERID_HEADER.to_ascii_lowercase(), t.clone()))
        .collect();
    let paperid = paperid();
    let verified = paperid.verify_callback(&headers, address.as_deref(), body);
    let unverified = paperid.parse_callback_unverified(body);
    let ack = paperid.callback_acknowledgement(verified.as_ref().map(|_| ()));
    let token_ok = token
        .as_deref()
        .is_some_and(|t| PAPERID_TOKENS.contains(&t));
    let address_ok = address.as_deref().is_some_and(allowed);
    let expected_refusal = match (&token, token_ok, address_ok) {
        (None, _, _) => Some(ErrorCode::CallbackKeyMissing),
        (Some(_), false, _) => Some(ErrorCode::CallbackKeyMismatch),
        (Some(_), true, false) => Some(ErrorCode::SourceNotAllowed),
        (Some(_), true, true) => None,
    };
    match (expected_refusal, &verified, &unverified) {
        (Some(code), result, _) => {
            assert_eq!(
                result.as_ref().err().map(|e| e.code),
                Some(code),
                "{token:?} {address:?}"
            );
            assert_eq!(ack.status, 401);
        }
        (None, Ok(event), Ok(plain)) => {
            assert_eq!(
                event.authenticity,
                Authenticity::SharedTokenAndSourceAddress
            );
            assert_eq!(event.confirmation, Confirmation::Confirmed);
            assert_unverified_agrees(event, plain);
            assert_eq!(ack.status, 200);
        }
        (None, Err(error), Err(plain)) => {
            assert_eq!(error.code, plain.code);
            assert_eq!(ack.status, 503);
        }
        (None, a, b) => panic!("verified {a:?} but unverified {b:?}"),
    }
});

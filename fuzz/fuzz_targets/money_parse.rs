//! Money parsing: the exact decimal parser against an independent reference, the format/parse
//! round trip, and the JSON forms (`JsonDecimal` as providers send amounts, `Money` as kirim's
//! own JSON form).
#![no_main]

use kirim::ErrorCode;
use kirim::money::{Currency, JsonDecimal, Money, format_minor, parse_decimal_minor};
use kirim_fuzz::reference_minor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for exponent in 0..=4 {
            let got = parse_decimal_minor(text, exponent, "amount");
            let want = reference_minor(text, exponent);
            match (&got, want) {
                (Ok(a), Ok(b)) => assert_eq!(*a, b, "{text:?} at exponent {exponent}"),
                (Err(e), Err(kind)) => {
                    let code = match kind {
                        "invalid" => ErrorCode::InvalidAmount,
                        "fractional" => ErrorCode::FractionalAmount,
                        _ => ErrorCode::AmountOutOfRange,
                    };
                    assert_eq!(e.code, code, "{text:?} at exponent {exponent}");
                }
                _ => panic!("{text:?} at exponent {exponent}: core {got:?}, reference {want:?}"),
            }
            if let Ok(minor) = got {
                let formatted = format_minor(minor, exponent);
                assert_eq!(
                    parse_decimal_minor(&formatted, exponent, "amount").ok(),
                    Some(minor),
                    "{formatted:?} does not parse back"
                );
            }
        }
        let _ = Currency::parse(text, "currency");
    }
    // Read as the core reads amounts and arguments.
    if let Ok(tree) = kirim::read::parse(data) {
        if let Ok(decimal) = kirim::json::read_argument::<JsonDecimal>(&tree, "amount") {
            let _ = decimal.to_minor(2, "amount");
        }
        if let Ok(money) = kirim::json::read_argument::<Money>(&tree, "amount") {
            let json = serde_json::to_string(&money).unwrap_or_default();
            assert_eq!(
                kirim::json::parse_argument::<Money>(json.as_bytes(), "amount").ok(),
                Some(money),
                "{json}"
            );
        }
    }
});

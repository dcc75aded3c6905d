//! Money as integer minor units, parsed exactly from every provider format, never via a float.

use crate::error::{Error, ErrorCode, Result};
use crate::read::{FromJson, Json, Read, Val};
use serde::{Deserialize, Serialize};
use std::fmt::Display;

/// Currencies kirim's providers use. IDR has two decimal places on the wire ("10000.00") even
/// though the rupiah has no coin below 1; kirim keeps sen so that no provider value is lost.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, FromJson)]
pub enum Currency {
    #[serde(rename = "IDR")]
    Idr,
}

impl Currency {
    /// Decimal places of the minor unit.
    pub const fn exponent(self) -> u32 {
        match self {
            Currency::Idr => 2,
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Currency::Idr => "IDR",
        }
    }

    /// Parses an ISO 4217 code case-insensitively (the gateway family writes `idr`).
    pub fn parse<F: Display + ?Sized>(code: &str, field: &F) -> Result<Currency> {
        if code.eq_ignore_ascii_case("IDR") {
            Ok(Currency::Idr)
        } else {
            Err(Error::field(
                ErrorCode::UnsupportedCurrency,
                field.to_string(),
                format!(
                    "currency {} is not supported; use IDR",
                    crate::error::quoted(code)
                ),
            ))
        }
    }
}

/// An amount of money: integer minor units (sen for IDR) and its currency.
///
/// Its JSON form is `{"value": "100000.00", "currency": "IDR"}`: a decimal string, so no
/// language ever reads it as a float.
#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, hash, from_py_object, module = "kirim"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", ts(type = "{ value: string, currency: Currency }"))]
pub struct Money {
    pub minor_units: i64,
    pub currency: Currency,
}

impl Money {
    pub const fn new(minor_units: i64, currency: Currency) -> Self {
        Money {
            minor_units,
            currency,
        }
    }

    /// Whole rupiah.
    pub fn idr(rupiah: i64) -> Result<Self> {
        rupiah
            .checked_mul(100)
            .map(|minor| Money::new(minor, Currency::Idr))
            .ok_or_else(|| Error::new(ErrorCode::AmountOutOfRange, "amount is too large"))
    }

    /// Parses a decimal string such as "100000", "10000.00" or "-5.5" exactly.
    pub fn parse<F: Display + ?Sized>(text: &str, currency: Currency, field: &F) -> Result<Self> {
        parse_decimal_minor(text, currency.exponent(), field).map(|m| Money::new(m, currency))
    }

    /// The amount in major units as an exact decimal string with the currency's decimals,
    /// e.g. `"1238.86"`.
    pub fn to_decimal_string(&self) -> String {
        format_minor(self.minor_units, self.currency.exponent())
    }

    /// The amount in whole major units, or `fractional_amount` if it has a fraction.
    pub fn whole_major_units<F: Display + ?Sized>(&self, field: &F) -> Result<i64> {
        // Checked: the scale is never zero, but an unchecked `%` or `/` keeps a panic path.
        let scale = 10i64.pow(self.currency.exponent());
        match (
            self.minor_units.checked_rem(scale),
            self.minor_units.checked_div(scale),
        ) {
            (Some(0), Some(whole)) => Ok(whole),
            _ => Err(Error::field(
                ErrorCode::FractionalAmount,
                field.to_string(),
                format!(
                    "{} {} has a fraction; this provider takes whole rupiah only, so round it yourself (kirim never rounds)",
                    self.to_decimal_string(),
                    self.currency.code()
                ),
            )),
        }
    }

    pub fn is_positive(&self) -> bool {
        self.minor_units > 0
    }
}

/// Parses an exact decimal (optionally signed, at most `exponent` significant decimals; trailing
/// zeros beyond that are accepted) into minor units. No exponent notation, no whitespace, no
/// thousands separators: anything else is `invalid_amount`.
pub fn parse_decimal_minor<F: Display + ?Sized>(
    text: &str,
    exponent: u32,
    field: &F,
) -> Result<i64> {
    // One compiled body whatever names the field (a generic copy per caller cost the .wasm).
    decimal_minor(text, exponent, &field)
}

/// Whether the text starts with `-`, and the text after it.
fn split_sign(text: &str) -> (bool, &str) {
    match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    }
}

/// An amount text refused: `{field} "{text}" {what}`, with `code`.
fn refused_text(code: ErrorCode, field: &dyn Display, text: &str, what: impl Display) -> Error {
    Error::field(
        code,
        field.to_string(),
        format!("{field} {} {what}", crate::error::quoted(text)),
    )
}

fn finer_than_unit(field: &dyn Display, text: &str, exponent: u32) -> Error {
    refused_text(
        ErrorCode::FractionalAmount,
        field,
        text,
        format_args!("has more than {exponent} decimal places; kirim never rounds money"),
    )
}

fn too_large(field: &dyn Display) -> Error {
    Error::field(
        ErrorCode::AmountOutOfRange,
        field.to_string(),
        format!("{field} is too large to represent exactly"),
    )
}

fn decimal_minor(text: &str, exponent: u32, field: &dyn Display) -> Result<i64> {
    let invalid = |why: &str| {
        refused_text(
            ErrorCode::InvalidAmount,
            field,
            text,
            format_args!(
                "is not an exact decimal amount ({why}); use digits with an optional '.' fraction, e.g. \"100000\" or \"10000.00\""
            ),
        )
    };
    let (negative, unsigned) = split_sign(text);
    // The common case in one pass: digits only, with the minor unit's zeros at most 18 (below
    // 10^18 < i64::MAX, so nothing to check). Anything else takes the general path below.
    let scale = 10u64.checked_pow(exponent);
    if let Some(scale) = scale
        .filter(|_| !unsigned.is_empty() && unsigned.len().saturating_add(exponent as usize) <= 18)
    {
        let mut digits_only = true;
        let mut value: u64 = 0;
        for b in unsigned.bytes() {
            digits_only &= b.is_ascii_digit();
            // Wrapping only to have no overflow path; none can happen.
            value = value
                .wrapping_mul(10)
                .wrapping_add(u64::from(b.wrapping_sub(b'0')));
        }
        if digits_only {
            let magnitude = value.wrapping_mul(scale);
            return Ok(if negative {
                0i64.wrapping_sub_unsigned(magnitude)
            } else {
                i64::try_from(magnitude).unwrap_or_default()
            });
        }
    }
    // A byte search, not `split_once('.')`: its char searcher cost more than the digits.
    let (int_part, frac_part) = match unsigned.bytes().position(|b| b == b'.') {
        Some(dot) => (
            unsigned.get(..dot).unwrap_or_default(),
            unsigned.get(dot + 1..),
        ),
        None => (unsigned, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("the integer part must be digits"));
    }
    if let Some(frac) = frac_part {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("the fraction must be digits"));
        }
    }
    let frac = frac_part.unwrap_or("");
    let digits = exponent as usize;
    // `split_at_checked`, not `split_at`: no panic path (and its message machinery, 3 KB of the
    // .wasm). A fraction no longer than `digits` keeps all of it.
    let (kept, dropped) = frac.split_at_checked(digits).unwrap_or((frac, ""));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(finer_than_unit(field, text, exponent));
    }
    let out_of_range = || too_large(field);
    // The magnitude, up to i64::MIN's (one more than i64::MAX), in u64: no 128-bit arithmetic.
    let limit = i64::MIN.unsigned_abs();
    let mut magnitude: u64 = 0;
    let padded = |i: usize| kept.as_bytes().get(i).copied().unwrap_or(b'0');
    let digits_in_order = int_part.bytes().chain((0..digits).map(padded));
    if int_part.len().saturating_add(digits) <= 18 {
        // At most 18 digits, below 10^18 < i64::MAX: nothing to check, and no checked
        // multiplication (a chain of slow ones) per digit, which was most of this function's
        // time. Wrapping only to have no overflow path; none can happen. Two plain loops, not
        // the `Chain`, whose `next` stays a call in the .wasm.
        let mut push =
            |b: u8| magnitude = magnitude.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        for b in int_part.bytes() {
            push(b);
        }
        for i in 0..digits {
            push(padded(i));
        }
    } else {
        for b in digits_in_order {
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .filter(|v| *v <= limit)
                .ok_or_else(out_of_range)?;
        }
    }
    let signed = if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    };
    signed.ok_or_else(out_of_range)
}

/// Formats minor units as a decimal string with exactly `exponent` decimals.
pub fn format_minor(minor: i64, exponent: u32) -> String {
    // A `NonZeroU64` divisor: the division below has no panic path.
    let scale = std::num::NonZeroU64::new(10u64.pow(exponent)).unwrap_or(std::num::NonZeroU64::MIN);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{abs}");
    }
    // The fraction zero-padded to `exponent` digits: those of `scale + fraction` after its
    // leading 1. Not `{:0width$}`: a width given at run time has a panic path (it must fit in a
    // u16). Written into one string with `itoa`: no formatting machinery, one allocation.
    let mut digits = itoa::Buffer::new();
    let mut out = String::with_capacity(24);
    out.push_str(sign);
    out.push_str(digits.format(abs / scale));
    out.push('.');
    let padded = digits.format(scale.get().saturating_add(abs % scale));
    out.push_str(padded.get(1..).unwrap_or_default());
    out
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Money", 2)?;
        s.serialize_field("value", &self.to_decimal_string())?;
        s.serialize_field("currency", &self.currency)?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            value: String,
            currency: Currency,
        }
        let wire = Wire::deserialize(deserializer)?;
        Money::parse(&wire.value, wire.currency, "value")
            .map_err(|e| serde::de::Error::custom(e.into_data().message))
    }
}

/// An amount a host passes in: a decimal string of major units (`"100000"`: rupiah, IDR) or
/// `{"value": "100000", "currency": "IDR"}`. A bare JSON number is refused (`invalid_amount`,
/// [`bare_number`]): whether `100000` means rupiah or sen would be a guess, and either guess is
/// a 100x error for someone who meant the other. Minor units are given by name instead (each
/// binding's `from_minor_units`, or the `money.from_minor_units` operation).
impl FromJson for Money {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let (text, currency) = match value.node {
            Json::Object(..) => {
                let o = value.object()?;
                o.deny_unknown(&["value", "currency"])?;
                let amount: AmountText = o.req("value")?;
                (amount.0, o.req("currency")?)
            }
            _ => (AmountText::from_json(value)?.0, Currency::Idr),
        };
        Money::parse(&text, currency, "value").map_err(|e| value.mismatch(e.into_data().message))
    }
}

/// The decimal text of an amount a host passes in: a JSON string, never a bare number.
struct AmountText(String);

impl FromJson for AmountText {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        match value.node {
            Json::String(text) => Ok(AmountText(text.to_string())),
            Json::Number(text) => Err(crate::read::Mismatch::coded(
                value.path(),
                ErrorCode::InvalidAmount,
                bare_number(&value.path(), text),
            )),
            _ => Err(value.invalid_type(
                "an amount: a decimal string of rupiah such as \"100000\", or {\"value\": \"100000\", \"currency\": \"IDR\"}",
            )),
        }
    }
}

/// The message of a bare number where an amount belongs: what was given, why it is refused,
/// and the two ways to say the unit.
pub fn bare_number(field: &str, number: &str) -> String {
    let number = crate::error::sanitize_provider_text(number);
    format!(
        "{field} is a bare number ({number}); kirim does not guess whether it is rupiah or sen. \
         Give rupiah as a decimal string, e.g. \"{number}\" or {{\"value\": \"{number}\", \"currency\": \"IDR\"}}, \
         or build the Money from minor units by name (Money.from_minor_units in Python, \
         moneyFromMinorUnits in JavaScript, Money(minorUnits = ..., currency = ...) in Kotlin)"
    )
}

/// A number (its exact text) or a string.
impl FromJson for JsonDecimal {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        match value.node {
            Json::Number(text) => Ok(JsonDecimal((*text).to_owned(), true)),
            Json::String(text) => Ok(JsonDecimal(text.to_string(), false)),
            _ => Err(value.mismatch("expected an amount as a number or a decimal string")),
        }
    }
}

/// An amount as it appears inside provider JSON: a string or a number, captured as its exact
/// source text so that it never passes through a float. The flag says whether it was a JSON
/// number (`true`) or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonDecimal(pub String, pub bool);

impl JsonDecimal {
    /// Minor units, exactly. A JSON number may be written in exponent form (`1.0E7`, `1e5`:
    /// Java, Jackson and others write doubles so), read by integer arithmetic on its digits and
    /// exponent; a decimal string may not (a provider that writes a string chose its digits).
    pub fn to_minor<F: Display + ?Sized>(&self, exponent: u32, field: &F) -> Result<i64> {
        if self.1 {
            parse_number_minor(&self.0, exponent, field)
        } else {
            parse_decimal_minor(&self.0, exponent, field)
        }
    }
}

/// The largest power of ten an amount can be scaled by and still fit an i64 (10^19 > i64::MAX).
const MAX_SHIFT: i64 = 19;

/// Parses a JSON number's text into minor units exactly: the plain decimal form as
/// [`parse_decimal_minor`], and the exponent form (`1.5E3`, `1e+5`, `2.5e-1`) by integer
/// arithmetic on the digits and the exponent, never a float. A value finer than the minor unit
/// is `fractional_amount`; one too large, or an absurd exponent (`1e400`), `amount_out_of_range`;
/// a nonzero value below the minor unit (`1e-400`) is finer than the unit, so `fractional_amount`.
pub fn parse_number_minor<F: Display + ?Sized>(
    text: &str,
    exponent: u32,
    field: &F,
) -> Result<i64> {
    number_minor(text, exponent, &field)
}

fn number_minor(text: &str, exponent: u32, field: &dyn Display) -> Result<i64> {
    // A byte search, not `split_once(['e', 'E'])` (a slow char searcher): every JSON amount
    // passes here.
    let Some((mantissa, power)) = text
        .bytes()
        .position(|b| b == b'e' || b == b'E')
        .and_then(|at| Some((text.get(..at)?, text.get(at + 1..)?)))
    else {
        return decimal_minor(text, exponent, field);
    };
    let invalid = || {
        refused_text(
            ErrorCode::InvalidAmount,
            field,
            text,
            "is not a number in exponent form",
        )
    };
    let (negative, unsigned) = split_sign(mantissa);
    let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let power_digits = power.strip_prefix(['+', '-']).unwrap_or(power);
    if int_part.is_empty()
        || !all_digits(int_part)
        || !all_digits(frac_part)
        || (unsigned.contains('.') && frac_part.is_empty())
        || power_digits.is_empty()
        || !all_digits(power_digits)
    {
        return Err(invalid());
    }
    // The exponent, saturated at CAP = len + MAX_SHIFT + 1 + exponent, where len = text.len()
    // bounds both the fraction's length F and the significant digits' L (DIGITS >= 1). Past
    // +CAP the shift is >= CAP - F > MAX_SHIFT, too large; past -CAP the cut is > len >= L, finer
    // than the unit: each the same decision as at the cap. A fixed cap (10^6) was wrong for a
    // mantissa of a million digits, which a 1 MiB body holds. i128: no sum here can overflow.
    let len = i128::try_from(text.len()).unwrap_or(i128::MAX);
    let cap = len + i128::from(MAX_SHIFT) + 1 + i128::from(exponent);
    let mut power_value: i128 = 0;
    for b in power_digits.bytes() {
        power_value = (power_value * 10 + i128::from(b - b'0')).min(cap);
    }
    if power.starts_with('-') {
        power_value = -power_value;
    }
    // The value is DIGITS x 10^shift minor units, DIGITS being the mantissa without its point.
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let sign = if negative { "-" } else { "" };
    if digits.is_empty() {
        return Ok(0);
    }
    let frac_len = i128::try_from(frac_part.len()).unwrap_or(i128::MAX);
    let shift = power_value - frac_len + i128::from(exponent);
    if shift >= 0 {
        // Too many digits for an i64 whatever they are: refused before building the text.
        if shift > i128::from(MAX_SHIFT) {
            return Err(too_large(field));
        }
        let zeros = "0".repeat(usize::try_from(shift).unwrap_or(0));
        return decimal_minor(&format!("{sign}{digits}{zeros}"), 0, field);
    }
    // Some digits fall below the minor unit: they must all be zero.
    let cut = usize::try_from(shift.unsigned_abs()).unwrap_or(usize::MAX);
    let kept_len = digits.len().saturating_sub(cut);
    // ASCII digits: always a boundary (nothing kept, all checked, if it were not).
    let (kept, dropped) = digits.split_at_checked(kept_len).unwrap_or(("", digits));
    if cut > digits.len() || dropped.bytes().any(|b| b != b'0') {
        return Err(finer_than_unit(field, text, exponent));
    }
    decimal_minor(&format!("{sign}{kept}"), 0, field)
}

/// `{"value": "1238.86", "currency": "IDR"}`.
impl crate::write::ToJson for Money {
    fn write_json(&self, out: &mut String) {
        let mut object = crate::write::Object::begin(out);
        object.field("value", &self.to_decimal_string());
        object.field("currency", &self.currency);
        object.end();
    }
}

// By hand: the ISO code through `code()`, the table the rest of the crate uses.
impl crate::write::ToJson for Currency {
    fn write_json(&self, out: &mut String) {
        crate::write::write_str(out, self.code());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minor(text: &str) -> Result<i64> {
        parse_decimal_minor(text, 2, "amount")
    }

    #[test]
    fn parses_every_provider_format_exactly() {
        assert_eq!(minor("100000").unwrap(), 10_000_000);
        assert_eq!(minor("10000.00").unwrap(), 1_000_000);
        assert_eq!(minor("1238.86").unwrap(), 123_886);
        assert_eq!(minor("100000.0").unwrap(), 10_000_000);
        assert_eq!(minor("0.1").unwrap(), 10);
        assert_eq!(minor("12333.0").unwrap(), 1_233_300);
        assert_eq!(minor("5.000").unwrap(), 500);
        assert_eq!(minor("-5.5").unwrap(), -550);
    }

    #[test]
    fn rejects_what_is_not_exact() {
        for bad in [
            "", ".5", "5.", "1e5", "1,000", " 5", "5 ", "+5", "0x10", "--5", "NaN", "١٢",
        ] {
            assert_eq!(
                minor(bad).unwrap_err().code,
                ErrorCode::InvalidAmount,
                "{bad}"
            );
        }
        assert_eq!(
            minor("1.001").unwrap_err().code,
            ErrorCode::FractionalAmount
        );
        assert_eq!(
            minor("99999999999999999999").unwrap_err().code,
            ErrorCode::AmountOutOfRange
        );
    }

    #[test]
    fn exponent_form_of_a_json_number_is_exact() {
        let n = |text: &str| parse_number_minor(text, 2, "amount");
        for (text, minor) in [
            ("1.0E7", 1_000_000_000),
            ("1e5", 10_000_000),
            ("1E+3", 100_000),
            ("1.5E3", 150_000),
            ("1.5e3", 150_000),
            ("12.34e0", 1_234),
            ("1234e-2", 1_234),
            ("1.23456E3", 123_456),
            ("100000.0", 10_000_000),
            ("-2.5E1", -2_500),
            ("0e400", 0),
            ("0.0E-400", 0),
            ("1.00E-2", 1),
            ("9.2233720368547758E16", 9_223_372_036_854_775_800),
        ] {
            assert_eq!(n(text).unwrap(), minor, "{text}");
        }
        for (text, code) in [
            ("1.001E0", ErrorCode::FractionalAmount),
            ("1e-3", ErrorCode::FractionalAmount),
            ("1e-400", ErrorCode::FractionalAmount),
            ("1e-99999999999999999999999", ErrorCode::FractionalAmount),
            ("1e400", ErrorCode::AmountOutOfRange),
            ("1e99999999999999999999999", ErrorCode::AmountOutOfRange),
            ("9.3E16", ErrorCode::AmountOutOfRange),
            ("1e", ErrorCode::InvalidAmount),
            ("e5", ErrorCode::InvalidAmount),
            ("1.e5", ErrorCode::InvalidAmount),
            ("1e5.0", ErrorCode::InvalidAmount),
            ("1e+-5", ErrorCode::InvalidAmount),
            ("1ee5", ErrorCode::InvalidAmount),
        ] {
            assert_eq!(n(text).unwrap_err().code, code, "{text}");
        }
        // The plain decimal text still refuses the exponent form.
        assert_eq!(minor("1e5").unwrap_err().code, ErrorCode::InvalidAmount);
    }

    #[test]
    fn a_long_mantissa_with_a_compensating_exponent_is_exact() {
        // A mantissa of a million digits fits a 1 MiB body, so the exponent that compensates
        // it is past 10^6: the exponent must not be capped below what the digits can undo.
        let n = |text: &str| parse_number_minor(text, 2, "amount");
        let zeros = "0".repeat(1_000_005);
        // Exactly Rp 1 = 100 sen, written both ways round.
        assert_eq!(n(&format!("1{zeros}e-1000005")).unwrap(), 100);
        assert_eq!(n(&format!("0.{zeros}1e1000006")).unwrap(), 100);
        assert_eq!(n(&format!("-0.{zeros}1E+1000006")).unwrap(), -100);
        // One step off each way: a tenth of the amount is finer than a sen only if it is, and
        // ten times it is still exact.
        assert_eq!(n(&format!("1{zeros}e-1000004")).unwrap(), 1_000);
        assert_eq!(n(&format!("1{zeros}e-1000007")).unwrap(), 1);
        assert_eq!(
            n(&format!("1{zeros}e-1000008")).unwrap_err().code,
            ErrorCode::FractionalAmount
        );
        assert_eq!(
            n(&format!("0.{zeros}1e1000025")).unwrap_err().code,
            ErrorCode::AmountOutOfRange
        );
        // Exponents far past the digits still decide (a huge exponent is saturated, not read).
        let huge = "9".repeat(40);
        assert_eq!(
            n(&format!("1{zeros}e-{huge}")).unwrap_err().code,
            ErrorCode::FractionalAmount
        );
        assert_eq!(
            n(&format!("0.{zeros}1e{huge}")).unwrap_err().code,
            ErrorCode::AmountOutOfRange
        );
    }

    #[test]
    fn the_float_trap_does_not_happen() {
        // 1238.86 * 100 in binary floating point is 123885.99999999999.
        assert_eq!(minor("1238.86").unwrap(), 123_886);
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_minor(123_886, 2), "1238.86");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(-550, 2), "-5.50");
        // Every zero of the padding, and none too many (padded by hand, not by a width).
        assert_eq!(format_minor(0, 2), "0.00");
        assert_eq!(format_minor(-7, 3), "-0.007");
        assert_eq!(format_minor(1_000, 3), "1.000");
        assert_eq!(format_minor(123, 0), "123");
        assert_eq!(format_minor(i64::MIN, 2), "-92233720368547758.08");
        assert_eq!(minor("-92233720368547758.08").unwrap(), i64::MIN);
        assert_eq!(minor("92233720368547758.07").unwrap(), i64::MAX);
        assert_eq!(
            minor("92233720368547758.08").unwrap_err().code,
            ErrorCode::AmountOutOfRange
        );
        let m = Money::new(123_886, Currency::Idr);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"value":"1238.86","currency":"IDR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn whole_rupiah_check() {
        assert_eq!(
            Money::idr(100_000).unwrap().whole_major_units("a").unwrap(),
            100_000
        );
        let err = Money::new(123_886, Currency::Idr)
            .whole_major_units("amount")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::FractionalAmount);
        assert_eq!(err.field.as_deref(), Some("amount"));
    }

    #[test]
    fn a_host_amount_says_its_unit() {
        let read = |text: &str| crate::json::parse_argument::<Money>(text.as_bytes(), "amount");
        // A decimal string is rupiah; the object form says its currency.
        assert_eq!(
            read(r#""100000""#).unwrap(),
            Money::new(10_000_000, Currency::Idr)
        );
        assert_eq!(
            read(r#"{"value":"1238.86","currency":"IDR"}"#).unwrap(),
            Money::new(123_886, Currency::Idr)
        );
        // A bare number (alone or as the value) is refused, naming the field and the fix.
        for (text, field) in [
            ("100000", "amount"),
            ("1.5", "amount"),
            (r#"{"value":100000,"currency":"IDR"}"#, "amount.value"),
        ] {
            let err = read(text).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidAmount, "{text}");
            assert_eq!(err.field.as_deref(), Some(field), "{text}");
            assert!(err.message.contains("bare number"), "{}", err.message);
            assert!(err.message.contains("from_minor_units"), "{}", err.message);
        }
        let err = read("true").unwrap_err();
        assert_eq!(err.code, ErrorCode::UnexpectedShape);
    }

    #[test]
    fn json_decimal_keeps_source_text() {
        let v: Vec<JsonDecimal> =
            crate::json::parse_argument(br#"[100000, 100000.0, "10000.00", 1e5]"#, "amounts")
                .unwrap();
        assert_eq!(v[0].0, "100000");
        assert_eq!(v[1].0, "100000.0");
        assert_eq!(v[2].0, "10000.00");
        // A JSON number in exponent form is exact; a string in exponent form is not a decimal.
        assert_eq!(v[3].to_minor(2, "a").unwrap(), 10_000_000);
        let s: JsonDecimal = crate::json::parse_argument(br#""1e5""#, "amount").unwrap();
        assert_eq!(
            s.to_minor(2, "a").unwrap_err().code,
            ErrorCode::InvalidAmount
        );
        let err = crate::json::parse_argument::<JsonDecimal>(b"true", "amount").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("amount"));
    }
}

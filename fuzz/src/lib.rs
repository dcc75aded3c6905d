//! Shared pieces of the fuzz targets: the fixed configurations they run under, how a target
//! splits its input, and an independent reference for exact decimal parsing.

use kirim::providers::gateway::{Gateway, GatewayConfig};
use kirim::providers::paperid::{PaperId, PaperIdConfig};
use kirim::providers::pivot::{Pivot, PivotConfig, SANDBOX_URL};
use kirim::{Authenticity, Confirmation, HttpOutcome, HttpResponse, PayoutEvent, Secret};

/// The payout statuses and their order of progress, shared with the core's property tests.
#[path = "../../core/tests/support/statuses.rs"]
pub mod statuses;

/// The unverified parse of a body that verified: tentative, asking for a query, and naming the
/// same payout, reference, status and amount as the verified event.
pub fn assert_unverified_agrees(event: &PayoutEvent, plain: &PayoutEvent) {
    assert_eq!(plain.authenticity, Authenticity::Unverified);
    assert!(plain.requires_query);
    assert_eq!(plain.confirmation, Confirmation::Tentative);
    assert_eq!(
        (
            &event.payout_id,
            &event.reference_id,
            event.status,
            event.amount
        ),
        (
            &plain.payout_id,
            &plain.reference_id,
            plain.status,
            plain.amount
        )
    );
}

/// The callback keys the Pivot configuration accepts (the same as the shared vectors').
pub const PIVOT_CALLBACK_KEYS: [&str; 2] = ["cb-key-current", "cb-key-previous"];

/// The Pivot shell every Pivot target runs under.
pub fn pivot() -> Pivot {
    let mut config = PivotConfig::new(SANDBOX_URL, "kirim-merchant", Secret::new("kirim-secret"));
    config.callback_api_keys = PIVOT_CALLBACK_KEYS
        .iter()
        .map(|k| Secret::new(*k))
        .collect();
    match Pivot::new(config) {
        Ok(pivot) => pivot,
        Err(error) => panic!("the fixed fuzz configuration must be valid: {error}"),
    }
}

/// The gateway's platform key and the previous key it still accepts (the shared vectors').
pub const GATEWAY_KEYS: [&str; 2] = ["ThisIsYourSecretKey123", "PreviousKey456"];

/// The gateway shell every gateway target runs under: the family's defaults (both algorithms
/// accepted on notifications), platform `PF0002`.
pub fn gateway() -> Gateway {
    let mut config = GatewayConfig::new(
        "https://payment.example",
        "PF0002",
        Secret::new(GATEWAY_KEYS[0]),
    );
    config.previous_platform_keys = vec![Secret::new(GATEWAY_KEYS[1])];
    config.authorization = Some(Secret::new("kirim-gateway-auth"));
    match Gateway::new(config) {
        Ok(gateway) => gateway,
        Err(error) => panic!("the fixed fuzz configuration must be valid: {error}"),
    }
}

/// Paper.id: a shared token header AND a source-address allow-list.
pub const PAPERID_HEADER: &str = "X-Callback-Token";
pub const PAPERID_TOKENS: [&str; 2] = ["kirim-paper-token", "previous-token"];
pub const PAPERID_ALLOWED: [&str; 2] = ["203.0.113.0/24", "2001:db8::/32"];

pub fn paperid() -> PaperId {
    let config = PaperIdConfig {
        callback_token_header: Some(PAPERID_HEADER.to_owned()),
        callback_tokens: PAPERID_TOKENS.iter().map(|t| Secret::new(*t)).collect(),
        allowed_source_addresses: PAPERID_ALLOWED.iter().map(|a| (*a).to_owned()).collect(),
        ..PaperIdConfig::default()
    };
    match PaperId::new(config) {
        Ok(paperid) => paperid,
        Err(error) => panic!("the fixed fuzz configuration must be valid: {error}"),
    }
}

/// Splits the first line (up to `\n`) off `data`: `(line, rest)`.
pub fn line(data: &[u8]) -> (String, &[u8]) {
    let end = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (head, tail) = data.split_at(end);
    (
        String::from_utf8_lossy(head).into_owned(),
        tail.get(1..).unwrap_or_default(),
    )
}

/// A response target's input: one byte choosing the parser, two bytes of HTTP status (big
/// endian), then the body.
pub struct ResponseInput {
    pub which: u8,
    pub status: u16,
    pub outcome: HttpOutcome,
}

impl ResponseInput {
    /// `None` when `data` is shorter than the three leading bytes.
    pub fn read(data: &[u8]) -> Option<Self> {
        let ([which, hi, lo], body) = take::<3>(data)?;
        let status = u16::from_be_bytes([hi, lo]);
        let outcome = HttpOutcome::Response(HttpResponse {
            status,
            headers: Vec::new(),
            body: body.to_vec(),
        });
        Some(Self {
            which,
            status,
            outcome,
        })
    }

    /// Whether the status is a 2xx: nothing else may be accepted.
    pub fn ok_status(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The credential a callback target presents, chosen by `choice`: none, the current one of
/// `configured`, the previous one, or the first line of `rest` (anything); with what is left.
pub fn presented<'a>(
    choice: u8,
    configured: [&str; 2],
    rest: &'a [u8],
) -> (Option<String>, &'a [u8]) {
    match choice % 4 {
        0 => (None, rest),
        1 => (Some(configured[0].to_owned()), rest),
        2 => (Some(configured[1].to_owned()), rest),
        _ => {
            let (credential, rest) = line(rest);
            (Some(credential), rest)
        }
    }
}

/// Splits `n` leading bytes off `data`, or `None` when it is shorter.
pub fn take<const N: usize>(data: &[u8]) -> Option<([u8; N], &[u8])> {
    let head: [u8; N] = data.get(..N)?.try_into().ok()?;
    Some((head, data.get(N..).unwrap_or_default()))
}

/// What an exact decimal parser must answer, computed independently of the core: `Ok(minor
/// units)`, or the error kind (`"invalid"`, `"fractional"`, `"range"`).
///
/// Grammar: `-?[0-9]+(\.[0-9]+)?`; more than `exponent` decimals only if the extra ones are
/// zeros; the signed result must fit an `i64` (i64::MIN included; accumulated in `i128`).
pub fn reference_minor(text: &str, exponent: u32) -> Result<i64, &'static str> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let negative = unsigned.len() != text.len();
    let (int_part, frac_part) = match unsigned.find('.') {
        Some(dot) => (&unsigned[..dot], Some(&unsigned[dot + 1..])),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int_part) || frac_part.is_some_and(|f| !digits(f)) {
        return Err("invalid");
    }
    let frac = frac_part.unwrap_or("");
    let exp = exponent as usize;
    if frac.len() > exp && frac[exp..].bytes().any(|b| b != b'0') {
        return Err("fractional");
    }
    let mut magnitude: i128 = 0;
    let significant = int_part.trim_start_matches('0');
    if significant.len() > 30 {
        return Err("range");
    }
    for b in significant.bytes() {
        magnitude = magnitude * 10 + i128::from(b - b'0');
    }
    for i in 0..exp {
        let d = frac.as_bytes().get(i).map_or(0, |b| i128::from(b - b'0'));
        magnitude = magnitude * 10 + d;
    }
    // The range is i64's own: -9223372036854775808 minor units fits, +9223372036854775808 not.
    i64::try_from(if negative { -magnitude } else { magnitude }).map_err(|_| "range")
}

#[cfg(test)]
mod tests {
    use super::reference_minor;

    #[test]
    fn reference_answers() {
        assert_eq!(reference_minor("1238.86", 2), Ok(123_886));
        assert_eq!(reference_minor("-5.5", 2), Ok(-550));
        assert_eq!(reference_minor("5.000", 2), Ok(500));
        assert_eq!(reference_minor("1.001", 2), Err("fractional"));
        assert_eq!(reference_minor("1e5", 2), Err("invalid"));
        assert_eq!(reference_minor(".5", 2), Err("invalid"));
        assert_eq!(reference_minor("92233720368547758.07", 2), Ok(i64::MAX));
        assert_eq!(reference_minor("92233720368547758.08", 2), Err("range"));
        assert_eq!(reference_minor("-92233720368547758.08", 2), Ok(i64::MIN));
        assert_eq!(reference_minor("-92233720368547758.09", 2), Err("range"));
        assert_eq!(reference_minor("-92233720368547758.08", 2), Ok(i64::MIN));
        assert_eq!(reference_minor("-92233720368547758.09", 2), Err("range"));
        assert_eq!(reference_minor(&format!("{}1", "0".repeat(80)), 0), Ok(1));
    }
}

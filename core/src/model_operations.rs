//! The model's own operations in the JSON operation interface: money, status, idempotency,
//! http.

use crate::error::Result;
use crate::idempotency;
use crate::money::{Currency, Money};
use crate::operations::{Input, output, unknown};
use crate::status::{Confirmation, PayoutStatus, StatusMerge};
use crate::write::ToJson;
use serde::Serialize;

/// The `currency` argument of the money operations; left out, rupiah (the one currency the
/// providers pay out in), so that no binding keeps its own default.
fn currency(input: &Input) -> Result<Currency> {
    match input.get::<Option<String>>("currency")? {
        Some(code) => Currency::parse(&code, "currency"),
        None => Ok(Currency::Idr),
    }
}

pub fn run(namespace: &str, name: &str, input: &Input) -> Result<String> {
    match (namespace, name) {
        ("money", "parse") => {
            let currency = currency(input)?;
            let money = Money::parse(&input.get::<String>("value")?, currency, "value")?;
            #[derive(Serialize, ToJson)]
            struct Parsed {
                minor_units: i64,
                money: Money,
            }
            output(&Parsed {
                minor_units: money.minor_units,
                money,
            })
        }
        ("money", "from_minor_units") => {
            let currency = currency(input)?;
            output(&Money::new(input.get("minor_units")?, currency))
        }
        ("status", "merge") => {
            // Applies each observation in order (`PayoutStatus::observe`); reports every
            // intermediate state and, while a tentative final status waits for its
            // confirmation, what is expected.
            let start: PayoutStatus = input.get_or("current", PayoutStatus::Unknown)?;
            let events: Vec<Observation> = input.get("events")?;
            let mut states = Vec::with_capacity(events.len());
            let mut current = start;
            let mut expected = None;
            for event in events {
                expected = current.expected_after(expected, event.status, event.confirmation);
                current = current.observe(event.status, event.confirmation);
                states.push(current);
            }
            output(&StatusMerge {
                last: current,
                states,
                expected,
            })
        }
        ("status", "is_final") => {
            // The core's rule, so that no binding keeps its own list of final states.
            #[derive(Serialize, ToJson)]
            struct IsFinal {
                is_final: bool,
            }
            output(&IsFinal {
                is_final: input.get::<PayoutStatus>("status")?.is_final(),
            })
        }
        ("idempotency", "validate") => {
            let rules = idempotency::rules_of(&input.get::<String>("provider")?)?;
            idempotency::validate_key(rules, &input.get::<String>("key")?, "key")?;
            Ok(r#"{"valid":true}"#.to_owned())
        }
        ("idempotency", "derive") => {
            let key = idempotency::derive_key(
                &input.get::<String>("provider")?,
                &input.get::<String>("merchant_reference")?,
                input.get_or("revision", 0u32)?,
            )?;
            output(&DerivedKey {
                idempotency_key: &key,
            })
        }
        ("idempotency", "key_reuse") => {
            let rules = idempotency::rules_of(&input.get::<String>("provider")?)?;
            let margin = input.get_or(
                "margin_seconds",
                idempotency::DEFAULT_KEY_WINDOW_MARGIN_SECONDS,
            )?;
            idempotency::validate_margin(rules, margin, "margin_seconds")?;
            output(&idempotency::key_reuse(
                rules,
                input.get("first_used_at")?,
                input.get("now")?,
                margin,
            ))
        }
        ("http", "redact_headers") => {
            #[derive(Serialize, ToJson)]
            struct Redacted {
                headers: Vec<crate::http::Header>,
            }
            output(&Redacted {
                headers: crate::http::redacted(&input.get::<Vec<crate::http::Header>>("headers")?),
            })
        }
        // The drivers' transport options: their defaults, and the check of a host's.
        ("http", "transport_options") => crate::transport::run(input),
        _ => Err(unknown(&format!("{namespace}.{name}"))),
    }
}

/// `{"idempotency_key": ...}`, the output of the key-deriving operations.
#[derive(Serialize, ToJson)]
pub(crate) struct DerivedKey<'a> {
    pub idempotency_key: &'a str,
}

/// One observation of `status.merge`: a status string (confirmed, as a query answer is), or
/// `{"status": ..., "confirmation": "confirmed" | "tentative"}` (an event's two fields).
struct Observation {
    status: PayoutStatus,
    confirmation: Confirmation,
}

impl crate::read::FromJson for Observation {
    fn from_json(value: &crate::read::Val<'_>) -> crate::read::Read<Self> {
        if let crate::read::Json::String(_) = value.node {
            return Ok(Observation {
                status: PayoutStatus::from_json(value)?,
                confirmation: Confirmation::Confirmed,
            });
        }
        let o = value.object()?;
        o.deny_unknown(&["status", "confirmation"])?;
        Ok(Observation {
            status: o.req("status")?,
            confirmation: o.or_else("confirmation", || Confirmation::Confirmed)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::operations::run_json;

    #[test]
    fn money_without_a_currency_is_rupiah() {
        let parsed = run_json("money.parse", r#"{"value":"1238.86"}"#);
        assert_eq!(
            parsed.as_deref(),
            Ok(r#"{"minor_units":123886,"money":{"value":"1238.86","currency":"IDR"}}"#)
        );
        let from = run_json(
            "money.from_minor_units",
            r#"{"minor_units":5,"currency":null}"#,
        );
        assert_eq!(from.as_deref(), Ok(r#"{"value":"0.05","currency":"IDR"}"#));
        let other = run_json("money.parse", r#"{"value":"1","currency":"USD"}"#);
        assert_eq!(
            other.map_err(|e| e.code),
            Err(crate::error::ErrorCode::UnsupportedCurrency)
        );
    }
}

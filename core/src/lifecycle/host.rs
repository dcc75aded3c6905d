//! What a binding needs to own and drive one machine over any provider, shared with the
//! `lifecycle.scenario` operation so that a binding's typed machine and the scenario vectors go
//! through the same code: the machine over a boxed provider (compiled once), its settings read
//! from JSON, the state the vectors check, and a callback verified by the machine's provider and
//! applied to it.

use super::PayoutOrder;
use super::contract::PayoutProvider;
use super::machine::{EventVerdict, LifecycleSettings, PayoutLifecycle, Phase};
use crate::error::{Error, ErrorCode, ErrorData, Result, quoted};
use crate::http::{Acknowledgement, Header};
use crate::providers::Configured;
use crate::read::FromJson;
use crate::status::PayoutStatus;
use crate::write::ToJson;

/// A machine over any provider, compiled once for all of them; a binding owns one.
pub type DynLifecycle<'a> = PayoutLifecycle<Box<dyn PayoutProvider + 'a>>;

/// The provider of a configured provider, for a [`DynLifecycle`] (taken, not cloned: a
/// binding configures one per machine). Paper.id is refused: its payouts are created outside
/// kirim and it has no status query.
pub fn lifecycle_provider(configured: Configured) -> Result<Box<dyn PayoutProvider>> {
    configured
        .into_lifecycle()
        .map(|provider| -> Box<dyn PayoutProvider> { provider })
}

/// The lifecycle's settings as a binding gives them (JSON); each one left out (or null) is the
/// provider's default ([`LifecycleSettings`]). TypeScript: `LifecycleSettings`, the type the
/// npm package takes.
#[kirim_derive::export(ts)]
#[derive(Debug, FromJson)]
#[cfg_attr(feature = "ts", ts(rename = "LifecycleSettings"))]
#[json(deny_unknown_fields)]
pub struct SettingsIn {
    /// Seconds after acceptance (then after each query that found no final status) before the
    /// next query; the last entry repeats. Default: the provider's callback retry schedule.
    // Read-only in TypeScript: the binding only reads it.
    #[cfg_attr(
        feature = "ts",
        ts(optional = nullable, type = "ReadonlyArray<number> | null")
    )]
    query_schedule_seconds: Option<Vec<i64>>,
    /// An answer not handed back this long after its send is taken as a timeout.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    request_timeout_seconds: Option<i64>,
    /// The longest wait between retries of a failed read.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    max_backoff_seconds: Option<i64>,
}

/// The provider's defaults with what `given` sets.
pub(crate) fn settings_with(
    provider: &dyn PayoutProvider,
    given: Option<SettingsIn>,
) -> LifecycleSettings {
    let mut settings = LifecycleSettings::defaults(provider);
    if let Some(given) = given {
        if let Some(v) = given.query_schedule_seconds {
            settings.query_schedule_seconds = v;
        }
        if let Some(v) = given.request_timeout_seconds {
            settings.request_timeout_seconds = v;
        }
        if let Some(v) = given.max_backoff_seconds {
            settings.max_backoff_seconds = v;
        }
    }
    settings
}

/// Settings from JSON text (`null`, or an object with any of `query_schedule_seconds`,
/// `request_timeout_seconds`, `max_backoff_seconds`; unknown fields refused); the machine checks
/// the values.
pub fn settings_from_json(provider: &dyn PayoutProvider, text: &str) -> Result<LifecycleSettings> {
    let given = crate::json::parse_argument::<Option<SettingsIn>>(text.as_bytes(), "settings")?;
    Ok(settings_with(provider, given))
}

/// What a callback did to a machine: one verdict per event (none when it was refused), the
/// verification error, and the answer to send the provider (none for an unverified read).
///
/// The error is data ([`ErrorData`]): a refused callback is an outcome to answer, not a failure of
/// the call (Kotlin/Swift: the record `LifecycleCallback`).
#[kirim_derive::export(ts)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "LifecycleCallback")
)]
#[derive(Debug, Default, ToJson)]
#[cfg_attr(feature = "ts", ts(rename = "LifecycleCallback"))]
pub struct CallbackResult {
    pub verdicts: Option<Vec<EventVerdict>>,
    // The npm package hands it as a `KirimError` (js/lifecycle.js), not as its data.
    #[cfg_attr(feature = "ts", ts(type = "KirimError | null"))]
    pub error: Option<ErrorData>,
    pub acknowledgement: Option<Acknowledgement>,
}

/// Verifies a callback by the machine's provider's rules and applies each of its events (a
/// forged one is refused and changes nothing); the acknowledgement is the provider's.
pub fn handle_callback<P: PayoutProvider>(
    machine: &mut PayoutLifecycle<P>,
    headers: &[Header],
    body: &[u8],
    now: i64,
) -> CallbackResult {
    let read = machine.provider().read_callback(headers, body);
    let acknowledgement = machine
        .provider()
        .callback_acknowledgement(read.as_ref().map(|_| ()));
    let mut result = apply(machine, read, now);
    result.acknowledgement = Some(acknowledgement);
    result
}

/// Reads a callback WITHOUT verification: its events are tentative (they may bring a query
/// forward, never decide).
pub fn handle_unverified_callback<P: PayoutProvider>(
    machine: &mut PayoutLifecycle<P>,
    body: &[u8],
    now: i64,
) -> CallbackResult {
    let read = machine.provider().read_callback_unverified(body);
    apply(machine, read, now)
}

fn apply<P: PayoutProvider>(
    machine: &mut PayoutLifecycle<P>,
    read: Result<Vec<crate::event::PayoutEvent>>,
    now: i64,
) -> CallbackResult {
    match read {
        Ok(events) => {
            let mut verdicts = Vec::with_capacity(events.len());
            for event in &events {
                verdicts.push(machine.handle_event(event, now));
            }
            CallbackResult {
                verdicts: Some(verdicts),
                ..CallbackResult::default()
            }
        }
        Err(error) => CallbackResult {
            error: Some(error.into_data()),
            ..CallbackResult::default()
        },
    }
}

/// The machine's state as the scenario vectors check it (Kotlin/Swift: `LifecycleState`).
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, ToJson)]
pub struct LifecycleState {
    /// Where the create stands.
    pub phase: Phase,
    /// The merged status.
    pub status: PayoutStatus,
    /// A tentative status awaiting a confirming query.
    pub expected: Option<PayoutStatus>,
    /// The provider's payout id, when known.
    pub payout_id: Option<String>,
    /// When the key was first sent (Unix seconds).
    pub first_sent_at: Option<i64>,
    /// How many creates went out.
    pub creates_sent: u32,
    /// Whether the machine holds a session token (Pivot).
    pub session: bool,
    /// A batch's items (empty for a single payout, whose state then has no `items`).
    #[json(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub items: Vec<LifecycleItemState>,
}

/// One batch item as the machine tracks it.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, ToJson)]
pub struct LifecycleItemState {
    /// The item's reference.
    pub reference: String,
    /// Its merged status.
    pub status: PayoutStatus,
    /// A tentative status awaiting a confirming query.
    pub expected: Option<PayoutStatus>,
}

impl<P: PayoutProvider> PayoutLifecycle<P> {
    /// Where the machine stands: `phase`, `status`, `expected`, `payout_id`, `first_sent_at`,
    /// `creates_sent`, `session`, and a batch's `items`.
    pub fn state(&self) -> LifecycleState {
        LifecycleState {
            phase: self.phase(),
            status: self.status(),
            expected: self.expected(),
            payout_id: self.payout_id().map(str::to_owned),
            first_sent_at: self.first_sent_at(),
            creates_sent: self.creates_sent(),
            session: self.has_session(),
            items: self
                .items
                .iter()
                .map(|item| LifecycleItemState {
                    reference: item.reference.clone(),
                    status: item.status,
                    expected: item.expected,
                })
                .collect(),
        }
    }
}

/// [`PayoutLifecycle::state`] as JSON.
pub fn state_json<P: PayoutProvider>(machine: &PayoutLifecycle<P>) -> String {
    crate::write::to_string(&machine.state())
}

/// What a driver does with a submitted order ([`check_submission`]).
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    /// No stored payout has its reference or any of its items': store it.
    New,
    /// The store holds this very order under this provider: write nothing, the stored payout
    /// goes on as it stands (a resubmission after a crash or a retried request).
    AlreadyStored,
}

impl Submission {
    /// `new` or `already_stored`: how the bindings that cross text name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Submission::New => "new",
            Submission::AlreadyStored => "already_stored",
        }
    }
}

/// A reference of a submitted order (its own or an item's) that the store's reference index
/// (`find_by_reference`) maps to another stored payout: `payout`, that payout's reference.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, FromJson)]
#[json(deny_unknown_fields)]
pub struct HeldReference {
    /// The reference the new order uses.
    pub reference: String,
    /// The stored payout that holds it (its own reference, or a batch with an item of it).
    pub payout: String,
}

/// The fix every refused submission shares.
const ONE_REFERENCE_ONE_PAYOUT: &str = "A reference names one payout: use a new reference for \
     a new payout; the stored payout is unchanged.";

/// Decides a submission from what the driver looked up in its store, BEFORE it writes anything:
///
/// - `order_json`: the new order (the core's `PayoutOrder` JSON);
/// - `stored_order_json` and `stored_provider`: the order and provider the store holds under
///   the new order's reference (its `load`), both `None` when it holds none;
/// - `provider`: the provider the new order is submitted to;
/// - `held`: for each reference of the new order (its own, then its items'), the stored payout
///   the store's `find_by_reference` maps it to, when that payout is not the new order's own.
///
/// [`Submission::AlreadyStored`] when the store holds the identical order (compared as the
/// core reads orders, not as text) under the same provider; [`Submission::New`] when the store
/// holds nothing under any of its references. Refused (`invalid_field`), the stored payout
/// unchanged, when the stored order under its reference differs (field `reference`; the message
/// names what differs: amount, beneficiary, items, provider, ...), or when another stored payout
/// holds its reference or an item's (field `reference` or `items[i].reference`; the message
/// names that payout): silently keeping the stored payout would let the merchant believe the new
/// order is paid, and storing a second mapping of one reference would route a callback naming
/// it to the wrong payout. Orders hold no secret; the message quotes no configuration.
pub fn check_submission(
    order_json: &str,
    stored_order_json: Option<&str>,
    stored_provider: Option<&str>,
    provider: &str,
    held: &[HeldReference],
) -> Result<Submission> {
    let order: PayoutOrder = crate::json::parse_argument(order_json.as_bytes(), "order")?;
    let stored = match (stored_order_json, stored_provider) {
        (Some(text), Some(stored_provider)) => Some((
            crate::json::parse_argument::<PayoutOrder>(text.as_bytes(), "stored order")?,
            stored_provider,
        )),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::field(
                ErrorCode::InvalidField,
                "stored_provider",
                "a stored payout's order and provider come together: pass both (what the \
                 store holds under the order's reference), or neither when it holds none",
            ));
        }
    };
    if let Some((stored, stored_provider)) = stored {
        let differences = differences(&order, &stored, provider, stored_provider);
        if differences.is_empty() {
            return Ok(Submission::AlreadyStored);
        }
        return Err(Error::field(
            ErrorCode::InvalidField,
            "reference",
            format!(
                "the reference {} names a stored payout whose order differs from this one ({}). \
                 {ONE_REFERENCE_ONE_PAYOUT}",
                quoted(&order.reference),
                differences.join("; ")
            ),
        ));
    }
    for taken in held {
        if taken.payout == order.reference {
            continue; // the new order's own payout: not another one
        }
        let field = if taken.reference == order.reference {
            "reference".to_owned()
        } else {
            match order
                .items
                .iter()
                .position(|item| item.reference == taken.reference)
            {
                Some(i) => format!("items[{i}].reference"),
                None => "reference".to_owned(),
            }
        };
        let holder = if taken.payout == taken.reference {
            format!(
                "is the reference of the stored payout {}",
                quoted(&taken.payout)
            )
        } else {
            format!(
                "is already used by the stored payout {} (an item of its order)",
                quoted(&taken.payout)
            )
        };
        return Err(Error::field(
            ErrorCode::InvalidField,
            field,
            format!(
                "the reference {} {holder}: a callback naming it would be routed to that \
                 payout. {ONE_REFERENCE_ONE_PAYOUT}",
                quoted(&taken.reference)
            ),
        ));
    }
    Ok(Submission::New)
}

/// Decides a driver's run of a payout named by its reference (Python's `run([...])`, Kotlin's
/// `run(setOf(...))`), from `stored`: whether the store holds a payout under it, ended or not.
/// Refused (`invalid_field` on `reference`, the reference quoted) when it holds none: a caller
/// naming a payout that does not exist has made a mistake (a typo, the wrong store) that an
/// empty result would hide. A payout that has ended is there: its run answers its final action.
pub fn check_run(reference: &str, stored: bool) -> Result<()> {
    if stored {
        return Ok(());
    }
    Err(Error::field(
        ErrorCode::InvalidField,
        "reference",
        format!(
            "the store holds no payout under reference {}: a run continues stored payouts; \
             submit (pay in JavaScript) stores a new one",
            quoted(reference)
        ),
    ))
}

/// What differs between a new order and the stored one, in words (empty: identical).
fn differences(
    order: &PayoutOrder,
    stored: &PayoutOrder,
    provider: &str,
    stored_provider: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    if provider != stored_provider {
        out.push(format!(
            "provider: stored {}, this order {}",
            quoted(stored_provider),
            quoted(provider)
        ));
    }
    if order.reference != stored.reference {
        out.push(format!(
            "reference: the store returned payout {}",
            quoted(&stored.reference)
        ));
    }
    if order.amount != stored.amount {
        out.push(format!(
            "amount: stored {} {}, this order {} {}",
            stored.amount.to_decimal_string(),
            stored.amount.currency.code(),
            order.amount.to_decimal_string(),
            order.amount.currency.code()
        ));
    }
    let named = [
        ("beneficiary", order.beneficiary == stored.beneficiary),
        ("inquiry_id", order.inquiry_id == stored.inquiry_id),
        ("description", order.description == stored.description),
        ("notify_url", order.notify_url == stored.notify_url),
        ("items", order.items == stored.items),
    ];
    for (name, same) in named {
        if !same {
            out.push(name.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(reference: &str, amount: &str) -> String {
        format!(
            r#"{{"reference":"{reference}","amount":{{"value":"{amount}","currency":"IDR"}},
               "beneficiary":{{"bank":"BCA","account_number":"1234567890","account_name":"Budi"}}}}"#
        )
    }

    fn batch(reference: &str, items: &[&str]) -> String {
        let items: Vec<String> = items
            .iter()
            .map(|r| {
                format!(
                    r#"{{"reference":"{r}","amount":{{"value":"100","currency":"IDR"}},
                       "beneficiary":{{"bank":"BCA","account_number":"1","account_name":"A"}}}}"#
                )
            })
            .collect();
        format!(
            r#"{{"reference":"{reference}","amount":{{"value":"{}","currency":"IDR"}},"items":[{}]}}"#,
            100 * items.len(),
            items.join(",")
        )
    }

    fn held(reference: &str, payout: &str) -> HeldReference {
        HeldReference {
            reference: reference.to_owned(),
            payout: payout.to_owned(),
        }
    }

    fn refused(result: Result<Submission>, field: &str, words: &[&str]) {
        let err = result.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidField, "{err:?}");
        assert_eq!(err.field.as_deref(), Some(field), "{err:?}");
        for w in words
            .iter()
            .chain(&["use a new reference", "the stored payout is unchanged"])
        {
            assert!(err.message.contains(w), "{w:?} not in {}", err.message);
        }
    }

    #[test]
    fn a_reference_nothing_holds_is_new() {
        let order = single("order-1", "100000");
        assert_eq!(
            check_submission(&order, None, None, "pivot", &[]).unwrap(),
            Submission::New
        );
        // The new order's own payout in `held` is not another payout.
        let order = batch("B", &["B-1"]);
        assert_eq!(
            check_submission(&order, None, None, "pivot", &[held("B-1", "B")]).unwrap(),
            Submission::New
        );
    }

    #[test]
    fn the_identical_order_under_the_same_provider_is_already_stored() {
        // Compared as the core reads it: another spelling of the same amount and key order.
        let stored = single("order-1", "100000.00");
        let order = r#"{"amount":{"currency":"IDR","value":"100000"},"reference":"order-1",
            "beneficiary":{"account_name":"Budi","account_number":"1234567890","bank":"BCA"}}"#;
        assert_eq!(
            check_submission(order, Some(&stored), Some("pivot"), "pivot", &[]).unwrap(),
            Submission::AlreadyStored
        );
        let stored = batch("B", &["B-1", "B-2"]);
        assert_eq!(
            check_submission(&stored, Some(&stored), Some("pivot"), "pivot", &[]).unwrap(),
            Submission::AlreadyStored
        );
    }

    #[test]
    fn another_amount_under_a_stored_reference_is_refused() {
        let stored = single("order-1", "100000");
        let order = single("order-1", "500000");
        refused(
            check_submission(&order, Some(&stored), Some("pivot"), "pivot", &[]),
            "reference",
            &[
                "\"order-1\"",
                "amount: stored 100000.00 IDR, this order 500000.00 IDR",
            ],
        );
        // Another beneficiary, named as such.
        let other = stored.replace("Budi", "Sari");
        refused(
            check_submission(&other, Some(&stored), Some("pivot"), "pivot", &[]),
            "reference",
            &["beneficiary"],
        );
        // Another batch's items.
        let stored = batch("B", &["B-1", "B-2"]);
        let order = batch("B", &["B-1", "B-3"]);
        refused(
            check_submission(&order, Some(&stored), Some("pivot"), "pivot", &[]),
            "reference",
            &["items"],
        );
    }

    #[test]
    fn the_same_order_under_another_provider_is_refused() {
        let stored = single("order-1", "100000");
        refused(
            check_submission(&stored, Some(&stored), Some("gateway"), "pivot", &[]),
            "reference",
            &["provider: stored \"gateway\", this order \"pivot\""],
        );
    }

    #[test]
    fn an_item_reference_held_by_another_payout_is_refused() {
        let order = batch("B2", &["X-1", "A"]);
        // "A" is a stored single payout's reference.
        refused(
            check_submission(&order, None, None, "pivot", &[held("A", "A")]),
            "items[1].reference",
            &["\"A\"", "the reference of the stored payout \"A\""],
        );
        // "X-1" is an item of the stored batch "B1".
        refused(
            check_submission(&order, None, None, "pivot", &[held("X-1", "B1")]),
            "items[0].reference",
            &["\"X-1\"", "the stored payout \"B1\""],
        );
    }

    #[test]
    fn the_orders_own_reference_held_as_another_batchs_item_is_refused() {
        let order = single("B-1", "100");
        refused(
            check_submission(&order, None, None, "pivot", &[held("B-1", "B")]),
            "reference",
            &[
                "\"B-1\"",
                "the stored payout \"B\"",
                "routed to that payout",
            ],
        );
    }

    #[test]
    fn a_run_of_a_reference_the_store_does_not_hold_is_refused() {
        assert_eq!(check_run("order-1", true), Ok(()));
        let err = check_run("x\"\nforged", false).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidField, "{err:?}");
        assert_eq!(err.field.as_deref(), Some("reference"), "{err:?}");
        assert!(
            err.message
                .contains(r#"no payout under reference "x\" forged""#),
            "{}",
            err.message
        );
    }

    #[test]
    fn hostile_arguments_are_refused_with_a_typed_error() {
        let order = single("order-1", "100000");
        let err = check_submission("{", None, None, "pivot", &[]).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("order"), "{err:?}");
        let err = check_submission(&order, Some("[]"), Some("pivot"), "pivot", &[]).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("stored order"), "{err:?}");
        let err = check_submission(&order, Some(&order), None, "pivot", &[]).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("stored_provider"), "{err:?}");
        // A hostile reference cannot break the message (quoted, control characters gone).
        let order = single("x\\\"\\nforged", "1");
        let err =
            check_submission(&order, None, None, "pivot", &[held("x\"\nforged", "P")]).unwrap_err();
        assert!(err.message.contains(r#""x\" forged""#), "{}", err.message);
    }
}

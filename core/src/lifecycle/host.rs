//! What a binding needs to own and drive one machine over any provider, shared with the
//! `lifecycle.scenario` operation so that a binding's typed machine and the scenario vectors go
//! through the same code: the machine over a boxed provider (compiled once), its settings read
//! from JSON, the state the vectors check, and a callback verified by the machine's provider and
//! applied to it.

use super::contract::PayoutProvider;
use super::machine::{EventVerdict, LifecycleSettings, PayoutLifecycle, Phase};
use crate::error::{ErrorData, Result};
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

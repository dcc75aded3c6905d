//! `PayoutLifecycle`: the core's payout machine (`kirim::lifecycle::PayoutLifecycle` over a boxed
//! provider, the code `lifecycle.scenario` runs), owned by Kotlin/Swift. Typed throughout, with
//! the core's own types (uniffi derives behind the core's feature `uniffi`): the order,
//! settings, action (`LifecycleAction`), state, callback result (`LifecycleCallback`), phases,
//! reasons, reconciliation and batch outcomes. Every rule is the core's.

use crate::AccessToken;
use kirim::Error as KirimError;
use kirim::event::PayoutEvent;
use kirim::http::{Header, HttpOutcome};
use kirim::lifecycle::host::{self, CallbackResult, HeldReference, LifecycleState, Submission};
use kirim::lifecycle::{
    Action, EventVerdict, LifecycleSettings, PayoutLifecycle as Machine, PayoutOrder,
    PayoutProvider,
};
use kirim::providers::Configured;
use kirim::transport::{Given, TransportOptions};
use std::sync::{Arc, Mutex, MutexGuard};

/// The machine over a boxed provider. `Send` (uniffi objects cross threads, behind the mutex);
/// otherwise the core's `DynLifecycle`, the same source `lifecycle.scenario` runs.
type DynMachine = Machine<Box<dyn PayoutProvider + Send>>;

// The provider a machine drives: one case per registered provider (the core's
// `for_each_provider!`), holding its configured object; the machine takes its own copy of the
// configuration. A provider without a lifecycle (Paper.id) is accepted here only for the core to
// refuse it (`invalid_field`, `provider`), as every binding does.
macro_rules! lifecycle_provider {
    ($($name:literal => $variant:ident($module:ident::$shell:ident) $field:ident: $doc:literal,)*) => {
        /// The provider a machine drives: a configured provider object (the core refuses one
        /// without a lifecycle, such as Paper.id).
        #[derive(Debug, uniffi::Enum)]
        pub enum LifecycleProvider {
            $(
                #[doc = $doc]
                $variant {
                    /// The configured provider.
                    $field: Arc<kirim::providers::$module::mobile::$shell>,
                },
            )*
        }

        impl LifecycleProvider {
            fn boxed(&self) -> Result<Box<dyn PayoutProvider + Send>, KirimError> {
                match self {
                    $(LifecycleProvider::$variant { $field } => {
                        Configured::$variant($field.0.clone()).into_lifecycle()
                    })*
                }
            }
        }
    };
}

kirim::for_each_provider!(lifecycle_provider);

/// One payout's (or Pivot batch's) lifecycle. Thread-safe (a mutex inside); one per payout.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PayoutLifecycle {
    inner: Mutex<DynMachine>,
}

impl std::fmt::Debug for PayoutLifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let machine = self.lock();
        write!(
            f,
            "PayoutLifecycle(reference={:?}, phase={}, status={})",
            machine.order().reference,
            machine.phase().as_str(),
            machine.status().as_str()
        )
    }
}

impl PayoutLifecycle {
    fn lock(&self) -> MutexGuard<'_, DynMachine> {
        // A panic while locked cannot leave the machine half-updated in a way the core's own
        // checks would not refuse next; keep serving rather than poison every later call.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn of(machine: DynMachine) -> Self {
        PayoutLifecycle {
            inner: Mutex::new(machine),
        }
    }
}

#[uniffi::export]
impl PayoutLifecycle {
    /// A new machine for `order`; `settings` `null` takes the provider's defaults
    /// (`lifecycleSettingsDefaults`). The order and settings are checked.
    #[uniffi::constructor]
    pub fn new(
        provider: LifecycleProvider,
        order: PayoutOrder,
        settings: Option<LifecycleSettings>,
        now: i64,
    ) -> Result<Self, KirimError> {
        let provider = provider.boxed()?;
        let settings = settings.unwrap_or_else(|| LifecycleSettings::defaults(&*provider));
        Ok(Self::of(Machine::new(provider, order, settings, now)?))
    }

    /// A machine rebuilt from a stored snapshot (hostile input: checked by the core).
    #[uniffi::constructor]
    pub fn restore(provider: LifecycleProvider, snapshot: String) -> Result<Self, KirimError> {
        Ok(Self::of(Machine::restore(provider.boxed()?, &snapshot)?))
    }

    /// The machine of the stored payout `reference` from the snapshot its row held: `restore`,
    /// and refused (`invalid_field`, `reference`) when the snapshot is another payout's (the
    /// core's rule). Such a row (an edited database, a store returning the wrong row) would be
    /// a second machine for that payout, sending its requests and saving over its row. A host
    /// restoring from its store uses this, not `restore`.
    #[uniffi::constructor]
    pub fn restore_stored(
        provider: LifecycleProvider,
        snapshot: String,
        reference: String,
    ) -> Result<Self, KirimError> {
        Ok(Self::of(Machine::restore_stored(
            provider.boxed()?,
            &snapshot,
            &reference,
        )?))
    }

    /// The next action at `now`. Call it again after each input and whenever a wait ends.
    pub fn poll(&self, now: i64) -> Action {
        self.lock().poll(now)
    }

    /// The answer (or transport failure) to the last `send`.
    pub fn handle_response(&self, outcome: HttpOutcome, now: i64) -> Result<(), KirimError> {
        self.lock().handle_response(&outcome, now)
    }

    /// A verified event (from the provider's `verifyCallback`).
    pub fn handle_event(&self, event: PayoutEvent, now: i64) -> EventVerdict {
        self.lock().handle_event(&event, now)
    }

    /// A callback verified by this machine's provider and applied (a forged one changes
    /// nothing); the acknowledgement is the provider's answer.
    pub fn handle_callback(&self, headers: Vec<Header>, body: Vec<u8>, now: i64) -> CallbackResult {
        host::handle_callback(&mut *self.lock(), &headers, &body, now)
    }

    /// A callback read WITHOUT verification: its events are tentative (a query, never a
    /// decision).
    pub fn handle_unverified_callback(&self, body: Vec<u8>, now: i64) -> CallbackResult {
        host::handle_unverified_callback(&mut *self.lock(), &body, now)
    }

    /// The snapshot (JSON text, format version 1): store it before each `send`.
    pub fn snapshot(&self) -> String {
        self.lock().snapshot()
    }

    /// Where the machine stands.
    pub fn state(&self) -> LifecycleState {
        self.lock().state()
    }

    /// The order the machine pays.
    pub fn order(&self) -> PayoutOrder {
        self.lock().order().clone()
    }

    /// The order in the core's JSON form (what a store keeps beside the snapshot).
    pub fn order_json(&self) -> String {
        kirim::write::to_string(self.lock().order())
    }

    /// The idempotency key the order derives.
    pub fn idempotency_key(&self) -> String {
        self.lock().idempotency_key().to_owned()
    }

    /// The Pivot token the machine holds (to share with other machines), if any.
    pub fn session(&self) -> Option<Arc<AccessToken>> {
        self.lock()
            .session()
            .map(|t| Arc::new(AccessToken(t.clone())))
    }

    /// Hands the machine a token another machine obtained.
    pub fn use_session(&self, token: Arc<AccessToken>) {
        self.lock().use_session(token.0.clone());
    }

    /// Drops the session token: the next send asks for a new one first.
    pub fn forget_session(&self) {
        self.lock().forget_session();
    }
}

/// The provider's default settings (its callback deadlines, timeout and backoff).
#[uniffi::export]
pub fn lifecycle_settings_defaults(
    provider: LifecycleProvider,
) -> Result<LifecycleSettings, KirimError> {
    Ok(LifecycleSettings::defaults(&*provider.boxed()?))
}

/// The snapshot format version this library writes.
#[uniffi::export]
pub fn lifecycle_snapshot_version() -> u32 {
    kirim::lifecycle::SNAPSHOT_VERSION
}

/// Decides a driver's run of a payout named by its reference (the core's `host::check_run`):
/// `stored`, whether the store holds a payout under it (ended or not). Refused (`invalid_field`
/// on `reference`) when it holds none: a typo or the wrong store, never an empty result.
#[uniffi::export]
pub fn check_run(reference: String, stored: bool) -> Result<(), KirimError> {
    host::check_run(&reference, stored)
}

/// A driver's transport options as the core checks them (`kirim::transport::transport_options`,
/// the operation `http.transport_options`): each request's timeout, `timeout_ms`, a number of
/// milliseconds as its decimal text (a `Duration`'s exact milliseconds, such as `"1500"` or
/// `"1.5"`), and the cap on a response body, `max_response_bytes`; null: the core's default (60
/// s, 16 MiB). Refused (`invalid_field` on `timeout_ms` or `max_response_bytes`): not a whole
/// number from 1 to a day of milliseconds, or from 1 to 2^53 - 1 bytes.
#[uniffi::export]
pub fn transport_options(
    timeout_ms: Option<String>,
    max_response_bytes: Option<i64>,
) -> Result<TransportOptions, KirimError> {
    let bytes = max_response_bytes.map(|n| n.to_string());
    kirim::transport::transport_options(
        Given::number(timeout_ms.as_deref()),
        Given::number(bytes.as_deref()),
    )
}

/// Decides a submission from what a driver looked up in its store, before it writes anything
/// (the core's `host::check_submission`): `NEW` (store it) or `ALREADY_STORED` (the identical
/// order under the same provider: write nothing). `stored_order_json` and `stored_provider`:
/// what the store holds under the order's reference (both null when nothing); `held`: each
/// reference of the order (its own, its items') that the store's `findByReference` maps to
/// ANOTHER payout. Refused (`invalid_field` on `reference` or `items[i].reference`) when the
/// stored order differs (amount, beneficiary, items, provider, ...) or another stored payout
/// holds one of its references: a reference names one payout.
#[uniffi::export]
pub fn check_submission(
    order_json: String,
    stored_order_json: Option<String>,
    stored_provider: Option<String>,
    provider: String,
    held: Vec<HeldReference>,
) -> Result<Submission, KirimError> {
    host::check_submission(
        &order_json,
        stored_order_json.as_deref(),
        stored_provider.as_deref(),
        &provider,
        &held,
    )
}

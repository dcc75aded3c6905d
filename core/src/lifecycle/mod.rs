//! The payout lifecycle: one sans-IO state machine per payout that pays exactly once, for every
//! provider (design §3, issue 16).
//!
//! The host asks [`PayoutLifecycle::poll`] what to do next (send a request, wait until a time,
//! done, or a person must reconcile), hands back each answer with
//! [`PayoutLifecycle::handle_response`] and each verified callback event with
//! [`PayoutLifecycle::handle_event`], and stores [`PayoutLifecycle::snapshot`] BEFORE each send
//! (write-ahead). No I/O, no clock: `now` is passed in (Unix seconds).
//!
//! ```
//! use kirim::lifecycle::{Action, Beneficiary, LifecycleSettings, PayoutLifecycle, PayoutOrder};
//! use kirim::providers::gateway::{Gateway, GatewayConfig};
//! use kirim::{HttpOutcome, HttpRequest, HttpResponse, Method, Money, PayoutStatus, Secret};
//!
//! # fn main() -> Result<(), kirim::Error> {
//! let mut config = GatewayConfig::new("https://payment.example", "PF0002", Secret::new("key"));
//! config.authorization = Some(Secret::new("auth"));
//! let gateway = Gateway::new(config)?;
//! let order = PayoutOrder {
//!     reference: "ORD42".into(),
//!     amount: Money::idr(50_000)?,
//!     beneficiary: Beneficiary {
//!         bank: "BCA".into(),
//!         account_number: "4088748280272397".into(),
//!         account_name: "test name".into(),
//!     },
//!     inquiry_id: None,
//!     description: None,
//!     notify_url: None,
//!     items: vec![],
//! };
//! let settings = LifecycleSettings::defaults(&gateway);
//! let mut now = 1_715_588_505;
//! let mut payout = PayoutLifecycle::new(gateway, order, settings, now)?;
//!
//! // The host's HTTP client (here: the gateway answering at once, the order done).
//! let send = |request: &HttpRequest| -> HttpOutcome {
//!     let body: &str = if request.method == Method::Post {
//!         r#"{"error_code":"0000","data":{"payout_id":"POT1"}}"#
//!     } else {
//!         r#"{"error_code":"0000","data":[{"payout_id":"POT1","payout_cl_id":"ORD42","amount":5000000,"status":3}]}"#
//!     };
//!     HttpResponse { status: 200, headers: vec![], body: body.into() }.into()
//! };
//! let mut stored = String::new();
//! let status = loop {
//!     match payout.poll(now) {
//!         Action::Send { request, .. } => {
//!             stored = payout.snapshot(); // write-ahead: stored BEFORE the send
//!             let answer = send(&request);
//!             now += 1;
//!             payout.handle_response(&answer, now)?;
//!         }
//!         // Callbacks may arrive meanwhile: verify them, then `handle_event`.
//!         Action::WaitUntil { at, .. } => now = at,
//!         Action::Done { status, .. } => break status,
//!         Action::ManualReconciliation { reconciliation: r } => return Err(kirim::Error::new(kirim::ErrorCode::ProviderError, r.message)),
//!     }
//! };
//! assert_eq!(status, PayoutStatus::Succeeded);
//! // After a crash, `PayoutLifecycle::restore(provider, &stored)` continues without paying twice.
//! assert!(stored.starts_with(r#"{"version":1,"provider":"gateway","#));
//! # Ok(())
//! # }
//! ```
//!
//! - `contract`: what a provider offers (implemented in `providers/<provider>/lifecycle.rs`).
//! - `rules`: what every provider does the same way.
//! - `host`: what a binding needs to own and drive a machine over any provider.
//! - `machine`: the state machine; `snapshot`: its versioned JSON form; `scenario`: the
//!   `lifecycle.scenario` operation the shared scenario vectors drive (a test facility: with the
//!   `testkit` feature only, so the production .wasm leaves it out).

pub mod contract;
pub mod host;
mod machine;
pub mod rules;
#[cfg(feature = "testkit")]
pub(crate) mod scenario;
mod snapshot;

pub use contract::{
    CreateAnswer, Observation, PayoutProvider, Purpose, QueryAnswer, UnknownCreate,
};
pub use machine::{
    Action, EventVerdict, ItemOutcome, LifecycleSettings, ManualReason, PayoutLifecycle, Phase,
    Reconciliation, WaitReason,
};
pub use snapshot::SNAPSHOT_VERSION;

use crate::money::Money;
use crate::read::FromJson;
use crate::write::ToJson;

/// Who receives the money.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, Default, PartialEq, Eq, FromJson, ToJson)]
#[json(deny_unknown_fields)]
pub struct Beneficiary {
    /// The bank: Pivot's channel code (`BCA`), the gateway's `bank_name`.
    pub bank: String,
    pub account_number: String,
    pub account_name: String,
}

/// One payout to make, as the merchant orders it.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, ToJson)]
pub struct PayoutOrder {
    /// The merchant's own reference: Pivot's `referenceId`, the gateway's `payout_cl_id`. The
    /// idempotency key is derived from it.
    pub reference: String,
    pub amount: Money,
    /// Left out in a batch (each item has its own).
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Beneficiary>"))]
    pub beneficiary: Beneficiary,
    /// Pivot: a validated inquiry id (the payout then goes by it, not by the account).
    #[cfg_attr(feature = "ts", ts(optional))]
    pub inquiry_id: Option<String>,
    /// Pivot: the payout description.
    #[cfg_attr(feature = "ts", ts(optional))]
    pub description: Option<String>,
    /// The gateway: where it sends the notification.
    #[cfg_attr(feature = "ts", ts(optional))]
    pub notify_url: Option<String>,
    /// A batch (Pivot bulk, at most 1,000 items, one request): empty for a single payout. In a
    /// batch, `reference` is the batch's reference (the key derives from it), `amount` the
    /// batch's total (checked against the items), and `beneficiary`, `inquiry_id` and
    /// `description` are unused (each item has its own).
    /// Written only for a batch: a single payout's order (and snapshot) is unchanged.
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<PayoutItem>>"))]
    #[json(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<PayoutItem>,
}

/// One item of a batch order, with its own reference, amount and beneficiary.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, FromJson, ToJson)]
#[json(deny_unknown_fields)]
pub struct PayoutItem {
    pub reference: String,
    pub amount: Money,
    pub beneficiary: Beneficiary,
    #[cfg_attr(feature = "ts", ts(optional))]
    pub inquiry_id: Option<String>,
    #[cfg_attr(feature = "ts", ts(optional))]
    pub description: Option<String>,
}

impl PayoutOrder {
    /// Whether the order is a batch (it has items).
    pub fn is_batch(&self) -> bool {
        !self.items.is_empty()
    }
}

/// By hand: `beneficiary` is required only when there are no `items`.
impl crate::read::FromJson for PayoutOrder {
    fn from_json(value: &crate::read::Val<'_>) -> crate::read::Read<Self> {
        let o = value.object()?;
        o.deny_unknown(&[
            "reference",
            "amount",
            "beneficiary",
            "inquiry_id",
            "description",
            "notify_url",
            "items",
        ])?;
        let items: Vec<PayoutItem> = o.or_default("items")?;
        // A batch's beneficiaries are its items'.
        let beneficiary = if items.is_empty() {
            o.req("beneficiary")?
        } else {
            o.or_default("beneficiary")?
        };
        Ok(PayoutOrder {
            reference: o.req("reference")?,
            amount: o.req("amount")?,
            beneficiary,
            inquiry_id: o.opt("inquiry_id")?,
            description: o.opt("description")?,
            notify_url: o.opt("notify_url")?,
            items,
        })
    }
}

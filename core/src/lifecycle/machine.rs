//! The state machine (the quinn-proto / h11 shape): inputs in, actions out, no I/O, the clock
//! passed in.

use super::contract::{
    CreateAnswer, Observation, PayoutProvider, Purpose, QueryAnswer, UnknownCreate,
};
use super::{PayoutOrder, rules};
use crate::error::{Error, ErrorCode, ErrorData, Result};
use crate::event::PayoutEvent;
use crate::http::{HttpOutcome, HttpRequest, TransportFailure};
use crate::providers::pivot::AccessToken;
use crate::read::FromJson;
use crate::status::{
    Confirmation, Failure, FailureReason, NextAction, PayoutStatus, ReconciliationReason,
    RetryAdvice,
};
use crate::write::ToJson;

/// Settings of the lifecycle; the defaults come from the provider's spec.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, FromJson, ToJson)]
#[json(deny_unknown_fields)]
pub struct LifecycleSettings {
    /// Seconds after acceptance (then after each query that found no final status) before the
    /// next query; the last entry repeats. Default: the provider's callback retry schedule.
    pub query_schedule_seconds: Vec<i64>,
    /// An answer not handed back this long after its send is taken as a timeout.
    pub request_timeout_seconds: i64,
    /// The longest wait between retries of a failed read.
    pub max_backoff_seconds: i64,
}

/// Default of [`LifecycleSettings::request_timeout_seconds`]: Pivot answers 408 itself after 60 s.
pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: i64 = 120;
/// Default of [`LifecycleSettings::max_backoff_seconds`].
pub const DEFAULT_MAX_BACKOFF_SECONDS: i64 = 3600;

impl LifecycleSettings {
    /// The provider's defaults.
    pub fn defaults(provider: &dyn PayoutProvider) -> LifecycleSettings {
        LifecycleSettings {
            query_schedule_seconds: provider.query_schedule().to_vec(),
            request_timeout_seconds: DEFAULT_REQUEST_TIMEOUT_SECONDS,
            max_backoff_seconds: DEFAULT_MAX_BACKOFF_SECONDS,
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        let mut violations = crate::error::Violations::new();
        if self.query_schedule_seconds.is_empty()
            || self.query_schedule_seconds.iter().any(|s| *s <= 0)
        {
            violations.push(
                "settings.query_schedule_seconds",
                ErrorCode::InvalidConfig,
                "query_schedule_seconds must list at least one positive delay",
            );
        }
        for (field, value) in [
            (
                "settings.request_timeout_seconds",
                self.request_timeout_seconds,
            ),
            ("settings.max_backoff_seconds", self.max_backoff_seconds),
        ] {
            if value <= 0 {
                violations.push(
                    field,
                    ErrorCode::InvalidConfig,
                    format!("{field} must be positive"),
                );
            }
        }
        violations.finish()
    }
}

/// Where the create stands.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromJson, ToJson)]
#[cfg_attr(feature = "ts", ts(rename_all = "snake_case"))]
#[json(rename_all = "snake_case")]
#[json(as_str)]
pub enum Phase {
    /// No create may have reached the provider (none sent, or the provider proved none exists).
    NotSent,
    /// A create may have gone out and its outcome is unknown: it is resolved (replay or query
    /// by reference) before anything else, and never sent under a new key.
    Unknown,
    /// The provider holds the payout (an accepted answer, a query, or a verified event).
    Accepted,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::NotSent => "not_sent",
            Phase::Unknown => "unknown",
            Phase::Accepted => "accepted",
        }
    }
}

/// Why the machine waits.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromJson, ToJson)]
#[cfg_attr(feature = "ts", ts(rename_all = "snake_case"))]
#[json(rename_all = "snake_case")]
#[json(as_str)]
pub enum WaitReason {
    /// For the answer to the request just sent (past this time it counts as a timeout).
    Response,
    /// Before retrying after a failure or a throttle.
    Retry,
    /// Before querying by reference after an unknown create outcome (a create still in the
    /// provider's pipeline must be visible to the query).
    Settle,
    /// For the callback; at this time, without a final status, the machine queries.
    CallbackDeadline,
}

impl WaitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::Response => "response",
            WaitReason::Retry => "retry",
            WaitReason::Settle => "settle",
            WaitReason::CallbackDeadline => "callback_deadline",
        }
    }
}

/// Why a person must reconcile (the money-safety reasons, plus what only the lifecycle sees).
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToJson)]
#[cfg_attr(feature = "ts", ts(rename_all = "snake_case"))]
#[json(as_str)]
pub enum ManualReason {
    /// See [`ReconciliationReason::KeyWindowOver`].
    KeyWindowOver,
    /// See [`ReconciliationReason::IdempotencyConflict`].
    IdempotencyConflict,
    /// See [`ReconciliationReason::InvalidState`].
    InvalidState,
    /// A verified event or an answer disagrees with the order (amount, currency, reference or
    /// payout id): never accepted silently.
    Mismatch,
    /// The outcome cannot be resolved through the API: a request could not be built, or a
    /// create whose outcome was unknown had its resend refused (which does not prove the first
    /// send was not made).
    Unresolvable,
}

impl ManualReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ManualReason::KeyWindowOver => "key_window_over",
            ManualReason::IdempotencyConflict => "idempotency_conflict",
            ManualReason::InvalidState => "invalid_state",
            ManualReason::Mismatch => "mismatch",
            ManualReason::Unresolvable => "unresolvable",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<ManualReason> {
        [
            ManualReason::KeyWindowOver,
            ManualReason::IdempotencyConflict,
            ManualReason::InvalidState,
            ManualReason::Mismatch,
            ManualReason::Unresolvable,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// Everything a person needs to reconcile the payout by hand.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, ToJson)]
pub struct Reconciliation {
    pub reason: ManualReason,
    /// The idempotency key the create was sent with (the gateway: the `payout_cl_id`).
    pub idempotency_key: String,
    pub reference_ids: Vec<String>,
    /// When the create was first sent (Unix seconds), if it was.
    pub first_sent_at: Option<i64>,
    /// The provider's payout id, when known.
    pub payout_id: Option<String>,
    /// What to check, and where, in words.
    pub message: String,
    /// The create's body as sent (it carries no secret: Pivot's token is a header, the
    /// gateway's key only signs).
    pub request_body: Option<String>,
    /// The provider's answer that stopped the payout, when one did: its code, message, details,
    /// HTTP status and trace id (to quote to its support).
    // Left out of a snapshot when absent: one without it reads as before (and in older kirims).
    #[json(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorData>,
}

impl Reconciliation {
    fn with_error(mut self, error: Error) -> Self {
        self.error = Some(error.into_data());
        self
    }
}

/// What the host does next, by its `kind`:
/// - `send`: store the snapshot, then send `request` and hand back its answer (or failure).
/// - `wait_until`: nothing to do before `at` (then poll again); callbacks may arrive meanwhile.
/// - `done`: final. `error`: why the create was refused, when it was (nothing was created). A
///   batch ends when every item is final: `items` holds each item's status and failure (none
///   for a single payout), and `status` is `succeeded` when any item moved money, else `failed`
///   (`cancelled` when every item was); read `items`, never the batch status alone.
/// - `manual_reconciliation`: a person must reconcile (the reconciliation's fields): do not
///   resend, do not create under a new key.
///
/// A refused create's error is carried as data ([`ErrorData`]: a final outcome to record, not a
/// failure of the call), which also lets Kotlin/Swift receive the action as it is
/// (`LifecycleAction`; an error object cannot travel by value in an enum). Its JSON (TypeScript:
/// `LifecycleAction`) is tagged by `kind`, the reconciliation's fields inline (`impl ToJson for
/// Action`).
// The kinds are documented above, not on the variants: ts-rs keeps only the enum's comment, from
// which TypeScript's and Python's declarations come (each Python class takes its kind's line).
#[kirim_derive::export(ts)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Enum),
    uniffi(name = "LifecycleAction")
)]
#[cfg_attr(
    feature = "ts",
    ts(rename = "LifecycleAction", tag = "kind", rename_all = "snake_case")
)]
#[derive(Debug, Clone)]
pub enum Action {
    Send {
        request: HttpRequest,
        purpose: Purpose,
    },
    WaitUntil {
        at: i64,
        reason: WaitReason,
    },
    Done {
        status: PayoutStatus,
        failure: Option<Failure>,
        payout_id: Option<String>,
        error: Option<ErrorData>,
        // Left out of the JSON when empty (a single payout).
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        items: Vec<ItemOutcome>,
    },
    ManualReconciliation {
        #[cfg_attr(feature = "ts", ts(flatten))]
        reconciliation: Reconciliation,
    },
}

/// One batch item's final outcome.
#[kirim_derive::export(uniffi = Record, ts)]
#[derive(Debug, Clone, PartialEq, Eq, ToJson)]
pub struct ItemOutcome {
    pub reference: String,
    pub status: PayoutStatus,
    pub failure: Option<Failure>,
}

/// One batch item as the machine tracks it (its status merged from confirmed observations, as
/// a single payout's is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemState {
    pub reference: String,
    pub amount: crate::money::Money,
    pub status: PayoutStatus,
    pub expected: Option<PayoutStatus>,
    pub failure: Option<Failure>,
}

impl ItemState {
    pub(crate) fn of(order: &PayoutOrder) -> Vec<ItemState> {
        order
            .items
            .iter()
            .map(|i| ItemState {
                reference: i.reference.clone(),
                amount: i.amount,
                status: PayoutStatus::Unknown,
                expected: None,
                failure: None,
            })
            .collect()
    }
}

/// Merges an observation into one payout's (or one batch item's) status, the status it still
/// expects and its failure: the same rule for both. True when the observation asks for a query
/// (tentative, and announcing a change or saying nothing of the status).
fn merge(
    status: &mut PayoutStatus,
    expected: &mut Option<PayoutStatus>,
    failure: &mut Option<Failure>,
    observation: Observation,
) -> bool {
    let confirmed = observation.confirmation == Confirmation::Confirmed;
    *expected = status.expected_after(*expected, observation.status, observation.confirmation);
    let before = *status;
    *status = status.observe(observation.status, observation.confirmation);
    if confirmed && *status != before && observation.failure.is_some() {
        *failure = observation.failure;
    }
    !confirmed && (expected.is_some() || observation.status == PayoutStatus::Unknown)
}

/// A batch's status once every item is final: `succeeded` when any item moved money (never
/// retry the batch), `cancelled` when every item was cancelled, else `failed`; `None` while an
/// item is not final.
fn batch_status(items: &[ItemState]) -> Option<PayoutStatus> {
    if items.is_empty() || items.iter().any(|i| !i.status.is_final()) {
        return None;
    }
    if items.iter().any(|i| i.status == PayoutStatus::Succeeded) {
        Some(PayoutStatus::Succeeded)
    } else if items.iter().all(|i| i.status == PayoutStatus::Cancelled) {
        Some(PayoutStatus::Cancelled)
    } else {
        Some(PayoutStatus::Failed)
    }
}

/// What a verified event did.
#[kirim_derive::export(uniffi = Enum, ts)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToJson)]
#[cfg_attr(feature = "ts", ts(rename_all = "snake_case"))]
#[json(as_str)]
pub enum EventVerdict {
    /// It concerned this payout and was applied (a tentative one may have asked for a query).
    Applied,
    /// It concerns another payout, or the machine has ended.
    Ignored,
    /// It disagrees with the order: the machine now asks for manual reconciliation.
    Mismatch,
}

impl EventVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            EventVerdict::Applied => "applied",
            EventVerdict::Ignored => "ignored",
            EventVerdict::Mismatch => "mismatch",
        }
    }
}

/// The request sent and not yet answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromJson, ToJson)]
#[json(deny_unknown_fields)]
pub(crate) struct Outstanding {
    pub purpose: Purpose,
    pub sent_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) enum End {
    Done { error: Option<Error> },
    Manual(Box<Reconciliation>),
}

/// One payout's lifecycle. See the module documentation of `lifecycle`.
#[derive(Debug, Clone)]
pub struct PayoutLifecycle<P: PayoutProvider> {
    pub(crate) provider: P,
    pub(crate) settings: LifecycleSettings,
    pub(crate) order: PayoutOrder,
    pub(crate) key: String,
    /// A secret: never in the snapshot. A restored machine asks for a new token.
    pub(crate) token: Option<AccessToken>,
    /// The token came from this machine's own session request and has not been used yet: it is
    /// used once even inside the refresh margin, or a token living no longer than the margin
    /// would be asked for again and again, and nothing else would ever be sent.
    pub(crate) token_fresh: bool,
    pub(crate) phase: Phase,
    pub(crate) first_sent_at: Option<i64>,
    pub(crate) creates_sent: u32,
    pub(crate) status: PayoutStatus,
    pub(crate) expected: Option<PayoutStatus>,
    pub(crate) failure: Option<Failure>,
    pub(crate) payout_id: Option<String>,
    pub(crate) outstanding: Option<Outstanding>,
    pub(crate) retry_at: Option<(i64, WaitReason)>,
    pub(crate) failures: u32,
    pub(crate) next_query_at: Option<i64>,
    pub(crate) queries_done: u32,
    pub(crate) query_now: bool,
    pub(crate) ended: Option<End>,
    /// A batch's items (empty for a single payout, whose status is `status`).
    pub(crate) items: Vec<ItemState>,
    /// The non-final items the last whole-request query did not list (Pivot lists one page),
    /// retrieved now one by one, first to last; the query round ends when none is left. In the
    /// snapshot (`unlisted`), so a restored machine goes on with the same item. A queue: taking
    /// the first item (`pop_front`) has no panic path, where `Vec::remove(0)` had one.
    pub(crate) unlisted: std::collections::VecDeque<String>,
}

impl<P: PayoutProvider> PayoutLifecycle<P> {
    /// A machine for `order`, nothing sent yet. The order is checked as the provider will send
    /// it; the idempotency key is derived from its reference.
    pub fn new(
        provider: P,
        order: PayoutOrder,
        settings: LifecycleSettings,
        now: i64,
    ) -> Result<Self> {
        settings.check()?;
        if order.is_batch() && !provider.supports_batch() {
            return Err(Error::field(
                ErrorCode::InvalidField,
                "items",
                format!(
                    "{} has no batch payouts: order one payout per reference",
                    provider.name()
                ),
            ));
        }
        let key = provider.idempotency_key(&order)?;
        provider.check_order(&order, &key, now)?;
        Ok(Self::initial(provider, order, settings, key))
    }

    /// The state before anything is sent, with nothing checked: the one place that lists every
    /// field's starting value (`new` and `restore` check first, each in its own terms).
    pub(crate) fn initial(
        provider: P,
        order: PayoutOrder,
        settings: LifecycleSettings,
        key: String,
    ) -> Self {
        PayoutLifecycle {
            items: ItemState::of(&order),
            unlisted: std::collections::VecDeque::new(),
            provider,
            settings,
            order,
            key,
            token: None,
            token_fresh: false,
            phase: Phase::NotSent,
            first_sent_at: None,
            creates_sent: 0,
            status: PayoutStatus::Unknown,
            expected: None,
            failure: None,
            payout_id: None,
            outstanding: None,
            retry_at: None,
            failures: 0,
            next_query_at: None,
            queries_done: 0,
            query_now: false,
            ended: None,
        }
    }

    pub fn order(&self) -> &PayoutOrder {
        &self.order
    }
    pub fn idempotency_key(&self) -> &str {
        &self.key
    }
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// The payout's status as merged from confirmed observations.
    pub fn status(&self) -> PayoutStatus {
        self.status
    }
    /// A tentative status waiting for a confirming query.
    pub fn expected(&self) -> Option<PayoutStatus> {
        self.expected
    }
    pub fn payout_id(&self) -> Option<&str> {
        self.payout_id.as_deref()
    }
    pub fn first_sent_at(&self) -> Option<i64> {
        self.first_sent_at
    }
    /// How many creates were handed to the host to send (resends of the identical request
    /// included).
    pub fn creates_sent(&self) -> u32 {
        self.creates_sent
    }
    pub fn has_session(&self) -> bool {
        self.token.is_some()
    }
    pub fn provider(&self) -> &P {
        &self.provider
    }
    /// A batch's items as they stand (empty for a single payout).
    pub fn items(&self) -> Vec<ItemOutcome> {
        self.items
            .iter()
            .map(|i| ItemOutcome {
                reference: i.reference.clone(),
                status: i.status,
                failure: i.failure.clone(),
            })
            .collect()
    }
    /// A batch item's tentative status waiting for a confirming query.
    pub fn item_expected(&self, reference: &str) -> Option<PayoutStatus> {
        self.items
            .iter()
            .find(|i| i.reference == reference)
            .and_then(|i| i.expected)
    }

    /// Drops the session token (e.g. the host learnt it was revoked): the next send asks for a
    /// new one first. A restored machine starts this way.
    pub fn forget_session(&mut self) {
        self.token = None;
        self.token_fresh = false;
    }

    /// The session token this machine holds (Pivot), to share with the host's other machines:
    /// one token serves every payout until it is due for refresh.
    pub fn session(&self) -> Option<&AccessToken> {
        self.token.as_ref()
    }

    /// Hands this machine a token another machine obtained (a restored machine too), so that it
    /// does not ask for its own. A token due for refresh is still replaced by a new one first.
    pub fn use_session(&mut self, token: AccessToken) {
        self.token = Some(token);
        self.token_fresh = false;
    }

    /// The next action at `now`. Call it again after each input and whenever a wait ends.
    pub fn poll(&mut self, now: i64) -> Action {
        if let Some(end) = &self.ended {
            return self.end_action(end);
        }
        if self.status.is_final() {
            // A confirmed final status (an answer or a verified event) ends the payout, even
            // with a request still out: its answer can no longer change anything.
            return self.finish(End::Done { error: None });
        }
        if let Some(outstanding) = self.outstanding {
            let deadline = outstanding
                .sent_at
                .saturating_add(self.settings.request_timeout_seconds);
            if now < deadline {
                return Action::WaitUntil {
                    at: deadline,
                    reason: WaitReason::Response,
                };
            }
            // No answer within the timeout: the same as a timeout the host saw.
            self.answer(
                outstanding.purpose,
                &HttpOutcome::TransportFailure(TransportFailure::Timeout),
                now,
            );
            if let Some(end) = &self.ended {
                return self.end_action(end);
            }
        }
        if self.status.is_final() {
            return self.finish(End::Done { error: None });
        }
        if let Some((at, reason)) = self.retry_at {
            if now < at {
                return Action::WaitUntil { at, reason };
            }
            self.retry_at = None;
        }
        let purpose = match self.phase {
            Phase::NotSent => Purpose::Create,
            Phase::Unknown => match self.provider.unknown_create() {
                UnknownCreate::ReplayWithinKeyWindow { .. } => {
                    // The identical request, while the key still replays (less the margin).
                    let first = self.first_sent_at.unwrap_or(now);
                    let action = self.provider.create_next_action(
                        NextAction::ResendSameRequest,
                        None,
                        &self.key,
                        &self.order,
                        first,
                        now,
                    );
                    if let NextAction::ManualReconciliation { .. } = action {
                        return self.manual_from(action, None);
                    }
                    Purpose::Create
                }
                UnknownCreate::QueryByReference { .. } => Purpose::Query,
            },
            Phase::Accepted => {
                let due = self.next_query_at.unwrap_or(now);
                if self.query_now
                    || self.expected.is_some()
                    || now >= due
                    || !self.unlisted.is_empty()
                {
                    Purpose::Query
                } else {
                    return Action::WaitUntil {
                        at: due,
                        reason: WaitReason::CallbackDeadline,
                    };
                }
            }
        };
        if purpose == Purpose::Query && !self.provider.can_query(self.payout_id.as_deref()) {
            // Accepted without a provider id (cannot happen with Pivot's answers); wait for the
            // callback, which carries it.
            let at = now.saturating_add(rules::scheduled_delay(
                &self.settings.query_schedule_seconds,
                self.queries_done,
            ));
            self.next_query_at = Some(at);
            return Action::WaitUntil {
                at,
                reason: WaitReason::CallbackDeadline,
            };
        }
        // A session first, when the provider has one and the token is missing or due.
        if let Some(request) = self.provider.session_request() {
            let margin = self.provider.session_refresh_margin();
            let fresh = self.token_fresh;
            if self
                .token
                .as_ref()
                .is_none_or(|t| !fresh && t.needs_refresh(now, margin))
            {
                return self.send(request, Purpose::Session, now);
            }
        }
        let built = match purpose {
            Purpose::Create => {
                self.provider
                    .create_request(&self.order, &self.key, self.token.as_ref(), now)
            }
            _ => match self.unlisted.front() {
                // An item the whole-request query left unlisted: retrieved by its reference.
                Some(reference) => self.provider.item_query_request(
                    &self.order,
                    self.payout_id.as_deref(),
                    reference,
                    self.token.as_ref(),
                    now,
                ),
                None => self.provider.query_request(
                    &self.order,
                    self.payout_id.as_deref(),
                    self.token.as_ref(),
                    now,
                ),
            },
        };
        match built {
            Ok(request) => {
                self.token_fresh = false;
                if purpose == Purpose::Create {
                    self.first_sent_at.get_or_insert(now);
                    self.creates_sent = self.creates_sent.saturating_add(1);
                }
                self.send(request, purpose, now)
            }
            Err(error) => {
                let message = format!(
                    "kirim could not build the {} request ({}: {}); the payout's outcome cannot be resolved through the API. Check the provider's dashboard for the reference {}.",
                    purpose.as_str(),
                    error.code,
                    error.message,
                    crate::error::quoted(&self.order.reference)
                );
                let reconciliation = self.reconciliation(ManualReason::Unresolvable, message);
                self.finish(End::Manual(Box::new(reconciliation)))
            }
        }
    }

    /// The answer (or transport failure) to the request of the last `Send`.
    pub fn handle_response(&mut self, outcome: &HttpOutcome, now: i64) -> Result<()> {
        if self.ended.is_some() {
            // The payout ended while the request was out (e.g. a verified final callback): its
            // answer can change nothing.
            return Ok(());
        }
        let Some(outstanding) = self.outstanding else {
            return Err(Error::field(
                ErrorCode::InvalidField,
                "outcome",
                "no request is outstanding: hand back the answer to the request of the last send, once",
            ));
        };
        self.answer(outstanding.purpose, outcome, now);
        Ok(())
    }

    /// A VERIFIED callback event (verify it with the provider's rules first). A tentative event
    /// can only ask for a query; an event that disagrees with the order ends in manual
    /// reconciliation.
    pub fn handle_event(&mut self, event: &PayoutEvent, now: i64) -> EventVerdict {
        if self.ended.is_some() {
            return EventVerdict::Ignored;
        }
        if event.provider.as_str() != self.provider.name() {
            // Another provider's event (a host routing callbacks by reference alone) says
            // nothing about this payout, even when it names the same reference.
            return EventVerdict::Ignored;
        }
        let reference_is_ours = match event.reference_id.as_deref() {
            Some(reference) if !self.items.is_empty() => {
                self.items.iter().any(|i| i.reference == reference)
            }
            reference => reference == Some(self.order.reference.as_str()),
        };
        let id_is_ours = event.payout_id.is_some() && event.payout_id == self.payout_id;
        if !reference_is_ours && !id_is_ours {
            return EventVerdict::Ignored;
        }
        if event.reference_id.is_none() {
            // A batch event (totals only): read the payout by a query.
            self.query_now = true;
            return EventVerdict::Applied;
        }
        let observation = Observation::from_event(event);
        if observation.confirmation == Confirmation::Tentative
            && self.mismatch(&observation).is_some()
        {
            // Anyone can send an unverified callback: one that disagrees with the order proves
            // nothing (and must not stop the payout); the provider's answer to a query decides.
            self.query_now = true;
            return EventVerdict::Ignored;
        }
        if self.observe(observation, now) {
            EventVerdict::Applied
        } else {
            EventVerdict::Mismatch
        }
    }

    // ---- internals -----------------------------------------------------------------------------

    fn send(&mut self, request: HttpRequest, purpose: Purpose, now: i64) -> Action {
        self.outstanding = Some(Outstanding {
            purpose,
            sent_at: now,
        });
        Action::Send { request, purpose }
    }

    fn answer(&mut self, purpose: Purpose, outcome: &HttpOutcome, now: i64) {
        self.outstanding = None;
        if self.ended.is_some() {
            return;
        }
        match purpose {
            Purpose::Session => match self.provider.read_session(outcome, now) {
                // A token does not end a run of failures: a 401 right after a fresh token must
                // count as the second refusal in a row (and wait), or a token the payout
                // endpoints refuse would loop at once, forever.
                Ok(token) => {
                    self.token = Some(token);
                    self.token_fresh = true;
                }
                Err(_) => self.retry_later(now),
            },
            Purpose::Create => self.on_create(outcome, now),
            Purpose::Query => self.on_query(outcome, now),
        }
    }

    /// The outstanding request is lost (a crash between send and answer): its answer is taken
    /// as never seen, at the time it would have timed out. Used by `restore`.
    pub(crate) fn lose_outstanding(&mut self) {
        if let Some(outstanding) = self.outstanding {
            let at = outstanding
                .sent_at
                .saturating_add(self.settings.request_timeout_seconds);
            self.answer(
                outstanding.purpose,
                &HttpOutcome::TransportFailure(TransportFailure::ConnectionError),
                at,
            );
        }
    }

    fn retry_later(&mut self, now: i64) {
        let delay = rules::backoff_seconds(self.failures, self.settings.max_backoff_seconds);
        self.failures = self.failures.saturating_add(1);
        self.retry_at = Some((now.saturating_add(delay), WaitReason::Retry));
    }

    fn accepted(&mut self, now: i64) {
        if self.phase != Phase::Accepted {
            self.phase = Phase::Accepted;
            self.queries_done = 0;
            self.next_query_at = Some(now.saturating_add(rules::scheduled_delay(
                &self.settings.query_schedule_seconds,
                0,
            )));
        }
    }

    fn on_create(&mut self, outcome: &HttpOutcome, now: i64) {
        match self.provider.read_create(outcome, &self.order) {
            CreateAnswer::Accepted {
                payout_id,
                mut observations,
            } => {
                self.failures = 0;
                if self.payout_id.is_none() {
                    self.payout_id = payout_id.clone();
                }
                if observations.is_empty() {
                    observations.push(Observation {
                        status: PayoutStatus::Unknown,
                        confirmation: Confirmation::Confirmed,
                        payout_id,
                        reference_id: None,
                        amount: None,
                        failure: None,
                    });
                }
                for observation in observations {
                    if !self.observe(observation, now) {
                        return;
                    }
                }
                self.accepted(now);
            }
            CreateAnswer::NotAccepted { next_action, error } => {
                if self.phase == Phase::Accepted {
                    // The provider already proved it holds the payout (a verified callback or a
                    // query answered while this resend was out): the resend's answer, whatever
                    // it is, says nothing more about it.
                    return;
                }
                let first = self.first_sent_at.unwrap_or(now);
                let action = self.provider.create_next_action(
                    next_action,
                    Some(&error),
                    &self.key,
                    &self.order,
                    first,
                    now,
                );
                match action {
                    NextAction::Accepted | NextAction::Rejected { .. }
                        if self.phase == Phase::Unknown =>
                    {
                        // An earlier send of this create may have been made, and a refusal of
                        // the resend does not prove otherwise: a proxy, a firewall or a guard in
                        // front of the provider's idempotency check can answer it. Ending failed
                        // would invite a create under a new key: a person decides.
                        let message =
                            refused_after_unknown(&self.key, &self.order.reference, &error);
                        // The error's own fix is for a first answer ("nothing was created: a new
                        // key"), which is exactly what must not be done here.
                        let mut error = error;
                        error.message = format!(
                            "the provider refused the resend ({}); this does not prove the first \
                             send was not made: see the reconciliation's message",
                            error.code
                        );
                        let reconciliation = self
                            .reconciliation(ManualReason::Unresolvable, message)
                            .with_error(error);
                        self.finish(End::Manual(Box::new(reconciliation)));
                    }
                    NextAction::Accepted | NextAction::Rejected { .. } => {
                        // The create's first answer (or the first since the provider proved
                        // nothing exists for the reference): a refusal means nothing was created.
                        self.status = PayoutStatus::Failed;
                        self.failure = Some(Failure {
                            reason: FailureReason::ProviderError,
                            retry: RetryAdvice::DoNotRetry,
                            provider_code: error.provider_code.clone(),
                            provider_text: error.provider_message.clone(),
                        });
                        // A batch is one request: every item was refused with it.
                        for item in &mut self.items {
                            item.status = PayoutStatus::Failed;
                            item.failure.clone_from(&self.failure);
                        }
                        self.finish(End::Done { error: Some(error) });
                    }
                    NextAction::RefreshTokenAndResend => {
                        // A new token, then the same request with the same key; a second
                        // refusal in a row waits first (credentials may be wrong).
                        self.token = None;
                        if self.failures > 0 {
                            self.retry_later(now);
                        } else {
                            self.failures = 1;
                        }
                    }
                    NextAction::ResendSameKeyAfter { delay_seconds } => {
                        self.retry_at = Some((
                            now.saturating_add(i64::from(delay_seconds)),
                            WaitReason::Retry,
                        ));
                    }
                    NextAction::QueryFirst => {
                        self.phase = Phase::Unknown;
                        let settle = match self.provider.unknown_create() {
                            UnknownCreate::QueryByReference { settle_seconds } => settle_seconds,
                            UnknownCreate::ReplayWithinKeyWindow { .. } => 0,
                        };
                        let delay = rules::backoff_seconds(
                            self.failures,
                            self.settings.max_backoff_seconds,
                        )
                        .max(settle);
                        self.failures = self.failures.saturating_add(1);
                        self.retry_at = Some((now.saturating_add(delay), WaitReason::Settle));
                    }
                    NextAction::ResendSameRequest => {
                        self.phase = Phase::Unknown;
                        self.retry_later(now);
                    }
                    manual @ NextAction::ManualReconciliation { .. } => {
                        let _ = self.manual_from(manual, Some(error));
                    }
                }
            }
        }
    }

    fn on_query(&mut self, outcome: &HttpOutcome, now: i64) {
        match self.provider.read_query(outcome, &self.order) {
            QueryAnswer::Found(observations) => {
                self.failures = 0;
                self.query_now = false;
                // A query that first proves the payout exists starts the schedule; only a
                // later one moves it on.
                let was_accepted = self.phase == Phase::Accepted;
                // While items are unlisted, every query is the retrieve of the first of them.
                let item_answer = !self.unlisted.is_empty();
                // A list, not a set: a page is short, and a set's sort costs the .wasm 5 KB.
                let listed: Vec<String> = observations
                    .iter()
                    .filter_map(|o| o.reference_id.clone())
                    .collect();
                for observation in observations {
                    if !self.observe(observation, now) {
                        return;
                    }
                }
                self.accepted(now);
                if item_answer {
                    // That item is read (whatever the answer named: the round always moves on;
                    // the next whole-request query lists what is still missing).
                    self.unlisted.pop_front();
                } else if !self.items.is_empty() && self.provider.supports_batch() {
                    // A whole-request answer lists one page of items (Pivot, §1.3/§1.9): the
                    // non-final items it left out are retrieved one by one, now.
                    self.unlisted = self
                        .items
                        .iter()
                        .filter(|i| !i.status.is_final() && !listed.contains(&i.reference))
                        .map(|i| i.reference.clone())
                        .collect();
                }
                if self.status.is_final() {
                    self.unlisted.clear();
                }
                if !self.unlisted.is_empty() {
                    // The round goes on (the schedule moves on once its last item is read).
                    return;
                }
                if was_accepted && !self.status.is_final() {
                    self.queries_done = self.queries_done.saturating_add(1);
                    let delay = rules::scheduled_delay(
                        &self.settings.query_schedule_seconds,
                        self.queries_done,
                    );
                    self.next_query_at = Some(now.saturating_add(delay));
                    // A tentative status the query did not confirm is dropped: the query is the
                    // provider's word.
                    self.expected = None;
                    for item in &mut self.items {
                        item.expected = None;
                    }
                }
            }
            QueryAnswer::NotFound => match self.phase {
                // The provider proves nothing exists for the reference: creating is now safe.
                Phase::Unknown => {
                    self.phase = Phase::NotSent;
                    self.failures = 0;
                }
                // Accepted but not visible yet: look again later.
                Phase::Accepted | Phase::NotSent => self.retry_later(now),
            },
            // A failed read changes nothing about the payout: it is retried (the error is the
            // host's to log; the answer it came with was already handed back).
            QueryAnswer::Failed {
                error: _,
                session_expired,
            } => {
                if session_expired {
                    // A new token and the same query at once; a second refusal in a row waits.
                    self.token = None;
                    if self.failures == 0 {
                        self.failures = 1;
                        return;
                    }
                }
                self.retry_later(now);
            }
        }
    }

    /// Applies one observation; `false` (and manual reconciliation) when it disagrees with the
    /// order.
    /// Why an observation disagrees with the order (a batch: with the item it names), if it
    /// does.
    fn mismatch(&self, observation: &Observation) -> Option<String> {
        if self.items.is_empty() {
            return rules::mismatch(&self.order, self.payout_id.as_deref(), observation);
        }
        let Some(reference) = observation.reference_id.as_deref() else {
            // No item named (a batch-level observation): only its payout id can disagree.
            return rules::mismatch_of(
                "",
                self.order.amount,
                self.payout_id.as_deref(),
                &Observation {
                    amount: None,
                    ..observation.clone()
                },
            );
        };
        match self.items.iter().find(|i| i.reference == reference) {
            Some(item) => rules::mismatch_of(
                &item.reference,
                item.amount,
                self.payout_id.as_deref(),
                observation,
            ),
            None => Some(format!(
                "it names the reference {}, which is not an item of the batch {}",
                crate::error::quoted(reference),
                crate::error::quoted(&self.order.reference)
            )),
        }
    }

    fn observe(&mut self, observation: Observation, now: i64) -> bool {
        if let Some(why) = self.mismatch(&observation) {
            let confirmed = observation.confirmation == Confirmation::Confirmed;
            let message = format!(
                "A {} observation of the payout with reference {} disagrees with the order: {why}. \
                 kirim does not accept it. Check the payout in the provider's dashboard (reference {}, \
                 provider id {}) and settle the difference by hand; do not resend and do not create it \
                 under a new key.",
                if confirmed { "verified" } else { "tentative" },
                crate::error::quoted(
                    observation
                        .reference_id
                        .as_deref()
                        .unwrap_or(&self.order.reference)
                ),
                crate::error::quoted(&self.order.reference),
                observation
                    .payout_id
                    .as_deref()
                    .or(self.payout_id.as_deref())
                    .unwrap_or("unknown"),
            );
            let reconciliation = self.reconciliation(ManualReason::Mismatch, message);
            self.finish(End::Manual(Box::new(reconciliation)));
            return false;
        }
        let confirmed = observation.confirmation == Confirmation::Confirmed;
        if confirmed && self.first_sent_at.is_none() {
            // The provider holds a payout under this reference, yet this machine never sent its
            // create: another system used the reference, or the store was restored from a copy
            // older than the send. Neither sending (a second payout) nor taking the event as
            // this order's (a payout perhaps never made) is safe; and accepted without a first
            // send, the machine's snapshot would not restore.
            let message = format!(
                "A verified event names the payout with reference {} (provider id {}, status {}), but \
                 this machine has not sent its create yet: the reference was used by another system, \
                 or this payout's stored state is older than its send. kirim sends nothing. Check the \
                 payout in the provider's dashboard and settle it by hand; do not create it again \
                 under a new key.",
                crate::error::quoted(
                    observation
                        .reference_id
                        .as_deref()
                        .unwrap_or(&self.order.reference)
                ),
                observation.payout_id.as_deref().unwrap_or("unknown"),
                observation.status.as_str(),
            );
            let reconciliation = self.reconciliation(ManualReason::Mismatch, message);
            self.finish(End::Manual(Box::new(reconciliation)));
            return false;
        }
        if confirmed {
            if self.payout_id.is_none() {
                self.payout_id = observation.payout_id.clone();
            }
            if observation.status != PayoutStatus::Unknown {
                // A confirmed observation of the payout proves the provider holds it.
                self.accepted(now);
            }
        }
        if !self.items.is_empty() {
            self.observe_item(observation);
            return true;
        }
        if merge(
            &mut self.status,
            &mut self.expected,
            &mut self.failure,
            observation,
        ) {
            self.query_now = true;
        }
        true
    }

    /// A batch item's observation (already checked against the order), merged as a single
    /// payout's status is; the batch is final when every item is.
    fn observe_item(&mut self, observation: Observation) {
        let confirmed = observation.confirmation == Confirmation::Confirmed;
        let reference = observation.reference_id.as_deref();
        let Some(item) = self
            .items
            .iter_mut()
            .find(|i| Some(i.reference.as_str()) == reference)
        else {
            // No item named (a batch event): the items are read by a query.
            if !confirmed || observation.status == PayoutStatus::Unknown {
                self.query_now = true;
            }
            return;
        };
        if merge(
            &mut item.status,
            &mut item.expected,
            &mut item.failure,
            observation,
        ) {
            self.query_now = true;
        }
        self.expected = self.items.iter().find_map(|i| i.expected);
        if let Some(status) = batch_status(&self.items) {
            self.status = status;
        }
    }

    fn reconciliation(&self, reason: ManualReason, message: String) -> Reconciliation {
        Reconciliation {
            reason,
            idempotency_key: self.key.clone(),
            reference_ids: if self.items.is_empty() {
                vec![self.order.reference.clone()]
            } else {
                self.items.iter().map(|i| i.reference.clone()).collect()
            },
            first_sent_at: self.first_sent_at,
            payout_id: self.payout_id.clone(),
            message,
            request_body: self.request_body(),
            error: None,
        }
    }

    /// The create's body, rebuilt (the same order and key give the same body).
    fn request_body(&self) -> Option<String> {
        let at = self.first_sent_at?;
        let placeholder = AccessToken::new(
            crate::secret::Secret::new("placeholder"),
            "Bearer",
            i64::MAX,
        );
        self.provider
            .create_request(&self.order, &self.key, Some(&placeholder), at)
            .ok()
            .and_then(|r| String::from_utf8(r.body).ok()) // kirim's own JSON: always UTF-8
    }

    /// Ends in manual reconciliation as `action` says, with the provider's answer that led
    /// there (`error`), when there was one.
    fn manual_from(&mut self, action: NextAction, error: Option<Error>) -> Action {
        let (reason, message) = match action {
            NextAction::ManualReconciliation {
                reason, message, ..
            } => (
                match reason {
                    ReconciliationReason::KeyWindowOver => ManualReason::KeyWindowOver,
                    ReconciliationReason::IdempotencyConflict => ManualReason::IdempotencyConflict,
                    ReconciliationReason::InvalidState => ManualReason::InvalidState,
                },
                message,
            ),
            other => (
                ManualReason::Unresolvable,
                format!("unexpected next action {}", other.kind()),
            ),
        };
        let mut reconciliation = self.reconciliation(reason, message);
        if let Some(error) = error {
            reconciliation = reconciliation.with_error(error);
        }
        self.finish(End::Manual(Box::new(reconciliation)))
    }

    fn finish(&mut self, end: End) -> Action {
        self.outstanding = None;
        self.retry_at = None;
        let action = self.end_action(&end);
        self.ended = Some(end);
        action
    }

    fn end_action(&self, end: &End) -> Action {
        match end {
            End::Done { error } => Action::Done {
                status: self.status,
                failure: self.failure.clone(),
                payout_id: self.payout_id.clone(),
                error: error.as_deref().cloned(),
                items: self.items(),
            },
            End::Manual(reconciliation) => Action::ManualReconciliation {
                reconciliation: (**reconciliation).clone(),
            },
        }
    }
}

// ---- rendering ------------------------------------------------------------------------------

// By hand: `purpose` is written before `request`, and the reconciliation's fields inline
// (a flatten the derive does not do).
/// Tagged by `kind`: `send`, `wait_until`, `done`, `manual_reconciliation`.
impl crate::write::ToJson for Action {
    fn write_json(&self, out: &mut String) {
        let mut object = crate::write::Object::begin(out);
        match self {
            Action::Send { request, purpose } => {
                object.str_field("kind", "send");
                object.field("purpose", purpose);
                object.field("request", request);
            }
            Action::WaitUntil { at, reason } => {
                object.str_field("kind", "wait_until");
                object.field("at", at);
                object.field("reason", reason);
            }
            Action::Done {
                status,
                failure,
                payout_id,
                error,
                items,
            } => {
                object.str_field("kind", "done");
                object.field("status", status);
                object.field("failure", failure);
                object.field("payout_id", payout_id);
                object.field("error", error);
                // Only a batch has items: a single payout's action is unchanged.
                if !items.is_empty() {
                    object.field("items", items);
                }
            }
            Action::ManualReconciliation { reconciliation: r } => {
                object.str_field("kind", "manual_reconciliation");
                object.field("reason", &r.reason);
                object.field("idempotency_key", &r.idempotency_key);
                object.field("reference_ids", &r.reference_ids);
                object.field("first_sent_at", &r.first_sent_at);
                object.field("payout_id", &r.payout_id);
                object.field("message", &r.message);
                object.field("request_body", &r.request_body);
                object.field("error", &r.error);
            }
        }
        object.end();
    }
}

/// Why a refused resend after an unknown outcome goes to a person, and what they check.
fn refused_after_unknown(key: &str, reference: &str, error: &Error) -> String {
    format!(
        "The create's outcome was unknown (no readable answer) and its resend with the same key \
         {} was refused ({}{}). A refusal of the resend does not prove the first send was not \
         made: a proxy, a firewall or a guard in front of the provider can answer before its \
         idempotency check. Do not send the payout under a new key. Look up the reference {} in \
         the provider's dashboard (or ask its support, quoting the key and the error's trace id): \
         if the payout exists, record it; if it does not, remove the refusal's cause and send the \
         payout again as a new one.",
        crate::error::quoted(key),
        error.code,
        error
            .http_status
            .map(|s| format!(", HTTP {s}"))
            .unwrap_or_default(),
        crate::error::quoted(reference),
    )
}

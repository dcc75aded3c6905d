//! The machine's state as versioned JSON, stored by the host BEFORE each send (write-ahead).
//!
//! `{"version": 1, "provider": ..., "account": ..., "order": ..., ...}`. The session token is a
//! secret and is never written: a restored machine asks for a new one. A snapshot is hostile
//! input like any other: every field is checked, an unknown version is `unsupported_snapshot`,
//! the key must be the one the order derives (a snapshot cannot smuggle in a fresh key), and it
//! restores only under the account it was taken under (`account`: the API's address and the
//! provider's account id; a snapshot from before kirim wrote it has none to check). An older
//! kirim refuses a snapshot with `account` as an unknown field: it never misreads it.
//!
//! A Pivot batch adds `items` (each item's `reference`, `status`, `expected`, `failure`, in the
//! order's item order) and its order carries `items`; a single payout's snapshot has neither,
//! byte for byte as before, so the format stays version 1 (an older kirim refuses a batch's
//! snapshot as an unknown field, it never misreads it). Inside an item round (a paged
//! whole-request retrieve left items out) it also carries `unlisted`, the items still to be
//! retrieved one by one, in order.

use super::contract::PayoutProvider;
use super::machine::{
    End, LifecycleSettings, ManualReason, Outstanding, PayoutLifecycle, Phase, Reconciliation,
    WaitReason,
};
use crate::error::{Error, ErrorCode, Result};
use crate::read::{FromJson, Read, Val};
use crate::status::{Failure, FailureReason, PayoutStatus, RetryAdvice};
use crate::write::{Object, ToJson};

/// The snapshot format's version. A change that an older kirim could misread gets a new one.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A snapshot is small (a batch of 1,000 items stays well under this); anything bigger is not
/// one.
const MAX_SNAPSHOT_BYTES: usize = 1024 * 1024;

impl<P: PayoutProvider> PayoutLifecycle<P> {
    /// The state as JSON text (no secret in it). Store it before each send.
    pub fn snapshot(&self) -> String {
        crate::write::to_string(&SnapshotOut(self))
    }

    /// A machine from a snapshot, with the provider configured by the host. A request that was
    /// out when the snapshot was taken is taken as lost: a create that may have gone out is
    /// resolved first (Pivot: the identical request within the key window; the gateway: a
    /// query by reference), never sent under a new key.
    pub fn restore(provider: P, text: &str) -> Result<Self> {
        let tree = crate::json::parse_tree(text.as_bytes(), MAX_SNAPSHOT_BYTES, "snapshot")?;
        let version: Option<i64> = version_of(&tree)?;
        if version != Some(i64::from(SNAPSHOT_VERSION)) {
            return Err(Error::field(
                ErrorCode::UnsupportedSnapshot,
                "version",
                format!(
                    "the snapshot's version is {}, this kirim reads version {SNAPSHOT_VERSION}",
                    version.map_or_else(|| "missing".to_owned(), |v| v.to_string())
                ),
            ));
        }
        let s: SnapshotIn = crate::json::read_body(&tree, "snapshot")?;
        if s.provider != provider.name() {
            return Err(Error::field(
                ErrorCode::InvalidField,
                "provider",
                format!(
                    "the snapshot is for {}, not {}",
                    crate::error::quoted(&s.provider),
                    provider.name()
                ),
            ));
        }
        // A snapshot from before kirim recorded the account has none to compare: it restores as
        // it always did.
        if let Some(account) = s.account.as_deref() {
            let configured = provider.account();
            if account != configured {
                return Err(Error::field(
                    ErrorCode::InvalidField,
                    "account",
                    format!(
                        "the snapshot was taken under the {} account {}, and the provider given \
                         is configured for {}: restore it with that account's configuration. \
                         Under another account a lost create would be looked for in the wrong \
                         place and made again.",
                        provider.name(),
                        crate::error::quoted(account),
                        crate::error::quoted(&configured)
                    ),
                ));
            }
        }
        let key = provider.idempotency_key(&s.order)?;
        if key != s.idempotency_key {
            return Err(Error::field(
                ErrorCode::InvalidField,
                "idempotency_key",
                "the snapshot's idempotency key is not the one its order derives",
            ));
        }
        // The order as the provider will send it, checked as a new machine's is (a time the
        // request could carry stands in for the clock the restore does not have).
        provider.check_order(
            &s.order,
            &key,
            s.first_sent_at.filter(|t| *t > 0).unwrap_or(1),
        )?;
        let mut machine = PayoutLifecycle::new_unchecked(provider, s.order, s.settings, key)?;
        machine.phase = s.phase;
        machine.first_sent_at = s.first_sent_at;
        machine.creates_sent = s.creates_sent;
        machine.status = s.status;
        machine.expected = s.expected;
        machine.failure = s.failure;
        machine.payout_id = s.payout_id;
        machine.outstanding = s.outstanding;
        machine.retry_at = s.retry_at;
        machine.failures = s.failures;
        machine.next_query_at = s.next_query_at;
        machine.queries_done = s.queries_done;
        machine.query_now = s.query_now;
        machine.ended = s.ended;
        if let Some(items) = s.items {
            // The items must be the order's, in its order (a snapshot cannot add or drop one).
            let same = items.len() == machine.items.len()
                && items
                    .iter()
                    .zip(&machine.items)
                    .all(|(a, b)| a.reference == b.reference);
            if !same {
                return Err(Error::field(
                    ErrorCode::InvalidField,
                    "items",
                    "the snapshot's items are not its order's items",
                ));
            }
            for (state, item) in machine.items.iter_mut().zip(items) {
                state.status = item.status;
                state.expected = item.expected;
                state.failure = item.failure;
            }
        } else if !machine.items.is_empty() {
            return Err(Error::field(
                ErrorCode::MissingField,
                "items",
                "a batch's snapshot must carry its items",
            ));
        }
        if let Some(unlisted) = s.unlisted {
            // Each must be an item of this batch, named once (a snapshot cannot make the machine
            // retrieve something that is not its own). An item a callback made final since may
            // still be listed: the machine reads it anyway, as the original would.
            let own = |reference: &String| machine.items.iter().any(|i| &i.reference == reference);
            let names: Vec<&str> = unlisted.iter().map(String::as_str).collect();
            if !unlisted.iter().all(own) || crate::validate::first_repeat(&names).is_some() {
                return Err(Error::field(
                    ErrorCode::InvalidField,
                    "unlisted",
                    "the snapshot's unlisted items are not items of its batch, each once",
                ));
            }
            machine.unlisted = unlisted.into();
        }
        if machine.phase != Phase::NotSent && machine.first_sent_at.is_none() {
            // A create may have gone out: its key window starts at the latest at its send,
            // which the snapshot must say (else the window check has nothing to stand on).
            return Err(Error::field(
                ErrorCode::InvalidField,
                "first_sent_at",
                "a snapshot past the create must say when the create was first sent",
            ));
        }
        let succeeded = machine.status == PayoutStatus::Succeeded
            || machine
                .items
                .iter()
                .any(|item| item.status == PayoutStatus::Succeeded);
        if succeeded && machine.first_sent_at.is_none() {
            // A machine records the create's first send before the request can leave: a payout
            // (or an item) paid with nothing ever sent is no state kirim writes, and restored it
            // would report a payment that never happened.
            return Err(Error::field(
                ErrorCode::InvalidField,
                "status",
                "the snapshot says the payout succeeded, but that no create was ever sent: it \
                 was not written by kirim; a person must check the payout with the provider",
            ));
        }
        machine.lose_outstanding();
        Ok(machine)
    }
}

impl<P: PayoutProvider> PayoutLifecycle<P> {
    /// The machine of a stored payout: `snapshot` is what the store holds for the payout
    /// `reference` (the row the host keys the machine by and saves it under). Restored as
    /// [`PayoutLifecycle::restore`] does, then refused (`invalid_field`, field `reference`) when
    /// its order is another payout's: a row holding payout B's snapshot (an edited database, a
    /// store returning the wrong row) would be a second machine for B, sending B's requests
    /// and saving over B's row. A host restoring from its store calls this, not `restore`.
    pub fn restore_stored(provider: P, snapshot: &str, reference: &str) -> Result<Self> {
        let machine = Self::restore(provider, snapshot)?;
        let own = machine.order().reference.as_str();
        if own != reference {
            return Err(Error::field(
                ErrorCode::InvalidField,
                "reference",
                format!(
                    "the stored payout {} holds the snapshot of payout {}: the store returned \
                     another payout's row. A person must check both payouts and fix the store \
                     before it runs.",
                    crate::error::quoted(reference),
                    crate::error::quoted(own)
                ),
            ));
        }
        Ok(machine)
    }
}

impl<P: PayoutProvider> PayoutLifecycle<P> {
    fn new_unchecked(
        provider: P,
        order: super::PayoutOrder,
        settings: LifecycleSettings,
        key: String,
    ) -> Result<Self> {
        settings.check()?;
        if order.is_batch() && !provider.supports_batch() {
            return Err(Error::field(
                ErrorCode::InvalidField,
                "order.items",
                format!("{} has no batch payouts", provider.name()),
            ));
        }
        Ok(PayoutLifecycle::initial(provider, order, settings, key))
    }
}

fn version_of(tree: &crate::read::Json<'_>) -> Result<Option<i64>> {
    struct Version(Option<i64>);
    impl FromJson for Version {
        fn from_json(value: &Val<'_>) -> Read<Self> {
            value.object()?.opt("version").map(Version)
        }
    }
    crate::json::read_body::<Version>(tree, "snapshot").map(|v| v.0)
}

// ---- writing ---------------------------------------------------------------------------------

struct SnapshotOut<'a, P: PayoutProvider>(&'a PayoutLifecycle<P>);

impl<P: PayoutProvider> ToJson for SnapshotOut<'_, P> {
    fn write_json(&self, out: &mut String) {
        let m = self.0;
        let mut o = Object::begin(out);
        o.field("version", &SNAPSHOT_VERSION);
        o.str_field("provider", m.provider.name());
        o.field("account", &m.provider.account());
        o.field("order", &m.order);
        o.field("idempotency_key", &m.key);
        o.field("settings", &m.settings);
        o.field("phase", &m.phase);
        o.field("first_sent_at", &m.first_sent_at);
        o.field("creates_sent", &m.creates_sent);
        o.field("status", &m.status);
        o.field("expected", &m.expected);
        o.field("failure", &m.failure);
        o.field("payout_id", &m.payout_id);
        o.field("outstanding", &m.outstanding);
        o.field(
            "retry_at",
            &m.retry_at.map(|(at, reason)| Retry { at, reason }),
        );
        o.field("failures", &m.failures);
        o.field("next_query_at", &m.next_query_at);
        o.field("queries_done", &m.queries_done);
        o.field("query_now", &m.query_now);
        o.field("ended", &m.ended.as_ref().map(EndOut));
        // Only a batch has items: a single payout's snapshot is unchanged (still version 1; an
        // older kirim refuses a batch's, it never misreads it).
        if !m.items.is_empty() {
            o.field("items", &ItemsOut(&m.items));
        }
        // Only inside a batch's item round (the items a paged whole-request retrieve left out,
        // still to be retrieved one by one): a restored machine goes on where it was.
        if !m.unlisted.is_empty() {
            let unlisted: Vec<&String> = m.unlisted.iter().collect();
            o.field("unlisted", &unlisted);
        }
        o.end();
    }
}

struct ItemsOut<'a>(&'a [super::machine::ItemState]);
impl ToJson for ItemsOut<'_> {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (index, item) in self.0.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            let mut o = Object::begin(out);
            o.field("reference", &item.reference);
            o.field("status", &item.status);
            o.field("expected", &item.expected);
            o.field("failure", &item.failure);
            o.end();
        }
        out.push(']');
    }
}

struct ItemIn {
    reference: String,
    status: PayoutStatus,
    expected: Option<PayoutStatus>,
    failure: Option<Failure>,
}
impl FromJson for ItemIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        o.deny_unknown(&["reference", "status", "expected", "failure"])?;
        Ok(ItemIn {
            reference: o.req("reference")?,
            status: o.req("status")?,
            expected: o.opt("expected")?,
            failure: o.opt::<FailureIn>("failure")?.map(|f| f.0),
        })
    }
}

struct EndOut<'a>(&'a End);
impl ToJson for EndOut<'_> {
    fn write_json(&self, out: &mut String) {
        let mut o = Object::begin(out);
        match self.0 {
            End::Done { error } => {
                o.str_field("kind", "done");
                o.field("error", &error.as_ref().map(ErrorOut));
            }
            End::Manual(r) => {
                o.str_field("kind", "manual_reconciliation");
                o.field("reconciliation", &**r);
            }
        }
        o.end();
    }
}

/// The fields of an error a snapshot keeps (the create's refusal, for `Done`).
struct ErrorOut<'a>(&'a Error);
impl ToJson for ErrorOut<'_> {
    fn write_json(&self, out: &mut String) {
        let e = self.0;
        let mut o = Object::begin(out);
        o.field("code", &e.code);
        o.field("field", &e.field);
        o.field("message", &e.message);
        o.field("provider_code", &e.provider_code);
        o.field("provider_message", &e.provider_message);
        o.field("http_status", &e.http_status);
        // Only when the provider gave them: a snapshot without them reads as before.
        if !e.provider_details.is_empty() {
            o.field("provider_details", &e.provider_details);
        }
        if let Some(trace_id) = &e.provider_trace_id {
            o.field("provider_trace_id", trace_id);
        }
        o.end();
    }
}

// ---- reading ---------------------------------------------------------------------------------

struct SnapshotIn {
    provider: String,
    /// Absent in a snapshot an earlier kirim wrote.
    account: Option<String>,
    order: super::PayoutOrder,
    idempotency_key: String,
    settings: LifecycleSettings,
    phase: Phase,
    first_sent_at: Option<i64>,
    creates_sent: u32,
    status: PayoutStatus,
    expected: Option<PayoutStatus>,
    failure: Option<Failure>,
    payout_id: Option<String>,
    outstanding: Option<Outstanding>,
    retry_at: Option<(i64, WaitReason)>,
    failures: u32,
    next_query_at: Option<i64>,
    queries_done: u32,
    query_now: bool,
    ended: Option<End>,
    items: Option<Vec<ItemIn>>,
    unlisted: Option<Vec<String>>,
}

impl FromJson for SnapshotIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        o.deny_unknown(&[
            "version",
            "provider",
            "account",
            "order",
            "idempotency_key",
            "settings",
            "phase",
            "first_sent_at",
            "creates_sent",
            "status",
            "expected",
            "failure",
            "payout_id",
            "outstanding",
            "retry_at",
            "failures",
            "next_query_at",
            "queries_done",
            "query_now",
            "ended",
            "items",
            "unlisted",
        ])?;
        let retry: Option<Retry> = o.opt("retry_at")?;
        let ended: Option<EndIn> = o.opt("ended")?;
        Ok(SnapshotIn {
            provider: o.req("provider")?,
            account: o.opt("account")?,
            order: o.req("order")?,
            idempotency_key: o.req("idempotency_key")?,
            settings: o.req("settings")?,
            phase: o.req("phase")?,
            first_sent_at: o.opt("first_sent_at")?,
            creates_sent: o.req("creates_sent")?,
            status: o.req("status")?,
            expected: o.opt("expected")?,
            failure: o.opt::<FailureIn>("failure")?.map(|f| f.0),
            payout_id: o.opt("payout_id")?,
            outstanding: o.opt("outstanding")?,
            retry_at: retry.map(|r| (r.at, r.reason)),
            failures: o.req("failures")?,
            next_query_at: o.opt("next_query_at")?,
            queries_done: o.req("queries_done")?,
            query_now: o.req("query_now")?,
            ended: ended.map(|e| e.0),
            items: o.opt("items")?,
            unlisted: o.opt("unlisted")?,
        })
    }
}

/// A retry's time and reason, the tuple `retry_at` of the machine.
#[derive(FromJson, ToJson)]
#[json(deny_unknown_fields)]
struct Retry {
    at: i64,
    reason: WaitReason,
}

struct FailureIn(Failure);
impl FromJson for FailureIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        o.deny_unknown(&["reason", "retry", "provider_code", "provider_text"])?;
        Ok(FailureIn(Failure {
            reason: o.req::<FailureReasonIn>("reason")?.0,
            retry: o.req::<RetryAdviceIn>("retry")?.0,
            provider_code: o.opt("provider_code")?,
            provider_text: o.opt("provider_text")?,
        }))
    }
}

struct FailureReasonIn(FailureReason);
impl FromJson for FailureReasonIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        // The names are the ones status.rs writes (its derived FromJson), not a second list here.
        // A value that is not a string keeps its own error; an unknown name is reported as before.
        let _: String = FromJson::from_json(value)?;
        FailureReason::from_json(value)
            .map(FailureReasonIn)
            .map_err(|_| value.mismatch("unknown failure reason"))
    }
}

struct RetryAdviceIn(RetryAdvice);
impl FromJson for RetryAdviceIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        let kind: String = o.req("kind")?;
        let advice = match kind.as_str() {
            "do_not_retry" => RetryAdvice::DoNotRetry,
            "retry_after_delay" => RetryAdvice::RetryAfterDelay {
                min_delay_seconds: o.req("min_delay_seconds")?,
            },
            "retry_tomorrow" => RetryAdvice::RetryTomorrow,
            "retry_after_status_check" => RetryAdvice::RetryAfterStatusCheck,
            "contact_provider" => RetryAdvice::ContactProvider,
            _ => return Err(value.mismatch("unknown retry advice")),
        };
        Ok(RetryAdviceIn(advice))
    }
}

struct EndIn(End);
impl FromJson for EndIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        let kind: String = o.req("kind")?;
        match kind.as_str() {
            "done" => Ok(EndIn(End::Done {
                error: o.opt::<ErrorIn>("error")?.map(|e| e.0),
            })),
            "manual_reconciliation" => Ok(EndIn(End::Manual(Box::new(
                o.req::<ReconciliationIn>("reconciliation")?.0,
            )))),
            _ => Err(value.mismatch("unknown end")),
        }
    }
}

struct ErrorIn(Error);
impl FromJson for ErrorIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        let code: String = o.req("code")?;
        let code =
            ErrorCode::from_code(&code).ok_or_else(|| value.mismatch("unknown error code"))?;
        let mut error = Error::new(code, o.req::<String>("message")?)
            .with_provider(o.opt("provider_code")?, o.opt("provider_message")?);
        if let Some(field) = o.opt::<String>("field")? {
            error = error.with_field(field);
        }
        if let Some(status) = o.opt::<u16>("http_status")? {
            error = error.with_http_status(status);
        }
        error.provider_details = o.opt("provider_details")?.unwrap_or_default();
        error.provider_trace_id = o.opt("provider_trace_id")?;
        Ok(ErrorIn(error))
    }
}

struct ReconciliationIn(Reconciliation);
impl FromJson for ReconciliationIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        let reason: String = o.req("reason")?;
        Ok(ReconciliationIn(Reconciliation {
            reason: ManualReason::parse(&reason)
                .ok_or_else(|| value.mismatch("unknown reconciliation reason"))?,
            idempotency_key: o.req("idempotency_key")?,
            reference_ids: o.req("reference_ids")?,
            first_sent_at: o.opt("first_sent_at")?,
            payout_id: o.opt("payout_id")?,
            message: o.req("message")?,
            request_body: o.opt("request_body")?,
            error: o.opt("error")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpOutcome, HttpResponse};
    use crate::lifecycle::contract::Purpose;
    use crate::lifecycle::{Action, Beneficiary, PayoutOrder};
    use crate::money::Money;
    use crate::providers::pivot::{Pivot, PivotConfig, SANDBOX_URL};
    use crate::secret::Secret;

    fn machine() -> PayoutLifecycle<Pivot> {
        let pivot = Pivot::new(PivotConfig::new(SANDBOX_URL, "m", Secret::new("s"))).unwrap();
        let order = PayoutOrder {
            reference: "order-1".into(),
            amount: Money::idr(10_000).unwrap(),
            beneficiary: Beneficiary {
                bank: "BCA".into(),
                account_number: "123".into(),
                account_name: "A B".into(),
            },
            inquiry_id: None,
            description: None,
            notify_url: None,
            items: vec![],
        };
        let settings = LifecycleSettings::defaults(&pivot);
        PayoutLifecycle::new(pivot, order, settings, 1000).unwrap()
    }

    #[test]
    fn the_token_never_reaches_the_snapshot() {
        let mut m = machine();
        assert!(matches!(m.poll(1000), Action::Send { .. }));
        let token = HttpOutcome::Response(HttpResponse {
            status: 200,
            headers: vec![],
            body: br#"{"code":"00","data":{"accessToken":"eyJ.very.secret","expiresIn":"900","tokenType":"Bearer"}}"#.to_vec(),
        });
        m.handle_response(&token, 1001).unwrap();
        assert!(m.has_session());
        let Action::Send { request, .. } = m.poll(1001) else {
            panic!("a create")
        };
        assert_eq!(
            request.header("Authorization"),
            Some("Bearer eyJ.very.secret")
        );
        let text = m.snapshot();
        assert!(!text.contains("very.secret"), "{text}");
        let restored = PayoutLifecycle::restore(m.provider().clone(), &text).unwrap();
        assert!(!restored.has_session());
        // The create that was out is taken as possibly made.
        assert_eq!(restored.phase(), Phase::Unknown);
        assert_eq!(restored.first_sent_at(), Some(1001));
    }

    /// `unlisted` names items of the batch, each once: a repeat is refused like a stranger.
    #[test]
    fn unlisted_items_are_the_batchs_own_each_once() {
        let pivot = Pivot::new(PivotConfig::new(SANDBOX_URL, "m", Secret::new("s"))).unwrap();
        let item = |reference: &str| crate::lifecycle::PayoutItem {
            reference: reference.into(),
            amount: Money::idr(10_000).unwrap(),
            beneficiary: Beneficiary {
                bank: "BCA".into(),
                account_number: "123".into(),
                account_name: "A B".into(),
            },
            inquiry_id: None,
            description: None,
        };
        let order = PayoutOrder {
            reference: "batch-1".into(),
            amount: Money::idr(20_000).unwrap(),
            beneficiary: Beneficiary::default(),
            inquiry_id: None,
            description: None,
            notify_url: None,
            items: vec![item("item-a"), item("item-b")],
        };
        let settings = LifecycleSettings::defaults(&pivot);
        let m = PayoutLifecycle::new(pivot, order, settings, 1000).unwrap();
        let with_unlisted = |unlisted: &[&str]| {
            let mut snapshot: serde_json::Value = serde_json::from_str(&m.snapshot()).unwrap();
            snapshot["unlisted"] = serde_json::json!(unlisted);
            PayoutLifecycle::restore(m.provider().clone(), &snapshot.to_string())
        };
        assert!(with_unlisted(&["item-b", "item-a"]).is_ok());
        for refused in [&["item-a", "item-z"][..], &["item-a", "item-b", "item-a"]] {
            let err = with_unlisted(refused).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("unlisted"), "{refused:?}");
        }
    }

    #[test]
    fn a_quiet_snapshot_round_trips() {
        let m = machine();
        let text = m.snapshot();
        let restored = PayoutLifecycle::restore(m.provider().clone(), &text).unwrap();
        assert_eq!(restored.snapshot(), text);
        assert!(text.starts_with(r#"{"version":1,"provider":"pivot","#));
    }

    /// A payout ended by Pivot's answer keeps all of it through a snapshot: the person who
    /// reconciles (or reads why it failed) needs the details and the trace id.
    #[test]
    fn an_ended_payout_keeps_the_providers_answer_through_a_snapshot() {
        let token = br#"{"code":"00","data":{"accessToken":"eyJ.t","expiresIn":"900","tokenType":"Bearer"}}"#;
        for (status, code) in [(422, "unprocessable_entity"), (400, "field_format_invalid")] {
            let mut m = machine();
            let respond = |m: &mut PayoutLifecycle<Pivot>, status: u16, body: &[u8]| {
                let outcome = HttpOutcome::Response(HttpResponse {
                    status,
                    headers: vec![],
                    body: body.to_vec(),
                });
                m.handle_response(&outcome, 1001).unwrap();
            };
            assert!(matches!(m.poll(1000), Action::Send { .. }));
            respond(&mut m, 200, token);
            assert!(matches!(m.poll(1001), Action::Send { .. }));
            let refusal = format!(
                r#"{{"code":"{code}","message":"Bank closed","error":{{"type":"API_ERROR","details":[{{"field":"channelCode","message":"BCA closed"}}],"traceId":"TRACE-9"}}}}"#
            );
            respond(&mut m, status, refusal.as_bytes());
            let ended = m.poll(1002);
            let text = m.snapshot();
            let restored = PayoutLifecycle::restore(m.provider().clone(), &text).unwrap();
            assert_eq!(restored.snapshot(), text);
            let mut restored = restored;
            let shown = format!("{ended:?}");
            assert_eq!(format!("{:?}", restored.poll(1003)), shown);
            for kept in ["TRACE-9", "BCA closed", "Bank closed", "channelCode"] {
                assert!(shown.contains(kept), "{kept} missing from {shown}");
            }
        }
    }

    /// The gateway resolves a lost create by a query: under another platform it would find
    /// nothing and create the payout again.
    #[test]
    fn a_gateway_snapshot_restores_only_under_its_platform() {
        use crate::providers::gateway::{Gateway, GatewayConfig};
        let gateway = |platform: &str| {
            let mut config =
                GatewayConfig::new("https://payment.example", platform, Secret::new("k"));
            config.authorization = Some(Secret::new("auth"));
            Gateway::new(config).unwrap()
        };
        let order = PayoutOrder {
            reference: "ORD42".into(),
            amount: Money::idr(50_000).unwrap(),
            beneficiary: Beneficiary {
                bank: "BCA".into(),
                account_number: "4088748280272397".into(),
                account_name: "A B".into(),
            },
            inquiry_id: None,
            description: None,
            notify_url: None,
            items: vec![],
        };
        let first = gateway("PF0001");
        let settings = LifecycleSettings::defaults(&first);
        let mut m = PayoutLifecycle::new(first, order, settings, 1000).unwrap();
        assert!(matches!(
            m.poll(1000),
            Action::Send {
                purpose: Purpose::Create,
                ..
            }
        ));
        let stored = m.snapshot();
        let err = PayoutLifecycle::restore(gateway("PF0002"), &stored).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("account"));
        assert!(err.message.contains("PF0001") && err.message.contains("PF0002"));
        assert!(PayoutLifecycle::restore(gateway("PF0001"), &stored).is_ok());
    }

    /// A payout (or a batch item) paid with no create ever sent is no state kirim writes: an
    /// edited or corrupted snapshot saying so would report a payment that never happened.
    #[test]
    fn a_success_with_nothing_ever_sent_is_refused() {
        let m = machine();
        let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut snapshot: serde_json::Value = serde_json::from_str(&m.snapshot()).unwrap();
            edit(&mut snapshot);
            PayoutLifecycle::restore(m.provider().clone(), &snapshot.to_string())
        };
        let err = edited(&|s| s["status"] = "succeeded".into()).unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidField, Some("status"))
        );
        // The same status after a create went out is a state kirim writes.
        assert!(
            edited(&|s| {
                s["status"] = "succeeded".into();
                s["phase"] = "accepted".into();
                s["first_sent_at"] = 1000.into();
            })
            .is_ok()
        );
        // Nothing sent and nothing decided restores as before.
        assert!(edited(&|_| {}).is_ok());
    }

    /// A row holding another payout's snapshot is refused, naming both payouts; its own
    /// snapshot restores as `restore` restores it.
    #[test]
    fn a_stored_row_holding_another_payouts_snapshot_is_refused() {
        let m = machine();
        let own = m.order().reference.clone();
        let text = m.snapshot();
        let restored = PayoutLifecycle::restore_stored(m.provider().clone(), &text, &own).unwrap();
        assert_eq!(restored.snapshot(), text);
        let err = PayoutLifecycle::restore_stored(m.provider().clone(), &text, "order-other")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidField);
        assert_eq!(err.field.as_deref(), Some("reference"));
        assert!(
            err.message.contains("\"order-other\"")
                && err.message.contains(&format!("\"{own}\""))
                && err.message.contains("check both payouts"),
            "{}",
            err.message
        );
        // A hostile row reference cannot break the message (quoted, control characters gone).
        let err = PayoutLifecycle::restore_stored(m.provider().clone(), &text, "x\"\nforged")
            .unwrap_err();
        assert!(err.message.contains(r#""x\" forged""#), "{}", err.message);
        // A snapshot the core refuses is refused as before, whatever the row.
        let err = PayoutLifecycle::restore_stored(m.provider().clone(), "{}", &own).unwrap_err();
        assert_ne!(err.field.as_deref(), Some("reference"));
    }

    #[test]
    fn a_response_with_nothing_outstanding_is_refused() {
        let mut m = machine();
        let err = m
            .handle_response(
                &HttpOutcome::TransportFailure(crate::http::TransportFailure::Timeout),
                1000,
            )
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("outcome"));
        assert!(matches!(
            m.poll(1000),
            Action::Send {
                purpose: Purpose::Session,
                ..
            }
        ));
    }
}

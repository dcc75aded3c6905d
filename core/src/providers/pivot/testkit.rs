//! Test callbacks: the exact requests Pivot sends to the merchant's callback URL (spec §1.10),
//! built for a given event and callback API key, so that an integrator can test its webhook
//! handler without live credentials. What kirim builds here, `verify_callback` reads back.
//!
//! Pivot authenticates a callback only by the static `X-API-Key` header: no signature covers
//! the body. A generated callback with a changed body byte therefore still passes the key
//! check; it either fails to parse or reads back a different event (the property test checks
//! exactly that, and that any changed byte of the key is refused).

use super::{API_KEY_HEADER, Pivot};
use crate::error::Result;
use crate::event::PayoutTotals;
use crate::http::{Header, HttpRequest};
use crate::money::Money;
use crate::providers::common::{
    TestCallbackEvent, check_test_header_key, check_test_url, invalid_test_field, test_post,
};
use crate::secret::Secret;
use crate::status::PayoutStatus;
use crate::write::{Object, ToJson};

/// `Content-Type` and `Accept` as Pivot spells them (spec §1.10).
const JSON_TYPE: &str = "application/JSON";

/// A single callback's event name and item status for a status (spec §1.8, §1.10:
/// `PAYOUT.SUCCESS` is documented, the others follow its pattern).
fn single_words(status: PayoutStatus) -> Option<(&'static str, &'static str)> {
    Some(match status {
        PayoutStatus::Succeeded => ("PAYOUT.SUCCESS", "SUCCESS"),
        PayoutStatus::Failed => ("PAYOUT.FAILED", "FAILED"),
        PayoutStatus::Cancelled => ("PAYOUT.CANCELLED", "CANCELLED"),
        PayoutStatus::Pending => ("PAYOUT.PENDING", "PENDING"),
        PayoutStatus::Processing => ("PAYOUT.PROCESSING", "PROCESSING"),
        PayoutStatus::Delayed => ("PAYOUT.DELAYED", "DELAYED"),
        PayoutStatus::Reversed | PayoutStatus::Unknown => return None,
    })
}

impl Pivot {
    fn test_headers(api_key: &Secret) -> Result<Vec<Header>> {
        check_test_header_key(api_key, "api_key")?;
        Ok(vec![
            Header::new(API_KEY_HEADER, api_key.expose_secret()),
            Header::new("Content-Type", JSON_TYPE),
            Header::new("Accept", JSON_TYPE),
        ])
    }

    /// The single-payout callback Pivot sends for `event` (spec §1.10's single payload):
    /// `POST url` with `X-API-Key: api_key`, and the body
    /// `{"event":"PAYOUT.<STATUS>","data":{"uuid":payout_id,"merchantId":<config>,"payouts":
    /// {"referenceId":...,"amount":{"currency":"IDR","value":"<rupiah>"},"status":...,
    /// "reason":...}}}`. `reference_id` is required and the amount whole rupiah; a status
    /// Pivot cannot say (reversed, unknown) is `invalid_field`.
    pub fn test_callback(
        &self,
        api_key: &Secret,
        event: &TestCallbackEvent,
        url: &str,
    ) -> Result<HttpRequest> {
        let headers = Self::test_headers(api_key)?;
        check_test_url(url)?;
        event.check(&[PayoutStatus::Failed, PayoutStatus::Cancelled])?;
        let (event_name, item_status) = single_words(event.status).ok_or_else(|| {
            invalid_test_field(
                "status",
                "Pivot's callbacks say succeeded, failed, cancelled, pending, processing or delayed",
            )
        })?;
        let reference_id = event.reference_id.as_deref().ok_or_else(|| {
            invalid_test_field("reference_id", "a Pivot callback names the referenceId")
        })?;
        let rupiah = event.amount.whole_major_units("amount")?;
        let data = SingleData {
            uuid: &event.payout_id,
            merchant_id: &self.config.merchant_id,
            reference_id,
            value: rupiah.to_string(),
            status: item_status,
            reason: event.failure_reason.as_deref(),
        };
        Ok(test_post(url, headers, callback_body(event_name, &data)))
    }

    /// The bulk callback Pivot sends when a payout request with several payouts moves (spec
    /// §1.10's bulk payload): totals only, no item. `payouts` are the request's payouts, all
    /// of the one request `payout_id` (its `uuid`); each is succeeded, failed, cancelled or
    /// pending. The event is `PAYOUT.DONE` (request `DONE`) when none is pending, else
    /// `PAYOUT.PENDING` (request `PENDING`, waiting for a top-up). Amounts are whole rupiah.
    pub fn test_bulk_callback(
        &self,
        api_key: &Secret,
        payouts: &[TestCallbackEvent],
        url: &str,
    ) -> Result<HttpRequest> {
        let headers = Self::test_headers(api_key)?;
        check_test_url(url)?;
        let totals = bulk_totals(payouts)?;
        let Some(first) = payouts.first() else {
            return Err(invalid_test_field(
                "payouts",
                "a bulk callback reports at least one payout",
            ));
        };
        let pending = totals.pending_count.unwrap_or_default() > 0;
        let (event_name, status) = if pending {
            ("PAYOUT.PENDING", "PENDING")
        } else {
            ("PAYOUT.DONE", "DONE")
        };
        let data = BulkData {
            uuid: &first.payout_id,
            merchant_id: &self.config.merchant_id,
            totals: &totals,
            status,
        };
        Ok(test_post(url, headers, callback_body(event_name, &data)))
    }
}

/// A callback's body as Pivot writes it: `{"event": ..., "data": ...}`.
fn callback_body(event_name: &str, data: &dyn ToJson) -> String {
    let mut body = String::with_capacity(384);
    let mut root = Object::begin(&mut body);
    root.str_field("event", event_name);
    root.field("data", data);
    root.end();
    body
}

/// The totals a bulk callback reports for `payouts` (every count and amount, zero included,
/// as the documented payload). Checks every payout: ids, amounts in whole rupiah, one request.
pub fn bulk_totals(payouts: &[TestCallbackEvent]) -> Result<PayoutTotals> {
    let zero = || Some(Money::new(0, crate::money::Currency::Idr));
    let mut totals = PayoutTotals {
        pending_count: Some(0),
        pending_amount: zero(),
        success_count: Some(0),
        success_amount: zero(),
        failed_count: Some(0),
        failed_amount: zero(),
        cancelled_count: Some(0),
        cancelled_amount: zero(),
    };
    let first_id = payouts.first().map(|p| p.payout_id.as_str());
    for (i, payout) in payouts.iter().enumerate() {
        let at = |field: &str| format!("payouts[{i}].{field}");
        payout
            .check(&[PayoutStatus::Failed, PayoutStatus::Cancelled])
            .map_err(|e| {
                let mut data = e.into_data();
                data.field = data.field.map(|f| at(&f));
                crate::error::Error::from(data)
            })?;
        if Some(payout.payout_id.as_str()) != first_id {
            return Err(invalid_test_field(
                at("payout_id"),
                "the payouts of one bulk callback belong to one request: give them the same payout_id",
            ));
        }
        payout.amount.whole_major_units(&at("amount"))?;
        let (count, amount) = match payout.status {
            PayoutStatus::Succeeded => (&mut totals.success_count, &mut totals.success_amount),
            PayoutStatus::Failed => (&mut totals.failed_count, &mut totals.failed_amount),
            PayoutStatus::Cancelled => (&mut totals.cancelled_count, &mut totals.cancelled_amount),
            PayoutStatus::Pending => (&mut totals.pending_count, &mut totals.pending_amount),
            _ => {
                return Err(invalid_test_field(
                    at("status"),
                    "a bulk callback's totals count succeeded, failed, cancelled and pending payouts",
                ));
            }
        };
        *count = count.map(|c| c.saturating_add(1));
        let sum = amount
            .map(|a| a.minor_units)
            .unwrap_or_default()
            .checked_add(payout.amount.minor_units)
            .ok_or_else(|| {
                crate::error::Error::field(
                    crate::error::ErrorCode::AmountOutOfRange,
                    at("amount"),
                    "the payouts' total amount is too large",
                )
            })?;
        *amount = Some(Money::new(sum, payout.amount.currency));
    }
    Ok(totals)
}

struct SingleData<'a> {
    uuid: &'a str,
    merchant_id: &'a str,
    reference_id: &'a str,
    value: String,
    status: &'a str,
    reason: Option<&'a str>,
}

impl ToJson for SingleData<'_> {
    fn write_json(&self, out: &mut String) {
        let mut data = Object::begin(out);
        data.str_field("uuid", self.uuid);
        data.str_field("merchantId", self.merchant_id);
        data.field("payouts", &SingleItem(self));
        data.end();
    }
}

struct SingleItem<'d, 'a>(&'d SingleData<'a>);

impl ToJson for SingleItem<'_, '_> {
    fn write_json(&self, out: &mut String) {
        let d = self.0;
        let mut item = Object::begin(out);
        item.str_field("referenceId", d.reference_id);
        item.field("amount", &PivotAmount(&d.value));
        item.str_field("status", d.status);
        item.field("reason", &d.reason);
        item.end();
    }
}

/// `{"currency":"IDR","value":"100000"}`: the callback's order (spec §1.10).
struct PivotAmount<'a>(&'a str);

impl ToJson for PivotAmount<'_> {
    fn write_json(&self, out: &mut String) {
        let mut amount = Object::begin(out);
        amount.str_field("currency", "IDR");
        amount.str_field("value", self.0);
        amount.end();
    }
}

struct BulkData<'a> {
    uuid: &'a str,
    merchant_id: &'a str,
    totals: &'a PayoutTotals,
    status: &'a str,
}

impl ToJson for BulkData<'_> {
    fn write_json(&self, out: &mut String) {
        let mut data = Object::begin(out);
        data.str_field("uuid", self.uuid);
        data.str_field("merchantId", self.merchant_id);
        data.field("payoutResults", &PayoutResults(self.totals));
        data.str_field("status", self.status);
        data.end();
    }
}

/// `payoutResults`: every count and amount (whole rupiah, integers), in the documented order.
struct PayoutResults<'a>(&'a PayoutTotals);

impl ToJson for PayoutResults<'_> {
    fn write_json(&self, out: &mut String) {
        let t = self.0;
        // Whole rupiah: `bulk_totals` refused any amount with sen.
        let rupiah = |m: Option<Money>| m.map(|m| m.minor_units / 100).unwrap_or_default();
        let count = |c: Option<u64>| c.unwrap_or_default();
        let mut r = Object::begin(out);
        r.field("totalPendingCount", &count(t.pending_count));
        r.field("totalPendingAmount", &rupiah(t.pending_amount));
        r.field("totalSuccessCount", &count(t.success_count));
        r.field("totalSuccessAmount", &rupiah(t.success_amount));
        r.field("totalFailedCount", &count(t.failed_count));
        r.field("totalFailedAmount", &rupiah(t.failed_amount));
        r.field("totalCancelledCount", &count(t.cancelled_count));
        r.field("totalCancelledAmount", &rupiah(t.cancelled_amount));
        r.end();
    }
}

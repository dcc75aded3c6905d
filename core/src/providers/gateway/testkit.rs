//! Test notifications: the exact withdraw notification the gateway sends to `notify_url`
//! (spec §2.5), built for a given event and signed with a given platform key (spec §2.4), so
//! that an integrator can test its handler without live credentials. What kirim builds here,
//! `verify_notification` reads back under the same configuration.
//!
//! The signature covers every field, so any changed byte of the body is refused (or, for a
//! change the JSON reader does not see, such as whitespace, reads back the same event).

use super::{Gateway, MAX_AMOUNT_CENTS};
use crate::error::{Error, ErrorCode, Result};
use crate::http::{Header, HttpRequest};
use crate::providers::common::{TestCallbackEvent, check_test_url, invalid_test_field, test_post};
use crate::secret::Secret;
use crate::signing::{self, FormParams, SIGN_FIELD, SIGN_TYPE_FIELD, SignType};
use crate::status::PayoutStatus;
use crate::write::{Object, ToJson};

/// The notification's `Content-Type` (spec §2.5).
const CONTENT_TYPE: &str = "application/json;charset=utf-8";

impl Gateway {
    /// The withdraw notification the gateway sends for `event`: `POST url`, `Content-Type:
    /// application/json;charset=utf-8`, and the body `{"payout_id":...,"payout_cl_id":...,
    /// "platform_id":<config>,"amount":<cents>,"status":<int>[,"error_msg":...]
    /// [,"sign_type":"HMAC-SHA256"],"sign":...}`, signed with `platform_key` by `sign_type`
    /// (MD5 sends no `sign_type`: its absence means MD5) under the configuration's key join
    /// (MD5) and hex case (spec §2.4). The status integer is the smallest the configuration's
    /// `status_map` maps to `event.status`; `reference_id` (`payout_cl_id`) is required.
    pub fn test_notification(
        &self,
        platform_key: &Secret,
        sign_type: SignType,
        event: &TestCallbackEvent,
        url: &str,
    ) -> Result<HttpRequest> {
        if platform_key.is_empty() {
            return Err(invalid_test_field(
                "platform_key",
                "platform_key must not be empty",
            ));
        }
        check_test_url(url)?;
        event.check(&[PayoutStatus::Failed, PayoutStatus::Cancelled])?;
        let reference_id = event.reference_id.as_deref().ok_or_else(|| {
            invalid_test_field("reference_id", "a notification names the payout_cl_id")
        })?;
        let status = self
            .config
            .status_map
            .iter()
            .find(|(_, s)| **s == event.status)
            .map(|(raw, _)| *raw)
            .ok_or_else(|| {
                invalid_test_field(
                    "status",
                    "no status integer of this configuration's status_map means this status",
                )
            })?;
        let cents = event.amount.minor_units;
        if cents > MAX_AMOUNT_CENTS {
            return Err(Error::field(
                ErrorCode::AmountOutOfRange,
                "amount",
                "amount is over the gateway's Integer(10) of cents (at most Rp 99,999,999.99)",
            ));
        }
        let mut params = FormParams::new();
        params.push_text("payout_id", &event.payout_id);
        params.push_text("payout_cl_id", reference_id);
        params.push_text("platform_id", &self.config.platform_id);
        params.push_integer("amount", cents);
        params.push_integer("status", status);
        if let Some(reason) = &event.failure_reason {
            params.push_text("error_msg", reason);
        }
        // What the verifier recomputes: every field but `sign` and `sign_type`.
        let canonical = params.canonical()?;
        let sign = signing::sign(
            &canonical,
            platform_key,
            sign_type,
            self.config.signer_settings(),
        )?;
        let mut body = String::with_capacity(256);
        let mut root = Object::begin(&mut body);
        for entry in params.entries() {
            let value = entry.value.as_deref().unwrap_or_default();
            match entry.kind {
                // Integers this function pushed: written as JSON numbers, as the gateway does.
                signing::ValueKind::Number => root.field(&entry.key, &Number(value)),
                _ => root.str_field(&entry.key, value),
            }
        }
        if sign_type == SignType::HmacSha256 {
            root.str_field(SIGN_TYPE_FIELD, sign_type.as_str());
        }
        root.str_field(SIGN_FIELD, &sign);
        root.end();
        let headers = vec![Header::new("Content-Type", CONTENT_TYPE)];
        Ok(test_post(url, headers, body))
    }
}

/// An integer's decimal text, written as a JSON number.
struct Number<'a>(&'a str);

impl ToJson for Number<'_> {
    fn write_json(&self, out: &mut String) {
        out.push_str(self.0);
    }
}

//! Test callbacks: the payout callback Paper.id sends (seed 003, spec §3), built for a given
//! event, carrying a given token in the configured `callback_token_header`, so that an
//! integrator can test its handler without live credentials. What kirim builds here,
//! `verify_callback` reads back under the same configuration.
//!
//! Paper.id documents no callback authentication (G14); the token header is the merchant's own
//! arrangement, and it does not cover the body. A generated callback with a changed body byte
//! therefore still passes the token check; it either fails to parse or reads back a different
//! event (the property test checks exactly that, and that any changed byte of the token is
//! refused). A source-address allow-list is checked against the address the host passes to
//! `verify_callback`, which is no part of the request.

use super::PaperId;
use crate::error::{Error, ErrorCode, Result};
use crate::http::{Header, HttpRequest};
use crate::money::format_minor;
use crate::providers::common::{
    TestCallbackEvent, check_test_header_key, check_test_url, invalid_test_field, test_post,
};
use crate::secret::Secret;
use crate::status::PayoutStatus;
use crate::write::{Object, ToJson};

impl PaperId {
    /// The payout callback Paper.id sends for `event`: `POST url`, `Content-Type:
    /// application/json`, the configured `callback_token_header` carrying `token`, and the body
    /// `{"disbursement_id":payout_id,"amount":<number>,"currency":"IDR","status":"COMPLETED"
    /// |"FAILED"[,"status_failure_code":...]}` (seed 003's fields; `COMPLETED` is the table's
    /// word for a disbursed payout). Paper.id says only succeeded and failed; its payout
    /// callback carries no merchant reference, so `reference_id` must be absent.
    pub fn test_callback(
        &self,
        token: &Secret,
        event: &TestCallbackEvent,
        url: &str,
    ) -> Result<HttpRequest> {
        let header = self
            .config
            .callback_token_header
            .as_deref()
            .ok_or_else(|| {
                Error::field(
                    ErrorCode::InvalidConfig,
                    "callback_token_header",
                    "a test callback carries its token in callback_token_header: configure it",
                )
            })?;
        check_test_header_key(token, "token")?;
        check_test_url(url)?;
        event.check(&[PayoutStatus::Failed])?;
        if event.reference_id.is_some() {
            return Err(invalid_test_field(
                "reference_id",
                "Paper.id's payout callback carries no merchant reference: leave reference_id out",
            ));
        }
        let status = match event.status {
            PayoutStatus::Succeeded => "COMPLETED",
            PayoutStatus::Failed => "FAILED",
            _ => {
                return Err(invalid_test_field(
                    "status",
                    "Paper.id's payout callbacks say succeeded or failed",
                ));
            }
        };
        let mut body = String::with_capacity(192);
        let mut root = Object::begin(&mut body);
        root.str_field("disbursement_id", &event.payout_id);
        root.field("amount", &Amount(event.amount.minor_units));
        root.str_field("currency", event.amount.currency.code());
        root.str_field("status", status);
        if let Some(code) = &event.failure_reason {
            root.str_field("status_failure_code", code);
        }
        root.end();
        let headers = vec![
            Header::new("Content-Type", "application/json"),
            Header::new(header, token.expose_secret()),
        ];
        Ok(test_post(url, headers, body))
    }
}

/// A JSON number of rupiah: an integer when whole (the example's `100000`), else the exact
/// decimal (`100000.5` is `100000.50`; the field is declared a double, never through a float).
struct Amount(i64);

impl ToJson for Amount {
    fn write_json(&self, out: &mut String) {
        let text = format_minor(self.0, 2);
        out.push_str(text.strip_suffix(".00").unwrap_or(&text));
    }
}

//! Every create-answer class of Pivot and the gateway: the error code's fix text
//! (`ErrorCode::fix`, what docs/errors.md and the error messages say) agrees with the next action
//! kirim gives for it, with and without the host's attempt (within and after the key window).
//! A fix text never advises a NEW idempotency key where the payout may exist.

use crate::error::ErrorCode;
use serde_json::{Value, json};

const PIVOT_CONFIG: &str = r#"{"base_url":"https://api-stg.pivot-payment.com","merchant_id":"m","merchant_secret":"s","max_body_bytes":4096}"#;
const GATEWAY_CONFIG: &str = r#"{"base_url":"https://payment.example","platform_id":"PF0002","platform_key":"ThisIsYourSecretKey123","authorization":"auth","max_body_bytes":4096}"#;

fn response(status: u16, body: &str) -> Value {
    json!({"response": {"status": status, "body": body}})
}

fn pivot_body(code: &str) -> String {
    format!(
        r#"{{"code":"{code}","message":"m","error":{{"type":"API_ERROR","details":[],"traceId":"t"}}}}"#
    )
}

/// Outcomes that exercise every class both providers distinguish.
fn common_outcomes() -> Vec<Value> {
    let mut outcomes = vec![
        json!({"transport_failure": "timeout"}),
        json!({"transport_failure": "connection_error"}),
        json!({"transport_failure": "empty_response"}),
        response(200, ""),
        response(200, "<html>maintenance</html>"),
        response(200, "{\"code\":"),
        response(200, "[1,2]"),
        response(200, &format!("{{\"pad\":\"{}\"}}", "x".repeat(5000))),
        response(404, "<html>404</html>"),
        response(401, ""),
        response(403, ""),
        response(409, ""),
        response(418, ""),
        response(422, ""),
        response(429, ""),
    ];
    for status in [408, 500, 502, 503, 504, 429] {
        outcomes.push(response(status, ""));
        outcomes.push(response(status, "<html>gateway error</html>"));
    }
    outcomes
}

fn pivot_outcomes() -> Vec<Value> {
    let mut outcomes = common_outcomes();
    outcomes.push(response(200, r#"{"code":"00","message":"OK"}"#));
    outcomes.push(response(200, r#"{"code":"00","data":{"uuid":""}}"#));
    let codes = [
        "credentials_invalid",
        "field_format_invalid",
        "field_required",
        "api_validation_error",
        "amount_below_limit",
        "resource_already_exists",
        "duplicate_error",
        "idempotency_error",
        "service_unavailable",
        "forbidden_access",
        "resource_not_complete",
        "not_found",
        "resource_missing",
        "general_error",
        "invalid_state",
        "something_new",
    ];
    for status in [
        0, 100, 200, 302, 400, 401, 403, 404, 408, 409, 418, 422, 429, 500, 502, 503, 504, 600,
    ] {
        for code in codes {
            outcomes.push(response(status, &pivot_body(code)));
        }
    }
    outcomes
}

fn gateway_outcomes() -> Vec<Value> {
    let mut outcomes = common_outcomes();
    for body in [
        r#"{"error_code":"0000"}"#,
        r#"{"error_code":"0000","data":{"payout_id":""}}"#,
        r#"{"error_code":0}"#,
        r#"{"data":{"payout_id":"P1"}}"#,
    ] {
        outcomes.push(response(200, body));
    }
    for status in [
        0, 199, 200, 301, 302, 303, 307, 308, 400, 401, 404, 408, 429, 500, 502, 503, 504, 999,
    ] {
        for code in ["0004", "0006", "0050", "0009", "1234"] {
            outcomes.push(response(
                status,
                &format!(r#"{{"error_code":"{code}","error_msg":"m"}}"#),
            ));
        }
    }
    outcomes
}

fn contains(fix: &str, needle: &str) -> bool {
    fix.to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

/// What the fix text must say for this action (phrases the fix texts use on purpose).
fn check(provider: &str, outcome: &Value, action: &Value, code: ErrorCode) {
    let fix = code.fix();
    let kind = action["kind"].as_str().unwrap();
    let what = format!("{provider} {outcome} -> {action} ({code}): {fix}");
    let required: &[&str] = match kind {
        "rejected" if action["new_idempotency_key_required"] == json!(true) => {
            &["NEW idempotency key"]
        }
        "rejected" => &["same payout_cl_id"],
        "refresh_token_and_resend" => &["new access token", "same idempotency key"],
        "resend_same_key_after" => &["wait", "identical request", "same idempotency key"],
        "query_first" => &["query"],
        "resend_same_request" => &["identical request", "same idempotency key"],
        "manual_reconciliation" => &["reconcile by hand"],
        other => panic!("an error with the action {other}: {what}"),
    };
    for phrase in required {
        assert!(contains(fix, phrase), "missing {phrase:?}: {what}");
    }
    // Where the payout may exist, a fix text never advises a new key.
    if kind != "rejected" {
        assert!(
            !fix.contains("NEW idempotency key"),
            "advises a new key: {what}"
        );
    }
    if kind == "manual_reconciliation" {
        let message = action["message"].as_str().unwrap();
        assert!(
            contains(message, "do not resend") || contains(message, "do not send"),
            "{what}"
        );
    }
}

fn run(operation: &str, config: &str, outcome: &Value, attempt: Option<Value>) -> Value {
    let mut input = json!({
        "config": serde_json::from_str::<Value>(config).unwrap(),
        "outcome": outcome,
    });
    if let Some(attempt) = attempt {
        input["attempt"] = attempt;
    }
    crate::operations::run(operation, input).unwrap()
}

#[test]
fn fix_texts_agree_with_next_actions_for_every_create_answer() {
    let key = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6";
    let t0 = 1_715_588_505_i64;
    let attempts = [
        None,
        Some(
            json!({"idempotency_key": key, "reference_ids": ["r1"], "first_sent_at": t0, "now": t0 + 5}),
        ),
        Some(
            json!({"idempotency_key": key, "reference_ids": ["r1"], "first_sent_at": t0, "now": t0 + 86_400}),
        ),
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for outcome in pivot_outcomes() {
        for attempt in &attempts {
            let out = run(
                "pivot.parse_create_payout",
                PIVOT_CONFIG,
                &outcome,
                attempt.clone(),
            );
            let action = &out["next_action"];
            kinds.insert(action["kind"].as_str().unwrap().to_owned());
            if out["error"].is_null() {
                assert_eq!(action["kind"], "accepted");
                continue;
            }
            let code = ErrorCode::from_code(out["error"]["code"].as_str().unwrap()).unwrap();
            check("pivot", &outcome, action, code);
            // Pivot cannot be queried by reference: it never says query_first.
            assert_ne!(action["kind"], "query_first", "pivot {outcome}");
        }
    }
    for expected in [
        "rejected",
        "refresh_token_and_resend",
        "resend_same_key_after",
        "resend_same_request",
        "manual_reconciliation",
    ] {
        assert!(kinds.contains(expected), "pivot never gave {expected}");
    }
    let mut kinds = std::collections::BTreeSet::new();
    for outcome in gateway_outcomes() {
        let out = run(
            "gateway.parse_create_withdraw",
            GATEWAY_CONFIG,
            &outcome,
            None,
        );
        let action = &out["next_action"];
        kinds.insert(action["kind"].as_str().unwrap().to_owned());
        if out["error"].is_null() {
            continue;
        }
        let code = ErrorCode::from_code(out["error"]["code"].as_str().unwrap()).unwrap();
        check("gateway", &outcome, action, code);
    }
    for expected in ["rejected", "resend_same_key_after", "query_first"] {
        assert!(
            kinds.contains(expected),
            "the gateway never gave {expected}"
        );
    }
}

/// The shared HTTP-status rule: whatever code the body carries, a redirect, 5xx, 408 and a
/// status that is no final HTTP answer (0, 1xx, 600 and above) are unknown outcomes and 429 is
/// throttling, for both providers.
#[test]
fn the_status_decides_before_the_body_for_every_provider() {
    for status in [
        0_u16, 100, 199, 301, 302, 303, 307, 308, 408, 500, 502, 503, 504, 429, 600, 999,
    ] {
        for outcome in pivot_outcomes()
            .into_iter()
            .filter(|o| o["response"]["status"] == json!(status))
        {
            let out = run("pivot.parse_create_payout", PIVOT_CONFIG, &outcome, None);
            let expected = if status == 429 {
                "resend_same_key_after"
            } else {
                "resend_same_request"
            };
            assert_eq!(out["next_action"]["kind"], expected, "pivot {outcome}");
        }
        for outcome in gateway_outcomes()
            .into_iter()
            .filter(|o| o["response"]["status"] == json!(status))
        {
            let out = run(
                "gateway.parse_create_withdraw",
                GATEWAY_CONFIG,
                &outcome,
                None,
            );
            let expected = if status == 429 {
                "resend_same_key_after"
            } else {
                "query_first"
            };
            assert_eq!(out["next_action"]["kind"], expected, "gateway {outcome}");
        }
    }
}

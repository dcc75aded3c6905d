//! The model's values read back by the core's reader from what the core's writer wrote:
//! `FromJson(ToJson(x)) == x` for every class the Python binding pickles (and every enum inside
//! them), which is what pickling relies on. The text is also serde_json's, so a pickle written
//! while pickling went through serde reads back the same.

use kirim::http::{Acknowledgement, Header};
use kirim::providers::common::TestCallbackEvent;
use kirim::providers::gateway::{QueryResult, WithdrawOrderInput, WithdrawOrderState};
use kirim::providers::pivot::{
    BatchStatus, PayoutBatch, PayoutDestination, PayoutItemInput, PayoutItemState,
};
use kirim::read::{FromJson, Val, parse};
use kirim::status::{
    Confirmation, Failure, FailureReason, NextAction, PayoutStatus, ReconciliationReason,
    RetryAdvice,
};
use kirim::write::{ToJson, to_string};
use kirim::{Authenticity, Currency, Money, PayoutEvent, PayoutTotals, Provider, Warning};
use serde::Serialize;
use std::fmt::Debug;

mod support;

fn round_trip<T: ToJson + FromJson + Serialize + PartialEq + Debug>(values: &[T]) {
    for value in values {
        let text = to_string(value);
        let serde_text = serde_json::to_string(value).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(text, serde_text, "{value:?}");
        let tree = parse(text.as_bytes()).unwrap_or_else(|e| unreachable!("{text}: {e:?}"));
        match T::from_json(&Val::root(&tree, "")) {
            Ok(back) => assert_eq!(&back, value, "{text}"),
            Err(m) => unreachable!("{text}: {} {}", m.path, m.detail),
        }
    }
}

/// Texts a writer or reader could get wrong: escapes, control characters, non-ASCII, empty.
const TEXTS: [&str; 4] = [
    "plain",
    "",
    "a \"quoted\" \\ back\nslash\t\u{1}\u{1f}",
    "é€😀 ñ",
];

fn money(minor_units: i64) -> Money {
    Money::new(minor_units, Currency::Idr)
}

const AMOUNTS: [i64; 7] = [0, 1, 5, -5, 10_000_000, i64::MAX, i64::MIN];

fn failures() -> Vec<Failure> {
    let reasons = [
        FailureReason::InvalidAccount,
        FailureReason::InactiveAccount,
        FailureReason::NameMismatch,
        FailureReason::BeneficiaryLimit,
        FailureReason::BankNetworkError,
        FailureReason::RejectedByBank,
        FailureReason::InsufficientBalance,
        FailureReason::NotEligible,
        FailureReason::TemporaryError,
        FailureReason::ProviderError,
        FailureReason::Other,
    ];
    let retries = [
        RetryAdvice::DoNotRetry,
        RetryAdvice::RetryAfterDelay {
            min_delay_seconds: 0,
        },
        RetryAdvice::RetryAfterDelay {
            min_delay_seconds: u32::MAX,
        },
        RetryAdvice::RetryTomorrow,
        RetryAdvice::RetryAfterStatusCheck,
        RetryAdvice::ContactProvider,
    ];
    reasons
        .iter()
        .zip(retries.iter().cycle())
        .zip(TEXTS.iter().cycle())
        .enumerate()
        .map(|(i, ((reason, retry), text))| Failure {
            reason: *reason,
            retry: *retry,
            provider_code: (i % 2 == 0).then(|| format!("E{i}")),
            provider_text: (i % 3 != 0).then(|| (*text).to_owned()),
        })
        .collect()
}

fn warnings() -> Vec<Warning> {
    TEXTS
        .iter()
        .map(|t| Warning::new(format!("data.{t}"), *t))
        .collect()
}

fn totals() -> Vec<PayoutTotals> {
    vec![
        PayoutTotals {
            pending_count: None,
            pending_amount: None,
            success_count: None,
            success_amount: None,
            failed_count: None,
            failed_amount: None,
            cancelled_count: None,
            cancelled_amount: None,
        },
        PayoutTotals {
            pending_count: Some(0),
            pending_amount: Some(money(0)),
            success_count: Some(u64::MAX),
            success_amount: Some(money(i64::MAX)),
            failed_count: Some(2),
            failed_amount: Some(money(150)),
            cancelled_count: Some(1),
            cancelled_amount: Some(money(-1)),
        },
    ]
}

const STATUSES: [PayoutStatus; 8] = support::statuses::ALL;

#[test]
fn money_and_its_parts_round_trip() {
    round_trip(&AMOUNTS.map(money));
    round_trip(&warnings());
    round_trip(&totals());
    round_trip(&failures());
}

#[test]
fn every_variant_of_the_enums_inside_the_model_round_trips() {
    round_trip(&STATUSES);
    round_trip(&[Confirmation::Confirmed, Confirmation::Tentative]);
    round_trip(&[Provider::Pivot, Provider::Gateway, Provider::PaperId]);
    round_trip(&[
        Authenticity::ApiKey,
        Authenticity::Signature,
        Authenticity::SharedToken,
        Authenticity::SourceAddress,
        Authenticity::SharedTokenAndSourceAddress,
        Authenticity::Unverified,
    ]);
    round_trip(&[
        BatchStatus::InProgress,
        BatchStatus::Done,
        BatchStatus::Pending,
        BatchStatus::Unknown,
    ]);
    round_trip(&[
        ReconciliationReason::KeyWindowOver,
        ReconciliationReason::IdempotencyConflict,
        ReconciliationReason::InvalidState,
    ]);
    round_trip(&failures().into_iter().map(|f| f.retry).collect::<Vec<_>>());
}

#[test]
fn next_actions_round_trip() {
    round_trip(&[
        NextAction::Accepted,
        NextAction::Rejected {
            new_idempotency_key_required: true,
        },
        NextAction::Rejected {
            new_idempotency_key_required: false,
        },
        NextAction::RefreshTokenAndResend,
        NextAction::ResendSameKeyAfter { delay_seconds: 60 },
        NextAction::QueryFirst,
        NextAction::ResendSameRequest,
        NextAction::manual(ReconciliationReason::InvalidState, ""),
        NextAction::ManualReconciliation {
            reason: ReconciliationReason::KeyWindowOver,
            idempotency_key: Some("k".repeat(16)),
            reference_ids: TEXTS.iter().map(|t| (*t).to_owned()).collect(),
            first_sent_at: Some(-1),
            message: TEXTS[2].to_owned(),
        },
    ]);
}

#[test]
fn events_round_trip() {
    let bare = PayoutEvent {
        provider: Provider::PaperId,
        authenticity: Authenticity::Unverified,
        confirmation: Confirmation::Tentative,
        payout_id: None,
        reference_id: None,
        status: PayoutStatus::Unknown,
        raw_status: String::new(),
        raw_event: None,
        amount: None,
        failure: None,
        occurred_at: None,
        requires_query: true,
        totals: None,
        warnings: vec![],
        real_amount: None,
        fee: None,
    };
    let full = PayoutEvent {
        provider: Provider::Gateway,
        authenticity: Authenticity::Signature,
        confirmation: Confirmation::Confirmed,
        payout_id: Some("p-1".into()),
        reference_id: Some(TEXTS[3].into()),
        status: PayoutStatus::Failed,
        raw_status: "3".into(),
        raw_event: Some(TEXTS[2].into()),
        amount: Some(money(10_000_000)),
        failure: failures().into_iter().nth(1),
        occurred_at: Some(i64::MIN),
        requires_query: false,
        totals: totals().into_iter().nth(1),
        warnings: warnings(),
        real_amount: Some(money(9_999_900)),
        fee: Some(money(100)),
    };
    let mut values = vec![bare, full.clone()];
    values.extend(STATUSES.iter().map(|status| PayoutEvent {
        status: *status,
        ..full.clone()
    }));
    round_trip(&values);
}

#[test]
fn acknowledgements_round_trip_with_any_body() {
    let bodies: [&[u8]; 4] = [b"", b"OK", "é€😀\n\"".as_bytes(), &[0xff, 0x00, b'a']];
    round_trip(
        &bodies
            .iter()
            .enumerate()
            .map(|(i, body)| Acknowledgement {
                status: [200, 0, u16::MAX, 500][i],
                headers: TEXTS
                    .iter()
                    .take(i)
                    .map(|t| Header::new(format!("X-{i}"), *t))
                    .collect(),
                body: body.to_vec(),
                provider_will_retry: i % 2 == 1,
            })
            .collect::<Vec<_>>(),
    );
}

#[test]
fn pivot_inputs_and_states_round_trip() {
    let destinations = [
        PayoutDestination::Inquiry {
            inquiry_id: "inq-1".into(),
        },
        PayoutDestination::Account {
            channel_code: "BCA".into(),
            account_number: "0123456789".into(),
            account_name: TEXTS[3].into(),
        },
    ];
    round_trip(&destinations);
    round_trip(
        &destinations
            .iter()
            .enumerate()
            .map(|(i, destination)| PayoutItemInput {
                reference_id: format!("ref-{i}"),
                destination: destination.clone(),
                amount: money(100_000 * (i as i64 + 1)),
                description: (i == 1).then(|| TEXTS[2].to_owned()),
            })
            .collect::<Vec<_>>(),
    );
    let bare = PayoutItemState {
        reference_id: String::new(),
        status: PayoutStatus::Unknown,
        raw_status: String::new(),
        amount: None,
        failure: None,
        inquiry_id: None,
        channel_code: None,
        account_number: None,
        account_name: None,
        description: None,
        created_at: None,
        updated_at: None,
    };
    let full = PayoutItemState {
        reference_id: "ref-1".into(),
        status: PayoutStatus::Succeeded,
        raw_status: "SUCCESS".into(),
        amount: Some(money(5_000_000)),
        failure: failures().into_iter().next(),
        inquiry_id: Some("inq-1".into()),
        channel_code: Some("BCA".into()),
        account_number: Some("0123".into()),
        account_name: Some(TEXTS[3].into()),
        description: Some(TEXTS[2].into()),
        created_at: Some(0),
        updated_at: Some(i64::MAX),
    };
    let items = vec![bare.clone(), full.clone()];
    round_trip(&items);
    let batches: Vec<PayoutBatch> = [
        None,
        Some(BatchStatus::InProgress),
        Some(BatchStatus::Done),
        Some(BatchStatus::Pending),
        Some(BatchStatus::Unknown),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, batch_status)| PayoutBatch {
        payout_id: format!("uuid-{i}"),
        merchant_id: (i > 0).then(|| "m".to_owned()),
        batch_status,
        raw_batch_status: batch_status.map(|_| "IN PROGRESS".to_owned()),
        items: items.iter().take(i).cloned().collect(),
        totals: totals().into_iter().nth(i % 3),
        created_at: (i > 1).then_some(1_700_000_000),
        updated_at: (i > 2).then_some(-1),
        warnings: warnings().into_iter().take(i).collect(),
    })
    .collect();
    round_trip(&batches);
}

#[test]
fn gateway_inputs_and_states_round_trip() {
    round_trip(&[
        WithdrawOrderInput {
            payout_cl_id: "cl-1".into(),
            amount: money(10_000_000),
            bank_name: "BCA".into(),
            name: TEXTS[3].into(),
            number: "0123".into(),
            notify_url: None,
        },
        WithdrawOrderInput {
            payout_cl_id: String::new(),
            amount: money(1),
            bank_name: String::new(),
            name: TEXTS[2].into(),
            number: String::new(),
            notify_url: Some("https://example.test/notify?a=1&b=\"2\"".into()),
        },
    ]);
    let bare = WithdrawOrderState {
        payout_id: None,
        payout_cl_id: None,
        platform_id: None,
        status: PayoutStatus::Unknown,
        raw_status: String::new(),
        amount: None,
        real_amount: None,
        fee: None,
        bank_name: None,
        name: None,
        number: None,
        failure: None,
        created_at: None,
        updated_at: None,
    };
    let full = WithdrawOrderState {
        payout_id: Some("p-1".into()),
        payout_cl_id: Some("cl-1".into()),
        platform_id: Some("plat001".into()),
        status: PayoutStatus::Failed,
        raw_status: "3".into(),
        amount: Some(money(10_000_000)),
        real_amount: Some(money(0)),
        fee: Some(money(-100)),
        bank_name: Some("BCA".into()),
        name: Some(TEXTS[3].into()),
        number: Some(TEXTS[2].into()),
        failure: failures().into_iter().nth(4),
        created_at: Some(i64::MIN),
        updated_at: Some(i64::MAX),
    };
    let orders = vec![bare, full];
    round_trip(&orders);
    round_trip(&[
        QueryResult {
            total: None,
            orders: vec![],
            warnings: vec![],
        },
        QueryResult {
            total: Some(u64::MAX),
            orders,
            warnings: warnings(),
        },
    ]);
}

#[test]
fn test_callback_events_round_trip() {
    round_trip(
        &STATUSES
            .iter()
            .enumerate()
            .map(|(i, status)| TestCallbackEvent {
                status: *status,
                amount: money(AMOUNTS[i % AMOUNTS.len()]),
                payout_id: TEXTS[i % TEXTS.len()].to_owned(),
                reference_id: (i % 2 == 0).then(|| format!("ref-{i}")),
                failure_reason: (i % 3 == 0).then(|| TEXTS[2].to_owned()),
            })
            .collect::<Vec<_>>(),
    );
}

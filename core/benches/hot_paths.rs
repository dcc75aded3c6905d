//! Native hot paths against their floor, measured in the same run.
//!
//! Each operation has a `kirim` benchmark and a `floor` benchmark: a bare typed serde parse of
//! the same bytes plus the same hash or key comparison, with nothing else (no validation, no
//! normalization, no error classification). `bench/ratios.py` reads criterion's estimates and
//! prints the table of ratios.

// A benchmark harness: failing loudly on a broken fixture is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{Criterion, criterion_group, criterion_main};
use kirim::providers::pivot::{
    PayoutDestination, PayoutItemInput, Pivot, PivotConfig, SANDBOX_URL,
};
use kirim::secret::constant_time_eq;
use kirim::{Header, Money, Secret};
use serde::{Deserialize, Serialize};
use std::hint::black_box;

const NOW: i64 = 1_715_588_505;
const KEY: &str = "cb-key-current";

fn pivot() -> Pivot {
    let mut config = PivotConfig::new(SANDBOX_URL, "kirim-merchant", Secret::new("kirim-secret"));
    config.callback_api_keys = vec![Secret::new(KEY)];
    Pivot::new(config).unwrap()
}

const SINGLE: &[u8] = br#"{"event":"PAYOUT.SUCCESS","data":{"uuid":"d6a46a2c-1b26-40c5-9ca3-e063e69635a0","merchantId":"922e39ab-7565-49f6-b84f-fb56122821ae","payouts":{"referenceId":"TestReforzaPivot001","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS","reason":null}}}"#;
const BULK: &[u8] = br#"{"event":"PAYOUT.DONE","data":{"uuid":"d6a46a2c-1b26-40c5-9ca3-e063e69635a0","merchantId":"922e39ab-7565-49f6-b84f-fb56122821ae","payoutResults":{"totalPendingCount":0,"totalPendingAmount":0,"totalSuccessCount":1,"totalSuccessAmount":100000,"totalFailedCount":0,"totalFailedAmount":0,"totalCancelledCount":0,"totalCancelledAmount":0},"status":"DONE"}}"#;

// ---- the floor: typed serde structs with nothing else ---------------------------------------

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct FloorAmount {
    currency: String,
    value: String,
}
#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct FloorItem {
    reference_id: String,
    amount: FloorAmount,
    status: String,
    reason: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct FloorTotals {
    total_pending_count: u64,
    total_pending_amount: u64,
    total_success_count: u64,
    total_success_amount: u64,
    total_failed_count: u64,
    total_failed_amount: u64,
    total_cancelled_count: u64,
    total_cancelled_amount: u64,
}
#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct FloorData {
    uuid: String,
    merchant_id: String,
    payouts: Option<FloorItem>,
    payout_results: Option<FloorTotals>,
    status: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorCallback {
    event: String,
    data: FloorData,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FloorOutAmount<'a> {
    value: String,
    currency: &'a str,
}
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FloorOutItem<'a> {
    reference_id: &'a str,
    inquiry_id: &'a str,
    amount: FloorOutAmount<'a>,
    description: &'a str,
}
#[derive(Serialize)]
struct FloorOut<'a> {
    payouts: Vec<FloorOutItem<'a>>,
}

fn items(n: usize) -> Vec<PayoutItemInput> {
    (0..n)
        .map(|i| PayoutItemInput {
            reference_id: format!("order-{i}"),
            destination: PayoutDestination::Inquiry {
                inquiry_id: "d6a46a2c-1b26-40c5-9ca3-e063e69635a0".into(),
            },
            amount: Money::idr(100_000).unwrap(),
            description: Some("Payout".into()),
        })
        .collect()
}

fn callbacks(c: &mut Criterion) {
    let pivot = pivot();
    let headers = vec![Header::new("X-API-Key", KEY)];
    for (name, body) in [
        ("pivot_single_callback", SINGLE),
        ("pivot_bulk_callback", BULK),
    ] {
        let mut group = c.benchmark_group(name);
        group.bench_function("kirim", |b| {
            b.iter(|| {
                pivot
                    .verify_callback(black_box(&headers), black_box(body))
                    .unwrap()
            })
        });
        group.bench_function("floor", |b| {
            b.iter(|| {
                assert!(constant_time_eq(
                    black_box(KEY.as_bytes()),
                    black_box(KEY.as_bytes())
                ));
                serde_json::from_slice::<FloorCallback>(black_box(body)).unwrap()
            })
        });
        group.finish();
    }
}

fn create_requests(c: &mut Criterion) {
    let pivot = pivot();
    let token =
        kirim::providers::pivot::AccessToken::new(Secret::new("eyJ.x.y"), "Bearer", NOW + 900);
    let key = "kirimPayout000000000000000000001";
    for n in [1usize, 100] {
        let input = items(n);
        let refs: Vec<String> = (0..n).map(|i| format!("order-{i}")).collect();
        let mut group = c.benchmark_group(format!("pivot_create_payout_{n}"));
        group.bench_function("kirim", |b| {
            b.iter(|| {
                pivot
                    .create_payout_request(black_box(&token), NOW, key, black_box(&input))
                    .unwrap()
            })
        });
        group.bench_function("floor", |b| {
            b.iter(|| {
                let out = FloorOut {
                    payouts: refs
                        .iter()
                        .map(|r| FloorOutItem {
                            reference_id: r,
                            inquiry_id: "d6a46a2c-1b26-40c5-9ca3-e063e69635a0",
                            amount: FloorOutAmount {
                                value: 100_000.to_string(),
                                currency: "IDR",
                            },
                            description: "Payout",
                        })
                        .collect(),
                };
                serde_json::to_vec(black_box(&out)).unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, callbacks, create_requests);
criterion_main!(benches);

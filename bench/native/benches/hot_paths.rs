//! Native hot paths against their floor, measured in the same run.
//!
//! Each operation has a `kirim` benchmark and a `floor` benchmark: a bare typed serde parse of
//! the same bytes plus the same hash or key comparison, with nothing else (no validation, no
//! normalization, no error classification). `bench/native_table.py` reads criterion's estimates and
//! prints the table of ratios.

// A benchmark harness: failing loudly on a broken fixture is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use kirim::providers::gateway::{Gateway, GatewayConfig, WithdrawOrderInput};
use kirim::providers::pivot::{
    PayoutDestination, PayoutItemInput, Pivot, PivotConfig, SANDBOX_URL,
};
use kirim::secret::constant_time_eq;
use kirim::signing::SignType;
use kirim::{Header, Money, Secret};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::hint::black_box;
use subtle::ConstantTimeEq;

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

// ---- the platform_id gateway --------------------------------------------------------------

const GATEWAY_KEY: &str = "ThisIsYourSecretKey123";
/// The spec's example notification, MD5 (sign_type absent); from the shared vectors.
const NOTIFY_MD5: &[u8] = br#"{"payout_id":"POT00000102","payout_cl_id":"97a968b4a9db497c8c03198e395a38c6","platform_id":"PF0002","amount":400000,"real_amount":400000,"fee":3200,"status":2,"create_time":1567614049,"update_time":1567614111,"sign":"f4a624524f415aa2746e9abce52bb69f"}"#;
/// The same notification, status 1, HMAC-SHA256; from the shared vectors.
const NOTIFY_HMAC: &[u8] = br#"{"payout_id":"POT00000102","payout_cl_id":"97a968b4a9db497c8c03198e395a38c6","platform_id":"PF0002","amount":400000,"real_amount":400000,"fee":3200,"status":1,"create_time":1567614049,"update_time":1567614111,"sign_type":"HMAC-SHA256","sign":"dab18c8771939ab639ce337817c98f00044d5f9c3c3d378b78c57e0e23a8248b"}"#;

fn gateway(sign_type: SignType) -> Gateway {
    let mut config = GatewayConfig::new(
        "https://payment.example",
        "PF0002",
        Secret::new(GATEWAY_KEY),
    );
    config.sign_type = sign_type;
    Gateway::new(config).unwrap()
}

/// The floor's notification: the known fields, typed, nothing else.
#[derive(Deserialize)]
struct FloorNotification {
    payout_id: String,
    payout_cl_id: String,
    platform_id: String,
    amount: u64,
    real_amount: u64,
    fee: u64,
    status: u64,
    create_time: u64,
    update_time: u64,
    sign_type: Option<String>,
    sign: String,
}

/// The canonical string of the floor's notification (its fields are known and sorted).
fn floor_canonical(n: &FloorNotification) -> String {
    format!(
        "amount={}&create_time={}&fee={}&payout_cl_id={}&payout_id={}&platform_id={}&real_amount={}&status={}&update_time={}",
        n.amount,
        n.create_time,
        n.fee,
        n.payout_cl_id,
        n.payout_id,
        n.platform_id,
        n.real_amount,
        n.status,
        n.update_time
    )
}

fn floor_digest(canonical: &str, hmac: bool) -> Vec<u8> {
    if hmac {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(GATEWAY_KEY.as_bytes()).unwrap();
        mac.update(canonical.as_bytes());
        mac.finalize().into_bytes().to_vec()
    } else {
        let mut hasher = Md5::new();
        hasher.update(canonical.as_bytes());
        hasher.update(b"&");
        hasher.update(GATEWAY_KEY.as_bytes());
        hasher.finalize().to_vec()
    }
}

fn gateway_notifications(c: &mut Criterion) {
    for (name, body, sign_type) in [
        ("gateway_notification_md5", NOTIFY_MD5, SignType::Md5),
        (
            "gateway_notification_hmac",
            NOTIFY_HMAC,
            SignType::HmacSha256,
        ),
    ] {
        let gateway = gateway(sign_type);
        let mut group = c.benchmark_group(name);
        group.bench_function("kirim", |b| {
            b.iter(|| gateway.verify_notification(black_box(body)).unwrap())
        });
        group.bench_function("floor", |b| {
            b.iter(|| {
                let n = serde_json::from_slice::<FloorNotification>(black_box(body)).unwrap();
                let hmac = n.sign_type.as_deref() == Some("HMAC-SHA256");
                let expected = hex::encode(floor_digest(&floor_canonical(&n), hmac));
                assert!(bool::from(
                    expected
                        .as_bytes()
                        .ct_eq(n.sign.to_ascii_lowercase().as_bytes())
                ));
                n
            })
        });
        group.finish();
    }
}

/// The floor's order body: the same fields in the same order, typed.
#[derive(Serialize)]
struct FloorOrder<'a> {
    amount: i64,
    bank_name: &'a str,
    currency: &'a str,
    name: &'a str,
    notify_url: &'a str,
    number: &'a str,
    payout_cl_id: &'a str,
    platform_id: &'a str,
    request_time: i64,
    service_id: &'a str,
    sign: String,
    sign_type: &'a str,
}

fn gateway_create(c: &mut Criterion) {
    let gateway = gateway(SignType::HmacSha256);
    let order = WithdrawOrderInput {
        payout_cl_id: "DEVPOT00143538".into(),
        amount: Money::idr(500).unwrap(),
        bank_name: "BCA".into(),
        name: "test_name".into(),
        number: "4088748280272397".into(),
        notify_url: Some("https://xxx.xx/notification".into()),
    };
    let now = 1_595_504_997;
    let mut group = c.benchmark_group("gateway_create_withdraw");
    group.bench_function("kirim", |b| {
        b.iter(|| {
            gateway
                .create_withdraw_request(black_box(&order), black_box(now))
                .unwrap()
        })
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            let order = black_box(&order);
            let cents = 500 * 100;
            let notify_url = order.notify_url.as_deref().unwrap_or_default();
            let canonical = format!(
                "amount={cents}&bank_name={}&currency=idr&name={}&notify_url={notify_url}&number={}&payout_cl_id={}&platform_id=PF0002&request_time={now}&service_id=SVC0004",
                order.bank_name, order.name, order.number, order.payout_cl_id
            );
            let sign = hex::encode(floor_digest(&canonical, true));
            serde_json::to_vec(&FloorOrder {
                amount: cents,
                bank_name: &order.bank_name,
                currency: "idr",
                name: &order.name,
                notify_url,
                number: &order.number,
                payout_cl_id: &order.payout_cl_id,
                platform_id: "PF0002",
                request_time: black_box(now),
                service_id: "SVC0004",
                sign,
                sign_type: "HMAC-SHA256",
            })
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    callbacks,
    create_requests,
    gateway_notifications,
    gateway_create
);
criterion_main!(benches);

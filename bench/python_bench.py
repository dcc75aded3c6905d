#!/usr/bin/env python3
"""The Python rows of the benchmark table: each hot operation through the kirim wheel (its typed
API) against an idiomatic plain-Python implementation of the same work with the standard library
(json, hmac, hashlib, a dict-to-object mapping), measured in the same run; the per-call overhead
of a trivial call into the native module; and resident memory growth over many calls.

Prints one JSON object (read by bench/table.py). Usage: python_bench.py [--short]
Run with the interpreter of a venv where the wheel is installed."""
from __future__ import annotations

import gc
import hashlib
import hmac
import json
import re
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

import kirim
from kirim import _native
from kirim.gateway import Gateway, GatewayConfig, WithdrawOrderInput
from kirim.pivot import AccessToken, InquiryDestination, PayoutItemInput, Pivot, PivotConfig

SHORT = "--short" in sys.argv
NOW = 1_715_588_505
PIVOT_KEYS = ("cb-key-current", "cb-key-previous")
GATEWAY_KEY = "ThisIsYourSecretKey123"

# The same bytes as bench/native/benches/hot_paths.rs (from the shared vectors).
SINGLE = b'{"event":"PAYOUT.SUCCESS","data":{"uuid":"d6a46a2c-1b26-40c5-9ca3-e063e69635a0","merchantId":"922e39ab-7565-49f6-b84f-fb56122821ae","payouts":{"referenceId":"TestReforzaPivot001","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS","reason":null}}}'
BULK = b'{"event":"PAYOUT.DONE","data":{"uuid":"d6a46a2c-1b26-40c5-9ca3-e063e69635a0","merchantId":"922e39ab-7565-49f6-b84f-fb56122821ae","payoutResults":{"totalPendingCount":0,"totalPendingAmount":0,"totalSuccessCount":1,"totalSuccessAmount":100000,"totalFailedCount":0,"totalFailedAmount":0,"totalCancelledCount":0,"totalCancelledAmount":0},"status":"DONE"}}'
NOTIFY_MD5 = b'{"payout_id":"POT00000102","payout_cl_id":"97a968b4a9db497c8c03198e395a38c6","platform_id":"PF0002","amount":400000,"real_amount":400000,"fee":3200,"status":2,"create_time":1567614049,"update_time":1567614111,"sign":"f4a624524f415aa2746e9abce52bb69f"}'
NOTIFY_HMAC = b'{"payout_id":"POT00000102","payout_cl_id":"97a968b4a9db497c8c03198e395a38c6","platform_id":"PF0002","amount":400000,"real_amount":400000,"fee":3200,"status":1,"create_time":1567614049,"update_time":1567614111,"sign_type":"HMAC-SHA256","sign":"dab18c8771939ab639ce337817c98f00044d5f9c3c3d378b78c57e0e23a8248b"}'
HEADERS = [("X-API-Key", "cb-key-current"), ("Content-Type", "application/JSON")]
INQUIRY_ID = "d6a46a2c-1b26-40c5-9ca3-e063e69635a0"

# ---- kirim, through the wheel's typed API -----------------------------------------------------

pivot = Pivot(PivotConfig("https://api-stg.pivot-payment.com", "kirim-merchant", "kirim-secret",
                          callback_api_keys=PIVOT_KEYS))
gateway = Gateway(GatewayConfig("https://payment.example", "PF0002", GATEWAY_KEY))
token = AccessToken("eyJ.sandbox.token", NOW + 900)
order = WithdrawOrderInput("DEVPOT00143538", Decimal("500"), "BCA", "test_name", "4088748280272397",
                           "https://xxx.xx/notification")


def items(n: int) -> List[PayoutItemInput]:
    return [PayoutItemInput(f"order-{i}", InquiryDestination(INQUIRY_ID), Decimal("100000"), "Payout")
            for i in range(n)]


ITEMS = {1: items(1), 100: items(100)}

# ---- plain Python: the same work with the standard library ------------------------------------


@dataclass(frozen=True)
class PlainEvent:
    provider: str
    authenticity: str
    payout_id: Optional[str]
    reference_id: Optional[str]
    status: str
    raw_status: str
    amount_minor: Optional[int]
    currency: Optional[str]
    failure: Optional[str]
    occurred_at: Optional[int]
    requires_query: bool
    totals: Optional[Dict[str, int]]


@dataclass(frozen=True)
class PlainRequest:
    method: str
    url: str
    headers: Tuple[Tuple[str, str], ...]
    body: bytes


class Forged(Exception):
    pass


PIVOT_STATUS = {"SUCCESS": "succeeded", "FAILED": "failed", "PENDING": "pending",
                "PROCESSING": "processing", "CANCELLED": "cancelled", "DONE": "completed"}
GATEWAY_STATUS = {0: "pending", 1: "pending", 2: "processing", 3: "succeeded", 4: "failed", 5: "failed"}
DIGITS = re.compile(r"-?\d+")


def minor_units(value: str) -> int:
    amount = Decimal(value)
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise ValueError("amount has more than 2 decimals")
    return int(minor)


def plain_pivot_callback(headers: List[Tuple[str, str]], body: bytes) -> List[PlainEvent]:
    presented = next((v for k, v in headers if k.lower() == "x-api-key"), "").encode()
    ok = False
    for key in PIVOT_KEYS:
        ok |= hmac.compare_digest(presented, key.encode())
    if not ok:
        raise Forged("X-API-Key")
    doc = json.loads(body)
    data = doc["data"]
    event = doc["event"]
    item = data.get("payouts")
    if item is not None:
        amount = item["amount"]
        status = PIVOT_STATUS.get(item["status"], "unknown")
        return [PlainEvent("pivot", "api_key", data["uuid"], item["referenceId"], status, item["status"],
                           minor_units(amount["value"]), amount["currency"], item.get("reason"), None,
                           status == "unknown", None)]
    totals = {k: int(v) for k, v in data["payoutResults"].items()}
    return [PlainEvent("pivot", "api_key", data["uuid"], None, PIVOT_STATUS.get(data["status"], "unknown"),
                       data["status"], None, None, None, None, False, totals)]


def render(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def canonical(params: Dict[str, Any]) -> str:
    pairs = []
    for key in sorted(params):
        if key in ("sign", "sign_type"):
            continue
        text = render(params[key])
        if text:
            pairs.append(f"{key}={text}")
    return "&".join(pairs)


def plain_gateway_notification(body: bytes) -> PlainEvent:
    params = json.loads(body)
    text = canonical(params).encode()
    key = GATEWAY_KEY.encode()
    if params.get("sign_type") == "HMAC-SHA256":
        expected = hmac.new(key, text, hashlib.sha256).hexdigest()
    else:
        expected = hashlib.md5(text + b"&" + key).hexdigest()
    if not hmac.compare_digest(expected.encode(), str(params.get("sign", "")).lower().encode()):
        raise Forged("sign")
    if params.get("platform_id") not in (None, "PF0002"):
        raise ValueError("platform_id")
    raw = int(params["status"])
    status = GATEWAY_STATUS.get(raw, "unknown")
    return PlainEvent("gateway", "signature", params["payout_id"], params["payout_cl_id"], status,
                      str(raw), int(params["amount"]), "IDR", params.get("error_msg"),
                      int(params.get("update_time") or params.get("create_time")),
                      status == "unknown" or (raw == 2 and status == "succeeded"), None)


ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
ALNUM = re.compile(r"[A-Za-z0-9]{1,32}")


def plain_gateway_create(o: Dict[str, Any], now: int) -> PlainRequest:
    if not ORDER_ID.fullmatch(o["payout_cl_id"]) or not ALNUM.fullmatch(o["number"]):
        raise ValueError("invalid order")
    for field in ("bank_name", "name", "notify_url"):
        if "&" in o[field]:
            raise ValueError(field)
    params = {"amount": o["amount"] * 100, "bank_name": o["bank_name"], "currency": "idr",
              "name": o["name"], "notify_url": o["notify_url"], "number": o["number"],
              "payout_cl_id": o["payout_cl_id"], "platform_id": "PF0002", "request_time": now,
              "service_id": "SVC0004"}
    params["sign"] = hmac.new(GATEWAY_KEY.encode(), canonical(params).encode(), hashlib.sha256).hexdigest()
    params["sign_type"] = "HMAC-SHA256"
    return PlainRequest("POST", "https://payment.example/gateway/api/v2/payouts",
                        (("Content-Type", "application/json;charset=utf-8"), ("Accept", "application/json")),
                        json.dumps(params, separators=(",", ":")).encode())


PLAIN_ORDER = {"payout_cl_id": "DEVPOT00143538", "amount": 500, "bank_name": "BCA", "name": "test_name",
               "number": "4088748280272397", "notify_url": "https://xxx.xx/notification"}


def plain_pivot_create(rows: List[Dict[str, Any]], now: int, key: str) -> PlainRequest:
    if now >= NOW + 900 or not re.fullmatch(r"[A-Za-z0-9]{1,64}", key):
        raise ValueError("token expired or bad key")
    payouts = []
    for row in rows:
        if not ORDER_ID.fullmatch(row["reference_id"]):
            raise ValueError("reference_id")
        payouts.append({"referenceId": row["reference_id"], "inquiryId": row["inquiry_id"],
                        "amount": {"value": str(row["amount"]), "currency": "IDR"},
                        "description": row["description"]})
    return PlainRequest("POST", "https://api-stg.pivot-payment.com/v1/payouts",
                        (("Content-Type", "application/json"), ("Accept", "application/json"),
                         ("Authorization", "Bearer eyJ.sandbox.token"), ("X-REQUEST-ID", key)),
                        json.dumps({"payouts": payouts}, separators=(",", ":")).encode())


PLAIN_ROWS = {n: [{"reference_id": f"order-{i}", "inquiry_id": INQUIRY_ID, "amount": 100000,
                   "description": "Payout"} for i in range(n)] for n in (1, 100)}
KEY = "kirimPayout000000000000000000001"

OPS: List[Tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("pivot_single_callback", lambda: pivot.verify_callback(HEADERS, SINGLE),
     lambda: plain_pivot_callback(HEADERS, SINGLE)),
    ("pivot_bulk_callback", lambda: pivot.verify_callback(HEADERS, BULK),
     lambda: plain_pivot_callback(HEADERS, BULK)),
    ("gateway_notification_md5", lambda: gateway.verify_notification(NOTIFY_MD5),
     lambda: plain_gateway_notification(NOTIFY_MD5)),
    ("gateway_notification_hmac", lambda: gateway.verify_notification(NOTIFY_HMAC),
     lambda: plain_gateway_notification(NOTIFY_HMAC)),
    ("gateway_create_withdraw", lambda: gateway.create_withdraw_request(order, 1_595_504_997),
     lambda: plain_gateway_create(PLAIN_ORDER, 1_595_504_997)),
    ("pivot_create_payout_1", lambda: pivot.create_payout_request(token, NOW, KEY, ITEMS[1]),
     lambda: plain_pivot_create(PLAIN_ROWS[1], NOW, KEY)),
    ("pivot_create_payout_100", lambda: pivot.create_payout_request(token, NOW, KEY, ITEMS[100]),
     lambda: plain_pivot_create(PLAIN_ROWS[100], NOW, KEY)),
]


def check() -> None:
    """Both sides do the work and agree on what matters."""
    for body, plain in ((NOTIFY_MD5, plain_gateway_notification(NOTIFY_MD5)),
                        (NOTIFY_HMAC, plain_gateway_notification(NOTIFY_HMAC))):
        event = gateway.verify_notification(body)
        assert str(event.status) == plain.status, (event.status, plain.status)
        assert event.amount is not None and event.amount.minor_units == plain.amount_minor
    forged = NOTIFY_HMAC.replace(b'"fee":3200', b'"fee":3201')
    for fn in (gateway.verify_notification, plain_gateway_notification):
        try:
            fn(forged)
        except (kirim.KirimError, Forged):
            pass
        else:
            raise AssertionError("a forged notification was accepted")
    ours = plain_gateway_create(PLAIN_ORDER, 1_595_504_997).body
    theirs = gateway.create_withdraw_request(order, 1_595_504_997).body
    assert ours == theirs, (ours, theirs)
    ours = plain_pivot_create(PLAIN_ROWS[1], NOW, KEY).body
    assert json.loads(ours)["payouts"][0]["inquiryId"] == INQUIRY_ID
    assert pivot.verify_callback(HEADERS, SINGLE)[0].reference_id == plain_pivot_callback(HEADERS, SINGLE)[0].reference_id


def batch_size(fn: Callable[[], Any], target_s: float) -> int:
    """Calls per batch so that one batch takes about target_s / 5."""
    n = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        if time.perf_counter_ns() - start > target_s * 2e8 or n > 1 << 22:
            return n
        n *= 2


def per_call_ns(fns: List[Callable[[], Any]], target_s: float) -> List[float]:
    """Best of 5 batches each, in ns per call; the functions' batches alternate, so that a load
    change on this shared machine hits each of them alike."""
    sizes = [batch_size(fn, target_s) for fn in fns]
    best = [float("inf")] * len(fns)
    for _ in range(5):
        for i, (fn, n) in enumerate(zip(fns, sizes)):
            start = time.perf_counter_ns()
            for _ in range(n):
                fn()
            best[i] = min(best[i], (time.perf_counter_ns() - start) / n)
    return best


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory(calls: int) -> Dict[str, Any]:
    fn = OPS[3][1]  # gateway notification (HMAC) through the typed API
    for _ in range(20_000):
        fn()
    gc.collect()
    before = rss_kb()
    for _ in range(calls):
        fn()
    gc.collect()
    return {"operation": "gateway_notification_hmac (typed)", "calls": calls,
            "rss_before_kb": before, "growth_kb": rss_kb() - before}


def main() -> int:
    check()
    target = 0.02 if SHORT else 0.3
    rows = []
    for name, ours, plain in OPS:
        k, p = per_call_ns([ours, plain], target)
        rows.append({"operation": name, "kirim_ns": k, "plain_ns": p})
    overhead, empty = per_call_ns([lambda: _native.status_is_final("succeeded"), lambda: None], target)
    result = {"rows": rows, "trivial_call_ns": overhead, "empty_lambda_ns": empty,
              "python": sys.version.split()[0], "memory": memory(20_000 if SHORT else 1_000_000)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

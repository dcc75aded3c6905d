#!/usr/bin/env python3
"""Writes the shared vectors of the test-callback builders (tests/vectors/testkit/*.json).

The expected requests are built here, independently of kirim, from the formats of
../shared/spec/providers.md (Pivot §1.10, the gateway §2.4-2.5, Paper.id §3), and the gateway's
signatures are computed with Python's hashlib/hmac from §2.4's algorithm (checked below against
the spec's [computed] values). Each generated callback also becomes a vector of the provider's
own verify operation, so every language verifies the very bytes kirim generates.

Run `python3 tests/vectors/testkit/generate.py` and commit the result.
"""

import hashlib
import hmac
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "http://localhost/callback"
SPEC_KEY = "ThisIsYourSecretKey123"  # the gateway docs' test key (spec §2.4)

# ---- the gateway's signature (spec §2.4), checked against the spec's [computed] values --------


def canonical(fields):
    pairs = [(k, v) for k, v in fields if k not in ("sign", "sign_type") and v not in (None, "")]
    return "&".join(f"{k}={v}" for k, v in sorted(pairs, key=lambda kv: kv[0].encode()))


def sign(text, key, sign_type, key_join="ampersand", hex_case="lower"):
    if sign_type == "MD5":
        join = {"ampersand": "&", "direct": "", "ampersand_key_equals": "&key="}[key_join]
        digest = hashlib.md5((text + join + key).encode()).hexdigest()
    else:
        digest = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
    return digest.upper() if hex_case == "upper" else digest


SEED_PAYOUT = (
    "amount=50000&bank_name=BCA&currency=idr&name=test_name&notify_url=https://xxx.xx/notification"
    "&number=4088748280272397&payout_cl_id=DEVPOT00143538&platform_id=PF0002"
    "&request_time=1595504997&service_id=SVC0004"
)
assert sign(SEED_PAYOUT, SPEC_KEY, "MD5") == "346f1547fd7142da5bcf6ccaf79837cd"
assert (
    sign(SEED_PAYOUT, SPEC_KEY, "HMAC-SHA256")
    == "b69ced01c311b0e5d18a45627292776e2392ce27de9d5dc6fc0bd32c1c79f643"
)


def compact(value):
    # serde_json's compact form: no spaces, non-ASCII kept as is.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def obj(pairs):
    """A JSON object from (key, already-written JSON value) pairs, in order."""
    return "{" + ",".join(f"{compact(k)}:{v}" for k, v in pairs) + "}"


def request(url, headers, body):
    return {
        "method": "POST",
        "url": url,
        "headers": [{"name": n, "value": v} for n, v in headers],
        "body": body,
    }


def money(value):
    return {"value": value, "currency": "IDR"}


def minor(value):
    whole, _, frac = value.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def write(name, document):
    path = HERE / name
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# ---- Pivot (spec §1.10) -----------------------------------------------------------------------

PIVOT_CONFIG = {
    "base_url": "https://api-stg.pivot-payment.com",
    "merchant_id": "922e39ab-7565-49f6-b84f-fb56122821ae",
    "merchant_secret": "kirim-secret",
    "callback_api_keys": ["cb-key-current", "cb-key-previous"],
}
PIVOT_UUID = "d6a46a2c-1b26-40c5-9ca3-e063e69635a0"
PIVOT_WORDS = {
    "succeeded": ("PAYOUT.SUCCESS", "SUCCESS"),
    "failed": ("PAYOUT.FAILED", "FAILED"),
    "cancelled": ("PAYOUT.CANCELLED", "CANCELLED"),
    "pending": ("PAYOUT.PENDING", "PENDING"),
    "processing": ("PAYOUT.PROCESSING", "PROCESSING"),
    "delayed": ("PAYOUT.DELAYED", "DELAYED"),
}


def pivot_headers(key):
    return [("X-API-Key", key), ("Content-Type", "application/JSON"), ("Accept", "application/JSON")]


def pivot_single(event, key="cb-key-current", url=DEFAULT_URL):
    name, item = PIVOT_WORDS[event["status"]]
    rupiah = str(minor(event["amount"]["value"]) // 100)
    payout = obj([
        ("referenceId", compact(event["reference_id"])),
        ("amount", obj([("currency", '"IDR"'), ("value", compact(rupiah))])),
        ("status", compact(item)),
        ("reason", compact(event.get("failure_reason"))),
    ])
    data = obj([
        ("uuid", compact(event["payout_id"])),
        ("merchantId", compact(PIVOT_CONFIG["merchant_id"])),
        ("payouts", payout),
    ])
    body = obj([("event", compact(name)), ("data", data)])
    return request(url, pivot_headers(key), body)


def pivot_bulk(payouts, key="cb-key-current", url=DEFAULT_URL):
    totals = {s: [0, 0] for s in ("pending", "succeeded", "failed", "cancelled")}
    for p in payouts:
        totals[p["status"]][0] += 1
        totals[p["status"]][1] += minor(p["amount"]["value"]) // 100
    pending = totals["pending"][0] > 0
    results = obj([
        ("totalPendingCount", str(totals["pending"][0])),
        ("totalPendingAmount", str(totals["pending"][1])),
        ("totalSuccessCount", str(totals["succeeded"][0])),
        ("totalSuccessAmount", str(totals["succeeded"][1])),
        ("totalFailedCount", str(totals["failed"][0])),
        ("totalFailedAmount", str(totals["failed"][1])),
        ("totalCancelledCount", str(totals["cancelled"][0])),
        ("totalCancelledAmount", str(totals["cancelled"][1])),
    ])
    data = obj([
        ("uuid", compact(payouts[0]["payout_id"])),
        ("merchantId", compact(PIVOT_CONFIG["merchant_id"])),
        ("payoutResults", results),
        ("status", '"PENDING"' if pending else '"DONE"'),
    ])
    event = '"PAYOUT.PENDING"' if pending else '"PAYOUT.DONE"'
    return request(url, pivot_headers(key), obj([("event", event), ("data", data)]))


def pev(status, value, reference="TestReforzaPivot001", reason=None, payout_id=PIVOT_UUID):
    event = {"status": status, "amount": money(value), "payout_id": payout_id,
             "reference_id": reference}
    if reason is not None:
        event["failure_reason"] = reason
    return event


pivot_cases = [
    ("documented single example", "spec §1.10's single payload byte for byte",
     {"api_key": "cb-key-current", "event": pev("succeeded", "100000")}, {}),
    ("failed, with the state table's reason, to a given URL", None,
     {"api_key": "cb-key-previous", "url": "https://merchant.example/callbacks/pivot",
      "event": pev("failed", "250000", "INV-2", "Invalid Account")},
     {"key": "cb-key-previous", "url": "https://merchant.example/callbacks/pivot"}),
    ("cancelled without a reason", None,
     {"api_key": "cb-key-current", "event": pev("cancelled", "15000", "INV-3")}, {}),
    ("pending (waiting for a top-up)", None,
     {"api_key": "cb-key-current", "event": pev("pending", "15000", "INV-4")}, {}),
    ("processing", None,
     {"api_key": "cb-key-current", "event": pev("processing", "15000", "INV-5")}, {}),
    ("delayed", None,
     {"api_key": "cb-key-current", "event": pev("delayed", "15000", "INV-6")}, {}),
    ("ids with quotes, backslashes and non-ASCII are JSON-escaped", None,
     {"api_key": "cb-key-current",
      "event": pev("failed", "1", 'ref "q" \\ é', 'Declined due to beneficiary limit',
                   payout_id="uuid/ü")}, {}),
    ("an amount as a decimal string of rupiah", None,
     {"api_key": "cb-key-current",
      "event": {**pev("succeeded", "100000"), "amount": "100000"}}, {}),
]

pivot_errors = [
    ("reversed is not a Pivot callback status", {"event": pev("reversed", "1")},
     {"code": "invalid_field", "field": "status"}),
    ("unknown is not a Pivot callback status", {"event": pev("unknown", "1")},
     {"code": "invalid_field", "field": "status"}),
    ("sen cannot be sent (Pivot takes whole rupiah)", {"event": pev("succeeded", "100.50")},
     {"code": "fractional_amount", "field": "amount"}),
    ("a zero amount", {"event": pev("succeeded", "0")},
     {"code": "amount_out_of_range", "field": "amount"}),
    ("a negative amount", {"event": pev("succeeded", "-5")},
     {"code": "amount_out_of_range", "field": "amount"}),
    ("a bare number amount (rupiah or sen would be a guess)",
     {"event": {**pev("succeeded", "1"), "amount": 100000}}, {"code": "invalid_amount"}),
    ("no reference", {"event": {k: v for k, v in pev("succeeded", "1").items() if k != "reference_id"}},
     {"code": "invalid_field", "field": "reference_id"}),
    ("a reason with a success", {"event": pev("succeeded", "1", reason="Invalid Account")},
     {"code": "invalid_field", "field": "failure_reason"}),
    ("a reason with padding the reader would trim", {"event": pev("failed", "1", reason=" Invalid")},
     {"code": "invalid_field", "field": "failure_reason"}),
    ("an empty payout id", {"event": pev("succeeded", "1", payout_id="")},
     {"code": "invalid_field", "field": "payout_id"}),
    ("a reference with a control character", {"event": pev("succeeded", "1", "INV\n1")},
     {"code": "invalid_field", "field": "reference_id"}),
    ("a reference with a bidi override", {"event": pev("succeeded", "1", "INV\u202e1")},
     {"code": "invalid_field", "field": "reference_id"}),
    ("an empty key", {"api_key": ""}, {"code": "invalid_field", "field": "api_key"}),
    ("a key that cannot be a header value", {"api_key": "key\r\nX-Evil: 1"},
     {"code": "invalid_field", "field": "api_key"}),
    ("a URL that is not http(s)", {"url": "ftp://merchant.example/cb"},
     {"code": "invalid_field", "field": "url"}),
    ("a URL with a space", {"url": "https://merchant.example/c b"},
     {"code": "invalid_field", "field": "url"}),
    ("an unknown event field", {"event": {**pev("succeeded", "1"), "fee": "1"}},
     {"code": "unexpected_shape"}),
    ("no event", {"event": None}, {"code": "unexpected_shape"}),
]


def vectors_of(cases, build):
    out = []
    for name, description, input_, opts in cases:
        vector = {"name": name}
        if description:
            vector["description"] = description
        vector["input"] = input_
        vector["expected"] = build(input_, opts)
        out.append(vector)
    return out


def errors_of(errors, base):
    return [{"name": n, "input": {**base, **i}, "error": e} for n, i, e in errors]


def write_operation(name, operation, description, source, config, cases, build, errors, error_base):
    """One test-callback operation's file: its generated cases (`build` makes each expected
    callback), then its hostile arguments (`errors`, each over `error_base`)."""
    write(name, {
        "operation": operation,
        "description": description,
        "source": source,
        "defaults": {"config": config},
        "vectors": vectors_of(cases, build) + errors_of(errors, error_base),
    })


def as_money(amount):
    return amount if isinstance(amount, dict) else money(amount)


def normalized(event):
    return {**event, "amount": as_money(event["amount"])}


def pivot_generated(input_, opts):
    return pivot_single(normalized(input_["event"]), opts.get("key", "cb-key-current"), opts.get("url", DEFAULT_URL))


write_operation(
    "pivot_test_callback.json", "pivot.test_callback",
    "The single-payout callback Pivot sends (X-API-Key, application/JSON, the single payload), generated for an event; hostile arguments are typed errors.",
    "spec §1.8, §1.10 (the single payload); expected bodies written by tests/vectors/testkit/generate.py from the spec, not by kirim",
    PIVOT_CONFIG, pivot_cases,
    pivot_generated,
    pivot_errors, {"api_key": "cb-key-current", "event": pev("succeeded", "1")})

bulk_cases = [
    ("documented bulk example", "spec §1.10's bulk payload byte for byte",
     {"api_key": "cb-key-current", "payouts": [pev("succeeded", "100000")]}, {}),
    ("succeeded, failed and cancelled: PAYOUT.DONE", None,
     {"api_key": "cb-key-current", "payouts": [
         pev("succeeded", "100000", "A"), pev("succeeded", "5000", "B"),
         pev("failed", "7000", "C", "Dormant Account"), pev("cancelled", "3000", "D")]}, {}),
    ("one pending payout holds the request: PAYOUT.PENDING", None,
     {"api_key": "cb-key-current", "url": "https://merchant.example/cb",
      "payouts": [pev("succeeded", "100000", "A"), pev("pending", "20000", "B")]},
     {"url": "https://merchant.example/cb"}),
]
bulk_errors = [
    ("no payouts", {"payouts": []}, {"code": "invalid_field", "field": "payouts"}),
    ("payouts of two requests", {"payouts": [pev("succeeded", "1"), pev("succeeded", "1", payout_id="other")]},
     {"code": "invalid_field", "field": "payouts[1].payout_id"}),
    ("a processing payout has no total", {"payouts": [pev("processing", "1")]},
     {"code": "invalid_field", "field": "payouts[0].status"}),
    ("sen in a total", {"payouts": [pev("succeeded", "1"), pev("failed", "1.50")]},
     {"code": "fractional_amount", "field": "payouts[1].amount"}),
    ("a bad id names its payout", {"payouts": [pev("succeeded", "1", "A\u0000")]},
     {"code": "invalid_field", "field": "payouts[0].reference_id"}),
    ("a bad key", {"api_key": " padded"}, {"code": "invalid_field", "field": "api_key"}),
]
def bulk_generated(input_, opts):
    return pivot_bulk([normalized(p) for p in input_["payouts"]], opts.get("key", "cb-key-current"),
                      opts.get("url", DEFAULT_URL))


write_operation(
    "pivot_test_bulk_callback.json", "pivot.test_bulk_callback",
    "The bulk callback Pivot sends for a payout request (totals only: PAYOUT.DONE, or PAYOUT.PENDING while a payout waits), generated from the request's payouts.",
    "spec §1.8, §1.10 (the bulk payload); expected bodies written by tests/vectors/testkit/generate.py from the spec, not by kirim",
    PIVOT_CONFIG, bulk_cases,
    bulk_generated,
    bulk_errors, {"api_key": "cb-key-current", "payouts": [pev("succeeded", "1")]})

# ---- the gateway (spec §2.4, §2.5) ------------------------------------------------------------

GATEWAY_CONFIG = {
    "base_url": "https://payment.example",
    "platform_id": "PF0014",
    "platform_key": SPEC_KEY,
}
GATEWAY_STATUS = {"pending": 1, "processing": 2, "succeeded": 3, "cancelled": 4, "failed": 5}


def gateway_notification(event, key, sign_type, config, url=DEFAULT_URL):
    status_map = config.get("status_map")
    if status_map:
        status = min(int(k) for k, v in status_map.items() if v == event["status"])
    else:
        status = GATEWAY_STATUS[event["status"]]
    fields = [
        ("payout_id", event["payout_id"]),
        ("payout_cl_id", event["reference_id"]),
        ("platform_id", config["platform_id"]),
        ("amount", str(minor(event["amount"]["value"]))),
        ("status", str(status)),
    ]
    if event.get("failure_reason"):
        fields.append(("error_msg", event["failure_reason"]))
    signature = sign(canonical(fields), key, sign_type, config.get("key_join", "ampersand"),
                     config.get("hex_case", "lower"))
    pairs = [(k, v if k in ("amount", "status") else compact(v)) for k, v in fields]
    if sign_type == "HMAC-SHA256":
        pairs.append(("sign_type", '"HMAC-SHA256"'))
    pairs.append(("sign", compact(signature)))
    return request(url, [("Content-Type", "application/json;charset=utf-8")], obj(pairs))


def gev(status, value, reason=None):
    event = {"status": status, "amount": money(value), "payout_id": "POT00000102",
             "reference_id": "97a968b4a9db497c8c03198e395a38c6"}
    if reason is not None:
        event["failure_reason"] = reason
    return event


gateway_cases = []
for sign_type in ("MD5", "HMAC-SHA256"):
    for key_join in ("ampersand", "direct", "ampersand_key_equals"):
        for hex_case in ("lower", "upper"):
            if sign_type == "HMAC-SHA256" and key_join != "ampersand":
                continue  # HMAC never appends the key: the join does not apply
            config = {**GATEWAY_CONFIG, "key_join": key_join, "hex_case": hex_case}
            gateway_cases.append((
                f"{sign_type}, key join {key_join}, {hex_case} hex",
                "the documented notification's order (spec §2.5), amount Rp 4,000 in cents" if
                (sign_type, key_join, hex_case) == ("MD5", "ampersand", "lower") else None,
                {"config": config, "platform_key": SPEC_KEY, "sign_type": sign_type,
                 "event": gev("succeeded", "4000")},
                {"config": config, "sign_type": sign_type},
            ))
gateway_cases += [
    ("the configured sign type (HMAC-SHA256 by default) when none is given", None,
     {"platform_key": SPEC_KEY, "event": gev("processing", "4000")},
     {"sign_type": "HMAC-SHA256"}),
    ("failed, with error_msg (an '&' inside is signed as sent)", None,
     {"platform_key": SPEC_KEY, "sign_type": "MD5", "url": "https://merchant.example/notify",
      "event": gev("failed", "1234.56", "Bank & account mismatch")},
     {"sign_type": "MD5", "url": "https://merchant.example/notify"}),
    ("cancelled is 4", None,
     {"platform_key": SPEC_KEY, "sign_type": "HMAC-SHA256", "event": gev("cancelled", "10")},
     {"sign_type": "HMAC-SHA256"}),
    ("pending is 1", None,
     {"platform_key": SPEC_KEY, "sign_type": "HMAC-SHA256", "event": gev("pending", "10")},
     {"sign_type": "HMAC-SHA256"}),
    ("a configured status_map: the smallest integer meaning the status", None,
     {"config": {**GATEWAY_CONFIG, "status_map": {"1": "pending", "2": "succeeded", "3": "succeeded", "4": "cancelled", "5": "failed"}},
      "platform_key": "another-key", "sign_type": "MD5", "event": gev("succeeded", "4000")},
     {"config": {**GATEWAY_CONFIG, "status_map": {"1": "pending", "2": "succeeded", "3": "succeeded", "4": "cancelled", "5": "failed"}},
      "sign_type": "MD5", "key": "another-key"}),
]
gateway_errors = [
    ("no status integer means delayed", {"event": gev("delayed", "1")},
     {"code": "invalid_field", "field": "status"}),
    ("over Integer(10) of cents", {"event": gev("succeeded", "100000000")},
     {"code": "amount_out_of_range", "field": "amount"}),
    ("an empty key", {"platform_key": ""}, {"code": "invalid_field", "field": "platform_key"}),
    ("no payout_cl_id", {"event": {k: v for k, v in gev("succeeded", "1").items() if k != "reference_id"}},
     {"code": "invalid_field", "field": "reference_id"}),
    ("an unknown sign type", {"sign_type": "SHA1"}, {"code": "unexpected_shape"}),
    ("an error_msg with a succeeded status", {"event": gev("succeeded", "1", "no")},
     {"code": "invalid_field", "field": "failure_reason"}),
]
def gateway_generated(input_, opts):
    return gateway_notification(normalized(input_["event"]), opts.get("key", SPEC_KEY), opts["sign_type"],
                                opts.get("config", GATEWAY_CONFIG), opts.get("url", DEFAULT_URL))


write_operation(
    "gateway_test_notification.json", "gateway.test_notification",
    "The withdraw notification the gateway sends, signed with a given platform key by MD5 (every key join and hex case the configuration allows) or HMAC-SHA256.",
    "spec §2.4, §2.5; [computed] signatures from Python's hashlib/hmac in tests/vectors/testkit/generate.py (checked there against the spec's [computed] values), not by kirim",
    GATEWAY_CONFIG, gateway_cases,
    gateway_generated,
    gateway_errors, {"platform_key": SPEC_KEY, "sign_type": "MD5", "event": gev("succeeded", "1")})

# ---- Paper.id (spec §3, seed 003) -------------------------------------------------------------

PAPERID_CONFIG = {"callback_token_header": "X-Callback-Token", "callback_tokens": ["tok-new", "tok-old"]}


def paperid_callback(event, token, url=DEFAULT_URL):
    value = event["amount"]["value"]
    cents = minor(value)
    amount = str(cents // 100) if cents % 100 == 0 else f"{cents // 100}.{cents % 100:02d}"
    pairs = [
        ("disbursement_id", compact(event["payout_id"])),
        ("amount", amount),
        ("currency", '"IDR"'),
        ("status", '"COMPLETED"' if event["status"] == "succeeded" else '"FAILED"'),
    ]
    if event.get("failure_reason"):
        pairs.append(("status_failure_code", compact(event["failure_reason"])))
    headers = [("Content-Type", "application/json"), ("X-Callback-Token", token)]
    return request(url, headers, obj(pairs))


def dev(status, value, reason=None):
    event = {"status": status, "amount": money(value), "payout_id": "DISB-1298319"}
    if reason is not None:
        event["failure_reason"] = reason
    return event


paperid_cases = [
    ("disbursed (seed 003's amount)", None,
     {"token": "tok-new", "event": dev("succeeded", "100000")}, {}),
    ("failed with a documented code, an amount with sen", None,
     {"token": "tok-old", "url": "https://merchant.example/paperid",
      "event": dev("failed", "100000.5", "TEMPORARY_TRANSFER_ERROR")},
     {"token": "tok-old", "url": "https://merchant.example/paperid"}),
]
paperid_errors = [
    ("no token header configured", {"config": {"allowed_source_addresses": ["203.0.113.0/24"]}},
     {"code": "invalid_config", "field": "callback_token_header"}),
    ("Paper.id's payout callback has no merchant reference",
     {"event": {**dev("succeeded", "1"), "reference_id": "INV-1"}},
     {"code": "invalid_field", "field": "reference_id"}),
    ("processing is no Paper.id payout callback status", {"event": dev("processing", "1")},
     {"code": "invalid_field", "field": "status"}),
    ("cancelled is no Paper.id payout callback status", {"event": dev("cancelled", "1")},
     {"code": "invalid_field", "field": "status"}),
    ("a code with a success", {"event": dev("succeeded", "1", "TRANSFER_ERROR")},
     {"code": "invalid_field", "field": "failure_reason"}),
    ("a token with a line break", {"token": "tok\nX"}, {"code": "invalid_field", "field": "token"}),
]
def paperid_generated(input_, opts):
    return paperid_callback(normalized(input_["event"]), opts.get("token", "tok-new"), opts.get("url", DEFAULT_URL))


write_operation(
    "paperid_test_callback.json", "paperid.test_callback",
    "The payout callback Paper.id sends, with a given token in the configured token header (Paper.id documents none: G14).",
    "spec §3, seed 003, G13, G14; expected bodies written by tests/vectors/testkit/generate.py, not by kirim",
    PAPERID_CONFIG, paperid_cases,
    paperid_generated,
    paperid_errors, {"token": "tok-new", "event": dev("succeeded", "1")})

# ---- the generated callbacks, verified by each provider's own verifier ------------------------


def event_expected(provider, authenticity, status, value, payout_id, reference, failure=None):
    expected = {
        "provider": provider, "authenticity": authenticity, "status": status,
        "amount": money(f"{minor(value) // 100}.{minor(value) % 100:02d}"),
        "payout_id": payout_id, "reference_id": reference, "requires_query": False,
        "warnings": [],
    }
    if failure is not None:
        expected["failure"] = failure
    return expected


def verify_vectors(cases, build, expect, extra=lambda i: {}):
    out = []
    for name, _, input_, opts in cases:
        generated = build(input_, opts)
        vector_input = {"body": generated["body"], **extra(generated)}
        if "config" in input_:
            vector_input["config"] = input_["config"]
        out.append({"name": f"generated: {name}", "input": vector_input,
                    "expected": expect(normalized(input_["event"]) if "event" in input_ else input_)})
    return out


def pivot_expect(event):
    failure = None
    if event["status"] in ("failed", "cancelled"):
        failure = {"provider_text": event.get("failure_reason")}
    return [event_expected("pivot", "api_key", event["status"], event["amount"]["value"],
                           event["payout_id"], event["reference_id"], failure)]


def pivot_bulk_expect(input_):
    payouts = [normalized(p) for p in input_["payouts"]]
    pending = any(p["status"] == "pending" for p in payouts)
    return [{"provider": "pivot", "authenticity": "api_key", "payout_id": payouts[0]["payout_id"],
             "reference_id": None, "status": "pending" if pending else "unknown",
             "raw_event": "PAYOUT.PENDING" if pending else "PAYOUT.DONE",
             "requires_query": True, "amount": None}]


def headers_of(generated):
    return {"headers": generated["headers"]}


write("pivot_verify_generated.json", {
    "operation": "pivot.verify_callback",
    "description": "Every generated Pivot callback (pivot_test_callback.json, pivot_test_bulk_callback.json) verifies and reads back to its event.",
    "source": "the expected requests of pivot_test_callback.json and pivot_test_bulk_callback.json",
    "defaults": {"config": PIVOT_CONFIG},
    "vectors": verify_vectors(pivot_cases, pivot_generated, pivot_expect, headers_of)
    + [{**v, "name": "bulk " + v["name"]} for v in verify_vectors(
        bulk_cases, bulk_generated, pivot_bulk_expect, headers_of)],
})


def gateway_expect(event):
    failure = None
    if event["status"] in ("failed", "cancelled"):
        failure = {"provider_text": event.get("failure_reason")}
    return event_expected("gateway", "signature", event["status"], event["amount"]["value"],
                          event["payout_id"], event["reference_id"], failure)


gateway_verify = verify_vectors(gateway_cases, gateway_generated, gateway_expect)
for v, (_, _, input_, _) in zip(gateway_verify, gateway_cases):
    # A notification signed with another key is verified under that key's configuration.
    if input_.get("platform_key") != SPEC_KEY:
        v["input"]["config"] = {**input_.get("config", GATEWAY_CONFIG),
                                "platform_key": input_["platform_key"]}
    # A 2 mapped to succeeded is never final without a query (G7).
    if input_.get("config", {}).get("status_map"):
        v["expected"]["requires_query"] = True
write("gateway_verify_generated.json", {
    "operation": "gateway.verify_notification",
    "description": "Every generated gateway notification (gateway_test_notification.json) verifies under its configuration and reads back to its event.",
    "source": "the expected requests of gateway_test_notification.json",
    "defaults": {"config": GATEWAY_CONFIG},
    "vectors": gateway_verify,
})


def paperid_expect(event):
    failure = None
    if event["status"] == "failed":
        failure = {"provider_code": event.get("failure_reason")}
    return event_expected("paper_id", "shared_token", event["status"], event["amount"]["value"],
                          event["payout_id"], None, failure)


write("paperid_verify_generated.json", {
    "operation": "paperid.verify_callback",
    "description": "Every generated Paper.id callback (paperid_test_callback.json) verifies with its token and reads back to its event.",
    "source": "the expected requests of paperid_test_callback.json",
    "defaults": {"config": PAPERID_CONFIG},
    "vectors": verify_vectors(paperid_cases, paperid_generated, paperid_expect, headers_of),
})

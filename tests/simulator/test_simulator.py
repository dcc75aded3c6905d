"""Self-tests for the kirim provider simulator.

Run: python3 -m unittest discover -s tests/simulator -v

The simulator runs in-process on a free loopback port; a small "merchant"
server, also on loopback, receives its callbacks. All traffic is real HTTP
through urllib / http.server.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kirim_sim  # noqa: E402

KEY = "ThisIsYourSecretKey123"
# A client-side timeout: socket.timeout is TimeoutError from 3.10 on, its own OSError on 3.9
# (the oldest CPython the wheel that ships the simulator supports).
TIMEOUT = (TimeoutError, socket.timeout)
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# No proxy: every request in these tests stays on loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

SIM: kirim_sim.SimServer | None = None
MERCHANT: "Merchant | None" = None


def call(method, path, body=None, headers=None, timeout=5.0, base=None):
    """-> (status, headers, raw body bytes). `body` may be bytes or a JSON-able object."""
    url = (base or SIM.url) + path
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def jcall(method, path, body=None, headers=None, **kw):
    status, _, raw = call(method, path, body, headers, **kw)
    return status, json.loads(raw)


def ledger():
    return jcall("GET", "/_sim/ledger")[1]


def wait_until(pred, timeout=5.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def md5_sign(params, key=KEY):
    """Independent re-implementation of spec 2.4 for checking callbacks."""
    s = "&".join(f"{k}={params[k]}" for k in sorted(params, key=lambda k: k.encode())
                 if k not in ("sign", "sign_type") and params[k] not in (None, ""))
    return hashlib.md5((s + "&" + key).encode()).hexdigest()


def hmac_sign(params, key=KEY):
    s = "&".join(f"{k}={params[k]}" for k in sorted(params, key=lambda k: k.encode())
                 if k not in ("sign", "sign_type") and params[k] not in (None, ""))
    return hmac.new(key.encode(), s.encode(), hashlib.sha256).hexdigest()


class Merchant:
    """Loopback callback receiver. Replies from a script, then with a default.

    Pivot callbacks are checked against the callback key (a wrong key gets 401);
    every reply body is {"error_code":"0000"} unless scripted otherwise.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[dict] = []
        self.script: list[tuple[int, bytes]] = []
        merchant = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with merchant.lock:
                    merchant.received.append({"path": self.path, "headers": dict(self.headers),
                                              "raw": raw, "json": json.loads(raw), "at": time.monotonic()})
                    if merchant.script:
                        status, body = merchant.script.pop(0)
                    elif self.path.startswith("/pivot") and \
                            self.headers.get("X-API-Key") != "kirim-callback-key":
                        status, body = 401, b'{"error":"bad key"}'
                    else:
                        status, body = 200, b'{"error_code":"0000"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def reset(self):
        with self.lock:
            self.received.clear()
            self.script.clear()

    def reply_with(self, *responses):
        with self.lock:
            self.script.extend((s, b if isinstance(b, bytes) else b.encode()) for s, b in responses)

    def got(self, n, timeout=5.0):
        wait_until(lambda: len(self.received) >= n, timeout)
        with self.lock:
            return list(self.received)


def setUpModule():
    global SIM, MERCHANT
    SIM = kirim_sim.SimServer(port=0, max_seconds=300).start()
    MERCHANT = Merchant()


def tearDownModule():
    SIM.stop()
    MERCHANT.httpd.shutdown()
    MERCHANT.httpd.server_close()


class SimTestCase(unittest.TestCase):
    """Fresh simulator state per test, fast timings, callbacks to the merchant."""

    def setUp(self):
        self.assertEqual(jcall("POST", "/_sim/reset")[0], 200)
        MERCHANT.reset()
        status, _ = jcall("POST", "/_sim/config", {
            "pivot_processing_delay_seconds": 0.05, "gateway_step_delay_seconds": 0.05,
            "retry_scale_seconds_per_hour": 0.002, "callback_timeout_seconds": 2,
            "pivot_callback_url": MERCHANT.base + "/pivot",
            "paperid_callback_url": MERCHANT.base + "/paper"})
        self.assertEqual(status, 200)

    # -- Pivot helpers --

    def token(self):
        status, body = jcall("POST", "/v1/access-token", {"grantType": "client_credentials"},
                             {"X-MERCHANT-ID": "kirim-merchant", "X-MERCHANT-SECRET": "kirim-secret"})
        self.assertEqual(status, 200)
        return body["data"]["accessToken"]

    def auth(self):
        if not hasattr(self, "_token"):
            self._token = self.token()
        return {"Authorization": "Bearer " + self._token}

    def payout(self, items, xrid="REQ0000000000000001", timeout=5.0):
        return jcall("POST", "/v1/payouts", {"payouts": items},
                     dict(self.auth(), **{"X-REQUEST-ID": xrid}), timeout=timeout)

    @staticmethod
    def item(ref, number="1234567890", value="100000", name="Budi"):
        return {"referenceId": ref, "channelCode": "BCA",
                "channelInformation": {"accountNumber": number, "accountName": name},
                "amount": {"value": value, "currency": "IDR"}, "description": "gaji Mei"}

    # -- gateway helpers --

    def gw_order(self, cl_id="ORD001", number="4088748280272397", sign_type=None, amount="5000000",
                 notify=True, **extra):
        p = {"platform_id": "PF0002", "service_id": "SVC0004", "payout_cl_id": cl_id,
             "amount": amount, "currency": "idr", "bank_name": "BCA", "name": "test_name",
             "number": number, "request_time": "1595504997"}
        if notify:
            p["notify_url"] = MERCHANT.base + "/gw"
        p.update(extra)
        if sign_type:
            p["sign_type"] = sign_type
            p["sign"] = hmac_sign(p)
        else:
            p["sign"] = md5_sign(p)
        return p

    def gw_get(self, path):
        return jcall("GET", path, headers={"Authorization": "kirim-gateway-auth"})


# ---------------------------------------------------------------------------


class SigningTests(unittest.TestCase):
    """Spec 2.4 [computed] known answers and canonicalisation rules."""

    DEPOSIT = {"amount": 50000, "notify_url": "https://your-domain.com/callback",
               "payment_cl_id": "DEVPM00014581", "platform_id": "PF0002",
               "request_time": 1595504136, "service_id": "SVC0001"}
    SEED = {"amount": "50000", "bank_name": "BCA", "currency": "idr", "name": "test_name",
            "notify_url": "https://xxx.xx/notification", "number": "4088748280272397",
            "payout_cl_id": "DEVPOT00143538", "platform_id": "PF0002", "request_time": "1595504997",
            "service_id": "SVC0004", "sign": "8ac38fb87c2bcce4cf36627d4f8aa747"}

    def test_deposit_known_answers(self):
        self.assertEqual(kirim_sim.gateway_sign_string(self.DEPOSIT),
                         "amount=50000&notify_url=https://your-domain.com/callback&payment_cl_id="
                         "DEVPM00014581&platform_id=PF0002&request_time=1595504136&service_id=SVC0001")
        self.assertEqual(kirim_sim.gateway_sign(self.DEPOSIT, KEY, "HMAC-SHA256"),
                         "d8857715eece9c4b52b5e128ba541ee918effdc052c1152f6d1db0be7f1db509")
        self.assertEqual(kirim_sim.gateway_sign(self.DEPOSIT, KEY),
                         "49be5fa304b5f536c6e2ea89435e211a")

    def test_seed_payout_known_answers(self):
        self.assertEqual(kirim_sim.gateway_sign_string(self.SEED),
                         "amount=50000&bank_name=BCA&currency=idr&name=test_name&notify_url="
                         "https://xxx.xx/notification&number=4088748280272397&payout_cl_id="
                         "DEVPOT00143538&platform_id=PF0002&request_time=1595504997&service_id=SVC0004")
        self.assertEqual(kirim_sim.gateway_sign(self.SEED, KEY, "MD5"), "346f1547fd7142da5bcf6ccaf79837cd")
        self.assertEqual(kirim_sim.gateway_sign(self.SEED, KEY, "HMAC-SHA256"),
                         "b69ced01c311b0e5d18a45627292776e2392ce27de9d5dc6fc0bd32c1c79f643")
        # The seed's own sign does not reproduce with the test key (spec 2.4).
        self.assertFalse(kirim_sim.gateway_verify(self.SEED, KEY))

    def test_canonicalisation(self):
        as_ints = dict(self.SEED, amount=50000, request_time=1595504997)
        self.assertEqual(kirim_sim.gateway_sign(as_ints, KEY), "346f1547fd7142da5bcf6ccaf79837cd")
        s = kirim_sim.gateway_sign_string({"b": None, "a": "", "z": 0, "B": "x", "sign": "s",
                                           "sign_type": "MD5", "arr": ["12345", "67890"]})
        self.assertEqual(s, 'B=x&arr=["12345","67890"]&z=0')  # byte order: "B" < "a"

    def test_verify_is_case_insensitive_and_algorithm_aware(self):
        p = dict(self.SEED, sign=kirim_sim.gateway_sign(self.SEED, KEY).upper())
        self.assertTrue(kirim_sim.gateway_verify(p, KEY))
        h = dict(self.SEED, sign_type="HMAC-SHA256",
                 sign="b69ced01c311b0e5d18a45627292776e2392ce27de9d5dc6fc0bd32c1c79f643")
        self.assertTrue(kirim_sim.gateway_verify(h, KEY))
        self.assertFalse(kirim_sim.gateway_verify(dict(h, sign_type="MD5"), KEY))
        self.assertFalse(kirim_sim.gateway_verify(h, "wrong-key"))

    def test_money_helpers_never_use_floats(self):
        self.assertEqual(kirim_sim.parse_rupiah_to_sen("1238.86"), 123886)
        self.assertEqual(kirim_sim.parse_rupiah_to_sen(10000000), 1000000000)
        self.assertEqual(kirim_sim.format_sen(123886), "1238.86")
        for bad in ("1.234", "-1", "abc", 1.5, True):
            with self.assertRaises(kirim_sim.ConfigError):
                kirim_sim.parse_rupiah_to_sen(bad)

    def test_loopback_rule(self):
        self.assertTrue(kirim_sim.is_loopback_url("http://127.0.0.1:9/x"))
        self.assertTrue(kirim_sim.is_loopback_url("http://localhost/x"))
        self.assertTrue(kirim_sim.is_loopback_url("http://[::1]:80/"))
        for url in ("https://127.0.0.1/", "http://example.com/", "http://10.0.0.1/", "http://127.0.0.1.nip.io/"):
            self.assertFalse(kirim_sim.is_loopback_url(url), url)


class CliTests(unittest.TestCase):
    SCRIPT = os.path.join(HERE, "kirim_sim.py")

    def _start(self, *args):
        d = tempfile.mkdtemp()
        port_file = os.path.join(d, "sim.port")
        proc = subprocess.Popen([sys.executable, self.SCRIPT, "--port", "0", "--port-file", port_file, *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc, port_file

    def test_port_file_and_shutdown(self):
        proc, port_file = self._start("--max-seconds", "30", "--pivot-merchant-secret", "s3")
        wait_until(lambda: os.path.exists(port_file), timeout=10)
        with open(port_file) as f:
            base = f"http://127.0.0.1:{int(f.read())}"
        status, _, raw = call("GET", "/_sim/health", base=base)
        self.assertEqual((status, json.loads(raw)["ok"]), (200, True))
        self.assertEqual(json.loads(call("GET", "/_sim/config", base=base)[2])["pivot_merchant_secret"], "s3")
        self.assertEqual(call("POST", "/_sim/shutdown", {}, base=base)[0], 200)
        self.assertEqual(proc.wait(timeout=10), 0)
        proc.stderr.close()

    def test_stops_by_itself_after_max_seconds(self):
        proc, _ = self._start("--max-seconds", "1")
        started = time.monotonic()
        self.assertEqual(proc.wait(timeout=15), 0)
        self.assertLess(time.monotonic() - started, 10)
        proc.stderr.close()

    def test_refuses_non_loopback_callback_url(self):
        proc, _ = self._start("--pivot-callback-url", "http://example.com/cb")
        self.assertEqual(proc.wait(timeout=10), 2)
        self.assertIn(b"loopback", proc.stderr.read())
        proc.stderr.close()


class ControlTests(SimTestCase):
    def test_health_and_clock(self):
        status, h = jcall("GET", "/_sim/health")
        self.assertTrue(h["ok"])
        before = jcall("GET", "/_sim/clock")[1]["now_unix"]
        after = jcall("POST", "/_sim/clock", {"advance_seconds": 3600})[1]
        self.assertGreaterEqual(after["now_unix"] - before, 3600)
        self.assertEqual(after["offset_seconds"], 3600)
        self.assertEqual(jcall("POST", "/_sim/clock", {})[0], 400)

    def test_config_validation(self):
        self.assertEqual(jcall("POST", "/_sim/config", {"no_such_key": 1})[0], 400)
        status, body = jcall("POST", "/_sim/config", {"pivot_callback_url": "http://93.184.216.34/cb"})
        self.assertEqual(status, 400)
        self.assertIn("loopback", body["error"])
        self.assertEqual(jcall("POST", "/_sim/config", {"pivot_balance": "1.001"})[0], 400)
        status, cfg = jcall("POST", "/_sim/config", {"pivot_balance": "1238.86", "gateway_fee_cents": 3200})
        self.assertEqual((status, cfg["pivot_balance"], cfg["gateway_fee_cents"]), (200, "1238.86", 3200))

    def test_reset_forgets_state_and_restores_config(self):
        self.token()
        jcall("POST", "/_sim/config", {"pivot_merchant_secret": "changed"})
        jcall("POST", "/_sim/clock", {"advance_seconds": 50})
        jcall("POST", "/_sim/faults", {"path": "/v1/payouts", "fault": "http_503"})
        jcall("POST", "/_sim/reset")
        cfg = jcall("GET", "/_sim/config")[1]
        self.assertEqual(cfg["pivot_merchant_secret"], "kirim-secret")
        self.assertEqual(ledger()["pivot"]["tokens_issued"], 0)
        self.assertEqual(jcall("GET", "/_sim/faults")[1]["request_faults"], [])
        self.assertLess(abs(jcall("GET", "/_sim/clock")[1]["offset_seconds"]), 1)
        # keep_config keeps the configuration but still forgets the state
        jcall("POST", "/_sim/config", {"pivot_merchant_secret": "kept"})
        jcall("POST", "/_sim/reset", {"keep_config": True})
        self.assertEqual(jcall("GET", "/_sim/config")[1]["pivot_merchant_secret"], "kept")

    def test_fault_validation(self):
        for bad in ({"path": "/v1/payouts", "fault": "explode"}, {"path": "/_sim/ledger", "fault": "http_503"},
                    {"callback": "pivot", "fault": "delay"}, {"callback": "xendit", "fault": "duplicate"},
                    {"path": "/v1/payouts", "fault": "http_503", "count": 0}):
            self.assertEqual(jcall("POST", "/_sim/faults", bad)[0], 400, bad)
        status, body = jcall("POST", "/_sim/faults", {"faults": [
            {"path": "/v1/payouts", "fault": "http_503", "count": 2},
            {"callback": "gateway", "fault": "delay", "seconds": 1}]})
        self.assertEqual(status, 200)
        self.assertEqual(len(body["request_faults"]), 1)
        self.assertEqual(body["callback_faults"][0]["seconds"], 1.0)

    def test_unknown_endpoint(self):
        self.assertEqual(call("GET", "/nope")[0], 404)
        status, body = jcall("GET", "/v1/nope", headers=self.auth())
        self.assertEqual((status, body["code"]), (404, "not_found"))


class PivotAuthTests(SimTestCase):
    def test_token_shape(self):
        status, body = jcall("POST", "/v1/access-token", {"grantType": "client_credentials"},
                             {"X-MERCHANT-ID": "kirim-merchant", "X-MERCHANT-SECRET": "kirim-secret"})
        self.assertEqual(status, 200)
        self.assertEqual((body["code"], body["message"]), ("00", "Success"))
        self.assertEqual(body["data"]["expiresIn"], "900")  # a string
        self.assertEqual(body["data"]["tokenType"], "Bearer")
        self.assertGreaterEqual(len(body["data"]["accessToken"]), 32)

    def test_wrong_credentials(self):
        status, body = jcall("POST", "/v1/access-token", {"grantType": "client_credentials"},
                             {"X-MERCHANT-ID": "kirim-merchant", "X-MERCHANT-SECRET": "nope"})
        self.assertEqual(status, 401)
        self.assertEqual(body["code"], "credentials_invalid")
        self.assertEqual(body["message"], "Access Token is Invalid")
        self.assertEqual((body["error"]["type"], body["error"]["details"]), ("API_ERROR", []))
        self.assertTrue(body["error"]["traceId"])

    def test_bad_grant_type(self):
        hdr = {"X-MERCHANT-ID": "kirim-merchant", "X-MERCHANT-SECRET": "kirim-secret"}
        self.assertEqual(jcall("POST", "/v1/access-token", {}, hdr)[1]["code"], "field_required")
        self.assertEqual(jcall("POST", "/v1/access-token", {"grant_type": "client_credentials"}, hdr)[0], 400)
        self.assertEqual(jcall("POST", "/v1/access-token", {"grantType": "password"}, hdr)[1]["code"],
                         "field_format_invalid")

    def test_token_required_and_expires_on_simulated_clock(self):
        for hdr in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": self.token()}):
            status, body = jcall("GET", "/v1/payouts/balance?currency=IDR", headers=hdr)
            self.assertEqual((status, body["code"]), (401, "credentials_invalid"))
        hdr = self.auth()
        self.assertEqual(jcall("GET", "/v1/payouts/balance", headers=hdr)[0], 200)
        jcall("POST", "/_sim/clock", {"advance_seconds": 899})
        self.assertEqual(jcall("GET", "/v1/payouts/balance", headers=hdr)[0], 200)
        jcall("POST", "/_sim/clock", {"advance_seconds": 2})
        self.assertEqual(jcall("GET", "/v1/payouts/balance", headers=hdr)[0], 401)
        self.assertEqual(self.payout([self.item("R1")])[0], 401)

    def test_lifetime_is_configurable(self):
        jcall("POST", "/_sim/config", {"pivot_token_lifetime_seconds": 60})
        hdr = {"Authorization": "Bearer " + self.token()}
        jcall("POST", "/_sim/clock", {"advance_seconds": 61})
        self.assertEqual(jcall("GET", "/v1/payouts/balance", headers=hdr)[0], 401)


class PivotBalanceTests(SimTestCase):
    def test_both_paths_same_body(self):
        expected = {"code": "00", "message": "Success",
                    "data": {"availableBalance": {"currency": "IDR", "value": "10000000.00"}}}
        for path in ("/v1/payouts/balance?currency=IDR", "/v1/balances?usecase=DISBURSEMENT"):
            self.assertEqual(jcall("GET", path, headers=self.auth()), (200, expected))
        self.assertEqual(jcall("GET", "/v1/payouts/balance?currency=USD", headers=self.auth())[0], 400)

    def test_balance_decreases_only_on_success(self):
        self.payout([self.item("OK1", value="250000"), self.item("BAD1", number="5550006", value="70000")])
        wait_until(lambda: ledger()["pivot"]["requests"][0]["status"] == "DONE")
        body = jcall("GET", "/v1/payouts/balance", headers=self.auth())[1]
        self.assertEqual(body["data"]["availableBalance"]["value"], "9750000.00")


class PivotInquiryTests(SimTestCase):
    def inquire(self, number, name="Reforza Pivot", code="BCA"):
        return jcall("POST", "/v1/inquiry-account", {
            "channelCode": code, "channelInformation": {"accountNumber": number, "accountName": name}},
            self.auth())

    def test_account_rules(self):
        mismatch = "The account name entered does not match the bank's records. Bank record: "
        cases = [
            ("999966660001", "reforza PIVOT", "VALID", None),
            ("999966660001", "Someone Else", "WARNING", mismatch + "Reforza Pivot"),
            ("999966660002", "Inactive Holder", "VALID", None),
            ("999966660002", "Reforza Pivot", "WARNING", mismatch + "Inactive Holder"),
            ("1234560000", "X", "INVALID", "Account number not found."),
            ("12345ABC", "X", "INVALID", "Account number not found."),
            ("1234569999", "X", "PENDING", "Inquiry in progress"),
            ("1234567", "X", "VALID", None),
        ]
        for number, name, status, detail in cases:
            code, body = self.inquire(number, name)
            self.assertEqual((code, body["code"], body["message"]), (200, "00", "OK"))
            self.assertEqual(body["data"]["merchantId"], "kirim-merchant")
            self.assertRegex(body["data"]["uuid"], r"^[0-9a-f-]{36}$")
            expected = {"status": status} if detail is None else {"status": status, "detail": detail}
            self.assertEqual(body["data"]["inquiryResult"], expected, number)

    def test_pending_becomes_valid_when_polled(self):
        inquiry_id = self.inquire("1234569999")[1]["data"]["uuid"]
        status, body = jcall("GET", f"/v1/inquiry-account/{inquiry_id}", headers=self.auth())
        self.assertEqual((status, body["data"]["inquiryResult"]), (200, {"status": "VALID"}))
        self.assertEqual(body["data"]["uuid"], inquiry_id)

    def test_unknown_inquiry(self):
        status, body = jcall("GET", "/v1/inquiry-account/does-not-exist", headers=self.auth())
        self.assertEqual((status, body["code"]), (404, "not_found"))

    def test_validation_reports_every_field(self):
        status, body = jcall("POST", "/v1/inquiry-account",
                             {"channelInformation": {"accountNumber": "1" * 61, "accountName": ""}}, self.auth())
        self.assertEqual((status, body["code"]), (400, "field_required"))
        fields = {d["field"] for d in body["error"]["details"]}
        self.assertEqual(fields, {"channelCode", "channelInformation.accountNumber",
                                  "channelInformation.accountName"})
        status, body = self.inquire("123", code="X" * 31)
        self.assertEqual((status, body["code"]), (400, "field_format_invalid"))
        self.assertEqual(body["error"]["details"][0]["field"], "channelCode")


class PivotPayoutTests(SimTestCase):
    def test_create_by_channel_information_shape(self):
        status, body = self.payout([self.item("REF1")])
        self.assertEqual((status, body["code"], body["message"]), (200, "00", "Success"))
        data = body["data"]
        self.assertEqual(set(data), {"created", "merchantId", "uuid", "updated", "status",
                                     "payoutResults", "payouts"})
        self.assertEqual(data["status"], "IN PROGRESS")
        self.assertRegex(data["created"], ISO_Z)
        self.assertEqual(data["payoutResults"], {
            "totalPendingCount": 1, "totalPendingAmount": 100000, "totalSuccessCount": 0,
            "totalSuccessAmount": 0, "totalFailedCount": 0, "totalFailedAmount": 0,
            "totalCancelledCount": 0, "totalCancelledAmount": 0})
        item = data["payouts"][0]
        self.assertEqual(item["amount"], {"currency": "IDR", "value": "100000"})
        self.assertEqual(item["channelInformation"], {"accountName": "Budi", "accountNumber": "1234567890"})
        self.assertEqual((item["inquiryId"], item["status"], item["reason"]), ("", "PENDING", ""))
        self.assertEqual((item["referenceId"], item["channelCode"], item["description"]),
                         ("REF1", "BCA", "gaji Mei"))
        self.assertRegex(item["updated"], ISO_Z)

    def test_create_by_inquiry_id(self):
        inq = jcall("POST", "/v1/inquiry-account", {"channelCode": "BRI", "channelInformation": {
            "accountNumber": "999966660001", "accountName": "Reforza Pivot"}}, self.auth())[1]
        inquiry_id = inq["data"]["uuid"]
        status, body = self.payout([{"referenceId": "1999", "inquiryId": inquiry_id,
                                     "amount": {"value": "100000", "currency": "IDR"}}])
        self.assertEqual(status, 200)
        item = body["data"]["payouts"][0]
        self.assertEqual((item["inquiryId"], item["channelCode"], item["description"]), (inquiry_id, "BRI", ""))
        self.assertEqual(item["channelInformation"]["accountNumber"], "999966660001")
        status, body = self.payout([{"referenceId": "2000", "inquiryId": "unknown",
                                     "amount": {"value": "100000", "currency": "IDR"}}], xrid="REQ0000000000000002")
        self.assertEqual((status, body["error"]["details"][0]["field"]), (400, "payouts[0].inquiryId"))

    def test_request_id_and_content_type_rules(self):
        for xrid in ("short", "has-dash-0123456789", "A" * 37):
            status, body = self.payout([self.item("R")], xrid=xrid)
            self.assertEqual((status, body["code"]), (400, "field_format_invalid"), xrid)
        status, body = jcall("POST", "/v1/payouts", {"payouts": [self.item("R")]}, self.auth())
        self.assertEqual((status, body["code"]), (400, "field_required"))
        status, body = jcall("POST", "/v1/payouts", {"payouts": [self.item("R")]},
                             dict(self.auth(), **{"X-REQUEST-ID": "A" * 16, "Content-Type": "text/plain"}))
        self.assertEqual((status, body["error"]["details"][0]["field"]), (400, "Content-Type"))
        self.assertEqual(self.payout([self.item("R")], xrid="A" * 36)[0], 200)
        self.assertEqual(ledger()["pivot"]["payouts_created_per_reference"], {"R": 1})

    def test_amount_and_description_rules(self):
        status, body = self.payout([self.item("R", value="9999")])
        self.assertEqual((status, body["code"]), (400, "amount_below_limit"))
        bad_items = [dict(self.item("R"), amount={"value": 100000, "currency": "IDR"}),
                     dict(self.item("R"), amount={"value": "100000.00", "currency": "IDR"}),
                     dict(self.item("R"), amount={"value": "100000", "currency": "USD"}),
                     dict(self.item("R"), description="gaji-Mei!"),
                     dict(self.item("R"), description="x" * 21)]
        for bad in bad_items:
            status, body = self.payout([bad])
            self.assertEqual((status, body["code"]), (400, "field_format_invalid"), bad)
        status, body = self.payout([{"amount": {"value": "5"}}, "not an object"])
        self.assertEqual((status, body["code"]), (400, "field_required"))
        self.assertGreaterEqual(len(body["error"]["details"]), 5)  # every problem listed
        self.assertEqual(self.payout([dict(self.item("R"), description="Gaji Mei 2024 ABC")])[0], 200)
        self.assertEqual(ledger()["pivot"]["payouts_created_per_reference"], {"R": 1})

    def test_idempotent_replay_and_conflicts(self):
        first_status, first_hdr, first_raw = call(
            "POST", "/v1/payouts", {"payouts": [self.item("IDEM1")]},
            dict(self.auth(), **{"X-REQUEST-ID": "IDEMKEY000000001"}))
        self.assertEqual(first_status, 200)
        # Same key, same payload with keys in another order and other spacing: replay.
        reordered = json.dumps({"payouts": [dict(reversed(list(self.item("IDEM1").items())))]}, indent=2)
        time.sleep(0.2)  # the payout is processed meanwhile; the replay still shows the first answer
        status, _, raw = call("POST", "/v1/payouts", reordered.encode(),
                              dict(self.auth(), **{"X-REQUEST-ID": "IDEMKEY000000001"}))
        self.assertEqual((status, raw), (200, first_raw))
        # Same key, different payload: 409.
        status, body = self.payout([self.item("IDEM1", value="200000")], xrid="IDEMKEY000000001")
        self.assertEqual((status, body["code"], body["message"]),
                         (409, "resource_already_exists", "X-REQUEST-ID is already exists"))
        # Same referenceId under a new key: 409, nothing created.
        status, body = self.payout([self.item("IDEM1")], xrid="IDEMKEY000000002")
        self.assertEqual((status, body["code"]), (409, "resource_already_exists"))
        led = ledger()["pivot"]
        self.assertEqual(led["payouts_created_per_reference"], {"IDEM1": 1})
        self.assertEqual((len(led["requests"]), led["requests"][0]["replays"]), (1, 1))
        # After 24 h (simulated) the key is free again.
        jcall("POST", "/_sim/clock", {"advance_seconds": 86400})
        self._token = self.token()  # the old token expired meanwhile
        self.assertEqual(self.payout([self.item("IDEM2")], xrid="IDEMKEY000000001")[0], 200)
        self.assertEqual(ledger()["pivot"]["payouts_created_per_reference"], {"IDEM1": 1, "IDEM2": 1})

    def test_insufficient_balance_waits_for_top_up(self):
        jcall("POST", "/_sim/config", {"pivot_balance": "150000"})
        status, body = self.payout([self.item("BIG1", value="100000"), self.item("BIG2", value="100000")])
        self.assertEqual(status, 200)
        self.assertEqual(body["data"]["status"], "PENDING")
        self.assertEqual({p["status"] for p in body["data"]["payouts"]}, {"APPROVED"})
        self.assertEqual(body["data"]["payoutResults"]["totalPendingCount"], 2)
        time.sleep(0.2)
        self.assertEqual(ledger()["pivot"]["requests"][0]["status"], "PENDING")
        self.assertEqual(MERCHANT.received, [])
        jcall("POST", "/_sim/config", {"pivot_balance": "1000000"})  # top up
        got = MERCHANT.got(1)
        self.assertEqual(got[0]["json"]["event"], "PAYOUT.DONE")
        self.assertEqual(ledger()["pivot"]["balance"], "800000.00")

    def test_single_payout_success_callback_and_retrieve(self):
        uuid_ = self.payout([self.item("S1", number="999966660001", name="Reforza Pivot")])[1]["data"]["uuid"]
        cb = MERCHANT.got(1)[0]
        self.assertEqual(cb["path"], "/pivot")
        self.assertEqual(cb["headers"]["X-API-Key"], "kirim-callback-key")
        self.assertEqual(cb["headers"]["Content-Type"], "application/JSON")
        self.assertEqual(cb["headers"]["Accept"], "application/JSON")
        self.assertEqual(cb["json"], {"event": "PAYOUT.SUCCESS", "data": {
            "uuid": uuid_, "merchantId": "kirim-merchant", "payouts": {
                "referenceId": "S1", "amount": {"currency": "IDR", "value": "100000"},
                "status": "SUCCESS", "reason": None}}})
        status, body = jcall("GET", f"/v1/payouts/{uuid_}", headers=self.auth())
        self.assertEqual((status, body["data"]["status"]), (200, "DONE"))
        self.assertIsInstance(body["data"]["payouts"], list)
        self.assertEqual((body["data"]["payouts"][0]["status"], body["data"]["payouts"][0]["reason"]),
                         ("SUCCESS", ""))
        self.assertEqual(body["pagination"], {"page": 1, "perPage": 20, "totalItems": 1, "totalPages": 1})
        status, body = jcall("GET", f"/v1/payouts/{uuid_}?referenceId=S1", headers=self.auth())
        self.assertEqual(status, 200)
        self.assertEqual(set(body["data"]), {"uuid", "merchantId", "payoutResults", "payouts"})
        self.assertIsInstance(body["data"]["payouts"], dict)
        self.assertEqual(body["data"]["payoutResults"]["totalSuccessAmount"], 100000)
        rec = wait_until(lambda: ledger()["callbacks"])[0]
        self.assertEqual((rec["attempt"], rec["status_code"], rec["acknowledged"], rec["forged"]),
                         (1, 200, True, False))

    def test_failure_reasons_and_bulk_callback(self):
        accounts = {"A": ("999966660002", "FAILED", "Inactive Account"),
                    "B": ("5550003", "FAILED", "Dormant Account"),
                    "C": ("5550004", "FAILED", "Failed to process by Bank Network"),
                    "D": ("5550005", "FAILED", "Declined due to beneficiary limit"),
                    "E": ("5550006", "FAILED", "Invalid Account"),
                    "F": ("5550000", "FAILED", "Invalid Account"),
                    "G": ("5551234", "SUCCESS", "")}
        uuid_ = self.payout([self.item(ref, number=n) for ref, (n, _, _) in accounts.items()])[1]["data"]["uuid"]
        cb = MERCHANT.got(1)[0]["json"]
        self.assertEqual(cb, {"event": "PAYOUT.DONE", "data": {
            "uuid": uuid_, "merchantId": "kirim-merchant", "status": "DONE", "payoutResults": {
                "totalPendingCount": 0, "totalPendingAmount": 0, "totalSuccessCount": 1,
                "totalSuccessAmount": 100000, "totalFailedCount": 6, "totalFailedAmount": 600000,
                "totalCancelledCount": 0, "totalCancelledAmount": 0}}})
        items = jcall("GET", f"/v1/payouts/{uuid_}", headers=self.auth())[1]["data"]["payouts"]
        self.assertEqual({p["referenceId"]: (p["status"], p["reason"]) for p in items},
                         {ref: (s, r) for ref, (_, s, r) in accounts.items()})
        page = jcall("GET", f"/v1/payouts/{uuid_}?page=2&perPage=5", headers=self.auth())[1]
        self.assertEqual((len(page["data"]["payouts"]), page["pagination"]["totalPages"]), (2, 2))

    def test_single_failure_callback_carries_reason(self):
        self.payout([self.item("F1", number="999966660002")])
        cb = MERCHANT.got(1)[0]["json"]
        self.assertEqual(cb["event"], "PAYOUT.FAILED")
        self.assertEqual((cb["data"]["payouts"]["status"], cb["data"]["payouts"]["reason"]),
                         ("FAILED", "Inactive Account"))

    def test_retrieve_unknown(self):
        self.assertEqual(jcall("GET", "/v1/payouts/nope", headers=self.auth())[1]["code"], "not_found")
        uuid_ = self.payout([self.item("K1")])[1]["data"]["uuid"]
        status, body = jcall("GET", f"/v1/payouts/{uuid_}?referenceId=other", headers=self.auth())
        self.assertEqual((status, body["code"]), (404, "not_found"))


class PivotCallbackRetryTests(SimTestCase):
    def attempts(self, n):
        return wait_until(lambda: (lambda c: c if len(c) >= n else None)(ledger()["callbacks"]))

    def test_retries_on_5xx_408_429_until_acknowledged(self):
        MERCHANT.reply_with((500, "oops"), (408, ""), (429, ""), (503, ""))
        self.payout([self.item("RT1")])
        recs = self.attempts(5)
        self.assertEqual([r["status_code"] for r in recs], [500, 408, 429, 503, 200])
        self.assertEqual([r["attempt"] for r in recs], [1, 2, 3, 4, 5])
        self.assertEqual(recs[0]["response_body"], "oops")
        time.sleep(0.2)
        self.assertEqual(len(ledger()["callbacks"]), 5)

    def test_no_retry_on_other_4xx(self):
        MERCHANT.reply_with((400, "bad"))
        self.payout([self.item("RT2")])
        recs = self.attempts(1)
        time.sleep(0.3)
        self.assertEqual(len(ledger()["callbacks"]), 1)
        self.assertEqual((recs[0]["status_code"], recs[0]["acknowledged"]), (400, False))

    def test_gives_up_after_seven_attempts(self):
        MERCHANT.reply_with(*[(503, "")] * 20)
        self.payout([self.item("RT3")])
        self.attempts(7)
        time.sleep(0.4)
        recs = ledger()["callbacks"]
        self.assertEqual([r["attempt"] for r in recs], list(range(1, 8)))

    def test_connection_errors_are_retried(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
        s.close()  # nothing listens there now
        jcall("POST", "/_sim/config", {"pivot_callback_url": f"http://127.0.0.1:{dead_port}/cb"})
        self.payout([self.item("RT4")])
        recs = self.attempts(7)
        self.assertTrue(all(r["status_code"] is None and r["error"] for r in recs))

    def test_schedule_is_scaled(self):
        # 1 s real = 1 h: attempts 2..4 come at +5 min, +15 min, +1 h => ~0.083 s, 0.25 s, 1 s.
        jcall("POST", "/_sim/config", {"retry_scale_seconds_per_hour": 1})
        MERCHANT.reply_with((500, ""), (500, ""), (500, ""))
        self.payout([self.item("RT5")])
        got = MERCHANT.got(4, timeout=5)
        gaps = [b["at"] - a["at"] for a, b in zip(got, got[1:])]
        for gap, expected in zip(gaps, (5 / 60, 15 / 60, 1.0)):
            self.assertGreaterEqual(gap, expected * 0.9)
            self.assertLess(gap, expected + 0.5)

    def test_no_callback_url_is_recorded_as_skipped(self):
        jcall("POST", "/_sim/config", {"pivot_callback_url": None})
        self.payout([self.item("NC1")])
        skipped = wait_until(lambda: ledger()["callbacks_skipped"])
        self.assertEqual(skipped[0]["provider"], "pivot")
        self.assertEqual(ledger()["callbacks"], [])


class RequestFaultTests(SimTestCase):
    def test_drop_response_processes_then_times_out(self):
        jcall("POST", "/_sim/faults", {"method": "POST", "path": "/v1/payouts",
                                       "fault": "drop_response", "hold_seconds": 1.5})
        started = time.monotonic()
        with self.assertRaises((*TIMEOUT, urllib.error.URLError, ConnectionError)):
            self.payout([self.item("DROP1")], xrid="DROPKEY000000001", timeout=0.5)
        self.assertLess(time.monotonic() - started, 1.4)
        led = ledger()
        self.assertEqual(led["pivot"]["payouts_created_per_reference"], {"DROP1": 1})
        self.assertEqual(led["http"][-1]["fault"], "drop_response")
        self.assertIsNone(led["http"][-1]["status"])
        # The host retries with the same key: it gets the first answer, nothing new is created.
        status, body = self.payout([self.item("DROP1")], xrid="DROPKEY000000001")
        self.assertEqual((status, body["data"]["payouts"][0]["referenceId"]), (200, "DROP1"))
        self.assertEqual(body["data"]["uuid"], led["pivot"]["requests"][0]["uuid"])
        self.assertEqual(ledger()["pivot"]["payouts_created_per_reference"], {"DROP1": 1})

    def test_drop_response_closes_after_hold(self):
        jcall("POST", "/_sim/faults", {"path": "/v1/payouts", "fault": "drop_response", "hold_seconds": 0.3})
        started = time.monotonic()
        with self.assertRaises((urllib.error.URLError, ConnectionError)):
            self.payout([self.item("DROP2")], timeout=5)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_html_errors_do_not_process(self):
        for fault, code in (("http_500_html", 500), ("http_502_html", 502)):
            jcall("POST", "/_sim/faults", {"method": "POST", "path": "/v1/payouts", "fault": fault})
            status, hdr, raw = call("POST", "/v1/payouts", {"payouts": [self.item("H1")]},
                                    dict(self.auth(), **{"X-REQUEST-ID": "HTMLKEY000000001"}))
            self.assertEqual(status, code)
            self.assertTrue(hdr["Content-Type"].startswith("text/html"))
            self.assertIn(b"<html>", raw)
            self.assertEqual(ledger()["pivot"]["payouts_created_per_reference"], {})
        # The faults were used up: the next request goes through.
        self.assertEqual(self.payout([self.item("H1")], xrid="HTMLKEY000000001")[0], 200)

    def test_http_503(self):
        jcall("POST", "/_sim/faults", {"path": "/v1/payouts", "fault": "http_503"})
        status, body = self.payout([self.item("U1")])
        self.assertEqual((status, body["code"], body["error"]["type"]),
                         (503, "service_unavailable", "GATEWAY_ERROR"))
        jcall("POST", "/_sim/faults", {"path": "/gateway/api/v2/payouts", "fault": "http_503"})
        status, hdr, _ = call("POST", "/gateway/api/v2/payouts", self.gw_order())
        self.assertEqual((status, hdr["Content-Type"]), (503, "text/html"))
        led = ledger()
        self.assertEqual((led["pivot"]["payouts_created_per_reference"],
                          led["gateway"]["orders_created_per_reference"]), ({}, {}))

    def test_http_401_does_not_process(self):
        jcall("POST", "/_sim/faults", {"path": "/v1/payouts", "fault": "http_401"})
        status, body = self.payout([self.item("A401")])
        self.assertEqual((status, body["code"]), (401, "credentials_invalid"))
        jcall("POST", "/_sim/faults", {"path": "/gateway/api/v2/payouts", "fault": "http_401"})
        status, hdr, _ = call("POST", "/gateway/api/v2/payouts", self.gw_order("G401"))
        self.assertEqual((status, hdr["Content-Type"]), (401, "text/html"))
        led = ledger()
        self.assertEqual((led["pivot"]["payouts_created_per_reference"],
                          led["gateway"]["orders_created_per_reference"]), ({}, {}))
        self.assertEqual([h["fault"] for h in led["http"][-2:]], ["http_401", "http_401"])

    def test_delay_response_processes_then_answers_late(self):
        jcall("POST", "/_sim/faults", {"path": "/gateway/api/v2/payouts", "fault": "delay_response",
                                       "hold_seconds": 0.6})
        started = time.monotonic()
        status, _, raw = call("POST", "/gateway/api/v2/payouts", self.gw_order("SLOW1"))
        self.assertGreaterEqual(time.monotonic() - started, 0.6)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(raw)["error_code"], "0000")
        self.assertEqual(ledger()["gateway"]["orders_created_per_reference"], {"SLOW1": 1})
        # A client that gave up earlier still left exactly one order behind.
        jcall("POST", "/_sim/faults", {"path": "/gateway/api/v2/payouts", "fault": "delay_response",
                                       "hold_seconds": 1.0})
        with self.assertRaises((*TIMEOUT, urllib.error.URLError, ConnectionError)):
            call("POST", "/gateway/api/v2/payouts", self.gw_order("SLOW2"), timeout=0.3)
        wait_until(lambda: ledger()["gateway"]["orders_created_per_reference"].get("SLOW2"))
        self.assertEqual(ledger()["gateway"]["orders_created_per_reference"]["SLOW2"], 1)

    def test_empty_body_processes(self):
        jcall("POST", "/_sim/faults", {"path": "/gateway/api/v2/payouts", "fault": "empty_body"})
        status, _, raw = call("POST", "/gateway/api/v2/payouts", self.gw_order("EMPTY1"))
        self.assertEqual((status, raw), (200, b""))
        self.assertEqual(ledger()["gateway"]["orders_created_per_reference"], {"EMPTY1": 1})

    def test_count_method_and_prefix_matching(self):
        jcall("POST", "/_sim/faults", {"method": "GET", "path": "/v1/payouts/*", "fault": "http_502_html",
                                       "count": 2})
        uuid_ = self.payout([self.item("M1")])[1]["data"]["uuid"]  # POST: not matched
        self.assertEqual(call("GET", f"/v1/payouts/{uuid_}", headers=self.auth())[0], 502)
        self.assertEqual(call("GET", f"/v1/payouts/{uuid_}", headers=self.auth())[0], 502)
        self.assertEqual(call("GET", f"/v1/payouts/{uuid_}", headers=self.auth())[0], 200)


class CallbackFaultTests(SimTestCase):
    def test_pivot_delay(self):
        jcall("POST", "/_sim/faults", {"callback": "pivot", "fault": "delay", "seconds": 0.6})
        started = time.monotonic()
        self.payout([self.item("CD1")])
        time.sleep(0.3)
        self.assertEqual(MERCHANT.received, [])
        got = MERCHANT.got(1, timeout=5)
        self.assertGreaterEqual(got[0]["at"] - started, 0.6)

    def test_pivot_duplicate(self):
        jcall("POST", "/_sim/faults", {"callback": "pivot", "fault": "duplicate"})
        self.payout([self.item("DU1")])
        got = MERCHANT.got(2)
        self.assertEqual(got[0]["raw"], got[1]["raw"])
        recs = wait_until(lambda: (lambda c: c if len(c) == 2 else None)(ledger()["callbacks"]))
        self.assertEqual([r["kind"] for r in recs], ["final", "duplicate"])
        self.assertTrue(all(r["acknowledged"] for r in recs))

    def test_pivot_out_of_order(self):
        jcall("POST", "/_sim/faults", {"callback": "pivot", "fault": "out_of_order"})
        self.payout([self.item("OO1")])
        got = MERCHANT.got(2)
        self.assertEqual([g["json"]["event"] for g in got], ["PAYOUT.SUCCESS", "PAYOUT.PENDING"])
        self.assertEqual(got[1]["json"]["data"]["payouts"]["status"], "PENDING")
        self.assertEqual({g["headers"]["X-API-Key"] for g in got}, {"kirim-callback-key"})

    def test_pivot_bulk_out_of_order_is_in_progress(self):
        jcall("POST", "/_sim/faults", {"callback": "pivot", "fault": "out_of_order"})
        self.payout([self.item("OB1"), self.item("OB2")])
        stale = MERCHANT.got(2)[1]["json"]
        self.assertEqual((stale["event"], stale["data"]["status"]), ("PAYOUT.PENDING", "IN PROGRESS"))
        self.assertEqual(stale["data"]["payoutResults"]["totalPendingCount"], 2)

    def test_pivot_forged_recorded_with_merchant_answer(self):
        jcall("POST", "/_sim/faults", {"callback": "pivot", "fault": "forged"})
        self.payout([self.item("FG1", number="5550006")])  # fails; the forgery claims success
        got = MERCHANT.got(2)
        self.assertNotEqual(got[0]["headers"]["X-API-Key"], "kirim-callback-key")
        self.assertEqual(got[0]["json"]["event"], "PAYOUT.SUCCESS")
        self.assertEqual(got[1]["json"]["event"], "PAYOUT.FAILED")
        recs = wait_until(lambda: (lambda c: c if len(c) == 2 else None)(ledger()["callbacks"]))
        self.assertEqual((recs[0]["forged"], recs[0]["status_code"], recs[0]["acknowledged"]), (True, 401, False))
        self.assertEqual((recs[1]["forged"], recs[1]["acknowledged"]), (False, True))

    def test_gateway_faults(self):
        jcall("POST", "/_sim/faults", {"faults": [
            {"callback": "gateway", "fault": "forged"}, {"callback": "gateway", "fault": "duplicate"},
            {"callback": "gateway", "fault": "out_of_order"}]})
        jcall("POST", "/gateway/api/v2/payouts", self.gw_order("GF1", number="5550006"))
        got = [g["json"] for g in MERCHANT.got(4)]
        self.assertEqual([g["status"] for g in got], [3, 5, 5, 2])
        self.assertNotEqual(got[0]["sign"], md5_sign(got[0]))  # forged
        for g in got[1:]:
            self.assertEqual(g["sign"], md5_sign(g))
        self.assertEqual(got[1], got[2])
        self.assertLessEqual(got[3]["update_time"], got[1]["update_time"])  # stale: earlier state
        kinds = [r["kind"] for r in ledger()["callbacks"]]
        self.assertEqual(kinds, ["forged", "final", "duplicate", "stale"])


class GatewayTests(SimTestCase):
    def create(self, order):
        return jcall("POST", "/gateway/api/v2/payouts", order,
                     {"Content-Type": "application/json;charset=utf-8"})

    def test_create_md5_with_seed_strings_and_hmac_with_integers(self):
        self.assertEqual(self.create(self.gw_order("G1")), (200, {"error_code": "0000", "data": {
            "payout_id": "POT00000001"}}))
        order = self.gw_order("G2", sign_type="HMAC-SHA256", amount=5000000, request_time=1595504997)
        self.assertEqual(self.create(order)[1]["data"]["payout_id"], "POT00000002")
        upper = self.gw_order("G3")
        upper["sign"] = upper["sign"].upper()
        self.assertEqual(self.create(upper)[1]["error_code"], "0000")

    def test_errors(self):
        bad_sign = dict(self.gw_order("E1"), sign="0" * 32)
        self.assertEqual(self.create(bad_sign),
                         (200, {"error_code": "0004", "error_msg": "Signature verification failed!"}))
        hmac_labelled_md5 = dict(self.gw_order("E1"), sign_type="HMAC-SHA256")
        self.assertEqual(self.create(hmac_labelled_md5)[1]["error_code"], "0004")
        self.assertEqual(self.create(self.gw_order("E1", platform_id="PF9999"))[1],
                         {"error_code": "0006", "error_msg": "Invalid platform_id!"})
        missing = self.gw_order("E1")
        del missing["number"], missing["bank_name"]
        self.assertEqual(self.create(missing)[1],
                         {"error_code": "0001", "error_msg": "Missing parameter: bank_name, number"})
        self.assertEqual(self.create(self.gw_order("E1", currency="IDR"))[1]["error_msg"],
                         "Invalid parameter: currency")
        self.assertEqual(self.create(self.gw_order("E1", amount="50.00"))[1]["error_code"], "0001")
        self.assertEqual(self.create(self.gw_order("E1", sign_type="SHA1"))[1]["error_code"], "0001")
        self.assertEqual(self.create(self.gw_order("E1", amount="9" * 10))[1]["error_code"], "0009")
        self.assertEqual(ledger()["gateway"]["orders_created_per_reference"], {})

    def test_duplicate_payout_cl_id_creates_nothing(self):
        first = self.create(self.gw_order("DUP1"))[1]
        again = self.create(self.gw_order("DUP1", amount="7000000"))[1]
        self.assertEqual(first, again)
        g = ledger()["gateway"]
        self.assertEqual((g["orders_created_per_reference"], g["duplicate_submissions_per_reference"]),
                         ({"DUP1": 1}, {"DUP1": 1}))

    def test_lifecycle_notification_and_balance(self):
        jcall("POST", "/_sim/config", {"gateway_step_delay_seconds": 0.4, "gateway_fee_cents": 3200})
        self.create(self.gw_order("L1"))
        seen = [self.gw_get("/gateway/api/v2/payouts/L1")[1]["data"]["status"]]
        while seen[-1] != 3:
            time.sleep(0.05)
            status = self.gw_get("/gateway/api/v2/payouts/L1")[1]["data"]["status"]
            if status != seen[-1]:
                seen.append(status)
            self.assertLess(len(seen), 4)
        self.assertEqual(seen, [1, 2, 3])
        note = MERCHANT.got(1)[0]
        self.assertEqual(note["path"], "/gw")
        self.assertEqual(note["headers"]["Content-Type"], "application/json;charset=utf-8")
        n = note["json"]
        self.assertEqual(set(n), {"payout_id", "payout_cl_id", "platform_id", "amount", "real_amount",
                                  "fee", "status", "create_time", "update_time", "sign"})
        self.assertEqual((n["payout_id"], n["payout_cl_id"], n["platform_id"]), ("POT00000001", "L1", "PF0002"))
        self.assertEqual((n["amount"], n["real_amount"], n["fee"], n["status"]), (5000000, 5000000, 3200, 3))
        self.assertEqual(n["sign"], md5_sign(n))
        balance = self.gw_get("/gateway/api/v1/platforms/balance")[1]
        self.assertEqual(balance, {"error_code": "0000", "data": {"total_balance": 1_000_000_000 - 5_003_200}})
        rec = wait_until(lambda: ledger()["callbacks"])[0]
        self.assertEqual((rec["acknowledged"], rec["event"]), (True, "3"))

    def test_hmac_order_gets_hmac_notification(self):
        self.create(self.gw_order("H1", sign_type="HMAC-SHA256"))
        n = MERCHANT.got(1)[0]["json"]
        self.assertEqual(n["sign_type"], "HMAC-SHA256")
        self.assertEqual(n["sign"], hmac_sign(n))

    def test_failed_and_cancelled(self):
        self.create(self.gw_order("X5", number="5550006"))
        self.create(self.gw_order("X4", number="5550007"))
        notes = {g["json"]["payout_cl_id"]: g["json"] for g in MERCHANT.got(2)}
        self.assertEqual((notes["X5"]["status"], notes["X5"]["error_msg"], notes["X5"]["real_amount"]),
                         (5, "Invalid Account", 0))
        self.assertEqual((notes["X4"]["status"], notes["X4"]["error_msg"]), (4, "Order cancelled"))
        for n in notes.values():
            self.assertEqual(n["sign"], md5_sign(n))
        self.assertEqual(self.gw_get("/gateway/api/v1/platforms/balance")[1]["data"]["total_balance"],
                         1_000_000_000)

    def test_retries_until_error_code_0000(self):
        MERCHANT.reply_with((200, "success"), (200, '{"error_code":"0001"}'), (500, ""))
        self.create(self.gw_order("R1"))
        MERCHANT.got(4)
        recs = wait_until(lambda: (lambda c: c if len(c) == 4 else None)(ledger()["callbacks"]))
        self.assertEqual([r["acknowledged"] for r in recs], [False, False, False, True])

    def test_gives_up_after_ten_attempts(self):
        MERCHANT.reply_with(*[(200, "OK")] * 15)
        self.create(self.gw_order("R2"))
        MERCHANT.got(10)
        time.sleep(0.3)
        self.assertEqual([r["attempt"] for r in ledger()["callbacks"]], list(range(1, 11)))

    def test_query_shapes_and_errors(self):
        for cl_id in ("Q1", "Q2", "Q3"):
            self.create(self.gw_order(cl_id))
        MERCHANT.got(3)
        wrong = {"error_code": "0006", "error_msg": "Invalid Authorization!"}
        for hdr in ({}, {"Authorization": "Bearer kirim-gateway-auth"}):
            self.assertEqual(jcall("GET", "/gateway/api/v2/payouts", headers=hdr)[1], wrong)
            self.assertEqual(jcall("GET", "/gateway/api/v1/platforms/balance", headers=hdr)[1], wrong)
        status, body = self.gw_get("/gateway/api/v2/payouts?offset=1&limit=1")
        self.assertEqual((status, body["error_code"], body["data"]["total"]), (200, "0000", 3))
        self.assertEqual([p["payout_cl_id"] for p in body["data"]["payouts"]], ["Q2"])
        self.assertEqual(body["data"]["payouts"][0], {
            "payout_id": "POT00000002", "payout_cl_id": "Q2", "platform_id": "PF0002", "amount": 5000000,
            "real_amount": 5000000, "fee": 0, "currency": "idr", "bank_name": "BCA", "name": "test_name",
            "number": "4088748280272397", "status": 3,
            "create_time": body["data"]["payouts"][0]["create_time"],
            "update_time": body["data"]["payouts"][0]["update_time"]})
        body = self.gw_get("/gateway/api/v2/payouts?payout_id=POT00000003")[1]
        self.assertEqual([p["payout_cl_id"] for p in body["data"]["payouts"]], ["Q3"])
        single = self.gw_get("/gateway/api/v2/payouts/Q1")[1]
        self.assertEqual((single["error_code"], single["data"]["payout_id"]), ("0000", "POT00000001"))
        not_found = {"error_code": "0050", "error_msg": "order not found"}
        self.assertEqual(self.gw_get("/gateway/api/v2/payouts/NOPE")[1], not_found)
        self.assertEqual(self.gw_get("/gateway/api/v2/payouts?payout_cl_id=NOPE")[1], not_found)
        self.assertEqual(self.gw_get("/gateway/api/v2/payouts?limit=501")[1]["error_code"], "0001")

    def test_non_loopback_notify_url_is_refused(self):
        self.create(self.gw_order("NL1", notify=False, notify_url="https://xxx.xx/notification"))
        skipped = wait_until(lambda: ledger()["callbacks_skipped"])
        self.assertEqual(skipped[0]["reason"], "refused: not a loopback http:// URL")
        self.assertEqual(ledger()["callbacks"], [])
        self.assertEqual(self.gw_get("/gateway/api/v2/payouts/NL1")[1]["data"]["status"], 3)


class PaperIdTests(SimTestCase):
    SEED_KEYS = ["company_id", "company_name", "payment_id", "disbursement_id", "partner_id", "partner_name",
                 "amount", "status", "completed_time", "currency", "account_type", "bank_code",
                 "account_number", "account_holder_name"]

    def test_default_callback(self):
        status, rec = jcall("POST", "/_sim/paperid/callback", {})
        self.assertEqual((status, rec["status_code"], rec["acknowledged"]), (200, 200, True))
        got = MERCHANT.got(1)[0]
        self.assertEqual(got["path"], "/paper")
        self.assertEqual(got["headers"]["X-Callback-Token"], "kirim-paper-token")
        self.assertEqual(list(got["json"]), self.SEED_KEYS)
        self.assertEqual((got["json"]["status"], got["json"]["amount"], got["json"]["currency"]),
                         ("DISBURSED", 100000, "IDR"))
        self.assertRegex(got["json"]["completed_time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(ledger()["callbacks"][0]["provider"], "paperid")

    def test_failed_overrides_and_token_options(self):
        jcall("POST", "/_sim/paperid/callback", {
            "fields": {"status": "FAILED", "amount": 100000.5, "payment_id": "PAY-1"},
            "remove": ["completed_time"], "token": None})
        got = MERCHANT.got(1)[0]
        self.assertNotIn("X-Callback-Token", got["headers"])
        self.assertEqual(got["json"]["status_failure_code"], "INVALID_DESTINATION")
        self.assertIn(b'"amount":100000.5', got["raw"])  # exact number, no float rounding
        self.assertNotIn("completed_time", got["json"])
        self.assertEqual(got["json"]["payment_id"], "PAY-1")
        jcall("POST", "/_sim/paperid/callback", {"fields": {"status": "COMPLETED",
                                                            "timestamp": "2022-01-11T01:39:18.773Z"},
                                                 "token": "wrong"})
        got = MERCHANT.got(2)[1]
        self.assertEqual((got["headers"]["X-Callback-Token"], got["json"]["status"]), ("wrong", "COMPLETED"))
        self.assertNotIn("status_failure_code", got["json"])

    def test_url_rules(self):
        self.assertEqual(jcall("POST", "/_sim/paperid/callback", {"url": "http://example.com/x"})[0], 400)
        jcall("POST", "/_sim/config", {"paperid_callback_url": None})
        self.assertEqual(jcall("POST", "/_sim/paperid/callback", {})[0], 400)
        self.assertEqual(MERCHANT.received, [])


class ShutdownTests(unittest.TestCase):
    def test_shutdown_endpoint_stops_an_in_process_server(self):
        server = kirim_sim.SimServer(port=0, max_seconds=30).start()
        self.assertEqual(call("POST", "/_sim/shutdown", {}, base=server.url)[0], 200)
        self.assertTrue(server.wait(5))
        time.sleep(0.3)
        with self.assertRaises((urllib.error.URLError, ConnectionError)):
            call("GET", "/_sim/health", base=server.url, timeout=1)


if __name__ == "__main__":
    unittest.main()

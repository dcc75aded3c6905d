"""kirim provider simulator.

A loopback-only HTTP server that plays Pivot (Local Payout), the `platform_id`
withdraw-gateway family and Paper.id (payout callbacks), written from
shared/spec/providers.md alone, independently of the kirim core, so that the
library is checked against a second reading of the protocol. It never imports
the `kirim` package (nor its native module): it is a separate top-level package
of the same wheel.

Standard library only. docs/simulator.md documents the HTTP API, the control API
under /_sim/ (version API_VERSION) and the account-number rules.

Run:  python -m kirim.simulator --port 0 --port-file /tmp/sim.port
      (python -m kirim_simulator is the same program)
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import heapq
import hmac
import http.client
import ipaddress
import itertools
import json
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

# The control API's version (GET /_sim/version, docs/simulator.md). Bumped only by a change
# that can break a caller: an endpoint or field removed or renamed, a meaning changed.
API_VERSION = 1

LISTEN_HOST = "127.0.0.1"
MAX_BODY_BYTES = 1 << 20
MAX_HTTP_LOG = 2000
MAX_FAULT_SECONDS = 120.0
MAX_FAULT_COUNT = 100

# Pivot retries a callback at +5 min, +15 min, +1 h, +3 h, +6 h, +12 h after the
# previous attempt (spec 1.10): 7 attempts in all. Values are simulated hours;
# the real wait is hours * retry_scale_seconds_per_hour.
PIVOT_RETRY_HOURS = (5 / 60, 15 / 60, 1.0, 3.0, 6.0, 12.0)
# The gateway retries "up to 10 times within one hour" (spec 2.5); the exact
# schedule is unpublished, so this one (minutes, summing to 60) is our choice.
GATEWAY_RETRY_HOURS = tuple(m / 60 for m in (1, 2, 3, 5, 5, 8, 10, 12, 14))

XRID_RE = re.compile(r"[A-Za-z0-9]{16,36}")
DIGITS_RE = re.compile(r"[0-9]+")
# Spec 1.7 says "alphanumeric only"; a description such as "test Reforza Pivot"
# (the docs' own example) contains spaces, so spaces are accepted.
DESCRIPTION_RE = re.compile(r"[A-Za-z0-9 ]{0,20}")

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------


class ConfigError(ValueError):
    pass


def parse_rupiah_to_sen(value: Any) -> int:
    """Whole or 2-decimal rupiah (int or string) -> integer sen. Never a float."""
    if isinstance(value, bool):
        raise ConfigError("amount must be a string or an integer")
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, (str, Decimal)):
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            raise ConfigError(f"not a decimal amount: {value!r}") from None
    else:
        raise ConfigError("amount must be a string or an integer")
    sen = d * 100
    if not d.is_finite() or d < 0 or sen != sen.to_integral_value():
        raise ConfigError(f"amount must be >= 0 with at most 2 decimals: {value!r}")
    return int(sen)


def format_sen(sen: int) -> str:
    sign = "-" if sen < 0 else ""
    sen = abs(sen)
    return f"{sign}{sen // 100}.{sen % 100:02d}"


def is_loopback_url(url: Any) -> bool:
    """True for http:// URLs whose host is a loopback IP literal or `localhost`."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # raises ValueError on a bad port
    except ValueError:
        return False
    if parts.scheme != "http" or not host:
        return False
    if host == "localhost":
        # Accept the name only if every address it resolves to is loopback.
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False
        return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cfg_str(v):
    if not isinstance(v, str) or not v:
        raise ConfigError("must be a non-empty string")
    return v


def _cfg_url(v):
    if v is None or v == "":
        return None
    if not is_loopback_url(v):
        raise ConfigError("must be an http:// URL on a loopback host (127.0.0.0/8, ::1, localhost)")
    return v


def _cfg_num(lo: float, hi: float):
    # Durations, not money: a float is fine here.
    def parse(v):
        if isinstance(v, bool) or not isinstance(v, (int, Decimal, str)):
            raise ConfigError("must be a number")
        try:
            f = float(Decimal(str(v)))
        except InvalidOperation:
            raise ConfigError("must be a number") from None
        if not lo <= f <= hi:
            raise ConfigError(f"must be between {lo} and {hi}")
        return f
    return parse


def _cfg_int(lo: int, hi: int):
    def parse(v):
        if isinstance(v, bool):
            raise ConfigError("must be an integer")
        if isinstance(v, str) and DIGITS_RE.fullmatch(v):
            v = int(v)
        if not isinstance(v, int) or not lo <= v <= hi:
            raise ConfigError(f"must be an integer between {lo} and {hi}")
        return v
    return parse


def _cfg_rupiah(v):
    parse_rupiah_to_sen(v)
    return format_sen(parse_rupiah_to_sen(v))


# name -> (parser, default). Every key is also a --kebab-case CLI flag.
CONFIG_SPEC: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "pivot_merchant_id": (_cfg_str, "kirim-merchant"),
    "pivot_merchant_secret": (_cfg_str, "kirim-secret"),
    "pivot_callback_key": (_cfg_str, "kirim-callback-key"),
    "pivot_token_lifetime_seconds": (_cfg_int(1, 86400), 900),
    "pivot_callback_url": (_cfg_url, None),
    "pivot_balance": (_cfg_rupiah, "10000000.00"),
    "pivot_min_amount": (_cfg_int(1, 10**12), 10000),
    "pivot_processing_delay_seconds": (_cfg_num(0, 60), 0.2),
    "idempotency_window_seconds": (_cfg_int(1, 10 * 86400), 86400),
    "gateway_platform_id": (_cfg_str, "PF0002"),
    "gateway_platform_key": (_cfg_str, "ThisIsYourSecretKey123"),
    "gateway_auth_token": (_cfg_str, "kirim-gateway-auth"),
    "gateway_balance_cents": (_cfg_int(0, 10**15), 1_000_000_000),
    "gateway_fee_cents": (_cfg_int(0, 10**12), 0),
    "gateway_step_delay_seconds": (_cfg_num(0, 60), 0.2),
    "paperid_client_id": (_cfg_str, "kirim-paper-client"),
    "paperid_client_secret": (_cfg_str, "kirim-paper-secret"),
    "paperid_callback_token": (_cfg_str, "kirim-paper-token"),
    "paperid_callback_url": (_cfg_url, None),
    "retry_scale_seconds_per_hour": (_cfg_num(0, 10), 1.0),
    "callback_timeout_seconds": (_cfg_num(0.1, 60), 5.0),
}


def default_config() -> dict:
    return {k: d for k, (_, d) in CONFIG_SPEC.items()}


def validate_config(updates: Any) -> dict:
    if not isinstance(updates, dict):
        raise ConfigError("config body must be a JSON object")
    out = {}
    for key, value in updates.items():
        if key not in CONFIG_SPEC:
            raise ConfigError(f"unknown config key: {key}")
        try:
            out[key] = CONFIG_SPEC[key][0](value)
        except ConfigError as e:
            raise ConfigError(f"{key}: {e}") from None
    return out


# ---------------------------------------------------------------------------
# JSON, time and signing helpers
# ---------------------------------------------------------------------------

_DEC_MARK = "@@kirim-sim-decimal-" + secrets.token_hex(6) + "-"


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def loads(body: bytes) -> Any:
    """Parse JSON without ever producing a float (fractions become Decimal)."""
    return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)


def dumps(obj: Any, sort_keys: bool = False) -> bytes:
    """Compact JSON; a Decimal is written as the exact number it holds."""
    decimals: list[Decimal] = []

    def walk(o):
        if isinstance(o, Decimal):
            decimals.append(o)
            return f"{_DEC_MARK}{len(decimals) - 1}"
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [walk(v) for v in o]
        return o

    text = json.dumps(walk(obj), ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    for i, d in enumerate(decimals):
        text = text.replace(f'"{_DEC_MARK}{i}"', str(d), 1)
    return text.encode("utf-8")


def iso_z(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms_z(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _canon_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal, str)):
        # An integer 50000 and the string "50000" must sign the same (spec G9).
        return str(v)
    if isinstance(v, (list, dict)):
        return dumps(v).decode("utf-8")  # arrays as compact JSON (spec 2.4 step 3)
    raise TypeError(f"cannot sign a value of type {type(v).__name__}")


def gateway_sign_string(params: dict) -> str:
    """Spec 2.4 steps 1-3: drop sign/sign_type, null and "", sort by byte order, k=v&..."""
    keys = [k for k, v in params.items()
            if k not in ("sign", "sign_type") and v is not None and v != ""]
    keys.sort(key=lambda k: k.encode("utf-8"))
    return "&".join(f"{k}={_canon_value(params[k])}" for k in keys)


def gateway_sign(params: dict, key: str, sign_type: str | None = None) -> str:
    """Spec 2.4 step 4. sign_type absent/""/"MD5" -> MD5, "HMAC-SHA256" -> HMAC."""
    s = gateway_sign_string(params)
    if sign_type in (None, "", "MD5"):
        return hashlib.md5((s + "&" + key).encode("utf-8")).hexdigest()
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode("utf-8"), s.encode("utf-8"), hashlib.sha256).hexdigest()
    raise ValueError(f"unsupported sign_type: {sign_type!r}")


def gateway_verify(params: dict, key: str) -> bool:
    given = params.get("sign")
    if not isinstance(given, str):
        return False
    expected = gateway_sign(params, key, params.get("sign_type"))
    # Constant time; hex compared case-insensitively (spec G8).
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("utf-8"))


# ---------------------------------------------------------------------------
# Clock and scheduler
# ---------------------------------------------------------------------------


class Clock:
    """Simulated clock: real time plus an offset tests can advance."""

    def __init__(self):
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset


class Scheduler:
    """Runs callables after a real-time delay, each in its own daemon thread.

    Every chain of work scheduled here is finite (bounded attempts), so the
    number of tasks stays bounded; stop() drops whatever is still queued.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._heap: list = []
        self._seq = itertools.count()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="kirim-sim-scheduler", daemon=True)
        self._thread.start()

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), fn))
            self._cond.notify()

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            threading.Thread(target=self._safe, args=(fn,), daemon=True).start()

    @staticmethod
    def _safe(fn) -> None:
        try:
            fn()
        except Exception:  # a bug in a task must not kill the scheduler
            traceback.print_exc()


# ---------------------------------------------------------------------------
# HTTP plumbing types
# ---------------------------------------------------------------------------


@dataclass
class Req:
    method: str
    path: str
    query: dict
    headers: Any  # email.message.Message: case-insensitive .get()
    body: bytes

    def q(self, name: str) -> str | None:
        vals = self.query.get(name)
        return vals[0] if vals else None


@dataclass
class Resp:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


def json_resp(status: int, obj: Any) -> Resp:
    return Resp(status, dumps(obj))


def html_page(status: int, reason: str) -> Resp:
    body = (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            f"</body>\r\n</html>\r\n").encode()
    return Resp(status, body, "text/html")


PIVOT_MESSAGES = {
    "credentials_invalid": "Access Token is Invalid",
    "field_format_invalid": "Format Field is Invalid",
    "field_required": "Mandatory Field is Missing",
    "amount_below_limit": "Amount Value below the minimum",
    "resource_already_exists": "X-REQUEST-ID is already exists",
    "not_found": "Resource not found",
    "service_unavailable": "Gateway / Partner service is unavailable",
}


def pivot_error(status: int, code: str, details=(), message: str | None = None,
                err_type: str = "API_ERROR") -> Resp:
    return json_resp(status, {
        "code": code,
        "message": message or PIVOT_MESSAGES.get(code, code),
        "error": {"type": err_type, "details": list(details), "traceId": uuid.uuid4().hex},
    })


def pivot_validation_error(problems: list[tuple[str, str, str]]) -> Resp:
    """problems: (code, field, message). The envelope code is the most basic
    problem found (missing > malformed > below limit); details list them all."""
    codes = {c for c, _, _ in problems}
    for code in ("field_required", "field_format_invalid", "amount_below_limit"):
        if code in codes:
            break
    return pivot_error(400, code, [{"field": f, "message": m} for _, f, m in problems])


def gw_error(code: str, msg: str) -> Resp:
    # The gateway family answers errors with HTTP 200 and an error_code.
    return json_resp(200, {"error_code": code, "error_msg": msg})


# ---------------------------------------------------------------------------
# Callback delivery description
# ---------------------------------------------------------------------------


@dataclass
class Delivery:
    provider: str
    url: str
    payload: dict
    headers: dict
    event: str
    reference: str
    payout_id: str
    max_attempts: int
    retry_hours: tuple
    acknowledged: Callable[[int | None, str | None], bool]
    retryable: Callable[[int | None, str | None], bool]
    kind: str = "final"  # final | duplicate | stale | forged


def pivot_ack(status, body):
    return status is not None and 200 <= status < 300


def pivot_retryable(status, body):
    # Spec 1.10: retried on 5xx, 408, 429 or an internal (connection) error only.
    return status is None or status >= 500 or status in (408, 429)


def gateway_ack(status, body):
    # Spec 2.5: the merchant acknowledges by replying JSON {"error_code":"0000"}.
    try:
        obj = json.loads(body or "")
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("error_code") == "0000"


def always(status, body):
    return True


def http_post(url: str, body: bytes, headers: dict, timeout: float):
    """POST to a loopback URL. Returns (status or None, body text or None, error or None).

    http.client is used directly: it ignores proxy variables, follows no
    redirects and keeps header names exactly as given.
    """
    if not is_loopback_url(url):
        return None, None, "refused: not a loopback http:// URL"
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read(65536)
        return resp.status, data.decode("utf-8", "replace"), None
    except (OSError, http.client.HTTPException) as e:
        return None, None, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# Provider rules (account numbers)
# ---------------------------------------------------------------------------

PIVOT_BANK_NAMES = {"999966660001": "Reforza Pivot", "999966660002": "Inactive Holder"}
PIVOT_FAIL_SUFFIX = {
    "0003": "Dormant Account",
    "0004": "Failed to process by Bank Network",
    "0005": "Declined due to beneficiary limit",
    "0006": "Invalid Account",
}


def pivot_inquiry_result(number: str, name: str) -> dict:
    bank_name = PIVOT_BANK_NAMES.get(number)
    if bank_name is not None:
        if name.strip().casefold() == bank_name.casefold():
            return {"status": "VALID"}
        return {"status": "WARNING",
                "detail": "The account name entered does not match the bank's records. "
                          f"Bank record: {bank_name}"}
    if not DIGITS_RE.fullmatch(number) or number.endswith("0000"):
        return {"status": "INVALID", "detail": "Account number not found."}
    if number.endswith("9999"):
        return {"status": "PENDING", "detail": "Inquiry in progress"}
    return {"status": "VALID"}


def pivot_payout_outcome(number: str) -> tuple[str, str]:
    if number == "999966660002":
        return "FAILED", "Inactive Account"
    if not DIGITS_RE.fullmatch(number) or number.endswith("0000"):
        return "FAILED", "Invalid Account"
    reason = PIVOT_FAIL_SUFFIX.get(number[-4:])
    return ("FAILED", reason) if reason else ("SUCCESS", "")


def gateway_outcome(number: str) -> tuple[int, str | None]:
    if number.endswith("0006"):
        return 5, "Invalid Account"
    if number.endswith("0007"):
        return 4, "Order cancelled"
    return 3, None


GW_REQUIRED = ("platform_id", "service_id", "payout_cl_id", "amount", "currency",
               "bank_name", "name", "number", "request_time", "sign")
REQUEST_FAULTS = ("drop_response", "delay_response", "http_401", "http_500_html", "http_502_html",
                  "http_503", "empty_body")
CALLBACK_FAULTS = ("delay", "duplicate", "out_of_order", "forged")

# ---------------------------------------------------------------------------
# The simulator (state and behaviour; no sockets here except callbacks)
# ---------------------------------------------------------------------------


def authenticated(check: str):
    """A request handler that runs under the simulator's lock, once the provider's credential
    check (the method named `check`: `_pivot_auth` or `_gw_auth`) lets the request through;
    otherwise the check's error is the answer."""
    def wrap(handler):
        @functools.wraps(handler)
        def run(self, req: Req, *args, **kwargs) -> Resp:
            with self.lock:
                return getattr(self, check)(req) or handler(self, req, *args, **kwargs)
        return run
    return wrap


class Simulator:
    def __init__(self, config: dict | None = None):
        self.startup_config = default_config()
        self.startup_config.update(validate_config(config or {}))
        self.lock = threading.RLock()
        self.clock = Clock()
        self.scheduler = Scheduler()
        self.stopping = threading.Event()
        self.on_shutdown: Callable[[], None] = lambda: None
        self.generation = 0
        self._init_state(dict(self.startup_config))
        self.routes = self._build_routes()

    # -- state -------------------------------------------------------------

    def _init_state(self, config: dict) -> None:
        self.config = config
        self.pivot_balance_sen = parse_rupiah_to_sen(config["pivot_balance"])
        self.gateway_balance = config["gateway_balance_cents"]
        self.tokens: dict[str, float] = {}
        self.inquiries: dict[str, dict] = {}
        self.pivot_requests: dict[str, dict] = {}  # uuid -> request, insertion ordered
        self.pivot_idem: dict[str, dict] = {}  # X-REQUEST-ID -> first response
        self.pivot_refs: dict[str, str] = {}  # referenceId -> request uuid
        self.pivot_created_per_ref: dict[str, int] = {}
        self.gw_orders: dict[str, dict] = {}  # payout_cl_id -> order
        self.gw_created_per_ref: dict[str, int] = {}
        self.gw_duplicates_per_ref: dict[str, int] = {}
        self.gw_seq = 0
        self.request_faults: list[dict] = []
        self.callback_faults: list[dict] = []
        self.callbacks: list[dict] = []
        self.callbacks_skipped: list[dict] = []
        self.http_log: list[dict] = []
        self.tokens_issued = 0

    def reset(self, keep_config: bool = False) -> None:
        with self.lock:
            self.generation += 1  # in-flight scheduled work sees this and stops
            self.scheduler.clear()
            config = self.config if keep_config else dict(self.startup_config)
            self._init_state(config)
            if not keep_config:
                self.clock.reset()

    def now(self) -> float:
        return self.clock.now()

    # -- routing -----------------------------------------------------------

    def _build_routes(self):
        r = [
            ("POST", r"/v1/access-token", self.pivot_access_token),
            ("GET", r"/v1/payouts/balance", self.pivot_balance),
            ("GET", r"/v1/balances", self.pivot_balance),
            ("POST", r"/v1/inquiry-account", self.pivot_inquiry),
            ("GET", r"/v1/inquiry-account/(?P<inquiry_id>[^/]+)", self.pivot_get_inquiry),
            ("POST", r"/v1/payouts", self.pivot_create_payouts),
            ("GET", r"/v1/payouts/(?P<payout_uuid>[^/]+)", self.pivot_get_payout),
            ("POST", r"/gateway/api/v2/payouts", self.gw_create),
            ("GET", r"/gateway/api/v2/payouts", self.gw_query_list),
            ("GET", r"/gateway/api/v2/payouts/(?P<cl_id>[^/]+)", self.gw_query_one),
            ("GET", r"/gateway/api/v1/platforms/balance", self.gw_balance),
            ("GET", r"/_sim/version", self.ctl_version),
            ("GET", r"/_sim/health", self.ctl_health),
            ("GET", r"/_sim/config", self.ctl_get_config),
            ("POST", r"/_sim/config", self.ctl_config),
            ("GET", r"/_sim/faults", self.ctl_get_faults),
            ("POST", r"/_sim/faults", self.ctl_faults),
            ("GET", r"/_sim/ledger", self.ctl_ledger),
            ("GET", r"/_sim/clock", self.ctl_get_clock),
            ("POST", r"/_sim/clock", self.ctl_clock),
            ("POST", r"/_sim/reset", self.ctl_reset),
            ("POST", r"/_sim/shutdown", self.ctl_shutdown),
            ("POST", r"/_sim/paperid/callback", self.ctl_paperid_callback),
        ]
        return [(m, re.compile(p), fn) for m, p, fn in r]

    def route(self, req: Req) -> Resp:
        for method, pattern, fn in self.routes:
            m = pattern.fullmatch(req.path)
            if m and method == req.method:
                return fn(req, **m.groupdict())
        if req.path.startswith("/v1/"):
            return pivot_error(404, "not_found", err_type="GATEWAY_ERROR")
        return json_resp(404, {"error": f"no such endpoint: {req.method} {req.path}"})

    # -- request faults ----------------------------------------------------

    def take_request_fault(self, method: str, path: str) -> dict | None:
        with self.lock:
            for f in self.request_faults:
                if f["method"] not in (None, method):
                    continue
                p = f["path"]
                if p.endswith("*") and path.startswith(p[:-1]) or p == path:
                    f["remaining"] -= 1
                    if f["remaining"] <= 0:
                        self.request_faults.remove(f)
                    return dict(f)
        return None

    def log_http(self, method: str, path: str, query: str, status: int | None, fault: str | None):
        with self.lock:
            self.http_log.append({"method": method, "path": path, "query": query,
                                  "status": status, "fault": fault, "at": iso_z(self.now())})
            del self.http_log[:-MAX_HTTP_LOG]

    # =====================================================================
    # Pivot
    # =====================================================================

    def _pivot_auth(self, req: Req) -> Resp | None:
        scheme, _, token = (req.headers.get("Authorization") or "").strip().partition(" ")
        expiry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None or self.now() >= expiry:
            return pivot_error(401, "credentials_invalid")
        return None

    @staticmethod
    def _json_body(req: Req) -> tuple[Any, Resp | None]:
        try:
            return loads(req.body), None
        except (ValueError, UnicodeDecodeError):
            return None, pivot_error(400, "field_format_invalid",
                                     [{"field": "body", "message": "body is not valid JSON"}])

    def pivot_access_token(self, req: Req) -> Resp:
        cfg = self.config
        mid = req.headers.get("X-MERCHANT-ID") or ""
        secret = req.headers.get("X-MERCHANT-SECRET") or ""
        ok_id = hmac.compare_digest(mid.encode(), cfg["pivot_merchant_id"].encode())
        ok_secret = hmac.compare_digest(secret.encode(), cfg["pivot_merchant_secret"].encode())
        if not (ok_id and ok_secret):
            return pivot_error(401, "credentials_invalid")
        body, err = self._json_body(req)
        if err:
            return err
        grant = body.get("grantType") if isinstance(body, dict) else None
        if grant is None:
            return pivot_validation_error([("field_required", "grantType", "grantType is required")])
        if grant != "client_credentials":
            return pivot_validation_error(
                [("field_format_invalid", "grantType", "grantType must be client_credentials")])
        lifetime = cfg["pivot_token_lifetime_seconds"]
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = self.now() + lifetime
            self.tokens_issued += 1
        return json_resp(200, {"code": "00", "message": "Success", "data": {
            "accessToken": token, "expiresIn": str(lifetime), "tokenType": "Bearer"}})

    @authenticated("_pivot_auth")
    def pivot_balance(self, req: Req) -> Resp:
        currency = req.q("currency")
        usecase = req.q("usecase")
        if currency not in (None, "IDR"):
            return pivot_validation_error(
                [("field_format_invalid", "currency", "only IDR is supported")])
        if usecase not in (None, "DISBURSEMENT"):
            return pivot_validation_error(
                [("field_format_invalid", "usecase", "only DISBURSEMENT is supported")])
        value = format_sen(self.pivot_balance_sen)
        return json_resp(200, {"code": "00", "message": "Success", "data": {
            "availableBalance": {"currency": "IDR", "value": value}}})

    @staticmethod
    def _check_str(obj: Any, key: str, path: str, lo: int, hi: int, problems: list) -> str | None:
        v = obj.get(key) if isinstance(obj, dict) else None
        if v is None or v == "":
            problems.append(("field_required", path, f"{path} is required"))
            return None
        if not isinstance(v, str) or not lo <= len(v) <= hi:
            problems.append(("field_format_invalid", path,
                             f"{path} must be a string of {lo} to {hi} characters"))
            return None
        return v

    def _check_channel(self, obj: Any, prefix: str, problems: list):
        code = self._check_str(obj, "channelCode", prefix + "channelCode", 1, 30, problems)
        info = obj.get("channelInformation") if isinstance(obj, dict) else None
        ipath = prefix + "channelInformation"
        if info is None:
            problems.append(("field_required", ipath, f"{ipath} is required"))
            return code, None, None
        if not isinstance(info, dict):
            problems.append(("field_format_invalid", ipath, f"{ipath} must be an object"))
            return code, None, None
        number = self._check_str(info, "accountNumber", ipath + ".accountNumber", 1, 60, problems)
        name = self._check_str(info, "accountName", ipath + ".accountName", 1, 60, problems)
        return code, number, name

    @authenticated("_pivot_auth")
    def pivot_inquiry(self, req: Req) -> Resp:
        body, err = self._json_body(req)
        if err:
            return err
        problems: list = []
        code, number, name = self._check_channel(body, "", problems)
        if problems:
            return pivot_validation_error(problems)
        inquiry_id = str(uuid.uuid4())
        self.inquiries[inquiry_id] = {
            "uuid": inquiry_id, "channelCode": code, "accountNumber": number,
            "accountName": name, "result": pivot_inquiry_result(number, name)}
        return self._render_inquiry(inquiry_id)

    def _render_inquiry(self, inquiry_id: str) -> Resp:
        inq = self.inquiries[inquiry_id]
        return json_resp(200, {"code": "00", "message": "OK", "data": {
            "uuid": inquiry_id, "merchantId": self.config["pivot_merchant_id"],
            "inquiryResult": dict(inq["result"])}})

    @authenticated("_pivot_auth")
    def pivot_get_inquiry(self, req: Req, inquiry_id: str) -> Resp:
        inq = self.inquiries.get(inquiry_id)
        if inq is None:
            return pivot_error(404, "not_found", err_type="GATEWAY_ERROR")
        # A PENDING inquiry ("...9999") has finished by the time it is polled.
        if inq["result"]["status"] == "PENDING":
            inq["result"] = {"status": "VALID"}
        return self._render_inquiry(inquiry_id)

    def _validate_payout_items(self, body: Any) -> tuple[list[dict], list]:
        problems: list = []
        items: list[dict] = []
        payouts = body.get("payouts") if isinstance(body, dict) else None
        if payouts is None:
            return [], [("field_required", "payouts", "payouts is required")]
        if not isinstance(payouts, list) or not 1 <= len(payouts) <= 100:
            return [], [("field_format_invalid", "payouts", "payouts must be an array of 1 to 100 items")]
        seen_refs: set = set()
        for i, raw in enumerate(payouts):
            p = f"payouts[{i}]."
            if not isinstance(raw, dict):
                problems.append(("field_format_invalid", f"payouts[{i}]", "must be an object"))
                continue
            ref = self._check_str(raw, "referenceId", p + "referenceId", 1, 100, problems)
            if ref is not None:
                if ref in seen_refs:
                    problems.append(("field_format_invalid", p + "referenceId",
                                     "referenceId is repeated in this request"))
                seen_refs.add(ref)
            inquiry_id = raw.get("inquiryId")
            if inquiry_id not in (None, ""):
                # Variant A: the beneficiary comes from the inquiry (channel fields ignored).
                inq = self.inquiries.get(inquiry_id) if isinstance(inquiry_id, str) else None
                if inq is None:
                    problems.append(("field_format_invalid", p + "inquiryId", "inquiryId not found"))
                elif inq["result"]["status"] not in ("VALID", "WARNING"):
                    problems.append(("field_format_invalid", p + "inquiryId",
                                     f"inquiry status is {inq['result']['status']}"))
                else:
                    code, number, name = inq["channelCode"], inq["accountNumber"], inq["accountName"]
            else:
                inquiry_id = ""
                code, number, name = self._check_channel(raw, p, problems)
            amount = raw.get("amount")
            value = None
            if amount is None:
                problems.append(("field_required", p + "amount", "amount is required"))
            elif not isinstance(amount, dict):
                problems.append(("field_format_invalid", p + "amount", "amount must be an object"))
            else:
                v = amount.get("value")
                if v is None or v == "":
                    problems.append(("field_required", p + "amount.value", "amount.value is required"))
                elif not isinstance(v, str) or not DIGITS_RE.fullmatch(v) or int(v) == 0:
                    problems.append(("field_format_invalid", p + "amount.value",
                                     "amount.value must be a string of digits greater than 0"))
                elif int(v) < self.config["pivot_min_amount"]:
                    problems.append(("amount_below_limit", p + "amount.value",
                                     f"minimum amount is {self.config['pivot_min_amount']}"))
                else:
                    value = int(v)
                cur = amount.get("currency")
                if cur is None or cur == "":
                    problems.append(("field_required", p + "amount.currency", "amount.currency is required"))
                elif cur != "IDR":
                    problems.append(("field_format_invalid", p + "amount.currency", "currency must be IDR"))
            desc = raw.get("description")
            if desc is not None and (not isinstance(desc, str) or not DESCRIPTION_RE.fullmatch(desc)):
                problems.append(("field_format_invalid", p + "description",
                                 "description: letters, digits and spaces only, at most 20"))
            if not problems:
                items.append({"referenceId": ref, "inquiryId": inquiry_id, "channelCode": code,
                              "accountNumber": number, "accountName": name, "amount": value,
                              "currency": "IDR", "description": desc or ""})
        return items, problems

    @staticmethod
    def _results(items: list[dict]) -> dict:
        out = {}
        for label, statuses in (("Pending", ("PENDING", "APPROVED")), ("Success", ("SUCCESS",)),
                                ("Failed", ("FAILED",)), ("Cancelled", ("CANCELLED",))):
            chosen = [it for it in items if it["status"] in statuses]
            out[f"total{label}Count"] = len(chosen)
            out[f"total{label}Amount"] = sum(it["amount"] for it in chosen)
        return out

    @staticmethod
    def _render_item(it: dict) -> dict:
        return {
            "amount": {"currency": it["currency"], "value": str(it["amount"])},
            "channelCode": it["channelCode"],
            "channelInformation": {"accountName": it["accountName"], "accountNumber": it["accountNumber"]},
            "created": iso_z(it["created"]),
            "inquiryId": it["inquiryId"],
            "description": it["description"],
            "referenceId": it["referenceId"],
            "status": it["status"],
            "reason": it["reason"],
            "updated": iso_z(it["updated"]),
        }

    def _render_request(self, r: dict) -> dict:
        return {
            "created": iso_z(r["created"]),
            "merchantId": self.config["pivot_merchant_id"],
            "uuid": r["uuid"],
            "updated": iso_z(r["updated"]),
            "status": r["status"],
            "payoutResults": self._results(r["items"]),
            "payouts": [self._render_item(it) for it in r["items"]],
        }

    def _pivot_in_flight_sen(self) -> int:
        return sum(it["amount"] * 100 for r in self.pivot_requests.values()
                   for it in r["items"] if it["status"] == "PENDING")

    @authenticated("_pivot_auth")
    def pivot_create_payouts(self, req: Req) -> Resp:
        xrid = req.headers.get("X-REQUEST-ID")
        if not xrid:
            return pivot_validation_error([("field_required", "X-REQUEST-ID", "X-REQUEST-ID is required")])
        if not XRID_RE.fullmatch(xrid):
            return pivot_validation_error([("field_format_invalid", "X-REQUEST-ID",
                                            "X-REQUEST-ID must be 16 to 36 letters or digits")])
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return pivot_validation_error([("field_format_invalid", "Content-Type",
                                            "Content-Type must be application/json")])
        body, err = self._json_body(req)
        if err:
            return err
        normalized = dumps(body, sort_keys=True)
        now = self.now()
        prior = self.pivot_idem.get(xrid)
        if prior and now - prior["at"] < self.config["idempotency_window_seconds"]:
            if prior["normalized"] == normalized:
                prior["replays"] += 1
                self.pivot_requests[prior["uuid"]]["replays"] += 1
                return Resp(200, prior["response"])
            return pivot_error(409, "resource_already_exists", [
                {"field": "X-REQUEST-ID", "message": "Use unique X-REQUEST-ID"}])
        items, problems = self._validate_payout_items(body)
        if problems:
            return pivot_validation_error(problems)
        used = [it["referenceId"] for it in items if it["referenceId"] in self.pivot_refs]
        if used:
            return pivot_error(409, "resource_already_exists",
                               [{"field": "referenceId", "message": f"referenceId {ref} is already exists"}
                                for ref in used], message="ID is already exists")
        total_sen = sum(it["amount"] * 100 for it in items)
        waiting = total_sen > self.pivot_balance_sen - self._pivot_in_flight_sen()
        for it in items:
            it.update(status="APPROVED" if waiting else "PENDING", reason="",
                      created=now, updated=now)
        r = {"uuid": str(uuid.uuid4()), "x_request_id": xrid, "created": now, "updated": now,
             "status": "PENDING" if waiting else "IN PROGRESS", "items": items, "replays": 0}
        self.pivot_requests[r["uuid"]] = r
        for it in items:
            self.pivot_refs[it["referenceId"]] = r["uuid"]
            self.pivot_created_per_ref[it["referenceId"]] = \
                self.pivot_created_per_ref.get(it["referenceId"], 0) + 1
        response = dumps({"code": "00", "message": "Success", "data": self._render_request(r)})
        self.pivot_idem[xrid] = {"normalized": normalized, "response": response, "at": now,
                                 "uuid": r["uuid"], "replays": 0}
        if not waiting:
            self._schedule_pivot_processing(r["uuid"])
        return Resp(200, response)

    def _schedule_pivot_processing(self, request_uuid: str) -> None:
        gen = self.generation
        self.scheduler.call_later(self.config["pivot_processing_delay_seconds"],
                                  lambda: self._process_pivot(request_uuid, gen))

    def _release_waiting_pivot(self) -> None:
        """After a top-up, start the requests that were waiting for balance, oldest first."""
        for r in self.pivot_requests.values():
            if r["status"] != "PENDING":
                continue
            total = sum(it["amount"] * 100 for it in r["items"])
            if total > self.pivot_balance_sen - self._pivot_in_flight_sen():
                break
            now = self.now()
            r["status"], r["updated"] = "IN PROGRESS", now
            for it in r["items"]:
                it["status"], it["updated"] = "PENDING", now
            self._schedule_pivot_processing(r["uuid"])

    def _process_pivot(self, request_uuid: str, gen: int) -> None:
        with self.lock:
            r = self.pivot_requests.get(request_uuid)
            if gen != self.generation or r is None or r["status"] != "IN PROGRESS":
                return
            stale_snapshot = {"results": self._results(r["items"]),
                              "items": [dict(it) for it in r["items"]]}
            now = self.now()
            for it in r["items"]:
                status, reason = pivot_payout_outcome(it["accountNumber"])
                if status == "SUCCESS":
                    if self.pivot_balance_sen < it["amount"] * 100:
                        # Only reachable when the balance was lowered by /_sim/config meanwhile.
                        status, reason = "FAILED", "Insufficient balance"
                    else:
                        self.pivot_balance_sen -= it["amount"] * 100
                it.update(status=status, reason=reason, updated=now)
            r["status"], r["updated"] = "DONE", now
            deliveries = self._pivot_callbacks(r, stale_snapshot)
        if deliveries:
            self._dispatch("pivot", *deliveries)

    def _pivot_callbacks(self, r: dict, stale: dict):
        url = self.config["pivot_callback_url"]
        if not url:
            self.callbacks_skipped.append({"provider": "pivot", "payout_id": r["uuid"],
                                           "reason": "no pivot_callback_url configured"})
            return None
        mid = self.config["pivot_merchant_id"]

        def single(event, item, status, reason):
            return {"event": event, "data": {"uuid": r["uuid"], "merchantId": mid, "payouts": {
                "referenceId": item["referenceId"],
                "amount": {"currency": item["currency"], "value": str(item["amount"])},
                "status": status, "reason": reason or None}}}

        def bulk(event, results, status):
            return {"event": event, "data": {"uuid": r["uuid"], "merchantId": mid,
                                              "payoutResults": results, "status": status}}

        if len(r["items"]) == 1:
            it = r["items"][0]
            final = single(f"PAYOUT.{it['status']}", it, it["status"], it["reason"])
            stale_payload = single("PAYOUT.PENDING", it, "PENDING", None)
            forged = single("PAYOUT.SUCCESS", it, "SUCCESS", None)
            event, ref = final["event"], it["referenceId"]
        else:
            final = bulk("PAYOUT.DONE", self._results(r["items"]), "DONE")
            stale_payload = bulk("PAYOUT.PENDING", stale["results"], "IN PROGRESS")
            forged_items = [dict(it, status="SUCCESS") for it in r["items"]]
            forged = bulk("PAYOUT.DONE", self._results(forged_items), "DONE")
            event, ref = "PAYOUT.DONE", ",".join(it["referenceId"] for it in r["items"])

        def headers(key):
            return {"X-API-Key": key, "Content-Type": "application/JSON", "Accept": "application/JSON"}

        key = self.config["pivot_callback_key"]
        base = Delivery("pivot", url, final, headers(key), event, ref, r["uuid"],
                        len(PIVOT_RETRY_HOURS) + 1, PIVOT_RETRY_HOURS, pivot_ack, pivot_retryable)
        return (base,
                replace(base, payload=stale_payload, event=stale_payload["event"], kind="stale"),
                replace(base, payload=forged, event=forged["event"], kind="forged",
                        headers=headers("forged-" + secrets.token_hex(8))))

    @authenticated("_pivot_auth")
    def pivot_get_payout(self, req: Req, payout_uuid: str) -> Resp:
        r = self.pivot_requests.get(payout_uuid)
        if r is None:
            return pivot_error(404, "not_found", err_type="GATEWAY_ERROR")
        ref = req.q("referenceId")
        if ref is not None:
            item = next((it for it in r["items"] if it["referenceId"] == ref), None)
            if item is None:
                return pivot_error(404, "not_found", err_type="GATEWAY_ERROR")
            return json_resp(200, {"code": "00", "message": "Success", "data": {
                "uuid": r["uuid"], "merchantId": self.config["pivot_merchant_id"],
                "payoutResults": self._results(r["items"]),
                "payouts": self._render_item(item)}})
        try:
            page = int(req.q("page") or 1)
            per_page = int(req.q("perPage") or 20)
        except ValueError:
            page = per_page = 0
        if page < 1 or not 1 <= per_page <= 100:
            return pivot_validation_error([("field_format_invalid", "page",
                                            "page >= 1 and perPage 1..100")])
        data = self._render_request(r)
        total = len(data["payouts"])
        data["payouts"] = data["payouts"][(page - 1) * per_page: page * per_page]
        return json_resp(200, {"code": "00", "message": "Success", "data": data, "pagination": {
            "page": page, "perPage": per_page, "totalItems": total,
            "totalPages": max(1, -(-total // per_page))}})

    # =====================================================================
    # Gateway (platform_id family)
    # =====================================================================

    @staticmethod
    def _gw_int(v: Any, max_digits: int) -> int | None:
        """Accept a JSON integer or a string of digits (spec 2.3: the seed sends strings)."""
        if isinstance(v, bool):
            return None
        if isinstance(v, int):
            return v if 0 <= v < 10 ** max_digits else None
        if isinstance(v, str) and DIGITS_RE.fullmatch(v) and len(v) <= max_digits:
            return int(v)
        return None

    def _gw_in_flight(self) -> int:
        return sum(o["amount"] + o["fee"] for o in self.gw_orders.values() if o["status"] in (1, 2))

    def gw_create(self, req: Req) -> Resp:
        try:
            body = loads(req.body)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return gw_error("0001", "Invalid parameter: body must be a JSON object")
        missing = [k for k in GW_REQUIRED if body.get(k) is None or body.get(k) == ""]
        if missing:
            return gw_error("0001", "Missing parameter: " + ", ".join(missing))
        with self.lock:
            cfg = self.config
            if body["platform_id"] != cfg["gateway_platform_id"]:
                return gw_error("0006", "Invalid platform_id!")
            if body.get("sign_type") not in (None, "", "MD5", "HMAC-SHA256"):
                return gw_error("0001", "Invalid parameter: sign_type")
            if not gateway_verify(body, cfg["gateway_platform_key"]):
                return gw_error("0004", "Signature verification failed!")
            amount = self._gw_int(body["amount"], 10)
            bad = []
            if amount is None or amount == 0:
                bad.append("amount")
            if self._gw_int(body["request_time"], 10) is None:
                bad.append("request_time")
            if body["service_id"] != "SVC0004":
                bad.append("service_id")
            if body["currency"] != "idr":
                bad.append("currency")
            for key, limit in (("payout_cl_id", 32), ("bank_name", 16), ("name", 16), ("number", 32)):
                if not isinstance(body[key], str) or len(body[key]) > limit:
                    bad.append(key)
            notify_url = body.get("notify_url") or None
            if notify_url is not None and (not isinstance(notify_url, str) or len(notify_url) > 256):
                bad.append("notify_url")
            if bad:
                return gw_error("0001", "Invalid parameter: " + ", ".join(bad))
            cl_id = body["payout_cl_id"]
            existing = self.gw_orders.get(cl_id)
            if existing is not None:
                # Same merchant order id again: nothing new is created; the first id comes back.
                self.gw_duplicates_per_ref[cl_id] = self.gw_duplicates_per_ref.get(cl_id, 0) + 1
                return json_resp(200, {"error_code": "0000", "data": {"payout_id": existing["payout_id"]}})
            fee = cfg["gateway_fee_cents"]
            if amount + fee > self.gateway_balance - self._gw_in_flight():
                return gw_error("0009", "Insufficient balance!")
            self.gw_seq += 1
            now = int(self.now())
            order = {
                "payout_id": f"POT{self.gw_seq:08d}", "payout_cl_id": cl_id,
                "platform_id": body["platform_id"], "amount": amount, "fee": fee,
                "currency": "idr", "bank_name": body["bank_name"], "name": body["name"],
                "number": body["number"], "status": 1, "error_msg": None,
                "create_time": now, "update_time": now, "processing_time": now,
                "notify_url": notify_url,
                "sign_type": "HMAC-SHA256" if body.get("sign_type") == "HMAC-SHA256" else "MD5",
            }
            self.gw_orders[cl_id] = order
            self.gw_created_per_ref[cl_id] = self.gw_created_per_ref.get(cl_id, 0) + 1
            self._schedule_gw_step(cl_id)
            return json_resp(200, {"error_code": "0000", "data": {"payout_id": order["payout_id"]}})

    def _schedule_gw_step(self, cl_id: str) -> None:
        gen = self.generation
        self.scheduler.call_later(self.config["gateway_step_delay_seconds"],
                                  lambda: self._gw_advance(cl_id, gen))

    def _gw_advance(self, cl_id: str, gen: int) -> None:
        with self.lock:
            o = self.gw_orders.get(cl_id)
            if gen != self.generation or o is None or o["status"] not in (1, 2):
                return
            now = int(self.now())
            if o["status"] == 1:
                o.update(status=2, update_time=now, processing_time=now)
                self._schedule_gw_step(cl_id)
                return
            status, error_msg = gateway_outcome(o["number"])
            if status == 3:
                if self.gateway_balance < o["amount"] + o["fee"]:
                    status, error_msg = 5, "Insufficient balance"  # balance lowered meanwhile
                else:
                    self.gateway_balance -= o["amount"] + o["fee"]
            o.update(status=status, error_msg=error_msg, update_time=now)
            deliveries = self._gw_callbacks(o)
        if deliveries:
            self._dispatch("gateway", *deliveries)

    @staticmethod
    def _gw_view(o: dict, status: int | None = None) -> dict:
        status = o["status"] if status is None else status
        failed = status in (4, 5)
        view = {
            "payout_id": o["payout_id"], "payout_cl_id": o["payout_cl_id"],
            "platform_id": o["platform_id"], "amount": o["amount"],
            "real_amount": 0 if failed else o["amount"], "fee": 0 if failed else o["fee"],
            "currency": o["currency"], "bank_name": o["bank_name"], "name": o["name"],
            "number": o["number"], "status": status,
            "create_time": o["create_time"], "update_time": o["update_time"],
        }
        if failed and o["error_msg"]:
            view["error_msg"] = o["error_msg"]
        return view

    def _gw_notification(self, o: dict, status: int, update_time: int, key: str) -> dict:
        n = {"payout_id": o["payout_id"], "payout_cl_id": o["payout_cl_id"],
             "platform_id": o["platform_id"], "amount": o["amount"],
             "real_amount": 0 if status in (4, 5) else o["amount"],
             "fee": 0 if status in (4, 5) else o["fee"], "status": status,
             "create_time": o["create_time"], "update_time": update_time}
        if status in (4, 5) and o["error_msg"]:
            n["error_msg"] = o["error_msg"]
        # The notification uses the order's own algorithm; sign_type only for HMAC.
        if o["sign_type"] == "HMAC-SHA256":
            n["sign_type"] = "HMAC-SHA256"
            n["sign"] = gateway_sign(n, key, "HMAC-SHA256")
        else:
            n["sign"] = gateway_sign(n, key, None)
        return n

    def _gw_callbacks(self, o: dict):
        url = o["notify_url"]
        if not url or not is_loopback_url(url):
            self.callbacks_skipped.append({
                "provider": "gateway", "payout_id": o["payout_id"], "url": url,
                "reason": "no notify_url" if not url else "refused: not a loopback http:// URL"})
            return None
        key = self.config["gateway_platform_key"]
        final = self._gw_notification(o, o["status"], o["update_time"], key)
        stale = self._gw_notification(o, 2, o["processing_time"], key)
        forged = self._gw_notification(dict(o, error_msg=None), 3, o["update_time"],
                                       "forged-" + secrets.token_hex(8))
        headers = {"Content-Type": "application/json;charset=utf-8"}
        base = Delivery("gateway", url, final, headers, str(o["status"]), o["payout_cl_id"],
                        o["payout_id"], len(GATEWAY_RETRY_HOURS) + 1, GATEWAY_RETRY_HOURS,
                        gateway_ack, always)
        return (base, replace(base, payload=stale, event="2", kind="stale"),
                replace(base, payload=forged, event="3", kind="forged"))

    def _gw_auth(self, req: Req) -> Resp | None:
        given = (req.headers.get("Authorization") or "").encode("utf-8")
        if not hmac.compare_digest(given, self.config["gateway_auth_token"].encode("utf-8")):
            return gw_error("0006", "Invalid Authorization!")
        return None

    @authenticated("_gw_auth")
    def gw_query_list(self, req: Req) -> Resp:
        nums = {}
        for name, default in (("offset", 0), ("limit", 25), ("create_time__gte", None),
                              ("create_time__lte", None)):
            raw = req.q(name)
            if raw is None or raw == "":
                nums[name] = default
            elif DIGITS_RE.fullmatch(raw):
                nums[name] = int(raw)
            else:
                return gw_error("0001", f"Invalid parameter: {name}")
        if not 1 <= nums["limit"] <= 500:
            return gw_error("0001", "Invalid parameter: limit")
        cl_id, payout_id = req.q("payout_cl_id"), req.q("payout_id")
        found = [o for o in self.gw_orders.values()
                 if (not cl_id or o["payout_cl_id"] == cl_id)
                 and (not payout_id or o["payout_id"] == payout_id)
                 and (nums["create_time__gte"] is None or o["create_time"] >= nums["create_time__gte"])
                 and (nums["create_time__lte"] is None or o["create_time"] <= nums["create_time__lte"])]
        if (cl_id or payout_id) and not found:
            return gw_error("0050", "order not found")
        page = found[nums["offset"]: nums["offset"] + nums["limit"]]
        return json_resp(200, {"error_code": "0000", "data": {
            "total": len(found), "payouts": [self._gw_view(o) for o in page]}})

    @authenticated("_gw_auth")
    def gw_query_one(self, req: Req, cl_id: str) -> Resp:
        o = self.gw_orders.get(cl_id)
        if o is None:
            return gw_error("0050", "order not found")
        return json_resp(200, {"error_code": "0000", "data": self._gw_view(o)})

    @authenticated("_gw_auth")
    def gw_balance(self, req: Req) -> Resp:
        return json_resp(200, {"error_code": "0000", "data": {"total_balance": self.gateway_balance}})

    # =====================================================================
    # Callback delivery (shared by Pivot and the gateway)
    # =====================================================================

    def _take_callback_faults(self, provider: str) -> dict:
        taken: dict = {}
        with self.lock:
            for f in list(self.callback_faults):
                if f["callback"] == provider and f["fault"] not in taken:
                    taken[f["fault"]] = dict(f)
                    f["remaining"] -= 1
                    if f["remaining"] <= 0:
                        self.callback_faults.remove(f)
        return taken

    def _dispatch(self, provider: str, final: Delivery, stale: Delivery, forged: Delivery) -> None:
        """Send one state change's callback, applying the callback faults queued for provider.

        Order: [forged] -> final (with retries) -> [duplicate of final] -> [stale]."""
        faults = self._take_callback_faults(provider)
        chain = []
        if "forged" in faults:
            chain.append(forged)
        chain.append(final)
        if "duplicate" in faults:
            chain.append(replace(final, kind="duplicate"))
        if "out_of_order" in faults:
            chain.append(stale)
        delay = faults.get("delay", {}).get("seconds", 0.0)
        gen = self.generation
        self.scheduler.call_later(delay, lambda: self._run_chain(chain, 0, 1, gen))

    def _run_chain(self, chain: list, idx: int, attempt: int, gen: int) -> None:
        while idx < len(chain):
            if gen != self.generation or self.stopping.is_set():
                return
            d = chain[idx]
            body = dumps(d.payload)
            status, text, error = http_post(d.url, body, d.headers, self.config["callback_timeout_seconds"])
            acked = d.acknowledged(status, text)
            with self.lock:
                if gen != self.generation:
                    return
                self.callbacks.append({
                    "seq": len(self.callbacks) + 1, "provider": d.provider, "url": d.url,
                    "kind": d.kind, "event": d.event, "reference": d.reference,
                    "payout_id": d.payout_id, "attempt": attempt, "status_code": status,
                    "response_body": None if text is None else text[:2000], "error": error,
                    "acknowledged": acked, "forged": d.kind == "forged",
                    "duplicate": d.kind == "duplicate", "stale": d.kind == "stale",
                    "sent_at": iso_z(self.now()), "headers": dict(d.headers), "payload": d.payload,
                })
            # A forged callback is sent once: only the merchant's answer matters.
            if not acked and d.kind != "forged" and attempt < d.max_attempts and d.retryable(status, text):
                wait = d.retry_hours[attempt - 1] * self.config["retry_scale_seconds_per_hour"]
                self.scheduler.call_later(wait, lambda: self._run_chain(chain, idx, attempt + 1, gen))
                return
            idx, attempt = idx + 1, 1

    # =====================================================================
    # Control API (/_sim/)
    # =====================================================================

    @staticmethod
    def _ctl_body(req: Req) -> Any:
        if not req.body.strip():
            return {}
        try:
            return loads(req.body)
        except (ValueError, UnicodeDecodeError):
            raise ConfigError("body is not valid JSON") from None

    def _public_config(self) -> dict:
        cfg = dict(self.config)
        cfg["pivot_balance"] = format_sen(self.pivot_balance_sen)
        cfg["gateway_balance_cents"] = self.gateway_balance
        return cfg

    def ctl_version(self, req: Req) -> Resp:
        return json_resp(200, {"api_version": API_VERSION, "name": "kirim-simulator"})

    def ctl_health(self, req: Req) -> Resp:
        now = self.now()
        return json_resp(200, {"ok": True, "now": iso_z(now), "now_unix": int(now)})

    def ctl_get_config(self, req: Req) -> Resp:
        with self.lock:
            return json_resp(200, self._public_config())

    def ctl_config(self, req: Req) -> Resp:
        updates = validate_config(self._ctl_body(req))
        with self.lock:
            self.config.update(updates)
            if "gateway_balance_cents" in updates:
                self.gateway_balance = updates["gateway_balance_cents"]
            if "pivot_balance" in updates:
                self.pivot_balance_sen = parse_rupiah_to_sen(updates["pivot_balance"])
                self._release_waiting_pivot()
            return json_resp(200, self._public_config())

    def ctl_get_faults(self, req: Req) -> Resp:
        with self.lock:
            return json_resp(200, {"request_faults": self.request_faults,
                                   "callback_faults": self.callback_faults})

    @staticmethod
    def _validate_fault(f: Any) -> dict:
        if not isinstance(f, dict):
            raise ConfigError("a fault must be a JSON object")
        count = _cfg_int(1, MAX_FAULT_COUNT)(f.get("count", 1))
        if "callback" in f:
            if f["callback"] not in ("pivot", "gateway"):
                raise ConfigError("callback must be pivot or gateway")
            if f.get("fault") not in CALLBACK_FAULTS:
                raise ConfigError(f"callback fault must be one of {', '.join(CALLBACK_FAULTS)}")
            out = {"callback": f["callback"], "fault": f["fault"], "count": count, "remaining": count}
            if f["fault"] == "delay":
                if "seconds" not in f:
                    raise ConfigError("a delay fault needs seconds")
                out["seconds"] = _cfg_num(0, MAX_FAULT_SECONDS)(f["seconds"])
            return out
        if f.get("fault") not in REQUEST_FAULTS:
            raise ConfigError(f"fault must be one of {', '.join(REQUEST_FAULTS)}")
        path = f.get("path")
        if not isinstance(path, str) or not path.startswith("/") or path.startswith("/_sim/"):
            raise ConfigError("path must start with / and may not be a /_sim/ path")
        method = f.get("method")
        if method is not None and (not isinstance(method, str) or not method.isalpha()):
            raise ConfigError("method must be an HTTP method name")
        hold = _cfg_num(0, MAX_FAULT_SECONDS)(f.get("hold_seconds", 3))
        return {"method": method.upper() if method else None, "path": path, "fault": f["fault"],
                "count": count, "remaining": count, "hold_seconds": hold}

    def ctl_faults(self, req: Req) -> Resp:
        body = self._ctl_body(req)
        raw = body.get("faults") if isinstance(body, dict) and "faults" in body else [body]
        if not isinstance(raw, list):
            raise ConfigError("faults must be an array")
        faults = [self._validate_fault(f) for f in raw]
        with self.lock:
            for f in faults:
                (self.callback_faults if "callback" in f else self.request_faults).append(f)
            return json_resp(200, {"queued": faults, "request_faults": self.request_faults,
                                   "callback_faults": self.callback_faults})

    def ctl_ledger(self, req: Req) -> Resp:
        with self.lock:
            requests = [{
                "uuid": r["uuid"], "x_request_id": r["x_request_id"], "status": r["status"],
                "created": iso_z(r["created"]), "replays": r["replays"],
                "items": [{"referenceId": it["referenceId"], "status": it["status"],
                           "reason": it["reason"], "accountNumber": it["accountNumber"],
                           "amount": str(it["amount"])} for it in r["items"]],
            } for r in self.pivot_requests.values()]
            return json_resp(200, {
                "pivot": {"payouts_created_per_reference": self.pivot_created_per_ref,
                          "requests": requests, "tokens_issued": self.tokens_issued,
                          "inquiries": len(self.inquiries),
                          "balance": format_sen(self.pivot_balance_sen)},
                "gateway": {"orders_created_per_reference": self.gw_created_per_ref,
                            "duplicate_submissions_per_reference": self.gw_duplicates_per_ref,
                            "orders": [dict(self._gw_view(o), notify_url=o["notify_url"],
                                            sign_type=o["sign_type"]) for o in self.gw_orders.values()],
                            "balance_cents": self.gateway_balance},
                "callbacks": self.callbacks,
                "callbacks_skipped": self.callbacks_skipped,
                "http": self.http_log,
            })

    def _clock_view(self) -> dict:
        now = self.now()
        return {"now": iso_z(now), "now_unix": int(now), "offset_seconds": self.clock.offset}

    def ctl_get_clock(self, req: Req) -> Resp:
        return json_resp(200, self._clock_view())

    def ctl_clock(self, req: Req) -> Resp:
        body = self._ctl_body(req)
        if not isinstance(body, dict) or "advance_seconds" not in body:
            raise ConfigError("expected {\"advance_seconds\": N}")
        seconds = _cfg_num(-10 * 365 * 86400, 10 * 365 * 86400)(body["advance_seconds"])
        self.clock.advance(seconds)
        return json_resp(200, self._clock_view())

    def ctl_reset(self, req: Req) -> Resp:
        body = self._ctl_body(req)
        self.reset(keep_config=bool(isinstance(body, dict) and body.get("keep_config")))
        return json_resp(200, {"ok": True})

    def ctl_shutdown(self, req: Req) -> Resp:
        # Stop from another thread: the answer must leave before the server closes.
        threading.Timer(0.05, self.on_shutdown).start()
        return json_resp(200, {"ok": True, "shutting_down": True})

    def ctl_paperid_callback(self, req: Req) -> Resp:
        body = self._ctl_body(req)
        if not isinstance(body, dict):
            raise ConfigError("body must be a JSON object")
        fields = body.get("fields", {})
        remove = body.get("remove", [])
        if not isinstance(fields, dict) or not isinstance(remove, list):
            raise ConfigError("fields must be an object and remove an array of names")
        with self.lock:
            url = _cfg_url(body["url"]) if body.get("url") else self.config["paperid_callback_url"]
            if not url:
                raise ConfigError("no paperid_callback_url configured and no url given")
            token = body["token"] if "token" in body else self.config["paperid_callback_token"]
            if token is not None and not isinstance(token, str):
                raise ConfigError("token must be a string or null")
            timeout = self.config["callback_timeout_seconds"]
            now = self.now()
        # Field order and values follow seed 003's example.
        payload = {
            "company_id": "12840182ajsafksh12easgf",
            "company_name": "PT Pakar Digital Global",
            "payment_id": str(uuid.uuid4()),
            "disbursement_id": "DISB-" + secrets.token_hex(6).upper(),
            "partner_id": "kjhkaskda128euaioshd",
            "partner_name": "PT Pakar Finansial Global",
            "amount": 100000,
            "status": fields.get("status", "DISBURSED"),
        }
        if payload["status"] == "FAILED":
            payload["status_failure_code"] = "INVALID_DESTINATION"
        payload.update({"completed_time": iso_ms_z(now), "currency": "IDR",
                        "account_type": "bank_account", "bank_code": "BCA",
                        "account_number": "09991231877", "account_holder_name": "Michael Chen"})
        payload.update(fields)
        for name in remove:
            payload.pop(name, None)
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["X-Callback-Token"] = token
        status, text, error = http_post(url, dumps(payload), headers, timeout)
        record = {"provider": "paperid", "url": url, "kind": "final", "event": str(payload.get("status")),
                  "reference": str(payload.get("disbursement_id")), "payout_id": str(payload.get("payment_id")),
                  "attempt": 1, "status_code": status,
                  "response_body": None if text is None else text[:2000], "error": error,
                  "acknowledged": status == 200, "forged": False, "duplicate": False, "stale": False,
                  "sent_at": iso_z(self.now()), "headers": headers, "payload": payload}
        with self.lock:
            record["seq"] = len(self.callbacks) + 1
            self.callbacks.append(record)
        return json_resp(200, record)


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kirim-sim/1.0"

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("kirim-sim: " + (fmt % args) + "\n")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():  # trailers
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY_BYTES:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length)

    def _send(self, resp: Resp) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(resp.body)

    def _handle(self) -> None:
        sim: Simulator = self.server.sim
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(json_resp(400, {"error": "unreadable request body"}))
            return
        req = Req(self.command, path, parse_qs(query, keep_blank_values=True), self.headers, body)
        control = path.startswith("/_sim/")
        fault = None if control else sim.take_request_fault(self.command, path)
        kind = fault["fault"] if fault else None

        # Faults that answer WITHOUT processing the request.
        if kind == "http_500_html":
            resp = html_page(500, "Internal Server Error")
        elif kind == "http_502_html":
            resp = html_page(502, "Bad Gateway")
        elif kind == "http_401":
            # A rejected credential (Pivot: an expired or revoked token). The gateway has no 401
            # of its own; a fronting proxy's page stands in for it.
            resp = (pivot_error(401, "credentials_invalid") if path.startswith("/v1/")
                    else html_page(401, "Unauthorized"))
        elif kind == "http_503":
            resp = (pivot_error(503, "service_unavailable", err_type="GATEWAY_ERROR")
                    if path.startswith("/v1/") else html_page(503, "Service Temporarily Unavailable"))
        else:
            try:
                resp = sim.route(req)
            except ConfigError as e:
                resp = json_resp(400, {"error": str(e)})
            except Exception as e:  # a simulator bug: say so loudly instead of hanging
                traceback.print_exc()
                resp = json_resp(500, {"error": "simulator internal error", "detail": repr(e)})

        if not control:
            sim.log_http(self.command, path, query, None if kind == "drop_response" else
                         (200 if kind == "empty_body" else resp.status), kind)
        if kind == "drop_response":
            # Processed for real; the client never hears back (it sees a timeout).
            sim.stopping.wait(fault["hold_seconds"])
            self.close_connection = True
            return
        if kind == "delay_response":
            # Processed at once; the answer leaves hold_seconds later (a slow provider).
            sim.stopping.wait(fault["hold_seconds"])
        if kind == "empty_body":
            resp = Resp(200, b"", resp.content_type)
        self._send(resp)


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class SimServer:
    """Owns the HTTP server and the Simulator; start() for in-process use."""

    def __init__(self, port: int = 0, config: dict | None = None, max_seconds: float = 600,
                 verbose: bool = False):
        self.sim = Simulator(config)
        self.httpd = SimHTTPServer((LISTEN_HOST, port), Handler)
        self.httpd.sim = self.sim
        self.httpd.verbose = verbose
        self.sim.on_shutdown = self.stop
        self.port = self.httpd.server_address[1]
        self.url = f"http://{LISTEN_HOST}:{self.port}"
        self.max_seconds = max_seconds
        self._timer = threading.Timer(max_seconds, self.stop)
        self._timer.daemon = True
        self._stopped = threading.Event()
        self._serving = threading.Event()
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self._timer.start()  # the server stops by itself after max_seconds
        self._serving.set()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.httpd.server_close()

    def start(self) -> "SimServer":
        self._thread = threading.Thread(target=self.serve_forever, name="kirim-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._timer.cancel()
        self.sim.stopping.set()
        self.sim.scheduler.stop()
        if self._serving.is_set():
            self.httpd.shutdown()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    def wait(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)


def build_arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kirim.simulator",
        description="kirim provider simulator: plays Pivot, the platform_id withdraw gateway and "
                    "Paper.id over HTTP on 127.0.0.1, with a control API under /_sim/ (faults, "
                    "clock, ledger, callbacks, reset). Every configuration key is also a flag.",
        epilog=f"Control API version {API_VERSION} (GET /_sim/version); reference: docs/simulator.md "
               "in the kirim repository. Exit status: 0 after a shutdown, 2 on a bad flag.")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    p.add_argument("--port-file", help="write the chosen port here once listening")
    p.add_argument("--max-seconds", type=float, default=600,
                   help="stop by itself after this many seconds (default 600, max 86400)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    for key, (_, default) in CONFIG_SPEC.items():
        p.add_argument("--" + key.replace("_", "-"), dest=key, default=None,
                       help=f"(default {default!r})")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_arg_parser().parse_args(argv)
    if not 0 < args.max_seconds <= 86400:
        print("--max-seconds must be in (0, 86400]", file=sys.stderr)
        return 2
    overrides = {k: getattr(args, k) for k in CONFIG_SPEC if getattr(args, k) is not None}
    try:
        server = SimServer(args.port, overrides, args.max_seconds, args.verbose)
    except ConfigError as e:
        print(f"kirim-sim: {e}", file=sys.stderr)
        return 2
    if args.port_file:
        # Write atomically so a reader never sees a half-written port.
        tmp = f"{args.port_file}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(f"{server.port}\n")
        os.replace(tmp, args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop).start())
    # The code's own path: the e2e tests read it to prove which copy is running.
    print(f"kirim-sim listening on {server.url} (stops after {args.max_seconds:g} s; code {__file__})",
          file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""kirim.driver against the bundled provider simulator (tests/simulator/kirim_sim.py, written
from the spec without the core): payouts driven to done over real HTTP (urllib), callbacks
verified and routed by reference, a dropped answer resolved without a second payout, and a
process killed with SIGKILL after a create is sent, resumed from its SQLite file by a fresh
process with exactly one payout in the simulator's ledger."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, cast

import httpx2  # the test tools' httpx (kirim does not depend on it)
import pytest

import kirim
import kirim.driver
from kirim.driver import Driver, HttpxTransport, UrllibTransport
from kirim.http import Acknowledgement
from kirim.lifecycle import Done, Purpose, Send
from kirim.simulator import CallbackServer, SimulatorProcess, control
from kirim.store import MemoryStore, PayoutRecord, SQLiteStore, StoreInUseError

REPO = Path(__file__).resolve().parents[2]
SIMULATOR = REPO / "tests" / "simulator" / "kirim_sim.py"


@pytest.fixture(scope="module")
def simulator() -> Iterator[str]:
    with SimulatorProcess([sys.executable, str(SIMULATOR)], max_seconds=600) as sim:
        yield sim.url


def pivot_config(sim: str) -> kirim.PivotConfig:
    return kirim.PivotConfig(sim, "kirim-merchant", "kirim-secret", ["kirim-callback-key"])


def gateway_config(sim: str) -> kirim.GatewayConfig:
    return kirim.GatewayConfig(sim, "PF0002", "ThisIsYourSecretKey123", authorization="kirim-gateway-auth")


def pivot_order(reference: str) -> Dict[str, Any]:
    return {
        "reference": reference,
        "amount": kirim.Money.parse("100000"),
        "beneficiary": {"bank": "BCA", "account_number": "1234567890", "account_name": "Budi"},
        "description": "Payout 1",
    }


class FastClock:
    """Real time plus an offset: a wait longer than a moment is skipped forward (the gateway's
    settle wait is 120 s), a callback wakes it at once."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> int:
        return int(time.time() + self.offset)

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        moment = min(max(seconds, 0.0), 0.3)
        if not wake.wait(moment):
            self.offset += max(seconds - moment, 0.0)


class Webhooks:
    """A web server that hands each callback to the driver and answers what the core says."""

    def __init__(self) -> None:
        self.driver: Optional[Driver] = None
        self.server = CallbackServer(self.handle)
        self.url = self.server.url

    def handle(self, provider: str, headers: List[Tuple[str, str]], body: bytes, peer: str) -> Acknowledgement:
        assert self.driver is not None
        return self.driver.handle_callback(provider, headers, body)

    def close(self) -> None:
        self.server.close()


@pytest.fixture()
def webhooks(simulator: str) -> Iterator[Webhooks]:
    control(simulator, "/_sim/reset", {})
    hooks = Webhooks()
    control(simulator, "/_sim/config", {"pivot_callback_url": hooks.url + "/pivot", "retry_scale_seconds_per_hour": 0.1})
    yield hooks
    hooks.close()


def kinds(store: Any, reference: str) -> List[str]:
    return [o.kind for o in store.history(reference)]


def test_a_pivot_payout_is_driven_to_done_by_its_verified_callback(simulator: str, webhooks: Webhooks) -> None:
    store = SQLiteStore(":memory:")
    # A long first deadline: the callback, not a query, must end it.
    driver = Driver({"pivot": pivot_config(simulator)}, store, settings={"query_schedule_seconds": [60]})
    webhooks.driver = driver
    reference = driver.submit("pivot", pivot_order("PY-PIVOT-1"))
    results = driver.run()
    done = results[reference]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED and done.payout_id
    history = store.history(reference)
    assert [o.detail for o in history if o.kind == "verdict"] == ["applied"]
    assert [o.detail.split()[0] for o in history if o.kind == "send"] == ["session", "create"]
    record = store.load(reference)
    assert record is not None and record.state == "done" and record.status == "succeeded"
    assert record.payout_id == done.payout_id and json.loads(record.result or "")["kind"] == "done"
    assert store.unfinished() == []
    ledger = control(simulator, "/_sim/ledger")
    assert ledger["pivot"]["payouts_created_per_reference"] == {reference: 1}


def test_payouts_run_together_share_one_pivot_token(simulator: str, webhooks: Webhooks) -> None:
    store = MemoryStore()
    driver = Driver({"pivot": pivot_config(simulator)}, store, settings={"query_schedule_seconds": [60]})
    webhooks.driver = driver
    references = [driver.submit("pivot", pivot_order(f"PY-MANY-{i}")) for i in range(3)]
    results = driver.run()
    assert sorted(results) == sorted(references)
    assert all(isinstance(a, Done) and a.status is kirim.PayoutStatus.SUCCEEDED for a in results.values())
    ledger = control(simulator, "/_sim/ledger")["pivot"]
    assert ledger["payouts_created_per_reference"] == {r: 1 for r in references}
    assert ledger["tokens_issued"] == 1


def test_a_gateway_payout_is_driven_to_done_by_its_verified_notification(simulator: str, webhooks: Webhooks) -> None:
    store = MemoryStore()
    driver = Driver({"gateway": gateway_config(simulator)}, store, settings={"query_schedule_seconds": [60]})
    webhooks.driver = driver
    order = {**pivot_order("PYGW1"), "notify_url": webhooks.url + "/gateway"}
    del order["description"]
    reference = driver.submit("gateway", order)
    done = driver.run()[reference]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    assert [o.detail for o in store.history(reference) if o.kind == "verdict"] == ["applied"]
    ledger = control(simulator, "/_sim/ledger")
    assert ledger["gateway"]["orders_created_per_reference"] == {reference: 1}


def test_a_forged_callback_is_refused_and_routes_nothing(simulator: str, webhooks: Webhooks) -> None:
    store = MemoryStore()
    driver = Driver({"pivot": pivot_config(simulator)}, store)
    body = json.dumps({"event": "PAYOUT.SUCCESS", "data": {"uuid": "x", "merchantId": "kirim-merchant",
                       "payouts": {"referenceId": "PY-F", "amount": {"currency": "IDR", "value": "100000"},
                                   "status": "SUCCESS", "reason": None}}}).encode()
    driver.submit("pivot", pivot_order("PY-F"))
    ack = driver.handle_callback("pivot", [("X-API-Key", "wrong")], body)
    assert ack.status == 401
    assert "callback" not in kinds(store, "PY-F")


def test_a_dropped_create_answer_is_resolved_without_a_second_payout(simulator: str, webhooks: Webhooks) -> None:
    # No callback: the machine must resolve the lost answer itself.
    control(simulator, "/_sim/config", {"pivot_callback_url": None})
    control(simulator, "/_sim/faults", {"method": "POST", "path": "/v1/payouts", "fault": "drop_response", "hold_seconds": 3})
    store = SQLiteStore(":memory:")
    driver = Driver({"pivot": pivot_config(simulator)}, store, timeout_seconds=1, clock=FastClock(),
                    settings={"query_schedule_seconds": [60]})
    webhooks.driver = driver
    reference = driver.submit("pivot", pivot_order("PY-DROP-1"))
    done = driver.run()[reference]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    responses = [o.detail for o in store.history(reference) if o.kind == "response"]
    assert "timeout" in responses
    creates = [o for o in store.history(reference) if o.kind == "send" and o.detail.startswith("create")]
    assert len(creates) == 2  # the identical request, same key: the provider replays it
    ledger = control(simulator, "/_sim/ledger")
    assert ledger["pivot"]["payouts_created_per_reference"] == {reference: 1}
    assert ledger["pivot"]["requests"][0]["replays"] == 1


def test_a_dropped_gateway_answer_is_resolved_by_a_query(simulator: str, webhooks: Webhooks) -> None:
    control(simulator, "/_sim/faults", {"method": "POST", "path": "/gateway/api/v2/payouts", "fault": "drop_response", "hold_seconds": 3})
    store = MemoryStore()
    driver = Driver({"gateway": gateway_config(simulator)}, store, timeout_seconds=1, clock=FastClock(),
                    settings={"query_schedule_seconds": [60]})
    webhooks.driver = driver
    # No notify_url: no notification, the machine must resolve the lost answer itself.
    order = dict(pivot_order("PYGWDROP"))
    del order["description"]
    reference = driver.submit("gateway", order)
    done = driver.run()[reference]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    sends = [o.detail.split()[0] for o in store.history(reference) if o.kind == "send"]
    assert sends[0] == "create" and "query" in sends and sends.count("create") == 1
    ledger = control(simulator, "/_sim/ledger")
    assert ledger["gateway"]["orders_created_per_reference"] == {reference: 1}


def test_a_connection_refused_is_the_cores_connection_error() -> None:
    request = kirim.HttpRequest(kirim.Method.GET, "http://127.0.0.1:9/", [], b"")
    assert UrllibTransport().send(request, 2) is kirim.TransportFailure.CONNECTION_ERROR
    with httpx2.Client() as client:
        assert HttpxTransport(client).send(request, 2) is kirim.TransportFailure.CONNECTION_ERROR


class _Redirects:
    """Two servers: ``origin`` answers every POST with the status its path names and a
    ``Location`` on ``elsewhere``, which records what reaches it."""

    def __init__(self) -> None:
        import http.server

        self.seen: List[Tuple[str, str, Optional[str]]] = []
        seen = self.seen

        class Elsewhere(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                seen.append((self.command, self.path, self.headers.get("Authorization")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_GET

        self.elsewhere = http.server.HTTPServer(("127.0.0.1", 0), Elsewhere)
        location = f"http://127.0.0.1:{self.elsewhere.server_port}/elsewhere"

        class Origin(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(int(self.path.strip("/")))
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.origin = http.server.HTTPServer(("127.0.0.1", 0), Origin)
        for server in (self.origin, self.elsewhere):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in (self.origin, self.elsewhere):
            server.shutdown()
            server.server_close()


def test_a_redirect_is_the_answer_handed_to_the_core_never_followed() -> None:
    servers = _Redirects()
    try:
        # A client configured to follow redirects is overruled too: the driver never follows one.
        with httpx2.Client(follow_redirects=True) as client:
            for transport in (UrllibTransport(), HttpxTransport(client)):
                for status in (301, 302, 303, 307, 308):
                    request = kirim.HttpRequest(
                        kirim.Method.POST, f"http://127.0.0.1:{servers.origin.server_port}/{status}",
                        [kirim.Header("Authorization", "Bearer secret-token")], b'{"create":1}',
                    )
                    answer = transport.send(request, 5)
                    assert isinstance(answer, kirim.HttpResponse), (transport, status, answer)
                    assert answer.status == status, (transport, status)
                    assert {h.name.lower(): h.value for h in answer.headers}["location"].endswith("/elsewhere")
        assert servers.seen == [], "a redirect was followed (and the token sent to another host)"
    finally:
        servers.close()


def test_a_held_answer_is_the_cores_timeout(simulator: str) -> None:
    control(simulator, "/_sim/reset", {})
    request = kirim.HttpRequest(kirim.Method.GET, simulator + "/v1/balances?usecase=DISBURSEMENT", [], b"")
    for transport in (UrllibTransport(), HttpxTransport(httpx2.Client())):
        control(simulator, "/_sim/faults", {"path": "/v1/balances", "fault": "drop_response", "hold_seconds": 3})
        assert transport.send(request, 0.5) is kirim.TransportFailure.TIMEOUT
        # Every status is an answer for the core to read (here the 401 of a missing token).
        answer = transport.send(request, 5)
        assert isinstance(answer, kirim.HttpResponse) and answer.status == 401 and answer.body


class _Trickle:
    """A loopback server that answers every request slowly: ``fast`` at once, then ``slow`` one
    byte every 0.9 s (below any per-read timeout of a second)."""

    def __init__(self, fast: bytes, slow: bytes) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.fast, self.slow = fast, slow
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += conn.recv(65536)
                head, _, body = received.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                while length and len(body) < int(length.group(1)):
                    body += conn.recv(65536)
                conn.sendall(self.fast)
                for byte in self.slow:
                    if self.stopped.wait(0.9):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the client gave up

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


TRICKLED = {
    # The status line and headers arrive, but their end only byte by byte.
    "headers": (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n", b"\r\n\r\n{}"),
    # Headers at once, the body byte by byte.
    "body": (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 6\r\n\r\n", b'{"a":1}'[:6]),
}


@pytest.mark.parametrize("part", sorted(TRICKLED))
def test_a_trickled_answer_is_a_timeout_at_the_deadline_not_per_read(part: str) -> None:
    server = _Trickle(*TRICKLED[part])
    try:
        request = kirim.HttpRequest(kirim.Method.POST, server.url + "/create", [], b'{"create":1}')
        started = time.monotonic()
        outcome = UrllibTransport().send(request, 1.0)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert outcome is kirim.TransportFailure.TIMEOUT, outcome
    assert 0.9 <= elapsed < 1.8, f"timeout_seconds 1.0 is the whole exchange's deadline; took {elapsed:.2f} s"


def test_an_httpx_answer_whose_body_trickles_is_a_timeout_at_the_deadline_not_per_read() -> None:
    # httpx's timeouts are per phase (each read): a body arriving one byte every 0.9 s under a
    # 1 s timeout_seconds held the request for 5.4 s and was handed over as an answer.
    server = _Trickle(*TRICKLED["body"])
    try:
        request = kirim.HttpRequest(kirim.Method.POST, server.url + "/create", [], b'{"create":1}')
        with httpx2.Client() as client:
            started = time.monotonic()
            outcome = HttpxTransport(client).send(request, 1.0)
            elapsed = time.monotonic() - started
    finally:
        server.close()
    assert outcome is kirim.TransportFailure.TIMEOUT, outcome
    # The deadline is checked after each piece: the read under way when it passes ends first.
    assert 0.9 <= elapsed < 2.5, f"took {elapsed:.2f} s"


def test_an_httpx_answer_whose_headers_end_after_the_deadline_is_a_timeout() -> None:
    # The headers are read in one httpx call: their end arriving after the deadline (at 1.8 s)
    # cannot be cut short without httpx's internals, but it is the timeout, never an answer.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n"
    server = _Trickle(head, b"\r\n")
    try:
        request = kirim.HttpRequest(kirim.Method.POST, server.url + "/create", [], b'{"create":1}')
        with httpx2.Client() as client:
            outcome = HttpxTransport(client).send(request, 1.0)
    finally:
        server.close()
    assert outcome is kirim.TransportFailure.TIMEOUT, outcome


@pytest.mark.parametrize("status", [201, 503])
def test_an_answer_whose_body_breaks_or_trickles_is_a_transport_failure_never_an_exception(status: int) -> None:
    # A non-2xx answer's body is read in urllib's HTTPError: a failure there was raised out of
    # send (the driver's run stopped) instead of being the core's transport failure.
    head = f"HTTP/1.1 {status} Whatever\r\nContent-Length: 100\r\n\r\n".encode()
    for (fast, slow), expected in [
        ((head + b"abc", b""), kirim.TransportFailure.CONNECTION_ERROR),  # closed mid-body
        ((head, b"x" * 100), kirim.TransportFailure.TIMEOUT),  # trickled past the deadline
    ]:
        server = _Trickle(fast, slow)
        try:
            request = kirim.HttpRequest(kirim.Method.POST, server.url + "/create", [], b"{}")
            assert UrllibTransport().send(request, 1.0) is expected, (status, expected)
        finally:
            server.close()

@pytest.mark.parametrize("transport", ["urllib", "httpx"])
def test_a_create_whose_trickled_answer_missed_the_deadline_stays_unknown_and_is_asked_again(transport: str) -> None:
    server = _Trickle(*TRICKLED["body"])
    client = httpx2.Client()
    config = kirim.GatewayConfig(server.url, "PF0002", "ThisIsYourSecretKey123", authorization="a")
    try:
        now = int(time.time())
        machine = kirim.PayoutLifecycle("gateway", config, gateway_order("PY-SLOW"), now=now)
        action, _ = machine.poll_with_json(now)
        assert action.purpose is Purpose.CREATE
        sender = UrllibTransport() if transport == "urllib" else HttpxTransport(client)
        outcome = sender.send(action.request, 1.0)
    finally:
        server.close()
        client.close()
    assert outcome is kirim.TransportFailure.TIMEOUT
    machine.handle_response(outcome, now + 1)
    # Not a refusal: the create's outcome is unknown, and once the settle wait is over the
    # machine asks the gateway about the same order (by its key), never creates it anew.
    state = machine.state()
    assert state.status is kirim.PayoutStatus.UNKNOWN and state.creates_sent == 1
    later, _ = machine.poll_with_json(now + 3600)
    assert isinstance(later, Send) and later.purpose is Purpose.QUERY
    assert later.request.url.endswith("payout_cl_id=PY-SLOW")


CAP = 1000  # max_response_bytes in the tests below (the default is 16 MiB)


def _answer(body: bytes, framing: str, status: int = 200) -> bytes:
    """A whole HTTP/1.1 answer with ``body`` framed by a Content-Length, by the connection's
    close (no length) or in chunks."""
    head = f"HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\n".encode()
    if framing == "length":
        return head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    if framing == "close":
        return head + b"Connection: close\r\n\r\n" + body
    chunks = b"".join(
        f"{len(body[i:i + 4096]):x}\r\n".encode() + body[i:i + 4096] + b"\r\n" for i in range(0, len(body), 4096)
    )
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


def _transports(cap: Optional[int] = CAP) -> Iterator[Tuple[str, Any]]:
    options = {} if cap is None else {"max_response_bytes": cap}
    yield "urllib", UrllibTransport(**options)
    with httpx2.Client() as client:
        yield "httpx", HttpxTransport(client, **options)


@pytest.mark.parametrize("status", [200, 503])
@pytest.mark.parametrize("framing", ["length", "close", "chunked"])
def test_an_answer_above_max_response_bytes_is_a_connection_error_read_no_further(framing: str, status: int) -> None:
    # A body of any size was read whole into memory: a broken or hostile endpoint (or a proxy)
    # answering with gigabytes ran the process, and every payout in it, out of memory.
    server = _Trickle(_answer(b"x" * 1_000_000, framing, status), b"")
    try:
        for name, transport in _transports():
            request = kirim.HttpRequest(kirim.Method.POST, server.url + "/create", [], b'{"create":1}')
            started = time.monotonic()
            outcome = transport.send(request, 5.0)
            elapsed = time.monotonic() - started
            # Never a truncated body handed to the core: an unknown outcome, queried or resent.
            assert outcome is kirim.TransportFailure.CONNECTION_ERROR, (name, outcome)
            assert elapsed < 2.0, (name, elapsed)
    finally:
        server.close()


@pytest.mark.parametrize("framing", ["length", "close", "chunked"])
def test_an_answer_of_exactly_max_response_bytes_is_delivered_whole(framing: str) -> None:
    body = bytes(range(256)) * 3 + b"y" * (CAP - 768)
    server = _Trickle(_answer(body, framing), b"")
    try:
        for name, transport in _transports():
            outcome = transport.send(kirim.HttpRequest(kirim.Method.GET, server.url + "/q", [], b""), 5.0)
            assert isinstance(outcome, kirim.HttpResponse) and outcome.status == 200, (name, outcome)
            assert outcome.body == body, name
    finally:
        server.close()


def test_the_default_max_response_bytes_is_the_cores_16_mib() -> None:
    big = kirim.run_operation("http.transport_options", {})["max_response_bytes"]
    assert big == 16 * 1024 * 1024
    for size, expected in [(big, kirim.HttpResponse), (big + 1, kirim.TransportFailure)]:
        server = _Trickle(_answer(b"z" * size, "close"), b"")
        try:
            for name, transport in _transports(cap=None):
                outcome = transport.send(kirim.HttpRequest(kirim.Method.GET, server.url + "/q", [], b""), 10.0)
                assert isinstance(outcome, expected), (name, size, outcome)
                if expected is kirim.HttpResponse:
                    assert len(outcome.body) == size
                else:
                    assert outcome is kirim.TransportFailure.CONNECTION_ERROR
        finally:
            server.close()


def test_a_compressed_answer_is_capped_as_it_is_decoded() -> None:
    # httpx decodes gzip: a small compressed answer decoding to a large body is capped by the
    # bytes it decodes to.
    import gzip

    packed = gzip.compress(b" " * 1_000_000)
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(packed)}\r\n\r\n".encode()
    server = _Trickle(head + packed, b"")
    try:
        with httpx2.Client() as client:
            outcome = HttpxTransport(client, max_response_bytes=CAP).send(
                kirim.HttpRequest(kirim.Method.GET, server.url + "/q", [], b""), 5.0
            )
        assert outcome is kirim.TransportFailure.CONNECTION_ERROR, outcome
    finally:
        server.close()


def test_an_httpx_answer_that_cannot_be_decoded_is_a_connection_error_never_an_exception() -> None:
    # httpx's DecodingError is no TransportError: a provider's (or proxy's) answer claiming
    # gzip and carrying anything else was raised out of send, stopping the driver's run.
    server = _Trickle(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!", b"")
    try:
        with httpx2.Client() as client:
            outcome = HttpxTransport(client).send(kirim.HttpRequest(kirim.Method.GET, server.url, [], b""), 5.0)
        assert outcome is kirim.TransportFailure.CONNECTION_ERROR, outcome
    finally:
        server.close()


class _StoreWithoutInsertSubmitted:
    """A store of one's own written before ``insert_submitted``: every other method of
    ``kirim.store.Store``, MemoryStore's."""

    def __init__(self) -> None:
        inner = MemoryStore()
        for method in ("save", "load", "find_by_reference", "find_by_payout_id", "unfinished", "observe", "history"):
            setattr(self, method, getattr(inner, method))


def test_a_store_without_insert_submitted_warns_once_that_its_submissions_hold_for_one_process() -> None:
    import warnings

    # Its submissions are checked and saved under this process's lock only (another process's
    # payout stored under the reference in between is overwritten): that was silent.
    store = _StoreWithoutInsertSubmitted()
    driver = Driver({"gateway": gateway_config("http://127.0.0.1:9")}, store)  # type: ignore[arg-type]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert driver.submit("gateway", gateway_order("PY-OWN-1")) == "PY-OWN-1"
        assert driver.submit("gateway", gateway_order("PY-OWN-1")) == "PY-OWN-1"  # identical: stored as is
        assert driver.submit("gateway", gateway_order("PY-OWN-2")) == "PY-OWN-2"
    relevant = [w for w in caught if "insert_submitted" in str(w.message)]
    assert len(relevant) == 1, [str(w.message) for w in caught]
    assert issubclass(relevant[0].category, UserWarning)
    assert "another process" in str(relevant[0].message)
    assert relevant[0].filename == __file__  # points at the caller's submit
    assert store.load("PY-OWN-1") is not None and store.load("PY-OWN-2") is not None  # type: ignore[attr-defined]
    # kirim's own stores have it: no warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Driver({"gateway": gateway_config("http://127.0.0.1:9")}, MemoryStore()).submit("gateway", gateway_order("PY-OWN-3"))
    assert [w for w in caught if "insert_submitted" in str(w.message)] == []


@pytest.mark.parametrize(
    "bad",
    [0, -1, -0.5, -0.0, float("nan"), float("inf"), float("-inf"), 10**12, 86_400.001, 0.0005, 1e-9, True, "5", None],
)
def test_timeout_seconds_is_a_positive_finite_number_refused_otherwise_when_made(bad: Any) -> None:
    # Was accepted: 0 or less made every request a timeout (each create unknown, forever asked
    # again), NaN, a str or None raised out of the run at the first send, a huge number
    # overflowed the socket's timeout there. The core's check (http.transport_options): a whole
    # number of milliseconds up to a day, a fraction of one refused, not rounded.
    from kirim.postgres import Worker

    for make in (
        lambda: Driver({}, MemoryStore(), timeout_seconds=bad),
        lambda: Worker({}, None, timeout_seconds=bad),  # type: ignore[arg-type]  # refused before the store is used
    ):
        with pytest.raises((TypeError, ValueError), match="timeout_seconds") as info:
            make()
        if not isinstance(info.value, TypeError):  # a number the core refused
            assert isinstance(info.value, kirim.ValidationError)
            assert (info.value.code, info.value.field) == ("invalid_field", "timeout_ms")
    for good in (0.001, 0.1, 0.5, 1, 60.0, 86_400, 86_400.0):
        Driver({}, MemoryStore(), timeout_seconds=good)


@pytest.mark.parametrize("bad", [0, -1, 1.5, float("nan"), True, "1000", None, 10**6 + 0.0, 2**53, 10**30])
def test_max_response_bytes_is_a_positive_int_refused_otherwise_when_made(bad: Any) -> None:
    with httpx2.Client() as client:
        makers = [
            lambda: UrllibTransport(max_response_bytes=bad),
            lambda: HttpxTransport(client, max_response_bytes=bad),
        ]
        if bad is not None:  # the driver's None: the default cap
            makers += [
                lambda: Driver({}, MemoryStore(), max_response_bytes=bad),
                lambda: Driver({}, MemoryStore(), http_client=client, max_response_bytes=bad),
            ]
        for make in makers:
            with pytest.raises((TypeError, ValueError), match="max_response_bytes") as info:
                make()
            if not isinstance(info.value, TypeError):  # an int the core refused
                assert isinstance(info.value, kirim.ValidationError)
                assert (info.value.code, info.value.field) == ("invalid_field", "max_response_bytes")


def test_the_drivers_max_response_bytes_goes_to_the_transport_it_builds() -> None:
    server = _Trickle(_answer(b"x" * (CAP + 1), "length"), b"")
    try:
        with httpx2.Client() as client:
            for options in ({}, {"http_client": client}):
                driver = Driver({}, MemoryStore(), max_response_bytes=CAP, **options)
                request = kirim.HttpRequest(kirim.Method.GET, server.url + "/q", [], b"")
                assert driver._transport.send(request, 5.0) is kirim.TransportFailure.CONNECTION_ERROR
    finally:
        server.close()
    # A transport of one's own has its own cap: the driver's would be silently ignored.
    with pytest.raises(ValueError, match="max_response_bytes"):
        Driver({}, MemoryStore(), transport=UrllibTransport(), max_response_bytes=CAP)


def test_a_gateway_payout_through_a_callers_httpx_client(simulator: str, webhooks: Webhooks) -> None:
    store = MemoryStore()
    with httpx2.Client() as client:
        driver = Driver({"gateway": gateway_config(simulator)}, store, http_client=client,
                        settings={"query_schedule_seconds": [60]})
        webhooks.driver = driver
        order = {**pivot_order("PYGWHTTPX"), "notify_url": webhooks.url + "/gateway"}
        del order["description"]
        done = driver.run([driver.submit("gateway", order)])["PYGWHTTPX"]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    assert control(simulator, "/_sim/ledger")["gateway"]["orders_created_per_reference"] == {"PYGWHTTPX": 1}


def submit_store(kind: str, tmp_path: Path) -> Any:
    return MemoryStore() if kind == "memory" else SQLiteStore(str(tmp_path / "payouts.sqlite"))


def test_settings_passed_to_submit_are_used_as_passed_none_meaning_the_drivers() -> None:
    # Before: submit(..., settings={}) took the driver's settings (``settings or
    # self._settings``), where JavaScript's pay and Kotlin's submit take what is passed: an empty
    # mapping is the provider's defaults; only None means the driver's.
    store = MemoryStore()
    drivers = {"query_schedule_seconds": [600], "request_timeout_seconds": 7}
    driver = Driver({"pivot": OFFLINE_PIVOT}, store, settings=drivers)
    driver.submit("pivot", pivot_order("PY-SETTINGS-EMPTY"), settings={})
    driver.submit("pivot", pivot_order("PY-SETTINGS-NONE"))
    driver.submit("pivot", pivot_order("PY-SETTINGS-OWN"), settings={"request_timeout_seconds": 9})

    def settings(reference: str) -> Any:
        record = store.load(reference)
        assert record is not None
        return json.loads(record.snapshot)["settings"]

    defaults = json.loads(kirim.PayoutLifecycle("pivot", OFFLINE_PIVOT, pivot_order("X"), now=1).snapshot())["settings"]
    assert defaults["request_timeout_seconds"] != 7
    assert settings("PY-SETTINGS-EMPTY") == defaults
    assert settings("PY-SETTINGS-NONE") == {**defaults, **drivers}
    assert settings("PY-SETTINGS-OWN") == {**defaults, "request_timeout_seconds": 9}


class Offline:
    """A transport and clock for a run that must drive nothing: any send or wait fails it."""

    def send(self, request: kirim.HttpRequest, timeout: float) -> kirim.HttpOutcome:
        raise AssertionError(f"the run sent {request.method} {request.url}")

    def now(self) -> int:
        return 1_700_000_000

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        raise AssertionError("the run waited")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_run_naming_a_payout_the_store_does_not_hold_is_refused_and_runs_nothing(kind: str, tmp_path: Path) -> None:
    # Before: run(["nope"]) returned {} (and ran the others named), hiding a typo or the wrong
    # store; JavaScript's run("nope") rejects with invalid_field on reference, and so does this.
    store = submit_store(kind, tmp_path)
    offline = Offline()
    driver = Driver({"pivot": OFFLINE_PIVOT}, store, transport=offline, clock=offline)
    driver.submit("pivot", pivot_order("PY-HELD"))
    for named in (["PY-NO-SUCH"], ["PY-HELD", "PY-NO-SUCH"]):
        with pytest.raises(kirim.KirimError) as refused:
            driver.run(named)
        assert refused.value.code == "invalid_field" and refused.value.field == "reference", refused.value
        assert '"PY-NO-SUCH"' in refused.value.message
    assert kinds(store, "PY-HELD") == ["submitted"]
    assert store.load("PY-NO-SUCH") is None
    held = store.load("PY-HELD")
    assert held is not None and held.state == "open"


def test_a_run_naming_a_payout_that_has_ended_answers_its_final_action(simulator: str, webhooks: Webhooks) -> None:
    # Ended is not missing: as JavaScript's run(reference), its final action again, nothing sent.
    store = MemoryStore()
    driver = Driver({"pivot": pivot_config(simulator)}, store, settings={"query_schedule_seconds": [60]})
    webhooks.driver = driver
    reference = driver.submit("pivot", pivot_order("PY-ENDED-1"))
    done = driver.run([reference])[reference]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    history = store.history(reference)
    again = Driver({"pivot": pivot_config(simulator)}, store, transport=Offline(), clock=Offline())
    assert again.run([reference]) == {reference: done}
    assert driver.run([reference]) == {reference: done}
    assert store.history(reference) == history
    assert control(simulator, "/_sim/ledger")["pivot"]["payouts_created_per_reference"] == {reference: 1}


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_submitting_the_identical_order_again_changes_nothing(kind: str, tmp_path: Path) -> None:
    store = submit_store(kind, tmp_path)
    driver = Driver({"pivot": OFFLINE_PIVOT}, store)
    assert driver.submit("pivot", pivot_order("PY-TWICE")) == "PY-TWICE"
    first = store.load("PY-TWICE")
    # The same order, spelled another way (the amount as JSON text), is the same order.
    again = {**pivot_order("PY-TWICE"), "amount": {"value": "100000.00", "currency": "IDR"}}
    assert driver.submit("pivot", again) == "PY-TWICE"
    assert store.load("PY-TWICE") == first
    assert kinds(store, "PY-TWICE") == ["submitted"]
    driver.submit("pivot", batch_order("batch-7"))
    stored_batch = store.load("batch-7")
    assert driver.submit("pivot", batch_order("batch-7")) == "batch-7"
    assert store.load("batch-7") == stored_batch


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_another_order_under_a_stored_reference_is_refused_and_the_stored_payout_unchanged(
    kind: str, tmp_path: Path
) -> None:
    store = submit_store(kind, tmp_path)
    driver = Driver({"pivot": OFFLINE_PIVOT}, store)
    driver.submit("pivot", pivot_order("PY-TWICE"))
    first = store.load("PY-TWICE")
    with pytest.raises(kirim.KirimError) as info:
        driver.submit("pivot", {**pivot_order("PY-TWICE"), "amount": kirim.Money.parse("500000")})
    assert info.value.code == "invalid_field" and info.value.field == "reference"
    assert '"PY-TWICE"' in info.value.message
    assert "amount: stored 100000.00 IDR, this order 500000.00 IDR" in info.value.message
    assert "use a new reference for a new payout" in info.value.message
    assert store.load("PY-TWICE") == first
    assert kinds(store, "PY-TWICE") == ["submitted"]
    # Another beneficiary is refused the same way.
    other = {**pivot_order("PY-TWICE"), "beneficiary": {"bank": "BCA", "account_number": "999", "account_name": "Eve"}}
    with pytest.raises(kirim.KirimError) as info:
        driver.submit("pivot", other)
    assert info.value.field == "reference" and "beneficiary" in info.value.message
    assert store.load("PY-TWICE") == first


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_reference_another_stored_payout_uses_is_refused(kind: str, tmp_path: Path) -> None:
    store = submit_store(kind, tmp_path)
    driver = Driver({"pivot": OFFLINE_PIVOT}, store)
    driver.submit("pivot", batch_order("batch-7"))
    # A single payout named like the stored batch's item: a callback naming it goes to the batch.
    with pytest.raises(kirim.KirimError) as info:
        driver.submit("pivot", pivot_order("batch-7-a"))
    assert info.value.code == "invalid_field" and info.value.field == "reference"
    assert '"batch-7-a"' in info.value.message and '"batch-7"' in info.value.message
    assert store.load("batch-7-a") is None
    found = store.find_by_reference("batch-7-a")
    assert found is not None and found.reference == "batch-7"
    # A batch whose item is named like a stored payout.
    driver.submit("pivot", pivot_order("batch-8-b"))
    with pytest.raises(kirim.KirimError) as info:
        driver.submit("pivot", batch_order("batch-8"))
    assert info.value.code == "invalid_field" and info.value.field == "items[1].reference"
    assert '"batch-8-b"' in info.value.message
    assert store.load("batch-8") is None
    found = store.find_by_reference("batch-8-b")
    assert found is not None and found.reference == "batch-8-b"


OFFLINE_GATEWAY = kirim.GatewayConfig("http://127.0.0.1:9", "PF0002", "ThisIsYourSecretKey123", authorization="a")


def gateway_order(reference: str, amount: str = "100000") -> Dict[str, Any]:
    return {"reference": reference, "amount": kirim.Money.parse(amount), "notify_url": "http://127.0.0.1:9/n",
            "beneficiary": {"bank": "BCA", "account_number": "1234567890", "account_name": "Budi"}}


def sent_create_record(order: Dict[str, Any]) -> PayoutRecord:
    """The row another process's driver stored before sending the create: its write-ahead
    snapshot records the create as sent (``creates_sent`` 1)."""
    now = int(time.time())
    machine = kirim.PayoutLifecycle("gateway", OFFLINE_GATEWAY, order, now=now)
    action, _ = machine.poll_with_json(now)
    assert action.purpose is Purpose.CREATE and '"creates_sent":1' in machine.snapshot()
    return PayoutRecord(machine.reference, "gateway", json.dumps(machine.order()), machine.snapshot(), "open",
                        machine.state().status.value, now)


def blind_first_decision(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """The core's check_submission, its first call made from reads that found nothing (as when
    another process stores the payout right after this one's reads): what the write does then
    decides whether a stored row is overwritten."""
    calls: List[int] = []
    real = kirim.driver.check_submission

    def check(order: str, stored: Optional[str], provider: Optional[str], new: str, held: Any) -> str:
        calls.append(1)
        if len(calls) == 1:
            return real(order, None, None, new, [])
        return real(order, stored, provider, new, held)

    monkeypatch.setattr(kirim.driver, "check_submission", check)
    return calls


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_submission_decided_before_another_process_stored_the_reference_never_overwrites_it(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = submit_store(kind, tmp_path)
    theirs = sent_create_record(gateway_order("PY-RACE", "100000"))
    store.save(theirs)
    driver = Driver({"gateway": OFFLINE_GATEWAY}, store)
    # Another amount under the reference: refused by the core's rule, the row unchanged.
    calls = blind_first_decision(monkeypatch)
    with pytest.raises(kirim.KirimError) as info:
        driver.submit("gateway", gateway_order("PY-RACE", "500000"))
    assert info.value.code == "invalid_field" and info.value.field == "reference"
    assert "amount: stored 100000.00 IDR, this order 500000.00 IDR" in info.value.message
    assert store.load("PY-RACE") == theirs
    assert len(calls) == 2, "decided again from fresh reads"
    # The identical order: already stored, and its snapshot (create sent) is not replaced by a
    # fresh one (which would send the create again).
    calls = blind_first_decision(monkeypatch)
    assert driver.submit("gateway", gateway_order("PY-RACE", "100000")) == "PY-RACE"
    assert store.load("PY-RACE") == theirs
    assert kinds(store, "PY-RACE") == []


def test_another_sqlite_connection_cannot_store_the_reference_between_a_submissions_check_and_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "payouts.sqlite")
    store = SQLiteStore(path)
    other = SQLiteStore(path)  # another process's store on the same file
    other._db.execute("PRAGMA busy_timeout=0")
    theirs = sent_create_record(gateway_order("PY-RACE", "500000"))
    real = kirim.driver.check_submission
    outcome: List[str] = []

    def check(*args: Any) -> str:
        # Between this submission's reads and its write, the other process stores the reference.
        if not outcome:
            try:
                other.save(theirs)
                outcome.append("stored")
            except sqlite3.OperationalError as error:
                assert "locked" in str(error)
                outcome.append("kept out")
        decision: str = real(*args)
        return decision

    monkeypatch.setattr(kirim.driver, "check_submission", check)
    driver = Driver({"gateway": OFFLINE_GATEWAY}, store)
    ours = gateway_order("PY-RACE", "100000")
    try:
        submitted = driver.submit("gateway", ours)
    except kirim.KirimError as error:
        submitted = error.code
    stored = store.load("PY-RACE")
    assert stored is not None
    # Never a row replaced: the submission's reads and write are one transaction, so the other
    # process is kept out until it ends (and then finds the reference taken).
    assert outcome == ["kept out"], f"the other process stored its row, then: {submitted!r}, {stored.order_json}"
    assert submitted == "PY-RACE" and '"100000.00"' in stored.order_json and '"creates_sent":0' in stored.snapshot
    monkeypatch.setattr(kirim.driver, "check_submission", real)
    with pytest.raises(kirim.KirimError) as info:
        Driver({"gateway": OFFLINE_GATEWAY}, other).submit("gateway", gateway_order("PY-RACE", "500000"))
    assert info.value.field == "reference"
    assert store.load("PY-RACE") == stored


CHILD = textwrap.dedent(
    """
    import json, sys, threading, time
    import kirim
    from kirim.driver import Driver
    from kirim.store import SQLiteStore
    sim, db, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    config = kirim.PivotConfig(sim, "kirim-merchant", "kirim-secret", ["kirim-callback-key"])
    # A request out when the process died counts as lost once its timeout is over: 5 s here.
    class FastClock:  # waits the core asks for are skipped forward (its backoff after a crash)
        offset = 0.0
        def now(self):
            return int(time.time() + self.offset)
        def sleep(self, seconds, wake):
            if not wake.wait(min(max(seconds, 0.0), 0.3)):
                self.offset += max(seconds - 0.3, 0.0)
    driver = Driver({"pivot": config}, SQLiteStore(db), timeout_seconds=4, clock=FastClock(),
                    settings={"query_schedule_seconds": [1], "request_timeout_seconds": 5})
    if mode == "start":
        driver.submit("pivot", {"reference": "PY-KILL-1", "amount": {"value": "100000", "currency": "IDR"},
                                "beneficiary": {"bank": "BCA", "account_number": "1234567890",
                                                "account_name": "Budi"}})
    results = driver.run()
    print(json.dumps({ref: type(action).__name__ + ":" + str(getattr(action, "status", ""))
                      for ref, action in results.items()}))
    """
)


def test_a_process_killed_after_sending_a_create_is_resumed_by_a_fresh_process(simulator: str, tmp_path: Path) -> None:
    control(simulator, "/_sim/reset", {})
    # The create is processed, its answer held: the child is killed while it waits for it.
    control(simulator, "/_sim/faults", {"method": "POST", "path": "/v1/payouts", "fault": "drop_response", "hold_seconds": 60})
    db = str(tmp_path / "payouts.sqlite")
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(script), simulator, db, "start"])
    deadline = time.monotonic() + 30
    while control(simulator, "/_sim/ledger")["pivot"]["payouts_created_per_reference"].get("PY-KILL-1") != 1:
        assert time.monotonic() < deadline and child.poll() is None, "the create never reached the simulator"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL
    # What the killed process left: the snapshot stored BEFORE the create went out.
    stored = SQLiteStore(db).load("PY-KILL-1")
    assert stored is not None and stored.state == "open"
    assert json.loads(stored.snapshot)["outstanding"]["purpose"] == "create"
    fresh = subprocess.run([sys.executable, str(script), simulator, db, "resume"], capture_output=True, text=True, timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout.strip().splitlines()[-1]) == {"PY-KILL-1": "Done:succeeded"}
    ledger = control(simulator, "/_sim/ledger")
    assert ledger["pivot"]["payouts_created_per_reference"] == {"PY-KILL-1": 1}
    store = SQLiteStore(db)
    record = store.load("PY-KILL-1")
    assert record is not None and record.state == "done" and store.unfinished() == []
    creates = [o for o in store.history("PY-KILL-1") if o.kind == "send" and o.detail.startswith("create")]
    assert len(creates) == 2  # one before the kill, the same request replayed after it


HOLDER = textwrap.dedent(
    """
    import sys, time
    from kirim.store import SQLiteStore
    claim = SQLiteStore(sys.argv[1]).claim()  # what Driver.run holds while it runs
    claim.__enter__()
    print("held", flush=True)
    time.sleep(120)
    """
)


def test_a_second_process_cannot_run_a_driver_on_the_same_database(simulator: str, tmp_path: Path) -> None:
    db = str(tmp_path / "payouts.sqlite")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, db], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        driver = Driver({"pivot": pivot_config(simulator)}, SQLiteStore(db))
        driver.submit("pivot", pivot_order("PY-TWO-1"))  # submitting and reading stay allowed
        with pytest.raises(StoreInUseError, match=rf"pid {holder.pid}\): run one driver process per database"):
            driver.run()
        assert [r.reference for r in SQLiteStore(db).unfinished()] == ["PY-TWO-1"]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    # The lock ended with the killed process: this one runs the payout now.
    control(simulator, "/_sim/reset", {})
    control(simulator, "/_sim/config", {"pivot_callback_url": None})
    driver = Driver({"pivot": pivot_config(simulator)}, SQLiteStore(db), clock=FastClock(),
                    settings={"query_schedule_seconds": [1]})
    result = driver.run()
    assert isinstance(result["PY-TWO-1"], Done) and result["PY-TWO-1"].status is kirim.PayoutStatus.SUCCEEDED


ACKED = textwrap.dedent(
    """
    import json, os, signal, sys, threading, time
    import kirim
    from kirim.driver import Driver
    from kirim.store import SQLiteStore
    sim, db, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    config = kirim.PivotConfig(sim, "kirim-merchant", "kirim-secret", ["kirim-callback-key"])
    store = SQLiteStore(db)
    holder = {}

    class DiesWhileWaiting:  # the run waits for the callback (its first query is 10 minutes away)
        def now(self):
            return int(time.time())

        def sleep(self, seconds, wake):
            if mode == "callback":
                # The provider's callback reaches the web server's thread while the run waits ...
                payout_id = store.load("PY-ACK-1").payout_id
                body = json.dumps({"event": "PAYOUT.SUCCESS", "data": {"uuid": payout_id, "merchantId": "kirim-merchant",
                    "payouts": {"referenceId": "PY-ACK-1", "amount": {"currency": "IDR", "value": "100000"},
                                "status": "SUCCESS", "reason": None}}}).encode()
                web = threading.Thread(target=lambda: holder.update(ack=holder["driver"].handle_callback(
                    "pivot", [("X-API-Key", "kirim-callback-key")], body).status))
                web.start()
                web.join(30)
                print(holder["ack"], flush=True)  # ... which answers the provider ...
            os.kill(os.getpid(), signal.SIGKILL)  # ... and the process dies before the run wakes

    driver = Driver({"pivot": config}, store, clock=DiesWhileWaiting(), settings={"query_schedule_seconds": [600]})
    holder["driver"] = driver
    driver.submit("pivot", {"reference": "PY-ACK-1", "amount": {"value": "100000", "currency": "IDR"},
                            "beneficiary": {"bank": "BCA", "account_number": "1234567890", "account_name": "Budi"}})
    driver.run()
    """
)


def _acked_child(simulator: str, tmp_path: Path, mode: str) -> Tuple[str, str]:
    control(simulator, "/_sim/reset", {})
    control(simulator, "/_sim/config", {"pivot_callback_url": None})  # the test delivers the callback
    db = str(tmp_path / "payouts.sqlite")
    child = subprocess.run([sys.executable, "-c", ACKED, simulator, db, mode], capture_output=True, text=True,
                           timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    return db, child.stdout.strip()


def pivot_success(reference: str, payout_id: str) -> Tuple[List[Tuple[str, str]], bytes]:
    body = json.dumps({"event": "PAYOUT.SUCCESS", "data": {"uuid": payout_id, "merchantId": "kirim-merchant",
        "payouts": {"referenceId": reference, "amount": {"currency": "IDR", "value": "100000"},
                    "status": "SUCCESS", "reason": None}}}).encode()
    return [("X-API-Key", "kirim-callback-key")], body


def _resumed_without_asking_the_provider(simulator: str, db: str, reference: str) -> None:
    """A fresh driver on the file ends the payout from what is stored: no request goes out."""
    store = SQLiteStore(db)
    sent_before = len([o for o in store.history(reference) if o.kind == "send"])
    result = Driver({"pivot": pivot_config(simulator)}, store, clock=FastClock(),
                    settings={"query_schedule_seconds": [600]}).run()
    done = result[reference]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    assert len([o for o in store.history(reference) if o.kind == "send"]) == sent_before


def test_a_callback_acknowledged_to_a_run_is_stored_before_the_process_dies(simulator: str, tmp_path: Path) -> None:
    db, ack = _acked_child(simulator, tmp_path, "callback")
    assert ack == "200"
    # What the killed process left: the callback applied to the snapshot it acknowledged.
    store = SQLiteStore(db)
    record = store.load("PY-ACK-1")
    assert record is not None and record.state == "open" and record.status == "succeeded"
    assert [o.detail for o in store.history("PY-ACK-1") if o.kind == "verdict"] == ["applied"]
    _resumed_without_asking_the_provider(simulator, db, "PY-ACK-1")


def test_a_callback_for_a_payout_not_running_here_is_stored_before_it_is_acknowledged(
    simulator: str, tmp_path: Path
) -> None:
    db, _ = _acked_child(simulator, tmp_path, "die")  # created, waiting, then the process died
    store = SQLiteStore(db)
    record = store.load("PY-ACK-1")
    assert record is not None and record.payout_id and record.status != "succeeded"
    # A process whose driver is not running (the web process before its run starts, say).
    driver = Driver({"pivot": pivot_config(simulator)}, store)
    ack = driver.handle_callback("pivot", *pivot_success("PY-ACK-1", record.payout_id))
    assert ack.status == 200
    stored = SQLiteStore(db).load("PY-ACK-1")
    assert stored is not None and stored.state == "open" and stored.status == "succeeded"
    assert [o.detail for o in store.history("PY-ACK-1") if o.kind == "verdict"] == ["applied"]
    _resumed_without_asking_the_provider(simulator, db, "PY-ACK-1")


def test_a_callback_during_a_send_is_applied_at_once_and_never_overwritten(simulator: str, tmp_path: Path) -> None:
    """The provider calls back while the create's answer is on its way: the web thread gets its
    acknowledgement without waiting for the run, the run's next save keeps the callback."""
    control(simulator, "/_sim/reset", {})
    control(simulator, "/_sim/config", {"pivot_callback_url": None})
    store = SQLiteStore(str(tmp_path / "payouts.sqlite"))
    seen: Dict[str, Any] = {}

    class CallsBackDuringTheCreate:
        def __init__(self) -> None:
            self.inner = UrllibTransport()

        def send(self, request: kirim.HttpRequest, timeout: float) -> kirim.HttpOutcome:
            answer = self.inner.send(request, timeout)
            if str(request.method) == "POST" and request.url.endswith("/v1/payouts"):
                assert isinstance(answer, kirim.HttpResponse)
                uuid = json.loads(answer.body)["data"]["uuid"]
                web = threading.Thread(target=lambda: seen.update(
                    ack=driver.handle_callback("pivot", *item_callback("batch-7-a", "batch-7-b", uuid=uuid))))
                web.start()
                web.join(10)  # the run is in this send: the callback must not wait for it
                assert not web.is_alive(), "the callback waited for the request the run has out"
                stored = store.load("batch-7")
                assert stored is not None
                seen["stored"] = json.loads(stored.snapshot)
            return answer

    driver = Driver({"pivot": pivot_config(simulator)}, store, transport=CallsBackDuringTheCreate(),
                    clock=FastClock(), settings={"query_schedule_seconds": [600]})
    driver.submit("pivot", batch_order("batch-7"))
    result = driver.run()["batch-7"]
    assert seen["ack"].status == 200
    # Stored before the acknowledgement, the create still outstanding (its answer not yet handed over).
    assert seen["stored"]["outstanding"]["purpose"] == "create"
    assert {item["reference"]: item["status"] for item in seen["stored"]["items"]} == {
        "batch-7-a": "succeeded", "batch-7-b": "succeeded"}
    verdicts = [o.detail for o in store.history("batch-7") if o.kind == "verdict"]
    assert verdicts and set(verdicts) == {"applied"}
    assert isinstance(result, Done) and result.status is kirim.PayoutStatus.SUCCEEDED
    sends = [o.detail.split()[0] for o in store.history("batch-7") if o.kind == "send"]
    assert "query" not in sends and "retrieve" not in sends, sends
    record = store.load("batch-7")
    assert record is not None and record.state == "done" and store.unfinished() == []


def test_a_callback_to_a_process_whose_database_another_driver_holds_is_not_acknowledged(
    simulator: str, tmp_path: Path
) -> None:
    db, _ = _acked_child(simulator, tmp_path, "die")
    record = SQLiteStore(db).load("PY-ACK-1")
    assert record is not None and record.payout_id
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, db], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        # Only the driver's process may write the snapshot: this one answers nothing (a 5xx
        # from the web framework), and the provider sends the callback again.
        driver = Driver({"pivot": pivot_config(simulator)}, SQLiteStore(db))
        with pytest.raises(StoreInUseError, match=rf"pid {holder.pid}"):
            driver.handle_callback("pivot", *pivot_success("PY-ACK-1", record.payout_id))
        assert SQLiteStore(db).load("PY-ACK-1") == record
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)


def test_callbacks_racing_the_end_of_a_run_never_reopen_the_payout(simulator: str, tmp_path: Path) -> None:
    """The provider's retries of one callback arrive together while the run takes the first one
    to the end (a run that ended must not find its payout stored as open again)."""
    control(simulator, "/_sim/reset", {})
    control(simulator, "/_sim/config", {"pivot_callback_url": None})
    store = SQLiteStore(str(tmp_path / "payouts.sqlite"))
    waiting = threading.Event()

    class Clock(FastClock):
        def sleep(self, seconds: float, wake: threading.Event) -> None:
            waiting.set()
            super().sleep(seconds, wake)

    driver = Driver({"pivot": pivot_config(simulator)}, store, clock=Clock(), settings={"query_schedule_seconds": [600]})
    driver.submit("pivot", pivot_order("PY-RACE-1"))
    results: Dict[str, Any] = {}
    run = threading.Thread(target=lambda: results.update(driver.run()))
    run.start()
    assert waiting.wait(30)
    record = store.load("PY-RACE-1")
    assert record is not None and record.payout_id
    acks: List[int] = []
    retries = [threading.Thread(target=lambda: acks.append(
        driver.handle_callback("pivot", *pivot_success("PY-RACE-1", str(record.payout_id))).status)) for _ in range(8)]
    for thread in retries:
        thread.start()
    for thread in retries:
        thread.join(30)
    run.join(30)
    assert not run.is_alive() and acks == [200] * 8
    done = results["PY-RACE-1"]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    late = driver.handle_callback("pivot", *pivot_success("PY-RACE-1", str(record.payout_id)))
    assert late.status == 200
    final = store.load("PY-RACE-1")
    assert final is not None and final.state == "done" and store.unfinished() == []


def batch_order(reference: str) -> Dict[str, Any]:
    return {"reference": reference, "amount": kirim.Money.parse("150000"), "items": [
        {"reference": f"{reference}-a", "amount": kirim.Money.parse("100000"), "description": "Item A",
         "beneficiary": {"bank": "BCA", "account_number": "999966660001", "account_name": "Reforza Pivot"}},
        {"reference": f"{reference}-b", "amount": kirim.Money.parse("50000"), "description": "Item B",
         "beneficiary": {"bank": "BRI", "account_number": "888801000157508", "account_name": "Dina Pivot"}}]}


ITEM_AMOUNTS = {"a": "100000", "b": "50000"}  # batch_order's


def item_callback(*references: str, uuid: str = "0b6e2d0c-2f43-4d0e-9a57-1a2b3c4d5e6f") -> Tuple[List[Tuple[str, str]], bytes]:
    """A genuine Pivot bulk callback naming only the batch's items (no payout id is stored yet)."""
    body = json.dumps({"event": "PAYOUT.SUCCESS", "data": {"uuid": uuid, "merchantId": "kirim-merchant", "payouts": [
        {"referenceId": ref, "amount": {"currency": "IDR", "value": ITEM_AMOUNTS[ref[-1]]}, "status": "SUCCESS",
         "reason": None} for ref in references]}}).encode()
    return [("X-API-Key", "kirim-callback-key")], body


OFFLINE_PIVOT = kirim.PivotConfig("http://127.0.0.1:9", "kirim-merchant", "kirim-secret", ["kirim-callback-key"])


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_callback_naming_a_batch_item_is_routed_to_its_batch(kind: str, tmp_path: Path) -> None:
    store: Any = MemoryStore() if kind == "memory" else SQLiteStore(str(tmp_path / "payouts.sqlite"))
    driver = Driver({"pivot": OFFLINE_PIVOT}, store)
    driver.submit("pivot", batch_order("batch-7"))
    ack = driver.handle_callback("pivot", *item_callback("batch-7-a"))
    assert ack.status == 200
    assert [(o.kind, o.detail) for o in store.history("")] == [], "the item's callback was not routed"
    assert "callback" in kinds(store, "batch-7")
    found = store.find_by_reference("batch-7-b")
    assert found is not None and found.reference == "batch-7"
    assert store.find_by_reference("batch-7") == found and store.find_by_reference("batch-8-a") is None


def test_a_driver_configured_with_mappings_verifies_callbacks_as_with_config_classes() -> None:
    # The lifecycle takes a provider's configuration as its JSON form (a mapping) as well as its
    # class; the driver's callback verification must take it too, not refuse every callback.
    pivot = {"base_url": "http://127.0.0.1:9", "merchant_id": "kirim-merchant",
             "merchant_secret": "kirim-secret", "callback_api_keys": ["kirim-callback-key"]}
    gateway = {"base_url": "http://127.0.0.1:9", "platform_id": "PF0002",
               "platform_key": "ThisIsYourSecretKey123", "authorization": "kirim-gateway-auth"}
    store = MemoryStore()
    driver = Driver({"pivot": pivot, "gateway": gateway}, store)
    driver.submit("pivot", batch_order("batch-7"))
    ack = driver.handle_callback("pivot", *item_callback("batch-7-a"))
    assert ack.status == 200
    assert "callback" in kinds(store, "batch-7")
    headers, body = item_callback("batch-7-a")
    forged = driver.handle_callback("pivot", [("X-API-Key", "not-the-key")], body)
    assert forged.status == 401
    assert [o.detail for o in store.history("")] == ["pivot: callback_key_mismatch"]
    refused = driver.handle_callback("gateway", [], b"platform_id=PF0002&sign=00")
    assert refused.status == 500 and json.loads(refused.body)["error_code"] == "9999"


def test_a_store_that_cannot_find_a_batch_by_its_items_is_refused_at_once() -> None:
    class OwnReferencesOnly(MemoryStore):
        find_by_reference = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match=r"the store has no find_by_reference\(\)"):
        Driver({"pivot": OFFLINE_PIVOT}, OwnReferencesOnly())


OLD_SQLITE_SCHEMA = """
CREATE TABLE kirim_payouts (
    reference TEXT PRIMARY KEY, provider TEXT NOT NULL, order_json TEXT NOT NULL, snapshot TEXT NOT NULL,
    state TEXT NOT NULL, status TEXT NOT NULL, next_due INTEGER, payout_id TEXT, result TEXT);
CREATE TABLE kirim_observations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, reference TEXT NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL);
"""


def test_a_database_written_before_item_references_were_kept_routes_them_once_opened(tmp_path: Path) -> None:
    import sqlite3

    db = str(tmp_path / "old.sqlite")
    machine = kirim.PayoutLifecycle("pivot", OFFLINE_PIVOT, batch_order("batch-7"), now=1_700_000_000)
    old = sqlite3.connect(db)
    old.executescript(OLD_SQLITE_SCHEMA)
    old.execute("INSERT INTO kirim_payouts VALUES (?,?,?,?,?,?,?,?,?)",
                ("batch-7", "pivot", json.dumps(machine.order()), machine.snapshot(), "open", "pending", None, None, None))
    old.commit()
    old.close()
    store = SQLiteStore(db)
    found = store.find_by_reference("batch-7-a")
    assert found is not None and found.reference == "batch-7"
    again = SQLiteStore(db)  # opening it again changes nothing
    assert [r.reference for r in again.unfinished()] == ["batch-7"]
    assert again.find_by_reference("batch-7-b") == again.load("batch-7")
    again.close()
    # A row saved meanwhile by a writer that keeps no index (an older kirim, say) is found by
    # its own reference at once, and by its items' once the file is opened again.
    other = kirim.PayoutLifecycle("pivot", OFFLINE_PIVOT, batch_order("batch-8"), now=1_700_000_000)
    old = sqlite3.connect(db)
    old.execute("INSERT INTO kirim_payouts VALUES (?,?,?,?,?,?,?,?,?)",
                ("batch-8", "pivot", json.dumps(other.order()), other.snapshot(), "open", "pending", None, None, None))
    old.commit()
    old.close()
    found = store.find_by_reference("batch-8")
    assert found is not None and found.reference == "batch-8" and store.find_by_reference("batch-8-a") is None
    found = SQLiteStore(db).find_by_reference("batch-8-a")
    assert found is not None and found.reference == "batch-8"


CLAIMS = textwrap.dedent(
    """
    import sys
    from kirim.store import SQLiteStore, StoreInUseError
    try:
        with SQLiteStore(sys.argv[1]).claim():
            print("claimed")
    except StoreInUseError:
        print("refused")
    """
)


def test_one_store_of_a_process_holds_the_file_and_no_other_store_lets_it_go(tmp_path: Path) -> None:
    db = str(tmp_path / "payouts.sqlite")

    def other_process() -> str:
        return subprocess.run([sys.executable, "-c", CLAIMS, db], capture_output=True, text=True,
                              timeout=60).stdout.strip()

    first = SQLiteStore(db)
    with first.claim():  # a driver's run
        assert other_process() == "refused"
        with first.claim():  # runs through the same store share its claim
            pass
        second = SQLiteStore(str(tmp_path / ".." / tmp_path.name / "payouts.sqlite"))  # the same file
        with pytest.raises(StoreInUseError, match=r"another SQLiteStore of this process") as refused:
            with second.claim():
                pass
        assert repr(first) in str(refused.value)
        reader = SQLiteStore(db)  # opening the file to read it stays allowed ...
        assert reader.unfinished() == []
        reader.close()
        second.close()  # ... and closing those stores lets nothing go
        assert other_process() == "refused"
    assert other_process() == "claimed"
    with SQLiteStore(db).claim():  # once the first let go, another store of this process may hold it
        assert other_process() == "refused"


class _Stop(Exception):
    pass


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_second_driver_of_the_process_cannot_drive_a_store_another_driver_is_running(
    kind: str, tmp_path: Path
) -> None:
    # Two Driver objects over one store in one process shared the store's claim: both ran the
    # same payout, each sending its requests and saving its own snapshot over the other's.
    store = submit_store(kind, tmp_path)
    sent: List[str] = []
    out = threading.Event()
    release = threading.Event()

    class Held:
        def send(self, request: kirim.HttpRequest, timeout: float) -> kirim.HttpOutcome:
            sent.append(request.url)
            out.set()
            release.wait(10)
            return kirim.TransportFailure.CONNECTION_ERROR

    class StopAtFirstWait:
        def now(self) -> int:
            return int(time.time())

        def sleep(self, seconds: float, wake: threading.Event) -> None:
            raise _Stop

    first = Driver({"pivot": OFFLINE_PIVOT}, store, transport=Held(), clock=StopAtFirstWait())
    second = Driver({"pivot": OFFLINE_PIVOT}, store, transport=Held(), clock=StopAtFirstWait())
    first.submit("pivot", batch_order("batch-9"))
    errors: List[BaseException] = []

    def run() -> None:
        try:
            first.run()
        except _Stop:
            pass
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    running = threading.Thread(target=run)
    running.start()
    try:
        assert out.wait(10), "the first driver sent nothing"
        with pytest.raises(StoreInUseError, match="another Driver of this process"):
            second.run()
        # A callback for the payout the first driver runs is not stored over its machine either
        # (not acknowledged: the provider sends it again).
        headers, body = item_callback("batch-9-a")
        with pytest.raises(StoreInUseError):
            second.handle_callback("pivot", headers, body)
    finally:
        release.set()
        running.join(10)
    assert errors == [] and len(sent) == 1, sent
    # Once the first driver's run is over, the second may drive the store.
    with pytest.raises(_Stop):
        second.run()

def _readme_driver_quick_start() -> str:
    text = (REPO / "bindings-python" / "README.md").read_text()
    found = re.search(r"<!-- quickstart-driver[^>]*-->\n```python\n(.*?)```\n<!-- /quickstart-driver -->", text, re.S)
    assert found, "the README has no quickstart-driver block"
    return found.group(1)


def test_the_readme_driver_quick_start_is_15_lines_at_most() -> None:
    lines = _readme_driver_quick_start().splitlines()
    assert 3 <= len(lines) <= 15, f"the README driver quick start is {len(lines)} lines"
    assert not any("..." in line.split("#")[0] for line in lines), "the quick start must be whole code"


def test_the_readme_driver_quick_start_pays_out_and_takes_its_callback_in_flask(
    simulator: str, tmp_path: Path
) -> None:
    # Run as a user runs it: the block saved as a program, started with the simulator's address
    # and credentials; the simulator calls the Flask app back on the port the program listens on.
    script = tmp_path / "quickstart.py"
    script.write_text(_readme_driver_quick_start())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    control(simulator, "/_sim/reset", {})
    control(simulator, "/_sim/config", {"pivot_callback_url": f"http://127.0.0.1:{port}/callbacks/pivot"})
    env = dict(os.environ, PIVOT_URL=simulator, PIVOT_MERCHANT_ID="kirim-merchant", PIVOT_SECRET="kirim-secret",
               PIVOT_CALLBACK_KEY="kirim-callback-key", PORT=str(port))
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "order-1001" in run.stdout and "SUCCEEDED" in run.stdout, run.stdout
    store = SQLiteStore(str(tmp_path / "payouts.sqlite"))
    record = store.load("order-1001")
    assert record is not None and record.state == "done" and record.status == "succeeded"
    # The final status came from the callback the Flask app took (verified, applied), not a query.
    history = store.history("order-1001")
    assert [o.detail for o in history if o.kind == "verdict"] == ["applied"]
    assert not [o for o in history if o.kind == "send" and o.detail.startswith("query")]
    assert control(simulator, "/_sim/ledger")["pivot"]["payouts_created_per_reference"] == {"order-1001": 1}


def _bad_row(kind: str, store: Any, good: str, simulator: str) -> PayoutRecord:
    """Row "X", one the pivot driver cannot restore: it holds payout ``good``'s snapshot (an
    edited database, a store of one's own returning the wrong row), garbage, or it is a payout of
    a provider the driver has no configuration for."""
    g = store.load(good)
    assert g is not None
    if kind == "another payouts snapshot":
        row = PayoutRecord("X", "pivot", g.order_json, g.snapshot, "open", g.status)
    elif kind == "garbage":
        row = PayoutRecord("X", "pivot", g.order_json, '{"version": 99, "order": "not kirim"}', "open", g.status)
    else:
        Driver({"gateway": gateway_config(simulator)}, store).submit("gateway", gateway_order("X"))
        return cast(PayoutRecord, store.load("X"))
    store.save(row)
    return row


@pytest.mark.parametrize(
    "kind, code, field",
    [
        ("another payouts snapshot", "invalid_field", "reference"),
        ("garbage", "unsupported_snapshot", "version"),
        ("unconfigured provider", "invalid_config", "provider"),
    ],
)
def test_a_stored_row_the_driver_cannot_restore_is_left_as_it_is_and_every_other_payout_runs(
    kind: str, code: str, field: str, simulator: str, webhooks: Webhooks
) -> None:
    # One bad row used to stop the run before any payout was driven (every payout of the store
    # stalled until a person fixed the row; a create that was out could only go to manual
    # reconciliation once Pivot's key window had passed). A row holding another payout's
    # snapshot must not be run either: it would be a second machine for that payout.
    store = MemoryStore()
    driver = Driver({"pivot": pivot_config(simulator)}, store, clock=FastClock())
    webhooks.driver = driver
    good = driver.submit("pivot", pivot_order("PY-GOOD-1"))
    bad = _bad_row(kind, store, good, simulator)
    with pytest.raises(kirim.driver.RestoreRefusedError) as info:
        driver.run()
    error = info.value
    assert isinstance(error, kirim.ParseError) and error.code == "unsupported_snapshot"
    # The good payout ran to its end, once; its result is in the error.
    assert list(error.results) == [good]
    done = error.results[good]
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    assert control(simulator, "/_sim/ledger")["pivot"]["payouts_created_per_reference"] == {good: 1}
    # The bad row: named with the core's error, not driven, not written, its refusal in its history.
    assert list(error.refused) == ["X"] and '"X"' in error.message
    refusal = error.refused["X"]
    assert isinstance(refusal, kirim.KirimError) and (refusal.code, refusal.field) == (code, field), refusal
    assert f"{code}: {refusal.message}" in error.message
    assert store.load("X") == bad
    history = store.history("X")
    assert [o.kind for o in history][-1] == "restore_refused" and "send" not in [o.kind for o in history]
    assert history[-1].detail == f"{code}: {refusal.message}"
    # Nothing is set aside: the next run tries the row again (and says so again).
    with pytest.raises(kirim.driver.RestoreRefusedError) as again:
        driver.run()
    assert list(again.value.refused) == ["X"] and again.value.results == {}
    assert kinds(store, "X").count("restore_refused") == 2 and store.load("X") == bad


def test_a_run_given_one_reference_as_a_str_is_refused_by_name() -> None:
    # run("order-1") used to run the store's payouts named "o", "r", "d"... (refused as unknown
    # letters at best): the mistake is named instead, and nothing runs.
    store = MemoryStore()
    driver = Driver({"pivot": OFFLINE_PIVOT}, store, clock=FastClock())
    driver.submit("pivot", pivot_order("order-1"))
    with pytest.raises(TypeError, match=r"run\(\['order-1'\]\)"):
        driver.run("order-1")  # type: ignore[arg-type]
    assert kinds(store, "order-1") == ["submitted"]


def test_a_run_naming_an_ended_row_it_cannot_restore_names_it_like_an_open_one() -> None:
    # run(references) answers an ended payout from its stored snapshot; a damaged ended row used
    # to raise the core's error at once, before the other named payouts ran, and unrecorded.
    store = MemoryStore()
    driver = Driver({"pivot": OFFLINE_PIVOT}, store, clock=FastClock())
    driver.submit("pivot", pivot_order("ENDED"))
    ended = store.load("ENDED")
    assert ended is not None
    damaged = PayoutRecord("ENDED", "pivot", ended.order_json, '{"version": 99}', "done", "succeeded")
    store.save(damaged)
    with pytest.raises(kirim.driver.RestoreRefusedError) as info:
        driver.run(["ENDED"])
    assert list(info.value.refused) == ["ENDED"] and info.value.refused["ENDED"].code == "unsupported_snapshot"
    assert kinds(store, "ENDED")[-1] == "restore_refused" and store.load("ENDED") == damaged


def test_a_stored_row_holding_another_payouts_snapshot_is_refused_and_sends_nothing() -> None:
    # A row's snapshot is hostile input: the core checks it, but only the driver knows which row
    # it came from. A row "A" holding payout "B"'s snapshot (a store of one's own that returns
    # the wrong row, an edited database) used to be run as a second machine for "B": both
    # machines sent B's create, each saved its state over B's row (the last to end decided B's
    # stored outcome, whatever the other learned), and row "A" stayed open for every run.
    sent: List[str] = []

    class Recording:
        def send(self, request: kirim.HttpRequest, timeout: float) -> kirim.HttpOutcome:
            sent.append(request.url)
            return kirim.TransportFailure.CONNECTION_ERROR

    class Stopping:  # a run that drives the rows would wait: fail then, never hang
        def now(self) -> int:
            return 1_700_000_000

        def sleep(self, seconds: float, wake: threading.Event) -> None:
            raise AssertionError(f"the run drove the rows and waited; it sent {sent}")

    store = MemoryStore()
    driver = Driver({"pivot": OFFLINE_PIVOT}, store, transport=Recording(), clock=Stopping())
    driver.submit("pivot", pivot_order("B"))
    b = store.load("B")
    assert b is not None
    store.save(PayoutRecord("A", "pivot", b.order_json, b.snapshot, "open", b.status))
    with pytest.raises(kirim.driver.RestoreRefusedError) as info:
        driver.run(["A"])
    refusal = info.value.refused["A"]
    assert refusal.code == "invalid_field" and refusal.field == "reference"
    # The core's message (PayoutLifecycle.restore_stored), its quoting: both payouts named.
    assert '"A"' in refusal.message and '"B"' in refusal.message
    assert sent == [], "a request went out for a row that holds another payout's snapshot"
    # A callback routed to row A is refused the same way (raised: not acknowledged, so the
    # provider sends it again), and B's row is left as it was.
    with pytest.raises(kirim.KirimError):
        driver._apply("A", [], 1_700_000_000)
    assert store.load("B") == b


def test_a_callback_for_a_row_of_a_provider_not_configured_is_not_acknowledged() -> None:
    # Routed by reference to a gateway payout in a pivot-only driver: the row cannot be restored,
    # so the callback is not applied, and it is raised (typed), never acknowledged.
    store = MemoryStore()
    Driver({"gateway": gateway_config("http://127.0.0.1:9")}, store).submit("gateway", gateway_order("GW-1"))
    before = store.load("GW-1")
    driver = Driver({"pivot": OFFLINE_PIVOT}, store)
    headers, body = pivot_success("GW-1", "pivot-uuid-gw-1")
    with pytest.raises(kirim.ValidationError) as info:
        driver.handle_callback("pivot", headers, body)
    assert (info.value.code, info.value.field) == ("invalid_config", "provider")
    assert isinstance(info.value, ValueError)  # as before (a ValueError), now typed
    assert store.load("GW-1") == before

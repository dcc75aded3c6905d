"""Runs payout machines to completion over real HTTP: the standard library's ``urllib`` by
default, or an ``httpx.Client`` you pass (httpx is not a dependency of kirim).

The driver decides nothing: each machine (``kirim.lifecycle.PayoutLifecycle``) says what to
send, when to wait and when it is done; the driver sends, stores and routes. It

- writes the snapshot to the store BEFORE each send (a process killed mid-request resumes from
  it: the core resolves a create that may have gone out, never sends it under a new key);
- turns a timeout or a connection error into the core's transport failure (``timeout``,
  ``connection_error``); every HTTP status is a response the core reads, a 3xx too (a
  redirect is never followed);
- verifies each callback with the provider's own ``handle_callback`` / ``handle_notification``,
  routes its events to their payouts by reference (or payout id), applies them to each payout's
  machine and stores its snapshot, and only then returns the acknowledgement (a process that
  dies after answering has stored the callback; one that dies before never acknowledged it, and
  the provider sends it again);
- picks up every unfinished payout of the store when it runs (a restarted process resumes); a
  stored row it cannot restore (the core refuses its snapshot, or its provider is not configured
  here) is left as it is, its refusal recorded in its history (``restore_refused``), and the run
  drives every other payout before it raises ``RestoreRefusedError`` naming it.

Machines are driven by the thread that calls ``run``; ``handle_callback`` may be called from any
thread (a web framework's). It applies a callback to the machine the run is driving (waking the
run), or to the payout restored from the store when it is not running here; one lock orders
the two, so neither ever stores a snapshot older than the other's.
"""

from __future__ import annotations

import contextlib
import decimal
import http.client
import io
import json
import math
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Protocol, Tuple, Type, Union, cast

from . import _native
from ._errors import KirimError, ParseError, error_class
from .gateway import Gateway, GatewayConfig
from .http import Acknowledgement, HeadersLike, HttpOutcome, HttpRequest, HttpResponse, TransportFailure
from .lifecycle import (
    Action,
    ConfigLike,
    Done,
    ManualReconciliation,
    PayoutLifecycle,
    PayoutOrder,
    Purpose,
    Send,
    WaitUntil,
    check_submission,
)
from .model import PayoutEvent
from .pivot import AccessToken, Pivot, PivotConfig
from .store import OPEN, Observation, PayoutRecord, Store, StoreInUseError

__all__ = [
    "Clock",
    "Driver",
    "HttpxTransport",
    "RestoreRefusedError",
    "SystemClock",
    "Transport",
    "UrllibTransport",
]


# id(store) -> (the Driver of this process driving it, how many holds): one Driver of a process
# drives a store at a time (its run and its callbacks, from any thread, share the hold). A
# store's own claim() keeps other processes (and other stores of the file) off; this keeps a
# second Driver object of this process off the same store, whose machines would be a second
# set for the same payouts, each saved over the other's.
_DRIVING: Dict[int, Tuple["Driver", int]] = {}
_DRIVING_LOCK = threading.Lock()


class Clock(Protocol):
    """The driver's clock (inject one in tests)."""

    def now(self) -> int:
        """Unix seconds."""

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        """Waits ``seconds``, or less when ``wake`` is set (a callback arrived)."""


class SystemClock:
    def now(self) -> int:
        return int(time.time())

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        wake.wait(max(0.0, seconds))


class Transport(Protocol):
    def send(self, request: HttpRequest, timeout: float) -> HttpOutcome:
        """The response (any status), or the transport failure."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A 3xx is the provider's answer, for the core to read: following it would send the request
    # (and its bearer token) to whatever host the Location names.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Deadline:
    """The instant (monotonic clock) by which the whole exchange must be over."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, for the next socket operation; a timeout once none are left."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out: the request's deadline (timeout_seconds) passed")
        return left

    def passed(self) -> bool:
        return time.monotonic() >= self.at


class _DeadlineReader(io.RawIOBase):
    """The response's socket reader, each read given only what is left of the deadline (a
    socket's timeout is per operation: an answer trickling one byte a second would never end)."""

    def __init__(self, raw: Any, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> Optional[int]:
        self._sock.settimeout(self._deadline.remaining())
        count: Optional[int] = self._raw.readinto(buffer)
        return count

    def close(self) -> None:
        if not self.closed:
            self._raw.close()  # the socket's own reader: lets the socket go
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        # Nothing read yet: the status line, headers and body are all read through this.
        self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock, deadline))


def _deadline_connection(base: Type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    """``base`` (HTTP or HTTPS) with every step under ``deadline``: each connect attempt, the TLS
    handshake, each send and each read gets what is left of it, never a fresh timeout."""

    class Connection(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.response_class = lambda sock, *a, **k: _DeadlineResponse(sock, *a, deadline=deadline, **k)
            self._create_connection = self._connect_within_deadline  # an attribute in http.client

        def _connect_within_deadline(
            self, address: Tuple[str, int], timeout: object = None, source_address: Any = None
        ) -> socket.socket:
            # socket.create_connection, with each address's attempt given what is left (it would
            # give each the whole timeout).
            host, port = address
            error: Optional[OSError] = None
            for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
                sock = None
                try:
                    sock = socket.socket(family, kind, proto)
                    sock.settimeout(deadline.remaining())
                    if source_address:
                        sock.bind(source_address)
                    sock.connect(sockaddr)
                    sock.settimeout(deadline.remaining())  # what is left, for the TLS handshake
                    return sock
                except OSError as failed:
                    error = failed
                    if sock is not None:
                        sock.close()
            raise error if error is not None else OSError(f"no address for {host!r}")

        def send(self, data: Any) -> None:
            if self.sock is None and self.auto_open:
                self.connect()
            if self.sock is not None and isinstance(data, (bytes, bytearray, memoryview)):
                view = memoryview(data)
                for start in range(0, len(view), 65536):
                    self.sock.settimeout(deadline.remaining())
                    self.sock.sendall(view[start : start + 65536])
                return
            if self.sock is not None:
                self.sock.settimeout(deadline.remaining())
            super().send(data)

    return Connection


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        deadline: _Deadline = getattr(req, "kirim_deadline")
        return self.do_open(_deadline_connection(http.client.HTTPConnection, deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        deadline: _Deadline = getattr(req, "kirim_deadline")
        context: Any = getattr(self, "_context", None)  # urllib's own (its default: verified TLS)
        return self.do_open(_deadline_connection(http.client.HTTPSConnection, deadline), req, context=context)


_ABSENT: Any = object()


def _milliseconds(seconds: object) -> str:
    """``timeout_seconds`` as the JSON number of milliseconds it is, exactly, for the core to
    check: an int times 1000; a float as the decimal it prints (``0.1`` is 0.1 s, not the
    binary fraction nearest it) times 1000, so 0.1 is 100 ms and 0.0005 is 0.5 ms, which the
    core refuses rather than round. NaN and infinities cross as their text, which the core
    refuses too. Not a number (a bool, a str, None): ``TypeError``."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"timeout_seconds is a number of seconds (int or float), not {type(seconds).__name__}")
    if isinstance(seconds, int):
        return str(int(seconds) * 1000)
    text = float.__repr__(seconds)  # a float subclass's own repr may not be a number
    if not math.isfinite(seconds):
        return json.dumps(text)  # nan, inf, -inf: no number
    return format(decimal.Decimal(text).scaleb(3), "f")


def _transport_options(timeout_seconds: object = _ABSENT, max_response_bytes: object = _ABSENT) -> Dict[str, int]:
    """The core's transport options (``http.transport_options``): its defaults for those left
    out, and its check of those given: ``kirim.ValidationError`` (``invalid_field`` on
    ``timeout_ms`` or ``max_response_bytes``, naming the option and the range). Python's part is
    the conversion: seconds to milliseconds (``_milliseconds``), and ``max_response_bytes`` an
    int (not a bool, not a float: ``TypeError``)."""
    members = []
    if timeout_seconds is not _ABSENT:
        members.append(f'"timeout_ms":{_milliseconds(timeout_seconds)}')
    if max_response_bytes is not _ABSENT:
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int):
            raise TypeError(f"max_response_bytes is an int number of bytes, not {type(max_response_bytes).__name__}")
        members.append(f'"max_response_bytes":{int(max_response_bytes)}')
    options: Dict[str, int] = json.loads(_native.run_operation("http.transport_options", "{" + ",".join(members) + "}"))
    return options


_DEFAULTS = _transport_options()  # the core's: 60 s, 16 MiB

DEFAULT_TIMEOUT_SECONDS: float = _DEFAULTS["timeout_ms"] / 1000
"""Each request's timeout when none is given: the core's (60 s)."""

DEFAULT_MAX_RESPONSE_BYTES: int = _DEFAULTS["max_response_bytes"]
"""The transports' cap on a response body when none is given: the core's (16 MiB). The core
itself refuses bodies above its ``max_body_bytes`` (1 MiB by default), so nothing useful is ever
near it."""


def _timeout_seconds(value: object) -> float:
    """``timeout_seconds`` checked by the core when the driver is made (a whole number of
    milliseconds from 1 ms to a day: 0 or less made every request a timeout; NaN, inf or a huge
    number failed at the first send), as the seconds the transports are given."""
    return _transport_options(timeout_seconds=value)["timeout_ms"] / 1000


def _max_response_bytes(value: object) -> int:
    """``max_response_bytes`` checked by the core when the transport or driver is made."""
    return _transport_options(max_response_bytes=value)["max_response_bytes"]


_PIECE = 65536  # bytes asked for per read of a response body


class _ResponseTooLarge(ConnectionError):
    """A response body above ``max_response_bytes``: the exchange is a ``connection_error``."""


def _check_declared_length(value: Optional[str], cap: int) -> None:
    """A ``Content-Length`` above the cap is refused before any of the body is read."""
    if value is not None and value.strip().isdigit() and int(value.strip()) > cap:
        raise _ResponseTooLarge(f"the response's Content-Length is above max_response_bytes ({cap})")


class _Capped:
    """The pieces of a body as they arrive, refused as soon as more than ``cap`` bytes have."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.total = 0
        self.pieces: List[bytes] = []

    def add(self, piece: bytes) -> None:
        self.total += len(piece)
        if self.total > self.cap:
            raise _ResponseTooLarge(f"the response body is above max_response_bytes ({self.cap})")
        self.pieces.append(piece)

    def body(self) -> bytes:
        return b"".join(self.pieces)


def _read_capped(response: Any, cap: int) -> bytes:
    """``response``'s body (urllib's), read a piece at a time and never more than ``cap`` + 1
    bytes of it: above ``cap`` it is ``_ResponseTooLarge``; shorter than its ``Content-Length``
    (the connection closed early) it is ``http.client.IncompleteRead``, as ``read()`` of the whole
    body raises (``read(n)`` returns what came and nothing more, never raising)."""
    declared = response.headers.get("Content-Length")
    _check_declared_length(declared, cap)
    body = _Capped(cap)
    while True:
        piece = response.read(min(_PIECE, cap + 1 - body.total))
        if not piece:
            break
        body.add(piece)
    if (
        declared is not None
        and declared.strip().isdigit()
        and response.headers.get("Transfer-Encoding") is None
        and body.total < int(declared.strip())
    ):
        raise http.client.IncompleteRead(body.body(), int(declared.strip()) - body.total)
    return body.body()


class UrllibTransport:
    """``urllib.request`` from the standard library. A redirect is never followed: the 3xx is
    the answer handed to the core. ``timeout`` is the deadline of the whole exchange (connect,
    TLS, sending, the status line, headers and body), not of each socket operation: an answer
    still arriving when it passes is ``TransportFailure.TIMEOUT``.

    ``max_response_bytes`` (an int from 1 to 2^53 - 1, default 16 MiB: the core's default and
    check) caps the response body: it is read
    a piece at a time, and an answer whose ``Content-Length`` or body goes above the cap is
    ``TransportFailure.CONNECTION_ERROR`` (its connection closed, nothing more read; for a
    create an unknown outcome, queried or resent under its key, never a truncated body handed
    to the core), so a broken or hostile endpoint cannot run the process out of memory."""

    def __init__(self, *, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        self._cap = _max_response_bytes(max_response_bytes)
        self._opener = urllib.request.build_opener(_NoRedirect, _DeadlineHTTPHandler, _DeadlineHTTPSHandler)

    def send(self, request: HttpRequest, timeout: float) -> HttpOutcome:
        deadline = _Deadline(timeout)
        body = request.body
        req = urllib.request.Request(
            request.url,
            data=body if body or str(request.method) != "GET" else None,
            method=str(request.method),
        )
        setattr(req, "kirim_deadline", deadline)
        for header in request.headers:
            req.add_header(header.name, header.value)
        try:
            with self._opener.open(req, timeout=timeout) as response:
                return HttpResponse(response.status, list(response.getheaders()), _read_capped(response, self._cap))
        except urllib.error.HTTPError as error:
            # A status is an answer, whatever it is: the core reads it (read below, outside this
            # handler, so a body that breaks or misses the deadline is a transport failure too).
            answer = error
        except urllib.error.URLError as error:
            return _failure(error.reason)
        except Exception as error:  # the connection broke while reading the answer
            return _failure(error)
        try:
            with answer:
                return HttpResponse(answer.code, list(answer.headers.items()), _read_capped(answer, self._cap))
        except Exception as error:
            return _failure(error)


def _failure(reason: object) -> TransportFailure:
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return TransportFailure.TIMEOUT
    if isinstance(reason, (OSError, ConnectionError)) or type(reason).__module__ == "http.client":
        return TransportFailure.CONNECTION_ERROR
    raise reason if isinstance(reason, BaseException) else RuntimeError(str(reason))


class HttpxTransport:
    """An ``httpx.Client`` the caller owns and configured (proxies, TLS, pools). httpx is not a
    dependency of kirim: its exceptions are taken from the client's own package. A redirect is
    never followed, whatever the client's ``follow_redirects``: the 3xx is the answer.

    ``max_response_bytes`` (an int from 1 to 2^53 - 1, default 16 MiB) caps the response body as
    ``UrllibTransport``'s does: the body is streamed, and an answer whose ``Content-Length`` or
    body (counted as httpx decodes it, so a small compressed answer cannot unpack past the cap)
    goes above the cap is ``TransportFailure.CONNECTION_ERROR``, the response closed.

    ``timeout`` is the deadline of the whole exchange as far as httpx's public API allows: it is
    each of httpx's own timeouts (connect, the wait for a pooled connection, each write, each
    read), and the deadline is checked once the headers have arrived and after each piece of
    the body (streamed), an answer not over by then being ``TransportFailure.TIMEOUT`` (for a
    create an unknown outcome, queried or resent under its key, never a refusal). What stays
    bounded only per operation: (1) the body's read under way when the deadline passes ends
    first, so the body can run past the deadline by at most one read's wait (``timeout``);
    (2) the status line and headers are read within one httpx call, which offers no public way
    to stop between their pieces: headers trickling in, each piece within ``timeout`` of the
    last, hold the request until they end (then it is the timeout all the same); (3) likewise
    each phase before them (connect, pool wait, each write) may take up to ``timeout`` of its
    own. ``UrllibTransport`` has none of these gaps."""

    def __init__(self, client: Any, *, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        self._cap = _max_response_bytes(max_response_bytes)
        self._client = client
        package = sys.modules[type(client).__module__.split(".")[0]]
        self._timeout_error: Type[BaseException] = package.TimeoutException
        # Every failure of the request httpx raises (RequestError): a broken connection, and an
        # answer whose body cannot be decoded (DecodingError, which is no TransportError).
        self._transport_error: Type[BaseException] = package.RequestError

    def send(self, request: HttpRequest, timeout: float) -> HttpOutcome:
        deadline = _Deadline(timeout)
        try:
            with self._client.stream(
                str(request.method),
                request.url,
                headers=[(h.name, h.value) for h in request.headers],
                content=request.body,
                timeout=timeout,
                follow_redirects=False,  # as urllib's: the 3xx goes to the core
            ) as response:
                if deadline.passed():  # the headers ended after it
                    return TransportFailure.TIMEOUT
                _check_declared_length(response.headers.get("content-length"), self._cap)
                body = _Capped(self._cap)
                for piece in response.iter_bytes():
                    body.add(piece)
                    if deadline.passed():  # the response is closed on the way out
                        return TransportFailure.TIMEOUT
                return HttpResponse(response.status_code, list(response.headers.multi_items()), body.body())
        except self._timeout_error:
            return TransportFailure.TIMEOUT
        except (self._transport_error, _ResponseTooLarge):
            return TransportFailure.CONNECTION_ERROR


def _summary(outcome: HttpOutcome) -> str:
    if isinstance(outcome, HttpResponse):
        return f"HTTP {outcome.status}, {len(outcome.body)} bytes"
    return str(outcome)


def _final_state(action: Action) -> Optional[str]:
    if isinstance(action, Done):
        return "done"
    if isinstance(action, ManualReconciliation):
        return "manual_reconciliation"
    return None


class RestoreRefusedError(ParseError):
    """A run drove every payout it could, and refused the stored rows it cannot restore: each is
    left as it is (not driven, not written), its refusal is in its history (``restore_refused``)
    and the next run tries it again. A person must look at each one (an edited database, a
    snapshot from a newer kirim, another payout's snapshot under this reference, a provider this
    driver has no configuration for) and fix its row; never submit the payout again under a new
    reference: it may have been paid.

    ``code`` is ``unsupported_snapshot`` (a ``ParseError``): the code of a stored payout this
    kirim cannot restore, whose handling (restore it with what wrote it, or reconcile it by hand,
    never start it again from scratch) is every refused row's. ``refused``: each refused row's
    reference and its error (the core's, e.g. ``invalid_field`` on ``reference``; for a provider
    not configured here, ``invalid_config`` on ``provider``). ``results``: the final action of
    each payout the run drove, what ``run`` returns when nothing is refused."""

    refused: Dict[str, KirimError]
    results: Dict[str, Action]

    def __init__(self, refused: Mapping[str, KirimError], results: Mapping[str, Action]) -> None:
        shown = "; ".join(f"{json.dumps(reference)}: {error.code}: {error.message}" for reference, error in refused.items())
        super().__init__(
            "unsupported_snapshot",
            f"{len(refused)} stored payout(s) not run, their rows refused (each left as it is, a restore_refused "
            f"line in its history; the other payouts were run, their results in .results): {shown}. A person must "
            "check each payout and fix its row; the next run tries it again. Never submit it again under a new "
            "reference: it may have been paid.",
        )
        self.refused = dict(refused)
        self.results = dict(results)

    def __reduce__(self) -> Any:
        return (type(self), (self.refused, self.results))


def _refusal_detail(error: KirimError) -> str:
    """A ``restore_refused`` line's detail (the driver's and ``kirim.postgres.Worker``'s)."""
    return f"{error.code}: {error.message}"


def _check_submission(
    machine: PayoutLifecycle,
    load: Callable[[str], Optional[PayoutRecord]],
    find_by_reference: Callable[[str], Optional[PayoutRecord]],
) -> str:
    """The core's decision on submitting ``machine``'s order (``check_submission``), from what
    the store holds under its reference and which other payout holds any of its references (its
    own, its items'): ``"new"`` or ``"already_stored"``; refused (``invalid_field``) otherwise."""
    order = machine.order()
    reference = machine.reference
    stored = load(reference)
    held: List[Tuple[str, str]] = []
    if stored is None:
        references = [reference] + [str(item["reference"]) for item in order.get("items") or ()]
        for named in references:
            found = find_by_reference(named)
            if found is not None and found.reference != reference:
                held.append((named, found.reference))
    return check_submission(
        json.dumps(order, ensure_ascii=False),
        None if stored is None else stored.order_json,
        None if stored is None else stored.provider,
        machine.provider,
        held,
    )


class Driver:
    """Drives payouts of the configured providers (``{"pivot": PivotConfig, "gateway":
    GatewayConfig}``) with ``store`` as their memory.

    ``timeout_seconds`` bounds each request: with the default urllib transport it is the
    deadline of the whole exchange (connect, send, status line, headers, body), an answer still
    arriving then being a timeout (for a create: an unknown outcome, asked again under its
    key); with an httpx client it is each of httpx's own timeouts and the deadline checked once
    the headers are in and after each piece of the body (``HttpxTransport`` says what that
    leaves bounded only per operation: trickled headers above all). It defaults to 60 s and is a
    whole number of milliseconds from 0.001 s to a day (an int or a float, read as the decimal
    it prints: 0.1 is 100 ms; anything else is refused when the driver is made); keep it below
    the machine's ``request_timeout_seconds`` (default 120). ``max_response_bytes`` caps
    each response body the transport the driver builds reads (an int from 1 to 2^53 - 1,
    default 16 MiB; see ``UrllibTransport``): an answer above it is a ``connection_error``,
    never read whole into memory. With ``transport=`` set it on your transport instead. Both
    defaults and checks are the core's (``http.transport_options``), the same in every
    language: a value it refuses is a ``kirim.ValidationError`` (``invalid_field`` on
    ``timeout_ms`` or ``max_response_bytes``), a value of another type a ``TypeError``.
    ``settings`` are the machines' (``None``: the provider's defaults)."""

    def __init__(
        self,
        providers: Mapping[str, ConfigLike],
        store: Store,
        *,
        http_client: Any = None,
        transport: Optional[Transport] = None,
        clock: Optional[Clock] = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        settings: Optional[Mapping[str, Any]] = None,
        max_response_bytes: Optional[int] = None,
    ) -> None:
        timeout_seconds = _timeout_seconds(timeout_seconds)  # refused when made, never at a send
        for method in ("save", "load", "find_by_reference", "find_by_payout_id", "unfinished", "observe"):
            # At once, not when the first callback arrives (as JS's PayoutDriver).
            if not callable(getattr(store, method, None)):
                raise TypeError(f"the store has no {method}() (see kirim.store.Store)")
        self._configs = dict(providers)
        self._store = store
        if transport is None:
            cap = _max_response_bytes(DEFAULT_MAX_RESPONSE_BYTES if max_response_bytes is None else max_response_bytes)
            transport = (
                UrllibTransport(max_response_bytes=cap)
                if http_client is None
                else HttpxTransport(http_client, max_response_bytes=cap)
            )
        elif max_response_bytes is not None:
            raise ValueError(
                "max_response_bytes caps the transport the driver builds; a transport of your own "
                "has its own (UrllibTransport(max_response_bytes=...), HttpxTransport(client, max_response_bytes=...))"
            )
        self._transport = transport
        self._clock: Clock = clock or SystemClock()
        self._timeout = timeout_seconds
        self._settings = settings
        self._verifiers: Dict[str, Union[Pivot, Gateway]] = {}
        for name, config in self._configs.items():
            # A configuration in its JSON form (a mapping), as the machines take it, verifies
            # callbacks as its class does: without a verifier every callback would be refused.
            if name == "pivot":
                self._verifiers[name] = (
                    Pivot(config) if isinstance(config, PivotConfig) else Pivot._from_json_form(_native.Pivot, cast(Any, config))
                )
            elif name == "gateway":
                self._verifiers[name] = (
                    Gateway(config)
                    if isinstance(config, GatewayConfig)
                    else Gateway._from_json_form(_native.Gateway, cast(Any, config))
                )
        # The machines a run is driving, and the lock around every use of them and every save
        # of one: the run loop and handle_callback
        # (another thread) take it, so each save is of the machine's latest state, in order.
        # Not held while a request is out or while the run waits.
        self._machines: Dict[str, PayoutLifecycle] = {}
        self._lock = threading.Lock()
        self._sessions: Dict[str, AccessToken] = {}
        self._wake = threading.Event()
        self._warned_without_insert_submitted = False

    @property
    def store(self) -> Store:
        return self._store

    # ---- payouts -------------------------------------------------------------------------

    def submit(self, provider: str, order: PayoutOrder, settings: Optional[Mapping[str, Any]] = None) -> str:
        """Registers a payout (stored at once, nothing sent yet) and returns its reference.
        ``settings``: the machine's; None for the driver's, an empty mapping for the provider's
        defaults.

        The store's ``insert_submitted`` (every store of kirim's has it; see
        ``kirim.store.Store``) decides and inserts in one step that no other writer of the
        store interleaves with, and never replaces a stored row: a payout another process
        stored under the reference meanwhile is decided on as stored (already stored, or
        refused), never overwritten. A store without it is checked and saved under this
        process's lock only, and the driver's first such submission says so (``UserWarning``).

        Submitting the identical order again (same reference, provider and order, as the core
        reads it) writes nothing and returns its reference: the stored payout goes on as it
        stands. Refused by the core's rule (``ValidationError``, ``invalid_field``; nothing
        written, the stored payout unchanged) when the store holds ANOTHER order under its
        reference (another amount, beneficiary, items or provider: field ``reference``), or when
        another stored payout uses its reference or one of its items' (field ``reference`` or
        ``items[i].reference``): a reference names one payout, so use a new one for a new
        payout."""
        with self._lock:
            now = self._clock.now()
            # The order is checked (and read as the core reads it) before the store is asked.
            # None: the driver's settings; an empty mapping is the provider's defaults, as in
            # JavaScript and Kotlin.
            chosen = self._settings if settings is None else settings
            machine = PayoutLifecycle(provider, self._config(provider), order, chosen, now=now)
            reference = machine.reference
            record = self._record(machine, None)
            insert_submitted = getattr(self._store, "insert_submitted", None)
            if insert_submitted is not None:
                if not insert_submitted(record, lambda load, find: _check_submission(machine, load, find)):
                    return reference
            else:
                # A store of one's own without insert_submitted: checked and saved under this
                # process's lock only (kirim.store.Store says what that leaves open), said once.
                if not self._warned_without_insert_submitted:
                    self._warned_without_insert_submitted = True
                    warnings.warn(
                        f"the store ({type(self._store).__name__}) has no insert_submitted(record, decide): "
                        "its submissions are checked and saved under this process's lock only, so a payout "
                        "another process stores under the same reference in between is overwritten; give it "
                        "insert_submitted (see kirim.store.Store and kirim.store.insert_new)",
                        UserWarning,
                        stacklevel=2,
                    )
                if _check_submission(machine, self._store.load, self._store.find_by_reference) == "already_stored":
                    return reference
                self._store.save(record)
        self._observe(reference, now, "submitted", machine.idempotency_key)
        return reference

    def run(self, references: Optional[List[str]] = None) -> Dict[str, Action]:
        """Runs every unfinished payout of the store (or only ``references``) until each one is
        done or needs a person; returns each one's final action. Callbacks handed to
        ``handle_callback`` meanwhile are applied to the machines it drives, and wake it. The
        payouts are those unfinished when it starts (submit first). One process drives a
        database at a time: a store with ``claim()`` (``SQLiteStore``,
        ``kirim.postgres.PostgresStore``) is claimed for the run, and a run while another
        process's driver holds it raises ``kirim.store.StoreInUseError``; so does a run while
        another ``Driver`` of this process is driving the same store (any store).

        A payout named in ``references`` that has already ended answers its final action
        (nothing sent); a reference the store does not hold is refused (``ValidationError``,
        ``invalid_field`` on ``reference``) and nothing runs.

        A stored row it cannot restore (the core refuses its snapshot: an edited database, a
        snapshot from a newer kirim, another payout's snapshot under its reference; or its
        provider is not configured here) is not driven and not written: its refusal goes into
        its history at once (``restore_refused``, ``"{code}: {message}"``, as
        ``kirim.postgres.Worker`` writes it), every other payout is run to its end, and then the
        run raises ``RestoreRefusedError`` naming each refused reference with its error and
        carrying the others' results. The next run tries the refused rows again."""
        if isinstance(references, (str, bytes)):
            # A str is a sequence of one-letter "references": refused by name, not run letter by letter.
            raise TypeError(f"references is a list of references, not one: run([{references!r}])")
        with self._claimed():
            return self._run(references)

    @contextlib.contextmanager
    def _claimed(self) -> Iterator[None]:
        """The store's claim (one driver process per database), held while this driver writes
        snapshots; and, for any store, this process's hold of it: another Driver of the process
        holding the same store is refused (``StoreInUseError``)."""
        key = id(self._store)
        with _DRIVING_LOCK:
            holder = _DRIVING.get(key)
            if holder is not None and holder[0] is not self:
                raise StoreInUseError(
                    f"{self._store!r} is being driven by another Driver of this process ({holder[0]!r}): "
                    "drive a store through one Driver (its run and handle_callback may be called from any thread)"
                )
            _DRIVING[key] = (self, 1 if holder is None else holder[1] + 1)
        try:
            claim = getattr(self._store, "claim", None)
            if claim is None:
                yield
            else:
                with claim():
                    yield
        finally:
            with _DRIVING_LOCK:
                driver, holds = _DRIVING[key]
                if holds == 1:
                    del _DRIVING[key]
                else:
                    _DRIVING[key] = (driver, holds - 1)

    def _run(self, references: Optional[List[str]]) -> Dict[str, Action]:
        results: Dict[str, Action] = {}
        refused: Dict[str, KirimError] = {}
        wanted = None if references is None else set(references)
        with self._lock:  # a callback applied meanwhile is either in the stored snapshot or live
            if references is not None:
                results.update(self._ended(references, refused))
            for record in self._store.unfinished():
                if (wanted is None or record.reference in wanted) and record.reference not in self._machines:
                    try:
                        self._machines[record.reference] = self._restore(record)
                    except KirimError as error:
                        # One bad row must not stall every other payout (a create that is out
                        # must be resolved within its key window): it is left as it is, said in
                        # its history now, and raised once the others have run.
                        refused[record.reference] = error
                        self._observe(record.reference, self._clock.now(), "restore_refused", _refusal_detail(error))
            running = [r for r in self._machines if wanted is None or r in wanted]
        try:
            while running:
                # Cleared before polling: a callback applied from here on wakes the wait below.
                self._wake.clear()
                due: Optional[int] = None
                for reference in list(running):
                    action = self._advance(reference)
                    if isinstance(action, WaitUntil):
                        due = action.at if due is None else min(due, action.at)
                    else:
                        results[reference] = action
                        running.remove(reference)
                if due is not None:
                    self._clock.sleep(due - self._clock.now(), self._wake)
        finally:
            # A run that stopped (an exception) lets its machines go: a callback meanwhile, or
            # the next run, restores each from its last stored snapshot, as after a crash.
            with self._lock:
                for reference in running:
                    self._machines.pop(reference, None)
        if refused:
            raise RestoreRefusedError(refused, results)
        return results

    def _ended(self, references: List[str], refused: Dict[str, KirimError]) -> Dict[str, Action]:
        """Of the payouts a run names, those that have ended, with their final action (nothing
        sent or stored), as JavaScript's ``run`` answers them. One the store does not hold is
        refused by the core's rule (``invalid_field`` on ``reference``) before anything runs: a
        typo or the wrong store, never an empty result. Called under the lock."""
        ended: Dict[str, Action] = {}
        now = self._clock.now()
        for reference in dict.fromkeys(references):
            if reference in self._machines:
                continue  # running (another run of this driver)
            record = self._store.load(reference)
            _native.check_run(reference, record is not None)
            if record is not None and record.state != OPEN:
                try:
                    ended[reference] = self._restore(record).poll(now)
                except KirimError as error:
                    # An ended row the core refuses is named like an open one (RestoreRefusedError).
                    refused[reference] = error
                    self._observe(reference, now, "restore_refused", _refusal_detail(error))
        return ended

    def _advance(self, reference: str) -> Action:
        """Polls one machine until it waits or ends, sending what it asks for. The lock is held
        for each step but not while the request is out: a callback is applied meanwhile."""
        while True:
            with self._lock:
                machine = self._machines[reference]
                now = self._clock.now()
                # One Pivot token for every machine (the machine still judges its expiry itself).
                shared = self._sessions.get(machine.provider)
                if shared is not None and machine.session() is None:
                    machine.use_session(shared)
                action, text = machine.poll_with_json(now)
                if not isinstance(action, Send):
                    self._save(machine, now, action.at if isinstance(action, WaitUntil) else None, action, text)
                    if not isinstance(action, WaitUntil):
                        # Let go in the same step as its final save: a callback arriving later
                        # finds it ended in the store, never a live machine to save as open.
                        del self._machines[reference]
                        self._observe(reference, now, "action", text)
                    return action
                # Write-ahead: the snapshot (with this request outstanding) is stored first.
                self._save(machine, now, now)
                request = action.request
                self._observe(reference, now, "send", f"{action.purpose.value} {request.method} {request.url}")
            outcome = self._transport.send(request, self._timeout)
            with self._lock:
                after = self._clock.now()
                self._observe(reference, after, "response", _summary(outcome))
                machine.handle_response(outcome, after)
                if action.purpose is Purpose.SESSION:
                    token = machine.session()
                    if token is not None:
                        self._sessions[machine.provider] = token
                self._apply_callbacks()

    # ---- callbacks -----------------------------------------------------------------------

    def handle_callback(self, provider: str, headers: HeadersLike, body: bytes) -> Acknowledgement:
        """A callback (Pivot) or notification (gateway) as received: verified by the core, its
        events applied to their payouts and each payout's snapshot stored; only then is the
        answer to send back returned. A forged or unreadable one changes nothing.

        A payout this driver is running gets the events on its live machine (its run wakes); one
        that is not is restored from the store, given them and saved (it runs next time the
        store's unfinished payouts run), under the store's claim: one driver process per
        database, so in a process whose store another process's driver holds this raises
        ``StoreInUseError`` and acknowledges nothing (answer 5xx: the provider sends it again). A
        payout that has ended is left as it is."""
        now = self._clock.now()
        routed, ack = self._accept_callback(provider, headers, body, now)
        concerned: Dict[str, List[PayoutEvent]] = {}
        for reference, event in routed:
            concerned.setdefault(reference, []).append(event)
        if concerned:
            with self._claimed():
                for reference, events in concerned.items():
                    self._apply(reference, events, now)
            self._wake.set()
        return ack

    def _apply(self, reference: str, events: List[PayoutEvent], at: int) -> None:
        """Applies verified events to the payout's machine and stores its snapshot."""
        with self._lock:
            machine = self._machines.get(reference)
            if machine is None:
                record = self._store.load(reference)
                if record is None or record.state != OPEN:
                    return  # ended: nothing left to decide (the callback is in its history)
                machine = self._restore(record)
            now = self._clock.now()
            for event in events:
                verdict = machine.handle_event(event, now)
                self._observe(reference, at, "verdict", verdict.value)
            # Due at once: the machine may act on the callback (a run wakes for it; after a
            # crash, the next run takes it first).
            self._save(machine, now, None)

    def _verify_callback(
        self, provider: str, headers: HeadersLike, body: bytes
    ) -> Tuple[Tuple[PayoutEvent, ...], Optional[KirimError], Acknowledgement]:
        """The core's verification of a callback: its events, the error that refused it, the
        acknowledgement to send back."""
        verifier = self._verifiers.get(provider)
        if verifier is None:
            raise ValueError(
                f"no {provider!r} provider to verify callbacks: configure it with a "
                "kirim.PivotConfig or kirim.GatewayConfig"
            )
        if isinstance(verifier, Pivot):
            handled = verifier.handle_callback(headers, body)
            return handled.events or (), handled.error, handled.acknowledgement
        notified = verifier.handle_notification(body)
        events = () if notified.event is None else (notified.event,)
        return events, notified.error, notified.acknowledgement

    def _accept_callback(
        self, provider: str, headers: HeadersLike, body: bytes, now: int, lines: Optional[List[Observation]] = None
    ) -> Tuple[List[Tuple[str, PayoutEvent]], Acknowledgement]:
        """Verifies a callback and routes its events (each observed): the routed events and the
        acknowledgement to send back. ``lines``: the routed events' ``callback`` lines go there
        instead, for a store that commits them with the callback (``kirim.postgres``)."""
        events, error, ack = self._verify_callback(provider, headers, body)
        if error is not None:
            self._observe("", now, "callback_refused", f"{provider}: {error.code}")
        routed = []
        for event in events:
            reference = self._route(event)
            if reference is None:
                self._observe("", now, "callback_unrouted", f"{provider}: {event.reference_id} {event.payout_id}")
                continue
            detail = f"{event.status.value} ({event.authenticity.value})"
            if lines is None:
                self._observe(reference, now, "callback", detail)
            else:
                lines.append(Observation(reference, now, "callback", detail))
            routed.append((reference, event))
        return routed, ack

    def _route(self, event: PayoutEvent) -> Optional[str]:
        if event.reference_id is not None:
            # The payout's own reference or, for a Pivot batch, an item's: a bulk callback may
            # name only its items, before the payout id is stored.
            record = self._store.find_by_reference(event.reference_id)
            if record is not None:
                return record.reference
        if event.payout_id is not None:
            record = self._store.find_by_payout_id(event.payout_id)
            if record is not None:
                return record.reference
        return None

    def _apply_callbacks(self) -> None:
        """Called after each response, under the lock. A Driver's callbacks are applied by
        ``handle_callback`` itself; ``kirim.postgres.Worker`` applies its inbox here."""

    # ---- storage -------------------------------------------------------------------------

    def _restore(self, record: PayoutRecord) -> PayoutLifecycle:
        """The machine of a stored row, by the core's rule (``PayoutLifecycle.restore_stored``):
        the snapshot is checked (hostile input), and a row holding another payout's snapshot (an
        edited database, a store of one's own returning the wrong row), which would be a second
        machine for that payout, is refused: ``invalid_field``, ``reference``. A row of a
        provider not configured here is refused too: ``invalid_config``, ``provider`` (a
        ``ValidationError``, so a ``ValueError`` as before)."""
        config = self._configs.get(record.provider)
        if config is None:
            raise error_class("invalid_config")(
                "invalid_config",
                f"the stored payout {json.dumps(record.reference)} is a {json.dumps(record.provider)} payout, and this "
                f"driver has no {json.dumps(record.provider)} provider configured: configure it to drive the payout",
                field="provider",
            )
        return PayoutLifecycle.restore_stored(record.provider, config, record.snapshot, record.reference)

    def _config(self, provider: str) -> ConfigLike:
        config = self._configs.get(provider)
        if config is None:
            raise ValueError(f"no {provider!r} provider configured")
        return config

    def _save(
        self,
        machine: PayoutLifecycle,
        now: int,
        next_due: Optional[int],
        action: Optional[Action] = None,
        action_json: Optional[str] = None,
    ) -> None:
        self._store.save(self._record(machine, next_due, action, action_json))

    @staticmethod
    def _record(
        machine: PayoutLifecycle,
        next_due: Optional[int],
        action: Optional[Action] = None,
        action_json: Optional[str] = None,
    ) -> PayoutRecord:
        state = machine.state()
        final = None if action is None else _final_state(action)
        return PayoutRecord(
            reference=machine.reference,
            provider=machine.provider,
            order_json=json.dumps(machine.order(), ensure_ascii=False),
            snapshot=machine.snapshot(),
            state=final or OPEN,
            status=state.status.value,
            next_due=next_due,
            payout_id=state.payout_id,
            result=None if final is None else action_json,
        )

    def _observe(self, reference: str, at: int, kind: str, detail: str) -> None:
        self._store.observe(Observation(reference, at, kind, detail))

"""Requests and responses as plain data. kirim opens no socket: send ``HttpRequest`` with your
own client (httpx, requests, aiohttp...) and hand back an ``HttpResponse`` or a
``TransportFailure``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Tuple, Union

# Generated from the core (core/tests/python_declarations.rs).
from ._enums import Method, TransportFailure

# Declared once, in the core (native classes): `Header`'s repr shows a credential's value as
# `[redacted]` by the core's one rule (`Header::shown_value`: a name containing a credential
# word, `kirim::http::SENSITIVE_HEADER_WORDS`).
from ._native import Acknowledgement, Header, HttpRequest

RAW_BODY_MESSAGE = (
    "pass the raw body bytes exactly as received (bytes), not a {kind}: verify and parse from "
    "the raw bytes, e.g. `await request.body()` (FastAPI), `request.get_data()` (Flask), "
    "`request.body` (Django)"
)


def raw_body(body: object, what: str = "body") -> bytes:
    """Accepts ``bytes`` (or a ``bytearray``/``memoryview`` of them); anything else, above all a
    ``str`` or a parsed ``dict``, is a TypeError saying to pass the raw body bytes."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, float):
        raise TypeError(f"{what}: " + RAW_BODY_MESSAGE.format(kind="float"))
    raise TypeError(f"{what}: " + RAW_BODY_MESSAGE.format(kind=type(body).__name__))


HeadersLike = Union[
    Mapping[str, str], Iterable[Header], Iterable[Tuple[str, str]], Iterable[Union[Header, Tuple[str, str]]]
]


def headers_of(headers: Optional[HeadersLike]) -> Tuple[Header, ...]:
    """Headers from a mapping (``request.headers`` of FastAPI, Flask or Django), ``(name,
    value)`` pairs, or ``Header`` objects. Every value is kept, in order."""
    if headers is None:
        return ()
    if isinstance(headers, (str, bytes)):
        raise TypeError("headers are a mapping or (name, value) pairs, not a str")
    items: Iterable[object]
    items_method = getattr(headers, "items", None)
    if callable(items_method):
        items = items_method()
    else:
        items = headers
    out = []
    for item in items:
        if isinstance(item, Header):
            out.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            name, value = item
            if isinstance(value, bytes) or isinstance(name, bytes):
                name = name.decode("latin-1") if isinstance(name, bytes) else name
                value = value.decode("latin-1") if isinstance(value, bytes) else value
            out.append(Header(name, value))
        else:
            raise TypeError("each header is a Header or a (name, value) pair of str")
    return tuple(out)


def _find(headers: Tuple[Header, ...], name: str) -> Optional[str]:
    lower = name.lower()
    for header in headers:
        if header.name.lower() == lower:
            return header.value
    return None


@dataclass(frozen=True, repr=False)
class HttpResponse:
    """A response the host received (``status``, headers, raw body bytes)."""

    status: int
    headers: Tuple[Header, ...] = ()
    body: bytes = b""

    def __init__(self, status: int, headers: Optional[HeadersLike] = None, body: bytes = b"") -> None:
        if isinstance(status, bool) or not isinstance(status, int):
            raise TypeError("HttpResponse.status is an int HTTP status code")
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "headers", headers_of(headers))
        object.__setattr__(self, "body", raw_body(body, "HttpResponse.body"))

    def header(self, name: str) -> Optional[str]:
        return _find(self.headers, name)

    def __repr__(self) -> str:
        return (
            f"HttpResponse(status={self.status}, headers={list(self.headers)!r}, "
            f"body_len={len(self.body)})"
        )


HttpOutcome = Union[HttpResponse, TransportFailure]


__all__ = [
    "RAW_BODY_MESSAGE",
    "Method",
    "Header",
    "HeadersLike",
    "HttpRequest",
    "HttpResponse",
    "TransportFailure",
    "HttpOutcome",
    "Acknowledgement",
    "raw_body",
    "headers_of",
]

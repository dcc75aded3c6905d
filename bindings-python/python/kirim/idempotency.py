"""Idempotency keys: validated by each provider's rules, derived deterministically from your own
reference (a retry can never get a fresh key), and whether a key may still be reused. The
rules live in the core; these functions call it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

from . import _native
# Generated from the core (core/tests/python_declarations.rs).
from ._enums import KeyReuseKind
from ._wire import dumps, from_wire
from .model import Provider

ProviderLike = Union[Provider, str]


def _run(operation: str, payload: Dict[str, Any]) -> Any:
    return json.loads(_native.run_operation(operation, dumps(payload)))


def _provider(provider: ProviderLike) -> str:
    if not isinstance(provider, str):
        raise TypeError("provider is a kirim.Provider or its name, e.g. 'pivot'")
    return provider.value if isinstance(provider, Provider) else provider


def validate_idempotency_key(provider: ProviderLike, key: str) -> None:
    """Raises ``ValidationError`` (code ``invalid_idempotency_key``) when ``key`` breaks the
    provider's rules."""
    _run("idempotency.validate", {"provider": _provider(provider), "key": key})


def derive_idempotency_key(provider: ProviderLike, merchant_reference: str, revision: int = 0) -> str:
    """The same reference and revision always give the same key. Bump ``revision`` only after
    the provider REJECTED the request and you corrected it."""
    out = _run(
        "idempotency.derive",
        {"provider": _provider(provider), "merchant_reference": merchant_reference, "revision": revision},
    )
    return str(out["idempotency_key"])


@dataclass(frozen=True)
class KeyReuse:
    """``replays_until`` (resending the identical request replays the first answer until
    ``until``: the provider's window less the safety margin) or ``expired`` (since ``since``: a
    resend could be taken as NEW; a create whose outcome is unknown must be reconciled by hand)."""

    kind: KeyReuseKind
    until: Optional[int] = None
    since: Optional[int] = None


def key_reuse(
    provider: ProviderLike, first_used_at: int, now: int, margin_seconds: Optional[int] = None
) -> KeyReuse:
    """``margin_seconds`` (default 600, at least 0 and less than the window) is taken off the end
    of the provider's window: transit time, retries and clock skew."""
    payload: Dict[str, Any] = {"provider": _provider(provider), "first_used_at": first_used_at, "now": now}
    if margin_seconds is not None:
        payload["margin_seconds"] = margin_seconds
    out = _run("idempotency.key_reuse", payload)
    result: KeyReuse = from_wire(KeyReuse, out)
    return result


@dataclass(frozen=True)
class IdempotencyRules:
    """A provider's rules for its idempotency key."""

    header: str
    min_len: int
    max_len: int
    alphanumeric_only: bool
    validity_seconds: int


__all__ = [
    "ProviderLike",
    "validate_idempotency_key",
    "derive_idempotency_key",
    "KeyReuseKind",
    "KeyReuse",
    "key_reuse",
    "IdempotencyRules",
]

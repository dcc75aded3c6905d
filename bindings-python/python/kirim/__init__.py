"""kirim: pay out to Indonesian bank accounts without paying twice, losing a transfer or
trusting a forged callback.

A sans-IO Rust core: it builds each signed HTTP request as data, parses responses and callbacks
from raw bytes, and normalizes every provider's statuses into one model that says what to do
next. Send the requests with your own HTTP client; pass the clock (``now``, Unix seconds) in.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from . import _native, _providers, lifecycle
from ._errors import (
    AuthenticityError,
    ErrorCode,
    KirimError,
    ParseError,
    ProviderDetail,
    ProviderError,
    ValidationError,
    Violation,
    error_class,
)
from .http import (
    Acknowledgement,
    Header,
    HttpOutcome,
    HttpRequest,
    HttpResponse,
    Method,
    TransportFailure,
)
from .idempotency import (
    IdempotencyRules,
    KeyReuse,
    KeyReuseKind,
    derive_idempotency_key,
    key_reuse,
    validate_idempotency_key,
)
from .model import (
    Authenticity,
    Confirmation,
    Currency,
    Failure,
    FailureReason,
    FieldWarning,
    Money,
    NextAction,
    NextActionKind,
    PayoutEvent,
    PayoutStatus,
    PayoutTotals,
    Provider,
    ReconciliationReason,
    RetryAdvice,
    RetryKind,
    Secret,
    TestCallbackEvent,
    merge_statuses,
)
# Every registered provider's module, shell class and configuration (generated from the core's
# registration): kirim.pivot, kirim.Pivot, kirim.PivotConfig, ...
from ._providers import *  # noqa: F401,F403
from .lifecycle import PayoutLifecycle

__version__: str = _native.VERSION


def run_operation(operation: str, input: Mapping[str, Any]) -> Any:
    """The JSON operation interface: ``operation`` such as ``"pivot.create_payout_request"``
    and its input object (the shared vectors' form); returns the JSON result as Python
    values. Raises the ``KirimError`` subclass for the core's error code."""
    if not isinstance(operation, str):
        raise TypeError("operation is a str such as 'money.parse'")
    # ASCII (kirim._wire.dumps says why): text that is not Unicode is the core's refusal.
    return json.loads(_native.run_operation(operation, json.dumps(input, ensure_ascii=True)))


def run_operation_json(operation: str, input_json: str) -> str:
    """``run_operation`` with JSON text in and out, unchanged."""
    return _native.run_operation(operation, input_json)


__all__ = [
    "PayoutLifecycle",
    "lifecycle",
    "Acknowledgement",
    "Authenticity",
    "AuthenticityError",
    "Confirmation",
    "Currency",
    "ErrorCode",
    "Failure",
    "FailureReason",
    "Header",
    "HttpOutcome",
    "HttpRequest",
    "HttpResponse",
    "IdempotencyRules",
    "KeyReuse",
    "KeyReuseKind",
    "KirimError",
    "Method",
    "Money",
    "NextAction",
    "NextActionKind",
    "ReconciliationReason",
    "ParseError",
    "PayoutEvent",
    "FieldWarning",
    "PayoutStatus",
    "PayoutTotals",
    "Provider",
    "ProviderDetail",
    "ProviderError",
    "RetryAdvice",
    "RetryKind",
    "Secret",
    "TestCallbackEvent",
    "TransportFailure",
    "ValidationError",
    "Violation",
    "__version__",
    "derive_idempotency_key",
    "error_class",
    "key_reuse",
    "merge_statuses",
    "run_operation",
    "run_operation_json",
    "validate_idempotency_key",
]
__all__ += _providers.__all__

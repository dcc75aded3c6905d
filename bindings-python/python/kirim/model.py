"""The model every provider speaks: money, statuses, failures, next actions, events, secrets.

Field names are the core model's JSON names (snake_case). Every rule (parsing and formatting
money, merging statuses) runs in the Rust core; these classes only carry the values.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Union

from . import _native
from ._enum import StrEnum

# Declared once, in the core (`#[cfg_attr(feature = "python", pyo3::pyclass(...))]`): native
# classes whose values the wheel returns as they are. Their enum fields are the members of the
# enums below. `RetryAdvice` and `NextAction` carry the core's enums as they are, read as a
# `kind` (a `RetryKind`, a `NextActionKind`) and that kind's fields.
from ._native import (
    Failure,
    FieldWarning,
    Money,
    NextAction,
    PayoutEvent,
    PayoutTotals,
    RetryAdvice,
    TestCallbackEvent,
)


class Secret:
    """A key or token. Its value never appears in ``repr``, ``str`` or any JSON output; read it
    with the deliberately long ``expose_secret()``."""

    __slots__ = ("_value",)

    def __init__(self, value: Union[str, Secret]) -> None:
        if isinstance(value, Secret):
            value = value.expose_secret()
        if not isinstance(value, str):
            raise TypeError(f"a Secret holds a str, not {type(value).__name__}")
        self._value: str = value

    def expose_secret(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret([redacted])"

    def __str__(self) -> str:
        return "[redacted]"

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled; store expose_secret() deliberately if needed")


SecretLike = Union[Secret, str]


def _secret(value: SecretLike, what: str) -> Secret:
    """A configuration's key: a ``Secret``, or a ``str`` wrapped in one."""
    if isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value)
    raise TypeError(f"{what} is a kirim.Secret or a str")


class Currency(StrEnum):
    IDR = "IDR"


class PayoutStatus(StrEnum):
    """The normalized state of one payout."""

    PENDING = "pending"
    PROCESSING = "processing"
    DELAYED = "delayed"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REVERSED = "reversed"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Whether no later observation moves a payout out of this state (the core's rule:
        succeeded, failed, cancelled and reversed). A property: ``if status.is_final:``."""
        return _native.status_is_final(self.value)

    def merge(self, incoming: Union[PayoutStatus, str]) -> PayoutStatus:
        """The state after a CONFIRMED observation of ``incoming``: a stale or out-of-order
        event never moves a payout backwards; pending, processing and delayed are peers (the
        latest wins, so a top-up hold shows) (the core's rule)."""
        return PayoutStatus(_native.status_merge(self.value, PayoutStatus(incoming).value))

    def observe(
        self,
        incoming: Union[PayoutStatus, str],
        confirmation: Union[Confirmation, str] = "confirmed",
    ) -> PayoutStatus:
        """The state after observing ``incoming`` with its ``confirmation``: a tentative
        observation (an unverified callback, a status that needs a query) changes nothing, so it
        never makes a payout final; a confirmed one decides as ``merge`` does (the core's rule)."""
        return PayoutStatus(
            _native.status_observe(
                self.value, PayoutStatus(incoming).value, Confirmation(confirmation).value
            )
        )


class Confirmation(StrEnum):
    """Whether an observation may decide a payout's state (``PayoutEvent.confirmation``)."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"


def merge_statuses(
    current: Optional[Union[PayoutStatus, str]],
    events: Iterable[Union[PayoutStatus, str, PayoutEvent]],
) -> PayoutStatus:
    """Applies observations in arrival order from ``current`` (``unknown`` when None). A status
    is a confirmed observation (a query answer); a ``PayoutEvent`` counts with its own
    ``confirmation``, so a tentative event never makes the payout final."""
    state = PayoutStatus(current) if current is not None else PayoutStatus.UNKNOWN
    for event in events:
        if isinstance(event, PayoutEvent):
            state = state.observe(event.status, event.confirmation)
        else:
            state = state.merge(event)
    return state


class FailureReason(StrEnum):
    INVALID_ACCOUNT = "invalid_account"
    INACTIVE_ACCOUNT = "inactive_account"
    NAME_MISMATCH = "name_mismatch"
    BENEFICIARY_LIMIT = "beneficiary_limit"
    BANK_NETWORK_ERROR = "bank_network_error"
    REJECTED_BY_BANK = "rejected_by_bank"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    NOT_ELIGIBLE = "not_eligible"
    TEMPORARY_ERROR = "temporary_error"
    PROVIDER_ERROR = "provider_error"
    OTHER = "other"


class RetryKind(StrEnum):
    DO_NOT_RETRY = "do_not_retry"
    RETRY_AFTER_DELAY = "retry_after_delay"
    RETRY_TOMORROW = "retry_tomorrow"
    RETRY_AFTER_STATUS_CHECK = "retry_after_status_check"
    CONTACT_PROVIDER = "contact_provider"


class NextActionKind(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REFRESH_TOKEN_AND_RESEND = "refresh_token_and_resend"
    RESEND_SAME_KEY_AFTER = "resend_same_key_after"
    QUERY_FIRST = "query_first"
    RESEND_SAME_REQUEST = "resend_same_request"
    MANUAL_RECONCILIATION = "manual_reconciliation"


class ReconciliationReason(StrEnum):
    """Why a payout needs a person (``manual_reconciliation``)."""

    KEY_WINDOW_OVER = "key_window_over"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    INVALID_STATE = "invalid_state"


class Provider(StrEnum):
    PIVOT = "pivot"
    GATEWAY = "gateway"
    PAPER_ID = "paper_id"


class Authenticity(StrEnum):
    API_KEY = "api_key"
    SIGNATURE = "signature"
    SHARED_TOKEN = "shared_token"
    SOURCE_ADDRESS = "source_address"
    SHARED_TOKEN_AND_SOURCE_ADDRESS = "shared_token_and_source_address"
    UNVERIFIED = "unverified"


__all__ = [
    "TestCallbackEvent",
    "Secret",
    "SecretLike",
    "Currency",
    "Money",
    "PayoutStatus",
    "Confirmation",
    "merge_statuses",
    "FailureReason",
    "RetryKind",
    "RetryAdvice",
    "Failure",
    "NextActionKind",
    "ReconciliationReason",
    "NextAction",
    "Provider",
    "Authenticity",
    "PayoutTotals",
    "PayoutEvent",
    "FieldWarning",
]

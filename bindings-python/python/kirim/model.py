"""The model every provider speaks: money, statuses, failures, next actions, events, secrets.

Field names are the core model's JSON names (snake_case). Every rule (parsing and formatting
money, merging statuses) runs in the Rust core; these classes only carry the values.
"""

from __future__ import annotations

from typing import Iterable, Optional, Union

from ._secret import Secret, SecretLike

# Generated from the core (core/tests/python_declarations.rs): the model's enums.
from ._enums import (
    Authenticity,
    Confirmation,
    Currency,
    FailureReason,
    NextActionKind,
    PayoutStatus,
    Provider,
    ReconciliationReason,
    RetryKind,
)

# Declared once, in the core (`#[cfg_attr(feature = "python", pyo3::pyclass(...))]`): native
# classes whose values the wheel returns as they are. Their enum fields are the members of the
# enums above. `RetryAdvice` and `NextAction` carry the core's enums as they are, read as a
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

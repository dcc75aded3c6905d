"""The base of every enum: a ``str`` (members equal the core's JSON names) with a short repr;
and the Python methods an enum of ``_enums`` (generated from the core) carries, each calling
the core's rule."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Dict, Tuple, Union

from . import _native

if TYPE_CHECKING:
    from ._enums import Confirmation, PayoutStatus


class StrEnum(str, Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class PayoutStatusRules:
    """``PayoutStatus``'s methods (the enum itself is generated from the core)."""

    @property
    def is_final(self) -> bool:
        """Whether no later observation moves a payout out of this state (the core's rule:
        succeeded, failed, cancelled and reversed). A property: ``if status.is_final:``."""
        return _native.status_is_final(str(self))

    def merge(self, incoming: Union[PayoutStatus, str]) -> PayoutStatus:
        """The state after a CONFIRMED observation of ``incoming``: a stale or out-of-order
        event never moves a payout backwards; pending, processing and delayed are peers (the
        latest wins, so a top-up hold shows) (the core's rule)."""
        from ._enums import PayoutStatus

        return PayoutStatus(_native.status_merge(str(self), PayoutStatus(incoming).value))

    def observe(
        self,
        incoming: Union[PayoutStatus, str],
        confirmation: Union[Confirmation, str] = "confirmed",
    ) -> PayoutStatus:
        """The state after observing ``incoming`` with its ``confirmation``: a tentative
        observation (an unverified callback, a status that needs a query) changes nothing, so it
        never makes a payout final; a confirmed one decides as ``merge`` does (the core's rule)."""
        from ._enums import Confirmation, PayoutStatus

        return PayoutStatus(
            _native.status_observe(
                str(self), PayoutStatus(incoming).value, Confirmation(confirmation).value
            )
        )


class ErrorCodeDocs:
    """``ErrorCode``'s meaning and fix (the enum itself is generated from the core)."""

    @property
    def meaning(self) -> str:
        """What the code means (the core's error table, as in docs/errors.md)."""
        return _docs()[str(self)][0]

    @property
    def fix(self) -> str:
        """How to fix or handle it."""
        return _docs()[str(self)][1]


_DOCS: Dict[str, Tuple[str, str]] = {}


def _docs() -> Dict[str, Tuple[str, str]]:
    if not _DOCS:
        _DOCS.update({code: (meaning, fix) for code, meaning, fix, _category in _native.error_codes()})
    return _DOCS

"""The model every provider speaks: money, statuses, failures, next actions, events, secrets.

Field names are the core model's JSON names (snake_case). Every rule (parsing and formatting
money, merging statuses) runs in the Rust core; these classes only carry the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Optional, Tuple, Union

from . import _native
from ._enum import StrEnum


def _reject_float(value: object, what: str) -> None:
    if isinstance(value, float):
        raise TypeError(
            f"{what} is a float; money is never a float in kirim: pass rupiah as a "
            "decimal.Decimal or a decimal string, or Money.from_minor_units(int sen)"
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


class Currency(StrEnum):
    IDR = "IDR"



@dataclass(frozen=True, init=False)
class Money:
    """An exact amount: integer minor units (sen for IDR) and a currency. Never a float.

    The unit is always said where the amount is written: ``Money(minor_units=10_000_000)``
    (keyword only: a bare ``Money(100000)`` could mean rupiah or sen, and is a ``TypeError``),
    ``Money.from_minor_units(10_000_000)``, or rupiah by ``Money.parse("100000")``."""

    minor_units: int
    currency: Currency

    def __init__(self, *, minor_units: int, currency: Union[Currency, str] = Currency.IDR) -> None:
        _reject_float(minor_units, "Money.minor_units")
        if isinstance(minor_units, bool) or not isinstance(minor_units, int):
            raise TypeError(
                "Money(minor_units=...) takes int minor units (sen); for a decimal.Decimal amount "
                "use Money.from_decimal, for a decimal string Money.parse"
            )
        object.__setattr__(self, "minor_units", minor_units)
        object.__setattr__(self, "currency", Currency(currency))
        # The core formats it once; an int outside i64 is an OverflowError here, not later.
        object.__setattr__(
            self, "_value", _native.money_to_decimal_string(self.minor_units, self.currency.value)
        )

    @classmethod
    def parse(cls, value: Union[str, Decimal], currency: Union[Currency, str] = Currency.IDR) -> Money:
        """Parses an exact decimal amount in major units ("100000", "1238.86") in the core."""
        _reject_float(value, "Money.parse(value)")
        if isinstance(value, Decimal):
            value = format(value, "f")
        if not isinstance(value, str):
            raise TypeError("Money.parse takes a decimal string or a decimal.Decimal")
        if not isinstance(currency, str):
            raise TypeError("currency is a kirim.Currency or an ISO 4217 code such as 'IDR'")
        minor, code = _native.money_parse(value, str(currency))
        return cls(minor_units=minor, currency=Currency(code))

    @classmethod
    def from_decimal(cls, value: Decimal, currency: Union[Currency, str] = Currency.IDR) -> Money:
        """An amount in major units as a ``decimal.Decimal`` (``Decimal("1238.86")``)."""
        _reject_float(value, "Money.from_decimal(value)")
        if not isinstance(value, Decimal):
            raise TypeError("Money.from_decimal takes a decimal.Decimal")
        return cls.parse(value, currency)

    @classmethod
    def from_minor_units(cls, minor_units: int, currency: Union[Currency, str] = Currency.IDR) -> Money:
        """Integer minor units (sen for IDR), said by name: ``Money.from_minor_units(10_000_000)``
        is Rp 100.000."""
        return cls(minor_units=minor_units, currency=Currency(currency))

    @classmethod
    def of(
        cls,
        amount: Union[Money, str, Decimal],
        currency: Union[Currency, str] = Currency.IDR,
        field: str = "amount",
    ) -> Money:
        """``Money`` as is, or an amount in major units (rupiah) as a ``decimal.Decimal`` or a
        decimal string. A bare number is refused: whether ``100000`` means rupiah or sen would be
        a guess (the core's rule: ``ValidationError``, ``invalid_amount``, naming ``field``);
        give minor units by name with ``Money.from_minor_units``."""
        if isinstance(amount, Money):
            return amount
        _reject_float(amount, field)
        if isinstance(amount, Decimal):
            return cls.from_decimal(amount, currency)
        if isinstance(amount, str):
            return cls.parse(amount, currency)
        if isinstance(amount, int) and not isinstance(amount, bool):
            # The core reads it as the JSON number it is, and refuses it with its message.
            minor, code = _native.money_read(str(amount), field)
            return cls(minor_units=minor, currency=Currency(code))
        raise TypeError(
            f"{field} is Money, a decimal.Decimal or a decimal string of rupiah, not {type(amount).__name__}"
        )

    @property
    def value(self) -> str:
        """The exact decimal string in major units, e.g. ``"1238.86"`` (formatted by the core)."""
        value: str = self.__dict__["_value"]
        return value

    def to_decimal(self) -> Decimal:
        return Decimal(self.value)

    def __repr__(self) -> str:
        return f"Money(minor_units={self.minor_units}, currency={self.currency.value!r}, value={self.value!r})"


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



@dataclass(frozen=True)
class RetryAdvice:
    """What to do about a failed payout; ``min_delay_seconds`` only for ``retry_after_delay``."""

    kind: RetryKind
    min_delay_seconds: Optional[int] = None


@dataclass(frozen=True)
class Failure:
    reason: FailureReason
    retry: RetryAdvice
    provider_code: Optional[str] = None
    provider_text: Optional[str] = None


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



@dataclass(frozen=True)
class NextAction:
    """What to do after a state-changing call. ``new_idempotency_key_required`` is set for
    ``rejected``, ``delay_seconds`` for ``resend_same_key_after``.

    - ``query_first``: the outcome is unknown; query the payout by your reference first (the
      gateway). Never create it again under a new key.
    - ``resend_same_request``: the outcome is unknown and the provider cannot be queried by your
      reference (Pivot): resend the IDENTICAL request (same body, same idempotency key) while
      the key still replays; the provider answers with the first answer.
    - ``manual_reconciliation``: a person must reconcile: do not resend and do not use a new
      key. ``reason``, ``idempotency_key``, ``reference_ids``, ``first_sent_at`` and
      ``message`` (what to check) are set."""

    kind: NextActionKind
    new_idempotency_key_required: Optional[bool] = None
    delay_seconds: Optional[int] = None
    reason: Optional[ReconciliationReason] = None
    idempotency_key: Optional[str] = None
    reference_ids: Optional[Tuple[str, ...]] = None
    first_sent_at: Optional[int] = None
    message: Optional[str] = None


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



@dataclass(frozen=True)
class PayoutTotals:
    pending_count: Optional[int] = None
    pending_amount: Optional[Money] = None
    success_count: Optional[int] = None
    success_amount: Optional[Money] = None
    failed_count: Optional[int] = None
    failed_amount: Optional[Money] = None
    cancelled_count: Optional[int] = None
    cancelled_amount: Optional[Money] = None


@dataclass(frozen=True)
class FieldWarning:
    """The core's ``Warning``: a non-essential field (a time, a descriptive text, informational
    totals) that could not be read. The result is still given without that field; ``field`` is
    its path in the provider's document (``data.created``), ``reason`` says why. Named
    ``FieldWarning`` so that it never shadows Python's built-in ``Warning``."""

    field: str
    reason: str


@dataclass(frozen=True)
class PayoutEvent:
    """A verified (or explicitly unverified) callback, normalized."""

    provider: Provider
    authenticity: Authenticity
    #: ``tentative`` (unverified, or a status that needs a query: never final by itself) or
    #: ``confirmed``. Every tentative event has ``requires_query``.
    confirmation: Confirmation
    payout_id: Optional[str]
    reference_id: Optional[str]
    status: PayoutStatus
    raw_status: str
    raw_event: Optional[str]
    amount: Optional[Money]
    failure: Optional[Failure]
    occurred_at: Optional[int]
    requires_query: bool
    totals: Optional[PayoutTotals]
    warnings: Tuple[FieldWarning, ...]
    real_amount: Optional[Money]
    fee: Optional[Money]


__all__ = [
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

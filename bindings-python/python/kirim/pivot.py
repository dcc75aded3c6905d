"""Pivot Local Payout: access token, balance, inquiry, create payout (single and bulk),
retrieve, callbacks. One method per method of the core's ``Pivot``; requests come back as
``HttpRequest`` values to send with your own client."""

from __future__ import annotations

from typing import List, Optional, Sequence

from . import _native
from ._native import PayoutDestination, PayoutItemInput

# Generated from the core (core/tests/python_declarations.rs): Pivot's configuration and its own
# enums and records.
from ._enums import BatchStatus, InquiryStatus, NameSource
from ._declared import (
    CallbackHandling,
    CreateAttempt,
    CreatePayoutOutcome,
    InquiryInput,
    InquiryResult,
    PivotConfig,
)
from ._errors import KirimError
from ._wire import dumps, error_from_core, error_to_core, loads_as, NativeShell, outcome_to_wire, to_wire
from .http import Acknowledgement, HeadersLike, HttpOutcome, HttpRequest, raw_body
from .idempotency import IdempotencyRules
from ._secret import _secret
from .model import Money, PayoutEvent, NextAction, Secret, SecretLike
from .model import TestCallbackEvent

PRODUCTION_URL: str = _native.PIVOT_PRODUCTION_URL
SANDBOX_URL: str = _native.PIVOT_SANDBOX_URL
SANDBOX_ACCOUNT_SUCCESS: str = _native.PIVOT_SANDBOX_ACCOUNT_SUCCESS
SANDBOX_ACCOUNT_INACTIVE: str = _native.PIVOT_SANDBOX_ACCOUNT_INACTIVE


class AccessToken:
    """A bearer token and its expiry (Unix seconds). The value never appears in ``repr``."""

    __slots__ = ("_inner",)

    def __init__(self, value: SecretLike, expires_at: int, token_type: str = "Bearer") -> None:
        self._inner = _native.AccessToken(
            _secret(value, "value").expose_secret(), token_type, expires_at
        )

    @classmethod
    def _wrap(cls, inner: _native.AccessToken) -> AccessToken:
        token = cls.__new__(cls)
        token._inner = inner
        return token

    @property
    def value(self) -> Secret:
        return Secret(self._inner.expose_secret())

    @property
    def token_type(self) -> str:
        return self._inner.token_type

    @property
    def expires_at(self) -> int:
        return self._inner.expires_at

    def needs_refresh(self, now: int, margin_seconds: int) -> bool:
        return self._inner.needs_refresh(now, margin_seconds)

    def is_expired(self, now: int) -> bool:
        return self._inner.is_expired(now)

    def __repr__(self) -> str:
        return repr(self._inner)


# Declared once, in the core (native classes): the destination is the core's
# `PayoutDestination` (its variants `Inquiry` and `Account`), the item its `PayoutItemInput`,
# whose amount follows `Money.of` (rupiah as a decimal.Decimal or a decimal string, or Money; a
# bare int is refused: rupiah or sen would be a guess). Pivot takes whole rupiah only (the core
# checks).
InquiryDestination = PayoutDestination.Inquiry
AccountDestination = PayoutDestination.Account


# Declared once, in the core (feature `python`): what Pivot reports of a batch and its items.
PayoutItemState = _native.PayoutItemState
PayoutBatch = _native.PayoutBatch


def _token(token: AccessToken) -> _native.AccessToken:
    if not isinstance(token, AccessToken):
        raise TypeError("token is a kirim.pivot.AccessToken (from parse_access_token)")
    return token._inner


def _outcome(outcome: HttpOutcome) -> str:
    return dumps(outcome_to_wire(outcome))


class Pivot(NativeShell[PivotConfig, _native.Pivot]):
    """The Pivot protocol shell. Holds configuration only; cheap to keep for the process."""

    __slots__ = ()

    def __init__(self, config: PivotConfig) -> None:
        super().__init__(_native.Pivot, config, PivotConfig)

    def idempotency_rules(self) -> IdempotencyRules:
        return loads_as(IdempotencyRules, self._inner.idempotency_rules())

    def derive_request_id(self, merchant_reference: str, revision: int = 0) -> str:
        """A stable ``X-REQUEST-ID`` for this reference (bump ``revision`` only after a
        rejection you corrected)."""
        return self._inner.derive_request_id(merchant_reference, revision)

    def access_token_request(self) -> HttpRequest:
        return self._inner.access_token_request()

    def parse_access_token(self, outcome: HttpOutcome, now: int) -> AccessToken:
        return AccessToken._wrap(self._inner.parse_access_token(_outcome(outcome), now))

    def needs_refresh(self, token: AccessToken, now: int) -> bool:
        return self._inner.needs_refresh(_token(token), now)

    def balance_request(self, token: AccessToken, now: int) -> HttpRequest:
        return self._inner.balance_request(_token(token), now)

    def parse_balance(self, outcome: HttpOutcome) -> Money:
        return loads_as(Money, self._inner.parse_balance(_outcome(outcome)))

    def inquiry_request(self, token: AccessToken, now: int, inquiry: InquiryInput) -> HttpRequest:
        if not isinstance(inquiry, InquiryInput):
            raise TypeError("inquiry is a kirim.pivot.InquiryInput")
        return self._inner.inquiry_request(_token(token), now, dumps(to_wire(inquiry, "inquiry")))

    def inquiry_status_request(self, token: AccessToken, now: int, inquiry_id: str) -> HttpRequest:
        return self._inner.inquiry_status_request(_token(token), now, inquiry_id)

    def parse_inquiry(self, outcome: HttpOutcome) -> InquiryResult:
        return loads_as(InquiryResult, self._inner.parse_inquiry(_outcome(outcome)))

    def create_payout_request(
        self,
        token: AccessToken,
        now: int,
        idempotency_key: str,
        payouts: Sequence[PayoutItemInput],
    ) -> HttpRequest:
        if isinstance(payouts, PayoutItemInput):
            payouts = [payouts]
        # The native call checks that every item is a PayoutItemInput (a TypeError otherwise).
        return self._inner.create_payout_request(_token(token), now, idempotency_key, list(payouts))

    def parse_create_payout(
        self, outcome: HttpOutcome, attempt: Optional[CreateAttempt] = None
    ) -> CreatePayoutOutcome:
        """Never raises for a provider answer: ``next_action`` says what to do. With
        ``attempt``, a resend on the same key is advised only while the key still replays
        (raises ``ValidationError`` for an attempt whose key or references are invalid)."""
        if attempt is None:
            next_action, batch, error = self._inner.parse_create_payout(_outcome(outcome))
        elif not isinstance(attempt, CreateAttempt):
            raise TypeError("attempt is a kirim.pivot.CreateAttempt")
        else:
            next_action, batch, error = self._inner.parse_create_payout(
                _outcome(outcome), dumps(to_wire(attempt, "attempt"))
            )
        return CreatePayoutOutcome(next_action, batch, error_from_core(error))

    def retrieve_request(
        self, token: AccessToken, now: int, payout_id: str, reference_id: Optional[str] = None
    ) -> HttpRequest:
        return self._inner.retrieve_request(_token(token), now, payout_id, reference_id)

    def parse_retrieve(self, outcome: HttpOutcome) -> PayoutBatch:
        return self._inner.parse_retrieve(_outcome(outcome))

    def verify_callback(self, headers: HeadersLike, body: bytes) -> List[PayoutEvent]:
        """Checks ``X-API-Key`` against every configured key in constant time, then parses the
        RAW body bytes. Raises ``AuthenticityError`` for a forged callback."""
        raw = raw_body(body)
        return self._inner.verify_callback(headers, raw)

    def parse_callback_unverified(self, body: bytes) -> List[PayoutEvent]:
        """Parses WITHOUT checking authenticity: events say ``unverified`` and
        ``requires_query``; confirm with a retrieve before any money decision."""
        return self._inner.parse_callback_unverified(raw_body(body))

    def callback_acknowledgement(self, error: Optional[KirimError] = None) -> Acknowledgement:
        """The HTTP answer for a callback: pass None when it was verified and parsed, else
        the error ``verify_callback`` raised."""
        return self._inner.callback_acknowledgement(error_to_core(error))

    def handle_callback(self, headers: HeadersLike, body: bytes) -> CallbackHandling:
        """``verify_callback`` and ``callback_acknowledgement`` in one call; never raises for a
        bad callback, so there is always an answer to send."""
        raw = raw_body(body)
        events, error, ack = self._inner.handle_callback(headers, raw)
        return CallbackHandling(
            events=None if events is None else tuple(events),
            error=error_from_core(error),
            acknowledgement=ack,
        )

    def test_callback(
        self, api_key: SecretLike, event: TestCallbackEvent, url: Optional[str] = None
    ) -> HttpRequest:
        """The single callback Pivot would send for ``event``, with ``X-API-Key: api_key``:
        feed it to your webhook handler in a test. ``reference_id`` is required and the amount
        whole rupiah; ``url`` defaults to ``http://localhost/callback`` (nothing is sent)."""
        if not isinstance(event, TestCallbackEvent):
            raise TypeError("event is a kirim.TestCallbackEvent")
        return self._inner.test_callback(_secret(api_key, "api_key").expose_secret(), event, url)

    def test_bulk_callback(
        self,
        api_key: SecretLike,
        payouts: Sequence[TestCallbackEvent],
        url: Optional[str] = None,
    ) -> HttpRequest:
        """The bulk callback Pivot would send for a request with these ``payouts`` (all of one
        ``payout_id``): totals only, ``PAYOUT.DONE``, or ``PAYOUT.PENDING`` while one waits."""
        items = list(payouts)
        if not all(isinstance(p, TestCallbackEvent) for p in items):
            raise TypeError("payouts are kirim.TestCallbackEvent values")
        key = _secret(api_key, "api_key").expose_secret()
        return self._inner.test_bulk_callback(key, items, url)


__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "SANDBOX_ACCOUNT_SUCCESS",
    "SANDBOX_ACCOUNT_INACTIVE",
    "PivotConfig",
    "AccessToken",
    "InquiryInput",
    "InquiryStatus",
    "NameSource",
    "InquiryResult",
    "InquiryDestination",
    "AccountDestination",
    "PayoutDestination",
    "PayoutItemInput",
    "BatchStatus",
    "PayoutItemState",
    "PayoutBatch",
    "CreateAttempt",
    "CreatePayoutOutcome",
    "CallbackHandling",
    "Pivot",
]

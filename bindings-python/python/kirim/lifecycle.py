"""The payout lifecycle: the core's state machine for one payout (or Pivot batch), typed.

The machine decides everything (the token, the create and its stable key, a lost answer resolved
without paying twice, deadlines, queries); the host sends the request it is given, hands back
what came back, and stores ``snapshot()`` BEFORE each send (see ``kirim.driver`` for a driver
that does all of it)::

    machine = PayoutLifecycle("pivot", config, order, now=now)
    while True:
        action = machine.poll(now)
        if isinstance(action, Send):
            store(machine.snapshot())          # write-ahead
            machine.handle_response(send(action.request), now)
        elif isinstance(action, WaitUntil):
            ...  # sleep until action.at, or feed a callback: machine.handle_callback(...)
        else:
            break  # Done or ManualReconciliation

This module only converts: every value crosses as the core's own JSON and is read by the core.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from . import _native
# Generated from the core (core/tests/python_declarations.rs): the lifecycle's enums and records
# (the actions, one class per kind, and `Action`, their union).
from ._declared import (
    Action,
    CallbackOutcome,
    Done,
    ItemOutcome,
    ItemState,
    LifecycleState,
    ManualReconciliation,
    Send,
    WaitUntil,
)
from ._enum import StrEnum
from ._enums import EventVerdict, ManualReason, Phase, Purpose, WaitReason
from ._errors import _from_native
from ._wire import dumps, from_wire, outcome_to_wire, to_wire
from .gateway import GatewayConfig
from .http import Acknowledgement, HeadersLike, HttpOutcome, HttpRequest, raw_body
from .model import PayoutEvent
from .pivot import AccessToken, PivotConfig

__all__ = [
    "Action",
    "Beneficiary",
    "CallbackOutcome",
    "Done",
    "EventVerdict",
    "ItemOutcome",
    "ItemState",
    "LifecycleState",
    "ManualReason",
    "ManualReconciliation",
    "PayoutItem",
    "PayoutLifecycle",
    "PayoutOrder",
    "Phase",
    "Purpose",
    "Send",
    "WaitReason",
    "WaitUntil",
    "SNAPSHOT_VERSION",
    "check_submission",
]

#: The snapshot format this kirim writes (docs/lifecycle.md).
SNAPSHOT_VERSION = 1


def action_from_json(data: Mapping[str, Any], request: Optional[HttpRequest] = None) -> Action:
    """The typed action of the core's JSON form, by its ``kind`` (``request``: the native request
    of a send, taken as it is instead of being read again from the JSON)."""
    action: Action = from_wire(Action, data)
    if request is not None and isinstance(action, Send):
        return dataclasses.replace(action, request=request)
    return action


# Orders are the core's JSON form; these TypedDict-like aliases document it.
Beneficiary = Mapping[str, str]
PayoutItem = Mapping[str, Any]
PayoutOrder = Mapping[str, Any]
"""``reference``, ``amount`` (a ``kirim.Money`` or ``{"value", "currency"}``), ``beneficiary``
(``bank``, ``account_number``, ``account_name``), optional ``description``, ``inquiry_id``,
``notify_url``; a Pivot batch adds ``items``."""

ConfigLike = Union[PivotConfig, GatewayConfig, Mapping[str, Any]]


def _provider_name(provider: Union[str, StrEnum]) -> str:
    name = str(provider)
    if not isinstance(provider, str):
        raise TypeError("provider is 'pivot' or 'gateway'")
    return name


def _config_json(config: ConfigLike) -> str:
    return dumps(to_wire(config, "config"))


def _callback(handled: Tuple[Optional[List[str]], Optional[str], Optional[Acknowledgement]]) -> CallbackOutcome:
    verdicts, error, ack = handled
    return CallbackOutcome(
        None if verdicts is None else tuple(EventVerdict(v) for v in verdicts),
        None if error is None else _from_native(error),
        ack,
    )


def check_submission(
    order_json: str,
    stored_order_json: Optional[str],
    stored_provider: Optional[str],
    provider: str,
    held: Sequence[Tuple[str, str]],
) -> str:
    """Decides a submission from what a driver looked up in its store, before it writes
    anything (the core's rule, ``kirim::lifecycle::host::check_submission``). ``order_json``: the
    new order in the core's JSON form (``json.dumps(machine.order())``); ``stored_order_json``
    and ``stored_provider``: what the store holds under its reference (both ``None`` when
    nothing); ``held``: ``(reference, payout)`` for each reference of the new order (its own and
    its items') that the store's ``find_by_reference`` maps to ANOTHER payout.

    Returns ``"new"`` (store it) or ``"already_stored"`` (the identical order under the same
    provider: write nothing). Raises ``ValidationError`` (``invalid_field``, field
    ``reference`` or ``items[i].reference``) when the stored order under its reference differs
    (another amount, beneficiary, items, provider, ...) or another stored payout holds one of
    its references; the stored payout is unchanged."""
    for name, value in (("order_json", order_json), ("provider", provider)):
        if not isinstance(value, str):
            raise TypeError(f"{name} is a str")
    for name, optional in (("stored_order_json", stored_order_json), ("stored_provider", stored_provider)):
        if optional is not None and not isinstance(optional, str):
            raise TypeError(f"{name} is a str or None")
    pairs = []
    for pair in held:
        reference, payout = pair
        if not isinstance(reference, str) or not isinstance(payout, str):
            raise TypeError("held is a sequence of (reference, payout) str pairs")
        pairs.append((reference, payout))
    return _native.check_submission(order_json, stored_order_json, stored_provider, provider, pairs)


class PayoutLifecycle:
    """One payout's lifecycle (``provider``: ``"pivot"`` or ``"gateway"``), one machine per
    payout. Any thread may call it (each call is whole: a lock inside), but the host orders the
    steps and the snapshots it stores: ``kirim.driver.Driver`` holds one lock around each step
    and its save."""

    __slots__ = ("_inner", "_provider", "_config_json")

    def __init__(
        self,
        provider: str,
        config: ConfigLike,
        order: PayoutOrder,
        settings: Optional[Mapping[str, Any]] = None,
        *,
        now: int,
    ) -> None:
        self._provider = _provider_name(provider)
        self._config_json = _config_json(config)
        self._inner = _native.PayoutLifecycle(
            self._provider,
            self._config_json,
            dumps(to_wire(order, "order")),
            dumps(None if settings is None else to_wire(settings, "settings")),
            now,
        )

    @classmethod
    def restore(cls, provider: str, config: ConfigLike, snapshot: str) -> "PayoutLifecycle":
        """Rebuilds a machine from ``snapshot()`` text (checked by the core; a request out when
        it was taken counts as lost)."""
        if not isinstance(snapshot, str):
            raise TypeError("snapshot is the str snapshot() returned")
        self = cls.__new__(cls)
        self._provider = _provider_name(provider)
        self._config_json = _config_json(config)
        self._inner = _native.PayoutLifecycle.restore(self._provider, self._config_json, snapshot)
        return self

    @classmethod
    def restore_stored(cls, provider: str, config: ConfigLike, snapshot: str, reference: str) -> "PayoutLifecycle":
        """The machine of the stored payout ``reference`` from the snapshot its row held:
        ``restore``, and refused (``ValidationError``, ``invalid_field`` on ``reference``) when
        the snapshot is another payout's. Such a row (an edited database, a store returning the
        wrong row) would be a second machine for that payout, sending its requests and saving
        over its row. A host restoring from its store uses this, not ``restore``."""
        if not isinstance(snapshot, str):
            raise TypeError("snapshot is the str snapshot() returned")
        if not isinstance(reference, str):
            raise TypeError("reference is the str reference of the stored payout")
        self = cls.__new__(cls)
        self._provider = _provider_name(provider)
        self._config_json = _config_json(config)
        self._inner = _native.PayoutLifecycle.restore_stored(self._provider, self._config_json, snapshot, reference)
        return self

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def idempotency_key(self) -> str:
        return self._inner.idempotency_key()

    @property
    def reference(self) -> str:
        return str(self.order()["reference"])

    def order(self) -> Mapping[str, Any]:
        """The order, in the core's JSON form."""
        order: Mapping[str, Any] = json.loads(self._inner.order())
        return order

    def poll(self, now: int) -> Action:
        return self.poll_with_json(now)[0]

    def poll_with_json(self, now: int) -> Tuple[Action, str]:
        """``poll``, with the action's JSON text as the core wrote it (for logs and stores)."""
        text, request = self._inner.poll(now)
        return action_from_json(json.loads(text), request), text

    def handle_response(self, outcome: HttpOutcome, now: int) -> None:
        """The answer (``HttpResponse``, any status) or the ``TransportFailure`` of the last
        send. Raises ``KirimError`` when no request is outstanding."""
        self._inner.handle_response(dumps(outcome_to_wire(outcome)), now)

    def handle_event(self, event: PayoutEvent, now: int) -> EventVerdict:
        """An event you verified yourself (``Pivot.handle_callback`` and so on)."""
        return EventVerdict(self._inner.handle_event(event, now))

    def handle_callback(self, headers: HeadersLike, body: bytes, now: int) -> CallbackOutcome:
        """A callback (Pivot) or notification (gateway), verified by this machine's provider and
        applied; send ``acknowledgement`` back. A forged one changes nothing."""
        return _callback(self._inner.handle_callback(headers, raw_body(body), now))

    def handle_unverified_callback(self, body: bytes, now: int) -> CallbackOutcome:
        """A callback read WITHOUT verification: it may bring a query forward, never decide."""
        return _callback(self._inner.handle_unverified_callback(raw_body(body), now))

    def snapshot(self) -> str:
        """The state as JSON text (format ``SNAPSHOT_VERSION``; the token is never in it)."""
        return self._inner.snapshot()

    def state(self) -> LifecycleState:
        state: LifecycleState = from_wire(LifecycleState, json.loads(self._inner.state()))
        return state

    def state_json(self) -> str:
        return self._inner.state()

    def session(self) -> Optional[AccessToken]:
        """The Pivot token held (to share with other machines through ``use_session``)."""
        inner = self._inner.session()
        return None if inner is None else AccessToken._wrap(inner)

    def use_session(self, token: AccessToken) -> None:
        self._inner.use_session(token._inner)

    def forget_session(self) -> None:
        self._inner.forget_session()

    def __repr__(self) -> str:
        return repr(self._inner)


"""Generated from kirim's core by core/tests/python_declarations.rs: the payout lifecycle's records, each provider's configuration and its own records, from the
core's declarations. Do not edit: change the Rust, then run KIRIM_BLESS=1 cargo test -p
kirim --features ts,python --test python_declarations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Mapping, Optional, Sequence, Tuple, Union

from ._enums import EventVerdict, HexCase, InquiryStatus, KeyJoin, ManualReason, NameSource, PayoutStatus, Phase, Purpose, SignType, WaitReason
from ._errors import KirimError
from ._secret import Secret, SecretLike, _secret, _secrets, _strings
from ._native import Acknowledgement, Failure, HttpRequest, NextAction, PayoutBatch, PayoutEvent


# kirim.lifecycle.


@dataclass(frozen=True)
class ItemOutcome:
    """One batch item's final outcome."""

    reference: str
    status: PayoutStatus
    failure: Optional[Failure] = None


@dataclass(frozen=True)
class Send:
    """Store the snapshot, then send `request` and hand back its answer (or failure)."""

    _wire_tag: ClassVar[Tuple[str, str]] = ("kind", "send")
    purpose: Purpose
    request: HttpRequest


@dataclass(frozen=True)
class WaitUntil:
    """Nothing to do before `at` (then poll again); callbacks may arrive meanwhile."""

    _wire_tag: ClassVar[Tuple[str, str]] = ("kind", "wait_until")
    at: int
    reason: WaitReason


@dataclass(frozen=True)
class Done:
    """Final. `error`: why the create was refused, when it was (nothing was created). A
    batch ends when every item is final: `items` holds each item's status and failure (none
    for a single payout), and `status` is `succeeded` when any item moved money, else `failed`
    (`cancelled` when every item was); read `items`, never the batch status alone."""

    _wire_tag: ClassVar[Tuple[str, str]] = ("kind", "done")
    status: PayoutStatus
    failure: Optional[Failure] = None
    payout_id: Optional[str] = None
    error: Optional[KirimError] = field(default=None, compare=False)
    items: Tuple[ItemOutcome, ...] = ()


@dataclass(frozen=True)
class ManualReconciliation:
    """A person must reconcile (the reconciliation's fields): do not
    resend, do not create under a new key."""

    _wire_tag: ClassVar[Tuple[str, str]] = ("kind", "manual_reconciliation")
    reason: ManualReason
    idempotency_key: str
    reference_ids: Tuple[str, ...]
    message: str
    first_sent_at: Optional[int] = None
    payout_id: Optional[str] = None
    request_body: Optional[str] = None
    error: Optional[KirimError] = field(default=None, compare=False)


Action = Union[Send, WaitUntil, Done, ManualReconciliation]
"""What the host does next, by its `kind`:
- `send`: store the snapshot, then send `request` and hand back its answer (or failure).
- `wait_until`: nothing to do before `at` (then poll again); callbacks may arrive meanwhile.
- `done`: final. `error`: why the create was refused, when it was (nothing was created). A
batch ends when every item is final: `items` holds each item's status and failure (none
for a single payout), and `status` is `succeeded` when any item moved money, else `failed`
(`cancelled` when every item was); read `items`, never the batch status alone.
- `manual_reconciliation`: a person must reconcile (the reconciliation's fields): do not
resend, do not create under a new key."""


@dataclass(frozen=True)
class CallbackOutcome:
    """What a callback did to a machine: one verdict per event (none when it was refused), the
    verification error, and the answer to send the provider (none for an unverified read)."""

    verdicts: Optional[Tuple[EventVerdict, ...]]
    error: Optional[KirimError]
    acknowledgement: Optional[Acknowledgement]


@dataclass(frozen=True)
class ItemState:
    """One batch item as the machine tracks it."""

    reference: str
    status: PayoutStatus
    expected: Optional[PayoutStatus] = None


@dataclass(frozen=True)
class LifecycleState:
    """The machine's state as the scenario vectors check it (Kotlin/Swift: `LifecycleState`)."""

    phase: Phase
    status: PayoutStatus
    creates_sent: int
    session: bool
    expected: Optional[PayoutStatus] = None
    payout_id: Optional[str] = None
    first_sent_at: Optional[int] = None
    items: Tuple[ItemState, ...] = ()


# kirim.pivot.


@dataclass(frozen=True)
class CallbackHandling:
    """The output of `handle_callback`: the verified events or the error, and the answer to send
    either way."""

    events: Optional[Tuple[PayoutEvent, ...]]
    error: Optional[KirimError]
    acknowledgement: Acknowledgement


@dataclass(frozen=True)
class CreateAttempt:
    """One create-payout call as the host sent it: the key, the references it carried, when the key
    was FIRST sent (not this resend), and the time the answer (or its absence) was seen."""

    idempotency_key: str
    reference_ids: Tuple[str, ...]
    first_sent_at: int
    now: int


@dataclass(frozen=True)
class CreatePayoutOutcome:
    """The result of a create-payout call: what to do next, and the batch when accepted."""

    next_action: NextAction
    batch: Optional[PayoutBatch]
    error: Optional[KirimError]


@dataclass(frozen=True)
class InquiryInput:
    """Beneficiary validation input (spec §1.6)."""

    channel_code: str
    account_number: str
    account_name: str


@dataclass(frozen=True)
class InquiryResult:
    inquiry_id: str
    merchant_id: Optional[str]
    status: InquiryStatus
    raw_status: str
    detail: Optional[str]
    bank_record_name: Optional[str]
    bank_record_name_source: Optional[NameSource]


@dataclass(frozen=True, init=False)
class PivotConfig:
    """Pivot credentials and settings.

    Settings left out (``None``) take the core's defaults."""

    base_url: str
    merchant_id: str
    merchant_secret: Secret
    callback_api_keys: Tuple[Secret, ...]
    balance_path: Optional[str]
    token_refresh_margin_seconds: Optional[int]
    max_body_bytes: Optional[int]
    key_window_margin_seconds: Optional[int]

    def __init__(
        self,
        base_url: str,
        merchant_id: str,
        merchant_secret: SecretLike,
        callback_api_keys: Sequence[SecretLike] = (),
        balance_path: Optional[str] = None,
        token_refresh_margin_seconds: Optional[int] = None,
        max_body_bytes: Optional[int] = None,
        key_window_margin_seconds: Optional[int] = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "base_url", base_url)
        set_(self, "merchant_id", merchant_id)
        set_(self, "merchant_secret", _secret(merchant_secret, "merchant_secret"))
        set_(self, "callback_api_keys", _secrets(callback_api_keys, "callback_api_keys"))
        set_(self, "balance_path", balance_path)
        set_(self, "token_refresh_margin_seconds", token_refresh_margin_seconds)
        set_(self, "max_body_bytes", max_body_bytes)
        set_(self, "key_window_margin_seconds", key_window_margin_seconds)


# kirim.gateway.


@dataclass(frozen=True)
class CreateWithdrawOutcome:
    """What a create-withdraw answer means. `accepted` is never success: the order's result comes
    by notification or query."""

    next_action: NextAction
    payout_id: Optional[str]
    error: Optional[KirimError]


@dataclass(frozen=True, init=False)
class GatewayConfig:
    """One deployment of the gateway family.

    Settings left out (``None``) take the core's defaults."""

    base_url: str
    platform_id: str
    platform_key: Secret
    previous_platform_keys: Tuple[Secret, ...]
    authorization: Optional[Secret]
    sign_type: Optional[SignType]
    key_join: Optional[KeyJoin]
    hex_case: Optional[HexCase]
    notification_sign_types: Optional[Tuple[SignType, ...]]
    status_map: Optional[Mapping[int, PayoutStatus]]
    statuses_requiring_query: Tuple[int, ...]
    ack_body: Optional[str]
    reject_body: Optional[str]
    max_body_bytes: Optional[int]

    def __init__(
        self,
        base_url: str,
        platform_id: str,
        platform_key: SecretLike,
        previous_platform_keys: Sequence[SecretLike] = (),
        authorization: Optional[SecretLike] = None,
        sign_type: Optional[Union[SignType, str]] = None,
        key_join: Optional[Union[KeyJoin, str]] = None,
        hex_case: Optional[Union[HexCase, str]] = None,
        notification_sign_types: Optional[Sequence[Union[SignType, str]]] = None,
        status_map: Optional[Mapping[int, Union[PayoutStatus, str]]] = None,
        statuses_requiring_query: Sequence[int] = (),
        ack_body: Optional[str] = None,
        reject_body: Optional[str] = None,
        max_body_bytes: Optional[int] = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "base_url", base_url)
        set_(self, "platform_id", platform_id)
        set_(self, "platform_key", _secret(platform_key, "platform_key"))
        set_(self, "previous_platform_keys", _secrets(previous_platform_keys, "previous_platform_keys"))
        set_(self, "authorization", None if authorization is None else _secret(authorization, "authorization"))
        set_(self, "sign_type", None if sign_type is None else SignType(sign_type))
        set_(self, "key_join", None if key_join is None else KeyJoin(key_join))
        set_(self, "hex_case", None if hex_case is None else HexCase(hex_case))
        set_(self, "notification_sign_types", None if notification_sign_types is None else tuple(SignType(t) for t in notification_sign_types))
        set_(self, "status_map", None if status_map is None else {k: PayoutStatus(x) for k, x in status_map.items()})
        set_(self, "statuses_requiring_query", tuple(statuses_requiring_query))
        set_(self, "ack_body", ack_body)
        set_(self, "reject_body", reject_body)
        set_(self, "max_body_bytes", max_body_bytes)


@dataclass(frozen=True)
class NotificationHandling:
    """The output of a single-event `handle_*` operation (gateway notifications, Paper.id
    callbacks): the verified event or the error, and the answer to send either way."""

    event: Optional[PayoutEvent]
    error: Optional[KirimError]
    acknowledgement: Acknowledgement


@dataclass(frozen=True)
class QueryFilter:
    """Filters of the list query. Every one is optional."""

    offset: Optional[int] = None
    limit: Optional[int] = None
    payout_id: Optional[str] = None
    payout_cl_id: Optional[str] = None
    create_time_gte: Optional[int] = None
    create_time_lte: Optional[int] = None


@dataclass(frozen=True)
class Signature:
    """The signed string and signature of a parameter set."""

    canonical: str
    sign: str
    sign_type: SignType


# kirim.paperid.


@dataclass(frozen=True, init=False)
class PaperIdConfig:
    """How Paper.id callbacks are authenticated, chosen by the caller (see the module docs).

    Settings left out (``None``) take the core's defaults."""

    callback_token_header: Optional[str]
    callback_tokens: Tuple[Secret, ...]
    allowed_source_addresses: Tuple[str, ...]
    max_body_bytes: Optional[int]

    def __init__(
        self,
        callback_token_header: Optional[str] = None,
        callback_tokens: Sequence[SecretLike] = (),
        allowed_source_addresses: Sequence[str] = (),
        max_body_bytes: Optional[int] = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "callback_token_header", callback_token_header)
        set_(self, "callback_tokens", _secrets(callback_tokens, "callback_tokens"))
        set_(self, "allowed_source_addresses", _strings(allowed_source_addresses))
        set_(self, "max_body_bytes", max_body_bytes)

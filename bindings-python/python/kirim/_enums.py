"""Generated from kirim's core by core/tests/python_declarations.rs: every enum of the model and of each provider, from the
core's declarations. Do not edit: change the Rust, then run KIRIM_BLESS=1 cargo test -p
kirim --features ts,python --test python_declarations."""

from __future__ import annotations

from ._enum import ErrorCodeDocs, PayoutStatusRules, StrEnum


# The model.


class Authenticity(StrEnum):
    """How a callback was authenticated. Only the `Unverified` variant can come out of an
    explicitly unverified parse, and such an event must be confirmed by a status query before
    any money decision."""

    API_KEY = "api_key"
    SIGNATURE = "signature"
    SHARED_TOKEN = "shared_token"
    SOURCE_ADDRESS = "source_address"
    SHARED_TOKEN_AND_SOURCE_ADDRESS = "shared_token_and_source_address"
    UNVERIFIED = "unverified"


class Confirmation(StrEnum):
    """Whether an observation of a payout can decide its state. Every event says which it is."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"


class Currency(StrEnum):
    """Currencies kirim's providers use. IDR has two decimal places on the wire ("10000.00") even
    though the rupiah has no coin below 1; kirim keeps sen so that no provider value is lost."""

    IDR = "IDR"


class ErrorCode(ErrorCodeDocs, StrEnum):
    """Stable error codes. The string form (`as_str`) never changes once released."""

    VALIDATION_FAILED = "validation_failed"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    INVALID_AMOUNT = "invalid_amount"
    FRACTIONAL_AMOUNT = "fractional_amount"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
    INVALID_CONFIG = "invalid_config"
    UNKNOWN_OPERATION = "unknown_operation"
    BODY_EMPTY = "body_empty"
    BODY_TOO_LARGE = "body_too_large"
    NON_JSON_BODY = "non_json_body"
    INVALID_JSON = "invalid_json"
    UNEXPECTED_SHAPE = "unexpected_shape"
    UNSUPPORTED_SNAPSHOT = "unsupported_snapshot"
    INVALID_TIMESTAMP = "invalid_timestamp"
    CALLBACK_KEY_MISSING = "callback_key_missing"
    CALLBACK_KEY_MISMATCH = "callback_key_mismatch"
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_MISMATCH = "signature_mismatch"
    UNSUPPORTED_SIGNATURE_TYPE = "unsupported_signature_type"
    SOURCE_NOT_ALLOWED = "source_not_allowed"
    VERIFICATION_NOT_CONFIGURED = "verification_not_configured"
    CREDENTIALS_INVALID = "credentials_invalid"
    ACCESS_TOKEN_EXPIRED = "access_token_expired"
    REQUEST_REJECTED = "request_rejected"
    AMOUNT_BELOW_LIMIT = "amount_below_limit"
    DUPLICATE_REQUEST = "duplicate_request"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    INVALID_STATE = "invalid_state"
    RATE_LIMITED = "rate_limited"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_ERROR = "provider_error"
    SIGNATURE_REJECTED_BY_PROVIDER = "signature_rejected_by_provider"
    AUTHORIZATION_REJECTED = "authorization_rejected"
    MALFORMED_RESPONSE = "malformed_response"
    TRANSPORT = "transport"


class EventVerdict(StrEnum):
    """What a verified event did."""

    APPLIED = "applied"
    IGNORED = "ignored"
    MISMATCH = "mismatch"


class FailureReason(StrEnum):
    """Why a payout failed, normalized across providers."""

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


class KeyReuseKind(StrEnum):
    """The kinds of `KeyReuse` (its `kind`)."""

    REPLAYS_UNTIL = "replays_until"
    EXPIRED = "expired"


class ManualReason(StrEnum):
    """Why a person must reconcile (the money-safety reasons, plus what only the lifecycle sees)."""

    KEY_WINDOW_OVER = "key_window_over"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    INVALID_STATE = "invalid_state"
    MISMATCH = "mismatch"
    UNRESOLVABLE = "unresolvable"


class Method(StrEnum):
    GET = "GET"
    POST = "POST"


class NextActionKind(StrEnum):
    """The kinds of `NextAction` (its `kind`)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REFRESH_TOKEN_AND_RESEND = "refresh_token_and_resend"
    RESEND_SAME_KEY_AFTER = "resend_same_key_after"
    QUERY_FIRST = "query_first"
    RESEND_SAME_REQUEST = "resend_same_request"
    MANUAL_RECONCILIATION = "manual_reconciliation"


class PayoutStatus(PayoutStatusRules, StrEnum):
    """The normalized state of one payout."""

    PENDING = "pending"
    PROCESSING = "processing"
    DELAYED = "delayed"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REVERSED = "reversed"
    UNKNOWN = "unknown"


class Phase(StrEnum):
    """Where the create stands."""

    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"


class Provider(StrEnum):
    """The providers kirim speaks to."""

    PIVOT = "pivot"
    GATEWAY = "gateway"
    PAPER_ID = "paper_id"


class Purpose(StrEnum):
    """Why the machine sends a request."""

    SESSION = "session"
    CREATE = "create"
    QUERY = "query"


class ReconciliationReason(StrEnum):
    """Why a payout needs a person to reconcile it."""

    KEY_WINDOW_OVER = "key_window_over"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    INVALID_STATE = "invalid_state"


class RetryKind(StrEnum):
    """The kinds of `RetryAdvice` (its `kind`)."""

    DO_NOT_RETRY = "do_not_retry"
    RETRY_AFTER_DELAY = "retry_after_delay"
    RETRY_TOMORROW = "retry_tomorrow"
    RETRY_AFTER_STATUS_CHECK = "retry_after_status_check"
    CONTACT_PROVIDER = "contact_provider"


class TransportFailure(StrEnum):
    """Why no usable response arrived. Each of these leaves the outcome of a state-changing call
    unknown: the provider may have acted on the request."""

    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    EMPTY_RESPONSE = "empty_response"


class WaitReason(StrEnum):
    """Why the machine waits."""

    RESPONSE = "response"
    RETRY = "retry"
    SETTLE = "settle"
    CALLBACK_DEADLINE = "callback_deadline"


# kirim.pivot.


class BatchStatus(StrEnum):
    """Request-level status of a Pivot payout request."""

    IN_PROGRESS = "in_progress"
    DONE = "done"
    PENDING = "pending"
    UNKNOWN = "unknown"


class InquiryStatus(StrEnum):
    VALID = "valid"
    WARNING = "warning"
    INVALID = "invalid"
    PENDING = "pending"
    UNKNOWN = "unknown"


class NameSource(StrEnum):
    """Where `bank_record_name` came from (G1): Pivot returns no name field."""

    DETAIL_TEXT = "detail_text"
    SAME_AS_SUBMITTED = "same_as_submitted"


# kirim.gateway.


class HexCase(StrEnum):
    """Case of the hex digest we produce. Received digests are compared case-insensitively."""

    LOWER = "lower"
    UPPER = "upper"


class KeyJoin(StrEnum):
    """How the key is appended to the canonical string for MD5 (HMAC never appends it)."""

    AMPERSAND = "ampersand"
    DIRECT = "direct"
    AMPERSAND_KEY_EQUALS = "ampersand_key_equals"


class SignType(StrEnum):
    """The signature algorithm."""

    MD5 = "MD5"
    HMAC_SHA256 = "HMAC-SHA256"

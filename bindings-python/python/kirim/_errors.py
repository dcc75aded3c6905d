"""One exception hierarchy for every error the core reports.

``KirimError`` carries the core error's JSON form unchanged: ``code`` (stable, see
``ErrorCode``), ``field``, ``message``, ``violations``, ``provider_code``,
``provider_message``, ``provider_details``, ``http_status`` and ``provider_trace_id``.
The subclass is chosen by the code's group, as the core's error table groups them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple, Type

from . import _native
# Generated from the core (core/tests/python_declarations.rs).
from ._enums import ErrorCode as ErrorCode


@dataclass(frozen=True)
class Violation:
    """One violated field of a ``validation_failed`` error."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class ProviderDetail:
    """A field-level detail the provider itself reported."""

    field: Optional[str]
    message: str


class KirimError(Exception):
    """Every error kirim raises. ``code`` is stable; ``field`` names the offending input."""

    code: str
    field: Optional[str]
    message: str
    violations: Tuple[Violation, ...]
    provider_code: Optional[str]
    provider_message: Optional[str]
    provider_details: Tuple[ProviderDetail, ...]
    http_status: Optional[int]
    provider_trace_id: Optional[str]

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: Optional[str] = None,
        violations: Tuple[Violation, ...] = (),
        provider_code: Optional[str] = None,
        provider_message: Optional[str] = None,
        provider_details: Tuple[ProviderDetail, ...] = (),
        http_status: Optional[int] = None,
        provider_trace_id: Optional[str] = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = _code(code)
        self.field = field
        self.message = message
        self.violations = tuple(violations)
        self.provider_code = provider_code
        self.provider_message = provider_message
        self.provider_details = tuple(provider_details)
        self.http_status = http_status
        self.provider_trace_id = provider_trace_id

    @property
    def fix(self) -> Optional[str]:
        """How to fix or handle this error, from the core's error table."""
        code = self.code
        return code.fix if isinstance(code, ErrorCode) else None

    @property
    def violated_fields(self) -> Tuple[str, ...]:
        """The field of every violation, in the core's order."""
        return tuple(v.field for v in self.violations)

    def to_dict(self) -> Dict[str, Any]:
        """The core error's JSON form (absent optional parts left out, as the core does)."""
        out: Dict[str, Any] = {
            "code": str(self.code),
            "field": self.field,
            "message": self.message,
        }
        if self.violations:
            out["violations"] = [
                {"field": v.field, "code": v.code, "message": v.message} for v in self.violations
            ]
        if self.provider_code is not None:
            out["provider_code"] = self.provider_code
        if self.provider_message is not None:
            out["provider_message"] = self.provider_message
        if self.provider_details:
            out["provider_details"] = [
                {"field": d.field, "message": d.message} for d in self.provider_details
            ]
        if self.http_status is not None:
            out["http_status"] = self.http_status
        if self.provider_trace_id is not None:
            out["provider_trace_id"] = self.provider_trace_id
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def __repr__(self) -> str:
        parts = [f"code={str(self.code)!r}", f"field={self.field!r}", f"message={self.message!r}"]
        if self.violations:
            parts.append(f"violations={list(self.violated_fields)!r}")
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status!r}")
        if self.provider_code is not None:
            parts.append(f"provider_code={self.provider_code!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Any:
        return (_from_native, (self.to_json(),))


class ValidationError(KirimError, ValueError):
    """The host's input is invalid (fields, amounts, idempotency keys, configuration)."""


class ParseError(KirimError):
    """Bytes from outside could not be read (empty, too large, not JSON, wrong shape)."""


class AuthenticityError(KirimError):
    """A callback or notification failed its authenticity check (key, signature, source)."""


class ProviderError(KirimError):
    """The provider refused, failed or did not answer (``transport``: the outcome is unknown)."""


# The family of each code comes from the core (ErrorCode::category), so the class raised for a
# code is the core's decision, not a table kept here.
_CLASS_OF_CATEGORY: Mapping[str, Type[KirimError]] = {
    "validation": ValidationError,
    "parse": ParseError,
    "authenticity": AuthenticityError,
    "provider": ProviderError,
}

_CLASS_OF: Dict[str, Type[KirimError]] = {
    code: _CLASS_OF_CATEGORY[category] for code, _meaning, _fix, category in _native.error_codes()
}


for _cls in (KirimError, ValidationError, ParseError, AuthenticityError, ProviderError, ErrorCode, Violation, ProviderDetail):
    _cls.__module__ = "kirim"


def error_class(code: str) -> Type[KirimError]:
    """The exception class raised for ``code`` (``KirimError`` itself for a code this wheel
    does not know)."""
    return _CLASS_OF.get(str(code), KirimError)


def _code(code: str) -> str:
    try:
        return ErrorCode(str(code))
    except ValueError:
        return str(code)


def _from_dict(data: Mapping[str, Any]) -> KirimError:
    code = str(data.get("code", ""))
    return error_class(code)(
        code,
        str(data.get("message", "")),
        field=data.get("field"),
        violations=tuple(
            Violation(str(v["field"]), _code(str(v["code"])), str(v["message"]))
            for v in data.get("violations") or ()
        ),
        provider_code=data.get("provider_code"),
        provider_message=data.get("provider_message"),
        provider_details=tuple(
            ProviderDetail(d.get("field"), str(d.get("message", "")))
            for d in data.get("provider_details") or ()
        ),
        http_status=data.get("http_status"),
        provider_trace_id=data.get("provider_trace_id"),
    )


def _from_native(error_json: str) -> KirimError:
    """Called by the native module with a core error's JSON; returns the exception to raise."""
    return _from_dict(json.loads(error_json))

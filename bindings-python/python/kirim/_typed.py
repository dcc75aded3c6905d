"""What every generated provider class (``kirim/<provider>.py``, written from the provider's
table in the core by core/tests/python_declarations.rs) runs on: the configured provider
(``_native.ConfiguredProvider``) and the conversions of its arguments to the core's JSON operation
interface and of its output back to Python types, as bindings-wasm/js/api.js does for
JavaScript (``toCore``, ``fromCore``). Conversions only: every rule is the core's."""

from __future__ import annotations

import json
from typing import Any, Callable, Generic, Optional, Tuple, Type, TypeVar, Union, cast

from . import _native
from ._errors import KirimError
from ._secret import Secret, SecretLike
from ._wire import _NATIVE, converter, dumps, outcome_to_wire, to_wire
from .http import HeadersLike, HttpResponse, TransportFailure, headers_of, raw_body

C = TypeVar("C")
T = TypeVar("T")

# ---- arguments: each to its JSON text ------------------------------------------------------


def value(v: object, what: str) -> str:
    """A value as JSON text: a native model value in the core's own JSON form, anything else
    (records, enums, ``KirimError``, ``Secret``) as ``kirim._wire`` writes it."""
    if type(v) in _NATIVE or any(isinstance(v, c) for c in _NATIVE):
        return str(_native.pickle_state(v)[1])
    return dumps(to_wire(v, what))


def native(v: object, cls: type, what: str) -> str:
    """A native model value of class ``cls``, in the core's JSON form."""
    if not isinstance(v, cls):
        raise TypeError(f"{what} is a kirim.{cls.__name__}")
    return str(_native.pickle_state(v)[1])


def secret(v: SecretLike, what: str) -> str:
    """A key or token: revealed here, to the core only."""
    if not isinstance(v, (Secret, str)):
        raise TypeError(f"{what} is a kirim.Secret or a str")
    return dumps(Secret(v).expose_secret())


def headers(v: HeadersLike) -> str:
    return dumps([{"name": h.name, "value": h.value} for h in headers_of(v)])


def outcome(v: Union[HttpResponse, TransportFailure]) -> str:
    return dumps(outcome_to_wire(v))


def body(v: bytes, what: str = "body") -> bytes:
    return raw_body(v, what)


# ---- results: from the core's JSON form ----------------------------------------------------

def result(tp: Type[T], data: Any) -> T:
    """The typed result of annotation ``tp`` from the core's output (parsed JSON)."""
    return cast(T, converter(tp)(data))


# ---- the class every generated provider class is -------------------------------------------


class Shell(Generic[C]):
    """A provider's protocol shell, built once from its configuration (an instance of the
    provider's configuration class, crossing as the core's JSON form: the core checks every
    field, once). Holds configuration only; cheap to keep for the process. Its ``repr`` is the
    core's, secrets redacted."""

    __slots__ = ("_handle", "_config")

    _provider: str = ""
    _config_type: type = object

    def __init__(self, config: C) -> None:
        cls = type(self)
        if not isinstance(config, cls._config_type):
            # Named from the class's module (kirim.paperid), where users import the configuration;
            # the class itself is generated in kirim._declared.
            raise TypeError(
                f"{cls.__name__}(config) takes a {cls.__module__}.{cls._config_type.__qualname__}"
            )
        self._handle = _native.ConfiguredProvider(cls._provider, dumps(to_wire(config, "config")))
        self._config: C = config

    @property
    def config(self) -> C:
        return self._config

    def _run(self, operation: str, args: Tuple[Tuple[str, Optional[str]], ...], raw: Optional[bytes] = None) -> Any:
        """Runs ``operation`` on ``args`` (each name with its JSON text; ``None``: left out, so
        the core applies its default) and, for a callback, its raw ``body`` beside them."""
        text = "{" + ",".join(f'"{name}":{v}' for name, v in args if v is not None) + "}"
        if raw is None:
            return json.loads(self._handle.run(operation, text))
        return json.loads(self._handle.run_with_body(operation, text, raw))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._handle.config_debug()})"


def optional(v: Optional[T], convert: Callable[[T], str]) -> Optional[str]:
    """An argument that may be left out (``None``)."""
    return None if v is None else convert(v)


def error(v: KirimError) -> str:
    """What a callback's verification raised, in the core's JSON form."""
    if not isinstance(v, KirimError):
        raise TypeError("error is a kirim.KirimError or None")
    return v.to_json()

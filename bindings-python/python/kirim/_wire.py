"""Conversions between the typed records and the core's JSON form (the core reads and writes
it). Nothing but conversions: the core validates every value."""

from __future__ import annotations

import base64
import collections.abc
import copyreg
import dataclasses
import json
import sys
from decimal import Decimal
from enum import Enum
from typing import (
    Any,
    Callable,
    Dict,
    Generic,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from . import _native
from ._errors import KirimError, _from_dict
from .http import HttpRequest, HttpResponse, Method, TransportFailure
from .http import Header
from .model import Failure, Money, RetryAdvice, Secret

if sys.version_info >= (3, 10):
    from types import UnionType

    _UNION_TYPES: Tuple[Any, ...] = (Union, UnionType)
else:  # pragma: no cover - Python 3.9
    _UNION_TYPES = (Union,)


T = TypeVar("T")

# ---- to the core -------------------------------------------------------------------------


def body_to_wire(body: bytes) -> Dict[str, str]:
    return {"base64": base64.b64encode(body).decode("ascii")}


def to_wire(value: Any, path: str) -> Any:
    """The core JSON form of a record, an enum, Money, bytes or a sequence of them. Absent
    (None) fields are left out, so the core applies its own defaults; every value is checked
    by the core."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return value
    # A float crosses as the JSON number it is: the core refuses it wherever it reads an integer
    # or an amount (`unexpected_shape`, "floating point"), so the rule is the core's alone.
    if isinstance(value, (str, int, float)):
        return value
    if isinstance(value, Decimal):
        raise TypeError(f"{path}: wrap a Decimal amount as Money.from_decimal(...)")
    if isinstance(value, Secret):
        return value.expose_secret()
    if isinstance(value, Money):
        return {"value": value.value, "currency": value.currency.value}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return body_to_wire(bytes(value))
    if isinstance(value, KirimError):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: Dict[str, Any] = {}
        # A variant of a tagged union (kirim._declared): its tag, as (key, value).
        tag = getattr(type(value), "_wire_tag", None)
        if tag is not None:
            out[tag[0]] = tag[1]
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if item is not None:
                out[field.name] = to_wire(item, f"{path}.{field.name}")
        return out
    if isinstance(value, (list, tuple)):
        return [to_wire(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        return {str(to_wire(k, path)): to_wire(v, f"{path}[{k!r}]") for k, v in value.items()}
    raise TypeError(f"{path}: kirim cannot convert a {type(value).__name__}")


def outcome_to_wire(outcome: Union[HttpResponse, TransportFailure]) -> Dict[str, Any]:
    if isinstance(outcome, HttpResponse):
        return {
            "response": {
                "status": outcome.status,
                "headers": [{"name": h.name, "value": h.value} for h in outcome.headers],
                "body": body_to_wire(outcome.body),
            }
        }
    if isinstance(outcome, TransportFailure):
        return {"transport_failure": outcome.value}
    if isinstance(outcome, str) and outcome in TransportFailure._value2member_map_:
        return {"transport_failure": outcome}
    raise TypeError(
        "an outcome is an HttpResponse(status, headers, body bytes) or a TransportFailure"
    )


def dumps(value: Any) -> str:
    # ASCII, every other character escaped: a str that is not Unicode (a lone surrogate, as
    # os.environ keeps an undecodable byte) then reaches the core, which refuses it (invalid_json)
    # with a message that shows none of the text. Unescaped, the native call raised
    # UnicodeEncodeError, whose args carried the whole JSON: a configuration's every secret.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


C = TypeVar("C")
N = TypeVar("N")
S = TypeVar("S", bound="NativeShell[Any, Any]")


class NativeShell(Generic[C, N]):
    """A provider's protocol shell over its native one, built once from its configuration (an
    instance of the provider's configuration class, crossing as the core's JSON form: the core
    checks every field). Holds configuration only; cheap to keep for the process."""

    __slots__ = ("_inner", "_config")

    def __init__(self, native: Callable[[str], N], config: C, config_type: type) -> None:
        if not isinstance(config, config_type):
            # Named from the shell's module (kirim.pivot), where users import the configuration;
            # the class itself is generated in kirim._declared.
            raise TypeError(
                f"{type(self).__name__}(config) takes a {type(self).__module__}.{config_type.__qualname__}"
            )
        self._inner: N = native(dumps(to_wire(config, "config")))
        self._config: C = config

    @classmethod
    def _from_json_form(cls: Type[S], native: Callable[[str], N], config: Mapping[str, Any]) -> S:
        """The shell of a configuration given in the core's JSON form (a mapping), as
        ``kirim.PayoutLifecycle`` and ``kirim.Driver`` take it; the core checks every field."""
        if not isinstance(config, Mapping):
            raise TypeError(f"{cls.__name__}'s configuration is its configuration class or its JSON form (a mapping)")
        shell = cls.__new__(cls)
        shell._inner = native(dumps(to_wire(config, "config")))
        shell._config = cast(Any, config)  # the JSON form stands for the configuration class
        return shell

    @property
    def config(self) -> C:
        return self._config

    def __repr__(self) -> str:
        return repr(self._inner)


def error_to_core(error: Optional[KirimError]) -> Optional[str]:
    """What an acknowledgement is for: None (verified and read) or the error's JSON form."""
    if error is None:
        return None
    if not isinstance(error, KirimError):
        raise TypeError("error is a kirim.KirimError or None")
    return error.to_json()


def error_from_core(text: Optional[str]) -> Optional[KirimError]:
    """The error of a handled callback (its JSON form from the core), or None."""
    return None if text is None else loads_as(KirimError, text)


# ---- from the core -----------------------------------------------------------------------


def body_from_wire(data: Any) -> bytes:
    """The core renders bodies as UTF-8 text, or ``{"hex": ...}`` when they are not UTF-8."""
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, dict) and isinstance(data.get("hex"), str):
        return bytes.fromhex(data["hex"])
    if isinstance(data, dict) and isinstance(data.get("base64"), str):
        return base64.b64decode(data["base64"])
    raise TypeError(f"unexpected body form from the core: {type(data).__name__}")


_CONVERTERS: Dict[Any, Callable[[Any], Any]] = {}

# The native model classes the core writes and reads by their JSON form (the form pickles use).
_NATIVE = frozenset(_native.PICKLABLE)


def _request(data: Any) -> HttpRequest:
    headers = [Header(h["name"], h["value"]) for h in data["headers"]]
    return HttpRequest(Method(data["method"]), data["url"], headers, body_from_wire(data["body"]))


def _identity(data: Any) -> Any:
    return data


def _money(data: Any) -> Money:
    return Money.parse(data["value"], data["currency"])


def _failure(data: Any) -> Failure:
    return Failure(**{**data, "retry": RetryAdvice(**data["retry"])})


def converter(tp: Any) -> Callable[[Any], Any]:
    """The function that builds a value of annotation ``tp`` from the core's JSON form, made
    once per type (the reflection is not repeated on every call)."""
    found = _CONVERTERS.get(tp)
    if found is None:
        found = _build(tp)
        _CONVERTERS[tp] = found
    return found


def _build(tp: Any) -> Callable[[Any], Any]:
    origin = get_origin(tp)
    if origin in _UNION_TYPES:
        args = get_args(tp)
        non_none = [a for a in args if a is not type(None)]
        optional = len(non_none) < len(args)
        if len(non_none) == 1:
            inner = converter(non_none[0])
            return (lambda d: None if d is None else inner(d)) if optional else inner
        # A tagged union: each variant names its tag as (key, value), the key shared.
        tags = [getattr(a, "_wire_tag", (None, None)) for a in non_none]
        key = next((k for k, _ in tags if k is not None), None)
        by_tag = {value: converter(a) for (_, value), a in zip(tags, non_none)}

        def tagged(data: Any) -> Any:
            if data is None and optional:
                return None
            tag = data.get(key) if isinstance(data, dict) and key is not None else None
            chosen = by_tag.get(tag)
            if chosen is None:
                raise TypeError(f"no variant of {tp} matches {tag!r}")
            return chosen(data)

        return tagged
    if origin in (tuple, Tuple):
        item = converter(get_args(tp)[0])
        return lambda d: tuple(item(x) for x in d or ())
    if origin in (list, List):
        item = converter(get_args(tp)[0])
        return lambda d: [item(x) for x in d or ()]
    if origin in (dict, Dict, collections.abc.Mapping):
        key_type, value_type = get_args(tp)
        key, value = converter(key_type), converter(value_type)
        return lambda d: {key(k): value(v) for k, v in (d or {}).items()}
    if tp is bytes:
        return body_from_wire
    if tp is Money:
        return _money
    if tp is Header:
        return lambda d: Header(d["name"], d["value"])
    if tp is Failure:
        return _failure
    if tp is KirimError:
        return _from_dict
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp
    if tp in _NATIVE:
        name = tp.__name__
        return lambda d: _native.pickle_restore(name, dumps(d))
    if tp is HttpRequest:
        return _request
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = get_type_hints(tp)
        fields = [(f.name, converter(hints[f.name])) for f in dataclasses.fields(tp) if f.init]
        cls = tp

        def record(data: Any) -> Any:
            return cls(**{name: convert(data.get(name)) for name, convert in fields})

        return record
    return _identity


def from_wire(tp: Any, data: Any) -> Any:
    """Builds the typed value of annotation ``tp`` from the core's JSON form."""
    return converter(tp)(data)


def loads_as(tp: Type[T], text: str) -> T:
    return cast(T, from_wire(tp, json.loads(text)))


def loads_list(tp: Type[T], text: str) -> List[T]:
    convert = converter(tp)
    return [cast(T, convert(item)) for item in json.loads(text)]


# ---- pickling and copying ------------------------------------------------------------------


def _restore(class_name: str, state: str) -> Any:
    """A pickled model value, read back by the core (``pickle`` finds this function by name)."""
    return _native.pickle_restore(class_name, state)


def _reduce(value: Any) -> Tuple[Callable[[str, str], Any], Tuple[str, str]]:
    return _restore, _native.pickle_state(value)


# pickle, copy.copy, copy.deepcopy and multiprocessing take the model's native values through
# their JSON form (the core's; kirim._native.PICKLABLE lists the classes). Values that can carry
# credentials (HttpRequest, Header, AccessToken, Secret) stay unpicklable.
# copyreg dispatches on the exact class: a native enum's variants (PayoutDestination.Inquiry)
# are subclasses, registered with it.
for _class in _native.PICKLABLE:
    for _variant in (_class, *(v for v in vars(_class).values() if isinstance(v, type) and issubclass(v, _class))):
        copyreg.pickle(_variant, _reduce)

"""Where Python shows or assumes something the core also decides, the two agree on the same
inputs: header redaction in every repr, the configuration defaults, the fields of each
configuration class, and the driver's transport options."""

from __future__ import annotations

import dataclasses
import decimal
import importlib
import inspect
import json
from typing import Any, Dict, List, Tuple

import pytest

import kirim
from kirim import _declared, _enums, _native, _providers, _wire
from kirim import gateway as kg
from kirim import paperid as kpi
from kirim import pivot as kp
from kirim.driver import Driver, HttpxTransport, UrllibTransport
from kirim.store import MemoryStore
from conftest import VECTORS

_REDACT = json.loads((VECTORS / "http" / "redact_headers.json").read_text(encoding="utf-8"))


def _cases() -> List[Tuple[str, List[Dict[str, str]]]]:
    out = []
    for vector in _REDACT["vectors"]:
        if "expected" not in vector:
            continue  # a refused input: no header to show
        headers = vector["input"]["headers"]
        out.append((vector["name"], headers))
        # The same names in other cases: the core compares names case-insensitively.
        out.append((vector["name"] + " (swapped case)", [
            {"name": h["name"].swapcase(), "value": h["value"]} for h in headers
        ]))
    return out


@pytest.mark.parametrize("name,headers", _cases(), ids=[c[0] for c in _cases()])
def test_header_repr_redacts_as_the_core_does(name: str, headers: List[Dict[str, str]]) -> None:
    core: Any = kirim.run_operation("http.redact_headers", {"headers": headers})
    shown = core["headers"]
    assert [h["name"] for h in shown] == [h["name"] for h in headers]
    for given, by_core in zip(headers, shown):
        header = kirim.Header(given["name"], given["value"])
        assert repr(header) == f"Header({given['name']}: {by_core['value']})"
    request = kirim.HttpRequest(
        kirim.Method.POST,
        "https://a.example/x",
        tuple(kirim.Header(h["name"], h["value"]) for h in headers),
        b"",
    )
    expected = ", ".join(f"Header({h['name']}: {s['value']})" for h, s in zip(headers, shown))
    assert f"headers=[{expected}]" in repr(request)
    response = kirim.HttpResponse(200, [(h["name"], h["value"]) for h in headers], b"")
    assert f"headers=[{expected}]" in repr(response)


@pytest.mark.parametrize("namespace", sorted(_providers.DECLARED))
def test_each_provider_module_exports_the_types_generated_for_it(namespace: str) -> None:
    # Its configuration, enums and records are generated from the core (kirim._enums,
    # kirim._declared); its module, where users import them, must export every one.
    module = importlib.import_module(f"kirim.{namespace}")
    names = _providers.DECLARED[namespace]
    assert names, f"no type generated for kirim.{namespace}"
    for name in names:
        assert name in module.__all__, f"kirim.{namespace} does not export {name}"
        generated = getattr(_enums, name, None) or getattr(_declared, name)
        assert getattr(module, name) is generated, name


def _native_shell(kind: str, config: Any) -> Any:
    config_json = _wire.dumps(_wire.to_wire(config, "config"))
    if kind == "paper_id":
        # Paper.id has no native class: its generated class holds the generic configured provider.
        return _native.ConfiguredProvider("paperid", config_json)
    return {"pivot": _native.Pivot, "gateway": _native.Gateway}[kind](config_json)


@pytest.mark.parametrize(
    "kind,config",
    [
        ("pivot", kp.PivotConfig("https://a.example", "m", "s")),
        ("gateway", kg.GatewayConfig("https://a.example", "PF0002", "s")),
        ("paper_id", kpi.PaperIdConfig()),
    ],
)
def test_config_defaults_are_the_cores(kind: str, config: Any) -> None:
    # A Python configuration that sets only what is required runs with exactly the core's
    # defaults (`PivotConfig::new`, `GatewayConfig::new`, `PaperIdConfig::default`).
    _, core_default = _native.core_config(kind)
    assert _native_shell(kind, config).config_debug() == core_default


@pytest.mark.parametrize(
    "kind,cls",
    [("pivot", kp.PivotConfig), ("gateway", kg.GatewayConfig), ("paper_id", kpi.PaperIdConfig)],
)
def test_config_classes_carry_every_core_field(kind: str, cls: Any) -> None:
    # A field added to a core configuration must reach Python: same names, same order.
    fields, _ = _native.core_config(kind)
    assert fields, "the core declared no fields"
    assert [f.name for f in dataclasses.fields(cls)] == fields


def test_a_changed_setting_reaches_the_core() -> None:
    # The comparison above can fail: a setting given in Python changes what the core runs with.
    _, core_default = _native.core_config("pivot")
    changed = kp.PivotConfig("https://a.example", "m", "s", token_refresh_margin_seconds=61)
    assert _native_shell("pivot", changed).config_debug() != core_default


@pytest.mark.parametrize("value", [1.5, 100.0])
def test_the_core_refuses_a_float_in_a_configuration(value: float) -> None:
    # A record that crosses as JSON carries a float as the JSON number it is; the core refuses it
    # (Python adds no rule of its own).
    config = kp.PivotConfig("https://a.example", "m", "s", token_refresh_margin_seconds=value)  # type: ignore[arg-type]
    with pytest.raises(kirim.KirimError) as info:
        kp.Pivot(config)
    assert info.value.code == "unexpected_shape", info.value.to_dict()
    assert "floating point" in info.value.message, info.value.to_dict()
    assert "token_refresh_margin_seconds" in f"{info.value.field} {info.value.message}", info.value.to_dict()


@pytest.mark.parametrize("params", [{"amount": 1.5}, {"amount": 100.0}, {"x": {"y": [0.5]}}])
def test_the_core_refuses_a_float_to_sign(params: Dict[str, Any]) -> None:
    gateway = kg.Gateway(kg.GatewayConfig("https://a.example", "PF0002", "k"))
    with pytest.raises(kirim.KirimError) as info:
        gateway.sign(params)
    assert info.value.code == "unexpected_shape" and info.value.field == "params"
    assert "float" in info.value.message
    # The same amount as an exact JSON body is signed as written.
    assert gateway.sign(b'{"amount":100.00}').canonical == "amount=100.00"


def _event(**changes: Any) -> kirim.PayoutEvent:
    fields: Dict[str, Any] = dict(
        provider=kirim.Provider.PIVOT, authenticity=kirim.Authenticity.API_KEY,
        confirmation=kirim.Confirmation.CONFIRMED, payout_id=None, reference_id=None,
        status=kirim.PayoutStatus.PENDING, raw_status="PENDING", raw_event=None, amount=None,
        failure=None, occurred_at=None, requires_query=False, totals=None, warnings=(),
        real_amount=None, fee=None,
    )
    fields.update(changes)
    return kirim.PayoutEvent(**fields)


@pytest.mark.parametrize(
    "enum,field",
    [
        (kirim.PayoutStatus, "status"),
        (kirim.Confirmation, "confirmation"),
        (kirim.Provider, "provider"),
        (kirim.Authenticity, "authenticity"),
    ],
)
def test_every_python_enum_member_is_the_cores(enum: Any, field: str) -> None:
    # Each member crosses into the core and comes back as the same object: the core knows
    # every value the Python enum declares, and maps it back to that member.
    for member in enum:
        assert getattr(_event(**{field: member}), field) is member
        assert getattr(_event(**{field: member.value}), field) is member
    with pytest.raises(kirim.KirimError) as info:
        _event(**{field: "no-such-value"})
    assert info.value.code == "unexpected_shape" and info.value.field == field


def test_methods_and_currencies_are_the_cores() -> None:
    for method in kirim.Method:
        assert kirim.HttpRequest(method.value, "https://a.example", (), b"").method is method
    for currency in kirim.Currency:
        assert kirim.Money(minor_units=1, currency=currency.value).currency is currency


# ---- the driver's transport options (http.transport_options) -----------------------------------

_TRANSPORT = json.loads((VECTORS / "http" / "transport_options.json").read_text(encoding="utf-8"))
_GATEWAY = {"gateway": kg.GatewayConfig("https://a.example", "PF0002", "k", authorization="auth")}
_ORDER = {
    "reference": "PY-TRANSPORT-1",
    "amount": kirim.Money.parse("100000"),
    "beneficiary": {"bank": "BCA", "account_number": "1234567890", "account_name": "Budi"},
}


class _Sent(Exception):
    pass


class _FirstSend:
    """A transport that notes the timeout it is handed for the first request, and stops the run."""

    def __init__(self) -> None:
        self.timeout: Any = None

    def send(self, request: kirim.HttpRequest, timeout: float) -> kirim.HttpOutcome:
        self.timeout = timeout
        raise _Sent


def _used(**options: Any) -> Dict[str, Any]:
    """What a Driver made with ``options`` uses: the timeout its transport is handed for a request
    (in milliseconds) and the cap of the transport it builds."""
    cap = Driver(_GATEWAY, MemoryStore(), **options)._transport._cap  # type: ignore[attr-defined]
    first = _FirstSend()
    timeout = {k: v for k, v in options.items() if k == "timeout_seconds"}
    driver = Driver(_GATEWAY, MemoryStore(), transport=first, **timeout)
    driver.submit("gateway", _ORDER)
    with pytest.raises(_Sent):
        driver.run()
    return {"timeout_seconds": first.timeout, "max_response_bytes": cap}


def _seconds(ms: Any) -> Any:
    """A vector's timeout_ms as the timeout_seconds a Python user writes for it (an int when it is
    whole seconds, else the float that prints as that decimal); another type as it is."""
    if isinstance(ms, bool) or not isinstance(ms, (int, float)):
        return ms
    seconds = decimal.Decimal(repr(ms)).scaleb(-3)
    return int(seconds) if seconds == seconds.to_integral_value() else float(seconds)


def test_the_drivers_transport_defaults_are_the_cores() -> None:
    core: Any = kirim.run_operation("http.transport_options", {})
    assert core == {"timeout_ms": 60_000, "max_response_bytes": 16 * 1024 * 1024}
    assert _used() == {"timeout_seconds": core["timeout_ms"] / 1000, "max_response_bytes": core["max_response_bytes"]}
    # The defaults the signatures show are the core's too.
    assert inspect.signature(Driver).parameters["timeout_seconds"].default == core["timeout_ms"] / 1000
    for transport in (UrllibTransport, HttpxTransport):
        assert inspect.signature(transport).parameters["max_response_bytes"].default == core["max_response_bytes"]
    assert UrllibTransport()._cap == core["max_response_bytes"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("vector", _TRANSPORT["vectors"], ids=[v["name"] for v in _TRANSPORT["vectors"]])
def test_the_drivers_transport_options_are_accepted_and_refused_as_the_core_does(vector: Dict[str, Any]) -> None:
    # The same values given to a Driver (timeout_ms as seconds; null is left out) are used as
    # the core returns them, or refused with the core's code and field; a value of another type
    # than Python's (a str, a bool, a float where an int of bytes belongs) is Python's TypeError,
    # and the core refuses it too.
    given = vector["input"]
    try:
        core: Any = {"ok": kirim.run_operation("http.transport_options", given)}
    except kirim.KirimError as error:
        core = {"error": (error.code, error.field)}
    options: Dict[str, Any] = {}
    if given.get("timeout_ms") is not None:
        options["timeout_seconds"] = _seconds(given["timeout_ms"])
    cap = given.get("max_response_bytes")
    if cap is not None:
        whole = isinstance(cap, float) and cap.is_integer()
        options["max_response_bytes"] = int(cap) if whole else cap
    try:
        used = _used(**options)
    except TypeError:
        assert "error" in core, core
        return
    except kirim.KirimError as error:
        assert isinstance(error, kirim.ValidationError)
        assert core == {"error": (error.code, error.field)}, error.to_dict()
        return
    assert "ok" in core, (used, core)
    assert used == {"timeout_seconds": core["ok"]["timeout_ms"] / 1000, "max_response_bytes": core["ok"]["max_response_bytes"]}

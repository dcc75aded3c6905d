"""Opens the built wheel: it must be an abi3 wheel holding the package, the native module,
its .pyi stub and py.typed (maturin drops files that .gitignore names; a wheel that silently
loses py.typed is untyped for every user)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import kirim


def _wheel() -> Path:
    path = os.environ.get("KIRIM_WHEEL")
    assert path, "KIRIM_WHEEL is not set: run bindings-python/script/test, which builds the wheel"
    return Path(path)


def test_the_wheel_is_abi3_and_typed() -> None:
    wheel = _wheel()
    assert "-cp39-abi3-" in wheel.name, wheel.name
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    for required in (
        "kirim/__init__.py",
        "kirim/py.typed",
        "kirim/_native.pyi",
        "kirim/_errors.py",
        "kirim/_wire.py",
        "kirim/http.py",
        "kirim/idempotency.py",
        "kirim/model.py",
        "kirim/pivot.py",
        "kirim/gateway.py",
        "kirim/paperid.py",
        "kirim/_enum.py",
        "kirim/lifecycle.py",
        "kirim/driver.py",
        "kirim/store.py",
        "kirim/simulator.py",
        "kirim_simulator/__init__.py",
        "kirim_simulator/__main__.py",
    ):
        assert required in names, f"{required} missing from {wheel.name}: {sorted(names)}"
    natives = [n for n in names if n.startswith("kirim/_native") and n.endswith(".so")]
    assert natives == ["kirim/_native.abi3.so"], natives


def test_the_installed_package_is_the_wheel() -> None:
    # The tests import the installed wheel, not the source tree.
    installed = Path(kirim.__file__).resolve().parent
    assert (installed / "py.typed").is_file() and (installed / "_native.pyi").is_file()
    assert "site-packages" in str(installed), installed

"""A key or token as a Python value (re-exported by ``kirim.model``): kept out of every
``repr``, ``str`` and pickle. Its own module so that the generated ``_declared`` (the
configurations) can use it without importing ``model``, which imports ``_declared``."""

from __future__ import annotations

from typing import Any, Sequence, Tuple, Union


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


def _secret(value: SecretLike, what: str) -> Secret:
    """A configuration's key: a ``Secret``, or a ``str`` wrapped in one."""
    if isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value)
    raise TypeError(f"{what} is a kirim.Secret or a str")


def _secrets(values: Union[SecretLike, Sequence[SecretLike]], what: str) -> Tuple[Secret, ...]:
    """A configuration's list of keys (several during a rotation): each a ``Secret`` or a
    ``str``; a single one is taken as a list of one."""
    if isinstance(values, (str, Secret)):
        values = (values,)
    return tuple(_secret(value, f"{what}[]") for value in values)


def _strings(values: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """A configuration's list of strings; a single ``str`` is a list of one, not its letters."""
    return (values,) if isinstance(values, str) else tuple(values)

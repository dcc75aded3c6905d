"""Generated from kirim's core by core/tests/python_declarations.rs: the class PaperId
from its table (core/src/providers/paperid/js.rs), over the JSON operation interface.
Do not edit: change the table, then run KIRIM_BLESS=1 cargo test -p kirim --features
ts,python --test python_declarations."""

from __future__ import annotations

from typing import Optional

from . import _typed
from ._declared import NotificationHandling as CallbackHandling, PaperIdConfig
from ._errors import KirimError
from ._native import Acknowledgement, HttpRequest, PayoutEvent, TestCallbackEvent
from ._secret import SecretLike
from .http import HeadersLike


class PaperId(_typed.Shell[PaperIdConfig]):
    """Paper.id payout callbacks, with the authenticity options the caller configures."""

    __slots__ = ()

    _provider = "paperid"
    _config_type = PaperIdConfig

    def __init__(self, config: Optional[PaperIdConfig] = None) -> None:
        super().__init__(PaperIdConfig() if config is None else config)

    def verify_callback(
        self,
        headers: HeadersLike,
        body: bytes,
        source_address: Optional[str] = None,
    ) -> PayoutEvent:
        """`source_address`: the peer address the host saw (never a header the sender controls)."""
        out = self._run(
            "verify_callback",
            (
                ("headers", _typed.headers(headers)),
                ("source_address", None if source_address is None else _typed.value(source_address, "source_address")),
            ),
            _typed.body(body),
        )
        return _typed.result(PayoutEvent, out)

    def parse_callback_unverified(self, body: bytes) -> PayoutEvent:
        """No authenticity check: the event says `unverified` and `requires_query`."""
        out = self._run(
            "parse_callback_unverified",
            (),
            _typed.body(body),
        )
        return _typed.result(PayoutEvent, out)

    def handle_callback(
        self,
        headers: HeadersLike,
        body: bytes,
        source_address: Optional[str] = None,
    ) -> CallbackHandling:
        """`verify_callback` and `callback_acknowledgement` in one call; never fails for a bad callback."""
        out = self._run(
            "handle_callback",
            (
                ("headers", _typed.headers(headers)),
                ("source_address", None if source_address is None else _typed.value(source_address, "source_address")),
            ),
            _typed.body(body),
        )
        return _typed.result(CallbackHandling, out)

    def callback_acknowledgement(self, error: Optional[KirimError] = None) -> Acknowledgement:
        """The answer to send for a callback: `error` is what `verify_callback` raised, left out when it succeeded."""
        out = self._run(
            "callback_acknowledgement",
            (
                ("error", None if error is None else _typed.error(error)),
            ),
        )
        return _typed.result(Acknowledgement, out)

    def test_callback(
        self,
        token: SecretLike,
        event: TestCallbackEvent,
        url: Optional[str] = None,
    ) -> HttpRequest:
        """The callback Paper.id would send for `event`, with `token` in the configured token header."""
        out = self._run(
            "test_callback",
            (
                ("token", _typed.secret(token, "token")),
                ("event", _typed.native(event, TestCallbackEvent, "event")),
                ("url", None if url is None else _typed.value(url, "url")),
            ),
        )
        return _typed.result(HttpRequest, out)


__all__ = ["PaperIdConfig", "CallbackHandling", "PaperId"]

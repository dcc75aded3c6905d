"""Paper.id payout callbacks: parse, normalize and acknowledge, with the authenticity option
the caller chooses (a shared token header, a source-address allow-list, both, or an explicit
unverified parse). One method per method of the core's ``PaperId``."""

from __future__ import annotations

from typing import Optional

from . import _native

# Generated from the core (core/tests/python_declarations.rs): a handled callback is the core's
# `NotificationHandling` (the event or the error, and the acknowledgement).
from ._declared import NotificationHandling as CallbackHandling
from ._declared import PaperIdConfig
from ._errors import KirimError
from ._wire import error_from_core, error_to_core, NativeShell
from .http import Acknowledgement, HeadersLike, raw_body
from .model import PayoutEvent, Secret, SecretLike, TestCallbackEvent
from .http import HttpRequest


class PaperId(NativeShell[PaperIdConfig, _native.PaperId]):
    """The Paper.id callback shell."""

    __slots__ = ()

    def __init__(self, config: Optional[PaperIdConfig] = None) -> None:
        super().__init__(_native.PaperId, PaperIdConfig() if config is None else config, PaperIdConfig)

    def verify_callback(
        self, headers: HeadersLike, body: bytes, source_address: Optional[str] = None
    ) -> PayoutEvent:
        """Runs the configured checks, then parses the RAW body. ``source_address`` is the
        peer address you saw (the TCP peer, or what your trusted proxy reports), never a header
        the sender controls."""
        return self._inner.verify_callback(headers, source_address, raw_body(body))

    def parse_callback_unverified(self, body: bytes) -> PayoutEvent:
        """No authenticity check: the event says ``unverified`` and ``requires_query``."""
        return self._inner.parse_callback_unverified(raw_body(body))

    def callback_acknowledgement(self, error: Optional[KirimError] = None) -> Acknowledgement:
        return self._inner.callback_acknowledgement(error_to_core(error))

    def handle_callback(
        self, headers: HeadersLike, body: bytes, source_address: Optional[str] = None
    ) -> CallbackHandling:
        """``verify_callback`` and ``callback_acknowledgement`` in one call; never raises for a
        bad callback."""
        event, error, ack = self._inner.handle_callback(headers, source_address, raw_body(body))
        return CallbackHandling(
            event=None if event is None else event,
            error=error_from_core(error),
            acknowledgement=ack,
        )

    def test_callback(
        self, token: SecretLike, event: TestCallbackEvent, url: Optional[str] = None
    ) -> HttpRequest:
        """The payout callback Paper.id would send for ``event``, with ``token`` in the
        configured ``callback_token_header``: feed it to your handler in a test."""
        if not isinstance(event, TestCallbackEvent):
            raise TypeError("event is a kirim.TestCallbackEvent")
        return self._inner.test_callback(Secret(token).expose_secret(), event, url)


__all__ = ["PaperIdConfig", "CallbackHandling", "PaperId"]

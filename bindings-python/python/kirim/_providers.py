"""Generated from kirim's core by core/tests/python_declarations.rs: every registered
provider's module, shell class and configuration, as the package exports them, and the
types generated for each. Do not edit: register the provider in
core/src/providers/mod.rs, then run KIRIM_BLESS=1 cargo test -p kirim --features
ts,python --test python_declarations."""

from __future__ import annotations

from typing import Dict, Tuple

from . import gateway, paperid, pivot
from .gateway import Gateway, GatewayConfig
from .paperid import PaperId, PaperIdConfig
from .pivot import Pivot, PivotConfig

__all__ = [
    "pivot",
    "Pivot",
    "PivotConfig",
    "gateway",
    "Gateway",
    "GatewayConfig",
    "paperid",
    "PaperId",
    "PaperIdConfig",
]

# The types generated for each provider (in kirim._enums and kirim._declared), which its
# module re-exports (tests/test_core_agreement.py checks that it does).
DECLARED: Dict[str, Tuple[str, ...]] = {
    "pivot": (
        "BatchStatus",
        "CallbackHandling",
        "CreateAttempt",
        "CreatePayoutOutcome",
        "InquiryInput",
        "InquiryResult",
        "InquiryStatus",
        "NameSource",
        "PivotConfig",
    ),
    "gateway": (
        "CreateWithdrawOutcome",
        "GatewayConfig",
        "HexCase",
        "KeyJoin",
        "NotificationHandling",
        "QueryFilter",
        "SignType",
        "Signature",
    ),
    "paperid": (
        "PaperIdConfig",
    ),
}

"""The order of ``unfinished()``, the same in every store and language (bindings-mobile's
DriverTest and tests/scale/test_postgres.py check theirs): payouts due now (no ``next_due``)
first, then by ``next_due``, then by reference."""

from __future__ import annotations

from typing import Callable

import pytest

from kirim.store import OPEN, MemoryStore, PayoutRecord, SQLiteStore, Store


@pytest.mark.parametrize("make", [MemoryStore, lambda: SQLiteStore(":memory:")], ids=["memory", "sqlite"])
def test_unfinished_lists_what_is_due_now_first(make: Callable[[], Store]) -> None:
    store = make()
    for reference, due in [("B", 200), ("A", None), ("C", 100), ("D", None)]:
        store.save(PayoutRecord(reference, "pivot", "{}", "{}", OPEN, "pending", due))
    store.save(PayoutRecord("E", "pivot", "{}", "{}", "done", "succeeded", None))
    assert [r.reference for r in store.unfinished()] == ["A", "D", "C", "B"]

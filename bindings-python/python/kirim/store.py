"""Where the driver keeps each payout: its snapshot (the machine's whole state), its order, its
status, when it is next due, and its history of observations. ``SQLiteStore`` (the standard
library's ``sqlite3``) is the default and survives the process; ``MemoryStore`` is for tests and
for edge workers whose state lives elsewhere: it forgets everything when the process ends."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Protocol, Tuple

try:
    import fcntl
except ImportError:  # not POSIX (Windows): no guard against a second process there
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "Decide",
    "MemoryStore",
    "Observation",
    "PayoutRecord",
    "Read",
    "SQLiteStore",
    "Store",
    "StoreInUseError",
    "SubmissionConflictError",
    "insert_new",
]


class StoreInUseError(RuntimeError):
    """A driver in another process (or another ``SQLiteStore`` of this one) is running on this
    database: run one driver process per database, through one store (two would each run the
    same unfinished payouts, unaware of each other)."""


# (process id, real path of a claimed ``<path>.lock``) -> the SQLiteStore holding it. A POSIX
# record lock belongs to the whole process and ends when ANY descriptor of the process on that
# file is closed: so one store of a process holds each file, through one descriptor, and no other
# store of the process ever opens it. The pid keeps a forked child (which inherits this dict, not
# the lock) from believing it holds the file.
_CLAIMED: Dict[Tuple[int, str], "SQLiteStore"] = {}
_CLAIMED_LOCK = threading.Lock()

#: ``PayoutRecord.state`` of a payout the driver still runs.
OPEN = "open"


@dataclass(frozen=True)
class PayoutRecord:
    """One payout as stored. ``state``: ``open`` (still driven), ``done`` or
    ``manual_reconciliation`` (final); ``status``: the machine's payout status; ``result``: the
    final action in the core's JSON form."""

    reference: str
    provider: str
    order_json: str
    snapshot: str
    state: str
    status: str
    next_due: Optional[int] = None
    payout_id: Optional[str] = None
    result: Optional[str] = None


@dataclass(frozen=True)
class Observation:
    """One entry of a payout's history: ``kind`` (``send``, ``response``, ``callback``,
    ``action``) and what was seen, in words or the core's JSON."""

    reference: str
    at: int
    kind: str
    detail: str


#: A read of the store (``load`` or ``find_by_reference``), as ``insert_submitted`` hands it out.
Read = Callable[[str], Optional[PayoutRecord]]
#: What ``insert_submitted`` asks before inserting: ``decide(load, find_by_reference)`` is the
#: core's ``check_submission`` on those reads: ``"new"`` or ``"already_stored"``, or it raises
#: the core's refusal (``invalid_field``).
Decide = Callable[[Read, Read], str]


class Store(Protocol):
    """What ``Driver`` needs of a store. ``save`` writes the snapshots of payouts the driver
    holds; a NEW payout is never written with ``save`` when the store has
    ``insert_submitted(record, decide) -> bool`` (every store of kirim has it): it must ask
    ``decide`` with reads that no other writer can change before the insert (one transaction
    that serializes submissions, or a lock when the store is one process's memory), insert the
    row only if its reference is absent (never replace one), and when the reference turns out
    taken, ask ``decide`` again with fresh reads (``insert_new`` does exactly that). True: inserted;
    False: already stored (nothing written); a refusal ``decide`` raises writes nothing. A
    store without it still works, but its submissions are checked and saved under this
    process's lock only: another process storing the same reference in between is overwritten
    (a driver's first such submission warns, ``UserWarning``)."""

    def save(self, record: PayoutRecord) -> None:
        """Inserts or replaces the payout (durably, before it returns)."""

    def load(self, reference: str) -> Optional[PayoutRecord]: ...

    def find_by_reference(self, reference: str) -> Optional[PayoutRecord]:
        """The payout whose order names ``reference``: the payout of that reference, else the one
        with an item of that reference (a Pivot batch: a callback may name only its items; the
        first payout saved with an item's reference keeps it)."""

    def find_by_payout_id(self, payout_id: str) -> Optional[PayoutRecord]: ...

    def unfinished(self) -> List[PayoutRecord]:
        """Every payout still ``open``, in the order every store and language keeps: those due
        now first (no ``next_due``: just submitted), then by ``next_due`` (a payout with a
        request to send is due at the time it was stored), then by reference."""

    def observe(self, observation: Observation) -> None: ...

    def history(self, reference: str) -> List[Observation]: ...

    # Optional: ``claim()``, a context manager ``Driver`` holds while it runs or stores a callback
    # (one driver process per database); it raises ``StoreInUseError`` while another holds it.


class SubmissionConflictError(RuntimeError):
    """A store's insert found the reference taken, yet its reads, asked again, do not find the
    payout: the store's reads and its insert disagree (a custom store's defect). Nothing was
    written."""


def insert_new(record: PayoutRecord, decide: Decide, load: Read, find_by_reference: Read,
               insert_if_absent: Callable[[PayoutRecord], bool]) -> bool:
    """The submission of a new payout, for a store's ``insert_submitted`` (called inside its
    transaction or under its lock, with reads of that transaction): the core's decision,
    then an insert that never replaces a row. When the insert finds the reference taken (a
    writer the store does not serialize with, e.g. another process writing without the store's
    transaction), the core decides again from fresh reads: the identical order is already
    stored (False), another is refused; the stored row is never touched."""
    if decide(load, find_by_reference) != "new":
        return False
    if insert_if_absent(record):
        return True
    if decide(load, find_by_reference) != "new":
        return False
    raise SubmissionConflictError(
        f"the reference {record.reference!r} is taken in the store, but its reads do not find the payout "
        "holding it: nothing was written (check the store's load and find_by_reference)"
    )


def references_of(record: PayoutRecord) -> List[str]:
    """The references a callback may name for the payout: its own, then its items' (as the
    order the core wrote into ``order_json`` lists them)."""
    order = json.loads(record.order_json)
    references = [record.reference]
    for item in order.get("items") or ():
        if item["reference"] not in references:
            references.append(item["reference"])
    return references


SCHEMA = """
CREATE TABLE IF NOT EXISTS kirim_payouts (
    reference  TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    order_json TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    state      TEXT NOT NULL,
    status     TEXT NOT NULL,
    next_due   INTEGER,
    payout_id  TEXT,
    result     TEXT
);
CREATE INDEX IF NOT EXISTS kirim_payouts_open ON kirim_payouts (state, next_due);
CREATE INDEX IF NOT EXISTS kirim_payouts_payout_id ON kirim_payouts (payout_id);
CREATE TABLE IF NOT EXISTS kirim_observations (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kirim_observations_reference ON kirim_observations (reference, id);
CREATE TABLE IF NOT EXISTS kirim_payout_references (
    reference TEXT PRIMARY KEY,
    payout    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kirim_payout_references_payout ON kirim_payout_references (payout);
"""

_COLUMNS = "reference, provider, order_json, snapshot, state, status, next_due, payout_id, result"


def record_values(record: PayoutRecord) -> Tuple[object, ...]:
    """The record's fields in ``_COLUMNS`` order (the dataclass declares them in that order)."""
    return dataclasses.astuple(record)


class SqlTables:
    """The queries over ``kirim_payouts`` and ``kirim_observations`` that SQLiteStore and
    kirim.postgres.PostgresStore share; each sets ``_db`` (a DB-API connection in autocommit),
    ``_lock`` (held around every statement) and its dialect: ``_PARAM``, the placeholder,
    ``_OPEN_ORDER``, the order of ``unfinished()``, and ``_INSERT_REFERENCE``, which indexes a
    payout's reference unless another payout has it already."""

    _PARAM = "?"
    _OPEN_ORDER = "next_due IS NOT NULL, next_due, reference"
    # OR IGNORE, not ON CONFLICT: the sqlite3 of older systems (Amazon Linux 2) predates upserts.
    _INSERT_REFERENCE = "INSERT OR IGNORE INTO kirim_payout_references (reference, payout) VALUES (?, ?)"
    # A new payout's row, never replacing one under its reference.
    _INSERT_PAYOUT = f"INSERT OR IGNORE INTO kirim_payouts ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)"
    _db: Any
    _lock: threading.Lock

    def _params(self, count: int) -> str:
        return ",".join([self._PARAM] * count)

    def _record_where(self, column: str, value: str) -> Optional[PayoutRecord]:
        with self._lock:
            return self._record_where_held(column, value)

    def _record_where_held(self, column: str, value: str) -> Optional[PayoutRecord]:
        """``_record_where`` for a caller holding ``_lock`` (in its transaction)."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM kirim_payouts WHERE {column} = {self._PARAM} LIMIT 1", (value,)
        ).fetchone()
        return None if row is None else PayoutRecord(*row)

    def load(self, reference: str) -> Optional[PayoutRecord]:
        return self._record_where("reference", reference)

    def find_by_reference(self, reference: str) -> Optional[PayoutRecord]:
        with self._lock:
            return self._find_by_reference_held(reference)

    def _find_by_reference_held(self, reference: str) -> Optional[PayoutRecord]:
        """``find_by_reference`` for a caller holding ``_lock`` (in its transaction)."""
        # The payout's own reference first: found even in a row that a writer which keeps no
        # index (an older kirim, another language's store) saved.
        own = self._record_where_held("reference", reference)
        if own is not None:
            return own
        columns = ", ".join("p." + c for c in _COLUMNS.split(", "))
        row = self._db.execute(
            f"SELECT {columns} FROM kirim_payout_references r JOIN kirim_payouts p ON p.reference = r.payout"
            f" WHERE r.reference = {self._PARAM}",
            (reference,),
        ).fetchone()
        return None if row is None else PayoutRecord(*row)

    def find_by_payout_id(self, payout_id: str) -> Optional[PayoutRecord]:
        return self._record_where("payout_id", payout_id)

    def _insert_row(self, record: PayoutRecord) -> bool:
        """A new payout's row and its references, inside the caller's transaction (under
        ``_lock``); False (nothing written) when the reference is already stored."""
        cursor = self._db.execute(self._INSERT_PAYOUT, record_values(record))
        if cursor.rowcount != 1:
            return False
        self._insert_references(record)
        return True

    def _insert_new_held(self, record: PayoutRecord, decide: Decide) -> bool:
        """``insert_new`` with this store's reads, inside the caller's transaction."""
        return insert_new(
            record,
            decide,
            lambda reference: self._record_where_held("reference", reference),
            self._find_by_reference_held,
            self._insert_row,
        )

    def _insert_references(self, record: PayoutRecord) -> None:
        """Indexes the payout's references (in the caller's transaction, under ``_lock``)."""
        for reference in references_of(record):
            self._db.execute(self._INSERT_REFERENCE, (reference, record.reference))

    def unfinished(self) -> List[PayoutRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM kirim_payouts WHERE state = {self._PARAM} ORDER BY {self._OPEN_ORDER}",
                (OPEN,),
            ).fetchall()
        return [PayoutRecord(*row) for row in rows]

    def _insert_observation(self, observation: Observation, **more: object) -> None:
        columns = ["reference", "at", "kind", "detail", *more]
        with self._lock:
            self._db.execute(
                f"INSERT INTO kirim_observations ({', '.join(columns)}) VALUES ({self._params(len(columns))})",
                (observation.reference, observation.at, observation.kind, observation.detail, *more.values()),
            )

    def observe(self, observation: Observation) -> None:
        self._insert_observation(observation)

    def history(self, reference: str) -> List[Observation]:
        with self._lock:
            rows = self._db.execute(
                "SELECT reference, at, kind, detail FROM kirim_observations "
                f"WHERE reference = {self._PARAM} ORDER BY id",
                (reference,),
            ).fetchall()
        return [Observation(*row) for row in rows]


class SQLiteStore(SqlTables):
    """A SQLite file (``path``; ``":memory:"`` works too). Each write is committed before it
    returns (``synchronous=FULL``), so a snapshot saved before a send survives a kill. Safe to
    share between threads of one process."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._path = path
        # Resolved now: the same file however it is named, whatever the working directory later.
        self._lock_path = os.path.realpath(path + ".lock")
        self._claim_fd: Optional[int] = None
        self._claims = 0
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        # Payouts saved without their references indexed (before this table, or by a writer that
        # keeps none): indexed now (a write only when there are some).
        unindexed = (
            f"SELECT {_COLUMNS} FROM kirim_payouts p WHERE NOT EXISTS"
            " (SELECT 1 FROM kirim_payout_references r WHERE r.payout = p.reference)"
        )
        if self._db.execute(unindexed + " LIMIT 1").fetchone() is not None:
            with self._transaction():
                for row in self._db.execute(unindexed).fetchall():
                    self._insert_references(PayoutRecord(*row))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def save(self, record: PayoutRecord) -> None:
        with self._transaction():
            self._db.execute(
                f"INSERT OR REPLACE INTO kirim_payouts ({_COLUMNS}) VALUES ({self._params(9)})",
                record_values(record),
            )
            self._insert_references(record)

    def insert_submitted(self, record: PayoutRecord, decide: Decide) -> bool:
        """A new payout (``Store``'s ``insert_submitted``): ``decide`` and the insert in one
        ``BEGIN IMMEDIATE`` transaction, so every other writer of the file (another store,
        another process) waits until it ends; the row is inserted only if its reference is
        absent, never replaced. True: inserted; False: already stored; a refusal writes
        nothing."""
        with self._transaction():
            return self._insert_new_held(record, decide)

    @contextlib.contextmanager
    def claim(self) -> Iterator[None]:
        """Held by ``Driver.run`` while it runs: one driver process per database. While another
        process holds it, this raises ``StoreInUseError`` at once, naming that process. It is an
        OS lock on ``<path>.lock`` (``lockf``), so it ends with its process, even one killed
        with SIGKILL, and a restarted process resumes. Other processes may still open the file
        to read it. Within one process, runs through the same store share the claim; another
        ``SQLiteStore`` of the same file is refused (``StoreInUseError``, naming the store that
        holds it) until that claim ends, and opening or closing it never lets the claim go."""
        if self._path == ":memory:" or fcntl is None:
            yield
            return
        key = (os.getpid(), self._lock_path)
        with _CLAIMED_LOCK:
            holder = _CLAIMED.get(key)
            if holder is not None and holder is not self:
                raise StoreInUseError(
                    f"{self._path} is in use by another SQLiteStore of this process ({holder!r}): "
                    "run one driver per database, through one store"
                )
            if holder is None:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    holder_pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                    os.close(fd)  # no store of this process holds the file: this releases nothing
                    raise StoreInUseError(
                        f"{self._path} is in use by a payout driver in another process (pid {holder_pid}): "
                        "run one driver process per database"
                    ) from None
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
                self._claim_fd = fd
                _CLAIMED[key] = self
            self._claims += 1
        try:
            yield
        finally:
            with _CLAIMED_LOCK:
                self._claims -= 1
                if self._claims == 0 and self._claim_fd is not None:
                    os.close(self._claim_fd)  # releases the lock
                    self._claim_fd = None
                    del _CLAIMED[key]

    def __repr__(self) -> str:
        return f"<SQLiteStore {self._path!r} at {id(self):#x}>"

    def close(self) -> None:
        with self._lock:
            self._db.close()


class MemoryStore:
    """Everything in this process's memory: for tests, and for edge workers that keep the
    snapshot elsewhere. NOT durable: a restarted process finds nothing, so it cannot resume a
    payout (use ``SQLiteStore`` or your own ``Store`` for that)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: Dict[str, PayoutRecord] = {}
        self._references: Dict[str, str] = {}
        self._history: List[Observation] = []

    def save(self, record: PayoutRecord) -> None:
        with self._lock:
            self._records[record.reference] = record
            for reference in references_of(record):
                self._references.setdefault(reference, record.reference)

    def insert_submitted(self, record: PayoutRecord, decide: Decide) -> bool:
        """A new payout (``Store``'s ``insert_submitted``): ``decide`` and the insert under
        the store's lock (one process: that is enough), the row inserted only if its reference
        is absent."""
        with self._lock:
            return insert_new(record, decide, self._records.get, self._find_by_reference_held, self._insert_held)

    def _insert_held(self, record: PayoutRecord) -> bool:
        if record.reference in self._records:
            return False
        self._records[record.reference] = record
        for reference in references_of(record):
            self._references.setdefault(reference, record.reference)
        return True

    def load(self, reference: str) -> Optional[PayoutRecord]:
        with self._lock:
            return self._records.get(reference)

    def find_by_reference(self, reference: str) -> Optional[PayoutRecord]:
        with self._lock:
            return self._find_by_reference_held(reference)

    def _find_by_reference_held(self, reference: str) -> Optional[PayoutRecord]:
        payout = reference if reference in self._records else self._references.get(reference)
        return None if payout is None else self._records.get(payout)

    def find_by_payout_id(self, payout_id: str) -> Optional[PayoutRecord]:
        with self._lock:
            return next((r for r in self._records.values() if r.payout_id == payout_id), None)

    def unfinished(self) -> List[PayoutRecord]:
        with self._lock:
            open_ = [r for r in self._records.values() if r.state == OPEN]
        return sorted(open_, key=lambda r: (r.next_due is not None, r.next_due or 0, r.reference))

    def observe(self, observation: Observation) -> None:
        with self._lock:
            self._history.append(observation)

    def history(self, reference: str) -> List[Observation]:
        with self._lock:
            return [o for o in self._history if o.reference == reference]

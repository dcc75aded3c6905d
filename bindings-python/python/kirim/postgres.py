"""PostgreSQL as the store of many workers (processes, machines) driving payouts together, and
as the inbox of the web processes receiving their callbacks. Needs psycopg 3
(``pip install 'kirim[postgres]'``); the rest of kirim does not.

- ``PostgresStore``: the schema (``migrate``, versioned), and a ``kirim.store.Store``, so a single
  ``Driver`` can use it like ``SQLiteStore`` (its ``claim()`` keeps a second driver, and any
  worker, off the database while it runs).
- ``Worker``: claims due payouts with ``SELECT ... FOR UPDATE SKIP LOCKED`` under a lease (owner
  + expiry, in the database's clock), drives each until it waits or ends, and releases it. Every
  snapshot write checks the lease in the same statement: a worker that lost its lease raises
  ``LeaseLost`` before sending anything more. A crashed worker's payouts are claimed by another
  once its lease expires.
- ``CallbackInbox``: what a web process calls with each callback; the core verifies it, and the
  callback is committed to the inbox BEFORE the acknowledgement is returned, so none is lost if
  the process dies after answering. The worker that holds the payout applies it (verified by
  the core again); one for a payout that has ended is recorded settled (``after_end``), as
  ``Driver`` leaves an ended payout as it is.

The schema and the guarantees are in docs/postgres.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import socket
import sys
import threading
import uuid
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import psycopg
from psycopg.types.json import Jsonb

from ._errors import KirimError
from .driver import DEFAULT_TIMEOUT_SECONDS, Driver, _check_submission, _refusal_detail, _timeout_seconds
from .http import Acknowledgement, Header, HeadersLike
from .lifecycle import Action, ConfigLike, PayoutLifecycle, PayoutOrder
from .store import _COLUMNS, OPEN, Decide, Observation, PayoutRecord, SqlTables, StoreInUseError, record_values

__all__ = ["CallbackInbox", "LeaseLost", "MIGRATIONS", "PostgresStore", "Worker", "migrate"]

#: The schema, one migration per version, applied in order by ``migrate`` (never edited once
#: released: a change is a new version).
MIGRATIONS: Tuple[Tuple[int, str], ...] = (
    (
        1,
        """
CREATE TABLE kirim_payouts (
    reference     text PRIMARY KEY,
    provider      text NOT NULL,
    order_json    text NOT NULL,
    snapshot      text NOT NULL,
    state         text NOT NULL CHECK (state IN ('open', 'done', 'manual_reconciliation')),
    status        text NOT NULL,
    next_due      bigint,
    payout_id     text,
    result        text,
    lease_owner   text,
    lease_expires timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX kirim_payouts_due ON kirim_payouts (next_due) WHERE state = 'open';
CREATE INDEX kirim_payouts_payout_id ON kirim_payouts (payout_id);
CREATE TABLE kirim_observations (
    id        bigserial PRIMARY KEY,
    reference text NOT NULL,
    at        bigint NOT NULL,
    kind      text NOT NULL,
    detail    text NOT NULL,
    worker    text
);
CREATE INDEX kirim_observations_reference ON kirim_observations (reference, id);
CREATE TABLE kirim_inbox (
    id          bigserial PRIMARY KEY,
    reference   text NOT NULL,
    provider    text NOT NULL,
    headers     jsonb NOT NULL,
    body        bytea NOT NULL,
    received_at bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_at  timestamptz,
    applied_by  text
);
CREATE INDEX kirim_inbox_pending ON kirim_inbox (reference, id) WHERE applied_at IS NULL;
""",
    ),
    (
        2,
        # Every reference a callback may name for a payout: its own and, for a Pivot batch, its
        # items' (a bulk callback may name only the items, before the payout id is stored).
        # The payouts stored before are indexed here, own reference first.
        """
CREATE TABLE kirim_payout_references (
    reference text PRIMARY KEY,
    payout    text NOT NULL
);
INSERT INTO kirim_payout_references (reference, payout)
    SELECT reference, reference FROM kirim_payouts ON CONFLICT (reference) DO NOTHING;
INSERT INTO kirim_payout_references (reference, payout)
    SELECT item ->> 'reference', p.reference
    FROM kirim_payouts p
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(p.order_json::jsonb -> 'items') = 'array'
             THEN p.order_json::jsonb -> 'items' ELSE '[]'::jsonb END) AS item
    WHERE item ->> 'reference' IS NOT NULL
    ORDER BY p.reference
    ON CONFLICT (reference) DO NOTHING;
""",
    ),
    (
        3,
        # When a worker set the payout aside (its snapshot refused by the core); NULL once a
        # snapshot is written again. A set-aside payout is due at next_due only: its waiting
        # callbacks do not make it due (they are kept for when it is fixed).
        """
ALTER TABLE kirim_payouts ADD COLUMN set_aside_at timestamptz;
""",
    ),
    (
        4,
        # A callback whose payout had ended before it was applied (its events change nothing; its
        # `callback` line in the history is the provider's word): no longer pending, marked
        # `after_end`. The ones left pending before are settled here.
        """
ALTER TABLE kirim_inbox ADD COLUMN after_end boolean NOT NULL DEFAULT false;
UPDATE kirim_inbox SET applied_at = clock_timestamp(), after_end = true
    WHERE applied_at IS NULL
    AND reference IN (SELECT reference FROM kirim_payouts WHERE state <> 'open');
""",
    ),
)

# How long a payout whose snapshot the core refuses is set aside before a worker tries again.
RESTORE_RETRY_SECONDS = 3600

# Serializes concurrent ``migrate`` calls (any constant; "kirim" in ASCII).
_MIGRATION_LOCK = 0x6B6972696D
# Held while payouts are driven (``PostgresStore.claim``): exclusively by a Driver, shared by
# Workers ("kirimd" in ASCII).
_DRIVING_LOCK = 0x6B6972696D64
# Held for the transaction of ``PostgresStore.insert_submitted``: one submission at a time, so
# two orders sharing a reference cannot both find it free ("kirims" in ASCII).
_SUBMIT_LOCK = 0x6B6972696D73


class LeaseLost(Exception):
    """The worker no longer holds the payout (its lease expired and another worker may have
    claimed it): nothing was written, and the worker must drop the payout."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"lease on {reference!r} lost: the payout is dropped, nothing more is sent")
        self.reference = reference


def migrate(conn: "psycopg.Connection[Any]") -> List[int]:
    """Brings the schema to the latest version; returns the versions applied now (none when it
    is up to date). Safe to run concurrently and repeatedly: one transaction under an advisory
    lock, each version recorded in ``kirim_schema``."""
    applied_now = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS kirim_schema ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM kirim_schema").fetchall()}
        for version, sql in MIGRATIONS:
            if version in done:
                continue
            conn.execute(sql.encode())
            conn.execute("INSERT INTO kirim_schema (version) VALUES (%s)", (version,))
            applied_now.append(version)
    return applied_now


class PostgresStore(SqlTables):
    """A PostgreSQL database (``conninfo``: a libpq connection string or URI). One connection,
    autocommit, shared by the threads of a process under a lock; each write is committed before
    it returns. ``migrate=True`` (default) applies the schema's migrations first.

    As a ``kirim.store.Store`` (``save`` replaces unconditionally) it serves ONE driver, which
    holds ``claim()`` while it runs; many workers use ``Worker``, whose writes go through the
    lease, and which hold ``claim(shared=True)``."""

    _PARAM = "%s"
    _OPEN_ORDER = "next_due NULLS FIRST, reference"
    _INSERT_REFERENCE = (
        "INSERT INTO kirim_payout_references (reference, payout) VALUES (%s, %s) ON CONFLICT (reference) DO NOTHING"
    )
    _INSERT_PAYOUT = (
        f"INSERT INTO kirim_payouts ({_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (reference) DO NOTHING"
    )

    def __init__(self, conninfo: str, *, migrate: bool = True) -> None:
        self._lock = threading.Lock()
        self._db: "psycopg.Connection[Any]" = psycopg.connect(conninfo, autocommit=True)
        self._claims = {False: 0, True: 0}  # exclusive, shared: this store's holds of the lock
        if migrate:
            self.migrate()

    @contextlib.contextmanager
    def claim(self, *, shared: bool = False) -> Iterator[None]:
        """Held while payouts are driven: by ``Driver.run`` (and ``Driver.handle_callback``)
        exclusively, one driver per database, since its writes ignore leases; by each
        ``Worker`` shared, so workers run together but never beside a driver. Refused at once
        with ``kirim.store.StoreInUseError``, naming the holder's PostgreSQL backend, while the
        other kind is held (another process, or another ``PostgresStore`` of this one). A
        session-level advisory lock on this store's connection: it ends with the connection, so
        with a process killed with SIGKILL too. Nested holds of one store share it."""
        with self._lock:
            if self._claims[shared] == 0:
                function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
                row = self._db.execute(f"SELECT {function}(%s)", (_DRIVING_LOCK,)).fetchone()
                if row is None or not row[0]:
                    raise StoreInUseError(self._holders_message())
            self._claims[shared] += 1
        try:
            yield
        finally:
            with self._lock:
                self._claims[shared] -= 1
                if self._claims[shared] == 0 and not self._db.closed:
                    function = "pg_advisory_unlock_shared" if shared else "pg_advisory_unlock"
                    self._db.execute(f"SELECT {function}(%s)", (_DRIVING_LOCK,))

    def _holders_message(self) -> str:
        """Who holds the driving lock (under ``_lock``)."""
        rows = self._db.execute(
            "SELECT l.mode, a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local')"
            " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid::bigint = %s AND l.objid::bigint = %s ORDER BY a.pid",
            (_DRIVING_LOCK >> 32, _DRIVING_LOCK & 0xFFFFFFFF),
        ).fetchall()
        drivers = [r for r in rows if r[0] == "ExclusiveLock"]
        if drivers:
            _, pid, application, client = drivers[0]
            holder = f"a payout driver (PostgreSQL backend pid {pid}, application {application!r}, client {client})"
        else:
            holder = f"{len(rows)} worker(s) (PostgreSQL backend pids {', '.join(str(r[1]) for r in rows)})"
        return (
            f"the database is in use by {holder}: run one Driver per database, "
            "or Workers (any number), never both"
        )

    def migrate(self) -> List[int]:
        with self._lock:
            return migrate(self._db)

    # ---- kirim.store.Store ---------------------------------------------------------------

    def save(self, record: PayoutRecord) -> None:
        with self._lock, self._db.transaction():
            self._db.execute(
                f"INSERT INTO kirim_payouts ({_COLUMNS}) VALUES ({self._params(9)}) "
                "ON CONFLICT (reference) DO UPDATE SET provider = excluded.provider,"
                " order_json = excluded.order_json, snapshot = excluded.snapshot, state = excluded.state,"
                " status = excluded.status, next_due = excluded.next_due, payout_id = excluded.payout_id,"
                " result = excluded.result, updated_at = clock_timestamp()",
                record_values(record),
            )
            self._insert_references(record)

    def observe(self, observation: Observation, worker: Optional[str] = None) -> None:
        self._insert_observation(observation, worker=worker)

    # ---- many workers --------------------------------------------------------------------

    def insert_submitted(self, record: PayoutRecord, decide: Decide) -> bool:
        """Adds a new payout (``kirim.store.Store``'s ``insert_submitted``, used by ``Driver``
        and ``Worker``) if ``decide(load, find_by_reference)`` (the core's
        ``check_submission``, asked with this transaction's reads) says ``"new"``; False
        (nothing changed) for ``"already_stored"``; a refusal it raises rolls back. The reads and
        the insert are one transaction under a transaction-level advisory lock, so concurrent
        submissions (any worker, any process) are decided one after the other: two orders
        sharing a reference cannot both find it free. The insert never replaces a row: when a
        writer outside that lock (another language's store, SQL by hand) stored the reference
        meanwhile, the core decides again from fresh reads (``kirim.store.insert_new``)."""
        with self._lock, self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SUBMIT_LOCK,))
            return self._insert_new_held(record, decide)

    def claim_due(self, owner: str, now: int, lease_seconds: float) -> Optional[PayoutRecord]:
        """One open payout that is due at ``now`` (or has a callback waiting, unless it was set
        aside) and that no live lease holds, now leased to ``owner`` until the database's clock
        passes ``lease_seconds``; None when there is none. ``FOR UPDATE SKIP LOCKED``: concurrent
        claims never wait for each other and never take the same row."""
        with self._lock:
            row = self._db.execute(
                "WITH due AS ("
                " SELECT reference FROM kirim_payouts p"
                " WHERE state = 'open'"
                " AND (lease_expires IS NULL OR lease_expires < clock_timestamp())"
                " AND (next_due IS NULL OR next_due <= %(now)s OR (set_aside_at IS NULL AND EXISTS ("
                "   SELECT 1 FROM kirim_inbox i WHERE i.reference = p.reference AND i.applied_at IS NULL)))"
                " ORDER BY next_due NULLS FIRST LIMIT 1"
                " FOR UPDATE SKIP LOCKED)"
                " UPDATE kirim_payouts p SET lease_owner = %(owner)s,"
                " lease_expires = clock_timestamp() + %(lease)s * interval '1 second'"
                " FROM due WHERE p.reference = due.reference"
                f" RETURNING {', '.join('p.' + c for c in _COLUMNS.split(', '))}",
                {"now": now, "owner": owner, "lease": lease_seconds},
            ).fetchone()
        return None if row is None else PayoutRecord(*row)

    def save_leased(
        self, owner: str, record: PayoutRecord, lease_seconds: float, applied_callbacks: Sequence[int] = ()
    ) -> bool:
        """Writes the payout only if ``owner``'s lease on it is still live (checked in the same
        statement, so no other worker can have claimed it in between), extends the lease and
        marks ``applied_callbacks`` (inbox ids whose events the snapshot includes) applied, all
        in one transaction. A record that has ended settles the payout's other waiting callbacks
        in that transaction (``after_end``: its machine has ended, their events change nothing;
        their ``callback`` lines are in the history since they were recorded), so none is left
        pending for a payout no worker claims again. False: the lease is lost and nothing was
        written."""
        with self._lock, self._db.transaction():
            cursor = self._db.execute(
                "UPDATE kirim_payouts SET snapshot = %(snapshot)s, state = %(state)s, status = %(status)s,"
                " next_due = %(next_due)s, payout_id = %(payout_id)s, result = %(result)s, set_aside_at = NULL,"
                " updated_at = clock_timestamp(), lease_expires = clock_timestamp() + %(lease)s * interval '1 second'"
                " WHERE reference = %(reference)s AND lease_owner = %(owner)s AND lease_expires > clock_timestamp()",
                {**dataclasses.asdict(record), "lease": lease_seconds, "owner": owner},
            )
            if cursor.rowcount != 1:
                return False
            if applied_callbacks:
                self._db.execute(
                    "UPDATE kirim_inbox SET applied_at = clock_timestamp(), applied_by = %s WHERE id = ANY(%s)",
                    (owner, list(applied_callbacks)),
                )
            if record.state != OPEN:
                # One recorded after the machine read the inbox last (record_callback waits for
                # this transaction, so it sees either this row open or the payout ended).
                self._db.execute(
                    "UPDATE kirim_inbox SET applied_at = clock_timestamp(), after_end = true"
                    " WHERE reference = %s AND applied_at IS NULL",
                    (record.reference,),
                )
            return True

    def set_aside(self, owner: str, reference: str, next_due: int) -> bool:
        """Sets the payout aside until ``next_due`` (only if ``owner``'s lease on it is live): its
        waiting callbacks no longer make it due, and stay in the inbox. False: the lease is lost."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE kirim_payouts SET next_due = %s, set_aside_at = clock_timestamp(),"
                " updated_at = clock_timestamp()"
                " WHERE reference = %s AND lease_owner = %s AND lease_expires > clock_timestamp()",
                (next_due, reference, owner),
            )
            return cursor.rowcount == 1

    def release(self, owner: str, reference: str) -> None:
        """Gives the payout back (only if ``owner`` still holds it)."""
        with self._lock:
            self._db.execute(
                "UPDATE kirim_payouts SET lease_owner = NULL, lease_expires = NULL"
                " WHERE reference = %s AND lease_owner = %s",
                (reference, owner),
            )

    def idle(self, now: int) -> Tuple[bool, Optional[int], Optional[float]]:
        """Whether any payout is still open; the earliest due time of the open payouts no live
        lease holds; seconds until the first live lease expires (database clock)."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) > 0,"
                " min(next_due) FILTER (WHERE lease_expires IS NULL OR lease_expires < clock_timestamp()),"
                " extract(epoch FROM min(lease_expires) FILTER (WHERE lease_expires >= clock_timestamp())"
                "   - clock_timestamp())::float8"
                " FROM kirim_payouts WHERE state = 'open'"
            ).fetchone()
        assert row is not None
        return bool(row[0]), row[1], row[2]

    def record_callback(
        self,
        provider: str,
        headers: HeadersLike,
        body: bytes,
        references: Sequence[str],
        received_at: int,
        lines: Sequence[Observation] = (),
        worker: Optional[str] = None,
    ) -> None:
        """Commits a verified callback to the inbox with its ``lines`` in the payouts' history
        (observed by ``worker``), one transaction: a failure in between cannot leave a line
        without its row, written again when the provider, never answered, sends it again. One
        row per payout it concerns: pending, for
        the worker holding the payout to apply; or, when the payout has ended, settled at once
        (``after_end``: as ``Driver.handle_callback``, its events change nothing, and its
        ``callback`` line in the history is what remains of it). The payout's row is read
        ``FOR SHARE``: a worker's final save in progress is waited for, so the row is either
        recorded before it (and settled by it) or sees the payout ended, never left pending."""
        pairs = _header_pairs(headers)
        with self._lock, self._db.transaction():
            for reference in sorted(references):  # one lock order for every process
                row = self._db.execute(
                    "SELECT state FROM kirim_payouts WHERE reference = %s FOR SHARE", (reference,)
                ).fetchone()
                ended = row is not None and row[0] != OPEN
                self._db.execute(
                    "INSERT INTO kirim_inbox (reference, provider, headers, body, received_at, applied_at, after_end)"
                    " VALUES (%s,%s,%s,%s,%s, CASE WHEN %s THEN clock_timestamp() END, %s)",
                    (reference, provider, Jsonb(pairs), bytes(body), received_at, ended, ended),
                )
            for line in lines:
                self._db.execute(
                    "INSERT INTO kirim_observations (reference, at, kind, detail, worker) VALUES (%s,%s,%s,%s,%s)",
                    (line.reference, line.at, line.kind, line.detail, worker),
                )

    def pending_callbacks(self, reference: str) -> List[Tuple[int, str, List[Tuple[str, str]], bytes]]:
        """The payout's callbacks not yet applied, oldest first: (id, provider, headers, body)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, provider, headers, body FROM kirim_inbox"
                " WHERE reference = %s AND applied_at IS NULL ORDER BY id",
                (reference,),
            ).fetchall()
        return [(row[0], row[1], [(str(k), str(v)) for k, v in row[2]], bytes(row[3])) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _header_pairs(headers: HeadersLike) -> List[List[str]]:
    if isinstance(headers, Mapping):
        return [[str(k), str(v)] for k, v in headers.items()]
    pairs = []
    for header in headers:
        if isinstance(header, Header):
            pairs.append([header.name, header.value])
        else:
            pairs.append([str(header[0]), str(header[1])])
    return pairs


class _Leased:
    """The ``Store`` a worker's driver writes through: every save goes through the lease
    (``LeaseLost`` when it is gone) and carries the inbox ids applied since the last save."""

    def __init__(self, pg: PostgresStore, owner: str, lease_seconds: float) -> None:
        self.pg = pg
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.applied: Dict[str, List[int]] = {}

    def save(self, record: PayoutRecord) -> None:
        applied = self.applied.get(record.reference, [])
        if not self.pg.save_leased(self.owner, record, self.lease_seconds, applied):
            raise LeaseLost(record.reference)
        applied.clear()

    def load(self, reference: str) -> Optional[PayoutRecord]:
        return self.pg.load(reference)

    def find_by_reference(self, reference: str) -> Optional[PayoutRecord]:
        return self.pg.find_by_reference(reference)

    def find_by_payout_id(self, payout_id: str) -> Optional[PayoutRecord]:
        return self.pg.find_by_payout_id(payout_id)

    def unfinished(self) -> List[PayoutRecord]:
        return self.pg.unfinished()

    def observe(self, observation: Observation) -> None:
        self.pg.observe(observation, self.owner)

    def history(self, reference: str) -> List[Observation]:
        return self.pg.history(reference)


def default_owner() -> str:
    """host:pid:random, unique per worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker(Driver):
    """One of many workers over one ``PostgresStore``: ``run`` claims due payouts one at a time,
    restores each from its snapshot, applies its waiting callbacks, drives it until it waits or
    ends (the driver's own loop: snapshot before each send), and releases it.

    ``lease_seconds`` must exceed ``timeout_seconds``: a save renews the lease just before a
    send, so the lease cannot run out while a request is out (short of the process being frozen
    longer than that; even then the payout's idempotency key keeps a second create from paying
    twice). ``poll_seconds`` bounds an idle wait, so a callback recorded meanwhile is applied
    within it."""

    def __init__(
        self,
        providers: Mapping[str, ConfigLike],
        store: PostgresStore,
        *,
        owner: Optional[str] = None,
        lease_seconds: float = 120.0,
        poll_seconds: float = 1.0,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        **kwargs: Any,
    ) -> None:
        # The core's check, before it is compared: the seconds the transports will be given.
        if lease_seconds <= _timeout_seconds(timeout_seconds):
            raise ValueError("lease_seconds must exceed timeout_seconds (a lease must outlive a request)")
        self.owner = owner or default_owner()
        self._pg = store
        self._leased = _Leased(store, self.owner, lease_seconds)
        self._poll = poll_seconds
        super().__init__(providers, self._leased, timeout_seconds=timeout_seconds, **kwargs)

    def submit(self, provider: str, order: PayoutOrder, settings: Optional[Mapping[str, Any]] = None) -> str:
        """Adds a payout, due at once, unleased. As ``Driver.submit``: the identical order
        submitted again writes nothing; another order under a stored reference, or one whose
        reference or item's reference another stored payout uses, is refused (``invalid_field``)
        by the core's rule, the stored payout unchanged. The store's reads and the insert are one
        transaction, one submission at a time (``PostgresStore.insert_submitted``)."""
        now = self._clock.now()
        chosen = self._settings if settings is None else settings  # {}: the provider's defaults
        machine = PayoutLifecycle(provider, self._config(provider), order, chosen, now=now)
        reference = machine.reference
        state = machine.state()
        record = PayoutRecord(
            reference=reference,
            provider=machine.provider,
            order_json=json.dumps(machine.order(), ensure_ascii=False),
            snapshot=machine.snapshot(),
            state=OPEN,
            status=state.status.value,
            next_due=now,
        )
        if self._pg.insert_submitted(record, lambda load, find: _check_submission(machine, load, find)):
            self._observe(reference, now, "submitted", machine.idempotency_key)
        return reference

    def run_once(self) -> Optional[str]:
        """Claims one due payout and drives it until it waits or ends; its reference, or None
        when none was due."""
        with self._pg.claim(shared=True):
            return self._run_once()

    def _run_once(self) -> Optional[str]:
        record = self._pg.claim_due(self.owner, self._clock.now(), self._leased.lease_seconds)
        if record is None:
            return None
        reference = record.reference
        try:
            try:
                machine = self._restore(record)
            except KirimError as error:
                # A snapshot the core refuses (edited, or from a newer kirim; or another payout's,
                # which would be a second machine for it), or a provider this worker has no
                # configuration for, needs a person; set aside for an hour rather than crash
                # every worker that claims it (or claim it again at once for each callback
                # waiting: those stay for when it is fixed). The line is the Driver's.
                now = self._clock.now()
                self._observe(reference, now, "restore_refused", _refusal_detail(error))
                if not self._pg.set_aside(self.owner, reference, now + RESTORE_RETRY_SECONDS):
                    raise LeaseLost(reference) from None
                return reference
            self._machines[reference] = machine
            self._apply_inbox(reference)
            self._advance(reference)
        except LeaseLost:
            self._observe(reference, self._clock.now(), "lease_lost", self.owner)
        finally:
            self._machines.pop(reference, None)
            self._leased.applied.pop(reference, None)
            self._pg.release(self.owner, reference)
        return reference

    def run(
        self, references: Optional[List[str]] = None, *, until: Optional[Callable[[], bool]] = None
    ) -> Dict[str, Action]:
        """Works until ``until()`` is true, waiting for new payouts when none is open; without
        ``until``, until no payout of the store is open. ``references`` is not supported: a
        worker takes whatever is due."""
        if references is not None:
            raise ValueError("a Worker drives whatever payout is due; use Driver for a chosen few")
        with self._pg.claim(shared=True):
            return self._work(until)

    def _work(self, until: Optional[Callable[[], bool]]) -> Dict[str, Action]:
        while until is None or not until():
            if self.run_once() is not None:
                continue
            now = self._clock.now()
            any_open, due, lease_left = self._pg.idle(now)
            if not any_open and until is None:
                return {}
            waits = [self._poll]
            if due is not None:
                waits.append(max(due - now, 0))
            if lease_left is not None:
                waits.append(max(lease_left, 0.0))
            self._wake.clear()
            self._clock.sleep(min(waits), self._wake)
        return {}

    def handle_callback(self, provider: str, headers: HeadersLike, body: bytes) -> Acknowledgement:
        """As ``CallbackInbox.handle_callback``: committed to the inbox before it is
        acknowledged, applied by whichever worker holds the payout."""
        ack = _record_in_inbox(self, self._pg, provider, headers, body, self.owner)
        self._wake.set()
        return ack

    def _apply_callbacks(self) -> None:
        # Called by the driver's loop after each response: the inbox, not an in-process queue.
        for reference in list(self._machines):
            self._apply_inbox(reference)

    def _apply_inbox(self, reference: str) -> None:
        """Applies the payout's recorded callbacks to its machine, each verified by the core again;
        the next (leased) save marks them applied."""
        machine = self._machines[reference]
        for inbox_id, provider, headers, body in self._pg.pending_callbacks(reference):
            now = self._clock.now()
            events, error, _ = self._verify_callback(provider, headers, body)
            for event in events:
                if self._route(event) == reference:
                    verdict = machine.handle_event(event, now)
                    self._observe(reference, now, "verdict", verdict.value)
            if error is not None:
                self._observe(reference, now, "callback_refused", f"{provider}: {error.code}")
            self._leased.applied.setdefault(reference, []).append(inbox_id)


def _record_in_inbox(
    driver: Driver, pg: PostgresStore, provider: str, headers: HeadersLike, body: bytes, worker: Optional[str] = None
) -> Acknowledgement:
    """Verifies the callback, routes it and commits it to the inbox, one row per payout it
    concerns, with its ``callback`` lines in their history; returns the acknowledgement to send
    back."""
    now = driver._clock.now()
    lines: List[Observation] = []
    routed, ack = driver._accept_callback(provider, headers, body, now, lines)
    references = sorted({reference for reference, _ in routed})
    if references:
        # Committed before the answer goes back: a process dying after answering loses nothing.
        pg.record_callback(provider, headers, body, references, now, lines, worker)
    return ack


class CallbackInbox(Driver):
    """What each web process calls with each callback: verified by the core (a forged or
    unreadable one is refused and not recorded), routed to its payouts, committed to the inbox,
    and only then acknowledged. Drives nothing."""

    def __init__(self, providers: Mapping[str, ConfigLike], store: PostgresStore, **kwargs: Any) -> None:
        self._pg = store
        super().__init__(providers, store, **kwargs)

    def handle_callback(self, provider: str, headers: HeadersLike, body: bytes) -> Acknowledgement:
        return _record_in_inbox(self, self._pg, provider, headers, body)

    def run(self, references: Optional[List[str]] = None) -> Dict[str, Action]:
        raise TypeError("a CallbackInbox drives nothing: run Worker processes")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kirim.postgres", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["migrate"])
    parser.add_argument("conninfo", help="libpq connection string or URI")
    args = parser.parse_args(argv)
    with psycopg.connect(args.conninfo, autocommit=True) as conn:
        applied = migrate(conn)
    print(f"kirim schema: applied {applied}" if applied else "kirim schema: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

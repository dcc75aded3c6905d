// A SQLite file as the driver's store, through JDBC (java.sql, in the JDK). The JDBC driver is
// the host's to put on the classpath: Debian's libxerial-sqlite-jdbc-java
// (/usr/share/java/sqlite-jdbc.jar) is what bindings-mobile's tests use. The tables are the
// Python driver's (bindings-python/python/kirim/store.py), so both read the same file, plus
// kirim_payout_references: every reference a payout's order names (its own and a batch's items'),
// for routing a callback that names an item.
package kirim.driver

import java.io.File
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.channels.FileLock
import java.nio.channels.OverlappingFileLockException
import java.nio.file.Paths
import java.nio.file.StandardOpenOption
import java.sql.Connection
import java.sql.DriverManager
import java.sql.ResultSet
import java.sql.Types
import java.util.concurrent.ConcurrentHashMap
import kirim.core.Submission

/**
 * Each write is committed before it returns (`synchronous=FULL`; a payout and its references in
 * one transaction), so a snapshot saved before a send survives a kill. Safe to share between
 * threads of one process.
 */
class SqliteStore(private val path: String) : PayoutStore, AutoCloseable {
    private val db: Connection = DriverManager.getConnection("jdbc:sqlite:$path")
    private var claims = 0
    private var lockChannel: FileChannel? = null
    private var lock: FileLock? = null
    private var lockKey: String? = null
    private var lockHolder: String? = null

    init {
        db.createStatement().use { s ->
            s.execute("PRAGMA journal_mode=WAL")
            s.execute("PRAGMA synchronous=FULL")
            for (statement in SCHEMA) s.execute(statement)
            s.execute(INDEX_UNINDEXED)
        }
    }

    @Synchronized override fun save(record: PayoutRecord) = transaction {
        update(
            "INSERT OR REPLACE INTO kirim_payouts ($COLUMNS) VALUES (?,?,?,?,?,?,?,?,?)",
            record.reference, record.provider, record.orderJson, record.snapshot, record.state, record.status,
            record.nextDue, record.payoutId, record.result,
        )
        for (reference in listOf(record.reference) + record.itemReferences) {
            update("INSERT OR IGNORE INTO kirim_payout_references (reference, payout) VALUES (?,?)", reference, record.reference)
        }
    }

    /**
     * The check's reads and the insert in one `BEGIN IMMEDIATE` transaction: SQLite lets one
     * connection write at a time, and this one holds the write lock from before the reads, so no
     * other connection or process (another SqliteStore, Python's store, a direct write) stores a
     * row between them; it waits for the lock as long as SQLite's busy timeout. The insert is an
     * insert-if-absent all the same (`ON CONFLICT DO NOTHING`), decided again when it hits a row.
     */
    @Synchronized override fun insertSubmitted(
        record: PayoutRecord,
        decide: (load: (String) -> PayoutRecord?, findByReference: (String) -> PayoutRecord?) -> Submission,
    ): Boolean = immediateTransaction {
        if (decide(::load, ::findByReference) != Submission.NEW) return@immediateTransaction false
        if (insertIfAbsent(record)) return@immediateTransaction true
        decidedAgain(record.reference, decide(::load, ::findByReference))
    }

    /** [record] and its references, unless a row holds its reference: false then, nothing written. */
    private fun insertIfAbsent(record: PayoutRecord): Boolean {
        val inserted = update(
            "INSERT INTO kirim_payouts ($COLUMNS) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(reference) DO NOTHING",
            record.reference, record.provider, record.orderJson, record.snapshot, record.state, record.status,
            record.nextDue, record.payoutId, record.result,
        )
        if (inserted != 1) return false
        for (reference in listOf(record.reference) + record.itemReferences) {
            update("INSERT OR IGNORE INTO kirim_payout_references (reference, payout) VALUES (?,?)", reference, record.reference)
        }
        return true
    }

    @Synchronized override fun load(reference: String): PayoutRecord? =
        records("SELECT $COLUMNS FROM kirim_payouts WHERE reference = ?", reference).firstOrNull()

    @Synchronized override fun findByReference(reference: String): PayoutRecord? = records(
        "SELECT $COLUMNS FROM kirim_payouts WHERE reference = (SELECT payout FROM kirim_payout_references WHERE reference = ?)", reference,
    ).firstOrNull()

    @Synchronized override fun findByPayoutId(payoutId: String): PayoutRecord? =
        records("SELECT $COLUMNS FROM kirim_payouts WHERE payout_id = ?", payoutId).firstOrNull()

    @Synchronized override fun unfinished(): List<PayoutRecord> = records(
        "SELECT $COLUMNS FROM kirim_payouts WHERE state = ? ORDER BY next_due IS NOT NULL, next_due, reference", OPEN,
    )

    @Synchronized override fun observe(observation: Observation) {
        update(
            "INSERT INTO kirim_observations (reference, at, kind, detail) VALUES (?,?,?,?)",
            observation.reference, observation.at, observation.kind, observation.detail,
        )
    }

    @Synchronized override fun history(reference: String): List<Observation> =
        query("SELECT reference, at, kind, detail FROM kirim_observations WHERE reference = ? ORDER BY id", reference) { rows ->
            Observation(rows.getString(1), rows.getLong(2), rows.getString(3), rows.getString(4))
        }

    @Synchronized override fun close() = db.close()

    /**
     * Held by [PayoutDriver.run] while it runs: one driver process per database. While another
     * process holds it, this throws [StoreInUseException] at once, naming that process. It is an
     * OS lock on `<path>.lock` (the same `fcntl` lock Python's SQLiteStore takes), so it ends with
     * its process, even one killed with SIGKILL, and a restarted process resumes. Other processes
     * may still open the file to read it. Within one process, the runs of this store share the
     * claim, and another `SqliteStore` of the same file is refused while this one holds it
     * ([StoreInUseException] naming this one): use one store per database file in a process.
     */
    override fun <T> claimed(block: () -> T): T {
        if (path == ":memory:") return block()
        acquire()
        try {
            return block()
        } finally {
            release()
        }
    }

    @Synchronized private fun acquire() {
        if (claims == 0) {
            // Checked before the file is touched: JVM file locks belong to the whole process (POSIX
            // `fcntl`), so the OS cannot refuse a second store of this process, and closing that
            // store's channel would silently drop the first one's lock.
            val key = File("$path.lock").canonicalPath
            val holder = "SqliteStore@${Integer.toHexString(System.identityHashCode(this))}, claimed on thread '${Thread.currentThread().name}'"
            HELD.putIfAbsent(key, holder)?.let { other ->
                throw StoreInUseException(
                    "$path is in use by another SqliteStore of this process ($other): use one store per database file, or close that one first",
                )
            }
            try {
                val channel = FileChannel.open(Paths.get(key), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
                val held = try {
                    channel.tryLock()
                } catch (e: OverlappingFileLockException) {
                    // Code of this process other than a SqliteStore locks the file: closing this
                    // channel would release its lock, so the channel is kept open, unused.
                    FOREIGN.add(channel)
                    throw StoreInUseException("$path.lock is locked by other code of this process (not a SqliteStore): run one driver per database")
                }
                if (held == null) {
                    val pid = ByteBuffer.allocate(32).also { channel.read(it, 0) }
                        .let { String(it.array(), 0, it.position(), Charsets.US_ASCII).trim().ifEmpty { "unknown" } }
                    channel.close() // no lock of this process is on the file (HELD says so): nothing is dropped
                    throw StoreInUseException("$path is in use by a payout driver in another process (pid $pid): run one driver process per database")
                }
                channel.truncate(0)
                channel.write(ByteBuffer.wrap(ProcessHandle.current().pid().toString().toByteArray(Charsets.US_ASCII)), 0)
                lock = held
                lockChannel = channel
                lockKey = key
                lockHolder = holder
            } catch (e: Throwable) {
                HELD.remove(key, holder)
                throw e
            }
        }
        claims++
    }

    @Synchronized private fun release() {
        claims--
        if (claims == 0) {
            lock?.release()
            lockChannel?.close()
            // Last: another store may open the file only once this one's channel is closed.
            lockKey?.let { HELD.remove(it, lockHolder) }
            lock = null
            lockChannel = null
            lockKey = null
            lockHolder = null
        }
    }

    private fun records(sql: String, argument: String): List<PayoutRecord> = query(sql, argument, ::record).map { record ->
        record.copy(
            itemReferences = query(
                "SELECT reference FROM kirim_payout_references WHERE payout = ? AND reference <> payout ORDER BY rowid", record.reference,
            ) { it.getString(1) },
        )
    }

    /** Runs [block] as one transaction: all of it is stored, or none. */
    private fun transaction(block: () -> Unit) {
        db.autoCommit = false
        try {
            block()
            db.commit()
        } catch (e: Throwable) {
            db.rollback()
            throw e
        } finally {
            db.autoCommit = true
        }
    }

    /** Runs [block] in a `BEGIN IMMEDIATE` transaction (the database's write lock held from the
     *  start): committed when it returns, rolled back when it throws. */
    private fun <T> immediateTransaction(block: () -> T): T {
        db.createStatement().use { it.execute("BEGIN IMMEDIATE") }
        try {
            val result = block()
            db.createStatement().use { it.execute("COMMIT") }
            return result
        } catch (e: Throwable) {
            try {
                db.createStatement().use { it.execute("ROLLBACK") }
            } catch (rollback: Exception) {
                e.addSuppressed(rollback)
            }
            throw e
        }
    }

    /** Each row of [sql] (its one parameter [argument]), read by [read]. */
    private fun <T> query(sql: String, argument: String, read: (ResultSet) -> T): List<T> =
        db.prepareStatement(sql).use { s ->
            s.setString(1, argument)
            s.executeQuery().use { rows ->
                val out = mutableListOf<T>()
                while (rows.next()) out.add(read(rows))
                out
            }
        }

    /** Runs [sql] with [values] as its parameters: strings, whole numbers, or null. */
    private fun update(sql: String, vararg values: Any?): Int =
        db.prepareStatement(sql).use { s ->
            values.forEachIndexed { index, value ->
                when (value) {
                    null -> s.setNull(index + 1, Types.NULL)
                    is Long -> s.setLong(index + 1, value)
                    is String -> s.setString(index + 1, value)
                    else -> throw IllegalArgumentException("no SQL parameter for ${value::class}")
                }
            }
            s.executeUpdate()
        }

    private fun record(rows: ResultSet) = PayoutRecord(
        reference = rows.getString(1),
        provider = rows.getString(2),
        orderJson = rows.getString(3),
        snapshot = rows.getString(4),
        state = rows.getString(5),
        status = rows.getString(6),
        nextDue = rows.getLong(7).takeUnless { rows.wasNull() },
        payoutId = rows.getString(8),
        result = rows.getString(9),
    )

    private companion object {
        /** The lock files the SqliteStores of this process hold (canonical path -> holder). */
        val HELD = ConcurrentHashMap<String, String>()

        /** Channels that must never be closed (see [acquire]). */
        val FOREIGN: MutableList<FileChannel> = java.util.Collections.synchronizedList(mutableListOf())

        const val COLUMNS = "reference, provider, order_json, snapshot, state, status, next_due, payout_id, result"
        val SCHEMA = listOf(
            """CREATE TABLE IF NOT EXISTS kirim_payouts (
                reference  TEXT PRIMARY KEY,
                provider   TEXT NOT NULL,
                order_json TEXT NOT NULL,
                snapshot   TEXT NOT NULL,
                state      TEXT NOT NULL,
                status     TEXT NOT NULL,
                next_due   INTEGER,
                payout_id  TEXT,
                result     TEXT
            )""",
            "CREATE INDEX IF NOT EXISTS kirim_payouts_open ON kirim_payouts (state, next_due)",
            "CREATE INDEX IF NOT EXISTS kirim_payouts_payout_id ON kirim_payouts (payout_id)",
            """CREATE TABLE IF NOT EXISTS kirim_observations (
                id        INTEGER PRIMARY KEY AUTOINCREMENT,
                reference TEXT NOT NULL,
                at        INTEGER NOT NULL,
                kind      TEXT NOT NULL,
                detail    TEXT NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS kirim_observations_reference ON kirim_observations (reference, id)",
            """CREATE TABLE IF NOT EXISTS kirim_payout_references (
                reference TEXT PRIMARY KEY,
                payout    TEXT NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS kirim_payout_references_payout ON kirim_payout_references (payout)",
        )

        /**
         * The migration of a file written before kirim_payout_references existed (or by a store
         * that does not write it, such as Python's): each payout not indexed yet gets its own
         * reference and its batch items' (read from its stored order) indexed. Run at each open.
         */
        const val INDEX_UNINDEXED = """
            WITH unindexed AS (
                SELECT reference, CASE WHEN json_valid(order_json) THEN order_json ELSE '{}' END AS order_json
                FROM kirim_payouts WHERE reference NOT IN (SELECT payout FROM kirim_payout_references)
            )
            INSERT OR IGNORE INTO kirim_payout_references (reference, payout)
            SELECT reference, reference FROM unindexed
            UNION ALL
            SELECT json_extract(item.value, '$.reference'), unindexed.reference
            FROM unindexed, json_each(unindexed.order_json, '$.items') AS item
            WHERE item.type = 'object' AND json_extract(item.value, '$.reference') IS NOT NULL"""
    }
}

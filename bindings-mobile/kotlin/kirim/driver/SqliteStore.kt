// A SQLite file as the driver's store, through JDBC (java.sql, in the JDK). The JDBC driver is
// the host's to put on the classpath: Debian's libxerial-sqlite-jdbc-java
// (/usr/share/java/sqlite-jdbc.jar) is what bindings-mobile's tests use. The tables are the
// Python driver's (bindings-python/python/kirim/store.py), so both read the same file.
package kirim.driver

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

/**
 * Each write is committed before it returns (`synchronous=FULL`, autocommit), so a snapshot
 * saved before a send survives a kill. Safe to share between threads of one process.
 */
class SqliteStore(private val path: String) : PayoutStore, AutoCloseable {
    private val db: Connection = DriverManager.getConnection("jdbc:sqlite:$path")
    private var claims = 0
    private var lockChannel: FileChannel? = null
    private var lock: FileLock? = null

    init {
        db.createStatement().use { s ->
            s.execute("PRAGMA journal_mode=WAL")
            s.execute("PRAGMA synchronous=FULL")
            for (statement in SCHEMA) s.execute(statement)
        }
    }

    @Synchronized override fun save(record: PayoutRecord) = update(
        "INSERT OR REPLACE INTO kirim_payouts ($COLUMNS) VALUES (?,?,?,?,?,?,?,?,?)",
        record.reference, record.provider, record.orderJson, record.snapshot, record.state, record.status,
        record.nextDue, record.payoutId, record.result,
    )

    @Synchronized override fun load(reference: String): PayoutRecord? =
        records("SELECT $COLUMNS FROM kirim_payouts WHERE reference = ?", reference).firstOrNull()

    @Synchronized override fun findByPayoutId(payoutId: String): PayoutRecord? =
        records("SELECT $COLUMNS FROM kirim_payouts WHERE payout_id = ?", payoutId).firstOrNull()

    @Synchronized override fun unfinished(): List<PayoutRecord> = records(
        "SELECT $COLUMNS FROM kirim_payouts WHERE state = ? ORDER BY next_due IS NOT NULL, next_due, reference", OPEN,
    )

    @Synchronized override fun observe(observation: Observation) = update(
        "INSERT INTO kirim_observations (reference, at, kind, detail) VALUES (?,?,?,?)",
        observation.reference, observation.at, observation.kind, observation.detail,
    )

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
     * may still open the file to read it; within one process, runs share the claim.
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
            val channel = FileChannel.open(Paths.get("$path.lock"), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
            val held = try {
                channel.tryLock() ?: run {
                    val holder = ByteBuffer.allocate(32)
                    channel.read(holder, 0)
                    channel.close()
                    val pid = String(holder.array(), 0, holder.position(), Charsets.US_ASCII).trim().ifEmpty { "unknown" }
                    throw StoreInUseException("$path is in use by a payout driver in another process (pid $pid): run one driver process per database")
                }
            } catch (e: OverlappingFileLockException) {
                null // another store of this process holds it: runs of one process share the claim
            }
            if (held != null) {
                channel.truncate(0)
                channel.write(ByteBuffer.wrap(ProcessHandle.current().pid().toString().toByteArray(Charsets.US_ASCII)), 0)
                lock = held
                lockChannel = channel
            } else {
                channel.close()
            }
        }
        claims++
    }

    @Synchronized private fun release() {
        claims--
        if (claims == 0) {
            lock?.release()
            lockChannel?.close()
            lock = null
            lockChannel = null
        }
    }

    private fun records(sql: String, argument: String): List<PayoutRecord> = query(sql, argument, ::record)

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
    private fun update(sql: String, vararg values: Any?) {
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
        )
    }
}

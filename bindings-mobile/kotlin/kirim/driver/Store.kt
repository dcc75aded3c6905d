// Where the driver keeps each payout: its snapshot (the machine's whole state, the order
// included), its status, when it is next due, and its history of observations.
package kirim.driver

import kirim.core.Submission

/** `PayoutRecord.state` of a payout the driver still runs. */
const val OPEN = "open"

/**
 * One payout as stored. [orderJson]: the order in the core's JSON form; [snapshot]: the core's
 * snapshot text (the machine's whole state); [state]: `open` (still driven), `done` or
 * `manual_reconciliation` (final); [status]: the machine's payout status (`succeeded`, ...);
 * [result]: the final action, in words; [itemReferences]: a Pivot batch's item references (a
 * callback may name an item, before the batch's payout id is known), empty for a single payout.
 */
data class PayoutRecord(
    val reference: String,
    val provider: String,
    val orderJson: String,
    val snapshot: String,
    val state: String,
    val status: String,
    val nextDue: Long? = null,
    val payoutId: String? = null,
    val result: String? = null,
    val itemReferences: List<String> = emptyList(),
)

/** One entry of a payout's history: [kind] (`submitted`, `send`, `response`, `callback`, `verdict`, `action`). */
data class Observation(val reference: String, val at: Long, val kind: String, val detail: String)

/** The driver's memory. [save] must be durable when it returns: the driver sends right after. */
interface PayoutStore {
    fun save(record: PayoutRecord)
    fun load(reference: String): PayoutRecord?
    /** The payout whose order names [reference]: its own, or one of its [PayoutRecord.itemReferences]. */
    fun findByReference(reference: String): PayoutRecord?
    fun findByPayoutId(payoutId: String): PayoutRecord?
    /** Every payout still `open`, in the order every store and language keeps: those due now
     *  first (no `nextDue`: just submitted), then by `nextDue` (a payout with a request to send
     *  is due at the time it was stored), then by reference. */
    fun unfinished(): List<PayoutRecord>
    fun observe(observation: Observation)
    fun history(reference: String): List<Observation>

    /**
     * Adds a newly submitted payout, never replacing a stored one. [decide] is the driver's check
     * (the core's `checkSubmission`) over the two reads it is handed, this store's `load` and
     * `findByReference`: it returns NEW to have [record] inserted, ALREADY_STORED to write
     * nothing, or throws (nothing written). Returns whether [record] was inserted.
     *
     * The guarantee against a writer in another process (or another store object or connection
     * on the same data) is the store's: [decide]'s reads and the insert must be one atomic step
     * against every other writer (SqliteStore: one `BEGIN IMMEDIATE` transaction), and the insert
     * must be insert-if-absent, never an upsert; when it finds the reference taken all the same,
     * [decide] is asked again with fresh reads (the identical order is then already stored, any
     * other is refused) and the stored row is left as it is.
     *
     * This default suits a store that only this process writes: the reads and [save] under this
     * store's monitor, which serializes every driver of this process that shares the store. A
     * store that another process can write must override it.
     */
    fun insertSubmitted(
        record: PayoutRecord,
        decide: (load: (String) -> PayoutRecord?, findByReference: (String) -> PayoutRecord?) -> Submission,
    ): Boolean = synchronized(this) {
        when (decide(::load, ::findByReference)) {
            Submission.NEW -> true.also { save(record) }
            Submission.ALREADY_STORED -> false
        }
    }

    /** Runs [block] (a driver's run) holding the store for this process: see [SqliteStore]. */
    fun <T> claimed(block: () -> T): T = block()
}

/** A driver in another process (or another store of this one) is running on this database: run
 *  one driver process per database, with one store of it. */
class StoreInUseException(message: String) : IllegalStateException(message)

/**
 * In memory (not durable), for tests and for hosts whose state lives elsewhere: it forgets everything when
 * the process ends, so it cannot resume a payout after a crash. Thread-safe.
 */
class MemoryStore : PayoutStore {
    private val records = LinkedHashMap<String, PayoutRecord>()
    private val observations = mutableListOf<Observation>()

    @Synchronized override fun save(record: PayoutRecord) {
        records[record.reference] = record
    }

    @Synchronized override fun load(reference: String): PayoutRecord? = records[reference]

    // One process, one monitor: the check's reads and the insert cannot be interleaved, and the
    // insert still never replaces a row (a record saved between them would be decided again).
    @Synchronized override fun insertSubmitted(
        record: PayoutRecord,
        decide: (load: (String) -> PayoutRecord?, findByReference: (String) -> PayoutRecord?) -> Submission,
    ): Boolean {
        if (decide(::load, ::findByReference) != Submission.NEW) return false
        if (records.putIfAbsent(record.reference, record) == null) return true
        return decidedAgain(record.reference, decide(::load, ::findByReference))
    }

    @Synchronized override fun findByReference(reference: String): PayoutRecord? =
        records[reference] ?: records.values.firstOrNull { reference in it.itemReferences }

    @Synchronized override fun findByPayoutId(payoutId: String): PayoutRecord? =
        records.values.firstOrNull { it.payoutId == payoutId }

    @Synchronized override fun unfinished(): List<PayoutRecord> =
        records.values.filter { it.state == OPEN }
            .sortedWith(compareBy<PayoutRecord>({ it.nextDue != null }, { it.nextDue ?: 0L }, { it.reference }))

    @Synchronized override fun observe(observation: Observation) {
        observations.add(observation)
    }

    @Synchronized override fun history(reference: String): List<Observation> =
        observations.filter { it.reference == reference }
}

/** The second decision, from fresh reads, after the insert found [reference] taken: ALREADY_STORED
 *  (nothing written) or the core's refusal, which [decide] threw. NEW again would mean the reads
 *  do not see the row the insert hit: nothing is written, and the store is the fault. */
internal fun decidedAgain(reference: String, again: Submission): Boolean = when (again) {
    Submission.ALREADY_STORED -> false
    Submission.NEW -> throw IllegalStateException(
        "the store's insert found the reference '$reference' taken, but its reads do not find it: nothing was written; " +
            "a store's load and findByReference must see what its insert sees",
    )
}

// Where the driver keeps each payout: its snapshot (the machine's whole state, the order
// included), its status, when it is next due, and its history of observations.
package kirim.driver

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

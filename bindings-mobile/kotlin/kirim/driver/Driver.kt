// Runs payout machines to completion over real HTTP (java.net.http). The driver decides
// nothing: each machine (kirim.PayoutLifecycle) says what to send, when to wait and when it is
// done; the driver sends, stores and routes. It
// - writes the snapshot to the store BEFORE each send (a process killed mid-request resumes
//   from it: the core resolves a create that may have gone out, never sends it under a new key);
// - turns a timeout into the core's `timeout` and any other failure to send into
//   `connection_error` (an unknown outcome), never an exception; every HTTP status is a response
//   the core reads;
// - verifies each callback with the provider's own check, finds each payout its events concern
//   in the store by reference (its own or a batch item's) or payout id, applies them to its
//   machine and saves it, and only then returns the acknowledgement (a provider told 200 does
//   not send the callback again);
// - picks up every unfinished payout of the store when it runs (a restarted process resumes); a
//   stored row it cannot restore (the core refuses its snapshot, or its provider is not
//   configured here) is left as it is, its refusal recorded in its history (`restore_refused`),
//   and the run drives every other payout before it throws [RestoreRefusedException] naming it.
// Machines are driven by the thread that calls `run`; `handleCallback` may be called from any
// thread (a web server's), also while a request is out.
package kirim.driver

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpTimeoutException
import java.time.Duration
import java.util.concurrent.Semaphore
import java.util.concurrent.TimeUnit
import kirim.LifecycleProvider
import kirim.PayoutLifecycle
import kirim.checkRun
import kirim.checkSubmission
import kirim.transportOptions
import kirim.core.AccessToken
import kirim.core.Acknowledgement
import kirim.core.ErrorCode
import kirim.core.ErrorInfo
import kirim.core.Gateway
import kirim.core.Header
import kirim.core.HeldReference
import kirim.core.HttpOutcome
import kirim.core.HttpRequest
import kirim.core.HttpResponse
import kirim.core.KirimException
import kirim.core.LifecycleAction
import kirim.core.LifecycleSettings
import kirim.core.Method
import kirim.core.PayoutEvent
import kirim.core.PayoutOrder
import kirim.core.Pivot
import kirim.core.Purpose
import kirim.core.Submission
import kirim.core.TransportFailure
import kirim.core.errorCodeString

/** Sends one request: the response (any status), or the transport failure. */
fun interface Transport {
    fun send(request: HttpRequest, timeout: Duration): HttpOutcome
}

/**
 * `java.net.http.HttpClient` (HTTP/1.1; pass your own client for proxies or TLS settings). It
 * never follows a redirect: a client that does is refused.
 *
 * `maxResponseBytes` (`null`: the core's default, 16 MiB; checked by the core when made, a
 * [kirim.core.KirimException], `invalid_field` on `max_response_bytes`, for one not positive):
 * the largest response body it reads. The body is read in pieces and, as soon as more than that has arrived (or a
 * `Content-Length` says it will), the reading stops, the connection is closed and the exchange is
 * `CONNECTION_ERROR`, an unknown outcome (the core queries or resends under the same key; a
 * truncated body never reaches it). Without a cap a broken or hostile endpoint answering
 * gigabytes would run the process out of memory, every payout of it with it; the core itself
 * refuses bodies above a few MiB, so nothing useful is ever larger.
 */
class JavaHttpTransport(
    private val client: HttpClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        // Never follow (the JDK's default, said here so no one changes it): a 3xx answer to a
        // create must reach the core as the response it is, and a bearer token must never go to
        // another host.
        .followRedirects(HttpClient.Redirect.NEVER)
        .build(),
    maxResponseBytes: Int? = null,
) : Transport {
    /** The cap this transport reads a response body up to, in bytes: the core's check of the one given, or its default. */
    // An Int given, or the core's default (16 MiB): within Int.
    val maxResponseBytes: Int = transportOptions(null, maxResponseBytes?.toLong()).maxResponseBytes.toInt()

    init {
        require(client.followRedirects() == HttpClient.Redirect.NEVER) {
            "JavaHttpTransport needs a client that never follows redirects (followRedirects(HttpClient.Redirect.NEVER)), " +
                "not ${client.followRedirects()}: a 3xx answer must reach the core as it is, and the bearer token must not go to another host"
        }
    }

    /**
     * The response (any status), or the transport failure; never an exception, never a message:
     * - a timeout is `TIMEOUT`: [timeout] bounds the whole exchange, the body included (a body
     *   still arriving then is cut off, its connection closed);
     * - any other failure is `CONNECTION_ERROR`, an unknown outcome (the core resends the
     *   identical request under the same key, or queries; it never takes it as refused): an
     *   `IOException`; whatever else `HttpClient.send` throws (`IllegalArgumentException`,
     *   `IllegalStateException`, `SecurityException`, `UncheckedIOException`), since it may have
     *   handed the request to its connection first; an interrupt (`InterruptedException`: the
     *   request may be out; the thread's interrupt flag is set again, so the caller's next wait
     *   ends the run); and a request the JDK refuses to build (a header value or URL it cannot
     *   carry). That last one was never sent, but the core has no outcome saying so, and
     *   "unknown" cannot pay twice.
     * The JDK's own exceptions quote a refused header value (a secret: a token, a merchant
     * secret), so none of them is passed on.
     */
    override fun send(request: HttpRequest, timeout: Duration): HttpOutcome {
        // A timeout the JDK cannot carry is never handed to it: near 9.2e15 seconds it kills the
        // client's selector thread, and this send and every later one of the client would never
        // return. Nothing is sent (the core has no outcome saying so: unknown, as below).
        if (!carriedByTheJdk(timeout)) return HttpOutcome.Transport(TransportFailure.CONNECTION_ERROR)
        val built = try {
            val body = if (request.method == Method.GET) {
                java.net.http.HttpRequest.BodyPublishers.noBody()
            } else {
                java.net.http.HttpRequest.BodyPublishers.ofByteArray(request.body)
            }
            val builder = java.net.http.HttpRequest.newBuilder(URI(request.url)).timeout(timeout).method(request.method.name, body)
            request.headers.forEach { builder.header(it.name, it.value) }
            builder.build()
        } catch (e: Exception) { // URISyntaxException, IllegalArgumentException (its message may hold a header value)
            return HttpOutcome.Transport(TransportFailure.CONNECTION_ERROR)
        }
        return try {
            // The JDK's request timeout ends when the headers arrive; the body's reading ends at
            // the same deadline, counted from here (the whole exchange).
            val deadline = System.nanoTime() + timeout.toNanos()
            val response = client.send(built) { info -> CappedBody(maxResponseBytes, info.headers().firstValueAsLong("content-length"), deadline) }
            val headers = response.headers().map().flatMap { (name, values) -> values.map { Header(name, it) } }
            HttpOutcome.Response(HttpResponse(response.statusCode().toUShort(), headers, response.body()))
        } catch (e: HttpTimeoutException) { // a subclass of IOException: first
            HttpOutcome.Transport(TransportFailure.TIMEOUT)
        } catch (e: InterruptedException) {
            Thread.currentThread().interrupt()
            HttpOutcome.Transport(TransportFailure.CONNECTION_ERROR)
        } catch (e: Exception) { // IOException, and every unchecked exception of send: unknown outcome
            HttpOutcome.Transport(TransportFailure.CONNECTION_ERROR)
        }
    }
}

/** Whether the JDK's HTTP client can carry [timeout]: positive, and at most Long.MAX_VALUE
 *  nanoseconds (about 292 years; the JDK accepts more when the request is built, then fails or
 *  hangs when it is sent). A guard of [JavaHttpTransport.send] called directly: a driver's
 *  timeout is the core's, at most a day. */
internal fun carriedByTheJdk(timeout: Duration): Boolean =
    !timeout.isNegative && !timeout.isZero && runCatching { timeout.toNanos() }.isSuccess

/** [timeout] in the core's unit, exactly: its milliseconds as a plain decimal (1.5 ms is `1.5`,
 *  which the core refuses rather than round; a negative one keeps its sign). */
internal fun millisecondsText(timeout: Duration): String =
    java.math.BigDecimal.valueOf(timeout.seconds).add(java.math.BigDecimal.valueOf(timeout.nano.toLong(), 9))
        .movePointRight(3).stripTrailingZeros().toPlainString()

/** A response body is above the transport's cap (never shown: the exchange is CONNECTION_ERROR). */
private class ResponseTooLarge(cap: Int) : java.io.IOException("response body above maxResponseBytes ($cap)")

/**
 * A response body read in pieces (one requested at a time), holding at most [cap] bytes plus the
 * piece that goes above it: then the subscription is cancelled (the JDK closes the connection)
 * and the body fails with [ResponseTooLarge]. A [contentLength] above [cap] fails it before
 * anything is read. A body still incomplete at [deadline] (System.nanoTime) is cancelled the
 * same way and fails with HttpTimeoutException (the exchange's timeout: the JDK's own covers
 * only the wait for the headers, so a server stalling mid-body held send forever).
 */
private class CappedBody(private val cap: Int, private val contentLength: java.util.OptionalLong, deadline: Long) :
    java.net.http.HttpResponse.BodySubscriber<ByteArray> {
    init {
        java.util.concurrent.CompletableFuture.delayedExecutor(maxOf(deadline - System.nanoTime(), 0L), TimeUnit.NANOSECONDS)
            .execute { timedOut() }
    }

    private val body = java.util.concurrent.CompletableFuture<ByteArray>()
    private val pieces = ArrayList<ByteArray>()
    private var size = 0L
    private var subscription: java.util.concurrent.Flow.Subscription? = null

    override fun getBody(): java.util.concurrent.CompletionStage<ByteArray> = body

    @Synchronized override fun onSubscribe(subscription: java.util.concurrent.Flow.Subscription) {
        this.subscription = subscription
        if (body.isDone) return subscription.cancel() // the deadline passed first
        if (contentLength.isPresent && contentLength.asLong > cap) {
            tooLarge()
        } else {
            subscription.request(1)
        }
    }

    @Synchronized override fun onNext(item: List<java.nio.ByteBuffer>) {
        if (body.isDone) return
        for (buffer in item) {
            size += buffer.remaining()
            if (size > cap) return tooLarge()
            pieces.add(ByteArray(buffer.remaining()).also { buffer.get(it) })
        }
        subscription?.request(1)
    }

    @Synchronized override fun onError(throwable: Throwable) {
        pieces.clear()
        body.completeExceptionally(throwable)
    }

    @Synchronized override fun onComplete() {
        if (body.isDone) return
        val whole = ByteArray(size.toInt())
        var at = 0
        for (piece in pieces) {
            piece.copyInto(whole, at)
            at += piece.size
        }
        pieces.clear()
        body.complete(whole)
    }

    private fun tooLarge() = fail(ResponseTooLarge(cap))

    @Synchronized private fun timedOut() {
        if (!body.isDone) fail(HttpTimeoutException("response body not complete within the request timeout"))
    }

    private fun fail(error: java.io.IOException) {
        pieces.clear()
        subscription?.cancel()
        body.completeExceptionally(error)
    }
}

/**
 * [PayoutDriver.run] ran every payout it could, and refused the stored rows it cannot restore:
 * each is left as it is (not driven, not written), its refusal is in its history
 * (`restore_refused`), and the next run tries it again. A person must look at each one (an edited
 * database, a snapshot from a newer kirim, another payout's snapshot under its reference, a
 * provider this driver has no configuration for) and fix its row; never submit the payout again
 * under a new reference: it may have been paid.
 *
 * Read as a [KirimException] is ([code], [field], [errorMessage], [info]); its code is
 * `unsupported_snapshot`, the code of a stored payout this kirim cannot restore, whose handling
 * (restore it with what wrote it, or reconcile it by hand, never start it again from scratch) is
 * every refused row's. A KirimException itself is the core's object and cannot be made here.
 */
class RestoreRefusedException(
    /** Each refused row's reference and its error: the core's ([KirimException.info]; e.g.
     *  `invalid_field` on `reference` for another payout's snapshot), or `invalid_config` on
     *  `provider` for a provider this driver is not configured for. */
    val refused: Map<String, ErrorInfo>,
    /** The final action of each payout the run drove: what [PayoutDriver.run] returns when
     *  nothing is refused. */
    val results: Map<String, LifecycleAction>,
) : Exception() {
    override val message: String = "${refused.size} stored payout(s) not run, their rows refused (each left as it is, a " +
        "restore_refused line in its history; the other payouts were run, their results in .results): " +
        refused.entries.joinToString("; ") { (reference, error) -> "${quoted(reference)}: ${refusalDetail(error)}" } +
        ". A person must check each payout and fix its row; the next run tries it again. Never submit it again under a " +
        "new reference: it may have been paid."

    fun code(): ErrorCode = ErrorCode.UNSUPPORTED_SNAPSHOT
    fun field(): String? = null
    fun errorMessage(): String = message
    fun info(): ErrorInfo = errorInfo(ErrorCode.UNSUPPORTED_SNAPSHOT, null, message)
    override fun toString(): String = "unsupported_snapshot: $message"
}

/** A `restore_refused` line's detail, `code: message` (as kirim.postgres's worker writes it). */
private fun refusalDetail(error: ErrorInfo): String = "${errorCodeString(error.code)}: ${error.message}"

/** An error of the driver's own, in the core's form. */
private fun errorInfo(code: ErrorCode, field: String?, message: String) = ErrorInfo(
    code = code, field = field, message = message, violations = emptyList(), providerCode = null,
    providerMessage = null, providerDetails = emptyList(), httpStatus = null, providerTraceId = null,
)

/** [text] in double quotes, as JSON quotes it (a stored reference is hostile input). */
private fun quoted(text: String): String = buildString {
    append('"')
    for (c in text) {
        when {
            c == '"' || c == '\\' -> append('\\').append(c)
            c < ' ' || c == '\u007f' -> append("\\u").append(c.code.toString(16).padStart(4, '0'))
            else -> append(c)
        }
    }
    append('"')
}

/** The driver's clock (inject one in tests). */
interface Clock {
    /** Unix seconds. */
    fun now(): Long

    /** Waits [seconds], or less when [wake] gets a permit (a callback arrived). */
    fun sleep(seconds: Long, wake: Semaphore)
}

object SystemClock : Clock {
    override fun now(): Long = System.currentTimeMillis() / 1000
    override fun sleep(seconds: Long, wake: Semaphore) {
        wake.tryAcquire(maxOf(seconds, 0L), TimeUnit.SECONDS)
    }
}

/**
 * Drives the payouts of the given providers with [store] as their memory. `timeout` bounds
 * each request (`null`: the core's default, 60 s; a whole number of milliseconds up to a day);
 * keep it below the machines' `requestTimeoutSeconds`. [settings]: the machines'
 * (`null`: each provider's defaults). [transport]: `null` for a [JavaHttpTransport] of the
 * driver's own, reading response bodies up to `maxResponseBytes` (`null`: the core's default,
 * 16 MiB; a larger body is a `connection_error`); a transport of your own has its own cap (a
 * `maxResponseBytes` given with it is refused). The defaults and the check of `timeout` and
 * `maxResponseBytes` are the core's (`http.transport_options`), the same in every language: a
 * value it refuses (zero or less, a fraction of a millisecond, more than a day) is a
 * [kirim.core.KirimException] (`invalid_field` on `timeout_ms` or `max_response_bytes`) when
 * the driver is made.
 */
class PayoutDriver(
    private val pivot: Pivot? = null,
    private val gateway: Gateway? = null,
    val store: PayoutStore,
    transport: Transport? = null,
    private val clock: Clock = SystemClock,
    timeout: Duration? = null,
    private val settings: LifecycleSettings? = null,
    maxResponseBytes: Int? = null,
) {
    // The core's defaults and check, when made: a timeout of zero or less made every request
    // fail (the JDK refuses it), one beyond what the JDK carries failed or hung each send.
    private val options = transportOptions(timeout?.let(::millisecondsText), maxResponseBytes?.toLong())

    /** Each request's time limit: the one given, as the core checked it, or the core's default. */
    private val timeout: Duration = Duration.ofMillis(options.timeoutMs)

    init {
        require(transport == null || maxResponseBytes == null) {
            "maxResponseBytes is the cap of the driver's own JavaHttpTransport: with a transport of your own, set it on that transport (JavaHttpTransport(maxResponseBytes = ...)), not on the driver"
        }
    }

    private val transport: Transport = transport ?: JavaHttpTransport(maxResponseBytes = options.maxResponseBytes.toInt())

    private val machines = LinkedHashMap<String, Pair<String, PayoutLifecycle>>()
    private val sessions = HashMap<String, AccessToken>()
    private val wake = Semaphore(0)

    // Held by the run loop and by handleCallback whenever they change a machine (or restore one)
    // and save its snapshot: neither can store a snapshot that misses the other's change. Never
    // held while a request is out or a wait lasts, so a callback is applied meanwhile.
    private val lock = Any()

    private fun provider(name: String): LifecycleProvider = when (name) {
        "pivot" -> LifecycleProvider.Pivot(pivot ?: throw IllegalArgumentException("no pivot provider configured"))
        "gateway" -> LifecycleProvider.Gateway(gateway ?: throw IllegalArgumentException("no gateway provider configured"))
        else -> throw IllegalArgumentException("unknown provider '$name' (pivot or gateway)")
    }

    /**
     * Registers a payout (stored at once, nothing sent yet) and returns its reference.
     *
     * The identical order submitted again (same reference, provider and order) writes nothing
     * and returns its reference: the stored payout goes on as it stands. Throws
     * [KirimException] (`invalid_field` on `reference` or `items[i].reference`; nothing written,
     * the stored payout unchanged) when the store holds ANOTHER order under its reference
     * (another amount, beneficiary, items or provider), or when another stored payout uses its
     * reference or one of its items': a reference names one payout (the core's rule,
     * [checkSubmission]), so use a new one for a new payout.
     */
    fun submit(provider: String, order: PayoutOrder, settings: LifecycleSettings? = null): String {
        val now = clock.now()
        // The order is checked (and read as the core reads it) before the store is asked.
        val machine = PayoutLifecycle(provider(provider), order, settings ?: this.settings, now)
        return machine.use {
            val ordered = it.order()
            val reference = ordered.reference
            // The check's reads and the insert are one step of the store (PayoutStore.insertSubmitted:
            // a SqliteStore's is one BEGIN IMMEDIATE transaction, so no other process or connection
            // writes between them), and the insert never replaces a stored row. Under the driver's
            // lock too: two submissions of this driver sharing a reference are decided in turn.
            val inserted = synchronized(lock) {
                store.insertSubmitted(record(provider, it, null, null)) { load, findByReference ->
                    val stored = load(reference)
                    val held = if (stored != null) {
                        emptyList()
                    } else {
                        (listOf(reference) + ordered.items.map { item -> item.reference }).mapNotNull { named ->
                            findByReference(named)?.reference?.takeIf { payout -> payout != reference }
                                ?.let { payout -> HeldReference(named, payout) }
                        }
                    }
                    checkSubmission(it.orderJson(), stored?.orderJson, stored?.provider, provider, held)
                }
            }
            if (!inserted) return reference
            observe(reference, now, "submitted", it.idempotencyKey())
            reference
        }
    }

    /**
     * Runs every unfinished payout of the store (or only [references]) until each one is done
     * or needs a person; returns each one's final action. A callback handed to [handleCallback]
     * meanwhile is applied to the running machine and wakes this loop. One process drives a
     * database at a time: the run holds [PayoutStore.claimed], and a run while another
     * process's driver holds a [SqliteStore] throws [StoreInUseException]; so does a run while
     * another PayoutDriver of this process drives the same store object (any store).
     *
     * A payout named in [references] that has already ended answers its final action (nothing
     * sent); a reference the store does not hold is refused ([KirimException] `invalid_field` on
     * `reference`) and nothing runs.
     *
     * A stored row it cannot restore (the core refuses its snapshot: an edited database, a
     * snapshot from a newer kirim, another payout's snapshot under its reference; or its provider
     * is not configured here) is not driven and not written: its refusal goes into its history at
     * once (`restore_refused`, `code: message`, as kirim.postgres's worker writes it), every
     * other payout is run to its end, and then the run throws [RestoreRefusedException] naming
     * each refused reference with its error and carrying the others' results. The next run tries
     * the refused rows again.
     */
    fun run(references: Set<String>? = null): Map<String, LifecycleAction> = driving { runClaimed(references) }

    /**
     * [block] holding this process's hold of [store] (by identity), and then the store's claim
     * ([PayoutStore.claimed]: one driver process per database). The store's claim is per store
     * object, and a MemoryStore (or a store of one's own) has none: a second PayoutDriver of this
     * process over the same store would run its own machines for the same payouts (a second
     * create), each saving its snapshots over the other's, and a callback it applied would be
     * overwritten by the first one's next save after it was acknowledged. So one PayoutDriver
     * drives a store at a time: its run and its callbacks (any thread) share the hold, another
     * PayoutDriver of the process gets [StoreInUseException], as a driver of another process does.
     */
    private fun <T> driving(block: () -> T): T {
        synchronized(DRIVING) {
            val holder = DRIVING[store]
            if (holder != null && holder.driver !== this) {
                throw StoreInUseException(
                    "${identity(store)} is being driven by another PayoutDriver of this process (${holder.name}): " +
                        "drive a store through one PayoutDriver (its run and handleCallback may be called from any thread)",
                )
            }
            DRIVING[store] = holder?.copy(holds = holder.holds + 1)
                ?: Holder(this, "${identity(this)}, on thread '${Thread.currentThread().name}'", 1)
        }
        try {
            return store.claimed(block)
        } finally {
            synchronized(DRIVING) {
                val holder = DRIVING.getValue(store)
                if (holder.holds == 1) DRIVING.remove(store) else DRIVING[store] = holder.copy(holds = holder.holds - 1)
            }
        }
    }

    private data class Holder(val driver: PayoutDriver, val name: String, val holds: Int)

    private companion object {
        /** The stores (by identity) a PayoutDriver of this process is driving, and which one. */
        val DRIVING = java.util.IdentityHashMap<PayoutStore, Holder>()

        /** Class and identity only: a store's own toString may show its connection settings. */
        fun identity(of: Any) = "${of::class.java.simpleName}@${Integer.toHexString(System.identityHashCode(of))}"
    }

    private fun runClaimed(references: Set<String>?): Map<String, LifecycleAction> {
        val results = LinkedHashMap<String, LifecycleAction>()
        val refused = LinkedHashMap<String, ErrorInfo>()
        synchronized(lock) {
            references?.let { results.putAll(ended(it, refused)) }
            for (record in store.unfinished()) {
                if ((references == null || record.reference in references) && record.reference !in machines) {
                    val refusal = unconfigured(record) ?: try {
                        machines[record.reference] = record.provider to restore(record)
                        null
                    } catch (e: KirimException) {
                        e.info()
                    }
                    if (refusal != null) {
                        // One bad row must not stall every other payout (a create that is out must
                        // be resolved within its key window): it is left as it is, said in its
                        // history now, and thrown once the others have run.
                        refused[record.reference] = refusal
                        observe(record.reference, clock.now(), "restore_refused", refusalDetail(refusal))
                    }
                }
            }
        }
        while (true) {
            // Before the machines are polled: a callback applied after this leaves a permit, and
            // the wait below ends at once.
            wake.drainPermits()
            var due: Long? = null
            for (reference in synchronized(lock) { machines.keys.toList() }) {
                if (references != null && reference !in references) continue
                val action = advance(reference)
                if (action is LifecycleAction.WaitUntil) {
                    due = minOf(due ?: action.at, action.at)
                } else {
                    results[reference] = action
                    synchronized(lock) { machines.remove(reference)?.second?.close() }
                }
            }
            if (due == null) {
                if (refused.isNotEmpty()) throw RestoreRefusedException(refused, results)
                return results
            }
            clock.sleep(due - clock.now(), wake)
        }
    }

    /**
     * Of the payouts a run names, those that have ended, with their final action (nothing sent or
     * saved), as JavaScript's `run` answers them. One the store does not hold is refused by the
     * core's rule ([checkRun]: [KirimException] `invalid_field` on `reference`) before anything
     * runs: a typo or the wrong store, never an empty result. Called under [lock].
     */
    private fun ended(references: Set<String>, refused: MutableMap<String, ErrorInfo>): Map<String, LifecycleAction> {
        val ended = LinkedHashMap<String, LifecycleAction>()
        val now = clock.now()
        for (reference in references) {
            if (reference in machines) continue // running (another run of this driver)
            val record = store.load(reference)
            checkRun(reference, record != null)
            if (record == null || record.state == OPEN) continue
            // An ended row that cannot be restored is named like an open one (RestoreRefusedException).
            val refusal = unconfigured(record) ?: try {
                ended[reference] = restore(record).use { it.poll(now) }
                null
            } catch (e: KirimException) {
                e.info()
            }
            if (refusal != null) {
                refused[reference] = refusal
                observe(reference, now, "restore_refused", refusalDetail(refusal))
            }
        }
        return ended
    }

    /** Polls one machine until it waits or ends, sending what it asks for. */
    private fun advance(reference: String): LifecycleAction {
        val (provider, machine) = synchronized(lock) { machines.getValue(reference) }
        while (true) {
            val action = synchronized(lock) {
                val now = clock.now()
                // One Pivot token for every machine (each machine still judges its expiry itself).
                val shared = sessions[provider]
                if (shared != null && machine.session() == null) machine.useSession(shared)
                val action = machine.poll(now)
                if (action is LifecycleAction.Send) {
                    // Write-ahead: the snapshot (with this request outstanding) is stored first.
                    save(provider, machine, now, null)
                    observe(reference, now, "send", "${action.purpose.name.lowercase()} ${action.request.method} ${action.request.url}")
                } else {
                    save(provider, machine, (action as? LifecycleAction.WaitUntil)?.at, action)
                    if (action !is LifecycleAction.WaitUntil) observe(reference, now, "action", describe(action))
                }
                action
            }
            if (action !is LifecycleAction.Send) return action
            val outcome = transport.send(action.request, timeout)
            synchronized(lock) {
                val after = clock.now()
                observe(reference, after, "response", summary(outcome))
                machine.handleResponse(outcome, after)
                if (action.purpose == Purpose.SESSION) machine.session()?.let { sessions[provider] = it }
            }
        }
    }

    /**
     * A callback (Pivot) or notification (gateway) as received: verified by the core; each
     * payout its events concern is found in the store, the events are applied to its machine
     * (the one [run] drives, or one restored from the store) and the snapshot saved; then the
     * answer to send back is returned. A forged or unreadable one changes nothing. Throws when
     * the store fails, or when a driver in another process runs the database, or another
     * PayoutDriver of this process drives the same store ([StoreInUseException]): answer the
     * provider with an error then, and it sends the callback again.
     */
    fun handleCallback(provider: String, headers: List<Header>, body: ByteArray): Acknowledgement {
        val now = clock.now()
        val (events, error, ack) = when (provider) {
            "pivot" -> (pivot ?: throw IllegalArgumentException("no pivot provider configured"))
                .handleCallback(headers, body).let { Triple(it.events.orEmpty(), it.error, it.acknowledgement) }
            "gateway" -> (gateway ?: throw IllegalArgumentException("no gateway provider configured"))
                .handleNotification(body).let { Triple(listOfNotNull(it.event), it.error, it.acknowledgement) }
            else -> throw IllegalArgumentException("unknown provider '$provider' (pivot or gateway)")
        }
        error?.let { observe("", now, "callback_refused", "$provider: ${errorCodeString(it.code)}") }
        if (events.isEmpty()) return ack
        // Held as a run is: a driver of another process, or another PayoutDriver of this one,
        // would overwrite what is saved here.
        driving {
            val routed = LinkedHashMap<String, MutableList<PayoutEvent>>()
            for (event in events) {
                val reference = route(event)
                if (reference == null) {
                    observe("", now, "callback_unrouted", "$provider: ${event.referenceId} ${event.payoutId}")
                } else {
                    routed.getOrPut(reference) { mutableListOf() }.add(event)
                }
            }
            for ((reference, concerning) in routed) applyEvents(reference, concerning, now)
        }
        wake.release()
        return ack
    }

    /** Applies [events] to the machine of [reference] (running here, or restored) and saves it. */
    private fun applyEvents(reference: String, events: List<PayoutEvent>, at: Long): Unit = synchronized(lock) {
        for (event in events) observe(reference, at, "callback", "${event.status} (${event.authenticity})")
        val record = store.load(reference)
        if (record == null || record.state != OPEN) return // final: nothing left to change
        val running = machines[reference]
        val machine = running?.second ?: restore(record)
        try {
            for (event in events) {
                val verdict = machine.handleEvent(event, clock.now())
                observe(reference, at, "verdict", verdict.name.lowercase())
            }
            // Due at once (no nextDue): the machine decides what the event changes when polled.
            save(running?.first ?: record.provider, machine, null, null)
        } finally {
            if (running == null) machine.close()
        }
    }

    /**
     * The machine of a stored row, by the core's rule ([PayoutLifecycle.restoreStored]): the
     * snapshot is checked (hostile input), and a row holding another payout's snapshot (an
     * edited database, a store returning the wrong row), which would be a second machine for
     * that payout, is refused: [KirimException] `invalid_field` on `reference`.
     */
    private fun restore(record: PayoutRecord): PayoutLifecycle =
        PayoutLifecycle.restoreStored(provider(record.provider), record.snapshot, record.reference)

    /** Why [record] cannot be driven here, its provider not configured (`invalid_config` on
     *  `provider`), or null when it is. */
    private fun unconfigured(record: PayoutRecord): ErrorInfo? {
        val configured = when (record.provider) {
            "pivot" -> pivot != null
            "gateway" -> gateway != null
            else -> false
        }
        return if (configured) null else errorInfo(
            ErrorCode.INVALID_CONFIG,
            "provider",
            "the stored payout ${quoted(record.reference)} is a ${quoted(record.provider)} payout, and this driver has no " +
                "${quoted(record.provider)} provider configured: configure it to drive the payout",
        )
    }

    private fun route(event: PayoutEvent): String? {
        event.referenceId?.let { reference -> store.findByReference(reference)?.let { return it.reference } }
        event.payoutId?.let { id -> store.findByPayoutId(id)?.let { return it.reference } }
        return null
    }

    private fun save(provider: String, machine: PayoutLifecycle, nextDue: Long?, action: LifecycleAction?) =
        store.save(record(provider, machine, nextDue, action))

    private fun record(provider: String, machine: PayoutLifecycle, nextDue: Long?, action: LifecycleAction?): PayoutRecord {
        val state = machine.state()
        val final = when (action) {
            is LifecycleAction.Done -> "done"
            is LifecycleAction.ManualReconciliation -> "manual_reconciliation"
            else -> null
        }
        return PayoutRecord(
            reference = machine.order().reference,
            provider = provider,
            orderJson = machine.orderJson(),
            snapshot = machine.snapshot(),
            state = final ?: OPEN,
            status = state.status.name.lowercase(),
            nextDue = nextDue,
            payoutId = state.payoutId,
            result = if (final == null) null else describe(action!!),
            itemReferences = machine.order().items.map { it.reference },
        )
    }

    private fun observe(reference: String, at: Long, kind: String, detail: String) =
        store.observe(Observation(reference, at, kind, detail))

    private fun summary(outcome: HttpOutcome): String = when (outcome) {
        is HttpOutcome.Response -> "HTTP ${outcome.v1.status}, ${outcome.v1.body.size} bytes"
        is HttpOutcome.Transport -> outcome.v1.name.lowercase()
    }

    private fun describe(action: LifecycleAction): String = when (action) {
        is LifecycleAction.Done -> "done ${action.status.name.lowercase()}" + (action.payoutId?.let { " ($it)" } ?: "") +
            (action.error?.let { " error ${errorCodeString(it.code)}: ${it.message}" } ?: "")
        is LifecycleAction.ManualReconciliation -> action.reconciliation.let { "manual_reconciliation ${it.reason.name.lowercase()}: ${it.message}" }
        is LifecycleAction.WaitUntil -> "wait_until ${action.at} ${action.reason.name.lowercase()}"
        is LifecycleAction.Send -> "send ${action.purpose.name.lowercase()}"
    }
}

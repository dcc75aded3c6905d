// The Kotlin driver (kirim.driver.PayoutDriver) against the provider simulator
// (tests/simulator), over real HTTP: run by script/test as `MainKt --driver <simulator URL>`.
//   - a Pivot create whose answer is dropped (held past the client's timeout) is resolved by
//     the core (the identical request resent, same key) and ends done, with exactly one payout
//     in the simulator's ledger;
//   - the simulator's callbacks reach a web server (the JDK's), are verified by the core and
//     routed to the payout by reference, which ends done; a forged callback is refused (401)
//     and routed nowhere;
//   - SqliteStore: a driver whose process state is lost right after a create went out (its
//     answer never read; here an exception out of the transport, not a kill) leaves the snapshot
//     in the SQLite file; a new driver on a new connection to that file resumes the payout to
//     done, with one payout in the ledger;
//   - a real crash: a child JVM running the driver with its SqliteStore is killed with SIGKILL
//     right after its create is sent (the simulator has processed it and holds the answer:
//     `delay_response`), before the answer is stored; a fresh JVM resumes the payout from the
//     database to done, and the simulator's ledger shows exactly one payout for the reference;
//   - a callback is applied and saved before it is acknowledged: for a payout no driver runs in
//     this process (restored from the SQLite file), and for the running machine while its create
//     is out;
//   - a callback naming a Pivot batch's item reaches the batch before its payout id is stored, in
//     both stores and in a SQLite file from before the item index (migrated when opened);
//   - a second SqliteStore of the same file in one JVM is refused while the first holds it, and
//     closing it does not release the first one's lock (a child JVM is still refused);
//   - JavaHttpTransport never follows a redirect, and refuses a client that does;
//   - a stored row holding another payout's snapshot is refused (invalid_field on reference) by
//     run() and for a callback routed to it, and nothing is sent or saved;
//   - a stored row the driver cannot restore (another payout's snapshot, garbage, a provider not
//     configured) is left as it is, its refusal in its history, while every other payout runs to
//     its end; then run() throws RestoreRefusedException naming it, and the next run tries again;
//   - a submission never overwrites a payout another process (a second SqliteStore of the file,
//     a second driver of the MemoryStore) stored after its check read the reference as free, and
//     no other connection to the SQLite file writes while the check reads;
//   - JavaHttpTransport turns every exception of building or sending a request into a transport
//     failure (an interrupt keeps its flag), never an exception quoting a header value;
//   - a second PayoutDriver of the process over the same store object is refused (run and
//     handleCallback) while the first drives it, sending and saving nothing;
//   - a response body above JavaHttpTransport's maxResponseBytes is a prompt connection_error;
//   - a timeout above a day is refused by the driver (the core's check), and one too large for
//     the JDK is connection_error in send;
//   - the driver's transport defaults and refusals are the core's, on every shared vector;
//   - a body that stalls after its headers is a timeout when the request's timeout has passed.

import com.sun.net.httpserver.HttpServer
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.time.Duration
import java.util.concurrent.Semaphore
import java.util.concurrent.TimeUnit
import kirim.*
import kirim.core.*
import kirim.driver.*

private val controlClient: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

private fun control(sim: String, path: String, body: Any? = null): Any {
    val builder = java.net.http.HttpRequest.newBuilder(URI(sim + path)).timeout(Duration.ofSeconds(10))
        .header("content-type", "application/json")
    if (body != null) builder.POST(java.net.http.HttpRequest.BodyPublishers.ofString(toJson(body)))
    val response = controlClient.send(builder.build(), java.net.http.HttpResponse.BodyHandlers.ofString())
    check(response.statusCode() == 200) { "$path: HTTP ${response.statusCode()} ${response.body()}" }
    return parseJson(response.body())
}

private fun ledgerPivot(sim: String): Map<*, *> = (control(sim, "/_sim/ledger") as Map<*, *>)["pivot"] as Map<*, *>

/** Pivot's ledger holds exactly one payout, for [reference], whose create was answered once by replay
 * (the identical request sent again with its key). */
private fun expectOnePayoutReplayedOnce(sim: String, reference: String) {
    val ledger = ledgerPivot(sim)
    expect(toJson(ledger["payouts_created_per_reference"]) == toJson(mapOf(reference to JsonNumber.of(1)))) {
        "ledger: ${toJson(ledger["payouts_created_per_reference"])}"
    }
    val replays = ((ledger["requests"] as List<*>)[0] as Map<*, *>)["replays"]
    expect(replays is JsonNumber && replays.integer?.toInt() == 1) { "replays: $replays" }
}

/** Real time plus an offset: a wait longer than a moment is skipped forward; a callback wakes it at once. */
private class FastClock : Clock {
    private var offsetMillis = 0L
    override fun now(): Long = (System.currentTimeMillis() + offsetMillis) / 1000
    override fun sleep(seconds: Long, wake: Semaphore) {
        val wanted = maxOf(seconds, 0L) * 1000
        val moment = minOf(wanted, 300L)
        if (!wake.tryAcquire(moment, TimeUnit.MILLISECONDS)) offsetMillis += wanted - moment
    }
}

private fun pivotOf(sim: String) = Pivot(
    PivotConfig(baseUrl = sim, merchantId = "kirim-merchant", merchantSecret = Secret("kirim-secret"), callbackApiKeys = listOf(Secret("kirim-callback-key"))),
)

private fun orderOf(reference: String) = PayoutOrder(
    reference = reference,
    amount = moneyIdr("100000"),
    beneficiary = Beneficiary("BCA", "1234567890", "Budi"),
    inquiryId = null,
    description = "Payout 1",
    notifyUrl = null,
    items = emptyList(),
)

private fun expect(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

private fun droppedCreate(sim: String) {
    control(sim, "/_sim/reset", emptyMap<String, Any>())
    // No callback: the machine must resolve the lost answer itself.
    control(sim, "/_sim/config", mapOf("pivot_callback_url" to JsonNull))
    control(sim, "/_sim/faults", mapOf("method" to "POST", "path" to "/v1/payouts", "fault" to "drop_response", "hold_seconds" to JsonNumber.of(3)))
    val pivot = pivotOf(sim)
    val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(60L))
    val store = MemoryStore()
    val driver = PayoutDriver(pivot = pivot, store = store, clock = FastClock(), timeout = Duration.ofSeconds(1), settings = settings)
    val reference = driver.submit("pivot", orderOf("KT-DROP-1"))
    val done = driver.run()[reference]
    expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "dropped create: ended with $done" }
    val history = store.history(reference)
    expect(history.any { it.kind == "response" && it.detail == "timeout" }) { "no timeout observed: $history" }
    val creates = history.filter { it.kind == "send" && it.detail.startsWith("create") }
    expect(creates.size == 2) { "expected the identical create twice (same key), got ${creates.size}: $history" }
    expect(store.load(reference)?.state == "done") { "the store does not hold it done: ${store.load(reference)}" }
    expectOnePayoutReplayedOnce(sim, reference)
    println("ok: a dropped create answer ends done (succeeded), ${creates.size} identical creates, one payout in the ledger, 1 replay")
}

private fun callbacksRouted(sim: String) {
    control(sim, "/_sim/reset", emptyMap<String, Any>())
    val pivot = pivotOf(sim)
    val store = MemoryStore()
    val driver = PayoutDriver(pivot = pivot, store = store, timeout = Duration.ofSeconds(5))
    val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
    server.createContext("/callbacks/pivot") { exchange ->
        val headers = exchange.requestHeaders.flatMap { (name, values) -> values.map { Header(name, it) } }
        val ack = driver.handleCallback("pivot", headers, exchange.requestBody.readAllBytes())
        ack.headers.forEach { exchange.responseHeaders.add(it.name, it.value) }
        exchange.sendResponseHeaders(ack.status.toInt(), if (ack.body.isEmpty()) -1 else ack.body.size.toLong())
        if (ack.body.isNotEmpty()) exchange.responseBody.use { it.write(ack.body) }
        exchange.close()
    }
    server.start()
    try {
        control(sim, "/_sim/config", mapOf("pivot_callback_url" to "http://127.0.0.1:${server.address.port}/callbacks/pivot", "retry_scale_seconds_per_hour" to JsonNumber("0.1")))
        val reference = driver.submit("pivot", orderOf("KT-CB-1"))
        // A forged callback for it: refused, nothing routed.
        val forged = driver.handleCallback("pivot", listOf(Header("X-API-Key", "wrong")), "{}".toByteArray())
        expect(forged.status.toInt() == 401) { "a forged callback answered ${forged.status}" }
        val done = driver.run()[reference]
        expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "callbacks: ended with $done" }
        val history = store.history(reference)
        expect(history.any { it.kind == "callback" }) { "no callback routed to $reference: $history" }
        expect(history.any { it.kind == "verdict" && it.detail == "applied" }) { "no callback applied: $history" }
        expect(history.none { it.kind == "send" && it.detail.startsWith("query") }) { "queried although the callback came: $history" }
        expect(toJson(ledgerPivot(sim)["payouts_created_per_reference"]) == toJson(mapOf(reference to JsonNumber.of(1)))) { "ledger" }
        println("ok: a verified callback routed by reference ends the payout done (succeeded); a forged one is refused (401)")
    } finally {
        server.stop(0)
    }
}

private class Crash : Error("the process dies here (test)")

/** A transport that dies (as its process would) once a create has reached the provider: its
 *  answer is never read, so the payout id stays unknown. */
private fun dyingAfterCreate(): Transport {
    val http = JavaHttpTransport()
    return Transport { request, timeout ->
        val outcome = http.send(request, timeout)
        if (request.method == Method.POST && request.url.endsWith("/v1/payouts")) throw Crash()
        outcome
    }
}

/** A web server that keeps each callback it is sent (headers, raw body) and answers 200. */
private class CallbackCatcher : AutoCloseable {
    val caught = java.util.concurrent.LinkedBlockingQueue<Pair<List<Header>, ByteArray>>()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        createContext("/callbacks/pivot") { exchange ->
            caught.add(exchange.requestHeaders.flatMap { (name, values) -> values.map { Header(name, it) } } to exchange.requestBody.readAllBytes())
            exchange.sendResponseHeaders(200, -1)
            exchange.close()
        }
        start()
    }
    val url = "http://127.0.0.1:${server.address.port}/callbacks/pivot"
    fun next(): Pair<List<Header>, ByteArray> = caught.poll(30, TimeUnit.SECONDS) ?: throw AssertionError("no callback within 30 s")
    override fun close() = server.stop(0)
}

/**
 * A callback for a payout that no driver runs in this process (its create's answer died with the
 * process that sent it; the restarted one has its web server up but has not run yet) is applied
 * and saved before it is acknowledged: a fresh connection to the SQLite file finds the payout
 * succeeded and the verdict, and the next run ends it done from the file, without a query. While
 * a driver of another process holds the file, the callback is refused instead.
 */
private fun callbackForPayoutNotRunningHere(sim: String) {
    val pivot = pivotOf(sim)
    val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(60L))
    val file = java.io.File.createTempFile("kirim-idle", ".sqlite")
    CallbackCatcher().use { catcher ->
        try {
            control(sim, "/_sim/reset", emptyMap<String, Any>())
            control(sim, "/_sim/config", mapOf("pivot_callback_url" to catcher.url))
            val reference = "KT-IDLE-1"
            SqliteStore(file.path).use { store ->
                val dying = PayoutDriver(pivot = pivot, store = store, transport = dyingAfterCreate(), clock = FastClock(), settings = settings)
                dying.submit("pivot", orderOf(reference))
                try {
                    dying.run()
                    throw AssertionError("the dying transport did not stop the driver")
                } catch (e: Crash) {
                    // the process that sent the create is gone
                }
            }
            val (headers, body) = catcher.next()
            // While a driver of another process holds the file, the callback is refused (an
            // exception, so no acknowledgement), not saved for that driver to overwrite.
            val holder = childJvm(sim, file.path, "-", "hold", pipeOutput = true)
            try {
                expect(holder.inputStream.bufferedReader().readLine() == "held") { "the holding child did not hold the file" }
                SqliteStore(file.path).use { store ->
                    val refused = try {
                        PayoutDriver(pivot = pivot, store = store, clock = FastClock(), settings = settings).handleCallback("pivot", headers, body)
                        null
                    } catch (e: StoreInUseException) {
                        e
                    }
                    expect(refused?.message?.contains("(pid ${holder.pid()})") == true) { "a callback was taken while another process drives the file: ${refused?.message}" }
                    expect(store.load(reference)?.status != "succeeded") { "the refused callback changed the payout" }
                }
            } finally {
                holder.destroyForcibly()
                holder.waitFor(10, TimeUnit.SECONDS)
            }
            SqliteStore(file.path).use { store ->
                val ack = PayoutDriver(pivot = pivot, store = store, clock = FastClock(), settings = settings).handleCallback("pivot", headers, body)
                expect(ack.status.toInt() == 200) { "the callback was answered ${ack.status}" }
            } // the process may die right after its answer: nothing else is written
            SqliteStore(file.path).use { store ->
                val stored = store.load(reference)
                expect(stored?.status == "succeeded") { "acknowledged, but the callback is not in the stored snapshot: $stored" }
                expect(store.history(reference).any { it.kind == "verdict" && it.detail == "applied" }) { "no verdict stored: ${store.history(reference)}" }
                val done = PayoutDriver(pivot = pivot, store = store, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings).run()[reference]
                expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "the next run ended with $done" }
                expect(store.history(reference).none { it.kind == "send" && it.detail.startsWith("query") }) { "queried although the callback was stored" }
            }
            println("ok: a callback for a payout not running in this process is applied and saved before it is acknowledged; the next run ends it done without a query")
        } finally {
            file.delete()
            for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
        }
    }
}

/**
 * A callback that arrives while the run loop waits for the create's answer (the transport holds
 * it until the callback has been handled) is applied to the running machine and saved before
 * handleCallback returns; the run then ends done from it, without a query (a machine restored
 * beside the running one would have left the running one to query).
 */
private fun callbackWhileRequestOut(sim: String) {
    val pivot = pivotOf(sim)
    val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(60L))
    val file = java.io.File.createTempFile("kirim-live", ".sqlite")
    val reference = "KT-LIVE-1"
    val handled = java.util.concurrent.CountDownLatch(1)
    val seen = java.util.concurrent.atomic.AtomicReference<String>()
    try {
        SqliteStore(file.path).use { store ->
            lateinit var driver: PayoutDriver
            val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
            server.createContext("/callbacks/pivot") { exchange ->
                val headers = exchange.requestHeaders.flatMap { (name, values) -> values.map { Header(name, it) } }
                val ack = driver.handleCallback("pivot", headers, exchange.requestBody.readAllBytes())
                // What a crash right after this answer would leave.
                seen.compareAndSet(null, "status ${store.load(reference)?.status}, verdicts ${store.history(reference).filter { it.kind == "verdict" }.map { it.detail }}")
                handled.countDown()
                exchange.sendResponseHeaders(ack.status.toInt(), -1)
                exchange.close()
            }
            server.start()
            try {
                control(sim, "/_sim/reset", emptyMap<String, Any>())
                control(sim, "/_sim/config", mapOf("pivot_callback_url" to "http://127.0.0.1:${server.address.port}/callbacks/pivot"))
                val http = JavaHttpTransport()
                val holding = Transport { request, timeout ->
                    val outcome = http.send(request, timeout)
                    if (request.method == Method.POST && request.url.endsWith("/v1/payouts")) {
                        expect(handled.await(30, TimeUnit.SECONDS)) { "no callback within 30 s" }
                    }
                    outcome
                }
                driver = PayoutDriver(pivot = pivot, store = store, transport = holding, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings)
                driver.submit("pivot", orderOf(reference))
                val done = driver.run()[reference]
                expect(seen.get() == "status succeeded, verdicts [applied]") { "when the callback was acknowledged, the store held: ${seen.get()}" }
                expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "ended with $done" }
                expect(store.history(reference).none { it.kind == "send" && it.detail.startsWith("query") }) { "queried although the callback came" }
                expect(store.load(reference)?.state == "done") { "the store does not hold it done: ${store.load(reference)}" }
            } finally {
                server.stop(0)
            }
        }
        println("ok: a callback arriving while the create is out is applied to the running machine and saved before it is acknowledged; done, no query")
    } finally {
        file.delete()
        for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
    }
}

/** Drops the item-reference index from a SQLite file: the file as a store of before it left it. */
private fun dropReferenceIndex(path: String) {
    java.sql.DriverManager.getConnection("jdbc:sqlite:$path").use { db ->
        db.createStatement().use { it.execute("DROP TABLE IF EXISTS kirim_payout_references") }
    }
}

/**
 * A callback naming a Pivot batch's item (the simulator's callback for a one-item batch names the
 * item's reference, not the batch's) reaches the batch although its payout id is not stored yet
 * (the create's answer died with its process): in MemoryStore, in SqliteStore, and in a SQLite
 * file from before the item index, migrated when opened. The payout then ends done without a query.
 */
private fun batchItemRouted(sim: String) {
    val pivot = pivotOf(sim)
    val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(60L))
    val file = java.io.File.createTempFile("kirim-batch", ".sqlite")
    CallbackCatcher().use { catcher ->
        try {
            for ((index, kind) in listOf("MemoryStore", "SqliteStore", "a SQLite file from before the item index").withIndex()) {
                control(sim, "/_sim/reset", emptyMap<String, Any>())
                control(sim, "/_sim/config", mapOf("pivot_callback_url" to catcher.url))
                val reference = "KT-BATCH-$index"
                val item = "$reference-ITEM"
                val order = orderOf(reference).copy(items = listOf(PayoutItem(item, moneyIdr("100000"), Beneficiary("BCA", "1234567890", "Budi"), null, "Payout 1")))
                var store: PayoutStore = if (kind == "MemoryStore") MemoryStore() else SqliteStore(file.path)
                PayoutDriver(pivot = pivot, store = store, transport = dyingAfterCreate(), clock = FastClock(), settings = settings).let { dying ->
                    dying.submit("pivot", order)
                    try {
                        dying.run()
                        throw AssertionError("the dying transport did not stop the driver")
                    } catch (e: Crash) {
                        // the process that sent the create is gone
                    }
                }
                val (headers, body) = catcher.next()
                expect(String(body).contains("\"referenceId\":\"$item\"")) { "the callback does not name the item: ${String(body)}" }
                if (kind != "MemoryStore") {
                    (store as SqliteStore).close()
                    if (kind.startsWith("a SQLite file")) dropReferenceIndex(file.path)
                    store = SqliteStore(file.path)
                }
                expect(store.load(reference)?.payoutId == null) { "$kind: the payout id is stored already: ${store.load(reference)}" }
                val driver = PayoutDriver(pivot = pivot, store = store, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings)
                val ack = driver.handleCallback("pivot", headers, body)
                expect(ack.status.toInt() == 200) { "$kind: the callback was answered ${ack.status}" }
                expect(store.history(reference).any { it.kind == "callback" }) {
                    "$kind: the callback naming item $item was not routed to batch $reference: ${store.history("")}"
                }
                val done = driver.run()[reference]
                expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "$kind: ended with $done" }
                expect(store.history(reference).none { it.kind == "send" && it.detail.startsWith("query") }) { "$kind: queried although the callback came" }
                (store as? AutoCloseable)?.close()
                file.delete()
                for (suffix in listOf("-wal", "-shm")) java.io.File(file.path + suffix).delete()
            }
            println("ok: a callback naming a batch item reaches its batch before the payout id is stored (MemoryStore, SqliteStore, an older SQLite file migrated): done, no query")
        } finally {
            file.delete()
            for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
        }
    }
}

private fun resumedFromSqlite(sim: String) {
    control(sim, "/_sim/reset", emptyMap<String, Any>())
    control(sim, "/_sim/config", mapOf("pivot_callback_url" to JsonNull))
    val pivot = pivotOf(sim)
    val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(60L))
    val file = java.io.File.createTempFile("kirim-driver", ".sqlite")
    try {
        val http = JavaHttpTransport()
        // The create reaches the simulator; its answer is never read.
        val dying = Transport { request, timeout ->
            val outcome = http.send(request, timeout)
            if (request.method == Method.POST && request.url.endsWith("/v1/payouts")) throw Crash()
            outcome
        }
        val reference = "KT-SQLITE-1"
        SqliteStore(file.path).use { store ->
            val driver = PayoutDriver(pivot = pivot, store = store, transport = dying, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings)
            driver.submit("pivot", orderOf(reference))
            try {
                driver.run()
                throw AssertionError("the dying transport did not stop the first driver")
            } catch (e: Crash) {
                // the first process is gone
            }
        }
        expect(toJson(ledgerPivot(sim)["payouts_created_per_reference"]) == toJson(mapOf(reference to JsonNumber.of(1)))) { "the create did not reach the simulator" }
        SqliteStore(file.path).use { store ->
            val stored = store.load(reference)
            expect(stored?.state == OPEN && stored.snapshot.contains("\"outstanding\":{\"purpose\":\"create\"")) {
                "the snapshot with the create outstanding was not stored before the send: $stored"
            }
            expect(stored!!.orderJson.contains("\"reference\":\"$reference\"")) { "the order is not stored: ${stored.orderJson}" }
            val driver = PayoutDriver(pivot = pivot, store = store, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings)
            val done = driver.run()[reference]
            expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "resumed: ended with $done" }
            expect(store.load(reference)?.state == "done") { "the store does not hold it done" }
            val creates = store.history(reference).filter { it.kind == "send" && it.detail.startsWith("create") }
            expect(creates.size == 2) { "expected the identical create twice across the crash, got ${creates.size}" }
        }
        val ledger = ledgerPivot(sim)
        expect(toJson(ledger["payouts_created_per_reference"]) == toJson(mapOf(reference to JsonNumber.of(1)))) {
            "ledger after the resume: ${toJson(ledger["payouts_created_per_reference"])}"
        }
        println("ok: SqliteStore: a payout whose create answer died with its process resumes from the file to done, one payout in the ledger")
    } finally {
        file.delete()
        for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
    }
}

/** Settings of the SIGKILL test's children: a request out when a process died counts as lost
 * once its timeout (30 s, skipped forward by FastClock) is over; then a query after 1 s. */
private fun killTestSettings(pivot: Pivot) =
    lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(1L), requestTimeoutSeconds = 30L)

/**
 * The child JVM of the SIGKILL test, `MainKt --driver-child <simulator> <database> <reference>
 * start|resume|hold|probe`: `start` submits the payout and runs the driver (it is killed while its
 * create is out); `resume` runs a fresh driver on the same database. Exits 0 once the payout is
 * done, succeeded. `hold` claims the database until killed; `probe` tries to claim it once.
 */
fun driverChild(sim: String, db: String, reference: String, mode: String): Int {
    if (mode == "hold") { // holds the database as a running driver does, until killed
        SqliteStore(db).claimed {
            println("held")
            System.out.flush()
            Thread.sleep(120_000)
        }
        return 1
    }
    if (mode == "probe") { // claims the database once and says whether it could
        SqliteStore(db).use { store ->
            try {
                store.claimed { println("claimed") }
            } catch (e: StoreInUseException) {
                println("refused: ${e.message}")
            }
        }
        return 0
    }
    val pivot = pivotOf(sim)
    SqliteStore(db).use { store ->
        val driver = PayoutDriver(pivot = pivot, store = store, clock = FastClock(), timeout = Duration.ofSeconds(20), settings = killTestSettings(pivot))
        if (mode == "start") driver.submit("pivot", orderOf(reference))
        val action = driver.run()[reference]
        println("driver child ($mode, pid ${ProcessHandle.current().pid()}): $reference ended with $action")
        return if (action is LifecycleAction.Done && action.status == PayoutStatus.SUCCEEDED) 0 else 1
    }
}

/** This JVM again (same java, classpath and native library path), running [driverChild]. */
private fun childJvm(vararg args: String, pipeOutput: Boolean = false): Process {
    val java = ProcessHandle.current().info().command().orElse("java")
    val command = listOf(java, "-Djna.library.path=" + System.getProperty("jna.library.path"), "-cp", System.getProperty("java.class.path"), "MainKt", "--driver-child") + args
    val builder = ProcessBuilder(command).inheritIO()
    if (pipeOutput) builder.redirectOutput(ProcessBuilder.Redirect.PIPE)
    return builder.start()
}

private fun secondProcessRefused(sim: String) {
    control(sim, "/_sim/reset", emptyMap<String, Any>())
    val file = java.io.File.createTempFile("kirim-two", ".sqlite")
    try {
        val holder = childJvm(sim, file.path, "-", "hold", pipeOutput = true)
        try {
            val line = holder.inputStream.bufferedReader().readLine()
            expect(line == "held") { "the holding child said '$line'" }
            SqliteStore(file.path).use { store ->
                val driver = PayoutDriver(pivot = pivotOf(sim), store = store, timeout = Duration.ofSeconds(5))
                driver.submit("pivot", orderOf("KT-TWO-1")) // submitting and reading stay allowed
                val refused = try {
                    driver.run()
                    null
                } catch (e: StoreInUseException) {
                    e
                }
                expect(refused?.message?.contains("(pid ${holder.pid()}): run one driver process per database") == true) {
                    "a second process's run was not refused clearly: ${refused?.message}"
                }
                expect(store.unfinished().map { it.reference } == listOf("KT-TWO-1")) { "the payout was touched" }
            }
        } finally {
            holder.destroyForcibly()
            holder.waitFor(10, TimeUnit.SECONDS)
        }
        // The lock ended with the killed process: this one runs the payout now.
        control(sim, "/_sim/config", mapOf("pivot_callback_url" to JsonNull))
        SqliteStore(file.path).use { store ->
            val pivot = pivotOf(sim)
            val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(1L))
            val done = PayoutDriver(pivot = pivot, store = store, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings).run()["KT-TWO-1"]
            expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "after the holder died: $done" }
        }
        println("ok: a second process's run on a held SQLite file is refused (StoreInUseException, the holder's pid); once the holder is killed, the run drives the payout to done")
    } finally {
        file.delete()
        for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
    }
}

/** Two SqliteStores of one file in one JVM: the second is refused, naming the first, and closing
 *  it leaves the first one's OS lock in place (JVM file locks are the process's: closing any
 *  channel on the file would drop it), so another process is still refused. */
private fun secondStoreInProcessRefused(sim: String) {
    val file = java.io.File.createTempFile("kirim-same", ".sqlite")
    try {
        SqliteStore(file.path).use { first ->
            first.claimed {
                val refused = SqliteStore(file.path).use { second ->
                    try {
                        second.claimed { }
                        null
                    } catch (e: StoreInUseException) {
                        e
                    }
                }
                val thread = Thread.currentThread().name
                expect(refused?.message?.contains("in use by another SqliteStore of this process") == true && refused.message!!.contains("thread '$thread'")) {
                    "a second store of this process was not refused, naming the first: ${refused?.message}"
                }
                val probe = childJvm(sim, file.path, "-", "probe", pipeOutput = true)
                val said = probe.inputStream.bufferedReader().readLine()
                expect(probe.waitFor(60, TimeUnit.SECONDS)) { "the probing child did not end" }
                expect(said?.startsWith("refused: ") == true && said.contains("(pid ${ProcessHandle.current().pid()})")) {
                    "after the second store was closed, another process's claim said: $said"
                }
            }
        }
        SqliteStore(file.path).use { again -> again.claimed { } } // the first let go: a new store claims
        println("ok: a second SqliteStore of one file in this JVM is refused, naming the first; closing it keeps the first's lock (another process is still refused)")
    } finally {
        file.delete()
        for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
    }
}

private fun killedWhileCreateOut(sim: String) {
    control(sim, "/_sim/reset", emptyMap<String, Any>())
    control(sim, "/_sim/config", mapOf("pivot_callback_url" to JsonNull))
    // The create is processed at once and its answer held for 60 s: the child dies waiting for it.
    control(sim, "/_sim/faults", mapOf("method" to "POST", "path" to "/v1/payouts", "fault" to "delay_response", "hold_seconds" to JsonNumber.of(60)))
    val file = java.io.File.createTempFile("kirim-kill", ".sqlite")
    val reference = "KT-KILL-1"
    try {
        val paying = childJvm(sim, file.path, reference, "start")
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60) // a JVM starts slowly on a busy machine
        while ((ledgerPivot(sim)["payouts_created_per_reference"] as Map<*, *>)[reference] == null) {
            expect(paying.isAlive) { "the child ended (exit ${paying.exitValue()}) before its create reached the simulator" }
            expect(System.nanoTime() < deadline) { "the child's create did not reach the simulator within 60 s" }
            Thread.sleep(50)
        }
        expect(paying.isAlive) { "the child ended before it could be killed" }
        // SIGKILL (what destroyForcibly sends on Linux; the exit status 137 = 128 + 9 below proves
        // it): no shutdown hook, no finally block, no flush runs in the child.
        paying.destroyForcibly()
        expect(paying.waitFor(10, TimeUnit.SECONDS)) { "the child survived SIGKILL" }
        expect(paying.exitValue() == 128 + 9) { "the child ended with ${paying.exitValue()}, not by SIGKILL (137)" }
        // What the killed process left: the snapshot stored BEFORE the create went out.
        SqliteStore(file.path).use { store ->
            val stored = store.load(reference)
            expect(stored?.state == OPEN && stored.snapshot.contains("\"outstanding\":{\"purpose\":\"create\"")) {
                "the killed child did not leave its snapshot with the create outstanding: $stored"
            }
        }
        val resuming = childJvm(sim, file.path, reference, "resume")
        expect(resuming.waitFor(120, TimeUnit.SECONDS)) { "the fresh JVM did not finish within 120 s" }
        expect(resuming.exitValue() == 0) { "the fresh JVM did not resume the payout to done (exit ${resuming.exitValue()})" }
        SqliteStore(file.path).use { store ->
            expect(store.load(reference)?.state == "done") { "the store does not hold it done" }
            expect(store.unfinished().isEmpty()) { "unfinished payouts remain: ${store.unfinished()}" }
            val creates = store.history(reference).filter { it.kind == "send" && it.detail.startsWith("create") }
            expect(creates.size == 2) { "expected the identical create once before the kill and once after, got ${creates.size}" }
        }
        expectOnePayoutReplayedOnce(sim, reference)
        println("ok: a child JVM killed with SIGKILL while its create was out (pid ${paying.pid()}, exit 137) is resumed from SQLite by a fresh JVM: done, one payout in the ledger, 1 replay")
    } finally {
        file.delete()
        for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
    }
}

/** The order of `unfinished()` is the same in every store and language (bindings-python's
 *  test_store_order.py and tests/scale/test_postgres.py check theirs): due now first. */
private fun unfinishedOrder(@Suppress("UNUSED_PARAMETER") sim: String) {
    val file = java.io.File.createTempFile("kirim-order", ".db")
    try {
        for (store in listOf(MemoryStore(), SqliteStore(file.path))) {
            for ((reference, due) in listOf("B" to 200L, "A" to null, "C" to 100L, "D" to null)) {
                store.save(PayoutRecord(reference, "pivot", "{}", "{}", "open", "pending", due))
            }
            store.save(PayoutRecord("E", "pivot", "{}", "{}", "done", "succeeded", null))
            val order = store.unfinished().map { it.reference }
            expect(order == listOf("A", "D", "C", "B")) { "${store::class.simpleName}: unfinished() in the order $order" }
            (store as? AutoCloseable)?.close()
        }
        println("ok: unfinished() lists payouts due now first, then by next due, in MemoryStore and SqliteStore")
    } finally {
        file.delete()
        for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
    }
}

/** A loopback server answering every request 200 with no body, counting the requests it got. */
private class CountingServer {
    val reached = java.util.concurrent.atomic.AtomicInteger()
    val server: HttpServer = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        createContext("/") { exchange ->
            reached.incrementAndGet()
            exchange.sendResponseHeaders(200, -1)
            exchange.close()
        }
        start()
    }
}

/** JavaHttpTransport never follows a redirect: a 302 to a create is the response the core reads,
 *  and the bearer token never reaches the host it points to. A client that follows is refused. */
private fun redirectsNotFollowed(@Suppress("UNUSED_PARAMETER") sim: String) {
    val counting = CountingServer()
    val elsewhere = counting.server
    val reached = counting.reached
    val provider = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
    provider.createContext("/v1/payouts") { exchange ->
        exchange.requestBody.readAllBytes()
        exchange.responseHeaders.add("Location", "http://127.0.0.1:${elsewhere.address.port}/v1/payouts")
        exchange.sendResponseHeaders(302, -1)
        exchange.close()
    }
    provider.start()
    try {
        val request = HttpRequest(Method.POST, "http://127.0.0.1:${provider.address.port}/v1/payouts",
            listOf(Header("Authorization", "Bearer secret-token"), Header("Content-Type", "application/json")), "{}".toByteArray())
        val outcome = JavaHttpTransport().send(request, Duration.ofSeconds(5))
        expect(outcome is HttpOutcome.Response && outcome.v1.status.toInt() == 302) { "a 302 did not reach the caller as a response: $outcome" }
        expect(reached.get() == 0) { "the redirect was followed: its target was asked ${reached.get()} time(s)" }
        for (follows in listOf(HttpClient.Redirect.ALWAYS, HttpClient.Redirect.NORMAL)) {
            val refused = try {
                JavaHttpTransport(HttpClient.newBuilder().followRedirects(follows).build())
                null
            } catch (e: IllegalArgumentException) {
                e
            }
            expect(refused?.message?.contains("never follows redirects") == true) { "a client following redirects ($follows) was accepted: ${refused?.message}" }
        }
        println("ok: JavaHttpTransport hands a 302 back as the response (its target never asked); a client that follows redirects is refused")
    } finally {
        provider.stop(0)
        elsewhere.stop(0)
    }
}

/** A stored row holding another payout's snapshot (an edited database, a store returning the
 *  wrong row) is refused by the core's rule (PayoutLifecycle.restoreStored): `invalid_field` on
 *  `reference`, in run() and for a callback routed to it, and nothing is sent or saved. It used to
 *  run as a second machine for that payout, sending its requests and saving over its row. */
private fun rowHoldingAnotherPayoutsSnapshot(sim: String) {
    val pivot = pivotOf(sim)
    val sent = mutableListOf<String>()
    val recording = Transport { request, _ ->
        sent.add(request.url)
        HttpOutcome.Transport(TransportFailure.CONNECTION_ERROR)
    }
    val stopping = object : Clock { // a run that drives the rows would wait: fail then, never hang
        override fun now(): Long = 1_700_000_000L
        override fun sleep(seconds: Long, wake: Semaphore) = throw AssertionError("the run drove the rows and waited; it sent $sent")
    }
    val store = MemoryStore()
    val driver = PayoutDriver(pivot = pivot, store = store, transport = recording, clock = stopping)
    driver.submit("pivot", orderOf("B"))
    val b = store.load("B") ?: throw AssertionError("B was not stored")
    val a = b.copy(reference = "A")
    store.save(a)
    fun refused(what: String, block: () -> Unit) {
        val error = try {
            block()
            null
        } catch (e: RestoreRefusedException) {
            e.refused["A"]
        } catch (e: KirimException) {
            e.info()
        }
        expect(error != null) { "$what: a row holding another payout's snapshot was not refused (sent $sent)" }
        expect(error!!.code == ErrorCode.INVALID_FIELD && error.field == "reference") { "$what: ${error.code} on ${error.field}" }
        expect("\"A\"" in error.message && "\"B\"" in error.message) { "$what: ${error.message}" }
    }
    refused("run") { driver.run(setOf("A")) }
    // A callback routed to row A (by its payout reference) restores it the same way, and throws:
    // it is not acknowledged (the provider sends it again).
    val callback = pivot.testCallback(Secret("kirim-callback-key"), TestCallbackEvent(PayoutStatus.SUCCEEDED, moneyIdr("100000"), "pivot-uuid-a", "A", null))
    refused("callback") { driver.handleCallback("pivot", callback.headers, callback.body) }
    expect(sent.isEmpty()) { "a request went out for a row that holds another payout's snapshot: $sent" }
    expect(store.load("A") == a && store.load("B") == b) { "a row changed: ${store.load("A")} ${store.load("B")}" }
    println("ok: a stored row holding another payout's snapshot is refused (invalid_field on reference) in run() and for a callback; nothing sent or saved")
}

/** A transport and clock for a run that must drive nothing: a send or a wait fails it. */
private class Offline : Clock, Transport {
    override fun now(): Long = 1_700_000_000L
    override fun sleep(seconds: Long, wake: Semaphore) = throw AssertionError("the run waited")
    override fun send(request: HttpRequest, timeout: Duration): HttpOutcome = throw AssertionError("the run sent ${request.url}")
}

/**
 * run(references) answers for each payout it names, as JavaScript's run(reference): one the store
 * does not hold is refused (invalid_field on reference, nothing run), one that has ended answers
 * its final action (nothing sent). Before: both were left out of the result, silently.
 */
private fun namedRunsAnswered(sim: String) {
    val pivot = pivotOf(sim)
    val store = MemoryStore()
    val offline = Offline()
    val driver = PayoutDriver(pivot = pivot, store = store, transport = offline, clock = offline)
    driver.submit("pivot", orderOf("KT-HELD"))
    for (named in listOf(setOf("KT-NO-SUCH"), setOf("KT-HELD", "KT-NO-SUCH"))) {
        val error = try {
            driver.run(named)
            null
        } catch (e: KirimException) {
            e
        }
        expect(error != null) { "run($named) was not refused" }
        expect(error!!.code() == ErrorCode.INVALID_FIELD && error.field() == "reference") { "run($named): ${error.code()} on ${error.field()}" }
        expect("\"KT-NO-SUCH\"" in error.errorMessage()) { "run($named): ${error.errorMessage()}" }
    }
    expect(store.history("KT-HELD").map { it.kind } == listOf("submitted")) { "a refused run ran: ${store.history("KT-HELD")}" }
    expect(store.load("KT-HELD")?.state == OPEN) { "${store.load("KT-HELD")}" }

    control(sim, "/_sim/reset", emptyMap<String, Any>())
    control(sim, "/_sim/config", mapOf("pivot_callback_url" to JsonNull))
    val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(1L))
    val ended = MemoryStore()
    val first = PayoutDriver(pivot = pivot, store = ended, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings)
    val reference = first.submit("pivot", orderOf("KT-ENDED-1"))
    val done = first.run(setOf(reference))[reference]
    expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "ended with $done" }
    val history = ended.history(reference)
    val again = PayoutDriver(pivot = pivot, store = ended, transport = offline, clock = offline).run(setOf(reference))
    expect(again == mapOf(reference to done)) { "a run of the ended payout answered $again, not $done" }
    expect(first.run(setOf(reference)) == mapOf(reference to done)) { "the same driver's run answered otherwise" }
    expect(ended.history(reference) == history) { "a run of the ended payout changed its history: ${ended.history(reference)}" }
    expect(toJson(ledgerPivot(sim)["payouts_created_per_reference"]) == toJson(mapOf(reference to JsonNumber.of(1)))) { "ledger" }
    println("ok: run(references) refuses a reference the store does not hold (invalid_field on reference, nothing run), and answers an ended payout's final action")
}

/** A stored row the driver cannot restore (another payout's snapshot, garbage, a provider not
 *  configured) used to stop run() before any payout was driven: every payout of the store stalled
 *  until a person fixed the row (a create that was out could only go to manual reconciliation once
 *  Pivot's key window had passed). Now every other payout runs to its end; the row is left as it
 *  is, its refusal in its history, and run() then throws RestoreRefusedException naming it with
 *  its error and carrying the others' results; the next run tries it again. */
private fun rowsTheDriverCannotRestore(sim: String) {
    val cases = listOf(
        Triple("another payout's snapshot", ErrorCode.INVALID_FIELD, "reference"),
        Triple("garbage", ErrorCode.UNSUPPORTED_SNAPSHOT, "version"),
        Triple("a provider not configured", ErrorCode.INVALID_CONFIG, "provider"),
    )
    for ((i, case) in cases.withIndex()) {
        val (kind, code, field) = case
        control(sim, "/_sim/reset", emptyMap<String, Any>())
        control(sim, "/_sim/config", mapOf("pivot_callback_url" to JsonNull)) // a query ends it
        val pivot = pivotOf(sim)
        val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(60L))
        val store = MemoryStore()
        val driver = PayoutDriver(pivot = pivot, store = store, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings)
        val good = driver.submit("pivot", orderOf("KT-GOOD-$i"))
        val g = store.load(good) ?: throw AssertionError("$kind: $good was not stored")
        val bad = when (kind) {
            "another payout's snapshot" -> g.copy(reference = "X").also(store::save)
            "garbage" -> g.copy(reference = "X", snapshot = """{"version": 99, "order": "not kirim"}""").also(store::save)
            else -> {
                val gateway = Gateway(GatewayConfig(baseUrl = sim, platformId = "PF0002", platformKey = Secret("ThisIsYourSecretKey123"), authorization = Secret("kirim-gateway-auth")))
                PayoutDriver(gateway = gateway, store = store).submit("gateway", orderOf("X").copy(notifyUrl = "http://127.0.0.1:9/n"))
                store.load("X") ?: throw AssertionError("$kind: X was not stored")
            }
        }
        fun refusedRun(): RestoreRefusedException = try {
            driver.run()
            throw AssertionError("$kind: run() ended without naming the row it refused")
        } catch (e: RestoreRefusedException) {
            e
        }
        val error = refusedRun()
        expect(error.code() == ErrorCode.UNSUPPORTED_SNAPSHOT && error.info().code == ErrorCode.UNSUPPORTED_SNAPSHOT) { "$kind: ${error.code()}" }
        // The good payout ran to its end, once; its result is in the exception.
        val done = error.results[good]
        expect(error.results.keys == setOf(good) && done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "$kind: results ${error.results}" }
        expect(toJson(ledgerPivot(sim)["payouts_created_per_reference"]) == toJson(mapOf(good to JsonNumber.of(1)))) { "$kind: ledger ${ledgerPivot(sim)}" }
        // The bad row: named with its error, not driven, not written, its refusal in its history.
        val refusal = error.refused["X"]
        expect(error.refused.keys == setOf("X") && refusal != null && refusal.code == code && refusal.field == field) { "$kind: refused ${error.refused}" }
        val detail = "${errorCodeString(code)}: ${refusal!!.message}"
        expect("\"X\"" in error.errorMessage() && detail in error.errorMessage()) { "$kind: ${error.errorMessage()}" }
        expect(store.load("X") == bad) { "$kind: the row changed: ${store.load("X")}" }
        val history = store.history("X")
        expect(history.last().kind == "restore_refused" && history.last().detail == detail && history.none { it.kind == "send" }) { "$kind: history $history" }
        // Nothing is set aside: the next run tries the row again (and says so again).
        val again = refusedRun()
        expect(again.refused.keys == setOf("X") && again.results.isEmpty()) { "$kind: again ${again.refused} ${again.results}" }
        expect(store.history("X").count { it.kind == "restore_refused" } == 2 && store.load("X") == bad) { "$kind: again ${store.history("X")}" }
        // Named in run(references) once ended (answered from its stored snapshot): named the same
        // way, not thrown at once as the core's error.
        val ended = bad.copy(state = "done", status = "succeeded").also(store::save)
        val named = try {
            driver.run(setOf("X"))
            throw AssertionError("$kind: run(X) of an ended row it cannot restore answered")
        } catch (e: RestoreRefusedException) {
            e
        }
        expect(named.refused.keys == setOf("X") && named.refused["X"]?.code == code) { "$kind: run(X) ${named.refused}" }
        expect(store.history("X").last().kind == "restore_refused" && store.load("X") == ended) { "$kind: run(X) ${store.history("X")}" }
    }
    println("ok: a stored row the driver cannot restore (another payout's snapshot, garbage, a provider not configured) is left as it is, its refusal in its history; every other payout runs to its end, then run() throws RestoreRefusedException naming it")
}

private fun submitReferenceOnce(sim: String) {
    val pivot = pivotOf(sim)
    val offline = Transport { request, _ -> throw AssertionError("submit sent ${request.url}") }
    val store = MemoryStore()
    val driver = PayoutDriver(pivot = pivot, store = store, transport = offline, clock = FastClock())
    fun refused(what: String, field: String, vararg words: String, block: () -> Unit) {
        val error = try {
            block()
            null
        } catch (e: KirimException) {
            e
        }
        expect(error != null) { "$what: not refused" }
        expect(error!!.code() == ErrorCode.INVALID_FIELD && error.field() == field) { "$what: ${error.code()} on ${error.field()}" }
        for (word in words.toList() + "use a new reference for a new payout") {
            expect(word in error.errorMessage()) { "$what: '$word' not in ${error.errorMessage()}" }
        }
    }
    // The identical order again (its amount spelled another way) writes nothing.
    expect(driver.submit("pivot", orderOf("KT-ONCE")) == "KT-ONCE") { "submit did not return the reference" }
    val first = store.load("KT-ONCE")
    expect(driver.submit("pivot", orderOf("KT-ONCE").copy(amount = moneyIdr("100000.00"))) == "KT-ONCE") { "the identical order was not accepted" }
    expect(store.load("KT-ONCE") == first) { "the identical order changed the stored payout: ${store.load("KT-ONCE")}" }
    expect(store.history("KT-ONCE").map { it.kind } == listOf("submitted")) { "history: ${store.history("KT-ONCE")}" }
    // Another amount under the stored reference: refused, the stored payout unchanged.
    refused("another amount", "reference", "\"KT-ONCE\"", "amount: stored 100000.00 IDR, this order 500000.00 IDR") {
        driver.submit("pivot", orderOf("KT-ONCE").copy(amount = moneyIdr("500000")))
    }
    expect(store.load("KT-ONCE") == first) { "a refused order changed the stored payout: ${store.load("KT-ONCE")}" }
    // A single payout named like a stored batch's item, and a batch with an item named like a
    // stored payout: refused, nothing stored, the reference still finds its payout.
    val item = PayoutItem("KT-BATCH-A", moneyIdr("100000"), Beneficiary("BCA", "1234567890", "Budi"), null, "Payout 1")
    driver.submit("pivot", orderOf("KT-BATCH").copy(items = listOf(item)))
    refused("a payout named like a batch's item", "reference", "\"KT-BATCH-A\"", "\"KT-BATCH\"") {
        driver.submit("pivot", orderOf("KT-BATCH-A"))
    }
    expect(store.load("KT-BATCH-A") == null && store.findByReference("KT-BATCH-A")?.reference == "KT-BATCH") { "KT-BATCH-A: ${store.findByReference("KT-BATCH-A")}" }
    refused("a batch with an item named like a payout", "items[0].reference", "\"KT-ONCE\"") {
        driver.submit("pivot", orderOf("KT-BATCH-2").copy(items = listOf(item.copy(reference = "KT-ONCE"))))
    }
    expect(store.load("KT-BATCH-2") == null && store.findByReference("KT-ONCE") == first) { "KT-ONCE: ${store.findByReference("KT-ONCE")}" }
    println("ok: submit writes a reference once: the identical order again changes nothing; another order under it, a payout named like a batch's item and a batch with an item named like a payout are refused (invalid_field), nothing written")
}

/**
 * Two PayoutDrivers of one process over one store object (a MemoryStore; a SqliteStore, whose
 * claim is per store): while the first one's create is out, the second one's run and its
 * handleCallback (a real, verified callback for the payout) throw StoreInUseException naming
 * another PayoutDriver of this process, and the second sends nothing nor changes the stored
 * payout. They used to share the store: the second ran its own machine for the same payout (a
 * second create) and saved its snapshots, and a callback it applied was overwritten by the
 * first one's next save after it had been acknowledged. Once the first run is over, the second
 * may drive the store.
 */
private fun secondDriverOfTheProcessRefused(sim: String) {
    val pivot = pivotOf(sim)
    val settings = lifecycleSettingsDefaults(LifecycleProvider.Pivot(pivot)).copy(queryScheduleSeconds = listOf(60L))
    val file = java.io.File.createTempFile("kirim-two-drivers", ".sqlite")
    try {
        CallbackCatcher().use { catcher ->
            SqliteStore(file.path).use { sqlite ->
                for ((name, store) in listOf("MemoryStore" to MemoryStore() as PayoutStore, "SqliteStore" to sqlite as PayoutStore)) {
                    control(sim, "/_sim/reset", emptyMap<String, Any>())
                    control(sim, "/_sim/config", mapOf("pivot_callback_url" to catcher.url))
                    catcher.caught.clear()
                    val reference = "KT-TWO-$name"
                    val out = java.util.concurrent.CountDownLatch(1)
                    val release = java.util.concurrent.CountDownLatch(1)
                    val http = JavaHttpTransport()
                    val holding = Transport { request, timeout ->
                        val outcome = http.send(request, timeout)
                        if (request.method == Method.POST && request.url.endsWith("/v1/payouts")) {
                            out.countDown()
                            release.await(30, TimeUnit.SECONDS)
                        }
                        outcome
                    }
                    val secondSent = mutableListOf<String>()
                    val recording = Transport { request, _ ->
                        synchronized(secondSent) { secondSent.add("${request.method} ${request.url}") }
                        throw AssertionError("the second driver sent ${request.method} ${request.url}") // ends its run
                    }
                    val first = PayoutDriver(pivot = pivot, store = store, transport = holding, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings)
                    val second = PayoutDriver(pivot = pivot, store = store, transport = recording, clock = FastClock(), timeout = Duration.ofSeconds(5), settings = settings)
                    first.submit("pivot", orderOf(reference))
                    val firstRun = java.util.concurrent.CompletableFuture.supplyAsync { first.run()[reference] }
                    fun refused(what: String, block: () -> Unit): String? = try {
                        block()
                        "$what was not refused"
                    } catch (e: StoreInUseException) {
                        if (e.message?.contains("another PayoutDriver of this process") == true) null else "$what: ${e.message}"
                    } catch (e: Throwable) {
                        "$what: ${e::class.java.name}: ${e.message}"
                    }
                    val problems = try {
                        expect(out.await(30, TimeUnit.SECONDS)) { "$name: the first driver sent no create" }
                        val before = store.load(reference)
                        val (headers, body) = catcher.next()
                        listOfNotNull(
                            refused("$name: the second driver's run") { second.run() },
                            refused("$name: the second driver's handleCallback") { second.handleCallback("pivot", headers, body) },
                            "$name: the second driver sent $secondSent".takeIf { secondSent.isNotEmpty() },
                            "$name: the second driver changed the stored payout: ${store.load(reference)}".takeIf { store.load(reference) != before },
                        )
                    } finally {
                        release.countDown()
                    }
                    val done = firstRun.get(60, TimeUnit.SECONDS)
                    expect(problems.isEmpty()) { problems.joinToString("; ") }
                    expect(done is LifecycleAction.Done && done.status == PayoutStatus.SUCCEEDED) { "$name: the first driver ended with $done" }
                    val created = toJson(ledgerPivot(sim)["payouts_created_per_reference"])
                    expect(created == toJson(mapOf(reference to JsonNumber.of(1)))) { "$name: ledger $created" }
                    // The first run is over: the second drives the store now (nothing unfinished).
                    expect(second.run().isEmpty()) { "$name: the second driver's run after the first's found work" }
                    expect(secondSent.isEmpty()) { "$name: the second driver sent $secondSent" }
                }
            }
        }
        println("ok: a second PayoutDriver of the process over the same store (MemoryStore, SqliteStore) is refused (StoreInUseException) its run and its callbacks while the first drives it, sending and saving nothing; once the first run ends, it may drive")
    } finally {
        file.delete()
        for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
    }
}

/** A loopback server answering each request (its body read by Content-Length) with the raw
 *  answer [answer] gives for its path, written as it is, then closing the connection. */
private class BodyServer(private val answer: (path: String) -> Answer) : AutoCloseable {
    /** [head]: the status line and headers (CRLF, no blank line); [body] in [pieces] of that size
     *  (chunked framing when [chunked]); [hold]: ms the connection stays open after the body. */
    data class Answer(val head: String, val body: ByteArray, val chunked: Boolean = false, val pieces: Int = 16_384, val hold: Long = 0)

    private val socket = java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())
    private val open = java.util.Collections.synchronizedList(mutableListOf<java.net.Socket>())
    val port = socket.localPort
    /** Connections being answered (or held): a client that closes its end ends a held one at once. */
    val active = java.util.concurrent.atomic.AtomicInteger()

    init {
        Thread {
            while (!socket.isClosed) {
                val connection = try { socket.accept() } catch (e: java.io.IOException) { break }
                open.add(connection)
                active.incrementAndGet()
                Thread { serve(connection) }.apply { isDaemon = true }.start()
            }
        }.apply { isDaemon = true }.start()
    }

    private fun serve(connection: java.net.Socket) = try {
        connection.use {
            val input = java.io.BufferedInputStream(it.getInputStream())
            val head = StringBuilder()
            while (!head.endsWith("\r\n\r\n")) {
                val b = input.read()
                if (b < 0) return@use
                head.append(b.toChar())
            }
            val length = Regex("(?i)content-length: *(\\d+)").find(head)?.groupValues?.get(1)?.toInt() ?: 0
            input.readNBytes(length)
            val path = head.lineSequence().first().split(" ")[1]
            val a = answer(path)
            val out = it.getOutputStream()
            out.write((a.head + "\r\n\r\n").toByteArray(Charsets.US_ASCII))
            var at = 0
            while (at < a.body.size) {
                val n = minOf(a.pieces, a.body.size - at)
                if (a.chunked) out.write("${Integer.toHexString(n)}\r\n".toByteArray(Charsets.US_ASCII))
                out.write(a.body, at, n)
                if (a.chunked) out.write("\r\n".toByteArray(Charsets.US_ASCII))
                out.flush()
                at += n
            }
            if (a.chunked && a.hold == 0L) out.write("0\r\n\r\n".toByteArray(Charsets.US_ASCII))
            out.flush()
            if (a.hold > 0) {
                it.soTimeout = a.hold.toInt()
                input.read() // the client closing its end ends the hold (EOF, or a reset)
            }
        }
    } catch (e: Exception) {
        // the client went away (it stopped reading): expected for a body above its cap
    } finally {
        active.decrementAndGet()
    }

    override fun close() {
        socket.close()
        synchronized(open) { open.forEach { runCatching { it.close() } } }
    }
}

/**
 * JavaHttpTransport reads a response body in pieces and stops as soon as more than its
 * `maxResponseBytes` (default 16 MiB) has arrived: a body above the cap (with a Content-Length,
 * close-delimited, chunked; the connection then held open) is `connection_error` (an unknown
 * outcome: the core queries or resends, same key; never a truncated body), promptly (not after
 * the whole body or the timeout); a body of exactly the cap is delivered whole. A cap that is not
 * positive is refused when the transport or the driver is made, and so is a cap given to the
 * driver together with a transport of one's own; the driver's own transport takes the driver's cap.
 * (The body used to be read whole into memory, whatever its size: a hostile or broken endpoint
 * answering gigabytes ran the process out of memory.)
 */
private fun responseBodyCapped(sim: String) {
    val mb = ByteArray(1_000_000) { 'x'.code.toByte() }
    val exact = ByteArray(1_000) { 'y'.code.toByte() }
    val answers = mapOf(
        "/cl-1mb" to BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: ${mb.size}\r\nConnection: close", mb),
        "/cl-1001" to BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: 1001\r\nConnection: close", ByteArray(1_001)),
        "/cl-claims-1gb-held" to BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\nConnection: close", mb, hold = 30_000),
        "/close-1mb-held" to BodyServer.Answer("HTTP/1.1 200 OK\r\nConnection: close", mb, hold = 30_000),
        "/chunked-1mb-held" to BodyServer.Answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close", mb, chunked = true, pieces = 10_000, hold = 30_000),
        "/500-1mb-held" to BodyServer.Answer("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nConnection: close", mb, hold = 30_000),
        "/cl-exact" to BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: ${exact.size}\r\nConnection: close", exact),
        "/close-exact" to BodyServer.Answer("HTTP/1.1 200 OK\r\nConnection: close", exact),
        "/chunked-exact" to BodyServer.Answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close", exact, chunked = true, pieces = 300),
        "/default-exact" to BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: 16777216\r\nConnection: close", ByteArray(16_777_216)),
        "/default-above" to BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: 16777217\r\nConnection: close", ByteArray(16_777_217)),
    )
    val pool = java.util.concurrent.Executors.newCachedThreadPool { r -> Thread(r).apply { isDaemon = true } }
    BodyServer { path -> answers[path] ?: BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\nConnection: close", ByteArray(2_000)) }.use { server ->
        val base = "http://127.0.0.1:${server.port}"
        fun outcome(transport: Transport, path: String, method: Method = Method.GET): Pair<HttpOutcome?, Long> {
            val started = System.nanoTime()
            val request = HttpRequest(method, base + path, emptyList(), if (method == Method.GET) ByteArray(0) else "{}".toByteArray())
            val future = pool.submit<HttpOutcome> { transport.send(request, Duration.ofSeconds(20)) }
            val outcome = try {
                future.get(10, TimeUnit.SECONDS)
            } catch (e: java.util.concurrent.TimeoutException) {
                future.cancel(true)
                null // reported below as "no outcome within 10 s"
            }
            return outcome to (System.nanoTime() - started) / 1_000_000
        }
        val unknown = HttpOutcome.Transport(TransportFailure.CONNECTION_ERROR)
        val capped = JavaHttpTransport(maxResponseBytes = 1_000)
        val problems = mutableListOf<String>()
        for (path in listOf("/cl-1mb", "/cl-1001", "/cl-claims-1gb-held", "/close-1mb-held", "/chunked-1mb-held", "/500-1mb-held")) {
            for (method in listOf(Method.GET, Method.POST)) {
                val (got, ms) = outcome(capped, path, method)
                if (got != unknown) problems += "$method $path with a cap of 1000: ${(got as? HttpOutcome.Response)?.v1?.let { "HTTP ${it.status}, ${it.body.size} bytes" } ?: got ?: "no outcome within 10 s"}"
                else if (ms > 5_000) problems += "$method $path: connection_error only after $ms ms"
            }
        }
        // The connections of the bodies above the cap were closed by the client (their holds, up
        // to 30 s, ended): it does not keep reading, nor leave them open.
        val closedBy = System.nanoTime() + 10_000_000_000L
        while (server.active.get() > 0 && System.nanoTime() < closedBy) Thread.sleep(50)
        if (server.active.get() > 0) problems += "${server.active.get()} connection(s) of a body above the cap still open 10 s later"
        for (path in listOf("/cl-exact", "/close-exact", "/chunked-exact")) {
            val (got, _) = outcome(capped, path)
            val body = (got as? HttpOutcome.Response)?.v1?.body
            if (body == null || !body.contentEquals(exact)) problems += "$path (exactly the cap): $got, ${body?.size} bytes"
        }
        val (atDefault, _) = outcome(JavaHttpTransport(), "/default-exact")
        if ((atDefault as? HttpOutcome.Response)?.v1?.body?.size != 16_777_216) problems += "16 MiB with the default cap: $atDefault"
        val (aboveDefault, _) = outcome(JavaHttpTransport(), "/default-above")
        if (aboveDefault != unknown) problems += "16 MiB + 1 with the default cap: ${(aboveDefault as? HttpOutcome.Response)?.v1?.body?.size ?: aboveDefault} bytes"
        expect(problems.isEmpty()) { problems.joinToString("; ") }

        // A cap that is not positive is refused by the core's check when the transport or driver
        // is made (invalid_field on max_response_bytes, naming maxResponseBytes); one given to a
        // driver with a transport of one's own is refused too.
        fun refusal(block: () -> Unit): Exception? = try {
            block()
            null
        } catch (e: IllegalArgumentException) {
            e
        } catch (e: KirimException) {
            e
        }
        for (cap in listOf(0, -1, Int.MIN_VALUE)) {
            val makers = listOf<Pair<String, () -> Unit>>(
                "JavaHttpTransport" to { JavaHttpTransport(maxResponseBytes = cap) },
                "PayoutDriver" to { PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), maxResponseBytes = cap) },
            )
            for ((what, make) in makers) {
                val e = refusal(make)
                expect(e is KirimException && e.code() == ErrorCode.INVALID_FIELD && e.field() == "max_response_bytes" && "maxResponseBytes" in e.errorMessage()) {
                    "$what(maxResponseBytes = $cap): ${(e as? KirimException)?.errorMessage() ?: e ?: "accepted"}"
                }
            }
        }
        val both = refusal { PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), transport = capped, maxResponseBytes = 1_000) }
        expect(both is IllegalArgumentException && both.message?.contains("maxResponseBytes") == true && both.message!!.contains("transport")) { "a driver's cap with a transport of one's own: ${both ?: "accepted"}" }
        // The cap a transport reads up to is the core's: its default, or the one given.
        expect(JavaHttpTransport().maxResponseBytes.toLong() == transportOptions(null, null).maxResponseBytes) { "the default cap: ${JavaHttpTransport().maxResponseBytes}" }
        expect(JavaHttpTransport().maxResponseBytes == 16_777_216) { "the default cap: ${JavaHttpTransport().maxResponseBytes}" }
        expect(capped.maxResponseBytes == 1_000 && JavaHttpTransport(maxResponseBytes = Int.MAX_VALUE).maxResponseBytes == Int.MAX_VALUE) { "a cap given" }

        // The driver's own transport takes the driver's cap: its first request (Pivot's session)
        // is answered 2,000 bytes, a connection_error under a cap of 1,000, a response without.
        class Stop : Error("stop")
        val stopAtWait = object : Clock {
            override fun now() = System.currentTimeMillis() / 1000
            override fun sleep(seconds: Long, wake: Semaphore) = throw Stop()
        }
        for ((cap, expected) in listOf(1_000 to "connection_error", null to "HTTP 200, 2000 bytes")) {
            val store = MemoryStore()
            val pivot = Pivot(PivotConfig(baseUrl = base, merchantId = "kirim-merchant", merchantSecret = Secret("kirim-secret"), callbackApiKeys = emptyList()))
            val driver = if (cap == null) PayoutDriver(pivot = pivot, store = store, clock = stopAtWait, timeout = Duration.ofSeconds(5))
            else PayoutDriver(pivot = pivot, store = store, clock = stopAtWait, timeout = Duration.ofSeconds(5), maxResponseBytes = cap)
            val reference = driver.submit("pivot", orderOf("KT-CAP-${cap ?: "default"}"))
            try {
                pool.submit<Unit> { driver.run() }.get(30, TimeUnit.SECONDS)
            } catch (e: java.util.concurrent.ExecutionException) {
                if (e.cause !is Stop) throw e
            }
            val first = store.history(reference).firstOrNull { it.kind == "response" }?.detail
            expect(first == expected) { "the driver with maxResponseBytes = $cap: its first response was $first, expected $expected" }
        }
    }
    pool.shutdownNow()
    println("ok: JavaHttpTransport stops reading a body above maxResponseBytes (Content-Length, close-delimited, chunked, a 500; the connection held) and reports connection_error at once; a body of exactly the cap is whole; default 16 MiB; a cap not positive, or a driver's cap beside a transport of one's own, is refused; the driver's transport takes the driver's cap")
}

/** The driver made with [timeout]'s refusal by the core's check: null when it was accepted, else
 *  a description of what was wrong with the refusal (empty when it was the core's, naming `timeout`). */
private fun timeoutRefusal(sim: String, timeout: Duration): String? = try {
    PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), timeout = timeout)
    null
} catch (e: KirimException) {
    if (e.code() == ErrorCode.INVALID_FIELD && e.field() == "timeout_ms" && "timeout in Kotlin" in e.errorMessage()) "" else e.errorMessage()
}

/**
 * A timeout above a day, the core's bound (so any Duration beyond Long.MAX_VALUE nanoseconds, about
 * 292 years, too), is refused when the driver is made (KirimException, invalid_field on
 * timeout_ms), and JavaHttpTransport.send given one too large for the JDK returns
 * CONNECTION_ERROR at once, sending nothing, its client still usable. The JDK accepts such a
 * timeout when the request is built, then either throws (`long overflow`, a connection_error
 * retried forever) or, near 9.2e15 seconds, kills the client's selector thread: that send and
 * every later one of the client never return.
 */
private fun timeoutTooLargeRefused(sim: String) {
    val huge = listOf(Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(9_223_372_036_854_775L), Duration.ofNanos(Long.MAX_VALUE).plusNanos(1))
    val problems = mutableListOf<String>()
    for (timeout in huge + listOf(Duration.ofNanos(Long.MAX_VALUE), Duration.ofDays(1).plusMillis(1), Duration.ofMillis(1L shl 31))) {
        val refused = timeoutRefusal(sim, timeout)
        if (refused != "") problems += "PayoutDriver(timeout = $timeout): ${refused ?: "accepted"}"
    }
    PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), timeout = Duration.ofDays(1)) // the largest the core accepts
    val counting = CountingServer()
    val server = counting.server
    val reached = counting.reached
    val pool = java.util.concurrent.Executors.newCachedThreadPool { r -> Thread(r).apply { isDaemon = true } }
    try {
        val transport = JavaHttpTransport() // one client for every send below
        val request = HttpRequest(Method.GET, "http://127.0.0.1:${server.address.port}/v1/payouts", emptyList(), ByteArray(0))
        fun send(timeout: Duration): Any = try {
            pool.submit<HttpOutcome> { transport.send(request, timeout) }.get(10, TimeUnit.SECONDS)
        } catch (e: java.util.concurrent.TimeoutException) {
            "no outcome within 10 s"
        }
        for (timeout in huge) {
            val outcome = send(timeout)
            if (outcome != HttpOutcome.Transport(TransportFailure.CONNECTION_ERROR)) problems += "send with timeout $timeout: $outcome"
        }
        if (reached.get() != 0) problems += "a send with a timeout too large reached the server ${reached.get()} time(s)"
        val after = send(Duration.ofSeconds(5))
        if ((after as? HttpOutcome.Response)?.v1?.status?.toInt() != 200) problems += "the transport's next send (5 s): $after"
    } finally {
        pool.shutdownNow()
        server.stop(0)
    }
    expect(problems.isEmpty()) { problems.joinToString("; ") }
    println("ok: a timeout above a day (the core's bound; beyond Long.MAX_VALUE ns too) is refused by the driver when made; JavaHttpTransport.send given one too large for the JDK is connection_error at once, nothing sent, its client still working")
}

/**
 * The request timeout bounds the whole exchange, its body included: a server that sends the
 * status line, headers and part of the body, then stalls (Content-Length, chunked; a 500 too),
 * is TIMEOUT once the timeout has passed since the send began, and its connection is closed.
 * The JDK's own request timeout ends when the headers arrive: such a body held send (and the
 * driver's run) for as long as the server kept the connection open.
 */
private fun stalledBodyTimesOut(@Suppress("UNUSED_PARAMETER") sim: String) {
    val part = "0123456789".toByteArray()
    val answers = mapOf(
        "/cl" to BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close", part, hold = 30_000),
        "/chunked" to BodyServer.Answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close", part, chunked = true, hold = 30_000),
        "/500" to BodyServer.Answer("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100\r\nConnection: close", part, hold = 30_000),
        "/whole" to BodyServer.Answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close", part),
    )
    val pool = java.util.concurrent.Executors.newCachedThreadPool { r -> Thread(r).apply { isDaemon = true } }
    val problems = mutableListOf<String>()
    BodyServer { path -> answers.getValue(path) }.use { server ->
        val transport = JavaHttpTransport()
        for (path in listOf("/cl", "/chunked", "/500")) {
            val started = System.nanoTime()
            val future = pool.submit<HttpOutcome> { transport.send(HttpRequest(Method.GET, "http://127.0.0.1:${server.port}$path", emptyList(), ByteArray(0)), Duration.ofSeconds(2)) }
            val outcome: Any = try {
                future.get(10, TimeUnit.SECONDS)
            } catch (e: java.util.concurrent.TimeoutException) {
                "no outcome within 10 s"
            }
            val ms = (System.nanoTime() - started) / 1_000_000
            if (outcome != HttpOutcome.Transport(TransportFailure.TIMEOUT) || ms < 1_500 || ms > 6_000) problems += "$path stalled after part of its body (timeout 2 s): $outcome after $ms ms"
        }
        val closedBy = System.nanoTime() + 10_000_000_000L
        while (server.active.get() > 0 && System.nanoTime() < closedBy) Thread.sleep(50)
        if (server.active.get() > 0) problems += "${server.active.get()} stalled connection(s) still open 10 s later"
        val whole = transport.send(HttpRequest(Method.GET, "http://127.0.0.1:${server.port}/whole", emptyList(), ByteArray(0)), Duration.ofSeconds(2))
        if ((whole as? HttpOutcome.Response)?.v1?.body?.contentEquals(part) != true) problems += "a whole body after them: $whole"
    }
    pool.shutdownNow()
    expect(problems.isEmpty()) { problems.joinToString("; ") }
    println("ok: a body that stalls after its headers (Content-Length, chunked, a 500) is a timeout when the request's timeout has passed, its connection closed")
}

fun driverTests(sim: String): Int {
    var failures = 0
    var ran = 0
    val tests = listOf("dropped create" to ::droppedCreate, "callbacks" to ::callbacksRouted, "sqlite resume" to ::resumedFromSqlite,
        "SIGKILL and resume" to ::killedWhileCreateOut, "second process refused" to ::secondProcessRefused,
        "unfinished order" to ::unfinishedOrder, "redirects not followed" to ::redirectsNotFollowed,
        "second store in one process refused" to ::secondStoreInProcessRefused, "batch item routed" to ::batchItemRouted,
        "callback for a payout not running here" to ::callbackForPayoutNotRunningHere, "callback while a request is out" to ::callbackWhileRequestOut,
        "a row holding another payout's snapshot" to ::rowHoldingAnotherPayoutsSnapshot,
        "rows the driver cannot restore" to ::rowsTheDriverCannotRestore,
        "a reference names one payout" to ::submitReferenceOnce,
        "a submission never overwrites" to ::submitNeverOverwrites,
        "transport exceptions typed" to ::transportExceptionsTyped,
        "a timeout of zero or less refused" to ::timeoutNotPositiveRefused,
        "a second driver of the process refused" to ::secondDriverOfTheProcessRefused,
        "a response body above the cap" to ::responseBodyCapped,
        "a timeout too large refused" to ::timeoutTooLargeRefused,
        "a stalled body times out" to ::stalledBodyTimesOut,
        "named runs answered" to ::namedRunsAnswered,
        "transport options are the core's" to ::transportOptionsAreTheCores)
    val only = System.getenv("KIRIM_DRIVER_ONLY").orEmpty()
    for ((name, test) in tests) {
        if (only.isNotEmpty() && only !in name) continue
        ran++
        try {
            test(sim)
        } catch (e: Throwable) {
            failures++
            System.err.println("DRIVER FAIL $name: ${e::class.simpleName}: ${e.message}")
        }
    }
    println("kotlin driver: ${ran - failures} passed, $failures failed")
    return failures
}

/**
 * "Another process" (a second SqliteStore of the same file, or a second driver of the same
 * MemoryStore) stores a payout under a reference and sends its create (creates_sent 1), while
 * this driver's submit of that reference is under way: its check read the reference as free,
 * and the row is there when it writes. [BlindCheck] makes that window deterministic: the other
 * payout is written as the submit begins, and the submit's check reads nothing the first time it
 * loads. (The submit used to read with load, then save; it now reads inside insertSubmitted.)
 */
private class BlindCheck(private val inner: PayoutStore, private val otherProcess: () -> Unit) : PayoutStore by inner {
    var fired = false
    private var blinded = false
    private fun fire() {
        if (!fired) {
            fired = true
            otherProcess()
        }
    }
    private fun blind(): Boolean = !blinded && true.also { blinded = true }
    override fun load(reference: String): PayoutRecord? {
        fire()
        return if (blind()) null else inner.load(reference)
    }
    override fun insertSubmitted(
        record: PayoutRecord,
        decide: (load: (String) -> PayoutRecord?, findByReference: (String) -> PayoutRecord?) -> Submission,
    ): Boolean {
        fire()
        return inner.insertSubmitted(record) { load, find -> decide({ reference -> if (blind()) null else load(reference) }, find) }
    }
}

/** The submit's check of [inner] runs [during] while it reads (inside the store's transaction). */
private class DuringCheck(private val inner: PayoutStore, private val during: () -> Unit) : PayoutStore by inner {
    override fun insertSubmitted(
        record: PayoutRecord,
        decide: (load: (String) -> PayoutRecord?, findByReference: (String) -> PayoutRecord?) -> Submission,
    ): Boolean = inner.insertSubmitted(record) { load, find ->
        during()
        decide(load, find)
    }
}

/** The other process's payout: submitted for Rp 100,000 and its create sent (its answer lost:
 *  the process died), so its snapshot records the create as sent. */
private fun otherProcessSent(sim: String, store: PayoutStore, reference: String) {
    val driver = PayoutDriver(pivot = pivotOf(sim), store = store, transport = dyingAfterCreate(), clock = FastClock(), timeout = Duration.ofSeconds(5))
    driver.submit("pivot", orderOf(reference))
    try {
        driver.run(setOf(reference))
        throw AssertionError("the other process's create did not die")
    } catch (e: Crash) {
        // its process is gone, its create sent
    }
}

private fun submitNeverOverwrites(sim: String) {
    control(sim, "/_sim/reset", emptyMap<String, Any>())
    control(sim, "/_sim/config", mapOf("pivot_callback_url" to JsonNull))
    val offline = Transport { request, _ -> throw AssertionError("submit sent ${request.url}") }
    val file = java.io.File.createTempFile("kirim-submit", ".sqlite")
    try {
        SqliteStore(file.path).use { mine ->
            SqliteStore(file.path).use { other ->
                for ((name, reference, amount) in listOf(Triple("another amount", "KT-RACE-1", "500000"), Triple("the identical order", "KT-RACE-2", "100000"))) {
                    for ((storeName, store, otherStore) in listOf(Triple("SqliteStore", mine as PayoutStore, other as PayoutStore), MemoryStore().let { Triple("MemoryStore", it, it) })) {
                        val what = "$storeName, $name"
                        val blind = BlindCheck(store) { otherProcessSent(sim, otherStore, reference) }
                        val driver = PayoutDriver(pivot = pivotOf(sim), store = blind, transport = offline, clock = FastClock())
                        val outcome = try {
                            driver.submit("pivot", orderOf(reference).copy(amount = moneyIdr(amount)))
                        } catch (e: KirimException) {
                            e
                        }
                        expect(blind.fired) { "$what: the other process's payout was never written" }
                        val stored = store.load(reference) ?: throw AssertionError("$what: nothing stored")
                        expect(stored.snapshot.contains("\"outstanding\":{\"purpose\":\"create\"")) { "$what: the other process's snapshot (its create sent) was replaced: ${stored.snapshot}" }
                        expect(stored.orderJson.contains("\"100000.00\"") && !stored.orderJson.contains("500000")) { "$what: the stored order was replaced: ${stored.orderJson}" }
                        if (amount == "100000") {
                            expect(outcome == reference) { "$what: the identical order was not reported already stored: $outcome" }
                        } else {
                            expect(outcome is KirimException && outcome.code() == ErrorCode.INVALID_FIELD && outcome.field() == "reference") { "$what: not refused: $outcome" }
                        }
                    }
                }
            }
        }
        // No other connection writes while the check reads: SQLite's write lock is held from before
        // the reads (BEGIN IMMEDIATE), so a writer of another process gets SQLITE_BUSY (here at
        // once: busy_timeout 0) until the submission is in, then finds the reference taken.
        SqliteStore(file.path).use { mine ->
            java.sql.DriverManager.getConnection("jdbc:sqlite:${file.path}").use { other ->
                other.createStatement().use { it.execute("PRAGMA busy_timeout = 0") }
                val insert = "INSERT INTO kirim_payouts (reference, provider, order_json, snapshot, state, status) VALUES ('KT-RACE-3', 'pivot', '{}', '{}', 'open', 'unknown')"
                var during: Throwable? = null
                val checked = DuringCheck(mine) {
                    during = try {
                        other.createStatement().use { it.executeUpdate(insert) }
                        null
                    } catch (e: java.sql.SQLException) {
                        e
                    }
                }
                PayoutDriver(pivot = pivotOf(sim), store = checked, transport = offline, clock = FastClock()).submit("pivot", orderOf("KT-RACE-3"))
                expect(during is java.sql.SQLException && "SQLITE_BUSY" in during!!.message.orEmpty()) { "another connection wrote while the submit's check read: ${during ?: "its insert went in"}" }
                val stored = mine.load("KT-RACE-3")
                expect(stored != null && stored.orderJson.contains("\"KT-RACE-3\"")) { "the submission was not stored: $stored" }
                val after = try {
                    other.createStatement().use { it.executeUpdate(insert) }
                    null
                } catch (e: java.sql.SQLException) {
                    e
                }
                expect(after != null && "UNIQUE" in after.message.orEmpty() && mine.load("KT-RACE-3") == stored) { "after the submission, a plain insert of its reference: ${after?.message}" }
            }
        }
        println("ok: a submission never overwrites a payout another process stored after its check (SqliteStore, MemoryStore): another order is refused, the identical one is already stored, the stored order and snapshot unchanged; no other connection writes while its check reads (SQLITE_BUSY)")
    } finally {
        file.delete()
        for (suffix in listOf("-wal", "-shm", ".lock")) java.io.File(file.path + suffix).delete()
    }
}

/** An HttpClient (never following redirects) whose send throws what [thrown] makes. */
private class ThrowingClient(private val thrown: () -> Throwable) : HttpClient() {
    var sends = 0
    override fun cookieHandler() = java.util.Optional.empty<java.net.CookieHandler>()
    override fun connectTimeout() = java.util.Optional.empty<Duration>()
    override fun followRedirects() = HttpClient.Redirect.NEVER
    override fun proxy() = java.util.Optional.empty<java.net.ProxySelector>()
    override fun sslContext(): javax.net.ssl.SSLContext = javax.net.ssl.SSLContext.getDefault()
    override fun sslParameters() = javax.net.ssl.SSLParameters()
    override fun authenticator() = java.util.Optional.empty<java.net.Authenticator>()
    override fun version() = HttpClient.Version.HTTP_1_1
    override fun executor() = java.util.Optional.empty<java.util.concurrent.Executor>()
    override fun <T> send(request: java.net.http.HttpRequest, handler: java.net.http.HttpResponse.BodyHandler<T>): java.net.http.HttpResponse<T> {
        sends++
        throw thrown()
    }
    override fun <T> sendAsync(request: java.net.http.HttpRequest, handler: java.net.http.HttpResponse.BodyHandler<T>) =
        throw UnsupportedOperationException("sendAsync")
    override fun <T> sendAsync(
        request: java.net.http.HttpRequest,
        handler: java.net.http.HttpResponse.BodyHandler<T>,
        push: java.net.http.HttpResponse.PushPromiseHandler<T>?,
    ) = throw UnsupportedOperationException("sendAsync")
}

/**
 * JavaHttpTransport turns every exception of building or sending a request into a transport
 * failure, never an exception and never a message: what HttpClient.send throws besides
 * IOException (IllegalArgumentException, IllegalStateException, SecurityException,
 * UncheckedIOException, InterruptedException, the last with the thread's interrupt flag set
 * again) is CONNECTION_ERROR, an unknown outcome (the request may have been handed over); a
 * header value or URL the JDK refuses to build (its IllegalArgumentException quotes the value, a
 * secret) is CONNECTION_ERROR too, nothing sent. They used to escape send (and run()) untyped.
 */
private fun transportExceptionsTyped(@Suppress("UNUSED_PARAMETER") sim: String) {
    val secret = "s\u20accret-token-4711" // '€': no HTTP/1.1 header value the JDK builds holds it
    val counting = CountingServer()
    val server = counting.server
    val reached = counting.reached
    val url = "http://127.0.0.1:${server.address.port}/v1/payouts"
    fun request(url: String, headers: List<Header>) = HttpRequest(Method.POST, url, headers + Header("Content-Type", "application/json"), "{}".toByteArray())
    fun outcomeOf(what: String, transport: Transport, request: HttpRequest): HttpOutcome = try {
        transport.send(request, Duration.ofSeconds(5))
    } catch (e: Throwable) {
        val shown = generateSequence(e) { it.cause }.joinToString(" <- ") { "${it::class.java.name}: ${it.message}" }
        throw AssertionError("$what: ${e::class.java.name} escaped send" + (if (secret in shown) " CARRYING THE HEADER VALUE" else "") + ": " + shown.replace(secret, "<the secret>"))
    }
    try {
        val unknown = HttpOutcome.Transport(TransportFailure.CONNECTION_ERROR)
        // Refused when built: nothing sent (the server is never reached), no exception.
        for ((what, refused) in listOf(
            "a header value the JDK refuses" to request(url, listOf(Header("Authorization", "Bearer $secret"))),
            "a header name the JDK restricts" to request(url, listOf(Header("Host", "elsewhere.example"))),
            "a URL with a space" to request("http://127.0.0.1:${server.address.port}/v1/pay outs", emptyList()),
            "a URL of another scheme" to request("ftp://127.0.0.1:${server.address.port}/v1/payouts", emptyList()),
        )) {
            val outcome = outcomeOf(what, JavaHttpTransport(), refused)
            expect(outcome == unknown) { "$what: $outcome" }
        }
        expect(reached.get() == 0) { "a request the JDK refused reached the server ${reached.get()} time(s)" }
        // Thrown by HttpClient.send: an unknown outcome, whatever it is.
        for ((what, thrown) in listOf<Pair<String, () -> Throwable>>(
            "IllegalArgumentException" to { IllegalArgumentException("invalid header value: \"Bearer $secret\"") },
            "IllegalStateException" to { IllegalStateException("selector manager closed") },
            "SecurityException" to { SecurityException("denied") },
            "UncheckedIOException" to { java.io.UncheckedIOException(java.io.IOException("broken")) },
            "IOException" to { java.io.IOException("reset") },
            "HttpTimeoutException" to { java.net.http.HttpTimeoutException("timed out") },
            "InterruptedException" to { InterruptedException() },
        )) {
            val client = ThrowingClient(thrown)
            val outcome = outcomeOf(what, JavaHttpTransport(client), request(url, listOf(Header("Authorization", "Bearer token"))))
            val interrupted = Thread.interrupted() // read and cleared: this thread goes on
            expect(client.sends == 1) { "$what: send called ${client.sends} times" }
            val expected = if (what == "HttpTimeoutException") HttpOutcome.Transport(TransportFailure.TIMEOUT) else unknown
            expect(outcome == expected) { "$what: $outcome, expected $expected" }
            expect(interrupted == (what == "InterruptedException")) { "$what: the thread's interrupt flag is ${if (interrupted) "set" else "clear"}" }
        }
        println("ok: JavaHttpTransport: a request the JDK refuses to build (header value, restricted name, URL) and every exception of HttpClient.send are transport failures (connection_error, unknown outcome; an interrupt sets the flag again), never an exception or a message")
    } finally {
        server.stop(0)
    }
}

/** A driver's request timeout that is zero or negative is refused when the driver is made
 *  (KirimException, invalid_field on timeout_ms: the core's check): the JDK refuses every request
 *  built with it, so each send would fail, retried forever, with nothing saying why. So is one
 *  with a fraction of a millisecond: the core's unit, which it does not round. */
private fun timeoutNotPositiveRefused(sim: String) {
    for (timeout in listOf(Duration.ZERO, Duration.ofSeconds(-1), Duration.ofNanos(-1), Duration.ofNanos(1), Duration.ofNanos(1_500_000), Duration.ofSeconds(60).plusNanos(1))) {
        val refused = timeoutRefusal(sim, timeout)
        expect(refused == "") { "timeout $timeout: ${refused ?: "accepted"}" }
    }
    PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), timeout = Duration.ofMillis(1))
    PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), timeout = Duration.ofNanos(1_000_000))
    println("ok: a driver's timeout of zero or less, or with a fraction of a millisecond, is refused when the driver is made (KirimException, invalid_field on timeout_ms)")
}

/** A transport that notes the timeout it is handed for the first request, then stops the run. */
private class FirstTimeout : Transport {
    class Stop : RuntimeException("stop")
    var timeout: Duration? = null
    override fun send(request: HttpRequest, timeout: Duration): HttpOutcome {
        this.timeout = timeout
        throw Stop()
    }
}

/** The timeout a driver made with [timeout] hands its transport for a request. */
private fun timeoutUsed(sim: String, timeout: Duration?): Duration? {
    val first = FirstTimeout()
    val driver = if (timeout == null) PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), transport = first)
    else PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), transport = first, timeout = timeout)
    driver.submit("pivot", orderOf("KT-TIMEOUT-USED"))
    try {
        driver.run()
    } catch (e: FirstTimeout.Stop) {
        // the first request's timeout is noted
    }
    return first.timeout
}

/**
 * The driver's transport defaults and refusals are the core's (`http.transport_options`): with
 * nothing given, the timeout it hands its transport and its transport's cap are the core's
 * defaults; on every vector of tests/vectors/http/transport_options.json a Kotlin program can
 * write (a Duration of whole nanoseconds, an Int of bytes), the driver is refused with the
 * core's very error (code, field, message) or uses exactly the timeout and cap the core returns.
 */
private fun transportOptionsAreTheCores(sim: String) {
    val core = parseJson(runOperation("http.transport_options", "{}")) as Map<*, *>
    expect((core["timeout_ms"] as JsonNumber).text == "60000" && (core["max_response_bytes"] as JsonNumber).text == "16777216") { "the core's defaults: $core" }
    val typed = transportOptions(null, null)
    expect(typed.timeoutMs == 60_000L && typed.maxResponseBytes == 16_777_216L) { "transportOptions(null, null): $typed" }
    expect(timeoutUsed(sim, null) == Duration.ofMillis(typed.timeoutMs)) { "the default timeout used: ${timeoutUsed(sim, null)}" }
    val file = parseJson(java.io.File("tests/vectors/http/transport_options.json").readText()) as Map<*, *>
    var compared = 0
    for (vector in file["vectors"] as List<*>) {
        val input = (vector as Map<*, *>)["input"] as Map<*, *>
        val name = vector["name"]
        // As a Kotlin program writes them: a Duration of whole nanoseconds, an Int of bytes; null left out.
        val timeout = when (val ms = input["timeout_ms"]) {
            null, JsonNull -> null
            is JsonNumber -> java.math.BigDecimal(ms.text).movePointRight(6).let { ns ->
                if (ns.stripTrailingZeros().scale() > 0 || ns.abs() > java.math.BigDecimal(Long.MAX_VALUE)) null else Duration.ofNanos(ns.toLong())
            } ?: continue
            else -> continue
        }
        val cap = when (val bytes = input["max_response_bytes"]) {
            null, JsonNull -> null
            is JsonNumber -> runCatching { java.math.BigDecimal(bytes.text).intValueExact() }.getOrNull() ?: continue
            else -> continue
        }
        val viaCore = try {
            parseJson(runOperation("http.transport_options", toJson(input))) as Map<*, *>
        } catch (e: KirimException) {
            e
        }
        val made = try {
            PayoutDriver(pivot = pivotOf(sim), store = MemoryStore(), timeout = timeout, maxResponseBytes = cap)
        } catch (e: KirimException) {
            e
        }
        if (viaCore is KirimException) {
            expect(made is KirimException && made.info() == viaCore.info()) { "$name: the core ${viaCore.info()}, the driver ${(made as? KirimException)?.info() ?: "accepted"}" }
        } else {
            viaCore as Map<*, *>
            expect(made is PayoutDriver) { "$name: refused: ${(made as KirimException).info()}" }
            val ms = (viaCore["timeout_ms"] as JsonNumber).text.toLong()
            expect(timeoutUsed(sim, timeout) == Duration.ofMillis(ms)) { "$name: the timeout used, ${timeoutUsed(sim, timeout)}, is not the core's $ms ms" }
            val bytes = (viaCore["max_response_bytes"] as JsonNumber).text.toLong()
            expect(JavaHttpTransport(maxResponseBytes = cap).maxResponseBytes.toLong() == bytes) { "$name: the cap used is not the core's $bytes" }
        }
        compared++
    }
    expect(compared >= 12) { "only $compared vectors compared" }
    println("ok: the driver's transport defaults and refusals are the core's (http.transport_options): $compared vectors compared")
}

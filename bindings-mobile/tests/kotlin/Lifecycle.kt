// Every lifecycle scenario vector (tests/vectors/lifecycle) through the TYPED machine
// (kirim.PayoutLifecycle), step for step, compared with what the operation lifecycle.scenario
// answers for the same input (every field, exactly; absent and null alike, as the core writes
// some nulls and omits others) and with the vector's own expectations. The typed values are
// turned back into the core's JSON form here, in the test, so a field the typed API drops or
// misreads fails.

import java.io.File
import kirim.*
import kirim.core.*

private typealias LObj = Map<String, Any>

@Suppress("UNCHECKED_CAST")
private fun lobj(value: Any?, what: String): LObj = value as? Map<String, Any> ?: throw NotExpressible("$what is not an object")
private fun lstr(value: Any?, what: String): String = value as? String ?: throw NotExpressible("$what is not a string")
private fun loptStr(o: LObj, key: String): String? = o[key]?.takeIf { it !== JsonNull }?.let { lstr(it, key) }
private fun llong(value: Any?, what: String): Long =
    (value as? JsonNumber)?.integer?.takeIf { it.bitLength() < 64 }?.toLong() ?: throw NotExpressible("$what is not an i64")
private fun llist(value: Any?, what: String): List<Any> = (value as? List<*>)?.map { it!! } ?: throw NotExpressible("$what is not a list")
private fun lonly(o: LObj, allowed: Set<String>, what: String) {
    val unknown = o.keys - allowed
    if (unknown.isNotEmpty()) throw NotExpressible("$what has unknown keys $unknown")
}

/** The provider object a machine takes, configured from the vector's `config`. */
fun lifecycleProviderOf(name: Any?, config: Any?): LifecycleProvider = when (name) {
    "pivot" -> LifecycleProvider.Pivot(Pivot(pivotConfigOf(config)))
    "gateway" -> LifecycleProvider.Gateway(Gateway(gatewayConfigOf(config)))
    // A null config is Paper.id's defaults, as the core reads it.
    "paperid" -> LifecycleProvider.PaperId(PaperId(paperIdConfigOf(config)))
    else -> throw NotExpressible("provider $name")
}

private fun beneficiaryOf(value: Any?, what: String): Beneficiary {
    val o = lobj(value, what)
    lonly(o, setOf("bank", "account_number", "account_name"), what)
    return Beneficiary(lstr(o["bank"], "bank"), lstr(o["account_number"], "account_number"), lstr(o["account_name"], "account_name"))
}

/** The core's PayoutOrder from its JSON form (the core's rules: a batch may leave out the beneficiary). */
fun payoutOrderOf(value: Any?): PayoutOrder {
    val o = lobj(value, "order")
    lonly(o, setOf("reference", "amount", "beneficiary", "inquiry_id", "description", "notify_url", "items"), "order")
    val items = o["items"]?.let { v ->
        llist(v, "items").mapIndexed { i, item ->
            val io = lobj(item, "items[$i]")
            lonly(io, setOf("reference", "amount", "beneficiary", "inquiry_id", "description"), "items[$i]")
            PayoutItem(
                reference = lstr(io["reference"], "reference"),
                amount = exactMoney(io["amount"], "items[$i].amount"),
                beneficiary = beneficiaryOf(io["beneficiary"], "items[$i].beneficiary"),
                inquiryId = loptStr(io, "inquiry_id"),
                description = loptStr(io, "description"),
            )
        }
    } ?: emptyList()
    val beneficiary = when {
        o.containsKey("beneficiary") -> beneficiaryOf(o["beneficiary"], "beneficiary")
        items.isNotEmpty() -> Beneficiary("", "", "")
        else -> throw NotExpressible("order.beneficiary is missing")
    }
    return PayoutOrder(
        reference = lstr(o["reference"], "reference"),
        amount = exactMoney(o["amount"], "order.amount"),
        beneficiary = beneficiary,
        inquiryId = loptStr(o, "inquiry_id"),
        description = loptStr(o, "description"),
        notifyUrl = loptStr(o, "notify_url"),
        items = items,
    )
}

/** Settings: `null` is the provider's defaults; each given field overrides its default. */
fun lifecycleSettingsOf(provider: LifecycleProvider, value: Any?): LifecycleSettings? {
    if (value == null || value === JsonNull) return null
    val o = lobj(value, "settings")
    lonly(o, setOf("query_schedule_seconds", "request_timeout_seconds", "max_backoff_seconds"), "settings")
    val d = lifecycleSettingsDefaults(provider)
    return LifecycleSettings(
        queryScheduleSeconds = o["query_schedule_seconds"]?.let { v -> llist(v, "query_schedule_seconds").map { llong(it, "query_schedule_seconds") } } ?: d.queryScheduleSeconds,
        requestTimeoutSeconds = o["request_timeout_seconds"]?.let { llong(it, "request_timeout_seconds") } ?: d.requestTimeoutSeconds,
        maxBackoffSeconds = o["max_backoff_seconds"]?.let { llong(it, "max_backoff_seconds") } ?: d.maxBackoffSeconds,
    )
}

private fun lopt(value: Any?): Any = value ?: JsonNull

/** An action in the core's JSON form (tagged by `kind`). */
fun lifecycleActionJson(a: LifecycleAction): Map<String, Any> = when (a) {
    is LifecycleAction.Send -> mapOf("kind" to "send", "purpose" to snake(a.purpose.name), "request" to requestJson(a.request))
    is LifecycleAction.WaitUntil -> mapOf("kind" to "wait_until", "at" to JsonNumber.of(a.at), "reason" to snake(a.reason.name))
    is LifecycleAction.Done -> LinkedHashMap<String, Any>().also { out ->
        out["kind"] = "done"
        out["status"] = snake(a.status.name)
        out["failure"] = failureJson(a.failure)
        out["payout_id"] = lopt(a.payoutId)
        out["error"] = errorInfoJson(a.error)
        if (a.items.isNotEmpty()) {
            out["items"] = a.items.map { mapOf("reference" to it.reference, "status" to snake(it.status.name), "failure" to failureJson(it.failure)) }
        }
    }
    is LifecycleAction.ManualReconciliation -> a.reconciliation.let { r ->
        mapOf(
            "kind" to "manual_reconciliation", "reason" to snake(r.reason.name), "idempotency_key" to r.idempotencyKey,
            "reference_ids" to r.referenceIds, "first_sent_at" to lopt(r.firstSentAt?.let { JsonNumber.of(it) }),
            "payout_id" to lopt(r.payoutId), "message" to r.message, "request_body" to lopt(r.requestBody),
            "error" to errorInfoJson(r.error),
        )
    }
}

fun lifecycleStateJson(s: LifecycleState): Map<String, Any> = LinkedHashMap<String, Any>().also { out ->
    out["phase"] = snake(s.phase.name)
    out["status"] = snake(s.status.name)
    out["expected"] = lopt(s.expected?.let { snake(it.name) })
    out["payout_id"] = lopt(s.payoutId)
    out["first_sent_at"] = lopt(s.firstSentAt?.let { JsonNumber.of(it) })
    out["creates_sent"] = JsonNumber.of(s.createsSent)
    out["session"] = s.session
    if (s.items.isNotEmpty()) {
        out["items"] = s.items.map { mapOf("reference" to it.reference, "status" to snake(it.status.name), "expected" to lopt(it.expected?.let { e -> snake(e.name) })) }
    }
}

private fun callbackJson(result: LifecycleCallback, out: MutableMap<String, Any>) {
    result.error?.let { out["error"] = errorInfoJson(it) }
    result.verdicts?.let { v -> out["verdicts"] = v.map { snake(it.name) } }
    result.acknowledgement?.let { out["acknowledgement"] = ackJson(it) }
}

/** The scenario through the typed API, in lifecycle.scenario's output form. */
fun typedScenario(input: LObj): Map<String, Any> {
    val provider = { lifecycleProviderOf(input["provider"], input["config"]) }
    val snapshot = input["snapshot"]?.takeIf { it !== JsonNull }
    var machine = if (snapshot != null) {
        PayoutLifecycle.restore(provider(), lstr(snapshot, "snapshot"))
    } else {
        // The order before the settings, as lifecycle.scenario reads them.
        val p = provider()
        val order = payoutOrderOf(input["order"])
        PayoutLifecycle(p, order, lifecycleSettingsOf(p, input["settings"]), llong(input["now"], "now"))
    }
    val steps = mutableListOf<Any>()
    for ((index, raw) in llist(input["steps"], "steps").withIndex()) {
        val step = lobj(raw, "steps[$index]")
        val out = LinkedHashMap<String, Any>()
        val now: Long
        when {
            step.containsKey("poll") -> now = llong(step["poll"], "poll")
            step.containsKey("response") -> {
                now = llong(step["now"], "now")
                try {
                    machine.handleResponse(outcomeOf(step["response"]), now)
                } catch (e: KirimException) {
                    out["error"] = errorJson(e)
                }
            }
            step.containsKey("callback") -> {
                now = llong(step["now"], "now")
                val cb = lobj(step["callback"], "callback")
                val headers = cb["headers"]?.let { headersOf(it, "headers") } ?: emptyList()
                callbackJson(machine.handleCallback(headers, bodyBytes(cb["body"], "body"), now), out)
            }
            step.containsKey("unverified_callback") -> {
                now = llong(step["now"], "now")
                val cb = lobj(step["unverified_callback"], "unverified_callback")
                callbackJson(machine.handleUnverifiedCallback(bodyBytes(cb["body"], "body"), now), out)
            }
            step["restore"] == true -> {
                now = llong(step["now"], "now")
                val text = machine.snapshot()
                machine.close()
                machine = PayoutLifecycle.restore(provider(), text)
                out["snapshot_version"] = JsonNumber.of(lifecycleSnapshotVersion())
            }
            else -> throw NotExpressible("step $index")
        }
        out["action"] = lifecycleActionJson(machine.poll(now))
        out["state"] = lifecycleStateJson(machine.state())
        steps.add(out)
    }
    machine.close()
    return mapOf("steps" to steps)
}

/** Exact equality, absent and null alike. */
private fun same(expected: Any?, actual: Any?, path: String): String? {
    val e = expected ?: JsonNull
    val a = actual ?: JsonNull
    if (e is Map<*, *> && a is Map<*, *>) {
        for (key in e.keys + a.keys) same(e[key], a[key], "$path.$key")?.let { return it }
        return null
    }
    if (e is List<*> && a is List<*> && e.size == a.size) {
        for (i in e.indices) same(e[i], a[i], "$path[$i]")?.let { return it }
        return null
    }
    return if (jsonEquals(e, a)) null else "$path: lifecycle.scenario ${toJson(e)}, typed ${toJson(a)}"
}

class LifecycleReport(val agreed: Int, val failures: List<String>)

/** Runs every lifecycle.scenario vector through the typed machine; prints the count. */
fun runLifecycleVectors(root: File): LifecycleReport {
    val files = mutableListOf<File>()
    for (dir in vectorDirectories(root)) vectorFiles(dir, files)
    var agreed = 0
    val failures = mutableListOf<String>()
    for (path in files) {
        val file = readVectorFile(path)
        if (file.operation != "lifecycle.scenario") continue
        for (vector in file.vectors) {
            val name = vector["name"] as? String ?: "?"
            val input = mergedInput(file, vector)
            val typed = try {
                Outcome.Ok(typedScenario(input))
            } catch (e: KirimException) {
                Outcome.Failed(e)
            } catch (e: Throwable) {
                Outcome.Crashed(e)
            }
            val operation = runJson("lifecycle.scenario", input)
            val why = when {
                typed is Outcome.Ok && operation is Outcome.Ok -> same(operation.value, typed.value, "output")
                typed is Outcome.Failed && operation is Outcome.Failed -> same(errorJson(operation.error), errorJson(typed.error), "error")
                else -> "typed ${describe(typed)}, lifecycle.scenario ${describe(operation)}"
            } ?: verdict(vector, typed)
            if (why == null) agreed++ else failures.add("$path :: $name: $why")
        }
    }
    for (failure in failures) System.err.println("LIFECYCLE FAIL $failure")
    println("lifecycle (typed): $agreed scenario vectors agree with lifecycle.scenario, ${failures.size} failed")
    return LifecycleReport(agreed, failures)
}

private fun describe(o: Outcome): String = when (o) {
    is Outcome.Ok -> "succeeded"
    is Outcome.Failed -> "failed with ${toJson(errorJson(o.error))}"
    is Outcome.Crashed -> "crashed: ${o.error::class.simpleName}: ${o.error.message}"
}

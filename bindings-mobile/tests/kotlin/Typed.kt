// The typed API, driven by the same shared vectors: each vector's JSON input is turned into the
// typed arguments (records, objects, ByteArray bodies, Long minor units), the typed method is
// called, and its typed result is rendered back into the core's JSON form and matched by the
// same rules. This proves that every typed method is wired to the right core method with the
// right conversions. A vector whose input has no typed form (a string where a number belongs, an
// unknown configuration key, a provider name the typed API spells as a class) is counted as "not
// expressible": the JSON runner above covers it.

import java.io.File
import java.math.BigInteger
import java.nio.ByteBuffer
import java.nio.charset.CodingErrorAction
import kirim.*
import kirim.core.*

class NotExpressible(why: String) : Exception(why)

private fun ne(why: String): Nothing = throw NotExpressible(why)

// ---- reading typed arguments from JSON (serde's rules, strictly) ------------------------------

private typealias Obj = Map<String, Any>

@Suppress("UNCHECKED_CAST")
private fun obj(value: Any?, what: String): Obj = value as? Map<String, Any> ?: ne("$what is not an object")

private fun present(o: Obj, key: String) = o.containsKey(key)

private fun str(value: Any?, what: String): String = value as? String ?: ne("$what is not a string")

private fun reqStr(o: Obj, key: String) = str(o[key], key)

/** An `Option<String>`: absent or null is None. */
private fun optStr(o: Obj, key: String): String? = when (val v = o[key]) {
    null, JsonNull -> null
    else -> str(v, key)
}

private fun integer(value: Any?, what: String, min: BigInteger, max: BigInteger): BigInteger {
    val n = (value as? JsonNumber)?.integer ?: ne("$what is not an integer")
    if (n < min || n > max) ne("$what is out of range")
    return n
}

private val I64_MIN = BigInteger.valueOf(Long.MIN_VALUE)
private val I64_MAX = BigInteger.valueOf(Long.MAX_VALUE)
private fun long(value: Any?, what: String) = integer(value, what, I64_MIN, I64_MAX).toLong()
private fun u32(value: Any?, what: String) = integer(value, what, BigInteger.ZERO, BigInteger.valueOf(0xFFFF_FFFFL)).toLong().toUInt()
private fun u64(value: Any?, what: String) = integer(value, what, BigInteger.ZERO, JsonNumber.U64_MAX).toString().toULong()
private fun u16(value: Any?, what: String) = integer(value, what, BigInteger.ZERO, BigInteger.valueOf(65535)).toInt().toUShort()

/** A field with a serde default: absent means the default; present must have the type (even null). */
private inline fun <T> withDefault(o: Obj, key: String, read: (Any) -> T): T? = if (present(o, key)) read(o[key]!!) else null

/** An `Option<T>` with a default: absent or null is None. */
private inline fun <T> option(o: Obj, key: String, read: (Any) -> T): T? = when (val v = o[key]) {
    null, JsonNull -> null
    else -> read(v)
}

private fun list(value: Any?, what: String): List<Any> = (value as? List<*>)?.map { it!! } ?: ne("$what is not a list")

private fun onlyKeys(o: Obj, allowed: Set<String>, what: String) {
    val unknown = o.keys - allowed
    if (unknown.isNotEmpty()) ne("$what has unknown keys $unknown")
}

fun bodyBytes(value: Any?, what: String): ByteArray = when (value) {
    is String -> value.toByteArray(Charsets.UTF_8)
    is Map<*, *> -> {
        val hex = value["hex"]
        val b64 = value["base64"]
        when {
            hex is String && (b64 == null || b64 === JsonNull) -> decodeHex(hex) ?: ne("$what: bad hex")
            b64 is String && (hex == null || hex === JsonNull) -> decodeBase64(b64) ?: ne("$what: bad base64")
            else -> ne("$what: not a body")
        }
    }
    else -> ne("$what is not a body")
}

private fun decodeHex(text: String): ByteArray? {
    if (text.length % 2 != 0) return null
    return ByteArray(text.length / 2) { index ->
        val hi = Character.digit(text[2 * index], 16)
        val lo = Character.digit(text[2 * index + 1], 16)
        if (hi < 0 || lo < 0) return null
        ((hi shl 4) or lo).toByte()
    }
}

private fun decodeBase64(text: String): ByteArray? {
    if (text.length % 4 != 0) return null
    return try {
        java.util.Base64.getDecoder().decode(text)
    } catch (e: IllegalArgumentException) {
        null
    }
}

fun headersOf(value: Any?, what: String): List<Header> = list(value, what).mapIndexed { i, h ->
    val o = obj(h, "$what[$i]")
    Header(reqStr(o, "name"), reqStr(o, "value"))
}

fun outcomeOf(value: Any?): HttpOutcome {
    val o = obj(value, "outcome")
    if (o.size != 1) ne("outcome must have exactly one key")
    return when {
        present(o, "response") -> {
            val r = obj(o["response"], "response")
            HttpOutcome.Response(
                HttpResponse(
                    status = u16(r["status"], "status"),
                    headers = withDefault(r, "headers") { headersOf(it, "headers") } ?: emptyList(),
                    body = withDefault(r, "body") { bodyBytes(it, "body") } ?: ByteArray(0),
                ),
            )
        }
        present(o, "transport_failure") -> HttpOutcome.Transport(
            when (o["transport_failure"]) {
                "timeout" -> TransportFailure.TIMEOUT
                "connection_error" -> TransportFailure.CONNECTION_ERROR
                "empty_response" -> TransportFailure.EMPTY_RESPONSE
                else -> ne("unknown transport failure")
            },
        )
        else -> ne("unknown outcome")
    }
}

fun exactMoney(value: Any?, what: String): Money {
    // A decimal string of rupiah is what moneyIdr takes. A bare number has no typed form: an
    // amount is a Money record (moneyIdr("100000"), moneyFromMinorUnits(...)), never a number.
    if (value is String) {
        return try {
            moneyIdr(value)
        } catch (e: KirimException) {
            ne("$what does not parse")
        }
    }
    val o = obj(value, what)
    onlyKeys(o, setOf("value", "currency"), what)
    if (o["currency"] != "IDR") ne("$what.currency is not IDR")
    return try {
        moneyParse(reqStr(o, "value"), Currency.IDR)
    } catch (e: KirimException) {
        ne("$what does not parse")
    }
}

private fun payoutStatusOf(value: Any?): PayoutStatus {
    val text = str(value, "status")
    return PayoutStatus.entries.firstOrNull { snake(it.name) == text } ?: ne("unknown status $text")
}

/** A generated callback's event (`TestCallbackEvent`) as the test-callback operations read it. */
private fun testEventOf(value: Any?, what: String): TestCallbackEvent {
    val o = obj(value, what)
    onlyKeys(o, setOf("status", "amount", "payout_id", "reference_id", "failure_reason"), what)
    return TestCallbackEvent(
        payoutStatusOf(o["status"]), exactMoney(o["amount"], "$what.amount"), reqStr(o, "payout_id"),
        optStr(o, "reference_id"), optStr(o, "failure_reason"),
    )
}

/** A status string (confirmed) or `{"status", "confirmation"}`, as `status.merge` reads it. */
private fun observationOf(value: Any?): Pair<PayoutStatus, Confirmation> {
    if (value is String) return payoutStatusOf(value) to Confirmation.CONFIRMED
    val o = obj(value, "event")
    onlyKeys(o, setOf("status", "confirmation"), "event")
    val confirmation = when (val c = o["confirmation"]) {
        null -> Confirmation.CONFIRMED
        else -> Confirmation.entries.firstOrNull { snake(it.name) == str(c, "confirmation") } ?: ne("unknown confirmation $c")
    }
    return payoutStatusOf(o["status"]) to confirmation
}

fun signTypeOf(value: Any?): SignType = when (value) {
    "MD5" -> SignType.MD5
    "HMAC-SHA256" -> SignType.HMAC_SHA256
    else -> ne("unknown sign type")
}

private fun secrets(value: Any?, what: String) = list(value, what).map { Secret(str(it, what)) }

fun pivotConfigOf(value: Any?): PivotConfig {
    val o = obj(value, "config")
    onlyKeys(
        o,
        setOf("base_url", "merchant_id", "merchant_secret", "callback_api_keys", "balance_path", "token_refresh_margin_seconds", "max_body_bytes", "key_window_margin_seconds"),
        "config",
    )
    // Absent options keep the record's own defaults (the core's, see configDefaults in Main.kt).
    val d = PivotConfig(baseUrl = reqStr(o, "base_url"), merchantId = reqStr(o, "merchant_id"), merchantSecret = Secret(reqStr(o, "merchant_secret")))
    return d.copy(
        callbackApiKeys = withDefault(o, "callback_api_keys") { secrets(it, "callback_api_keys") } ?: d.callbackApiKeys,
        balancePath = withDefault(o, "balance_path") { str(it, "balance_path") } ?: d.balancePath,
        tokenRefreshMarginSeconds = withDefault(o, "token_refresh_margin_seconds") { long(it, "margin") } ?: d.tokenRefreshMarginSeconds,
        maxBodyBytes = withDefault(o, "max_body_bytes") { u64(it, "max_body_bytes") } ?: d.maxBodyBytes,
        keyWindowMarginSeconds = withDefault(o, "key_window_margin_seconds") { long(it, "key_window_margin_seconds") } ?: d.keyWindowMarginSeconds,
    )
}

fun attemptOf(value: Any?): CreateAttempt {
    val o = obj(value, "attempt")
    onlyKeys(o, setOf("idempotency_key", "reference_ids", "first_sent_at", "now"), "attempt")
    return CreateAttempt(
        idempotencyKey = reqStr(o, "idempotency_key"),
        referenceIds = list(o["reference_ids"], "reference_ids").map { str(it, "reference_ids") },
        firstSentAt = long(o["first_sent_at"], "first_sent_at"),
        now = long(o["now"], "now"),
    )
}

fun gatewayConfigOf(value: Any?): GatewayConfig {
    val o = obj(value, "config")
    onlyKeys(
        o,
        setOf(
            "base_url", "platform_id", "platform_key", "previous_platform_keys", "authorization", "sign_type",
            "key_join", "hex_case", "notification_sign_types", "status_map", "statuses_requiring_query",
            "ack_body", "reject_body", "max_body_bytes",
        ),
        "config",
    )
    return GatewayConfig(
        baseUrl = reqStr(o, "base_url"),
        platformId = reqStr(o, "platform_id"),
        platformKey = Secret(reqStr(o, "platform_key")),
        previousPlatformKeys = withDefault(o, "previous_platform_keys") { secrets(it, "previous_platform_keys") } ?: emptyList(),
        authorization = option(o, "authorization") { Secret(str(it, "authorization")) },
        signType = withDefault(o, "sign_type") { signTypeOf(it) },
        keyJoin = withDefault(o, "key_join") {
            when (it) {
                "ampersand" -> KeyJoin.AMPERSAND
                "direct" -> KeyJoin.DIRECT
                "ampersand_key_equals" -> KeyJoin.AMPERSAND_KEY_EQUALS
                else -> ne("key_join")
            }
        },
        hexCase = withDefault(o, "hex_case") {
            when (it) {
                "lower" -> HexCase.LOWER
                "upper" -> HexCase.UPPER
                else -> ne("hex_case")
            }
        },
        notificationSignTypes = withDefault(o, "notification_sign_types") { v -> list(v, "types").map { signTypeOf(it) } },
        statusMap = withDefault(o, "status_map") { v ->
            obj(v, "status_map").entries.associate { (k, s) ->
                if (!Regex("-?(0|[1-9][0-9]*)").matches(k)) ne("status_map key $k")
                long(JsonNumber(k), "status_map key") to payoutStatusOf(s)
            }
        },
        statusesRequiringQuery = withDefault(o, "statuses_requiring_query") { v -> list(v, "statuses").map { long(it, "status") } } ?: emptyList(),
        ackBody = option(o, "ack_body") { str(it, "ack_body") },
        rejectBody = option(o, "reject_body") { str(it, "reject_body") },
    ).let { c -> c.copy(maxBodyBytes = withDefault(o, "max_body_bytes") { u64(it, "max_body_bytes") } ?: c.maxBodyBytes) }
}

fun paperIdConfigOf(value: Any?): PaperIdConfig {
    if (value == null || value === JsonNull) return PaperIdConfig()
    val o = obj(value, "config")
    onlyKeys(o, setOf("callback_token_header", "callback_tokens", "allowed_source_addresses", "max_body_bytes"), "config")
    val d = PaperIdConfig()
    return d.copy(
        callbackTokenHeader = option(o, "callback_token_header") { str(it, "callback_token_header") },
        callbackTokens = withDefault(o, "callback_tokens") { secrets(it, "callback_tokens") } ?: d.callbackTokens,
        allowedSourceAddresses = withDefault(o, "allowed_source_addresses") { v -> list(v, "addresses").map { str(it, "address") } } ?: d.allowedSourceAddresses,
        maxBodyBytes = withDefault(o, "max_body_bytes") { u64(it, "max_body_bytes") } ?: d.maxBodyBytes,
    )
}

private fun tokenOf(value: Any?): AccessToken {
    val o = obj(value, "access_token")
    return AccessToken(
        Secret(reqStr(o, "value")),
        withDefault(o, "token_type") { str(it, "token_type") } ?: "Bearer",
        long(o["expires_at"], "expires_at"),
    )
}

private fun payoutItemOf(value: Any?, i: Int): PayoutItemInput {
    val o = obj(value, "payouts[$i]")
    val d = obj(o["destination"], "destination")
    val destination = when (d["type"]) {
        "inquiry" -> PayoutDestination.Inquiry(reqStr(d, "inquiry_id"))
        "account" -> PayoutDestination.Account(reqStr(d, "channel_code"), reqStr(d, "account_number"), reqStr(d, "account_name"))
        else -> ne("destination type")
    }
    return PayoutItemInput(reqStr(o, "reference_id"), destination, exactMoney(o["amount"], "amount"), optStr(o, "description"))
}

private fun hasFloat(value: Any): Boolean = when (value) {
    is JsonNumber -> value.integer == null
    is List<*> -> value.any { hasFloat(it!!) }
    is Map<*, *> -> value.values.any { hasFloat(it!!) }
    else -> false
}

// ---- rendering typed results in the core's JSON form ------------------------------------------

fun snake(name: String): String =
    if (name.all { it.isUpperCase() || it.isDigit() || it == '_' }) name.lowercase()
    else name.replace(Regex("([a-z0-9])([A-Z])"), "$1_$2").lowercase()

private fun bodyJson(bytes: ByteArray): Any {
    val decoder = Charsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
    return try {
        decoder.decode(ByteBuffer.wrap(bytes)).toString()
    } catch (e: java.nio.charset.CharacterCodingException) {
        mapOf("hex" to bytes.joinToString("") { String.format("%02x", it.toInt() and 0xff) })
    }
}

private fun opt(value: Any?): Any = value ?: JsonNull
private fun n(value: Long?): Any = value?.let { JsonNumber.of(it) } ?: JsonNull
private fun n(value: ULong?): Any = value?.let { JsonNumber.of(it) } ?: JsonNull

private fun headersJson(headers: List<Header>) = headers.map { mapOf("name" to it.name, "value" to it.value) }

fun requestJson(r: HttpRequest) = mapOf("method" to r.method.name, "url" to r.url, "headers" to headersJson(r.headers), "body" to bodyJson(r.body))

fun ackJson(a: Acknowledgement) = mapOf(
    "status" to JsonNumber.of(a.status), "headers" to headersJson(a.headers), "body" to bodyJson(a.body),
    "provider_will_retry" to a.providerWillRetry,
)

fun moneyJson(m: Money?): Any = m?.let { mapOf("value" to moneyToDecimalString(it), "currency" to currencyCode(it.currency)) } ?: JsonNull

private fun retryJson(r: RetryAdvice): Any = when (r) {
    is RetryAdvice.RetryAfterDelay -> mapOf("kind" to "retry_after_delay", "min_delay_seconds" to JsonNumber.of(r.minDelaySeconds))
    else -> mapOf("kind" to snake(r::class.simpleName!!))
}

fun failureJson(f: Failure?): Any = f?.let {
    mapOf("reason" to snake(it.reason.name), "retry" to retryJson(it.retry), "provider_code" to opt(it.providerCode), "provider_text" to opt(it.providerText))
} ?: JsonNull

fun nextActionJson(a: NextAction): Any = when (a) {
    is NextAction.Rejected -> mapOf("kind" to "rejected", "new_idempotency_key_required" to a.newIdempotencyKeyRequired)
    is NextAction.ResendSameKeyAfter -> mapOf("kind" to "resend_same_key_after", "delay_seconds" to JsonNumber.of(a.delaySeconds))
    is NextAction.ManualReconciliation -> mapOf(
        "kind" to "manual_reconciliation",
        "reason" to snake(a.reason.name),
        "idempotency_key" to opt(a.idempotencyKey),
        "reference_ids" to a.referenceIds,
        "first_sent_at" to (a.firstSentAt?.let { JsonNumber.of(it) } ?: JsonNull),
        "message" to a.message,
    )
    else -> mapOf("kind" to snake(a::class.simpleName!!))
}

private fun totalsJson(t: PayoutTotals?): Any = t?.let {
    mapOf(
        "pending_count" to n(it.pendingCount), "pending_amount" to moneyJson(it.pendingAmount),
        "success_count" to n(it.successCount), "success_amount" to moneyJson(it.successAmount),
        "failed_count" to n(it.failedCount), "failed_amount" to moneyJson(it.failedAmount),
        "cancelled_count" to n(it.cancelledCount), "cancelled_amount" to moneyJson(it.cancelledAmount),
    )
} ?: JsonNull

private fun warningsJson(w: List<Warning>) = w.map { mapOf("field" to it.field, "reason" to it.reason) }

fun eventJson(e: PayoutEvent) = mapOf(
    "provider" to snake(e.provider.name), "authenticity" to snake(e.authenticity.name),
    "confirmation" to snake(e.confirmation.name),
    "payout_id" to opt(e.payoutId), "reference_id" to opt(e.referenceId), "status" to snake(e.status.name),
    "raw_status" to e.rawStatus, "raw_event" to opt(e.rawEvent), "amount" to moneyJson(e.amount),
    "failure" to failureJson(e.failure), "occurred_at" to n(e.occurredAt), "requires_query" to e.requiresQuery,
    "totals" to totalsJson(e.totals),
    "warnings" to warningsJson(e.warnings),
    "real_amount" to moneyJson(e.realAmount),
    "fee" to moneyJson(e.fee),
)

private fun batchJson(b: PayoutBatch?): Any = b?.let {
    mapOf(
        "payout_id" to it.payoutId, "merchant_id" to opt(it.merchantId),
        "batch_status" to opt(it.batchStatus?.let { s -> snake(s.name) }), "raw_batch_status" to opt(it.rawBatchStatus),
        "items" to it.items.map { i ->
            mapOf(
                "reference_id" to i.referenceId, "status" to snake(i.status.name), "raw_status" to i.rawStatus,
                "amount" to moneyJson(i.amount), "failure" to failureJson(i.failure), "inquiry_id" to opt(i.inquiryId),
                "channel_code" to opt(i.channelCode), "account_number" to opt(i.accountNumber),
                "account_name" to opt(i.accountName), "description" to opt(i.description),
                "created_at" to n(i.createdAt), "updated_at" to n(i.updatedAt),
            )
        },
        "totals" to totalsJson(it.totals), "created_at" to n(it.createdAt), "updated_at" to n(it.updatedAt),
        "warnings" to warningsJson(it.warnings),
    )
} ?: JsonNull

private fun inquiryJson(r: InquiryResult) = mapOf(
    "inquiry_id" to r.inquiryId, "merchant_id" to opt(r.merchantId), "status" to snake(r.status.name),
    "raw_status" to r.rawStatus, "detail" to opt(r.detail), "bank_record_name" to opt(r.bankRecordName),
    "bank_record_name_source" to opt(r.bankRecordNameSource?.let { snake(it.name) }),
)

private fun orderJson(o: WithdrawOrderState) = mapOf(
    "payout_id" to opt(o.payoutId), "payout_cl_id" to opt(o.payoutClId), "platform_id" to opt(o.platformId),
    "status" to snake(o.status.name), "raw_status" to o.rawStatus, "amount" to moneyJson(o.amount),
    "real_amount" to moneyJson(o.realAmount), "fee" to moneyJson(o.fee), "bank_name" to opt(o.bankName),
    "name" to opt(o.name), "number" to opt(o.number), "failure" to failureJson(o.failure),
    "created_at" to n(o.createdAt), "updated_at" to n(o.updatedAt),
)

fun errorInfoJson(e: ErrorInfo?): Any = e?.let { info ->
    val out = LinkedHashMap<String, Any>()
    out["code"] = errorCodeString(info.code)
    out["field"] = opt(info.field)
    out["message"] = info.message
    if (info.violations.isNotEmpty()) out["violations"] = info.violations.map { mapOf("field" to it.field, "code" to errorCodeString(it.code), "message" to it.message) }
    info.providerCode?.let { out["provider_code"] = it }
    info.providerMessage?.let { out["provider_message"] = it }
    if (info.providerDetails.isNotEmpty()) out["provider_details"] = info.providerDetails.map { mapOf("field" to opt(it.field), "message" to it.message) }
    info.httpStatus?.let { out["http_status"] = JsonNumber.of(it) }
    info.providerTraceId?.let { out["provider_trace_id"] = it }
    out
} ?: JsonNull

private fun signTypeJson(t: SignType) = if (t == SignType.MD5) "MD5" else "HMAC-SHA256"

// ---- one typed call per operation ------------------------------------------------------------

private fun idempotencyRules(o: Obj): IdempotencyRules = when (o["provider"]) {
    "pivot" -> IdempotencyRules.pivot()
    else -> ne("the typed API names providers by class")
}

fun typedCall(operation: String, o: Obj): Any = when (operation) {
    "money.parse" -> {
        val currency = currencyParse(reqStr(o, "currency"))
        val money = moneyParse(reqStr(o, "value"), currency)
        mapOf("minor_units" to JsonNumber.of(money.minorUnits), "money" to moneyJson(money))
    }
    "money.from_minor_units" -> {
        val currency = currencyParse(reqStr(o, "currency"))
        moneyJson(Money(long(o["minor_units"], "minor_units"), currency))
    }
    "status.merge" -> {
        var current = option(o, "current") { payoutStatusOf(it) } ?: PayoutStatus.UNKNOWN
        var expected: PayoutStatus? = null
        val states = list(o["events"], "events").map { observationOf(it) }.map { (event, confirmation) ->
            expected = payoutStatusExpectedAfter(current, expected, event, confirmation)
            current = payoutStatusObserve(current, event, confirmation)
            snake(current.name)
        }
        mapOf("final" to snake(current.name), "states" to states, "expected" to opt(expected?.let { snake(it.name) }))
    }
    "status.is_final" -> mapOf("is_final" to payoutStatusIsFinal(payoutStatusOf(o["status"])))
    "idempotency.validate" -> {
        val rules = idempotencyRules(o)
        rules.validate(reqStr(o, "key"))
        mapOf("valid" to true)
    }
    "idempotency.derive" -> {
        val rules = idempotencyRules(o)
        val revision = option(o, "revision") { u32(it, "revision") } ?: 0u
        mapOf("idempotency_key" to rules.derive(reqStr(o, "merchant_reference"), revision))
    }
    "idempotency.key_reuse" -> {
        val rules = idempotencyRules(o)
        val margin = option(o, "margin_seconds") { long(it, "margin_seconds") } ?: 600L
        when (val reuse = rules.keyReuse(long(o["first_used_at"], "first_used_at"), long(o["now"], "now"), margin)) {
            is KeyReuse.ReplaysUntil -> mapOf("kind" to "replays_until", "until" to JsonNumber.of(reuse.until))
            is KeyReuse.Expired -> mapOf("kind" to "expired", "since" to JsonNumber.of(reuse.since))
        }
    }
    "http.transport_options" -> {
        // The timeout as its number's text (what the driver hands over for a Duration), the cap an i64.
        val timeout = option(o, "timeout_ms") { (it as? JsonNumber)?.text ?: ne("timeout_ms is not a number") }
        val bytes = option(o, "max_response_bytes") { long(it, "max_response_bytes") }
        val options = transportOptions(timeout, bytes)
        mapOf("timeout_ms" to JsonNumber.of(options.timeoutMs), "max_response_bytes" to JsonNumber.of(options.maxResponseBytes))
    }
    else -> when (operation.substringBefore('.')) {
        "pivot" -> pivotCall(operation.substringAfter('.'), o)
        "gateway" -> gatewayCall(operation.substringAfter('.'), o)
        "paperid" -> paperIdCall(operation.substringAfter('.'), o)
        else -> ne("no typed form for $operation")
    }
}

private fun pivotCall(name: String, o: Obj): Any {
    val config = pivotConfigOf(o["config"])
    // Arguments are read before the shell is built, so a shape the typed API cannot express is
    // recognized first; the JSON interface builds the shell first, which only orders errors.
    val call: (Pivot) -> Any = when (name) {
        "access_token_request" -> { { p -> requestJson(p.accessTokenRequest()) } }
        "parse_access_token" -> {
            val outcome = outcomeOf(o["outcome"])
            val now = long(o["now"], "now");
            { p ->
                val token = p.parseAccessToken(outcome, now)
                mapOf(
                    "access_token" to token.value().exposeSecret(), "token_type" to token.tokenType(),
                    "expires_at" to JsonNumber.of(token.expiresAt()), "needs_refresh_now" to p.needsRefresh(token, now),
                    "refresh_at" to JsonNumber.of(token.expiresAt() - p.config().tokenRefreshMarginSeconds),
                )
            }
        }
        "needs_refresh" -> {
            val token = tokenOf(o["access_token"])
            val now = long(o["now"], "now");
            { p -> mapOf("needs_refresh" to p.needsRefresh(token, now)) }
        }
        "balance_request" -> {
            val token = tokenOf(o["access_token"])
            val now = long(o["now"], "now");
            { p -> requestJson(p.balanceRequest(token, now)) }
        }
        "parse_balance" -> {
            val outcome = outcomeOf(o["outcome"]);
            { p -> moneyJson(p.parseBalance(outcome)) }
        }
        "inquiry_request" -> {
            val token = tokenOf(o["access_token"])
            val now = long(o["now"], "now")
            val i = obj(o["inquiry"], "inquiry")
            val inquiry = InquiryInput(reqStr(i, "channel_code"), reqStr(i, "account_number"), reqStr(i, "account_name"));
            { p -> requestJson(p.inquiryRequest(token, now, inquiry)) }
        }
        "inquiry_status_request" -> {
            val token = tokenOf(o["access_token"])
            val now = long(o["now"], "now")
            val id = reqStr(o, "inquiry_id");
            { p -> requestJson(p.inquiryStatusRequest(token, now, id)) }
        }
        "parse_inquiry" -> {
            val outcome = outcomeOf(o["outcome"]);
            { p -> inquiryJson(p.parseInquiry(outcome)) }
        }
        "create_payout_request" -> {
            val token = tokenOf(o["access_token"])
            val now = long(o["now"], "now")
            val key = reqStr(o, "idempotency_key")
            val payouts = list(o["payouts"], "payouts").mapIndexed { i, item -> payoutItemOf(item, i) };
            { p -> requestJson(p.createPayoutRequest(token, now, key, payouts)) }
        }
        "derive_request_id" -> {
            val reference = reqStr(o, "merchant_reference")
            val revision = option(o, "revision") { u32(it, "revision") } ?: 0u;
            { p -> mapOf("idempotency_key" to p.deriveRequestId(reference, revision)) }
        }
        "parse_create_payout" -> {
            val outcome = outcomeOf(o["outcome"])
            val attempt = option(o, "attempt") { attemptOf(it) };
            { p ->
                val r = p.parseCreatePayout(outcome, attempt)
                mapOf("next_action" to nextActionJson(r.nextAction), "batch" to batchJson(r.batch), "error" to errorInfoJson(r.error))
            }
        }
        "retrieve_request" -> {
            val token = tokenOf(o["access_token"])
            val now = long(o["now"], "now")
            val id = reqStr(o, "payout_id")
            val reference = optStr(o, "reference_id");
            { p -> requestJson(p.retrieveRequest(token, now, id, reference)) }
        }
        "parse_retrieve" -> {
            val outcome = outcomeOf(o["outcome"]);
            { p -> batchJson(p.parseRetrieve(outcome)) }
        }
        "verify_callback" -> {
            val headers = headersOf(o["headers"], "headers")
            val body = bodyBytes(o["body"], "body");
            { p -> p.verifyCallback(headers, body).map(::eventJson) }
        }
        "parse_callback_unverified" -> {
            val body = bodyBytes(o["body"], "body");
            { p -> p.parseCallbackUnverified(body).map(::eventJson) }
        }
        "handle_callback" -> {
            val headers = headersOf(o["headers"], "headers")
            val body = bodyBytes(o["body"], "body");
            { p ->
                val h = p.handleCallback(headers, body)
                mapOf("events" to opt(h.events?.map(::eventJson)), "error" to errorInfoJson(h.error), "acknowledgement" to ackJson(h.acknowledgement))
            }
        }
        "test_callback" -> {
            val key = Secret(reqStr(o, "api_key"))
            val event = testEventOf(o["event"], "event")
            val url = optStr(o, "url");
            { p -> requestJson(p.testCallback(key, event, url)) }
        }
        "test_bulk_callback" -> {
            val key = Secret(reqStr(o, "api_key"))
            val payouts = list(o["payouts"], "payouts").map { testEventOf(it, "payouts") }
            val url = optStr(o, "url");
            { p -> requestJson(p.testBulkCallback(key, payouts, url)) }
        }
        else -> ne("no typed form for pivot.$name")
    }
    return call(Pivot(config))
}

private fun gatewayCall(name: String, o: Obj): Any {
    val config = gatewayConfigOf(o["config"])
    val call: (Gateway) -> Any = when (name) {
        "sign" -> {
            val body: ByteArray = when (val b = o["body"]) {
                null, JsonNull -> {
                    val params = o["params"] ?: ne("no params")
                    if (params !is Map<*, *> || hasFloat(params)) ne("params the typed API takes as bytes")
                    toJson(params).toByteArray(Charsets.UTF_8)
                }
                else -> str(b, "body").toByteArray(Charsets.UTF_8)
            }
            val signType = option(o, "sign_type") { signTypeOf(it) };
            { g ->
                val settings = g.config()
                val params = FormParams.fromJson(body, settings.maxBodyBytes)
                val s = g.signParams(params, signType ?: settings.signType!!)
                mapOf("canonical" to s.canonical, "sign" to s.sign, "sign_type" to signTypeJson(s.signType))
            }
        }
        "create_withdraw_request" -> {
            val w = obj(o["order"], "order")
            val order = WithdrawOrderInput(
                reqStr(w, "payout_cl_id"), exactMoney(w["amount"], "amount"), reqStr(w, "bank_name"),
                reqStr(w, "name"), reqStr(w, "number"), optStr(w, "notify_url"),
            )
            val now = long(o["now"], "now");
            { g -> requestJson(g.createWithdrawRequest(order, now)) }
        }
        "parse_create_withdraw" -> {
            val outcome = outcomeOf(o["outcome"]);
            { g ->
                val r = g.parseCreateWithdraw(outcome)
                mapOf("next_action" to nextActionJson(r.nextAction), "payout_id" to opt(r.payoutId), "error" to errorInfoJson(r.error))
            }
        }
        "query_request" -> {
            val f = option(o, "filter") { obj(it, "filter") } ?: emptyMap()
            onlyKeys(f, setOf("offset", "limit", "payout_id", "payout_cl_id", "create_time_gte", "create_time_lte"), "filter")
            val filter = QueryFilter(
                offset = option(f, "offset") { u32(it, "offset") },
                limit = option(f, "limit") { u32(it, "limit") },
                payoutId = optStr(f, "payout_id"),
                payoutClId = optStr(f, "payout_cl_id"),
                createTimeGte = option(f, "create_time_gte") { long(it, "gte") },
                createTimeLte = option(f, "create_time_lte") { long(it, "lte") },
            );
            { g -> requestJson(g.queryRequest(filter)) }
        }
        "query_order_request" -> {
            val id = reqStr(o, "payout_cl_id");
            { g -> requestJson(g.queryOrderRequest(id)) }
        }
        "parse_query" -> {
            val outcome = outcomeOf(o["outcome"]);
            { g ->
                val r = g.parseQuery(outcome)
                mapOf("total" to n(r.total), "orders" to r.orders.map(::orderJson), "warnings" to warningsJson(r.warnings))
            }
        }
        "verify_notification" -> {
            val body = bodyBytes(o["body"], "body");
            { g -> eventJson(g.verifyNotification(body)) }
        }
        "parse_notification_unverified" -> {
            val body = bodyBytes(o["body"], "body");
            { g -> eventJson(g.parseNotificationUnverified(body)) }
        }
        "handle_notification" -> {
            val body = bodyBytes(o["body"], "body");
            { g ->
                val h = g.handleNotification(body)
                mapOf("event" to opt(h.event?.let(::eventJson)), "error" to errorInfoJson(h.error), "acknowledgement" to ackJson(h.acknowledgement))
            }
        }
        "balance_request" -> { { g -> requestJson(g.balanceRequest()) } }
        "parse_balance" -> {
            val outcome = outcomeOf(o["outcome"]);
            { g -> moneyJson(g.parseBalance(outcome)) }
        }
        "test_notification" -> {
            val key = Secret(reqStr(o, "platform_key"))
            val event = testEventOf(o["event"], "event")
            val signType = option(o, "sign_type") { signTypeOf(it) }
            val url = optStr(o, "url");
            { g -> requestJson(g.testNotification(key, event, signType, url)) }
        }
        else -> ne("no typed form for gateway.$name")
    }
    return call(Gateway(config))
}

private fun paperIdCall(name: String, o: Obj): Any {
    val config = paperIdConfigOf(o["config"])
    val call: (PaperId) -> Any = when (name) {
        "verify_callback", "handle_callback" -> {
            val headers = option(o, "headers") { headersOf(it, "headers") } ?: emptyList()
            val source = optStr(o, "source_address")
            val body = bodyBytes(o["body"], "body")
            if (name == "verify_callback") {
                { p -> eventJson(p.verifyCallback(headers, body, source)) }
            } else {
                { p ->
                    val h = p.handleCallback(headers, body, source)
                    mapOf("event" to opt(h.event?.let(::eventJson)), "error" to errorInfoJson(h.error), "acknowledgement" to ackJson(h.acknowledgement))
                }
            }
        }
        "parse_callback_unverified" -> {
            val body = bodyBytes(o["body"], "body");
            { p -> eventJson(p.parseCallbackUnverified(body)) }
        }
        "test_callback" -> {
            val token = Secret(reqStr(o, "token"))
            val event = testEventOf(o["event"], "event")
            val url = optStr(o, "url");
            { p -> requestJson(p.testCallback(token, event, url)) }
        }
        else -> ne("no typed form for paperid.$name")
    }
    return call(PaperId(config))
}

class TypedReport(val agreed: Int, val failures: List<String>, val notExpressible: Int)

/** Runs every shared vector through the typed API where its input has a typed form. */
fun runTypedVectors(root: File): TypedReport {
    val files = mutableListOf<File>()
    for (dir in vectorDirectories(root)) vectorFiles(dir, files)
    var agreed = 0
    var notExpressible = 0
    val failures = mutableListOf<String>()
    val reasons = mutableListOf<String>()
    for (path in files) {
        val file = readVectorFile(path)
        for (vector in file.vectors) {
            val name = vector["name"] as? String ?: "?"
            val outcome = try {
                Outcome.Ok(typedCall(file.operation, mergedInput(file, vector)))
            } catch (e: NotExpressible) {
                notExpressible++
                reasons.add("${path.parentFile.name}/${path.name} :: $name (${e.message})")
                continue
            } catch (e: KirimException) {
                Outcome.Failed(e)
            } catch (e: Throwable) {
                Outcome.Crashed(e)
            }
            val why = verdict(vector, outcome)
            if (why == null) agreed++ else failures.add("$path :: $name: $why")
        }
    }
    for (failure in failures) System.err.println("TYPED FAIL $failure")
    for (reason in reasons) println("  not expressible in typed form: $reason")
    println("typed API: ${agreed} vectors agree, ${failures.size} failed, $notExpressible not expressible in typed form")
    return TypedReport(agreed, failures, notExpressible)
}

// The Kotlin test program of bindings-mobile, run on the JVM against the generated bindings and
// the native library (JNA):
//   1. every shared vector through `runOperation` (prints `vectors: N passed, N failed`);
//   2. the same vectors through the typed API, where their input has a typed form; every
//      lifecycle scenario vector through the typed PayoutLifecycle (Lifecycle.kt);
//   3. the typed API's conventions (secrets never render, the sealed exception's fields, money
//      as Long minor units, ByteArray bodies, defaults) and hostile inputs, which must give a
//      KirimException or a result, never an InternalException (a panic) or anything else.
// Usage: java -Djna.library.path=<dir of libkirim_mobile.so> -cp <jar>:jna.jar MainKt <tests/vectors>
// [--vectors-only] (only the shared-vector runner: exit status 1 when a vector fails);
// `MainKt --driver <simulator URL>` runs the driver's tests against the simulator (DriverTest.kt).
// With KIRIM_EXPECTED_VECTOR_COUNT set, the vector count must equal it (the Rust runner's).

import java.io.File
import kotlin.random.Random
import kirim.*
import kirim.core.*

private var passed = 0
private val failed = mutableListOf<String>()

private fun test(name: String, body: () -> Unit) {
    try {
        body()
        passed++
    } catch (e: Throwable) {
        failed.add("$name: ${e::class.simpleName}: ${e.message}")
        System.err.println("TEST FAIL $name: $e")
    }
}

private fun check(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

private fun <T> eq(actual: T, expected: T, what: String) = check(actual == expected) { "$what: expected $expected, got $actual" }

private inline fun throws(code: ErrorCode, what: String, block: () -> Unit): KirimException {
    try {
        block()
    } catch (e: KirimException) {
        if (e.code() == code) return e
        throw AssertionError("$what: expected $code, got ${e.code()} (${e.errorMessage()})")
    }
    throw AssertionError("$what: expected $code, nothing was thrown")
}

private const val SENTINEL = "sentinel-5ec7e7-value"

private fun pivotConfig(vararg callbackKeys: String) = PivotConfig(
    baseUrl = pivotSandboxUrl(),
    merchantId = "kirim-merchant",
    merchantSecret = Secret(SENTINEL),
    callbackApiKeys = callbackKeys.map { Secret(it) },
)

private fun response(status: Int, body: String, headers: List<Header> = emptyList()) =
    HttpOutcome.Response(HttpResponse(status.toUShort(), headers, body.toByteArray(Charsets.UTF_8)))

private fun apiTests(root: File) {
    test("secrets never render, yet reach the request") {
        val secret = Secret(SENTINEL)
        eq(secret.toString(), "[redacted]", "Secret.toString")
        eq(secret.exposeSecret(), SENTINEL, "exposeSecret")
        check(secret.matches(SENTINEL.toByteArray()) && !secret.matches("x".toByteArray())) { "matches" }
        val config = pivotConfig(SENTINEL + "-cb")
        check(SENTINEL !in config.toString()) { "PivotConfig renders a secret: $config" }
        val pivot = Pivot(config)
        check(SENTINEL !in pivot.toString()) { "Pivot renders a secret" }
        val request = pivot.accessTokenRequest()
        eq(request.header("x-merchant-secret"), SENTINEL, "the secret header (case-insensitive lookup)")
        check(SENTINEL !in request.toString()) { "HttpRequest renders a secret: $request" }
        check(SENTINEL !in request.headers.toString()) { "headers render a secret" }
        check("X-MERCHANT-ID: kirim-merchant" in request.headers.toString()) { "ordinary headers render: ${request.headers}" }
        val tokenResponse = response(200, """{"code":"00","data":{"accessToken":"$SENTINEL","expiresIn":"900"}}""")
        check(SENTINEL !in tokenResponse.toString()) { "a response renders its body: $tokenResponse" }
        check(SENTINEL !in pivot.parseAccessToken(tokenResponse, 0).toString()) { "a parsed token renders its value" }
        eq(tokenResponse, response(200, """{"code":"00","data":{"accessToken":"$SENTINEL","expiresIn":"900"}}"""), "records with bodies compare by content")
        val token = AccessToken(Secret(SENTINEL), "Bearer", 1_715_589_405)
        check(SENTINEL !in token.toString()) { "AccessToken renders its value" }
        eq(token.value().exposeSecret(), SENTINEL, "token value")
        val balance = pivot.balanceRequest(token, 1_715_588_505)
        eq(balance.header("Authorization"), "Bearer $SENTINEL", "bearer header")
        check(SENTINEL !in balance.toString()) { "a request renders its bearer token" }
        val gatewayConfig = GatewayConfig(baseUrl = "https://payment.example", platformId = "PF0002", platformKey = Secret(SENTINEL), authorization = Secret(SENTINEL))
        check(SENTINEL !in gatewayConfig.toString() && SENTINEL !in Gateway(gatewayConfig).toString()) { "gateway renders a secret" }
        val paperConfig = PaperIdConfig(callbackTokenHeader = "X-Callback-Token", callbackTokens = listOf(Secret(SENTINEL)))
        check(SENTINEL !in paperConfig.toString() && SENTINEL !in PaperId(paperConfig).toString()) { "Paper.id renders a secret" }
    }

    test("the one exception carries code, field, a message and every violation") {
        val pivot = Pivot(pivotConfig())
        val token = AccessToken(Secret("t"), "Bearer", Long.MAX_VALUE)
        val e = throws(ErrorCode.VALIDATION_FAILED, "empty inquiry") {
            pivot.inquiryRequest(token, 0, InquiryInput("", "", ""))
        }
        eq(e.code(), ErrorCode.VALIDATION_FAILED, "code")
        eq(errorCodeString(e.code()), "validation_failed", "the stable snake_case code")
        eq(errorCodeParse("validation_failed"), ErrorCode.VALIDATION_FAILED, "and back")
        eq(throws(ErrorCode.INVALID_FIELD, "an unknown code") { errorCodeParse("not_a_code") }.field(), "code", "names the field")
        check(e.field() != null && e.field() == e.info().field) { "field: ${e.field()}" }
        check(e.errorMessage().isNotBlank() && e.errorMessage() == e.info().message) { "errorMessage" }
        check(e.toString().startsWith("validation_failed: ")) { "toString: $e" }
        eq(e.info().violations.map { it.field }.toSet(), setOf("channel_code", "account_number", "account_name"), "violations")
        check(e.info().violations.all { it.code == ErrorCode.MISSING_FIELD && it.message.isNotBlank() }) { "violation codes: ${e.info().violations}" }
        eq(e.info().code, e.code(), "info() carries the code")
    }

    test("unreadable non-essential fields are warnings, in every result") {
        val body = """{"code":"00","data":{"uuid":"u10","status":"DONE","created":"13/05/2024","payouts":""" +
            """{"referenceId":"r-10","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS"}}}"""
        val batch = Pivot(pivotConfig()).parseRetrieve(response(200, body))
        eq(batch.createdAt, null, "created_at is absent")
        eq(batch.items[0].status, PayoutStatus.SUCCEEDED, "the status still arrives")
        eq(batch.warnings.map { it.field }, listOf("data.created"), "the warning names the field")
        check("13/05/2024" in batch.warnings[0].reason) { "reason: ${batch.warnings[0].reason}" }

        val paper = PaperId(PaperIdConfig()).parseCallbackUnverified(
            """{"disbursement_id":"DISB-1","payment_id":"P-1","status":"COMPLETED","amount":1.0E7,"timestamp":1715588505123}""".toByteArray(),
        )
        eq(paper.warnings.map { it.field }, listOf("timestamp"), "Paper.id warning")
        eq(paper.occurredAt, null, "Paper.id time absent")
        eq(paper.amount, Money(1_000_000_000L, Currency.IDR), "1.0E7 rupiah exactly")
        eq(paper.payoutId, "DISB-1", "disbursement_id is the payout id")
        eq(paper.referenceId, null, "no merchant reference")

        val gateway = Gateway(GatewayConfig(baseUrl = "https://payment.example", platformId = "PF0002", platformKey = Secret("k")))
        val event = gateway.parseNotificationUnverified(
            ("""{"payout_id":"P1","payout_cl_id":"C1","amount":400000,"real_amount":396800,"fee":3200,"status":3,""" +
                """"create_time":"yesterday","update_time":1567614111}""").toByteArray(),
        )
        eq(event.realAmount, Money(396_800L, Currency.IDR), "real_amount")
        eq(event.fee, Money(3_200L, Currency.IDR), "fee")
        eq(event.warnings.map { it.field }, listOf("create_time"), "gateway warning")
        eq(event.occurredAt, 1_567_614_111L, "update_time still read")
    }

    test("each stable code is an ErrorCode, with a meaning and a fix") {
        val amount = throws(ErrorCode.INVALID_AMOUNT, "exponent") { moneyParse("1e5", Currency.IDR) }
        eq(errorCodeString(amount.code()), "invalid_amount", "code")
        eq(amount.field(), "value", "field")
        throws(ErrorCode.FRACTIONAL_AMOUNT, "sub-sen") { moneyParse("1.001", Currency.IDR) }
        throws(ErrorCode.UNSUPPORTED_CURRENCY, "currency") { currencyParse("USD") }
        throws(ErrorCode.UNKNOWN_OPERATION, "operation") { runOperation("pivot.nope", "{}") }
        val codes = errorCodes()
        check(codes.size >= 30 && codes.toSet().size == codes.size) { "codes: $codes" }
        eq(ErrorCode.values().map { errorCodeString(it) }, codes, "every ErrorCode, in documentation order")
        for (code in codes) {
            check(!errorCodeMeaning(code).isNullOrBlank() && !errorCodeFix(code).isNullOrBlank()) { "no docs for $code" }
        }
        eq(errorCodeMeaning("not_a_code"), null, "unknown code")
    }

    test("money is Long minor units, exact, never a float") {
        eq(moneyParse("1238.86", Currency.IDR).minorUnits, 123_886L, "the float trap")
        eq(moneyParse("10000.00", currencyParse("idr")).minorUnits, 1_000_000L, "provider format")
        eq(moneyIdr("100000").minorUnits, 10_000_000L, "rupiah as a decimal string")
        eq(moneyFromMinorUnits(10_000_000, Currency.IDR), moneyIdr("100000"), "minor units by name")
        eq(moneyToDecimalString(Money(Long.MIN_VALUE, Currency.IDR)), "-92233720368547758.08", "i64 min")
        eq(moneyToDecimalString(Money(5, Currency.IDR)), "0.05", "sen")
        throws(ErrorCode.AMOUNT_OUT_OF_RANGE, "overflow") { moneyIdr(Long.MAX_VALUE.toString()) }
        val fractional = throws(ErrorCode.FRACTIONAL_AMOUNT, "whole") { moneyWholeMajorUnits(Money(123_886, Currency.IDR)) }
        eq(fractional.field(), "amount", "default field name")
        eq(moneyWholeMajorUnits(Money(10_000_000, Currency.IDR), "x"), 100_000L, "whole major units")
        eq(currencyExponent(Currency.IDR), 2u, "exponent")
    }

    test("a bare number amount is refused with the fix (issue 15 item 10)") {
        // The typed API takes Money (moneyIdr("100000"), moneyFromMinorUnits(...)): a number does
        // not compile (script/test checks moneyIdr(100_000)). The JSON interface refuses it.
        val input = """{"config":{"base_url":"https://api-stg.pivot-payment.com","merchant_id":"m","merchant_secret":"s"},""" +
            """"access_token":{"value":"t","expires_at":9999999999},"now":0,"idempotency_key":"kirimPayout000000000000000000001",""" +
            """"payouts":[{"reference_id":"r","destination":{"type":"inquiry","inquiry_id":"i"},"amount":100000}]}"""
        val e = throws(ErrorCode.INVALID_AMOUNT, "bare number") { runOperation("pivot.create_payout_request", input) }
        eq(e.field(), "payouts[0].amount", "field")
        check(e.errorMessage().contains("is a bare number (100000)") && e.errorMessage().contains("Money(minorUnits")) { e.errorMessage() }
        val text = """{"reference_id":"r","destination":{"type":"inquiry","inquiry_id":"i"},"amount":"100000"}"""
        val viaString = runOperation("pivot.create_payout_request", input.replace(""""amount":100000""", """"amount":"100000""""))
        check(viaString.contains("""\"value\":\"100000\"""")) { "a decimal string is rupiah: $viaString ($text)" }
    }

    test("isFinal is the core's rule for every status (issue 15 item 13)") {
        for (status in PayoutStatus.entries) {
            val name = status.name.lowercase()
            val core = runOperation("status.is_final", """{"status":"$name"}""")
            eq(payoutStatusIsFinal(status), core.contains("\"is_final\":true"), "isFinal($name)")
        }
        eq(PayoutStatus.entries.filter { payoutStatusIsFinal(it) }.toSet(),
            setOf(PayoutStatus.SUCCEEDED, PayoutStatus.FAILED, PayoutStatus.CANCELLED, PayoutStatus.REVERSED), "final states")
    }

    test("status merge never moves backwards") {
        eq(payoutStatusMerge(PayoutStatus.SUCCEEDED, PayoutStatus.FAILED), PayoutStatus.SUCCEEDED, "final kept")
        eq(payoutStatusMerge(PayoutStatus.SUCCEEDED, PayoutStatus.REVERSED), PayoutStatus.REVERSED, "reversal")
        // Pending, processing and delayed are peers: a top-up hold after processing shows.
        eq(payoutStatusMerge(PayoutStatus.PROCESSING, PayoutStatus.PENDING), PayoutStatus.PENDING, "top-up hold")
        eq(payoutStatusMerge(PayoutStatus.PENDING, PayoutStatus.UNKNOWN), PayoutStatus.PENDING, "unknown never replaces")
        // A tentative observation never makes a payout final; a confirmed one decides.
        eq(payoutStatusObserve(PayoutStatus.PROCESSING, PayoutStatus.SUCCEEDED, Confirmation.TENTATIVE), PayoutStatus.PROCESSING, "tentative success held")
        eq(payoutStatusExpectedAfter(PayoutStatus.PROCESSING, null, PayoutStatus.SUCCEEDED, Confirmation.TENTATIVE), PayoutStatus.SUCCEEDED, "expected")
        eq(payoutStatusObserve(PayoutStatus.PROCESSING, PayoutStatus.FAILED, Confirmation.CONFIRMED), PayoutStatus.FAILED, "the query decides")
        eq(payoutStatusExpectedAfter(PayoutStatus.PROCESSING, PayoutStatus.SUCCEEDED, PayoutStatus.FAILED, Confirmation.CONFIRMED), null, "nothing expected once failed")
        check(payoutStatusIsFinal(PayoutStatus.FAILED) && !payoutStatusIsFinal(PayoutStatus.DELAYED)) { "is final" }
    }

    test("idempotency keys: derived stably, validated, reuse window") {
        val rules = IdempotencyRules.pivot()
        eq(rules.header(), "X-REQUEST-ID", "header")
        val key = rules.derive("order-1", 0u)
        eq(rules.derive("order-1", 0u), key, "stable")
        check(rules.derive("order-1", 1u) != key) { "revision changes the key" }
        // The key every language and the lifecycle derive (the provider's name is its namespace:
        // no caller picks another one and gets a second key for the same payout).
        eq(key, runOperation("idempotency.derive", """{"provider":"pivot","merchant_reference":"order-1"}""").let {
            Regex("\"idempotency_key\":\"([0-9a-f]+)\"").find(it)!!.groupValues[1]
        }, "the core's operation")
        rules.validate(key)
        val pivot = Pivot(pivotConfig())
        eq(pivot.deriveRequestId("order-1"), key, "Pivot.deriveRequestId (default revision)")
        throws(ErrorCode.INVALID_IDEMPOTENCY_KEY, "short key") { rules.validate("short") }
        throws(ErrorCode.MISSING_FIELD, "empty reference") { pivot.deriveRequestId("") }
        val validity = rules.validitySeconds()
        // The window less the default 600 s safety margin.
        eq(rules.keyReuse(1000, 1000 + validity - 601), KeyReuse.ReplaysUntil(1000 + validity - 600), "inside the window")
        eq(rules.keyReuse(1000, 1000 + validity - 600), KeyReuse.Expired(1000 + validity - 600), "at the margin")
        eq(rules.keyReuse(1000, 1000 + validity - 1, 0), KeyReuse.ReplaysUntil(1000 + validity), "no margin")
        throws(ErrorCode.INVALID_FIELD, "negative margin") { rules.keyReuse(1000, 1000, -1) }
        check(rules.minLen() <= rules.maxLen() && rules.alphanumericOnly()) { "rules" }
    }

    test("a payout round: token, derived key, create, and a timeout means resend the same request") {
        val pivot = Pivot(pivotConfig())
        val now = 1_715_588_505L
        val token = pivot.parseAccessToken(
            response(200, """{"code":"00","message":"Success","data":{"accessToken":"abc.def","expiresIn":"900","tokenType":"Bearer"}}"""),
            now,
        )
        eq(token.expiresAt(), now + 900, "expiry")
        check(!pivot.needsRefresh(token, now) && pivot.needsRefresh(token, now + 900)) { "refresh" }
        val key = pivot.deriveRequestId("order-42")
        val item = PayoutItemInput(
            referenceId = "order-42",
            destination = PayoutDestination.Account("BRI", "888801000157508", "Reforza Pivot"),
            amount = moneyIdr("100000"),
        )
        val request = pivot.createPayoutRequest(token, now, key, listOf(item))
        eq(request.method, Method.POST, "method")
        eq(request.header("X-REQUEST-ID"), key, "idempotency header")
        check(request.body.toString(Charsets.UTF_8).contains("\"value\":\"100000\"")) { "amount in whole rupiah" }
        val typedJson = requestJson(request)
        val viaJson = parseJson(
            runOperation(
                "pivot.create_payout_request",
                toJson(
                    mapOf(
                        "config" to mapOf("base_url" to pivotSandboxUrl(), "merchant_id" to "kirim-merchant", "merchant_secret" to SENTINEL),
                        "access_token" to mapOf("value" to "abc.def", "expires_at" to JsonNumber.of(token.expiresAt())),
                        "now" to JsonNumber.of(now), "idempotency_key" to key,
                        "payouts" to listOf(
                            mapOf(
                                "reference_id" to "order-42",
                                "destination" to mapOf("type" to "account", "channel_code" to "BRI", "account_number" to "888801000157508", "account_name" to "Reforza Pivot"),
                                "amount" to mapOf("value" to "100000", "currency" to "IDR"),
                            ),
                        ),
                    ),
                ),
            ),
        )
        check(jsonEquals(typedJson, viaJson)) { "typed and JSON requests differ: ${toJson(typedJson)} vs ${toJson(viaJson)}" }
        for (failure in TransportFailure.entries) {
            // Pivot has no lookup by reference: resend the identical request with the same key.
            eq(pivot.parseCreatePayout(HttpOutcome.Transport(failure)).nextAction, NextAction.ResendSameRequest, "after $failure")
        }
        val lostKey = pivot.deriveRequestId("order-1")
        val late = pivot.parseCreatePayout(
            HttpOutcome.Transport(TransportFailure.TIMEOUT),
            CreateAttempt(lostKey, listOf("order-1"), 1000, 1000 + 86_400 - 600),
        ).nextAction
        check(late is NextAction.ManualReconciliation && late.reason == ReconciliationReason.KEY_WINDOW_OVER) { "after the window: $late" }
        late as NextAction.ManualReconciliation
        eq(late.idempotencyKey, lostKey, "the key travels")
        eq(late.referenceIds, listOf("order-1"), "the references travel")
        eq(late.firstSentAt, 1000L, "the first send travels")
        check("order-1" in late.message) { "the message names the reference" }
        throws(ErrorCode.VALIDATION_FAILED, "bad attempt key") {
            pivot.parseCreatePayout(HttpOutcome.Transport(TransportFailure.TIMEOUT), CreateAttempt("short", listOf("order-1"), 1000, 1000))
        }
        throws(ErrorCode.ACCESS_TOKEN_EXPIRED, "expired token") { pivot.balanceRequest(token, now + 900) }
    }

    test("callbacks: the caught exception gives the acknowledgement") {
        val pivot = Pivot(pivotConfig("cb-key"))
        val body = """{"event":"PAYOUT.SUCCESS","data":{"uuid":"d6a46a2c-1b26-40c5-9ca3-e063e69635a0","payouts":{"referenceId":"r1","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS"}}}""".toByteArray()
        val good = listOf(Header("X-API-Key", "cb-key"))
        val events = pivot.verifyCallback(good, body)
        eq(events.single().status, PayoutStatus.SUCCEEDED, "status")
        eq(events.single().authenticity, Authenticity.API_KEY, "authenticity")
        eq(events.single().amount, Money(10_000_000, Currency.IDR), "amount")
        eq(pivot.callbackAcknowledgement().status.toInt(), 200, "ack of a verified callback")
        val forged = throws(ErrorCode.CALLBACK_KEY_MISMATCH, "forged") { pivot.verifyCallback(listOf(Header("X-API-Key", "attacker")), body) }
        val ack = pivot.callbackAcknowledgement(forged)
        val handled = pivot.handleCallback(listOf(Header("X-API-Key", "attacker")), body)
        eq(handled.events, null, "no events")
        eq(handled.error, forged.info(), "same error")
        eq(ack, handled.acknowledgement, "same acknowledgement")
        check(ack.status.toInt() in 400..499) { "a forged callback gets a 4xx: ${ack.status}" }
        val unverified = pivot.parseCallbackUnverified(body).single()
        check(unverified.authenticity == Authenticity.UNVERIFIED && unverified.requiresQuery) { "unverified marking" }
        eq(unverified.confirmation, Confirmation.TENTATIVE, "an unverified event is tentative")
        eq(events.single().confirmation, Confirmation.CONFIRMED, "a verified event is confirmed")
        eq(payoutStatusObserve(PayoutStatus.PROCESSING, unverified.status, unverified.confirmation), PayoutStatus.PROCESSING, "never final by itself")
        // No key configured: our misconfiguration, answered 503 so Pivot retries (not a forgery's 401).
        val unconfigured = Pivot(pivotConfig())
        val notConfigured = throws(ErrorCode.VERIFICATION_NOT_CONFIGURED, "no key configured") { unconfigured.verifyCallback(good, body) }
        val retry = unconfigured.callbackAcknowledgement(notConfigured)
        check(retry.status.toInt() == 503 && retry.providerWillRetry) { "503, retried: ${retry.status}" }
        eq(unconfigured.handleCallback(good, body).acknowledgement, retry, "handled the same way")
    }

    test("gateway: parameters signed, then a notification verified over its bytes") {
        val gateway = Gateway(GatewayConfig(baseUrl = "https://payment.example", platformId = "PF0002", platformKey = Secret("ThisIsYourSecretKey123")))
        val params = FormParams()
        for ((k, v) in listOf("payout_id" to "POT1", "payout_cl_id" to "order1", "platform_id" to "PF0002")) params.pushText(k, v)
        for ((k, v) in listOf("amount" to 400000L, "status" to 3L, "update_time" to 1_567_614_111L)) params.pushInteger(k, v)
        val signature = gateway.signParams(params, SignType.HMAC_SHA256)
        eq(signature.canonical, params.canonical(), "canonical")
        val fields = params.entries().joinToString(",") { e -> "\"${e.key}\":" + if (e.kind == ValueKind.STRING) "\"${e.value}\"" else e.value }
        val body = "{$fields,\"sign_type\":\"HMAC-SHA256\",\"sign\":\"${signature.sign}\"}".toByteArray()
        val event = gateway.verifyNotification(body)
        eq(event.referenceId, "order1", "reference")
        eq(event.authenticity, Authenticity.SIGNATURE, "authenticity")
        eq(gateway.notificationAcknowledgement().status.toInt(), 200, "ack")
        val tampered = body.toString(Charsets.UTF_8).replace("400000", "400001").toByteArray()
        val e = throws(ErrorCode.SIGNATURE_MISMATCH, "tampered") { gateway.verifyNotification(tampered) }
        eq(gateway.handleNotification(tampered).acknowledgement, gateway.notificationAcknowledgement(e), "ack of the refusal")
        check(gatewayDefaultStatusMap().isNotEmpty()) { "default status map" }
    }

    test("Paper.id: no check configured is refused; a chosen check works") {
        val body = """{"payment_id":"p1","disbursement_id":"d1","amount":100000,"status":"DISBURSED","currency":"IDR"}""".toByteArray()
        throws(ErrorCode.VERIFICATION_NOT_CONFIGURED, "nothing configured") { PaperId(PaperIdConfig()).verifyCallback(emptyList(), body) }
        val paper = PaperId(PaperIdConfig(allowedSourceAddresses = listOf("203.0.113.0/24")))
        eq(paper.verifyCallback(emptyList(), body, "203.0.113.7").status, PayoutStatus.SUCCEEDED, "allowed source")
        throws(ErrorCode.SOURCE_NOT_ALLOWED, "other source") { paper.verifyCallback(emptyList(), body, "198.51.100.1") }
        throws(ErrorCode.INVALID_CONFIG, "a /0 block") { PaperId(PaperIdConfig(allowedSourceAddresses = listOf("0.0.0.0/0"))) }
    }

    // The driver routes a callback to its payout by reference (or payout id) alone, whichever
    // provider it came from; PayoutLifecycle.handleEvent takes any verified event.
    fun lifecycleOrder() = PayoutOrder("order1001", moneyIdr("150000"), Beneficiary("BCA", "1234567890", "Budi Santoso"), null, null, null, emptyList())
    fun verifiedPivotEvent(status: PayoutStatus): PayoutEvent {
        val pivot = Pivot(pivotConfig("cb-key"))
        val callback = pivot.testCallback(Secret("cb-key"), TestCallbackEvent(status, moneyIdr("150000"), "pivot-uuid-1", "order1001", null))
        return pivot.verifyCallback(callback.headers, callback.body).single()
    }

    test("a verified event of another provider does not change a payout that shares its reference") {
        val gateway = Gateway(GatewayConfig(baseUrl = "https://payment.example", platformId = "PF0002", platformKey = Secret("k"), authorization = Secret("a")))
        val machine = PayoutLifecycle(LifecycleProvider.Gateway(gateway), lifecycleOrder(), null, 1_000)
        val send = machine.poll(1_000)
        check(send is LifecycleAction.Send && send.purpose == Purpose.CREATE) { "the gateway create first: $send" }
        // Its create is out (no gateway payout id yet) when Pivot's verified SUCCESS for the same
        // reference arrives: Pivot's word is no evidence of what the gateway did.
        eq(machine.handleEvent(verifiedPivotEvent(PayoutStatus.SUCCEEDED), 1_001), EventVerdict.IGNORED, "Pivot's event on a gateway payout")
        eq(machine.state().status, PayoutStatus.UNKNOWN, "the gateway payout's status")
        machine.handleResponse(HttpOutcome.Transport(TransportFailure.TIMEOUT), 1_002)
        val next = machine.poll(1_002)
        check(next !is LifecycleAction.Done) { "a gateway payout taken as done from Pivot's event: $next" }
    }

    test("a verified event before any create was sent ends in reconciliation, and its snapshot restores") {
        val pivot = Pivot(pivotConfig("cb-key"))
        val provider = LifecycleProvider.Pivot(pivot)
        val machine = PayoutLifecycle(provider, lifecycleOrder(), null, 1_000)
        // Submitted, nothing sent: the provider already holds a payout under this reference.
        eq(machine.handleEvent(verifiedPivotEvent(PayoutStatus.SUCCEEDED), 1_001), EventVerdict.MISMATCH, "verdict")
        val snapshot = machine.snapshot()
        // Before the fix the machine took it as accepted without a first send, and wrote a
        // snapshot its own restore refused (invalid_field first_sent_at): the driver's run then
        // failed on that row, for every payout of the store.
        val restored = PayoutLifecycle.restore(provider, snapshot)
        for (m in listOf(machine, restored)) {
            val action = m.poll(1_002)
            check(action is LifecycleAction.ManualReconciliation && action.reconciliation.reason == ManualReason.MISMATCH) { "not reconciled: $action" }
            val message = (action as LifecycleAction.ManualReconciliation).reconciliation.message
            check("has not sent its create" in message) { message }
        }
    }

    test("configuration errors list every field") {
        val e = throws(ErrorCode.INVALID_CONFIG, "bad config") {
            Pivot(PivotConfig(baseUrl = "http://example.com", merchantId = "", merchantSecret = Secret(""), maxBodyBytes = 0u))
        }
        eq(e.info().violations.map { it.field }.toSet(), setOf("base_url", "merchant_id", "merchant_secret", "max_body_bytes"), "violations")
        eq(Pivot(pivotConfig()).config().balancePath, "/v1/payouts/balance", "core default filled in")
    }

    test("a credential sent as a header value cannot hold a control character (a secret read with its newline)") {
        // `File("secret").readText()` keeps the trailing newline. Accepted, it reached the
        // X-MERCHANT-SECRET (or Authorization) header, where java.net.http refused it with
        // IllegalArgumentException("invalid header value: \"<the secret>\""): untyped, and the
        // secret in the message and the logs. The core refuses it when the config (or a token
        // the host rebuilt) is given, naming the field and never the value.
        for (bad in listOf("$SENTINEL\n", "$SENTINEL\r\nX-Evil: 1", "\t$SENTINEL")) {
            val e = throws(ErrorCode.INVALID_CONFIG, "merchant secret ${bad.length}") { Pivot(pivotConfig().copy(merchantSecret = Secret(bad))) }
            eq(e.info().violations.map { it.field }, listOf("merchant_secret"), "the field named")
            check(SENTINEL !in e.toString() && SENTINEL !in e.info().toString()) { "the error shows the secret: ${e.info()}" }
            val keys = throws(ErrorCode.INVALID_CONFIG, "callback key ${bad.length}") { Pivot(pivotConfig(bad)) }
            eq(keys.info().violations.map { it.field }, listOf("callback_api_keys"), "the field named")
            val pivot = Pivot(pivotConfig())
            val token = AccessToken(Secret(bad), "Bearer", Long.MAX_VALUE)
            val refused = throws(ErrorCode.INVALID_FIELD, "token ${bad.length}") { pivot.balanceRequest(token, 0) }
            eq(refused.field(), "access_token", "the field named")
            check(SENTINEL !in refused.toString()) { "the error shows the token: $refused" }
            throws(ErrorCode.INVALID_FIELD, "token on retrieve") { pivot.retrieveRequest(token, 0, "payout-1") }
        }
        // Spaces inside a secret are a header value's own characters: still accepted.
        Pivot(pivotConfig().copy(merchantSecret = Secret("with inner space")))
    }

    test("configuration defaults are the core's, field for field") {
        // Kotlin's own defaults (the records' default arguments) against the core's
        // (PivotConfig::new, PaperIdConfig::default, GatewayConfig::new). Secrets compare by
        // identity, so both sides carry the same one.
        val key = Secret("k")
        eq(PivotConfig(baseUrl = "https://x", merchantId = "m", merchantSecret = key), pivotConfigDefaults("https://x", "m", key).copy(merchantSecret = key), "PivotConfig defaults")
        eq(PaperIdConfig(), paperIdConfigDefaults(), "PaperIdConfig defaults")
        // The gateway's unset options (null) are filled by the core; what the core then holds
        // must be its own defaults.
        eq(Gateway(GatewayConfig(baseUrl = "https://x", platformId = "P", platformKey = key)).config().copy(platformKey = key), gatewayConfigDefaults("https://x", "P", key).copy(platformKey = key), "GatewayConfig defaults")
        eq(Pivot(pivotConfig()).config().copy(merchantSecret = key, callbackApiKeys = emptyList()), pivotConfigDefaults(pivotSandboxUrl(), "kirim-merchant", key).copy(merchantSecret = key), "a config round trip keeps every field")
    }

    test("headers and requests render exactly as the core's http.redact_headers shows them") {
        val doc = parseJson(File(root, "http/redact_headers.json").readText()) as Map<*, *>
        var compared = 0
        for (vector in doc["vectors"] as List<*>) {
            if ((vector as Map<*, *>)["expected"] == null) continue // a refused input: run with the shared vectors
            val input = vector["input"] as Map<*, *>
            val headers = (input["headers"] as List<*>).map { h -> (h as Map<*, *>).let { Header(it["name"] as String, it["value"] as String) } }
            val shown = ((parseJson(runOperation("http.redact_headers", toJson(input))) as Map<*, *>)["headers"] as List<*>)
                .map { h -> (h as Map<*, *>).let { "${it["name"]}: ${it["value"]}" } }
            eq(headers.map { it.toString() }, shown, "Header.toString of ${vector["name"]}")
            val request = HttpRequest(Method.POST, "https://example.invalid/x", headers, ByteArray(0))
            eq(request.toString(), "HttpRequest { method: Post, url: \"https://example.invalid/x\", headers: [${shown.joinToString(", ")}], body_len: 0 }", "HttpRequest.toString of ${vector["name"]}")
            eq(HttpResponse(200u, headers, ByteArray(0)).toString(), "HttpResponse { status: 200, headers: [${shown.joinToString(", ")}], body_len: 0 }", "HttpResponse.toString of ${vector["name"]}")
            compared += headers.size
        }
        check(compared >= 8) { "only $compared headers compared" }
    }
}

/** Hostile inputs: each call must return or throw a KirimException; nothing else. */
private fun hostileTests(root: File) {
    val random = Random(20240513)
    var calls = 0
    val bad = mutableListOf<String>()

    fun attempt(what: String, block: () -> Unit) {
        calls++
        try {
            block()
        } catch (e: KirimException) {
            if (errorCodeString(e.code()).isEmpty() || e.errorMessage().isEmpty()) bad.add("$what: a KirimException without code or message")
        } catch (e: Throwable) {
            bad.add("$what: ${e::class.qualifiedName}: ${e.message}")
        }
    }

    test("hostile JSON to runOperation") {
        val inputs = listOf(
            "", " ", "null", "[]", "{", "}", "{\"a\":}", "\u0000", "{\"value\":\"1\",\"currency\":\"IDR\"}x",
            "[".repeat(100_000), "{\"a\":".repeat(50_000), "{\"value\":" + "9".repeat(10_000) + "}",
            "{\"value\":\"" + "9".repeat(100_000) + "\",\"currency\":\"IDR\"}", "{\"value\":1e400,\"currency\":\"IDR\"}",
            "\"\\ud800\"", "{\"value\":\"\\u0000\",\"currency\":\"IDR\"}", String(ByteArray(256) { it.toByte() }, Charsets.ISO_8859_1),
        )
        val operations = listOf("money.parse", "status.merge", "pivot.verify_callback", "gateway.sign", "paperid.handle_callback", "", ".", "x.y", "pivot.", "\u0000.\u0000")
        for (op in operations) for (input in inputs) attempt("runOperation($op, ${input.take(20)})") { runOperation(op, input) }
    }

    test("every operation with each argument replaced by hostile values") {
        val files = mutableListOf<File>()
        vectorFiles(root, files)
        val hostileValues: List<Any> = listOf(
            JsonNull, true, JsonNumber("-1"), JsonNumber("1e308"), JsonNumber("18446744073709551616"), JsonNumber("-9223372036854775808"),
            "", "x".repeat(300_000), "\u0000\u202e", listOf(listOf(listOf<Any>())), mapOf("hex" to "zz"), mapOf("base64" to "@@"),
            mapOf("hex" to "ff00", "base64" to "AA=="), mapOf("response" to mapOf("status" to JsonNumber("70000"))),
            mapOf("transport_failure" to "meteor"), mapOf("value" to "1", "currency" to "idr", "extra" to JsonNumber("1")),
        )
        for (path in files) {
            val file = readVectorFile(path)
            val vector = file.vectors.firstOrNull() ?: continue
            val input = mergedInput(file, vector)
            for (key in input.keys.toList() + "unexpected") {
                for (value in hostileValues) {
                    val changed = LinkedHashMap(input)
                    changed[key] = value
                    attempt("${file.operation} with $key=${toJson(value).take(30)}") { runOperation(file.operation, toJson(changed)) }
                }
            }
        }
    }

    test("mutated provider bodies to every typed parser") {
        val bodies = mutableListOf<ByteArray>()
        val files = mutableListOf<File>()
        vectorFiles(root, files)
        for (path in files) for (vector in readVectorFile(path).vectors) {
            val input = vector["input"] as? Map<*, *> ?: continue
            (input["body"] as? String)?.let { bodies.add(it.toByteArray()) }
            ((input["outcome"] as? Map<*, *>)?.get("response") as? Map<*, *>)?.get("body")?.let { if (it is String) bodies.add(it.toByteArray()) }
        }
        check(bodies.size > 20) { "too few bodies: ${bodies.size}" }
        val pivot = Pivot(pivotConfig("cb-key"))
        val gateway = Gateway(GatewayConfig(baseUrl = "https://payment.example", platformId = "PF0002", platformKey = Secret("k"), authorization = Secret("a")))
        val paper = PaperId(PaperIdConfig(callbackTokenHeader = "X-Callback-Token", callbackTokens = listOf(Secret("t")), allowedSourceAddresses = listOf("10.0.0.0/8")))
        val headers = listOf(Header("X-API-Key", "cb-key"), Header("X-Callback-Token", "t"))
        fun mutate(original: ByteArray): ByteArray {
            val b = original.copyOf()
            return when (random.nextInt(5)) {
                0 -> b.copyOf(random.nextInt(b.size + 1))
                1 -> b.also { if (it.isNotEmpty()) it[random.nextInt(it.size)] = random.nextInt(256).toByte() }
                2 -> b + byteArrayOf(0xC3.toByte(), 0x28)
                3 -> b + b
                else -> ByteArray(random.nextInt(64)) { random.nextInt(256).toByte() }
            }
        }
        repeat(6) {
            for (original in bodies) {
                val body = mutate(original)
                val status = listOf(200, 201, 400, 401, 404, 409, 429, 500, 503).random(random)
                val outcome = HttpOutcome.Response(HttpResponse(status.toUShort(), emptyList(), body))
                attempt("pivot parsers") {
                    pivot.parseCreatePayout(outcome)
                    runCatching { pivot.parseAccessToken(outcome, random.nextLong()) }.exceptionOrNull()?.let { if (it !is KirimException) throw it }
                    runCatching { pivot.parseBalance(outcome) }.exceptionOrNull()?.let { if (it !is KirimException) throw it }
                    runCatching { pivot.parseInquiry(outcome) }.exceptionOrNull()?.let { if (it !is KirimException) throw it }
                    runCatching { pivot.parseRetrieve(outcome) }.exceptionOrNull()?.let { if (it !is KirimException) throw it }
                    pivot.handleCallback(headers, body)
                    pivot.parseCallbackUnverified(body)
                }
                attempt("gateway parsers") {
                    gateway.parseCreateWithdraw(outcome)
                    gateway.handleNotification(body)
                    runCatching { gateway.parseQuery(outcome) }.exceptionOrNull()?.let { if (it !is KirimException) throw it }
                    runCatching { gateway.parseBalance(outcome) }.exceptionOrNull()?.let { if (it !is KirimException) throw it }
                    runCatching { FormParams.fromJson(body) }.exceptionOrNull()?.let { if (it !is KirimException) throw it }
                    gateway.parseNotificationUnverified(body)
                }
                attempt("paperid parsers") {
                    paper.handleCallback(headers, body, "10.1.2.3")
                    paper.parseCallbackUnverified(body)
                }
            }
        }
    }

    test("extreme values to the typed API") {
        val pivot = Pivot(pivotConfig())
        val rules = IdempotencyRules.pivot()
        for (now in listOf(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE)) {
            for (expires in listOf(Long.MIN_VALUE, 0L, Long.MAX_VALUE)) {
                val token = AccessToken(Secret("t"), "", expires)
                attempt("token $now $expires") { pivot.needsRefresh(token, now); token.needsRefresh(now, Long.MIN_VALUE); token.needsRefresh(now, Long.MAX_VALUE) }
                attempt("balance $now $expires") { pivot.balanceRequest(token, now) }
                attempt("retrieve $now") { pivot.retrieveRequest(token, now, "x".repeat(10_000), "\u0000") }
                attempt("create $now") { pivot.createPayoutRequest(token, now, "k", emptyList()) }
            }
            attempt("reuse $now") { rules.keyReuse(now, Long.MIN_VALUE); rules.keyReuse(now, Long.MAX_VALUE) }
            attempt("access token $now") { pivot.parseAccessToken(response(200, """{"code":"00","data":{"accessToken":"a","expiresIn":"9223372036854775807"}}"""), now) }
        }
        for (minor in listOf(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE)) {
            attempt("money $minor") { moneyToDecimalString(Money(minor, Currency.IDR)); moneyWholeMajorUnits(Money(minor, Currency.IDR)) }
            attempt("idr $minor") { moneyIdr(minor.toString()) }
        }
        val token = AccessToken(Secret("t"), "Bearer", Long.MAX_VALUE)
        val huge = PayoutItemInput("r".repeat(1000), PayoutDestination.Inquiry(""), Money(Long.MAX_VALUE, Currency.IDR), "\u0000".repeat(50))
        attempt("create with 5000 bad items") { pivot.createPayoutRequest(token, 0, "x".repeat(100), List(5000) { huge }) }
        attempt("derive extremes") { rules.derive("r".repeat(1_000_000), UInt.MAX_VALUE) }
        attempt("huge header") { pivot.verifyCallback(listOf(Header("X-API-Key", "k".repeat(1_000_000))), "{}".toByteArray()) }
        val big = throws(ErrorCode.BODY_TOO_LARGE, "2 MiB body") { pivot.parseCallbackUnverified(ByteArray(2 shl 20) { '{'.code.toByte() }) }
        check(big.errorMessage().contains("max_body_bytes")) { "the fix is named: ${big.errorMessage()}" }
        attempt("limitless config") { Pivot(pivotConfig().copy(maxBodyBytes = ULong.MAX_VALUE)).parseCallbackUnverified(ByteArray(10) { 0 }) }
        attempt("nested JSON") { FormParams.fromJson(("[".repeat(100_000)).toByteArray()) }
        attempt("gateway config extremes") {
            Gateway(GatewayConfig(baseUrl = "https://x", platformId = "P", platformKey = Secret("k"), statusMap = mapOf(Long.MIN_VALUE to PayoutStatus.FAILED), notificationSignTypes = emptyList(), rejectBody = "0000"))
        }
    }

    test("hostile inputs end in KirimException, never InternalException") {
        check(calls > 1000) { "only $calls hostile calls were made" }
        check(bad.isEmpty()) { "${bad.size} of $calls calls escaped the typed exception:\n" + bad.take(20).joinToString("\n") }
        println("hostile inputs: $calls calls, ${bad.size} outside KirimException")
    }
}

fun main(args: Array<String>) {
    args.indexOf("--driver-child").takeIf { it >= 0 }?.let { at ->
        kotlin.system.exitProcess(driverChild(args[at + 1], args[at + 2], args[at + 3], args[at + 4]))
    }
    args.indexOf("--driver").takeIf { it >= 0 }?.let { at ->
        kotlin.system.exitProcess(if (driverTests(args[at + 1]) == 0) 0 else 1)
    }
    val root = File(args.firstOrNull { !it.startsWith("--") } ?: "tests/vectors")
    val vectors = runSharedVectors(root)
    if ("--vectors-only" in args) {
        kotlin.system.exitProcess(if (vectors.failures.isEmpty()) 0 else 1)
    }
    System.getenv("KIRIM_EXPECTED_VECTOR_COUNT")?.takeIf { it.isNotBlank() }?.let { expected ->
        if (vectors.total != expected.trim().toInt()) {
            println("vector count ${vectors.total} differs from the Rust runner's $expected")
            failed.add("vector count")
        } else {
            println("vector count ${vectors.total} equals the Rust runner's")
        }
    }
    val typed = runTypedVectors(root)
    val lifecycle = runLifecycleVectors(root)
    apiTests(root)
    hostileTests(root)
    for ((name, body) in testkitTests(root.absoluteFile.parentFile.parentFile)) test(name, body)
    println("kotlin tests: $passed passed, ${failed.size} failed")
    if (vectors.failures.isNotEmpty() || typed.failures.isNotEmpty() || lifecycle.failures.isNotEmpty() || failed.isNotEmpty()) {
        kotlin.system.exitProcess(1)
    }
}

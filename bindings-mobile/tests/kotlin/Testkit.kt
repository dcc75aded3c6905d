// The test-callback builders through the Kotlin binding: each generated callback verifies with
// the binding's own verify/handle call and reads back to its event; a tampered one is refused;
// hostile arguments throw the core's typed errors. Also the guide's example (GuideWebhook.kt),
// and that docs/testing/kotlin.md shows that file.

import java.io.File
import kirim.*
import kirim.core.*

private fun expect(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

private fun codeOf(block: () -> Unit): Pair<ErrorCode, String?> {
    try {
        block()
    } catch (e: KirimException) {
        return e.code() to e.field()
    }
    throw AssertionError("nothing was thrown")
}

private fun changedByte(body: ByteArray, from: String, to: String): ByteArray {
    val text = body.toString(Charsets.UTF_8)
    expect(from in text) { "$from not in the body" }
    return text.replaceFirst(from, to).toByteArray(Charsets.UTF_8)
}

/** (name, test) pairs; `repo` is the repository root. */
fun testkitTests(repo: File): List<Pair<String, () -> Unit>> = listOf(
    "testkit: a generated Pivot callback verifies and reads back" to {
        val key = "cb-key-current"
        val pivot = Pivot(PivotConfig(pivotSandboxUrl(), "merchant-1", Secret("s"), callbackApiKeys = listOf(Secret(key))))
        val event = TestCallbackEvent(PayoutStatus.FAILED, moneyIdr("250000"), "uuid-1", "INV-2", "Invalid Account")
        val request = pivot.testCallback(Secret(key), event, "https://merchant.example/cb")
        expect(request.method == Method.POST && request.url == "https://merchant.example/cb") { "$request" }
        expect(key !in request.toString()) { "the key shows in $request" }
        val read = pivot.verifyCallback(request.headers, request.body).single()
        expect(read.status == PayoutStatus.FAILED && read.amount == moneyIdr("250000")) { "$read" }
        expect(read.payoutId == "uuid-1" && read.referenceId == "INV-2") { "$read" }
        expect(read.failure?.providerText == "Invalid Account") { "${read.failure}" }
        val forged = pivot.handleCallback(listOf(Header("X-API-Key", key.uppercase())), request.body)
        expect(forged.acknowledgement.status.toInt() == 401 && forged.error?.code == ErrorCode.CALLBACK_KEY_MISMATCH) { "$forged" }
        val payouts = listOf(
            TestCallbackEvent(PayoutStatus.SUCCEEDED, moneyIdr("100000"), "uuid-9", "A"),
            TestCallbackEvent(PayoutStatus.PENDING, moneyIdr("5000"), "uuid-9", "B"),
        )
        val bulk = pivot.testBulkCallback(Secret(key), payouts)
        val totals = pivot.verifyCallback(bulk.headers, bulk.body).single()
        expect(totals.rawEvent == "PAYOUT.PENDING" && totals.totals?.successCount == 1uL) { "$totals" }
    },
    "testkit: generated gateway notifications verify under every signing style" to {
        for (signType in SignType.entries) for (keyJoin in KeyJoin.entries) for (hexCase in HexCase.entries) {
            val gateway = Gateway(GatewayConfig("https://gw.example", "PF0002", Secret("platform-key"), keyJoin = keyJoin, hexCase = hexCase))
            val event = TestCallbackEvent(PayoutStatus.SUCCEEDED, moneyIdr("4000.50"), "POT1", "ORD-1")
            val request = gateway.testNotification(Secret("platform-key"), event, signType)
            val read = gateway.verifyNotification(request.body)
            expect(read.status == PayoutStatus.SUCCEEDED && read.amount == moneyIdr("4000.50")) { "$signType $keyJoin $hexCase: $read" }
            val refused = gateway.handleNotification(changedByte(request.body, "400050", "400051"))
            expect(refused.error?.code == ErrorCode.SIGNATURE_MISMATCH && refused.acknowledgement.status.toInt() == 401) { "$refused" }
        }
    },
    "testkit: a generated Paper.id callback verifies with its token" to {
        val paper = PaperId(PaperIdConfig(callbackTokenHeader = "X-Callback-Token", callbackTokens = listOf(Secret("tok"))))
        val event = TestCallbackEvent(PayoutStatus.FAILED, moneyIdr("100000"), "DISB-1", failureReason = "TRANSFER_ERROR")
        val request = paper.testCallback(Secret("tok"), event)
        expect(request.url == "http://localhost/callback") { request.url }
        val read = paper.verifyCallback(request.headers, request.body)
        expect(read.failure?.providerCode == "TRANSFER_ERROR") { "$read" }
        val code = codeOf { paper.verifyCallback(listOf(Header("X-Callback-Token", "tok2")), request.body) }
        expect(code.first == ErrorCode.CALLBACK_KEY_MISMATCH) { "$code" }
    },
    "testkit: hostile arguments throw typed errors" to {
        val pivot = Pivot(PivotConfig(pivotSandboxUrl(), "merchant-1", Secret("s"), callbackApiKeys = listOf(Secret("k"))))
        val base = TestCallbackEvent(PayoutStatus.SUCCEEDED, moneyIdr("1"), "u", "r")
        expect(codeOf { pivot.testCallback(Secret("k"), base.copy(status = PayoutStatus.REVERSED)) } == (ErrorCode.INVALID_FIELD to "status")) { "reversed" }
        expect(codeOf { pivot.testCallback(Secret("k"), base.copy(amount = moneyIdr("1.50"))) }.first == ErrorCode.FRACTIONAL_AMOUNT) { "sen" }
        expect(codeOf { pivot.testCallback(Secret("k\r\nX: y"), base) } == (ErrorCode.INVALID_FIELD to "api_key")) { "header" }
        expect(codeOf { pivot.testCallback(Secret("k"), base.copy(referenceId = "a\u0000b")) } == (ErrorCode.INVALID_FIELD to "reference_id")) { "control" }
        expect(codeOf { pivot.testCallback(Secret("k"), base, "ftp://x") } == (ErrorCode.INVALID_FIELD to "url")) { "url" }
    },
    "guide: a succeeded payout is recorded" to { PivotWebhookTests.aSucceededPayoutIsRecorded() },
    "guide: a callback with a tampered key is refused" to { PivotWebhookTests.aCallbackWithATamperedKeyIsRefused() },
    "guide: docs/testing/kotlin.md shows GuideWebhook.kt" to {
        val guide = File(repo, "docs/testing/kotlin.md").readText()
        val blocks = Regex("```kotlin\n([\\s\\S]*?)```").findAll(guide).map { it.groupValues[1] }.toList()
        val file = File(repo, "bindings-mobile/tests/kotlin/GuideWebhook.kt").readText()
        expect(file in blocks) { "GuideWebhook.kt is not a code block of docs/testing/kotlin.md" }
    },
)

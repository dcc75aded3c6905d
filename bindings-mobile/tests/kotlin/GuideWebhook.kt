import kirim.*
import kirim.core.*

/** Your endpoint's logic for Pivot's payout callbacks, whatever web framework calls it. */
class PivotWebhook(val pivot: Pivot) {
    /** Your database: each payout's status by your reference. */
    val payoutStatus = mutableMapOf<String, PayoutStatus>()

    /** The request's headers and RAW body bytes in; the response to send back out. */
    fun handle(headers: List<Header>, body: ByteArray): Acknowledgement {
        val handled = pivot.handleCallback(headers, body)
        handled.events?.forEach { event -> event.referenceId?.let { payoutStatus[it] = event.status } }
        return handled.acknowledgement
    }
}

object PivotWebhookTests {
    private const val KEY = "test-callback-key"

    private fun webhook() = PivotWebhook(Pivot(PivotConfig(
        baseUrl = pivotSandboxUrl(), merchantId = "merchant-1", merchantSecret = Secret("test-secret"),
        callbackApiKeys = listOf(Secret(KEY)),
    )))

    fun aSucceededPayoutIsRecorded() {
        val webhook = webhook()
        val event = TestCallbackEvent(PayoutStatus.SUCCEEDED, moneyIdr("150000"), "uuid-1", "INV-1001")
        val callback = webhook.pivot.testCallback(Secret(KEY), event) // exactly what Pivot would send
        val ack = webhook.handle(callback.headers, callback.body)
        check(ack.status.toInt() == 200) { "expected 200, got ${ack.status}" }
        check(webhook.payoutStatus["INV-1001"] == PayoutStatus.SUCCEEDED) { "not recorded" }
    }

    fun aCallbackWithATamperedKeyIsRefused() {
        val webhook = webhook()
        val event = TestCallbackEvent(
            PayoutStatus.FAILED, moneyIdr("150000"), "uuid-2", "INV-1002", failureReason = "Invalid Account",
        )
        val callback = webhook.pivot.testCallback(Secret(KEY), event)
        val forged = callback.headers.map { if (it.name == "X-API-Key") Header(it.name, KEY.dropLast(1) + "X") else it }
        val ack = webhook.handle(forged, callback.body)
        check(ack.status.toInt() == 401) { "expected 401, got ${ack.status}" }
        check("INV-1002" !in webhook.payoutStatus) { "a refused callback was recorded" }
    }
}

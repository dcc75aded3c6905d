import os

os.environ.update(PIVOT_MERCHANT_ID="merchant-1", PIVOT_SECRET="test-secret",
                  PIVOT_CALLBACK_KEY="test-callback-key")

import kirim  # noqa: E402
from webhook_app import app, payout_status, pivot  # noqa: E402

KEY = os.environ["PIVOT_CALLBACK_KEY"]


def test_a_succeeded_payout_is_recorded() -> None:
    event = kirim.TestCallbackEvent(kirim.PayoutStatus.SUCCEEDED, "150000", "uuid-1", "INV-1001")
    callback = pivot.test_callback(KEY, event)  # exactly what Pivot would send
    response = app.test_client().post(
        "/callbacks/pivot", data=callback.body, headers=callback.headers_dict)
    assert response.status_code == 200
    assert payout_status["INV-1001"] is kirim.PayoutStatus.SUCCEEDED


def test_a_callback_with_a_tampered_key_is_refused() -> None:
    event = kirim.TestCallbackEvent(kirim.PayoutStatus.FAILED, "150000", "uuid-2", "INV-1002",
                                    "Invalid Account")
    callback = pivot.test_callback(KEY, event)
    forged = {**callback.headers_dict, "X-API-Key": KEY[:-1] + "X"}
    response = app.test_client().post("/callbacks/pivot", data=callback.body, headers=forged)
    assert response.status_code == 401
    assert "INV-1002" not in payout_status

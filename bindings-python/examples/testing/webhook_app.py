import os
from typing import Dict

from flask import Flask, Response, request

import kirim

app = Flask(__name__)
pivot = kirim.Pivot(kirim.PivotConfig(
    kirim.pivot.SANDBOX_URL, os.environ["PIVOT_MERCHANT_ID"], os.environ["PIVOT_SECRET"],
    callback_api_keys=[os.environ["PIVOT_CALLBACK_KEY"]],
))
# Your database: each payout's status by your reference.
payout_status: Dict[str, kirim.PayoutStatus] = {}


@app.post("/callbacks/pivot")
def pivot_callback() -> Response:
    handled = pivot.handle_callback(request.headers, request.get_data())
    for event in handled.events or ():
        if event.reference_id is not None:
            payout_status[event.reference_id] = event.status
    ack = handled.acknowledgement
    return Response(ack.body, status=ack.status, headers=ack.headers_dict)

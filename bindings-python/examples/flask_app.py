import os

from flask import Flask, Response, request

import kirim

app = Flask(__name__)
pivot = kirim.Pivot(kirim.PivotConfig(
    os.environ["PIVOT_URL"], os.environ["PIVOT_MERCHANT_ID"], os.environ["PIVOT_SECRET"],
    callback_api_keys=[os.environ["PIVOT_CALLBACK_KEY"]],
))


@app.post("/callbacks/pivot")
def pivot_callback() -> Response:
    # The RAW body bytes: request.get_data(), never request.json or request.form.
    handled = pivot.handle_callback(request.headers, request.get_data())
    for event in handled.events or ():
        print(event.reference_id, event.status, event.amount)
    ack = handled.acknowledgement
    return Response(ack.body, status=ack.status, headers=ack.headers_dict)

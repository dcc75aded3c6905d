import os

from fastapi import FastAPI, Request, Response

import kirim

app = FastAPI()
pivot = kirim.Pivot(kirim.PivotConfig(
    os.environ["PIVOT_URL"], os.environ["PIVOT_MERCHANT_ID"], os.environ["PIVOT_SECRET"],
    callback_api_keys=[os.environ["PIVOT_CALLBACK_KEY"]],  # several during a key rotation
))


@app.post("/callbacks/pivot")
async def pivot_callback(request: Request) -> Response:
    # The RAW body bytes: never `await request.json()` (a str or dict is a TypeError).
    handled = pivot.handle_callback(request.headers, await request.body())
    for event in handled.events or ():
        print(event.reference_id, event.status, event.amount)  # check amount and reference against your order
    ack = handled.acknowledgement  # 200, or 401 for a forged callback, or 503 so Pivot retries
    return Response(ack.body, status_code=ack.status, headers=ack.headers_dict)

import os

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import kirim

pivot = kirim.Pivot(kirim.PivotConfig(
    os.environ["PIVOT_URL"], os.environ["PIVOT_MERCHANT_ID"], os.environ["PIVOT_SECRET"],
    callback_api_keys=[os.environ["PIVOT_CALLBACK_KEY"]],
))


@csrf_exempt  # the provider cannot send a CSRF token; kirim checks authenticity instead
@require_POST
def pivot_callback(request: HttpRequest) -> HttpResponse:
    # The RAW body bytes: request.body, never json.loads(...) or request.POST.
    handled = pivot.handle_callback(request.headers, request.body)
    for event in handled.events or ():
        print(event.reference_id, event.status, event.amount)
    ack = handled.acknowledgement
    response = HttpResponse(ack.body, status=ack.status)
    for header in ack.headers:
        response[header.name] = header.value
    return response

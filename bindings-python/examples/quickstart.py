import http.client, os, socket, time, urllib.error, urllib.request
from kirim import HttpOutcome, HttpRequest, HttpResponse, Pivot, PivotConfig, TransportFailure
from kirim.pivot import AccountDestination, PayoutItemInput

def send(req: HttpRequest) -> HttpOutcome:  # any HTTP client will do: kirim does no I/O
    try:
        try:
            r = urllib.request.urlopen(urllib.request.Request(req.url, req.body or None, req.headers_dict, method=req.method), timeout=10)
        except urllib.error.HTTPError as answer:  # 401, 409, 5xx: answers too, and the core reads them
            r = answer
        with r:
            return HttpResponse(r.status, r.headers.items(), r.read())
    except (OSError, http.client.HTTPException) as error:  # no (whole) answer: the payout may exist
        timed_out = isinstance(error, socket.timeout) or isinstance(getattr(error, "reason", None), socket.timeout)
        return TransportFailure.TIMEOUT if timed_out else TransportFailure.CONNECTION_ERROR

pivot = Pivot(PivotConfig(os.environ["PIVOT_URL"], os.environ["PIVOT_MERCHANT_ID"], os.environ["PIVOT_SECRET"]))
token = pivot.parse_access_token(send(pivot.access_token_request()), now=int(time.time()))
item = PayoutItemInput("order-1001", AccountDestination("BCA", "1234567890", "Budi Santoso"), "150000", "Komisi Mei")  # rupiah
request = pivot.create_payout_request(token, int(time.time()), pivot.derive_request_id("order-1001"), [item])
outcome = pivot.parse_create_payout(send(request))  # never raises for an answer, nor for a lost one
print(outcome.next_action)  # accepted: wait for the callback; unknown outcome: never a new key, never a new payout

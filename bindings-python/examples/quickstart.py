import os, time, urllib.request
from kirim import HttpRequest, HttpResponse, Pivot, PivotConfig

def send(req: HttpRequest) -> HttpResponse:  # any HTTP client will do: kirim does no I/O
    with urllib.request.urlopen(urllib.request.Request(req.url, req.body or None, req.headers_dict, method=req.method)) as r:
        return HttpResponse(r.status, r.headers.items(), r.read())

pivot = Pivot(PivotConfig(os.environ["PIVOT_URL"], os.environ["PIVOT_MERCHANT_ID"], os.environ["PIVOT_SECRET"]))
token = pivot.parse_access_token(send(pivot.access_token_request()), now=int(time.time()))
print(pivot.parse_balance(send(pivot.balance_request(token, now=int(time.time())))))

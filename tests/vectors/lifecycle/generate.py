"""Writes tests/vectors/lifecycle/{pivot,gateway,other}.json, the scenario vectors of the payout
lifecycle: `python3 tests/vectors/lifecycle/generate.py`. The provider answers are built here;
every expectation is written by hand below and checks only what its scenario is about (never a
captured output). The runners read only the .json files."""
import hashlib, json, os, sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
T0 = 1_715_588_505
UUID = "0b1c2d3e-0000-4000-8000-00000000abcd"
REF = "order-42"

def resp(status, body, headers=None):
    r = {"status": status, "body": body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))}
    if headers: r["headers"] = headers
    return {"response": r}

def tf(kind="timeout"):
    return {"transport_failure": kind}

# ---- pivot bodies ----
def token(n=1, expires_in="900"):
    return resp(200, {"code": "00", "message": "Success", "data": {"accessToken": f"eyJ.tok.{n}", "expiresIn": expires_in, "tokenType": "Bearer"}})

def pivot_item(status="PENDING", ref=REF, value="100000", obj=False):
    return {"referenceId": ref, "amount": {"currency": "IDR", "value": value}, "channelCode": "BCA",
            "channelInformation": {"accountName": "Reforza Pivot", "accountNumber": "999966660001"},
            "status": status, "reason": "" if status != "FAILED" else "Inactive Account"}

def created(status="PENDING", batch="IN PROGRESS", ref=REF, value="100000", uuid=UUID):
    return resp(200, {"code": "00", "message": "Success", "data": {"uuid": uuid, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
                      "status": batch, "payouts": [pivot_item(status, ref, value)]}})

def retrieved(status="SUCCESS", ref=REF, value="100000", uuid=UUID):
    return resp(200, {"code": "00", "message": "Success", "data": {"uuid": uuid, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
                      "payouts": pivot_item(status, ref, value)}})

def pivot_cb(event="SUCCESS", status="SUCCESS", ref=REF, value="100000", key="cb-key-current", uuid=UUID):
    body = {"event": f"PAYOUT.{event}", "data": {"uuid": uuid, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
            "payouts": {"referenceId": ref, "amount": {"currency": "IDR", "value": value}, "status": status, "reason": None}}}
    headers = [{"name": "X-API-Key", "value": key}] if key else []
    return {"headers": headers, "body": json.dumps(body, separators=(",", ":"))}

def pivot_bulk_cb(uuid=UUID):
    body = {"event": "PAYOUT.DONE", "data": {"uuid": uuid, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
            "payoutResults": {"totalPendingCount": 0, "totalPendingAmount": 0, "totalSuccessCount": 1, "totalSuccessAmount": 100000,
                              "totalFailedCount": 0, "totalFailedAmount": 0, "totalCancelledCount": 0, "totalCancelledAmount": 0}, "status": "DONE"}}
    return {"headers": [{"name": "X-API-Key", "value": "cb-key-current"}], "body": json.dumps(body, separators=(",", ":"))}

def pivot_error(status, code, message="error"):
    return resp(status, {"code": code, "message": message, "error": {"type": "API_ERROR", "traceId": "trace-1"}})

HTML = "<html><head><title>503 Service Unavailable</title></head><body>nginx</body></html>"

# ---- gateway bodies ----
GKEY = "ThisIsYourSecretKey123"
GREF = "ORD42"
GID = "POT00000001"

def g_created(pid=GID):
    return resp(200, {"error_code": "0000", "data": {"payout_id": pid}})

def g_order(status, pid=GID, ref=GREF, amount=5000000):
    return {"payout_id": pid, "payout_cl_id": ref, "platform_id": "PF0002", "amount": amount, "real_amount": amount, "fee": 0,
            "currency": "idr", "bank_name": "BCA", "name": "test name", "number": "4088748280272397", "status": status,
            "create_time": T0, "update_time": T0 + 60, **({"error_msg": "Invalid Account"} if status in (4, 5) else {})}

def g_query(*orders):
    return resp(200, {"error_code": "0000", "data": {"total": len(orders), "payouts": list(orders)}})

def g_notify(status, pid=GID, ref=GREF, amount=5000000, forge=False):
    fields = {"payout_id": pid, "payout_cl_id": ref, "platform_id": "PF0002", "amount": amount, "real_amount": amount,
              "fee": 3200, "status": status, "create_time": T0, "update_time": T0 + 90}
    canonical = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if fields[k] not in (None, ""))
    sign = hashlib.md5((canonical + "&" + GKEY).encode()).hexdigest()
    if forge:
        sign = hashlib.md5((canonical + "&" + "not-the-key").encode()).hexdigest()
    fields["sign"] = sign
    return {"body": json.dumps(fields, separators=(",", ":"))}


PIVOT_KEY = hashlib.sha256(b"kirim-idempotency-v1\0pivot\0" + REF.encode() + b"\0" + b"0\0").hexdigest()[:32]
PIVOT_BODY = json.dumps({"payouts": [{"referenceId": REF, "channelCode": "BCA", "channelInformation": {"accountNumber": "999966660001", "accountName": "Reforza Pivot"}, "amount": {"value": "100000", "currency": "IDR"}, "description": "Payout 42"}]}, separators=(",", ":"))

def pivot_create_send(key, body, n, state):
    """A Pivot create, exactly: the same body and X-REQUEST-ID on every (re)send; only the token differs."""
    e = {"action": {"kind": "send", "purpose": "create", "request": {"method": "POST", "url": "https://api-stg.pivot-payment.com/v1/payouts",
         "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": "Accept", "value": "application/json"},
                     {"name": "Authorization", "value": f"Bearer eyJ.tok.{n}"}, {"name": "X-REQUEST-ID", "value": key}],
         "body": body}}}
    if state: e["state"] = state
    return e

def pivot_create(n=1, **state):
    """The single payout's create."""
    return pivot_create_send(PIVOT_KEY, PIVOT_BODY, n, state)

# ---- expectation helpers ----
def send(purpose, **state):
    e = {"action": {"kind": "send", "purpose": purpose}}
    if state: e["state"] = state
    return e

def wait(at, reason, **state):
    e = {"action": {"kind": "wait_until", "at": at, "reason": reason}}
    if state: e["state"] = state
    return e

def done(status, **extra):
    e = {"action": {"kind": "done", "status": status, **extra}}
    return e

def query_sent(url, **request):
    """The machine's query, as sent: GET `url` (`request`: its further fields, e.g. an empty body)."""
    return {"action": {"kind": "send", "purpose": "query", "request": {"method": "GET", "url": url, **request}}}

def manual(reason, **extra):
    return {"action": {"kind": "manual_reconciliation", "reason": reason, **extra}}

def vec(name, description, steps, expected, **input_extra):
    assert len(steps) == len(expected), name
    return {"name": name, "description": description, "input": {"steps": steps, **input_extra}, "expected": {"steps": expected}}

P = lambda t: {"poll": t}
R = lambda outcome, t: {"response": outcome, "now": t}
C = lambda cb, t: {"callback": cb, "now": t}
RESTORE = lambda t: {"restore": True, "now": t}

# The common opening: token, then the create goes out.
def pivot_open(t=T0):
    return ([P(t), R(token(), t + 1)],
            [send("session", phase="not_sent", session=False, creates_sent=0),
             pivot_create(1, phase="not_sent", session=True, creates_sent=1, first_sent_at=t + 1)])

pivot = []
s, e = pivot_open()
pivot.append(vec("happy path: token, create, verified success callback",
    "The token first, then the create; accepted is never success: the machine waits for the callback until Pivot's first retry (+5 min), and the verified SUCCESS callback ends it.",
    s + [R(created(), T0 + 2), C(pivot_cb(), T0 + 30)],
    e + [wait(T0 + 2 + 300, "callback_deadline", phase="accepted", status="processing", payout_id=UUID),
         {**done("succeeded", payout_id=UUID, failure=None, error=None), "verdicts": ["applied"], "acknowledgement": {"status": 200}}]))

s, e = pivot_open()
pivot.append(vec("no callback by the deadline: the machine queries by uuid and reference",
    "No final status by +5 min means a retrieve of the item (GET /v1/payouts/{uuid}?referenceId=); its SUCCESS ends the payout.",
    s + [R(created(), T0 + 2), P(T0 + 302), R(retrieved("SUCCESS"), T0 + 303)],
    e + [wait(T0 + 302, "callback_deadline"),
         query_sent(f"https://api-stg.pivot-payment.com/v1/payouts/{UUID}?referenceId={REF}"),
         done("succeeded", payout_id=UUID)]))

s, e = pivot_open()
pivot.append(vec("a query that finds no final status reschedules on the callback retry schedule",
    "Still processing at +5 min: next query at +15 min after that (the schedule's second entry); a FAILED answer then ends it with the failure.",
    s + [R(created(), T0 + 2), P(T0 + 302), R(retrieved("PENDING"), T0 + 303), P(T0 + 303 + 900), R(token(2), T0 + 1203), R(retrieved("FAILED"), T0 + 1204)],
    e + [wait(T0 + 302, "callback_deadline"), send("query"),
         wait(T0 + 303 + 900, "callback_deadline", status="processing"), send("session"), send("query"),
         done("failed", failure={"reason": "inactive_account", "retry": {"kind": "do_not_retry"}})]))

pivot.append(vec("timeout on the token request: retried after a backoff",
    "A token request that times out changed nothing: retried after 30 s, then the payout goes on.",
    [P(T0), R(tf(), T0 + 10), P(T0 + 40), R(token(), T0 + 41)],
    [send("session"), wait(T0 + 40, "retry", session=False), send("session"), send("create", creates_sent=1)]))

pivot.append(vec("HTML 5xx on the token request: retried after a backoff",
    "An HTML error page from a proxy on the token endpoint: no token, retry later.",
    [P(T0), R(resp(503, HTML, [{"name": "Content-Type", "value": "text/html"}]), T0 + 1), P(T0 + 31), R(token(), T0 + 32)],
    [send("session"), wait(T0 + 31, "retry", session=False), send("session"), send("create")]))

s, e = pivot_open()
pivot.append(vec("timeout on the create: the identical request is resent with the same key",
    "Pivot cannot be queried by the merchant's reference: an unknown create is resolved by resending the identical request (same X-REQUEST-ID), which Pivot answers by replaying the first answer.",
    s + [R(tf(), T0 + 60), P(T0 + 90), R(created(), T0 + 91)],
    e + [wait(T0 + 90, "retry", phase="unknown", creates_sent=1),
         pivot_create(1, phase="unknown", creates_sent=2, first_sent_at=T0 + 1),
         wait(T0 + 91 + 300, "callback_deadline", phase="accepted", creates_sent=2, first_sent_at=T0 + 1)]))

s, e = pivot_open()
pivot.append(vec("HTML 502 on the create: the outcome is unknown, resend the identical request",
    "A 5xx with an HTML body may come after the payout was made: never a failure, never a new key.",
    s + [R(resp(502, HTML), T0 + 2), P(T0 + 32), R(created(), T0 + 33)],
    e + [wait(T0 + 32, "retry", phase="unknown"), send("create", creates_sent=2), wait(T0 + 333, "callback_deadline", phase="accepted")]))

s, e = pivot_open()
pivot.append(vec("empty 200 body on the create: unknown, resend",
    "A 200 with an empty body says nothing: resend the identical request.",
    s + [R(resp(200, ""), T0 + 2), P(T0 + 32)],
    e + [wait(T0 + 32, "retry", phase="unknown"), send("create", creates_sent=2)]))

s, e = pivot_open()
pivot.append(vec("401 on the create: a new token, then the same create",
    "The token was refused mid-flow: the machine asks for a new token and resends the create with the same key.",
    s + [R(pivot_error(401, "credentials_invalid", "invalid token"), T0 + 2), R(token(2), T0 + 3), R(created(), T0 + 4)],
    e + [send("session", session=False, phase="not_sent"), pivot_create(2, creates_sent=2, session=True), wait(T0 + 304, "callback_deadline", phase="accepted")]))

s, e = pivot_open()
pivot.append(vec("401 on a query: a new token, then the same query",
    "",
    s + [R(created(), T0 + 2), P(T0 + 302), R(pivot_error(401, "credentials_invalid"), T0 + 303), R(token(2), T0 + 304), R(retrieved("SUCCESS"), T0 + 305)],
    e + [wait(T0 + 302, "callback_deadline"), send("query"), send("session", session=False), send("query"), done("succeeded")]))

s, e = pivot_open()
pivot.append(vec("timeout on a query: retried after a backoff",
    "",
    s + [R(created(), T0 + 2), P(T0 + 302), R(tf(), T0 + 310), P(T0 + 340), R(retrieved("SUCCESS"), T0 + 341)],
    e + [wait(T0 + 302, "callback_deadline"), send("query"), wait(T0 + 340, "retry", phase="accepted"), send("query"), done("succeeded")]))

s, e = pivot_open()
pivot.append(vec("the host never hands back the create's answer: after the request timeout it counts as a timeout",
    "A send unanswered past request_timeout_seconds (120) is a timeout: the create is resent identically, never under a new key.",
    s + [P(T0 + 60), P(T0 + 121), P(T0 + 151)],
    e + [wait(T0 + 121, "response"), wait(T0 + 151, "retry", phase="unknown"), send("create", creates_sent=2)]))

s, e = pivot_open()
pivot.append(vec("429 on the create: the same request after Pivot's delay",
    "Throttled: nothing was done; resend the identical request after 60 s.",
    s + [R(resp(429, {"code": "too_many_requests", "message": "slow down"}), T0 + 2), P(T0 + 62)],
    e + [wait(T0 + 62, "retry", phase="not_sent"), send("create", creates_sent=2)]))

s, e = pivot_open()
pivot.append(vec("400 on the create: refused, nothing was created",
    "A validation refusal replays on the same key: the machine ends failed with the provider's error (a corrected payout needs a new reference).",
    s + [R(pivot_error(400, "field_format_invalid", "bad field"), T0 + 2)],
    e + [done("failed", error={"code": "request_rejected", "provider_code": "field_format_invalid"}, failure={"reason": "provider_error", "retry": {"kind": "do_not_retry"}})]))

s, e = pivot_open()
pivot.append(vec("409 on the create: manual reconciliation (idempotency conflict)",
    "The key was already used with another request: resending loops, a new key can pay twice.",
    s + [R(pivot_error(409, "resource_already_exists", "X-REQUEST-ID is already exists"), T0 + 2), P(T0 + 100)],
    e + [manual("idempotency_conflict", reference_ids=[REF], first_sent_at=T0 + 1),
         manual("idempotency_conflict")]))

s, e = pivot_open()
pivot.append(vec("422 on the create: manual reconciliation (invalid state), with Pivot's own words",
    "The person is told to resolve the state Pivot names: the reconciliation carries Pivot's answer (code, message, HTTP status, trace id to quote to its support).",
    s + [R(pivot_error(422, "unprocessable_entity", "Beneficiary bank under maintenance"), T0 + 2)],
    e + [manual("invalid_state", reference_ids=[REF], first_sent_at=T0 + 1,
                error={"code": "invalid_state", "provider_code": "unprocessable_entity",
                       "provider_message": "Beneficiary bank under maintenance", "http_status": 422, "provider_trace_id": "trace-1"})]))

s, e = pivot_open()
pivot.append(vec("401 again right after a new token: the second refusal in a row waits",
    "A token Pivot issues but its payout endpoint refuses: the first 401 gets a new token at once, the second one (right after that token) waits before trying again, instead of looping token, create, 401 without a pause.",
    s + [R(pivot_error(401, "credentials_invalid", "invalid token"), T0 + 2), R(token(2), T0 + 3),
         R(pivot_error(401, "credentials_invalid", "invalid token"), T0 + 4)],
    e + [send("session", session=False), pivot_create(2, creates_sent=2), wait(T0 + 4 + 60, "retry", session=False)]))

pivot.append(vec("a token living no longer than the refresh margin is used, not asked for again forever",
    "Pivot's token lives 30 s and the refresh margin is 60 s, so the token is due for refresh the moment it arrives. A token the machine has just obtained is used once anyway: otherwise the machine would ask for a token after every token and never send the create. Once used, it is refreshed as usual before the next request.",
    [P(T0), R(token(1, "30"), T0 + 1), R(created(), T0 + 2), P(T0 + 302), R(token(2, "30"), T0 + 303)],
    [send("session", phase="not_sent", session=False, creates_sent=0),
     pivot_create(1, phase="not_sent", session=True, creates_sent=1, first_sent_at=T0 + 1),
     wait(T0 + 2 + 300, "callback_deadline", phase="accepted", status="processing", payout_id=UUID),
     send("session"), send("query")]))

s, e = pivot_open()
pivot.append(vec("a refused resend after an unknown outcome: manual reconciliation, never failed",
    "The create timed out, so a payout may exist; the identical resend is then refused by something in front of Pivot (an HTML 403 from a proxy). The refusal does not prove the first send was not made, and `failed` would invite a create under a new key: a person reconciles, with Pivot's answer.",
    s + [R(tf(), T0 + 60), P(T0 + 90), R(resp(403, "<html><body>Forbidden</body></html>"), T0 + 91), P(T0 + 200)],
    e + [wait(T0 + 90, "retry", phase="unknown"), pivot_create(1, creates_sent=2),
         manual("unresolvable", reference_ids=[REF], first_sent_at=T0 + 1, idempotency_key=PIVOT_KEY, request_body=PIVOT_BODY,
                error={"code": "forbidden", "http_status": 403,
                       "message": "the provider refused the resend (forbidden); this does not prove the first send was not made: see the reconciliation's message"}),
         manual("unresolvable")]))

s, e = pivot_open()
pivot.append(vec("a verified callback proves the payout while the resend is out: the resend's refusal changes nothing",
    "The create timed out and the identical resend went out; meanwhile a verified callback says the payout is processing. Pivot's refusal of the resend (403) then cannot make it failed: the machine keeps waiting for the outcome.",
    s + [R(tf(), T0 + 60), P(T0 + 90), C(pivot_cb("PROCESSING", "PROCESSING"), T0 + 91),
         R(pivot_error(403, "forbidden_access", "blocked"), T0 + 92)],
    e + [wait(T0 + 90, "retry", phase="unknown"), pivot_create(1, creates_sent=2),
         {**wait(T0 + 90 + 120, "response", phase="accepted", status="processing", payout_id=UUID), "verdicts": ["applied"]},
         wait(T0 + 91 + 300, "callback_deadline", phase="accepted", status="processing", payout_id=UUID)]))

s, e = pivot_open()
W = T0 + 1 + 86_400 - 600  # the key window less the default margin
pivot.append(vec("key window nearly over: the last resend inside it, then manual reconciliation",
    "The create's answers are lost for a day. A resend one second before the window (24 h less the 600 s margin) ends still goes out; once it has passed, a resend could be a NEW payout and Pivot has no lookup by reference: a person reconciles, with the key, the reference, the first send and the request body.",
    s + [R(tf(), T0 + 60), P(W - 1), R(token(2), W - 1), R(tf(), W - 1), P(W + 59)],
    e + [wait(T0 + 90, "retry", phase="unknown"), send("session"), pivot_create(2, creates_sent=2, first_sent_at=T0 + 1),
         wait(W + 59, "retry"),
         manual("key_window_over", reference_ids=[REF], first_sent_at=T0 + 1, idempotency_key=PIVOT_KEY, request_body=PIVOT_BODY)]))

s, e = pivot_open()
pivot.append(vec("restore after the create was sent: the identical create again, never a new key",
    "The host stored the snapshot before sending the create, then crashed. The restored machine has no token (a secret is never in the snapshot) and treats the create as possibly made: a new token, then the identical request with the same X-REQUEST-ID.",
    s + [RESTORE(T0 + 300), R(token(2), T0 + 301), R(created(), T0 + 302)],
    e + [{**send("session", phase="unknown", session=False, creates_sent=1, first_sent_at=T0 + 1), "snapshot_version": 1},
         pivot_create(2, creates_sent=2, first_sent_at=T0 + 1),
         wait(T0 + 602, "callback_deadline", phase="accepted")]))

s, e = pivot_open()
pivot.append(vec("restore after acceptance: waits for the same deadline, then a new token and the query",
    "",
    s + [R(created(), T0 + 2), RESTORE(T0 + 100), P(T0 + 302), R(token(2), T0 + 302), R(retrieved("SUCCESS"), T0 + 303)],
    e + [wait(T0 + 302, "callback_deadline"), wait(T0 + 302, "callback_deadline", phase="accepted", session=False, payout_id=UUID),
         send("session"), send("query"), done("succeeded", payout_id=UUID)]))

s, e = pivot_open()
pivot.append(vec("duplicate callbacks: the first decides, the second is ignored",
    "",
    s + [R(created(), T0 + 2), C(pivot_cb(), T0 + 30), C(pivot_cb(), T0 + 330)],
    e + [wait(T0 + 302, "callback_deadline"), {**done("succeeded"), "verdicts": ["applied"]}, {**done("succeeded"), "verdicts": ["ignored"], "acknowledgement": {"status": 200}}]))

s, e = pivot_open()
pivot.append(vec("out-of-order callbacks: a late PROCESSING never moves a payout back",
    "DELAYED, then SUCCESS, then a stale PROCESSING: the payout is succeeded.",
    s + [R(created(), T0 + 2), C(pivot_cb("DELAYED", "DELAYED"), T0 + 20), C(pivot_cb(), T0 + 30), C(pivot_cb("PROCESSING", "PROCESSING"), T0 + 40)],
    e + [wait(T0 + 302, "callback_deadline"), {**wait(T0 + 302, "callback_deadline", status="delayed"), "verdicts": ["applied"]},
         {**done("succeeded"), "verdicts": ["applied"]}, {**done("succeeded"), "verdicts": ["ignored"]}]))

s, e = pivot_open()
pivot.append(vec("a verified callback while the create's answer is lost: it proves the payout, no resend",
    "The create timed out; before the resend, Pivot's verified callback names our reference and its uuid: the payout exists and succeeded.",
    s + [R(tf(), T0 + 60), C(pivot_cb(), T0 + 70)],
    e + [wait(T0 + 90, "retry", phase="unknown"), {**done("succeeded", payout_id=UUID), "state": {"phase": "accepted", "creates_sent": 1}, "verdicts": ["applied"]}]))

s, e = pivot_open()
pivot.append(vec("forged callback (wrong X-API-Key): refused, 401, nothing changes",
    "",
    s + [R(created(), T0 + 2), C(pivot_cb(key="forged-key"), T0 + 30)],
    e + [wait(T0 + 302, "callback_deadline"),
         {**wait(T0 + 302, "callback_deadline", status="processing"), "error": {"code": "callback_key_mismatch"}, "acknowledgement": {"status": 401, "provider_will_retry": False}}]))

s, e = pivot_open()
pivot.append(vec("verified callback with another amount: manual reconciliation, never succeeded",
    "A verified SUCCESS for 1,000,000 on a 100,000 order is not accepted silently.",
    s + [R(created(), T0 + 2), C(pivot_cb(value="1000000"), T0 + 30)],
    e + [wait(T0 + 302, "callback_deadline"),
         {**manual("mismatch", payout_id=UUID, reference_ids=[REF]), "state": {"status": "processing"}, "verdicts": ["mismatch"]}]))

s, e = pivot_open()
pivot.append(vec("verified callback with our uuid but another reference: manual reconciliation",
    "",
    s + [R(created(), T0 + 2), C(pivot_cb(ref="order-43"), T0 + 30)],
    e + [wait(T0 + 302, "callback_deadline"), {**manual("mismatch"), "verdicts": ["mismatch"]}]))

s, e = pivot_open()
pivot.append(vec("a callback about another payout is ignored",
    "",
    s + [R(created(), T0 + 2), C(pivot_cb(ref="order-99", uuid="11111111-0000-4000-8000-000000000000"), T0 + 30)],
    e + [wait(T0 + 302, "callback_deadline"), {**wait(T0 + 302, "callback_deadline"), "verdicts": ["ignored"]}]))

U = lambda cb, t: {"unverified_callback": {"body": cb["body"]}, "now": t}

s, e = pivot_open()
pivot.append(vec("unverified SUCCESS callback: tentative, a query decides (here: still processing)",
    "A callback read without its X-API-Key check can be forged: it never makes the payout final. The machine queries at once; the answer (PENDING) is Pivot's word and the tentative success is dropped.",
    s + [R(created(), T0 + 2), U(pivot_cb(key=None), T0 + 30), R(retrieved("PENDING"), T0 + 31)],
    e + [wait(T0 + 302, "callback_deadline"),
         {**send("query", status="processing", expected="succeeded"), "verdicts": ["applied"]},
         wait(T0 + 31 + 900, "callback_deadline", status="processing", expected=None)]))

s, e = pivot_open()
pivot.append(vec("unverified SUCCESS callback confirmed by the query: done",
    "",
    s + [R(created(), T0 + 2), U(pivot_cb(key=None), T0 + 30), R(retrieved("SUCCESS"), T0 + 31)],
    e + [wait(T0 + 302, "callback_deadline"), {**send("query", expected="succeeded"), "verdicts": ["applied"]}, done("succeeded")]))

s, e = pivot_open()
pivot.append(vec("unverified callback with another amount: ignored, a query decides, never manual",
    "Anyone can send an unverified callback: one that disagrees with the order must not stop the payout (no manual reconciliation on forged input); the machine asks Pivot.",
    s + [R(created(), T0 + 2), U(pivot_cb(value="1000000", key=None), T0 + 30), R(retrieved("SUCCESS"), T0 + 31)],
    e + [wait(T0 + 302, "callback_deadline"), {**send("query", status="processing"), "verdicts": ["ignored"]}, done("succeeded")]))

s, e = pivot_open()
pivot.append(vec("a create answer with another amount: manual reconciliation",
    "The replayed or first answer lists our reference with another amount: never accepted silently.",
    s + [R(created(value="200000"), T0 + 2)],
    e + [manual("mismatch")]))

s, e = pivot_open()
pivot.append(vec("bulk DONE callback (totals only): the item is read by a query at once",
    "",
    s + [R(created(), T0 + 2), C(pivot_bulk_cb(), T0 + 30), R(retrieved("SUCCESS"), T0 + 31)],
    e + [wait(T0 + 302, "callback_deadline"), {**send("query"), "verdicts": ["applied"]}, done("succeeded")]))

s, e = pivot_open()
pivot.append(vec("the create answer already says FAILED: done at once",
    "",
    s + [R(created("FAILED", "DONE"), T0 + 2)],
    e + [done("failed", failure={"reason": "inactive_account"})]))

pivot.append(vec("the token is refreshed by its margin before a send",
    "The token lives 900 s and is refreshed 60 s before it expires: a query at +900 s needs a new one first.",
    [P(T0), R(token(), T0), R(created(), T0 + 1), P(T0 + 301), R(retrieved("PENDING"), T0 + 302), P(T0 + 1202), R(token(2), T0 + 1202)],
    [send("session"), send("create"), wait(T0 + 301, "callback_deadline"), send("query"), wait(T0 + 1202, "callback_deadline"), send("session"), send("query")]))

s, e = pivot_open()
pivot.append(vec("deadlines are settings: a one-minute query schedule and a 30 s request timeout",
    "The defaults come from the spec (Pivot's callback retries); a host may set its own.",
    s + [R(created(), T0 + 2), P(T0 + 62), P(T0 + 93)],
    e + [wait(T0 + 62, "callback_deadline"), send("query"), {"action": {"kind": "wait_until", "reason": "retry", "at": T0 + 93 + 30}}],
    settings={"query_schedule_seconds": [60], "request_timeout_seconds": 30}))

# ---- pivot bulk: one create for a batch of items, each with its own status ----
BREF = "batch-7"
BATCH_KEY = hashlib.sha256(b"kirim-idempotency-v1\0pivot\0" + BREF.encode() + b"\0" + b"0\0").hexdigest()[:32]
BATCH_ITEMS = [("item-a", "100000", "BCA", "999966660001", "Reforza Pivot", "ItemA"),
               ("item-b", "50000", "BRI", "888801000157508", "Dina Pivot", "ItemB")]
BATCH_ORDER = {"reference": BREF, "amount": "150000",
               "items": [{"reference": r, "amount": v, "beneficiary": {"bank": b, "account_number": n, "account_name": a}, "description": d}
                         for r, v, b, n, a, d in BATCH_ITEMS]}
BATCH_BODY = json.dumps({"payouts": [{"referenceId": r, "channelCode": b, "channelInformation": {"accountNumber": n, "accountName": a},
                                      "amount": {"value": v, "currency": "IDR"}, "description": d} for r, v, b, n, a, d in BATCH_ITEMS]}, separators=(",", ":"))
# The batch as a stored snapshot holds it (the documented form), and its items before any answer.
BATCH_SNAPSHOT_ORDER = {**BATCH_ORDER, "amount": {"value": "150000.00", "currency": "IDR"}, "inquiry_id": None, "notify_url": None}
UNKNOWN_ITEMS = [{"reference": r, "status": "unknown", "expected": None, "failure": None} for r in ("item-a", "item-b")]

def batch_payouts(*statuses):
    return [pivot_item(st, r, v) for st, (r, v, *_rest) in zip(statuses, BATCH_ITEMS)]

def batch_created(*statuses):
    return resp(200, {"code": "00", "message": "Success", "data": {"uuid": UUID, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
                      "status": "IN PROGRESS", "payouts": batch_payouts(*statuses)}})

def batch_retrieved(*statuses):
    return resp(200, {"code": "00", "message": "Success", "data": {"uuid": UUID, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
                      "status": "DONE", "payouts": batch_payouts(*statuses), "pagination": {"page": 1, "limit": 1000, "total": 2}}})

def batch_cb(ref, status, value, reason=None):
    body = {"event": f"PAYOUT.{status}", "data": {"uuid": UUID, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
            "payouts": {"referenceId": ref, "amount": {"currency": "IDR", "value": value}, "status": status, "reason": reason}}}
    return {"headers": [{"name": "X-API-Key", "value": "cb-key-current"}], "body": json.dumps(body, separators=(",", ":"))}

def batch_create(n=1, **state):
    """The batch's one create: every item in one body, one X-REQUEST-ID derived from the batch's reference."""
    return pivot_create_send(BATCH_KEY, BATCH_BODY, n, state)

def items_state(a, b, ea=None, eb=None):
    return [{"reference": "item-a", "status": a, "expected": ea}, {"reference": "item-b", "status": b, "expected": eb}]

def batch_open(t=T0):
    return ([P(t), R(token(), t + 1)],
            [send("session", phase="not_sent", session=False, creates_sent=0, items=items_state("unknown", "unknown")),
             batch_create(1, phase="not_sent", session=True, creates_sent=1, first_sent_at=t + 1)])

s, e = batch_open()
pivot.append(vec("bulk: an item a verified callback reported succeeded stays succeeded when the resend is refused",
    "The batch's create timed out and its identical resend went out; a verified callback says item-a succeeded. A refusal of the resend then cannot rewrite the paid item as failed (nor end the batch failed): the machine keeps waiting for item-b.",
    s + [R(tf(), T0 + 60), P(T0 + 90), C(batch_cb("item-a", "SUCCESS", "100000"), T0 + 91),
         R(pivot_error(403, "forbidden_access", "blocked"), T0 + 92)],
    e + [wait(T0 + 90, "retry", phase="unknown"), batch_create(1, creates_sent=2),
         {**wait(T0 + 90 + 120, "response", phase="accepted", items=items_state("succeeded", "unknown")), "verdicts": ["applied"]},
         wait(T0 + 91 + 300, "callback_deadline", phase="accepted", items=items_state("succeeded", "unknown"))],
    order=BATCH_ORDER))

FAILED_B = {"reason": "inactive_account", "provider_text": "Inactive Account"}
MIXED_DONE = done("succeeded", payout_id=UUID, error=None,
                  items=[{"reference": "item-a", "status": "succeeded", "failure": None},
                         {"reference": "item-b", "status": "failed", "failure": FAILED_B}])

s, e = batch_open()
pivot.append(vec("bulk: a batch of two items, one create, mixed outcomes (one success, one failure): done with both statuses",
    "One request carries every item under one X-REQUEST-ID derived from the batch's reference; each item keeps its own status from its own verified callback. The batch is done only when every item is final, and `done` lists each item's status and failure (the batch status is succeeded because money moved: read the items).",
    s + [R(batch_created("PENDING", "PENDING"), T0 + 2), C(batch_cb("item-a", "SUCCESS", "100000"), T0 + 30),
         C(batch_cb("item-b", "FAILED", "50000", "Inactive Account"), T0 + 40)],
    e + [wait(T0 + 2 + 300, "callback_deadline", phase="accepted", status="unknown", payout_id=UUID, items=items_state("processing", "processing")),
         {**wait(T0 + 2 + 300, "callback_deadline", items=items_state("succeeded", "processing")), "verdicts": ["applied"]},
         {**MIXED_DONE, "state": {"status": "succeeded", "items": items_state("succeeded", "failed")}, "verdicts": ["applied"]}],
    order=BATCH_ORDER))

s, e = batch_open()
pivot.append(vec("bulk: the PAYOUT.DONE callback (totals only) triggers a retrieve of the whole request by uuid",
    "The bulk callback carries totals, no item: the machine reads every item by retrieving the whole request (GET /v1/payouts/{uuid}, no referenceId), and ends with each item's status.",
    s + [R(batch_created("PENDING", "PENDING"), T0 + 2), C(pivot_bulk_cb(), T0 + 30), R(batch_retrieved("SUCCESS", "FAILED"), T0 + 31)],
    e + [wait(T0 + 302, "callback_deadline"),
         {**query_sent(f"https://api-stg.pivot-payment.com/v1/payouts/{UUID}", body=""),
          "state": {"items": items_state("processing", "processing")}, "verdicts": ["applied"]},
         {**MIXED_DONE, "state": {"items": items_state("succeeded", "failed")}}],
    order=BATCH_ORDER))

s, e = batch_open()
pivot.append(vec("bulk: the create's answer is lost: the identical batch request is resent with the same key",
    "As for a single payout: Pivot has no lookup by reference, so an unknown create is resolved by resending the identical body (every item) under the same X-REQUEST-ID; never a new key, never item by item.",
    s + [R(tf(), T0 + 60), P(T0 + 90), R(batch_created("PENDING", "SUCCESS"), T0 + 91)],
    e + [wait(T0 + 90, "retry", phase="unknown", creates_sent=1),
         batch_create(1, phase="unknown", creates_sent=2, first_sent_at=T0 + 1),
         wait(T0 + 91 + 300, "callback_deadline", phase="accepted", creates_sent=2, items=items_state("processing", "succeeded"))],
    order=BATCH_ORDER))

s, e = batch_open()
pivot.append(vec("bulk: restored from a snapshot taken after the create was sent: a new token, then the identical batch create",
    "The snapshot carries the batch's items; the restored machine takes the create as possibly made (lost at its timeout, then the first retry delay) and resends the identical request (same X-REQUEST-ID, every item), then tracks each item.",
    s + [RESTORE(T0 + 5), P(T0 + 151), R(token(2), T0 + 152), R(batch_created("PENDING", "PENDING"), T0 + 153), C(batch_cb("item-b", "SUCCESS", "50000"), T0 + 160)],
    e + [{**wait(T0 + 1 + 120 + 30, "retry", phase="unknown", session=False, creates_sent=1, first_sent_at=T0 + 1, items=items_state("unknown", "unknown")), "snapshot_version": 1},
         send("session", phase="unknown"),
         batch_create(2, phase="unknown", creates_sent=2, first_sent_at=T0 + 1),
         wait(T0 + 153 + 300, "callback_deadline", phase="accepted", items=items_state("processing", "processing")),
         {**wait(T0 + 153 + 300, "callback_deadline", items=items_state("processing", "succeeded")), "verdicts": ["applied"]}],
    order=BATCH_ORDER))

s, e = batch_open()
pivot.append(vec("bulk: a verified item callback with another amount: manual reconciliation",
    "A verified callback for one item whose amount disagrees with that item's order is never accepted silently, exactly as for a single payout; the person gets every reference of the batch.",
    s + [R(batch_created("PENDING", "PENDING"), T0 + 2), C(batch_cb("item-b", "SUCCESS", "100000"), T0 + 30)],
    e + [wait(T0 + 302, "callback_deadline"),
         {**manual("mismatch", idempotency_key=BATCH_KEY, reference_ids=["item-a", "item-b"], payout_id=UUID, first_sent_at=T0 + 1, request_body=BATCH_BODY),
          "verdicts": ["mismatch"], "state": {"items": items_state("processing", "processing")}}],
    order=BATCH_ORDER))

s, e = batch_open()
pivot.append(vec("bulk: a verified callback of this request names an item the batch never ordered: manual reconciliation",
    "The uuid is the batch's but the reference is not one of its items: a payout kirim did not order may exist under this request.",
    s + [R(batch_created("PENDING", "PENDING"), T0 + 2), C(batch_cb("item-z", "SUCCESS", "100000"), T0 + 30)],
    e + [wait(T0 + 302, "callback_deadline"), {**manual("mismatch"), "verdicts": ["mismatch"]}],
    order=BATCH_ORDER))

s, e = batch_open()
pivot.append(vec("bulk: a query that finds one item final and one still pending keeps waiting for the other",
    "No final status for the batch until every item is final; the pending item is looked at on the schedule.",
    s + [R(batch_created("PENDING", "PENDING"), T0 + 2), P(T0 + 302), R(batch_retrieved("FAILED", "PENDING"), T0 + 303)],
    e + [wait(T0 + 302, "callback_deadline"), send("query"),
         wait(T0 + 303 + 900, "callback_deadline", status="unknown", items=items_state("failed", "processing"))],
    order=BATCH_ORDER))

s, e = batch_open()
pivot.append(vec("bulk: a refused batch create (400): done failed, and every item failed with it",
    "The batch is one request: Pivot refusing it created none of its items, so each item ends failed with the provider's refusal (never left unknown).",
    s + [R(pivot_error(400, "field_format_invalid", "bad field"), T0 + 2)],
    e + [done("failed", error={"code": "request_rejected", "provider_code": "field_format_invalid"},
              items=[{"reference": r, "status": "failed", "failure": {"reason": "provider_error", "retry": {"kind": "do_not_retry"}, "provider_code": "field_format_invalid"}}
                     for r in ("item-a", "item-b")])],
    order=BATCH_ORDER))

# ---- pivot bulk, paginated: the whole-request retrieve lists one page of items (§1.3, §1.9) ----
BATCH3_ITEMS = BATCH_ITEMS + [("item-c", "25000", "BCA", "999966660002", "Citra Pivot", "ItemC")]
BATCH3_ORDER = {"reference": BREF, "amount": "175000",
                "items": [{"reference": r, "amount": v, "beneficiary": {"bank": b, "account_number": n, "account_name": a}, "description": d}
                          for r, v, b, n, a, d in BATCH3_ITEMS]}
BATCH3_BODY = json.dumps({"payouts": [{"referenceId": r, "channelCode": b, "channelInformation": {"accountNumber": n, "accountName": a},
                                       "amount": {"value": v, "currency": "IDR"}, "description": d} for r, v, b, n, a, d in BATCH3_ITEMS]}, separators=(",", ":"))

def batch3_created(*statuses):
    return resp(200, {"code": "00", "message": "Success", "data": {"uuid": UUID, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
                      "status": "IN PROGRESS", "payouts": [pivot_item(st, r, v) for st, (r, v, *_rest) in zip(statuses, BATCH3_ITEMS)]}})

def batch3_page1(a, b):
    """The whole-request retrieve's first page: two of the three items (perPage 2, totalPages 2); kirim sends no page parameter."""
    return resp(200, {"code": "00", "message": "Success", "data": {"uuid": UUID, "merchantId": "922e39ab-7565-49f6-b84f-fb56122821ae",
                      "status": "IN PROGRESS", "payouts": [pivot_item(a, "item-a", "100000"), pivot_item(b, "item-b", "50000")],
                      "pagination": {"page": 1, "perPage": 2, "totalItems": 3, "totalPages": 2}}})

def items3(a, b, c):
    return [{"reference": "item-a", "status": a, "expected": None}, {"reference": "item-b", "status": b, "expected": None},
            {"reference": "item-c", "status": c, "expected": None}]

WHOLE_QUERY = query_sent(f"https://api-stg.pivot-payment.com/v1/payouts/{UUID}", body="")
ITEM_C_QUERY = query_sent(f"https://api-stg.pivot-payment.com/v1/payouts/{UUID}?referenceId=item-c", body="")
DONE3 = done("succeeded", payout_id=UUID, error=None,
             items=[{"reference": "item-a", "status": "succeeded", "failure": None},
                    {"reference": "item-b", "status": "failed", "failure": FAILED_B},
                    {"reference": "item-c", "status": "succeeded", "failure": None}])

def batch3_open(t=T0):
    return ([P(t), R(token(), t + 1), R(batch3_created("PENDING", "PENDING", "PENDING"), t + 2)],
            [send("session", phase="not_sent", session=False, creates_sent=0, items=items3("unknown", "unknown", "unknown")),
             send("create", phase="not_sent", session=True, creates_sent=1, first_sent_at=t + 1),
             wait(t + 302, "callback_deadline", phase="accepted", items=items3("processing", "processing", "processing"))])

s, e = batch3_open()
pivot.append(vec("bulk: the whole-request retrieve lists one page of items: the unlisted item is retrieved by its reference, then done with all three",
    "GET /v1/payouts/{uuid} answers one page of items with `pagination` (§1.3, §1.9) and kirim sends no page parameter (none is documented). The item it left unlisted and not final is retrieved at once with the single-item retrieve (?referenceId=), never by creating anything; the batch is done with every item's status (before, it queried the whole request forever and never ended).",
    s + [P(T0 + 302), R(batch3_page1("SUCCESS", "FAILED"), T0 + 303), R(retrieved("SUCCESS", "item-c", "25000"), T0 + 304)],
    e + [WHOLE_QUERY,
         {**ITEM_C_QUERY, "state": {"status": "unknown", "items": items3("succeeded", "failed", "processing")}},
         {**DONE3, "state": {"status": "succeeded", "items": items3("succeeded", "failed", "succeeded")}}],
    order=BATCH3_ORDER))

s, e = batch3_open()
pivot.append(vec("bulk: restored while an unlisted item's retrieve was out: the same item by reference again, then done",
    "The snapshot (format version 1) carries each item's status and, inside an item round, the items a page left out (`unlisted`): the restored machine takes the item's retrieve as lost, gets a new token and retrieves the same item by reference again, exactly as the original would after a lost answer.",
    s + [P(T0 + 302), R(batch3_page1("SUCCESS", "FAILED"), T0 + 303), RESTORE(T0 + 305), P(T0 + 303 + 120 + 30), R(token(2), T0 + 454),
         R(retrieved("SUCCESS", "item-c", "25000"), T0 + 456)],
    e + [WHOLE_QUERY, ITEM_C_QUERY,
         {**wait(T0 + 303 + 120 + 30, "retry", phase="accepted", session=False, items=items3("succeeded", "failed", "processing")), "snapshot_version": 1},
         send("session"),
         ITEM_C_QUERY,
         {**DONE3, "state": {"items": items3("succeeded", "failed", "succeeded")}}],
    order=BATCH3_ORDER))

# ---- gateway ----
gateway = []
def g_open(t=T0):
    return ([P(t)], [send("create", phase="not_sent", creates_sent=1, first_sent_at=t, session=False)])

s, e = g_open()
gateway.append(vec("happy path: signed create, verified success notification",
    "No session; the create is accepted (never success) and the signed notification with status 3 ends it.",
    s + [R(g_created(), T0 + 1), C(g_notify(3), T0 + 60)],
    e + [wait(T0 + 601, "callback_deadline", phase="accepted", payout_id=GID, status="unknown"),
         {**done("succeeded", payout_id=GID), "verdicts": ["applied"], "acknowledgement": {"status": 200, "body": "{\"error_code\":\"0000\"}"}}]))

s, e = g_open()
gateway.append(vec("no notification by the deadline: query by payout_cl_id",
    "",
    s + [R(g_created(), T0 + 1), P(T0 + 601), R(g_query(g_order(3)), T0 + 602)],
    e + [wait(T0 + 601, "callback_deadline"),
         query_sent(f"https://payment.example/gateway/api/v2/payouts?payout_cl_id={GREF}"),
         done("succeeded", payout_id=GID)]))

s, e = g_open()
gateway.append(vec("timeout on the create: query by reference first (after the settle wait); found, so no second create",
    "The seed is explicit: a timeout is not a failure. The machine waits 120 s so a create still in the pipeline is visible, queries by payout_cl_id, and finds the order.",
    s + [R(tf(), T0 + 30), P(T0 + 150), R(g_query(g_order(2)), T0 + 151), C(g_notify(3), T0 + 200)],
    e + [wait(T0 + 150, "settle", phase="unknown"), send("query", phase="unknown"),
         wait(T0 + 151 + 600, "callback_deadline", phase="accepted", status="processing", payout_id=GID, creates_sent=1),
         {**done("succeeded"), "verdicts": ["applied"], "state": {"creates_sent": 1}}]))

s, e = g_open()
gateway.append(vec("timeout on the create, and the query proves no order exists: created again",
    "Only the gateway's word that no order exists (a 0000 answer with no order for our payout_cl_id, or 0050) allows a second create.",
    s + [R(tf(), T0 + 30), P(T0 + 150), R(g_query(), T0 + 151), R(g_created(), T0 + 152)],
    e + [wait(T0 + 150, "settle"), send("query"), send("create", phase="not_sent", creates_sent=2, first_sent_at=T0),
         wait(T0 + 752, "callback_deadline", phase="accepted", creates_sent=2)]))

s, e = g_open()
gateway.append(vec("HTML 502 on the create, and the query answers 0050 order not found: created again",
    "A 5xx HTML page means the create was not processed, but only the gateway can say so: the query by payout_cl_id answers 0050 (order not found, spec 2.7), which proves no order exists, like a 0000 with none. Found by the chaos test: read as a failed query, it was retried forever.",
    s + [R(resp(502, HTML), T0 + 1), P(T0 + 121), R(resp(200, {"error_code": "0050", "error_msg": "order not found"}), T0 + 122), R(g_created(), T0 + 123)],
    e + [wait(T0 + 121, "settle", phase="unknown"), send("query"), send("create", phase="not_sent", creates_sent=2, first_sent_at=T0),
         wait(T0 + 723, "callback_deadline", phase="accepted", creates_sent=2)]))

s, e = g_open()
gateway.append(vec("HTML 502 on the create: query first",
    "",
    s + [R(resp(502, HTML), T0 + 1), P(T0 + 121)],
    e + [wait(T0 + 121, "settle", phase="unknown"), send("query")]))

s, e = g_open()
gateway.append(vec("empty body on the create: query first",
    "",
    s + [R(resp(200, ""), T0 + 1), P(T0 + 121)],
    e + [wait(T0 + 121, "settle", phase="unknown"), send("query")]))

s, e = g_open()
gateway.append(vec("0000 without a payout_id: query first",
    "",
    s + [R(resp(200, {"error_code": "0000", "data": {}}), T0 + 1), P(T0 + 121)],
    e + [wait(T0 + 121, "settle", phase="unknown"), send("query")]))

s, e = g_open()
gateway.append(vec("timeout on the resolving query: retried, never a create before an answer",
    "",
    s + [R(tf(), T0 + 30), P(T0 + 150), R(tf(), T0 + 160), P(T0 + 220), R(g_query(g_order(1)), T0 + 221)],
    e + [wait(T0 + 150, "settle"), send("query"), wait(T0 + 220, "retry", phase="unknown", creates_sent=1), send("query"),
         wait(T0 + 821, "callback_deadline", phase="accepted", status="pending", creates_sent=1)]))

s, e = g_open()
gateway.append(vec("rejected create (0004 signature): done failed, nothing was created",
    "",
    s + [R(resp(200, {"error_code": "0004", "error_msg": "Signature verification failed!"}), T0 + 1)],
    e + [done("failed", error={"code": "signature_rejected_by_provider", "provider_code": "0004"})]))

s, e = g_open()
gateway.append(vec("restore after the create was sent: query by reference, found, no second create",
    "The host stored the snapshot, sent the create and crashed. The restored machine treats the create as possibly made: it waits the settle time after the request's timeout, then queries by payout_cl_id.",
    s + [RESTORE(T0 + 10), P(T0 + 240), R(g_query(g_order(2)), T0 + 241)],
    e + [{**wait(T0 + 120 + 120, "settle", phase="unknown", creates_sent=1), "snapshot_version": 1}, send("query"),
         wait(T0 + 841, "callback_deadline", phase="accepted", creates_sent=1, payout_id=GID)]))

s, e = g_open()
gateway.append(vec("restore after the create was sent: the query proves nothing exists, created again",
    "",
    s + [RESTORE(T0 + 10), P(T0 + 240), R(g_query(), T0 + 241), R(g_created(), T0 + 242)],
    e + [wait(T0 + 240, "settle", phase="unknown"), send("query"), send("create", creates_sent=2), wait(T0 + 842, "callback_deadline", phase="accepted")]))

s, e = g_open()
gateway.append(vec("forged notification (wrong signature): refused, not acknowledged with 0000, nothing changes",
    "",
    s + [R(g_created(), T0 + 1), C(g_notify(3, forge=True), T0 + 60)],
    e + [wait(T0 + 601, "callback_deadline"),
         {**wait(T0 + 601, "callback_deadline", status="unknown"), "error": {"code": "signature_mismatch"}}]))

s, e = g_open()
gateway.append(vec("verified notification with another amount: manual reconciliation",
    "",
    s + [R(g_created(), T0 + 1), C(g_notify(3, amount=50000000), T0 + 60)],
    e + [wait(T0 + 601, "callback_deadline"), {**manual("mismatch", idempotency_key=GREF, payout_id=GID), "verdicts": ["mismatch"]}]))

s, e = g_open()
gateway.append(vec("verified notification with another payout_id for our reference: manual reconciliation",
    "A second order under our payout_cl_id would be a second payout.",
    s + [R(g_created(), T0 + 1), C(g_notify(3, pid="POT00000999"), T0 + 60)],
    e + [wait(T0 + 601, "callback_deadline"), {**manual("mismatch"), "verdicts": ["mismatch"]}]))

s, e = g_open()
gateway.append(vec("duplicate notifications: the first decides, the next is ignored",
    "The gateway retries up to 10 times within an hour.",
    s + [R(g_created(), T0 + 1), C(g_notify(3), T0 + 60), C(g_notify(3), T0 + 120)],
    e + [wait(T0 + 601, "callback_deadline"), {**done("succeeded"), "verdicts": ["applied"]}, {**done("succeeded"), "verdicts": ["ignored"], "acknowledgement": {"status": 200}}]))

s, e = g_open()
gateway.append(vec("out-of-order notifications: processing after cancelled changes nothing",
    "",
    s + [R(g_created(), T0 + 1), C(g_notify(4), T0 + 60), C(g_notify(2), T0 + 120)],
    e + [wait(T0 + 601, "callback_deadline"), {**done("cancelled", failure={"retry": {"kind": "retry_after_status_check"}}), "verdicts": ["applied"]},
         {**done("cancelled"), "verdicts": ["ignored"]}]))

s, e = g_open()
gateway.append(vec("a notification for another order is ignored",
    "",
    s + [R(g_created(), T0 + 1), C(g_notify(3, pid="POT00000777", ref="ORD77"), T0 + 60)],
    e + [wait(T0 + 601, "callback_deadline"), {**wait(T0 + 601, "callback_deadline"), "verdicts": ["ignored"]}]))

s, e = g_open()
gateway.append(vec("status 2 mapped to success is tentative: a query confirms before done",
    "A deployment whose table maps 2 to success (G7): the notification alone never makes the payout final; the machine queries at once and the query's 3 decides.",
    s + [R(g_created(), T0 + 1), C(g_notify(2), T0 + 60), R(g_query(g_order(3)), T0 + 61)],
    e + [wait(T0 + 601, "callback_deadline"),
         {**send("query", status="unknown", expected="succeeded"), "verdicts": ["applied"]},
         done("succeeded")],
    config={"base_url": "https://payment.example", "platform_id": "PF0002", "platform_key": GKEY, "authorization": "kirim-gateway-auth",
            "status_map": {"1": "pending", "2": "succeeded", "3": "succeeded", "4": "cancelled", "5": "failed"}}))

s, e = g_open()
gateway.append(vec("unverified notification (bad signature, read without the check): tentative, a query decides",
    "",
    s + [R(g_created(), T0 + 1), {"unverified_callback": g_notify(3, forge=True), "now": T0 + 60}, R(g_query(g_order(2)), T0 + 61)],
    e + [wait(T0 + 601, "callback_deadline"),
         {**send("query", status="unknown", expected="succeeded"), "verdicts": ["applied"]},
         wait(T0 + 61 + 1200, "callback_deadline", status="processing", expected=None)]))

s, e = g_open()
gateway.append(vec("a query that finds another payout_id than the create gave: manual reconciliation",
    "",
    s + [R(g_created(), T0 + 1), P(T0 + 601), R(g_query(g_order(3, pid="POT00000999")), T0 + 602)],
    e + [wait(T0 + 601, "callback_deadline"), send("query"), manual("mismatch", payout_id=GID)]))

s, e = g_open()
gateway.append(vec("a verified notification while the create is out: it proves the order, done",
    "",
    s + [C(g_notify(3), T0 + 5)],
    e + [{**done("succeeded", payout_id=GID), "verdicts": ["applied"]}]))

s, e = g_open()
gateway.append(vec("the answer to a create that was out when a verified notification ended the payout is accepted and changes nothing",
    "",
    s + [C(g_notify(3), T0 + 5), R(tf(), T0 + 6)],
    e + [{**done("succeeded", payout_id=GID), "verdicts": ["applied"]}, {**done("succeeded", payout_id=GID), "error": None}]))

s, e = g_open()
gateway.append(vec("query failure 0006 (authorization rejected): retried later, no create",
    "",
    s + [R(tf(), T0 + 30), P(T0 + 150), R(resp(200, {"error_code": "0006", "error_msg": "authorization"}), T0 + 151)],
    e + [wait(T0 + 150, "settle"), send("query"), wait(T0 + 151 + 60, "retry", phase="unknown", creates_sent=1)]))

# ---- other ----
other = [
    {"name": "Paper.id payouts are created outside kirim: the lifecycle says it cannot drive one",
     "input": {"provider": "paperid", "config": None, "steps": []}, "error": {"code": "invalid_field", "field": "provider"}},
    {"name": "an order the provider would refuse is refused before anything is sent",
     "input": {"order": {"reference": "order 42!", "amount": "100000", "beneficiary": {"bank": "BCA", "account_number": "999966660001", "account_name": "Reforza Pivot"}}, "steps": []},
     "error": {"code": "validation_failed"}},
    {"name": "a response with nothing outstanding is refused by name and changes nothing",
     "input": {"steps": [R(token(), T0)]},
     "expected": {"steps": [{"error": {"code": "invalid_field", "field": "outcome"}, "action": {"kind": "send", "purpose": "session"}}]}},
]

PIVOT_DEFAULTS = {"provider": "pivot", "now": T0,
    "config": {"base_url": "https://api-stg.pivot-payment.com", "merchant_id": "kirim-merchant", "merchant_secret": "kirim-secret", "callback_api_keys": ["cb-key-current", "cb-key-previous"]},
    "order": {"reference": REF, "amount": "100000", "beneficiary": {"bank": "BCA", "account_number": "999966660001", "account_name": "Reforza Pivot"}, "description": "Payout 42"}}
GATEWAY_DEFAULTS = {"provider": "gateway", "now": T0,
    "config": {"base_url": "https://payment.example", "platform_id": "PF0002", "platform_key": GKEY, "authorization": "kirim-gateway-auth"},
    "order": {"reference": GREF, "amount": "50000", "beneficiary": {"bank": "BCA", "account_number": "4088748280272397", "account_name": "test name"}, "notify_url": "https://merchant.example/notify"}}


def pivot_snapshot(**over):
    snap = {"version": 1, "provider": "pivot", "order": {**PIVOT_DEFAULTS["order"], "amount": {"value": "100000.00", "currency": "IDR"}, "inquiry_id": None, "notify_url": None},
            "idempotency_key": PIVOT_KEY, "settings": {"query_schedule_seconds": [300, 900, 3600, 10800, 21600, 43200], "request_timeout_seconds": 120, "max_backoff_seconds": 3600},
            "phase": "not_sent", "first_sent_at": T0, "creates_sent": 1, "status": "unknown", "expected": None, "failure": None, "payout_id": None,
            "outstanding": {"purpose": "create", "sent_at": T0}, "retry_at": None, "failures": 0, "next_query_at": None, "queries_done": 0, "query_now": False, "ended": None}
    snap.update(over)
    return json.dumps(snap, separators=(",", ":"))

other += [
    {"name": "settings that cannot work are refused: an empty query schedule, a zero timeout",
     "input": {"settings": {"query_schedule_seconds": [], "request_timeout_seconds": 0}, "steps": []},
     "error": {"code": "validation_failed", "violations": ["settings.query_schedule_seconds", "settings.request_timeout_seconds"]}},
    vec("a stored snapshot taken as the create went out (format version 1): the identical create again",
        "The snapshot a host stored before sending the create (the documented format, version 1; no token in it). Restored, the machine takes the create as possibly made: a new token, then the identical request with the same X-REQUEST-ID; never a new key.",
        [P(T0 + 200), R(token(), T0 + 200), R(created(), T0 + 201)],
        [send("session", phase="unknown", session=False, creates_sent=1), pivot_create(1, creates_sent=2, first_sent_at=T0), wait(T0 + 501, "callback_deadline", phase="accepted")],
        snapshot=pivot_snapshot()),
    {"name": "a snapshot of an unknown version is refused (unsupported_snapshot)",
     "input": {"snapshot": pivot_snapshot(version=2), "steps": []}, "error": {"code": "unsupported_snapshot", "field": "version"}},
    {"name": "a snapshot without a version is refused (unsupported_snapshot)",
     "input": {"snapshot": "{\"provider\":\"pivot\"}", "steps": []}, "error": {"code": "unsupported_snapshot", "field": "version"}},
    {"name": "a snapshot whose key is not the one its order derives is refused",
     "input": {"snapshot": pivot_snapshot(idempotency_key="ffffffffffffffffffffffffffffffff"), "steps": []}, "error": {"code": "invalid_field", "field": "idempotency_key"}},
    {"name": "a snapshot for another provider is refused",
     "input": {"snapshot": pivot_snapshot(provider="gateway"), "steps": []}, "error": {"code": "invalid_field", "field": "provider"}},
    vec("a snapshot taken under the configured account restores",
        "The snapshot names the account it was taken under (the API's address and the merchant id); under the same account it restores: a new token, then the identical create.",
        [P(T0 + 200), R(token(), T0 + 200)],
        [send("session", phase="unknown", session=False, creates_sent=1), pivot_create(1, creates_sent=2, first_sent_at=T0)],
        snapshot=pivot_snapshot(account="merchant kirim-merchant at https://api-stg.pivot-payment.com")),
    {"name": "a snapshot taken under another account of the same provider is refused",
     "description": "A lost create would otherwise be resolved against the wrong account (the gateway: queried there, found missing, created again): the host must restore it with the configuration of the account it was taken under.",
     "input": {"snapshot": pivot_snapshot(account="merchant other-merchant at https://api-stg.pivot-payment.com"), "steps": []}, "error": {"code": "invalid_field", "field": "account"}},
    {"name": "a snapshot past the create that does not say when it was first sent is refused",
     "input": {"snapshot": pivot_snapshot(phase="unknown", first_sent_at=None, outstanding=None), "steps": []}, "error": {"code": "invalid_field", "field": "first_sent_at"}},
    {"name": "a snapshot whose order the provider would refuse is refused",
     "input": {"snapshot": pivot_snapshot(order={**PIVOT_DEFAULTS["order"], "description": "not alphanumeric!"}), "steps": []}, "error": {"code": "validation_failed"}},
    {"name": "a snapshot with an unknown field is refused (a typo never passes silently)",
     "input": {"snapshot": pivot_snapshot(access_token="eyJ.tok.1"), "steps": []}, "error": {"code": "unexpected_shape"}},
]

def big_batch(n):
    items = [{"reference": f"item-{i}", "amount": "10000", "beneficiary": {"bank": "BCA", "account_number": "999966660001", "account_name": "Reforza Pivot"}} for i in range(n)]
    return {"reference": BREF, "amount": str(10000 * n), "items": items}

other += [
    {"name": "a Pivot batch of 1,001 items is refused before anything is sent (at most 1,000)",
     "input": {"order": big_batch(1001), "steps": []}, "error": {"code": "validation_failed", "violations": ["items"]}},
    vec("a Pivot batch of exactly 1,000 items is one create",
        "The limit is inclusive: 1,000 items go out in one request.",
        [P(T0), R(token(), T0 + 1)], [send("session"), send("create", creates_sent=1)], order=big_batch(1000)),
    {"name": "a batch whose amount is not the total of its items is refused",
     "input": {"order": {**BATCH_ORDER, "amount": "150001"}, "steps": []}, "error": {"code": "validation_failed", "violations": ["amount"]}},
    {"name": "a batch's snapshot whose items are not its order's is refused",
     "input": {"snapshot": pivot_snapshot(order=BATCH_SNAPSHOT_ORDER, idempotency_key=BATCH_KEY,
                                          items=[{"reference": "item-a", "status": "unknown", "expected": None, "failure": None}]), "steps": []},
     "error": {"code": "invalid_field", "field": "items"}},
    {"name": "a batch's snapshot without its items is refused",
     "input": {"snapshot": pivot_snapshot(order=BATCH_SNAPSHOT_ORDER, idempotency_key=BATCH_KEY), "steps": []},
     "error": {"code": "missing_field", "field": "items"}},
    vec("a stored batch snapshot (version 1, with items) taken as the create went out: the identical batch create again",
        "The documented batch form: the order's items and each item's state. Restored, the create is taken as possibly made and resent identically.",
        [P(T0 + 200), R(token(), T0 + 200), R(batch_created("SUCCESS", "PENDING"), T0 + 201)],
        [send("session", phase="unknown", session=False, creates_sent=1, items=items_state("unknown", "unknown")), batch_create(1, creates_sent=2, first_sent_at=T0),
         wait(T0 + 501, "callback_deadline", phase="accepted", items=items_state("succeeded", "processing"))],
        snapshot=pivot_snapshot(order=BATCH_SNAPSHOT_ORDER, idempotency_key=BATCH_KEY,
                                items=UNKNOWN_ITEMS)),
    {"name": "a batch's snapshot whose unlisted items are not its own is refused",
     "input": {"snapshot": pivot_snapshot(order=BATCH_SNAPSHOT_ORDER, idempotency_key=BATCH_KEY,
                                          items=UNKNOWN_ITEMS,
                                          unlisted=["item-z"]), "steps": []},
     "error": {"code": "invalid_field", "field": "unlisted"}},
    {"name": "the gateway has no batch payouts: a batch order is refused by name",
     "input": {**GATEWAY_DEFAULTS, "order": {**BATCH_ORDER}, "steps": []}, "error": {"code": "invalid_field", "field": "items"}},
]

def write(name, defaults, vectors, description):
    doc = {"operation": "lifecycle.scenario", "description": description,
           "source": "spec §1.2-1.10 (Pivot), §2.2-2.6 (gateway), G5, G7, G18; issue 16. Expectations written by hand: only what each scenario is about is checked.",
           "defaults": defaults, "vectors": vectors}
    with open(f"{OUT}/{name}.json", "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")

write("pivot", PIVOT_DEFAULTS, pivot, "The payout lifecycle with Pivot: token session, create keyed by X-REQUEST-ID, replay within the key window, queries by uuid, X-API-Key callbacks.")
write("gateway", GATEWAY_DEFAULTS, gateway, "The payout lifecycle with the platform_id gateway: signed create, query by payout_cl_id before any second create, signed notifications.")
write("other", PIVOT_DEFAULTS, other, "The lifecycle operation's refusals (a provider it cannot drive, an invalid order, a response with nothing outstanding) and stored snapshots: the documented format, and every snapshot it refuses.")
print(len(pivot), len(gateway), len(other), len(pivot)+len(gateway)+len(other))

"""kirim end to end, from Python, through the PER-CALL API: a Pivot payout, a gateway withdraw
order, Paper.id callbacks. The demo this was before the driver; tests/e2e drives its functions
with faults injected. Merchants use the driver instead (examples/python/kirim_demo.py): this file
holds the provider-specific handling the core's lifecycle does for them.

Standard library only, besides `kirim`. kirim does no I/O: it builds each HTTP request as data
and parses what comes back; this file sends the requests with urllib, receives callbacks with
kirim.simulator.CallbackServer (http.server), and keeps the clock. Run it against the provider simulator:

    python3 tests/simulator/kirim_sim.py --port 8000 &
    python3 tests/e2e/python/percall.py --simulator http://127.0.0.1:8000

"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

import kirim
from kirim.simulator import CallbackServer, control, default_config

# The simulator's default configuration, its credentials among it (docs/simulator.md,
# Configuration), from the simulator itself. In production credentials come from your secret
# store, never from source code.
SIM_DEFAULTS = default_config()

FINAL = {"succeeded", "failed", "cancelled", "reversed"}


def now() -> int:
    """kirim reads no clock: the host passes Unix seconds in."""
    return int(time.time())


class Timeline:
    """A readable, secret-free log of each step, timed from the start."""

    def __init__(self, out=sys.stdout):
        self.start = time.monotonic()
        self.out = out
        self.lock = threading.Lock()

    def __call__(self, who: str, step: str, text: str) -> None:
        with self.lock:
            print(f"[{time.monotonic() - self.start:6.2f}s] {who:<8} {step:<14} {text}", file=self.out, flush=True)


def send(request: kirim.HttpRequest, timeout: float = 10.0) -> kirim.HttpOutcome:
    """Sends a request kirim built, exactly; returns what came back, transport failures included.

    A timeout or a closed connection is not an error to guess about: it goes back to the core,
    which says what to do next (for a create: query first, never a blind retry).
    """
    req = urllib.request.Request(request.url, data=request.body or None, method=request.method.value,
                                 headers=request.headers_dict)
    try:
        try:
            resp = urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as error:  # 4xx/5xx still carry a body kirim must read
            resp = error
        with resp:
            return kirim.HttpResponse(resp.status, list(resp.headers.items()), resp.read())
    except (TimeoutError, socket.timeout):
        return kirim.TransportFailure.TIMEOUT
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            return kirim.TransportFailure.TIMEOUT
        return kirim.TransportFailure.CONNECTION_ERROR
    except ConnectionError:  # includes http.client.RemoteDisconnected: no answer at all
        return kirim.TransportFailure.EMPTY_RESPONSE
    except (OSError, http.client.HTTPException):  # a body cut short (IncompleteRead), any other
        return kirim.TransportFailure.CONNECTION_ERROR  # socket error: no whole answer either


class Payouts:
    """The host's own record of each payout: the status, merged by the core so it never goes back."""

    def __init__(self):
        self.status: dict[str, str] = {}
        self.changed = threading.Condition()

    def observe(self, reference: str, status) -> str:
        with self.changed:
            current = self.status.get(reference)
            merged = kirim.merge_statuses(current, [status]).value
            self.status[reference] = merged
            self.changed.notify_all()
            return merged

    def wait_final(self, reference: str, seconds: float) -> str | None:
        deadline = time.monotonic() + seconds
        with self.changed:
            while self.status.get(reference) not in FINAL:
                left = deadline - time.monotonic()
                if left <= 0:
                    return self.status.get(reference)
                self.changed.wait(left)
            return self.status[reference]


class Webhooks:
    """The webhook receiver: verifies each callback with kirim and answers its acknowledgement."""

    def __init__(self, pivot_config: kirim.PivotConfig, gateway_config: kirim.GatewayConfig, payouts: Payouts, log: Timeline):
        self.received: list[dict] = []  # every callback with what kirim made of it
        self.pivot, self.gateway = kirim.Pivot(pivot_config), kirim.Gateway(gateway_config)
        # Paper.id signs nothing: a shared token in a header and the sender's address prove it.
        self.paperid = kirim.PaperId(kirim.PaperIdConfig(
            callback_token_header="X-Callback-Token", callback_tokens=[SIM_DEFAULTS["paperid_callback_token"]],
            allowed_source_addresses=["127.0.0.1/32", "::1/128"]))
        self.payouts, self.log = payouts, log
        # The TCP peer comes as `peer`, never a header the sender controls (Paper.id's allow-list).
        self.server = CallbackServer(self.handle)
        self.url = self.server.url

    def handle(self, path: str, headers: list, body: bytes, peer: str | None = None) -> kirim.Acknowledgement:
        """Verifies one callback from its RAW body; returns the acknowledgement kirim chose."""
        if path == "pivot":
            who, handled = "pivot", self.pivot.handle_callback(headers, body)
            events = handled.events or ()
        elif path == "gateway":
            # Authenticity is the signature inside the body; the headers prove nothing here.
            who, handled = "gateway", self.gateway.handle_notification(body)
            events = (handled.event,) if handled.event else ()
        elif path == "paperid":
            who, handled = "paperid", self.paperid.handle_callback(headers, body, peer)
            events = (handled.event,) if handled.event else ()
        else:
            return kirim.Acknowledgement(404, [], b"", False)
        ack = {"status": handled.acknowledgement.status, "body": handled.acknowledgement.body,
               "headers": [(h.name, h.value) for h in handled.acknowledgement.headers]}
        error = handled.error and handled.error.code
        # A bulk event has no reference (read the items); single events name theirs. A Paper.id
        # payout is created outside kirim: it is tracked by Paper.id's own id (its disbursement id).
        events = [{"reference_id": e.reference_id, "key": e.payout_id if who == "paperid" else e.reference_id,
                   "status": e.status.value, "raw_status": e.raw_status} for e in events]
        record = {"provider": who, "verified": error is None, "ack": ack, "events": events}
        for event in events:
            if event["key"]:
                record["merged"] = self.payouts.observe(event["key"], event["status"])
        with self.payouts.changed:
            self.received.append(record)
            self.payouts.changed.notify_all()
        answer = f"answered HTTP {ack['status']} {ack['body'].decode('utf-8', 'replace')}"
        if record["verified"]:
            said = ", ".join(f"{e['key']} {e['raw_status']} -> {e['status']}" for e in events)
            self.log(who, "callback", f"verified ({said}); merged status {record.get('merged')}; {answer}")
        else:
            self.log(who, "callback", f"REJECTED ({error}); {answer}")
        return handled.acknowledgement

    def wait_for(self, predicate, seconds: float) -> bool:
        """Waits (bounded) until some received callback satisfies `predicate`."""
        deadline = time.monotonic() + seconds
        with self.payouts.changed:
            while not any(predicate(r) for r in self.received):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.payouts.changed.wait(left)
            return True

    def close(self):
        self.server.close()


def pivot_payout(sim: str, webhooks: Webhooks, payouts: Payouts, log: Timeline, reference: str,
                 account_number: str = "999966660001", account_name: str = "Reforza Pivot",
                 amount: str = "100000", fault: str | None = "drop_response") -> str:
    """Token, balance, inquiry, create (with a lost answer), query, callback: returns the final status."""
    pivot = webhooks.pivot

    token = pivot.parse_access_token(send(pivot.access_token_request()), now())
    log("pivot", "token", f"{token!r}: valid {token.expires_at - now()} s")  # repr never shows the value

    balance = pivot.parse_balance(send(pivot.balance_request(token, now())))
    log("pivot", "balance", f"{balance.currency} {balance.value}")

    inquiry = pivot.parse_inquiry(send(pivot.inquiry_request(
        token, now(), kirim.pivot.InquiryInput("BCA", account_number, account_name))))
    log("pivot", "inquiry", f"account {account_number}: {inquiry.status.value}")

    # The key comes from our own reference: a retry of this payout can never get a fresh key.
    key = pivot.derive_request_id(reference)
    create = pivot.create_payout_request(token, now(), key, [kirim.pivot.PayoutItemInput(
        reference, kirim.pivot.InquiryDestination(inquiry.inquiry_id), kirim.Money.parse(amount), "kirim demo")])
    if fault:
        # drop_response: the simulator creates the payout but holds the answer longer than our
        # timeout. http_500_html: it creates nothing and answers with an HTML error page.
        control(sim, "/_sim/faults", {"method": "POST", "path": "/v1/payouts", "fault": fault, "hold_seconds": 3})
    log("pivot", "create", f"{reference}: IDR {amount}, X-REQUEST-ID {key}")
    # What we sent, and when the key was first sent: kirim advises a resend only while Pivot
    # still replays the key (24 h less a safety margin), and a person after that.
    first_sent_at = now()
    result = pivot.parse_create_payout(
        send(create, timeout=1.0), kirim.pivot.CreateAttempt(key, (reference,), first_sent_at, now()))

    for _ in range(3):  # bounded: the core decides, the loop only obeys
        if result.next_action.kind == kirim.NextActionKind.ACCEPTED:
            break
        if result.next_action.kind == kirim.NextActionKind.MANUAL_RECONCILIATION:
            raise RuntimeError(f"a person must reconcile {reference}: {result.next_action.message}")
        if result.next_action.kind != kirim.NextActionKind.RESEND_SAME_REQUEST:
            raise RuntimeError(f"create not accepted: {result.next_action} {result.error!r}")
        # No payout id came back, and Pivot has no lookup by reference: resend the identical
        # request with the SAME key, which Pivot answers by replaying the first answer.
        log("pivot", "create", f"no answer ({result.error.code}): core says resend_same_request; resending the SAME request and key")
        result = pivot.parse_create_payout(
            send(create), kirim.pivot.CreateAttempt(key, (reference,), first_sent_at, now()))
    else:
        raise RuntimeError(f"no answer after retries: {result.error!r}")
    batch = result.batch
    item = next(i for i in batch.items if i.reference_id == reference)
    log("pivot", "create", f"accepted: payout {batch.payout_id}, item {item.raw_status} ({item.status.value}); merged {payouts.observe(reference, item.status)}")

    def query():
        return pivot.parse_retrieve(send(pivot.retrieve_request(token, now(), batch.payout_id, reference))).items[0]

    item = query()
    log("pivot", "query", f"{reference}: {item.raw_status} ({item.status.value}); merged {payouts.observe(reference, item.status)}")

    final = payouts.wait_final(reference, 15)
    if final not in FINAL:  # the callback is late or lost: reconcile by query instead
        final = payouts.observe(reference, query().status)
    log("pivot", "final", f"{reference}: {final}")
    return final


def pivot_bulk_payout(sim: str, webhooks: Webhooks, payouts: Payouts, log: Timeline,
                      references: tuple[str, str]) -> dict[str, str]:
    """Two payouts in one request, to two accounts (the simulator fails the second). Pivot's
    callback for a batch carries totals, not items: the host reads the items by retrieving the
    batch. Returns each reference's final status."""
    pivot = webhooks.pivot
    token = pivot.parse_access_token(send(pivot.access_token_request()), now())
    accounts = dict(zip(references, ("999966660001", "999966660002")))
    items = [kirim.pivot.PayoutItemInput(reference, kirim.pivot.AccountDestination("BCA", number, "Reforza Pivot"),
                                         kirim.Money.parse("100000"), "kirim bulk demo")
             for reference, number in accounts.items()]
    # One key for the request, derived from a reference of our own for the batch.
    key = pivot.derive_request_id(references[0] + "-batch")
    result = pivot.parse_create_payout(send(pivot.create_payout_request(token, now(), key, items)))
    if result.next_action.kind != kirim.NextActionKind.ACCEPTED:
        raise RuntimeError(f"bulk create not accepted: {result.next_action} {result.error!r}")
    batch = result.batch
    log("pivot", "bulk create", f"payout {batch.payout_id}: {', '.join(i.reference_id for i in batch.items)}")

    def batch_event(record: dict) -> bool:
        return record["provider"] == "pivot" and record["verified"] and any(e["reference_id"] is None for e in record["events"])

    if not webhooks.wait_for(batch_event, 15):
        log("pivot", "bulk", "no batch callback in time: reading the batch anyway")
    retrieved = pivot.parse_retrieve(send(pivot.retrieve_request(token, now(), batch.payout_id, None)))
    for item in retrieved.items:
        merged = payouts.observe(item.reference_id, item.status)
        log("pivot", "bulk query", f"{item.reference_id}: {item.raw_status} ({item.status.value}); merged {merged}")
    return {reference: payouts.status.get(reference, "unknown") for reference in references}


def gateway_withdraw(sim: str, webhooks: Webhooks, payouts: Payouts, log: Timeline, reference: str,
                     number: str = "4088748280272397", amount: str = "50000",
                     fault: str | None = "drop_response") -> str:
    """A signed withdraw order (with a lost answer), its notification verified: the final status."""
    gateway = webhooks.gateway

    balance = gateway.parse_balance(send(gateway.balance_request()))
    log("gateway", "balance", f"{balance.currency} {balance.value}")

    order = kirim.gateway.WithdrawOrderInput(reference, kirim.Money.parse(amount), "BCA", "test name", number,
                                             notify_url=webhooks.url + "/gateway")
    create = gateway.create_withdraw_request(order, now())
    if fault:
        control(sim, "/_sim/faults", {"method": "POST", "path": "/gateway/api/v2/payouts", "fault": fault, "hold_seconds": 3})
    log("gateway", "create", f"{reference}: IDR {amount}, signed {gateway.config.sign_type.value}")
    result = gateway.parse_create_withdraw(send(create, timeout=1.0))

    def query_orders():
        try:
            return gateway.parse_query(send(gateway.query_order_request(reference))).orders
        except kirim.KirimError as error:
            if error.code != "not_found":
                raise
            return ()

    payout_id = result.payout_id
    if result.next_action.kind == kirim.NextActionKind.QUERY_FIRST:
        # Unlike Pivot, the gateway can be asked by our own order id: query before anything else.
        log("gateway", "create", f"no answer ({result.error.code}): core says query_first; querying {reference}")
        orders = query_orders()
        if orders:
            payout_id = orders[0].payout_id
        else:
            # Never created: resending is safe, and payout_cl_id deduplicates it anyway.
            log("gateway", "create", f"{reference} not found: resending the same order")
            result = gateway.parse_create_withdraw(send(create))
            payout_id = result.payout_id
    elif result.next_action.kind != kirim.NextActionKind.ACCEPTED:
        raise RuntimeError(f"withdraw order not accepted: {result.next_action} {result.error!r}")
    if not payout_id:
        raise RuntimeError(f"withdraw order not accepted: {result.next_action} {result.error!r}")
    log("gateway", "create", f"accepted (never 'succeeded' yet): order {payout_id}")

    state = query_orders()[0]
    log("gateway", "query", f"{reference}: status {state.raw_status} ({state.status.value}); merged {payouts.observe(reference, state.status)}")

    final = payouts.wait_final(reference, 15)
    if final not in FINAL:  # the notification is late or lost: reconcile by query instead
        final = payouts.observe(reference, query_orders()[0].status)
    log("gateway", "final", f"{reference}: {final}")
    return final


def paperid_callbacks(sim: str, webhooks: Webhooks, payouts: Payouts, log: Timeline, reference: str) -> str:
    """Paper.id's disbursement callback, verified by token and source address; then a forged one
    (wrong token), which must be refused and change nothing. Returns the reference's status."""
    url = webhooks.url + "/paperid"
    sent = control(sim, "/_sim/paperid/callback", {"url": url, "fields": {"disbursement_id": reference}})
    log("paperid", "callback", f"{reference}: {sent['event']} answered HTTP {sent['status_code']}")
    forged_ref = reference + "-forged"
    forged = control(sim, "/_sim/paperid/callback",
                     {"url": url, "token": "not-the-token", "fields": {"disbursement_id": forged_ref}})
    log("paperid", "forged", f"{forged_ref}: answered HTTP {forged['status_code']}; status {payouts.status.get(forged_ref, 'none recorded')}")
    if forged["status_code"] == 200 or forged_ref in payouts.status:
        raise RuntimeError("a forged Paper.id callback was accepted")
    final = payouts.status.get(reference, "unknown")
    log("paperid", "final", f"{reference}: {final}")
    return final


def configs(sim: str, gateway_sign_type: str = "HMAC-SHA256") -> tuple[kirim.PivotConfig, kirim.GatewayConfig]:
    pivot = kirim.PivotConfig(sim, SIM_DEFAULTS["pivot_merchant_id"], SIM_DEFAULTS["pivot_merchant_secret"],
                              [SIM_DEFAULTS["pivot_callback_key"]])
    gateway = kirim.GatewayConfig(sim, SIM_DEFAULTS["gateway_platform_id"], SIM_DEFAULTS["gateway_platform_key"],
                                  authorization=SIM_DEFAULTS["gateway_auth_token"], sign_type=gateway_sign_type)
    return pivot, gateway


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--prefix", default="py", help="prefix of the merchant references")
    args = parser.parse_args()
    log, payouts = Timeline(), Payouts()
    webhooks = Webhooks(*configs(args.simulator), payouts, log)
    # Slow processing a little so that the timeline reads in order: create, query, callback.
    control(args.simulator, "/_sim/config", {"pivot_callback_url": webhooks.url + "/pivot",
                                             "pivot_processing_delay_seconds": 2.5, "gateway_step_delay_seconds": 1.25})
    log("demo", "receiver", f"webhooks on {webhooks.url}")
    pivot_ref, gateway_ref = f"{args.prefix}Pivot{now()}", f"{args.prefix}-gw-{now()}"
    paper_ref = f"{args.prefix}-paper-{now()}"
    results = {pivot_ref: pivot_payout(args.simulator, webhooks, payouts, log, pivot_ref)}
    results[gateway_ref] = gateway_withdraw(args.simulator, webhooks, payouts, log, gateway_ref)
    results[paper_ref] = paperid_callbacks(args.simulator, webhooks, payouts, log, paper_ref)
    webhooks.close()

    ledger = control(args.simulator, "/_sim/ledger")
    print("\nFinal statuses:")
    for reference, status in results.items():
        print(f"  {reference:<28} {status}")
    print("Simulator ledger (payouts really created per reference):")
    print(f"  pivot   {json.dumps(ledger['pivot']['payouts_created_per_reference'])}  balance IDR {ledger['pivot']['balance']}")
    print(f"  gateway {json.dumps(ledger['gateway']['orders_created_per_reference'])}  balance {ledger['gateway']['balance_cents']} cents")
    created = {**ledger["pivot"]["payouts_created_per_reference"], **ledger["gateway"]["orders_created_per_reference"]}
    # Paper.id disbursements are created outside kirim (only their callbacks are handled here).
    created[paper_ref] = 1
    ok = all(status == "succeeded" and created.get(reference) == 1 for reference, status in results.items())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

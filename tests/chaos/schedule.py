"""The chaos test's schedules: one seed -> one schedule, the same in every runner (Python imports
this module; Node asks it for JSON: `python3 tests/chaos/schedule.py SEED [COUNT]`).

A schedule: a provider (Pivot or the gateway), one to three payouts (each with an account whose
true outcome the simulator decides), faults drawn from the simulator's whole menu (request faults:
dropped and delayed answers, HTML 5xx, 503, empty bodies, 401s; callback faults: delayed, i.e.
late, duplicate, out-of-order and forged callbacks, or no callback at all) and kill points (the
process driving the payouts dies at its k-th request, before or after sending it, and a new one
resumes from the SQLite file; `real` kills are SIGKILLs of a child process). Standard library only.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any, Dict, List

REQUEST_FAULTS = ["drop_response", "delay_response", "http_401", "http_500_html", "http_502_html",
                  "http_503", "empty_body"]
CALLBACK_FAULTS = ["delay", "duplicate", "out_of_order", "forged"]

# Each provider's request paths (create, query, token) and accounts with their true outcomes.
PATHS = {
    "pivot": [("POST", "/v1/payouts"), ("GET", "/v1/payouts/*"), ("POST", "/v1/access-token")],
    "gateway": [("POST", "/gateway/api/v2/payouts"), ("GET", "/gateway/api/v2/payouts*")],
}
ACCOUNTS = {
    "pivot": ["1234567890", "1234567890", "999966660002", "5550003", "5550004", "5550005", "5550006"],
    "gateway": ["4088748280272397", "4088748280272397", "4088748280270006", "4088748280270007"],
}

# Seconds the runners use: a request times out after TIMEOUT; a dropped or late answer is held
# either under it (a late answer still read) or over it (a timeout).
TIMEOUT = 0.5
HOLDS = [0.1, 0.8]


def schedule(seed: int) -> Dict[str, Any]:
    rng = random.Random(seed)
    provider = rng.choice(["pivot", "gateway"])
    payouts = []
    for i in range(rng.randint(1, 3)):
        payouts.append({
            # Fresh per seed (the runners reset the simulator between schedules anyway); <= 32
            # characters and alphanumeric for the gateway's payout_cl_id.
            "reference": f"CH{seed}N{i}",
            "account_number": rng.choice(ACCOUNTS[provider]),
            "amount": str(rng.choice([10000, 50000, 100000, 250000])),
        })
    faults: List[Dict[str, Any]] = []
    for _ in range(rng.randint(0, 4)):
        method, path = rng.choice(PATHS[provider])
        fault = rng.choice(REQUEST_FAULTS)
        entry: Dict[str, Any] = {"method": method, "path": path, "fault": fault, "count": rng.randint(1, 2)}
        if fault in ("drop_response", "delay_response"):
            entry["hold_seconds"] = rng.choice(HOLDS)
        faults.append(entry)
    callback_faults: List[Dict[str, Any]] = []
    for fault in CALLBACK_FAULTS:
        if rng.random() < 0.3:
            entry = {"callback": provider, "fault": fault, "count": rng.randint(1, len(payouts))}
            if fault == "delay":
                entry["seconds"] = rng.choice([0.2, 0.6, 1.5])
            callback_faults.append(entry)
    kills = []
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        kills.append({"at_send": rng.randint(1, 5), "when": rng.choice(["before_send", "after_send"]),
                      "real": rng.random() < 0.1})
    return {
        "seed": seed,
        "provider": provider,
        "payouts": payouts,
        "request_faults": faults,
        "callback_faults": callback_faults,
        # No callback URL at all: only queries can tell.
        "callbacks": rng.random() > 0.15,
        "kills": kills,
    }


def main(argv: List[str]) -> None:
    first = int(argv[1])
    count = int(argv[2]) if len(argv) > 2 else 1
    json.dump([schedule(seed) for seed in range(first, first + count)], sys.stdout)


if __name__ == "__main__":
    main(sys.argv)

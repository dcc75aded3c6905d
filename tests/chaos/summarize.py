"""Adds up the figures of chaos runs (the JSON files the runners write with --stats):
`python3 tests/chaos/summarize.py DIR_OR_FILES...`. Standard library only."""

import collections
import json
import sys
from pathlib import Path


def main(args):
    files = [f for a in args for f in (sorted(Path(a).glob("*.json")) if Path(a).is_dir() else [Path(a)])]
    total = collections.Counter()
    stats = collections.Counter()
    outcomes = collections.Counter()
    failed = []
    for f in files:
        d = json.loads(f.read_text())
        for key in ("schedules", "passed", "failed"):
            total[key] += d[key]
            total[f"{d['language']}:{key}"] += d[key]
        total[f"{d['language']}:seconds"] += d["seconds"]
        stats.update(d["stats"])
        outcomes.update(d["outcomes"])
        failed += [(d["language"], s) for s in d["failed_seeds"]]
    kills = sum(v for k, v in stats.items() if k.startswith("kills:"))
    queued = sum(v for k, v in stats.items() if k.startswith("fault:"))
    struck = sum(v for k, v in stats.items() if k.startswith("struck:"))
    print(json.dumps({"runs": len(files), **dict(sorted(total.items())), "kills": kills, "faults_queued": queued,
                      "faults_struck": struck,
                      "stats": dict(sorted(stats.items())), "outcomes": dict(sorted(outcomes.items())),
                      "failed_seeds": failed}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""Prints the native benchmark table from criterion's estimates: each operation's median time,
its floor's (a bare typed serde parse of the same bytes plus the same hash, measured in the same
run) and the ratio. Usage: native_table.py <criterion dir> (default: $CARGO_TARGET_DIR/criterion)."""
import json
import os
import sys
from pathlib import Path


def median_ns(path: Path) -> float:
    estimates = json.loads((path / "new" / "estimates.json").read_text())
    return float(estimates["median"]["point_estimate"])


def human(ns: float) -> str:
    return f"{ns / 1000:.2f} us" if ns >= 1000 else f"{ns:.0f} ns"


def main() -> int:
    default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    groups = sorted(p for p in root.iterdir() if (p / "kirim").is_dir() and (p / "floor").is_dir())
    if not groups:
        print(f"no benchmark results under {root}", file=sys.stderr)
        return 1
    print(f"| native operation | kirim | floor | ratio |\n|---|---|---|---|")
    for group in groups:
        kirim, floor = median_ns(group / "kirim"), median_ns(group / "floor")
        print(f"| {group.name} | {human(kirim)} | {human(floor)} | {kirim / floor:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

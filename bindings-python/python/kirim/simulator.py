"""The provider simulator, shipped with the wheel: ``python -m kirim.simulator --help``.

Its code is the top-level package ``kirim_simulator`` of the same wheel, which imports nothing
from ``kirim``: it was written from the providers' documents, independently of the core, so
that a test against it checks kirim against a second reading of the protocol. This module only
runs it under the ``kirim`` name. Importing it imports the ``kirim`` package first (as any
``kirim.*`` import does, which loads the native module), but the simulator uses none of it;
``python -m kirim_simulator`` runs the same program without loading ``kirim`` at all, and
in-process use is ``from kirim_simulator import SimServer``. The control API is documented in
docs/simulator.md.
"""

from __future__ import annotations

import importlib
import sys
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the simulator with these command-line arguments (default ``sys.argv[1:]``) until
    it is shut down; returns the exit status."""
    # Imported by name, not statically: the simulator is standard-library Python without type
    # annotations for mypy --strict, and stays outside the typed `kirim` package.
    simulator = importlib.import_module("kirim_simulator")
    status: int = simulator.main(None if argv is None else list(argv))
    return status


if __name__ == "__main__":
    sys.exit(main())

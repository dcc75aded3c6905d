#!/usr/bin/env python3
"""The provider simulator, run from a repository checkout (the chaos test, the demo, the
bindings' driver tests): `python3 tests/simulator/kirim_sim.py --port 0 --port-file F`, or
`import kirim_sim` with this folder on sys.path.

Not a copy: the one source is bindings-python/python/kirim_simulator/__init__.py, shipped in
the wheel as `python -m kirim.simulator`. It is loaded here by its file path, under the name
`kirim_sim`, so that nothing else of bindings-python/python (the source tree of the `kirim`
package, without its native module) lands on sys.path.
"""

import importlib.util
import sys
from pathlib import Path

_SOURCE = Path(__file__).resolve().parents[2] / "bindings-python" / "python" / "kirim_simulator" / "__init__.py"


def _load():
    spec = importlib.util.spec_from_file_location("kirim_sim", _SOURCE)
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up in sys.modules.
    sys.modules["kirim_sim"] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    sys.exit(_load().main())
else:
    # `import kirim_sim` hands back the simulator module itself.
    sys.modules[__name__] = _load()

"""The provider simulator, shipped with the wheel: ``python -m kirim.simulator --help``.

Its code is the top-level package ``kirim_simulator`` of the same wheel, which imports nothing
from ``kirim``: it was written from the providers' documents, independently of the core, so
that a test against it checks kirim against a second reading of the protocol. This module runs
it under the ``kirim`` name, and holds what a test against it needs on the merchant's side:
``SimulatorProcess`` (the simulator in a child process on a free port), ``control`` (its
control API), ``default_config`` (its credentials) and ``CallbackServer`` (a loopback endpoint that hands each callback to your
code and sends back its answer). Importing it imports the ``kirim`` package first (as any
``kirim.*`` import does, which loads the native module), but the simulator uses none of it;
``python -m kirim_simulator`` runs the same program without loading ``kirim`` at all, and
in-process use is ``from kirim_simulator import SimServer``. The control API is documented in
docs/simulator.md.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

from .http import Acknowledgement


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the simulator with these command-line arguments (default ``sys.argv[1:]``) until
    it is shut down; returns the exit status."""
    # Imported by name, not statically: the simulator is standard-library Python without type
    # annotations for mypy --strict, and stays outside the typed `kirim` package.
    simulator = importlib.import_module("kirim_simulator")
    status: int = simulator.main(None if argv is None else list(argv))
    return status


def default_config() -> Dict[str, Any]:
    """The simulator's configuration when nothing changed it (docs/simulator.md, Configuration):
    among others the credentials a test's ``PivotConfig``, ``GatewayConfig`` and
    ``PaperIdConfig`` present to it (``pivot_merchant_id``, ``pivot_merchant_secret``,
    ``pivot_callback_key``, ``gateway_platform_id``, ``gateway_platform_key``,
    ``gateway_auth_token``, ``paperid_callback_token``)."""
    simulator = importlib.import_module("kirim_simulator")
    config: Dict[str, Any] = simulator.default_config()
    return config


def control(url: str, path: str, body: Any = None, timeout: float = 30) -> Any:
    """One call of the simulator's control API (docs/simulator.md) at ``url``: GET without a
    body, POST with one (JSON); returns the parsed answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


class SimulatorProcess:
    """The simulator in a child process, on a free port (``--port 0 --port-file``), stopped by
    ``stop()`` (or leaving a ``with`` block). ``command`` runs another copy of it (default: the
    one in this wheel, ``python -m kirim.simulator``); ``max_seconds`` stops it by itself even
    if this process dies first; ``quiet`` sends its output to /dev/null."""

    def __init__(
        self, command: Optional[Sequence[str]] = None, max_seconds: float = 300, quiet: bool = False
    ) -> None:
        workdir = Path(tempfile.mkdtemp(prefix="kirim-simulator-"))
        port_file = workdir / "port"
        argv = list(command or [sys.executable, "-m", "kirim.simulator"])
        argv += ["--port", "0", "--port-file", str(port_file), "--max-seconds", str(max_seconds)]
        output = subprocess.DEVNULL if quiet else None
        self.process = subprocess.Popen(argv, cwd=workdir, stdout=output, stderr=output)
        deadline = time.monotonic() + 10
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("the simulator did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{int(port_file.read_text())}"

    def control(self, path: str, body: Any = None, timeout: float = 30) -> Any:
        """The control API, as ``control(self.url, ...)``."""
        return control(self.url, path, body, timeout)

    def stop(self) -> None:
        """Shuts it down (``POST /_sim/shutdown``), killing it if it does not end in 10 s."""
        try:
            if self.process.poll() is None:
                self.control("/_sim/shutdown", {})
        except OSError:
            pass  # already going: wait for it below
        finally:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        error: Optional[BaseException],
        trace: Optional[TracebackType],
    ) -> None:
        self.stop()


# provider (the path without its slashes: `/pivot` -> "pivot"), headers as received, the raw
# body, the sender's address (the TCP peer) -> the answer to send back.
CallbackHandler = Callable[[str, List[Tuple[str, str]], bytes, str], Acknowledgement]


class CallbackServer:
    """Your webhook endpoint, in miniature, on loopback: each ``POST /<provider>`` goes to
    ``handle(provider, headers, body, peer)`` (typically ``driver.handle_callback(provider,
    headers, body)``), and its ``Acknowledgement`` is sent back as it is. Serves from a daemon
    thread until ``close()``; ``port`` 0 is a free one (``url`` says which)."""

    def __init__(self, handle: CallbackHandler, port: int = 0) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                peer = str(self.client_address[0])
                ack = handle(self.path.strip("/"), list(self.headers.items()), body, peer)
                self.send_response(ack.status)
                for header in ack.headers:
                    self.send_header(header.name, header.value)
                self.send_header("Content-Length", str(len(ack.body)))
                self.end_headers()
                self.wfile.write(ack.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        class Server(ThreadingHTTPServer):
            # A restarted process gets its fixed port back at once.
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    sys.exit(main())

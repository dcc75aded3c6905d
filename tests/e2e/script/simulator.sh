# Sourced by tests/e2e/script/test and script/demo: starts the provider simulator on a free
# loopback port and stops it on exit, whatever happens (trap). Sets KIRIM_SIM_URL.
#
# `start_simulator wheel` runs it as a user without this repository would: the kirim wheel that
# tests/e2e/script/build kept, installed into a fresh virtual environment, started as
# `python -m kirim.simulator` from a working directory outside the repository with no
# PYTHONPATH, so nothing of the checkout is on its path. It also exports KIRIM_SIM_PID,
# KIRIM_SIM_LOG and KIRIM_SIM_VENV (tests/e2e/python/test_simulator_from_wheel.py checks them).
# `start_simulator` alone runs the checkout's copy (tests/simulator/kirim_sim.py), which needs no
# venv (the demo).
sim_dir="$(mktemp -d)"
sim_pid=""

stop_simulator() {
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    # Politely first (the control API), then by its own pid; never by name.
    python3 -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1] + "/_sim/shutdown", b"{}"), timeout=2)' \
      "${KIRIM_SIM_URL:-http://127.0.0.1:9}" >/dev/null 2>&1 || true
    for _ in $(seq 1 20); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$sim_dir"
}

# A fresh venv in $sim_dir/venv holding only the kirim wheel; prints its python.
simulator_venv_from_wheel() {
  local wheel
  wheel="$(ls "${KIRIM_TOOLS:?}"/e2e/wheel/kirim-*.whl 2>/dev/null | head -n1)"
  [ -n "$wheel" ] || { echo "no kept kirim wheel in $KIRIM_TOOLS/e2e/wheel: run tests/e2e/script/build" >&2; return 1; }
  # Without pip of its own (0.5 s instead of 9 s here); the wheel goes in with the pip of the
  # venv tests/e2e/script/build made (pip >= 22.3 for --python; a bare python3 may have none).
  local pip_python="${KIRIM_E2E_VENV:-$KIRIM_TOOLS/venvs/e2e-python}/bin/python"
  python3 -m venv --without-pip "$sim_dir/venv" >&2
  "$pip_python" -m pip --python "$sim_dir/venv/bin/python" install -q --disable-pip-version-check \
    --no-index --no-deps "$wheel" >&2
  echo "$sim_dir/venv/bin/python"
}

start_simulator() {
  trap stop_simulator EXIT
  trap 'exit 130' INT TERM
  local command
  if [ "${1:-}" = wheel ]; then
    local python
    python="$(simulator_venv_from_wheel)"
    mkdir -p "$sim_dir/cwd"
    export KIRIM_SIM_VENV="$sim_dir/venv"
    command=(env -u PYTHONPATH -C "$sim_dir/cwd" "$python" -m kirim.simulator)
  else
    command=(python3 tests/simulator/kirim_sim.py)
  fi
  # --max-seconds: even if this shell is killed hard, the simulator stops by itself.
  "${command[@]}" --port 0 --port-file "$sim_dir/port" --max-seconds 900 >"$sim_dir/log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 1 100); do  # 10 s at most
    [ -s "$sim_dir/port" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$sim_dir/log" >&2; echo "the simulator did not start" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$sim_dir/port" ] || { echo "the simulator did not start within 10 s" >&2; exit 1; }
  export KIRIM_SIM_URL="http://127.0.0.1:$(tr -d '[:space:]' <"$sim_dir/port")"
  export KIRIM_SIM_PID="$sim_pid" KIRIM_SIM_LOG="$sim_dir/log"
  echo "provider simulator on $KIRIM_SIM_URL (pid $sim_pid): $(head -n1 "$sim_dir/log")"
}

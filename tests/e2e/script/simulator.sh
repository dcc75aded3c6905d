# Sourced by tests/e2e/script/test and script/demo: starts the provider simulator on a free
# loopback port and stops it on exit, whatever happens (trap). Sets KIRIM_SIM_URL.
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

start_simulator() {
  trap stop_simulator EXIT
  trap 'exit 130' INT TERM
  # --max-seconds: even if this shell is killed hard, the simulator stops by itself.
  python3 tests/simulator/kirim_sim.py --port 0 --port-file "$sim_dir/port" --max-seconds 900 \
    >"$sim_dir/log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 1 100); do  # 10 s at most
    [ -s "$sim_dir/port" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$sim_dir/log" >&2; echo "the simulator did not start" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$sim_dir/port" ] || { echo "the simulator did not start within 10 s" >&2; exit 1; }
  export KIRIM_SIM_URL="http://127.0.0.1:$(tr -d '[:space:]' <"$sim_dir/port")"
  echo "provider simulator on $KIRIM_SIM_URL (pid $sim_pid)"
}

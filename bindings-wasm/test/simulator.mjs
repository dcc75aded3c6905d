// The provider simulator (tests/simulator/kirim_sim.py of the repository at `repo`) in a child
// process on a free port, for the tests that pay through it: `startSimulator` resolves once it
// listens, with its base URL, its control API (docs/simulator.md: GET without a body, POST with
// one) and `stop` (POST /_sim/shutdown, or a kill if it no longer answers).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startSimulator(repo) {
  const portFile = join(mkdtempSync(join(tmpdir(), 'kirim-sim-')), 'port');
  const child = spawn('python3', [join(repo, 'tests/simulator/kirim_sim.py'), '--port', '0', '--port-file', portFile,
    '--max-seconds', '300'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 10_000;
  while (!existsSync(portFile) || !readFileSync(portFile, 'utf8').endsWith('\n')) {
    assert.ok(Date.now() < deadline, 'the simulator did not start within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
  async function control(path, body) {
    const response = await fetch(base + path, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return response.json();
  }
  async function stop() {
    try {
      await control('/_sim/shutdown', {});
    } catch {
      child.kill();
    }
  }
  return { base, control, stop };
}

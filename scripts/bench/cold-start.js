// `kap-bridge serve` from spawn to listening (the "kap-bridge listening" line on stderr), as an
// operator waits for it after a restart: an existing database and key file in a fresh data
// folder (one unmeasured start creates them), the built-in sandbox destination, the default
// configuration otherwise. Figures: { coldStartMs }, the median of several starts.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cli, main, median, pick, say } = require('./lib');

function startOnce(dir) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const env = { ...process.env, PORT: '0', DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}` };
    delete env.KAP_BRIDGE_DESTINATIONS;
    delete env.KAP_BRIDGE_API_KEYS;
    const child = spawn(process.execPath, [cli, 'serve'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    let ms;
    child.stderr.on('data', (d) => {
      err += d;
      if (ms === undefined && err.includes('kap-bridge listening')) {
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) =>
      ms === undefined ? reject(new Error(`serve exited ${code}: ${err}`)) : resolve(ms),
    );
  });
}

main(async () => {
  const runs = pick({ full: 5, quick: 3, tiny: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-bench-start-'));
  try {
    if (pick({ full: true, quick: true, tiny: false })) await startOnce(dir); // creates the database and the key file
    const times = [];
    for (let r = 0; r < runs; r++) times.push(await startOnce(dir));
    say(
      `serve, spawn to listening: ${times.map((t) => t.toFixed(0)).join(', ')} ms; median ${median(times).toFixed(0)} ms`,
    );
    return { coldStartMs: Math.round(median(times)) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

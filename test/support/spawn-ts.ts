import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const REGISTER = path.join(__dirname, 'swc-register.js');

/**
 * Starts `node script.ts args…` with TypeScript support and resolves once the child prints
 * `marker` on stdout (so the caller can kill it at a known point). Rejects if it exits first.
 */
export function spawnTsUntil(script: string, args: string[], marker: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', REGISTER, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(marker)) resolve(child);
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before "${marker}": ${err}`)));
  });
}

/** Kills the child with SIGKILL (no chance to clean up: a crash) and waits until it is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

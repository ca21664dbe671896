import { spawn } from 'node:child_process';
import path from 'node:path';

const cli = path.join(__dirname, '../../dist/cli/main.js');

describe('kap-bridge sandbox', () => {
  test('prints its base URL, answers /fhir/metadata, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, 'sandbox', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /(http:\/\/127\.0\.0\.1:\d+\/fhir)/.exec(out);
        if (found?.[1]) resolve(found[1]);
      });
      child.once('exit', () => reject(new Error(`sandbox exited early: ${out}`)));
    });
    const metadata = await fetch(`${url}/metadata`);
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  test('refuses a port that is not a number: non-zero exit and a usage message', async () => {
    const child = spawn(process.execPath, [cli, 'sandbox', '--port', 'eighty'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toContain('expected an integer between 0 and 65535');
  });
});

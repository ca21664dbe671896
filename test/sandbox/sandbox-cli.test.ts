import { spawn } from 'node:child_process';
import path from 'node:path';

const cli = path.join(__dirname, '../../dist/entry/cli/main.js');

describe('kap-bridge sandbox', () => {
  test('prints its base URL and a generated token once on stderr; /fhir/metadata is open, a search needs the token; exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, 'sandbox', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    const [url, token] = await new Promise<[string, string]>((resolve, reject) => {
      const check = (): void => {
        const found = /(http:\/\/127\.0\.0\.1:\d+\/fhir)/.exec(out);
        const printed = /^sandbox token: (\S+)$/m.exec(err);
        if (found?.[1] && printed?.[1]) resolve([found[1], printed[1]]);
      };
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        check();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        check();
      });
      child.once('exit', () => reject(new Error(`sandbox exited early: ${out}${err}`)));
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const metadata = await fetch(`${url}/metadata`);
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
    expect((await fetch(`${url}/Patient`)).status).toBe(401);
    expect((await fetch(`${url}/Patient`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).not.toContain(token);
  });

  test('--token sets the token it requires, and is not printed back', async () => {
    const token = 'chosen-sandbox-token-0123456789';
    const child = spawn(process.execPath, [cli, 'sandbox', '--port', '0', '--token', token], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let printed = '';
    child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        printed += chunk.toString();
        const found = /(http:\/\/127\.0\.0\.1:\d+\/fhir)/.exec(printed);
        if (found?.[1]) resolve(found[1]);
      });
      child.once('exit', () => reject(new Error(`sandbox exited early: ${printed}`)));
    });
    expect((await fetch(`${url}/Patient`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect(
      (await fetch(`${url}/Patient`, { headers: { authorization: 'Bearer another-token-0123456789' } }))
        .status,
    ).toBe(401);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(printed).not.toContain(token);
  });

  test('refuses a --token shorter than 16 characters: non-zero exit and a usage message', async () => {
    const child = spawn(process.execPath, [cli, 'sandbox', '--port', '0', '--token', 'short'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toContain('expected at least 16 characters');
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

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFORMANCE_DIR } from './conformance-paths';

const cli = path.join(__dirname, '../../dist/entry/cli/main.js');
const cases = path.join(CONFORMANCE_DIR, 'hl7-validator/cases');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'validate', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kap-bridge validate', () => {
  test('when every file is valid, it prints a summary line and exits 0', () => {
    const r = run(path.join(cases, 'patient-min-none.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/1 file, 0 errors, \d+ warnings?/);
  });

  test('when a file breaks a rule, it names the element and exits 1', () => {
    const r = run(path.join(cases, 'patient-id-bad-1.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Patient.id');
  });

  test('when a file is not JSON, --format json reports one fatal issue for it and exits 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-validate-'));
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, '{"resourceType": "Patient",, }');
    const r = run('--format', 'json', dir);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as Array<{
      file: string;
      outcome: { issue: Array<{ severity: string }> };
    }>;
    expect(out).toHaveLength(1);
    expect(out[0]?.file).toBe(file);
    expect(out[0]?.outcome.issue.map((i) => i.severity)).toEqual(['fatal']);
  });

  test('when a path does not exist, it exits 2', () => {
    expect(run(path.join(os.tmpdir(), 'no-such-file-kap.json')).status).toBe(2);
  });

  test('when an option is unknown, it exits 2', () => {
    expect(run('--no-such-option', cases).status).toBe(2);
  });

  test('with --no-html-in-markdown, HTML in markdown becomes an error', () => {
    const file = path.join(cases, 'bad-markdown.json');
    expect(run(file).status).toBe(0);
    expect(run('--no-html-in-markdown', file).status).toBe(1);
  });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `kap-bridge validate` on the inputs of issue 10 (DESIGN.md §8 CLI: exit 1 when a file has
 * errors, a file that is not valid JSON counts; 2 only for usage or unreadable paths). Before,
 * each of these made the command exit 2 (an exception) or pass silently (duplicate keys,
 * invalid UTF-8 replaced by U+FFFD).
 */

const cli = path.join(__dirname, '../../dist/entry/cli/main.js');

function nest(depth: number, wrap: (inner: string) => string, core: string): string {
  let out = core;
  for (let i = 0; i < depth; i++) out = wrap(out);
  return out;
}

const FILES: Record<string, Buffer | string> = {
  'constructor-key.json': '{"resourceType":"Patient","constructor":{}}',
  'to-string-key.json': '{"resourceType":"Patient","name":[{"toString":"x","valueOf":1}]}',
  'deep-extensions.json': `{"resourceType":"Patient","extension":[${nest(3000, (x) => `{"url":"http://x.org","extension":[${x}]}`, '{"url":"http://x.org"}')}]}`,
  'deep-contained.json': nest(
    1100,
    (x) => `{"resourceType":"Patient","contained":[${x}]}`,
    '{"resourceType":"Patient"}',
  ),
  'depth-101.json': `{"resourceType":"Basic","extension":${nest(100, (x) => `[${x}]`, '1')}}`,
  'duplicate-keys.json': '{"resourceType":"Patient","active":true,"active":false}',
  'invalid-utf8.json': Buffer.concat([
    Buffer.from('{"resourceType":"Patient","id":"a'),
    Buffer.from([0xff]),
    Buffer.from('"}'),
  ]),
};

test('files with inherited keys, deep nesting, duplicate keys or invalid UTF-8 each get an error issue and the command exits 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-validate-strict-'));
  for (const [name, content] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, name), content);
  const r = spawnSync(process.execPath, [cli, 'validate', '--format', 'json', dir], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: '' });
  const out = JSON.parse(r.stdout) as Array<{
    file: string;
    outcome: { issue: Array<{ severity: string }> };
  }>;
  const failed = out.filter((f) =>
    f.outcome.issue.some((i) => i.severity === 'error' || i.severity === 'fatal'),
  );
  expect(failed.map((f) => path.basename(f.file)).sort()).toEqual(Object.keys(FILES).sort());
});

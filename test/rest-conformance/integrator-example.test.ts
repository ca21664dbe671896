import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { API_KEY, startKapBridgeUnderTest, type KapBridgeUnderTest } from './servers';

/**
 * README "For integrators" shows how to point fhir-kit-client at the sandbox and at `/fhir`. This
 * test runs that code block as written (between the `integrator-example` markers), against the
 * sandbox kap-bridge starts and kap-bridge itself, so the README cannot drift from what works.
 */

const ROOT = path.join(__dirname, '../..');

function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block =
    /<!-- integrator-example:start -->\n```js\n([\s\S]*?)```\n<!-- integrator-example:end -->/.exec(readme);
  if (!block?.[1]) throw new Error('README.md has no integrator example block');
  return block[1];
}

let k: KapBridgeUnderTest;
beforeAll(async () => {
  k = await startKapBridgeUnderTest();
}, 60_000);
afterAll(() => k.close());

test('the README integrator example runs: sandbox transaction with conditional references, paged patient search, $validate, POST /fhir', async () => {
  const lines: string[] = [];
  const run = vm.runInThisContext(
    `(async (require, console, SANDBOX, TOKEN, API, KEY) => {\n${readmeExample()}\n})`,
  ) as (...args: unknown[]) => Promise<void>;
  const sandbox = k.service.sandbox!;
  await run(
    require,
    { log: (line: string) => lines.push(line) },
    sandbox.url,
    sandbox.token,
    k.service.url,
    API_KEY,
  );
  expect(lines[0]).toMatch(/^sandbox: 3 of 3 updates for Patient\/\S+$/);
  expect(lines[1]).toBe('$validate: 1 error(s)');
  expect(lines[2]).toMatch(/^POST \/fhir: transaction-response, 201/);
});

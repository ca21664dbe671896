import fs from 'node:fs';
import path from 'node:path';
import { parseDestinations } from '../../src/bootstrap/compose';
import { ConfigError, readSettings, SETTING_NAMES } from '../../src/bootstrap/settings';

// One schema for every environment variable (DESIGN.md §9): the README's table is its
// documentation, and a rule the settings share with another parser lives in one place.

/** The variable names in the first column of README's "Configuration" table. */
function readmeVariables(): string[] {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.split('\n## Configuration\n')[1]?.split('\n### ')[0] ?? '';
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
}

test('README’s configuration table lists exactly the variables of the settings schema', () => {
  expect([...readmeVariables()].sort()).toEqual([...SETTING_NAMES].sort());
});

test('with nothing set, every variable reads as its default and nothing is refused', () => {
  const s = readSettings({});
  expect(s).toMatchObject({ PORT: 8080, KAP_BRIDGE_MAX_BATCH_ENTRIES: 200, KAP_BRIDGE_LEASE_MS: 120_000 });
});

test('bad values in several groups are all reported in one error, each under its own name', () => {
  let err: unknown;
  try {
    readSettings({ PORT: 'x', KAP_BRIDGE_LEASE_MS: '10', KAP_BRIDGE_RATE_LIMIT: '0' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).problems).toEqual([
    'PORT: "x" is not a TCP port (0–65535; 0 picks a free one)',
    'KAP_BRIDGE_RATE_LIMIT: "0" is not a positive whole number',
    'KAP_BRIDGE_LEASE_MS: "10" is not a whole number ≥ 5000',
  ]);
});

test.each(['-lakeside', '.hidden', '_x', 'a'.repeat(65), 'lake side'])(
  'a default destination "%s" that the destinations file could never register is refused',
  (id) => {
    expect(() => readSettings({ KAP_BRIDGE_DEFAULT_DESTINATION: id })).toThrow(
      /KAP_BRIDGE_DEFAULT_DESTINATION: must be a destination id/,
    );
    const file = parseDestinations([{ id, baseUrl: 'https://ehr.example.org/fhir', auth: { type: 'none' } }]);
    expect(file.ok).toBe(false);
  },
);

test.each(['lakeside-ehr', 'sandbox', 'a.b_c-9'])('a destination id "%s" is accepted by both', (id) => {
  expect(readSettings({ KAP_BRIDGE_DEFAULT_DESTINATION: id }).KAP_BRIDGE_DEFAULT_DESTINATION).toBe(id);
  const file = parseDestinations([{ id, baseUrl: 'https://ehr.example.org/fhir', auth: { type: 'none' } }]);
  expect(file.ok).toBe(true);
});

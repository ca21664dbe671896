import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, readMappingConfig } from '../../src/bootstrap/settings';
import { guardPatterns } from '../../src/domain/bounded-schema';
import { checkSchema, recordSchema, type SchemaName } from '../../src/domain/schema-check';
import { DEFAULT_MAX_SECTION_LENGTH, SECTION_LENGTH_CAP } from '../../src/domain/update-rules';

/** DESIGN.md §8: every free-text field has a maximum length, checked before any pattern. */

const NAMES: SchemaName[] = [
  'referral',
  'consent',
  'revocation',
  'revocation-request',
  'integration-update',
  'referral-status',
  'referral-status-request',
];
type Node = Record<string, unknown>;

/** Every schema node under `node` with its JSON pointer (field maps are not schemas). */
function nodes(node: Node, at = '#'): Array<[string, Node]> {
  const out: Array<[string, Node]> = [[at, node]];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties') {
      for (const [name, sub] of Object.entries(value as Node))
        out.push(...nodes(sub as Node, `${at}/${name}`));
    } else if (key === 'items' && typeof value === 'object') {
      out.push(...nodes(value as Node, `${at}/items`));
    }
  }
  return out;
}

describe('the record schemas bound every string and every array', () => {
  const all = NAMES.flatMap((name) => nodes(recordSchema(name) as Node).map(([at, n]) => ({ name, at, n })));

  test.each(all.filter(({ n }) => n.type === 'string').map((c) => ({ ...c, where: `${c.name} ${c.at}` })))(
    '$where is an enum or has a maxLength',
    ({ n }) => {
      expect('enum' in n || typeof n.maxLength === 'number').toBe(true);
    },
  );

  test.each(all.filter(({ n }) => n.type === 'array').map((c) => ({ ...c, where: `${c.name} ${c.at}` })))(
    '$where has a maxItems',
    ({ n }) => {
      expect(typeof n.maxItems).toBe('number');
    },
  );

  test('every update section is capped at SECTION_LENGTH_CAP, no smaller than the default bound', () => {
    const props = (recordSchema('integration-update') as { properties: Record<string, Node> }).properties;
    const observations = (props.observations!.properties ?? {}) as Record<string, Node>;
    const caps = [
      props.focus!.maxLength,
      ...Object.values(observations).map((o) => o.maxLength),
      (props.suggestions!.items as Node).maxLength,
    ];
    expect(caps).toEqual(caps.map(() => SECTION_LENGTH_CAP));
    expect(SECTION_LENGTH_CAP).toBeGreaterThanOrEqual(DEFAULT_MAX_SECTION_LENGTH);
  });
});

describe('length before pattern in the schema checks', () => {
  test('a pattern or format without a maxLength is refused when the schemas load', () => {
    const schema = { type: 'object', properties: { code: { type: 'string', pattern: '^a+$' } } };
    expect(() => guardPatterns(schema)).toThrow('#/properties/code: a pattern or format needs a maxLength');
  });

  test('a field named "pattern" is a field, not a keyword', () => {
    const schema = { type: 'object', properties: { pattern: { type: 'string', maxLength: 5 } } };
    expect(guardPatterns(schema)).toEqual(schema);
  });

  test('an instant over its maxLength is refused for its length only, not also for its form', () => {
    const body = { revokedAt: `2026-11-28T15:00:00-08:00${' '.repeat(100)}`, reason: 'moved away' };
    const issues = checkSchema('revocation-request', { ...body, receivedBy: 'Front desk', method: 'verbal' });
    expect(issues.map((i) => [i.expression, i.details?.text])).toEqual([
      [['revokedAt'], 'revokedAt is too long (at most 35 characters)'],
    ]);
  });

  test('within its maxLength, a malformed instant is still refused for its form', () => {
    const body = { revokedAt: 'yesterday', reason: 'moved away', receivedBy: 'Front desk', method: 'verbal' };
    expect(checkSchema('revocation-request', body).map((i) => i.details?.text)).toEqual([
      'revokedAt is not a valid instant with seconds and a time zone (e.g. 2026-11-02T16:20:00-08:00)',
    ]);
  });
});

describe('the configurable section bound stays within the schema cap', () => {
  test('KAP_BRIDGE_MAX_SECTION_LENGTH above the cap is refused, naming the variable', () => {
    const env = { KAP_BRIDGE_MAX_SECTION_LENGTH: String(SECTION_LENGTH_CAP + 1) };
    expect(() => readMappingConfig(env)).toThrow(ConfigError);
    expect(() => readMappingConfig(env)).toThrow(/KAP_BRIDGE_MAX_SECTION_LENGTH: \d+ is more than \d+/);
  });

  test('KAP_BRIDGE_MAX_SECTION_LENGTH at the cap is accepted', () => {
    const env = { KAP_BRIDGE_MAX_SECTION_LENGTH: String(SECTION_LENGTH_CAP) };
    expect(readMappingConfig(env).maxSectionLength).toBe(SECTION_LENGTH_CAP);
  });
});

describe('the lint refuses super-linear patterns', () => {
  jest.setTimeout(60_000); // each case starts the ESLint CLI
  // The project's own configuration, as `npm run lint` runs it (ESLint's API needs ES modules,
  // which jest's CommonJS runtime cannot load, so the CLI reads the code from stdin).
  const ruleIds = (code: string): string[] => {
    const run = spawnSync(
      process.execPath,
      [
        path.join(__dirname, '../../node_modules/eslint/bin/eslint.js'),
        '--stdin',
        '--stdin-filename',
        'src/domain/example.ts',
        '-f',
        'json',
      ],
      { cwd: path.join(__dirname, '../..'), input: code, encoding: 'utf8' },
    );
    const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string }> }>;
    return result!.messages.map((m) => m.ruleId);
  };

  test('a pattern with two quantifiers that trade characters fails regexp/no-super-linear-backtracking', () => {
    const code = 'export const EMAIL = /^[^\\s@]+@[^\\s@]+\\.[^\\s@]{2,}$/;\n';
    expect(ruleIds(code)).toContain('regexp/no-super-linear-backtracking');
  });

  test('an unanchored pattern that rescans from every start fails regexp/no-super-linear-move', () => {
    const code = "export const trim = (s: string): string => s.replace(/\\/+$/, '');\n";
    expect(ruleIds(code)).toContain('regexp/no-super-linear-move');
  });

  test('the linear rewrites pass', () => {
    const code =
      'export const EMAIL = /^[^\\s@]{1,64}@(?:[^\\s@.]+\\.)+[^\\s@.]{2,}$/;\n' +
      "export const trim = (s: string): string => s.replace(/(?<!\\/)\\/+$/, '');\n";
    expect(ruleIds(code)).toEqual([]);
  });
});

/**
 * Length before pattern (DESIGN.md §8, "Trust at the edge"). With `allErrors`, ajv evaluates
 * every keyword of a string even after `maxLength` has failed, so a `pattern` or a `format`
 * (ajv-formats' `date-time` splits its input, its `email` backtracks) would still read a
 * megabyte that is already refused. Before compiling, each string schema that has a `pattern` or
 * a `format` is rewritten so that those run only under an `if` on its own `maxLength`:
 *
 *   { type, maxLength, pattern, format, description }
 *   → { type, maxLength, description, if: { maxLength }, then: { pattern, format, description } }
 *
 * The outer `maxLength` still reports the refusal; the `then` branch carries the description so
 * that a pattern failure reads the same as before. A pattern or format without a `maxLength` is
 * a bug in the schema and throws when the schemas load.
 */

type SchemaNode = { [keyword: string]: unknown };

const GUARDED = ['pattern', 'format'] as const;
const MAPS = new Set(['properties', 'patternProperties', 'definitions']);

/** A deep copy of `schema` in which every `pattern`/`format` runs only within its `maxLength`. */
export function guardPatterns(schema: object): object {
  return guard(schema as SchemaNode, '#');
}

function guard(node: SchemaNode, at: string): SchemaNode {
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    // `properties` maps field names (which may be "pattern" or "format") to schemas.
    out[key] = MAPS.has(key) ? copyMap(value as SchemaNode, `${at}/${key}`) : copy(value, `${at}/${key}`);
  }
  if (!GUARDED.some((k) => k in out)) return out;
  if (typeof out.maxLength !== 'number') {
    throw new Error(`schema ${at}: a pattern or format needs a maxLength, checked before it`);
  }
  if ('if' in out) throw new Error(`schema ${at}: a guarded string cannot have its own if/then`);
  const then: SchemaNode = { type: 'string' };
  for (const k of GUARDED) {
    if (k in out) then[k] = out[k];
    delete out[k];
  }
  if (typeof out.description === 'string') then.description = out.description;
  out.if = { type: 'string', maxLength: out.maxLength };
  out.then = then;
  return out;
}

function copy(value: unknown, at: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => copy(v, `${at}/${i}`));
  if (typeof value === 'object' && value !== null) return guard(value as SchemaNode, at);
  return value;
}

function copyMap(map: SchemaNode, at: string): SchemaNode {
  const out: SchemaNode = {};
  for (const [name, schema] of Object.entries(map)) out[name] = copy(schema, `${at}/${name}`);
  return out;
}

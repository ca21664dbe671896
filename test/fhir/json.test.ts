import { MAX_JSON_DEPTH, parseJsonBytes, parseJsonText } from '../../src/fhir/json';
import table from '../../fixtures/http/malformed-json.json';

/** `depth` nested arrays around a 0: the outermost array is level 1. */
const nested = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;
const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('the strict JSON parser at every boundary', () => {
  test.each(table.cases)('$name is refused at line $line, column $column', ({ text, line, column }) => {
    expect(parseJsonText(text)).toMatchObject({ ok: false, line, column });
  });

  test.each(table.valid)('valid JSON %j parses to what JSON.parse gives', (text) => {
    expect(parseJsonText(text)).toMatchObject({ ok: true, value: JSON.parse(text) as unknown });
  });

  test('when a key appears twice in one object, the document is refused at the second', () => {
    expect(parseJsonText('{"resourceType":"Patient",\n "resourceType":"Group"}')).toMatchObject({
      ok: false,
      message: "Duplicated property name 'resourceType'",
      line: 2,
    });
  });

  test('nesting of exactly 100 levels is accepted, 101 levels are refused', () => {
    expect(MAX_JSON_DEPTH).toBe(100);
    expect(parseJsonText(nested(100)).ok).toBe(true);
    expect(parseJsonText(nested(101))).toMatchObject({
      ok: false,
      message: 'Nesting deeper than 100 levels',
      column: 101,
    });
  });

  test('nesting far deeper than the stack allows is refused as a value, not a RangeError', () => {
    expect(parseJsonText(nested(200_000))).toMatchObject({ ok: false, column: 101 });
    const extensions = '{"extension":['.repeat(3000) + ']}'.repeat(3000);
    expect(parseJsonBytes(Buffer.from(extensions)).ok).toBe(false);
  });

  test('invalid UTF-8 bytes are refused where they start, never replaced by U+FFFD', () => {
    const bad = bytes('{"resourceType":"Patient",\n "id":"ab', [0xff], '"}');
    expect(parseJsonBytes(bad)).toMatchObject({
      ok: false,
      message: 'Invalid UTF-8 byte sequence',
      line: 2,
      column: 10,
    });
    // An overlong encoding of '/' and a lone surrogate (CESU) are not UTF-8 either.
    expect(parseJsonBytes(bytes('["', [0xc0, 0xaf], '"]')).ok).toBe(false);
    expect(parseJsonBytes(bytes('["', [0xed, 0xa0, 0x80], '"]')).ok).toBe(false);
    // A body cut inside a multi-byte character.
    expect(parseJsonBytes(bytes('["caf', [0xc3])).ok).toBe(false);
  });

  test('valid multi-byte UTF-8 and a byte order mark are accepted', () => {
    const good = bytes([0xef, 0xbb, 0xbf], '{"name":"Zoë 李"}');
    expect(parseJsonBytes(good)).toMatchObject({ ok: true, value: { name: 'Zoë 李' } });
  });

  test('inherited property names are plain own keys of the parsed object', () => {
    const parsed = parseJsonText('{"__proto__":{"polluted":1},"constructor":{},"toString":"x"}');
    expect(parsed.ok).toBe(true);
    const value = (parsed as { value: Record<string, unknown> }).value;
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});

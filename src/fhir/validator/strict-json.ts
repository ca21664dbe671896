import { ownProperty } from '../own-property';

/**
 * A strict JSON parser for FHIR JSON (https://hl7.org/fhir/R4/json.html). `JSON.parse` accepts
 * duplicate keys (last wins) and forgets how a number was written, so `1.0` in an integer element
 * would pass; FHIR forbids both. This parser rejects comments, trailing commas and duplicate
 * property names, and keeps the literal text of every number that is not a plain integer.
 * Nesting is bounded (DESIGN.md §8 "Trust at the edge": deeper than 100 levels is refused), which
 * also bounds this recursive-descent parser's stack and that of every walk over what it returns.
 */

/** The deepest nesting of objects and arrays accepted (the outermost value is level 1). */
export const MAX_JSON_DEPTH = 100;

/** Where a number's literal text is kept: the containing object/array, then its key/index. */
export type NumberLexemes = WeakMap<object, Map<string | number, string>>;

export type StrictJsonResult =
  | { ok: true; value: unknown; numberLexemes: NumberLexemes }
  | { ok: false; message: string; line: number; column: number; offset: number };

/** Options of `parseStrictJson`. */
export interface StrictJsonOptions {
  /** Deepest nesting accepted; `MAX_JSON_DEPTH` unless given. */
  maxDepth?: number;
  /**
   * Skip `// …` and `/* … *\/` comments as white space (the HL7 validator's `allow-comments`, for
   * hand-written examples); a comment left open is still an error.
   */
  allowComments?: boolean;
}

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Parses `text` strictly; returns a position (1-based line and column) when it is not JSON. */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): StrictJsonResult {
  const parser = new Parser(text, options.maxDepth ?? MAX_JSON_DEPTH, options.allowComments === true);
  try {
    const value = parser.parseDocument();
    return { ok: true, value, numberLexemes: parser.lexemes };
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    const before = text.slice(0, err.offset).split('\n');
    return {
      ok: false,
      message: err.message,
      line: before.length,
      column: (before[before.length - 1]?.length ?? 0) + 1,
      offset: err.offset,
    };
  }
}

class Parser {
  readonly lexemes: NumberLexemes = new WeakMap();
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    private readonly allowComments: boolean,
  ) {}

  parseDocument(): unknown {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1; // a UTF-8 byte order mark is tolerated
    const value = this.parseValue(undefined, '');
    this.skipWs();
    if (this.pos < this.text.length) this.fail(`Unexpected content after the JSON value`);
    return value;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  private failAt(offset: number, message: string): never {
    throw new JsonSyntaxError(message, offset);
  }

  private skipWs(): void {
    for (;;) {
      while (this.pos < this.text.length && WS.has(this.text[this.pos] as string)) this.pos++;
      const line = this.text.startsWith('//', this.pos);
      if (!line && !this.text.startsWith('/*', this.pos)) return;
      if (!this.allowComments) this.fail('Comments are not allowed in JSON');
      const end = line ? this.text.indexOf('\n', this.pos) : this.text.indexOf('*/', this.pos + 2);
      if (end < 0 && !line) this.fail('A comment is not closed');
      this.pos = end < 0 ? this.text.length : line ? end + 1 : end + 2;
    }
  }

  private parseValue(parent: object | undefined, key: string | number): unknown {
    this.skipWs();
    const ch = this.text[this.pos];
    if (ch === '{' || ch === '[') return this.parseContainer(ch);
    if (ch === '"') return this.parseString();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match || match[0] === '') this.fail(`Unexpected character '${ch ?? 'end of input'}'`);
    this.pos += match[0].length;
    if (parent && /[.eE]/.test(match[0])) this.recordLexeme(parent, key, match[0]);
    return Number(match[0]);
  }

  private recordLexeme(parent: object, key: string | number, lexeme: string): void {
    let map = this.lexemes.get(parent);
    if (!map) this.lexemes.set(parent, (map = new Map()));
    map.set(key, lexeme);
  }

  private parseContainer(open: '{' | '['): unknown {
    if (++this.depth > this.maxDepth) this.fail(`Nesting deeper than ${this.maxDepth} levels`);
    const value = open === '{' ? this.parseObject() : this.parseArray();
    this.depth--;
    return value;
  }

  private parseObject(): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return obj;
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.pos] !== '"') this.fail('Expected a property name in double quotes');
      const key = this.parseString();
      if (Object.prototype.hasOwnProperty.call(obj, key))
        this.fail(`Duplicated property name '${shorten(key)}'`);
      this.skipWs();
      if (this.text[this.pos] !== ':') this.fail(`Expected ':' after property name '${shorten(key)}'`);
      this.pos++;
      const value = this.parseValue(obj, key);
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipWs();
      const next = this.text[this.pos++];
      if (next === '}') return obj;
      if (next !== ',') this.failAt(this.pos - 1, `Expected ',' or '}' in an object`);
    }
  }

  private parseArray(): unknown[] {
    const arr: unknown[] = [];
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.parseValue(arr, arr.length));
      this.skipWs();
      const next = this.text[this.pos++];
      if (next === ']') return arr;
      if (next !== ',') this.failAt(this.pos - 1, `Expected ',' or ']' in an array`);
    }
  }

  private parseString(): string {
    let out = '';
    this.pos++;
    for (;;) {
      const start = this.pos;
      while (this.pos < this.text.length) {
        const c = this.text.charCodeAt(this.pos);
        if (c === 0x22 || c === 0x5c || c < 0x20) break;
        this.pos++;
      }
      out += this.text.slice(start, this.pos);
      const ch = this.text[this.pos];
      if (ch === undefined) this.fail('Unterminated string');
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch !== '\\') this.fail('Control characters must be escaped in JSON strings');
      out += this.parseEscape();
    }
  }

  private parseEscape(): string {
    const backslash = this.pos;
    const esc = this.text[this.pos + 1] ?? '';
    this.pos += 2;
    const escaped = ownProperty(ESCAPES, esc);
    if (escaped !== undefined) return escaped;
    if (esc === 'u') {
      const hex = this.text.slice(this.pos, this.pos + 4);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.failAt(backslash, 'Invalid \\u escape');
      this.pos += 4;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.failAt(backslash, `Invalid escape '\\${esc}'`);
  }
}

/** A property name as quoted in a message: long ones cut, so a message stays one short line. */
function shorten(key: string): string {
  return key.length > 40 ? `${key.slice(0, 40)}…` : key;
}

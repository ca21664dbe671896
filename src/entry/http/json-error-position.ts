/**
 * Finds where a JSON text stops being JSON, as line and column. `JSON.parse`'s own messages
 * quote the body (V8: `Unexpected token 'x', "…" is not valid JSON`), which would echo PHI into
 * responses and logs, so the HTTP layer reports a position computed here instead.
 */

/** Where parsing failed: 1-based line and column, 0-based character offset. */
export interface JsonErrorPosition {
  line: number;
  column: number;
  offset: number;
}

class Stop extends Error {
  constructor(readonly offset: number) {
    super('stop');
  }
}

const LITERALS = ['true', 'false', 'null'];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// RFC 8259 §7: control characters U+0000–U+001F must be escaped inside strings.
// eslint-disable-next-line no-control-regex
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y;

/** The position of the first syntax error in `text`, or `undefined` when it is valid JSON. */
export function locateJsonError(text: string): JsonErrorPosition | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.value();
    scanner.ws();
    if (scanner.pos < text.length) throw new Stop(scanner.pos);
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    const before = text.slice(0, err.offset).split('\n');
    const last = before[before.length - 1] ?? '';
    return { line: before.length, column: last.length + 1, offset: err.offset };
  }
}

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  ws(): void {
    while (/[ \t\n\r]/.test(this.text.charAt(this.pos))) this.pos++;
  }

  value(): void {
    this.ws();
    const c = this.text.charAt(this.pos);
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    const literal = LITERALS.find((l) => this.text.startsWith(l, this.pos));
    if (literal) {
      this.pos += literal.length;
      return;
    }
    this.match(NUMBER);
  }

  private object(): void {
    this.pos++;
    this.ws();
    if (this.text.charAt(this.pos) === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.text.charAt(this.pos) !== '"') throw new Stop(this.pos);
      this.string();
      this.expect(':');
      this.value();
      if (this.endOf('}')) return;
    }
  }

  private array(): void {
    this.pos++;
    this.ws();
    if (this.text.charAt(this.pos) === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      if (this.endOf(']')) return;
    }
  }

  /** After a member: `,` continues (false), `close` ends (true), anything else stops. */
  private endOf(close: string): boolean {
    this.ws();
    const c = this.text.charAt(this.pos);
    if (c === ',' || c === close) {
      this.pos++;
      return c === close;
    }
    throw new Stop(this.pos);
  }

  private string(): void {
    this.pos++;
    STRING_BODY.lastIndex = this.pos;
    STRING_BODY.exec(this.text);
    this.pos = STRING_BODY.lastIndex;
    if (this.text.charAt(this.pos) !== '"') throw new Stop(this.pos);
    this.pos++;
  }

  private expect(c: string): void {
    this.ws();
    if (this.text.charAt(this.pos) !== c) throw new Stop(this.pos);
    this.pos++;
  }

  private match(re: RegExp): void {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m || m[0].length === 0) throw new Stop(this.pos);
    this.pos = re.lastIndex;
  }
}

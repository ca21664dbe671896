/**
 * A syntax check of SNOMED CT Expression Constraint Language (ECL 2.x,
 * https://confluence.ihtsdotools.org/display/DOCECL), the value of a `constraint` filter on SNOMED CT
 * in a ValueSet (https://hl7.org/fhir/R4/snomedct.html#filter). Only the grammar is judged — whether
 * the concepts exist needs SNOMED CT itself. Returns why the text is not ECL, or undefined.
 *
 * Covered: constraint operators (`<`, `<<`, `<!`, `<<!`, `>`, `>>`, `>!`, `>>!`, `!!>`, `!!<`),
 * member-of (`^`), concept ids with an optional `|term|`, the wildcard `*`, parentheses, `AND`,
 * `OR`, `MINUS` and `,`, dotted attributes (`.`), refinements (`:`) with attribute groups `{}`,
 * cardinalities `[m..n]`, reverse attributes `R`, and the comparisons `=`, `!=`, `<`, `<=`, `>`,
 * `>=` against expressions, `#` numbers and `"strings"`. Comments (`/* *\/`) are skipped.
 */
const MAX_ECL = 10_000;

class EclError extends Error {}

export function eclSyntaxError(text: string): string | undefined {
  if (text.length > MAX_ECL) return `longer than ${MAX_ECL} characters`;
  const p = new EclParser(text.replace(/\/\*[\s\S]*?\*\//g, ' '));
  try {
    p.expression();
    p.ws();
    if (!p.atEnd()) p.fail('unexpected text');
    return undefined;
  } catch (err) {
    if (err instanceof EclError) return err.message;
    throw err;
  }
}

const CONSTRAINT_OPERATORS = ['<<!', '<<', '<!', '<', '>>!', '>>', '>!', '>', '!!>', '!!<'];
const WORD_OPERATORS = [
  'descendantOrSelfOf',
  'descendantOf',
  'childOrSelfOf',
  'childOf',
  'ancestorOrSelfOf',
  'ancestorOf',
  'parentOrSelfOf',
  'parentOf',
];
const COMPARISONS = ['!=', '<=', '>=', '=', '<', '>'];
const SCTID = /^[1-9][0-9]{5,17}/;
const NUMBER = /^[+-]?[0-9]+(\.[0-9]+)?/;

class EclParser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(why: string): never {
    throw new EclError(`${why} at character ${this.pos + 1}`);
  }

  ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  private peek(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  private eat(s: string): boolean {
    this.ws();
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  /** A keyword (AND, OR, MINUS, R) followed by something that is not part of a word. */
  private keyword(word: string): boolean {
    this.ws();
    const next = this.text.slice(this.pos, this.pos + word.length);
    if (next.toUpperCase() !== word) return false;
    const after = this.text[this.pos + word.length];
    if (after !== undefined && /[A-Za-z0-9]/.test(after)) return false;
    this.pos += word.length;
    return true;
  }

  /** expression = sub ( (AND|OR|MINUS|,) sub )* | sub ('.' sub)* | sub ':' refinement */
  expression(): void {
    if (++this.depth > 100) this.fail('nested too deeply');
    this.subExpression();
    if (this.eat(':')) {
      this.refinement();
    } else {
      while (this.eat('.')) this.subExpression();
      for (;;) {
        if (this.keyword('AND') || this.keyword('OR') || this.keyword('MINUS') || this.eat(',')) {
          this.subExpression();
          if (this.eat(':')) this.refinement();
        } else break;
      }
    }
    this.depth--;
  }

  private subExpression(): void {
    this.ws();
    for (const op of CONSTRAINT_OPERATORS) if (this.eat(op)) break;
    for (const op of WORD_OPERATORS) if (this.keyword(op.toUpperCase())) break;
    this.eat('^');
    this.ws();
    if (this.eat('(')) {
      this.expression();
      if (!this.eat(')')) this.fail("expected ')'");
    } else if (!this.eat('*')) {
      this.conceptReference();
    }
  }

  private conceptReference(): void {
    this.ws();
    const m = SCTID.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a concept id, `*` or `(`');
    this.pos += m[0].length;
    if (this.eat('|')) {
      const end = this.text.indexOf('|', this.pos);
      if (end < 0) this.fail("a term is not closed with '|'");
      this.pos = end + 1;
    }
  }

  /** refinement = sub-refinement ((AND|OR|,) sub-refinement)* */
  private refinement(): void {
    this.subRefinement();
    while (this.keyword('AND') || this.keyword('OR') || this.eat(',')) this.subRefinement();
  }

  private subRefinement(): void {
    this.ws();
    this.cardinality();
    if (this.eat('{')) {
      this.refinement();
      if (!this.eat('}')) this.fail("expected '}'");
    } else if (this.eat('(')) {
      this.refinement();
      if (!this.eat(')')) this.fail("expected ')'");
    } else {
      this.attribute();
    }
  }

  private cardinality(): void {
    if (!this.eat('[')) return;
    this.ws();
    const m = /^([0-9]+)\s*\.\.\s*([0-9]+|\*)\s*\]/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a cardinality [min..max]');
    this.pos += m[0].length;
  }

  private attribute(): void {
    this.keyword('R');
    this.subExpression();
    this.ws();
    const op = COMPARISONS.find((c) => this.peek(c));
    if (!op) this.fail('expected a comparison operator');
    this.pos += op.length;
    this.ws();
    if (this.eat('#')) {
      const m = NUMBER.exec(this.text.slice(this.pos));
      if (!m) this.fail('expected a number after #');
      this.pos += m[0].length;
    } else if (this.eat('"')) {
      const end = this.text.indexOf('"', this.pos);
      if (end < 0) this.fail('a string is not closed');
      this.pos = end + 1;
    } else {
      this.subExpression();
    }
  }
}

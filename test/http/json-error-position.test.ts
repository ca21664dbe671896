import { locateJsonError } from '../../src/entry/http/json-error-position';
import table from '../../fixtures/http/malformed-json.json';

describe('locateJsonError', () => {
  test.each(table.cases)('$name fails at line $line, column $column', ({ text, line, column }) => {
    expect(() => JSON.parse(text)).toThrow(); // the case really is malformed
    expect(locateJsonError(text)).toMatchObject({ line, column });
  });

  test.each(table.valid)('valid JSON %j has no error position', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(locateJsonError(text)).toBeUndefined();
  });
});

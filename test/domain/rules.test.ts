import { daysInMonth, isRealDate, isRealInstant } from '../../src/domain/calendar';
import { looksLikeMarkup } from '../../src/domain/free-text';
import { isValidNpi } from '../../src/domain/npi';
import { parseIntegrationUpdate } from '../../src/domain/parse-records';
import { toFieldPath } from '../../src/domain/schema-check';
import { FIXTURES, readJson } from './record-cases';
import { join } from 'node:path';

describe('NPI check digit (Luhn over 80840 + the first nine digits)', () => {
  test.each([
    ['1234567893', true],
    ['1497758544', true],
    ['1326044793', true],
    ['1234567890', false],
    ['1497758545', false],
    ['123456789', false],
    ['12345678930', false],
    ['123456789X', false],
  ])('%s → %s', (npi, valid) => expect(isValidNpi(npi)).toBe(valid));
});

describe('real calendar dates and instants', () => {
  test.each([
    ['2026-02-28', true],
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2026-02-29', false],
    ['2026-02-30', false],
    ['2026-04-31', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-1-10', false],
  ])('date %s → %s', (d, ok) => expect(isRealDate(d)).toBe(ok));

  test.each([
    ['2026-11-02T16:20:00-08:00', true],
    ['2026-11-02T16:20:00.123Z', true],
    ['2026-11-02T16:20:00+14:00', true],
    ['2026-11-02T16:20:00+14:30', false],
    ['2026-11-02T16:20:00', false],
    ['2026-11-02T16:20-08:00', false],
    ['2026-11-02T24:00:00Z', false],
    ['2026-11-31T10:00:00Z', false],
  ])('instant %s → %s', (d, ok) => expect(isRealInstant(d)).toBe(ok));
});

describe('days in a month (the one Gregorian table the validator, the records and consent periods share)', () => {
  test.each([
    [2026, 1, 31],
    [2026, 2, 28],
    [2024, 2, 29],
    [1900, 2, 28],
    [2000, 2, 29],
    [2026, 4, 30],
    [2026, 12, 31],
    [2026, 13, 0],
  ])('%i-%i has %i days', (year, month, days) => expect(daysInMonth(year, month)).toBe(days));
});

describe('free text that looks like HTML or script', () => {
  test.each([
    ['<script>alert(1)</script>', true],
    ['<b>bold</b>', true],
    ['<!-- comment -->', true],
    ['javascript:alert(1)', true],
    ['x onerror="alert(1)"', true],
    ['Tom &amp; Jerry', true],
    ['Felt 3 < 5 on the anxiety scale, and > 2 later', false],
    ['Zoë O\'Connor-Nuñez said "lighter"', false],
    ['Body scan & breathing', false],
  ])('%s → %s', (text, markup) => expect(looksLikeMarkup(text)).toBe(markup));
});

describe('field paths in OperationOutcome expressions', () => {
  test.each([
    ['/client/birthDate', undefined, 'client.birthDate'],
    ['/share/1', undefined, 'share[1]'],
    ['/client/name/given/0', undefined, 'client.name.given[0]'],
    ['', 'insurance', 'insurance'],
    ['/client', 'ssn', 'client.ssn'],
  ])('%s + %s → %s', (pointer, child, path) => expect(toFieldPath(pointer, child)).toBe(path));
});

describe('the section bound is configurable', () => {
  const update = readJson(join(FIXTURES, 'records', 'update-all-observations.json'));
  test('when the bound is above every section, the update is accepted', () => {
    expect(parseIntegrationUpdate(update, { maxSectionLength: 200 }).ok).toBe(true);
  });
  test('when the bound is below a section, that section is refused by name', () => {
    const r = parseIntegrationUpdate(update, { maxSectionLength: 60 });
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : (r.outcome.issue ?? []).map((i) => i.expression?.[0]);
    expect(paths).toEqual(['observations.emotional', 'observations.cognitive', 'observations.sensory']);
  });
});

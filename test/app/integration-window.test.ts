import cases from '../../fixtures/integration-window/cases.json';
import { integrationWindowClose, integrationWindowStatus } from '../../src/domain/integration-window';

describe('integration window close', () => {
  test.each(cases)('$situation', ({ sessionDate, timeZone, close }) => {
    expect(integrationWindowClose(sessionDate, timeZone).toISOString()).toBe(close);
  });
});

describe('integration window status', () => {
  const deadline = new Date('2026-11-24T07:59:59.000Z');
  test('more than a day before the close, the item is open', () => {
    expect(integrationWindowStatus(deadline, new Date('2026-11-23T07:00:00Z'))).toBe('open');
  });
  test('with less than 24 h left, the item is at risk', () => {
    expect(integrationWindowStatus(deadline, new Date('2026-11-23T08:00:00Z'))).toBe('at-risk');
  });
  test('after the close, the item is late', () => {
    expect(integrationWindowStatus(deadline, new Date('2026-11-24T08:00:00Z'))).toBe('late');
  });
});

test('a close asked for again is the same instant, in a Date of its own, per zone', () => {
  const first = integrationWindowClose('2026-11-20', 'America/Los_Angeles');
  first.setTime(0); // a caller changing its Date does not change the next answer
  const again = integrationWindowClose('2026-11-20', 'America/Los_Angeles');
  expect(again.toISOString()).toBe('2026-11-24T07:59:59.000Z');
  expect(integrationWindowClose('2026-11-20', 'America/New_York').toISOString()).toBe(
    '2026-11-24T04:59:59.000Z',
  );
});

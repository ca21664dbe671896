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

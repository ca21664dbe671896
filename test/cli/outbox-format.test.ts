import type { OperationOutcome } from '@medplum/fhirtypes';
import { formatRows } from '../../src/entry/cli/commands/outbox-format';
import type { OutboxRow } from '../../src/app/ports/store-port';

function row(over: Partial<OutboxRow>): OutboxRow {
  const at = new Date('2026-11-21T18:00:00Z');
  return {
    id: 'row-1',
    itemKey: 'lakeside-ehr|Communication/update-UPD-1/_history/1',
    destinationId: 'lakeside-ehr',
    patientMrn: 'KAP-000123',
    recipientNpi: '1234567893',
    resourceType: 'Communication',
    resourceId: 'update-UPD-1',
    resourceVersion: 1,
    state: 'queued',
    attempts: 0,
    nextAttemptAt: null,
    leaseOwner: null,
    leaseUntil: null,
    deadline: null,
    late: false,
    lastOutcome: null,
    consentRef: null,
    createdAt: at,
    updatedAt: at,
    deliveredAt: null,
    ...over,
  };
}

const waiting: OperationOutcome = {
  resourceType: 'OperationOutcome',
  issue: [
    {
      severity: 'error',
      code: 'not-found',
      details: {
        text: 'destination "lakeside-ehr" is not registered: the item waits until it is configured',
      },
    },
  ],
};

describe('outbox rows as text', () => {
  test('a row waiting for a retry says why, and when it is due', () => {
    const due = new Date('2026-11-21T18:05:00Z');
    const lines = formatRows([
      row({ state: 'retry-wait', attempts: 1, lastOutcome: waiting, nextAttemptAt: due }),
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('retry-wait');
    expect(lines[0]).toContain('next 2026-11-21T18:05:00.000Z');
    expect(lines[1]).toBe(
      '      last: error: destination "lakeside-ehr" is not registered: the item waits until it is configured',
    );
  });

  test('a queued row without an outcome stays on one line', () => {
    expect(formatRows([row({})])).toHaveLength(1);
  });
});

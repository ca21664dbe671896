import type { Communication, Consent } from '@medplum/fhirtypes';
import scenarios from '../../fixtures/ingest/scenarios.json';
import type { OutboxRow } from '../../src/app/ports/store-port';
import { loadRecord, type IngestHarness } from './ingest-harness';

export { scenarios };

type RowSpec = [string, string, string];
const spec = (rows: OutboxRow[]): RowSpec[] =>
  rows
    .map((r): RowSpec => [r.resourceType, r.state, r.destinationId])
    .sort((a, b) => a.join().localeCompare(b.join()));
const sorted = (rows: string[][]): string[][] => [...rows].sort((a, b) => a.join().localeCompare(b.join()));

type Step = (typeof scenarios)[number]['steps'][number];

/** Runs one scenario's steps and checks each step's status and outbox rows. */
export async function runScenario(h: IngestHarness, steps: Step[]): Promise<void> {
  for (const step of steps) {
    h.setNow(step.at);
    const input = loadRecord(step.file, 'patch' in step ? step.patch : undefined);
    const result = await h.run(step.kind, input);
    const where = `${step.kind} ${step.file} at ${step.at}`;
    expect({
      where,
      status: result.status,
      issues: result.status === 'rejected' ? result.outcome : null,
    }).toEqual({
      where,
      status: step.status,
      issues: null,
    });
    expect(spec(result.outbox)).toEqual(sorted(step.outbox));
    expect(spec(result.changed)).toEqual(sorted(step.changed));
    if ('version' in step) expect(result.version).toBe(step.version);
    if ('deadline' in step) expect(result.outbox[0]?.deadline?.toISOString()).toBe(step.deadline);
    if ('basedOn' in step) await expectLiteralBasedOn(h, result.outbox[0]);
    if ('consentStatus' in step) await expectConsentStatus(h, result.outbox[0], step.consentStatus as string);
  }
}

/**
 * The stored Communication points at the ServiceRequest literally whatever the consent says at
 * ingest: the logical form is chosen when sending (src/outbox/based-on.ts).
 */
async function expectLiteralBasedOn(h: IngestHarness, row: OutboxRow | undefined): Promise<void> {
  const stored = row && (await h.store.getResource(row.resourceType, row.resourceId, row.resourceVersion));
  const communication = stored?.resource as Communication | undefined;
  expect(communication?.basedOn).toEqual([
    { reference: expect.stringMatching(/^ServiceRequest\/referral-/) },
  ]);
}

async function expectConsentStatus(
  h: IngestHarness,
  row: OutboxRow | undefined,
  status: string,
): Promise<void> {
  const stored = row && (await h.store.getResource('Consent', row.resourceId, row.resourceVersion));
  expect((stored?.resource as Consent | undefined)?.status).toBe(status);
}

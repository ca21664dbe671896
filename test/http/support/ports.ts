import type { Bundle, BundleEntry, CapabilityStatement, OperationOutcome } from '@medplum/fhirtypes';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { parseApiKeys } from '../../../src/entry/http/api-keys';
import type { AppDeps, IngestReply, Scope } from '../../../src/entry/http/app-deps';
import { createLogger } from '../../../src/entry/http/logging';
import { createMetrics } from '../../../src/entry/http/metrics';
import { allOk, errorOutcome } from '../../../src/fhir/outcomes';
import { OUTBOX_STATES } from '../../../src/outbox';

/**
 * Small in-memory implementations of the ports, behaving like the real use cases where the HTTP
 * layer depends on it: idempotent ingest by record id (same content → unchanged, changed →
 * updated), unknown fields refused with an expression, transactions all-or-nothing.
 */

export const KEYS: Record<string, { key: string; scopes: Scope[] }> = {
  all: { key: 'all-scopes-key-0123456789', scopes: ['ingest', 'validate', 'ops', 'audit'] },
  ingest: { key: 'ingest-only-key-0123456789', scopes: ['ingest'] },
  validate: { key: 'validate-only-key-0123456789', scopes: ['validate'] },
  ops: { key: 'ops-only-key-0123456789', scopes: ['ops'] },
  audit: { key: 'audit-only-key-0123456789', scopes: ['audit'] },
};

export const bearer = (name: keyof typeof KEYS) => `Bearer ${KEYS[name]!.key}`;

const FIELDS: Record<string, string[]> = {
  referral: ['id', 'receivedAt', 'source', 'client', 'referringClinician', 'reason', 'priority', 'note'],
  consent: [
    'id',
    'referralId',
    'clientMrn',
    'recipientNpi',
    'decision',
    'share',
    'validFrom',
    'validUntil',
    'signedAt',
    'signedBy',
    'representative',
    'document',
  ],
  update: [
    'id',
    'referralId',
    'sessionDate',
    'sessionNumber',
    'author',
    'focus',
    'observations',
    'suggestions',
    'writtenAt',
  ],
  revocation: ['revokedAt', 'reason', 'receivedBy', 'method'],
  'referral-status': ['status', 'at', 'reason'],
};

/** An in-memory record store with the ingest semantics of DESIGN.md §8. */
export class MemoryIngest {
  readonly records = new Map<string, string>();
  /** When set, the next ingest throws it (a bug in a use case). */
  explodeWith: Error | undefined;

  store(kind: string, body: unknown, id?: string): IngestReply {
    if (this.explodeWith) throw this.explodeWith;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return rejected('The record must be a JSON object.', '$');
    }
    const rec = body as Record<string, unknown>;
    const extra = Object.keys(rec).find((k) => !FIELDS[kind]!.includes(k));
    if (extra) return rejected(`Unknown field "${extra}".`, extra);
    const recordId = id ?? rec.id;
    if (typeof recordId !== 'string') return rejected('The record needs an id.', 'id');
    const key = `${kind}/${recordId}`;
    const content = JSON.stringify(body);
    const before = this.records.get(key);
    this.records.set(key, content);
    const status = before === undefined ? 'created' : before === content ? 'unchanged' : 'updated';
    return {
      status,
      outcome: allOk(`${kind} ${status}`),
      recordId,
      outbox: [{ id: `OB-${this.records.size}`, state: 'awaiting-consent' }],
    };
  }
}

function rejected(text: string, expression: string): IngestReply {
  return { status: 'rejected', outcome: errorOutcome('invalid', text, expression) };
}

function transactionResponse(bundle: Bundle): Bundle {
  const type = bundle.type === 'batch' ? 'batch-response' : 'transaction-response';
  const entry: BundleEntry[] = (bundle.entry ?? []).map((e) =>
    e.resource
      ? { response: { status: '201 Created' } }
      : {
          response: {
            status: '400 Bad Request',
            outcome: errorOutcome('required', 'entry.resource is missing', 'Bundle.entry.resource'),
          },
        },
  );
  return { resourceType: 'Bundle', type, entry };
}

/** Captures log lines in memory. */
export class MemoryLog extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

/**
 * A read of PHI as the fake outbox and disclosure ports record it (the real ports audit in their
 * use cases, src/app/audited-reads.ts), so route tests can see who read what.
 */
export interface AccessRecord {
  actor: string;
  action: 'read';
  what: { kind: 'disclosure-log' | 'outbox'; patientMrn?: string; state?: string };
  outcome: 'success' | 'not-found';
  requestId: string;
  at: Date;
}

export interface TestWorld {
  deps: AppDeps;
  ingest: MemoryIngest;
  log: MemoryLog;
  accesses: AccessRecord[];
  outboxItems: Array<{ id: string; state: string }>;
  validateCalls: Array<{ resource: unknown; profile?: string }>;
  ready: { db: boolean };
}

export const NOW = new Date('2026-11-21T10:00:00Z');

export const CAPABILITY: CapabilityStatement = {
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: '2026-11-01',
  kind: 'instance',
  fhirVersion: '4.0.1',
  format: ['application/fhir+json'],
};

/** A fresh world of ports; `overrides` replace deps (e.g. a smaller body limit). */
export function makeWorld(overrides: Partial<AppDeps> = {}): TestWorld {
  const ingest = new MemoryIngest();
  const log = new MemoryLog();
  const accesses: AccessRecord[] = [];
  const validateCalls: TestWorld['validateCalls'] = [];
  const ready = { db: true };
  const outboxItems = [
    { id: 'OB-1', state: 'queued' },
    { id: 'OB-2', state: 'delivered' },
    { id: 'OB-3', state: 'dead' },
  ];
  const keys = parseApiKeys(
    Object.entries(KEYS).map(([name, k]) => ({ name, key: k.key, scopes: k.scopes })),
  );
  const counts = () =>
    Object.fromEntries(
      outboxItems.map((i) => [i.state, outboxItems.filter((j) => j.state === i.state).length]),
    );
  const deps: AppDeps = {
    ingest: {
      referral: async (body) => ingest.store('referral', body),
      consent: async (body) => ingest.store('consent', body),
      update: async (body) => ingest.store('update', body),
      revoke: async (consentId, body) =>
        ingest.records.has(`consent/${consentId}`)
          ? ingest.store('revocation', body, consentId)
          : rejected('No consent with this id.', 'consentId'),
      status: async (referralId, body) =>
        ingest.records.has(`referral/${referralId}`)
          ? ingest.store('referral-status', body, `${referralId}@${String((body as { at?: unknown }).at)}`)
          : rejected('No referral with this id.', 'referralId'),
      fhirBundle: async (bundle) => {
        if (ingest.explodeWith) throw ingest.explodeWith;
        const broken = bundle.type === 'transaction' && (bundle.entry ?? []).some((e) => !e.resource);
        return broken
          ? {
              status: 'rejected',
              outcome: errorOutcome('required', 'entry.resource is missing', 'Bundle.entry[0].resource'),
            }
          : { status: 'processed', response: transactionResponse(bundle) };
      },
      message: async () => ({
        status: 'processed',
        response: {
          resourceType: 'Bundle',
          type: 'message',
          entry: [
            {
              resource: {
                resourceType: 'MessageHeader',
                eventCoding: { code: 'I12' },
                source: { endpoint: 'kap-bridge' },
                response: { identifier: 'm1', code: 'ok' },
              },
            },
          ],
        },
      }),
    },
    validate: (resource, opts) => {
      validateCalls.push({ resource, ...opts });
      const type = (resource as { resourceType?: unknown }).resourceType;
      if (typeof type !== 'string')
        return errorOutcome('required', 'resourceType is missing', 'resourceType');
      return allOk(opts.profile ? `Valid against ${opts.profile}` : 'Valid');
    },
    outbox: {
      states: OUTBOX_STATES,
      // Like the real use case: the read is audited (who, what, when) before it answers.
      list: async (filter, actor) => {
        accesses.push({
          actor: actor.keyName,
          action: 'read',
          what: filter.state === undefined ? { kind: 'outbox' } : { kind: 'outbox', state: filter.state },
          outcome: 'success',
          requestId: actor.requestId,
          at: NOW,
        });
        return outboxItems.filter((i) => !filter.state || i.state === filter.state);
      },
      retry: async (id) => {
        const item = outboxItems.find((i) => i.id === id);
        if (!item)
          return { status: 'not-found', outcome: errorOutcome('not-found', 'No outbox item with this id.') };
        if (item.state === 'delivered')
          return { status: 'conflict', outcome: errorOutcome('conflict', 'Already delivered.') };
        item.state = 'queued';
        return { status: 'retried', outcome: allOk('Queued again'), item };
      },
    },
    // The dashboard's reads answer from the same items; the real ones are tested on the service.
    dashboard: {
      outboxSummary: async () => ({ counts: counts(), items: outboxItems }),
      referral: async (id) => (id === 'REF-2026-0042' ? { id, clientMrn: 'KAP-000123' } : undefined),
      clientName: async (id) =>
        id === 'REF-2026-0042' ? { mrn: 'KAP-000123', name: 'Avery Stone' } : undefined,
    },
    // Like the real use cases: a pushed reply needs a key bound to senders; reads name the referral.
    replies: {
      receive: async (body, actor) => {
        if (!actor.senders)
          return {
            status: 'rejected',
            refusal: 'forbidden',
            outcome: errorOutcome('forbidden', 'Not bound.'),
          };
        const isReply = (body as { resourceType?: unknown }).resourceType === 'Communication';
        return isReply
          ? { status: 'created', outcome: allOk('Reply received.') }
          : {
              status: 'rejected',
              outcome: errorOutcome('invalid', 'A reply is a Communication.', 'resourceType'),
            };
      },
      messages: async (referralId) =>
        referralId === 'REF-2026-0042' ? { referral: referralId, statuses: [], replies: [] } : null,
      markHandled: async (_referralId, messageId) =>
        messageId === 'MSG-1' ? { id: 'MSG-1', handled: true } : null,
    },
    disclosures: async (mrn, actor) => {
      const found = mrn === 'KAP-000123';
      accesses.push({
        actor: actor.keyName,
        action: 'read',
        what: { kind: 'disclosure-log', patientMrn: mrn },
        outcome: found ? 'success' : 'not-found',
        requestId: actor.requestId,
        at: NOW,
      });
      return found
        ? { found, entries: [{ at: '2026-11-20T19:00:00Z', what: 'Communication/UPD-2026-0042-03' }] }
        : { found, entries: [] };
    },
    metadata: () => CAPABILITY,
    readiness: async () => ({
      ok: ready.db,
      checks: { database: ready.db ? { ok: true } : { ok: false, message: 'SQLITE_BUSY at /secret/path' } },
    }),
    metrics: createMetrics(new Registry(), { outboxCounts: counts, atRiskCount: () => 2 }),
    logger: createLogger({ destination: log }),
    apiKeys: keys,
    timeZone: 'America/Los_Angeles',
    clock: { now: () => NOW },
    ...overrides,
  };
  return { deps, ingest, log, accesses, outboxItems, validateCalls, ready };
}

export type { OperationOutcome };

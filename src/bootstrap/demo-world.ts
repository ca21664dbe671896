import fs from 'node:fs';
import path from 'node:path';
import type { Communication, Resource } from '@medplum/fhirtypes';
import type { Relay } from '../app/deliver/relay';
import type { ReplyPull } from '../app/pull-replies';
import type { OutboxRow } from '../app/ports/store-port';
import { shareCodesOf } from '../consent';
import type { Runtime } from './compose';

/**
 * What the steps of `kap-bridge demo` share: the world they act on (the real runtime, relay,
 * reply pull and sandbox, and the demo's clock), how they narrate, and small readers of the
 * sandbox and the outbox. The people in the fixtures are fictional.
 */

/** What a step can use: the real runtime, relay, reply pull and sandbox, and the demo's clock. */
export interface DemoWorld {
  rt: Runtime;
  relay: Relay;
  /** Reads replies from the sandbox, as each sync does after the drain (DESIGN.md §6b). */
  replyPull: ReplyPull;
  sandboxUrl: string;
  /** The sandbox's bearer token: the demo reads it as the clinician's EHR would be read, with credentials. */
  sandboxToken: string;
  setClock(iso: string): void;
}

/** One step's narration: `say` a line; `check` an expectation (✓ or ✗). */
export interface StepLog {
  say(line: string): void;
  check(ok: boolean, expectation: string): void;
}

export interface DemoStep {
  title: string;
  run(world: DemoWorld, log: StepLog): Promise<void>;
}

const RECORDS = path.resolve(__dirname, '../../fixtures/records');
export const REFERRAL = 'REF-2026-0057';
export const CONSENT = 'CON-2026-0057-1';
export const UPDATE = 'UPD-2026-0057-01';
export const SECOND_UPDATE = 'UPD-2026-0057-02';
export const NEW_CONSENT = 'CON-2026-0057-2';
/** Who reads the messages in the demo: not the `demo` actor, whose one read the log step counts. */
export const FRONT_DESK = 'front desk (demo)';

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8')) as Record<string, unknown>;
}

/** Resources on the sandbox with this business identifier (what the clinician's EHR holds). */
export async function onSandbox<T extends Resource>(
  w: DemoWorld,
  type: string,
  system: string,
  value: string,
): Promise<T[]> {
  const res = await readSandbox(w, `${type}?identifier=${encodeURIComponent(`${system}|${value}`)}`);
  const bundle = (await res.json()) as { entry?: Array<{ resource: T }> };
  return (bundle.entry ?? []).map((e) => e.resource);
}

export async function allCommunications(w: DemoWorld): Promise<number> {
  const res = await readSandbox(w, 'Communication');
  return ((await res.json()) as { entry?: unknown[] }).entry?.length ?? 0;
}

export function readSandbox(w: DemoWorld, relative: string): Promise<Response> {
  return fetch(`${w.sandboxUrl}/${relative}`, { headers: { authorization: `Bearer ${w.sandboxToken}` } });
}

export function sectionsOf(c: Communication | undefined): string[] {
  return c ? shareCodesOf(c) : [];
}

export async function sync(w: DemoWorld, log: StepLog): Promise<void> {
  const s = await w.relay.drain();
  log.say(
    `sync: ${s.leased} item(s) looked at — ${s.delivered} delivered, ${s.withheld} withheld, ${s.awaiting} awaiting consent, ${s.retried + s.dead} failed`,
  );
  log.check(s.retried + s.dead === 0, 'no delivery failed');
}

export async function rowsFor(w: DemoWorld, type: string, id: string): Promise<OutboxRow[]> {
  // The demo looking at its own rows is not an operator's read of PHI: straight from the store.
  return (await w.rt.store.listOutbox({ patientMrn: 'KAP-000131' })).filter(
    (r) => r.resourceType === type && r.resourceId === id,
  );
}

export const stateOf = async (w: DemoWorld, type: string, id: string) =>
  (await rowsFor(w, type, id)).map((r) => r.state).join(', ') || 'none';

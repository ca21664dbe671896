import fs from 'node:fs';
import path from 'node:path';
import type { Communication, Consent, Resource, Task } from '@medplum/fhirtypes';
import { readDisclosureLog } from '../app/disclosure-log';
import { shareCodesOf } from '../consent';
import type { Relay } from '../app/deliver/relay';
import type { ReplyPull } from '../app/pull-replies';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';
import type { Runtime } from './compose';
import { STATE } from '../outbox';
import type { OutboxRow } from '../app/ports/store-port';

/**
 * The steps of `kap-bridge demo` (DESIGN.md §1 workflow on `fixtures/records/`). Each step
 * narrates what happened in plain words and checks its own result, so the demo is also a smoke
 * test. The people in the fixtures are fictional.
 */

/** What a step can use: the real runtime, relay and sandbox, and the demo's clock. */
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
const REFERRAL = 'REF-2026-0057';
const CONSENT = 'CON-2026-0057-1';
const UPDATE = 'UPD-2026-0057-01';
const SECOND_UPDATE = 'UPD-2026-0057-02';
const NEW_CONSENT = 'CON-2026-0057-2';
/** Who reads the messages in the demo: not the `demo` actor, whose one read the log step counts. */
const FRONT_DESK = 'front desk (demo)';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8')) as Record<string, unknown>;
}

/** Resources on the sandbox with this business identifier (what the clinician's EHR holds). */
async function onSandbox<T extends Resource>(
  w: DemoWorld,
  type: string,
  system: string,
  value: string,
): Promise<T[]> {
  const res = await readSandbox(w, `${type}?identifier=${encodeURIComponent(`${system}|${value}`)}`);
  const bundle = (await res.json()) as { entry?: Array<{ resource: T }> };
  return (bundle.entry ?? []).map((e) => e.resource);
}

async function allCommunications(w: DemoWorld): Promise<number> {
  const res = await readSandbox(w, 'Communication');
  return ((await res.json()) as { entry?: unknown[] }).entry?.length ?? 0;
}

function readSandbox(w: DemoWorld, relative: string): Promise<Response> {
  return fetch(`${w.sandboxUrl}/${relative}`, { headers: { authorization: `Bearer ${w.sandboxToken}` } });
}

function sectionsOf(c: Communication | undefined): string[] {
  return c ? shareCodesOf(c) : [];
}

async function sync(w: DemoWorld, log: StepLog): Promise<void> {
  const s = await w.relay.drain();
  log.say(
    `sync: ${s.leased} item(s) looked at — ${s.delivered} delivered, ${s.withheld} withheld, ${s.awaiting} awaiting consent, ${s.retried + s.dead} failed`,
  );
  log.check(s.retried + s.dead === 0, 'no delivery failed');
}

async function rowsFor(w: DemoWorld, type: string, id: string): Promise<OutboxRow[]> {
  // The demo looking at its own rows is not an operator's read of PHI: straight from the store.
  return (await w.rt.store.listOutbox({ patientMrn: 'KAP-000131' })).filter(
    (r) => r.resourceType === type && r.resourceId === id,
  );
}

const stateOf = async (w: DemoWorld, type: string, id: string) =>
  (await rowsFor(w, type, id)).map((r) => r.state).join(', ') || 'none';

/** The workflow up to the disclosure log, in order. */
const WORKFLOW_STEPS: DemoStep[] = [
  {
    title: 'A referral arrives (fixtures/records/referral-self.json)',
    async run(w, log) {
      const r = await w.rt.ingest.referral(fixture('referral-self.json'), { actor: 'demo' });
      log.say(
        `Zoë O'Connor-Nuñez (MRN KAP-000131, fictional) refers herself; her therapist is Priya Raman, LCSW (NPI 1458932047).`,
      );
      log.say(
        `referral ${r.recordId ?? '?'}: ${r.status}; the ServiceRequest for her therapist is ${await stateOf(w, 'ServiceRequest', `referral-${REFERRAL}`)}`,
      );
      log.check(r.status === 'created', 'the referral is stored');
      log.check(
        (await stateOf(w, 'ServiceRequest', `referral-${REFERRAL}`)) === STATE.awaitingConsent,
        'nothing may be shared before she consents: the ServiceRequest awaits consent',
      );
    },
  },
  {
    title: 'She signs a partial consent (fixtures/records/consent-partial.json)',
    async run(w, log) {
      const r = await w.rt.ingest.consent(fixture('consent-partial.json'), { actor: 'demo' });
      log.say(
        `consent ${r.recordId ?? '?'}: ${r.status} — she shares the session focus and the integration suggestions, not the observations, not the referral status.`,
      );
      await sync(w, log);
      const consents = await onSandbox<Consent>(w, 'Consent', IDENTIFIER_SYSTEM.consent, CONSENT);
      log.say(
        `the sandbox now holds her Consent (status ${consents[0]?.status ?? 'none'}); the ServiceRequest is ${await stateOf(w, 'ServiceRequest', `referral-${REFERRAL}`)} (referral status is not shared)`,
      );
      log.check(consents.length === 1 && consents[0]?.status === 'active', 'the Consent was sent, active');
    },
  },
  {
    title: 'An integration update is written (fixtures/records/update-one-observation.json)',
    async run(w, log) {
      const r = await w.rt.ingest.update(fixture('update-one-observation.json'), { actor: 'demo' });
      log.say(
        `update ${r.recordId ?? '?'}: ${r.status}; it is ${await stateOf(w, 'Communication', `update-${UPDATE}`)}`,
      );
      await sync(w, log);
      const local = (await w.rt.store.getResource('Communication', `update-${UPDATE}`))?.resource as
        Communication | undefined;
      const sent = (
        await onSandbox<Communication>(w, 'Communication', IDENTIFIER_SYSTEM.integrationUpdate, UPDATE)
      )[0];
      const removed = sectionsOf(local).filter((s) => !sectionsOf(sent).includes(s));
      log.say(
        `written: ${sectionsOf(local).join(', ')}; delivered: ${sectionsOf(sent).join(', ') || 'nothing'}; removed before sending: ${removed.join(', ') || 'nothing'}`,
      );
      log.check(sent !== undefined, 'the update was delivered without anyone pressing a button');
      log.check(
        removed.includes('observations') &&
          sectionsOf(sent).every((s) => ['session-focus', 'integration-suggestions'].includes(s)),
        'only the sections she permitted went out',
      );
    },
  },
  {
    title: 'The clinician’s EHR holds exactly one copy',
    async run(w, log) {
      const copies = await onSandbox(w, 'Communication', IDENTIFIER_SYSTEM.integrationUpdate, UPDATE);
      log.say(
        `Communications on the sandbox for ${UPDATE}: ${copies.length}; Communications in all: ${await allCommunications(w)}`,
      );
      log.check(copies.length === 1, 'exactly one Communication');
    },
  },
  {
    title: 'Sync again',
    async run(w, log) {
      await sync(w, log);
      const copies = await onSandbox(w, 'Communication', IDENTIFIER_SYSTEM.integrationUpdate, UPDATE);
      log.say(`Communications on the sandbox for ${UPDATE}: ${copies.length}`);
      log.check(copies.length === 1, 'still exactly one: a second sync never makes a second copy');
    },
  },
  {
    title: 'She revokes her consent by phone (fixtures/records/revocation.json, for her consent)',
    async run(w, log) {
      w.setClock('2026-11-28T15:05:00-08:00');
      const { consentId: _ignored, ...body } = fixture('revocation.json');
      const r = await w.rt.ingest.revoke(CONSENT, body, { actor: 'demo' });
      log.say(`clock moves to 2026-11-28 15:05; revocation of ${CONSENT}: ${r.status}`);
      await sync(w, log);
      const consents = await onSandbox<Consent>(w, 'Consent', IDENTIFIER_SYSTEM.consent, CONSENT);
      log.say(
        `the Consent on the sandbox is now ${consents[0]?.status ?? 'missing'} (updated in place: ${consents.length} copy)`,
      );
      log.check(r.status !== 'rejected', 'the revocation is recorded');
      log.check(
        consents.length === 1 && consents[0]?.status === 'inactive',
        'the Consent turned inactive on the sandbox',
      );
    },
  },
  {
    title: 'Another update after the revocation (the same fixture, as session 2)',
    async run(w, log) {
      const update = {
        ...fixture('update-one-observation.json'),
        id: SECOND_UPDATE,
        sessionNumber: 2,
        sessionDate: '2026-11-27',
        writtenAt: '2026-11-27T17:00:00-08:00',
      };
      const r = await w.rt.ingest.update(update, { actor: 'demo' });
      log.say(
        `update ${r.recordId ?? '?'}: ${r.status}; it is ${await stateOf(w, 'Communication', `update-${SECOND_UPDATE}`)}`,
      );
      await sync(w, log);
      const copies = await onSandbox(w, 'Communication', IDENTIFIER_SYSTEM.integrationUpdate, SECOND_UPDATE);
      log.say(
        `the update is ${await stateOf(w, 'Communication', `update-${SECOND_UPDATE}`)}; Communications on the sandbox for it: ${copies.length}; in all: ${await allCommunications(w)}`,
      );
      log.check(
        (await stateOf(w, 'Communication', `update-${SECOND_UPDATE}`)) === STATE.withheld,
        'the update is withheld',
      );
      log.check(copies.length === 0 && (await allCommunications(w)) === 1, 'nothing was sent');
    },
  },
  {
    title: 'Her disclosure log (45 CFR 164.528)',
    async run(w, log) {
      const dl = await readDisclosureLog({ store: w.rt.store, clock: w.rt.clock }, 'KAP-000131', 'demo');
      for (const e of dl.entries) {
        const what = (e.what[0] ?? '?').replace(/\/_history\/\d+$/, '');
        log.say(
          `${e.date}  to NPI ${e.recipientNpi ?? '?'} (${e.destinationId ?? '?'})  ${what}${e.sections.length ? ` [${e.sections.join(', ')}]` : ''}`,
        );
      }
      const what = dl.entries.flatMap((e) => e.what.map((x) => x.split('/_history')[0]));
      log.check(
        what.filter((x) => x === `Communication/update-${UPDATE}`).length === 1,
        'the update appears once, with its sections',
      );
      log.check(
        !what.includes(`Communication/update-${SECOND_UPDATE}`),
        'the withheld update is not in the log (it never left)',
      );
      const reads = (await w.rt.store.listAudit({ patientMrn: 'KAP-000131' })).filter(
        (a) => a.event.action === 'R' && a.event.agent?.some((g) => g.altId === 'demo'),
      );
      log.check(reads.length === 1, 'reading the log was itself recorded in the audit trail (actor "demo")');
    },
  },
];

/** Resources on the sandbox answering a search (relative to its base). */
async function searchSandbox<T extends Resource>(w: DemoWorld, query: string): Promise<T[]> {
  const bundle = (await (await readSandbox(w, query)).json()) as { entry?: Array<{ resource: T }> };
  return (bundle.entry ?? []).map((e) => e.resource);
}

/** The loop with the referrer (DESIGN.md §6b): status to them, a reply back. */
const LOOP_STEPS: DemoStep[] = [
  {
    title:
      'She consents again, now also to sharing her referral status (a new consent, signed after the revocation)',
    async run(w, log) {
      w.setClock('2026-11-29T10:05:00-08:00');
      const consent = {
        ...fixture('consent-partial.json'),
        id: NEW_CONSENT,
        share: ['referral-status', 'session-focus', 'integration-suggestions'],
        validFrom: '2026-11-29',
        signedAt: '2026-11-29T10:00:00-08:00',
      };
      const r = await w.rt.ingest.consent(consent, { actor: 'demo' });
      log.say(`clock moves to 2026-11-29 10:05; consent ${r.recordId ?? '?'}: ${r.status}`);
      await sync(w, log);
      const sent = await onSandbox<Consent>(w, 'Consent', IDENTIFIER_SYSTEM.consent, NEW_CONSENT);
      log.check(sent.length === 1 && sent[0]?.status === 'active', 'the new Consent was sent, active');
    },
  },
  {
    title: 'The practice accepts the referral → a Task on the sandbox',
    async run(w, log) {
      w.setClock('2026-11-29T11:05:00-08:00');
      const change = { referralId: REFERRAL, status: 'accepted', at: '2026-11-29T11:00:00-08:00' };
      const r = await w.rt.ingest.referralStatus(change, { actor: 'demo' });
      log.say(
        `referral ${REFERRAL} accepted: ${r.status}; the Task is ${await stateOf(w, 'Task', `referral-task-${REFERRAL}`)}`,
      );
      await sync(w, log);
      const tasks = await onSandbox<Task>(w, 'Task', IDENTIFIER_SYSTEM.referralTask, REFERRAL);
      log.say(
        `the sandbox holds ${tasks.length} Task for her referral: status ${tasks[0]?.status ?? 'none'} (“${tasks[0]?.businessStatus?.text ?? ''}”), code ${tasks[0]?.code?.coding?.[0]?.code ?? '?'}`,
      );
      log.check(
        tasks.length === 1 && tasks[0]?.status === 'accepted',
        'her therapist sees the referral was accepted',
      );
      log.check(
        !JSON.stringify(tasks).includes('Post-traumatic'),
        'only the status travelled, not the reason for referral',
      );
    },
  },
  {
    title: 'Her therapist replies from her EHR → the practice sees it',
    async run(w, log) {
      const org = await searchSandbox(
        w,
        `Organization?identifier=${encodeURIComponent(`${IDENTIFIER_SYSTEM.organization}|kap-practice`)}`,
      );
      const task = (await onSandbox<Task>(w, 'Task', IDENTIFIER_SYSTEM.referralTask, REFERRAL))[0];
      const reply: Communication = {
        resourceType: 'Communication',
        status: 'completed',
        partOf: [{ reference: `Task/${task?.id ?? ''}` }],
        recipient: [{ reference: `Organization/${org[0]?.id ?? ''}` }],
        sender: { display: 'Priya Raman, LCSW' },
        sent: '2026-11-29T12:00:00-08:00',
        payload: [
          {
            contentString: 'Thank you for taking her on. I am available for a call after her first session.',
          },
        ],
      };
      const res = await fetch(`${w.sandboxUrl}/Communication`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.sandboxToken}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify(reply),
      });
      log.say(`Priya Raman writes a reply on her EHR (the sandbox): HTTP ${res.status}`);
      w.setClock('2026-11-29T12:05:00-08:00');
      for (let i = 0; i < 2; i++) {
        const pulled = await w.replyPull.pull();
        log.say(
          `sync reads replies: ${pulled.received} new, ${pulled.duplicates} already here, ${pulled.refused} refused`,
        );
      }
      const view = await w.rt.replies.messages(REFERRAL, FRONT_DESK);
      for (const s of view?.statuses ?? []) log.say(`status ${s.status} at ${s.at}`);
      for (const m of view?.replies ?? []) log.say(`reply from ${m.from} (${m.via}): “${m.text}”`);
      log.check(view?.replies.length === 1, 'the reply arrived exactly once, linked to her referral');
      log.check(
        view?.statuses.map((s) => s.status).join() === 'accepted',
        'staff see the status they recorded',
      );
    },
  },
];

/** The whole demo, in order. */
export const DEMO_STEPS: DemoStep[] = [...WORKFLOW_STEPS, ...LOOP_STEPS];

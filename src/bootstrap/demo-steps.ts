import type { Communication, Consent } from '@medplum/fhirtypes';
import { readDisclosureLog } from '../app/disclosure-log';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';
import { STATE } from '../outbox';
import { LOOP_STEPS } from './demo-loop-steps';
import {
  allCommunications,
  CONSENT,
  fixture,
  onSandbox,
  REFERRAL,
  SECOND_UPDATE,
  sectionsOf,
  stateOf,
  sync,
  UPDATE,
  type DemoStep,
} from './demo-world';

export type { DemoStep, DemoWorld, StepLog } from './demo-world';

/**
 * The steps of `kap-bridge demo` (DESIGN.md §1 workflow on `fixtures/records/`, then the loop with
 * the referrer of §6b in `demo-loop-steps.ts`). Each step
 * narrates what happened in plain words and checks its own result, so the demo is also a smoke
 * test. The people in the fixtures are fictional.
 */

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

/** The whole demo, in order. */
export const DEMO_STEPS: DemoStep[] = [...WORKFLOW_STEPS, ...LOOP_STEPS];

import type { Communication, Consent, Resource, Task } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';
import {
  fixture,
  FRONT_DESK,
  NEW_CONSENT,
  onSandbox,
  readSandbox,
  REFERRAL,
  stateOf,
  sync,
  type DemoStep,
  type DemoWorld,
} from './demo-world';

/** Resources on the sandbox answering a search (relative to its base). */
async function searchSandbox<T extends Resource>(w: DemoWorld, query: string): Promise<T[]> {
  const bundle = (await (await readSandbox(w, query)).json()) as { entry?: Array<{ resource: T }> };
  return (bundle.entry ?? []).map((e) => e.resource);
}

/** The loop with the referrer (DESIGN.md §6b): status to them, a reply back. */
export const LOOP_STEPS: DemoStep[] = [
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

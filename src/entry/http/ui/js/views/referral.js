import { ApiError, api, outcomeText } from '../api.js';
import { announce, el, replace, table } from '../dom.js';
import { loadSummary } from '../summary.js';
import { messagesSection } from './referral-messages.js';
import {
  answerWords,
  sessionDateWords,
  shareWords,
  standingWords,
  stateName,
  stateReason,
  when,
} from '../words.js';

// One referral (DESIGN.md §1, §6b): the client by MRN (the name only on request, and that read is
// audited), the referring clinician, the consents and what the one in force shares, each update
// with its delivery state and every attempt, and the referral status and clinician replies.

export async function renderReferral(root, ctx) {
  const id = ctx.arg;
  if (!id) return renderPicker(root, ctx);
  const view = await api(`/referrals/${encodeURIComponent(id)}`);
  const clinician = view.clinician;
  replace(
    root,
    el('h1', { id: 'view-title', tabindex: '-1' }, `Referral ${view.id}`),
    el(
      'section',
      { 'aria-labelledby': 'people-title', class: 'panel' },
      el('h2', { id: 'people-title' }, 'Client and referring clinician'),
      el(
        'dl',
        { class: 'facts' },
        el('dt', {}, 'Client (MRN)'),
        el('dd', {}, view.clientMrn, ' ', clientNameButton(view.id)),
        el('dt', {}, 'Referred by'),
        el(
          'dd',
          {},
          `${clinician.name} (${clinician.role}${clinician.organization ? `, ${clinician.organization}` : ''}), NPI ${clinician.npi}`,
        ),
        el('dt', {}, 'Delivered to'),
        el('dd', {}, clinician.destination ?? 'the default destination'),
        el('dt', {}, 'Received'),
        el('dd', {}, `${when(view.receivedAt)}${view.source === 'self' ? ' (self-referral)' : ''}`),
      ),
    ),
    consentSection(view.consents),
    updatesSection(view.updates),
    otherSection(view.otherDeliveries),
    await messagesSection(view.id, view.updates),
  );
}

async function renderPicker(root, ctx) {
  const summary = await loadSummary();
  const referrals = new Map();
  for (const i of summary.items) if (i.referralId) referrals.set(i.referralId, i.patientMrn);
  replace(
    root,
    el('h1', { id: 'view-title', tabindex: '-1' }, 'Referral'),
    el(
      'form',
      {
        class: 'filters',
        onsubmit: (event) => {
          event.preventDefault();
          const value = new FormData(event.target).get('referral-id')?.toString().trim();
          if (value) ctx.go(`#/referral/${encodeURIComponent(value)}`);
        },
      },
      el(
        'div',
        { class: 'field' },
        el('label', { for: 'referral-id' }, 'Referral id'),
        el('input', {
          id: 'referral-id',
          name: 'referral-id',
          type: 'text',
          required: true,
          autocomplete: 'off',
        }),
      ),
      el('button', { type: 'submit' }, 'Open'),
    ),
    el('h2', {}, 'Referrals with items in the queue'),
    referrals.size
      ? el(
          'ul',
          { class: 'plain-list' },
          [...referrals].map(([rid, mrn]) =>
            el('li', {}, el('a', { href: `#/referral/${encodeURIComponent(rid)}` }, rid), ` — client ${mrn}`),
          ),
        )
      : el('p', { class: 'empty' }, 'No referral has items in the queue yet.'),
  );
}

function clientNameButton(referralId) {
  const slot = el('span', { class: 'client-name' });
  const button = el(
    'button',
    { type: 'button', class: 'secondary' },
    'Show name',
    el('span', { class: 'visually-hidden' }, ' (this read is recorded in the audit trail)'),
  );
  button.addEventListener('click', async () => {
    try {
      const client = await api(`/referrals/${encodeURIComponent(referralId)}/client`);
      replace(
        slot,
        el('strong', {}, client.name),
        el('span', { class: 'note' }, ' (read recorded in the audit trail)'),
      );
      announce(`Client name: ${client.name}`);
    } catch (err) {
      replace(
        slot,
        el('span', { class: 'error' }, err instanceof ApiError ? err.message : 'Could not load the name.'),
      );
    }
  });
  replace(slot, button);
  return slot;
}

function consentSection(consents) {
  const inForce = consents.find((c) => c.standing === 'in-force');
  const headline = inForce
    ? el(
        'p',
        { class: 'headline' },
        `Consent ${inForce.id} is in force. The referring clinician may receive: `,
        el('strong', {}, listWords(shareWords(inForce.share))),
        '. Nothing else is sent.',
      )
    : el(
        'p',
        { class: 'headline warning' },
        'No consent is in force for this clinician: nothing about this client is sent.',
      );
  return el(
    'section',
    { 'aria-labelledby': 'consent-title', class: 'panel' },
    el('h2', { id: 'consent-title' }, 'Consent'),
    headline,
    consents.length
      ? table(
          'Consents on file, newest first',
          ['Consent', 'Standing', 'Shares', 'Valid', 'Signed'],
          consents.map((c) =>
            el(
              'tr',
              {},
              el('td', {}, c.id),
              el('td', {}, standingWords(c)),
              el('td', {}, c.decision === 'deny' ? 'nothing' : listWords(shareWords(c.share))),
              el('td', {}, `${c.validFrom} to ${c.validUntil ?? 'no end date'}`),
              el('td', {}, `${when(c.signedAt)} by the ${c.signedBy}`),
            ),
          ),
        )
      : el('p', { class: 'empty' }, 'No consent on file.'),
  );
}

function updatesSection(updates) {
  return el(
    'section',
    { 'aria-labelledby': 'updates-title', class: 'panel' },
    el('h2', { id: 'updates-title' }, 'Integration updates'),
    updates.length
      ? table(
          'Newest session first',
          ['Session', 'Written by', 'Sections', 'Delivery', 'Attempts'],
          updates.map((u) =>
            el(
              'tr',
              { 'data-update': u.id },
              el('th', { scope: 'row' }, `${sessionDateWords(u.sessionDate)} (no. ${u.sessionNumber})`),
              el('td', {}, `${u.author}, ${when(u.writtenAt)}`),
              el('td', {}, listWords(shareWords(u.sections))),
              el(
                'td',
                {},
                u.deliveries.length ? u.deliveries.map(deliveryWords) : 'Not queued for delivery.',
              ),
              el('td', {}, u.deliveries.map(attemptList)),
            ),
          ),
        )
      : el('p', { class: 'empty' }, 'No integration update yet.'),
  );
}

/** What each of the referral's own deliveries carries (DESIGN.md §6b). */
const OTHER_WORDS = {
  ServiceRequest: 'The referral and its status',
  Task: 'Status change',
  Consent: 'Consent',
};

function otherSection(deliveries) {
  if (!deliveries.length) return null;
  return el(
    'section',
    { 'aria-labelledby': 'other-title', class: 'panel' },
    el('h2', { id: 'other-title' }, 'Referral status and consent sent to the clinician'),
    el(
      'ul',
      { class: 'plain-list' },
      deliveries.map((d) =>
        el(
          'li',
          {},
          el('strong', {}, OTHER_WORDS[d.resourceType] ?? d.resourceType),
          ': ',
          deliveryWords(d),
          attemptList(d),
        ),
      ),
    ),
  );
}

function deliveryWords(d) {
  const where = ` to ${d.destinationId}`;
  const text =
    d.state === 'delivered'
      ? `Delivered${where} ${when(d.deliveredAt)}${d.late ? ', after the window closed' : ''}.`
      : `${stateReason(d)}`;
  return el(
    'p',
    { class: 'delivery' },
    el('span', { class: `badge state-${d.state}` }, stateName(d.state)),
    ' ',
    text,
  );
}

function attemptList(d) {
  if (!d.attempts.length) return el('p', { class: 'note' }, 'No attempt yet.');
  return el(
    'ol',
    { class: 'attempts' },
    d.attempts.map((a) => {
      const said = outcomeText(a.outcome);
      const result = a.result === 'delivered' ? 'delivered' : `${a.result}: ${answerWords(a.httpStatus)}`;
      return el(
        'li',
        {},
        `${when(a.finishedAt)} — ${result}`,
        said && a.result !== 'delivered' ? [' Their answer: ', el('q', {}, said)] : null,
      );
    }),
  );
}

function listWords(words) {
  if (words.length === 0) return 'nothing';
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

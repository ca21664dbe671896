import { ApiError, api, outcomeText } from '../api.js';
import { announce, el, replace } from '../dom.js';
import { loadSummary } from '../summary.js';
import { answerWords, itemWords, when } from '../words.js';

// Items kap-bridge gave up on (`dead`, DESIGN.md §6: a 4xx other than 408/429, or attempts
// exhausted), with the destination's answer in plain words and a Retry button: the same use case
// as `POST /outbox/{id}/retry` (the relay re-checks consent before it sends again).

export async function renderDead(root, ctx) {
  const summary = await loadSummary();
  const dead = summary.items.filter((i) => i.state === 'dead');
  const status = el('p', { class: 'result', role: 'status' });
  replace(
    root,
    el('h1', { id: 'view-title', tabindex: '-1' }, 'Failed items'),
    el(
      'p',
      { class: 'lead' },
      'kap-bridge stopped trying these: the clinician’s system refused them, or every retry failed. Read why, fix the cause with the clinician’s team if needed, then retry.',
    ),
    status,
    dead.length
      ? el(
          'ul',
          { class: 'dead-list' },
          dead.map((i) => deadCard(i, status, ctx)),
        )
      : el('p', { class: 'empty' }, 'No failed items.'),
  );
}

function deadCard(item, status, ctx) {
  const answer = item.lastAttempt ? answerWords(item.lastAttempt.httpStatus) : answerWords(undefined);
  const theirWords = outcomeText(item.lastOutcome);
  const titleId = `dead-${item.id}`;
  const retry = el('button', { type: 'button', class: 'retry', 'aria-describedby': titleId }, 'Retry now');
  retry.addEventListener('click', async () => {
    retry.disabled = true;
    try {
      await api(`/outbox/${encodeURIComponent(item.id)}/retry`, { method: 'POST' });
      const text = 'Queued again: kap-bridge checks the consent once more and sends it shortly.';
      status.textContent = text;
      announce(text);
      setTimeout(() => ctx.refresh(), 1500);
    } catch (err) {
      status.textContent = `Retry refused: ${err instanceof ApiError ? err.message : 'the server could not be reached'}`;
      retry.disabled = false;
    }
  });
  return el(
    'li',
    { class: 'dead', 'data-item': item.id },
    el('h2', { id: titleId }, itemWords(item)),
    el(
      'dl',
      { class: 'facts' },
      el('dt', {}, 'What happened'),
      el('dd', { class: 'answer' }, answer),
      el('dt', {}, 'Their answer'),
      el('dd', {}, theirWords ? el('q', { class: 'their-words' }, theirWords) : 'No details were given.'),
      el('dt', {}, 'Attempts'),
      el('dd', {}, `${item.attempts}, the last ${when(item.lastAttempt?.finishedAt ?? null)}`),
      el('dt', {}, 'Destination'),
      el('dd', {}, item.destinationId),
      el('dt', {}, 'Client (MRN)'),
      el('dd', {}, item.patientMrn),
      el('dt', {}, 'Referral'),
      el(
        'dd',
        {},
        item.referralId
          ? el('a', { href: `#/referral/${encodeURIComponent(item.referralId)}` }, item.referralId)
          : '—',
      ),
    ),
    retry,
  );
}

import { ApiError, api } from '../api.js';
import { announce, el, replace } from '../dom.js';
import { sessionDateWords, when } from '../words.js';

// The loop with the referring clinician on the referral view (DESIGN.md §6b; README "Referral
// status and replies"): `GET /referrals/{id}/messages` answers `{ referral, statuses, replies,
// unlinked? }`. Statuses are what the practice told the referrer, oldest first; replies are what
// the clinician wrote back, each with a "Mark handled" button that POSTs
// `/referrals/{id}/messages/{messageId}/handled` and updates that reply in place.

/** The statuses as the referrer's system shows them (Task.businessStatus.text, README table). */
const STATUS_WORDS = {
  accepted: 'Referral accepted',
  declined: 'Referral declined',
  scheduled: 'First session scheduled',
  'in-progress': 'Treatment in progress',
  completed: 'Treatment completed',
  cancelled: 'Referral cancelled',
};

/** The panel; `updates` are the referral view's updates, to name what a reply answers by session. */
export async function messagesSection(referralId, updates) {
  const section = el(
    'section',
    { 'aria-labelledby': 'messages-title', class: 'panel' },
    el('h2', { id: 'messages-title' }, 'Referral status and clinician replies'),
  );
  let messages;
  try {
    messages = await api(`/referrals/${encodeURIComponent(referralId)}/messages`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err; // the page signs out
    const why = err instanceof ApiError ? err.message : 'the server could not be reached.';
    section.append(el('p', { class: 'error' }, `Could not load status and replies: ${why}`));
    return section;
  }
  const { statuses, replies } = messages;
  const unlinked = messages.unlinked ?? [];
  if (!statuses.length && !replies.length && !unlinked.length) {
    section.append(el('p', { class: 'empty' }, 'No status or replies yet.'));
    return section;
  }
  const answers = answersWords(updates);
  section.append(
    el('h3', {}, 'Status, oldest first'),
    statuses.length
      ? el('ol', { class: 'status-history' }, statuses.map(statusItem))
      : el('p', { class: 'empty' }, 'No status recorded yet.'),
    el('h3', {}, 'Replies from the clinician'),
    replies.length
      ? el(
          'ol',
          { class: 'replies' },
          replies.map((r) => replyItem(referralId, r, answers)),
        )
      : el('p', { class: 'empty' }, 'No reply yet.'),
  );
  if (unlinked.length)
    section.append(
      el('h3', {}, 'Replies linked to no referral that may belong here'),
      el(
        'p',
        { class: 'note' },
        'They came from this clinician’s system or name this clinician as sender, but say nothing kap-bridge knows. Read them, act on them, then mark them handled.',
      ),
      el(
        'ol',
        { class: 'replies' },
        unlinked.map((r) => replyItem(referralId, r, answers)),
      ),
    );
  return section;
}

/** "Referral declined, Tue 3 Nov 2026, 10:00 AM PST. Reason: …" (a reason only for a decline or cancellation). */
function statusItem(s) {
  return el(
    'li',
    {},
    el('strong', {}, STATUS_WORDS[s.status] ?? s.status),
    `, ${when(s.at)}.`,
    s.reason ? ` Reason: ${s.reason}` : null,
  );
}

/** "the integration update of session Tue 24 Nov 2026 (no. 3)" for a reply's `inReplyTo`. */
function answersWords(updates) {
  const byId = new Map(updates.map((u) => [u.id, u]));
  return (inReplyTo) => {
    if (!inReplyTo) return 'Does not say what it answers.';
    if (inReplyTo.kind === 'referral') return 'Answers the referral itself.';
    const u = byId.get(inReplyTo.id);
    return u
      ? `Answers the integration update of the session on ${sessionDateWords(u.sessionDate)} (no. ${u.sessionNumber}).`
      : `Answers integration update ${inReplyTo.id}.`;
  };
}

function replyItem(referralId, reply, answers) {
  const state = el('p', { class: 'reply-state', tabindex: '-1' });
  const item = el(
    'li',
    { class: 'reply', 'data-reply': reply.id },
    el(
      'p',
      { class: 'reply-meta' },
      el('strong', {}, `From ${reply.from}`),
      `, received ${when(reply.receivedAt)} `,
      reply.via === 'pull' ? '(read from their system).' : '(sent by their system).',
    ),
    el('p', {}, answers(reply.inReplyTo)),
    el(
      'blockquote',
      {},
      reply.text.split(/\n{2,}/).map((paragraph) => el('p', {}, paragraph)),
    ),
    state,
  );
  showState(state, referralId, reply);
  return item;
}

function showState(state, referralId, reply) {
  if (reply.handled) {
    replace(
      state,
      el('span', { class: 'badge state-delivered' }, 'Handled'),
      ` by ${reply.handledBy ?? 'someone'}, ${when(reply.handledAt)}.`,
    );
    return;
  }
  const button = el(
    'button',
    { type: 'button', class: 'secondary' },
    'Mark handled',
    el(
      'span',
      { class: 'visually-hidden' },
      ` (reply from ${reply.from}, received ${when(reply.receivedAt)})`,
    ),
  );
  button.addEventListener('click', () => markHandled(state, button, referralId, reply));
  replace(state, el('span', { class: 'badge state-awaiting-consent' }, 'Not handled yet'), ' ', button);
}

async function markHandled(state, button, referralId, reply) {
  button.disabled = true;
  const path = `/referrals/${encodeURIComponent(referralId)}/messages/${encodeURIComponent(reply.id)}/handled`;
  try {
    const answer = await api(path, { method: 'POST' });
    showState(state, referralId, answer.reply);
    // The button is gone: focus stays on this reply (its state line), not lost to the page.
    state.focus();
    announce(`Reply from ${reply.from} marked handled.`);
  } catch (err) {
    const why = err instanceof ApiError ? err.message : 'the server could not be reached.';
    button.disabled = false;
    state.querySelector('.error')?.remove();
    state.append(el('span', { class: 'error' }, ` Could not mark it handled: ${why}`));
    button.focus();
    announce(`Could not mark the reply handled: ${why}`);
  }
}

import { el, replace } from '../dom.js';
import { loadSummary, serverClock } from '../summary.js';
import { durationWords, itemWords, stateName, stateReason, when } from '../words.js';

// Items at risk of missing the integration window (DESIGN.md §6: the window closes at the end of
// the third calendar day after the session, in the practice's time zone; not delivered with less
// than 24 h left = at risk), earliest deadline first, each with a live countdown. Items already
// past their window come first: they will still be delivered, flagged late. The list is taken
// when the view opens; the countdown runs on from the server's clock.

export async function renderAtRisk(root, ctx) {
  const summary = await loadSummary();
  const now = serverClock(summary.now);
  // The server says which rows are at risk or late (src/domain/integration-window.ts, one rule).
  const items = summary.items
    .filter((i) => i.window === 'at-risk' || i.window === 'late')
    .sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
  const countdowns = [];
  const list = items.length
    ? el(
        'ol',
        { class: 'risk-list' },
        items.map((i) => {
          const countdown = el('span', { class: 'countdown', 'data-deadline': i.deadline });
          countdowns.push(countdown);
          return el(
            'li',
            { class: 'risk', 'data-item': i.id },
            el('h2', {}, itemWords(i)),
            el(
              'p',
              { class: 'deadline' },
              countdown,
              el('span', { class: 'closes' }, ` Window closes ${when(i.deadline)}.`),
            ),
            el(
              'dl',
              { class: 'facts' },
              el('dt', {}, 'State'),
              el(
                'dd',
                {},
                el('span', { class: `badge state-${i.state}` }, stateName(i.state)),
                ' ',
                stateReason(i),
              ),
              el('dt', {}, 'Client (MRN)'),
              el('dd', {}, i.patientMrn),
              el('dt', {}, 'Destination'),
              el('dd', {}, i.destinationId),
              el('dt', {}, 'Referral'),
              el(
                'dd',
                {},
                i.referralId
                  ? el('a', { href: `#/referral/${encodeURIComponent(i.referralId)}` }, i.referralId)
                  : '—',
              ),
            ),
          );
        }),
      )
    : el('p', { class: 'empty' }, 'Nothing is at risk: every undelivered item has more than 24 hours left.');
  const tick = () => {
    for (const c of countdowns) {
      const left = Date.parse(c.dataset.deadline) - now();
      c.textContent = left >= 0 ? `${durationWords(left)} left.` : `Late: closed ${durationWords(left)} ago.`;
      c.classList.toggle('late', left < 0);
    }
  };
  tick();
  const timer = setInterval(tick, 1000);
  ctx.onLeave(() => clearInterval(timer));
  replace(
    root,
    el('h1', { id: 'view-title', tabindex: '-1' }, 'At risk of missing the integration window'),
    el(
      'p',
      { class: 'lead' },
      'An update helps the referring clinician only inside the integration window, which closes at the end of the third day after the session. These items are not delivered and have less than 24 hours left (or are already late), earliest deadline first.',
    ),
    list,
  );
}

import { el, replace, table } from '../dom.js';
import { distinct, loadSummary } from '../summary.js';
import { STATES, itemWords, stateName, stateReason, when } from '../words.js';

// The outbox by state with counts, filterable by destination and client (DESIGN.md §6 states).

let options; // destinations and clients seen on the unfiltered queue, for the filter lists

/** Drops the filter lists (on sign-out). */
export function forgetQueueFilters() {
  options = undefined;
}

export async function renderQueue(root, ctx) {
  const filter = { destination: ctx.query.get('destination') ?? '', patient: ctx.query.get('patient') ?? '' };
  const summary = await loadSummary(filter);
  if (!filter.destination && !filter.patient)
    options = {
      destinations: distinct(summary.items, 'destinationId'),
      clients: distinct(summary.items, 'patientMrn'),
    };
  let shownState = ctx.query.get('state') ?? '';
  const table = el('div');
  const counts = el('ul', { class: 'counts' });
  const draw = () => {
    replace(
      counts,
      STATES.filter(([s]) => s !== 'cancelled' || summary.counts[s] > 0).map(([state, name]) =>
        el(
          'li',
          {},
          el(
            'button',
            {
              type: 'button',
              class: `count state-${state}`,
              'aria-pressed': shownState === state ? 'true' : 'false',
              onclick: () => {
                shownState = shownState === state ? '' : state;
                draw();
              },
            },
            el('span', { class: 'count-number' }, String(summary.counts[state] ?? 0)),
            el('span', { class: 'count-name' }, name),
          ),
        ),
      ),
    );
    const items = summary.items.filter((i) => !shownState || i.state === shownState);
    replace(table, itemsTable(items, shownState));
  };
  draw();
  replace(
    root,
    el('h1', { id: 'view-title', tabindex: '-1' }, 'Queue'),
    el(
      'p',
      { class: 'lead' },
      'Everything kap-bridge has to send, by state. Choose a state to list only its items; open a referral for its updates, consent and every attempt.',
    ),
    filterForm(filter, ctx),
    el('h2', { id: 'counts-title' }, 'Items by state'),
    counts,
    table,
  );
}

function filterForm(filter, ctx) {
  const select = (id, label, values, current) =>
    el(
      'div',
      { class: 'field' },
      el('label', { for: id }, label),
      el(
        'select',
        { id, name: id },
        el('option', { value: '' }, 'All'),
        values.map((v) => el('option', { value: v, selected: v === current }, v)),
      ),
    );
  return el(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filter the queue',
      onsubmit: (event) => {
        event.preventDefault();
        const form = new FormData(event.target);
        const query = new URLSearchParams();
        for (const name of ['destination', 'patient']) if (form.get(name)) query.set(name, form.get(name));
        ctx.go(`#/queue${query.toString() ? `?${query}` : ''}`);
      },
    },
    select('destination', 'Destination', options?.destinations ?? [], filter.destination),
    select('patient', 'Client (MRN)', options?.clients ?? [], filter.patient),
    el('button', { type: 'submit' }, 'Show'),
  );
}

function itemsTable(items, state) {
  const caption = `${items.length} item${items.length === 1 ? '' : 's'}${state ? ` — ${stateName(state)}` : ''}, earliest deadline first`;
  if (items.length === 0)
    return el('p', { class: 'empty' }, `No items${state ? ` in “${stateName(state)}”` : ''}.`);
  return table(
    caption,
    ['Item', 'Referral', 'Client (MRN)', 'Destination', 'State', 'Why / when', 'Attempts'],
    items.map((i) =>
      el(
        'tr',
        { 'data-item': i.id },
        el('td', {}, itemWords(i)),
        el(
          'td',
          {},
          i.referralId
            ? el('a', { href: `#/referral/${encodeURIComponent(i.referralId)}` }, i.referralId)
            : '—',
        ),
        el('td', {}, i.patientMrn),
        el('td', {}, i.destinationId),
        el('td', {}, el('span', { class: `badge state-${i.state}` }, stateName(i.state))),
        el('td', {}, whyWhen(i)),
        el('td', { class: 'num' }, String(i.attempts)),
      ),
    ),
  );
}

function whyWhen(i) {
  if (i.state === 'delivered')
    return `Delivered ${when(i.deliveredAt)}${i.late ? ' (after its integration window closed)' : ''}`;
  const next = i.state === 'retry-wait' && i.nextAttemptAt ? ` Next try ${when(i.nextAttemptAt)}.` : '';
  return `${stateReason(i)}${next}`;
}

import { el, replace, svg, table } from '../dom.js';
import { loadSummary } from '../summary.js';
import { itemWords, practiceDay, when } from '../words.js';

// Two small charts drawn as inline SVG by this script (no library): deliveries per day over the
// last two weeks, and for each delivered integration update how far into the integration window
// it arrived. The window (DESIGN.md §6) closes at the end of the third calendar day after the
// session: 72 hours after the session day ends, so an update's deadline minus 72 h is where its
// window starts (an update delivered on the session day itself counts as 0 h). Each chart has a
// text summary and its numbers in a table, for readers who cannot see it.

const DAY_MS = 24 * 60 * 60 * 1000;
const DAYS = 14;
const WINDOW_HOURS = 72;

export async function renderChart(root) {
  const summary = await loadSummary();
  const delivered = summary.items.filter((i) => i.state === 'delivered' && i.deliveredAt);
  const updates = delivered
    .filter((i) => i.resourceType === 'Communication' && i.deadline)
    .sort((a, b) => Date.parse(b.deliveredAt) - Date.parse(a.deliveredAt))
    .slice(0, 20)
    .map((i) => ({ item: i, hours: hoursIntoWindow(i) }));
  replace(
    root,
    el('h1', { id: 'view-title', tabindex: '-1' }, 'Deliveries'),
    perDayFigure(delivered, Date.parse(summary.now)),
    timeToDeliveryFigure(updates),
  );
}

/**
 * Hours from the window's start (the end of the session day) to the delivery; 0 when earlier. The
 * deadline is 23:59:59, the day ends a second later; across a daylight-saving change the
 * calendar window is 71 or 73 hours, which this drawing ignores.
 */
function hoursIntoWindow(item) {
  const start = Date.parse(item.deadline) + 1000 - WINDOW_HOURS * 3_600_000;
  return Math.max(0, (Date.parse(item.deliveredAt) - start) / 3_600_000);
}

function perDayFigure(delivered, now) {
  // Days of the practice's zone, counted back from today's; the arithmetic is on dates (at UTC noon).
  const deliveredOn = new Map();
  for (const i of delivered) {
    const day = practiceDay(i.deliveredAt);
    deliveredOn.set(day, (deliveredOn.get(day) ?? 0) + 1);
  }
  const today = practiceDay(now);
  const days = [];
  for (let d = DAYS - 1; d >= 0; d--) {
    const noon = Date.parse(`${today}T12:00:00Z`) - d * DAY_MS;
    const day = new Date(noon).toISOString().slice(0, 10);
    const label = new Date(noon).toLocaleDateString(undefined, {
      day: 'numeric',
      month: 'short',
      timeZone: 'UTC',
    });
    days.push({ label, count: deliveredOn.get(day) ?? 0 });
  }
  const total = days.reduce((n, d) => n + d.count, 0);
  const max = Math.max(1, ...days.map((d) => d.count));
  const W = 640;
  const H = 220;
  const left = 36;
  const bottom = 40;
  const top = 12;
  const slot = (W - left - 8) / DAYS;
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-labelledby': 'per-day-title per-day-desc',
      class: 'chart',
    },
    svg('title', { id: 'per-day-title' }, 'Deliveries per day'),
    svg('desc', { id: 'per-day-desc' }, `${total} deliveries in the last ${DAYS} days.`),
    svg('line', { x1: left, x2: W - 8, y1: y(0), y2: y(0), class: 'axis' }),
    svg('text', { x: left - 6, y: y(max) + 4, class: 'tick', 'text-anchor': 'end' }, String(max)),
    svg('text', { x: left - 6, y: y(0) + 4, class: 'tick', 'text-anchor': 'end' }, '0'),
    days.map((d, i) => [
      svg('rect', {
        x: left + i * slot + 3,
        y: y(d.count),
        width: slot - 6,
        height: y(0) - y(d.count),
        class: 'bar',
      }),
      i % 2 === 1
        ? svg(
            'text',
            { x: left + i * slot + slot / 2, y: H - bottom + 16, class: 'tick', 'text-anchor': 'middle' },
            d.label,
          )
        : null,
    ]),
  );
  return el(
    'figure',
    { class: 'panel' },
    el('h2', {}, 'Deliveries per day'),
    chart,
    el('figcaption', {}, `${total} items reached a clinician’s system in the last ${DAYS} days.`),
    dataTable(
      'Deliveries per day (numbers)',
      ['Day', 'Delivered'],
      days.map((d) => [d.label, String(d.count)]),
    ),
  );
}

function timeToDeliveryFigure(rows) {
  const W = 640;
  const left = 200;
  const right = 16;
  const rowH = 22;
  const top = 24;
  const H = top + Math.max(rows.length, 1) * rowH + 30;
  const maxHours = Math.max(WINDOW_HOURS + 24, ...rows.map((r) => Math.ceil(r.hours)));
  const x = (h) => left + ((W - left - right) * Math.max(h, 0)) / maxHours;
  const within = rows.filter((r) => r.hours <= WINDOW_HOURS).length;
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'ttd-title ttd-desc', class: 'chart' },
    svg('title', { id: 'ttd-title' }, 'Time to delivery of integration updates'),
    svg(
      'desc',
      { id: 'ttd-desc' },
      `${within} of ${rows.length} updates were delivered inside their ${WINDOW_HOURS}-hour window.`,
    ),
    rows.map((r, i) => [
      svg(
        'text',
        { x: left - 8, y: top + i * rowH + 15, class: 'tick', 'text-anchor': 'end' },
        r.item.sessionDate ? `Session ${r.item.sessionDate}` : r.item.id,
      ),
      svg('rect', {
        x: left,
        y: top + i * rowH + 4,
        width: Math.max(x(r.hours) - left, 2),
        height: rowH - 8,
        class: r.hours > WINDOW_HOURS || r.item.late ? 'bar late' : 'bar',
      }),
    ]),
    svg('line', { x1: x(WINDOW_HOURS), x2: x(WINDOW_HOURS), y1: top - 6, y2: H - 24, class: 'window-line' }),
    svg(
      'text',
      { x: x(WINDOW_HOURS), y: top - 10, class: 'tick', 'text-anchor': 'middle' },
      `${WINDOW_HOURS} h window`,
    ),
    svg('line', { x1: left, x2: W - right, y1: H - 24, y2: H - 24, class: 'axis' }),
    svg('text', { x: left, y: H - 8, class: 'tick', 'text-anchor': 'start' }, '0 h'),
    svg('text', { x: W - right, y: H - 8, class: 'tick', 'text-anchor': 'end' }, `${maxHours} h`),
  );
  return el(
    'figure',
    { class: 'panel' },
    el('h2', {}, 'Time to delivery against the 72-hour window'),
    rows.length ? chart : el('p', { class: 'empty' }, 'No integration update has been delivered yet.'),
    el(
      'figcaption',
      {},
      `How many hours into its integration window (which starts when the session day ends) each update reached the clinician, latest ${rows.length} first. ${within} of ${rows.length} inside ${WINDOW_HOURS} hours.`,
    ),
    dataTable(
      'Time to delivery (numbers)',
      ['Update', 'Recorded', 'Delivered', 'Hours'],
      rows.map((r) => [
        itemWords(r.item),
        when(r.item.createdAt),
        when(r.item.deliveredAt),
        r.hours.toFixed(1),
      ]),
    ),
  );
}

function dataTable(summary, headers, rows) {
  return el(
    'details',
    { class: 'data' },
    el('summary', {}, summary),
    table(
      null,
      headers,
      rows.map((r) =>
        el(
          'tr',
          {},
          r.map((c) => el('td', {}, c)),
        ),
      ),
    ),
  );
}

import { ApiError, api } from '../api.js';
import { el, replace, table } from '../dom.js';
import { when } from '../words.js';
import { SHARE_WORDS } from '../words.js';

// The disclosure log of one client (keys with `audit`; 45 CFR 164.528: a client may ask for an
// accounting of disclosures): what reached whom, when, under which consent. Printable: the print
// stylesheet leaves only the log and its heading. The MRN is typed, never put in the URL.

export function renderDisclosures(root) {
  const result = el('div', { id: 'disclosure-result' });
  const form = el(
    'form',
    { class: 'filters no-print', 'aria-label': 'Choose a client' },
    el(
      'div',
      { class: 'field' },
      el('label', { for: 'mrn' }, 'Client MRN'),
      el('input', {
        id: 'mrn',
        name: 'mrn',
        type: 'text',
        required: true,
        autocomplete: 'off',
        spellcheck: 'false',
      }),
    ),
    el('button', { type: 'submit' }, 'Show log'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const mrn = new FormData(form).get('mrn')?.toString().trim();
    if (!mrn) return;
    try {
      const log = await api(`/patients/${encodeURIComponent(mrn)}/disclosures`);
      replace(result, logView(log));
    } catch (err) {
      replace(
        result,
        el(
          'p',
          { class: 'error', role: 'alert' },
          err instanceof ApiError ? err.message : 'The server could not be reached.',
        ),
      );
    }
  });
  replace(
    root,
    el('h1', { id: 'view-title', tabindex: '-1' }, 'Disclosure log'),
    el(
      'p',
      { class: 'lead no-print' },
      'Every disclosure of a client’s information that reached a clinician’s system. Reading it is recorded in the audit trail.',
    ),
    form,
    result,
  );
}

function logView(log) {
  const printed = when(new Date().toISOString());
  return el(
    'section',
    { class: 'disclosure-log', 'aria-labelledby': 'log-title' },
    el('h2', { id: 'log-title' }, `Accounting of disclosures for client ${log.mrn}`),
    el('p', { class: 'note' }, `Prepared ${printed} (45 CFR 164.528). ${log.entries.length} disclosure(s).`),
    el('button', { type: 'button', class: 'no-print', onclick: () => window.print() }, 'Print'),
    log.entries.length
      ? table(
          'Disclosures, oldest first',
          ['Date', 'Recipient', 'What was disclosed', 'Purpose', 'Under consent'],
          log.entries.map((e) =>
            el(
              'tr',
              {},
              el('td', {}, when(e.date)),
              el(
                'td',
                {},
                e.recipientName ? [e.recipientName, el('br')] : null,
                `NPI ${e.recipientNpi ?? 'unknown'}${e.destinationId ? `, via ${e.destinationId}` : ''}`,
              ),
              el('td', {}, whatWords(e)),
              el('td', {}, e.purpose === 'TREAT' ? 'Treatment' : (e.purpose ?? '')),
              el('td', {}, e.consent ?? '—'),
            ),
          ),
        )
      : el('p', { class: 'empty' }, 'Nothing about this client has been disclosed.'),
  );
}

function whatWords(entry) {
  const kinds = entry.what.map((ref) => ref.split('/')[0]);
  const label = kinds.includes('Communication')
    ? 'Integration update'
    : kinds.includes('Consent')
      ? 'Consent'
      : kinds.includes('ServiceRequest')
        ? 'Referral status'
        : kinds.join(', ');
  const sections = (entry.sections ?? []).map((s) => SHARE_WORDS[s] ?? s);
  return `${label}${sections.length ? `: ${sections.join('; ')}` : ''}${entry.late ? ' (late)' : ''}`;
}

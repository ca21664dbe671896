import { ApiError, api, forgetKey, saveKey, savedKey } from './api.js';
import { el, replace } from './dom.js';
import { renderAtRisk } from './views/at-risk.js';
import { renderChart } from './views/chart.js';
import { renderDead } from './views/dead.js';
import { renderDisclosures } from './views/disclosures.js';
import { forgetQueueFilters, renderQueue } from './views/queue.js';
import { renderReferral } from './views/referral.js';
import { setPracticeZone } from './words.js';

// Sign-in and the views. Nothing about any client is requested before a key is accepted; the
// key's scopes (from `GET /session`) decide which views are offered — `ops` the queue views,
// `audit` the disclosure log — and the API refuses the rest anyway (DESIGN.md §8).

const VIEWS = {
  queue: { scope: 'ops', title: 'Queue', render: renderQueue },
  'at-risk': { scope: 'ops', title: 'At risk', render: renderAtRisk },
  dead: { scope: 'ops', title: 'Failed items', render: renderDead },
  referral: { scope: 'ops', title: 'Referral', render: renderReferral },
  chart: { scope: 'ops', title: 'Deliveries', render: renderChart },
  disclosures: { scope: 'audit', title: 'Disclosure log', render: renderDisclosures },
};

let session = null;
let leave = [];

const $ = (id) => document.getElementById(id);

async function start() {
  $('sign-in-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', () => signOut(''));
  window.addEventListener('hashchange', () => show());
  const key = savedKey();
  if (key) await signIn(key);
  else showSignIn();
}

async function onSignIn(event) {
  event.preventDefault();
  const input = $('api-key');
  const key = input.value.trim();
  input.value = '';
  if (!key) {
    $('sign-in-error').textContent = 'Enter your API key.';
    input.focus();
    return;
  }
  await signIn(key);
}

async function signIn(key) {
  try {
    session = await api('/session', { key });
  } catch (err) {
    forgetKey();
    const text =
      err instanceof ApiError && err.status === 401
        ? 'That key was not accepted. Check it and try again.'
        : `Could not sign in: ${err instanceof ApiError ? err.message : 'the server could not be reached.'}`;
    showSignIn(text);
    return;
  }
  saveKey(key);
  setPracticeZone(session.timeZone);
  $('sign-in').hidden = true;
  $('sign-in-error').textContent = '';
  $('who').hidden = false;
  $('who-name').textContent = session.name;
  $('views').hidden = false;
  for (const item of document.querySelectorAll('#views li'))
    item.hidden = !session.scopes.includes(item.dataset.scope);
  await show();
}

function signOut(message) {
  forgetKey();
  session = null;
  forgetQueueFilters(); // the next key may see other clients: offer none of this one's
  history.replaceState(null, '', location.pathname); // nor leave a filter (an MRN) in the address
  runLeave();
  replace($('view'));
  $('who').hidden = true;
  $('views').hidden = true;
  showSignIn(message);
}

function showSignIn(message = '') {
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  document.title = 'Sign in — kap-bridge operations';
  $('api-key').focus();
}

function runLeave() {
  for (const fn of leave) fn();
  leave = [];
}

/** The view named by the hash (`#/name/arg?query`), if the key may see it. */
function route() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name = '', arg = ''] = path.split('/');
  const allowed = Object.keys(VIEWS).filter((v) => session.scopes.includes(VIEWS[v].scope));
  const chosen = allowed.includes(name) ? name : allowed[0];
  return { name: chosen, arg: decodeURIComponent(arg), query: new URLSearchParams(query) };
}

async function show() {
  if (!session) return;
  runLeave();
  const root = $('view');
  const { name, arg, query } = route();
  if (!name) {
    replace(
      root,
      el('h1', {}, 'Nothing to show'),
      el('p', {}, 'This key holds neither the ops nor the audit scope.'),
    );
    return;
  }
  for (const link of document.querySelectorAll('#views a')) {
    if (link.getAttribute('href') === `#/${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${VIEWS[name].title} — kap-bridge operations`;
  replace(root, el('p', { class: 'loading' }, 'Loading…'));
  const ctx = {
    arg,
    query,
    go: (hash) => (location.hash = hash),
    refresh: () => show(),
    onLeave: (fn) => leave.push(fn),
  };
  try {
    await VIEWS[name].render(root, ctx);
    $('view-title')?.focus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401)
      return signOut('Your key is no longer accepted; sign in again.');
    const text =
      err instanceof ApiError
        ? err.status === 404
          ? `Not found: ${err.message}`
          : err.message
        : 'The server could not be reached.';
    replace(
      root,
      el('h1', { id: 'view-title', tabindex: '-1' }, VIEWS[name].title),
      el('p', { class: 'error', role: 'alert' }, text),
    );
  }
}

start();

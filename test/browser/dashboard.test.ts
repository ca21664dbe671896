import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  CHROMIUM_PATH,
  HAS_CHROMIUM,
  IN_CI,
  axeViolations,
  launchChromium,
  screenshot,
} from './support/browser';
import { KEYS, REFUSAL_TEXT, openDashboardWorld, type DashboardWorld } from './support/dashboard-world';

/**
 * The operations dashboard (issue 14; DESIGN.md §6, §6b, §8) in Debian's Chromium against a
 * running kap-bridge that delivers to a sandbox EHR through a fault proxy. A person signs in with
 * a key, finds a delivered update, sees why a failed one was refused and retries it, watches the
 * integration-window countdown tick, and reads a client's disclosure log; axe-core finds no
 * accessibility violation in any view. Screenshots go to test/browser/screenshots/.
 */

if (!HAS_CHROMIUM && !IN_CI) {
  console.log(
    `browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

const run = HAS_CHROMIUM ? describe : describe.skip;
// A browser and a service under `npm test`'s parallel load: generous bounds, never speed checks.
jest.setTimeout(90_000);

if (IN_CI) {
  test('under CI=true the browser tests cannot be skipped: Chromium is installed', () => {
    expect({ chromium: CHROMIUM_PATH, present: HAS_CHROMIUM }).toEqual({
      chromium: CHROMIUM_PATH,
      present: true,
    });
  });
}

run('the operations dashboard in a real browser', () => {
  let world: DashboardWorld;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const apiCalls: string[] = [];
  const DAY = 24 * 60 * 60 * 1000;
  const screenshots: string[] = [];

  const sessionWords = (date: string) =>
    new Date(`${date}T12:00:00Z`).toLocaleDateString('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    });
  const noViolations = async (view: string) => {
    const violations = await axeViolations(page);
    expect({ view, violations }).toEqual({ view, violations: [] });
  };
  const openView = async (link: string, title: string) => {
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: link }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  };

  beforeAll(async () => {
    world = await openDashboardWorld();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    // Violations of the Content-Security-Policy are collected from the first byte on (an init
    // script runs outside the page's policy, like DevTools).
    await page.addInitScript(() => {
      const w = globalThis as any;
      w.cspViolations = [];
      w.document.addEventListener('securitypolicyviolation', (e: any) =>
        w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    page.setDefaultTimeout(20_000);
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (!url.pathname.startsWith('/ui')) apiCalls.push(`${r.method()} ${url.pathname}`);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
    if (screenshots.length) console.log(`screenshots:\n  ${screenshots.join('\n  ')}`);
  });

  test('before sign-in the page asks for a key (a password field) and has requested nothing about any client', async () => {
    const res = await page.goto(`${world.svc.url}/ui/`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('API key').getAttribute('type')).toBe('password');
    expect(apiCalls).toEqual([]);
    expect(await page.textContent('body')).not.toMatch(/KAP-0001|REF-2026/);
    screenshots.push(await screenshot(page, '1-sign-in'));
    await noViolations('sign-in');
  });

  test('a wrong key is refused and shown as such; the right key signs in, kept in sessionStorage only', async () => {
    await page.getByLabel('API key').fill('not-a-key-at-all-0000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That key was not accepted').waitFor();
    // By keyboard: the field is focused after a refusal, Enter submits.
    await page.keyboard.type(KEYS.frontDesk.key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Queue' }).waitFor();
    expect(await page.getByText('Signed in as').textContent()).toContain('front-desk');
    expect(page.url()).not.toContain(KEYS.frontDesk.key);
    expect(await page.evaluate(() => (globalThis as any).document.cookie)).toBe('');
    expect(await page.evaluate(() => Object.values((globalThis as any).sessionStorage))).toEqual([
      KEYS.frontDesk.key,
    ]);
    expect(await page.evaluate(() => Object.keys((globalThis as any).localStorage))).toEqual([]);
  });

  test('the queue counts items by state and finds the delivered update of a session by its date', async () => {
    const delivered = page.getByRole('button', { name: /Delivered/ });
    expect(await delivered.textContent()).toMatch(/^3\s*Delivered$/);
    expect(await page.getByRole('button', { name: /Failed/ }).textContent()).toMatch(/^1\s*Failed$/);
    await delivered.focus();
    await page.keyboard.press('Space');
    expect(await delivered.getAttribute('aria-pressed')).toBe('true');
    const row = page.getByRole('row', {
      name: new RegExp(`session ${sessionWords(world.sessions.delivered)}`),
    });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/REF-2026-0042.*KAP-000123.*lakeside-ehr.*Delivered/);
    screenshots.push(await screenshot(page, '2-queue-delivered'));
    await noViolations('queue');
  });

  test('the queue filters by client on the server', async () => {
    await page.getByLabel('Client (MRN)').selectOption('KAP-000131');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(() => (globalThis as any).location.hash.includes('patient=KAP-000131'));
    await page.getByRole('cell', { name: 'KAP-000131' }).first().waitFor();
    expect(await page.getByRole('cell', { name: 'KAP-000123' }).count()).toBe(0);
    expect(apiCalls).toContain('GET /outbox/summary');
  });

  test('a referral shows the clinician, the consent in force in plain words, each update with its delivery and attempts', async () => {
    await page.goto(`${world.svc.url}/ui/#/referral/REF-2026-0042`);
    await page.getByRole('heading', { level: 1, name: 'Referral REF-2026-0042' }).waitFor();
    const body = await page.textContent('main');
    expect(body).toContain('Jordan Lee, LMFT (psychotherapist, Lakeside Psychotherapy), NPI 1234567893');
    expect(body).toContain('Consent CON-2026-0042-1 is in force');
    expect(body).toContain('observations of emotional, cognitive and sensory experience');
    expect(body).not.toContain('Avery');
    const third = page.getByRole('row', { name: new RegExp(sessionWords(world.sessions.delivered)) });
    expect(await third.textContent()).toMatch(/Delivered to lakeside-ehr/);
    const fourth = page.getByRole('row', { name: new RegExp(sessionWords(world.sessions.refused)) });
    expect(await fourth.textContent()).toMatch(/Failed.*HTTP 422/);
    await page.getByText('No status or replies yet.').waitFor();
    await noViolations('referral');
    screenshots.push(await screenshot(page, '3-referral'));
  });

  test('the client name is shown only after a click, and that read is in the audit trail', async () => {
    const before = await world.svc.runtime.store.listAudit({ patientMrn: 'KAP-000123' });
    await page.getByRole('button', { name: /Show name/ }).click();
    await page.locator('#view').getByText('Avery Stone', { exact: true }).waitFor();
    const after = await world.svc.runtime.store.listAudit({ patientMrn: 'KAP-000123' });
    const reads = after.slice(before.length).map((a) => a.event.entity?.[0]?.what?.display ?? '');
    expect(reads.some((what) => what.startsWith('client-name'))).toBe(true);
    expect(after.slice(before.length).map((a) => a.event.agent?.[0]?.who?.display)).toContain('front-desk');
  });

  test('a failed update says in plain words what the clinician’s system answered, and Retry sends it', async () => {
    await openView('Failed', 'Failed items');
    const card = page.getByRole('listitem').filter({ hasText: sessionWords(world.sessions.refused) });
    expect(await card.textContent()).toContain(
      'The clinician’s system refused it: it did not pass their checks (HTTP 422).',
    );
    expect(await card.textContent()).toContain(REFUSAL_TEXT);
    screenshots.push(await screenshot(page, '4-failed'));
    await noViolations('failed');
    await card.getByRole('button', { name: 'Retry now' }).click();
    await page
      .locator('#view')
      .getByText(/^Queued again/)
      .waitFor();
    await page.getByText('No failed items.').waitFor({ timeout: 20_000 });
    const items = await world.waitForOutbox(
      (all) => all.some((i) => i.sessionDate === world.sessions.refused && i.state === 'delivered'),
      'the retried update delivered',
    );
    const retried = items.find((i) => i.sessionDate === world.sessions.refused);
    const attempts = await world.svc.runtime.store.listAttempts(retried.id);
    expect(attempts.map((a) => [a.result, a.httpStatus])).toEqual([
      ['dead', 422],
      ['delivered', expect.any(Number)],
    ]);
  });

  test('the update whose window closes tonight is at risk, with a countdown that ticks', async () => {
    await openView('At risk', 'At risk of missing the integration window');
    const countdown = page.locator('.countdown').first();
    const first = await countdown.textContent();
    expect(first).toMatch(/^\d+ h \d\d min \d\d s left\.$/);
    await page.waitForFunction(
      (was) => (globalThis as any).document.querySelector('.countdown')?.textContent !== was,
      first,
      {
        timeout: 5_000,
      },
    );
    const later = await countdown.textContent();
    expect(later).not.toBe(first);
    const item = page.getByRole('listitem').filter({ hasText: sessionWords(world.sessions.atRisk) });
    expect(await item.textContent()).toContain('no consent to share with this clinician is on file yet');
    screenshots.push(await screenshot(page, '5-at-risk'));
    await noViolations('at-risk');
  });

  test('the chart draws deliveries per day and time to delivery against the 72-hour window', async () => {
    await openView('Deliveries chart', 'Deliveries');
    expect(await page.locator('svg.chart').count()).toBe(2);
    expect(await page.locator('svg.chart rect.bar').count()).toBeGreaterThan(14);
    await page.getByText('72 h window').waitFor();
    expect(await page.textContent('main')).toMatch(/2 of 2 inside 72 hours/);
    screenshots.push(await screenshot(page, '6-chart'));
    await noViolations('chart');
  });

  test('the disclosure log of a client lists what reached the clinician and prints without the page around it', async () => {
    await openView('Disclosure log', 'Disclosure log');
    await page.getByLabel('Client MRN').fill('KAP-000123');
    await page.getByRole('button', { name: 'Show log' }).click();
    await page.getByRole('heading', { name: 'Accounting of disclosures for client KAP-000123' }).waitFor();
    const rows = page.locator('.disclosure-log tbody tr');
    expect(await rows.count()).toBe(4); // referral status, consent, sessions 3 and 4
    const log = await page.textContent('.disclosure-log');
    expect(log).toContain('Integration update: the overall focus of each session');
    expect(log).toContain('Jordan Lee, LMFT (Lakeside Psychotherapy)NPI 1234567893, via lakeside-ehr');
    await noViolations('disclosures');
    screenshots.push(await screenshot(page, '7-disclosures'));
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByRole('navigation', { name: 'Views' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Print' }).isVisible()).toBe(false);
    expect(await rows.first().isVisible()).toBe(true);
    screenshots.push(await screenshot(page, '8-disclosures-print'));
    await page.emulateMedia({ media: 'screen' });
  });

  test('the referral shows its status history and the clinician’s reply, which Mark handled marks handled; a decline shows its reason', async () => {
    // The practice records the referral accepted, then the first session scheduled; Lakeside's
    // system pushes Jordan Lee's reply to the third session's update.
    const recordStatus = async (referral: string, body: object) => {
      const res = await world.call('POST', `/referrals/${referral}/status`, KEYS.ingest.key, body);
      expect(res.status).toBe(201);
    };
    const status = (body: object) => recordStatus('REF-2026-0042', body);
    await status({ status: 'accepted', at: new Date(Date.now() - 19 * DAY).toISOString() });
    await status({ status: 'scheduled', at: new Date(Date.now() - 18 * DAY).toISOString() });
    const pushed = await world.call('POST', '/fhir/Communication', KEYS.lakeside.key, {
      resourceType: 'Communication',
      identifier: [{ system: 'https://ehr.lakeside.example/messages', value: 'MSG-4410' }],
      status: 'completed',
      inResponseTo: [
        {
          type: 'Communication',
          identifier: {
            system: 'https://kap-bridge.example/fhir/sid/integration-update',
            value: 'UPD-2026-0042-03',
          },
        },
      ],
      sent: new Date(Date.now() - 30 * 60 * 1000).toISOString(),
      sender: {
        display: 'Jordan Lee, LMFT',
        identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' },
      },
      payload: [
        { contentString: 'Thank you, this is helpful.' },
        { contentString: 'I will pick up the breathing practice at our next session.' },
      ],
    });
    expect(pushed.status).toBe(201);

    // Signed out, the referral's address shows the sign-in form and asks the API nothing.
    await page.getByRole('button', { name: 'Sign out' }).click();
    const callsBefore = apiCalls.length;
    await page.goto(`${world.svc.url}/ui/#/referral/REF-2026-0042`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.textContent('body')).not.toMatch(/breathing|Jordan Lee|REF-2026/);
    expect(apiCalls.slice(callsBefore)).toEqual([]);
    // Signed in, the same address opens the referral, which reads the loop with the key.
    await page.getByLabel('API key').fill(KEYS.frontDesk.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referral REF-2026-0042' }).waitFor();
    expect(apiCalls.slice(callsBefore)).toContain('GET /referrals/REF-2026-0042/messages');
    const panel = page.getByRole('region', { name: 'Referral status and clinician replies' });
    const history = await panel.locator('.status-history li').allTextContents();
    expect(history).toEqual([
      expect.stringMatching(/^Referral accepted, .+\.$/),
      expect.stringMatching(/^First session scheduled, .+\.$/),
    ]);
    const reply = panel.locator('li.reply');
    expect(await reply.count()).toBe(1);
    const text = await reply.textContent();
    expect(text).toContain('From Jordan Lee, LMFT, received');
    expect(text).toContain('(sent by their system)');
    expect(text).toContain(
      `Answers the integration update of the session on ${sessionWords(world.sessions.delivered)} (no. 3).`,
    );
    expect(await reply.locator('blockquote p').allTextContents()).toEqual([
      'Thank you, this is helpful.',
      'I will pick up the breathing practice at our next session.',
    ]);
    expect(text).toContain('Not handled yet');
    // Each status change is a Task version queued for the clinician, shown with its delivery.
    const sent = await page.getByRole('region', { name: /sent to the clinician/ }).textContent();
    expect(sent).toMatch(/Status change:/);
    await noViolations('referral with replies');

    const mark = reply.getByRole('button', { name: /^Mark handled/ });
    expect(await mark.getAttribute('type')).toBe('button');
    await mark.focus();
    await page.keyboard.press('Enter');
    await reply.getByText(/^Handled$/).waitFor();
    expect(await reply.locator('.reply-state').textContent()).toMatch(/^Handled by front-desk, .+\.$/);
    expect(await reply.getByRole('button').count()).toBe(0);
    // Focus stays on this reply (its state line), and the change is announced politely.
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.className)).toBe(
      'reply-state',
    );
    await page.waitForFunction(
      () => (globalThis as any).document.getElementById('announce')?.textContent !== '',
    );
    expect(await page.locator('#announce').textContent()).toBe('Reply from Jordan Lee, LMFT marked handled.');
    expect(await page.locator('#announce').getAttribute('aria-live')).toBe('polite');
    expect(apiCalls.filter((c) => c.endsWith('/handled'))).toEqual([
      expect.stringMatching(/^POST \/referrals\/REF-2026-0042\/messages\/[^/]+\/handled$/),
    ]);
    const stored = await world.call('GET', '/referrals/REF-2026-0042/messages', KEYS.frontDesk.key);
    expect(stored.body.replies.map((r: any) => [r.handled, r.handledBy])).toEqual([[true, 'front-desk']]);
    await noViolations('referral, reply handled');
    screenshots.push(await screenshot(page, '9-replies'));

    expect(await page.evaluate(() => (globalThis as any).cspViolations)).toEqual([]);

    // A reload shows it handled from the server's answer, not from the page's memory.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Referral REF-2026-0042' }).waitFor();
    await panel
      .locator('li.reply')
      .getByText(/^Handled$/)
      .waitFor();
    expect(await panel.getByRole('button', { name: /Mark handled/ }).count()).toBe(0);

    // A declined referral shows the reason with its status, and no reply yet.
    await recordStatus('REF-2026-0057', {
      status: 'declined',
      at: new Date(Date.now() - 9 * DAY).toISOString(),
      reason: 'We have no opening in the next three months.',
    });
    await page.goto(`${world.svc.url}/ui/#/referral/REF-2026-0057`);
    await page.getByRole('heading', { level: 1, name: 'Referral REF-2026-0057' }).waitFor();
    expect(await panel.locator('.status-history li').allTextContents()).toEqual([
      expect.stringMatching(
        /^Referral declined, .+\. Reason: We have no opening in the next three months\.$/,
      ),
    ]);
    expect(await panel.textContent()).toContain('No reply yet.');
    await noViolations('declined referral');
  });

  test('the page broke no Content-Security-Policy rule', async () => {
    expect(await page.evaluate(() => (globalThis as any).cspViolations)).toEqual([]);
  });

  test('the key’s scopes decide the views: ops sees the queue, not the log; audit the log, not the queue', async () => {
    const viewsFor = async (key: string) => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1 }).filter({ hasNotText: 'Sign in' }).waitFor();
      return page.getByRole('navigation', { name: 'Views' }).getByRole('link').allTextContents();
    };
    expect(await viewsFor(KEYS.opsOnly.key)).toEqual([
      'Queue',
      'At risk',
      'Failed',
      'Referral',
      'Deliveries chart',
    ]);
    expect(await viewsFor(KEYS.auditOnly.key)).toEqual(['Disclosure log']);
    await page.getByRole('heading', { level: 1, name: 'Disclosure log' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate(() => Object.keys((globalThis as any).sessionStorage))).toEqual([]);
    expect(page.url()).toBe(`${world.svc.url}/ui/`);
    expect(await page.locator('#view').textContent()).toBe('');
  });
});

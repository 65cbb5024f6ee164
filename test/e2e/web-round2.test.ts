import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, Page } from 'playwright-core';
import { hasChromium, launchBrowser, screenshot, type BrowserSession } from './browser';
import { startKohort, type KohortServer } from './server';
import { ingest, pick, signIn } from './ui';

/**
 * Issue 17: results you can trust (stale Run, incomplete filters, unknown
 * names), definitions in plain words, nothing lost by accident (unsaved
 * changes, wizard reload), syncs that say they fail, list state in the URL,
 * and phone layouts that do not scroll sideways.
 */

/** Elements a phone user would have to scroll sideways to see (scroll containers excepted). */
const SIDEWAYS = `(() => {
  const doc = document.documentElement;
  const out = [];
  if (doc.scrollWidth > doc.clientWidth + 1) out.push('document ' + doc.scrollWidth + ' > ' + doc.clientWidth);
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > innerWidth + 1 && !inScroller(el)) out.push(el.tagName + ' ' + String(el.getAttribute('aria-label') || el.className).slice(0, 60));
  }
  return out.slice(0, 5);
})()`;

describe.skipIf(!hasChromium)('web app, round 2', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let page: Page;
  /** What to answer to the next "leave without saving?" question; every question asked is recorded. */
  let answer: 'accept' | 'dismiss' = 'accept';
  const asked: string[] = [];
  let bigId = '';

  beforeAll(async () => {
    server = await startKohort();
    const batch: Record<string, unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const userId = `p${String(i).padStart(2, '0')}`;
      batch.push({ type: 'track', userId, event: 'purchase', properties: { brand: i % 2 ? 'acme' : 'globex', price: 100 + i * 50 }, timestamp: '2024-03-01T10:00:00Z' });
      batch.push({ type: 'track', userId, event: 'purchase', properties: { brand: 'acme', price: 2000 }, timestamp: '2024-04-01T10:00:00Z' });
      batch.push({ type: 'identify', userId, traits: { email: `${userId}@shop.test`, plan: i % 3 ? 'free' : 'pro' }, timestamp: '2024-03-01T10:00:00Z' });
    }
    // One rare brand, long before the others.
    batch.push({ type: 'track', userId: 'p00', event: 'purchase', properties: { brand: 'Zeta Rare', price: 5 }, timestamp: '2023-01-01T10:00:00Z' });
    await ingest(server, batch);
    const big = await server.api<{ id: string }>('POST', '/v1/cohorts', {
      name: 'Big spenders', tags: ['VIP'],
      definition: { match: 'all', rules: [{ type: 'event', event: 'purchase', where: [{ property: 'price', op: 'gt', value: 1000 }], count: { op: 'gt', value: 1 }, window: { type: 'since', from: '2023-03-22' } }] },
    });
    expect(big.status).toBe(201);
    bigId = big.body.id;
    for (const c of [
      { name: 'Pro plan', tags: ['vip', 'Plans'], definition: { match: 'all', rules: [{ type: 'property', property: 'plan', op: 'eq', value: 'pro' }] } },
      { name: 'Old experiment', status: 'archived', tags: ['vip'], definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } },
    ]) expect((await server.api('POST', '/v1/cohorts', c)).status).toBe(201);
    browser = await launchBrowser();
    page = await browser.newPage({ width: 1440, height: 900 });
    page.on('dialog', (d: Dialog) => {
      asked.push(d.type() === 'beforeunload' ? 'beforeunload' : d.message());
      void (answer === 'accept' ? d.accept() : d.dismiss());
    });
    await signIn(page, server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function newCohortPage() {
    answer = 'accept';
    await page.goto(`${server.url}/cohorts/new`);
    await page.getByRole('heading', { name: 'New cohort' }).waitFor();
  }

  it('clears the Run result on edit, lists what is incomplete instead of a size, and flags unknown names', async () => {
    await newCohortPage();
    const rule = page.getByRole('group', { name: 'Performed event' });
    // An event name nobody sent: flagged beside the field and by the size.
    await rule.getByLabel('Event', { exact: true }).fill('purchse');
    await page.keyboard.press('Escape');
    await rule.getByText('No "purchse" events have arrived yet').waitFor();
    await page.getByTestId('preview-warnings').filter({ hasText: 'purchse' }).waitFor();
    await rule.getByLabel('Event', { exact: true }).fill('purchase');
    await page.keyboard.press('Escape');
    await expect.poll(() => rule.getByText('No "purchse" events').count()).toBe(0);

    // "brand =" with no value: no "0 users", but what is left to fill in.
    await rule.getByRole('button', { name: '+ Where property' }).click();
    await rule.getByLabel('Property', { exact: true }).fill('brand');
    await page.keyboard.press('Escape');
    await page.getByTestId('size-incomplete').waitFor();
    await expect.poll(() => page.getByRole('list', { name: 'Still to fill in' }).textContent()).toContain('Enter a value for brand');
    expect(await page.getByTestId('live-size').count()).toBe(0);

    // Value suggestions come from every stored event: the rare brand is found by typing part of it.
    await rule.getByLabel('Value of brand').fill('zeta');
    await page.getByRole('option', { name: 'Zeta Rare', exact: true }).waitFor();
    await page.getByRole('option', { name: 'Zeta Rare', exact: true }).click();
    await rule.getByLabel('Value of brand').fill('acme');
    await page.keyboard.press('Escape');

    // Run, then edit: the old answer goes away instead of sitting next to new conditions.
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.getByTestId('run-size').textContent()).toBe('60');
    expect(await page.getByTestId('run-result').textContent()).toContain('A random sample of 20');
    await rule.getByLabel('Value of brand').fill('globex');
    await expect.poll(() => page.getByTestId('run-result').count()).toBe(0);
    await expect.poll(() => page.getByTestId('live-size').textContent()).toContain('30 users');

    // A property the event never carried is flagged too.
    await rule.getByLabel('Property', { exact: true }).fill('colour');
    await page.keyboard.press('Escape');
    await rule.getByText('No purchase event has a "colour" property yet').waitFor();
  });

  it('says every kind of rule in plain words in the builder, on the cohort page and in the list', async () => {
    await newCohortPage();
    const definition = {
      match: 'all', rules: [
        { type: 'event', event: 'purchase', where: [{ property: 'brand', op: 'eq', value: 'acme' }, { property: 'price', op: 'gt', value: 1000 }], count: { op: 'gt', value: 1 }, window: { type: 'since', from: '2023-03-22' } },
        { type: 'event', event: 'signup_activity', negate: true },
        { type: 'sequence', steps: [{ event: 'view' }, { event: 'purchase' }], within: { amount: 1, unit: 'day' } },
        { type: 'first_time', event: 'purchase', window: { type: 'last', amount: 7, unit: 'day' } },
        { type: 'property', property: 'plan', op: 'eq', value: 'pro' },
        { type: 'cohort', cohortId: bigId, negate: true },
        { type: 'group', match: 'any', rules: [{ type: 'event', event: 'cart' }, { type: 'property', property: 'vip', op: 'is_set' }] },
      ],
    };
    await page.getByRole('tab', { name: 'JSON' }).click();
    await page.getByLabel('Definition JSON').fill(JSON.stringify(definition));
    await page.getByRole('button', { name: 'Apply JSON' }).click();
    const summary = page.getByRole('note', { name: 'In plain words' });
    const expected = [
      'Performed purchase where brand = acme and price > 1000 more than once, on or after 22 Mar 2023',
      'Did not perform signup_activity',
      'Performed view, then purchase all within 1 day',
      'Performed purchase for the first time in the last 7 days',
      'Has plan = pro',
      'Not in cohort Big spenders',
      '(performed cart or has vip is set)',
    ];
    await expect.poll(async () => (await summary.getByRole('listitem').allTextContents())).toEqual(expected);
    // "Did not perform" has no "at least 1 times" beside it.
    expect(await page.getByRole('group', { name: 'Did not perform' }).getByLabel('Count comparison').count()).toBe(0);
    await screenshot(page, 'cohort-builder-summary');

    await page.getByLabel('Cohort name').fill('Every rule');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Skip' }).click();
    await page.getByRole('button', { name: 'Skip' }).click();
    await page.getByRole('heading', { name: 'Every rule', exact: true }).waitFor();
    const detail = page.getByRole('region', { name: 'Definition' });
    await expect.poll(() => detail.getByRole('listitem').allTextContents()).toEqual(expected);

    await page.getByRole('navigation').getByRole('link', { name: 'Cohorts' }).click();
    const row = page.getByRole('table', { name: 'Cohorts' }).getByRole('row').filter({ hasText: 'Every rule' });
    await expect.poll(() => row.getByTestId('definition-summary').textContent()).toContain('Performed purchase where brand = acme');
  });

  it('asks before leaving the builder with unsaved changes, and not after saving', async () => {
    await page.goto(`${server.url}/cohorts/${bigId}`);
    await page.getByRole('heading', { name: 'Big spenders', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit Big spenders' }).waitFor();
    // Nothing changed yet: leaving asks nothing.
    asked.length = 0;
    await page.getByRole('navigation').getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    expect(asked).toEqual([]);

    await page.goBack();
    await page.getByRole('heading', { name: 'Edit Big spenders' }).waitFor();
    await page.getByLabel('Description').fill('People who buy big, twice');
    answer = 'dismiss';
    await page.getByRole('navigation').getByRole('link', { name: 'Contacts' }).click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toContain('unsaved changes');
    // Stayed, with the edit still there.
    expect(new URL(page.url()).pathname).toBe(`/cohorts/${bigId}/edit`);
    expect(await page.getByLabel('Description').inputValue()).toBe('People who buy big, twice');
    // Back button: asked too, and staying keeps the page.
    await page.goBack();
    await expect.poll(() => asked.length).toBe(2);
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/cohorts/${bigId}/edit`);
    expect(await page.getByLabel('Description').inputValue()).toBe('People who buy big, twice');

    // Saving is not leaving: no question, and the cohort page opens.
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Big spenders', exact: true }).waitFor();
    expect(asked).toHaveLength(2);
    answer = 'accept';
  });

  it('warns about a duplicate name, and a reload during the wizard never makes a second cohort', async () => {
    await newCohortPage();
    await page.getByLabel('Cohort name').fill('big SPENDERS');
    await page.getByTestId('duplicate-name').waitFor();
    await page.getByLabel('Cohort name').fill('Reload safe');
    await expect.poll(() => page.getByTestId('duplicate-name').count()).toBe(0);
    const rule = page.getByRole('group', { name: 'Performed event' });
    await rule.getByLabel('Event', { exact: true }).fill('purchase');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Skip' }).waitFor();
    // The URL names the created cohort and the step.
    await expect.poll(() => page.url()).toMatch(/\/cohorts\/[^/]+\/setup\?step=2$/);
    const id = new URL(page.url()).pathname.split('/')[2];

    await page.reload();
    await page.getByRole('button', { name: 'Skip' }).waitFor();
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await page.getByLabel('Cohort name').inputValue()).toBe('Reload safe');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.url()).toContain(`/cohorts/${id}/setup?step=2`);
    const found = await server.api<{ items: { id: string; name: string }[] }>('GET', '/v1/cohorts?q=Reload%20safe');
    expect(found.body.items.map((c) => c.id)).toEqual([id]);
  });

  it('keeps the cohort list filters and sort in the URL; tags in any case, archived hidden until asked', async () => {
    await page.goto(`${server.url}/cohorts`);
    const table = page.getByRole('table', { name: 'Cohorts' });
    const names = () => table.locator('tbody tr td:first-child a').allTextContents();
    await table.getByRole('link', { name: 'Big spenders' }).waitFor();
    expect(await table.getByRole('link', { name: 'Old experiment' }).count()).toBe(0);

    await page.getByLabel('Filter by tag').fill('vi');
    await page.getByRole('option', { name: 'VIP', exact: true }).click();
    await table.getByRole('button', { name: 'Sort by name' }).click();
    await expect.poll(names).toEqual(['Big spenders', 'Pro plan']);
    await expect.poll(() => new URL(page.url()).search).toBe('?tag=VIP&sort=name');
    await table.getByRole('button', { name: 'Sort by name' }).click();
    await expect.poll(names).toEqual(['Pro plan', 'Big spenders']);

    await page.getByLabel('Show archived').check();
    await expect.poll(names).toEqual(['Pro plan', 'Old experiment', 'Big spenders']);
    const url = page.url();
    expect(new URL(url).search).toBe('?tag=VIP&sort=name&order=desc&archived=show');

    // A reload (or a shared link) shows the same list.
    await page.goto(url);
    await expect.poll(names).toEqual(['Pro plan', 'Old experiment', 'Big spenders']);
    expect(await page.getByLabel('Filter by tag').inputValue()).toBe('VIP');
    await screenshot(page, 'cohorts-list-filtered');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('?sort=name&order=desc');
    await expect.poll(names).toEqual(['Reload safe', 'Pro plan', 'Every rule', 'Big spenders']);
  });

  it('shows members with email, traits and dates', async () => {
    await page.goto(`${server.url}/cohorts/${bigId}`);
    const members = page.getByRole('table', { name: 'Members' });
    const row = members.getByRole('row').filter({ hasText: 'p59' });
    await expect.poll(() => row.textContent()).toContain('p59@shop.test');
    expect(await row.textContent()).toContain('plan: free');
  });

  it('makes a static cohort from contacts selected on the Contacts page', async () => {
    await page.goto(`${server.url}/contacts`);
    await page.getByLabel('Select p01').check();
    await page.getByLabel('Select p02').check();
    await page.getByRole('button', { name: 'Add to cohort' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to cohort' });
    // No static cohort exists yet: the dialog offers to make one of these people.
    await dialog.getByLabel('New cohort name').fill('Picked by hand');
    await dialog.getByRole('button', { name: 'Create with 2 contacts' }).click();
    await expect.poll(() => dialog.getByRole('status').textContent()).toContain('2 added');
    const made = await server.api<{ items: { kind: string; size: number }[] }>('GET', '/v1/cohorts?q=Picked%20by%20hand');
    expect(made.body.items).toEqual([expect.objectContaining({ kind: 'static', size: 2 })]);
    await dialog.getByRole('button', { name: 'Close' }).first().click();
  });

  it('shows a failing sync as retrying or failing in plain words, warns at creation, and records who started it', async () => {
    const dest = await server.api<{ id: string }>('POST', '/v1/destinations', {
      name: 'Nowhere hook', type: 'webhook', config: { url: 'http://127.0.0.1:9/hook' },
    });
    expect(dest.status).toBe(201);
    await page.goto(`${server.url}/cohorts/${bigId}`);
    await page.getByRole('heading', { name: 'Big spenders', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await pick(page, dialog.getByLabel('Destination'), 'Nowhere hook (webhook)');
    await dialog.getByText('This destination failed its test').waitFor();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: /^Sync: Big spenders → Nowhere hook/ }).waitFor();

    // Never "running" with nothing to show for minutes: retrying (with its requests) or failing.
    const state = page.getByTestId('sync-state');
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toMatch(/^(retrying|failing)$/);
    const syncId = new URL(page.url()).pathname.split('/')[2];
    const runs = await server.api<{ trigger: string }[] | { items: { trigger: string }[] }>('GET', `/v1/syncs/${syncId}/runs`);
    const list = Array.isArray(runs.body) ? runs.body : runs.body.items;
    // Created by a person: its first run is theirs, not the schedule's.
    expect(list.at(-1)?.trigger).toBe('manual');
    if ((await state.textContent()) === 'retrying') await page.getByText('after this run').waitFor();
    else await page.getByTestId('sync-problem').filter({ hasText: 'Could not connect to the destination' }).waitFor();
    await screenshot(page, 'sync-failing');
    await server.api('PATCH', `/v1/syncs/${syncId}`, { paused: true });
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const phone = await browser.newPage({ width: 390, height: 844 });
    phone.on('dialog', (d) => void d.accept());
    await signIn(phone, server);
    for (const path of ['/cohorts', '/cohorts/new', `/cohorts/${bigId}`, `/cohorts/${bigId}/edit`, '/contacts', '/events', '/syncs', '/destinations', '/users/p01']) {
      await phone.goto(server.url + path);
      await phone.getByRole('heading', { level: 2 }).first().waitFor();
      // Tables and charts arrive after the heading.
      await phone.waitForLoadState('networkidle');
      expect(await phone.evaluate(SIDEWAYS), path).toEqual([]);
    }
    await phone.goto(`${server.url}/cohorts`);
    await phone.getByRole('table', { name: 'Cohorts' }).waitFor();
    await screenshot(phone, 'phone-cohorts');
    await phone.close();
  }, 240_000);
});

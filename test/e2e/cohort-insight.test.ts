import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser, type BrowserSession } from './browser';
import { startKohort, type KohortServer } from './server';
import { field, ingest, pick, signIn } from './ui';

const day = (d: string) => `${d}T10:00:00Z`;
const buy = (userId: string, d: string) => ({ type: 'track', userId, event: 'purchase', properties: { price: 10 }, timestamp: day(d) });

describe.skipIf(!hasChromium)('web app: explain membership, diff before saving, regularly', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let page: Page;
  let cohortId = '';

  beforeAll(async () => {
    server = await startKohort();
    await ingest(server, [buy('alice', '2024-01-10'), buy('alice', '2024-02-10'), buy('bob', '2024-01-05'), { type: 'track', userId: 'carol', event: 'view', timestamp: day('2024-01-01') }]);
    const made = await server.api<{ id: string }>('POST', '/v1/cohorts', { name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } });
    expect(made.status).toBe(201);
    cohortId = made.body.id;
    browser = await launchBrowser();
    page = await browser.newPage();
    await signIn(page, server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the user page says in or not in for each cohort, and why', async () => {
    await page.goto(`${server.url}/users/carol`);
    const section = page.getByRole('region', { name: 'Cohort membership of this user' }).or(page.getByLabel('Cohort membership of this user'));
    await section.getByRole('button', { name: /Buyers/ }).click();
    const why = page.getByRole('region', { name: 'Why carol is not in' });
    await why.waitFor();
    expect(await why.getByTestId('explained-rule').first().textContent()).toContain('did purchase at least 1 time');
    expect(await why.textContent()).toContain('0 matching');
  });

  it('editing a saved cohort: a regularly rule, "why is this user in?", then the diff before Save', async () => {
    await page.goto(`${server.url}/cohorts/${cohortId}/edit`);
    await page.getByRole('heading', { name: 'Edit Buyers' }).waitFor();
    await page.getByRole('button', { name: '+ Add condition' }).click();
    await page.getByRole('menuitem', { name: /Does an event regularly/ }).click();
    const rule = page.getByRole('group', { name: 'Does it regularly' });
    await rule.getByLabel('Event', { exact: true }).fill('purchase');
    await page.keyboard.press('Escape');
    await field(page, rule, 'At least this many periods').fill('2');
    await field(page, rule, 'Number of periods').fill('52');
    await pick(page, rule.getByLabel('Period', { exact: true }), 'calendar months');

    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByTestId('run-result').waitFor();
    await page.getByRole('button', { name: 'Explain' }).click();
    const why = page.getByRole('region', { name: 'Why alice is in' });
    await why.waitFor();
    expect(await why.textContent()).toContain('did purchase in at least 2 of the last 52 months');
    expect(await why.textContent()).toContain('active in 2 periods');

    await page.getByRole('button', { name: 'Save changes' }).click();
    const diff = page.getByTestId('cohort-diff');
    await diff.waitFor();
    expect(await page.getByTestId('diff-added').textContent()).toBe('0');
    expect(await page.getByTestId('diff-removed').textContent()).toBe('1');
    expect(await diff.textContent()).toContain('bob');
    // Nothing saved yet.
    expect((await server.api<{ definition: { rules: unknown[] } }>('GET', `/v1/cohorts/${cohortId}`)).body.definition.rules).toHaveLength(1);
    await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await server.api<{ definition: { rules: unknown[] } }>('GET', `/v1/cohorts/${cohortId}`)).body.definition.rules.length).toBe(2);
    await expect.poll(async () => (await server.api<{ items: string[] }>('GET', `/v1/cohorts/${cohortId}/members`)).body.items).toEqual(['alice']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser, screenshot, type BrowserSession } from './browser';
import { startKohort, type KohortServer } from './server';
import { field, ingest, pick, signIn } from './ui';

describe.skipIf(!hasChromium)('web app: contacts', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let page: Page;
  let cohortId: string;

  beforeAll(async () => {
    server = await startKohort();
    const identify = (userId: string, traits: Record<string, unknown>) => ({ type: 'identify', userId, traits, timestamp: '2024-01-01T00:00:00Z' });
    await ingest(server, [
      identify('ann', { plan: 'pro', seats: 12 }),
      identify('ben', { plan: 'pro', seats: 3 }),
      identify('cat', { plan: 'free', seats: 1 }),
      { type: 'track', userId: 'ann', event: 'purchase', properties: { price: 20 }, timestamp: '2024-02-01T00:00:00Z' },
      { type: 'track', userId: 'dan', event: 'view', timestamp: '2024-02-02T00:00:00Z' },
    ]);
    const created = await server.api<{ id: string; size: number }>('POST', '/v1/cohorts', { name: 'Pro outreach', kind: 'static' });
    expect(created.status).toBe(201);
    expect(created.body.size).toBe(0);
    cohortId = created.body.id;
    browser = await launchBrowser();
    page = await browser.newPage();
    await signIn(page, server, '/contacts');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const rowIds = () => page.getByRole('table', { name: 'Contacts' }).locator('tbody tr td:nth-child(2)').allTextContents();

  it('lists, searches and filters contacts', async () => {
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await expect.poll(rowIds).toEqual(['ann', 'ben', 'cat', 'dan']);
    expect(await page.getByTestId('contacts-total').textContent()).toBe('4 contacts');

    // Search covers trait values too: "pro" is the plan of ann and ben.
    await page.getByLabel('Search contacts').fill('PRO');
    await expect.poll(rowIds).toEqual(['ann', 'ben']);

    // A property filter narrows further (numbers compare as numbers).
    await page.getByRole('button', { name: '+ Property filter' }).click();
    await field(page, page, 'Property of filter 1').fill('seats');
    await pick(page, page.getByLabel('Operator of filter 1'), '>');
    await page.getByLabel('Value of seats').fill('5');
    await expect.poll(rowIds).toEqual(['ann']);
    await page.getByRole('button', { name: 'Remove filter 1' }).click();
    await expect.poll(rowIds).toEqual(['ann', 'ben']);
  });

  it('adds two selected contacts to a static cohort and the cohort grows', async () => {
    await page.getByLabel('Select ann').check();
    await page.getByLabel('Select ben').check();
    await page.getByText('2 selected').waitFor();
    await page.getByRole('button', { name: 'Add to cohort' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to cohort' });
    await pick(page, dialog.getByLabel('Static cohort'), 'Pro outreach');
    await screenshot(page, 'contacts-add-to-cohort');
    await dialog.getByRole('button', { name: 'Add 2 contacts' }).click();
    const result = dialog.getByRole('status');
    await result.waitFor();
    expect(await result.textContent()).toContain('2 added, 0 already members');

    // The rows now show the cohort, and the cohort page shows its new size.
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    const annCohorts = page.getByRole('table', { name: 'Contacts' }).getByRole('row').filter({ hasText: 'ann' }).getByText('Pro outreach');
    await annCohorts.waitFor();
    await screenshot(page, 'contacts');
    await page.goto(`${server.url}/cohorts/${cohortId}`);
    await expect.poll(() => page.getByTestId('cohort-size').textContent()).toBe('2');
    const cohort = await server.api<{ size: number }>('GET', `/v1/cohorts/${cohortId}`);
    expect(cohort.body.size).toBe(2);
  });

  it('scopes contacts to a cohort and one of its workflow steps, with step badges', async () => {
    const put = await server.api<{ id: string; name: string }[]>('PUT', `/v1/cohorts/${cohortId}/steps`, { steps: [{ name: 'New' }, { name: 'Called' }] });
    expect(put.status).toBe(200);
    const called = put.body[1]!;
    expect((await server.api('POST', `/v1/cohorts/${cohortId}/cards/ben/move`, { stepId: called.id })).status).toBe(200);

    await page.getByRole('navigation').getByRole('link', { name: 'Contacts' }).click();
    await expect.poll(rowIds).toEqual(['ann', 'ben', 'cat', 'dan']);
    await pick(page, page.getByLabel('In cohort'), 'Pro outreach');
    await expect.poll(rowIds).toEqual(['ann', 'ben']);
    await pick(page, page.getByLabel('Step'), 'Called');
    await expect.poll(rowIds).toEqual(['ben']);
    const benRow = page.getByRole('table', { name: 'Contacts' }).getByRole('row').filter({ hasText: 'ben' });
    await benRow.getByText('Called', { exact: true }).waitFor();
  });

  it('a member sees only the cohorts it may see, and may add contacts only to static cohorts it owns', async () => {
    const password = 'member password 123';
    expect((await server.api('POST', '/v1/accounts', { email: 'mo@example.com', name: 'Mo Member', role: 'member', password })).status).toBe(201);
    const login = await fetch(`${server.apiUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'mo@example.com', password }),
    });
    const { token } = (await login.json()) as { token: string };
    const own = await fetch(`${server.apiUrl}/v1/cohorts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'Mo list', kind: 'static' }),
    });
    expect(own.status).toBe(201);

    // Another person: another browser (a session cookie is shared by every tab of one browser).
    const memberBrowser = await launchBrowser();
    const memberPage = await memberBrowser.newPage();
    await memberPage.goto(`${server.url}/contacts`);
    await memberPage.getByLabel('Email').fill('mo@example.com');
    await memberPage.getByLabel('Password', { exact: true }).fill(password);
    await memberPage.getByRole('button', { name: 'Sign in' }).click();
    const table = memberPage.getByRole('table', { name: 'Contacts' });
    await table.getByRole('link', { name: 'ann' }).waitFor();
    // ann is in the admin's "Pro outreach", which this member cannot see.
    const annRow = table.getByRole('row').filter({ has: memberPage.getByRole('link', { name: 'ann', exact: true }) });
    expect(await annRow.textContent()).not.toContain('Pro outreach');
    expect(await table.textContent()).not.toContain('Pro outreach');
    await memberPage.getByLabel('Select cat').check();
    await memberPage.getByRole('button', { name: 'Add to cohort' }).click();
    const dialog = memberPage.getByRole('dialog', { name: 'Add to cohort' });
    await dialog.getByLabel('Static cohort').and(memberPage.locator('input:not([type=hidden])')).click();
    await expect.poll(() => memberPage.getByRole('option').allTextContents()).toEqual(['Mo list']);
    await memberPage.getByRole('option', { name: 'Mo list' }).click();
    await dialog.getByRole('button', { name: 'Add 1 contact' }).click();
    expect(await dialog.getByRole('status').textContent()).toContain('1 added');
    await memberBrowser.close();
  });

  it('the nav has one people directory, and /users leads to it', async () => {
    const nav = page.getByRole('navigation');
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await page.goto(`${server.url}/users`);
    // The redirect is a history replace, not a page load: poll the address.
    await expect.poll(() => page.url()).toBe(`${server.url}/contacts`);
    await page.getByRole('table', { name: 'Contacts' }).getByRole('link', { name: 'ann' }).click();
    await expect.poll(() => page.url()).toBe(`${server.url}/users/ann`);
    await page.getByRole('heading', { name: 'User ann' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Contacts' }).getAttribute('aria-current')).toBe('page');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser, screenshot, type BrowserSession } from './browser';
import { startReceiver } from './mock-receiver';
import { startKohort, type KohortServer } from './server';
import { ingest, pick, signIn } from './ui';

describe.skipIf(!hasChromium)('web app: destinations and syncs', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let page: Page;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let cohortId: string;

  beforeAll(async () => {
    server = await startKohort();
    receiver = await startReceiver();
    await ingest(server, ['ann', 'ben'].flatMap((userId) => [
      { type: 'track', userId, event: 'purchase', properties: { brand: 'something', price: 2000 }, timestamp: '2024-01-01T00:00:00Z' },
      { type: 'track', userId, event: 'purchase', properties: { brand: 'something', price: 3000 }, timestamp: '2024-02-01T00:00:00Z' },
    ]));
    const created = await server.api<{ id: string }>('POST', '/v1/cohorts', {
      name: 'Repeat buyers',
      definition: { match: 'all', rules: [{ type: 'event', event: 'purchase', count: { op: 'gt', value: 1 } }] },
    });
    expect(created.status).toBe(201);
    cohortId = created.body.id;
    browser = await launchBrowser();
    page = await browser.newPage();
    await signIn(page, server, '/destinations');
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.stop();
  });

  it('creates a webhook destination and tests its connection', async () => {
    await page.getByRole('button', { name: 'New destination' }).click();
    const dialog = page.getByRole('dialog');
    // Each type has its own form.
    await pick(page, dialog.getByLabel('Destination type'), 'Meta Ads Custom Audience');
    for (const label of ['Access token', 'Ad account id', 'Audience id', 'Identifier']) await dialog.getByLabel(label, { exact: true }).first().waitFor();
    await pick(page, dialog.getByLabel('Destination type'), 'Files (CSV / NDJSON)');
    await dialog.getByLabel('Directory on the server', { exact: true }).waitFor();
    await screenshot(page, 'destination-form');
    await pick(page, dialog.getByLabel('Destination type'), 'Webhook (signed)');
    await dialog.getByLabel('Destination name').fill('Local hook');
    await dialog.getByLabel('URL', { exact: true }).fill(receiver.url);
    await dialog.getByRole('button', { name: 'Create destination' }).click();
    // The generated signing secret is shown once.
    const secretDialog = page.getByRole('dialog', { name: 'Webhook signing secret' });
    expect(await secretDialog.locator('code, pre').first().textContent()).toMatch(/^whsec_/);
    await page.keyboard.press('Escape');
    const row = page.getByRole('table', { name: 'Destinations' }).getByRole('row').filter({ hasText: 'Local hook' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Test connection of Local hook' }).click();
    await row.getByRole('status').waitFor();

    // Editing never shows the secret and does not send it unless changed.
    await row.getByRole('button', { name: 'Edit Local hook' }).click();
    expect(await page.getByRole('dialog').getByLabel('Signing secret').inputValue()).toBe('');
    await page.keyboard.press('Escape');
    await screenshot(page, 'destinations');
  });

  it('syncs a cohort to the webhook, runs it and shows the run', async () => {
    await page.goto(`${server.url}/cohorts/${cohortId}`);
    await page.getByRole('heading', { name: 'Repeat buyers' }).waitFor();
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    await pick(page, page.getByRole('dialog').getByLabel('Destination'), 'Local hook (webhook)');
    await page.getByRole('dialog').getByText('Once').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: /^Sync: Repeat buyers → Local hook/ }).waitFor();

    // A "once" sync runs right after creation (the full sync); Run now adds a delta run.
    const history = page.getByTestId('run-history');
    const statuses = () => history.locator('tbody tr td:nth-child(2)').allTextContents();
    await expect.poll(statuses, { timeout: 30_000 }).toEqual(['succeeded']);
    await page.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(statuses, { timeout: 30_000 }).toEqual(['succeeded', 'succeeded']);
    expect(await history.locator('tbody tr').last().textContent()).toContain('full');
    const added = receiver.received
      .map((r) => r.body as { type: string; users: { userId: string }[] })
      .filter((b) => b.type === 'cohort.members_added')
      .flatMap((b) => b.users.map((u) => u.userId));
    expect(added.sort()).toEqual(['ann', 'ben']);
    expect(receiver.received[0]!.headers['webhook-signature']).toMatch(/^v1,/);
    await screenshot(page, 'sync-detail');

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
  });

  it('offers to change the existing sync when one exists for the destination', async () => {
    await page.goto(`${server.url}/cohorts/${cohortId}`);
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await pick(page, dialog.getByLabel('Destination'), 'Local hook (webhook)');
    await dialog.getByText('Daily').click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('This cohort already syncs to that destination').waitFor();
    await dialog.getByRole('button', { name: 'Change its frequency to daily' }).click();
    await page.getByRole('heading', { name: /^Sync: Repeat buyers/ }).waitFor();
    const syncs = await server.api<{ frequency: string }[] | { items: { frequency: string }[] }>('GET', `/v1/syncs?cohortId=${cohortId}`);
    const list = Array.isArray(syncs.body) ? syncs.body : syncs.body.items;
    expect(list.map((s) => s.frequency)).toEqual(['daily']);

    await page.getByRole('navigation').getByRole('link', { name: 'Syncs' }).click();
    const row = page.getByRole('table', { name: 'Syncs' }).getByRole('row').filter({ hasText: 'Repeat buyers' });
    expect(await row.textContent()).toContain('daily');
    await screenshot(page, 'syncs');
  });
});

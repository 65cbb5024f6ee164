import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser, screenshot, type BrowserSession } from './browser';
import { startKohort, type KohortServer } from './server';
import { field, ingest, pick, signIn } from './ui';
import { BRIEF_EXAMPLE } from '../../src/schemas/examples';

/** The example cohort of the product brief (cohort-definition.md). */
const BRIEF_DEFINITION = BRIEF_EXAMPLE;

const buy = (userId: string, brand: string, price: number, timestamp: string) => ({
  type: 'track', userId, event: 'purchase', properties: { brand, price }, timestamp,
});

/**
 * /cohorts/new is three steps: Continue creates the cohort, then collaborators
 * are skipped and Finish (with no workflow steps) opens the cohort.
 */
async function createThroughSteps(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('table', { name: 'Collaborators' }).or(page.getByText('Nobody else works on this cohort yet.')).waitFor();
  await page.getByRole('button', { name: 'Skip' }).click();
  await page.getByRole('button', { name: 'Finish' }).click();
}

describe.skipIf(!hasChromium)('web app: cohort builder', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    server = await startKohort();
    await ingest(server, [
      // Matches: two qualifying purchases after 2023-03-22.
      buy('alice', 'something', 1500, '2024-01-10T10:00:00Z'),
      buy('alice', 'something', 2500, '2024-02-10T10:00:00Z'),
      buy('bob', 'something', 1200, '2023-05-01T10:00:00Z'),
      buy('bob', 'something', 1300, '2023-06-01T10:00:00Z'),
      buy('bob', 'something', 1400, '2023-07-01T10:00:00Z'),
      // Only once.
      buy('carol', 'something', 5000, '2024-01-01T10:00:00Z'),
      // Too cheap.
      buy('dave', 'something', 500, '2024-01-01T10:00:00Z'),
      buy('dave', 'something', 900, '2024-01-02T10:00:00Z'),
      // Other brand.
      buy('erin', 'other', 5000, '2024-01-01T10:00:00Z'),
      buy('erin', 'other', 5000, '2024-01-02T10:00:00Z'),
      // Before the window.
      buy('frank', 'something', 5000, '2023-01-01T10:00:00Z'),
      buy('frank', 'something', 5000, '2023-02-01T10:00:00Z'),
      // Downloaded the app; only gina signed up.
      { type: 'track', userId: 'gina', event: 'app_download', timestamp: '2024-03-01T10:00:00Z' },
      { type: 'track', userId: 'gina', event: 'signup_activity', timestamp: '2024-03-02T10:00:00Z' },
      { type: 'track', userId: 'hank', event: 'app_download', timestamp: '2024-03-01T10:00:00Z' },
      { type: 'identify', userId: 'gina', traits: { plan: 'pro' }, timestamp: '2024-03-02T10:00:00Z' },
      { type: 'identify', userId: 'alice', traits: { plan: 'pro' }, timestamp: '2024-03-02T10:00:00Z' },
    ]);
    browser = await launchBrowser();
    page = await browser.newPage();
    // Tests move on from half-built cohorts: say yes to "leave without saving?"
    // (the prompt itself is tested in web-round2.test.ts).
    page.on('dialog', (d) => void d.accept());
    await signIn(page, server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('builds the brief example cohort, runs it, saves it and finds it through the filters', async () => {
    await page.getByRole('link', { name: 'Create cohort' }).click();
    await page.getByRole('heading', { name: 'New cohort' }).waitFor();

    const rule = page.getByRole('group', { name: 'Performed event' });
    await rule.getByLabel('Event', { exact: true }).fill('purchase');
    await page.keyboard.press('Escape');
    await rule.getByRole('button', { name: '+ Where property' }).click();
    await rule.getByLabel('Property', { exact: true }).nth(0).fill('brand');
    await page.keyboard.press('Escape');
    // Value suggestions come from the events the server has seen.
    await rule.getByLabel('Value of brand').click();
    await page.getByRole('option', { name: 'other', exact: true }).waitFor();
    await rule.getByLabel('Value of brand').fill('something');
    await page.keyboard.press('Escape');
    await rule.getByRole('button', { name: '+ Where property' }).click();
    await rule.getByLabel('Property', { exact: true }).nth(1).fill('price');
    await page.keyboard.press('Escape');
    await pick(page, rule.getByLabel('Operator').nth(1), '>');
    await rule.getByLabel('Value of price').fill('1000');
    await pick(page, rule.getByLabel('Count comparison'), 'more than');
    await rule.getByLabel('Count', { exact: true }).fill('1');
    await pick(page, rule.getByLabel('When (time window)'), 'after a date');
    await rule.getByLabel('Window start date').fill('2023-03-22');

    // The JSON view holds exactly the spec's example.
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = JSON.parse(await page.getByLabel('Definition JSON').inputValue());
    expect(json).toEqual(BRIEF_DEFINITION);
    await page.getByRole('tab', { name: 'Builder' }).click();

    // Run shows the size the API reports for this definition.
    const api = await server.api<{ size: number }>('POST', '/v1/cohorts/preview', { definition: BRIEF_DEFINITION });
    expect(api.status).toBe(200);
    expect(api.body.size).toBe(2);
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.getByTestId('run-size').textContent()).toBe(String(api.body.size));
    const sample = await page.getByTestId('run-result').textContent();
    expect(sample).toContain('alice');
    expect(sample).toContain('bob');
    await expect.poll(() => page.getByTestId('live-size').textContent()).toContain('2 users');
    await screenshot(page, 'cohort-builder');

    await page.getByLabel('Cohort name').fill('Big spenders');
    await page.getByLabel('Tags', { exact: true }).and(page.locator('input:not([type=hidden])')).fill('e2e');
    await page.keyboard.press('Enter');
    await createThroughSteps(page);
    await page.getByRole('heading', { name: 'Big spenders', exact: true }).waitFor();
    await expect.poll(() => page.getByTestId('cohort-size').textContent(), { timeout: 20_000 }).toBe('2');
    const membersTable = page.getByRole('table', { name: 'Members' });
    await membersTable.getByRole('link', { name: 'alice' }).waitFor();
    // The search asks the server, so it finds members beyond the loaded page.
    await page.getByLabel('Search members').fill('BO');
    await expect.poll(() => membersTable.getByRole('link').allTextContents(), { timeout: 10_000 }).toEqual(['bob']);
    await page.getByLabel('Search members').fill('');
    await membersTable.getByRole('link', { name: 'alice' }).waitFor();
    // Recompute adds a point to the history.
    const before = (await server.api<unknown[]>('GET', `/v1/cohorts?q=Big`)).status;
    expect(before).toBe(200);
    await page.getByRole('button', { name: 'Recompute' }).click();
    await expect.poll(async () => {
      const id = new URL(page.url()).pathname.split('/')[2];
      return (await server.api<unknown[]>('GET', `/v1/cohorts/${id}/history`)).body.length;
    }, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'cohort-detail');

    // Find it through the list filters.
    await page.getByRole('navigation').getByRole('link', { name: 'Cohorts' }).click();
    const table = page.getByRole('table', { name: 'Cohorts' });
    await page.getByLabel('Filter by name').fill('nothing-like-this');
    await page.getByText('No cohort matches these filters.').waitFor();
    await page.getByLabel('Filter by name').fill('big');
    await table.getByRole('link', { name: 'Big spenders' }).waitFor();
    await page.getByLabel('Filter by tag').fill('e2e');
    await pick(page, page.getByLabel('Filter by status'), 'active');
    await table.getByRole('link', { name: 'Big spenders' }).waitFor();
    await screenshot(page, 'cohorts-list');
    await table.getByRole('link', { name: 'Big spenders' }).click();
    await page.getByRole('heading', { name: 'Big spenders', exact: true }).waitFor();

    // Members as CSV, through the authenticated download.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV', exact: true }).click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split(/\r?\n/)[0]).toBe('user_id');
    expect(csv).toContain('alice');
    expect(csv).toContain('bob');
    // And with one column per trait the members have.
    const [withTraits] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV with traits' }).click(),
    ]);
    const lines = readFileSync((await withTraits.path())!, 'utf8').trim().split(/\r?\n/);
    expect(lines).toEqual(['user_id,plan', 'alice,pro', 'bob,']);
    // Long walks on a shared, busy machine: more time than the default minute.
  }, 150_000);

  it('edits a saved cohort with the same builder', async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit Big spenders' }).waitFor();
    const rule = page.getByRole('group', { name: 'Performed event' });
    expect(await rule.getByLabel('Value of brand').inputValue()).toBe('something');
    await rule.getByLabel('Count', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Run' }).click();
    // Only bob bought more than twice.
    await expect.poll(() => page.getByTestId('run-size').textContent()).toBe('1');
    await page.getByRole('button', { name: 'Save changes' }).click();
    // A changed definition shows what saving would change first: alice would leave.
    await page.getByTestId('cohort-diff').waitFor();
    expect(await page.getByTestId('diff-removed').textContent()).toBe('1');
    await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Big spenders', exact: true }).waitFor();
    await expect.poll(() => page.getByTestId('cohort-size').textContent(), { timeout: 20_000 }).toBe('1');
  });

  it('shows validation messages beside the field at fault', async () => {
    await page.goto(`${server.url}/cohorts/new`);
    const rule = page.getByRole('group', { name: 'Performed event' });
    await rule.getByRole('button', { name: '+ Where property' }).click();
    await rule.getByLabel('Property', { exact: true }).fill('price');
    await page.keyboard.press('Escape');
    await pick(page, rule.getByLabel('Operator'), '>');
    // A numeric operator with no number, and no event: the size panel lists what
    // is left to fill in, in plain words, instead of a size...
    const todo = page.getByRole('list', { name: 'Still to fill in' });
    await expect.poll(() => todo.textContent()).toContain('Choose an event (condition 1)');
    await expect.poll(() => todo.textContent()).toContain('Enter a number for price (condition 1)');
    await expect.poll(async () => (await page.getByRole('button', { name: 'Run' }).isDisabled())).toBe(true);
    // ...and the fields just added are not marked as errors until saving is tried.
    expect(await rule.getByText('Choose an event').count()).toBe(0);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => rule.getByText('Choose an event').count()).toBe(1);
    await expect.poll(() => rule.getByText('Enter a number for price').count()).toBe(1);
  });

  it('edits the definition as JSON and loads it into the builder', async () => {
    await page.goto(`${server.url}/cohorts/new`);
    await page.getByRole('tab', { name: 'JSON' }).click();
    const editor = page.getByLabel('Definition JSON');
    await editor.fill('{ "match": "all", "rules": [ { "type": "event" } ] }');
    await page.getByRole('button', { name: 'Apply JSON' }).click();
    await page.getByText('rules.0.event: Choose an event').waitFor();
    await editor.fill(JSON.stringify(BRIEF_DEFINITION));
    await page.getByRole('button', { name: 'Apply JSON' }).click();
    const rule = page.getByRole('group', { name: 'Performed event' });
    expect(await rule.getByLabel('Event', { exact: true }).inputValue()).toBe('purchase');
    expect(await rule.getByLabel('Value of price').inputValue()).toBe('1000');
    expect(await rule.getByLabel('Window start date').inputValue()).toBe('2023-03-22');
    await expect.poll(() => page.getByTestId('live-size').textContent()).toContain('2 users');
  });

  it('builds a did-not-perform cohort', async () => {
    await page.goto(`${server.url}/cohorts/new`);
    const first = page.getByRole('group', { name: 'Performed event' });
    await first.getByLabel('Event', { exact: true }).fill('app_download');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: '+ Add condition' }).click();
    await page.getByRole('menuitem', { name: 'Did not perform an event' }).click();
    const not = page.getByRole('group', { name: 'Did not perform' });
    // Predefined events come first in the picker, with their descriptions.
    await not.getByLabel('Event', { exact: true }).click();
    await page.getByRole('option').first().waitFor();
    const options = await page.getByRole('option').evaluateAll((os) => os.map((o) => o.querySelector('p')?.textContent ?? ''));
    expect(options.slice(0, 5)).toEqual(['view', 'cart', 'purchase', 'signup_activity', 'click']);
    expect(options).toContain('app_download');
    await page.getByRole('option', { name: /^signup_activity/ }).click();
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.getByTestId('run-size').textContent()).toBe('1');
    expect(await page.getByTestId('run-result').textContent()).toContain('hank');
    await page.getByLabel('Cohort name').fill('Downloaded, never signed up');
    await createThroughSteps(page);
    await page.getByRole('heading', { name: 'Downloaded, never signed up', exact: true }).waitFor();
    const saved = await server.api<{ items: { name: string; definition: unknown }[] }>('GET', '/v1/cohorts?q=never');
    expect(saved.body.items[0]?.definition).toEqual({
      match: 'all',
      rules: [
        { type: 'event', event: 'app_download' },
        { type: 'event', event: 'signup_activity', negate: true },
      ],
    });
  });

  it('sorts the cohort list', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Cohorts' }).click();
    const names = () =>
      page.getByRole('table', { name: 'Cohorts' }).getByRole('row').locator('td:first-child a').allTextContents();
    // Names sort A to Z first; the order button reverses them.
    await pick(page, page.getByLabel('Sort by'), 'Name');
    await expect.poll(names, { timeout: 15_000 }).toEqual(['Big spenders', 'Downloaded, never signed up']);
    await page.getByRole('button', { name: /Sort ascending/ }).click();
    await expect.poll(names, { timeout: 15_000 }).toEqual(['Downloaded, never signed up', 'Big spenders']);
  });

  it('builds sequences, user properties, cohort membership and nested groups', async () => {
    const big = await server.api<{ items: { id: string }[] }>('GET', '/v1/cohorts?q=Big%20spenders');
    const bigId = big.body.items[0]!.id;
    await page.goto(`${server.url}/cohorts/new`);
    await page.getByRole('heading', { name: 'New cohort' }).waitFor();
    const addRoot = async (kind: string) => {
      await page.getByRole('button', { name: '+ Add condition' }).last().click();
      await page.getByRole('menuitem', { name: kind }).click();
    };

    await addRoot('Performed a sequence');
    const seq = page.getByRole('group', { name: 'Sequence' });
    await field(page, seq, 'Step 1 event').fill('app_download');
    await page.keyboard.press('Escape');
    await field(page, seq, 'Step 2 event').fill('signup_activity');
    await page.keyboard.press('Escape');
    await seq.getByLabel('all within').check();

    await addRoot('Has a user property');
    const prop = page.getByRole('group', { name: 'User property' });
    await field(page, prop, 'User property').fill('plan');
    await field(page, prop, 'Value of plan').fill('pro');
    await page.keyboard.press('Escape');

    await addRoot('Is in another cohort');
    const member = page.getByRole('group', { name: 'Cohort membership' });
    await pick(page, member.getByLabel('In or not in cohort'), 'is not in');
    await pick(page, member.getByLabel('Cohort', { exact: true }), 'Big spenders');

    await addRoot('Group of conditions (AND / OR)');
    const group = page.getByRole('group', { name: 'Group (level 2)' });
    const inner = group.getByRole('group', { name: 'Performed event' });
    await field(page, inner, 'Event').fill('purchase');
    await page.keyboard.press('Escape');
    await inner.getByRole('button', { name: '+ Aggregate of a property' }).click();
    await field(page, inner, 'Aggregated property').fill('price');
    await page.keyboard.press('Escape');
    await field(page, inner, 'Aggregate').fill('3000');
    await group.getByRole('button', { name: '+ Add condition' }).click();
    await page.getByRole('menuitem', { name: 'Did an event for the first time' }).click();
    const first = group.getByRole('group', { name: 'First time' });
    await field(page, first, 'Event').fill('app_download');
    await page.keyboard.press('Escape');
    await pick(page, first.getByLabel('First time was (time window)'), 'all time');

    // Drop the empty condition the builder starts with.
    await page.getByRole('button', { name: 'Remove condition: Performed event' }).first().click();

    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = JSON.parse(await page.getByLabel('Definition JSON').inputValue());
    expect(json).toEqual({
      match: 'all',
      rules: [
        { type: 'sequence', steps: [{ event: 'app_download' }, { event: 'signup_activity' }], within: { amount: 1, unit: 'day' } },
        { type: 'property', property: 'plan', op: 'eq', value: 'pro' },
        { type: 'cohort', cohortId: bigId, negate: true },
        {
          type: 'group', match: 'any', rules: [
            { type: 'event', event: 'purchase', aggregate: { fn: 'sum', property: 'price', op: 'gt', value: 3000 } },
            { type: 'first_time', event: 'app_download', window: { type: 'all_time' } },
          ],
        },
      ],
    });
    await page.getByRole('tab', { name: 'Builder' }).click();
    const api = await server.api<{ size: number; sample: string[] }>('POST', '/v1/cohorts/preview', { definition: json });
    expect(api.body.sample).toEqual(['gina']);
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.getByTestId('run-size').textContent()).toBe('1');
    expect(await page.getByTestId('run-result').textContent()).toContain('gina');
    await screenshot(page, 'cohort-builder-advanced');
    // Long walks on a shared, busy machine: more time than the default minute.
  }, 150_000);

  it('creates a static cohort and uploads its members, reporting unknown ids', async () => {
    await page.goto(`${server.url}/cohorts/new`);
    await page.getByText('Uploaded list (static)').click();
    await page.getByLabel('Cohort name').fill('Hand-picked');
    await createThroughSteps(page);
    await page.getByRole('heading', { name: 'Hand-picked', exact: true }).waitFor();
    await page.getByLabel('User ids').fill('alice\nbob\nnobody-known');
    await page.getByRole('button', { name: 'Add these' }).click();
    const status = page.getByRole('status').filter({ hasText: 'Upload done' });
    await status.waitFor();
    expect(await status.textContent()).toContain('2 added, 0 already members, 1 line not added');
    expect(await status.textContent()).toContain('line 4: unknown user "nobody-known"');
    const members = page.getByRole('table', { name: 'Members' });
    await expect.poll(() => members.getByRole('link').allTextContents(), { timeout: 10_000 }).toEqual(['alice', 'bob']);
    await page.getByLabel('User ids').fill('bob');
    await page.getByRole('button', { name: 'Remove these' }).click();
    await expect.poll(() => members.getByRole('link').allTextContents(), { timeout: 10_000 }).toEqual(['alice']);
    const saved = await server.api<{ items: { kind: string; size: number }[] }>('GET', '/v1/cohorts?q=Hand-picked');
    expect(saved.body.items[0]).toMatchObject({ kind: 'static', size: 1 });
  });
});

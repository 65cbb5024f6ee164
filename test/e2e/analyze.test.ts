import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser, screenshot, type BrowserSession } from './browser';
import { startKohort, type KohortServer } from './server';
import { field, ingest, pick, signIn } from './ui';

interface FunnelAnswer {
  series: { label: string; steps: { event: string; users: number }[] }[];
}

describe.skipIf(!hasChromium)('web app: analyze', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let page: Page;
  let cohortId: string;
  let funnelUrl = '';

  beforeAll(async () => {
    server = await startKohort();
    const track = (userId: string, event: string, timestamp: string) => ({ type: 'track', userId, event, timestamp });
    await ingest(server, [
      track('ann', 'view', '2024-03-04T10:00:00Z'), track('ann', 'buy', '2024-03-04T12:00:00Z'),
      track('ben', 'view', '2024-03-05T10:00:00Z'),
      track('cat', 'view', '2024-03-05T10:00:00Z'), track('cat', 'buy', '2024-03-06T09:00:00Z'),
      track('dan', 'view', '2024-03-06T10:00:00Z'), track('dan', 'buy', '2024-03-20T10:00:00Z'),
      track('eve', 'view', '2024-03-07T10:00:00Z'),
    ]);
    const created = await server.api<{ id: string }>('POST', '/v1/cohorts', { name: 'VIP', kind: 'static' });
    expect(created.status).toBe(201);
    cohortId = created.body.id;
    expect((await server.api('POST', `/v1/cohorts/${cohortId}/members`, { userIds: ['ann', 'ben'] })).status).toBe(200);
    browser = await launchBrowser();
    page = await browser.newPage();
    await signIn(page, server, `/cohorts/${cohortId}`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** The segmented control's radios are visually hidden: their labels take the click. */
  const chartType = (name: string) => page.getByRole('radiogroup', { name: 'Chart type' }).locator('label', { hasText: new RegExp(`^${name}$`) }).click();

  const shown = async (segments: number, steps: number) => {
    const out: number[][] = [];
    for (let j = 0; j < segments; j++) {
      const row: number[] = [];
      for (let k = 0; k < steps; k++) row.push(Number((await page.getByTestId(`funnel-users-${j}-${k}`).textContent())?.replace(/,/g, '')));
      out.push(row);
    }
    return out;
  };

  it('builds a funnel segmented by a cohort from its page, and shows the API numbers', async () => {
    await page.getByRole('main').getByRole('link', { name: 'Analyze' }).click();
    await page.getByRole('heading', { name: 'Analyze' }).waitFor();
    await field(page, page, 'Step 1').fill('view');
    await page.keyboard.press('Escape');
    await field(page, page, 'Step 2').fill('buy');
    await page.keyboard.press('Escape');
    await field(page, page, 'Conversion window').fill('2');
    await field(page, page, 'From').fill('2024-03-01');
    await field(page, page, 'To').fill('2024-03-08');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('table', { name: 'Funnel numbers' }).waitFor();

    // The same question asked of the API directly.
    const body = {
      steps: [{ event: 'view' }, { event: 'buy' }],
      conversionWindow: { amount: 2, unit: 'day' },
      from: '2024-03-01',
      to: '2024-03-08',
      segments: [{ cohortId }, { cohortId, negate: true }],
    };
    const api = await server.api<FunnelAnswer>('POST', '/v1/analytics/funnel', body);
    expect(api.status).toBe(200);
    expect(api.body.series.map((s) => s.label)).toEqual(['VIP', 'Not in VIP']);
    const expected = api.body.series.map((s) => s.steps.map((st) => st.users));
    // ann converts, ben does not (VIP); cat converts, dan too late, eve never (everyone else).
    expect(expected).toEqual([[2, 1], [3, 1]]);
    await expect.poll(() => shown(2, 2)).toEqual(expected);
    expect(await page.getByTestId('funnel-conversion-0-1').textContent()).toBe(' 50%');
    expect(await page.getByTestId('funnel-conversion-1-1').textContent()).toBe(' 33.3%');

    // The request shown is the one the API answered.
    await page.getByRole('button', { name: 'Show request JSON' }).click();
    expect(JSON.parse((await page.getByTestId('request-json').textContent()) ?? '')).toEqual(body);
    await screenshot(page, 'analyze-funnel');
    funnelUrl = page.url();

    // The CSV holds the same numbers.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv).toContain('VIP,2,buy,1,50,50');
    expect(csv).toContain('Not in VIP,2,buy,1,33.3,33.3');
  }, 120_000);

  it('retention and segmentation from the navigation, numbers equal to the API', async () => {
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Analyze' }).click();
    await page.getByRole('heading', { name: 'Analyze' }).waitFor();
    await chartType('Retention');
    await field(page, page, 'Start event').fill('view');
    await page.keyboard.press('Escape');
    await field(page, page, 'Return event').fill('buy');
    await page.keyboard.press('Escape');
    await pick(page, page.getByLabel('Period', { exact: true }), 'day');
    await field(page, page, 'Periods').fill('3');
    await field(page, page, 'From').fill('2024-03-01');
    await field(page, page, 'To').fill('2024-03-08');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('table', { name: 'Retention numbers' }).waitFor();
    const api = await server.api<{ series: { users: number; retained: number[] }[] }>('POST', '/v1/analytics/retention', {
      start: { event: 'view' }, return: { event: 'buy' }, period: 'day', periods: 3, from: '2024-03-01', to: '2024-03-08', segments: [{ all: true }],
    });
    expect(api.body.series).toEqual([{ segment: { all: true }, label: 'All users', users: 5, retained: [1, 1, 0, 0] }]);
    await expect.poll(() => page.getByTestId('retention-users-0').textContent()).toBe('5');
    const retained = await Promise.all([0, 1, 2, 3].map((n) => page.getByTestId(`retained-0-${n}`).textContent()));
    expect(retained.map(Number)).toEqual(api.body.series[0]!.retained);
    await screenshot(page, 'analyze-retention');

    await chartType('Segmentation');
    await field(page, page, 'Event').fill('view');
    await page.keyboard.press('Escape');
    await pick(page, page.getByLabel('Interval', { exact: true }), 'week');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('table', { name: 'Segmentation numbers' }).waitFor();
    // Weeks start on Monday: 2024-02-26 holds Mar 1-3, 2024-03-04 the rest.
    const seg = await server.api<{ buckets: string[]; series: { values: number[] }[] }>('POST', '/v1/analytics/segmentation', {
      event: { event: 'view' }, measure: 'uniques', interval: 'week', from: '2024-03-01', to: '2024-03-08',
    });
    expect(seg.body.buckets).toEqual(['2024-02-26T00:00:00.000Z', '2024-03-04T00:00:00.000Z']);
    expect(seg.body.series[0]!.values).toEqual([0, 5]);
    await expect.poll(() => page.getByTestId('value-0-1').textContent()).toBe('5');
    expect(await page.getByTestId('value-0-0').textContent()).toBe('0');
    await screenshot(page, 'analyze-segmentation');
  }, 120_000);

  it('the URL holds the chart: opened again, it shows the same numbers', async () => {
    const url = funnelUrl;
    expect(url).toContain('/analyze?s=');
    const other = await browser.newPage();
    await signIn(other, server, new URL(url).pathname + new URL(url).search);
    await other.getByRole('table', { name: 'Funnel numbers' }).waitFor();
    expect(await other.getByTestId('funnel-users-0-0').textContent()).toBe('2');
    expect(await other.getByTestId('funnel-users-1-1').textContent()).toBe('1');
    await other.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser, screenshot, type BrowserSession } from './browser';
import { startKohort, type KohortServer } from './server';
import { chooseAdminToken, sessionCookies } from './ui';

describe.skipIf(!hasChromium)('web app: sign-in and live events', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    server = await startKohort();
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('says so clearly when the server cannot be reached', async () => {
    await page.goto(`${server.url}/cohorts`);
    await page.route(/\/(healthz|v1\/)/, (route) => route.abort('connectionrefused'));
    await chooseAdminToken(page);
    await page.getByLabel('Admin token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Server unreachable');
    await page.unroute(/\/(healthz|v1\/)/);
  });

  it('rejects a wrong token, then signs in with the right one', async () => {
    await page.goto(`${server.url}/cohorts`);
    await chooseAdminToken(page);
    const token = page.getByLabel('Admin token');
    await token.fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Token rejected');
    await screenshot(page, 'sign-in-rejected');

    await token.fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Cohorts' }).waitFor();
    // The browser keeps a session of its own in an HttpOnly cookie, never the admin token, and no script can read it.
    const { session, csrf } = await sessionCookies(page, server);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(session!.value).toMatch(/^kse_/);
    expect(session!.value).not.toBe(server.adminToken);
    expect(csrf).toMatchObject({ httpOnly: false, sameSite: 'Strict' });
    const visible = await page.evaluate(() => [document.cookie, JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage })].join(' '));
    expect(visible).not.toContain(server.adminToken);
    expect(visible).not.toContain(session!.value);
    // The session survives a reload of the tab.
    await page.reload();
    await page.getByRole('heading', { name: 'Cohorts' }).waitFor();

    // Keyboard users can skip the navigation.
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

    // Signed in, a server that stops answering gets a full-screen notice with a retry.
    await page.route(/\/healthz/, (route) => route.abort('connectionrefused'));
    await page.reload();
    await page.getByText('The Kohort server is not answering').waitFor();
    await page.unroute(/\/healthz/);
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: 'Cohorts' }).waitFor();
  });

  it('shows an event sent through POST /v1/track as it arrives', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Live events' }).click();
    await page.getByRole('heading', { name: 'Live events' }).waitFor();
    await expect.poll(() => page.getByTestId('stream-state').textContent()).toBe('live');

    const userId = `e2e-user-${Date.now()}`;
    const res = await server.track({ userId, event: 'purchase', properties: { brand: 'something', price: 1500 } });
    expect(res.status).toBeLessThan(300);

    const row = page.getByTestId('events-table').getByRole('row').filter({ hasText: userId });
    await row.waitFor();
    expect(await row.textContent()).toContain('purchase');
    // Properties read as "brand: something", not as raw JSON.
    expect(await row.textContent()).toContain('brand: something');
    await screenshot(page, 'live-events');

    // Filtering by another user hides it; the list reloads from /v1/events/live.
    await page.getByLabel('Filter by user id').fill('someone-else');
    await page.getByText('No events match these filters').waitFor();
    await page.getByLabel('Filter by user id').fill(userId);
    await row.waitFor();

    // The user page shows the event on the timeline.
    await row.getByRole('link', { name: userId }).click();
    await page.getByRole('heading', { name: `User ${userId}` }).waitFor();
    await page.getByText('purchase').first().waitFor();
    await screenshot(page, 'user');
  });

  it('is usable on a phone-sized screen', async () => {
    const phone = await browser.newPage({ width: 390, height: 844 });
    await phone.goto(`${server.url}/events`);
    // The session is the browser's: a new tab is signed in already, and its live stream connects by the cookie.
    await phone.getByRole('heading', { name: 'Live events' }).waitFor();
    await expect.poll(() => phone.getByTestId('stream-state').textContent()).toBe('live');
    expect(await phone.getByLabel('Admin token').count()).toBe(0);
    await phone.getByRole('button', { name: 'Toggle navigation' }).click();
    await phone.getByRole('navigation').getByRole('link', { name: 'Destinations' }).click();
    await phone.getByRole('heading', { name: 'Destinations' }).waitFor();
    await screenshot(phone, 'phone-destinations');
    await phone.close();
  });
});

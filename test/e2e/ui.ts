import type { Locator, Page } from 'playwright-core';
import type { KohortServer } from './server';

/** On the sign-in screen (email and password first), switches to the admin token form. */
export async function chooseAdminToken(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Use the admin token instead' }).click();
}

/**
 * Signs the page in with the server's admin token. The session is a cookie of
 * the whole browser: a page opened after another signed in is signed in already.
 */
export async function signIn(page: Page, server: KohortServer, path = '/cohorts'): Promise<void> {
  await page.goto(server.url + path);
  const menu = page.getByRole('button', { name: /^Account menu/ });
  const choose = page.getByRole('button', { name: 'Use the admin token instead' });
  await menu.or(choose).first().waitFor();
  if (await menu.isVisible()) return;
  await chooseAdminToken(page);
  await page.getByLabel('Admin token', { exact: true }).fill(server.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Admin token', { exact: true }).waitFor({ state: 'detached' });
}

/** The browser's session cookies: the HttpOnly session and the CSRF proof script may read. */
export async function sessionCookies(page: Page, server: KohortServer) {
  const all = await page.context().cookies(server.url);
  return { session: all.find((c) => c.name === 'kohort_session'), csrf: all.find((c) => c.name === 'kohort_csrf') };
}

/** Chooses an option of a Mantine Select / Autocomplete by its visible label. */
export async function pick(page: Page, input: Locator, option: string): Promise<void> {
  // A label may also name the listbox; the control to click is the input.
  const control = input.and(page.locator('input:not([type=hidden])'));
  const wanted = page.getByRole('option', { name: option, exact: true });
  // On a busy machine a click can land while another dropdown is still closing,
  // and the list never opens: open it again rather than wait in vain.
  for (let attempt = 1; ; attempt++) {
    await control.click();
    try {
      await wanted.waitFor({ state: 'visible', timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt === 3) throw err;
      await page.keyboard.press('Escape');
    }
  }
  await wanted.click();
}

/** Sends events through the batch ingestion route; throws unless accepted. */
export async function ingest(server: KohortServer, batch: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${server.apiUrl}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.writeKey}` },
    body: JSON.stringify({ batch }),
  });
  if (!res.ok) throw new Error(`batch rejected: ${res.status} ${await res.text()}`);
}

/** The input a label names inside `scope` (labels may also name groups and listboxes). */
export function field(page: Page, scope: Locator | Page, label: string): Locator {
  return scope.getByLabel(label, { exact: true }).and(page.locator('input:not([type=hidden])'));
}

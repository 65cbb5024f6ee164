import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser, screenshot, type BrowserSession } from './browser';
import { startKohort, type KohortServer } from './server';
import { chooseAdminToken, field, pick, sessionCookies } from './ui';
import { REASONS } from '../../src/web/auth/permissions';

const MEMBER = { email: 'mia@example.com', name: 'Mia Member', role: 'member', password: 'mia-password-1' };
const VIEWER = { email: 'vic@example.com', name: 'Vic Viewer', role: 'viewer', password: 'vic-password-1' };

describe.skipIf(!hasChromium)('web app: accounts, roles, API tokens and the audit log', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let page: Page;
  const ids: Record<string, string> = {};

  /** GET /v1/me with any bearer, as a script would. */
  const meWith = async (token: string) => {
    const res = await fetch(`${server.apiUrl}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { role?: string; via?: string; account?: { email: string } | null } };
  };

  async function signInWithPassword(p: Page, who: { email: string; password: string }, path = '/cohorts') {
    await p.goto(server.url + path);
    await p.getByLabel('Email', { exact: true }).fill(who.email);
    await p.getByLabel('Password', { exact: true }).fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('button', { name: /^Account menu/ }).waitFor();
  }

  async function signOut(p: Page) {
    await p.getByRole('button', { name: /^Account menu/ }).click();
    await p.getByRole('menuitem', { name: 'Sign out' }).click();
    await p.getByLabel('Email', { exact: true }).waitFor();
  }

  beforeAll(async () => {
    server = await startKohort();
    // A fresh install: the bootstrap token creates the first accounts.
    for (const a of [MEMBER, VIEWER]) {
      const r = await server.api<{ id: string }>('POST', '/v1/accounts', a);
      if (r.status !== 201) throw new Error(`could not create ${a.email}: ${r.status} ${JSON.stringify(r.body)}`);
      ids[a.email] = r.body.id;
    }
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs a member in with email and password and shows the role in the user menu', async () => {
    await page.goto(`${server.url}/cohorts`);
    await page.route(/\/v1\/auth\/session/, (route) => route.abort('connectionrefused'));
    await page.getByLabel('Email', { exact: true }).fill(MEMBER.email);
    await page.getByLabel('Password', { exact: true }).fill(MEMBER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Server unreachable');
    await page.unroute(/\/v1\/auth\/session/);

    await page.getByLabel('Email', { exact: true }).fill(MEMBER.email);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong email or password');
    await screenshot(page, 'sign-in-password');

    await page.getByLabel('Password', { exact: true }).fill(MEMBER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Cohorts' }).waitFor();
    const menu = page.getByRole('button', { name: /^Account menu/ });
    expect(await menu.getAttribute('aria-label')).toBe('Account menu: Mia Member, Member');
    expect(await page.getByTestId('my-role').textContent()).toBe('Member');
    // Members create cohorts; the audit log is for admins.
    await page.getByRole('link', { name: 'Create cohort' }).waitFor();
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).count()).toBe(0);

    const { session } = await sessionCookies(page, server);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(session!.value).toMatch(/^kse_[A-Za-z0-9_-]{43}$/);
    expect(await page.evaluate(() => document.cookie)).not.toContain(session!.value);
    expect((await meWith(session!.value)).body.account?.email).toBe(MEMBER.email);
    // The session survives a reload of the tab.
    await page.reload();
    await page.getByRole('heading', { name: 'Cohorts' }).waitFor();
    // And it is the browser's: a new tab is signed in as the same person.
    const tab = await browser.newPage();
    await tab.goto(`${server.url}/cohorts`);
    expect(await tab.getByRole('button', { name: /^Account menu/ }).getAttribute('aria-label')).toBe('Account menu: Mia Member, Member');
    await tab.close();
  });

  it('creates a personal API token, shows it once, and the token works for scripts', async () => {
    await page.getByRole('button', { name: /^Account menu/ }).click();
    await page.getByRole('menuitem', { name: 'Profile and API tokens' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await page.getByText('You have no API tokens.').waitFor();

    await page.getByLabel('Token name').fill('nightly export');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    const token = (await shown.textContent())!.trim();
    expect(token).toMatch(/^kpt_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy token' }).waitFor();
    await screenshot(page, 'api-token-created');
    const me = await meWith(token);
    expect(me).toMatchObject({ status: 200, body: { role: 'member', via: 'api_token' } });

    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: 'nightly export' });
    await row.waitFor();
    // Listed with its name and dates, never the secret again.
    expect(await page.content()).not.toContain(token);
    // Used once just now: the list says so after a reload.
    await page.reload();
    await expect.poll(async () => (await row.getByRole('cell').nth(2).textContent()) ?? 'never').not.toBe('never');

    await row.getByRole('button', { name: 'Revoke nightly export' }).click();
    await page.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('You have no API tokens.').waitFor();
    expect((await meWith(token)).status).toBe(401);
  });

  it('changes the password only with the current one', async () => {
    const form = page.getByRole('heading', { name: 'Password' }).locator('..');
    await form.getByRole('textbox', { name: 'Current password', exact: true }).fill('not-my-password');
    await form.getByRole('textbox', { name: 'New password', exact: true }).fill('mia-password-2');
    await form.getByRole('textbox', { name: 'Repeat the new password', exact: true }).fill('mia-password-2');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('is not your current password').waitFor();
    await form.getByRole('textbox', { name: 'Current password', exact: true }).fill(MEMBER.password);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('Password changed').waitFor();
    MEMBER.password = 'mia-password-2';
    // This tab's session survives its own password change.
    await page.reload();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
  });

  it('ends the session on the server when signing out', async () => {
    const session = (await sessionCookies(page, server)).session!.value;
    await signOut(page);
    // The server ends the session and clears both cookies; the tab shows the sign-in screen at once.
    await expect.poll(async () => (await meWith(session)).status, { timeout: 15_000 }).toBe(401);
    await expect.poll(async () => sessionCookies(page, server)).toEqual({ session: undefined, csrf: undefined });
    // Another tab of the browser is signed out too.
    const tab = await browser.newPage();
    await tab.goto(`${server.url}/cohorts`);
    await tab.getByLabel('Email', { exact: true }).waitFor();
    await tab.close();
  });

  it('keeps a viewer read-only: no Create cohort, a read-only team page, no audit log', async () => {
    const shared = await server.api<{ id: string }>('POST', '/v1/cohorts', {
      name: 'Shared list', kind: 'static', collaborators: [{ accountId: ids[VIEWER.email], role: 'viewer' }],
    });
    expect(shared.status).toBe(201);
    await signInWithPassword(page, VIEWER);
    await page.getByRole('heading', { name: 'Cohorts' }).waitFor();
    expect(await page.getByTestId('my-role').textContent()).toBe('Viewer');
    await page.getByText('Read only', { exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'Create cohort' }).count()).toBe(0);
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).count()).toBe(0);

    // A cohort shared with the viewer opens read-only, each control saying why.
    await page.getByRole('link', { name: 'Shared list' }).click();
    await page.getByRole('heading', { name: 'Shared list' }).waitFor();
    for (const name of ['Edit', 'Recompute', 'Delete', 'Sync']) {
      expect(await page.getByRole('main').getByRole('button', { name, exact: true }).isDisabled()).toBe(true);
    }
    expect(await page.getByRole('heading', { name: 'Add or remove members' }).count()).toBe(0);
    await page.getByLabel(REASONS.cohort).first().hover();
    await page.getByRole('tooltip').filter({ hasText: REASONS.cohort }).waitFor();

    await page.getByRole('navigation').getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { name: 'Team' }).waitFor();
    const accounts = page.getByRole('table', { name: 'Accounts' });
    await accounts.getByRole('row').filter({ hasText: MEMBER.email }).waitFor();
    expect(await accounts.getByRole('row').filter({ hasText: VIEWER.email }).textContent()).toContain('Viewer');
    expect(await page.getByRole('button', { name: 'Add account' }).count()).toBe(0);
    expect(await accounts.getByRole('button').count()).toBe(0);
    expect(await accounts.getByRole('textbox').count()).toBe(0);
    await screenshot(page, 'team-viewer');

    // Destinations are readable, their controls are not offered.
    await page.getByRole('navigation').getByRole('link', { name: 'Destinations' }).click();
    await page.getByRole('heading', { name: 'Destinations' }).waitFor();
    expect(await page.getByRole('button', { name: 'New destination' }).isDisabled()).toBe(true);

    // Typed URLs answer with the reason, not a form that cannot be saved or a crash.
    await page.goto(`${server.url}/audit`);
    await page.getByText("You don't have permission to see the audit log").waitFor();
    await page.goto(`${server.url}/cohorts/new`);
    await page.getByText("You don't have permission to create cohorts").waitFor();
    await page.goto(`${server.url}/cohorts/${shared.body.id}/edit`);
    await page.getByText("You don't have permission to change this cohort").waitFor();
    await signOut(page);
  });

  it('says how long to wait after too many failed sign-ins', async () => {
    const email = 'nobody@example.com';
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${server.apiUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: `wrong-${i}` }),
      });
      expect(r.status).toBe(401);
    }
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill('still wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Too many attempts');
    expect(await alert.textContent()).toMatch(/Try again in 1[45] minutes\./);
  });

  it('lets the admin token manage the team, refuses demoting the last owner, and lists changes in the audit log', async () => {
    await page.goto(`${server.url}/team`);
    await chooseAdminToken(page);
    await page.getByLabel('Admin token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Team' }).waitFor();
    expect(await page.getByRole('button', { name: /^Account menu/ }).getAttribute('aria-label')).toBe('Account menu: Bootstrap admin, Owner');

    // Add an owner through the form; a short password is caught before sending.
    await page.getByRole('button', { name: 'Add account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add account' });
    await dialog.getByRole('textbox', { name: 'Email', exact: true }).fill('olga@example.com');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Olga Owner');
    await pick(page, field(page, dialog, 'Role'), 'Owner');
    await dialog.getByRole('textbox', { name: 'Initial password', exact: true }).fill('short');
    await dialog.getByRole('button', { name: 'Add account' }).click();
    await dialog.getByText('must be at least 10 characters').waitFor();
    await dialog.getByRole('textbox', { name: 'Initial password', exact: true }).fill('olga-password-1');
    await dialog.getByRole('button', { name: 'Add account' }).click();
    await page.getByText('olga@example.com was added as owner').waitFor();

    // A taken email is reported on the field.
    await page.getByRole('button', { name: 'Add account' }).click();
    await dialog.getByRole('textbox', { name: 'Email', exact: true }).fill('MIA@example.com');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Mia again');
    await dialog.getByRole('textbox', { name: 'Initial password', exact: true }).fill('another-password');
    await dialog.getByRole('button', { name: 'Add account' }).click();
    await dialog.getByText(/exists/).waitFor();
    await page.keyboard.press('Escape');

    // Promote the viewer; the server agrees.
    const accounts = page.getByRole('table', { name: 'Accounts' });
    await pick(page, field(page, accounts, `Role of ${VIEWER.email}`), 'Member');
    await expect.poll(async () => {
      const list = await server.api<{ items: { email: string; role: string }[] }>('GET', '/v1/accounts');
      return list.body.items.find((a) => a.email === VIEWER.email)?.role;
    }).toBe('member');

    // The only owner cannot be disabled.
    await accounts.getByRole('button', { name: 'Disable olga@example.com' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'The last owner must stay an enabled owner' });
    await refusal.waitFor();
    await screenshot(page, 'team-last-owner');

    // A forgotten password: an admin sets a new one, and it works at once.
    await accounts.getByRole('button', { name: `Set a password for ${MEMBER.email}` }).click();
    const reset = page.getByRole('dialog', { name: `New password for ${MEMBER.email}` });
    await reset.getByRole('textbox', { name: 'New password', exact: true }).fill('reset-password-1');
    await reset.getByRole('button', { name: 'Set password' }).click();
    await page.getByText(`${MEMBER.email} has a new password`).waitFor();
    const relogin = await fetch(`${server.apiUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: MEMBER.email, password: 'reset-password-1' }),
    });
    expect(relogin.status).toBe(200);

    // The audit log lists the account creations, newest first, and filters by action.
    await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const log = page.getByRole('table', { name: 'Audit log' });
    await log.getByRole('row').filter({ hasText: `Created ${MEMBER.email} as member` }).waitFor();
    await log.getByRole('row').filter({ hasText: 'Created olga@example.com as owner' }).waitFor();
    await log.getByRole('row').filter({ hasText: `${MEMBER.email} signed in` }).first().waitFor();
    await screenshot(page, 'audit-log');
    await field(page, page, 'Action').fill('account.created');
    await expect.poll(async () => (await log.getByRole('row').allTextContents()).slice(1).every((t) => t.includes('account.created'))).toBe(true);
    expect(await log.getByRole('row').filter({ hasText: 'signed in' }).count()).toBe(0);
    expect(await log.getByRole('row').count()).toBe(4); // header + three creations
  });
});

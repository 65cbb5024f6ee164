import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signStandardWebhook } from '../../src/destinations/webhook';
import { hasChromium, launchBrowser, screenshot, type BrowserSession } from './browser';
import { startReceiver } from './mock-receiver';
import { startKohort, type KohortServer } from './server';
import { ingest, pick } from './ui';

const PASSWORD = 'long enough password 1';
const MEMBER = { email: 'maria@example.com', name: 'Maria Member', role: 'member', password: PASSWORD };
// A member by role, but only a viewer of this cohort: read-only comes from the collaboration.
const COLLABORATOR = { email: 'victor@example.com', name: 'Victor Viewer', role: 'member', password: PASSWORD };
const OTHER = { email: 'erin@example.com', name: 'Erin Else', role: 'member', password: PASSWORD };

async function signInWithPassword(page: Page, server: KohortServer, email: string, path: string): Promise<void> {
  await page.goto(server.url + path);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Password', { exact: true }).waitFor({ state: 'detached' });
}

/** Waits for dnd-kit's screen reader announcement (its live region), which says where a drag is. */
async function announced(page: Page, text: string): Promise<void> {
  await page.locator('[aria-live]').filter({ hasText: text }).waitFor({ state: 'attached' });
}

describe.skipIf(!hasChromium)('web app: teams, collaborators and the workflow board', () => {
  let server: KohortServer;
  let browser: BrowserSession;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let page: Page;
  let cohortId = '';
  let secret = '';

  beforeAll(async () => {
    // The receiver listens on 127.0.0.1, which step webhooks reach only when allowed.
    server = await startKohort({ KOHORT_ALLOW_PRIVATE_URLS: '127.0.0.1' });
    receiver = await startReceiver();
    for (const account of [MEMBER, COLLABORATOR, OTHER]) {
      const r = await server.api('POST', '/v1/accounts', account);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    await ingest(server, ['u1', 'u2', 'u3'].map((userId) => ({
      type: 'identify', userId, traits: { plan: 'trial' }, timestamp: '2026-01-01T10:00:00Z',
    })));
    browser = await launchBrowser();
    page = await browser.newPage();
    // Other test files may share the machine's two cores.
    page.setDefaultTimeout(30_000);
    await signInWithPassword(page, server, MEMBER.email, '/cohorts');
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.stop();
  });

  it('creates a cohort in three steps: the list, a viewer collaborator, steps with a webhook', async () => {
    await page.getByRole('link', { name: 'Create cohort' }).click();
    await page.getByRole('heading', { name: 'New cohort' }).waitFor();
    await page.getByText('Uploaded list (static)').click();
    // The server's 400 shows beside the field, and the wizard stays on step 1.
    await page.getByLabel('Cohort name').fill('x'.repeat(201));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('name must be at most 200 characters').waitFor();
    await page.getByLabel('Cohort name').fill('Onboarding');
    // Ids never seen are reported and keep the wizard on step 1 until Continue again.
    await page.getByLabel('User ids').fill('u1\nu2\nu3\nghost');
    await page.getByRole('button', { name: 'Continue' }).click();
    const report = page.getByRole('status').filter({ hasText: 'Members added' });
    await report.filter({ hasText: 'unknown user "ghost"' }).waitFor();
    expect(await report.textContent()).toContain('3 added, 0 already members, 1 not added');
    expect(await page.getByLabel('User ids').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Continue' }).click();

    // Step 2: invite Victor as a viewer.
    await pick(page, page.getByLabel('Account to invite'), `${COLLABORATOR.name} <${COLLABORATOR.email}>`);
    await pick(page, page.getByLabel('Collaborator role'), 'Viewer (read only)');
    await page.getByRole('button', { name: 'Invite' }).click();
    const collaborators = page.getByRole('table', { name: 'Collaborators' });
    await collaborators.getByText(COLLABORATOR.email).waitFor();
    // Another one invited as an editor, turned viewer, then removed again.
    await pick(page, page.getByLabel('Account to invite'), `${OTHER.name} <${OTHER.email}>`);
    await pick(page, page.getByLabel('Collaborator role'), 'Editor (can change it)');
    await page.getByRole('button', { name: 'Invite' }).click();
    await pick(page, page.getByLabel(`Role of ${OTHER.email}`), 'Viewer (read only)');
    const created = await server.api<{ items: { id: string }[] }>('GET', '/v1/cohorts?q=Onboarding');
    const roleOf = async (email: string) =>
      (await server.api<{ email: string; role: string }[]>('GET', `/v1/cohorts/${created.body.items[0]!.id}/collaborators`)).body.find((c) => c.email === email)?.role;
    await expect.poll(() => roleOf(OTHER.email)).toBe('viewer');
    await page.getByRole('button', { name: `Remove ${OTHER.email}` }).click();
    await collaborators.getByText(OTHER.email).waitFor({ state: 'detached' });
    // Back keeps what step 1 holds; Continue again updates the same cohort.
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await page.getByLabel('Cohort name').inputValue()).toBe('Onboarding');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Account to invite').and(page.locator('input:not([type=hidden])')).waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Step 3: Lead → Contacted (calls the webhook) → Won.
    await page.getByRole('button', { name: '+ Add step' }).click();
    await page.getByLabel('Step 1 name').fill('Lead');
    await page.getByRole('button', { name: '+ Add step' }).click();
    await page.getByLabel('Step 2 name').fill('Contacted');
    await pick(page, page.getByLabel('Action of step 2'), 'Call a webhook');
    await page.getByLabel('Webhook URL of step 2').fill(receiver.url);
    await page.getByRole('button', { name: '+ Add step' }).click();
    await page.getByLabel('Step 3 name').fill('won');
    // A name used twice (any case) is caught beside the field before anything is sent.
    await page.getByRole('button', { name: '+ Add step' }).click();
    await page.getByLabel('Step 4 name').fill('Won');
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByText('Another step is called "Won"').waitFor();
    await page.getByRole('button', { name: 'Remove step 3' }).click();
    await page.getByRole('button', { name: 'Finish' }).click();

    // The generated signing secret is shown once, then the cohort opens.
    secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await screenshot(page, 'cohort-create-steps');
    await page.getByRole('button', { name: 'Open the cohort' }).click();
    await page.getByRole('heading', { name: 'Onboarding', exact: true }).waitFor();
    cohortId = new URL(page.url()).pathname.split('/')[2]!;

    const cohort = await server.api<{ kind: string; size: number; collaborators: { email: string; role: string }[] }>('GET', `/v1/cohorts/${cohortId}`);
    expect(cohort.body).toMatchObject({ kind: 'static', size: 3, collaborators: [{ email: COLLABORATOR.email, role: 'viewer' }] });
    const steps = await server.api<{ name: string; action: { type: string; url?: string; secret?: string } | null }[]>('GET', `/v1/cohorts/${cohortId}/steps`);
    expect(steps.body.map((s) => s.name)).toEqual(['Lead', 'Contacted', 'Won']);
    expect(steps.body[1]!.action).toEqual({ type: 'webhook', url: receiver.url, secret: '••••' });
  });

  it('moves cards by drag and drop, by keyboard and by menu; the webhook fires once, signed', async () => {
    const lead = page.getByRole('region', { name: 'Step Lead' });
    const contacted = page.getByRole('region', { name: 'Step Contacted' });
    const won = page.getByRole('region', { name: 'Step Won' });
    await expect.poll(() => lead.getByRole('link').allTextContents(), { timeout: 20_000 }).toEqual(expect.arrayContaining(['u1', 'u2', 'u3']));

    // Drag u1 with the mouse onto Contacted.
    const handle = (await page.getByRole('button', { name: 'Drag u1' }).boundingBox())!;
    const target = (await contacted.boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + 30, handle.y + 10, { steps: 5 });
    await page.mouse.move(target.x + target.width / 2, target.y + 80, { steps: 12 });
    await page.mouse.up();
    await contacted.getByRole('link', { name: 'u1', exact: true }).waitFor();
    expect(await contacted.getByTestId('step-count').textContent()).toBe('1');

    // Pick u2 up with the keyboard, two columns right, drop.
    await page.getByRole('button', { name: 'Drag u2' }).focus();
    await page.keyboard.press('Space');
    // Picked up: dnd-kit at once says where the card is.
    await announced(page, 'u2 is over Lead');
    await page.keyboard.press('ArrowRight');
    await announced(page, 'u2 is over Contacted');
    await page.keyboard.press('ArrowRight');
    await announced(page, 'u2 is over Won');
    await page.keyboard.press('Space');
    await won.getByRole('link', { name: 'u2', exact: true }).waitFor();

    // The menu does the same without dragging.
    await page.getByRole('button', { name: 'Move u3 to…' }).click();
    await page.getByRole('menuitem', { name: 'Won' }).click();
    await won.getByRole('link', { name: 'u3', exact: true }).waitFor();
    await screenshot(page, 'cohort-board');

    // A refused move puts the card back and says why.
    await page.route('**/v1/cohorts/*/cards/*/move', (route) => route.fulfill({
      status: 409, contentType: 'application/json', body: JSON.stringify({ error: { code: 'conflict', message: 'The board changed meanwhile.' } }),
    }));
    await page.getByRole('button', { name: 'Move u1 to…' }).click();
    await page.getByRole('menuitem', { name: 'Lead' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not move u1' }).filter({ hasText: 'The board changed meanwhile.' }).waitFor();
    await contacted.getByRole('link', { name: 'u1', exact: true }).waitFor();
    expect(await lead.getByRole('link', { name: 'u1', exact: true }).count()).toBe(0);
    await page.unroute('**/v1/cohorts/*/cards/*/move');

    // The search asks the server, column by column.
    await page.getByLabel('Search cards').fill('U2');
    await expect.poll(() => page.getByTestId('card').locator('a').allTextContents()).toEqual(['u2']);
    await page.getByLabel('Search cards').fill('');
    await expect.poll(() => page.getByTestId('card').count()).toBe(3);

    const board = await server.api<{ items: { userId: string; stepId: string }[]; steps: { id: string; name: string }[] }>('GET', `/v1/cohorts/${cohortId}/board`);
    const stepOf = (u: string) => board.body.steps.find((s) => s.id === board.body.items.find((c) => c.userId === u)?.stepId)?.name;
    expect([stepOf('u1'), stepOf('u2'), stepOf('u3')]).toEqual(['Contacted', 'Won', 'Won']);

    // The log shows Contacted's webhook for u1 succeeding.
    await page.getByRole('tab', { name: 'Action log' }).click();
    const log = page.getByRole('table', { name: 'Action log' });
    const row = log.getByRole('row').filter({ hasText: 'u1' });
    await expect.poll(() => row.getByTestId('execution-status').textContent(), { timeout: 30_000 }).toBe('succeeded');
    expect(await row.textContent()).toContain('Contacted');
    expect(await log.getByRole('row').count()).toBe(2); // header + the one execution (Lead and Won have no action)

    expect(receiver.received).toHaveLength(1);
    const hit = receiver.received[0]!;
    expect(hit.body).toMatchObject({ type: 'workflow.step_reached', cohortId, cohortName: 'Onboarding', stepName: 'Contacted', userId: 'u1' });
    // Signed with the secret the wizard showed once.
    const h = hit.headers;
    expect(h['webhook-signature']).toBe(signStandardWebhook(secret, String(h['webhook-id']), Number(h['webhook-timestamp']), hit.raw));
  });

  it('lists the step counts with the cohort', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Cohorts' }).click();
    const counts = page.getByRole('table', { name: 'Cohorts' }).getByTestId('step-counts');
    await expect.poll(() => counts.textContent()).toBe('Lead 0 → Contacted 1 → Won 2');
  });

  it('shows the board read-only to a viewer collaborator', async () => {
    // Another person: another browser (a session cookie is shared by every tab of one browser).
    const other = await launchBrowser();
    const viewer = await other.newPage();
    viewer.setDefaultTimeout(30_000);
    await signInWithPassword(viewer, server, COLLABORATOR.email, `/cohorts/${cohortId}`);
    await viewer.getByRole('heading', { name: 'Onboarding', exact: true }).waitFor();
    const won = viewer.getByRole('region', { name: 'Step Won' });
    await won.getByRole('link', { name: 'u2', exact: true }).waitFor();
    await viewer.getByRole('note').filter({ hasText: 'Read only' }).waitFor();
    expect(await viewer.getByRole('button', { name: /^Drag / }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /^Move .* to…$/ }).count()).toBe(0);
    // Steps and collaborators are shown, not editable.
    await viewer.getByRole('tab', { name: 'Steps' }).click();
    await viewer.getByRole('list', { name: 'Workflow steps' }).waitFor();
    expect(await viewer.getByRole('button', { name: '+ Add step' }).count()).toBe(0);
    await viewer.getByRole('tab', { name: 'Collaborators' }).click();
    await viewer.getByRole('table', { name: 'Collaborators' }).getByText(COLLABORATOR.email).waitFor();
    expect(await viewer.getByLabel('Account to invite').count()).toBe(0);
    // The server refuses a move from this account too.
    const login = await fetch(`${server.apiUrl}/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: COLLABORATOR.email, password: PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const steps = await server.api<{ id: string }[]>('GET', `/v1/cohorts/${cohortId}/steps`);
    const move = await fetch(`${server.apiUrl}/v1/cohorts/${cohortId}/cards/u2/move`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ stepId: steps.body[0]!.id }),
    });
    expect(move.status).toBe(403);
    await other.close();
  });

  it('edits the steps on the cohort page: rename, reorder, a property action; the webhook keeps its secret', async () => {
    await page.getByRole('table', { name: 'Cohorts' }).getByRole('link', { name: 'Onboarding' }).click();
    await page.getByRole('tab', { name: 'Steps' }).click();
    await page.getByLabel('Step 3 name').fill('Closed');
    await pick(page, page.getByLabel('Action of step 3'), 'Set a user property');
    await page.getByLabel('Property of step 3').fill('stage');
    await page.getByLabel('Value of step 3').fill('closed');
    await page.getByRole('button', { name: 'Move step 3 up' }).click();
    await page.getByRole('button', { name: 'Save steps' }).click();
    await page.getByRole('status').filter({ hasText: 'Steps saved.' }).waitFor();

    const steps = await server.api<{ name: string; action: Record<string, unknown> | null; cardCount: number }[]>('GET', `/v1/cohorts/${cohortId}/steps`);
    expect(steps.body.map((s) => [s.name, s.cardCount])).toEqual([['Lead', 0], ['Closed', 2], ['Contacted', 1]]);
    expect(steps.body[1]!.action).toEqual({ type: 'set_property', key: 'stage', value: 'closed' });
    expect(steps.body[2]!.action).toEqual({ type: 'webhook', url: receiver.url, secret: '••••' });

    await page.getByRole('tab', { name: 'Board' }).click();
    await page.getByRole('button', { name: 'Move u1 to…' }).click();
    await page.getByRole('menuitem', { name: 'Closed' }).click();
    await expect.poll(async () => (await server.api<{ properties: Record<string, unknown> }>('GET', '/v1/users/u1')).body.properties.stage, { timeout: 30_000 })
      .toBe('closed');

    // Saving the steps again kept the secret: the next webhook still verifies with the one shown at creation.
    await page.getByRole('button', { name: 'Move u2 to…' }).click();
    await page.getByRole('menuitem', { name: 'Contacted' }).click();
    await expect.poll(() => receiver.received.length, { timeout: 30_000 }).toBe(2);
    const hit = receiver.received[1]!;
    expect(hit.body).toMatchObject({ type: 'workflow.step_reached', stepName: 'Contacted', userId: 'u2' });
    expect(hit.headers['webhook-signature']).toBe(signStandardWebhook(secret, String(hit.headers['webhook-id']), Number(hit.headers['webhook-timestamp']), hit.raw));
  });
});

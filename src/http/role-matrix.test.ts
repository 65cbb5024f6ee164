import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockReceiver } from '../destinations/test-support/mock-receiver.js';
import type { Kohort } from '../main.js';
import { addMember, caller, signIn, startTeamKohort, type TeamMember } from './test-support/team.js';

/**
 * docs/TEAMS.md "Principals and roles", route by route: every management
 * route, called as no one, a viewer, a member, an admin and an owner (accounts
 * signed in through /v1/auth/login). The target cohort M is owned by the
 * member; the viewer is invited on it as an *editor*, which its role caps to
 * reading. H is a cohort made with the admin token, hidden from viewer and member.
 */
const ADMIN = 'kha_role_matrix';
const WHO = ['none', 'viewer', 'member', 'admin', 'owner'] as const;
type Who = (typeof WHO)[number];

let k: Kohort;
let call: ReturnType<typeof caller>;
let receiver: MockReceiver;
let baseUrl: string;
const team = {} as Record<Exclude<Who, 'none'>, TeamMember> & { guest: TeamMember };
const ctx = { M: '', H: '', D: '', S: '', stepA: '', stepB: '', Dyn: '', HDyn: '' };
let n = 0;

const tokenOf = (who: Who) => (who === 'none' ? null : team[who].token);
const ok = (r: { status: number; body: unknown }, status = [200, 201, 204]) => {
  expect(status, JSON.stringify(r.body)).toContain(r.status);
  return r.body as any;
};
const asAdmin = async (method: string, url: string, body?: unknown) => ok(await call(ADMIN, method, url, body));
const webhook = () => ({ name: `Hook ${++n}`, type: 'webhook', config: { url: `${receiver.url}/hook` } });

/** Expected statuses: no token, viewer, member, admin, owner. */
type Expect = [number, number, number, number, number];
const everyone = (s: number): Expect => [401, s, s, s, s];
const members = (s: number): Expect => [401, 403, s, s, s];
const admins = (s: number): Expect => [401, 403, 403, s, s];

interface Prepared {
  url: string;
  body?: unknown;
  /** Overrides the caller's usual session token (e.g. a fresh session to end). */
  token?: string | null;
}
interface Row {
  /** Method and path as documented (api.md, docs/TEAMS.md). */
  route: string;
  /** Which case of the route this row is about, when a route has several rows. */
  note?: string;
  /** Builds the request; called once per caller, so destructive rows get a fresh target each time. */
  prepare: (who: Who) => Prepared | Promise<Prepared>;
  expect: Expect;
  /** Server-Sent Events: checked over a real socket (the stream never ends by itself). */
  sse?: boolean;
}

const at = (url: string, body?: unknown) => () => ({ url, body });

/** A static cohort owned by the member, the viewer invited as editor. */
async function memberCohort(): Promise<string> {
  const c = ok(await call(team.member.token, 'POST', '/v1/cohorts', { name: `Fresh ${++n}`, kind: 'static' }));
  await asAdmin('PUT', `/v1/cohorts/${c.id}/collaborators/${team.viewer.id}`, { role: 'editor' });
  return c.id;
}
async function freshSync(): Promise<string> {
  const d = await asAdmin('POST', '/v1/destinations', webhook());
  return (await asAdmin('POST', '/v1/syncs', { cohortId: ctx.M, destinationId: d.id, frequency: 'daily' })).id;
}

/** An export of the cohort requested with the admin token and run to completion. */
async function finishedExport(cohortId: string): Promise<string> {
  const { request_id } = ok(await call(ADMIN, 'GET', `/api/5/cohorts/request/${cohortId}`), [202]);
  await k.exports.drain();
  return request_id;
}

const ROWS: Row[] = [
  // Events, users, contacts
  { route: 'GET /v1/event-types', prepare: at('/v1/event-types'), expect: everyone(200) },
  { route: 'GET /v1/properties/values', prepare: at('/v1/properties/values?event=purchase&property=brand'), expect: everyone(200) },
  { route: 'GET /v1/traits', prepare: at('/v1/traits'), expect: everyone(200) },
  { route: 'GET /v1/events/live', prepare: at('/v1/events/live?limit=5'), expect: everyone(200) },
  { route: 'GET /v1/events/stream', prepare: at('/v1/events/stream'), expect: everyone(200), sse: true },
  { route: 'GET /v1/users/:userId', prepare: at('/v1/users/u1'), expect: everyone(200) },
  { route: 'GET /v1/contacts', prepare: at('/v1/contacts'), expect: everyone(200) },

  // Analysis by cohort: any role that reads events; segments only name visible cohorts
  {
    route: 'POST /v1/analytics/segmentation',
    prepare: () => ({ url: '/v1/analytics/segmentation', body: { event: { event: 'signup' }, measure: 'uniques', interval: 'week', from: '2024-01-01', to: '2030-01-01', segments: [{ cohortId: ctx.M }] } }),
    expect: everyone(200),
  },
  {
    route: 'POST /v1/analytics/segmentation',
    note: 'hidden cohort',
    prepare: () => ({ url: '/v1/analytics/segmentation', body: { event: { event: 'signup' }, measure: 'totals', interval: 'month', from: '2024-01-01', to: '2030-01-01', segments: [{ cohortId: ctx.H, negate: true }] } }),
    expect: [401, 404, 404, 200, 200],
  },
  {
    route: 'POST /v1/analytics/funnel',
    prepare: () => ({ url: '/v1/analytics/funnel', body: { steps: [{ event: 'signup' }, { event: 'buy' }], conversionWindow: { amount: 7, unit: 'day' }, from: '2024-01-01', to: '2030-01-01', segments: [{ all: true }, { cohortId: ctx.M, negate: true }] } }),
    expect: everyone(200),
  },
  {
    route: 'POST /v1/analytics/retention',
    prepare: () => ({ url: '/v1/analytics/retention', body: { start: { event: 'signup' }, return: { event: 'signup' }, period: 'week', periods: 4, from: '2024-01-01', to: '2030-01-01' } }),
    expect: everyone(200),
  },
  {
    route: 'POST /v1/analytics/retention',
    note: 'definition naming a hidden cohort',
    prepare: () => ({ url: '/v1/analytics/retention', body: { start: { event: 'signup' }, return: { event: 'signup' }, period: 'day', periods: 1, from: '2024-01-01', to: '2024-02-01', segments: [{ definition: { match: 'all', rules: [{ type: 'cohort', cohortId: ctx.H }] } }] } }),
    expect: [401, 400, 400, 200, 200],
  },

  // Cohorts
  { route: 'POST /v1/cohorts/preview', prepare: at('/v1/cohorts/preview', { definition: { match: 'all', rules: [{ type: 'event', event: 'signup' }] } }), expect: everyone(200) },
  { route: 'POST /v1/cohorts', prepare: () => ({ url: '/v1/cohorts', body: { name: `New ${++n}`, kind: 'static' } }), expect: members(201) },
  { route: 'GET /v1/cohorts', prepare: at('/v1/cohorts'), expect: everyone(200) },
  { route: 'GET /v1/cohorts/:id', prepare: () => ({ url: `/v1/cohorts/${ctx.M}` }), expect: everyone(200) },
  { route: 'GET /v1/cohorts/:id', note: 'hidden cohort', prepare: () => ({ url: `/v1/cohorts/${ctx.H}` }), expect: [401, 404, 404, 200, 200] },
  { route: 'PATCH /v1/cohorts/:id', prepare: () => ({ url: `/v1/cohorts/${ctx.M}`, body: { description: `changed ${++n}` } }), expect: members(200) },
  { route: 'PATCH /v1/cohorts/:id', note: 'hidden cohort', prepare: () => ({ url: `/v1/cohorts/${ctx.H}`, body: { description: 'x' } }), expect: [401, 404, 404, 200, 200] },
  { route: 'DELETE /v1/cohorts/:id', prepare: async () => ({ url: `/v1/cohorts/${await memberCohort()}` }), expect: members(204) },
  { route: 'POST /v1/cohorts/:id/refresh', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/refresh` }), expect: members(200) },
  { route: 'GET /v1/cohorts/:id/history', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/history` }), expect: everyone(200) },
  { route: 'GET /v1/cohorts/:id/members', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/members` }), expect: everyone(200) },
  { route: 'POST /v1/cohorts/:id/members', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/members`, body: { userIds: ['u3'] } }), expect: members(200) },
  { route: 'DELETE /v1/cohorts/:id/members', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/members`, body: { userIds: ['u4'] } }), expect: members(200) },
  { route: 'GET /v1/cohorts/:id/explain', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/explain?userId=u1` }), expect: everyone(200) },
  { route: 'GET /v1/cohorts/:id/explain', note: 'hidden cohort', prepare: () => ({ url: `/v1/cohorts/${ctx.H}/explain?userId=u1` }), expect: [401, 404, 404, 200, 200] },
  { route: 'POST /v1/cohorts/explain', prepare: at('/v1/cohorts/explain', { definition: { match: 'all', rules: [{ type: 'event', event: 'signup' }] }, userId: 'u1' }), expect: everyone(200) },
  {
    route: 'POST /v1/cohorts/explain',
    note: 'refers to a hidden cohort',
    prepare: () => ({ url: '/v1/cohorts/explain', body: { definition: { match: 'all', rules: [{ type: 'cohort', cohortId: ctx.H }] }, userId: 'u1' } }),
    expect: [401, 400, 400, 200, 200],
  },
  { route: 'POST /v1/cohorts/:id/diff', prepare: () => ({ url: `/v1/cohorts/${ctx.Dyn}/diff`, body: { definition: { match: 'all', rules: [{ type: 'event', event: 'signup' }] } } }), expect: members(200) },
  { route: 'POST /v1/cohorts/:id/diff', note: 'hidden cohort', prepare: () => ({ url: `/v1/cohorts/${ctx.HDyn}/diff`, body: { definition: { match: 'all', rules: [{ type: 'event', event: 'signup' }] } } }), expect: [401, 404, 404, 200, 200] },
  { route: 'GET /2/cohorts', prepare: at('/2/cohorts'), expect: everyone(200) },
  { route: 'GET /2/cohorts/:id', prepare: () => ({ url: `/2/cohorts/${ctx.M}` }), expect: everyone(200) },
  { route: 'GET /2/cohorts/:id', note: 'hidden cohort', prepare: () => ({ url: `/2/cohorts/${ctx.H}` }), expect: [401, 404, 404, 200, 200] },
  { route: 'GET /api/3/cohorts', prepare: at('/api/3/cohorts'), expect: everyone(200) },
  { route: 'GET /api/5/cohorts/request/:id', prepare: () => ({ url: `/api/5/cohorts/request/${ctx.M}?props=1` }), expect: everyone(202) },
  { route: 'GET /api/5/cohorts/request/:id', note: 'hidden cohort', prepare: () => ({ url: `/api/5/cohorts/request/${ctx.H}` }), expect: [401, 404, 404, 202, 202] },
  { route: 'GET /api/5/cohorts/request-status/:requestId', prepare: async () => ({ url: `/api/5/cohorts/request-status/${await finishedExport(ctx.M)}` }), expect: everyone(200) },
  { route: 'GET /api/5/cohorts/request-status/:requestId', note: 'hidden cohort', prepare: async () => ({ url: `/api/5/cohorts/request-status/${await finishedExport(ctx.H)}` }), expect: [401, 404, 404, 200, 200] },
  { route: 'GET /api/5/cohorts/request/:id/file', prepare: async () => ({ url: `/api/5/cohorts/request/${await finishedExport(ctx.M)}/file` }), expect: everyone(200) },

  // Collaborators: changed by the cohort's owner (here the member) or an admin
  { route: 'GET /v1/cohorts/:id/collaborators', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/collaborators` }), expect: everyone(200) },
  { route: 'PUT /v1/cohorts/:id/collaborators/:accountId', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/collaborators/${team.guest.id}`, body: { role: 'viewer' } }), expect: members(200) },
  {
    route: 'DELETE /v1/cohorts/:id/collaborators/:accountId',
    prepare: async () => {
      await asAdmin('PUT', `/v1/cohorts/${ctx.M}/collaborators/${team.guest.id}`, { role: 'viewer' });
      return { url: `/v1/cohorts/${ctx.M}/collaborators/${team.guest.id}` };
    },
    expect: members(204),
  },

  // Workflow steps and the board
  { route: 'GET /v1/cohorts/:id/steps', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/steps` }), expect: everyone(200) },
  {
    route: 'PUT /v1/cohorts/:id/steps',
    prepare: () => ({ url: `/v1/cohorts/${ctx.M}/steps`, body: { steps: [{ id: ctx.stepA, name: 'New' }, { id: ctx.stepB, name: 'Done' }] } }),
    expect: members(200),
  },
  { route: 'GET /v1/cohorts/:id/board', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/board` }), expect: everyone(200) },
  { route: 'POST /v1/cohorts/:id/cards/:userId/move', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/cards/u1/move`, body: { stepId: ctx.stepB } }), expect: members(200) },
  { route: 'GET /v1/cohorts/:id/actions', prepare: () => ({ url: `/v1/cohorts/${ctx.M}/actions` }), expect: everyone(200) },

  // Destinations: everyone reads, admins change
  { route: 'POST /v1/destinations', prepare: () => ({ url: '/v1/destinations', body: webhook() }), expect: admins(201) },
  { route: 'GET /v1/destinations', prepare: at('/v1/destinations'), expect: everyone(200) },
  { route: 'GET /v1/destinations/:id', prepare: () => ({ url: `/v1/destinations/${ctx.D}` }), expect: everyone(200) },
  { route: 'PATCH /v1/destinations/:id', prepare: () => ({ url: `/v1/destinations/${ctx.D}`, body: { name: `Renamed ${++n}` } }), expect: admins(200) },
  { route: 'DELETE /v1/destinations/:id', prepare: async () => ({ url: `/v1/destinations/${(await asAdmin('POST', '/v1/destinations', webhook())).id}` }), expect: admins(204) },
  { route: 'POST /v1/destinations/:id/test', prepare: () => ({ url: `/v1/destinations/${ctx.D}/test` }), expect: admins(200) },

  // Syncs follow their cohort
  {
    route: 'POST /v1/syncs',
    prepare: async () => ({ url: '/v1/syncs', body: { cohortId: ctx.M, destinationId: (await asAdmin('POST', '/v1/destinations', webhook())).id, frequency: 'daily' } }),
    expect: members(201),
  },
  {
    route: 'POST /v1/syncs',
    note: 'hidden cohort',
    prepare: async () => ({ url: '/v1/syncs', body: { cohortId: ctx.H, destinationId: (await asAdmin('POST', '/v1/destinations', webhook())).id, frequency: 'daily' } }),
    expect: [401, 403, 404, 201, 201],
  },
  { route: 'GET /v1/syncs', prepare: at('/v1/syncs'), expect: everyone(200) },
  { route: 'GET /v1/syncs/:id', prepare: () => ({ url: `/v1/syncs/${ctx.S}` }), expect: everyone(200) },
  { route: 'PATCH /v1/syncs/:id', prepare: () => ({ url: `/v1/syncs/${ctx.S}`, body: { batchSize: 100 + ++n } }), expect: members(200) },
  { route: 'DELETE /v1/syncs/:id', prepare: async () => ({ url: `/v1/syncs/${await freshSync()}` }), expect: members(204) },
  { route: 'POST /v1/syncs/:id/run', prepare: async () => ({ url: `/v1/syncs/${await freshSync()}/run` }), expect: members(202) },
  { route: 'GET /v1/syncs/:id/runs', prepare: () => ({ url: `/v1/syncs/${ctx.S}/runs` }), expect: everyone(200) },

  // Own session, profile and tokens
  { route: 'POST /v1/auth/logout', prepare: async (who) => ({ url: '/v1/auth/logout', token: who === 'none' ? null : await signIn(k, team[who].email) }), expect: everyone(204) },
  { route: 'GET /v1/me', prepare: at('/v1/me'), expect: everyone(200) },
  { route: 'PATCH /v1/me', prepare: () => ({ url: '/v1/me', body: { name: `Renamed ${++n}` } }), expect: everyone(200) },
  { route: 'GET /v1/me/tokens', prepare: at('/v1/me/tokens'), expect: everyone(200) },
  { route: 'POST /v1/me/tokens', prepare: () => ({ url: '/v1/me/tokens', body: { name: `token ${++n}` } }), expect: everyone(201) },
  {
    route: 'DELETE /v1/me/tokens/:id',
    prepare: async (who) => {
      if (who === 'none') return { url: '/v1/me/tokens/whatever' };
      const t = ok(await call(team[who].token, 'POST', '/v1/me/tokens', { name: `to delete ${++n}` }));
      return { url: `/v1/me/tokens/${t.id}` };
    },
    expect: everyone(204),
  },

  // Accounts and the audit log
  { route: 'GET /v1/accounts', prepare: at('/v1/accounts'), expect: everyone(200) },
  {
    route: 'POST /v1/accounts',
    prepare: () => ({ url: '/v1/accounts', body: { email: `made-${++n}@team.test`, name: 'Made', role: 'member', password: 'correct horse battery' } }),
    expect: admins(201),
  },
  { route: 'GET /v1/accounts/:id', prepare: () => ({ url: `/v1/accounts/${team.guest.id}` }), expect: everyone(200) },
  { route: 'PATCH /v1/accounts/:id', prepare: () => ({ url: `/v1/accounts/${team.guest.id}`, body: { name: `Guest ${++n}` } }), expect: admins(200) },
  {
    route: 'DELETE /v1/accounts/:id',
    prepare: async () => {
      const a = await asAdmin('POST', '/v1/accounts', { email: `gone-${++n}@team.test`, name: 'Gone', role: 'member', password: 'correct horse battery' });
      return { url: `/v1/accounts/${a.id}` };
    },
    expect: admins(204),
  },
  { route: 'GET /v1/audit', prepare: at('/v1/audit'), expect: admins(200) },
];

/** Routes that need no management credential (ingestion has its write key; sign-in has none). */
const NOT_MANAGEMENT = new Set([
  'GET /healthz',
  'POST /v1/track',
  'POST /v1/identify',
  'POST /v1/alias',
  'POST /v1/page',
  'POST /v1/screen',
  'POST /v1/group',
  'POST /v1/batch',
  'POST /2/httpapi',
  'POST /batch',
  'POST /identify',
  'POST /v1/auth/login',
  // Browser sign-in: no credential yet (browser-session.test.ts).
  'POST /v1/auth/session',
]);

/** "METHOD /path" of every API route the app registered, read from Fastify's route tree. */
function registeredRoutes(): Set<string> {
  const out = new Set<string>();
  const parents: string[] = [];
  for (const line of k.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    const path = (depth ? parents[depth - 1] : '') + m[2];
    parents[depth] = path;
    if (!/^\/(v1|2|api)\//.test(path)) continue; // the web app's files
    for (const method of m[3].split(', ')) if (method !== 'HEAD') out.add(`${method} ${path}`);
  }
  return out;
}

async function sseStatus(token: string | null): Promise<number> {
  const abort = new AbortController();
  const res = await fetch(`${baseUrl}/v1/events/stream`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: abort.signal });
  abort.abort();
  return res.status;
}

beforeAll(async () => {
  receiver = await new MockReceiver().start();
  k = await startTeamKohort(ADMIN);
  call = caller(k);
  baseUrl = await k.app.listen({ port: 0, host: '127.0.0.1' });
  const batch = ['u1', 'u2', 'u3', 'u4'].map((userId) => ({ type: 'track', userId, event: 'signup' }));
  ok(await call(`${ADMIN}_write`, 'POST', '/v1/batch', { batch }));
  for (const role of ['viewer', 'member', 'admin', 'owner'] as const) team[role] = await addMember(k, ADMIN, role);
  team.guest = await addMember(k, ADMIN, 'member', 'guest');

  ctx.M = ok(await call(team.member.token, 'POST', '/v1/cohorts', { name: 'Member list', kind: 'static' })).id;
  ok(await call(team.member.token, 'POST', `/v1/cohorts/${ctx.M}/members`, { userIds: ['u1', 'u2', 'u4'] }));
  await asAdmin('PUT', `/v1/cohorts/${ctx.M}/collaborators/${team.viewer.id}`, { role: 'editor' });
  const steps = await asAdmin('PUT', `/v1/cohorts/${ctx.M}/steps`, { steps: [{ name: 'New' }, { name: 'Done' }] });
  [ctx.stepA, ctx.stepB] = steps.map((s: { id: string }) => s.id);
  ctx.H = (await asAdmin('POST', '/v1/cohorts', { name: 'Admin list', kind: 'static' })).id;
  // Dynamic twins of M and H (a diff is about a definition).
  const signups = { match: 'all', rules: [{ type: 'event', event: 'signup' }] };
  ctx.Dyn = ok(await call(team.member.token, 'POST', '/v1/cohorts', { name: 'Member signups', definition: signups })).id;
  await asAdmin('PUT', `/v1/cohorts/${ctx.Dyn}/collaborators/${team.viewer.id}`, { role: 'editor' });
  ctx.HDyn = (await asAdmin('POST', '/v1/cohorts', { name: 'Admin signups', definition: signups })).id;
  ctx.D = (await asAdmin('POST', '/v1/destinations', webhook())).id;
  ctx.S = (await asAdmin('POST', '/v1/syncs', { cohortId: ctx.M, destinationId: ctx.D, frequency: 'daily' })).id;
});
afterAll(async () => {
  await k?.close();
  await receiver?.close();
});

describe('role matrix (docs/TEAMS.md)', () => {
  it('lists every management route the app has, and only those', () => {
    const inTable = new Set(ROWS.map((r) => r.route));
    const registered = [...registeredRoutes()].filter((r) => !NOT_MANAGEMENT.has(r));
    expect([...registered].filter((r) => !inTable.has(r)).sort(), 'routes missing from the matrix').toEqual([]);
    expect([...inTable].filter((r) => !registered.includes(r)).sort(), 'matrix rows for routes that do not exist').toEqual([]);
  });

  it.each(ROWS.map((r) => [`${r.route}${r.note ? ` (${r.note})` : ''}`, r] as const))('%s', async (_name, row) => {
    const [method] = row.route.split(' ');
    const wrong: string[] = [];
    for (const [i, who] of WHO.entries()) {
      const p = await row.prepare(who);
      const token = p.token !== undefined ? p.token : tokenOf(who);
      const want = row.expect[i];
      if (row.sse && want === 200) {
        const status = await sseStatus(token);
        if (status !== want) wrong.push(`${who}: expected ${want}, got ${status}`);
        continue;
      }
      const r = await call(token, method, p.url, p.body);
      // Refusals use the contract's error shape and the documented codes.
      const code = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' }[r.status as 401 | 403 | 404];
      if (r.status !== want) wrong.push(`${who}: expected ${want}, got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      else if (code && r.body?.error?.code !== code) wrong.push(`${who}: expected code ${code}, got ${JSON.stringify(r.body)}`);
    }
    expect(wrong).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';
import { createKohort, type Kohort } from '../../src/main.js';

export interface CompatServer {
  url: string;
  writeKey: string;
  kohort: Kohort;
  /** Every answered request: what the SDKs were told. */
  responses: { url: string; status: number }[];
  /** A management API read with the admin token. */
  get<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  /** A management API write with the admin token. */
  post<T = unknown>(path: string, body: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/**
 * A real Kohort listening on 127.0.0.1 (free port, in-memory store), for the
 * official SDKs to talk to over HTTP exactly as they would in production.
 */
export async function startCompatServer(): Promise<CompatServer> {
  const adminToken = `adm_${randomBytes(12).toString('hex')}`;
  const writeKey = `wk_${randomBytes(12).toString('hex')}`;
  const kohort = await createKohort({ dbPath: ':memory:', adminToken, writeKey, background: false, schedulers: false, logger: false });
  const responses: { url: string; status: number }[] = [];
  kohort.app.addHook('onResponse', async (req, reply) => {
    responses.push({ url: req.url, status: reply.statusCode });
  });
  await kohort.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = kohort.app.server.address();
  if (!addr || typeof addr !== 'object') throw new Error('server has no address');
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url,
    writeKey,
    kohort,
    responses,
    async get<T>(path: string) {
      const res = await fetch(url + path, { headers: { authorization: `Bearer ${adminToken}` } });
      return { status: res.status, body: (await res.json()) as T };
    },
    async post<T>(path: string, body: unknown) {
      const res = await fetch(url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    close: () => kohort.close(),
  };
}

export interface UserView {
  userId: string;
  properties: Record<string, unknown>;
  eventCount: number;
  recentEvents: { event: string; timestamp: string; properties: Record<string, unknown> }[];
}

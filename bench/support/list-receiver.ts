import { createServer } from 'node:http';

/**
 * A cheap amplitude_list receiver for sync benchmarks, run as its own process
 * (`node --import tsx bench/support/list-receiver.ts`): prints `port <n>` once
 * listening; answers list creation and add/remove at once (200) and keeps the
 * list as a set, so a benchmark can check that what arrived equals the cohort.
 * `GET /stats` → { requests, added, removed, size, firstAt, lastAt } (epoch ms);
 * `POST /reset` clears the counters (not the list).
 */
const list = new Set<string>();
let stats = { requests: 0, added: 0, removed: 0, firstAt: 0, lastAt: 0 };

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/stats') return send(200, { ...stats, size: list.size });
    if (req.method === 'GET' && req.url === '/members') return send(200, [...list]);
    if (req.method === 'POST' && req.url === '/reset') {
      stats = { requests: 0, added: 0, removed: 0, firstAt: 0, lastAt: 0 };
      return send(200, {});
    }
    if (req.method === 'POST' && req.url === '/lists') return send(200, { listId: `L${Date.now()}` });
    const m = /^\/lists\/[^/]+\/(add|remove)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return send(404, { error: 'no route' });
    const now = Date.now();
    stats.firstAt ||= now;
    stats.lastAt = now;
    stats.requests++;
    const ids = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { userIds: string[] }).userIds;
    if (m[1] === 'add') {
      for (const u of ids) list.add(u);
      stats.added += ids.length;
    } else {
      for (const u of ids) list.delete(u);
      stats.removed += ids.length;
    }
    send(200, {});
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`port ${typeof addr === 'object' && addr ? addr.port : 0}`);
});

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A slow list receiver speaking the amplitude_list protocol (docs/SYNC-PROTOCOLS.md),
 * for the crash and scale-out tests: it applies each request before answering, so a
 * request in flight when a server is killed is accepted here but never acknowledged.
 */
export interface ListRequest {
  op: 'add' | 'remove';
  userIds: string[];
  key: string;
  /** Users of an add already on the list (or of a remove already off it) when it was applied. */
  redundant: number;
  /** Dropped because its Idempotency-Key was seen before. */
  duplicateKey: boolean;
}

/**
 * Each list request waits 100–300 ms, then is applied and answered. Applying
 * before answering is the adverse case: a request in flight at the kill is
 * accepted here but never acknowledged to the server, so it must be re-sent.
 */
export class SlowListReceiver {
  constructor(private readonly apiKey: string) {}

  readonly list = new Set<string>();
  readonly requests: ListRequest[] = [];
  listsCreated = 0;
  /** List requests received and not yet applied. */
  pending = 0;
  private readonly keys = new Set<string>();
  private server: HttpServer | null = null;
  /** Called with the 1-based number of each add/remove request on arrival. */
  onArrival: (n: number) => void = () => {};
  private arrivals = 0;
  private seed = 12345;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  private delay(): number {
    // Deterministic 100–300 ms (LCG), so reruns behave alike.
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return 100 + (this.seed % 201);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (status: number, body: unknown) => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        res.on('error', () => undefined);
        const auth = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        if (auth !== `${this.apiKey}:`) return reply(401, { error: 'bad api key' });
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (req.method === 'POST' && req.url === '/lists') {
          this.listsCreated++;
          return reply(200, { listId: 'L1' });
        }
        const m = /^\/lists\/L1\/(add|remove)$/.exec(req.url ?? '');
        if (req.method !== 'POST' || !m) return reply(404, { error: 'no route' });
        this.onArrival(++this.arrivals);
        const op = m[1] as 'add' | 'remove';
        const key = String(req.headers['idempotency-key']);
        this.pending++;
        setTimeout(() => {
          this.pending--;
          const rec: ListRequest = { op, userIds: body.userIds, key, redundant: 0, duplicateKey: this.keys.has(key) };
          this.requests.push(rec);
          if (!rec.duplicateKey) {
            this.keys.add(key);
            for (const u of rec.userIds) {
              if (this.list.has(u) === (op === 'add')) rec.redundant++;
              if (op === 'add') this.list.add(u);
              else this.list.delete(u);
            }
          }
          reply(200, {});
        }, this.delay());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}


import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  /** 0-based arrival order. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw body text, exactly as received (signatures are over these bytes). */
  body: string;
  json: any;
  /** Set when an injected fault answered instead of the handler. */
  fault?: Fault;
}

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface HandlerResult {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}
export type Handler = (req: RecordedRequest) => HandlerResult | void;

interface Rule {
  match: (req: RecordedRequest) => boolean;
  fault: Fault;
  remaining: number;
}

/**
 * A local HTTP receiver for destination contract tests: records every request
 * and answers with a handler (a protocol simulator), unless an injected fault
 * matches first (429 + Retry-After, 5xx, hang, connection reset, 4xx...).
 */
export class MockReceiver {
  readonly requests: RecordedRequest[] = [];
  handler: Handler = () => ({ status: 200, body: {} });
  private rules: Rule[] = [];
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private hanging: ServerResponse[] = [];

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error('mock receiver not started');
    return `http://127.0.0.1:${addr.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        const rec: RecordedRequest = {
          index: this.requests.length,
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body,
          json,
        };
        this.requests.push(rec);
        const rule = this.rules.find((r) => r.remaining > 0 && r.match(rec));
        if (rule) {
          rule.remaining--;
          rec.fault = rule.fault;
          return this.answerFault(rule.fault, res, req.socket);
        }
        const out = this.handler(rec) ?? {};
        this.reply(res, out.status ?? 200, out.headers, out.body ?? {});
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Answers the next `times` requests matching `match` (default: any) with `fault`. */
  inject(fault: Fault, opts: { times?: number; match?: (req: RecordedRequest) => boolean } = {}): this {
    this.rules.push({ fault, remaining: opts.times ?? 1, match: opts.match ?? (() => true) });
    return this;
  }

  clearFaults(): void {
    this.rules = [];
  }

  /** Requests that reached the handler (no fault injected). */
  get handled(): RecordedRequest[] {
    return this.requests.filter((r) => !r.fault);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  private answerFault(fault: Fault, res: ServerResponse, socket: Socket): void {
    if (fault.kind === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (fault.kind === 'reset') {
      socket.resetAndDestroy?.() ?? socket.destroy();
      return;
    }
    this.reply(res, fault.status, fault.headers, fault.body ?? {});
  }

  private reply(res: ServerResponse, status: number, headers: Record<string, string> = {}, body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  }
}

export function basicAuthOf(req: RecordedRequest): { user: string; password: string } | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Basic ')) return null;
  const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** List-protocol simulator: creates lists, applies add/remove, dedupes by Idempotency-Key. */
export function amplitudeListSimulator(apiKey: string) {
  const lists = new Map<string, { name: string; members: Set<string> }>();
  const seenKeys = new Set<string>();
  const created = new Map<string, string>();
  let next = 1;
  const handler: Handler = (req) => {
    const auth = basicAuthOf(req);
    if (!auth || auth.user !== apiKey || auth.password !== '') return { status: 401, body: { error: 'bad api key' } };
    if (req.method === 'POST' && req.path === '/lists') {
      // A repeated Idempotency-Key gets the list created the first time.
      const key = String(req.headers['idempotency-key']);
      const known = created.get(key);
      if (known) return { status: 200, body: { listId: known } };
      const id = `L${next++}`;
      created.set(key, id);
      lists.set(id, { name: req.json.name, members: new Set() });
      return { status: 200, body: { listId: id } };
    }
    const m = /^\/lists\/([^/]+)\/(add|remove)$/.exec(req.path);
    if (req.method === 'POST' && m) {
      const list = lists.get(decodeURIComponent(m[1]));
      if (!list) return { status: 404, body: { error: 'no such list' } };
      const key = String(req.headers['idempotency-key']);
      if (seenKeys.has(key)) return { status: 200, body: {} };
      seenKeys.add(key);
      for (const u of req.json.userIds as string[]) m[2] === 'add' ? list.members.add(u) : list.members.delete(u);
      return { status: 200, body: {} };
    }
    return { status: 404, body: { error: 'no route' } };
  };
  return { handler, lists };
}

/**
 * Loopback load generator for the http-ingest benchmark, run in its own
 * process so its CPU use is visible and separate from the server's.
 * argv: url writeKey seconds connections batchSize
 * Prints one JSON line with the outcome.
 */
import { Agent, request } from 'node:http';

const [url, writeKey, seconds, connections, batchSize] = process.argv.slice(2);
const target = new URL('/v1/batch', url);
const duration = Number(seconds) * 1000;
const conns = Number(connections);
const size = Number(batchSize);
const agent = new Agent({ keepAlive: true, maxSockets: conns });
const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
const EVENTS = ['view', 'view', 'view', 'cart', 'click', 'purchase'];
const BRANDS = ['something', 'acme', 'globex', 'initech'];
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
let sequence = 0;

/** ISO text of a time; the part up to the second is cached (consecutive events share it), so generating stays cheap next to the server. */
let cachedSecond = NaN;
let cachedPrefix = '';
function iso(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return `${cachedPrefix}${String(ms - second * 1000).padStart(3, '0')}Z`;
}

/** A distinct batch per request (distinct messageIds), as real clients send. */
function body(): string {
  const base = Date.now() - 3_600_000;
  const items: string[] = [];
  for (let i = 0; i < size; i++) {
    const n = ++sequence;
    const event = EVENTS[n % EVENTS.length];
    items.push(
      `{"type":"track","userId":"load_${n % 50_000}","event":"${event}","timestamp":"${iso(base + (n % 3_600_000))}",` +
        `"messageId":"${run}-${n}","properties":{"brand":"${BRANDS[n % 4]}","price":${(n % 2000) + 0.5},"quantity":${1 + (n % 3)},"category":"laptops"}}`,
    );
  }
  return `{"batch":[${items.join(',')}]}`;
}

function post(payload: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: auth, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const latencies: number[] = [];
let sent = 0, stored = 0, duplicates = 0, failures = 0;
const errors: string[] = [];
const started = performance.now();
async function worker(): Promise<void> {
  while (performance.now() - started < duration) {
    const payload = body();
    const t0 = performance.now();
    try {
      const r = await post(payload);
      const ms = performance.now() - t0;
      sent += size;
      if (r.status !== 200) {
        failures++;
        if (errors.length < 5) errors.push(`${r.status} ${r.text.slice(0, 200)}`);
        continue;
      }
      latencies.push(ms);
      const j = JSON.parse(r.text) as { stored: number; duplicates: number };
      stored += j.stored;
      duplicates += j.duplicates;
    } catch (err) {
      failures++;
      if (errors.length < 5) errors.push(String(err));
    }
  }
}
await Promise.all(Array.from({ length: conns }, worker));
const elapsedMs = performance.now() - started;
agent.destroy();
process.stdout.write(JSON.stringify({ elapsedMs, requests: latencies.length + failures, sent, stored, duplicates, failures, errors, latencies, cpu: process.cpuUsage() }) + '\n');

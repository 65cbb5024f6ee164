import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, classifyHttp } from './http.js';
import { createGuardedFetch, guardedLookup, isForbiddenAddress, OutboundRefusedError, parseAllowList, REFUSED_MESSAGE } from './outbound-guard.js';
import { MockReceiver } from './test-support/mock-receiver.js';

describe('forbidden addresses', () => {
  it.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.100.100.200', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::', '::1', 'fe80::1', 'fd00:ec2::254', 'fc00::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '::127.0.0.1',
  ])('%s is refused', (ip) => expect(isForbiddenAddress(ip)).toBe(true));

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('%s is allowed', (ip) =>
    expect(isForbiddenAddress(ip)).toBe(false));
});

describe('the guarded fetch', () => {
  let receiver: MockReceiver;
  beforeAll(async () => {
    receiver = await new MockReceiver().start();
  });
  afterAll(() => receiver.close());

  const post = (url: string, allow = '') => httpRequest({ method: 'POST', url, body: {} }, { fetch: createGuardedFetch(parseAllowList(allow)), timeoutMs: 5_000 });

  it('refuses loopback, by address or by a name that resolves to it, without connecting', async () => {
    const before = receiver.requests.length;
    const port = new URL(receiver.url).port;
    for (const url of [`${receiver.url}/x`, `http://[::ffff:127.0.0.1]:${port}/x`, `http://localhost:${port}/x`, 'http://169.254.169.254/latest/meta-data']) {
      const r = await post(url);
      expect(r, url).toMatchObject({ kind: 'network_error', refused: true, message: REFUSED_MESSAGE });
      // One permanent outcome with the same words for every refused target: no status to read.
      expect(classifyHttp(r)).toEqual({ kind: 'permanent', status: null, message: REFUSED_MESSAGE });
    }
    expect(receiver.requests.length).toBe(before);
  });

  it('reaches hosts that KOHORT_ALLOW_PRIVATE_URLS allows, and checks every redirect again', async () => {
    expect(await post(`${receiver.url}/ok`, '127.0.0.1')).toMatchObject({ kind: 'response', status: 200 });
    expect(await post(`${receiver.url}/ok`, '127.0.0.0/8')).toMatchObject({ kind: 'response', status: 200 });
    expect(await post(`${receiver.url}/ok`, '*')).toMatchObject({ kind: 'response', status: 200 });
    receiver.handler = (req) => (req.path === '/hop' ? { status: 307, headers: { location: 'http://169.254.169.254/latest' } } : { status: 200, body: {} });
    try {
      expect(await post(`${receiver.url}/hop`, '127.0.0.1')).toMatchObject({ kind: 'network_error', refused: true });
      receiver.handler = (req) => (req.path === '/hop' ? { status: 302, headers: { location: '/landed' } } : { status: 200, body: {} });
      expect(await post(`${receiver.url}/hop`, '127.0.0.1')).toMatchObject({ kind: 'response', status: 200 });
      expect(receiver.requests.at(-1)?.path).toBe('/landed');
    } finally {
      receiver.handler = () => ({ status: 200, body: {} });
    }
  });

  it('checks the addresses a name resolves to when connecting (so a DNS answer cannot change after a check)', async () => {
    const lookup = (allow: string) =>
      new Promise<unknown>((resolve) => guardedLookup(parseAllowList(allow))('localhost', { all: true }, (err, addresses) => resolve(err ?? addresses)));
    expect(await lookup('')).toBeInstanceOf(OutboundRefusedError);
    expect(await lookup('localhost')).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
  });

  it('refuses schemes other than http and https', async () => {
    expect(await post('file:///etc/passwd', '*')).toMatchObject({ kind: 'network_error', refused: true });
  });
});

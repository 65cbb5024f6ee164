import http from 'node:http';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The body as sent, for checking signatures over it. */
  raw: string;
}

/** A local webhook receiver that records every request and answers 200. */
export async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      let body: unknown = data;
      try { body = JSON.parse(data); } catch { /* keep text */ }
      received.push({ headers: req.headers, body, raw: data });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/kohort`,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

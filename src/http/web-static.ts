import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export interface WebAppOptions {
  /** Folder holding the Vite build (index.html + assets/). */
  distDir: string;
}

/** Prefixes owned by the API (api.md): an unknown path under them is a JSON 404, never the SPA shell. */
const API_PREFIXES = ['/v1', '/2', '/api', '/batch', '/identify', '/healthz', '/openapi.json', '/docs'];

/** Paths owned by the API: never answered with the SPA shell. */
export function isApiPath(url: string): boolean {
  const p = url.split('?')[0] ?? '';
  return API_PREFIXES.some((prefix) => p === prefix || p.startsWith(`${prefix}/`));
}

const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kohort – web app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The Kohort web app is not built</h1>
<p>The API is running, but the web app's files were not found on this server.
Build them with <code>npx vite build</code> (output goes to <code>dist/web</code>) and restart the server.</p>
</body></html>`;

/**
 * Serves the built web app with a fallback to index.html for client-side
 * routes (GET/HEAD of any path that is neither a file of the build nor an API
 * path). Without a build, those paths answer 503 with a page saying how to build.
 */
export async function registerWebApp(app: FastifyInstance, { distDir }: WebAppOptions): Promise<void> {
  const indexPath = path.join(distDir, 'index.html');
  const built = existsSync(indexPath);

  if (built) {
    await app.register(fastifyStatic, {
      root: distDir,
      prefix: '/',
      wildcard: false,
      index: false,
      // Hashed assets never change; index.html must always be revalidated.
      // (send's own header is off, else it would replace the one set here.)
      cacheControl: false,
      setHeaders: (res, filePath) => {
        if (filePath.includes(`${path.sep}assets${path.sep}`)) {
          res.setHeader('cache-control', 'public, max-age=31536000, immutable');
        }
      },
    });
  }

  // A catch-all route rather than a not-found handler, so the API keeps its own
  // not-found handler; API paths are handed back to it untouched.
  app.get('/*', async (req, reply) => {
    if (isApiPath(req.url)) return reply.callNotFound();
    if (!built) {
      return reply.code(503).type('text/html; charset=utf-8').header('retry-after', '30').send(MISSING_BUILD_PAGE);
    }
    const html = await readFile(indexPath, 'utf8');
    return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  });
}

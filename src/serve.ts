import { join } from 'node:path';
import type { Config } from './config.js';
import { createKohort } from './main.js';
import type { Kohort } from './kohort-options.js';

export interface Running extends Kohort {
  url: string;
}

/** `kohort serve`: the whole product on the configured data dir and port. */
export async function startServer(config: Config, opts: { logger?: boolean; background?: boolean } = {}): Promise<Running> {
  const k = await createKohort({
    dbPath: join(config.dataDir, 'kohort.duckdb'),
    memoryLimit: config.memoryLimit,
    adminToken: config.adminToken,
    writeKey: config.writeKey,
    background: opts.background,
    allowPrivateUrls: config.allowPrivateUrls,
    queryLimits: config.queryLimits,
    secretKeys: config.secretKeys,
    exportDir: config.exportDir,
    databaseUrl: config.databaseUrl,
    eventsUrl: config.eventsUrl,
    schedulers: (opts.background ?? true) && config.scheduler,
    worker: config.worker,
    logger: opts.logger ? config.logLevel : false,
  });
  await k.app.listen({ port: config.port, host: config.host });
  const addr = k.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  return { ...k, url: `http://localhost:${port}` };
}

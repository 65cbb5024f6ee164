import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { createEventsService } from './services/events.js';
import { createIngestService } from './services/ingest.js';
import { openDatabase, type Database } from './storage/duckdb/database.js';
import { openDuckDBEventStore, type DuckDBEventStore } from './storage/duckdb/duckdb-event-store.js';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface Running {
  app: FastifyInstance;
  url: string;
  db: Database;
  events: DuckDBEventStore;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: boolean;
  /** Run background work (reorganization, schedulers); tests may turn it off. */
  background?: boolean;
}

/** Composition root: opens the store, wires services and routes, listens. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const db = await openDatabase(join(config.dataDir, 'kohort.duckdb'));
  const events = await openDuckDBEventStore(db);
  if (opts.background ?? true) events.startBackground();
  const app = await buildApp({
    adminToken: config.adminToken,
    writeKey: config.writeKey,
    version: VERSION,
    ingest: createIngestService(events),
    events: createEventsService(events),
    logger: opts.logger ?? false,
  });
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://localhost:${port}`,
    db,
    events,
    close() {
      // Stop accepting, let in-flight requests (and their writes) finish, then close the store.
      closing ??= (async () => {
        await app.close();
        await events.close();
        await db.close();
      })();
      return closing;
    },
  };
}

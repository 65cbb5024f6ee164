import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { secureDataDir } from './storage/data-dir.js';

/** Environment variables of the contract (api.md, Configuration), parsed once at start. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  KOHORT_DATA_DIR: z.string().min(1).default('./data'),
  KOHORT_ADMIN_TOKEN: z.string().min(8, 'KOHORT_ADMIN_TOKEN must be at least 8 characters').optional(),
  KOHORT_WRITE_KEY: z.string().min(8, 'KOHORT_WRITE_KEY must be at least 8 characters').optional(),
  KOHORT_SCHEDULER: z.enum(['on', 'off']).default('on'),
  KOHORT_ALLOW_PRIVATE_URLS: z.string().optional(),
  KOHORT_SECRET_KEY: z
    .string()
    .refine((v) => v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length === 32), 'KOHORT_SECRET_KEY must be base64 of 32 bytes (several: comma-separated, current first)')
    .optional(),
  KOHORT_EXPORT_DIR: z.string().min(1).optional(),
  KOHORT_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(86_400_000).optional(),
  KOHORT_QUERY_CONCURRENCY: z.coerce.number().int().min(1).max(1024).optional(),
  // DuckDB's memory_limit: big sorts and joins spill to disk beyond it (default: 80% of RAM).
  KOHORT_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'KOHORT_MEMORY_LIMIT must be a size such as 8GiB or 512MB')
    .optional(),
  KOHORT_WORKER: z.enum(['on', 'off']).default('on'),
  // Scale-out (docs/ARCHITECTURE.md): validated here so a half configuration never starts.
  KOHORT_DATABASE_URL: z.string().min(1).optional(),
  KOHORT_EVENTS_URL: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  adminToken: string;
  writeKey: string;
  scheduler: boolean;
  /** false (KOHORT_WORKER=off): this process serves HTTP only, no background jobs. */
  worker: boolean;
  logLevel: string;
  /** Hosts / ranges step webhooks may reach although private (`*` = all). */
  allowPrivateUrls?: string;
  /** KOHORT_SECRET_KEY (else secret-key.json in the data dir). */
  secretKeys?: string;
  /** Where the file destination may write (KOHORT_EXPORT_DIR, default <data dir>/exports). */
  exportDir: string;
  /** Expensive reads: time limit and how many at once (defaults in main.ts). */
  queryLimits: { timeoutMs?: number; concurrency?: number };
  /** KOHORT_DATABASE_URL: metadata in PostgreSQL. */
  databaseUrl?: string;
  /** KOHORT_EVENTS_URL: events in ClickHouse (always with `databaseUrl`). */
  eventsUrl?: string;
  /** DuckDB memory_limit (KOHORT_MEMORY_LIMIT), e.g. "8GiB"; DuckDB's default when absent. */
  memoryLimit?: string;
  /** Keys generated on this start: the caller prints them once. */
  generated: { adminToken: boolean; writeKey: boolean };
  secretsFile: string;
}

export class ConfigError extends Error {}

interface SavedSecrets { adminToken?: string; writeKey?: string }

/**
 * Reads the environment; keys not given are loaded from (or generated into)
 * `<dataDir>/secrets.json`, readable by the owner only.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  checkScaleOutUrls(e.KOHORT_DATABASE_URL, e.KOHORT_EVENTS_URL);
  const dataDir = resolve(e.KOHORT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  secureDataDir(dataDir);
  const secretsFile = join(dataDir, 'secrets.json');
  const saved: SavedSecrets = existsSync(secretsFile) ? JSON.parse(readFileSync(secretsFile, 'utf8')) : {};
  const generated = { adminToken: false, writeKey: false };
  if (!e.KOHORT_ADMIN_TOKEN && !saved.adminToken) {
    saved.adminToken = `kha_${randomBytes(24).toString('base64url')}`;
    generated.adminToken = true;
  }
  if (!e.KOHORT_WRITE_KEY && !saved.writeKey) {
    saved.writeKey = `khw_${randomBytes(24).toString('base64url')}`;
    generated.writeKey = true;
  }
  if (generated.adminToken || generated.writeKey) {
    writeFileSync(secretsFile, JSON.stringify(saved, null, 2) + '\n', { mode: 0o600 });
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    adminToken: e.KOHORT_ADMIN_TOKEN ?? saved.adminToken!,
    writeKey: e.KOHORT_WRITE_KEY ?? saved.writeKey!,
    scheduler: e.KOHORT_SCHEDULER === 'on',
    worker: e.KOHORT_WORKER === 'on',
    logLevel: e.LOG_LEVEL,
    allowPrivateUrls: e.KOHORT_ALLOW_PRIVATE_URLS,
    secretKeys: e.KOHORT_SECRET_KEY,
    exportDir: resolve(e.KOHORT_EXPORT_DIR ?? join(dataDir, 'exports')),
    queryLimits: { timeoutMs: e.KOHORT_QUERY_TIMEOUT_MS, concurrency: e.KOHORT_QUERY_CONCURRENCY },
    memoryLimit: e.KOHORT_MEMORY_LIMIT,
    databaseUrl: e.KOHORT_DATABASE_URL,
    eventsUrl: e.KOHORT_EVENTS_URL,
    generated,
    secretsFile,
  };
}

/**
 * Scale-out URLs (scale-out.md): both or neither; one alone is an error naming
 * the other (events in ClickHouse need identity and dedup claims in PostgreSQL,
 * and metadata in PostgreSQL beside events in one process's DuckDB file would
 * let a second process see other events).
 */
export function checkScaleOutUrls(databaseUrl: string | undefined, eventsUrl: string | undefined): void {
  if (eventsUrl !== undefined && databaseUrl === undefined) {
    throw new ConfigError('KOHORT_EVENTS_URL is set but KOHORT_DATABASE_URL is not: set both or neither');
  }
  if (databaseUrl !== undefined && eventsUrl === undefined) {
    throw new ConfigError('KOHORT_DATABASE_URL is set but KOHORT_EVENTS_URL is not: set both or neither');
  }
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('KOHORT_DATABASE_URL must be a postgres:// (or postgresql://) URL');
  }
  if (eventsUrl !== undefined && !/^https?:\/\//.test(eventsUrl)) {
    throw new ConfigError('KOHORT_EVENTS_URL must be an http:// (or https://) URL of the ClickHouse HTTP interface');
  }
}

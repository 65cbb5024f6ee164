/**
 * `kohort migrate --from <data dir>`: the command around migrateStore. Reads
 * the targets from KOHORT_DATABASE_URL and KOHORT_EVENTS_URL (both required),
 * prints progress, the counts per table, and what the new processes need
 * (the secret key, admin token and write key: named, never printed).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config.js';
import { PG_METADATA_MIGRATIONS, redactUrl } from '../metadata-stores.js';
import type { ClickHouseClient } from '../storage/clickhouse/client.js';
import { connectClickHouseHttp } from '../storage/clickhouse/http-client.js';
import { migrateClickHouseUnderLock } from '../storage/clickhouse/clickhouse-engine.js';
import { createPgIdentityImport } from '../storage/postgres/identity-import.js';
import { openPostgres, type PgDatabase } from '../storage/postgres/database.js';
import { MIGRATE_PROGRESS_MIGRATIONS } from './progress.js';
import { migrateStore, MigrateError, type MigrateReport } from './run-migration.js';

const reason = (err: unknown) => {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  return e?.message || e?.errors?.map((x) => x.message).filter(Boolean).join('; ') || e?.code || String(err);
};

/** The two target URLs from the environment, each checked, or one clear error. */
export function migrateTargets(env: NodeJS.ProcessEnv): { databaseUrl: string; eventsUrl: string } {
  const databaseUrl = env.KOHORT_DATABASE_URL;
  const eventsUrl = env.KOHORT_EVENTS_URL;
  const missing = [!databaseUrl && 'KOHORT_DATABASE_URL (postgres://user:password@host:5432/db)', !eventsUrl && 'KOHORT_EVENTS_URL (http://user:password@host:8123/db)'].filter(Boolean);
  if (missing.length) throw new ConfigError(`kohort migrate copies into PostgreSQL and ClickHouse: set ${missing.join(' and ')}`);
  if (!/^postgres(ql)?:\/\//.test(databaseUrl!)) throw new ConfigError('KOHORT_DATABASE_URL must be a postgres:// (or postgresql://) URL');
  if (!/^https?:\/\//.test(eventsUrl!)) throw new ConfigError('KOHORT_EVENTS_URL must be an http:// (or https://) URL of ClickHouse');
  return { databaseUrl: databaseUrl!, eventsUrl: eventsUrl! };
}

export async function openMigrateTargets(databaseUrl: string, eventsUrl: string): Promise<{ pg: PgDatabase; clickhouse: ClickHouseClient }> {
  let pg: PgDatabase;
  try {
    pg = await openPostgres(databaseUrl, [...PG_METADATA_MIGRATIONS, MIGRATE_PROGRESS_MIGRATIONS]);
  } catch (err) {
    throw new ConfigError(`KOHORT_DATABASE_URL: cannot use PostgreSQL at ${redactUrl(databaseUrl)}: ${reason(err)}`);
  }
  try {
    const clickhouse = await connectClickHouseHttp(eventsUrl);
    await migrateClickHouseUnderLock(clickhouse, pg);
    return { pg, clickhouse };
  } catch (err) {
    await pg.close().catch(() => undefined);
    throw new ConfigError(`KOHORT_EVENTS_URL: cannot use ClickHouse at ${redactUrl(eventsUrl)}: ${reason(err)}`);
  }
}

/** The report as text lines: a table of counts, then what to configure. */
export function formatReport(report: MigrateReport, fromDir: string, identityPort: boolean): string[] {
  const lines: string[] = [];
  const width = Math.max(...report.tables.map((t) => t.table.length), 5);
  lines.push(`${'table'.padEnd(width)}  ${'target'.padEnd(10)}  ${'source'.padStart(10)}  ${'copied'.padStart(10)}`);
  for (const t of report.tables) {
    const flag = t.source === t.target_rows ? '' : '  MISMATCH';
    lines.push(`${t.table.padEnd(width)}  ${t.target.padEnd(10)}  ${String(t.source).padStart(10)}  ${String(t.target_rows).padStart(10)}${flag}`);
  }
  lines.push('');
  for (const t of report.tables.filter((x) => x.outside > 0)) {
    lines.push(`${t.table}: ${t.outside} rows with times before 1970 or after 2106 were not copied (ClickHouse cannot hold them).`);
  }
  if (report.secretKeyFile) {
    lines.push(
      `Destination and step secrets were copied sealed. Every Kohort process must get the key of ${join(fromDir, 'secret-key.json')}:`,
      '  set KOHORT_SECRET_KEY to its "keys" (comma-separated, in that order). The key is not printed here.',
    );
  } else if (report.tables.some((t) => (t.table === 'sync_destinations' || t.table === 'workflow_steps') && t.source > 0)) {
    lines.push('Destination and step secrets were copied sealed with the KOHORT_SECRET_KEY the store ran with: give every process that same KOHORT_SECRET_KEY.');
  }
  if (existsSync(join(fromDir, 'secrets.json'))) {
    lines.push(`Integrations keep working with the same KOHORT_ADMIN_TOKEN and KOHORT_WRITE_KEY: take them from ${join(fromDir, 'secrets.json')} (not printed).`);
  }
  if (!identityPort) {
    lines.push(
      'People and their ids were copied to ClickHouse (users, identities) only: this build has no PostgreSQL identity port to import them into.',
      `New person keys must be above ${report.maxUid} and new event sequence numbers above ${report.lastSeq} (the largest copied).`,
    );
  }
  return lines;
}

export async function runMigrateCommand(from: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!from) throw new ConfigError('Usage: kohort migrate --from <data dir>   (with KOHORT_DATABASE_URL and KOHORT_EVENTS_URL set)');
  const fromDir = resolve(from);
  const { databaseUrl, eventsUrl } = migrateTargets(env);
  const { pg, clickhouse } = await openMigrateTargets(databaseUrl, eventsUrl);
  console.log(`Copying the embedded store of ${fromDir} (read-only) into ${redactUrl(databaseUrl)} and ${redactUrl(eventsUrl)}`);
  let last = '';
  try {
    const report = await migrateStore({
      fromDir,
      pg,
      clickhouse,
      identities: createPgIdentityImport(pg),
      onChunk: ({ table, done, total }) => {
        const line = `  ${table}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`;
        if (line !== last) console.log(line);
        last = line;
      },
    });
    if (report.alreadyDone) console.log('This store was migrated here already; nothing to copy.');
    else if (report.resumed) console.log('Resumed an earlier run of this migration.');
    console.log('');
    for (const line of formatReport(report, fromDir, true)) console.log(line);
    if (report.tables.some((t) => t.source !== t.target_rows)) {
      console.error('\nSome tables differ between the store and the target (MISMATCH above).');
      process.exitCode = 1;
    } else {
      console.log('\nDone. The embedded store was not changed. Running Kohort on these engines: docs/DEPLOY.md.');
    }
  } catch (err) {
    if (err instanceof MigrateError) throw new ConfigError(err.message);
    throw err;
  } finally {
    await clickhouse.close();
    await pg.close();
  }
}

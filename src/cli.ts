#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';

const USAGE = `Usage: kohort <command> [options]

Commands:
  serve                      API, web app and scheduler on the embedded store (npm start)
  seed [--users N] [--events N] [--days N] [--seed N]
                             write realistic demo shop data into KOHORT_DATA_DIR (npm run seed -- ...)
  bench [--only NAME]        run the benchmarks and write bench/RESULTS.md (npm run bench)
  migrate --from <data dir>  copy an embedded store (its DuckDB file, read-only) into the
                             PostgreSQL of KOHORT_DATABASE_URL and the ClickHouse of
                             KOHORT_EVENTS_URL (both required); resumable: run it again
                             after a stop and it continues where it stopped
`;

async function serve(): Promise<void> {
  const config = loadConfig();
  const { startServer } = await import('./serve.js');
  const running = await startServer(config, { logger: true });
  const log = running.app.log;
  log.info(`Kohort listening on ${running.url}`);
  log.info(`Data directory: ${config.dataDir}`);
  if (config.generated.adminToken || config.generated.writeKey) {
    // Printed once, on the start that generated them; afterwards they are only in the secrets file.
    if (config.generated.adminToken) console.log(`\n  Admin token (generated): ${config.adminToken}`);
    if (config.generated.writeKey) console.log(`  Write key   (generated): ${config.writeKey}`);
    console.log(`  Saved in ${config.secretsFile}\n`);
  } else {
    log.info(`Admin token and write key: from the environment or ${config.secretsFile}`);
  }
  log.info('ready');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing in-flight requests, then closing the store`);
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'seed': {
      const { values } = parseArgs({
        args: rest,
        options: { users: { type: 'string' }, events: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' } },
      });
      const { runSeedCommand } = await import('./seed/seed-command.js');
      return runSeedCommand(loadConfig(), values);
    }
    case 'bench': {
      const { values } = parseArgs({ args: rest, options: { only: { type: 'string' } } });
      const { runBenchmarks } = await import('../bench/run.js');
      return runBenchmarks({ only: values.only });
    }
    case 'migrate': {
      const { values } = parseArgs({ args: rest, options: { from: { type: 'string' } } });
      const { runMigrateCommand } = await import('./migrate/migrate-command.js');
      try {
        return await runMigrateCommand(values.from);
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        console.error(err);
        console.error('\nkohort migrate stopped. Run the same command again: it continues where it stopped.');
        process.exit(1);
      }
    }
    default:
      process.stdout.write(USAGE);
      process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(String((err as Error).message));
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});

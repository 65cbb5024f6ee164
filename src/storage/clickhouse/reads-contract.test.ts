/**
 * The read-port contracts (event reads, contacts, member exports) on the
 * ClickHouse adapters: on Debian's 18.16 server (KOHORT_TEST_CLICKHOUSE_URL)
 * and on a current ClickHouse in-process (chdb), loaded with the fixture's
 * rows as the ClickHouse writer keeps them (a rename, an anonymous id, a merge).
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { compileDefinition } from '../../cohort/cohort-compiler';
import { clickhouseDialect } from '../../cohort/dialects/clickhouse';
import { contactReadsContract } from '../contact-reads.contract';
import { eventReadsContract } from '../event-reads.contract';
import { memberExportReadsContract } from '../member-export-reads.contract';
import type { ReadsSubject } from '../test-support/reads-subject';
import type { ClickHouseClient } from './client';
import { createClickHouseContactReads } from './contact-reads';
import { createClickHouseEventReads } from './event-reads';
import { createClickHouseMemberExportReads } from './member-export-reads';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';
import { openChdbClient } from './test-support/chdb-client';
import { loadClickHouseReadsFixture } from './test-support/reads-fixture';

function suites(name: string, open: () => Promise<ClickHouseClient>, endlessUids?: string) {
  let subject: ReadsSubject;
  beforeAll(async () => {
    const client = await open();
    await loadClickHouseReadsFixture(client);
    subject = {
      name,
      events: createClickHouseEventReads(client),
      contacts: createClickHouseContactReads(client),
      // Pages of one member: the contract then reads several pages.
      memberExports: createClickHouseMemberExportReads(client, 1),
      compile: (d) => compileDefinition(d, { asOf: new Date('2030-01-01T00:00:00Z'), resolveCohort: () => undefined }, clickhouseDialect),
      endlessUids,
      close: () => client.close(),
    };
  });
  afterAll(() => subject?.close());
  describe('event reads', () => eventReadsContract(() => subject));
  describe('contact reads', () => contactReadsContract(() => subject));
  describe('member export reads', () => memberExportReadsContract(() => subject));
}

describe.skipIf(noClickHouse())('read contracts on the ClickHouse server', () =>
  suites('clickhouse', freshClickHouseDatabase, 'SELECT number AS uid FROM numbers(10000000000000) WHERE number % 7 = 12'),
);
describe('read contracts on chdb', () => suites('chdb', openChdbClient));

/**
 * The read-port contracts (event reads, contacts, member exports) on the
 * embedded DuckDB adapters, loaded through the event and membership stores.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { compileDefinition } from '../../cohort/cohort-compiler';
import { contactReadsContract } from '../contact-reads.contract';
import { eventReadsContract } from '../event-reads.contract';
import { memberExportReadsContract } from '../member-export-reads.contract';
import { loadDuckDBReadsFixture } from '../test-support/reads-fixture';
import type { ReadsSubject } from '../test-support/reads-subject';
import { createDuckDBContactReads } from './contact-reads';
import { openDatabase } from './database';
import { openDuckDBEventStore } from './duckdb-event-store';
import { createDuckDBMembershipStore } from './duckdb-membership-store';
import { createDuckDBMemberExportReads } from './member-export-reads';

let subject: ReadsSubject;
beforeAll(async () => {
  const db = await openDatabase(':memory:', [], { readConnections: 2 });
  const events = await openDuckDBEventStore(db);
  await loadDuckDBReadsFixture(events, createDuckDBMembershipStore(db, await db.connect(), events.writer.ids));
  subject = {
    name: 'duckdb',
    events,
    contacts: createDuckDBContactReads(db.reads),
    memberExports: createDuckDBMemberExportReads(db, db.reads),
    compile: (d) => compileDefinition(d, { asOf: new Date('2030-01-01T00:00:00Z'), resolveCohort: () => undefined }),
    endlessUids: 'SELECT range AS uid FROM range(10000000000000) WHERE range % 7 = 12',
    async close() {
      await events.close();
      await db.close();
    },
  };
});
afterAll(() => subject?.close());

describe('event reads on DuckDB', () => eventReadsContract(() => subject));
describe('contact reads on DuckDB', () => contactReadsContract(() => subject));
describe('member export reads on DuckDB', () => memberExportReadsContract(() => subject));

/**
 * What the read-port contract suites ask of an engine: its adapters of the
 * ports, loaded with the fixture of reads-fixture.ts.
 */
import type { CompiledQuery } from '../cohort-store';
import type { ContactReads } from '../contact-reads';
import type { EventStore } from '../event-store';
import type { MemberExportReads } from '../member-export-reads';
import type { Definition } from '../../schemas/definition';

/** The read methods of the EventStore port. */
export type EventReadsPort = Pick<
  EventStore,
  'listEventTypes' | 'liveEvents' | 'getUser' | 'eventPropertyValues' | 'traitValues' | 'traitNames' | 'userProperties'
>;

export interface ReadsSubject {
  readonly name: string;
  events: EventReadsPort;
  contacts: ContactReads;
  memberExports: MemberExportReads;
  /** A definition compiled in the engine's own dialect (a contacts `inSet`). */
  compile(d: Definition): CompiledQuery;
  /** A SELECT of `uid` that would run for hours (interruption tests), or undefined when the engine cannot be interrupted from outside. */
  endlessUids?: string;
  close(): Promise<void>;
}

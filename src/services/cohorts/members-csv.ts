import { csvText, traitCell } from '../../schemas/csv.js';
import type { Cohort } from '../../schemas/cohort.js';
import { membersCsvQuerySchema } from '../../schemas/members-csv.js';
import type { MemberExportReads } from '../../storage/member-export-reads.js';
import { parseInput } from '../errors.js';

export interface MembersCsvDeps {
  reads: MemberExportReads;
  cohorts: { get(id: string): Promise<Cohort> };
}

/**
 * The members CSV with trait columns: `user_id`, then one column per trait
 * key. Everything that can fail on input (the query, an unknown cohort) fails
 * in `open`, before the answer starts; the text is then produced page by page
 * as the response is read. Cells, the header included, go through `csvText`
 * (formula-like cells neutralised).
 */
export function createMembersCsv(deps: MembersCsvDeps) {
  return {
    async open(cohortId: string, query: unknown): Promise<{ columns: string[]; text: AsyncIterable<string> } | undefined> {
      const q = parseInput(membersCsvQuerySchema, query, 'members CSV query');
      if (q.traits === undefined) return undefined;
      await deps.cohorts.get(cohortId);
      const keys = q.traits === 'all' ? await deps.reads.traitKeys(cohortId) : q.traits;
      const columns = ['user_id', ...keys];
      async function* text() {
        yield csvText([columns]);
        for await (const page of deps.reads.pages(cohortId, keys)) {
          yield csvText(page.map((m) => [m.userId, ...keys.map((k) => traitCell(m.traits[k]))]));
        }
      }
      return { columns, text: text() };
    },
  };
}

export type MembersCsv = ReturnType<typeof createMembersCsv>;

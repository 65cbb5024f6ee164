import { parse as parseCsv } from 'csv-parse/sync';
import { memberIdsSchema, membersQuerySchema } from '../../schemas/cohort.js';
import type { MembershipStore } from '../../storage/membership-store.js';
import { invalidInput, zodIssues } from '../errors.js';
import type { CohortService } from './cohort-service.js';

export interface InvalidLine {
  line: number;
  message: string;
}

const HEADER_NAMES = new Set(['user_id', 'userid', 'user id', 'id']);
const MAX_ID = 1024;

/**
 * User ids from an uploaded CSV: the `user_id` column when the first row is a
 * header naming it, else the first column. Lines are numbered as in the file.
 */
export function idsFromCsv(text: string): { ids: { line: number; id: string }[]; invalid: InvalidLine[] } {
  let rows: string[][];
  try {
    rows = parseCsv(text, { relax_column_count: true, skip_empty_lines: false, bom: true, trim: true });
  } catch (err) {
    throw invalidInput(`The CSV could not be read: ${(err as Error).message}`);
  }
  let col = 0;
  let start = 0;
  const header = rows[0]?.map((h) => h.toLowerCase());
  if (header) {
    const at = header.findIndex((h) => HEADER_NAMES.has(h));
    if (at >= 0) {
      col = at;
      start = 1;
    }
  }
  const ids: { line: number; id: string }[] = [];
  const invalid: InvalidLine[] = [];
  for (let i = start; i < rows.length; i++) {
    const id = rows[i][col] ?? '';
    if (rows[i].every((c) => c === '')) continue; // blank line
    if (!id) invalid.push({ line: i + 1, message: 'no user id in this line' });
    else if (id.length > MAX_ID) invalid.push({ line: i + 1, message: `user id longer than ${MAX_ID} characters` });
    else ids.push({ line: i + 1, id });
  }
  return { ids, invalid };
}

/** Member lists of saved cohorts: pages, CSV export, static list edits. */
export function createMembersService(store: MembershipStore, cohorts: CohortService) {
  async function requireStatic(id: string) {
    const c = await cohorts.get(id);
    if (c.kind !== 'static') {
      throw invalidInput(`Cohort "${c.name}" is dynamic: its members come from its definition`, [{ field: 'kind', message: 'members can only be added to or removed from static cohorts' }]);
    }
    return c;
  }

  function idsFromJson(body: unknown): { line: number; id: string }[] & { invalid?: InvalidLine[] } {
    const r = memberIdsSchema.safeParse(body);
    if (!r.success) throw invalidInput('Send { "userIds": [...] } or a CSV body', zodIssues(r.error.issues));
    return r.data.userIds.map((id, i) => ({ line: i + 1, id: typeof id === 'number' ? String(id) : (id as string) }));
  }

  return {
    async page(id: string, query: unknown) {
      await cohorts.get(id);
      const r = membersQuerySchema.safeParse(query ?? {});
      if (!r.success) throw invalidInput('Invalid query', zodIssues(r.error.issues));
      const after = r.data.cursor ? Buffer.from(r.data.cursor, 'base64url').toString('utf8') : undefined;
      const items = await store.membersPage(id, r.data.limit + 1, after, r.data.q);
      const more = items.length > r.data.limit;
      const page = items.slice(0, r.data.limit);
      return { items: page, nextCursor: more ? Buffer.from(page[page.length - 1]).toString('base64url') : null };
    },

    async stream(id: string) {
      await cohorts.get(id);
      return store.streamMembers(id);
    },

    /** Adds ids from JSON (`{ userIds }`) or CSV text; unknown users are reported, not created. */
    async add(id: string, body: unknown, csv: boolean) {
      await requireStatic(id);
      let entries: { line: number; id: string }[];
      const invalid: InvalidLine[] = [];
      if (csv) {
        const parsed = idsFromCsv(typeof body === 'string' ? body : '');
        entries = parsed.ids;
        invalid.push(...parsed.invalid);
      } else {
        entries = [];
        for (const e of idsFromJson(body)) {
          if (typeof e.id !== 'string' || !e.id.trim()) invalid.push({ line: e.line, message: 'not a user id (expected a non-empty string)' });
          else entries.push({ line: e.line, id: e.id.trim() });
        }
      }
      const r = await store.addMembers(id, entries.map((e) => e.id));
      const unknown = new Set(r.unknown);
      for (const e of entries) if (unknown.has(e.id)) invalid.push({ line: e.line, message: `unknown user "${e.id}": no event or identify call has been received for it` });
      invalid.sort((a, b) => a.line - b.line);
      await cohorts.compute(id);
      return { added: r.added, alreadyMember: r.alreadyMember, invalid };
    },

    async remove(id: string, body: unknown) {
      await requireStatic(id);
      const ids = idsFromJson(body).map((e) => String(e.id));
      const r = await store.removeMembers(id, ids);
      await cohorts.compute(id);
      return r;
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;

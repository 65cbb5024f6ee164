import type { PgQueryable } from './database.js';
import { encodeText } from './text-values.js';

/**
 * Bulk import of rows copied from another store (`kohort migrate`): one
 * `INSERT ... SELECT FROM unnest(<one array per column>)` per chunk, never a
 * statement per row. Each PostgreSQL adapter declares the tables it owns that
 * may be imported (`PgImportTable`); only those tables are written here.
 */

/**
 * Column types as PostgreSQL arrays take them. `etext` is text escaped by
 * text-values.ts (ids that may hold U+0000: the adapter stores them escaped).
 */
export type PgImportType = 'text' | 'etext' | 'bigint' | 'integer' | 'boolean' | 'timestamptz' | 'json' | 'jsonb';

export interface PgImportTable {
  /** A fixed table name of the adapter (never input). */
  table: string;
  columns: Readonly<Record<string, PgImportType>>;
  /** A serial/identity column whose sequence must continue above the imported values. */
  serial?: string;
  /** Conflict rule, e.g. 'ON CONFLICT DO NOTHING' for sets whose source may hold repeats. */
  onConflict?: 'ON CONFLICT DO NOTHING';
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const quoteIdent = (name: string) => {
  if (!IDENT.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)}`);
  // "full" and friends are keywords: always quoted.
  return `"${name}"`;
};

/** Rows (objects keyed by column) into the table; returns how many rows were given. */
export async function importRows(q: PgQueryable, spec: PgImportTable, rows: readonly Record<string, unknown>[]): Promise<number> {
  if (!rows.length) return 0;
  const names = Object.keys(spec.columns);
  const params = names.map((name) => {
    const type = spec.columns[name];
    return rows.map((r) => {
      const v = r[name];
      if (v === undefined || v === null) return null;
      if (type === 'etext') return encodeText(String(v));
      if (type === 'timestamptz') return v instanceof Date ? v : new Date(v as number | string);
      return v;
    });
  });
  const arrays = names.map((name, i) => {
    const t = spec.columns[name];
    return `$${i + 1}::${t === 'etext' ? 'text' : t}[]`;
  });
  await q.query(
    `INSERT INTO ${quoteIdent(spec.table)} (${names.map(quoteIdent).join(', ')})
     SELECT * FROM unnest(${arrays.join(', ')}) ${spec.onConflict ?? ''}`,
    params,
  );
  if (spec.serial) {
    // Values were given explicitly: the sequence continues above them (rows made later stay after).
    await q.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), greatest((SELECT max(${quoteIdent(spec.serial)}) FROM ${quoteIdent(spec.table)}), 1))`,
      [spec.table, spec.serial],
    );
  }
  return rows.length;
}

/** How many rows a table of the adapter holds (the migration's report). */
export async function countRows(q: PgQueryable, spec: PgImportTable): Promise<number> {
  const [r] = await q.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${quoteIdent(spec.table)}`);
  return Number(r.n);
}

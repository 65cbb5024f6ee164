import { stringify } from 'csv-stringify/sync';

/**
 * The one way Kohort writes CSV (members export, file destination, exports):
 * quoted as needed, `\n` line ends, and cells that a spreadsheet would run as
 * a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) written
 * with a leading `'` (api.md, Security rules; csv-stringify's escape_formulas).
 */
export function csvText(rows: unknown[][] | Record<string, unknown>[], opts: { header?: boolean; columns?: string[] } = {}): string {
  return stringify(rows, { header: opts.header ?? false, columns: opts.columns, ...CSV_OPTIONS });
}

/** The same options for csv-stringify's streaming API (large exports). */
export const CSV_OPTIONS = {
  record_delimiter: '\n',
  escape_formulas: true,
  // A lone CR is quoted explicitly: csv-stringify decides quoting before it adds the prefix.
  quoted_match: /\r/,
} as const;

/** A trait value as a CSV cell: scalars as text, objects and arrays as JSON, null or absent as empty. */
export function traitCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

import { stringify } from 'csv-stringify/sync';

/**
 * The one way Kohort writes CSV (members export, file destination, exports):
 * quoted as needed, `\n` line ends, and cells that a spreadsheet would run as
 * a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) written
 * with a leading `'` (api.md, Security rules; csv-stringify's escape_formulas).
 */
export function csvText(rows: unknown[][] | Record<string, unknown>[], opts: { header?: boolean; columns?: string[] } = {}): string {
  // A lone CR is quoted explicitly: csv-stringify decides quoting before it adds the prefix.
  return stringify(rows, { header: opts.header ?? false, columns: opts.columns, record_delimiter: '\n', escape_formulas: true, quoted_match: /\r/ });
}

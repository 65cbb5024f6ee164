/**
 * Times cross the DuckDB boundary as epoch milliseconds: bound through `TS`
 * (a UTC TIMESTAMP from a BIGINT parameter) and read back with `epoch_ms(col)`.
 */
export const TS = 'epoch_ms(CAST(? AS BIGINT))';

/** A Date (or nothing) as the BIGINT parameter `TS` expects. */
export const ms = (d: Date | null | undefined) => (d ? d.getTime() : null);

/** An `epoch_ms(...)` column value as a Date (NULL stays null). */
export const date = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)));

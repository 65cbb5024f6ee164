/**
 * Event rows as ClickHouse `TabSeparated` text, built in one pass per event:
 * the flattened property arrays and the hot columns are written straight into
 * the row's text. The JSONEachRow path built a row object, five arrays and a
 * path array per property and then serialized all of it; at 50k events/s that
 * allocation and the JSON (half again as many bytes, every column name on every
 * row) were most of the ingesting process's CPU. The values are those of
 * flatten.ts (`flattenJson`, `textOf`, `numberOfValue`, `distinctKeyOf`): the
 * tests compare both paths on the same events.
 *
 * TabSeparated, as ClickHouse (18.16 and later) reads it: a field is its text
 * with `\`, tab, newline and carriage return escaped by a backslash; `\N` is
 * NULL; an array is `[...]` with strings in single quotes (the same escapes,
 * plus `\'`) and NULL as `NULL`; numbers are JavaScript's shortest round-trip
 * text, which ClickHouse's Float64 parser reads back to the same double.
 */
import { KIND_CODE } from '../../cohort/dialects/clickhouse';
import type { ChEvent } from './event-writer';
import { numberOfValue, readPath } from './flatten';

const NEEDS_ESCAPE = /[\\\t\n\r']/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', "'": "\\'" };
const escapeChar = (c: string) => ESCAPES[c];

/** A string field (a `'` needs no escape outside quotes, but escaping it is read back the same). */
export function tsvText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/[\\\t\n\r']/g, escapeChar) : s;
}

const nullableNumber = (n: number | null) => (n === null ? 'NULL' : String(n));

/**
 * `fn` remembered per argument: the same few property names come on every event, so each
 * is escaped once per process (bounded: forgotten at once when full).
 */
function memo(fn: (s: string) => string): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    let v = seen.get(s);
    if (v === undefined) {
      if (seen.size > 10_000) seen.clear();
      v = fn(s);
      seen.set(s, v);
    }
    return v;
  };
}
/** A quoted `props_keys` entry by the JSON text of its path (without its closing `]`). */
const quotedPath = memo((pathJson) => `'${tsvText(`${pathJson}]`)}'`);
const jsonKey = memo((k) => JSON.stringify(k));

/** The flattened property arrays of one props object: `[keys]\t[kind]\t[text]\t[num]\t[dkey]`. */
class FlatWriter {
  keys = '';
  kind = '';
  text = '';
  num = '';
  dkey = '';
  private sep = '';

  /** `pathJson`: the JSON text of the path without its closing `]` (pathKey = JSON.stringify(path)). */
  visit(v: unknown, pathJson: string): void {
    if (v === null || v === undefined) return;
    const type = typeof v;
    const isArray = Array.isArray(v);
    let text: string;
    let kind: number;
    let dkey: string;
    if (type === 'string') {
      // "s:" needs no escape: the text's escaped form serves both.
      text = tsvText(v as string);
      kind = KIND_CODE.string;
      dkey = `s:${text}`;
    } else {
      const json = JSON.stringify(v);
      text = tsvText(json);
      if (type === 'number') {
        kind = KIND_CODE.number;
        dkey = `n:${String(v)}`;
      } else if (type === 'boolean') {
        kind = KIND_CODE.boolean;
        dkey = `b:${String(v)}`;
      } else {
        kind = isArray ? KIND_CODE.array : KIND_CODE.object;
        dkey = `j:${text}`;
      }
    }
    const s = this.sep;
    this.keys += `${s}${quotedPath(pathJson)}`;
    this.kind += `${s}${kind}`;
    this.text += `${s}'${text}'`;
    this.num += `${s}${nullableNumber(numberOfValue(v))}`;
    this.dkey += `${s}'${dkey}'`;
    this.sep = ',';
    if (type === 'object' && !isArray) this.children(v as Record<string, unknown>, `${pathJson},`);
  }

  /** Own enumerable string keys in order, as Object.entries (flattenJson) walks them. */
  children(o: Record<string, unknown>, prefix: string): void {
    for (const k of Object.keys(o)) this.visit(o[k], prefix + jsonKey(k));
  }

  columns(): string {
    return `[${this.keys}]\t[${this.kind}]\t[${this.text}]\t[${this.num}]\t[${this.dkey}]`;
  }
}

const nullableText = (v: unknown) => (v === null || v === undefined ? '\\N' : tsvText(typeof v === 'string' ? v : JSON.stringify(v)));

/** The column list the text of `eventRowsTsv` follows, for `INSERT INTO events (...)`. */
export function eventColumns(hotSlots: readonly number[]): string[] {
  return [
    'event', 'ts', 'uid', 'seq', 'message_id', 'received_at', 'props',
    'props_keys', 'props_kind', 'props_text', 'props_num', 'props_dkey',
    ...hotSlots.flatMap((slot) => [`hot${slot}_text`, `hot${slot}_num`]),
  ];
}

/**
 * Rows `from` to `to` of `events`, one line each, in the order of `eventColumns(hot.map(h => h.slot))`;
 * times in microseconds (the caller has checked their range); no receive time: the event's.
 */
export function eventRowsTsv(rows: readonly ChEvent[], from: number, to: number, hot: readonly { slot: number; path: readonly string[] }[]): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const r = rows[i];
    const flat = new FlatWriter();
    flat.children(r.props, '[');
    const ts = r.ts.getTime() * 1000;
    const received = r.receivedAt ? r.receivedAt.getTime() * 1000 : ts;
    let line = `${tsvText(r.event)}\t${ts}\t${r.uid}\t${r.seq}\t${tsvText(r.messageId)}\t${received}\t${tsvText(JSON.stringify(r.props))}\t${flat.columns()}`;
    for (const h of hot) {
      const v = readPath(r.props, h.path);
      const n = numberOfValue(v);
      line += `\t${nullableText(v)}\t${n === null ? '\\N' : String(n)}`;
    }
    out += `${line}\n`;
  }
  return out;
}

/**
 * PostgreSQL `text` cannot hold U+0000, which user ids may contain. Ids are
 * stored escaped: `\` becomes `\\` and U+0000 becomes `\0`; ids without either
 * (nearly all) are stored as they are and decoding them is one `includes`.
 */
export function encodeText(s: string): string {
  return s.includes('\\') || s.includes('\u0000') ? s.replace(/\\/g, '\\\\').replace(/\u0000/g, '\\0') : s;
}

export function decodeText(s: string): string {
  return s.includes('\\') ? s.replace(/\\(\\|0)/g, (_, c: string) => (c === '0' ? '\u0000' : '\\')) : s;
}

export const encodeTexts = (list: readonly string[]): string[] => list.map(encodeText);
export const decodeTexts = (list: readonly string[]): string[] => list.map(decodeText);

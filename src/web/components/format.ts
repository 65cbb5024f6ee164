/** Numbers as text. Times have their own module: time-format.ts (and the Time component). */
export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

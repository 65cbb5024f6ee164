import { describe, expect, it } from 'vitest';
import { asPages, compareCodePoints, eager, planSyncPages } from './plan-stream.js';
import { planSync } from './sync-planner.js';

const ALPHABET = ['a', 'b', 'z', '\u0000', '\\', 'é', '\u2028', '\uE000', '\uFFFD', '😀', '𝄞'];
function randomIds(n: number, seed: number): string[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out = new Set<string>();
  while (out.size < n) out.add(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)]).join(''));
  return [...out];
}
async function collect(steps: AsyncIterable<{ add: string[]; remove: string[] }>) {
  const toAdd: string[] = [];
  const toRemove: string[] = [];
  for await (const s of steps) toAdd.push(...s.add), toRemove.push(...s.remove);
  return { toAdd, toRemove };
}

describe('compareCodePoints', () => {
  it('is UTF-8 byte order (the stores\' order), also where JavaScript\'s < differs', () => {
    const ids = randomIds(400, 7);
    const bytes = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...ids].sort(compareCodePoints)).toEqual(bytes);
    expect('😀' < '\uE000').toBe(true); // JavaScript's order...
    expect(compareCodePoints('😀', '\uE000')).toBeGreaterThan(0); // ...is not code point order
  });
});

describe('planSyncPages', () => {
  it('plans what planSync plans, in the same order, whatever the page sizes', async () => {
    for (const seed of [1, 2, 3]) {
      const pool = randomIds(300, seed).sort(compareCodePoints);
      const members = pool.filter((_, i) => i % 3 !== 0);
      const acknowledged = pool.filter((_, i) => i % 4 !== 1);
      const want = planSync(new Set(members), acknowledged);
      for (const [m, a] of [[1, 1], [7, 50], [1000, 3], [50, 1000]]) {
        expect(await collect(planSyncPages(asPages(members, m), asPages(acknowledged, a)))).toEqual(want);
      }
    }
    expect(await collect(planSyncPages(asPages([]), asPages(['a'])))).toEqual({ toAdd: [], toRemove: ['a'] });
    expect(await collect(planSyncPages(asPages(['a']), asPages([])))).toEqual({ toAdd: ['a'], toRemove: [] });
  });

  it('refuses a list out of order (rather than plan a wrong change), also across pages', async () => {
    await expect(collect(planSyncPages(asPages(['a', 'c', 'b']), asPages([])))).rejects.toThrow(/members are not in ascending/);
    await expect(collect(planSyncPages(asPages(['a']), asPages(['b', 'c', 'c'], 2)))).rejects.toThrow(/acknowledged ids are not in ascending/);
    // JavaScript's order is not enough: an astral character sorts after U+E000.
    await expect(collect(planSyncPages(asPages(['😀', '\uE000']), asPages([])))).rejects.toThrow(/not in ascending/);
  });

  it('finds the first changes before the lists are read to the end', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let secondPageRead = false;
    async function* members() {
      yield ['a', 'b', 'c'];
      await gate;
      secondPageRead = true;
      yield ['x', 'y'];
    }
    const steps = planSyncPages(members(), asPages(['b', 'c', 'd', 'x'], 2))[Symbol.asyncIterator]();
    const first = await steps.next();
    expect(first.value).toEqual({ add: ['a'], remove: [] });
    expect(secondPageRead).toBe(false);
    release();
    const rest = await collect({ [Symbol.asyncIterator]: () => steps });
    expect(rest).toEqual({ toAdd: ['y'], toRemove: ['d'] });
  });
});

describe('eager', () => {
  it('reads its source before it is iterated, and hands its error to the reader', async () => {
    let read = 0;
    async function* source() {
      for (let i = 0; i < 3; i++) {
        read++;
        yield [String(i)];
      }
      throw new Error('store gone');
    }
    const pages = eager(source());
    await expect.poll(() => read).toBe(3);
    const got: string[][] = [];
    await expect((async () => {
      for await (const p of pages) got.push(p);
    })()).rejects.toThrow('store gone');
    expect(got).toEqual([['0'], ['1'], ['2']]);
    await pages.close();
  });
});

/**
 * The contract of the MemberExportReads port, run against every engine's
 * adapter loaded with the fixture of test-support/reads-fixture.ts (one
 * written-out answer per question, the same for every engine).
 */
import { expect, it } from 'vitest';
import type { MemberWithTraits } from './member-export-reads';
import type { ReadsSubject } from './test-support/reads-subject';

async function all(pages: AsyncIterable<MemberWithTraits[]>): Promise<MemberWithTraits[]> {
  const out: MemberWithTraits[] = [];
  for await (const p of pages) out.push(...p);
  return out;
}

export function memberExportReadsContract(subject: () => ReadsSubject): void {
  const reads = () => subject().memberExports;

  it("names the trait keys members have a current value for (a merged-away key's traits count)", async () => {
    expect(await reads().traitKeys('C1')).toEqual(['email', 'plan', 'source']);
    expect(await reads().traitKeys('C2')).toEqual(['plan', 'source']);
    expect(await reads().traitKeys('none')).toEqual([]);
  });

  it('hands out the members sorted by user id with the current values of the keys asked for (a cleared one as null)', async () => {
    expect(await all(reads().pages('C1', ['plan', 'email', 'country', 'nope']))).toEqual([
      { userId: 'alice', traits: { plan: 'pro', email: 'alice@x.io', country: null } },
      { userId: 'mia', traits: { plan: 'trial' } },
    ]);
    expect(await all(reads().pages('C2', ['source']))).toEqual([{ userId: 'mia', traits: { source: 'ad' } }]);
    expect(await all(reads().pages('C1', []))).toEqual([
      { userId: 'alice', traits: {} },
      { userId: 'mia', traits: {} },
    ]);
    expect(await all(reads().pages('none', ['plan']))).toEqual([]);
  });

  it('can be stopped after the first page', async () => {
    const it = reads().pages('C1', ['plan'])[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect((first.value as MemberWithTraits[])[0]).toEqual({ userId: 'alice', traits: { plan: 'pro' } });
    await it.return?.();
  });
}

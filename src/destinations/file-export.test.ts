import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileDestination } from './file-export.js';
import type { Snapshot } from './destination.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kohort-file-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const snap = (over: Partial<Snapshot>): Snapshot => ({
  syncId: 's',
  runId: 'r',
  cohort: { id: 'c7', name: 'X' },
  runStartedAt: new Date('2025-01-02T03:04:05.678Z'),
  full: true,
  added: [],
  removed: [],
  members: [],
  ...over,
});

describe('file destination', () => {
  it('neutralises cells a spreadsheet would run as a formula', async () => {
    const d = createFileDestination({ directory: dir, format: 'csv' });
    const ids = ['=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', '\tx', '\rx', 'ok'];
    expect(await d.writeSnapshot(snap({ added: ids, members: ids }))).toEqual({ kind: 'ok' });
    const latest = await readFile(path.join(dir, 'c7', 'latest.csv'), 'utf8');
    expect(latest).toBe('user_id\n"\'=HYPERLINK(""http://x"",""y"")"\n\'+1\n\'-2\n\'@SUM(A1)\n\'\tx\n"\'\rx"\nok\n');
  });

  it('writes a full CSV run file and latest.csv, then a delta', async () => {
    const d = createFileDestination({ directory: dir, format: 'csv' });
    expect(await d.writeSnapshot(snap({ added: ['u1', 'u,2'], members: ['u1', 'u,2'] }))).toEqual({ kind: 'ok' });
    const cdir = path.join(dir, 'c7');
    expect((await readdir(cdir)).sort()).toEqual(['2025-01-02T03-04-05.678Z-full.csv', 'latest.csv']);
    expect(await readFile(path.join(cdir, '2025-01-02T03-04-05.678Z-full.csv'), 'utf8')).toBe('user_id,change\nu1,add\n"u,2",add\n');
    expect(await readFile(path.join(cdir, 'latest.csv'), 'utf8')).toBe('user_id\nu1\n"u,2"\n');

    const t2 = new Date('2025-01-02T04:00:00.000Z');
    await d.writeSnapshot(snap({ full: false, runStartedAt: t2, added: ['u3'], removed: ['u1'], members: ['u,2', 'u3'] }));
    expect((await readdir(cdir)).sort()).toEqual([
      '2025-01-02T03-04-05.678Z-full.csv',
      '2025-01-02T04-00-00.000Z-delta.csv',
      'latest.csv',
    ]);
    expect(await readFile(path.join(cdir, '2025-01-02T04-00-00.000Z-delta.csv'), 'utf8')).toBe('user_id,change\nu3,add\nu1,remove\n');
    expect(await readFile(path.join(cdir, 'latest.csv'), 'utf8')).toBe('user_id\n"u,2"\nu3\n');
  });

  it('writes NDJSON and leaves no temp files', async () => {
    const d = createFileDestination({ directory: dir, format: 'ndjson' });
    await d.writeSnapshot(snap({ full: false, added: ['a'], removed: ['b'], members: ['a'] }));
    const cdir = path.join(dir, 'c7');
    const files = (await readdir(cdir)).sort();
    expect(files).toEqual(['2025-01-02T03-04-05.678Z-delta.ndjson', 'latest.ndjson']);
    expect(await readFile(path.join(cdir, files[0]), 'utf8')).toBe('{"user_id":"a","change":"add"}\n{"user_id":"b","change":"remove"}\n');
    expect(await readFile(path.join(cdir, 'latest.ndjson'), 'utf8')).toBe('{"user_id":"a"}\n');
  });

  it('never lets a cohort id escape the directory', async () => {
    const d = createFileDestination({ directory: dir, format: 'csv' });
    await d.writeSnapshot(snap({ cohort: { id: '../../etc', name: 'x' }, members: [] }));
    expect(await readdir(dir)).toEqual(['.._.._etc']);
  });

  it('reports an unusable directory as a permanent failure and test() says so', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    const d = createFileDestination({ directory: file, format: 'csv' });
    expect(await d.writeSnapshot(snap({ members: ['u1'] }))).toMatchObject({ kind: 'permanent' });
    expect((await d.test()).ok).toBe(false);
    expect((await createFileDestination({ directory: path.join(dir, 'new'), format: 'csv' }).test()).ok).toBe(true);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { csvText } from '../schemas/csv.js';
import { fileConfigSchema, type FileConfig } from '../schemas/destination.js';
import type { DestinationOptions, SendOutcome, Snapshot, SnapshotDestination } from './destination.js';

const CHUNK = 10_000;

/** A file-system-safe folder name for a cohort id (ids are ours, but never trust a path). */
export function safeSegment(id: string): string {
  const s = id.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || s === '.' || s === '..' ? `_${s}` : s;
}

/** `2024-05-01T12:00:00.000Z` -> `2024-05-01T12-00-00.000Z` (no colons: portable file names). */
export function runTimeStamp(d: Date): string {
  return d.toISOString().replace(/:/g, '-');
}

type Row = Record<string, string>;

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function render(format: FileConfig['format'], columns: string[], rows: Row[], header: boolean): string {
  if (format === 'ndjson') return rows.map((r) => JSON.stringify(r) + '\n').join('');
  return csvText(rows, { header, columns });
}

/** Writes via a temp name in the same folder, fsyncs, renames, then fsyncs the folder. */
async function writeAtomically(finalPath: string, parts: Iterable<string>): Promise<void> {
  const dir = path.dirname(finalPath);
  const tmp = path.join(dir, `.${path.basename(finalPath)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    for (const part of parts) if (part) await fh.write(part);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, finalPath);
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

function* deltaParts(format: FileConfig['format'], s: Snapshot): Generator<string> {
  const columns = ['user_id', 'change'];
  if (format === 'csv') yield csvText([], { header: true, columns });
  for (const part of chunks(s.added, CHUNK)) yield render(format, columns, part.map((u) => ({ user_id: u, change: 'add' })), false);
  for (const part of chunks(s.removed, CHUNK)) yield render(format, columns, part.map((u) => ({ user_id: u, change: 'remove' })), false);
}

function* latestParts(format: FileConfig['format'], members: string[]): Generator<string> {
  const columns = ['user_id'];
  if (format === 'csv') yield csvText([], { header: true, columns });
  for (const part of chunks(members, CHUNK)) yield render(format, columns, part.map((u) => ({ user_id: u })), false);
}

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** The folder a config writes to, resolved under the export dir (null: outside it). */
export function exportFolder(exportDir: string | undefined, directory: string): string | null {
  if (exportDir === undefined) return path.resolve(directory);
  const root = path.resolve(exportDir);
  const dir = path.resolve(root, directory);
  return inside(root, dir) ? dir : null;
}

export const OUTSIDE_EXPORT_DIR = 'must be inside the export folder (KOHORT_EXPORT_DIR); give a folder name relative to it';

const PERMANENT_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG']);

function classifyFsError(err: unknown): SendOutcome {
  const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  const message = `file export failed: ${code}: ${(err as Error).message}`;
  return PERMANENT_CODES.has(code) ? { kind: 'permanent', status: null, message } : { kind: 'retry', message };
}

/**
 * Export to files: per run `<cohort id>/<run time>-full|delta.<ext>` (user_id,change)
 * plus `<cohort id>/latest.<ext>` (user_id) with the whole membership.
 */
export function createFileDestination(
  rawConfig: Record<string, unknown>,
  options: DestinationOptions = {},
): SnapshotDestination {
  const config = fileConfigSchema.parse(rawConfig);
  const exportDir = options.exportDir;
  const root = exportFolder(exportDir, config.directory);
  const ext = config.format;
  const outside: SendOutcome = { kind: 'permanent', status: null, message: `file export refused: the directory ${OUTSIDE_EXPORT_DIR}` };

  /** After creating it: its real path (links followed) is still inside the export dir. */
  async function confined(dir: string): Promise<boolean> {
    if (exportDir === undefined) return true;
    await mkdir(exportDir, { recursive: true, mode: 0o700 });
    return inside(await realpath(exportDir), await realpath(dir));
  }

  return {
    type: 'file',
    mode: 'snapshot',
    needsProperties: false,

    async prepare() {
      return { kind: 'ok', noRequest: true };
    },

    async writeSnapshot(s) {
      if (root === null) return outside;
      try {
        const dir = path.join(root, safeSegment(s.cohort.id));
        await mkdir(dir, { recursive: true, mode: 0o700 });
        if (!(await confined(dir))) return outside;
        const name = `${runTimeStamp(s.runStartedAt)}-${s.full ? 'full' : 'delta'}.${ext}`;
        await writeAtomically(path.join(dir, name), deltaParts(config.format, s));
        await writeAtomically(path.join(dir, `latest.${ext}`), latestParts(config.format, s.members));
        return { kind: 'ok' };
      } catch (err) {
        return classifyFsError(err);
      }
    },

    async test() {
      if (root === null) return { ok: false, message: `The directory ${OUTSIDE_EXPORT_DIR}` };
      try {
        await mkdir(root, { recursive: true, mode: 0o700 });
        if (!(await confined(root))) return { ok: false, message: `The directory ${OUTSIDE_EXPORT_DIR}` };
        const probe = path.join(root, `.kohort-test-${randomBytes(4).toString('hex')}`);
        const fh = await open(probe, 'w');
        await fh.close();
        await rm(probe, { force: true });
        return { ok: true, message: `${root} is writable` };
      } catch (err) {
        return { ok: false, message: `${root} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
      }
    },
  };
}

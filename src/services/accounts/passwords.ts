import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters; stored in each hash so they can be raised later without breaking old hashes. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** docs/TEAMS.md: N=2^15, r=8, p=1, 16-byte salt, 64-byte key. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 64;

function scrypt(password: string, salt: Buffer, keyLen: number, o: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; node's default limit (32 MiB) is exactly that for N=2^15, r=8, so it would refuse.
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password, salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$key` (salt and key base64url). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Limits on parameters read back from storage, so a corrupt row cannot ask for gigabytes. */
const sane = (p: ScryptParams) =>
  Number.isInteger(p.N) && p.N >= 2 && p.N <= 2 ** 20 && (p.N & (p.N - 1)) === 0 && p.r >= 1 && p.r <= 32 && p.p >= 1 && p.p <= 16;

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const params = { N, r, p };
  if (!sane(params)) return undefined;
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  if (salt.length === 0 || key.length < 16) return undefined;
  return { params, salt, key };
}

/** Constant-time comparison of the derived key; false for a malformed stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h) return false;
  const key = await scrypt(password, h.salt, h.key.length, h.params);
  return timingSafeEqual(key, h.key);
}

/** True when the stored hash uses other parameters than `params` (rehash on the next login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const h = parse(stored);
  return !h || h.params.N !== params.N || h.params.r !== params.r || h.params.p !== params.p;
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Secrets at rest (api.md, Security rules): AES-256-GCM with a key kept beside
 * `secrets.json` (`secret-key.json`, owner-only) or given as
 * `KOHORT_SECRET_KEY`. Several keys may be listed, the first sealing new
 * values, the others still opening older ones, so a key can be rotated.
 * Sealed text: `enc:v1:<key id>:<iv>:<tag>:<ciphertext>` (base64url).
 */
export interface SecretBox {
  seal(plain: string): string;
  /** Opens a sealed value; plain text (stored before encryption existed) is returned as it is. */
  open(stored: string): string;
  isSealed(value: unknown): value is string;
}

const PREFIX = 'enc:v1:';
const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

export class SecretKeyError extends Error {}

/** A box over raw 32-byte keys, the first one current. */
export function createSecretBox(keys: Buffer[]): SecretBox {
  if (!keys.length) throw new SecretKeyError('no secret key');
  for (const k of keys) if (k.length !== 32) throw new SecretKeyError('a secret key must be 32 bytes (base64 of 32 random bytes)');
  const byId = new Map(keys.map((k) => [keyId(k), k]));
  const current = keys[0];
  const currentId = keyId(current);
  const b64 = (b: Buffer) => b.toString('base64url');
  return {
    isSealed: (v): v is string => typeof v === 'string' && v.startsWith(PREFIX),
    seal(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', current, iv);
      const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return `${PREFIX}${currentId}:${b64(iv)}:${b64(c.getAuthTag())}:${b64(ct)}`;
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      const [id, iv, tag, ct] = stored.slice(PREFIX.length).split(':');
      const key = byId.get(id);
      if (!key) throw new SecretKeyError(`a stored secret was sealed with key ${id}, which is not among the configured keys (KOHORT_SECRET_KEY or secret-key.json)`);
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
    },
  };
}

/** Keys from `KOHORT_SECRET_KEY` (comma-separated base64, current first). */
export function parseSecretKeys(text: string): Buffer[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => Buffer.from(s, 'base64'));
}

/**
 * The box for a data dir: `KOHORT_SECRET_KEY` when set, else `secret-key.json`
 * (`{ "keys": [base64, ...] }`, current first), made on the first start.
 */
export function loadSecretBox(keyFile: string, envKeys?: string): SecretBox {
  if (envKeys) return createSecretBox(parseSecretKeys(envKeys));
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, JSON.stringify({ keys: [randomBytes(32).toString('base64')] }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  }
  const saved = JSON.parse(readFileSync(keyFile, 'utf8')) as { keys?: string[] };
  return createSecretBox((saved.keys ?? []).map((k) => Buffer.from(k, 'base64')));
}

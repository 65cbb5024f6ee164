import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyPassword } from './passwords.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('passwords', () => {
  it('hashes with the documented parameters, encoded in the hash, and verifies', async () => {
    const h = await hashPassword('correct horse battery', DEFAULT_SCRYPT);
    const [scheme, N, r, p, salt, key] = h.split('$');
    expect([scheme, Number(N), Number(r), Number(p)]).toEqual(['scrypt', 2 ** 15, 8, 1]);
    expect(Buffer.from(salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key, 'base64url')).toHaveLength(64);
    expect(h).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', h)).toBe(true);
    expect(await verifyPassword('correct horse batterY', h)).toBe(false);
  });

  it('salts each hash, so one password gives different hashes', async () => {
    const [a, b] = await Promise.all([hashPassword('same password!', FAST), hashPassword('same password!', FAST)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password!', a)).toBe(true);
    expect(await verifyPassword('same password!', b)).toBe(true);
  });

  it('verifies hashes made with other parameters and says they need a rehash', async () => {
    const h = await hashPassword('older cost parameters', FAST);
    expect(await verifyPassword('older cost parameters', h)).toBe(true);
    expect(needsRehash(h)).toBe(true);
    expect(needsRehash(h, FAST)).toBe(false);
  });

  it('refuses malformed or absurd stored hashes instead of throwing', async () => {
    const good = await hashPassword('some password', FAST);
    const parts = good.split('$');
    for (const bad of ['', 'plain', 'bcrypt$1$2$3$4$5', [parts[0], 2 ** 30, ...parts.slice(2)].join('$'), [parts[0], 1000, ...parts.slice(2)].join('$')]) {
      expect(await verifyPassword('some password', bad)).toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });
});

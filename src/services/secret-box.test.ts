import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, SecretKeyError } from './secret-box.js';

describe('secret box', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('seals with AES-GCM and opens again; plain text from before encryption passes through', () => {
    const box = createSecretBox([oldKey]);
    const sealed = box.seal('amp-api-key-123');
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(sealed).not.toContain('amp-api-key-123');
    expect(box.seal('amp-api-key-123')).not.toBe(sealed); // a fresh IV each time
    expect(box.open(sealed)).toBe('amp-api-key-123');
    expect(box.open('plain-old-secret')).toBe('plain-old-secret');
  });

  it('after a rotation, values sealed with the old key still open; new ones use the new key', () => {
    const before = createSecretBox([oldKey]).seal('s1');
    const rotated = createSecretBox([newKey, oldKey]);
    expect(rotated.open(before)).toBe('s1');
    expect(createSecretBox([newKey]).open(rotated.seal('s2'))).toBe('s2');
    expect(() => createSecretBox([newKey]).open(before)).toThrow(SecretKeyError);
  });

  it('refuses a tampered value', () => {
    const box = createSecretBox([oldKey]);
    const sealed = box.seal('secret');
    const parts = sealed.split(':');
    parts[5] = Buffer.from('xxxxxx').toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow();
  });
});

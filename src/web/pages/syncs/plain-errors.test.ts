import { describe, expect, it } from 'vitest';
import { plainSyncError } from './plain-errors';

describe('plainSyncError', () => {
  it('turns network jargon into what to check', () => {
    expect(plainSyncError('add batch 1: bad port')).toMatch(/check its URL/);
    expect(plainSyncError('connect ECONNREFUSED 127.0.0.1:9')).toMatch(/Could not connect/);
    expect(plainSyncError('getaddrinfo ENOTFOUND nowhere.invalid')).toMatch(/check its URL/);
    expect(plainSyncError('The operation was aborted due to timeout')).toBe('The destination did not answer in time.');
  });

  it('reads HTTP statuses', () => {
    expect(plainSyncError('HTTP 401', 401)).toMatch(/rejected the credentials/);
    expect(plainSyncError('HTTP 503', 503)).toBe('The destination had an internal error (HTTP 503).');
    expect(plainSyncError('HTTP 400: bad field', 400)).toBe('The destination refused the data (HTTP 400).');
    expect(plainSyncError('something specific')).toBe('something specific');
  });
});

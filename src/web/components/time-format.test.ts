import { describe, expect, it } from 'vitest';
import { absoluteTime, axisTime, NO_TIME, relativeTime, timeZoneLabel, utcDate } from './time-format';

const AT = '2026-12-04T18:09:01Z';
const now = Date.parse(AT);
const us = { locale: 'en-US', timeZone: 'UTC' };

describe('absoluteTime', () => {
  it('writes date, time with seconds and the zone, in the locale asked for', () => {
    expect(absoluteTime(AT, us)).toBe('Dec 4, 2026, 6:09:01 PM UTC');
    expect(absoluteTime(AT, { locale: 'en-GB', timeZone: 'Europe/Berlin' })).toBe('4 Dec 2026, 19:09:01 CET');
    expect(absoluteTime(new Date(now), us)).toBe('Dec 4, 2026, 6:09:01 PM UTC');
  });

  it('moves to the zone asked for, across a day boundary', () => {
    expect(absoluteTime('2026-12-04T23:30:00Z', { locale: 'en-GB', timeZone: 'Asia/Tokyo' })).toBe('5 Dec 2026, 8:30:00 GMT+9');
  });

  it('writes a dash for a missing or unreadable time', () => {
    for (const t of [null, undefined, '', 'not a time']) expect(absoluteTime(t, us)).toBe(NO_TIME);
  });
});

describe('relativeTime', () => {
  const ago = (ms: number) => relativeTime(new Date(now - ms).toISOString(), now, { locale: 'en-US' });
  it('uses the largest whole unit, rounded toward zero', () => {
    expect(ago(0)).toBe('now');
    expect(ago(999)).toBe('now');
    expect(ago(12_000)).toBe('12 seconds ago');
    expect(ago(3 * 60_000 + 59_000)).toBe('3 minutes ago');
    expect(ago(59 * 60_000 + 59_000)).toBe('59 minutes ago');
    expect(ago(2 * 3_600_000)).toBe('2 hours ago');
    expect(ago(86_400_000 + 3_600_000)).toBe('yesterday');
    expect(ago(3 * 86_400_000)).toBe('3 days ago');
    expect(ago(8 * 86_400_000)).toBe('last week');
    expect(ago(65 * 86_400_000)).toBe('2 months ago');
    expect(ago(800 * 86_400_000)).toBe('2 years ago');
  });

  it('says "in ..." for the future, and follows the locale', () => {
    expect(ago(-90 * 60_000)).toBe('in 1 hour');
    expect(ago(-86_400_000)).toBe('tomorrow');
    expect(relativeTime(new Date(now - 3 * 60_000).toISOString(), now, { locale: 'de' })).toBe('vor 3 Minuten');
  });

  it('writes a dash for a missing time', () => {
    expect(relativeTime(null, now)).toBe(NO_TIME);
    expect(relativeTime('garbage', now)).toBe(NO_TIME);
  });
});

describe('dates and chart axes', () => {
  it('utcDate keeps the UTC day whatever the zone of the browser', () => {
    expect(utcDate('2024-03-04T00:00:00Z', { locale: 'en-US' })).toBe('Mar 4, 2024');
    expect(utcDate('2024-03-04T23:59:59Z', { locale: 'en-GB' })).toBe('4 Mar 2024');
  });

  it('axisTime shows seconds for points minutes apart, the time for hours, the day for weeks', () => {
    expect(axisTime(AT, 10 * 60_000, us)).toBe('Dec 4, 6:09:01 PM');
    expect(axisTime(AT, 5 * 3_600_000, us)).toBe('Dec 4, 6:09 PM');
    expect(axisTime(AT, 14 * 86_400_000, us)).toBe('Dec 4, 2026');
  });

  it('timeZoneLabel names the zone', () => {
    expect(timeZoneLabel(us, now)).toBe('UTC');
    expect(timeZoneLabel({ locale: 'en-GB', timeZone: 'Europe/Berlin' }, now)).toBe('CET');
  });
});

import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatDuration, formatMoney, formatNumber, previewKind, shortId } from '../src/lib/format';
import { plainWords } from '../src/api/client';

describe('formatting', () => {
  it('formats numbers', () => {
    expect(formatNumber(3)).toBe('3');
    expect(formatNumber(0.30000000000000004)).toBe('0.3');
    expect(formatNumber(1234.56789)).toBe('1234.57');
    expect(formatNumber(0.000123456)).toBe('1.235e-4');
    expect(formatNumber(1.5e9 + 0.5)).toBe('1.500e9');
    expect(formatNumber(2.5e12)).toBe('2500000000000');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-∞');
    expect(formatNumber(undefined)).toBe('');
  });
  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_300)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h');
    expect(formatDuration(-1)).toBe('');
  });
  it('formats ages, bytes, money, ids', () => {
    const now = 1_000_000_000;
    expect(formatAgo(now - 5_000, now)).toBe('just now');
    expect(formatAgo(now - 180_000, now)).toBe('3 min ago');
    expect(formatAgo(now - 2 * 86_400_000, now)).toBe('2 d ago');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MiB');
    expect(formatMoney(1.234, 'EUR')).toBe('1.23 EUR');
    expect(shortId('0123456789abcdef')).toBe('01234567');
  });
  it('knows which artifacts it can preview', () => {
    expect(previewKind('plots/loss.PNG')).toBe('image');
    expect(previewKind('user_logs/std_log.txt')).toBe('text');
    expect(previewKind('model/MLmodel')).toBe('text');
    expect(previewKind('model/model.pkl')).toBe('none');
  });
  it('explains API errors in plain words', () => {
    expect(plainWords(403, 'PERMISSION_DENIED', 'no')).toMatch(/role does not allow/);
    expect(plainWords(401, 'UNAUTHENTICATED', '')).toMatch(/sign in/);
    expect(plainWords(400, 'INVALID_PARAMETER_VALUE', 'bad filter')).toBe('The server could not accept that: bad filter');
    expect(plainWords(404, 'ENDPOINT_NOT_FOUND', '')).toMatch(/does not offer/);
    expect(plainWords(0, 'NETWORK', 'Failed to fetch')).toMatch(/Could not reach/);
  });
});

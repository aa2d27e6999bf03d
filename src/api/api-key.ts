/** Optional API key: when configured, /v1/* needs `X-API-Key` (401 missing, 403 wrong). */
import { createHash, timingSafeEqual } from 'node:crypto';

export type ApiKeyVerdict = 'ok' | 'missing' | 'wrong';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function checkApiKey(expected: string | null, header: string | string[] | undefined): ApiKeyVerdict {
  if (expected === null) return 'ok';
  const given = Array.isArray(header) ? header[0] : header;
  if (given === undefined || given === '') return 'missing';
  // Compare digests so the comparison takes the same time whatever the length.
  return timingSafeEqual(digest(given), digest(expected)) ? 'ok' : 'wrong';
}

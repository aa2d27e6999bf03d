/** Parsing of `k2 compact` values: sizes ("128MB") and ages ("7d" or an ISO time). */
import { ConfigError } from '../model/errors.js';

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i;
const UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

/** "128MB" -> bytes (binary multiples, as Iceberg's write.target-file-size-bytes default 512 MiB). */
export function parseSize(text: string, flag = '--target-file-size'): number {
  const m = SIZE_RE.exec(text.trim());
  const bytes = m === null ? Number.NaN : Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!;
  if (!Number.isFinite(bytes) || bytes < 1024) {
    throw new ConfigError(`invalid ${flag} ${JSON.stringify(text)}; expected a size such as 128MB, 512MiB or 1GB (at least 1KB)`, { source: flag });
  }
  return Math.floor(bytes);
}

const DURATION_RE = /^(\d+)\s*(ms|s|m|h|d|w)$/i;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "7d" -> now - 7 days; an ISO date or date-time -> that instant. Returns epoch ms. */
export function parseCutoff(text: string, nowMs: number, flag = '--expire-older-than'): number {
  const t = text.trim();
  const m = DURATION_RE.exec(t);
  if (m !== null) {
    const cutoff = nowMs - Number(m[1]) * DURATION_MS[m[2]!.toLowerCase()]!;
    // a Date must be able to hold it (about 270,000 years back); longer ages are typos
    if (Number.isFinite(cutoff) && !Number.isNaN(new Date(cutoff).getTime())) return cutoff;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(t) || t.length === 10 ? t : `${t}Z`);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ConfigError(`invalid ${flag} ${JSON.stringify(text)}; expected a duration such as 30m, 12h, 7d, 2w or an ISO time such as 2024-01-02T00:00:00Z`, {
    source: flag,
  });
}

/**
 * Kafka offsets covered by an Iceberg table, stored in each snapshot's summary as
 * the property `k2.offsets`: {"<topic>": {"<partition>": "<next offset>"}}.
 * "Next offset" is the offset of the first record NOT yet in the table, so a
 * consumer resumes exactly there. Offsets are decimal strings (Kafka offsets are int64).
 */
import { z } from 'zod';
import { ValidationError } from '../model/errors.js';

export const OFFSETS_PROPERTY = 'k2.offsets';

/** topic -> partition -> next offset */
export type OffsetMap = Map<string, Map<number, bigint>>;

const offsetsJson = z.record(z.string(), z.record(z.string().regex(/^\d+$/), z.string().regex(/^\d+$/)));

export function emptyOffsets(): OffsetMap {
  return new Map();
}

export function parseOffsets(text: string | undefined | null): OffsetMap {
  const out: OffsetMap = new Map();
  if (text === undefined || text === null || text === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ValidationError(`snapshot property ${OFFSETS_PROPERTY} is not JSON`, { property: OFFSETS_PROPERTY });
  }
  const parsed = offsetsJson.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(`snapshot property ${OFFSETS_PROPERTY} has the wrong shape`, { property: OFFSETS_PROPERTY });
  }
  for (const [topic, parts] of Object.entries(parsed.data)) {
    const m = new Map<number, bigint>();
    for (const [p, o] of Object.entries(parts)) m.set(Number(p), BigInt(o));
    out.set(topic, m);
  }
  return out;
}

export function serializeOffsets(offsets: OffsetMap): string {
  const obj: Record<string, Record<string, string>> = {};
  for (const topic of [...offsets.keys()].sort()) {
    const parts = offsets.get(topic)!;
    const po: Record<string, string> = {};
    for (const p of [...parts.keys()].sort((a, b) => a - b)) po[String(p)] = parts.get(p)!.toString();
    obj[topic] = po;
  }
  return JSON.stringify(obj);
}

/**
 * Merges `update` into `base` (a copy), keeping the larger offset per partition, so
 * commits from two consumers owning different partitions compose, and a stale
 * writer can never move a partition backwards.
 */
export function mergeOffsets(base: OffsetMap, update: OffsetMap): OffsetMap {
  const out: OffsetMap = new Map();
  for (const [t, parts] of base) out.set(t, new Map(parts));
  for (const [t, parts] of update) {
    let m = out.get(t);
    if (m === undefined) {
      m = new Map();
      out.set(t, m);
    }
    for (const [p, o] of parts) {
      const prev = m.get(p);
      if (prev === undefined || o > prev) m.set(p, o);
    }
  }
  return out;
}

export function getOffset(offsets: OffsetMap, topic: string, partition: number): bigint | undefined {
  return offsets.get(topic)?.get(partition);
}

export function setOffset(offsets: OffsetMap, topic: string, partition: number, next: bigint): void {
  let m = offsets.get(topic);
  if (m === undefined) {
    m = new Map();
    offsets.set(topic, m);
  }
  const prev = m.get(partition);
  if (prev === undefined || next > prev) m.set(partition, next);
}

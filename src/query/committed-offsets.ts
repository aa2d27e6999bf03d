/**
 * The Kafka offsets an Iceberg snapshot covers, read from its summary property
 * `k2.offsets`. Each value is the NEXT offset to consume for that topic partition
 * (Kafka commit semantics): rows at offsets below it are in the table.
 */
import { ValidationError } from '../model/errors.js';

export const OFFSETS_SUMMARY_KEY = 'k2.offsets';

/** topic -> partition -> next offset not yet in the table. */
export type CommittedOffsets = Map<string, Map<number, bigint>>;

function toOffset(v: unknown, where: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  throw new ValidationError(`bad offset in ${OFFSETS_SUMMARY_KEY}: ${JSON.stringify(v)}`, { field: where });
}

/**
 * Parses `k2.offsets`. Accepted shapes:
 * - {"topic": {"0": 12, "1": 40}} (offsets may be numbers or digit strings)
 * - [{"topic": "t", "partition": 0, "offset": 12}, ...]
 * Missing or empty means nothing from the bus is in the table yet.
 */
export function parseCommittedOffsets(summary: Record<string, string> | undefined): CommittedOffsets {
  const out: CommittedOffsets = new Map();
  const raw = summary?.[OFFSETS_SUMMARY_KEY];
  if (raw === undefined || raw.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ValidationError(`${OFFSETS_SUMMARY_KEY} is not JSON: ${(err as Error).message}`, { field: OFFSETS_SUMMARY_KEY });
  }
  const put = (topic: string, partition: number, offset: bigint): void => {
    let m = out.get(topic);
    if (m === undefined) out.set(topic, (m = new Map()));
    m.set(partition, offset);
  };
  if (Array.isArray(parsed)) {
    for (const e of parsed as unknown[]) {
      const o = e as { topic?: unknown; partition?: unknown; offset?: unknown };
      if (typeof o.topic !== 'string') throw new ValidationError(`bad entry in ${OFFSETS_SUMMARY_KEY}`, { field: OFFSETS_SUMMARY_KEY });
      put(o.topic, Number(toOffset(o.partition, 'partition')), toOffset(o.offset, o.topic));
    }
  } else if (parsed !== null && typeof parsed === 'object') {
    for (const [topic, parts] of Object.entries(parsed as Record<string, unknown>)) {
      if (parts === null || typeof parts !== 'object') {
        throw new ValidationError(`bad partitions for ${topic} in ${OFFSETS_SUMMARY_KEY}`, { field: OFFSETS_SUMMARY_KEY });
      }
      for (const [p, off] of Object.entries(parts as Record<string, unknown>)) put(topic, Number(p), toOffset(off, topic));
    }
  } else {
    throw new ValidationError(`${OFFSETS_SUMMARY_KEY} must be an object or array`, { field: OFFSETS_SUMMARY_KEY });
  }
  return out;
}

/**
 * kafkajs 2.2.4's default (Java-compatible) partitioner hashes keys with a
 * murmur2 written on long.js: about ten BigInt-backed Long objects per 4 key
 * bytes, 2-3 us per message, a third of producer CPU for small messages. It also
 * filters the partition list for available leaders on every message, even keyed
 * ones that never use the result.
 *
 * Every step of that murmur2 (multiply, xor, unsigned shift of the low word) only
 * feeds the low 32 bits into the result (`toInt()`), so it is exactly Kafka's
 * 32-bit murmur2: here with Math.imul. The partitioner keeps kafkajs's decisions
 * and order (explicit partition, then key hash, then round robin over available
 * partitions with the same per-topic random start) and filters only when it
 * round-robins. Both are tested against kafkajs's own on random keys.
 *
 * Applied like the other kafkajs patches: the exports of
 * `producer/partitioners/default/murmur2` and `.../legacy/partitioner` are
 * replaced in Node's module cache before `producer/partitioners/default` builds
 * DefaultPartitioner from them. The legacy partitioner keeps its own (different)
 * murmur2. Must be imported before 'kafkajs' (src/bus/kafka-client.ts does).
 * See docs/decisions.md ("bus: 32-bit murmur2 partitioner for kafkajs").
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export type Murmur2 = (key: unknown) => number;
interface PartitionMetadataLike {
  partitionId: number;
  leader: number;
}
interface MessageLike {
  partition?: number | null;
  key?: unknown;
}
export type PartitionFn = (args: { topic: string; partitionMetadata: PartitionMetadataLike[]; message: MessageLike }) => number;
export type PartitionerFactory = (murmur2: Murmur2) => () => PartitionFn;

const PATHS = {
  murmur2: 'kafkajs/src/producer/partitioners/default/murmur2.js',
  partitioner: 'kafkajs/src/producer/partitioners/legacy/partitioner.js',
  randomBytes: 'kafkajs/src/producer/partitioners/legacy/randomBytes.js',
  defaultPartitioner: 'kafkajs/src/producer/partitioners/default/index.js',
} as const;

const randomBytes = require(PATHS.randomBytes) as (n: number) => Buffer;

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** Kafka's murmur2 (as kafkajs's DefaultPartitioner computes it), 32-bit arithmetic. */
export function murmur2(key: unknown): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  let h = SEED ^ length;
  const length4 = Math.floor(length / 4);
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest > 0) {
    // kafkajs's switch falls through from case 3 to case 1
    if (rest === 3) h ^= data[tail + 2]! << 16;
    if (rest >= 2) h ^= data[tail + 1]! << 8;
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const toPositive = (x: number): number => x & 0x7fffffff;

/** kafkajs's partitioner factory, filtering available partitions only when it needs them. */
export const createPartitioner: PartitionerFactory = (hash) => () => {
  const counters: Record<string, number> = {};
  return ({ topic, partitionMetadata, message }) => {
    if (!(topic in counters)) counters[topic] = randomBytes(32).readUInt32BE(0);
    const numPartitions = partitionMetadata.length;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return toPositive(hash(message.key)) % numPartitions;
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) {
      const i = toPositive(++counters[topic]!) % available.length;
      return available[i]!.partitionId;
    }
    return toPositive(++counters[topic]!) % numPartitions;
  };
};

// ---------------------------------------------------------------- patching

let originals: { murmur2: Murmur2; createPartitioner: PartitionerFactory } | null = null;

/** kafkajs's own murmur2 and partitioner factory (for comparison tests); null if the patch was not applied. */
export function originalPartitioning(): { murmur2: Murmur2; createPartitioner: PartitionerFactory } | null {
  return originals;
}

function apply(): boolean {
  try {
    if (require.cache[require.resolve(PATHS.defaultPartitioner)] !== undefined) return false; // too late: already bound
    const murmurPath = require.resolve(PATHS.murmur2);
    const partitionerPath = require.resolve(PATHS.partitioner);
    const m = require(murmurPath) as unknown;
    const p = require(partitionerPath) as unknown;
    if (typeof m !== 'function' || !String(m).includes('SEED.xor(length)')) return false;
    if (typeof p !== 'function' || !String(p).includes('availablePartitions')) return false;
    originals = { murmur2: m as Murmur2, createPartitioner: p as PartitionerFactory };
    require.cache[murmurPath]!.exports = murmur2;
    require.cache[partitionerPath]!.exports = createPartitioner;
    return true;
  } catch {
    return false;
  }
}

export const fastPartitionerApplied = apply();

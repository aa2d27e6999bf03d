/**
 * kafkajs 2.2.4 builds a consumer `Batch` per fetched partition and drops
 * messages below the fetched offset with
 * `Long.fromValue(message.offset).gte(fetchedOffset)`: a BigInt parse of every
 * message's offset string, per message. This replaces the Batch constructor with
 * one that compares plain numbers when both offsets are canonical decimal
 * integers within +-2^53 (exactly what the comparison means for them) and falls
 * back to the same long.js comparison otherwise. Fields, their order and the
 * prototype (all of Batch's methods) are kafkajs's own, so a Batch looks and
 * behaves exactly as before.
 *
 * Applied like the other kafkajs patches: the export of `consumer/batch` is
 * replaced in Node's module cache before kafkajs's consumer group module binds
 * it. It must be imported before 'kafkajs' (src/bus/kafka-client.ts does).
 * See docs/decisions.md ("bus: numeric offset filter for kafkajs consumer batches").
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface LongLike {
  gte(other: LongLike): boolean;
}
interface LongModule {
  fromValue(value: unknown): LongLike;
}
interface MessageLike {
  offset: unknown;
  /** the offset as a number, on records of the fast fetch decoder (PackedRecord) */
  offsetNumber?: number;
  isControlRecord?: boolean;
}
interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions?: unknown[];
  messages: MessageLike[];
}
type FilterAborted = (args: { messages: MessageLike[]; abortedTransactions?: unknown[] }) => MessageLike[];
export interface BatchFields {
  fetchedOffset: unknown;
  topic: string;
  partition: number;
  highWatermark: string;
  rawMessages: MessageLike[];
  messagesWithinOffset: MessageLike[];
  messages: MessageLike[];
}
export type BatchClass = new (topic: string, fetchedOffset: unknown, partitionData: PartitionData) => BatchFields;

const PATHS = {
  batch: 'kafkajs/src/consumer/batch.js',
  long: 'kafkajs/src/utils/long.js',
  filterAborted: 'kafkajs/src/consumer/filterAbortedMessages.js',
  consumerGroup: 'kafkajs/src/consumer/consumerGroup.js',
} as const;

const Long = require(PATHS.long) as LongModule;
const filterAbortedMessages = require(PATHS.filterAborted) as FilterAborted;

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_MINUS = 45;

/**
 * The value of an offset as a plain number when long.js would read the same
 * integer from it (a canonical decimal string or a safe integer number); NaN otherwise.
 */
export function safeOffset(v: unknown): number {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : NaN;
  if (typeof v !== 'string') return NaN;
  const len = v.length;
  if (len === 0 || len > 16) return NaN;
  for (let i = 0; i < len; i++) {
    const c = v.charCodeAt(i);
    if ((c < CHAR_0 || c > CHAR_9) && !(c === CHAR_MINUS && i === 0 && len > 1)) return NaN;
  }
  const n = +v;
  return Number.isSafeInteger(n) ? n : NaN;
}

function withinOffset(messages: MessageLike[], fetchedOffset: unknown): MessageLike[] {
  const fetched = safeOffset(fetchedOffset);
  let longFetched: LongLike | null = Number.isNaN(fetched) ? Long.fromValue(fetchedOffset) : null;
  return messages.filter((message) => {
    const n = Number.isNaN(fetched) ? NaN : (message.offsetNumber ?? safeOffset(message.offset));
    if (!Number.isNaN(n)) return n >= fetched;
    longFetched ??= Long.fromValue(fetchedOffset);
    return Long.fromValue(message.offset).gte(longFetched);
  });
}

export function createFastBatch(Original: BatchClass): BatchClass {
  function Batch(this: BatchFields, topic: string, fetchedOffset: unknown, partitionData: PartitionData): void {
    this.fetchedOffset = fetchedOffset;
    const { abortedTransactions, messages } = partitionData;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = messages;
    this.messagesWithinOffset = withinOffset(messages, fetchedOffset);
    this.messages = filterAbortedMessages({ messages: this.messagesWithinOffset, abortedTransactions }).filter((message) => !message.isControlRecord);
  }
  Batch.prototype = Original.prototype;
  return Batch as unknown as BatchClass;
}

// ---------------------------------------------------------------- patching

let original: BatchClass | null = null;

/** kafkajs's own Batch class (for comparison tests); null if the patch was not applied. */
export function originalBatch(): BatchClass | null {
  return original;
}

function apply(): boolean {
  try {
    if (require.cache[require.resolve(PATHS.consumerGroup)] !== undefined) return false; // too late: already bound
    const path = require.resolve(PATHS.batch);
    const Batch = require(path) as unknown;
    if (typeof Batch !== 'function' || !String(Batch).includes('messagesWithinOffset') || !String(Batch).includes('filterAbortedMessages')) return false;
    original = Batch as BatchClass;
    require.cache[path]!.exports = createFastBatch(original);
    return true;
  } catch {
    return false;
  }
}

export const fastConsumerBatchApplied = apply();

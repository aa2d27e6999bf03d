/**
 * Fetch with long polling: answer at once when at least min_bytes are
 * available, else park until an append on any requested partition or until
 * max_wait_ms. No timers or polling while parked, so an idle broker uses no CPU.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { FetchPartitionResult, FetchRequest } from '../protocol/apis/fetch.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { BrokerContext } from './broker-context.js';

type FetchTopics = Array<{ topic: string; partitions: FetchPartitionResult[] }>;

function collect(ctx: BrokerContext, req: FetchRequest): { topics: FetchTopics; bytes: number; logs: PartitionLog[]; errors: boolean } {
  let budget = req.maxBytes;
  let bytes = 0;
  let errors = false;
  const logs: PartitionLog[] = [];
  const topics = req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): FetchPartitionResult => {
      const log = ctx.topics.partition(t.topic, p.partition);
      if (!log) {
        errors = true;
        return { partition: p.partition, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, logStartOffset: -1n, batches: [] };
      }
      logs.push(log);
      const hw = log.highWatermark;
      if (p.fetchOffset > hw || p.fetchOffset < log.logStartOffset) {
        errors = true;
        return { partition: p.partition, error: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: hw, logStartOffset: log.logStartOffset, batches: [] };
      }
      const limit = bytes > 0 ? Math.min(p.maxBytes, budget) : p.maxBytes;
      const batches = limit > 0 ? log.read(p.fetchOffset, limit) : [];
      for (const b of batches) {
        bytes += b.length;
        budget -= b.length;
      }
      return { partition: p.partition, error: ErrorCode.NONE, highWatermark: hw, logStartOffset: log.logStartOffset, batches };
    }),
  }));
  return { topics, bytes, logs, errors };
}

export async function handleFetch(ctx: BrokerContext, req: FetchRequest): Promise<FetchTopics> {
  const deadline = Date.now() + req.maxWaitMs;
  for (;;) {
    const res = collect(ctx, req);
    const remaining = deadline - Date.now();
    if (res.bytes >= Math.max(1, req.minBytes) || res.errors || remaining <= 0 || ctx.closing.value || res.logs.length === 0) return res.topics;
    await new Promise<void>((resolve) => {
      const offs: Array<() => void> = [];
      const done = (): void => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve();
      };
      const timer = setTimeout(done, remaining);
      for (const log of res.logs) offs.push(log.onAppend(done));
    });
  }
}

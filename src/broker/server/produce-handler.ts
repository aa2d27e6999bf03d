/**
 * Produce: validate each partition's single RecordBatch v2, run idempotence
 * checks, append, and for acks=-1 wait for the partitions' group-committed
 * fdatasync before answering. acks=0 gets no response at all.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { ProducePartitionResult, ProduceRequest } from '../protocol/apis/produce.js';
import { validateProducedBatch } from '../protocol/record-batch.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { isLegalTopicName } from '../storage/topic-manager.js';
import type { BrokerContext } from './broker-context.js';

export async function handleProduce(ctx: BrokerContext, req: ProduceRequest): Promise<Array<{ name: string; partitions: ProducePartitionResult[] }>> {
  const toFlush = new Set<PartitionLog>();
  if (req.transactionalId !== null) {
    // Transactions are not supported (InitProducerId refuses transactional ids), so this is a client error.
    ctx.logger.warn('broker: refused transactional produce', { transactionalId: req.transactionalId });
    return req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ index: p.index, error: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, baseOffset: -1n, logStartOffset: -1n })),
    }));
  }
  const out = req.topics.map((t) => {
    let logs = ctx.topics.partitions(t.name);
    if (!logs && ctx.settings.autoCreateTopics && isLegalTopicName(t.name)) logs = ctx.topics.create(t.name, ctx.settings.defaultPartitions);
    return {
      name: t.name,
      partitions: t.partitions.map((p): ProducePartitionResult => {
        const log = logs?.[p.index];
        if (!log) return { index: p.index, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n, logStartOffset: -1n };
        const v = validateProducedBatch(p.records, ctx.settings.maxBatchBytes);
        if (!v.ok) {
          ctx.logger.warn('broker: rejected produced batch', { topic: t.name, partition: p.index, error: v.error, reason: v.reason });
          return { index: p.index, error: v.error, baseOffset: -1n, logStartOffset: log.logStartOffset };
        }
        const seq = ctx.producers.check(t.name, p.index, v.header);
        if (seq.kind === 'duplicate') return { index: p.index, error: ErrorCode.NONE, baseOffset: seq.baseOffset, logStartOffset: log.logStartOffset };
        if (seq.kind === 'reject') {
          ctx.logger.warn('broker: rejected produced batch', { topic: t.name, partition: p.index, error: seq.error, reason: seq.reason, producerId: v.header.producerId });
          return { index: p.index, error: seq.error, baseOffset: -1n, logStartOffset: log.logStartOffset };
        }
        const base = log.append(p.records!, v.header);
        ctx.producers.record(t.name, p.index, v.header, base);
        toFlush.add(log);
        return { index: p.index, error: ErrorCode.NONE, baseOffset: base, logStartOffset: log.logStartOffset };
      }),
    };
  });
  if (req.acks === -1 && ctx.settings.fsyncOnAcksAll && toFlush.size > 0) {
    await Promise.all([...toFlush].map((l) => l.flush()));
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { applyKafkajsIdleFix } from '../../src/bus/kafkajs-idle-fix.js';
import { groupMessagesPerPartitionLinear, linearGroupingApplied } from '../../src/bus/kafkajs-linear-grouping.js';
import '../../src/bus/kafka-client.js';

/** kafkajs 2.2.4's original grouping, restated: the patched version must match it exactly. */
function originalGrouping(args: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number }): Record<number, unknown[]> {
  if (args.partitionMetadata.length === 0) return {};
  return args.messages.reduce<Record<number, unknown[]>>((result, message) => {
    const partition = args.partitioner({ topic: args.topic, partitionMetadata: args.partitionMetadata, message });
    const current = result[partition] ?? [];
    return Object.assign(result, { [partition]: [...current, message] });
  }, {});
}

describe('kafkajs runtime patches', () => {
  it('are applied when the bus loads kafkajs', () => {
    expect(linearGroupingApplied).toBe(true);
    expect(applyKafkajsIdleFix()).toBe(true);
  });

  it('group messages per partition exactly like kafkajs, in linear time', () => {
    const messages = Array.from({ length: 5000 }, (_, i) => ({ key: `k${(i * 7919) % 113}`, value: String(i) }));
    const partitioner = ({ message }: { message: unknown }): number => Number((message as { key: string }).key.slice(1)) % 5;
    const args = { topic: 't', partitionMetadata: [0, 1, 2, 3, 4], messages, partitioner };
    expect(groupMessagesPerPartitionLinear(args)).toEqual(originalGrouping(args));
    expect(groupMessagesPerPartitionLinear({ ...args, partitionMetadata: [] })).toEqual({});
  });
});

/** What request handlers share: storage, producer state, the group coordinator and this node's identity. */
import type { Logger } from '../../log/logger.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import type { ProducerIdAllocator } from '../producer/producer-id-allocator.js';
import type { ProducerStateManager } from '../producer/producer-state.js';
import type { TopicManager } from '../storage/topic-manager.js';

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
}

export interface BrokerSettings {
  defaultPartitions: number;
  autoCreateTopics: boolean;
  /** fdatasync before acknowledging acks=-1 produces (see docs/broker.md). */
  fsyncOnAcksAll: boolean;
  maxBatchBytes: number;
  clusterId: string;
}

export interface BrokerContext {
  node: BrokerNode;
  settings: BrokerSettings;
  topics: TopicManager;
  producers: ProducerStateManager;
  producerIds: ProducerIdAllocator;
  groups: GroupCoordinator;
  logger: Logger;
  /** Set when the broker is closing: parked fetches return at once. */
  closing: { value: boolean };
}

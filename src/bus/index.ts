/** The bus: k2's only door to Kafka (kafkajs) and the schema registry. */
export { type BusEndpoints, DEFAULT_REGISTRY_URL, resolveRegistryUrl } from './endpoints.js';
export { startBus, findRunningBroker, explainBorrowedBusError, BusHostError, type BusSession, type StartBusOptions } from './bus-session.js';
export { SchemaRegistryClient } from './schema-registry-client.js';
export { BodySealer, RecordProducer, type RecordProducerOptions, type SendSummary, type BusCompression, type SealedRecords, type WireMessage } from './record-producer.js';
export { RecordDecoder, type DecodeOutcome } from './record-decoder.js';
export { BusConsumer, type BusConsumerOptions, type BatchControl } from './bus-consumer.js';
export { BusAdmin, type PartitionOffsets, type PartitionLag } from './bus-admin.js';
export { readTopicTail, TopicTailTooLargeError, type TopicTailOptions, type PartitionTail } from './topic-tail-reader.js';
export type { BusMessage, BusBatch, TopicPartition, TopicPartitionOffset } from './bus-message.js';
export { BusError, SchemaRegistryError, UndecodableRecordError, type UndecodableReason } from './errors.js';
export { publishSealed, publishTagged, sealTagged, tradeSealer, unsealTagged, TradeSealer, type SealedTagged, type TradeQuoteTopics } from './tagged-record-publisher.js';

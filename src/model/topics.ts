import type { AssetClass } from './enums.js';
import { RECORD_KINDS, type RecordKind } from './record-kind.js';
import { ValidationError } from './errors.js';

/** `market.{asset_class}.{trades|quotes|reference_data}.{exchange}`, lower case. */
export function topicName(assetClass: AssetClass, kind: RecordKind, exchange: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(exchange)) {
    throw new ValidationError(`exchange name not usable in a topic: ${JSON.stringify(exchange)}`, { field: 'exchange' });
  }
  return `market.${assetClass}.${kind}.${exchange}`.toLowerCase();
}

export interface ParsedTopic {
  assetClass: string;
  kind: RecordKind;
  exchange: string;
}

/** Parses a v2 topic name; returns null for topics that are not v2 market topics. */
export function parseTopicName(topic: string): ParsedTopic | null {
  const parts = topic.split('.');
  if (parts.length !== 4 || parts[0] !== 'market') return null;
  const kind = parts[2] as RecordKind;
  if (!(RECORD_KINDS as readonly string[]).includes(kind)) return null;
  return { assetClass: parts[1]!, kind, exchange: parts[3]! };
}

/** The Confluent subject naming strategy (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

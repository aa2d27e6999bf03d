import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/model/errors.js';
import { parseTopicName, topicName, valueSubject } from '../../src/model/topics.js';

describe('topic names', () => {
  it('builds market.{asset_class}.{kind}.{exchange} in lower case', () => {
    expect(topicName('crypto', 'trades', 'binance')).toBe('market.crypto.trades.binance');
    expect(topicName('equities', 'trades', 'ASX')).toBe('market.equities.trades.asx');
    expect(topicName('equities', 'quotes', 'ASX')).toBe('market.equities.quotes.asx');
    expect(topicName('equities', 'reference_data', 'asx')).toBe('market.equities.reference_data.asx');
  });

  it('refuses exchange names that would break the topic layout', () => {
    for (const ex of ['a.b', '', 'a b', 'x/y']) expect(() => topicName('crypto', 'trades', ex), ex).toThrow(ValidationError);
  });

  it('parses v2 topics and ignores others', () => {
    expect(parseTopicName('market.crypto.trades.binance')).toEqual({ assetClass: 'crypto', kind: 'trades', exchange: 'binance' });
    expect(parseTopicName('market.equities.quotes.asx')).toEqual({ assetClass: 'equities', kind: 'quotes', exchange: 'asx' });
    expect(parseTopicName('market.crypto.candles.binance')).toBeNull();
    expect(parseTopicName('other.crypto.trades.binance')).toBeNull();
    expect(parseTopicName('market.crypto.trades')).toBeNull();
    expect(parseTopicName('__consumer_offsets')).toBeNull();
  });

  it('names value subjects with the TopicNameStrategy', () => {
    expect(valueSubject('market.equities.trades.asx')).toBe('market.equities.trades.asx-value');
  });
});

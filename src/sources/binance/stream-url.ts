/** Combined-stream URLs: <base>/stream?streams=btcusdt@trade/ethusdt@bookTicker */
import { ConfigError } from '../../model/errors.js';
import type { BinanceChannel } from './mapper.js';

export const DEFAULT_STREAM_URLS = ['wss://stream.binance.com:9443', 'wss://stream.binance.com:443', 'wss://data-stream.binance.vision'] as const;
export const DEFAULT_REST_URL = 'https://data-api.binance.vision';
/** Binance allows up to 1024 streams per connection. */
export const MAX_STREAMS_PER_CONNECTION = 1024;

export function streamNames(symbols: readonly string[], channels: readonly BinanceChannel[]): string[] {
  const names: string[] = [];
  for (const s of symbols) for (const c of channels) names.push(`${s.toLowerCase()}@${c}`);
  if (names.length > MAX_STREAMS_PER_CONNECTION) {
    throw new ConfigError(`${names.length} streams exceed Binance's ${MAX_STREAMS_PER_CONNECTION} per connection`, { source: '--symbols' });
  }
  return names;
}

export function combinedStreamUrl(base: string, symbols: readonly string[], channels: readonly BinanceChannel[]): string {
  const trimmed = base.replace(/\/+$/, '').replace(/\/(stream|ws)$/, '');
  return `${trimmed}/stream?streams=${streamNames(symbols, channels).join('/')}`;
}

/** Binance source: WebSocket payloads -> v2 records, and the resilient stream client. */
export { BinanceFrameConverter, DEFAULT_MAPPERS, type FrameOutcome, type FrameConverterOptions, type ControlEvent } from './frame-converter.js';
export { BINANCE_CHANNELS, BINANCE_EXCHANGE, isBinanceChannel, type BinanceChannel, type BinanceMapper, type MapContext } from './mapper.js';
export { BinanceMessageError, BinanceRestError, BINANCE_ERROR_TYPES, type BinanceErrorType } from './errors.js';
export { splitSymbol, KNOWN_QUOTE_ASSETS, type SymbolAssets } from './quote-assets.js';
export { MemorySink, CountingSink, type RecordSink } from './record-sink.js';
export { BinanceStreamClient, BREAKER_NAME, type BinanceStreamOptions, type StreamStats, type StreamState, type SymbolStats } from './stream-client.js';
export { BinanceRestClient, type BinanceRestOptions } from './rest-client.js';
export { TradeBackfiller, type BackfillRequest, type BackfillResult } from './trade-backfiller.js';
export { combinedStreamUrl, streamNames, DEFAULT_STREAM_URLS, DEFAULT_REST_URL } from './stream-url.js';

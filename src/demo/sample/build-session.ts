/**
 * Builds the sample session (header + events) from the market model: the one
 * function behind scripts/generate-sample-session.ts, also called by the tests
 * to prove the committed file is exactly what the generator produces.
 */
import { isTradeData, streamName } from './binance-frames.js';
import { DEFAULT_SYMBOL_SPECS, generateSession, type SymbolSpec } from './market-model.js';
import { SAMPLE_SESSION_FORMAT, type SampleSession } from './session-file.js';

export const SAMPLE_SEED = 20_251_122;
export const SAMPLE_DURATION_MS = 10 * 60 * 1000;

export function buildSampleSession(
  seed: number = SAMPLE_SEED,
  durationMs: number = SAMPLE_DURATION_MS,
  specs: readonly SymbolSpec[] = DEFAULT_SYMBOL_SPECS,
): SampleSession {
  const events = generateSession({ seed, durationMs, specs });
  const trades = events.filter((e) => isTradeData(e.frame.data)).length;
  return {
    header: {
      format: SAMPLE_SESSION_FORMAT,
      version: 1,
      synthetic: true,
      description:
        'SYNTHETIC SAMPLE DATA, not real market data: a modelled Binance spot session (geometric random-walk prices, ' +
        'Hawkes-process bursty arrivals, heavy-tailed lot-rounded sizes) for the offline k2 demo. Times are ms from the session start.',
      generator: 'scripts/generate-sample-session.ts',
      seed,
      duration_ms: durationMs,
      symbols: specs.map((s) => s.symbol),
      streams: specs.flatMap((s) => [streamName(s.symbol, 'trade'), streamName(s.symbol, 'bookTicker')]),
      trades,
      quotes: events.length - trades,
    },
    events,
  };
}

/**
 * Turns the pipeline parts into the DemoPipeline the UI reads: every record the
 * stream receives goes to the UI listeners and, when a bus is wired, is published
 * to it; health combines the parts' figures; bars come from the lake part.
 * Lake figures are polled in the background so health() stays synchronous.
 */
import type { Logger } from '../log/logger.js';
import { nowMicros } from '../model/time.js';
import type { TaggedRecord } from '../model/record-kind.js';
import type { Micros } from '../model/trade.js';
import type { LakeStats, PipelineParts } from './parts.js';
import type {
  BarsAnswer,
  CaptureSummary,
  ComponentStatus,
  DemoEvent,
  DemoMode,
  DemoPipeline,
  PipelineHealth,
} from './types.js';

export interface ComposedPipelineOptions {
  mode: DemoMode;
  symbols: readonly string[];
  dataDir: string;
  parts: PipelineParts;
  logger: Logger;
  /** How often lake figures and bus lag are refreshed. */
  pollMs?: number;
}

export function toDemoEvent(tagged: TaggedRecord, receivedAt: Micros): DemoEvent | null {
  if (tagged.kind === 'trades') {
    const r = tagged.record;
    return {
      kind: 'trade',
      trade: {
        symbol: r.symbol,
        tradeId: r.source_sequence ?? 0n,
        side: r.side,
        price: r.price,
        quantity: r.quantity,
        tradeTime: r.timestamp,
        receivedAt,
        backfilled: r.vendor_data?.backfilled === 'true',
      },
    };
  }
  if (tagged.kind === 'quotes') {
    const r = tagged.record;
    return { kind: 'quote', quote: { symbol: r.symbol, bid: r.bid_price, ask: r.ask_price, receivedAt } };
  }
  return null;
}

export async function startComposedPipeline(opts: ComposedPipelineOptions): Promise<DemoPipeline> {
  const { parts, logger } = opts;
  const listeners = new Set<(e: DemoEvent) => void>();
  const startedAt = nowMicros();
  const trades: Record<string, number> = Object.fromEntries(opts.symbols.map((s) => [s, 0]));
  let quotes = 0;
  let lake: LakeStats | null = null;
  let lakeError: string | null = null;

  parts.stream.onRecord((tagged, receivedAt) => {
    const event = toDemoEvent(tagged, receivedAt);
    if (event?.kind === 'trade') trades[event.trade.symbol] = (trades[event.trade.symbol] ?? 0) + 1;
    else if (event?.kind === 'quote') quotes++;
    if (event !== null) for (const l of listeners) l(event);
  });

  let polling = false;
  const poll = async (): Promise<void> => {
    if (polling) return;
    polling = true;
    try {
      if (parts.lake !== null) {
        try {
          lake = await parts.lake.stats();
          lakeError = null;
        } catch (err) {
          lakeError = err instanceof Error ? err.message : String(err);
        }
      }
    } finally {
      polling = false;
    }
  };
  const pollTimer = setInterval(() => void poll(), opts.pollMs ?? 1000);

  await parts.stream.start();

  const components = (): ComponentStatus[] => [
    { name: 'stream', state: 'running', detail: parts.stream.name },
    parts.bus !== null
      ? { name: 'bus', state: 'running', detail: parts.bus.name }
      : { name: 'bus', state: 'not wired', detail: parts.missing.bus },
    parts.lake !== null
      ? { name: 'iceberg', state: lakeError !== null ? 'failed' : 'running', detail: lakeError ?? parts.lake.name }
      : { name: 'iceberg', state: 'not wired', detail: parts.missing.lake },
  ];

  let stopped: Promise<CaptureSummary> | null = null;
  return {
    mode: opts.mode,
    symbols: opts.symbols,
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    health: (): PipelineHealth => {
      const s = parts.stream.stats();
      return {
        connection: s.connection,
        url: s.url,
        reconnects: s.reconnects,
        gapsBackfilled: s.gapsBackfilled,
        gapsOpen: s.gapsOpen,
        // published to the bus but not yet read by the Iceberg consumer
        busLag: parts.bus !== null && lake !== null ? Math.max(0, parts.bus.published() - lake.consumed) : null,
        icebergRows: lake?.rows ?? null,
        lastCommitAt: lake?.lastCommitAt ?? null,
        freshness: lake?.freshness ?? null,
        components: components(),
      };
    },
    bars: async (symbol): Promise<BarsAnswer> => {
      if (parts.lake === null) return { kind: 'waiting', reason: `Iceberg not wired: ${parts.missing.lake ?? 'no lake part'}` };
      if (lake === null || lake.lastCommitAt === null) return { kind: 'waiting', reason: 'waiting for first commit' };
      const r = await parts.lake.bars(symbol);
      return { kind: 'bars', bars: r.bars, source: r.source, queriedAt: nowMicros() };
    },
    stop: () => {
      stopped ??= (async () => {
        clearInterval(pollTimer);
        const notes: string[] = [];
        // Order matters: the stream flushes into the bus, the consumer commits what the bus holds.
        await parts.stream.stop();
        if (parts.lake !== null) {
          await parts.lake.stop();
          lake = await parts.lake.stats().catch(() => lake);
        }
        if (parts.bus !== null) await parts.bus.stop();
        if (parts.bus === null) notes.push(`not published to a bus: ${parts.missing.bus ?? 'not wired'}`);
        if (parts.lake === null) notes.push(`not persisted to Iceberg: ${parts.missing.lake ?? 'not wired'}`);
        const s = parts.stream.stats();
        return {
          mode: opts.mode,
          url: s.url,
          seconds: Number(nowMicros() - startedAt) / 1e6,
          trades: { ...trades },
          quotes,
          icebergRows: lake?.rows ?? null,
          storedThisRun: lake?.committedThisRun ?? null,
          dataDir: opts.dataDir,
          tables: parts.lake?.tables ?? [],
          notes,
        };
      })();
      return stopped;
    },
  };
}

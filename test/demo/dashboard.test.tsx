/** @jsxRuntime automatic */
/** @jsxImportSource react */
/**
 * The ink dashboard with ink-testing-library: each panel's content, and the keys
 * (←/→ select the symbol and the query follows, p pauses, q quits).
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseScaled } from '../../src/model/decimal.js';
import { MarketView } from '../../src/demo/model/market-view.js';
import { DemoApp } from '../../src/demo/ui/DemoApp.js';
import { HealthPanel } from '../../src/demo/ui/HealthPanel.js';
import { LiveTape } from '../../src/demo/ui/LiveTape.js';
import { PerSymbol } from '../../src/demo/ui/PerSymbol.js';
import { QueryPane } from '../../src/demo/ui/QueryPane.js';
import type { BarsAnswer, DemoTrade, PipelineHealth } from '../../src/demo/types.js';

const NOW = 1_763_800_000_000_000n; // 2025-11-22T08:26:40Z in micros
const S = 1_000_000n;
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];

function demoTrade(symbol: string, id: number, side: 'BUY' | 'SELL', price: string, qty: string, at: bigint): DemoTrade {
  return { symbol, tradeId: BigInt(id), side, price: parseScaled(price), quantity: parseScaled(qty), tradeTime: at, receivedAt: at, backfilled: false };
}

const health: PipelineHealth = {
  connection: 'open',
  url: 'ws://127.0.0.1:4000/stream?streams=btcusdt@trade/btcusdt@bookTicker',
  reconnects: 2,
  gapsBackfilled: 17,
  gapsOpen: 0,
  busLag: 42,
  icebergRows: 12_345n,
  lastCommitAt: NOW - 1_500_000n,
  freshness: { lastMs: 640, p50Ms: 600, p99Ms: 910, samples: 30 },
  components: [
    { name: 'stream', state: 'running' },
    { name: 'bus', state: 'running' },
    { name: 'iceberg', state: 'running' },
  ],
};

/** Waits until the rendered frame satisfies the predicate (ink re-renders asynchronously). */
async function until(frame: () => string | undefined, ok: (f: string) => boolean): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const f = frame() ?? '';
    if (ok(f)) return f;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`frame never matched:\n${frame() ?? ''}`);
}

const mounted: { unmount: () => void }[] = [];
afterEach(() => mounted.splice(0).forEach((m) => m.unmount()));

describe('panels', () => {
  it('Live tape shows time, symbol, side, exact price and quantity, newest first', () => {
    const trades = [
      demoTrade('BTCUSDT', 1, 'BUY', '97250.1', '0.00123', NOW),
      demoTrade('ETHUSDT', 2, 'SELL', '3412.5', '1.5', NOW + 1000n),
    ];
    const { lastFrame } = render(<LiveTape trades={trades} rows={10} />);
    const lines = lastFrame()!.split('\n');
    const eth = lines.findIndex((l) => l.includes('ETHUSDT'));
    const btc = lines.findIndex((l) => l.includes('BTCUSDT'));
    expect(eth).toBeLessThan(btc);
    expect(lines[eth]).toMatch(/08:26:40\.001\s+ETHUSDT\s+SELL\s+3412\.50\s+1\.5/);
    expect(lines[btc]).toMatch(/08:26:40\.000\s+BTCUSDT\s+BUY\s+97250\.10\s+0\.00123/);
    expect(lastFrame()).toContain('Live tape');
  });

  it('Per symbol shows last, change, msg/s, VWAP and a sparkline, marking the selection', () => {
    const view = new MarketView(SYMBOLS);
    view.ingest({ kind: 'trade', trade: demoTrade('BTCUSDT', 1, 'BUY', '97000', '1', NOW - 20n * S) });
    view.ingest({ kind: 'trade', trade: demoTrade('BTCUSDT', 2, 'SELL', '97100.5', '1', NOW - 2n * S) });
    const { lastFrame } = render(<PerSymbol figures={view.snapshot(NOW).symbols} selected="BTCUSDT" />);
    const line = lastFrame()!.split('\n').find((l) => l.includes('BTCUSDT'))!;
    expect(line).toMatch(/▶ BTCUSDT\s+97100\.50\s+\+100\.50 \(\+0\.104%\)\s+0\.1\s+97050\.25\s+[▁-█]+/);
    expect(lastFrame()!.split('\n').find((l) => l.includes('ETHUSDT'))).toMatch(/ETHUSDT\s+—\s+—/);
  });

  it('Pipeline health shows every figure, and says "not wired" or "waiting" instead of zeros', () => {
    const full = render(<HealthPanel health={health} now={NOW} />).lastFrame()!;
    expect(full).toMatch(/WebSocket\s+open\s+ws:\/\/127\.0\.0\.1:4000 \(2 streams\)/);
    expect(full).toMatch(/reconnects\s+2/);
    expect(full).toMatch(/gaps backfilled\s+17 trades/);
    expect(full).toMatch(/bus lag\s+42 records/);
    expect(full).toMatch(/rows in Iceberg\s+12,345/);
    expect(full).toMatch(/last commit\s+1\.5 s ago/);
    expect(full).toMatch(/freshness\s+receipt → queryable last 640 ms, p99 910 ms/);
    const bare: PipelineHealth = {
      ...health,
      connection: 'reconnecting',
      busLag: null,
      icebergRows: null,
      lastCommitAt: null,
      freshness: null,
      components: [{ name: 'stream', state: 'running' }, { name: 'bus', state: 'not wired' }, { name: 'iceberg', state: 'running' }],
    };
    const waiting = render(<HealthPanel health={bare} now={NOW} />).lastFrame()!;
    expect(waiting).toMatch(/WebSocket\s+reconnecting/);
    expect(waiting).toMatch(/bus lag\s+not wired/);
    expect(waiting).toMatch(/rows in Iceberg\s+waiting for first commit/);
    expect(waiting).toMatch(/last commit\s+waiting for first commit/);
  });

  it('Query pane shows exact 1-minute bars, newest first, or why there are none yet', () => {
    const answer: BarsAnswer = {
      kind: 'bars',
      source: 'Iceberg market_data.trades_v2',
      queriedAt: NOW,
      bars: [
        { start: NOW - 120n * S, open: parseScaled('97000.01'), high: parseScaled('97010'), low: parseScaled('96990.5'), close: parseScaled('97005'), volume: parseScaled('12.34567'), vwap: parseScaled('97001.234'), trades: 321 },
        { start: NOW - 60n * S, open: parseScaled('97005'), high: parseScaled('97020'), low: parseScaled('97001'), close: parseScaled('97019.99'), volume: parseScaled('3.2'), vwap: parseScaled('97010.5'), trades: 99 },
      ],
    };
    const frame = render(<QueryPane symbol="BTCUSDT" answer={answer} rows={5} now={NOW} />).lastFrame()!;
    const rows = frame.split('\n').filter((l) => /\d\d:\d\d\s+9/.test(l));
    expect(rows[0]).toMatch(/08:25\s+97005\.00\s+97020\.00\s+97001\.00\s+97019\.99\s+3\.2\s+97010\.50\s+99/);
    expect(rows[1]).toMatch(/08:24\s+97000\.01\s+97010\.00\s+96990\.50\s+97005\.00\s+12\.34567\s+97001\.23\s+321/);
    const waiting = render(<QueryPane symbol="BTCUSDT" answer={{ kind: 'waiting', reason: 'waiting for first commit' }} rows={5} now={NOW} />);
    expect(waiting.lastFrame()).toContain('waiting for first commit');
  });
});

describe('DemoApp', () => {
  function mount() {
    const view = new MarketView(SYMBOLS);
    view.ingest({ kind: 'trade', trade: demoTrade('BTCUSDT', 1, 'BUY', '97250.12', '0.5', NOW) });
    view.ingest({ kind: 'trade', trade: demoTrade('ETHUSDT', 2, 'SELL', '3412.34', '2', NOW) });
    const bars = vi.fn(async (symbol: string): Promise<BarsAnswer> => ({ kind: 'waiting', reason: `no bars for ${symbol} yet` }));
    const onQuit = vi.fn();
    let clock = NOW;
    const app = render(
      <DemoApp
        mode="replay"
        notice="live Binance is unreachable (ENOTFOUND): replaying the bundled SYNTHETIC sample session"
        symbols={SYMBOLS}
        view={view}
        health={() => health}
        bars={bars}
        onQuit={onQuit}
        startedAt={NOW - 5n * S}
        clock={() => (clock += 1000n)}
        refreshMs={20}
        barsRefreshMs={60_000}
      />,
    );
    mounted.push(app);
    return { ...app, bars, onQuit, view };
  }

  it('shows REPLAY, the notice and all four panels', async () => {
    const { lastFrame } = mount();
    const frame = await until(lastFrame, (f) => f.includes('no bars for BTCUSDT yet'));
    for (const text of ['REPLAY', 'SYNTHETIC sample', 'Live tape', 'Per symbol', 'Pipeline health', 'Query: 1-minute bars BTCUSDT', '97250.12', '3412.34', '←/→ symbol · p pause · q quit']) {
      expect(frame).toContain(text);
    }
  });

  it('→ and ← move the selection and the query follows it; p pauses; q quits', async () => {
    const { lastFrame, stdin, bars, onQuit, view } = mount();
    await until(lastFrame, (f) => f.includes('no bars for BTCUSDT yet'));
    stdin.write('\u001B[C'); // →
    await until(lastFrame, (f) => f.includes('Query: 1-minute bars ETHUSDT') && f.includes('no bars for ETHUSDT yet'));
    expect(lastFrame()!.split('\n').find((l) => l.includes('▶'))).toContain('ETHUSDT');
    stdin.write('\u001B[D'); // ←
    stdin.write('\u001B[D'); // ← wraps around
    await until(lastFrame, (f) => f.includes('Query: 1-minute bars BNBUSDT') && f.includes('no bars for BNBUSDT yet'));
    expect(bars.mock.calls.map((c) => c[0])).toEqual(expect.arrayContaining(['BTCUSDT', 'ETHUSDT', 'BNBUSDT']));

    stdin.write('p');
    await until(lastFrame, (f) => f.includes('PAUSED'));
    view.ingest({ kind: 'trade', trade: demoTrade('BTCUSDT', 3, 'BUY', '99999.99', '1', NOW + S) });
    await new Promise((r) => setTimeout(r, 100));
    expect(lastFrame()).not.toContain('99999.99'); // the display is frozen
    stdin.write('p');
    await until(lastFrame, (f) => f.includes('99999.99') && !f.includes('PAUSED'));

    expect(onQuit).not.toHaveBeenCalled();
    stdin.write('q');
    await until(() => String(onQuit.mock.calls.length), (n) => n === '1');
  });
});

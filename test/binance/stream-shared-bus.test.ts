/**
 * `k2 stream binance` without --brokers on a data dir whose bus a `k2 broker` serves: it
 * publishes there and still runs its Iceberg consumer, so the trades land in the data dir's
 * tables (before, it ran no consumer on a borrowed bus and the rows stayed in the topic).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { BinanceEmulator } from '../support/binance-emulator.js';
import { freePort, startBrokerProcess } from '../broker/support/k2-broker-process.js';

describe('k2 stream binance on the bus of a running k2 broker', () => {
  const dir = tempDir('k2-stream-shared-');
  afterAll(() => dir.cleanup());

  it('commits what it published to the data dir tables', async () => {
    const dataDir = join(dir.path, 'data');
    const emu = await BinanceEmulator.start({ symbols: ['BTCUSDT'] });
    const broker = await startBrokerProcess(dataDir, await freePort());
    const feed = setInterval(() => {
      if (emu.openConnections > 0) emu.emitTrades('BTCUSDT', 5);
    }, 20);
    try {
      const r = await runK2(
        ['--data-dir', dataDir, 'stream', 'binance', '--symbols', 'BTCUSDT', '--streams', 'trade', '--url', emu.wsUrl, '--rest-url', emu.restUrl, '--metrics-port', '0', '--max-messages', '50', '--json'],
        { timeoutMs: 90_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`the bus of k2 broker, pid ${broker.child.pid} (market.crypto.trades.binance, market.crypto.quotes.binance) -> Iceberg`);
      const summary = JSON.parse(r.stdout) as { symbols: Record<string, { trades: number }> };
      const published = summary.symbols.BTCUSDT!.trades;
      expect(published).toBeGreaterThanOrEqual(50);
      const q = await runK2(['--data-dir', dataDir, '--json', 'query', 'symbols', '--no-fresh']);
      expect(q.code, q.stderr).toBe(0);
      const row = (JSON.parse(q.stdout) as Array<{ symbol: string; trade_count: string | number }>).find((x) => x.symbol === 'BTCUSDT');
      expect(Number(row?.trade_count)).toBe(published);
    } finally {
      clearInterval(feed);
      await broker.stop();
      await emu.close();
    }
  }, 150_000);
});

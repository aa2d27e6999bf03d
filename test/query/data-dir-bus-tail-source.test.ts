import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveGlobalOptions } from '../../src/config/global-options.js';
import { startBus, RecordProducer, type BusSession } from '../../src/bus/index.js';
import type { BusEndpoints } from '../../src/bus/endpoints.js';
import { silentLogger } from '../../src/log/logger.js';
import { DataDirBusTailSource, NoBusRunningError } from '../../src/query/data-dir-bus-tail-source.js';
import { FRESH_NO_BUS, readFreshRows, type TailRecords } from '../../src/query/tail-source.js';
import { tempDir } from '../support/tmp.js';
import { trade } from '../support/v2-records.js';

const TRADES = 'market.crypto.trades.binance';

/** The trade ids a tail read returns. */
const idsOf = (r: TailRecords): string[] => (r.table === 'trades_v2' ? r.records.map((x) => x.trade_id) : []);

describe('DataDirBusTailSource: the tail of whichever process serves the data dir now', () => {
  const dirA = tempDir();
  const dirB = tempDir();
  let busA: BusSession;
  let busB: BusSession;

  beforeAll(async () => {
    // two brokers holding different trades, standing in for successive owners of one data dir
    busA = await startBus({ globals: resolveGlobalOptions({ dataDir: dirA.path }, {}), logger: silentLogger });
    busB = await startBus({ globals: resolveGlobalOptions({ dataDir: dirB.path }, {}), logger: silentLogger });
    for (const [bus, from] of [[busA, 1], [busB, 101]] as const) {
      const p = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
      await p.send(TRADES, 'trades', Array.from({ length: 5 }, (_, i) => trade({ id: from + i })));
      await p.close();
    }
  });
  afterAll(async () => {
    await busA.close();
    await busB.close();
    dirA.cleanup();
    dirB.cleanup();
  });

  it('follows the owner: none, then one broker, then another, then none again', async () => {
    let owner: BusEndpoints | null = null;
    const tail = new DataDirBusTailSource({ dataDir: '/unused', logger: silentLogger, findBroker: () => owner });
    try {
      await expect(tail.readTail('trades_v2', new Map())).rejects.toBeInstanceOf(NoBusRunningError);
      // the scan reports why it has no fresh rows, with the usual words
      expect((await readFreshRows(tail, 'trades_v2', undefined, null)).freshUnavailable).toBe(FRESH_NO_BUS);

      owner = busA.endpoints;
      expect(idsOf(await tail.readTail('trades_v2', new Map()))).toEqual(['BINANCE-1', 'BINANCE-2', 'BINANCE-3', 'BINANCE-4', 'BINANCE-5']);
      owner = busB.endpoints;
      expect(idsOf(await tail.readTail('trades_v2', new Map()))).toEqual(['BINANCE-101', 'BINANCE-102', 'BINANCE-103', 'BINANCE-104', 'BINANCE-105']);
      // offsets a snapshot already covers are not read again
      expect(idsOf(await tail.readTail('trades_v2', new Map([[TRADES, new Map([[0, 3n]])]])))).toEqual(['BINANCE-104', 'BINANCE-105']);

      owner = null;
      await expect(tail.readTail('trades_v2', new Map())).rejects.toThrow(FRESH_NO_BUS);
    } finally {
      await tail.close();
    }
  });

  it('turned off or time travel: not read, and the reason says which', async () => {
    const tail = new DataDirBusTailSource({ dataDir: '/unused', logger: silentLogger, findBroker: () => busA.endpoints });
    try {
      const off = await readFreshRows(tail, 'trades_v2', undefined, 'not read (turned off: committed rows only)');
      expect(off).toEqual({ tail: null, freshUnavailable: 'not read (turned off: committed rows only)' });
      const on = await readFreshRows(tail, 'trades_v2', undefined, null);
      expect(on.freshUnavailable).toBeNull();
      expect(on.tail?.records.length).toBe(5);
    } finally {
      await tail.close();
    }
  });
});

/**
 * Two consumers in one group (a second `k2 demo` on a data dir whose bus another process
 * serves): each owns some partitions. Catching up must count the other member's
 * partitions as done once the tables record them, and stopping must end a catch-up
 * that can never finish, or the process never exits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { resolveGlobalOptions } from '../../src/config/global-options.js';
import { startBus, RecordProducer, type BusSession } from '../../src/bus/index.js';
import { IcebergConsumer } from '../../src/consume/iceberg-consumer.js';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { silentLogger } from '../../src/log/logger.js';
import { tempDir } from '../support/tmp.js';
import { quote, trade } from '../support/v2-records.js';

const TRADES = 'market.crypto.trades.binance';
const QUOTES = 'market.crypto.quotes.binance';

async function ids(warehouse: string, table: 'trades_v2' | 'quotes_v2', column: string): Promise<string[]> {
  const files = (await IcebergTableReader.open(openCatalog(undefined, warehouse), table))?.dataFiles() ?? [];
  if (files.length === 0) return [];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const r = await conn.runAndReadAll(`SELECT ${column} AS id FROM read_parquet([${files.map((f) => `'${f.path}'`).join(',')}])`);
  const out = r.getRowObjectsJson().map((row) => String(row.id));
  conn.closeSync();
  db.closeSync();
  return out;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!cond()) throw new Error(`gave up waiting for ${what}`);
}

describe('catching up in a shared consumer group', () => {
  const dir = tempDir();
  let bus: BusSession;

  beforeAll(async () => {
    bus = await startBus({ globals: resolveGlobalOptions({ dataDir: dir.path }, {}), logger: silentLogger });
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
    await producer.send(TRADES, 'trades', Array.from({ length: 100 }, (_, i) => trade({ id: i + 1 })));
    await producer.send(QUOTES, 'quotes', Array.from({ length: 40 }, (_, i) => quote(i + 1)));
    await producer.close();
  });
  afterAll(async () => {
    await bus.close();
    dir.cleanup();
  });

  it("both members return once the tables hold everything, each writing only its own partition", async () => {
    const warehouse = join(dir.path, 'wh-both');
    const start = () =>
      IcebergConsumer.start({ endpoints: bus.endpoints, catalog: openCatalog(undefined, warehouse), dataDir: dir.path, logger: silentLogger, groupId: 'g-both', maxDelayMs: 200 });
    const a = await start();
    const b = await start();
    const [sa, sb] = await Promise.all([a.runUntilCaughtUp(), b.runUntilCaughtUp()]);
    await Promise.all([a.stop(), b.stop()]);
    // the two partitions were shared out; together they wrote each row once
    expect(sa.rows_committed.trades_v2 + sb.rows_committed.trades_v2).toBe(100);
    expect(sa.rows_committed.quotes_v2 + sb.rows_committed.quotes_v2).toBe(40);
    const trades = await ids(warehouse, 'trades_v2', 'trade_id');
    expect(trades.length).toBe(100);
    expect(new Set(trades).size).toBe(100);
    expect((await ids(warehouse, 'quotes_v2', 'source_sequence')).length).toBe(40);
  });

  it('stop() ends a catch-up that waits for a member that never commits', async () => {
    const warehouse = join(dir.path, 'wh-stuck');
    const opts = { endpoints: bus.endpoints, dataDir: dir.path, logger: silentLogger, groupId: 'g-stuck' };
    // A buffers and would commit only after ten minutes
    const a = await IcebergConsumer.start({ ...opts, catalog: openCatalog(undefined, warehouse), maxDelayMs: 600_000, maxRows: 1_000_000 });
    const b = await IcebergConsumer.start({ ...opts, catalog: openCatalog(undefined, warehouse), maxDelayMs: 200 });
    // B commits its own partition on its timer; A's never reaches the tables
    await until(() => b.getSummary().commits > 0, "B's first commit");
    const catchUp = b.runUntilCaughtUp();
    let returned = false;
    void catchUp.then(() => (returned = true));
    await new Promise((r) => setTimeout(r, 1500)); // three table checks
    expect(returned).toBe(false);
    const stopped = await b.stop();
    const s = await catchUp; // before the fix this never settled
    expect(s.commits).toBe(stopped.commits);
    expect(returned).toBe(true);
    await a.stop();
  });
});

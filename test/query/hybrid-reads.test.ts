/**
 * Hybrid reads over a real bus: the embedded Kafka-protocol broker and schema
 * registry, records produced through the bus, part of them committed to Iceberg with
 * the offsets they cover. Queries show every record exactly once, fresh or committed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordProducer, startBus, type BusSession } from '../../src/bus/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { BusTailSource } from '../../src/query/bus-tail-source.js';
import { IcebergDataFileSource } from '../../src/query/iceberg-data-file-source.js';
import { parseQuery, summaryQuerySchema, tradeQuerySchema } from '../../src/query/query-params.js';
import { QueryService } from '../../src/query/query-service.js';
import type { TailRecords, TailSource } from '../../src/query/tail-source.js';
import { runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { icebergFixture, type IcebergFixture } from './support/iceberg-fixture.js';
import { INSTRUMENTS, localDay, referenceOhlcv, syntheticTrades } from './support/synthetic-trades.js';

const TOPIC = 'market.equities.trades.asx';

describe('hybrid reads: Iceberg + bus tail', () => {
  const tmp = tempDir('k2-hybrid-');
  let fx: IcebergFixture;
  let bus: BusSession;
  let trades: TradeV2[];
  let committedSnapshot: bigint;

  beforeAll(async () => {
    fx = await icebergFixture(tmp.path);
    bus = await startBus({ globals: { dataDir: tmp.path, brokers: null, logLevel: 'silent', json: false }, logger: silentLogger });
    trades = syntheticTrades({ dates: ['2014-03-10'], perDay: 150, instruments: INSTRUMENTS.filter((i) => i.exchange === 'ASX') });
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
    await producer.send(TOPIC, 'trades', trades);
    await producer.close();
    // The consumer committed the first 200 offsets; the rest are only on the bus.
    committedSnapshot = await fx.appendTrades(trades.slice(0, 200), { 'k2.offsets': JSON.stringify({ [TOPIC]: { '0': 200 } }) });
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    await fx?.close();
    tmp.cleanup();
  });

  it('shows uncommitted rows exactly once, next to the committed ones', async () => {
    const service = new QueryService({ files: new IcebergDataFileSource(fx.catalog), tail: new BusTailSource({ endpoints: bus.endpoints, logger: silentLogger }) });
    const r = await service.trades(parseQuery(tradeQuerySchema, { limit: '100000' }));
    expect(r.plans[0]!.freshRecords).toBe(trades.length - 200);
    const ids = r.rows.map((x) => String(x.trade_id));
    expect(ids.length).toBe(trades.length);
    expect(new Set(ids).size).toBe(trades.length);
    expect(new Set(ids)).toEqual(new Set(trades.map((t) => t.trade_id)));

    // The same filters apply to fresh rows.
    const bhp = await service.trades(parseQuery(tradeQuerySchema, { symbol: 'BHP', side: 'SELL', limit: '100000' }));
    expect(bhp.rows.length).toBe(trades.filter((t) => t.symbol === 'BHP' && t.side === 'SELL').length);

    // Aggregates include fresh rows exactly once.
    const s = await service.summary(parseQuery(summaryQuerySchema, { symbol: 'CBA', date: '2014-03-10' }));
    const day = localDay('2014-03-10', 'Australia/Sydney');
    const ref = referenceOhlcv(trades.filter((t) => t.symbol === 'CBA' && t.timestamp >= day.from && t.timestamp < day.to))!;
    expect(s.rows[0]!.volume).toBe(ref.volume);
    expect(s.rows[0]!.trade_count).toBe(ref.trade_count);
    expect(s.rows[0]!.close).toBe(ref.close);

    // Time travel and --no-fresh read committed rows only.
    const old = await service.trades(parseQuery(tradeQuerySchema, { limit: '100000', snapshot: committedSnapshot.toString() }));
    expect(old.rows.length).toBe(200);
    const committedOnly = await service.trades(parseQuery(tradeQuerySchema, { limit: '100000', fresh: false }));
    expect(committedOnly.rows.length).toBe(200);
  });

  it('never duplicates a record that is both committed and in the tail', async () => {
    // A tail that overlaps the snapshot (e.g. offsets recorded conservatively) and repeats a record.
    const overlap: TailSource = {
      readTail: async (table): Promise<TailRecords> =>
        table === 'trades_v2' ? { table, records: [...trades.slice(150), trades[299]!] } : { table: 'quotes_v2', records: [] },
      close: async () => undefined,
    };
    const service = new QueryService({ files: new IcebergDataFileSource(fx.catalog), tail: overlap });
    const r = await service.trades(parseQuery(tradeQuerySchema, { limit: '100000' }));
    const ids = r.rows.map((x) => String(x.trade_id));
    expect(ids.length).toBe(trades.length);
    expect(new Set(ids).size).toBe(trades.length);
  });

  it('does not read a tail larger than --fresh-max-records, and says why (a consumer down or far behind)', async () => {
    const fresh = trades.length - 200;
    const small = new QueryService({ files: new IcebergDataFileSource(fx.catalog), tail: new BusTailSource({ endpoints: bus.endpoints, logger: silentLogger, maxRecords: fresh - 1 }) });
    const r = await small.trades(parseQuery(tradeQuerySchema, { limit: '100000' }));
    expect(r.rows.length).toBe(200); // the committed rows only
    expect(r.plans[0]!.freshUnavailable).toBe(
      `not read (${TOPIC} holds ${fresh} records not committed yet, more than the ${fresh - 1} a query reads (--fresh-max-records): committed rows only; is a consumer running?)`,
    );
    const exact = new QueryService({ files: new IcebergDataFileSource(fx.catalog), tail: new BusTailSource({ endpoints: bus.endpoints, logger: silentLogger, maxRecords: fresh }) });
    expect((await exact.trades(parseQuery(tradeQuerySchema, { limit: '100000' }))).rows.length).toBe(trades.length);
    const cli = await runK2(['--data-dir', tmp.path, '--brokers', bus.endpoints.brokers.join(','), 'query', '--registry', bus.endpoints.registryUrl, '--fresh-max-records', '5', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as unknown[]).length).toBe(100); // the default --limit, from the committed rows
  });

  it('the real CLI reads fresh rows with --brokers', async () => {
    const res = await runK2(['--data-dir', tmp.path, '--brokers', bus.endpoints.brokers.join(','), 'query', '--limit', '100000', '--registry', bus.endpoints.registryUrl, '--json']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const rows = JSON.parse(res.stdout) as { trade_id: string }[];
    expect(rows.length).toBe(trades.length);
    expect(new Set(rows.map((r) => r.trade_id)).size).toBe(trades.length);
  });
});

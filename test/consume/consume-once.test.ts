import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { resolveGlobalOptions } from '../../src/config/global-options.js';
import avsc from 'avsc';
import { startBus, RecordProducer, SchemaRegistryClient, type BusSession } from '../../src/bus/index.js';
import { v2SchemaString } from '../../src/schema/v2-schemas.js';
import { IcebergConsumer } from '../../src/consume/iceberg-consumer.js';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { silentLogger } from '../../src/log/logger.js';
import { parseOffsets } from '../../src/consume/offsets.js';
import { tempDir } from '../support/tmp.js';
import { quote, trade } from '../support/v2-records.js';

const TRADES = 'market.crypto.trades.binance';
const QUOTES = 'market.crypto.quotes.binance';

async function tableRows(path: string, table: string): Promise<Array<Record<string, unknown>>> {
  const files = (await IcebergTableReader.open(openCatalog(undefined, path), table as 'trades_v2'))?.dataFiles() ?? [];
  if (files.length === 0) return [];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const list = files.map((f) => `'${f.path}'`).join(',');
  const r = await conn.runAndReadAll(`SELECT * FROM read_parquet([${list}]) ORDER BY trade_id`);
  const rows = r.getRowObjectsJson() as Array<Record<string, unknown>>;
  conn.closeSync();
  db.closeSync();
  return rows;
}

describe('k2 consume --once (embedded bus, real Iceberg)', () => {
  const dir = tempDir();
  let bus: BusSession;
  const warehouse = join(dir.path, 'warehouse');

  beforeAll(async () => {
    bus = await startBus({ globals: resolveGlobalOptions({ dataDir: dir.path }, {}), logger: silentLogger });
  });
  afterAll(async () => {
    await bus.close();
    dir.cleanup();
  });

  it('lands every record exactly once, records offsets, and dead-letters garbage', async () => {
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
    const trades = Array.from({ length: 500 }, (_, i) => trade({ id: i + 1, symbol: i % 2 ? 'BTCUSDT' : 'ETHUSDT', price: `${100 + i}.12345678` }));
    await producer.send(TRADES, 'trades', trades.slice(0, 300));
    // a duplicate of an already-sent trade (same id), and garbage bytes on the topic
    await producer.send(TRADES, 'trades', [trades[10]!]);
    const kafka = new Kafka({ brokers: bus.endpoints.brokers, logLevel: logLevel.NOTHING });
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic: TRADES, messages: [{ key: 'BTCUSDT', value: Buffer.from('not avro at all') }] });
    await raw.disconnect();
    await producer.send(TRADES, 'trades', trades.slice(300));
    await producer.send(QUOTES, 'quotes', Array.from({ length: 50 }, (_, i) => quote(i + 1)));
    await producer.close();

    const catalog = openCatalog(undefined, warehouse);
    const consumer = await IcebergConsumer.start({ endpoints: bus.endpoints, catalog, dataDir: dir.path, logger: silentLogger, maxRows: 120, maxDelayMs: 200 });
    await consumer.runUntilCaughtUp();
    const summary = await consumer.stop();
    expect(summary.rows_committed.trades_v2).toBe(500);
    expect(summary.rows_committed.quotes_v2).toBe(50);
    expect(summary.dead_letters).toBe(1);
    expect(summary.duplicates_dropped).toBe(1);

    const rows = await tableRows(warehouse, 'trades_v2');
    expect(rows.length).toBe(500);
    expect(new Set(rows.map((r) => r.trade_id)).size).toBe(500);
    const t42 = rows.find((r) => r.trade_id === 'BINANCE-42')!;
    expect(t42.price).toBe('141.12345678');

    // dead letter has topic, partition, offset, error and the payload
    const dlqDir = join(dir.path, 'dead-letter');
    const dlq = readdirSync(dlqDir).map((f) => readFileSync(join(dlqDir, f), 'utf8')).join('');
    const entry = JSON.parse(dlq.trim().split('\n')[0]!) as Record<string, string>;
    expect(entry.topic).toBe(TRADES);
    expect(entry.offset).toBe('301');
    expect(Buffer.from(entry.payload_base64!, 'base64').toString()).toBe('not avro at all');
    expect(entry.error).toMatch(/magic|wire|decode/i);

    // the snapshot records the next offset of the partition: 300 + 1 dup + 1 garbage + 200 = 502
    const reader = await IcebergTableReader.open(catalog, 'trades_v2');
    const offsets = parseOffsets(reader!.latestSnapshotProperty('k2.offsets'));
    expect(offsets.get(TRADES)?.get(0)).toBe(502n);
    await catalog.close();

    // a second run finds nothing new and adds nothing
    const catalog2 = openCatalog(undefined, warehouse);
    const again = await IcebergConsumer.start({ endpoints: bus.endpoints, catalog: catalog2, dataDir: dir.path, logger: silentLogger });
    await again.runUntilCaughtUp();
    const s2 = await again.stop();
    expect(s2.rows_committed.trades_v2).toBe(0);
    expect((await tableRows(warehouse, 'trades_v2')).length).toBe(500);
    await catalog2.close();
  });

  it('replayed records already in the table are dropped (same file loaded twice)', async () => {
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
    // the same 100 trades again, as a reload would publish them
    await producer.send(TRADES, 'trades', Array.from({ length: 100 }, (_, i) => trade({ id: i + 1, symbol: i % 2 ? 'BTCUSDT' : 'ETHUSDT', price: `${100 + i}.12345678` })));
    await producer.close();
    const catalog = openCatalog(undefined, warehouse);
    const consumer = await IcebergConsumer.start({ endpoints: bus.endpoints, catalog, dataDir: dir.path, logger: silentLogger });
    await consumer.runUntilCaughtUp();
    const s = await consumer.stop();
    expect(s.rows_committed.trades_v2).toBe(0);
    expect(s.duplicates_dropped).toBe(100);
    expect((await tableRows(warehouse, 'trades_v2')).length).toBe(500);
    await catalog.close();
  });

  it('dead-letters v2 records the table cannot hold and bodies that announce impossible item counts, and keeps going', async () => {
    const registry = new SchemaRegistryClient(bus.endpoints.registryUrl);
    const schemaId = await registry.register(`${TRADES}-value`, v2SchemaString('trades'));
    // the v2 trade schema with plain bytes and longs: lets the test write what k2's own encoder refuses
    const plain = JSON.parse(v2SchemaString('trades')) as { fields: { name: string; type: unknown }[] };
    for (const f of plain.fields) {
      if (f.name === 'price' || f.name === 'quantity') f.type = 'bytes';
      if (f.name === 'timestamp' || f.name === 'ingestion_timestamp') f.type = 'long';
    }
    const raw = avsc.Type.forSchema(plain as avsc.Schema);
    const base = trade({ id: 9001 });
    const framed = (body: Buffer): Buffer => {
      const out = Buffer.concat([Buffer.alloc(5), body]);
      out.writeUInt32BE(schemaId, 1);
      return out;
    };
    const record = (id: number, price: Buffer): Buffer =>
      raw.toBuffer({ ...base, trade_id: `BINANCE-${id}`, timestamp: Number(base.timestamp), ingestion_timestamp: Number(base.ingestion_timestamp), price, quantity: Buffer.from([1]), source_sequence: null });
    const tooWide = record(9001, Buffer.from('0de0b6b3a7640000', 'hex')); // 10^18 units: beyond decimal(18, 8)
    const fine = record(9002, Buffer.from([0x01, 0x00])); // 256 units
    // trade_conditions ["XT"] with its count rewritten to 20,000,000 items
    const withList = raw.toBuffer({ ...base, trade_id: 'BINANCE-9003', timestamp: Number(base.timestamp), ingestion_timestamp: Number(base.ingestion_timestamp), price: Buffer.from([1]), quantity: Buffer.from([1]), source_sequence: null, trade_conditions: ['XT'] });
    const at = withList.indexOf(Buffer.from([0x02, 0x04, 0x58, 0x54, 0x00]));
    expect(at).toBeGreaterThan(0);
    const huge = Buffer.concat([withList.subarray(0, at), Buffer.from([0x80, 0xb4, 0x89, 0x13]), withList.subarray(at + 1)]);
    const kafka = new Kafka({ brokers: bus.endpoints.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TRADES, messages: [tooWide, huge, fine].map((b) => ({ key: 'BTCUSDT', value: framed(b) })) });
    await producer.disconnect();

    const catalog = openCatalog(undefined, warehouse);
    const consumer = await IcebergConsumer.start({ endpoints: bus.endpoints, catalog, dataDir: dir.path, logger: silentLogger });
    await consumer.runUntilCaughtUp();
    const s = await consumer.stop();
    expect(s.dead_letters).toBe(2);
    expect(s.rows_committed.trades_v2).toBe(1);
    const rows = await tableRows(warehouse, 'trades_v2');
    expect(rows.find((r) => r.trade_id === 'BINANCE-9002')?.price).toBe('0.00000256');
    expect(rows.some((r) => r.trade_id === 'BINANCE-9001' || r.trade_id === 'BINANCE-9003')).toBe(false);
    const dlq = readFileSync(s.dead_letter_file!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(dlq.map((e) => e.error)).toEqual([expect.stringMatching(/price value 1000000000000000000 is out of range for decimal\(18, 8\)/), expect.stringMatching(/announces 20000000 items/)]);
    await catalog.close();
  });
});


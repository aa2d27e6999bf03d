import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusAdmin } from '../../src/bus/bus-admin.js';
import { BusConsumer } from '../../src/bus/bus-consumer.js';
import type { BusBatch } from '../../src/bus/bus-message.js';
import { startBus, type BusSession } from '../../src/bus/bus-session.js';
import { resolveRegistryUrl } from '../../src/bus/endpoints.js';
import { UndecodableRecordError } from '../../src/bus/errors.js';
import { RecordDecoder } from '../../src/bus/record-decoder.js';
import { RecordProducer } from '../../src/bus/record-producer.js';
import { SchemaRegistryClient } from '../../src/bus/schema-registry-client.js';
import { publishSealed, sealTagged } from '../../src/bus/tagged-record-publisher.js';
import { readTopicTail } from '../../src/bus/topic-tail-reader.js';
import type { GlobalOptions } from '../../src/config/global-options.js';
import { ConfigError } from '../../src/model/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { avroType, schemaText } from '../../src/schema/v2-schemas.js';
import { encodeWire } from '../../src/schema/wire-format.js';
import { tempDir } from '../support/tmp.js';
import { sampleTrades } from './support/sample-trades.js';

const dir = tempDir('k2-bus-');
const globals: GlobalOptions = { dataDir: dir.path, brokers: null, logLevel: 'silent', json: false };
const TOPIC = 'market.equities.trades.asx';
let bus: BusSession;
let trades: TradeV2[];

beforeAll(async () => {
  bus = await startBus({ globals, logger: silentLogger, defaultPartitions: 3 });
  trades = sampleTrades(3000);
  const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: bus.embedded, maxBatchRecords: 700 });
  const summary = await producer.send(TOPIC, 'trades', trades);
  await producer.close();
  expect(summary.records).toBe(3000);
});
afterAll(async () => {
  await bus.close();
  dir.cleanup();
});

describe('bus session', () => {
  it('starts the embedded broker and registry when no brokers are given', () => {
    expect(bus.embedded).toBe(true);
    expect(bus.endpoints.brokers[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(bus.endpoints.registryUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('targets external brokers and a registry from flag, env or default', async () => {
    const ext = await startBus({ globals: { ...globals, brokers: ['kafka:9092'] }, registryUrl: 'http://registry:8081/', logger: silentLogger });
    expect(ext).toMatchObject({ embedded: false, endpoints: { brokers: ['kafka:9092'], registryUrl: 'http://registry:8081' } });
    await ext.close();
    expect(resolveRegistryUrl(undefined, { K2_REGISTRY_URL: 'http://sr:8085' })).toBe('http://sr:8085');
    expect(resolveRegistryUrl(undefined, {})).toBe('http://localhost:8081');
    expect(() => resolveRegistryUrl('not a url', {})).toThrow(ConfigError);
  });
});

describe('publish path', () => {
  it('registers the v2 schema under {topic}-value and keys records by symbol across partitions', async () => {
    const registry = new SchemaRegistryClient(bus.endpoints.registryUrl);
    const latest = await registry.latest(`${TOPIC}-value`);
    expect(latest?.version).toBe(1);
    const admin = await BusAdmin.connect(bus.endpoints, silentLogger);
    expect(await admin.listTopics()).toContain(TOPIC);
    const offsets = await admin.partitionOffsets(TOPIC);
    expect(offsets).toHaveLength(3);
    expect(offsets.reduce((s, o) => s + o.latest - o.earliest, 0n)).toBe(3000n);
    await admin.close();
  });

  it('decodes every record exactly (decimals, micros, nulls, maps) and keys by symbol', async () => {
    const tails = await readTopicTail(bus.endpoints, { topic: TOPIC, logger: silentLogger });
    const decoder = new RecordDecoder(new SchemaRegistryClient(bus.endpoints.registryUrl));
    const byId = new Map(trades.map((t) => [t.message_id, t]));
    let n = 0;
    for (const tail of tails) {
      const symbols = new Set<string>();
      for (const m of tail.messages) {
        const rec = await decoder.decode('trades', m.value);
        expect(rec).toEqual(byId.get(rec.message_id));
        expect(m.key!.toString()).toBe(rec.symbol);
        symbols.add(rec.symbol);
        n++;
      }
      for (const s of symbols) for (const other of tails) if (other !== tail) expect(other.messages.some((m) => m.key!.toString() === s)).toBe(false);
    }
    expect(n).toBe(3000);
  });

  it('encodes now once the schema id is known; sealed batches publish in order and decode the same', async () => {
    const topic = 'market.crypto.trades.sealed';
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
    const first = sampleTrades(50, ['SEAL']);
    const second = sampleTrades(30, ['SEAL']);
    // not registered yet: sealing keeps the records, publishing encodes them
    const early = sealTagged(producer, { trades: topic, quotes: 'market.crypto.quotes.sealed' }, first.map((record) => ({ kind: 'trades', record })));
    expect('records' in early.trades).toBe(true);
    await producer.prepare(topic, 'trades');
    const late = sealTagged(producer, { trades: topic, quotes: 'market.crypto.quotes.sealed' }, second.map((record) => ({ kind: 'trades', record })));
    expect('packed' in late.trades).toBe(true);
    const sent = await publishSealed(producer, { trades: topic, quotes: 'market.crypto.quotes.sealed' }, [early, late]);
    await producer.close();
    expect(sent).toBe(80);
    const tails = await readTopicTail(bus.endpoints, { topic, logger: silentLogger });
    const decoder = new RecordDecoder(new SchemaRegistryClient(bus.endpoints.registryUrl));
    const got = await Promise.all(tails.flatMap((t) => t.messages).map((m) => decoder.decode('trades', m.value)));
    expect(got).toEqual([...first, ...second]);
  });

  it('publishes gzip-compressed batches that decode the same', async () => {
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, compression: 'gzip' });
    const batch = sampleTrades(200, ['ZIP']);
    await producer.send('market.equities.trades.gz', 'trades', batch);
    await producer.close();
    const tails = await readTopicTail(bus.endpoints, { topic: 'market.equities.trades.gz', logger: silentLogger });
    const decoder = new RecordDecoder(new SchemaRegistryClient(bus.endpoints.registryUrl));
    const got = await Promise.all(tails.flatMap((t) => t.messages).map((m) => decoder.decode('trades', m.value)));
    expect(got).toEqual(batch);
  });

  it('cuts sends by bytes as well as records: 12 MB of wide records pass the 8 MiB broker limit', async () => {
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
    // 40 valid trades of ~300 KB each (a long vendor_data value), one send: 12 MB, under the 20000-record cut
    const wide = sampleTrades(40, ['WIDE']).map((t, i) => ({ ...t, vendor_data: { ...(t.vendor_data ?? {}), buyer_id: `${i}:`.padEnd(300_000, 'x') } }));
    const summary = await producer.send('market.equities.trades.wide', 'trades', wide);
    await producer.close();
    expect(summary.records).toBe(40);
    const tails = await readTopicTail(bus.endpoints, { topic: 'market.equities.trades.wide', logger: silentLogger });
    const decoder = new RecordDecoder(new SchemaRegistryClient(bus.endpoints.registryUrl));
    const got = await Promise.all(tails.flatMap((t) => t.messages).map((m) => decoder.decode('trades', m.value)));
    expect(got.length).toBe(40);
    expect(new Set(got.map((t) => t.vendor_data?.buyer_id?.split(':')[0])).size).toBe(40);
  });
});

describe('RecordDecoder', () => {
  it('resolves an older writer schema to the current v2 reader', async () => {
    const registry = new SchemaRegistryClient(bus.endpoints.registryUrl);
    const full = JSON.parse(schemaText('trades')) as { fields: Array<{ name: string }> };
    const older = { ...full, fields: full.fields.filter((f) => f.name !== 'vendor_data') };
    const id = await registry.register('legacy-value', JSON.stringify(older));
    const t = { ...sampleTrades(1)[0]! };
    const { vendor_data: _drop, ...withoutVendor } = t;
    const msg = encodeWire(avroType(JSON.stringify(older)), id, withoutVendor);
    const rec = await new RecordDecoder(registry).decode('trades', msg);
    expect(rec).toEqual({ ...t, vendor_data: null });
    // the v2 schema is a BACKWARD-compatible successor in the same subject
    await expect(registry.register('legacy-value', JSON.stringify(full))).resolves.toBeGreaterThan(0);
  });

  it('reports undecodable payloads with a typed reason for dead-lettering', async () => {
    const registry = new SchemaRegistryClient(bus.endpoints.registryUrl);
    const decoder = new RecordDecoder(registry);
    const other = await registry.register('other-value', JSON.stringify({ type: 'record', name: 'Other', fields: [{ name: 'x', type: 'int' }] }));
    const cases: Array<[Buffer | null, string]> = [
      [null, 'null-value'],
      [Buffer.from([1, 2, 3]), 'wire-format'],
      [Buffer.from([0, 0, 0, 3, 231, 1]), 'unknown-schema'],
      [encodeWire(avroType({ type: 'record', name: 'Other', fields: [{ name: 'x', type: 'int' }] }), other, { x: 1 }), 'incompatible-schema'],
      [Buffer.from([0, 0, 0, 0, 1, 0xff, 0xff]), 'avro'],
    ];
    const outcomes = await decoder.decodeAll('trades', cases.map((c) => c[0]));
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.reason))).toEqual(cases.map((c) => c[1]));
    await expect(decoder.decode('trades', null)).rejects.toBeInstanceOf(UndecodableRecordError);
  });
});

describe('BusConsumer and BusAdmin', () => {
  it('delivers typed batches, lets onAssigned seek, commits, and reports lag', async () => {
    const batches: BusBatch[] = [];
    let assigned: string[] = [];
    let consumer!: BusConsumer;
    consumer = await BusConsumer.connect(bus.endpoints, {
      groupId: 'iceberg-writer',
      topics: /^market\.equities\.trades\.asx$/,
      logger: silentLogger,
      maxWaitMs: 100,
      onAssigned: (tps) => {
        assigned = tps.map((tp) => `${tp.topic}/${tp.partition}`).sort();
        consumer.seek({ topic: TOPIC, partition: 0, offset: 10n });
      },
    });
    const admin = await BusAdmin.connect(bus.endpoints, silentLogger);
    const ends = await admin.partitionOffsets(TOPIC);
    const want = ends.reduce((s, o) => s + Number(o.latest), 0) - 10;
    let got = 0;
    await new Promise<void>((resolve) => {
      void consumer.run(async (batch) => {
        batches.push(batch);
        got += batch.messages.length;
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: batch.messages.at(-1)!.offset + 1n }]);
        if (got >= want) resolve();
      });
    });
    expect(assigned).toEqual([`${TOPIC}/0`, `${TOPIC}/1`, `${TOPIC}/2`]);
    expect(got).toBe(want);
    const p0 = batches.filter((b) => b.partition === 0).flatMap((b) => b.messages.map((m) => m.offset));
    expect(p0[0]).toBe(10n);
    expect(typeof batches[0]!.highWatermark).toBe('bigint');
    const lag = await admin.groupLag('iceberg-writer', [TOPIC]);
    expect(lag.map((l) => l.lag)).toEqual([0n, 0n, 0n]);
    await consumer.disconnect();
    await admin.close();
  });

  it('reads a topic tail from given offsets up to the high watermark and stops', async () => {
    const tails = await readTopicTail(bus.endpoints, { topic: TOPIC, startOffsets: new Map([[1, 5n]]), logger: silentLogger });
    const admin = await BusAdmin.connect(bus.endpoints, silentLogger);
    const ends = await admin.partitionOffsets(TOPIC);
    await admin.close();
    for (const t of tails) {
      const start = t.partition === 1 ? 5n : 0n;
      expect(t.highWatermark).toBe(ends[t.partition]!.latest);
      expect(t.messages.map((m) => m.offset)).toEqual(Array.from({ length: Number(t.highWatermark - start) }, (_, i) => start + BigInt(i)));
    }
    expect(await readTopicTail(bus.endpoints, { topic: 'no.such.topic', logger: silentLogger })).toEqual([]);
  });
});

describe('one broker per data dir', () => {
  it('refuses a second broker on the same data dir and lets a second bus session reuse the first', async () => {
    const { EmbeddedBroker } = await import('../../src/broker/embedded-broker.js');
    const { BrokerLockedError, readLiveLock } = await import('../../src/broker/data-dir-lock.js');
    await expect(EmbeddedBroker.start({ dataDir: dir.path, port: 0, logger: silentLogger })).rejects.toBeInstanceOf(BrokerLockedError);
    const lock = readLiveLock(`${dir.path}/broker`);
    expect(lock).toMatchObject({ pid: process.pid, kafka: bus.endpoints.brokers[0], registry: bus.endpoints.registryUrl });
  });

  it('replaces a stale lock that carries the pid of this process (pid reuse after a container restart)', async () => {
    const { DataDirLock, lockPath, readLiveLock } = await import('../../src/broker/data-dir-lock.js');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const other = tempDir('k2-lock-');
    try {
      const brokerDir = `${other.path}/broker`;
      mkdirSync(brokerDir, { recursive: true });
      // what a killed earlier incarnation with our pid left behind (old layout without a token, and with one)
      for (const stale of [{ pid: process.pid, kafka: '127.0.0.1:1', registry: null }, { pid: process.pid, kafka: '127.0.0.1:1', registry: null, token: 'dead' }]) {
        writeFileSync(lockPath(brokerDir), JSON.stringify(stale));
        expect(readLiveLock(brokerDir)).toBeNull();
        const lock = DataDirLock.acquire(brokerDir, '127.0.0.1:2');
        expect(readLiveLock(brokerDir)).toMatchObject({ pid: process.pid, kafka: '127.0.0.1:2' });
        lock.release();
      }
    } finally {
      other.cleanup();
    }
  });

  it('replaces a lock whose pid now belongs to another live process, and keeps one whose owner still runs', async () => {
    const { DataDirLock, lockPath, processStartTime, readLiveLock } = await import('../../src/broker/data-dir-lock.js');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { spawn } = await import('node:child_process');
    const other = tempDir('k2-lock-');
    // some other program that got the pid the lock names
    const stranger = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const started = processStartTime(stranger.pid!);
      expect(started).toMatch(/^\d+$/); // Linux /proc
      const brokerDir = `${other.path}/broker`;
      mkdirSync(brokerDir, { recursive: true });
      // its real start time: that is the owner, alive
      writeFileSync(lockPath(brokerDir), JSON.stringify({ pid: stranger.pid, kafka: '127.0.0.1:1', registry: null, token: 't', started }));
      expect(readLiveLock(brokerDir)).toMatchObject({ pid: stranger.pid });
      // another start time: the owner died and its pid was reused
      writeFileSync(lockPath(brokerDir), JSON.stringify({ pid: stranger.pid, kafka: '127.0.0.1:1', registry: null, token: 't', started: String(Number(started) - 1) }));
      expect(readLiveLock(brokerDir)).toBeNull();
      const lock = DataDirLock.acquire(brokerDir, '127.0.0.1:2', 'k2 broker');
      expect(readLiveLock(brokerDir)).toMatchObject({ pid: process.pid, kafka: '127.0.0.1:2', owner: 'k2 broker', started: processStartTime(process.pid) });
      lock.release();
    } finally {
      stranger.kill('SIGKILL');
      other.cleanup();
    }
  });

  it('a lock without a start time (written by an older k2): live while a Node.js process has its pid, stale when another program has it', async () => {
    const { lockPath, processMayRunNode, readLiveLock } = await import('../../src/broker/data-dir-lock.js');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { spawn } = await import('node:child_process');
    const other = tempDir('k2-lock-');
    const node = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const brokerDir = `${other.path}/broker`;
      mkdirSync(brokerDir, { recursive: true });
      const oldLock = (pid: number): void => writeFileSync(lockPath(brokerDir), JSON.stringify({ pid, kafka: '127.0.0.1:1', registry: null }));
      expect(processMayRunNode(node.pid!)).toBe(true);
      expect(processMayRunNode(sleeper.pid!)).toBe(false);
      oldLock(node.pid!);
      expect(readLiveLock(brokerDir)).toMatchObject({ pid: node.pid });
      // the k2 process that wrote it is gone and `sleep` got its pid
      oldLock(sleeper.pid!);
      expect(readLiveLock(brokerDir)).toBeNull();
    } finally {
      node.kill('SIGKILL');
      sleeper.kill('SIGKILL');
      other.cleanup();
    }
  });
});

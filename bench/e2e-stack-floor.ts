/**
 * The stack floor of a run that went through the bus into Iceberg (`k2 load asx`, and
 * `k2 stream binance` into Iceberg): what the parts the run cannot do without cost on this
 * machine, for the very records and rows of that run, with none of k2's own work.
 *
 *  - kafkajs consume: a k2 BusConsumer (kafkajs with k2's fetch path) reads the load's topic
 *    from a copy of its broker data, touching every value (copied into one buffer);
 *  - kafkajs produce: a k2 RecordProducer (idempotent, acks=all, 20k records per request)
 *    sends those same key/value bytes to another topic: no CSV, no Avro encoding;
 *  - the broker runs as a `k2 broker` child process, so its CPU is counted apart, and the bound
 *    is given with it and without it (a broker that cost nothing);
 *  - DuckDB: the table's rows, read back into an in-memory table beforehand, written once to
 *    zstd Parquet by COPY (the least a Parquet writer of these 15 columns does; k2 also sorts,
 *    partitions and collects stats).
 *
 * The bound: no implementation that moves the rows through kafkajs and writes them with DuckDB
 * can use less than (consume + produce client CPU + broker CPU + DuckDB CPU), so on `cores` cores
 * its wall time is at least that sum / cores. Compared with the DuckDB-only floor of the same run, that bounds
 * the ratios issue 4 asks for.
 */
import { cpSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BusConsumer } from '../src/bus/bus-consumer.js';
import { RecordProducer, type WireMessage } from '../src/bus/record-producer.js';
import { silentLogger } from '../src/log/logger.js';
import { startChildBroker } from './lib/child-broker.js';
import { cpuSecondsOfPid, ownCpuSeconds } from './lib/process-cpu.js';

export interface StackFloor {
  rows: number;
  /** CPU-seconds of the kafkajs client, consuming every record */
  consumeCpuS: number;
  /** CPU-seconds of the kafkajs client, producing every record again */
  produceCpuS: number;
  /** CPU-seconds of the broker for both, or null where /proc is not readable */
  brokerCpuS: number | null;
  /** CPU-seconds and wall seconds of DuckDB writing the rows to zstd Parquet */
  duckdbCpuS: number;
  duckdbWallS: number;
  cores: number;
  /** The least wall time of any load through this stack: (consume + produce + broker + DuckDB CPU) / cores */
  minWallS: number;
  /** ... and the most rows per CPU-second */
  maxRowsPerCpuS: number;
  /** The same two without the broker's CPU (a broker that cost nothing) */
  minWallFreeBrokerS: number;
  maxRowsPerCpuFreeBrokerS: number;
}

/** The load's topic (the default source of measureStackFloor). */
export const ASX_TRADES_TOPIC = 'market.equities.trades.asx';
const REPRODUCED_TOPIC = 'market.equities.trades.floor';

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

/** Reads every record of the load's topic; returns the client's CPU and the records' key/value bytes. */
async function consumeAll(bootstrap: string, topic: string, rows: number, logBytes: number): Promise<{ cpuS: number; messages: WireMessage[] }> {
  const values = Buffer.allocUnsafe(logBytes);
  const starts = new Int32Array(rows + 1);
  let key: Buffer | null = null;
  let n = 0;
  let at = 0;
  const c0 = ownCpuSeconds();
  const consumer = await BusConsumer.connect({ brokers: [bootstrap], registryUrl: 'http://127.0.0.1:1' }, { groupId: 'stack-floor', topics: [topic], logger: silentLogger, fromBeginning: true, maxWaitMs: 100 });
  await new Promise<void>((resolve, reject) => {
    // the topic holds at least `rows` records (the table holds that many rows); never wait forever
    let seen = -1;
    const watchdog = setInterval(() => {
      if (n === seen) fail(new Error(`stack floor: consumed ${n} of ${rows} records, none in the last 30 s`));
      seen = n;
    }, 30_000);
    const done = (): void => clearInterval(watchdog);
    const fail = (err: unknown): void => {
      done();
      reject(err);
    };
    consumer
      .run(async (batch) => {
        for (const m of batch.messages) {
          if (n === rows) break;
          const v = m.value;
          if (v === null) return fail(new Error(`stack floor: a record without a value at offset ${m.offset}`));
          starts[n++] = at;
          at += v.copy(values, at);
          key ??= Buffer.from(m.key ?? Buffer.alloc(0));
        }
        if (n === rows) {
          done();
          resolve();
        }
      })
      .catch(fail);
  }).catch(async (err: unknown) => {
    await consumer.disconnect();
    throw err;
  });
  const cpuS = ownCpuSeconds() - c0;
  starts[n] = at;
  await consumer.disconnect();
  const messages = new Array<WireMessage>(rows);
  for (let i = 0; i < rows; i++) messages[i] = { key: key!, value: values.subarray(starts[i]!, starts[i + 1]!) };
  return { cpuS, messages };
}

async function produceAll(bootstrap: string, messages: WireMessage[]): Promise<number> {
  const producer = await RecordProducer.connect({ brokers: [bootstrap], registryUrl: 'http://127.0.0.1:1' }, { logger: silentLogger, embedded: true });
  try {
    const c0 = ownCpuSeconds();
    // as the load sends: chunks of the producer's request size, a few sends waiting at once
    const chunk = 20_000;
    const waiting: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += chunk) {
      waiting.push(producer.sendMessages(REPRODUCED_TOPIC, 'trades', messages.slice(i, i + chunk)));
      if (waiting.length >= 4) await waiting.shift();
    }
    await Promise.all(waiting);
    return ownCpuSeconds() - c0;
  } finally {
    await producer.close();
  }
}

async function duckdbWrite(tableDataDir: string, out: string): Promise<{ cpuS: number; wallS: number }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  try {
    await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${tableDataDir}/**/*.parquet')`);
    const c0 = ownCpuSeconds();
    const t0 = performance.now();
    await conn.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
    return { cpuS: ownCpuSeconds() - c0, wallS: (performance.now() - t0) / 1000 };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * Measures the floor on a finished run's data dir (left unchanged: its broker data is copied):
 * the first `rows` records of `topic`, and the rows of its trades_v2 table.
 */
export async function measureStackFloor(loadDataDir: string, rows: number, workDir: string, topic = ASX_TRADES_TOPIC): Promise<StackFloor> {
  const busDir = join(workDir, 'stack-floor');
  cpSync(join(loadDataDir, 'broker'), join(busDir, 'broker'), { recursive: true, filter: (src) => !src.endsWith('broker.lock') });
  const logBytes = dirBytes(join(busDir, 'broker', 'topics', topic));
  const broker = await startChildBroker(busDir);
  let consumed: { cpuS: number; messages: WireMessage[] };
  let produceCpuS: number;
  let brokerCpuS: number | null;
  try {
    const b0 = cpuSecondsOfPid(broker.child.pid);
    consumed = await consumeAll(broker.bootstrap, topic, rows, logBytes);
    produceCpuS = await produceAll(broker.bootstrap, consumed.messages);
    const b1 = cpuSecondsOfPid(broker.child.pid);
    brokerCpuS = b0 === null || b1 === null ? null : b1 - b0;
  } finally {
    await broker.stop();
  }
  const duck = await duckdbWrite(join(loadDataDir, 'warehouse', 'market_data', 'trades_v2', 'data'), join(workDir, 'stack-floor.parquet'));
  const cores = availableParallelism();
  const clients = consumed.cpuS + produceCpuS + duck.cpuS;
  const sum = clients + (brokerCpuS ?? 0);
  return {
    rows,
    consumeCpuS: consumed.cpuS,
    produceCpuS,
    brokerCpuS,
    duckdbCpuS: duck.cpuS,
    duckdbWallS: duck.wallS,
    cores,
    minWallS: sum / cores,
    maxRowsPerCpuS: rows / sum,
    minWallFreeBrokerS: clients / cores,
    maxRowsPerCpuFreeBrokerS: rows / clients,
  };
}

/**
 * Full-speed replay (issue 6): the local Binance emulator sends @trade frames as
 * fast as the socket takes them; the stream client parses, validates, converts,
 * sequences and publishes them. Figures:
 *  - msg/s up to the sink (in-memory counting sink), beside a floor measured in
 *    the same run: a bare ws client that only counts the same frames;
 *  - msg/s into the bus (embedded broker, Avro + Confluent wire format, acks=all);
 *  - msg/s into Iceberg in embedded mode (the stream's Iceberg consumer on): from the first
 *    frame until the publisher is closed, i.e. the consumer caught up and committed, counting
 *    the rows the table holds afterwards; and the peak RSS of that run;
 *  - peak RSS of the client process during the sink replay, and during the bus
 *    replay (which includes the embedded broker and registry, as in embedded mode).
 *  - the client process's CPU time per message during the sink replay (user + system,
 *    all threads, so GC helpers count): steadier than msg/s on a shared machine.
 * The client runs with the CLI defaults (DEFAULT_BUFFER_LIMIT records buffered, batches of
 * DEFAULT_MAX_BATCH). Goals: >= 100k msg/s, <= 400 MB.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { GlobalOptions } from '../src/config/global-options.js';
import { silentLogger } from '../src/log/logger.js';
import { FilesystemCatalog } from '../src/iceberg/catalog/filesystem-catalog.js';
import { IcebergTableReader } from '../src/iceberg/table-reader.js';
import { openBusPublisher } from '../src/cli/commands/stream.js';
import { CountingSink, type RecordSink } from '../src/sources/binance/record-sink.js';
import { BinanceStreamClient } from '../src/sources/binance/stream-client.js';
import { waitFor, type EmulatorCommand } from '../test/support/binance-emulator.js';
import { throughputResult, type BenchResult, type BenchSuite } from './lib/result.js';

const SYMBOL = 'BTCUSDT';

/** The emulator in its own process, so it does not share the client's core. */
class RemoteEmulator {
  private waiters: ((m: Record<string, unknown>) => boolean)[] = [];
  private constructor(private readonly child: ChildProcess, readonly wsUrl: string, readonly restUrl: string) {
    child.on('message', (m: Record<string, unknown>) => {
      this.waiters = this.waiters.filter((w) => !w(m));
    });
  }

  static async start(symbols: string[]): Promise<RemoteEmulator> {
    const path = fileURLToPath(new URL('../test/support/binance-emulator.ts', import.meta.url));
    const child = fork(path, [symbols.join(',')], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const first = await new Promise<{ wsUrl: string; restUrl: string }>((resolve, reject) => {
      child.once('message', (m: { wsUrl: string; restUrl: string }) => resolve(m));
      child.once('exit', (code) => reject(new Error(`emulator process exited with ${code}`)));
    });
    return new RemoteEmulator(child, first.wsUrl, first.restUrl);
  }

  private request(cmd: EmulatorCommand, accept: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.waiters.push((m) => {
        if (!accept(m)) return false;
        resolve(m);
        return true;
      });
      this.child.send(cmd);
    });
  }

  async replay(symbol: string, fromId: number, n: number): Promise<void> {
    await this.request({ cmd: 'replay', symbol, fromId, n }, (m) => m.done === 'replay');
  }

  async openConnections(): Promise<number> {
    const m = await this.request({ cmd: 'openConnections' }, (x) => typeof x.openConnections === 'number');
    return m.openConnections as number;
  }

  async waitConnections(n: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await this.openConnections()) !== n) {
      if (Date.now() > deadline) throw new Error(`emulator: expected ${n} open connections`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ cmd: 'close' });
    });
  }
}

class RssSampler {
  peak = 0;
  private timer = setInterval(() => this.sample(), 20);
  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }
  reset(): void {
    this.peak = 0;
    this.sample();
  }
  peakMb(): number {
    this.sample();
    return this.peak / (1024 * 1024);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

async function floorRate(emu: RemoteEmulator, n: number, fromId: number): Promise<number> {
  const ws = new WebSocket(`${emu.wsUrl}/stream?streams=${SYMBOL.toLowerCase()}@trade`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let got = 0;
  let bytes = 0;
  ws.on('message', (d: WebSocket.RawData) => {
    got++;
    bytes += (d as Buffer).length;
  });
  const t0 = performance.now();
  await emu.replay(SYMBOL, fromId, n);
  await waitFor(() => got >= n, 120_000, 'floor frames');
  const rate = n / ((performance.now() - t0) / 1000);
  ws.close();
  await emu.waitConnections(0);
  return bytes > 0 ? rate : 0;
}

/** CPU microseconds per message of the last clientRate call. */
let lastCpuPerMessage = 0;

async function clientRate(emu: RemoteEmulator, sink: RecordSink, count: () => number, n: number, fromId: number): Promise<number> {
  const client = new BinanceStreamClient({ symbols: [SYMBOL], channels: ['trade'], urls: [emu.wsUrl], restUrl: emu.restUrl, sink, logger: silentLogger });
  client.start();
  await emu.waitConnections(1);
  const base = count();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await emu.replay(SYMBOL, fromId, n);
  await waitFor(() => count() - base >= n, 300_000, 'records in the sink');
  const rate = n / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  lastCpuPerMessage = (cpu.user + cpu.system) / n;
  const stats = await client.stop('bench');
  if (stats.gapTrades !== 0 || stats.errors !== 0) throw new Error(`bench replay was not clean: ${JSON.stringify(stats)}`);
  await emu.waitConnections(0);
  return rate;
}

const suite: BenchSuite = async ({ quick, workDir, log }) => {
  const n = quick ? 60_000 : 300_000;
  const nBus = quick ? 30_000 : 150_000;
  const emu = await RemoteEmulator.start([SYMBOL]);
  const rss = new RssSampler();
  const results: BenchResult[] = [];
  try {
    let next = 1;
    // warm-up
    await floorRate(emu, 10_000, next);
    next += 10_000;
    const warm = new CountingSink();
    await clientRate(emu, warm, () => warm.trades, 10_000, next);
    next += 10_000;

    const floor = await floorRate(emu, n, next);
    next += n;
    const counting = new CountingSink();
    rss.reset();
    const toSink = await clientRate(emu, counting, () => counting.trades, n, next);
    const sinkPeak = rss.peakMb();
    const sinkCpu = lastCpuPerMessage;
    results.push({ name: 'binance-stream: peak RSS, replay to sink', value: sinkPeak, unit: 'MB', goal: '<= 400 MB', floor: null, ratio: null, meets: sinkPeak <= 400 });
    next += n;
    log(`binance-stream: ${n} frames; bare ws ${Math.round(floor)} msg/s, client to sink ${Math.round(toSink)} msg/s, ${sinkCpu.toFixed(2)} us CPU/msg`);
    results.push(throughputResult('binance-stream: replay -> client -> sink', toSink, 'msg/s', floor, null, 100_000));
    results.push({ name: 'binance-stream: client CPU per message, replay to sink', value: sinkCpu, unit: 'us', goal: '-', floor: null, ratio: null, meets: null });

    const globals: GlobalOptions = { dataDir: workDir, brokers: null, logLevel: 'silent', json: false };
    const session = await openBusPublisher(globals, silentLogger, { registryUrl: undefined, consume: false });
    let published = 0;
    const busSink: RecordSink = {
      publish: async (batch) => {
        await session.sink.publish(batch);
        published += batch.length;
      },
      flush: () => session.sink.flush?.() ?? Promise.resolve(),
    };
    try {
      rss.reset();
      const toBus = await clientRate(emu, busSink, () => published, nBus, next);
      const busPeak = rss.peakMb();
      results.push({ name: 'binance-stream: peak RSS, replay to embedded bus', value: busPeak, unit: 'MB', goal: '<= 400 MB', floor: null, ratio: null, meets: busPeak <= 400 });
      next += nBus;
      log(`binance-stream: ${nBus} frames into the embedded bus: ${Math.round(toBus)} msg/s`);
      results.push(throughputResult('binance-stream: replay -> client -> bus (embedded)', toBus, 'msg/s', floor, null, 100_000));
    } finally {
      await session.close();
    }

    // Into Iceberg in embedded mode: the same replay with the stream's Iceberg consumer on,
    // timed from the first frame until the session is closed (the consumer caught up and
    // committed); the rate counts only rows the table then holds.
    const iceDir = join(workDir, 'iceberg');
    const iceGlobals: GlobalOptions = { dataDir: iceDir, brokers: null, logLevel: 'silent', json: false };
    const lake = await openBusPublisher(iceGlobals, silentLogger, { registryUrl: undefined, consume: true });
    let toLake = 0;
    const lakeSink: RecordSink = {
      publish: async (batch) => {
        await lake.sink.publish(batch);
        toLake += batch.length;
      },
      flush: () => lake.sink.flush?.() ?? Promise.resolve(),
    };
    let closed = false;
    try {
      rss.reset();
      const t0 = performance.now();
      await clientRate(emu, lakeSink, () => toLake, nBus, next);
      next += nBus;
      await lake.close();
      closed = true;
      const secs = (performance.now() - t0) / 1000;
      const lakePeak = rss.peakMb();
      const rows = await tableRows(join(iceDir, 'warehouse'));
      log(`binance-stream: ${nBus} frames into Iceberg (embedded, consumer on): ${rows} rows committed in ${secs.toFixed(1)} s`);
      results.push(throughputResult('binance-stream: replay -> client -> bus -> Iceberg (embedded)', rows / secs, 'msg/s', floor, null, 100_000));
      results.push({ name: 'binance-stream: peak RSS, replay into Iceberg (embedded)', value: lakePeak, unit: 'MB', goal: '<= 400 MB', floor: null, ratio: null, meets: lakePeak <= 400 });
    } finally {
      if (!closed) await lake.close();
    }
  } finally {
    rss.stop();
    await emu.close();
  }
  return results;
};

/** Rows in market_data.trades_v2 of a warehouse, from the current snapshot's data files. */
async function tableRows(warehouse: string): Promise<number> {
  const catalog = new FilesystemCatalog(warehouse);
  try {
    const reader = await IcebergTableReader.open(catalog, 'trades_v2');
    return reader === null ? 0 : Number(reader.dataFiles().reduce((n, f) => n + f.recordCount, 0n));
  } finally {
    await catalog.close();
  }
}

export default suite;

/**
 * Full-speed replay (issue 6): the local Binance emulator sends @trade frames as
 * fast as the socket takes them; the stream client parses, validates, converts,
 * sequences and publishes them. Figures:
 *  - msg/s up to the sink (in-memory counting sink), beside a floor measured in
 *    the same run: a bare ws client that only counts the same frames;
 *  - through `k2 stream binance` itself (the compiled CLI in its own process, as users run
 *    it, `--max-messages n`): msg/s into the embedded bus (`--no-consume`: Avro + Confluent
 *    wire format, acks=all, broker and registry in that process), and into Iceberg with the
 *    stream's consumer on, each timed from the first frame of the replay until the process
 *    has exited (everything published and, with the consumer, committed: the rate counts the
 *    rows the table holds afterwards); the peak RSS (VmHWM) of each process;
 *  - peak RSS of the client process during the sink replay.
 *  - the client process's CPU time per message during the sink replay (user + system,
 *    all threads, so GC helpers count): steadier than msg/s on a shared machine.
 * The client runs with the CLI defaults (DEFAULT_BUFFER_LIMIT records buffered, batches of
 * DEFAULT_MAX_BATCH). Goals: >= 100k msg/s, <= 400 MB.
 * K2_BENCH_STREAM_FRAMES sets the frames of the CLI runs (default 500k).
 * K2_BENCH_DEBUG=1 prints the CLI runs' logs and timeline; K2_BENCH_STREAM_PROFILE=<dir>
 * writes their V8 CPU profiles (one per thread) under <dir>/bus and <dir>/lake.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { silentLogger } from '../src/log/logger.js';
import { FilesystemCatalog } from '../src/iceberg/catalog/filesystem-catalog.js';
import { IcebergTableReader } from '../src/iceberg/table-reader.js';
import { CountingSink, type RecordSink } from '../src/sources/binance/record-sink.js';
import { BinanceStreamClient } from '../src/sources/binance/stream-client.js';
import { waitFor, type EmulatorCommand } from '../test/support/binance-emulator.js';
import { measureStackFloor } from './e2e-stack-floor.js';
import { cpuSecondsOfPid } from './lib/process-cpu.js';
import { throughputResult, type BenchResult, type BenchSuite } from './lib/result.js';

const SYMBOL = 'BTCUSDT';
/** The topic `k2 stream binance` publishes SYMBOL's trades to. */
const STREAM_TOPIC = 'market.crypto.trades.binance';

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

/** CPU microseconds per message of the last floorRate call (the bare ws client's process). */
let lastFloorCpuPerMessage = 0;

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
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await emu.replay(SYMBOL, fromId, n);
  await waitFor(() => got >= n, 120_000, 'floor frames');
  const rate = n / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  lastFloorCpuPerMessage = (cpu.user + cpu.system) / n;
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
  // 500k frames: long enough for the steady state. JIT warm-up and the exit take about a second,
  // which was a third of a 150k-frame run; and the heaps reach their steady size (the peak RSS
  // of a 150k run was ~50 MB below that of a long one).
  const nBus = Number(process.env.K2_BENCH_STREAM_FRAMES ?? (quick ? 30_000 : 500_000));
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
    const wsFloorCpu = lastFloorCpuPerMessage;
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

    // Into the embedded bus, and into Iceberg with the consumer on: the compiled `k2 stream
    // binance` as users run it, in its own process. Timed from the first frame of the replay
    // until the process has exited (everything published, flushed and, with the consumer,
    // committed); peak RSS of that process.
    const hadDist = existsSync(join(ROOT, 'dist'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    execFileSync(process.execPath, [join(ROOT, 'scripts/stamp-build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    try {
      const bus = await cliStreamRun(emu, join(workDir, 'bus'), nBus, next, false);
      next += nBus;
      log(`binance-stream: ${nBus} frames through k2 stream binance into the embedded bus: ${Math.round(bus.rate)} msg/s, peak RSS ${bus.peakMb.toFixed(0)} MB, ${bus.cpuUsPerMessage.toFixed(1)} us CPU/msg`);
      results.push({ name: 'binance-stream: peak RSS, k2 stream into embedded bus', value: bus.peakMb, unit: 'MB', goal: '<= 400 MB', floor: null, ratio: null, meets: bus.peakMb <= 400 });
      results.push(throughputResult('binance-stream: replay -> k2 stream -> bus (embedded)', bus.rate, 'msg/s', floor, null, 100_000));
      results.push({ name: 'binance-stream: k2 stream CPU per message, into the bus (all threads)', value: bus.cpuUsPerMessage, unit: 'us', goal: '-', floor: null, ratio: null, meets: null });
      const lake = await cliStreamRun(emu, join(workDir, 'iceberg'), nBus, next, true);
      next += nBus;
      const rows = await tableRows(join(workDir, 'iceberg', 'warehouse'));
      const rate = rows / lake.seconds;
      log(
        `binance-stream: ${nBus} frames through k2 stream binance into Iceberg (embedded, consumer on): ${rows} rows committed in ${lake.seconds.toFixed(1)} s, ` +
          `peak RSS ${lake.peakMb.toFixed(0)} MB, ${lake.cpuUsPerMessage.toFixed(1)} us CPU/msg`,
      );
      results.push(throughputResult('binance-stream: replay -> k2 stream -> bus -> Iceberg (embedded)', rate, 'msg/s', floor, null, 100_000));
      results.push({ name: 'binance-stream: peak RSS, k2 stream into Iceberg (embedded)', value: lake.peakMb, unit: 'MB', goal: '<= 400 MB', floor: null, ratio: null, meets: lake.peakMb <= 400 });
      results.push({ name: 'binance-stream: k2 stream CPU per message, into Iceberg (all threads)', value: lake.cpuUsPerMessage, unit: 'us', goal: '-', floor: null, ratio: null, meets: null });
      results.push(...(await streamStackFloor(join(workDir, 'iceberg'), nBus, workDir, wsFloorCpu, lake.cpuUsPerMessage, floor, log)));
    } finally {
      if (!hadDist) rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
    }
  } finally {
    rss.stop();
    await emu.close();
  }
  return results;
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The stack floor of the run into Iceberg: what the parts no implementation of it can skip cost
 * per message on this machine, for that run's own records and rows: a bare ws client reading
 * the frames (measured above, in this process), kafkajs producing and consuming the records, the
 * broker, and DuckDB writing the rows to zstd Parquet (bench/e2e-stack-floor.ts). Their CPU per
 * message summed, on this machine's cores, bounds the rate of any such pipeline; what k2 spends
 * above it is its own work (frame scanning, Avro, ids, sequencing, dedup, sort, stats, commits)
 * and the garbage collection of all of it.
 */
async function streamStackFloor(
  dataDir: string,
  n: number,
  workDir: string,
  wsCpuUs: number,
  k2CpuUs: number,
  wsRate: number,
  log: (line: string) => void,
): Promise<BenchResult[]> {
  const stack = await measureStackFloor(dataDir, n, workDir, STREAM_TOPIC);
  const per = (s: number | null): number => ((s ?? 0) * 1e6) / n;
  const clientsUs = wsCpuUs + per(stack.produceCpuS) + per(stack.consumeCpuS) + per(stack.duckdbCpuS);
  const floorUs = clientsUs + per(stack.brokerCpuS);
  const budgetUs = (stack.cores * 1e6) / 100_000;
  const bound = (stack.cores * 1e6) / floorUs;
  log(
    `binance-stream: stack floor per message: bare ws ${wsCpuUs.toFixed(2)} + kafkajs produce ${per(stack.produceCpuS).toFixed(2)} + consume ${per(stack.consumeCpuS).toFixed(2)} ` +
      `+ broker ${stack.brokerCpuS === null ? '? (not counted)' : per(stack.brokerCpuS).toFixed(2)} + DuckDB zstd Parquet ${per(stack.duckdbCpuS).toFixed(2)} = ${floorUs.toFixed(1)} us CPU; ` +
      `on ${stack.cores} cores at most ${Math.round(bound)} msg/s (${Math.round((stack.cores * 1e6) / clientsUs)} with a broker that cost nothing). ` +
      `k2 into Iceberg: ${k2CpuUs.toFixed(1)} us, ${(k2CpuUs - floorUs).toFixed(1)} us above the floor; 100k msg/s on ${stack.cores} cores allows ${budgetUs.toFixed(1)} us in all, ` +
      `${(budgetUs - floorUs).toFixed(1)} us above the floor`,
  );
  return [
    { name: 'binance-stream: stack floor CPU per message, ws + kafkajs + broker + DuckDB (info)', value: floorUs, unit: 'us', goal: '-', floor: null, ratio: null, meets: null },
    throughputResult('binance-stream: most msg/s ws + kafkajs + broker + DuckDB allow into Iceberg (info)', bound, 'msg/s', wsRate, null),
  ];
}

/** The peak resident set of a process so far (VmHWM), in MB; 0 once it has exited. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

/**
 * Runs the compiled `k2 stream binance` against the emulator until it has taken `n` trades
 * (--max-messages) and exited; returns seconds from the replay's start to the exit and the
 * process's peak RSS.
 */
async function cliStreamRun(
  emu: RemoteEmulator,
  dataDir: string,
  n: number,
  fromId: number,
  consume: boolean,
): Promise<{ seconds: number; rate: number; peakMb: number; cpuUsPerMessage: number }> {
  const args = ['bin/k2.js', '--data-dir', dataDir, '--log-level', process.env.K2_BENCH_DEBUG ? 'debug' : 'warn', 'stream', 'binance', '--symbols', SYMBOL, '--streams', 'trade'];
  args.push('--url', emu.wsUrl, '--rest-url', emu.restUrl, '--metrics-port', 'off', '--max-messages', String(n), '--json');
  if (!consume) args.push('--no-consume');
  const nodeArgs = process.env.K2_BENCH_STREAM_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.K2_BENCH_STREAM_PROFILE}/${consume ? 'lake' : 'bus'}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, env: { ...process.env, K2_FROM_SOURCE: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let peak = 0;
  // CPU of the k2 process (all threads), read with the RSS until it exits: at most one
  // sampling interval (50 ms) of its exit is missed
  let cpuS = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, peakRssMb(child.pid!));
    cpuS = cpuSecondsOfPid(child.pid) ?? cpuS;
  }, 50);
  try {
    await emu.waitConnections(1);
    const t0 = performance.now();
    await emu.replay(SYMBOL, fromId, n);
    if (process.env.K2_BENCH_DEBUG) console.error(`replay sent after ${((performance.now() - t0) / 1000).toFixed(2)} s at ${new Date().toISOString()}`);
    const code = await exited;
    if (process.env.K2_BENCH_DEBUG) console.error(`exit after ${((performance.now() - t0) / 1000).toFixed(2)} s at ${new Date().toISOString()}\n${stderr}`);
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`k2 stream binance exited ${code}: ${stderr.slice(-3000)}`);
    const summary = JSON.parse(stdout) as { published?: number };
    if (summary.published !== n) throw new Error(`k2 stream binance published ${String(summary.published)} records, expected ${n}`);
    return { seconds, rate: n / seconds, peakMb: peak, cpuUsPerMessage: (cpuS * 1e6) / n };
  } finally {
    clearInterval(sampler);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

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

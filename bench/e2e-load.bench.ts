/**
 * End-to-end `k2 load asx` in embedded mode (issue 4, Benchmark):
 *  - a realistic raw ASX trades CSV (headerless `Date,Time,Price,Volume,Qualifiers,Venue,BuyerID`)
 *    is generated in the work dir by replaying the BHP day in fixtures/asx/trades/7078.csv over
 *    consecutive weekdays with a daily price drift: 1M rows (about 59 trading days of 17k
 *    trades), 100k with --quick;
 *  - the real CLI runs it as a child process, compiled as users run it (dist/ is built
 *    first and removed again if it was not there): `node bin/k2.js --data-dir <tmp> --json
 *    --log-level debug load asx <file> --side-quotes none`: CSV parse, Avro encode, produce
 *    to the embedded broker on the main thread, while the Iceberg consumer decodes, writes
 *    and commits on a worker thread;
 *  - the table is read back afterwards and must hold every row (the bench fails otherwise);
 *  - the floor: DuckDB alone converts the same CSV to zstd Parquet (read_csv -> COPY), same run;
 *  - rows/s wall and rows per CPU-second (user+sys of the child, all threads; far steadier
 *    than wall time on a shared machine), each with its ratio to the floor;
 *  - Iceberg flush+commit latency p50/p99, from the consumer's `committed` debug lines (the
 *    same duration the k2_iceberg_commit_duration_seconds histogram observes).
 * K2_BENCH_E2E_ROWS overrides the row count. K2_BENCH_E2E_PROFILE=1 runs the child with
 * --cpu-prof and logs where each JS thread's CPU went (main: parse, encode, produce, broker;
 * worker: fetch, decode, consumer logic, data-file write, commit; GC on both); DuckDB's own threads are not
 * in a V8 profile, they are part of the difference between the child's CPU and the JS threads'.
 * Then the stack floor (bench/e2e-stack-floor.ts): kafkajs consume and produce of the load's own
 * records and DuckDB's write of its rows, none of k2's work; the most rows/s any load through
 * kafkajs and DuckDB could reach on this machine, with its ratio to the DuckDB-only floor.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { FilesystemCatalog } from '../src/iceberg/catalog/filesystem-catalog.js';
import { IcebergTableReader } from '../src/iceberg/table-reader.js';
import { measureStackFloor } from './e2e-stack-floor.js';
import { latencyResult, percentile, throughputResult, type BenchResult, type BenchSuite } from './lib/result.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPANY_ID = '7078';

/** Replays the fixture day over weekdays from 2014-01-02, prices drifting by day; exactly `rows` lines. */
export function generateTradesCsv(path: string, rows: number): void {
  const day = readFileSync(join(ROOT, 'fixtures/asx/trades', `${COMPANY_ID}.csv`), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const f = l.split(',');
      return { time: f[1]!, priceMilli: Math.round(Number(f[2]) * 1000), rest: f.slice(3).join(',') };
    });
  const out: string[] = [];
  let written = 0;
  const date = new Date(Date.UTC(2014, 0, 2));
  let drift = 1;
  let seed = 7078;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  while (written < rows) {
    const wd = date.getUTCDay();
    if (wd !== 0 && wd !== 6) {
      const mmddyyyy = `${String(date.getUTCMonth() + 1).padStart(2, '0')}/${String(date.getUTCDate()).padStart(2, '0')}/${date.getUTCFullYear()}`;
      for (const r of day) {
        if (written >= rows) break;
        const p = Math.max(1, Math.round(r.priceMilli * drift));
        out.push(`${mmddyyyy},${r.time},${Math.floor(p / 1000)}.${String(p % 1000).padStart(3, '0')},${r.rest}`);
        written++;
      }
      drift *= 0.99 + rand() * 0.02;
    }
    date.setUTCDate(date.getUTCDate() + 1);
  }
  writeFileSync(path, `${out.join('\n')}\n`);
}

interface ChildRun {
  wallMs: number;
  cpuMs: number;
  stdout: string;
  stderr: string;
}

/** Runs a command under bash and reads the child's user+sys CPU from bash's `times`. */
function runMeasured(argv: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${quoted}; rc=$?; times >&3; exit $rc`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let times = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (times += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}\n${stderr.slice(-4000)}`));
      // `times`: shell user/sys, then children user/sys, e.g. "0m12.345s 0m1.234s"
      const lines = times.trim().split('\n');
      const secs = (s: string): number => {
        const m = /^(\d+)m([\d.]+)s$/.exec(s);
        return m === null ? Number.NaN : Number(m[1]) * 60 + Number(m[2]);
      };
      const [u, s] = (lines[1] ?? '').trim().split(/\s+/);
      resolve({ wallMs, cpuMs: (secs(u!) + secs(s!)) * 1000, stdout, stderr });
    });
  });
}

async function duckdbFloor(csv: string, out: string): Promise<{ wallMs: number; cpuMs: number }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await conn.run(
      `COPY (SELECT * FROM read_csv('${csv}', header = false, columns = {'d': 'VARCHAR', 't': 'VARCHAR', 'price': 'DECIMAL(18,8)', 'volume': 'BIGINT', 'q': 'VARCHAR', 'venue': 'VARCHAR', 'buyer': 'VARCHAR'}))
         TO '${out}' (FORMAT parquet, COMPRESSION zstd)`,
    );
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(cpu0);
    return { wallMs, cpuMs: (c.user + c.system) / 1000 };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function tableRowCount(dataDir: string): Promise<bigint> {
  const catalog = new FilesystemCatalog(join(dataDir, 'warehouse'));
  try {
    const reader = await IcebergTableReader.open(catalog, 'trades_v2');
    if (reader === null) return 0n;
    const snap = reader.currentSnapshot();
    if (snap === null) return 0n;
    return reader.dataFiles(snap).reduce((n, f) => n + f.recordCount, 0n);
  } finally {
    await catalog.close();
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** The stage a k2 source file belongs to; schema/model/log frames count for their caller. */
function sourceStage(url: string): string | null {
  // from sources (src/*.ts) or compiled (dist/*.js, as the bench runs it)
  const m = /\/(src|dist)\//.exec(url);
  if (url.includes('node_modules') || m === null) return null;
  const f = url.slice(m.index + m[0].length);
  if (/^(schema|model|log)\//.test(f)) return null;
  if (f.startsWith('sources/asx')) return 'parse+convert CSV (sources/asx)';
  if (f.startsWith('bus/record-producer')) return 'Avro encode + producer wrapper (bus/record-producer)';
  if (f.startsWith('bus/kafkajs-linear-grouping')) return 'kafkajs partitioning (bus/kafkajs-linear-grouping)';
  if (f.startsWith('bus/record-decoder')) return 'Avro decode (bus/record-decoder)';
  if (f.startsWith('bus/')) return 'bus, other';
  if (f.startsWith('broker/')) return 'embedded broker (broker)';
  if (f.startsWith('iceberg/duckdb-') || f.startsWith('iceberg/sort-order')) return 'data-file write, JS side (iceberg/duckdb-*)';
  if (f.startsWith('iceberg/')) return 'Iceberg commit + metadata (iceberg)';
  if (f.startsWith('consume/')) return 'consumer logic (consume)';
  return 'cli, config';
}

function kafkajsStage(url: string): string | null {
  const at = url.indexOf('kafkajs/src/');
  if (at < 0) return null;
  const f = url.slice(at + 12);
  if (/decoder|fetch|consumer/.test(f)) return 'kafkajs fetch + decode';
  if (/produce|encoder|recordBatch|long|producer/.test(f)) return 'kafkajs produce encode (Encoder, varlong, crc32c, buffers)';
  return 'kafkajs, other';
}

/**
 * Main-thread CPU per stage from a V8 .cpuprofile: each sample goes to the nearest k2
 * source frame on its stack (kafkajs internals reached from async callbacks go to the
 * kafkajs side they belong to).
 */
export function profileStages(path: string): Map<string, number> {
  const p = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  const classify = (id: number): string => {
    const hit = cache.get(id);
    if (hit !== undefined) return hit;
    let x: number | undefined = id;
    let kafka: string | null = null;
    let stage: string | null = null;
    while (x !== undefined) {
      const { functionName: fn, url } = nodes.get(x)!.callFrame;
      if (fn === '(idle)' || fn === '(garbage collector)' || fn === '(program)') {
        stage = fn;
        break;
      }
      stage = sourceStage(url);
      if (stage !== null) break;
      kafka ??= kafkajsStage(url);
      if (url.includes('node:internal/modules') || url.includes('/tsx/') || url.includes('cjs-module-lexer')) {
        stage = 'module loading';
        break;
      }
      x = parent.get(x);
    }
    const r = stage ?? kafka ?? 'other (node internals)';
    cache.set(id, r);
    return r;
  };
  const us = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const s = classify(p.samples[i]!);
    us.set(s, (us.get(s) ?? 0) + p.timeDeltas[i]!);
  }
  return us;
}

const suite: BenchSuite = async ({ quick, workDir, log }) => {
  const rows = Number(process.env.K2_BENCH_E2E_ROWS ?? (quick ? 100_000 : 1_000_000));
  const dir = join(workDir, 'asx');
  mkdirSync(join(dir, 'trades'), { recursive: true });
  mkdirSync(join(dir, 'reference-data'), { recursive: true });
  copyFileSync(join(ROOT, 'fixtures/asx/reference-data/company_info.csv'), join(dir, 'reference-data/company_info.csv'));
  const csv = join(dir, 'trades', `${COMPANY_ID}.csv`);
  generateTradesCsv(csv, rows);
  log(`e2e-load: ${rows} rows generated`);

  const floor = await duckdbFloor(csv, join(workDir, 'floor.parquet'));
  log(`e2e-load: DuckDB floor ${Math.round(floor.wallMs)} ms wall, ${Math.round(floor.cpuMs)} ms CPU`);

  const dataDir = join(workDir, 'k2-data');
  const profileDir = join(workDir, 'cpu-profile');
  const extraNodeArgs = process.env.K2_BENCH_E2E_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  // k2 as users run it: compiled (npm install builds dist/ through `prepare`), not through tsx.
  const hadDist = existsSync(join(ROOT, 'dist'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, [join(ROOT, 'scripts/stamp-build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  let run: ChildRun;
  try {
    run = await runMeasured(
      ['node', ...extraNodeArgs, 'bin/k2.js', '--data-dir', dataDir, '--json', '--log-level', 'debug', 'load', 'asx', csv, '--side-quotes', 'none'],
      { ...process.env, K2_FROM_SOURCE: '0' },
    );
  } finally {
    if (!hadDist) rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  }
  const summary = JSON.parse(run.stdout) as { rows_valid: number; iceberg?: { trades_v2: number } };
  const inTable = await tableRowCount(dataDir);
  if (summary.rows_valid !== rows || inTable !== BigInt(rows)) {
    throw new Error(`e2e-load: expected ${rows} rows; load reported ${summary.rows_valid} valid, table holds ${inTable}`);
  }
  const commitMs: number[] = [];
  const at = new Map<string, number>();
  for (const line of run.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const ev = JSON.parse(line) as { ts?: string; msg?: string; ms?: number; table?: string };
      if (ev.msg === 'committed' && typeof ev.ms === 'number') commitMs.push(ev.ms);
      if (ev.msg !== undefined && ev.ts !== undefined && !at.has(ev.msg)) at.set(ev.msg, Date.parse(ev.ts));
    } catch {
      /* not a log line */
    }
  }
  // phases from the log: bus up -> all records acknowledged -> all rows committed (the consumer
  // runs on a worker thread from the start, so the second phase is only the tail after publishing)
  const busUp = at.get('broker: listening');
  const published = at.get('published');
  const committed = at.get('committed to Iceberg');
  if (busUp !== undefined && published !== undefined && committed !== undefined) {
    log(
      `e2e-load: phases: parse+encode+produce ${published - busUp} ms (${Math.round(rows / ((published - busUp) / 1000))} rows/s, consuming alongside), ` +
        `then consume tail + last flush ${committed - published} ms; flushes total ${Math.round(commitMs.reduce((a, b) => a + b, 0))} ms`,
    );
  }
  commitMs.sort((a, b) => a - b);
  log(
    `e2e-load: k2 load ${Math.round(run.wallMs)} ms wall, ${Math.round(run.cpuMs)} ms CPU (incl. process start); ${commitMs.length} commits; table holds ${inTable} rows`,
  );

  if (extraNodeArgs.length > 0) {
    // one profile per thread: the main thread (parse, encode, produce, broker) and the consumer worker
    const files = readdirSync(profileDir).map((f) => join(profileDir, f));
    for (const file of files.sort((a, b) => statSync(b).size - statSync(a).size).slice(0, 2)) {
      const stages = [...profileStages(file)].sort((a, b) => b[1] - a[1]);
      const total = stages.reduce((a, [, v]) => a + v, 0);
      const isMain = stages.some(([stage, v]) => stage.startsWith('parse+convert') && v > 0);
      log(`e2e-load: ${isMain ? 'main thread' : 'consumer worker thread'} CPU by stage (${Math.round(total / 1000)} ms sampled, child total ${Math.round(run.cpuMs)} ms, all threads):`);
      for (const [stage, v] of stages.slice(0, 14)) log(`  ${String(Math.round(v / 1000)).padStart(7)} ms ${(v / rows).toFixed(2).padStart(6)} us/row  ${stage}`);
    }
  }
  const wallRate = rows / (run.wallMs / 1000);
  const cpuRate = rows / (run.cpuMs / 1000);
  const floorWallRate = rows / (floor.wallMs / 1000);
  const floorCpuRate = rows / (floor.cpuMs / 1000);
  const results: BenchResult[] = [
    throughputResult('e2e load asx (embedded) rows/s', wallRate, 'rows/s', floorWallRate, 0.25, 250_000),
    throughputResult('e2e load asx rows per CPU-s', cpuRate, 'rows/CPU-s', floorCpuRate, 0.25),
  ];

  // What the stack itself allows: kafkajs both ways and DuckDB's write, for these records and rows.
  const stack = await measureStackFloor(dataDir, rows, workDir);
  log(
    `e2e-load: stack floor for ${rows} records: kafkajs consume ${stack.consumeCpuS.toFixed(2)} + produce ${stack.produceCpuS.toFixed(2)} CPU-s (client), ` +
      `broker ${stack.brokerCpuS === null ? '? (not counted)' : stack.brokerCpuS.toFixed(2)} CPU-s, DuckDB zstd Parquet write ${stack.duckdbCpuS.toFixed(2)} CPU-s ` +
      `(${stack.duckdbWallS.toFixed(2)} s wall); DuckDB-only floor ${(floor.cpuMs / 1000).toFixed(2)} CPU-s; ${stack.cores} cores. ` +
      `With a broker that cost nothing: at most ${Math.round(rows / stack.minWallFreeBrokerS)} rows/s (${(rows / stack.minWallFreeBrokerS / floorWallRate).toFixed(2)}x), ` +
      `${Math.round(stack.maxRowsPerCpuFreeBrokerS)} rows per CPU-s (${(stack.maxRowsPerCpuFreeBrokerS / floorCpuRate).toFixed(2)}x)`,
  );
  results.push(throughputResult('e2e load asx: most rows/s kafkajs + broker + DuckDB allow (info)', rows / stack.minWallS, 'rows/s', floorWallRate, null));
  results.push(throughputResult('e2e load asx: most rows per CPU-s they allow (info)', stack.maxRowsPerCpuS, 'rows/CPU-s', floorCpuRate, null));
  if (commitMs.length > 0) {
    results.push(latencyResult('e2e iceberg flush+commit p50', percentile(commitMs, 50), null));
    results.push(latencyResult('e2e iceberg flush+commit p99', percentile(commitMs, 99), null));
  }
  return results;
};

export default suite;

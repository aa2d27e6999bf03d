/**
 * `npm run bench [-- --quick] [-- --json] [-- --only <suite>]`
 * Runs every bench/*.bench.ts suite and prints one table of figures with their
 * goals and in-run floors, or a JSON array of {name, value, unit, goal, floor, ratio, meets}.
 * Each suite runs in a process of its own (this script again, with --suite-child), so a
 * suite's memory and CPU figures of the bench process itself (the Binance client's peak RSS)
 * do not carry what earlier suites left in the heap, and no suite's JIT or GC state leaks
 * into the next.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult, BenchSuite } from './lib/result.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1]?.split(',') : undefined;

const dir = fileURLToPath(new URL('.', import.meta.url));
const suites = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => only === undefined || only.includes(f.replace('.bench.ts', '')));

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
/** Runs one suite in a child process and returns its figures (a FAILED row if it gives none). */
function runSuiteInChild(name: string): BenchResult[] {
  const argv = [...process.execArgv, fileURLToPath(import.meta.url), '--suite-child', '--json', '--only', name, ...(quick ? ['--quick'] : [])];
  const child = spawnSync(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  try {
    if (child.status !== 0) throw new Error(`exited with ${child.status ?? child.signal}`);
    // the figures are the last thing on its stdout; anything a tool printed before them goes to stderr
    const out = child.stdout.toString('utf8');
    const at = out.startsWith('[') ? 0 : out.lastIndexOf('\n[') + 1;
    if (at > 0) process.stderr.write(out.slice(0, at));
    return JSON.parse(out.slice(at)) as BenchResult[];
  } catch (err) {
    log(`bench: ${name} failed in its process: ${(err as Error).message}`);
    return [{ name: `${name}: FAILED`, value: Number.NaN, unit: '-', goal: '-', floor: null, ratio: null, meets: false }];
  }
}

const results: BenchResult[] = [];
for (const file of suites) {
  const name = file.replace('.bench.ts', '');
  if (!args.includes('--suite-child')) {
    results.push(...runSuiteInChild(name));
    continue;
  }
  const workDir = mkdtempSync(join(tmpdir(), `k2-bench-${name}-`));
  log(`bench: ${name}${quick ? ' (quick)' : ''}`);
  try {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: BenchSuite };
    results.push(...(await mod.default({ quick, workDir, log })));
  } catch (err) {
    log(`bench: ${name} failed: ${(err as Error).stack ?? String(err)}`);
    results.push({ name: `${name}: FAILED`, value: Number.NaN, unit: '-', goal: '-', floor: null, ratio: null, meets: false });
  } finally {
    // K2_BENCH_KEEP=1 keeps each suite's scratch data (tables, broker logs, profiles) for a look afterwards
    if (process.env.K2_BENCH_KEEP === '1') log(`bench: ${name}: work dir kept at ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

const fmt = (v: number | null): string => {
  if (v === null || Number.isNaN(v)) return '-';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(3);
};

if (json) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  const rows = results.map((r) => [r.name, fmt(r.value), r.unit, r.goal, fmt(r.floor), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`, r.meets === null ? '-' : r.meets ? 'yes' : 'NO']);
  const head = ['benchmark', 'value', 'unit', 'goal', 'floor', 'ratio', 'meets'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i === 2 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

/**
 * One benchmark figure, printed by `npm run bench` next to its goal and the floor
 * measured in the same run. `ratio` is value/floor (or floor/value for "lower is
 * better" figures, see `better`), so ratios are comparable across machines.
 */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Human-readable goal, e.g. ">= 0.5x floor" or "<= 50 ms". */
  goal: string;
  /** The in-run baseline in the same unit, or null where the goal is absolute. */
  floor: number | null;
  ratio: number | null;
  meets: boolean | null;
}

export interface BenchOptions {
  quick: boolean;
  /** Scratch directory for this suite; removed after the run. */
  workDir: string;
  log: (line: string) => void;
}

/** A benchmark suite: bench/<area>.bench.ts exports one as default. */
export type BenchSuite = (opts: BenchOptions) => Promise<BenchResult[]>;

export function throughputResult(
  name: string,
  value: number,
  unit: string,
  floor: number | null,
  minRatio: number | null,
  absoluteMin?: number,
): BenchResult {
  const ratio = floor !== null && floor > 0 ? value / floor : null;
  const goalParts: string[] = [];
  if (minRatio !== null) goalParts.push(`>= ${minRatio}x floor`);
  if (absoluteMin !== undefined) goalParts.push(`>= ${absoluteMin} ${unit}`);
  let meets: boolean | null = null;
  if (minRatio !== null && ratio !== null) meets = ratio >= minRatio;
  if (absoluteMin !== undefined) meets = (meets ?? true) && value >= absoluteMin;
  return { name, value, unit, goal: goalParts.join(' and ') || '-', floor, ratio, meets };
}

export function latencyResult(name: string, valueMs: number, maxMs: number | null, floorMs: number | null = null, maxRatio: number | null = null): BenchResult {
  const ratio = floorMs !== null && floorMs > 0 ? valueMs / floorMs : null;
  const goalParts: string[] = [];
  if (maxMs !== null) goalParts.push(`<= ${maxMs} ms`);
  if (maxRatio !== null) goalParts.push(`<= ${maxRatio}x floor`);
  let meets: boolean | null = null;
  if (maxMs !== null) meets = valueMs <= maxMs;
  if (maxRatio !== null && ratio !== null) meets = (meets ?? true) && ratio <= maxRatio;
  return { name, value: valueMs, unit: 'ms', goal: goalParts.join(' and ') || '-', floor: floorMs, ratio, meets };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}
